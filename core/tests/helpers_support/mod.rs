//! Shared by the `helpers_*` tests: a manual clock, scripted answers and a
//! drive loop that records everything the machines ask for.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use elastik_proto::helpers::{HelperRequest, Token};
use elastik_proto::machine::Step;
use elastik_proto::{Body, Error};
use serde_json::Value;

/// Answers a request, as a scripted server.
pub type Script<'a> = dyn FnMut(&http::Request<Body>) -> Result<http::Response<Bytes>, Error> + 'a;

/// A response with a JSON body.
pub fn resp(status: u16, body: &Value) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Bytes::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// The NDJSON lines of a request body, parsed.
pub fn lines(request: &http::Request<Body>) -> Vec<Value> {
    request
        .body()
        .bytes()
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// The JSON body of a request (`Null` when empty).
pub fn json_body(request: &http::Request<Body>) -> Value {
    let bytes = request.body().bytes();
    if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    }
}

/// The action lines of a bulk body, as `(op, _id)`.
pub fn bulk_actions(request: &http::Request<Body>) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut it = lines(request).into_iter();
    while let Some(action) = it.next() {
        let (op, meta) = action.as_object().unwrap().iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap();
        out.push((op.clone(), meta.get("_id").and_then(Value::as_str).map(str::to_owned)));
        if op != "delete" {
            it.next();
        }
    }
    out
}

/// A bulk answer with one item per action of `request`, statuses from `status(i, op)`.
pub fn bulk_answer(request: &http::Request<Body>, mut status: impl FnMut(usize, &str) -> u16) -> http::Response<Bytes> {
    let items: Vec<Value> = bulk_actions(request)
        .iter()
        .enumerate()
        .map(|(i, (op, id))| {
            let s = status(i, op);
            let mut item = serde_json::json!({ "_index": "i", "_id": id, "status": s });
            if s == 404 && op == "delete" {
                item["result"] = "not_found".into();
            } else if s >= 300 {
                item["error"] = serde_json::json!({ "type": format!("status_{s}_exception"), "reason": "scripted" });
            } else {
                item["result"] = "created".into();
            }
            serde_json::json!({ op.clone(): item })
        })
        .collect();
    let errors =
        items.iter().any(|i| i.as_object().unwrap().values().next().unwrap()["status"].as_u64().unwrap() >= 300);
    resp(200, &serde_json::json!({ "took": 1, "errors": errors, "items": items }))
}

/// Everything a drive recorded.
#[derive(Debug)]
pub struct Trace<O> {
    /// Requests, in the order they were asked for, with the clock then.
    pub sent: Vec<(Instant, HelperRequest)>,
    /// Emitted outcomes, in order.
    pub emitted: Vec<O>,
    /// Each wait asked for, as a duration from the clock then.
    pub waits: Vec<Duration>,
    /// The clock at the end.
    pub end: Instant,
}

/// The two verbs every helper machine has.
pub trait Machine {
    type Out;
    fn poll(&mut self, now: Instant) -> Step<HelperRequest, Self::Out>;
    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant);
}

impl Machine for elastik_proto::helpers::bulk::BulkIndexer {
    type Out = elastik_proto::helpers::bulk::BulkOutcome;
    fn poll(&mut self, now: Instant) -> Step<HelperRequest, Self::Out> {
        self.poll(now)
    }
    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        self.handle(token, result, now)
    }
}

impl<T: serde::de::DeserializeOwned> Machine for elastik_proto::helpers::scan::Scan<T> {
    type Out = Result<elastik_proto::helpers::scan::Hit<T>, Error>;
    fn poll(&mut self, now: Instant) -> Step<HelperRequest, Self::Out> {
        self.poll(now)
    }
    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        self.handle(token, result, now)
    }
}

impl Machine for elastik_proto::helpers::reindex::Reindex {
    type Out = elastik_proto::helpers::reindex::ReindexEvent;
    fn poll(&mut self, now: Instant) -> Step<HelperRequest, Self::Out> {
        self.poll(now)
    }
    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        self.handle(token, result, now)
    }
}

/// Drives a machine to `Done`: requests are answered by `script` when the
/// machine goes idle (oldest first, or `pick` chooses among those in
/// flight), waits jump the clock.
pub fn drive<M: Machine>(
    machine: &mut M,
    start: Instant,
    mut script: impl FnMut(&http::Request<Body>) -> Result<http::Response<Bytes>, Error>,
) -> Trace<M::Out> {
    drive_with(machine, start, |_| 0, &mut script)
}

/// [`drive`], answering the in-flight request at index `pick(n_in_flight)`.
pub fn drive_with<M: Machine>(
    machine: &mut M,
    start: Instant,
    mut pick: impl FnMut(usize) -> usize,
    script: &mut Script<'_>,
) -> Trace<M::Out> {
    let mut now = start;
    let mut trace = Trace { sent: Vec::new(), emitted: Vec::new(), waits: Vec::new(), end: now };
    let mut in_flight: VecDeque<(Token, usize)> = VecDeque::new();
    for _ in 0..1_000_000 {
        match machine.poll(now) {
            Step::Send(request) => {
                in_flight.push_back((request.token, trace.sent.len()));
                trace.sent.push((now, request));
            }
            Step::Emit(out) => trace.emitted.push(out),
            Step::Wait(Some(until)) => {
                assert!(until > now, "a wait must lie in the future");
                if in_flight.is_empty() {
                    trace.waits.push(until - now);
                    now = until;
                } else {
                    answer(machine, &mut in_flight, &trace, &mut pick, script, now);
                }
            }
            Step::Wait(None) => {
                assert!(!in_flight.is_empty(), "idle with nothing in flight: the machine would hang");
                answer(machine, &mut in_flight, &trace, &mut pick, script, now);
            }
            Step::Done => {
                assert!(in_flight.is_empty(), "done with requests in flight");
                trace.end = now;
                return trace;
            }
        }
    }
    panic!("the machine never finished");
}

fn answer<M: Machine>(
    machine: &mut M,
    in_flight: &mut VecDeque<(Token, usize)>,
    trace: &Trace<M::Out>,
    pick: &mut dyn FnMut(usize) -> usize,
    script: &mut Script<'_>,
    now: Instant,
) {
    let i = pick(in_flight.len()) % in_flight.len();
    let (token, index) = in_flight.remove(i).unwrap();
    let result = script(&trace.sent[index].1.request);
    machine.handle(token, result, now);
}

/// A transport error, as a call reports it when it gave up.
pub fn transport_error() -> Error {
    Error::Transport(Box::new(elastik_proto::error::TransportError {
        kind: elastik_proto::IoErrorKind::Reset,
        node: "http://localhost:9200/".to_owned(),
        attempts: Vec::new(),
        reason: "scripted reset".to_owned(),
    }))
}

/// A transport error of this kind whose one attempt did (or did not) send
/// the request, as a call with `max_retries(0)` reports it.
pub fn io_error(kind: elastik_proto::IoErrorKind, sent: bool) -> Error {
    let mut io = elastik_proto::IoError::new(kind, "scripted");
    io.request_sent = sent;
    let node = "http://localhost:9200/".to_owned();
    Error::Transport(Box::new(elastik_proto::error::TransportError {
        kind,
        node: node.clone(),
        attempts: vec![elastik_proto::error::Attempt { node, outcome: elastik_proto::error::AttemptOutcome::Io(io) }],
        reason: "scripted".to_owned(),
    }))
}
