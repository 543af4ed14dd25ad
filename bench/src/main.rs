//! `elastik-bench`: elastik as a client of the shared benchmark harness.
//!
//! It obeys the driver contract of `../shared/bench/README.md` ("Plugging in
//! a new client") and uses elastik the way a user would: the typed `search`
//! builder, the bulk indexer helper, typed hits. One JSON line on stdout,
//! everything else on stderr, non-zero exit on any error.
//!
//! ```text
//! elastik-bench --mode latency|throughput|bulk|big --url http://127.0.0.1:19300
//!     [--runtime tokio|async-std|blocking]   (default tokio; throughput: async only)
//!     [--n N] [--concurrency C] [--index NAME] [--decode value|typed|envelope]
//!     [--chunk-docs 500] [--chunk-bytes 5242880] [--warmup W] [--rt multi|current]
//! ```
//!
//! `--decode` in `big` mode: `value` decodes the whole body into a
//! `serde_json::Value`, `typed` into `SearchResponse<Doc>` (typed hits),
//! `envelope` is what `search().send()` gives by default (the typed
//! `SearchResponse` with `serde_json::Value` sources). In `bulk` mode the
//! helper reads the answer item by item whatever `--decode` says.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use elastik_bench::{make_doc, peak_rss_kb, quantile_us, reset_peak_rss, rss_kb, Doc, QUERY_JSON};
use elastik_proto::helpers::bulk::{BulkConfig, BulkOperation, BulkStats};
use elastik_proto::Error;
use elastik_types::global::SearchResponse;
use serde_json::{json, Map, Value};

type Fallible<T> = Result<T, Box<dyn StdError>>;
type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Raw = http::Response<Bytes>;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Runtime {
    Tokio,
    AsyncStd,
    Blocking,
}

#[derive(Clone, Debug)]
struct Args {
    mode: String,
    url: String,
    runtime: Runtime,
    n: u64,
    concurrency: usize,
    index: String,
    decode: String,
    chunk_docs: usize,
    chunk_bytes: usize,
    warmup: u64,
    rt: String,
}

impl Args {
    fn parse(argv: impl IntoIterator<Item = String>) -> Fallible<Args> {
        let mut mode = None;
        let mut url = None;
        let mut runtime = Runtime::Tokio;
        let mut n: Option<u64> = None;
        let mut concurrency: Option<usize> = None;
        let mut index: Option<String> = None;
        let mut warmup: Option<u64> = None;
        let mut decode = "value".to_owned();
        let (mut chunk_docs, mut chunk_bytes) = (500usize, 5 * 1024 * 1024usize);
        let mut rt = "multi".to_owned();
        let mut argv = argv.into_iter();
        while let Some(flag) = argv.next() {
            let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--mode" => mode = Some(value),
                "--url" => url = Some(value.trim_end_matches('/').to_owned()),
                "--runtime" => {
                    runtime = match value.as_str() {
                        "tokio" => Runtime::Tokio,
                        "async-std" => Runtime::AsyncStd,
                        "blocking" => Runtime::Blocking,
                        other => return Err(format!("--runtime {other}: tokio, async-std or blocking").into()),
                    }
                }
                "--n" => n = Some(value.parse()?),
                "--concurrency" => concurrency = Some(value.parse()?),
                "--index" => index = Some(value),
                "--decode" => decode = value,
                "--chunk-docs" => chunk_docs = value.parse()?,
                "--chunk-bytes" => chunk_bytes = value.parse()?,
                "--warmup" => warmup = Some(value.parse()?),
                "--rt" => rt = value,
                other => return Err(format!("unknown option {other}").into()),
            }
        }
        let mode = mode.ok_or("--mode is required")?;
        let url = url.ok_or("--url is required")?;
        let (dn, dc, di) = match mode.as_str() {
            "latency" => (20_000, 1, "bench"),
            "throughput" => (20_000, 64, "bench"),
            "bulk" => (200_000, 1, "bench"),
            "big" => (50, 1, "big"),
            other => return Err(format!("--mode {other}: latency, throughput, bulk or big").into()),
        };
        if !matches!(decode.as_str(), "value" | "typed" | "envelope") {
            return Err(format!("--decode {decode}: value, typed or envelope").into());
        }
        let n = n.unwrap_or(dn);
        let warmup = warmup.unwrap_or(match mode.as_str() {
            "latency" | "throughput" => (n / 10).min(1000),
            _ => 1,
        });
        Ok(Args {
            runtime,
            n,
            concurrency: concurrency.unwrap_or(dc).max(1),
            index: index.unwrap_or_else(|| di.to_owned()),
            decode,
            chunk_docs,
            chunk_bytes,
            warmup,
            rt,
            mode,
            url,
        })
    }

    fn runtime_name(&self) -> &'static str {
        match self.runtime {
            Runtime::Tokio => "tokio",
            Runtime::AsyncStd => "async-std",
            Runtime::Blocking => "blocking",
        }
    }

    fn query(&self) -> Value {
        serde_json::from_str(QUERY_JSON).expect("the query is JSON")
    }

    fn bulk_config(&self) -> BulkConfig {
        // Sequential chunks by default (the analogue of streaming_bulk); the
        // index goes on every action line, as the harness's action reads.
        BulkConfig::new()
            .flush_count(self.chunk_docs)
            .flush_bytes(self.chunk_bytes)
            .flush_interval(None)
            .max_in_flight(self.concurrency)
            .max_buffered(self.chunk_docs)
    }
}

fn main() -> std::process::ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("elastik-bench: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match args.runtime {
        Runtime::Tokio => run_tokio(&args),
        Runtime::AsyncStd => run_async_std(&args),
        Runtime::Blocking => run_blocking(&args),
    };
    match result {
        Ok(fields) => {
            let mut line = Map::new();
            line.insert("client".into(), json!(format!("elastik-{}", args.runtime_name())));
            line.insert("mode".into(), json!(args.mode));
            line.insert("n".into(), json!(args.n));
            line.insert("concurrency".into(), json!(args.concurrency));
            line.insert("runtime".into(), json!(args.runtime_name()));
            if args.runtime == Runtime::Tokio {
                line.insert("rt".into(), json!(args.rt));
            }
            line.extend(fields);
            line.insert("vm_hwm_kb".into(), json!(peak_rss_kb()));
            println!("{}", Value::Object(line));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("elastik-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------
// What every runtime reports.

fn request_rates(n: u64, elapsed: Duration, mut lat: Vec<u64>) -> Map<String, Value> {
    lat.sort_unstable();
    let el = elapsed.as_secs_f64();
    obj(
        json!({"elapsed_s": el, "rps": n as f64 / el, "p50_us": quantile_us(&lat, 0.5), "p99_us": quantile_us(&lat, 0.99)}),
    )
}

fn bulk_rates(a: &Args, stats: BulkStats, elapsed: Duration) -> Fallible<Map<String, Value>> {
    if stats.succeeded != a.n || stats.failed != 0 {
        return Err(format!("bulk: {} of {} documents indexed, {} failed", stats.succeeded, a.n, stats.failed).into());
    }
    let el = elapsed.as_secs_f64();
    Ok(obj(json!({"docs": a.n, "chunks": stats.requests, "elapsed_s": el, "docs_per_s": a.n as f64 / el,
                  "mb_per_s": stats.bytes as f64 / 1e6 / el, "decode": "items"})))
}

/// Accumulates the `big` mode: transfer + decode time, decode time alone,
/// bytes and hits, and the resident-set peak above the level before the
/// first answer (body and decoded value alive together), in KiB.
#[derive(Default)]
struct Big {
    bytes: u64,
    hits: u64,
    decode: Duration,
    peak_delta_kb: u64,
}

impl Big {
    /// Decodes one raw answer the `--decode` way; returns the hits.
    fn decode(&mut self, how: &str, raw: &Raw) -> Fallible<u64> {
        let t = Instant::now();
        let hits: usize = match how {
            "typed" => {
                let r: SearchResponse<Doc> = elastik_proto::endpoint::decode_json(raw)?;
                hit_count(&r)
            }
            "envelope" => {
                let r: SearchResponse = elastik_proto::endpoint::decode_json(raw)?;
                hit_count(&r)
            }
            _ => {
                let v: Value = elastik_proto::endpoint::decode_json(raw)?;
                v["hits"]["hits"].as_array().map_or(0, |h| h.len())
            }
        };
        let hits = hits as u64;
        self.decode += t.elapsed();
        self.bytes += raw.body().len() as u64;
        self.hits += hits;
        if hits == 0 {
            return Err("big: no hits decoded".into());
        }
        Ok(hits)
    }

    fn report(&self, a: &Args, elapsed: Duration) -> Map<String, Value> {
        let el = elapsed.as_secs_f64();
        let per = self.bytes / a.n.max(1);
        obj(json!({"decode": a.decode, "elapsed_s": el, "bytes_per_response": per, "hits_decoded": self.hits,
                   "mb_per_s": self.bytes as f64 / 1e6 / el,
                   "decode_s": self.decode.as_secs_f64(),
                   "decode_mb_per_s": self.bytes as f64 / 1e6 / self.decode.as_secs_f64(),
                   "peak_delta_kb": self.peak_delta_kb,
                   "peak_delta_per_body": (self.peak_delta_kb * 1024) as f64 / per.max(1) as f64}))
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Hits in a typed answer (`hits` and `hits.hits` are optional in the spec).
fn hit_count<T>(r: &SearchResponse<T>) -> usize {
    r.hits.hits.len()
}

fn search_hits(r: &SearchResponse) -> Fallible<()> {
    match hit_count(r) {
        0 => Err("search: no hits".into()),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The async runtimes share one driver; each hands it its client's calls
// (already boxed futures: no extra allocation) and a spawner.

struct AsyncOps {
    search: Arc<dyn Fn() -> BoxFut<Result<SearchResponse, Error>> + Send + Sync>,
    big: Arc<dyn Fn() -> BoxFut<Result<Raw, Error>> + Send + Sync>,
    spawn: fn(BoxFut<Vec<u64>>) -> BoxFut<Vec<u64>>,
}

impl AsyncOps {
    fn new<X>(client: elastik_api::Client<X>, a: &Args, spawn: fn(BoxFut<Vec<u64>>) -> BoxFut<Vec<u64>>) -> Self
    where
        X: elastik_proto::Executor<Output<Result<SearchResponse, Error>> = BoxFut<Result<SearchResponse, Error>>>,
        X: elastik_proto::Executor<Output<Result<Raw, Error>> = BoxFut<Result<Raw, Error>>>,
    {
        let (c1, c2) = (client.clone(), client);
        let (index, query) = (a.index.clone(), a.query());
        let big_index = a.index.clone();
        AsyncOps {
            search: Arc::new(move || c1.search().index(index.as_str()).json_body(&query).send()),
            big: Arc::new(move || c2.search().index(big_index.as_str()).send_raw()),
            spawn,
        }
    }
}

async fn async_latency(ops: &AsyncOps, a: &Args) -> Fallible<Map<String, Value>> {
    for _ in 0..a.warmup {
        search_hits(&(ops.search)().await?)?;
    }
    let mut lat = Vec::with_capacity(a.n as usize);
    let t0 = Instant::now();
    for _ in 0..a.n {
        let t = Instant::now();
        let r = (ops.search)().await?;
        lat.push(t.elapsed().as_nanos() as u64);
        search_hits(&r)?;
    }
    Ok(request_rates(a.n, t0.elapsed(), lat))
}

async fn async_throughput(ops: &AsyncOps, a: &Args) -> Fallible<Map<String, Value>> {
    let failures = Arc::new(AtomicU64::new(0));
    let round = |total: u64| {
        let next = Arc::new(AtomicU64::new(0));
        let workers: Vec<BoxFut<Vec<u64>>> = (0..a.concurrency)
            .map(|_| {
                let (search, next, failures) = (ops.search.clone(), next.clone(), failures.clone());
                (ops.spawn)(Box::pin(async move {
                    let mut lat = Vec::new();
                    while next.fetch_add(1, Ordering::Relaxed) < total {
                        let t = Instant::now();
                        let ok = search().await.map(|r| search_hits(&r).is_ok()).unwrap_or(false);
                        lat.push(t.elapsed().as_nanos() as u64);
                        if !ok {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    lat
                }))
            })
            .collect();
        async move {
            let mut all = Vec::with_capacity(total as usize);
            for w in workers {
                all.extend(w.await);
            }
            all
        }
    };
    round(a.warmup.max(a.concurrency as u64)).await;
    let t0 = Instant::now();
    let lat = round(a.n).await;
    let elapsed = t0.elapsed();
    match failures.load(Ordering::Relaxed) {
        0 => Ok(request_rates(a.n, elapsed, lat)),
        f => Err(format!("throughput: {f} requests failed").into()),
    }
}

async fn async_big(ops: &AsyncOps, a: &Args) -> Fallible<Map<String, Value>> {
    // The first (warm-up) answer also measures memory, before the allocator
    // holds on to anything from earlier answers.
    let mut warm = Big::default();
    let mut first_peak = 0;
    for w in 0..a.warmup.max(1) {
        let probe = w == 0 && reset_peak_rss();
        let before = rss_kb();
        warm.decode(&a.decode, &(ops.big)().await?)?;
        if probe {
            first_peak = peak_rss_kb().saturating_sub(before);
        }
    }
    let mut big = Big { peak_delta_kb: first_peak, ..Big::default() };
    let t0 = Instant::now();
    for _ in 0..a.n {
        let raw = (ops.big)().await?;
        big.decode(&a.decode, &raw)?;
    }
    Ok(big.report(a, t0.elapsed()))
}

async fn async_mode(ops: &AsyncOps, a: &Args) -> Fallible<Map<String, Value>> {
    match a.mode.as_str() {
        "latency" => async_latency(ops, a).await,
        "throughput" => async_throughput(ops, a).await,
        _ => async_big(ops, a).await,
    }
}

// ---------------------------------------------------------------------------
// tokio. Bulk goes through each runtime's `helpers::BulkIndexer`.

fn run_tokio(a: &Args) -> Fallible<Map<String, Value>> {
    let rt = match a.rt.as_str() {
        "multi" => tokio::runtime::Builder::new_multi_thread().enable_all().build()?,
        "current" => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
        other => return Err(format!("--rt {other}: multi or current").into()),
    };
    // The client is built inside the runtime, as `#[tokio::main]` code would.
    let _inside = rt.enter();
    let client = elastik_tokio::Client::builder().node(a.url.as_str()).connections_per_node(a.concurrency).build()?;
    if a.mode == "bulk" {
        return rt.block_on(tokio_bulk(&client, a));
    }
    let spawn: fn(BoxFut<Vec<u64>>) -> BoxFut<Vec<u64>> = |f| {
        let handle = tokio::spawn(f);
        Box::pin(async move { handle.await.unwrap_or_default() })
    };
    let ops = AsyncOps::new(client, a, spawn);
    rt.block_on(async_mode(&ops, a))
}

async fn tokio_bulk(client: &elastik_tokio::Client, a: &Args) -> Fallible<Map<String, Value>> {
    use elastik_tokio::helpers::ClientHelpers;
    let docs: Vec<Doc> = (0..a.n).map(make_doc).collect();
    let t0 = Instant::now();
    let mut indexer = client.bulk_indexer(a.bulk_config());
    for d in &docs {
        let op = BulkOperation::index(d).index_name(a.index.as_str()).id(d.id.to_string());
        indexer.add(op).await.map_err(|e| e.to_string())?;
    }
    let report = indexer.close().await;
    bulk_rates(a, report.stats, t0.elapsed())
}

// ---------------------------------------------------------------------------
// async-std.

fn run_async_std(a: &Args) -> Fallible<Map<String, Value>> {
    let client =
        elastik_async_std::Client::builder().node(a.url.as_str()).connections_per_node(a.concurrency).build()?;
    if a.mode == "bulk" {
        return async_std::task::block_on(async_std_bulk(&client, a));
    }
    let spawn: fn(BoxFut<Vec<u64>>) -> BoxFut<Vec<u64>> = |f| Box::pin(async_std::task::spawn(f));
    let ops = AsyncOps::new(client, a, spawn);
    async_std::task::block_on(async_mode(&ops, a))
}

async fn async_std_bulk(client: &elastik_async_std::Client, a: &Args) -> Fallible<Map<String, Value>> {
    use elastik_async_std::helpers::ClientHelpers;
    let docs: Vec<Doc> = (0..a.n).map(make_doc).collect();
    let t0 = Instant::now();
    let mut indexer = client.bulk_indexer(a.bulk_config());
    for d in &docs {
        let op = BulkOperation::index(d).index_name(a.index.as_str()).id(d.id.to_string());
        indexer.add(op).await.map_err(|e| e.to_string())?;
    }
    let report = indexer.close().await;
    bulk_rates(a, report.stats, t0.elapsed())
}

// ---------------------------------------------------------------------------
// blocking: the same calls without `.await`.

fn run_blocking(a: &Args) -> Fallible<Map<String, Value>> {
    let client =
        elastik_blocking::Client::builder().node(a.url.as_str()).connections_per_node(a.concurrency).build()?;
    let query = a.query();
    let search = || client.search().index(a.index.as_str()).json_body(&query).send();
    match a.mode.as_str() {
        "latency" => {
            for _ in 0..a.warmup {
                search_hits(&search()?)?;
            }
            let mut lat = Vec::with_capacity(a.n as usize);
            let t0 = Instant::now();
            for _ in 0..a.n {
                let t = Instant::now();
                let r = search()?;
                lat.push(t.elapsed().as_nanos() as u64);
                search_hits(&r)?;
            }
            Ok(request_rates(a.n, t0.elapsed(), lat))
        }
        "throughput" => Err("throughput is measured for the async runtimes only (tokio, async-std)".into()),
        "bulk" => {
            use elastik_blocking::helpers::ClientHelpers;
            let docs: Vec<Doc> = (0..a.n).map(make_doc).collect();
            let t0 = Instant::now();
            let mut indexer = client.bulk_indexer(a.bulk_config());
            for d in &docs {
                let op = BulkOperation::index(d).index_name(a.index.as_str()).id(d.id.to_string());
                indexer.add(op).map_err(|e| e.to_string())?;
            }
            let report = indexer.close();
            bulk_rates(a, report.stats, t0.elapsed())
        }
        _ => {
            let fetch = || client.search().index(a.index.as_str()).send_raw();
            let mut warm = Big::default();
            let mut first_peak = 0;
            for w in 0..a.warmup.max(1) {
                let probe = w == 0 && reset_peak_rss();
                let before = rss_kb();
                warm.decode(&a.decode, &fetch()?)?;
                if probe {
                    first_peak = peak_rss_kb().saturating_sub(before);
                }
            }
            let mut big = Big { peak_delta_kb: first_peak, ..Big::default() };
            let t0 = Instant::now();
            for _ in 0..a.n {
                let raw = fetch()?;
                big.decode(&a.decode, &raw)?;
            }
            let elapsed = t0.elapsed();
            Ok(big.report(a, elapsed))
        }
    }
}
