//! The bulk indexer, driven with a manual clock and scripted answers.
#![allow(clippy::disallowed_methods)] // one Instant::now() per test, as the clock's origin

mod helpers_support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use elastik_proto::helpers::bulk::{BulkConfig, BulkError, BulkIndexer, BulkOperation, BulkResult, OpId, OpType};
use elastik_proto::helpers::BackoffPolicy;
use elastik_proto::machine::Step;
use elastik_proto::transport::SplitMix64;
use elastik_proto::Error;
use helpers_support::*;
use serde_json::json;

fn doc(n: usize) -> BulkOperation {
    BulkOperation::index(&json!({ "n": n, "title": format!("document {n}") })).id(format!("d{n:03}"))
}

fn all_ok(request: &http::Request<elastik_proto::Body>) -> Result<http::Response<bytes::Bytes>, Error> {
    Ok(bulk_answer(request, |_, _| 201))
}

fn indexer(config: BulkConfig, ops: impl IntoIterator<Item = BulkOperation>, now: Instant) -> BulkIndexer {
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
    let sizes: Vec<_> = trace.sent.iter().map(|(_, s)| bulk_actions(&s.request).len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let ids: Vec<_> =
        trace.sent.iter().flat_map(|(_, s)| bulk_actions(&s.request)).map(|(_, id)| id.unwrap()).collect();
    assert_eq!(ids, (0..7).map(|n| format!("d{n:03}")).collect::<Vec<_>>());
    let s = bulk.stats();
    assert_eq!((s.submitted, s.succeeded, s.failed, s.requests), (7, 7, 0, 3));
    let (_, first) = &trace.sent[0];
    assert_eq!(first.endpoint_id, "bulk");
    assert_eq!(first.request.method(), http::Method::PUT);
    assert_eq!(first.request.uri(), "/_bulk");
    assert_eq!(first.request.headers()["content-type"], "application/x-ndjson");
    assert_eq!(first.options.max_retries, Some(0), "the indexer owns the retries");
}

#[test]
fn chunks_by_bytes() {
    let now = Instant::now();
    let one = doc(0).to_lines().unwrap().len();
    let config = BulkConfig::new().flush_bytes(2 * one + 1).index("books");
    let mut bulk = indexer(config, (0..5).map(doc), now);
    let trace = drive(&mut bulk, now, all_ok);
    let sizes: Vec<_> = trace.sent.iter().map(|(_, s)| bulk_actions(&s.request).len()).collect();
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
    let mut bulk = BulkIndexer::new(BulkConfig::new().flush_count(2).flush_interval(Some(interval)));
    bulk.add(doc(0), t0).unwrap();
    assert!(matches!(bulk.poll(t0), Step::Wait(Some(t)) if t == t0 + interval));
    bulk.add(doc(1), t0).unwrap();
    let Step::Send(first) = bulk.poll(t0) else { panic!("a full chunk goes out at once") };
    bulk.add(doc(2), t0 + Duration::from_secs(1)).unwrap();
    assert!(matches!(bulk.poll(t0 + Duration::from_secs(1)), Step::Wait(Some(t)) if t == t0 + Duration::from_secs(6)));
    assert!(matches!(bulk.poll(t0 + Duration::from_secs(3)), Step::Wait(Some(_))));
    let Step::Send(second) = bulk.poll(t0 + Duration::from_secs(6)) else { panic!("aged chunk") };
    assert_eq!(bulk_actions(&second.request).len(), 1);
    bulk.handle(first.token, all_ok(&first.request), t0 + Duration::from_secs(6));
    bulk.handle(second.token, all_ok(&second.request), t0 + Duration::from_secs(6));
    let mut ids = Vec::new();
    while let Step::Emit(o) = bulk.poll(t0 + Duration::from_secs(6)) {
        ids.push(o.id);
    }
    assert_eq!(ids, [OpId(0), OpId(1), OpId(2)]);
    assert!(matches!(bulk.poll(t0 + Duration::from_secs(60)), Step::Wait(None)), "nothing buffered: no timer");
    bulk.close();
    assert!(matches!(bulk.poll(t0), Step::Done));
    assert!(bulk.add(doc(3), t0).is_err(), "closed indexers hand operations back");
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
    assert_eq!(bulk_actions(&trace.sent[1].1.request), [("index".to_owned(), Some("d006".to_owned()))]);
    let by_id: BTreeMap<_, _> = trace.emitted.iter().map(|o| (o.id.0, o)).collect();
    assert_eq!(by_id.len(), 7);
    assert!(by_id[&0].is_succeeded());
    assert!(matches!(by_id[&1].result, BulkResult::Failed(BulkError::Item { status: 409, .. })));
    assert_eq!(by_id[&1].operation.op_type(), OpType::Create);
    assert!(by_id[&2].is_succeeded());
    assert!(by_id[&3].is_succeeded());
    assert!(by_id[&4].is_succeeded(), "a delete of a missing document leaves it absent");
    let BulkResult::Failed(BulkError::Item { status: 400, cause: Some(cause) }) = &by_id[&5].result else { panic!() };
    assert_eq!(cause.kind.as_deref(), Some("status_400_exception"));
    assert_eq!(by_id[&5].operation, doc(5), "the original operation is handed back");
    assert!(by_id[&6].is_succeeded());
    assert_eq!(by_id[&6].retries, 1);
    let s = bulk.stats();
    assert_eq!((s.submitted, s.succeeded, s.failed, s.retried), (7, 5, 2, 1));
}

#[test]
fn a_per_item_429_is_retried_with_the_default_settings() {
    let t0 = Instant::now();
    let mut bulk = indexer(BulkConfig::default(), (0..3).map(doc), t0);
    let mut attempts = 0;
    let trace = drive(&mut bulk, t0, |request| {
        attempts += 1;
        let ids = bulk_actions(request);
        Ok(bulk_answer(request, |i, _| if attempts <= 2 && ids[i].1.as_deref() == Some("d001") { 429 } else { 201 }))
    });
    assert_eq!(trace.sent.len(), 3);
    assert!(trace.emitted.iter().all(|o| o.is_succeeded()));
    assert_eq!(bulk.stats().retried, 2);
    assert_eq!(bulk.stats().item_retries, 2);
    // And a 429 that never ends fails once a count limit, when set, runs out.
    let config = BulkConfig::default().item_retry(BackoffPolicy::new().max_retries(3));
    let mut bulk = indexer(config, (0..3).map(doc), t0);
    let trace = drive(&mut bulk, t0, |request| {
        let ids = bulk_actions(request);
        Ok(bulk_answer(request, |i, _| if ids[i].1.as_deref() == Some("d001") { 429 } else { 201 }))
    });
    assert_eq!(trace.sent.len(), 4);
    let failed: Vec<_> = trace.emitted.iter().filter(|o| o.is_failed()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].retries), (OpId(1), 3));
    assert_eq!(failed[0].result.failure().unwrap().status(), Some(429));
}

#[test]
fn whole_request_failures_are_retried_then_end_every_operation() {
    let t0 = Instant::now();
    // 429 and 503: nothing was applied, so the operations fail; a broken
    // connection or an unreadable 2xx answer may have been applied, so the
    // operations (with ids: safe to repeat) are retried and end unconfirmed.
    for ((name, answer), unconfirmed) in [
        (
            "429",
            (|| Ok(resp(429, &json!({"error": {"type": "es_rejected_execution_exception"}, "status": 429}))))
                as fn() -> _,
        ),
        ("503", || Ok(resp(503, &json!({"error": "unavailable", "status": 503})))),
        ("transport", || Err(transport_error())),
        ("short", || Ok(resp(200, &json!({"errors": false, "items": []})))),
        ("garbage", || Ok(http::Response::builder().status(200).body(bytes::Bytes::from_static(b"<html>")).unwrap())),
    ]
    .into_iter()
    .zip([false, false, true, true, true])
    {
        let ops: Vec<_> = (0..4).map(doc).collect();
        let config =
            BulkConfig::new().flush_count(2).adaptive(false).request_retry(BackoffPolicy::new().max_retries(3));
        let mut bulk = indexer(config, ops.clone(), t0);
        let trace = drive(&mut bulk, t0, |_| answer());
        assert_eq!(trace.sent.len(), 2 * 4, "{name}: 2 chunks × (1 + 3 retries)");
        assert_eq!(trace.emitted.len(), 4, "{name}");
        let mut handed_back: Vec<_> = trace.emitted.iter().map(|o| (o.id, o.operation.clone())).collect();
        handed_back.sort_by_key(|(id, _)| *id);
        assert_eq!(handed_back.into_iter().map(|(_, op)| op).collect::<Vec<_>>(), ops, "{name}");
        for o in &trace.emitted {
            if unconfirmed {
                assert!(matches!(o.result, BulkResult::Unconfirmed(BulkError::Request(_))), "{name}");
            } else {
                assert!(matches!(o.result, BulkResult::Failed(BulkError::Request(_))), "{name}");
            }
            assert_eq!(o.retries, 3);
        }
        let s = bulk.stats();
        let (failed, unconfirmed) = if unconfirmed { (0, 4) } else { (4, 0) };
        assert_eq!(
            (s.failed, s.unconfirmed, s.succeeded, s.retried, s.request_retries, s.item_retries, s.requests),
            (failed, unconfirmed, 0, 12, 12, 0, 8),
            "{name}"
        );
    }
    // A 400 is not worth retrying: every operation fails at once.
    let mut bulk = indexer(BulkConfig::new(), (0..3).map(doc), t0);
    let trace = drive(&mut bulk, t0, |_| Ok(resp(400, &json!({"error": {"type": "parse_exception"}, "status": 400}))));
    assert_eq!(trace.sent.len(), 1);
    assert!(trace.emitted.iter().all(|o| o.result.failure().unwrap().status() == Some(400)));
}

#[test]
fn retry_waits_grow_within_their_bounds() {
    let t0 = Instant::now();
    let policy = BackoffPolicy::new().max_retries(5).backoff(Duration::from_millis(100), Duration::from_millis(1000));
    for seed in 0..20 {
        let mut bulk = indexer(BulkConfig::new().retry(policy.clone()).seed(seed), (0..2).map(doc), t0);
        let trace = drive(&mut bulk, t0, |_| Ok(resp(503, &json!({}))));
        assert_eq!(trace.waits.len(), 5);
        for (n, wait) in trace.waits.iter().enumerate() {
            let (low, high) = policy.bounds(n as u32 + 1);
            assert!(*wait >= low && *wait <= high, "seed {seed} retry {}: {wait:?} not in {low:?}..={high:?}", n + 1);
        }
        assert_eq!(policy.bounds(5), (Duration::from_millis(500), Duration::from_millis(1000)), "capped");
    }
    // A Retry-After longer than the backoff is honoured.
    let three = BackoffPolicy::new().max_retries(3);
    let mut bulk = indexer(BulkConfig::new().retry(three.clone()), (0..1).map(doc), t0);
    let trace = drive(&mut bulk, t0, |r| {
        let mut answer = resp(429, &json!({}));
        answer.headers_mut().insert("retry-after", "7".parse().unwrap());
        if bulk_actions(r).is_empty() {
            unreachable!()
        } else {
            Ok(answer)
        }
    });
    assert_eq!(trace.waits.len(), 3);
    assert!(trace.waits.iter().all(|w| *w >= Duration::from_secs(7)));
    // Same seed, same waits.
    let run = |seed| {
        let mut bulk = indexer(BulkConfig::new().retry(three.clone()).seed(seed), (0..1).map(doc), t0);
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
    bulk.add(BulkOperation::raw(OpType::Index, "{\"a\":\n1}"), t0).unwrap();
    bulk.add(BulkOperation::raw(OpType::Index, "{\"a\":1}\n").id("ok"), t0).unwrap();
    bulk.close();
    let trace = drive(&mut bulk, t0, all_ok);
    assert_eq!(trace.sent.len(), 1);
    assert_eq!(lines(&trace.sent[0].1.request), [json!({"index": {"_id": "ok"}}), json!({"a": 1})]);
    assert_eq!(trace.emitted[0].id, id);
    assert!(matches!(trace.emitted[0].result, BulkResult::Failed(BulkError::Serialize(_))));
    assert!(matches!(trace.emitted[1].result, BulkResult::Failed(BulkError::Serialize(_))));
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
    assert_eq!(BulkOperation::delete("x").to_lines().unwrap(), "{\"delete\":{\"_id\":\"x\"}}\n");
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
            .retry(BackoffPolicy::new().max_retries(3))
            .seed(seed);
        let mut bulk = BulkIndexer::new(config);
        let mut ops = BTreeMap::new();
        for i in 0..n {
            let op = match rng.next_u64() % 10 {
                0 => BulkOperation::delete(format!("d{i}")),
                1 => BulkOperation::index(&json!({ "n": i })),
                _ => doc(i),
            };
            ops.insert(bulk.add(op.clone(), t0).unwrap(), op);
        }
        bulk.close();
        let mut script_rng = SplitMix64::new(seed ^ 0xabcdef);
        let mut pick_rng = SplitMix64::new(seed ^ 0x123);
        // Operations without id whose request may have been applied: never
        // to be sent again (a second copy of the document).
        let mut maybe_applied = std::collections::HashSet::new();
        let trace = drive_with(&mut bulk, t0, |k| (pick_rng.next_u64() % k as u64) as usize, &mut |request| {
            let body = lines(request);
            let mut without_id = Vec::new();
            let mut at = 0;
            while at < body.len() {
                let (op, meta) = body[at].as_object().unwrap().iter().next().unwrap();
                if op != "delete" {
                    if meta.get("_id").is_none() {
                        without_id.push(body[at + 1]["n"].as_u64().unwrap());
                    }
                    at += 1;
                }
                at += 1;
            }
            for n in &without_id {
                assert!(!maybe_applied.contains(n), "seed {seed}: {n} without id sent again after a lost answer");
            }
            let pick = script_rng.next_u64() % 10;
            if pick == 0 || pick == 3 {
                maybe_applied.extend(without_id);
            }
            match pick {
                0 => Err(transport_error()),
                1 => Ok(resp(503, &json!({}))),
                2 => Ok(resp(429, &json!({}))),
                3 => Ok(resp(200, &json!({"items": []}))),
                4 => Ok(resp(413, &json!({}))),
                _ => {
                    let statuses = [201, 200, 429, 429, 503, 400, 409, 404];
                    Ok(bulk_answer(request, |_, _| statuses[(script_rng.next_u64() % 8) as usize]))
                }
            }
        });
        let mut seen = BTreeMap::new();
        for o in &trace.emitted {
            assert!(seen.insert(o.id, ()).is_none(), "seed {seed}: {:?} reported twice", o.id);
            assert_eq!(&o.operation, &ops[&o.id], "seed {seed}: the operation is handed back");
            assert!(o.retries <= 6, "3 item and 3 request retries at most");
        }
        assert_eq!(seen.len(), n, "seed {seed}: every operation has an outcome");
        let s = bulk.stats();
        assert_eq!(s.submitted, n as u64);
        assert_eq!(s.succeeded + s.failed + s.unconfirmed, s.submitted, "seed {seed}");
        assert_eq!(s.succeeded as usize, trace.emitted.iter().filter(|o| o.is_succeeded()).count());
        assert_eq!(s.unconfirmed as usize, trace.emitted.iter().filter(|o| o.is_unconfirmed()).count());
        assert_eq!(s.retried, s.item_retries + s.request_retries);
        let r = s.retry_reasons;
        assert_eq!(s.retried, r.item_status + r.request_status + r.connect + r.broken + r.timeout);
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
    let report = elastik_proto::helpers::bulk::BulkReport::new(bulk.stats(), std::time::Duration::from_millis(500));
    assert_eq!(report.docs_per_second(), 6.0);
}

/// The answer of every chunk: 429 for the item with this id, 201 for the others.
fn reject(
    id: &'static str,
) -> impl FnMut(&http::Request<elastik_proto::Body>) -> Result<http::Response<bytes::Bytes>, Error> {
    move |request| {
        let ids = bulk_actions(request);
        Ok(bulk_answer(request, |i, _| if ids[i].1.as_deref() == Some(id) { 429 } else { 201 }))
    }
}

#[test]
fn retries_go_on_until_the_time_budget_runs_out() {
    let t0 = Instant::now();
    // Defaults: no count limit, five minutes from the first rejection.
    let mut bulk = indexer(BulkConfig::default(), (0..3).map(doc), t0);
    let trace = drive(&mut bulk, t0, reject("d001"));
    let failed: Vec<_> = trace.emitted.iter().filter(|o| o.is_failed()).collect();
    assert_eq!(failed.len(), 1, "only the item rejected forever fails");
    assert!(failed[0].retries > 10, "far more than a handful of retries: {}", failed[0].retries);
    assert!(matches!(failed[0].result, BulkResult::Failed(BulkError::Item { status: 429, .. })));
    let budget = Duration::from_secs(300);
    let last_send = trace.sent.last().unwrap().0;
    assert_eq!(last_send, t0 + budget, "the last backoff ends at the deadline, then one last attempt");
    assert_eq!(trace.end, t0 + budget);
    // A settable budget.
    let config = BulkConfig::default().item_retry(BackoffPolicy::new().budget(Duration::from_secs(20)));
    let mut bulk = indexer(config, (0..3).map(doc), t0);
    let trace = drive(&mut bulk, t0, reject("d001"));
    assert_eq!(trace.end, t0 + Duration::from_secs(20));
    assert_eq!(bulk.stats().failed, 1);
    assert_eq!(bulk.stats().succeeded, 2);
}

#[test]
fn item_and_request_retries_have_separate_budgets_and_counters() {
    let t0 = Instant::now();
    let two = BackoffPolicy::new().max_retries(2).backoff(Duration::from_millis(10), Duration::from_millis(10));
    let config = BulkConfig::new().item_retry(two.clone()).request_retry(two);
    let mut bulk = indexer(config, (0..1).map(doc), t0);
    let mut round = 0;
    // 503, item 429, connection refused, item 429, then created: two of
    // each kind, within each kind's limit of two, four in all.
    let trace = drive(&mut bulk, t0, |request| {
        round += 1;
        match round {
            1 => Ok(resp(503, &json!({"error": "unavailable", "status": 503}))),
            3 => Err(io_error(elastik_proto::IoErrorKind::Connect, false)),
            2 | 4 => Ok(bulk_answer(request, |_, _| 429)),
            _ => Ok(bulk_answer(request, |_, _| 201)),
        }
    });
    assert_eq!(trace.sent.len(), 5);
    assert!(trace.emitted[0].is_succeeded());
    assert_eq!(trace.emitted[0].retries, 4);
    let s = bulk.stats();
    assert_eq!((s.retried, s.item_retries, s.request_retries), (4, 2, 2));
    let r = s.retry_reasons;
    assert_eq!((r.item_status, r.request_status, r.connect, r.broken, r.timeout), (2, 1, 1, 0, 0));
    // One kind running out does not touch the other's budget: a third item
    // rejection fails the operation although request retries remain.
    let two = BackoffPolicy::new().max_retries(2).backoff(Duration::from_millis(10), Duration::from_millis(10));
    let mut bulk = indexer(BulkConfig::new().retry(two), (0..1).map(doc), t0);
    let trace = drive(&mut bulk, t0, |request| Ok(bulk_answer(request, |_, _| 429)));
    assert_eq!(trace.sent.len(), 3);
    assert!(trace.emitted[0].is_failed());
    assert_eq!(bulk.stats().request_retries, 0);
}

#[test]
fn retry_after_sets_the_least_wait_up_to_a_minute() {
    let t0 = Instant::now();
    for (header, least) in [("2", 2), ("45", 45), ("600", 60)] {
        let config = BulkConfig::new()
            .retry(BackoffPolicy::new().max_retries(1).backoff(Duration::from_millis(10), Duration::from_millis(10)));
        let mut bulk = indexer(config, (0..1).map(doc), t0);
        let mut first = true;
        let trace = drive(&mut bulk, t0, |request| {
            if std::mem::take(&mut first) {
                let mut answer = resp(429, &json!({}));
                answer.headers_mut().insert("retry-after", header.parse().unwrap());
                Ok(answer)
            } else {
                Ok(bulk_answer(request, |_, _| 201))
            }
        });
        assert_eq!(trace.waits, [Duration::from_secs(least)], "Retry-After: {header}");
        assert_eq!(bulk.stats().succeeded, 1);
    }
    // Item rejections carry the answer's Retry-After too.
    let mut bulk = indexer(BulkConfig::new(), (0..1).map(doc), t0);
    let mut first = true;
    let trace = drive(&mut bulk, t0, |request| {
        let status = if std::mem::take(&mut first) { 429 } else { 201 };
        let mut answer = bulk_answer(request, |_, _| status);
        answer.headers_mut().insert("retry-after", "9".parse().unwrap());
        Ok(answer)
    });
    assert_eq!(trace.waits, [Duration::from_secs(9)]);
}

#[test]
fn every_operation_ends_succeeded_failed_or_unconfirmed() {
    let t0 = Instant::now();
    let ops = vec![
        doc(0),                                                                                  // index with id: safe
        BulkOperation::index(&json!({ "n": 1 })), // index without id: not safe
        BulkOperation::create(&json!({ "n": 2 })).id("d002"), // create with id: safe, may conflict
        BulkOperation::update("d003", &json!({ "script": { "source": "ctx._source.n += 1" } })), // scripted: not safe
        BulkOperation::update_doc("d004", &json!({ "n": 4 })), // partial doc: safe
        BulkOperation::delete("d005"),            // safe
        BulkOperation::index(&json!({ "n": 6 })).retry_safe(true), // declared safe
    ];
    assert_eq!(
        ops.iter().map(BulkOperation::is_retry_safe).collect::<Vec<_>>(),
        [true, false, true, false, true, true, true]
    );
    let mut bulk = indexer(BulkConfig::new().flush_count(10), ops, t0);
    let mut round = 0;
    let trace = drive(&mut bulk, t0, |request| {
        round += 1;
        match round {
            // The connection breaks after the request went out: it may
            // have been applied.
            1 => Err(io_error(elastik_proto::IoErrorKind::Reset, true)),
            // The repetition, only of what is safe to repeat. The create
            // meets the document its first attempt may have made.
            2 => {
                assert_eq!(
                    bulk_actions(request),
                    [
                        ("index".to_owned(), Some("d000".to_owned())),
                        ("create".to_owned(), Some("d002".to_owned())),
                        ("update".to_owned(), Some("d004".to_owned())),
                        ("delete".to_owned(), Some("d005".to_owned())),
                        ("index".to_owned(), None),
                    ]
                );
                Ok(bulk_answer(request, |i, _| [201, 409, 200, 404, 201][i]))
            }
            _ => unreachable!("nothing else to send"),
        }
    });
    let by_id: BTreeMap<_, _> = trace.emitted.iter().map(|o| (o.id.0, o)).collect();
    assert!(by_id[&0].is_succeeded());
    assert!(matches!(by_id[&1].result, BulkResult::Unconfirmed(BulkError::Request(_))), "{:?}", by_id[&1]);
    assert!(
        matches!(by_id[&2].result, BulkResult::Unconfirmed(BulkError::Item { status: 409, .. })),
        "a conflict after a lost answer may be our own document"
    );
    assert!(by_id[&3].is_unconfirmed());
    assert_eq!(by_id[&3].retries, 0);
    assert!(by_id[&4].is_succeeded());
    assert!(by_id[&5].is_succeeded());
    assert!(by_id[&6].is_succeeded());
    let s = bulk.stats();
    assert_eq!(
        (s.submitted, s.succeeded, s.failed, s.unconfirmed),
        (7, 4, 0, 3),
        "unconfirmed is never counted as failed"
    );
    assert_eq!((s.request_retries, s.retry_reasons.broken), (5, 5));

    // Nothing was sent (connection refused): everything is repeated, even
    // without id; a later rejection is a failure with its status and reason.
    let ops = vec![BulkOperation::index(&json!({ "n": 1 })), doc(2)];
    let mut bulk = indexer(BulkConfig::new(), ops, t0);
    let mut round = 0;
    let trace = drive(&mut bulk, t0, |request| {
        round += 1;
        match round {
            1 => Err(io_error(elastik_proto::IoErrorKind::Connect, false)),
            _ => Ok(bulk_answer(request, |i, _| [201, 400][i])),
        }
    });
    assert_eq!(trace.sent.len(), 2);
    let s = bulk.stats();
    assert_eq!((s.succeeded, s.failed, s.unconfirmed, s.retry_reasons.connect), (1, 1, 0, 2));
    let failed = trace.emitted.iter().find(|o| o.is_failed()).unwrap();
    let Some(BulkError::Item { status: 400, cause: Some(cause) }) = failed.result.failure() else {
        panic!("{failed:?}")
    };
    assert_eq!(cause.reason.as_deref(), Some("scripted"));

    // A timeout and a 504 may have been applied too; the budget running
    // out after such an attempt leaves the operation unconfirmed.
    for answer in [
        (|| Err(io_error(elastik_proto::IoErrorKind::Timeout, true))) as fn() -> _,
        || Ok(resp(504, &json!({}))),
        || Ok(resp(502, &json!({}))),
    ] {
        let config = BulkConfig::new().retry(BackoffPolicy::new().max_retries(2));
        let mut bulk = indexer(config, [doc(0), BulkOperation::index(&json!({}))], t0);
        let trace = drive(&mut bulk, t0, |_| answer());
        assert_eq!(trace.sent.len(), 3, "the first and two repetitions of the one with an id");
        let s = bulk.stats();
        assert_eq!((s.succeeded, s.failed, s.unconfirmed), (0, 0, 2));
    }
}

#[test]
fn the_indexer_slows_down_under_push_back_and_speeds_up_again() {
    let t0 = Instant::now();
    let config = BulkConfig::new()
        .flush_count(400)
        .max_in_flight(4)
        .min_chunk(50)
        .flush_interval(None)
        .retry(BackoffPolicy::new().backoff(Duration::from_millis(10), Duration::from_millis(10)));
    let mut bulk = BulkIndexer::new(config);
    for n in 0..20_000 {
        bulk.add(doc(n), t0).unwrap();
    }
    bulk.close();
    assert_eq!(bulk.limits(), (4, 400));
    let mut requests = 0;
    let mut sizes = Vec::new();
    let trace = drive(&mut bulk, t0, |request| {
        requests += 1;
        sizes.push(bulk_actions(request).len());
        match requests {
            // Push-back: whole-request 429s, then item rejections.
            1..=6 => Ok(resp(429, &json!({"error": "busy", "status": 429}))),
            7..=10 => Ok(bulk_answer(request, |i, _| if i % 3 == 0 { 429 } else { 201 })),
            _ => Ok(bulk_answer(request, |_, _| 201)),
        }
    });
    let s = bulk.stats();
    assert_eq!((s.succeeded, s.failed, s.unconfirmed), (20_000, 0, 0));
    // Four chunks of 400 went out at once; their four 429s halve the
    // limits once (a round), the next round halves again, down to the floor.
    assert_eq!(&sizes[..4], [400, 400, 400, 400]);
    // (Later partial chunks are retries released at the end.)
    let smallest = *sizes[..12].iter().min().unwrap();
    assert_eq!(smallest, 50, "chunks shrink to min_chunk under push-back: {sizes:?}");
    assert!(s.slowdowns >= 3, "{s:?}");
    assert!(s.slowdowns <= 10, "at most one slowdown per answer under push-back, and one per round");
    // Clean answers bring the limits back.
    assert_eq!(bulk.limits(), (4, 400));
    assert!(sizes[20..30].iter().all(|n| *n == 400), "full chunks again: {sizes:?}");
    assert_eq!(trace.emitted.len(), 20_000);
    // Not adaptive: the limits never move.
    let config = BulkConfig::new().flush_count(100).adaptive(false).retry(BackoffPolicy::new().max_retries(1));
    let mut bulk = indexer(config, (0..300).map(doc), t0);
    let mut first = true;
    let trace = drive(&mut bulk, t0, |request| {
        if std::mem::take(&mut first) {
            Ok(resp(429, &json!({})))
        } else {
            Ok(bulk_answer(request, |_, _| 201))
        }
    });
    assert!(trace.sent.iter().all(|(_, r)| bulk_actions(&r.request).len() == 100));
    assert_eq!(bulk.stats().slowdowns, 0);
}

#[test]
fn one_round_of_push_back_slows_down_once() {
    let t0 = Instant::now();
    let config = BulkConfig::new().flush_count(100).max_in_flight(4).min_chunk(10).flush_interval(None);
    let mut bulk = BulkIndexer::new(config);
    for n in 0..1000 {
        bulk.add(doc(n), t0).unwrap();
    }
    let sent: Vec<_> = (0..4)
        .map(|_| match bulk.poll(t0) {
            Step::Send(s) => s,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(matches!(bulk.poll(t0), Step::Wait(None)), "four in flight");
    for s in &sent {
        bulk.handle(s.token, Ok(resp(503, &json!({}))), t0);
    }
    assert_eq!(bulk.limits(), (2, 50), "four answers of the same round: one halving");
    assert_eq!(bulk.stats().slowdowns, 1);
    // The next chunk belongs to the new round: its push-back halves again.
    let Step::Send(next) = bulk.poll(t0) else { panic!() };
    assert_eq!(bulk_actions(&next.request).len(), 50);
    bulk.handle(next.token, Ok(resp(429, &json!({}))), t0);
    assert_eq!(bulk.limits(), (1, 25));
    // A clean answer: one step up.
    let Step::Send(next) = bulk.poll(t0) else { panic!() };
    bulk.handle(next.token, Ok(bulk_answer(&next.request, |_, _| 201)), t0);
    assert_eq!(bulk.limits(), (2, 37));
}
