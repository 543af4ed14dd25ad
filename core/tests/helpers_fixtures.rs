//! The official Python helpers' recorded exchanges, replayed through the
//! machines: each request the machine sends must match a recorded one
//! (method, path, query, JSON or NDJSON body), which answers it.
//!
//! The fixtures stay in `../shared/fixtures/recorded/_scenarios` (relative to
//! the workspace root); the tests skip with a message when it is absent.
#![allow(clippy::disallowed_methods)] // one Instant::now() per test, as the clock's origin

mod helpers_support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use elastik_proto::helpers::bulk::{BulkConfig, BulkIndexer, BulkOperation};
use elastik_proto::helpers::reindex::{Reindex, ReindexConfig, ReindexEvent};
use elastik_proto::helpers::scan::{Scan, ScanConfig, ScanMode};
use elastik_proto::{Body, Error};
use helpers_support::*;
use serde_json::{json, Value};

fn scenario(name: &str) -> Option<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/recorded/_scenarios");
    let path = dir.join(format!("{name}.json"));
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).unwrap()),
        Err(_) => {
            println!("skipped: no fixture at {}", path.display());
            None
        }
    }
}

/// Answers each request with the first unused recorded exchange it matches.
struct Replay {
    exchanges: Vec<(Value, Value)>,
    used: Vec<bool>,
    order: Vec<usize>,
}

impl Replay {
    fn new(fixture: &Value) -> Self {
        let exchanges: Vec<_> = fixture["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["request"].clone(), e["response"].clone()))
            .collect();
        Replay { used: vec![false; exchanges.len()], exchanges, order: Vec::new() }
    }

    fn answer(&mut self, request: &http::Request<Body>) -> Result<http::Response<Bytes>, Error> {
        let query: BTreeMap<String, String> = request
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let body = match request.body() {
            Body::Ndjson(_) => Value::Array(lines(request)),
            _ => json_body(request),
        };
        for (i, (recorded, response)) in self.exchanges.iter().enumerate() {
            let recorded_query: BTreeMap<String, String> = recorded["query"]
                .as_object()
                .map(|q| q.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect())
                .unwrap_or_default();
            if !self.used[i]
                && recorded["method"] == request.method().as_str()
                && recorded["path"] == request.uri().path()
                && recorded_query == query
                && recorded["body"] == body
            {
                self.used[i] = true;
                self.order.push(i);
                return Ok(resp(response["status"].as_u64().unwrap() as u16, &response["body"]));
            }
        }
        panic!("no recorded exchange matches {} {} {body}", request.method(), request.uri());
    }

    fn unused(&self) -> Vec<String> {
        self.exchanges
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|((r, _), _)| format!("{} {}", r["method"].as_str().unwrap(), r["path"].as_str().unwrap()))
            .collect()
    }
}

/// The Python action dicts as operations.
fn operations(fixture: &Value) -> Vec<BulkOperation> {
    fixture["args"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let id = a["_id"].as_str().unwrap();
            let op = match a.get("_op_type").and_then(Value::as_str).unwrap_or("index") {
                "index" => BulkOperation::index(&a["_source"]).id(id),
                "create" => BulkOperation::create(&a["_source"]).id(id),
                "update" => BulkOperation::update(id, &json!({ "doc": a["doc"] })),
                "delete" => BulkOperation::delete(id),
                other => panic!("unknown op {other}"),
            };
            op.index_name(a["_index"].as_str().unwrap())
        })
        .collect()
}

fn replay_bulk(name: &str) -> Option<(BulkIndexer, Trace<elastik_proto::helpers::bulk::BulkOutcome>)> {
    let fixture = scenario(name)?;
    let args = &fixture["args"];
    let mut config = BulkConfig::new().flush_count(args["chunk_size"].as_u64().unwrap() as usize);
    if args.get("refresh") == Some(&json!(true)) {
        config = config.param("refresh", true);
    }
    let now = Instant::now();
    let mut bulk = BulkIndexer::new(config);
    for op in operations(&fixture) {
        bulk.add(op, now).unwrap();
    }
    bulk.close();
    let mut replay = Replay::new(&fixture);
    let trace = drive(&mut bulk, now, |r| replay.answer(r));
    assert!(replay.unused().is_empty(), "{name}: not replayed: {:?}", replay.unused());
    assert_eq!(replay.order, (0..replay.exchanges.len()).collect::<Vec<_>>(), "{name}: same order");
    Some((bulk, trace))
}

#[test]
fn bulk_230_docs_in_chunks_of_50() {
    for name in ["helpers-bulk-230-docs-chunk-50", "helpers-streaming-bulk-230-docs-chunk-50"] {
        let Some((bulk, trace)) = replay_bulk(name) else {
            return;
        };
        assert_eq!(trace.sent.len(), 5);
        assert_eq!((bulk.stats().succeeded, bulk.stats().failed), (230, 0), "{name}");
    }
}

#[test]
fn bulk_with_item_errors_accounts_each_item() {
    let Some((bulk, trace)) = replay_bulk("helpers-streaming-bulk-with-item-errors") else {
        return;
    };
    let failed: Vec<_> = trace
        .emitted
        .iter()
        .filter_map(|o| o.result.failure().map(|e| (o.operation.meta().id.clone().unwrap(), e.status().unwrap())))
        .collect();
    assert_eq!(
        failed,
        [("d010".to_owned(), 400), ("d011".to_owned(), 400), ("d012".to_owned(), 400), ("d000".to_owned(), 409)]
    );
    let s = bulk.stats();
    assert_eq!((s.submitted, s.succeeded, s.failed, s.retried), (64, 60, 4, 0));
}

fn replay_scan(name: &str, config: impl FnOnce(&Value) -> ScanConfig) -> Option<Vec<Value>> {
    let fixture = scenario(name)?;
    let mut scan = Scan::<Value>::new(config(&fixture["args"]));
    let mut replay = Replay::new(&fixture);
    let trace = drive(&mut scan, Instant::now(), |r| replay.answer(r));
    assert!(replay.unused().is_empty(), "{name}: not replayed: {:?}", replay.unused());
    assert_eq!(replay.order, (0..replay.exchanges.len()).collect::<Vec<_>>(), "{name}: same order");
    Some(trace.emitted.into_iter().map(|h| h.unwrap().source).collect())
}

#[test]
fn scan_by_scroll_230_docs() {
    let Some(docs) = replay_scan("helpers-scan-230-docs-size-50", |args| {
        ScanConfig::new(args["index"].as_str().unwrap())
            .mode(ScanMode::Scroll)
            .size(args["size"].as_u64().unwrap() as u32)
            .keep_alive(args["scroll"].as_str().unwrap())
            .body(args["query"].clone())
    }) else {
        return;
    };
    assert_eq!(docs.len(), 230);
    assert_eq!(docs.iter().map(|d| d["n"].as_u64().unwrap()).collect::<Vec<_>>(), (0..230).collect::<Vec<_>>());
}

#[test]
fn scan_preserving_order() {
    let Some(docs) = replay_scan("helpers-scan-preserve-order-filtered", |args| {
        ScanConfig::new(args["index"].as_str().unwrap())
            .preserve_order(true)
            .size(args["size"].as_u64().unwrap() as u32)
            .keep_alive(args["scroll"].as_str().unwrap())
            .body(args["query"].clone())
    }) else {
        return;
    };
    assert_eq!(docs.len(), 115);
    assert!(docs.windows(2).all(|w| w[0]["n"].as_u64() < w[1]["n"].as_u64()));
}

#[test]
fn reindex_230_docs() {
    let name = "helpers-reindex-230-docs-target-client";
    let Some(fixture) = scenario(name) else {
        return;
    };
    let args = &fixture["args"];
    let chunk = args["chunk_size"].as_u64().unwrap() as usize;
    let scan = ScanConfig::new(args["source_index"].as_str().unwrap())
        .mode(ScanMode::Scroll)
        .size(args["scan_kwargs"]["size"].as_u64().unwrap() as u32);
    let config = ReindexConfig::new(scan, args["target_index"].as_str().unwrap())
        .bulk(BulkConfig::new().flush_count(chunk).param("refresh", true));
    let mut reindex = Reindex::new(config);
    let mut replay = Replay::new(&fixture);
    let trace = drive(&mut reindex, Instant::now(), |r| replay.answer(r));
    // The Python helper first asks whether the target is a data stream; we
    // take that as configuration (`op_type_create`).
    assert_eq!(replay.unused(), ["GET /_data_stream/reidx-dest"]);
    let p = reindex.progress();
    assert_eq!((p.read, p.written, p.failed, p.skipped, p.read_errors), (230, 230, 0, 0, 0));
    assert!(trace.emitted.iter().all(|e| matches!(e, ReindexEvent::Written(o) if o.is_succeeded())));
}
