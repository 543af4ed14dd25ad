//! The bulk indexer fed with arbitrary answers — raw bytes, well-formed
//! item lists with any statuses, error statuses, transport errors — and
//! driven with scripted time. Invariants: no panic, the machine finishes in
//! a bounded number of steps, and every added operation ends in exactly
//! one outcome (`succeeded + failed == submitted`).
#![no_main]

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use bytes::Bytes;
use elastik_proto::error::IoErrorKind;
use elastik_proto::helpers::bulk::{BulkConfig, BulkIndexer, BulkOperation, OpType};
use elastik_proto::helpers::{BackoffPolicy};
use elastik_proto::machine::Step;
use elastik_proto::{ApiError, Error};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    ops: Vec<(u8, u8)>,
    flush_count: u8,
    max_in_flight: u8,
    max_retries: u8,
    answer_out_of_order: bool,
    replies: Vec<Reply>,
}

#[derive(Arbitrary, Debug)]
enum Reply {
    /// Any status, an optional `Retry-After`, any body.
    Raw { status: u16, retry_after: Option<String>, body: Vec<u8> },
    /// A well-formed bulk body with these item statuses (op type chosen per item).
    Items { statuses: Vec<(u8, u16)>, error: bool, exact: bool },
    /// The call ended in an error.
    Failed(FailKind),
}

#[derive(Arbitrary, Debug)]
enum FailKind {
    Io(u8),
    Api(u16, Vec<u8>),
    Decode,
    Build,
}

const OP_TYPES: [OpType; 4] = [OpType::Index, OpType::Create, OpType::Update, OpType::Delete];

fuzz_target!(|input: Input| {
    let max_retries = u32::from(input.max_retries % 4);
    let config = BulkConfig::new()
        .index("fuzz")
        .flush_count(usize::from(input.flush_count % 5) + 1)
        .max_in_flight(usize::from(input.max_in_flight % 3) + 1)
        .retry(BackoffPolicy::new().max_retries(max_retries).backoff(Duration::from_millis(10), Duration::from_secs(1)))
        .retry_on_status([429, 503]);
    let mut bulk = BulkIndexer::new(config);
    let mut now = Instant::now();
    let ops = &input.ops[..input.ops.len().min(16)];
    for (i, (kind, doc)) in ops.iter().enumerate() {
        let op = match kind % 5 {
            0 => BulkOperation::index(&serde_json::json!({ "n": doc })),
            1 => BulkOperation::create(&serde_json::json!({ "n": doc })).id(i.to_string()),
            2 => BulkOperation::update_doc(i.to_string(), &serde_json::json!({ "n": doc })),
            3 => BulkOperation::delete(i.to_string()),
            // A document with a newline in it: an outcome at once, never sent.
            _ => BulkOperation::raw(OpType::Index, &b"{\n}"[..]),
        };
        bulk.add(op, now).expect("not closed");
    }
    bulk.close();

    let mut replies = input.replies.into_iter();
    let mut in_flight = Vec::new();
    let mut seen = vec![false; ops.len()];
    // Each operation is sent at most 2 · max_retries + 1 times (item and
    // request retries have a limit each); each send and each emit is one
    // step, plus waits and idles.
    let bound = 8 * (ops.len() + 1) * (2 * max_retries as usize + 2);
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps <= bound, "the bulk indexer did not finish within {bound} steps");
        match bulk.poll(now) {
            Step::Send(send) => in_flight.push((send.token, send.request)),
            Step::Emit(outcome) => {
                let id = outcome.id.0 as usize;
                assert!(!seen[id], "operation {id} has two outcomes");
                seen[id] = true;
                if let Some(e) = outcome.result.error() {
                    let _ = (e.to_string(), e.status());
                }
            }
            Step::Wait(Some(until)) => {
                assert!(until > now, "wait for a past instant");
                now = until;
            }
            Step::Wait(None) => {
                assert!(!in_flight.is_empty(), "idle with nothing in flight after close");
                let (token, request) = if input.answer_out_of_order {
                    in_flight.pop().expect("not empty")
                } else {
                    in_flight.remove(0)
                };
                let reply = replies.next().unwrap_or(Reply::Failed(FailKind::Io(0)));
                let result = answer(reply, &request);
                now += Duration::from_millis(1);
                bulk.handle(token, result, now);
            }
            Step::Done => break,
        }
    }
    assert!(in_flight.is_empty(), "done with requests in flight");
    assert!(seen.iter().all(|s| *s), "an operation has no outcome");
    let stats = bulk.stats();
    assert_eq!(stats.submitted, ops.len() as u64);
    assert_eq!(stats.succeeded + stats.failed + stats.unconfirmed, stats.submitted, "{stats:?}");
});

fn answer(reply: Reply, request: &http::Request<elastik_proto::Body>) -> Result<http::Response<Bytes>, Error> {
    match reply {
        Reply::Raw { status, retry_after, body } => {
            let mut b = http::Response::builder().status(http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK));
            if let Some(ra) = retry_after.as_deref().and_then(|v| http::HeaderValue::from_str(v).ok()) {
                b = b.header(http::header::RETRY_AFTER, ra);
            }
            Ok(b.body(Bytes::from(body)).expect("valid response"))
        }
        Reply::Items { statuses, error, exact } => {
            // With `exact`, one item per operation of the chunk, of its type;
            // else whatever count and types the fuzzer chose.
            let actions: Vec<&'static str> = request
                .body()
                .bytes()
                .split(|b| *b == b'\n')
                .filter_map(|line| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line).ok())
                .filter_map(|m| OP_TYPES.iter().find(|t| m.len() == 1 && m.contains_key(t.as_str())).map(|t| t.as_str()))
                .collect();
            let count = if exact { actions.len() } else { statuses.len().min(20) };
            let mut items = Vec::new();
            for i in 0..count {
                let (op, status) = statuses.get(i).copied().unwrap_or((0, 201));
                let op = match actions.get(i) {
                    Some(a) if exact => a,
                    _ => OP_TYPES[usize::from(op) % 4].as_str(),
                };
                let err = if status >= 300 || error { r#","error":{"type":"x","reason":"y"}"# } else { "" };
                items.push(format!(r#"{{"{op}":{{"_index":"fuzz","_id":"{i}","status":{status}{err}}}}}"#));
            }
            let body = format!(r#"{{"took":1,"errors":{error},"items":[{}]}}"#, items.join(","));
            Ok(http::Response::builder().status(200).body(Bytes::from(body)).expect("valid response"))
        }
        Reply::Failed(kind) => Err(match kind {
            FailKind::Io(k) => {
                let kind = [IoErrorKind::Connect, IoErrorKind::Timeout, IoErrorKind::Reset, IoErrorKind::BodyTooLarge]
                    [usize::from(k) % 4];
                Error::Transport(Box::new(elastik_proto::error::TransportError {
                    kind,
                    node: "http://n1:9200".to_owned(),
                    attempts: Vec::new(),
                    reason: "fuzz".to_owned(),
                }))
            }
            FailKind::Api(status, body) => {
                let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
                Error::Api(Box::new(ApiError::from_response(status, Bytes::from(body), vec![])))
            }
            FailKind::Decode => Error::decode("fuzz", b"{"),
            FailKind::Build => Error::build("fuzz"),
        }),
    }
}
