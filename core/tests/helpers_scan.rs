//! The scan, driven with scripted answers: point in time, scroll, fallback,
//! early stop and errors — the context is always closed.
#![allow(clippy::disallowed_methods)] // one Instant::now() per test, as the clock's origin

mod helpers_support;

use std::time::Instant;

use elastik_proto::helpers::scan::{Scan, ScanConfig, ScanMode};
use elastik_proto::helpers::Role;
use elastik_proto::machine::Step;
use elastik_proto::Error;
use helpers_support::*;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize, PartialEq)]
struct Book {
    n: u64,
}

fn hits(from: u64, count: u64) -> Vec<Value> {
    (from..from + count)
        .map(|n| json!({"_index": "books", "_id": format!("d{n}"), "_source": {"n": n}, "sort": [n]}))
        .collect()
}

/// A point-in-time server over `total` documents; the pit id changes with each page.
fn pit_server(
    total: u64,
) -> impl FnMut(&http::Request<elastik_proto::Body>) -> Result<http::Response<bytes::Bytes>, Error> {
    move |request| {
        let path = request.uri().path();
        let body = json_body(request);
        Ok(match (request.method().as_str(), path) {
            ("POST", "/books/_pit") => resp(200, &json!({"id": "pit-0"})),
            ("POST", "/_search") => {
                let size = body["size"].as_u64().unwrap();
                let from = body.get("search_after").map_or(0, |a| a[0].as_u64().unwrap() + 1);
                let id: u64 = body["pit"]["id"].as_str().unwrap()[4..].parse().unwrap();
                let page = hits(from, size.min(total.saturating_sub(from)));
                resp(
                    200,
                    &json!({"pit_id": format!("pit-{}", id + 1), "_shards": {"total": 1, "failed": 0}, "hits": {"hits": page}}),
                )
            }
            ("DELETE", "/_pit") => resp(200, &json!({"succeeded": true, "num_freed": 1})),
            other => panic!("unexpected {other:?}"),
        })
    }
}

fn targets(trace: &Trace<impl std::fmt::Debug>) -> Vec<String> {
    trace.sent.iter().map(|(_, s)| format!("{} {} {}", s.endpoint_id, s.request.method(), s.request.uri())).collect()
}

#[test]
fn point_in_time_pages_with_search_after_and_closes() {
    let t0 = Instant::now();
    let mut scan = Scan::<Book>::new(ScanConfig::new("books").size(2).query(json!({"match_all": {}})).keep_alive("1m"));
    let trace = drive(&mut scan, t0, pit_server(5));
    assert_eq!(
        targets(&trace),
        [
            "open_point_in_time POST /books/_pit?keep_alive=1m",
            "search POST /_search",
            "search POST /_search",
            "search POST /_search",
            "close_point_in_time DELETE /_pit",
        ]
    );
    let found: Vec<u64> = trace.emitted.iter().map(|h| h.as_ref().unwrap().source.n).collect();
    assert_eq!(found, [0, 1, 2, 3, 4]);
    let second = json_body(&trace.sent[2].1.request);
    assert_eq!(
        second,
        json!({"query": {"match_all": {}}, "size": 2, "pit": {"id": "pit-1", "keep_alive": "1m"},
               "sort": [{"_shard_doc": "asc"}], "track_total_hits": false, "search_after": [1]})
    );
    assert_eq!(json_body(&trace.sent[4].1.request), json!({"id": "pit-3"}), "the newest pit id is closed");
    assert!(trace.sent.iter().all(|(_, s)| s.role == Role::Read));
    assert_eq!(scan.stats().hits, 5);
    assert!(scan.open_id().is_none());
}

#[test]
fn an_exact_multiple_of_the_page_size_ends_on_an_empty_page() {
    let mut scan = Scan::<Book>::new(ScanConfig::new("books").size(2));
    let trace = drive(&mut scan, Instant::now(), pit_server(4));
    assert_eq!(trace.emitted.len(), 4);
    assert_eq!(trace.sent.len(), 1 + 3 + 1);
}

#[test]
fn slices_and_shared_points_in_time() {
    let mut scan = Scan::<Book>::new(ScanConfig::new("books").size(10).slice(1, 4).pit_id("pit-7"));
    let trace = drive(&mut scan, Instant::now(), pit_server(3));
    assert_eq!(targets(&trace), ["search POST /_search"], "a shared pit is neither opened nor closed");
    assert_eq!(json_body(&trace.sent[0].1.request)["slice"], json!({"id": 1, "max": 4}));
}

/// A scroll server over `total` documents, `size` per page.
fn scroll_server(
    total: u64,
) -> impl FnMut(&http::Request<elastik_proto::Body>) -> Result<http::Response<bytes::Bytes>, Error> {
    let mut from = 0;
    let mut size = 0;
    move |request| {
        let body = json_body(request);
        Ok(match (request.method().as_str(), request.uri().path()) {
            ("POST", "/books/_pit") => {
                resp(405, &json!({"error": "Incorrect HTTP method for uri [/books/_pit]", "status": 405}))
            }
            ("POST", "/books/_search") => {
                size = body["size"].as_u64().unwrap();
                from = size.min(total);
                resp(200, &json!({"_scroll_id": "s1", "hits": {"hits": hits(0, from)}}))
            }
            ("POST", "/_search/scroll") => {
                assert_eq!(body["scroll_id"], "s1");
                let n = size.min(total - from);
                from += n;
                resp(200, &json!({"_scroll_id": "s1", "hits": {"hits": hits(from - n, n)}}))
            }
            ("DELETE", "/_search/scroll") => resp(200, &json!({"succeeded": true, "num_freed": 1})),
            other => panic!("unexpected {other:?}"),
        })
    }
}

#[test]
fn scroll_keeps_the_order_and_clears() {
    let config = ScanConfig::new("books")
        .size(2)
        .preserve_order(true)
        .body(json!({"query": {"term": {"even": true}}, "sort": [{"n": "asc"}]}));
    let mut scan = Scan::<Book>::new(config);
    let trace = drive(&mut scan, Instant::now(), scroll_server(3));
    assert_eq!(
        targets(&trace),
        [
            "search POST /books/_search?scroll=5m",
            "scroll POST /_search/scroll",
            "scroll POST /_search/scroll",
            "clear_scroll DELETE /_search/scroll",
        ]
    );
    assert_eq!(
        json_body(&trace.sent[0].1.request),
        json!({"query": {"term": {"even": true}}, "sort": [{"n": "asc"}], "size": 2})
    );
    assert_eq!(json_body(&trace.sent[1].1.request), json!({"scroll_id": "s1", "scroll": "5m"}));
    assert_eq!(json_body(&trace.sent[3].1.request), json!({"scroll_id": "s1"}));
    assert_eq!(trace.emitted.len(), 3);
}

#[test]
fn without_a_point_in_time_api_the_scan_falls_back_to_scroll() {
    let mut scan = Scan::<Book>::new(ScanConfig::new("books").size(2));
    let trace = drive(&mut scan, Instant::now(), scroll_server(3));
    assert!(scan.is_scroll());
    assert_eq!(targets(&trace)[0], "open_point_in_time POST /books/_pit?keep_alive=5m");
    assert_eq!(targets(&trace)[1], "search POST /books/_search?scroll=5m");
    assert_eq!(json_body(&trace.sent[1].1.request)["sort"], "_doc");
    assert_eq!(trace.emitted.len(), 3);
    assert_eq!(targets(&trace).last().unwrap(), "clear_scroll DELETE /_search/scroll");
    // Point in time only: the error is the outcome, nothing was opened.
    let mut scan = Scan::<Book>::new(ScanConfig::new("books").mode(ScanMode::PointInTime));
    let trace = drive(&mut scan, Instant::now(), scroll_server(3));
    assert_eq!(trace.sent.len(), 1);
    assert_eq!(trace.emitted[0].as_ref().unwrap_err().status().map(|s| s.as_u16()), Some(405));
}

#[test]
fn stopping_early_closes() {
    let t0 = Instant::now();
    let mut server = pit_server(100);
    // Cancel between pages: the close is the next request.
    let mut scan = Scan::<Book>::new(ScanConfig::new("books").size(10));
    let mut sent = Vec::new();
    let mut emitted = 0;
    loop {
        match scan.poll(t0) {
            Step::Send(s) => {
                let answer = server(&s.request);
                sent.push(format!("{} {}", s.endpoint_id, json_body(&s.request)));
                scan.handle(s.token, answer, t0);
            }
            Step::Emit(hit) => {
                hit.unwrap();
                emitted += 1;
                if emitted == 3 {
                    scan.cancel();
                }
            }
            Step::Done => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(emitted, 3);
    assert_eq!(sent.last().unwrap(), r#"close_point_in_time {"id":"pit-2"}"#, "the page fetched ahead renewed the id");
    // Cancel while the open is in flight: its answer is awaited, then closed.
    let mut scan = Scan::<Book>::new(ScanConfig::new("books"));
    let Step::Send(open) = scan.poll(t0) else { panic!() };
    scan.cancel();
    assert!(matches!(scan.poll(t0), Step::Wait(None)));
    scan.handle(open.token, server(&open.request), t0);
    let Step::Send(close) = scan.poll(t0) else { panic!("close after the open answered") };
    assert_eq!(close.endpoint_id, "close_point_in_time");
    scan.handle(close.token, server(&close.request), t0);
    assert!(matches!(scan.poll(t0), Step::Done));
}

#[test]
fn errors_close_then_surface() {
    let t0 = Instant::now();
    let mut pages = 0;
    let mut server = pit_server(100);
    let mut scan = Scan::<Book>::new(ScanConfig::new("books").size(10));
    let trace = drive(&mut scan, t0, |request| {
        if request.uri().path() == "/_search" {
            pages += 1;
            if pages == 2 {
                return Ok(resp(500, &json!({"error": {"type": "search_phase_execution_exception"}, "status": 500})));
            }
        }
        server(request)
    });
    assert_eq!(targets(&trace).last().unwrap(), "close_point_in_time DELETE /_pit");
    assert_eq!(trace.emitted.len(), 11, "the first page's hits, then the error");
    let last = trace.emitted.last().unwrap().as_ref().unwrap_err();
    assert_eq!(last.as_api().unwrap().error_type(), Some("search_phase_execution_exception"));
    // Transport errors and shard failures close too.
    for failure in [
        Err(transport_error()),
        Ok(resp(
            200,
            &json!({"pit_id": "pit-9", "_shards": {"total": 2, "failed": 1, "failures": [{"shard": 1}]}, "hits": {"hits": hits(0, 10)}}),
        )),
    ] {
        let mut failure = Some(failure);
        let mut server = pit_server(100);
        let mut scan = Scan::<Book>::new(ScanConfig::new("books").size(10));
        let trace = drive(&mut scan, t0, |request| match request.uri().path() {
            "/_search" => failure.take().unwrap(),
            _ => server(request),
        });
        assert_eq!(targets(&trace).last().unwrap(), "close_point_in_time DELETE /_pit");
        assert!(trace.emitted.last().unwrap().is_err());
        assert!(trace.emitted.iter().all(|h| h.is_err()), "no hits of a page with failed shards");
    }
}

#[test]
fn a_hit_that_does_not_decode_is_an_error_and_the_scan_goes_on() {
    let mut scan = Scan::<Book>::new(ScanConfig::new("books").size(10).mode(ScanMode::PointInTime));
    let mut server = pit_server(0);
    let trace = drive(&mut scan, Instant::now(), |request| {
        if request.uri().path() == "/_search" {
            let page = json!([{"_index": "books", "_id": "a", "_source": {"n": 1}, "sort": [1]},
                              {"_index": "books", "_id": "b", "_source": {"n": "x"}, "sort": [2]}]);
            return Ok(resp(200, &json!({"hits": {"hits": page}})));
        }
        server(request)
    });
    assert_eq!(trace.emitted.len(), 2);
    assert_eq!(trace.emitted[0].as_ref().unwrap().source, Book { n: 1 });
    assert!(trace.emitted[1].as_ref().unwrap_err().to_string().contains("\"b\""));
}
