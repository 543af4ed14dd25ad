//! `elastik copy SRC DEST`: the library's reindex helper (a point-in-time
//! scan of the source client feeding a bulk indexer on the destination
//! client), so that it works across clusters, after creating DEST with the
//! source's mappings and settings.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use elastik::tokio::helpers::{reindex, BulkConfig, ReindexConfig, ReindexEvent, ScanConfig};
use elastik::tokio::http::{HeaderMap, Method};
use elastik::tokio::{Body, Client};
use serde_json::{json, Map, Value};

use crate::conn::{Connection, Target};
use crate::dump::search_body;
use crate::input::Op;
use crate::load::{count, count_query, parse_bytes, refresh};
use crate::output::{outcome_fields, FailureLog};
use crate::progress::{Counters, Progress, ProgressArgs, Total};
use crate::{CliError, CliResult, EXIT_INCOMPLETE, EXIT_VERIFY};

/// Copy index SRC to DEST, on the same cluster or onto --dest-url.
///
/// DEST is created with SRC's mappings and settings (unless it exists, or
/// --no-mappings / --no-settings), then every document is read with a point
/// in time and written with the bulk indexer (ids and routing kept). At the
/// end DEST is refreshed and counted. Exit status 3 when documents did not
/// go through (see --failures), 4 when the count differs.
#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The source index (or alias)
    pub src: String,
    /// The destination index
    pub dest: String,
    /// The destination cluster's URL(s) [default: the source's]
    #[arg(long, value_name = "URL")]
    pub dest_url: Option<String>,
    /// The destination's API key (encoded, or id:key)
    #[arg(long, env = "ELASTIC_DEST_API_KEY", hide_env_values = true, value_name = "KEY")]
    pub dest_api_key: Option<String>,
    /// The destination's user name
    #[arg(long, env = "ELASTIC_DEST_USER", value_name = "USER")]
    pub dest_user: Option<String>,
    /// The destination's password
    #[arg(long, env = "ELASTIC_DEST_PASSWORD", hide_env_values = true, value_name = "PASSWORD")]
    pub dest_password: Option<String>,
    /// PEM CA certificates for the destination
    #[arg(long, value_name = "FILE")]
    pub dest_ca_cert: Option<PathBuf>,
    /// DANGER: do not verify the destination's TLS certificate
    #[arg(long)]
    pub dest_insecure: bool,
    /// Do not copy the mappings
    #[arg(long)]
    pub no_mappings: bool,
    /// Do not copy the settings (shards, replicas, analysis, …)
    #[arg(long)]
    pub no_settings: bool,
    /// Only the documents matching this Query DSL query
    #[arg(long, conflicts_with = "q", value_name = "JSON")]
    pub query: Option<String>,
    /// Only the documents matching this Lucene query string
    #[arg(long, value_name = "LUCENE")]
    pub q: Option<String>,
    /// `index` replaces documents with the same id; `create` fails them (409)
    #[arg(long, value_enum, default_value_t = Op::Index)]
    pub op: Op,
    /// Hits per page
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub size: u32,
    /// Bulk requests in flight at most
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub in_flight: usize,
    /// Documents per bulk request at most
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub chunk_size: usize,
    /// Bytes per bulk request at most
    #[arg(long, default_value = "5m", value_parser = parse_bytes, value_name = "BYTES")]
    pub chunk_bytes: usize,
    /// Write every document that did not go through here, as NDJSON
    #[arg(long, value_name = "FILE")]
    pub failures: Option<PathBuf>,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

pub async fn run(conn: &Connection, args: CopyArgs) -> CliResult<u8> {
    if args.op == Op::Update {
        return Err(CliError::with_code(2, "copy writes with --op index or create"));
    }
    let source = conn.client()?;
    let target = if args.dest_url.is_some() || args.dest_api_key.is_some() || args.dest_user.is_some() {
        let mut t: Target<'_> = conn.target();
        t.url = args.dest_url.as_deref().or(t.url);
        t.cloud_id = if args.dest_url.is_some() { None } else { t.cloud_id };
        if args.dest_api_key.is_some() || args.dest_user.is_some() {
            t.api_key = args.dest_api_key.as_deref();
            t.user = args.dest_user.as_deref();
            t.password = args.dest_password.as_deref();
        }
        if args.dest_url.is_some() {
            t.ca_cert = args.dest_ca_cert.as_ref();
            t.fingerprint = None;
            t.insecure = args.dest_insecure;
        }
        t.client()?
    } else {
        source.clone()
    };
    let body = search_body(args.query.as_deref(), args.q.as_deref(), &[], &[])?;
    let same_cluster = args.dest_url.is_none();
    if same_cluster && args.src == args.dest {
        return Err(CliError::with_code(2, "SRC and DEST are the same index"));
    }

    let exists = head(&target, &args.dest).await?;
    if exists {
        eprintln!("elastik copy: {} exists: writing into it as it is", args.dest);
    } else {
        create_like(&source, &target, &args.src, &args.dest, !args.no_mappings, !args.no_settings).await?;
    }
    let before = count(&target, &args.dest).await?.unwrap_or(0);
    let expected = count_query(&source, &args.src, body.get("query")).await?;

    let counters = Arc::new(Counters::default());
    let progress =
        Progress::start("copy", expected.map_or(Total::Unknown, Total::Docs), &args.progress, Arc::clone(&counters));
    let mut failures = FailureLog::open(args.failures.as_deref(), false)?;
    let bulk = BulkConfig::new()
        .index(args.dest.clone())
        .flush_count(args.chunk_size)
        .flush_bytes(args.chunk_bytes)
        .max_in_flight(args.in_flight);
    let scan = ScanConfig::new(args.src.clone()).body(Value::Object(body)).size(args.size);
    let config = ReindexConfig::new(scan, args.dest.clone()).bulk(bulk).op_type_create(args.op == Op::Create);
    let started = Instant::now();
    let mut created = 0u64;
    let mut read_errors: Vec<String> = Vec::new();
    let stream = reindex(&source, &target, config);
    let bulk_stats_of = |s: &elastik::tokio::helpers::ReindexStream| s.bulk_stats();
    let mut stream = stream;
    use futures_util::StreamExt;
    while let Some(event) = stream.next().await {
        match event {
            ReindexEvent::Written(outcome) => {
                counters.docs.fetch_add(1, Ordering::Relaxed);
                match outcome.result.item() {
                    Some(item) => {
                        if item.result.as_deref() == Some("created") {
                            created += 1;
                        }
                    }
                    None => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        let mut entry = Map::new();
                        entry.insert("index".into(), json!(args.src));
                        entry.extend(outcome_fields(&outcome));
                        failures.write(entry);
                    }
                }
                counters.retried.store(bulk_stats_of(&stream).retried, Ordering::Relaxed);
            }
            ReindexEvent::ReadError(e) => {
                eprintln!("elastik copy: reading {}: {e}", args.src);
                read_errors.push(e.to_string());
            }
            _ => {}
        }
    }
    progress.finish();
    failures.flush()?;
    let p = stream.progress();
    let stats = stream.bulk_stats();
    eprintln!(
        "elastik copy: read {}, written {}, failed {}, retried {}, {} requests, in {:.1?}",
        p.read,
        p.written,
        p.failed,
        stats.retried,
        stats.requests,
        started.elapsed()
    );
    refresh(&target, &args.dest).await?;
    let after = count(&target, &args.dest).await?.unwrap_or(0);
    let delta = after.saturating_sub(before);
    eprintln!(
        "elastik copy: {} _count {after} (+{delta}), documents created {created}; {} matched {}",
        args.dest,
        args.src,
        expected.map_or("?".to_owned(), |n| n.to_string())
    );
    if !read_errors.is_empty() {
        return Err(CliError::new(format!("the source could not be read to the end: {}", read_errors.join("; "))));
    }
    if failures.count > 0 || p.failed > 0 {
        return Ok(EXIT_INCOMPLETE);
    }
    if delta != created || (before == 0 && Some(after) != expected) {
        eprintln!("elastik copy: the counts differ");
        return Ok(EXIT_VERIFY);
    }
    Ok(0)
}

/// Whether `index` exists.
async fn head(client: &Client, index: &str) -> CliResult<bool> {
    let r = client.perform_request(Method::HEAD, &format!("/{index}"), &[], HeaderMap::new(), Body::Empty).await?;
    Ok(r.status().is_success())
}

/// Settings the server sets itself: never copied.
const INTERNAL_SETTINGS: &[&str] = &[
    "uuid",
    "creation_date",
    "provided_name",
    "version",
    "history_uuid",
    "resize",
    "routing",
    "verified_before_close",
    "blocks",
];

/// Creates `dest` with the mappings and settings of `src`.
async fn create_like(
    source: &Client,
    target: &Client,
    src: &str,
    dest: &str,
    mappings: bool,
    settings: bool,
) -> CliResult<()> {
    let mut body = Map::new();
    if mappings || settings {
        let r = source.perform_request(Method::GET, &format!("/{src}"), &[], HeaderMap::new(), Body::Empty).await?;
        let v: Value = serde_json::from_slice(r.body()).map_err(|e| CliError::new(format!("GET /{src}: {e}")))?;
        let indices = v.as_object().ok_or_else(|| CliError::new(format!("GET /{src}: not an object")))?;
        if indices.len() != 1 {
            return Err(CliError::new(format!(
                "{src} names {} indices: give --no-mappings --no-settings, or create {dest} first",
                indices.len()
            )));
        }
        let info = indices.values().next().cloned().unwrap_or(Value::Null);
        if mappings {
            if let Some(m) = info.get("mappings") {
                body.insert("mappings".into(), m.clone());
            }
        }
        if settings {
            if let Some(Value::Object(index)) = info.pointer("/settings/index") {
                let kept: Map<String, Value> = index
                    .iter()
                    .filter(|(k, _)| !INTERNAL_SETTINGS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                body.insert("settings".into(), json!({ "index": kept }));
            }
        }
    }
    let body = Body::json(&Value::Object(body))?;
    target.perform_request(Method::PUT, &format!("/{dest}"), &[], HeaderMap::new(), body).await?;
    Ok(())
}
