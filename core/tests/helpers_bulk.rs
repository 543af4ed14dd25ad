//! The bulk indexer, driven with a manual clock and scripted answers.
#![allow(clippy::disallowed_methods)] // one Instant::now() per test, as the clock's origin

mod helpers_support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use elastik_core::helpers::bulk::{
    BulkConfig, BulkError, BulkIndexer, BulkOperation, OpId, OpType,
};
use elastik_core::helpers::{BackoffPolicy};
use elastik_core::machine::Step;
use elastik_core::transport::SplitMix64;
use elastik_core::Error;
use helpers_support::*;
use serde_json::json;

fn doc(n: usize) -> BulkOperation {
    BulkOperation::index(&json!({ "n": n, "title": format!("document {n}") }))
        .id(format!("d{n:03}"))
}

fn all_ok(
    request: &http::Request<elastik_core::Body>,
) -> Result<http::Response<bytes::Bytes>, Error> {
    Ok(bulk_answer(request, |_, _| 201))
}

fn indexer(
    config: BulkConfig,
    ops: impl IntoIterator<Item = BulkOperation>,
    now: Instant,
) -> BulkIndexer {
    let mut bulk = BulkIndexer::new(config);
    for op in ops {
        bulk.add(op, now).unwrap();
    }
    bulk.close();
    bulk
}

#[test]
fn chunks_by_count() {
    let now = Instant::now();
    let mut bulk = indexer(BulkConfig::new().flush_count(3), (0..7).map(doc), now);
    let trace = drive(&mut bulk, now, all_ok);
    let sizes: Vec<_> = trace
        .sent
        .iter()
        .map(|(_, s)| bulk_actions(&s.request).len())
        .collect();
    assert_eq!(sizes, [3, 3, 1]);
    let ids: Vec<_> = trace
        .sent
        .iter()
        .flat_map(|(_, s)| bulk_actions(&s.request))
        .map(|(_, id)| id.unwrap())
        .collect();
    assert_eq!(ids, (0..7).map(|n| format!("d{n:03}")).collect::<Vec<_>>());
    let s = bulk.stats();
    assert_eq!(
        (s.submitted, s.succeeded, s.failed, s.requests),
        (7, 7, 0, 3)
    );
    let (_, first) = &trace.sent[0];
    assert_eq!(first.endpoint_id, "bulk");
    assert_eq!(first.request.method(), http::Method::PUT);
    assert_eq!(first.request.uri(), "/_bulk");
    assert_eq!(
        first.request.headers()["content-type"],
        "application/x-ndjson"
    );
    assert_eq!(
        first.options.max_retries,
        Some(0),
        "the indexer owns the retries"
    );
}

#[test]
fn chunks_by_bytes() {
    let now = Instant::now();
    let one = doc(0).to_lines().unwrap().len();
    let config = BulkConfig::new().flush_bytes(2 * one + 1).index("books");
    let mut bulk = indexer(config, (0..5).map(doc), now);
    let trace = drive(&mut bulk, now, all_ok);
    let sizes: Vec<_> = trace
        .sent
        .iter()
        .map(|(_, s)| bulk_actions(&s.request).len())
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(trace.sent[0].1.request.uri(), "/books/_bulk");
    assert_eq!(bulk.stats().bytes, 5 * one as u64);
    // An operation larger than the limit goes alone rather than never.
    let mut bulk = indexer(BulkConfig::new().flush_bytes(10), (0..2).map(doc), now);
    let trace = drive(&mut bulk, now, all_ok);
    assert_eq!(trace.sent.len(), 2);
}

#[test]
fn a_full_chunk_goes_out_before_close_and_a_partial_one_waits_for_the_interval() {
    let t0 = Instant::now();
    let interval = Duration::from_secs(5);
    let mut bulk = BulkIndexer::new(
        BulkConfig::new()
            .flush_count(2)
            .flush_interval(Some(interval)),
    );
    bulk.add(doc(0), t0).unwrap();
    assert!(matches!(bulk.poll(t0), Step::Wait(Some(t)) if t == t0 + interval));
    bulk.add(doc(1), t0).unwrap();
    let Step::Send(first) = bulk.poll(t0) else {
        panic!("a full chunk goes out at once")
    };
    bulk.add(doc(2), t0 + Duration::from_secs(1)).unwrap();
    assert!(
        matches!(bulk.poll(t0 + Duration::from_secs(1)), Step::Wait(Some(t)) if t == t0 + Duration::from_secs(6))
    );
    assert!(matches!(
        bulk.poll(t0 + Duration::from_secs(3)),
        Step::Wait(Some(_))
    ));
    let Step::Send(second) = bulk.poll(t0 + Duration::from_secs(6)) else {
        panic!("aged chunk")
    };
    assert_eq!(bulk_actions(&second.request).len(), 1);
    bulk.handle(
        first.token,
        all_ok(&first.request),
        t0 + Duration::from_secs(6),
    );
    bulk.handle(
        second.token,
        all_ok(&second.request),
        t0 + Duration::from_secs(6),
    );
    let mut ids = Vec::new();
    while let Step::Emit(o) = bulk.poll(t0 + Duration::from_secs(6)) {
        ids.push(o.id);
    }
    assert_eq!(ids, [OpId(0), OpId(1), OpId(2)]);
    assert!(
        matches!(bulk.poll(t0 + Duration::from_secs(60)), Step::Wait(None)),
        "nothing buffered: no timer"
    );
    bulk.close();
    assert!(matches!(bulk.poll(t0), Step::Done));
    assert!(
        bulk.add(doc(3), t0).is_err(),
        "closed indexers hand operations back"
    );
}

#[test]
fn flush_sends_a_partial_chunk_now() {
    let t0 = Instant::now();
    let mut bulk = BulkIndexer::new(BulkConfig::new().flush_interval(None));
    bulk.add(doc(0), t0).unwrap();
    assert!(matches!(bulk.poll(t0), Step::Wait(None)));
    bulk.flush();
    assert!(matches!(bulk.poll(t0), Step::Send(_)));
}

#[test]
fn back_pressure_and_chunks_in_flight() {
    let t0 = Instant::now();
    let mut bulk = BulkIndexer::new(BulkConfig::new().flush_count(2).max_in_flight(2));
    let mut sent = Vec::new();
    for n in 0..6 {
        assert!(!bulk.is_full());
        bulk.add(doc(n), t0).unwrap();
        if let Step::Send(s) = bulk.poll(t0) {
            sent.push(s);
        }
    }
    assert_eq!(sent.len(), 2, "two chunks in flight at most");
    assert!(bulk.is_full(), "a full chunk waits for a slot");
    assert_eq!(bulk.capacity(), 0);
    assert!(matches!(bulk.poll(t0), Step::Wait(None)));
    let first = sent.remove(0);
    bulk.handle(first.token, all_ok(&first.request), t0);
    assert!(matches!(bulk.poll(t0), Step::Emit(_)));
    assert!(matches!(bulk.poll(t0), Step::Emit(_)));
    assert!(matches!(bulk.poll(t0), Step::Send(_)));
    assert!(!bulk.is_full());
}

#[test]
fn every_item_is_accounted_by_position() {
    let t0 = Instant::now();
    let ops = vec![
        doc(0),
        BulkOperation::create(&json!({"n": 1})).id("d001"),
        BulkOperation::update_doc("d002", &json!({"n": 2})),
        BulkOperation::delete("d003"),
        BulkOperation::delete("missing"),
        doc(5),
        doc(6),
    ];
    let mut bulk = indexer(BulkConfig::new(), ops, t0);
    let mut round = 0;
    let trace = drive(&mut bulk, t0, |request| {
        round += 1;
        Ok(bulk_answer(request, |i, _| match (round, i) {
            (1, 0) => 201,
            (1, 1) => 409,
            (1, 2) => 200,
            (1, 3) => 200,
            (1, 4) => 404,
            (1, 5) => 400,
            (1, 6) => 429,
            (2, 0) => 201,
            _ => unreachable!("only the 429 is retried"),
        }))
    });
    assert_eq!(trace.sent.len(), 2);
    assert_eq!(
        bulk_actions(&trace.sent[1].1.request),
        [("index".to_owned(), Some("d006".to_owned()))]
    );
    let by_id: BTreeMap<_, _> = trace.emitted.iter().map(|o| (o.id.0, o)).collect();
    assert_eq!(by_id.len(), 7);
    assert!(by_id[&0].result.is_ok());
    assert!(matches!(
        by_id[&1].result,
        Err(BulkError::Item { status: 409, .. })
    ));
    assert_eq!(by_id[&1].operation.op_type(), OpType::Create);
    assert!(by_id[&2].result.is_ok());
    assert!(by_id[&3].result.is_ok());
    assert!(
        by_id[&4].result.is_ok(),
        "a delete of a missing document leaves it absent"
    );
    let Err(BulkError::Item {
        status: 400,
        cause: Some(cause),
    }) = &by_id[&5].result
    else {
        panic!()
    };
    assert_eq!(cause.kind.as_deref(), Some("status_400_exception"));
    assert_eq!(
        by_id[&5].operation,
        doc(5),
        "the original operation is handed back"
    );
    assert!(by_id[&6].result.is_ok());
    assert_eq!(by_id[&6].retries, 1);
    let s = bulk.stats();
    assert_eq!(
        (s.submitted, s.succeeded, s.failed, s.retried),
        (7, 5, 2, 1)
    );
}

#[test]
fn a_per_item_429_is_retried_with_the_default_settings() {
    let t0 = Instant::now();
    let mut bulk = indexer(BulkConfig::default(), (0..3).map(doc), t0);
    let mut attempts = 0;
    let trace = drive(&mut bulk, t0, |request| {
        attempts += 1;
        let ids = bulk_actions(request);
        Ok(bulk_answer(request, |i, _| {
            if attempts <= 2 && ids[i].1.as_deref() == Some("d001") {
                429
            } else {
                201
            }
        }))
    });
    assert_eq!(trace.sent.len(), 3);
    assert!(trace.emitted.iter().all(|o| o.result.is_ok()));
    assert_eq!(bulk.stats().retried, 2);
    // And a 429 that never ends fails after the default 3 retries.
    let mut bulk = indexer(BulkConfig::default(), (0..3).map(doc), t0);
    let trace = drive(&mut bulk, t0, |request| {
        let ids = bulk_actions(request);
        Ok(bulk_answer(request, |i, _| {
            if ids[i].1.as_deref() == Some("d001") {
                429
            } else {
                201
            }
        }))
    });
    assert_eq!(trace.sent.len(), 4);
    let failed: Vec<_> = trace.emitted.iter().filter(|o| o.result.is_err()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].retries), (OpId(1), 3));
    assert_eq!(failed[0].result.as_ref().unwrap_err().status(), Some(429));
}

#[test]
fn whole_request_failures_are_retried_then_fail_every_operation() {
    let t0 = Instant::now();
    for (name, answer) in [
        (
            "429",
            (|| {
                Ok(resp(
                    429,
                    &json!({"error": {"type": "es_rejected_execution_exception"}, "status": 429}),
                ))
            }) as fn() -> _,
        ),
        ("503", || {
            Ok(resp(503, &json!({"error": "unavailable", "status": 503})))
        }),
        ("transport", || Err(transport_error())),
        ("short", || {
            Ok(resp(200, &json!({"errors": false, "items": []})))
        }),
        ("garbage", || {
            Ok(http::Response::builder()
                .status(200)
                .body(bytes::Bytes::from_static(b"<html>"))
                .unwrap())
        }),
    ] {
        let ops: Vec<_> = (0..4).map(doc).collect();
        let mut bulk = indexer(BulkConfig::new().flush_count(2), ops.clone(), t0);
        let trace = drive(&mut bulk, t0, |_| answer());
        assert_eq!(
            trace.sent.len(),
            2 * 4,
            "{name}: 2 chunks × (1 + 3 retries)"
        );
        assert_eq!(trace.emitted.len(), 4, "{name}");
        let mut handed_back: Vec<_> = trace
            .emitted
            .iter()
            .map(|o| (o.id, o.operation.clone()))
            .collect();
        handed_back.sort_by_key(|(id, _)| *id);
        assert_eq!(
            handed_back
                .into_iter()
                .map(|(_, op)| op)
                .collect::<Vec<_>>(),
            ops,
            "{name}"
        );
        for o in &trace.emitted {
            assert!(matches!(o.result, Err(BulkError::Request(_))), "{name}");
            assert_eq!(o.retries, 3);
        }
        let s = bulk.stats();
        assert_eq!(
            (s.failed, s.succeeded, s.retried, s.requests),
            (4, 0, 12, 8),
            "{name}"
        );
    }
    // A 400 is not worth retrying: every operation fails at once.
    let mut bulk = indexer(BulkConfig::new(), (0..3).map(doc), t0);
    let trace = drive(&mut bulk, t0, |_| {
        Ok(resp(
            400,
            &json!({"error": {"type": "parse_exception"}, "status": 400}),
        ))
    });
    assert_eq!(trace.sent.len(), 1);
    assert!(trace
        .emitted
        .iter()
        .all(|o| o.result.as_ref().unwrap_err().status() == Some(400)));
}

#[test]
fn retry_waits_grow_within_their_bounds() {
    let t0 = Instant::now();
    let policy = BackoffPolicy {
        max_retries: 5,
        base: Duration::from_millis(100),
        max: Duration::from_millis(1000),
    };
    for seed in 0..20 {
        let mut bulk = indexer(
            BulkConfig::new().retry(policy.clone()).seed(seed),
            (0..2).map(doc),
            t0,
        );
        let trace = drive(&mut bulk, t0, |_| Ok(resp(503, &json!({}))));
        assert_eq!(trace.waits.len(), 5);
        for (n, wait) in trace.waits.iter().enumerate() {
            let (low, high) = policy.bounds(n as u32 + 1);
            assert!(
                *wait >= low && *wait <= high,
                "seed {seed} retry {}: {wait:?} not in {low:?}..={high:?}",
                n + 1
            );
        }
        assert_eq!(
            policy.bounds(5),
            (Duration::from_millis(500), Duration::from_millis(1000)),
            "capped"
        );
    }
    // A Retry-After longer than the backoff is honoured.
    let mut bulk = indexer(BulkConfig::new(), (0..1).map(doc), t0);
    let trace = drive(&mut bulk, t0, |r| {
        let mut answer = resp(429, &json!({}));
        answer
            .headers_mut()
            .insert("retry-after", "7".parse().unwrap());
        if bulk_actions(r).is_empty() {
            unreachable!()
        } else {
            Ok(answer)
        }
    });
    assert!(trace.waits.iter().all(|w| *w >= Duration::from_secs(7)));
    // Same seed, same waits.
    let run = |seed| {
        let mut bulk = indexer(BulkConfig::new().seed(seed), (0..1).map(doc), t0);
        drive(&mut bulk, t0, |_| Ok(resp(503, &json!({})))).waits
    };
    assert_eq!(run(7), run(7));
}

#[test]
fn a_document_that_does_not_serialize_is_an_outcome() {
    let t0 = Instant::now();
    let bad: HashMap<(i32, i32), i32> = [((1, 2), 3)].into_iter().collect();
    let mut bulk = BulkIndexer::new(BulkConfig::new());
    let id = bulk.add(BulkOperation::index(&bad), t0).unwrap();
    bulk.add(BulkOperation::raw(OpType::Index, "{\"a\":\n1}"), t0)
        .unwrap();
    bulk.add(
        BulkOperation::raw(OpType::Index, "{\"a\":1}\n").id("ok"),
        t0,
    )
    .unwrap();
    bulk.close();
    let trace = drive(&mut bulk, t0, all_ok);
    assert_eq!(trace.sent.len(), 1);
    assert_eq!(
        lines(&trace.sent[0].1.request),
        [json!({"index": {"_id": "ok"}}), json!({"a": 1})]
    );
    assert_eq!(trace.emitted[0].id, id);
    assert!(matches!(
        trace.emitted[0].result,
        Err(BulkError::Serialize(_))
    ));
    assert!(matches!(
        trace.emitted[1].result,
        Err(BulkError::Serialize(_))
    ));
    assert_eq!(bulk.stats().failed, 2);
    assert_eq!(bulk.stats().succeeded, 1);
}

#[test]
fn action_lines_carry_every_metadata_field() {
    let op = BulkOperation::update("7", &json!({"doc": {"a": 1}, "doc_as_upsert": true}))
        .index_name("books")
        .routing("r1")
        .if_seq_no_primary_term(4, 2)
        .version(3, "external")
        .pipeline("p")
        .require_alias(true)
        .retry_on_conflict(5);
    let lines: Vec<serde_json::Value> = op
        .to_lines()
        .unwrap()
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"update": {"_index": "books", "_id": "7", "routing": "r1", "if_seq_no": 4, "if_primary_term": 2,
                   "version": 3, "version_type": "external", "pipeline": "p", "require_alias": true, "retry_on_conflict": 5}}),
            json!({"doc": {"a": 1}, "doc_as_upsert": true}),
        ]
    );
    assert_eq!(
        BulkOperation::delete("x").to_lines().unwrap(),
        "{\"delete\":{\"_id\":\"x\"}}\n"
    );
}

/// Random scripted outcomes, answers in random order: every operation ends
/// in exactly one outcome, and the counters agree.
#[test]
fn nothing_is_lost_under_random_failures() {
    let t0 = Instant::now();
    for seed in 0..200u64 {
        let mut rng = SplitMix64::new(seed);
        let n = (rng.next_u64() % 300) as usize;
        let config = BulkConfig::new()
            .flush_count(1 + (rng.next_u64() % 40) as usize)
            .flush_bytes(200 + (rng.next_u64() % 4000) as usize)
            .max_in_flight(1 + (rng.next_u64() % 4) as usize)
            .retry_on_status([429, 503])
            .seed(seed);
        let mut bulk = BulkIndexer::new(config);
        let mut ops = BTreeMap::new();
        for i in 0..n {
            let op = if rng.next_u64() % 10 == 0 {
                BulkOperation::delete(format!("d{i}"))
            } else {
                doc(i)
            };
            ops.insert(bulk.add(op.clone(), t0).unwrap(), op);
        }
        bulk.close();
        let mut script_rng = SplitMix64::new(seed ^ 0xabcdef);
        let mut pick_rng = SplitMix64::new(seed ^ 0x123);
        let trace = drive_with(
            &mut bulk,
            t0,
            |k| (pick_rng.next_u64() % k as u64) as usize,
            &mut |request| match script_rng.next_u64() % 10 {
                0 => Err(transport_error()),
                1 => Ok(resp(503, &json!({}))),
                2 => Ok(resp(429, &json!({}))),
                3 => Ok(resp(200, &json!({"items": []}))),
                4 => Ok(resp(413, &json!({}))),
                _ => {
                    let statuses = [201, 200, 429, 429, 503, 400, 409, 404];
                    Ok(bulk_answer(request, |_, _| {
                        statuses[(script_rng.next_u64() % 8) as usize]
                    }))
                }
            },
        );
        let mut seen = BTreeMap::new();
        for o in &trace.emitted {
            assert!(
                seen.insert(o.id, ()).is_none(),
                "seed {seed}: {:?} reported twice",
                o.id
            );
            assert_eq!(
                &o.operation, &ops[&o.id],
                "seed {seed}: the operation is handed back"
            );
            assert!(o.retries <= 3);
        }
        assert_eq!(seen.len(), n, "seed {seed}: every operation has an outcome");
        let s = bulk.stats();
        assert_eq!(s.submitted, n as u64);
        assert_eq!(s.succeeded + s.failed, s.submitted, "seed {seed}");
        assert_eq!(
            s.succeeded as usize,
            trace.emitted.iter().filter(|o| o.result.is_ok()).count()
        );
        assert_eq!(s.requests as usize, trace.sent.len());
    }
}

#[test]
fn a_full_buffer_is_due_below_the_flush_count_and_drained_means_every_outcome_emitted() {
    let t0 = Instant::now();
    let mut bulk = BulkIndexer::new(BulkConfig::new().flush_count(100).max_buffered(3).flush_interval(None));
    for n in 0..2 {
        bulk.add(doc(n), t0).unwrap();
    }
    assert!(!bulk.chunk_ready(t0));
    assert!(matches!(bulk.poll(t0), Step::Wait(None)));
    bulk.add(doc(2), t0).unwrap();
    assert!(bulk.is_full() && bulk.chunk_ready(t0), "a full buffer is a chunk due");
    let Step::Send(sent) = bulk.poll(t0) else { panic!("the full buffer goes out") };
    assert!(!bulk.is_full() && !bulk.is_drained());
    bulk.handle(sent.token, all_ok(&sent.request), t0);
    assert!(!bulk.is_drained(), "outcomes still to emit");
    for _ in 0..3 {
        assert!(matches!(bulk.poll(t0), Step::Emit(_)));
    }
    assert!(bulk.is_drained());
    let report = elastik_core::helpers::bulk::BulkReport::new(bulk.stats(), std::time::Duration::from_millis(500));
    assert_eq!(report.docs_per_second(), 6.0);
}
