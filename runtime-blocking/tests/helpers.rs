//! The helpers on threads: 200,000 documents through the bulk indexer and
//! back out through a scan; the indexer through fault-injecting proxies in
//! front of three noida-db nodes (one killed mid-run), where every
//! operation ends in exactly one outcome and the index holds exactly the
//! succeeded documents; chunks in flight at once and back-pressure against
//! a stub; scans that close their point in time when
//! dropped early; `bulk` over a stream; a reindex between two clients.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use elastik_blocking::helpers::{
    bulk, reindex_with, BackoffPolicy, BulkConfig, BulkOperation, ClientHelpers, OpType, ReindexConfig, ReindexEvent,
    ScanConfig,
};
use elastik_blocking::{Body, Client, Error, HeaderMap};
use elastik_testkit::{noida_urls, test_url, unique_name, Fault, FaultProxy, StubRequest, StubResponse, StubServer};
use http::Method;
use serde_json::{json, Value};

fn builder(url: &str) -> elastik_blocking::ClientBuilder<Client> {
    Client::builder().node(url).backoff(Duration::from_millis(1), Duration::from_millis(20))
}

fn call(
    client: &Client,
    method: Method,
    path: &str,
    _body: Option<Value>,
) -> Result<http::Response<bytes::Bytes>, Error> {
    client.perform_request(method, path, &[], HeaderMap::new(), Body::Empty)
}

fn body_json(response: &http::Response<bytes::Bytes>) -> Value {
    serde_json::from_slice(response.body()).expect("a JSON body")
}

fn client(url: &str) -> Client {
    builder(url).build().expect("client")
}

fn request(client: &Client, method: Method, path: &str) -> Value {
    let response = call(client, method.clone(), path, None).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    body_json(&response)
}

/// A document with id `i` (pre-serialized, as a loader would send it).
fn doc(i: u64) -> BulkOperation {
    BulkOperation::raw(OpType::Index, format!(r#"{{"n":{i},"tag":"t{}"}}"#, i % 7)).id(i.to_string())
}

/// Every `_id` of `index` on `client`, by a sourceless scan in pages of
/// 10,000 (noida's `max_result_window`).
fn scanned_ids(client: &Client, index: &str, slices: u32) -> Vec<String> {
    let config = ScanConfig::new(index).size(10_000).body(json!({ "_source": false }));
    let hits = client.scan_sliced::<Value>(config, slices);
    let mut ids = Vec::new();
    for hit in hits {
        ids.push(hit.unwrap_or_else(|e| panic!("scan of {index}: {e}")).id.expect("hits have ids"));
    }
    ids
}

#[test]
fn two_hundred_thousand_documents_go_in_and_each_is_scanned_once() {
    let Some(url) = test_url() else { return };
    const N: u64 = 200_000;
    let client = client(&url);
    let index = unique_name("blk200k");
    let config = BulkConfig::new().index(&index).max_in_flight(4).flush_count(5000);
    let progress_calls = Arc::new(Mutex::new(0u64));
    let calls = Arc::clone(&progress_calls);
    let mut indexer = client.bulk_indexer(config).on_progress(move |_| *calls.lock().unwrap() += 1);
    let started = Instant::now();
    for i in 0..N {
        indexer.add(doc(i)).expect("not closed");
    }
    let report = indexer.close();
    let bulk_time = started.elapsed();
    assert_eq!((report.stats.submitted, report.stats.succeeded, report.stats.failed), (N, N, 0), "{report:?}");
    assert!(*progress_calls.lock().unwrap() >= report.stats.requests);

    request(&client, Method::POST, &format!("/{index}/_refresh"));
    let count = request(&client, Method::GET, &format!("/{index}/_count"));
    assert_eq!(count["count"], N);

    let started = Instant::now();
    let ids = scanned_ids(&client, &index, 1);
    let scan_time = started.elapsed();
    let mut seen = vec![0u8; N as usize];
    for id in &ids {
        seen[id.parse::<usize>().expect("numeric id")] += 1;
    }
    assert_eq!(ids.len() as u64, N);
    assert!(seen.iter().all(|&n| n == 1), "each id exactly once");
    eprintln!(
        "blocking 200k: bulk {bulk_time:?} ({:.0} docs/s, {} requests, {} bytes), count {}, scan {scan_time:?} ({} hits)",
        report.docs_per_second(),
        report.stats.requests,
        report.stats.bytes,
        count["count"],
        ids.len(),
    );
    request(&client, Method::DELETE, &format!("/{index}"));
}

/// Answers bulk requests after `delay`, every item created; records the
/// most requests served at once.
fn slow_bulk_stub(delay: Duration) -> (StubServer, Arc<Mutex<(usize, usize)>>) {
    let gauge = Arc::new(Mutex::new((0usize, 0usize)));
    let g = Arc::clone(&gauge);
    let stub = StubServer::start(move |r| {
        {
            let mut g = g.lock().unwrap();
            g.0 += 1;
            g.1 = g.1.max(g.0);
        }
        std::thread::sleep(delay);
        g.lock().unwrap().0 -= 1;
        let lines = r.body.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
        let items = vec![r#"{"index":{"_id":"x","status":201}}"#; lines / 2].join(",");
        StubResponse::json(200, format!(r#"{{"errors":false,"items":[{items}]}}"#))
    });
    (stub, gauge)
}

/// Chunks go out `max_in_flight` at once, driven by `add`/`close` alone.
fn chunks_in_flight() {
    let (stub, gauge) = slow_bulk_stub(Duration::from_millis(150));
    let client = client(&stub.url());
    let config = BulkConfig::new().index("c").flush_count(10).max_in_flight(4);
    let mut indexer = client.bulk_indexer(config);
    let outcomes = indexer.outcomes();
    let started = Instant::now();
    for i in 0..80 {
        indexer.add(doc(i)).unwrap();
    }
    let report = indexer.close();
    let elapsed = started.elapsed();
    assert_eq!((report.stats.succeeded, report.stats.requests), (80, 8));
    assert_eq!(gauge.lock().unwrap().1, 4, "at most and at least 4 chunks at once");
    assert!(elapsed < Duration::from_millis(8 * 150), "8 chunks of 150 ms took {elapsed:?}");
    let mut ids = BTreeSet::new();
    for outcome in outcomes {
        assert!(outcome.is_succeeded());
        ids.insert(outcome.id.0);
    }
    assert_eq!(ids, (0..80).collect());
}

#[test]
fn chunks_are_sent_concurrently_up_to_max_in_flight() {
    chunks_in_flight();
}

#[test]
fn add_waits_while_the_indexer_is_full_and_flush_waits_for_outcomes() {
    let (stub, _) = slow_bulk_stub(Duration::from_millis(100));
    let client = client(&stub.url());
    let config = BulkConfig::new().index("c").flush_count(10).max_in_flight(1).flush_interval(None);
    let decided = Arc::new(Mutex::new(0u64));
    let d = Arc::clone(&decided);
    let mut indexer = client.bulk_indexer(config).on_outcome(move |_| *d.lock().unwrap() += 1);
    let started = Instant::now();
    for i in 0..60 {
        indexer.add(doc(i)).unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(400), "back-pressure: {:?}", started.elapsed());
    indexer.add(doc(60)).unwrap();
    indexer.flush();
    assert_eq!(*decided.lock().unwrap(), 61, "flush returns once every operation added has its outcome");
    let report = indexer.close();
    assert_eq!(report.stats.succeeded, 61);
}

#[test]
fn bulk_turns_a_stream_of_operations_into_a_stream_of_outcomes() {
    let (stub, gauge) = slow_bulk_stub(Duration::from_millis(20));
    let client = client(&stub.url());
    let operations = (0..1000).map(doc);
    let outcomes: Vec<_> =
        bulk(&client, operations, BulkConfig::new().index("c").flush_count(100).max_in_flight(3)).collect();
    assert_eq!(outcomes.len(), 1000);
    assert!(outcomes.iter().all(|o| o.is_succeeded()));
    assert_eq!(gauge.lock().unwrap().1, 3, "the stream keeps 3 chunks in flight");
}

/// SplitMix64, for the seeded fault plan.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A seeded sequence of faults and passes, one per request.
fn fault_plan(rng: &mut Rng, len: usize) -> Vec<Fault> {
    (0..len)
        .map(|_| match rng.below(100) {
            0..=14 => Fault::RewriteBulkItems {
                status: 429,
                every: 2 + rng.below(8) as usize,
                offset: rng.below(10) as usize,
            },
            15..=22 => Fault::Status(429),
            23..=30 => Fault::Status(503),
            31..=35 => Fault::ResetBeforeResponse,
            36..=39 => Fault::ResetAfterHeaders,
            _ => Fault::Pass,
        })
        .collect()
}

#[test]
fn through_faults_and_a_killed_node_every_operation_has_one_outcome_and_nothing_is_lost() {
    let Some(urls) = noida_urls() else { return };
    // The issue's scenario: 100,000 documents across three nodes under seeded faults.
    let docs: u64 = std::env::var("ELASTIK_FAULT_DOCS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let seed = std::env::var("ELASTIK_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xb10c_fa17);
    let mut rng = Rng(seed);
    let proxies: Vec<FaultProxy> = urls.iter().map(|u| FaultProxy::start(u)).collect();
    for proxy in &proxies {
        for fault in fault_plan(&mut rng, 2000) {
            proxy.push(fault);
        }
    }
    let faulty = Client::builder()
        .nodes(proxies.iter().map(FaultProxy::url))
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .unwrap();
    let index = unique_name("blkfaults");
    let retry = BackoffPolicy::new().max_retries(12).backoff(Duration::from_millis(5), Duration::from_millis(100));
    let config = BulkConfig::new().index(&index).flush_count(250).max_in_flight(4).retry(retry).seed(seed);
    let outcomes_seen: Arc<Mutex<HashMap<String, bool>>> = Arc::default();
    let seen = Arc::clone(&outcomes_seen);
    let mut indexer = faulty.bulk_indexer(config).on_outcome(move |o| {
        let id = o.operation.meta().id.clone().expect("ids given");
        let previous = seen.lock().unwrap().insert(id.clone(), o.is_succeeded());
        assert!(previous.is_none(), "a second outcome for {id}");
    });
    let mut expected_failures = 0;
    for i in 0..docs {
        if i == docs * 2 / 5 {
            proxies[1].kill();
        }
        // One in 1000 updates a missing document: a 404 that no retry fixes.
        let op = if i % 1000 == 999 {
            expected_failures += 1;
            BulkOperation::update_doc(format!("missing-{i}"), &json!({ "n": i }))
        } else {
            doc(i)
        };
        indexer.add(op).unwrap();
    }
    let report = indexer.close();
    let stats = report.stats;
    let outcomes = outcomes_seen.lock().unwrap().clone();
    let succeeded: BTreeSet<&String> = outcomes.iter().filter(|(_, ok)| **ok).map(|(id, _)| id).collect();

    // The three noida nodes are independent one-node clusters: each is read
    // directly (not through the proxies). A chunk whose answer was lost may
    // have been applied on one node and retried on another, so an id may be
    // on two nodes; within one node no id repeats.
    let mut found = BTreeSet::new();
    let mut copies = 0u64;
    let mut per_node = Vec::new();
    for url in &urls {
        let direct = client(url);
        if call(&direct, Method::POST, &format!("/{index}/_refresh"), None).is_err() {
            per_node.push(0);
            continue;
        }
        let ids = scanned_ids(&direct, &index, 1);
        let distinct: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(distinct.len(), ids.len(), "an id repeated within {url}");
        per_node.push(ids.len());
        for id in distinct {
            if !found.insert(id) {
                copies += 1;
            }
        }
    }
    eprintln!(
        "blocking faults (seed {seed:#x}): submitted {}, succeeded {}, failed {}, retried {}, requests {}, found in the index {} \
         (per node {per_node:?}, {copies} on a second node), proxies saw {:?} requests, {:.0} docs/s",
        stats.submitted,
        stats.succeeded,
        stats.failed,
        stats.retried,
        stats.requests,
        found.len(),
        proxies.iter().map(FaultProxy::requests).collect::<Vec<_>>(),
        report.docs_per_second(),
    );
    assert_eq!(stats.submitted, docs);
    assert_eq!(stats.succeeded + stats.failed + stats.unconfirmed, stats.submitted);
    assert_eq!(stats.unconfirmed, 0, "with ids every lost answer is repeated");
    assert_eq!(outcomes.len() as u64, docs, "one outcome per operation");
    assert_eq!(stats.failed, expected_failures, "only the updates of missing documents fail");
    assert!(stats.retried > 0, "the faults caused retries");
    let found_refs: BTreeSet<&String> = found.iter().collect();
    assert_eq!(found_refs, succeeded, "the index holds exactly the succeeded documents");
    for url in &urls {
        let _ = call(&client(url), Method::DELETE, &format!("/{index}"), None);
    }
}

#[derive(Debug, serde::Deserialize)]
struct Doc {
    n: u64,
}

/// A stub with an endless index behind a point in time.
fn pit_stub() -> StubServer {
    StubServer::start(move |r: &StubRequest| match (r.method.as_str(), r.path.split('?').next().unwrap_or("")) {
        ("POST", "/docs/_pit") => StubResponse::json(200, r#"{"id":"pit-1"}"#),
        ("POST", "/_search") => {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let size = body["size"].as_u64().unwrap();
            let after = body["search_after"][0].as_u64().map_or(0, |n| n + 1);
            let hits: Vec<Value> = (after..after + size)
                .map(|n| json!({"_index": "docs", "_id": n.to_string(), "_source": {"n": n}, "sort": [n]}))
                .collect();
            StubResponse::json(200, json!({"pit_id": "pit-1", "hits": {"hits": hits}}).to_string())
        }
        ("DELETE", "/_pit") => StubResponse::json(200, r#"{"succeeded":true,"num_freed":1}"#),
        _ => StubResponse::json(400, r#"{"error":"unexpected"}"#),
    })
}

fn pit_closes(stub: &StubServer) -> usize {
    stub.requests().iter().filter(|r| r.method == "DELETE" && r.path == "/_pit").count()
}

/// Waits (up to 5 s) until `done` holds.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

#[test]
fn dropping_a_scan_early_closes_its_point_in_time_and_close_awaits_it() {
    let stub = pit_stub();
    let client = client(&stub.url());
    let mut hits = client.scan::<Doc>(ScanConfig::new("docs").size(10));
    for expected in 0..3 {
        assert_eq!(hits.next().unwrap().unwrap().source.n, expected);
    }
    drop(hits);
    assert_eq!(pit_closes(&stub), 1, "DELETE /_pit answered before drop returned");

    let mut hits = client.scan::<Doc>(ScanConfig::new("docs").size(10));
    hits.next().unwrap().unwrap();
    hits.close();
    assert_eq!(pit_closes(&stub), 2, "close() returns once the point in time is closed");

    let mut hits = client.scan_sliced::<Doc>(ScanConfig::new("docs").size(10), 3);
    hits.next().unwrap().unwrap();
    drop(hits);
    assert_eq!(pit_closes(&stub), 5, "each slice closed its point in time before drop returned");
    eprintln!(
        "blocking scan stub: {} point-in-time closes for 3 early stops (one of them sliced in 3)",
        pit_closes(&stub)
    );
}

#[test]
fn through_a_proxy_early_drop_full_scan_and_slices_each_close_their_point_in_time() {
    let Some(url) = test_url() else { return };
    let direct = client(&url);
    let index = unique_name("blkscanpit");
    let mut indexer = direct.bulk_indexer(BulkConfig::new().index(&index).flush_count(1000).param("refresh", "true"));
    for i in 0..2500 {
        indexer.add(BulkOperation::index(&json!({ "n": i })).id(i.to_string())).unwrap();
    }
    assert_eq!(indexer.close().stats.succeeded, 2500);
    let proxy = FaultProxy::start(&url);
    let client = client(&proxy.url());
    let closes = |proxy: &FaultProxy| proxy.log().iter().filter(|r| r.method == "DELETE" && r.path == "/_pit").count();

    let mut hits = client.scan::<Doc>(ScanConfig::new(&index).size(100));
    hits.next().unwrap().unwrap();
    drop(hits);
    assert!(eventually(|| closes(&proxy) == 1), "the early drop closed the point in time");

    let mut ids = BTreeSet::new();
    let mut hits = client.scan::<Doc>(ScanConfig::new(&index).size(1000));
    for hit in hits.by_ref() {
        assert!(ids.insert(hit.unwrap().source.n));
    }
    assert_eq!(ids.len(), 2500);
    assert_eq!(closes(&proxy), 2);

    let sliced: Vec<_> = client.scan_sliced::<Doc>(ScanConfig::new(&index).size(300), 3).collect();
    let ids: BTreeSet<u64> = sliced.into_iter().map(|h| h.unwrap().source.n).collect();
    assert_eq!(ids, (0..2500).collect(), "the slices together hold every document once");
    assert!(eventually(|| closes(&proxy) == 5), "each slice closed its own point in time");
    eprintln!("blocking scan proxy: {} point-in-time closes (early drop, full scan, 3 slices)", closes(&proxy));
    request(&direct, Method::DELETE, &format!("/{index}"));
}

#[test]
fn reindex_copies_between_two_clients_with_a_transform() {
    let Some(urls) = noida_urls() else { return };
    let (source, target) = (client(&urls[0]), client(&urls[1]));
    let index = unique_name("blkreindexsrc");
    let mut indexer = source.bulk_indexer(BulkConfig::new().index(&index).flush_count(1000).param("refresh", "true"));
    for i in 0..3000 {
        indexer.add(BulkOperation::index(&json!({ "n": i })).id(i.to_string())).unwrap();
    }
    indexer.close();
    let target_index = unique_name("blkreindexdst");
    let config = ReindexConfig::new(ScanConfig::new(&index).size(500), &target_index)
        .bulk(BulkConfig::new().flush_count(400).max_in_flight(2))
        .op_type_create(true);
    let stream = reindex_with(&source, &target, config, |hit| {
        let n = hit.source["n"].as_u64()?;
        let id = hit.id?;
        (n % 3 != 0).then(|| BulkOperation::create(&json!({ "n": n, "copied": true })).id(id))
    });
    let mut events = 0;
    let progress = stream.run(|event, _| {
        assert!(matches!(event, ReindexEvent::Written(o) if o.is_succeeded()), "{event:?}");
        events += 1;
    });
    assert_eq!((progress.read, progress.skipped, progress.written, progress.failed), (3000, 1000, 2000, 0));
    assert_eq!(events, 2000);
    request(&target, Method::POST, &format!("/{target_index}/_refresh"));
    assert_eq!(request(&target, Method::GET, &format!("/{target_index}/_count?q=copied:true"))["count"], 2000);
    request(&source, Method::DELETE, &format!("/{index}"));
    request(&target, Method::DELETE, &format!("/{target_index}"));
}
