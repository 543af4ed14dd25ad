//! The transport and the bulk indexer against real Elasticsearch: a three-node
//! cluster (one JVM per node, started by `scripts/servers.sh
//! start-elasticsearch-cluster`) and a single node whose write thread pool has a
//! tiny queue. Nodes are killed (SIGKILL) and restarted through `servers.sh`.
//!
//! Reads `ELASTIK_TEST_ES_CLUSTER` (the cluster's name in `.servers/`),
//! `ELASTIK_TEST_ES_CLUSTER_URLS` and `ELASTIK_TEST_ES_TINY_QUEUE_URL`; each test
//! skips when its variable is unset (`scripts/test.sh` sets them).
#![allow(clippy::await_holding_lock)] // see `exclusive`

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{builder, call, client, json};
use elastik_testkit::unique_name;
use elastik_tokio::helpers::{BulkConfig, BulkError, BulkOperation, BulkResult, ClientHelpers, OpType, ScanConfig};
use elastik_tokio::http::Method;
use elastik_tokio::Client;
use futures_util::StreamExt;
use serde_json::json;

fn env(name: &str) -> Option<String> {
    let value = std::env::var(name).ok().filter(|v| !v.is_empty());
    if value.is_none() {
        elastik_testkit::note(format!(
            "skipped: {name} is not set (scripts/test.sh starts real Elasticsearch and sets it)"
        ));
    }
    value
}

/// The cluster: its name (for `servers.sh`) and its three URLs.
fn cluster() -> Option<(String, Vec<String>)> {
    let name = env("ELASTIK_TEST_ES_CLUSTER")?;
    let urls: Vec<String> = env("ELASTIK_TEST_ES_CLUSTER_URLS")?.split(',').map(str::to_owned).collect();
    assert_eq!(urls.len(), 3, "three cluster URLs");
    Some((name, urls))
}

/// The tests of this file kill and restart the cluster's nodes: one at a time.
/// (Each test runs on a runtime of its own, so holding this guard across
/// awaits blocks only the other tests, which is the point.)
fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// SIGKILL to cluster member `name.i` (no clean shutdown: the process is gone).
fn kill_member(cluster: &str, i: usize) {
    let pid_file = repo_root().join(".servers").join(format!("{cluster}.{i}")).join("pid");
    let pid = std::fs::read_to_string(&pid_file).unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()));
    let status = Command::new("kill").args(["-KILL", pid.trim()]).status().expect("kill");
    assert!(status.success(), "kill -KILL {pid}");
}

/// Starts member `name.i` again (same ports, same data) and waits until it answers.
fn restart_member(cluster: &str, i: usize) {
    let started = Instant::now();
    let status = Command::new("bash")
        .arg(repo_root().join("scripts/servers.sh"))
        .args(["start-elasticsearch-member", &format!("{cluster}.{i}")])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("servers.sh");
    assert!(status.success(), "servers.sh start-elasticsearch-member {cluster}.{i}");
    eprintln!("restarted {cluster}.{i} in {:?}", started.elapsed());
}

/// Waits (on the server) until the cluster has `nodes` nodes and `status` health.
async fn wait_for_cluster(client: &Client, nodes: usize, status: &str) {
    let path = format!("/_cluster/health?wait_for_nodes={nodes}&wait_for_status={status}&timeout=120s");
    let health = json(client, Method::GET, &path, None).await;
    assert_eq!(health["timed_out"], false, "{health}");
}

/// Which node answered `GET /` (the answer names the node that served it).
async fn answered_by(client: &Client) -> String {
    let info = json(client, Method::GET, "/", None).await;
    info["name"].as_str().expect("name").to_owned()
}

#[tokio::test]
async fn sniffing_a_real_cluster_finds_three_nodes_and_requests_go_round_robin() {
    let Some((name, urls)) = cluster() else { return };
    let _one_at_a_time = exclusive();
    // One seed: the other two nodes come from the cluster's own `_nodes/http`.
    let client = builder().node(&urls[0]).sniff_on_start(true).build().unwrap();
    let mut by_node: BTreeMap<String, usize> = BTreeMap::new();
    let mut order = Vec::new();
    for _ in 0..30 {
        let node = answered_by(&client).await;
        *by_node.entry(node.clone()).or_default() += 1;
        order.push(node);
    }
    let expected: BTreeMap<String, usize> = (1..=3).map(|i| (format!("{name}.{i}"), 10)).collect();
    assert_eq!(by_node, expected, "30 requests over the three sniffed nodes: {order:?}");
    // Round-robin: each window of three consecutive requests saw all three nodes.
    for window in order.windows(3) {
        let distinct: BTreeSet<&String> = window.iter().collect();
        assert_eq!(distinct.len(), 3, "{order:?}");
    }
    let debug = format!("{client:?}");
    for url in &urls {
        let hostport = url.trim_start_matches("http://");
        assert!(debug.contains(hostport), "{hostport} sniffed: {debug}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_run_fails_no_request_and_is_used_again_once_restarted() {
    let Some((name, urls)) = cluster() else { return };
    let _one_at_a_time = exclusive();
    let client = builder().nodes(urls.iter()).build().unwrap();
    wait_for_cluster(&client, 3, "green").await;
    let index = unique_name("realkill");
    let settings = json!({"settings": {"number_of_shards": 3, "number_of_replicas": 2}});
    json(&client, Method::PUT, &format!("/{index}"), Some(settings)).await;
    wait_for_cluster(&client, 3, "green").await;

    let victim = format!("{name}.2");
    let mut answered: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    const REQUESTS: usize = 300;
    for i in 0..REQUESTS {
        if i == REQUESTS / 3 {
            kill_member(&name, 2);
        }
        // Idempotent writes and reads: a write whose answer was lost may be resent.
        let doc = format!("/{index}/_doc/{i}");
        if let Err(e) = call(&client, Method::PUT, &doc, Some(json!({ "i": i }))).await {
            failures.push(format!("PUT {doc}: {e}"));
        }
        match call(&client, Method::GET, "/", None).await {
            Ok(r) => {
                let info: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
                *answered.entry(info["name"].as_str().unwrap().to_owned()).or_default() += 1;
            }
            Err(e) => failures.push(format!("GET /: {e}")),
        }
    }
    eprintln!("during the kill: {REQUESTS} PUTs + {REQUESTS} GETs, answered by {answered:?}, failures {failures:?}");
    assert!(failures.is_empty(), "no request fails while {victim} is killed: {failures:?}");
    json(&client, Method::POST, &format!("/{index}/_refresh"), None).await;
    let count = json(&client, Method::GET, &format!("/{index}/_count"), None).await;
    assert_eq!(count["count"], REQUESTS, "every acknowledged PUT is in the index: {count}");

    restart_member(&name, 2);
    wait_for_cluster(&client, 3, "yellow").await;
    // The restarted node comes back into rotation once its dead-node backoff ends.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut after = 0;
    loop {
        after += 1;
        if answered_by(&client).await == victim {
            break;
        }
        assert!(Instant::now() < deadline, "{victim} never answered again after its restart ({after} requests)");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("{victim} answered again after {after} requests");
    wait_for_cluster(&client, 3, "green").await;
    json(&client, Method::DELETE, &format!("/{index}"), None).await;
}

/// A document with id `i`.
fn doc(i: u64) -> BulkOperation {
    BulkOperation::raw(OpType::Index, format!(r#"{{"n":{i},"tag":"t{}"}}"#, i % 7)).id(i.to_string())
}

/// Every `_id` of `index`, by a scan without sources.
async fn scanned_ids(client: &Client, index: &str) -> Vec<String> {
    let config = ScanConfig::new(index).size(5_000).body(json!({ "_source": false }));
    let mut hits = client.scan::<serde_json::Value>(config);
    let mut ids = Vec::new();
    while let Some(hit) = hits.next().await {
        ids.push(hit.unwrap_or_else(|e| panic!("scan of {index}: {e}")).id.expect("hits have ids"));
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_429s_from_a_tiny_write_queue_are_retried_by_the_bulk_indexer_with_defaults() {
    let Some(url) = env("ELASTIK_TEST_ES_TINY_QUEUE_URL") else { return };
    let client = client(&url);
    let pools = json(&client, Method::GET, "/_nodes/settings?filter_path=nodes.*.settings.thread_pool", None).await;
    assert!(pools.to_string().contains(r#""queue_size":"1""#), "the node runs a write queue of 1: {pools}");
    // Two shards: one bulk request is two write tasks (one thread, a queue of
    // one); the indexer's two requests in flight are four, so the server
    // rejects some shard requests: their items come back 429.
    let index = unique_name("real429");
    let settings = json!({"settings": {"number_of_shards": 2, "number_of_replicas": 0}});
    json(&client, Method::PUT, &format!("/{index}"), Some(settings)).await;
    let write_pool = "/_nodes/stats/thread_pool?filter_path=nodes.*.thread_pool.write";
    let rejected = |stats: &serde_json::Value| -> u64 {
        let nodes = stats["nodes"].as_object().expect("nodes");
        nodes.values().map(|n| n["thread_pool"]["write"]["rejected"].as_u64().expect("rejected")).sum()
    };
    let before = rejected(&json(&client, Method::GET, write_pool, None).await);

    const N: u64 = 20_000;
    let outcomes: Arc<Mutex<HashMap<String, Result<(), String>>>> = Arc::default();
    let seen = Arc::clone(&outcomes);
    let mut indexer = client.bulk_indexer(BulkConfig::new().index(&index)).on_outcome(move |o| {
        let id = o.operation.meta().id.clone().expect("ids given");
        let describe = |e: &BulkError| match e {
            BulkError::Item { status, cause } => {
                format!("{status} {}", cause.as_ref().and_then(|c| c.kind.as_deref()).unwrap_or(""))
            }
            other => format!("{other}"),
        };
        let result = match &o.result {
            BulkResult::Succeeded(_) => Ok(()),
            BulkResult::Failed(e) => Err(describe(e)),
            BulkResult::Unconfirmed(e) => Err(format!("unconfirmed: {}", describe(e))),
        };
        assert!(seen.lock().unwrap().insert(id.clone(), result).is_none(), "a second outcome for {id}");
    });
    for i in 0..N {
        indexer.add(doc(i)).await.expect("the indexer runs");
    }
    let report = indexer.close().await;
    let rejections = rejected(&json(&client, Method::GET, write_pool, None).await) - before;
    let outcomes = outcomes.lock().unwrap().clone();
    let mut failures: BTreeMap<&str, usize> = BTreeMap::new();
    for error in outcomes.values().filter_map(|r| r.as_ref().err()) {
        *failures.entry(error.as_str()).or_default() += 1;
    }
    eprintln!(
        "tiny write queue, indexer defaults: {:?}, the server rejected {rejections} shard write tasks, failures {failures:?}",
        report.stats
    );
    assert!(rejections > 0, "the server rejected writes (real 429s)");
    assert!(report.stats.retried > 0, "the 429s were retried: {:?}", report.stats);
    assert_eq!(report.stats.submitted, N);
    assert_eq!(outcomes.len() as u64, N, "one outcome per operation");
    assert_eq!(report.stats.succeeded + report.stats.failed + report.stats.unconfirmed, N, "the accounting adds up");
    let succeeded: BTreeSet<&String> = outcomes.iter().filter(|(_, r)| r.is_ok()).map(|(id, _)| id).collect();
    assert_eq!(succeeded.len() as u64, report.stats.succeeded);
    // What failed for good failed with the server's 429, after its retries.
    assert!(failures.keys().all(|f| *f == "429 es_rejected_execution_exception"), "only rejections fail: {failures:?}");
    // The index holds exactly the documents reported indexed.
    json(&client, Method::POST, &format!("/{index}/_refresh"), None).await;
    let ids = scanned_ids(&client, &index).await;
    let found: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(found.len(), ids.len(), "no id twice");
    assert_eq!(found, succeeded, "the index holds exactly the succeeded documents");
    json(&client, Method::DELETE, &format!("/{index}"), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_documents_with_replicas_while_a_node_is_killed_every_acknowledged_one_is_found() {
    let Some((name, urls)) = cluster() else { return };
    let _one_at_a_time = exclusive();
    let docs: u64 = std::env::var("ELASTIK_REAL_BULK_DOCS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let client = builder().node(&urls[0]).sniff_on_start(true).build().unwrap();
    wait_for_cluster(&client, 3, "green").await;
    let index = unique_name("realbulk");
    let settings = json!({"settings": {"number_of_shards": 3, "number_of_replicas": 1}});
    json(&client, Method::PUT, &format!("/{index}"), Some(settings)).await;
    wait_for_cluster(&client, 3, "green").await;

    let outcomes_seen: Arc<Mutex<HashMap<String, bool>>> = Arc::default();
    let seen = Arc::clone(&outcomes_seen);
    let config = BulkConfig::new().index(&index).flush_count(1000).max_in_flight(2);
    let mut indexer = client.bulk_indexer(config).on_outcome(move |o| {
        let id = o.operation.meta().id.clone().expect("ids given");
        let previous = seen.lock().unwrap().insert(id.clone(), o.result.is_succeeded());
        assert!(previous.is_none(), "a second outcome for {id}");
    });
    let started = Instant::now();
    for i in 0..docs {
        if i == docs * 2 / 5 {
            kill_member(&name, 3);
        }
        indexer.add(doc(i)).await.expect("the indexer runs");
    }
    let report = indexer.close().await;
    let elapsed = started.elapsed();
    let stats = report.stats;
    let outcomes = outcomes_seen.lock().unwrap().clone();
    let acknowledged: BTreeSet<&String> = outcomes.iter().filter(|(_, ok)| **ok).map(|(id, _)| id).collect();

    // The two live nodes hold a copy of every shard (one replica): read it all.
    let survivor = client_of(&urls[0]);
    json(&survivor, Method::POST, &format!("/{index}/_refresh"), None).await;
    let ids = scanned_ids(&survivor, &index).await;
    let found: BTreeSet<&String> = ids.iter().collect();
    eprintln!(
        "100k with a node killed at 40%: submitted {}, succeeded {}, failed {}, retried {}, requests {}, \
         found {} ({} scanned), {:.0} docs/s over {elapsed:?}",
        stats.submitted,
        stats.succeeded,
        stats.failed,
        stats.retried,
        stats.requests,
        found.len(),
        ids.len(),
        report.docs_per_second()
    );
    assert_eq!(found.len(), ids.len(), "no id twice in the index");
    assert_eq!(stats.submitted, docs);
    assert_eq!(outcomes.len() as u64, docs, "one outcome per operation");
    assert_eq!(stats.succeeded + stats.failed + stats.unconfirmed, stats.submitted, "the accounting adds up");
    assert_eq!(acknowledged.len() as u64, stats.succeeded, "the stats count the outcomes");
    let lost: Vec<&&String> = acknowledged.difference(&found).take(10).collect();
    assert!(lost.is_empty(), "acknowledged documents missing from the index: {lost:?}");
    // An id is in the index only if it was sent (and with explicit ids, once).
    assert!(found.iter().all(|id| id.parse::<u64>().is_ok_and(|n| n < docs)));
    assert_eq!(stats.failed, 0, "with a replica of every shard alive, nothing fails for good");

    restart_member(&name, 3);
    wait_for_cluster(&survivor, 3, "green").await;
    json(&survivor, Method::DELETE, &format!("/{index}"), None).await;
}

fn client_of(url: &str) -> Client {
    client(url)
}
