//! Reindex: scan + bulk composed, with a transform, roles and progress.
#![allow(clippy::disallowed_methods)] // one Instant::now() per test, as the clock's origin

mod helpers_support;

use std::time::Instant;

use elastik_proto::helpers::bulk::{BulkConfig, BulkOperation};
use elastik_proto::helpers::reindex::{Reindex, ReindexConfig, ReindexEvent};
use elastik_proto::helpers::scan::ScanConfig;
use elastik_proto::helpers::Role;
use elastik_proto::machine::Step;
use helpers_support::*;
use serde_json::json;

#[test]
fn transform_skip_create_and_roles() {
    let total = 25u64;
    let scan = ScanConfig::new("src").size(10);
    let config = ReindexConfig::new(scan, "stream").op_type_create(true).bulk(BulkConfig::new().flush_count(4));
    let mut reindex = Reindex::with_transform(config, |hit| {
        let n = hit.source["n"].as_u64().unwrap();
        (n % 5 != 0).then(|| BulkOperation::create(&json!({ "n": n * 10 })).id(hit.id.unwrap()))
    });
    let trace = drive(&mut reindex, Instant::now(), |request| {
        let body = json_body_or_lines(request);
        Ok(match (request.method().as_str(), request.uri().path()) {
            ("POST", "/src/_pit") => resp(200, &json!({"id": "p"})),
            ("POST", "/_search") => {
                let from = body.get("search_after").map_or(0, |a| a[0].as_u64().unwrap() + 1);
                let hits: Vec<_> = (from..(from + 10).min(total))
                    .map(|n| json!({"_index": "src", "_id": format!("d{n}"), "_source": {"n": n}, "sort": [n]}))
                    .collect();
                resp(200, &json!({"pit_id": "p", "hits": {"hits": hits}}))
            }
            ("DELETE", "/_pit") => resp(200, &json!({"succeeded": true})),
            ("PUT", "/_bulk") => {
                assert!(bulk_actions(request).iter().all(|(op, _)| op == "create"));
                assert_eq!(lines(request)[0]["create"]["_index"], "stream");
                bulk_answer(request, |_, _| 201)
            }
            other => panic!("unexpected {other:?}"),
        })
    });
    for (_, s) in &trace.sent {
        let expected = if s.endpoint_id == "bulk" { Role::Write } else { Role::Read };
        assert_eq!(s.role, expected);
    }
    assert_eq!(trace.sent.iter().filter(|(_, s)| s.endpoint_id == "close_point_in_time").count(), 1);
    let p = reindex.progress();
    assert_eq!((p.read, p.skipped, p.written, p.failed), (25, 5, 20, 0));
    assert_eq!(trace.emitted.iter().filter(|e| matches!(e, ReindexEvent::Written(_))).count(), 20);
}

#[test]
fn cancelling_closes_the_source_and_writes_what_was_read() {
    let t0 = Instant::now();
    let mut reindex = Reindex::new(ReindexConfig::new(ScanConfig::new("src").size(10), "dst"));
    let mut sent = Vec::new();
    loop {
        match reindex.poll(t0) {
            Step::Send(s) => {
                let answer = match s.endpoint_id {
                    "open_point_in_time" => resp(200, &json!({"id": "p"})),
                    "search" => {
                        let hits: Vec<_> = (0..10)
                            .map(|n| json!({"_index": "src", "_id": format!("d{n}"), "_source": {"n": n}, "sort": [n]}))
                            .collect();
                        reindex.cancel();
                        resp(200, &json!({"pit_id": "p", "hits": {"hits": hits}}))
                    }
                    "close_point_in_time" => resp(200, &json!({})),
                    "bulk" => bulk_answer(&s.request, |_, _| 201),
                    other => panic!("{other}"),
                };
                sent.push(s.endpoint_id);
                reindex.handle(s.token, Ok(answer), t0);
            }
            Step::Emit(_) => {}
            Step::Done => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sent, ["open_point_in_time", "search", "close_point_in_time"], "the cancelled page is dropped");
    assert_eq!(reindex.progress().read, 0);
}

fn json_body_or_lines(request: &http::Request<elastik_proto::Body>) -> serde_json::Value {
    match request.body() {
        elastik_proto::Body::Ndjson(_) => serde_json::Value::Array(lines(request)),
        _ => json_body(request),
    }
}
