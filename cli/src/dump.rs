//! `elastik dump INDEX`: one point in time opened by the dump, one scan per
//! slice (`search_after` on `_shard_doc`), hits written as NDJSON as they
//! come (memory: a page per slice). Every second the output is synced (a
//! gzip member ends) and the checkpoint records its length, the point in
//! time and each slice's last sort values; `--resume` cuts the output back
//! to that length and continues each slice after its last hit, in the same
//! point in time (alive as long as its keep-alive). Scroll is used when the
//! server has no point in time (then without resume).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use elastik::tokio::helpers::{scan, scan_sliced, Hit, ScanConfig, ScanMode};
use elastik::tokio::http::{HeaderMap, Method};
use elastik::tokio::{Body, Client};
use futures_util::stream::{self, select_all, StreamExt};
use serde_json::{json, Map, Value};

use crate::checkpoint::{self, DumpCheckpoint};
use crate::conn::Connection;
use crate::load::count_query;
use crate::output::Sink;
use crate::progress::{Counters, Progress, ProgressArgs, Total};
use crate::{CliError, CliResult, EXIT_INTERRUPTED, EXIT_VERIFY};

/// What each output line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    /// {"_index", "_id", "_routing", "_source"} per line (what `elastik load` reads back with ids)
    Hits,
    /// The `_source` only
    Source,
    /// Bulk pairs: an index action with the id, then the source (for `_bulk` or `elastik load`)
    Bulk,
}

/// Dump INDEX as NDJSON, to stdout or --output (gzip with `.gz`).
///
/// Reads through a point in time with search_after (scroll when the server
/// has none), --slices slices at once. With --output, a checkpoint is kept
/// beside it (FILE.checkpoint) and --resume continues an interrupted dump.
/// At the end the number of documents written is compared with the point
/// in time's count and the index's `_count` (exit status 4 when it differs).
#[derive(Args, Debug)]
pub struct DumpArgs {
    /// The index, alias, data stream or pattern
    pub index: String,
    /// A Query DSL query (`{"term": {…}}`), or a search body with "query"
    #[arg(long, conflicts_with = "q", value_name = "JSON")]
    pub query: Option<String>,
    /// A Lucene query string (`status:active AND age:>30`)
    #[arg(long, value_name = "LUCENE")]
    pub q: Option<String>,
    /// Slices read at once
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub slices: u32,
    /// Output file (`.gz`: gzip); stdout by default
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<String>,
    /// Only these source fields (comma-separated, wildcards allowed)
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    pub source_includes: Vec<String>,
    /// Leave out these source fields
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    pub source_excludes: Vec<String>,
    /// What each line holds
    #[arg(long, value_enum, default_value_t = DumpFormat::Hits)]
    pub output_format: DumpFormat,
    /// Hits per page
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub size: u32,
    /// How long the point in time stays open between pages (and between a crash and --resume)
    #[arg(long, default_value = "10m", value_name = "DURATION")]
    pub keep_alive: String,
    /// Checkpoint file [default: OUTPUT.checkpoint]
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Continue the dump the checkpoint describes (the output is cut to its last complete line)
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

/// The search body of `--query` / `--q` and the source filters.
pub fn search_body(
    query: Option<&str>,
    q: Option<&str>,
    includes: &[String],
    excludes: &[String],
) -> CliResult<Map<String, Value>> {
    let mut body = Map::new();
    if let Some(text) = query {
        let v: Value =
            serde_json::from_str(text).map_err(|e| CliError::with_code(2, format!("--query is not JSON: {e}")))?;
        match v {
            Value::Object(m) if m.contains_key("query") => body = m,
            Value::Object(m) => {
                body.insert("query".into(), Value::Object(m));
            }
            _ => return Err(CliError::with_code(2, "--query is a JSON object")),
        }
    }
    if let Some(q) = q {
        body.insert("query".into(), json!({ "query_string": { "query": q } }));
    }
    if !includes.is_empty() || !excludes.is_empty() {
        body.insert("_source".into(), json!({ "includes": includes, "excludes": excludes }));
    }
    Ok(body)
}

/// A hit as an output line (or two, for bulk pairs).
pub fn hit_lines(hit: &Hit<Value>, format: DumpFormat) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    match format {
        DumpFormat::Hits => {
            let mut m = Map::new();
            m.insert("_index".into(), json!(hit.index));
            if let Some(id) = &hit.id {
                m.insert("_id".into(), json!(id));
            }
            if let Some(r) = &hit.routing {
                m.insert("_routing".into(), json!(r));
            }
            m.insert("_source".into(), hit.source.clone());
            let _ = serde_json::to_writer(&mut out, &m);
        }
        DumpFormat::Source => {
            let _ = serde_json::to_writer(&mut out, &hit.source);
        }
        DumpFormat::Bulk => {
            let mut meta = Map::new();
            if let Some(id) = &hit.id {
                meta.insert("_id".into(), json!(id));
            }
            if let Some(r) = &hit.routing {
                meta.insert("routing".into(), json!(r));
            }
            let _ = serde_json::to_writer(&mut out, &json!({ "index": meta }));
            out.push(b'\n');
            let _ = serde_json::to_writer(&mut out, &hit.source);
        }
    }
    out
}

pub async fn run(conn: &Connection, args: DumpArgs) -> CliResult<u8> {
    let client = conn.client()?;
    let body = search_body(args.query.as_deref(), args.q.as_deref(), &args.source_includes, &args.source_excludes)?;
    let slices = args.slices.max(1);
    let to_file = args.output.as_deref().filter(|o| *o != "-");
    let explicit_checkpoint = args.checkpoint.is_some();
    let checkpoint_path = args.checkpoint.clone().or_else(|| to_file.map(|o| PathBuf::from(format!("{o}.checkpoint"))));
    if args.resume && (to_file.is_none() || checkpoint_path.is_none()) {
        return Err(CliError::with_code(2, "--resume needs --output FILE (a dump to stdout cannot be resumed)"));
    }

    let mut cp = if args.resume {
        let path = checkpoint_path.as_ref().expect("checked above");
        let cp: DumpCheckpoint = checkpoint::read(path)?;
        if cp.command != "dump"
            || cp.index != args.index
            || cp.body != Value::Object(body.clone())
            || cp.slices != slices
            || Some(cp.output.as_str()) != to_file
        {
            return Err(CliError::new(format!("--resume: {} is the checkpoint of another dump", path.display())));
        }
        if cp.complete {
            eprintln!("elastik dump: the checkpoint says the dump is complete ({} documents)", cp.written);
            return Ok(0);
        }
        eprintln!("elastik dump: resuming after {} documents", cp.written);
        cp
    } else {
        let mut cp = DumpCheckpoint {
            command: "dump".into(),
            index: args.index.clone(),
            body: Value::Object(body.clone()),
            slices,
            output: to_file.unwrap_or("-").to_owned(),
            after: vec![Value::Null; slices as usize],
            slice_done: vec![false; slices as usize],
            ..DumpCheckpoint::default()
        };
        match open_pit(&client, &args.index, &args.keep_alive).await? {
            Some(id) => {
                cp.expected = pit_count(&client, &id, &body, &args.keep_alive).await?;
                cp.pit_id = id;
            }
            None => eprintln!("elastik dump: the server has no point in time: scrolling (without --resume)"),
        }
        cp
    };
    let scrolling = cp.pit_id.is_empty();
    let mut sink = Sink::open(to_file, args.resume.then_some(cp.offset))?;

    let counters = Arc::new(Counters::default());
    counters.docs.store(cp.written, Ordering::Relaxed);
    let total = cp.expected.map_or(Total::Unknown, Total::Docs);
    let progress = Progress::start("dump", total, &args.progress, Arc::clone(&counters));

    let base = |slice: u32| {
        let mut b = body.clone();
        if let Some(after) = cp.after.get(slice as usize).filter(|a| !a.is_null()) {
            // Continue after the last hit written (the machine's own
            // search_after takes over from the second page).
            b.insert("search_after".into(), after.clone());
        }
        ScanConfig::new(args.index.clone()).body(Value::Object(b)).size(args.size).keep_alive(args.keep_alive.clone())
    };
    type Item = (usize, Option<Result<Hit<Value>, elastik::Error>>);
    let streams: Vec<stream::BoxStream<'static, Item>> = if scrolling {
        let config = base(0).mode(ScanMode::Scroll);
        let s = scan_sliced::<_, Value>(&client, config, slices)
            .map(|r| (0usize, Some(r)))
            .chain(stream::iter([(0usize, None)]));
        vec![s.boxed()]
    } else {
        (0..slices)
            .filter(|i| !cp.slice_done[*i as usize])
            .map(|i| {
                let mut config = base(i).pit_id(cp.pit_id.clone()).mode(ScanMode::PointInTime);
                if slices > 1 {
                    config = config.slice(i, slices);
                }
                let n = i as usize;
                scan::<_, Value>(&client, config).map(move |r| (n, Some(r))).chain(stream::iter([(n, None)])).boxed()
            })
            .collect()
    };
    let mut merged = select_all(streams);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut last_save = Instant::now();
    let mut failure: Option<String> = None;
    let mut interrupted = false;
    loop {
        let next = tokio::select! {
            n = merged.next() => n,
            _ = &mut ctrl_c => { interrupted = true; None }
        };
        let Some((slice, item)) = next else { break };
        match item {
            None => {
                if let Some(done) = cp.slice_done.get_mut(slice) {
                    *done = true;
                }
            }
            Some(Ok(hit)) => {
                sink.line(&hit_lines(&hit, args.output_format))?;
                if !scrolling {
                    cp.after[slice] = Value::Array(hit.sort.clone());
                }
                cp.written += 1;
                counters.docs.fetch_add(1, Ordering::Relaxed);
                if last_save.elapsed() >= Duration::from_secs(1) {
                    last_save = Instant::now();
                    cp.offset = sink.sync()?;
                    counters.bytes.store(cp.offset, Ordering::Relaxed);
                    save(&checkpoint_path, &cp, scrolling)?;
                }
            }
            Some(Err(e)) => {
                let mut message = e.to_string();
                if args.resume && e.status().map(|s| s.as_u16()) == Some(404) {
                    message.push_str(" (the point in time may have expired: dump again without --resume)");
                }
                failure = Some(message);
                break;
            }
        }
    }
    drop(merged);
    progress.finish();
    cp.offset = sink.finish()?;
    if failure.is_some() || interrupted {
        save(&checkpoint_path, &cp, scrolling)?;
        eprintln!("elastik dump: {} documents written; the checkpoint allows --resume", cp.written);
        return match failure {
            Some(m) => Err(CliError::new(m)),
            None => Ok(EXIT_INTERRUPTED),
        };
    }
    if !scrolling {
        close_pit(&client, &cp.pit_id).await;
    }
    cp.complete = true;
    save(&checkpoint_path, &cp, scrolling)?;
    let query = body.get("query");
    let now = count_query(&client, &args.index, query).await?.unwrap_or(0);
    let mut code = 0;
    match cp.expected {
        Some(expected) => {
            eprintln!(
                "elastik dump: {} documents written; the point in time held {expected}; _count now {now}",
                cp.written
            );
            if expected != cp.written {
                code = EXIT_VERIFY;
            }
        }
        None => {
            eprintln!("elastik dump: {} documents written; _count {now}", cp.written);
            if now != cp.written {
                code = EXIT_VERIFY;
            }
        }
    }
    if code != 0 {
        eprintln!("elastik dump: the count differs from the documents written");
    } else if !explicit_checkpoint {
        if let Some(p) = &checkpoint_path {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(code)
}

fn save(path: &Option<PathBuf>, cp: &DumpCheckpoint, scrolling: bool) -> CliResult<()> {
    match path {
        Some(p) if !scrolling => checkpoint::write(p, cp),
        _ => Ok(()),
    }
}

/// Opens a point in time; `None` when the server has none (400/404/405
/// other than a missing index).
async fn open_pit(client: &Client, index: &str, keep_alive: &str) -> CliResult<Option<String>> {
    let path = format!("/{index}/_pit");
    let query = [("keep_alive", keep_alive)];
    match client.perform_request(Method::POST, &path, &query, HeaderMap::new(), Body::Empty).await {
        Ok(r) => {
            let v: Value = serde_json::from_slice(r.body()).map_err(|e| CliError::new(format!("_pit: {e}")))?;
            let id = v.get("id").and_then(Value::as_str).ok_or_else(|| CliError::new("_pit: no id in the answer"))?;
            Ok(Some(id.to_owned()))
        }
        Err(e) => {
            let missing_index = e.as_api().and_then(|a| a.error_type()) == Some("index_not_found_exception");
            match e.status().map(|s| s.as_u16()) {
                Some(400 | 404 | 405) if !missing_index => Ok(None),
                _ => Err(e.into()),
            }
        }
    }
}

/// How many documents the point in time holds for the query.
async fn pit_count(client: &Client, pit: &str, body: &Map<String, Value>, keep_alive: &str) -> CliResult<Option<u64>> {
    let mut b = Map::new();
    if let Some(q) = body.get("query") {
        b.insert("query".into(), q.clone());
    }
    b.insert("size".into(), json!(0));
    b.insert("track_total_hits".into(), json!(true));
    b.insert("pit".into(), json!({ "id": pit, "keep_alive": keep_alive }));
    let r =
        client.perform_request(Method::POST, "/_search", &[], HeaderMap::new(), Body::json(&Value::Object(b))?).await?;
    let v: Value = serde_json::from_slice(r.body()).map_err(|e| CliError::new(format!("_search: {e}")))?;
    Ok(v.pointer("/hits/total/value").and_then(Value::as_u64))
}

async fn close_pit(client: &Client, pit: &str) {
    let body = match Body::json(&json!({ "id": pit })) {
        Ok(b) => b,
        Err(_) => return,
    };
    if let Err(e) = client.perform_request(Method::DELETE, "/_pit", &[], HeaderMap::new(), body).await {
        eprintln!("elastik dump: could not close the point in time (it expires on its own): {e}");
    }
}
