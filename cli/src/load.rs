//! `elastik load INDEX [FILES…]`: the reader thread parses records, the
//! library's bulk indexer sends them (retries, backoff, AIMD), and every
//! outcome is accounted for: succeeded, or written to the failures file.
//! A checkpoint (records acknowledged) is saved every second and at the
//! end; `--resume` skips what it holds.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use clap::Args;
use elastik::tokio::helpers::{BulkConfig, BulkIndexer, BulkOutcome, BulkResult};
use elastik::tokio::http::{HeaderMap, Method};
use elastik::tokio::{Body, Client};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::checkpoint::{self, InputId, LoadCheckpoint};
use crate::conn::Connection;
use crate::input::{self, CsvType, Format, Input, Message, Op, Options};
use crate::output::{outcome_fields, position, FailureLog};
use crate::progress::{Counters, Progress, ProgressArgs, Total};
use crate::{CliError, CliResult, EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_VERIFY};

/// Load documents into INDEX.
///
/// Inputs: NDJSON documents, bulk action/source pairs, hits as `elastik dump`
/// writes them, JSON arrays, or CSV with a header; plain or gzip (by `.gz` or
/// the magic bytes); files, or stdin (`-`, the default). Every document that
/// does not go through is written to --failures with its file, line, id and
/// reason; the exit status is 3 when there is any. A checkpoint is kept while
/// loading (removed after a clean end unless --checkpoint names it);
/// --resume skips every record it says is acknowledged.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The target index (or data stream, with --op create)
    pub index: String,
    /// Input files; `-` or none reads stdin
    pub files: Vec<String>,
    /// Input format
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Bulk action for documents (bulk pairs keep their own)
    #[arg(long, value_enum, default_value_t = Op::Index)]
    pub op: Op,
    /// Field path(s) making the `_id` (`a.b`; comma-separated for a composite id)
    #[arg(long, value_delimiter = ',', value_name = "FIELD")]
    pub id_field: Vec<String>,
    /// Separator of the parts of a composite id
    #[arg(long, default_value = ":", value_name = "SEP")]
    pub id_separator: String,
    /// Field path giving each document's routing
    #[arg(long, value_name = "FIELD")]
    pub routing_field: Option<String>,
    /// Ingest pipeline for every document
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
    /// With --op update: create the document when it is missing
    #[arg(long)]
    pub doc_as_upsert: bool,
    /// CSV column types, `name:type` (string, long, double, boolean, json); repeatable
    #[arg(long = "csv-type", value_name = "NAME:TYPE", value_parser = parse_csv_type)]
    pub csv_types: Vec<(String, CsvType)>,
    /// CSV: keep every value a string (no number/boolean inference)
    #[arg(long)]
    pub csv_no_infer: bool,
    /// CSV delimiter (default: `,`, or tab for .tsv)
    #[arg(long, value_name = "CHAR")]
    pub csv_delimiter: Option<char>,
    /// Bulk requests in flight at most
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub in_flight: usize,
    /// Documents per bulk request at most
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub chunk_size: usize,
    /// Bytes per bulk request at most (suffixes k, m: 5m)
    #[arg(long, default_value = "5m", value_parser = parse_bytes, value_name = "BYTES")]
    pub chunk_bytes: usize,
    /// Keep the chunk size and requests in flight fixed (no slowing down under push-back)
    #[arg(long)]
    pub no_adaptive: bool,
    /// How long a rejected document keeps being retried, in seconds
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub retry_budget: u64,
    /// Write every document that did not go through here, as NDJSON (appended with --resume)
    #[arg(long, value_name = "FILE")]
    pub failures: Option<PathBuf>,
    /// Checkpoint file [default: elastik-load-INDEX.checkpoint]
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Keep no checkpoint
    #[arg(long, conflicts_with = "resume")]
    pub no_checkpoint: bool,
    /// Skip the records the checkpoint says are acknowledged (same inputs, same index)
    #[arg(long)]
    pub resume: bool,
    /// At the end, refresh the index and compare its `_count` with what was created
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

fn parse_csv_type(s: &str) -> Result<(String, CsvType), String> {
    let (name, ty) = s.rsplit_once(':').ok_or_else(|| format!("{s:?}: expected NAME:TYPE"))?;
    Ok((name.to_owned(), ty.parse()?))
}

/// `5m`, `512k`, `1000000`.
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix("ib").or_else(|| t.strip_suffix('b')).unwrap_or(&t);
    let (num, mult) = match t.as_bytes().last() {
        Some(b'k') => (&t[..t.len() - 1], 1024),
        Some(b'm') => (&t[..t.len() - 1], 1024 * 1024),
        Some(b'g') => (&t[..t.len() - 1], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    let n: usize = num.trim().parse().map_err(|_| format!("{s:?} is not a size (5m, 512k, 1000000)"))?;
    n.checked_mul(mult).filter(|n| *n > 0).ok_or_else(|| format!("{s:?} is not a usable size"))
}

/// Where each operation in the indexer came from.
struct Pending {
    seq: u64,
    input: usize,
    line: u64,
    element: Option<u64>,
}

/// The bookkeeping shared with the indexer's outcome callback.
struct Tracker {
    pending: HashMap<u64, Pending>,
    checkpoint: LoadCheckpoint,
    checkpoint_path: Option<PathBuf>,
    failures: FailureLog,
    inputs: Vec<String>,
    counters: Arc<Counters>,
    created: u64,
    local_failed: u64,
    failed: u64,
    unconfirmed: u64,
    last_save: Instant,
    save_error: Option<String>,
}

impl Tracker {
    fn outcome(&mut self, outcome: BulkOutcome) {
        let Some(p) = self.pending.remove(&outcome.id.0) else { return };
        match &outcome.result {
            BulkResult::Succeeded(item) => {
                if item.result.as_deref() == Some("created") {
                    self.created += 1;
                }
            }
            BulkResult::Failed(_) | BulkResult::Unconfirmed(_) => {
                if outcome.is_failed() {
                    self.failed += 1;
                } else {
                    self.unconfirmed += 1;
                }
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                let mut entry = position(&self.inputs[p.input], p.line, p.element);
                entry.extend(outcome_fields(&outcome));
                self.failures.write(entry);
            }
        }
        self.counters.docs.fetch_add(1, Ordering::Relaxed);
        self.checkpoint.ack(p.seq);
        self.save_if_due();
    }

    fn local_failure(&mut self, record: &input::Record, failure: &input::Failure) {
        self.local_failed += 1;
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
        self.counters.docs.fetch_add(1, Ordering::Relaxed);
        let mut entry = position(&self.inputs[record.input], record.line, record.element);
        if let Some(id) = &failure.id {
            entry.insert("id".into(), json!(id));
        }
        entry.insert("result".into(), json!("failed"));
        entry.insert("reason".into(), json!(failure.reason));
        if let Some(raw) = &failure.raw {
            entry.insert("raw".into(), json!(raw));
        }
        self.failures.write(entry);
        self.checkpoint.ack(record.seq);
        self.save_if_due();
    }

    fn save_if_due(&mut self) {
        if self.last_save.elapsed() >= Duration::from_secs(1) {
            self.save();
        }
    }

    /// The failures first, then the checkpoint that counts them as done.
    fn save(&mut self) {
        self.last_save = Instant::now();
        let Some(path) = &self.checkpoint_path else { return };
        if let Err(e) = self.failures.flush() {
            self.save_error = Some(format!("cannot write the failures file: {e}"));
            return;
        }
        self.checkpoint.stats = json!({
            "acknowledged": self.checkpoint.acked(),
            "failed_this_run": self.failed + self.local_failed,
            "unconfirmed_this_run": self.unconfirmed,
        });
        if let Err(e) = checkpoint::write(path, &self.checkpoint) {
            self.save_error = Some(e.message);
        }
    }
}

fn lock(t: &Mutex<Tracker>) -> MutexGuard<'_, Tracker> {
    t.lock().unwrap_or_else(PoisonError::into_inner)
}

pub async fn run(conn: &Connection, args: LoadArgs) -> CliResult<u8> {
    let files = if args.files.is_empty() { vec!["-".to_owned()] } else { args.files.clone() };
    if files.iter().filter(|f| *f == "-").count() > 1 {
        return Err(CliError::with_code(2, "stdin (-) can be read once"));
    }
    let inputs: Vec<Input> = files.iter().map(|f| Input::new(f)).collect::<Result<_, _>>()?;
    let ids: Vec<InputId> = inputs.iter().map(|i| InputId { path: i.path.clone(), size: i.size }).collect();
    let explicit_checkpoint = args.checkpoint.is_some();
    let checkpoint_path = (!args.no_checkpoint).then(|| {
        args.checkpoint.clone().unwrap_or_else(|| PathBuf::from(format!("elastik-load-{}.checkpoint", args.index)))
    });
    let start = if args.resume {
        let path = checkpoint_path.as_ref().expect("--resume conflicts with --no-checkpoint");
        let cp: LoadCheckpoint = checkpoint::read(path)?;
        if cp.command != "load" || cp.index != args.index || cp.inputs != ids {
            return Err(CliError::new(format!(
                "--resume: the checkpoint {} is for index {:?} and inputs {:?}, not these",
                path.display(),
                cp.index,
                cp.inputs.iter().map(|i| &i.path).collect::<Vec<_>>()
            )));
        }
        if ids.iter().any(|i| i.size.is_none()) {
            eprintln!("elastik load: resuming from stdin: the input must be the same bytes as before");
        }
        eprintln!("elastik load: resuming: {} records already acknowledged", cp.acked());
        cp
    } else {
        LoadCheckpoint { command: "load".into(), index: args.index.clone(), inputs: ids, ..LoadCheckpoint::default() }
    };
    let client = conn.client()?;
    let count_before = if args.verify { count(&client, &args.index).await?.unwrap_or(0) } else { 0 };

    let options = Options {
        format: args.format,
        op: args.op,
        id_fields: args.id_field.clone(),
        id_separator: args.id_separator.clone(),
        routing_field: args.routing_field.clone(),
        doc_as_upsert: args.doc_as_upsert,
        csv_delimiter: match args.csv_delimiter {
            None => None,
            Some(c) if c.is_ascii() => Some(c as u8),
            Some(c) => return Err(CliError::with_code(2, format!("--csv-delimiter {c:?} is not one ASCII character"))),
        },
        csv_types: args.csv_types.iter().cloned().collect(),
        csv_infer: !args.csv_no_infer,
    };
    let counters = Arc::new(Counters::default());
    let total = match inputs.iter().map(|i| i.size).collect::<Option<Vec<u64>>>() {
        Some(sizes) => Total::Bytes(sizes.iter().sum()),
        None => Total::Unknown,
    };
    let progress = Progress::start("load", total, &args.progress, Arc::clone(&counters));
    let failures = FailureLog::open(args.failures.as_deref(), args.resume)?;
    let tracker = Arc::new(Mutex::new(Tracker {
        pending: HashMap::new(),
        checkpoint: start.clone(),
        checkpoint_path: checkpoint_path.clone(),
        failures,
        inputs: files.clone(),
        counters: Arc::clone(&counters),
        created: 0,
        local_failed: 0,
        failed: 0,
        unconfirmed: 0,
        last_save: Instant::now(),
        save_error: None,
    }));

    let mut config = BulkConfig::new()
        .index(args.index.clone())
        .flush_count(args.chunk_size)
        .flush_bytes(args.chunk_bytes)
        .max_in_flight(args.in_flight)
        .adaptive(!args.no_adaptive);
    config.item_retry.budget = Duration::from_secs(args.retry_budget);
    config.request_retry.budget = Duration::from_secs(args.retry_budget);
    if let Some(p) = &args.pipeline {
        config = config.param("pipeline", p);
    }
    let on_outcome = Arc::clone(&tracker);
    let on_progress = Arc::clone(&counters);
    let mut indexer = BulkIndexer::new(&client, config)
        .on_outcome(move |o| lock(&on_outcome).outcome(o))
        .on_progress(move |r| on_progress.retried.store(r.stats.retried, Ordering::Relaxed));

    let (tx, mut rx) = mpsc::channel(1024);
    let reader = input::spawn_reader(inputs, options, start, tx, Arc::clone(&counters));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut interrupted = false;
    let mut fatal: Vec<String> = Vec::new();
    let mut next_op = 0u64;
    loop {
        let message = tokio::select! {
            m = rx.recv() => m,
            _ = &mut ctrl_c => {
                interrupted = true;
                None
            }
        };
        let Some(message) = message else { break };
        match message {
            Message::Record(record) => match &record.op {
                Err(failure) => lock(&tracker).local_failure(&record, failure),
                Ok(_) => {
                    let pending =
                        Pending { seq: record.seq, input: record.input, line: record.line, element: record.element };
                    // Registered before the add: the outcome may come back at once.
                    lock(&tracker).pending.insert(next_op, pending);
                    let op = record.op.expect("matched Ok");
                    let id = indexer.add(op).await.map_err(|_| CliError::new("the bulk indexer stopped"))?;
                    debug_assert_eq!(id.0, next_op);
                    next_op += 1;
                }
            },
            Message::Fatal { input, line, message } => {
                let at = if line > 0 { format!(" (line {line})") } else { String::new() };
                eprintln!("elastik load: {message}{at}; the rest of {} is not loaded", files[input]);
                fatal.push(message);
            }
        }
    }
    drop(rx);
    if interrupted {
        eprintln!("elastik load: interrupted; finishing the requests in flight");
    }
    let report = indexer.close().await;
    // The reader ends at its next send once the channel is closed.
    let _ = tokio::task::spawn_blocking(move || reader.join()).await;
    progress.finish();

    // The tracker is locked in a block of its own: no await while it is held.
    let (created, complete, not_through) = {
        let mut t = lock(&tracker);
        t.checkpoint.complete = !interrupted && fatal.is_empty() && t.pending.is_empty();
        t.save();
        let s = report.stats;
        let local = t.local_failed;
        eprintln!(
            "elastik load: submitted {}, succeeded {}, failed {}, unconfirmed {}, retried {} ({} item, {} request), \
             invalid records {}, {} requests, {:.0} docs/s in {:.1?}",
            s.submitted,
            s.succeeded,
            s.failed,
            s.unconfirmed,
            s.retried,
            s.item_retries,
            s.request_retries,
            local,
            s.requests,
            report.docs_per_second(),
            report.elapsed
        );
        let not_through = s.failed + s.unconfirmed + local;
        if not_through > 0 {
            match t.failures.path() {
                Some(p) => eprintln!("elastik load: {not_through} documents did not go through: see {}", p.display()),
                None => {
                    eprintln!("elastik load: {not_through} documents did not go through (--failures FILE lists them)")
                }
            }
        }
        if let Some(e) = t.save_error.take() {
            return Err(CliError::new(e));
        }
        let created = t.created;
        let complete = t.checkpoint.complete;
        (created, complete, not_through)
    };

    let mut code = 0;
    if args.verify {
        refresh(&client, &args.index).await?;
        let after = count(&client, &args.index).await?.unwrap_or(0);
        let delta = after.saturating_sub(count_before);
        eprintln!("elastik load: verify: _count {after} (was {count_before}: +{delta}), documents created {created}");
        if delta != created {
            eprintln!("elastik load: verify: the count differs from the documents created");
            code = EXIT_VERIFY;
        }
    }
    if !fatal.is_empty() {
        return Err(CliError::new(format!(
            "{} input(s) could not be read to the end: {}",
            fatal.len(),
            fatal.join("; ")
        )));
    }
    if interrupted {
        return Ok(EXIT_INTERRUPTED);
    }
    if not_through > 0 {
        return Ok(EXIT_INCOMPLETE);
    }
    if complete && code == 0 && !explicit_checkpoint {
        if let Some(p) = &checkpoint_path {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(code)
}

/// `_count` of `index`; `None` when the index does not exist.
pub async fn count(client: &Client, index: &str) -> CliResult<Option<u64>> {
    count_query(client, index, None).await
}

/// `_count` of `index` for a query; `None` when the index does not exist.
pub async fn count_query(client: &Client, index: &str, query: Option<&Value>) -> CliResult<Option<u64>> {
    let body = match query {
        Some(q) => Body::json(&json!({ "query": q }))?,
        None => Body::Empty,
    };
    let method = if query.is_some() { Method::POST } else { Method::GET };
    let path = format!("/{index}/_count");
    match client.perform_request(method, &path, &[], HeaderMap::new(), body).await {
        Ok(response) => {
            let v: Value =
                serde_json::from_slice(response.body()).map_err(|e| CliError::new(format!("_count: {e}")))?;
            v.get("count")
                .and_then(Value::as_u64)
                .map(Some)
                .ok_or_else(|| CliError::new("_count: no count in the answer"))
        }
        Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `POST /{index}/_refresh`.
pub async fn refresh(client: &Client, index: &str) -> CliResult<()> {
    let path = format!("/{index}/_refresh");
    client.perform_request(Method::POST, &path, &[], HeaderMap::new(), Body::Empty).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_take_suffixes_and_refuse_nonsense() {
        assert_eq!(parse_bytes("5m"), Ok(5 * 1024 * 1024));
        assert_eq!(parse_bytes("512k"), Ok(512 * 1024));
        assert_eq!(parse_bytes("1MiB"), Ok(1024 * 1024));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("lots").is_err());
    }
}
