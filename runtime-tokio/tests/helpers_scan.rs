//! Scan and reindex on tokio: the point in time is closed when the stream
//! ends, fails or is dropped early (against a stub and through a proxy in
//! front of noida-db), sliced scans merge into one stream, and a reindex
//! copies between two clients.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{client, json};
use elastik_testkit::{noida_urls, test_url, unique_name, FaultProxy, StubRequest, StubResponse, StubServer};
use elastik_tokio::helpers::{
    reindex, reindex_with, BulkConfig, BulkOperation, ClientHelpers, ReindexConfig, ReindexEvent, ScanConfig,
};
use elastik_tokio::http::Method;
use elastik_tokio::Client;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
struct Doc {
    n: u64,
}

/// A stub with an endless index behind a point in time: pages of `size`
/// hits sorted by their number; page `fail_page` (if any) answers 500.
fn pit_stub(fail_page: Option<u64>) -> StubServer {
    StubServer::start(move |r: &StubRequest| match (r.method.as_str(), r.path.split('?').next().unwrap_or("")) {
        ("POST", "/docs/_pit") => StubResponse::json(200, r#"{"id":"pit-1"}"#),
        ("POST", "/_search") => {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let size = body["size"].as_u64().unwrap();
            let after = body["search_after"][0].as_u64().map_or(0, |n| n + 1);
            if fail_page == Some(after / size) {
                return StubResponse::json(500, r#"{"error":{"type":"boom","reason":"boom"},"status":500}"#);
            }
            let hits: Vec<Value> = (after..after + size)
                .map(|n| json!({"_index": "docs", "_id": n.to_string(), "_source": {"n": n}, "sort": [n]}))
                .collect();
            StubResponse::json(200, json!({"pit_id": "pit-1", "hits": {"hits": hits}}).to_string())
        }
        ("DELETE", "/_pit") => StubResponse::json(200, r#"{"succeeded":true,"num_freed":1}"#),
        _ => StubResponse::json(400, r#"{"error":"unexpected"}"#),
    })
}

fn closes(stub: &StubServer) -> Vec<String> {
    stub.requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.path == "/_pit")
        .map(|r| String::from_utf8(r.body).unwrap())
        .collect()
}

/// Waits (up to 5 s) until `done` holds.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test]
async fn dropping_a_scan_early_closes_its_point_in_time() {
    let stub = pit_stub(None);
    let client = client(&stub.url());
    let mut hits = client.scan::<Doc>(ScanConfig::new("docs").size(10));
    for expected in 0..3 {
        assert_eq!(hits.next().await.unwrap().unwrap().source.n, expected);
    }
    drop(hits);
    assert!(eventually(|| !closes(&stub).is_empty()).await, "DELETE /_pit after the drop");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let closes = closes(&stub);
    assert_eq!(closes.len(), 1);
    assert!(closes[0].contains("pit-1"), "{closes:?}");
    let searches = stub.requests().iter().filter(|r| r.path == "/_search").count();
    assert!(searches <= 2, "one page ahead at most, {searches} pages fetched");
}

#[tokio::test]
async fn a_failed_page_ends_the_scan_with_its_error_after_closing() {
    let stub = pit_stub(Some(2));
    let client = client(&stub.url());
    let items: Vec<_> = client.scan::<Doc>(ScanConfig::new("docs").size(10)).collect().await;
    assert_eq!(items.len(), 21, "two pages of hits, then the error");
    assert!(items[..20].iter().all(Result::is_ok));
    assert_eq!(items[20].as_ref().unwrap_err().status().map(|s| s.as_u16()), Some(500));
    assert_eq!(closes(&stub).len(), 1, "closed before the error was handed over");
}

/// `n` documents `{"n": i}` with ids `0..n` in a new index on `client`.
async fn seeded_index(client: &Client, prefix: &str, n: u64) -> String {
    let index = unique_name(prefix);
    let mut indexer = client.bulk_indexer(BulkConfig::new().index(&index).flush_count(1000).param("refresh", "true"));
    for i in 0..n {
        indexer.add(BulkOperation::index(&json!({ "n": i })).id(i.to_string())).await.unwrap();
    }
    assert_eq!(indexer.close().await.stats.succeeded, n);
    index
}

#[tokio::test]
async fn through_a_proxy_early_drop_full_scan_and_slices_each_close_their_point_in_time() {
    let Some(url) = test_url() else { return };
    let index = seeded_index(&client(&url), "scanpit", 2500).await;
    let proxy = FaultProxy::start(&url);
    let client = client(&proxy.url());
    let closes = |proxy: &FaultProxy| proxy.log().iter().filter(|r| r.method == "DELETE" && r.path == "/_pit").count();

    let mut hits = client.scan::<Doc>(ScanConfig::new(&index).size(100));
    hits.next().await.unwrap().unwrap();
    drop(hits);
    assert!(eventually(|| closes(&proxy) == 1).await, "the early drop closed the point in time");

    let mut ids = BTreeSet::new();
    let mut hits = client.scan::<Doc>(ScanConfig::new(&index).size(1000));
    while let Some(hit) = hits.next().await {
        assert!(ids.insert(hit.unwrap().source.n));
    }
    assert_eq!(ids.len(), 2500);
    assert_eq!(hits.stats().hits, 2500);
    assert_eq!(closes(&proxy), 2);

    let sliced: Vec<_> = client.scan_sliced::<Doc>(ScanConfig::new(&index).size(300), 3).collect().await;
    let ids: BTreeSet<u64> = sliced.into_iter().map(|h| h.unwrap().source.n).collect();
    assert_eq!(ids, (0..2500).collect(), "the slices together hold every document once");
    assert!(eventually(|| closes(&proxy) == 5).await, "each slice closed its own point in time");
    json(&client, Method::DELETE, &format!("/{index}"), None).await;
}

#[tokio::test]
async fn reindex_copies_between_two_clients_with_a_transform_and_create() {
    let Some(urls) = noida_urls() else { return };
    let (source, target) = (client(&urls[0]), client(&urls[1]));
    let index = seeded_index(&source, "reindexsrc", 3000).await;
    let target_index = unique_name("reindexdst");
    let config = ReindexConfig::new(ScanConfig::new(&index).size(500), &target_index)
        .bulk(BulkConfig::new().flush_count(400).max_in_flight(2))
        .op_type_create(true);
    let stream = reindex_with(&source, &target, config, |hit| {
        let n = hit.source["n"].as_u64()?;
        let id = hit.id?;
        (n % 3 != 0).then(|| BulkOperation::create(&json!({ "n": n, "copied": true })).id(id))
    });
    let mut events = 0;
    let mut last = None;
    let progress = stream
        .run(|event, progress| {
            assert!(matches!(event, ReindexEvent::Written(o) if o.is_succeeded()), "{event:?}");
            events += 1;
            last = Some(*progress);
        })
        .await;
    assert_eq!((progress.read, progress.skipped, progress.written, progress.failed), (3000, 1000, 2000, 0));
    assert_eq!(events, 2000);
    assert_eq!(last, Some(progress));
    json(&target, Method::POST, &format!("/{target_index}/_refresh"), None).await;
    let count = json(&target, Method::GET, &format!("/{target_index}/_count?q=copied:true"), None).await;
    assert_eq!(count["count"], 2000);

    // Same client, default transform, `create` again: every id now exists.
    let config = ReindexConfig::new(ScanConfig::new(&target_index), &target_index).op_type_create(true);
    let events: Vec<_> = reindex(&target, &target, config).collect().await;
    assert_eq!(events.len(), 2000);
    assert!(events
        .iter()
        .all(|e| matches!(e, ReindexEvent::Written(o) if o.result.failure().and_then(|e| e.status()) == Some(409))));
    json(&source, Method::DELETE, &format!("/{index}"), None).await;
    json(&target, Method::DELETE, &format!("/{target_index}"), None).await;
}
