//! Seeded fault mixes for the [`FaultProxy`](crate::FaultProxy), and the
//! item-level rejection of bulk requests.
//!
//! A [`FaultMix`] gives the share of requests that get each fault; its
//! [`plan`](FaultMix::plan) draws one [`Fault`] per request from a seeded
//! generator, so the same seed gives the same sequence (the proxy takes
//! them in arrival order; what differs between runs is only which request
//! arrives first).
//!
//! [`Fault::RejectBulkItems`] rejects items *before* the server sees them:
//! the chosen operations are taken out of the bulk body, the rest is
//! forwarded, and the answer gets a 429 item at each removed position. A
//! rejected item was therefore not applied, as with a real overloaded
//! node, which makes runs without ids checkable.

use serde_json::Value;

use crate::Fault;

/// Shares of requests (in per mille) that get each fault; the rest pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultMix {
    /// Answered 429 (with `Retry-After: 1` on one in four), not forwarded.
    pub status_429: u32,
    /// Answered 503, not forwarded.
    pub status_503: u32,
    /// Forwarded (so applied), then the connection is closed without an answer.
    pub reset_after_forward: u32,
    /// Held this long before being forwarded (the client has usually given up).
    pub stall: u32,
    /// How long a stall lasts.
    pub stall_for: std::time::Duration,
    /// Bulk requests that get some items rejected…
    pub reject_items: u32,
    /// …each item with this chance, per mille.
    pub reject_items_per_mille: u32,
}

impl FaultMix {
    /// The issue's mix: 5% 429, 5% 503, 2% connections reset after the
    /// request reached the server, 5% of bulk items answered 429.
    pub fn issue() -> Self {
        FaultMix {
            status_429: 50,
            status_503: 50,
            reset_after_forward: 20,
            reject_items: 1000,
            reject_items_per_mille: 50,
            ..FaultMix::default()
        }
    }

    /// A sequence of `len` faults (one per request), from `seed`.
    pub fn plan(&self, seed: u64, len: usize) -> Vec<Fault> {
        let mut rng = SplitMix64(seed);
        (0..len).map(|_| self.draw(&mut rng)).collect()
    }

    fn draw(&self, rng: &mut SplitMix64) -> Fault {
        let mut pick = (rng.next() % 1000) as u32;
        let retry_after = rng.next().is_multiple_of(4);
        let item_seed = rng.next();
        for (share, fault) in [
            (self.status_429, if retry_after { Fault::StatusRetryAfter(429, 1) } else { Fault::Status(429) }),
            (self.status_503, Fault::Status(503)),
            (self.reset_after_forward, Fault::ResetAfterForward),
            (self.stall, Fault::Stall(self.stall_for)),
        ] {
            if pick < share {
                return fault;
            }
            pick -= share;
        }
        // Independent of the request-level draw: a passing bulk request may
        // still have items rejected.
        if self.reject_items > 0 && (item_seed % 1000) < u64::from(self.reject_items) {
            return Fault::RejectBulkItems { status: 429, per_mille: self.reject_items_per_mille, seed: item_seed };
        }
        Fault::Pass
    }
}

/// SplitMix64: small, seeded, good enough for fault plans.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A bulk body split for [`Fault::RejectBulkItems`]: what to forward, and
/// which positions were taken out.
pub(crate) struct Rejection {
    /// The body without the rejected operations.
    pub forward: Vec<u8>,
    /// Positions (in operations) of the rejected ones, ascending.
    pub rejected: Vec<usize>,
    /// Operations in the original body.
    pub total: usize,
}

/// Chooses the operations of an NDJSON bulk body to reject (each with
/// `per_mille` chance, from `seed`). `None` when the body is not a bulk
/// body this can split (not UTF-8 JSON lines), so it is forwarded as is.
pub(crate) fn choose_rejections(body: &[u8], per_mille: u32, seed: u64) -> Option<Rejection> {
    let mut rng = SplitMix64(seed);
    let mut lines = body.split(|b| *b == b'\n').filter(|l| !l.is_empty()).peekable();
    let mut forward = Vec::with_capacity(body.len());
    let mut rejected = Vec::new();
    let mut total = 0;
    while let Some(action) = lines.next() {
        let parsed: Value = serde_json::from_slice(action).ok()?;
        let op = parsed.as_object()?.keys().next()?.clone();
        let source = if op == "delete" { None } else { Some(lines.next()?) };
        let reject = (rng.next() % 1000) < u64::from(per_mille);
        if reject {
            rejected.push(total);
        } else {
            forward.extend_from_slice(action);
            forward.push(b'\n');
            if let Some(source) = source {
                forward.extend_from_slice(source);
                forward.push(b'\n');
            }
        }
        total += 1;
    }
    Some(Rejection { forward, rejected, total })
}

/// The operation names of an NDJSON bulk body, in order.
fn op_names(body: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = body.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    while let Some(action) = lines.next() {
        let op = serde_json::from_slice::<Value>(action)
            .ok()
            .and_then(|v| v.as_object().and_then(|o| o.keys().next().cloned()))
            .unwrap_or_else(|| "index".to_owned());
        if op != "delete" {
            lines.next();
        }
        names.push(op);
    }
    names
}

/// The answer to the original request: the upstream's items for the
/// forwarded operations, a `status` item with an
/// `es_rejected_execution_exception` at each rejected position. `None`
/// when the upstream answer has no `items` of the expected length (it is
/// then passed on unchanged).
pub(crate) fn merge_answer(
    original: &[u8],
    rejection: &Rejection,
    upstream: Option<&[u8]>,
    status: u16,
) -> Option<Vec<u8>> {
    let names = op_names(original);
    let mut answer: Value = match upstream {
        Some(body) => serde_json::from_slice(body).ok()?,
        None => serde_json::json!({ "took": 0, "errors": false, "items": [] }),
    };
    let items = answer.get_mut("items")?.as_array_mut()?;
    if items.len() + rejection.rejected.len() != rejection.total {
        return None;
    }
    let mut forwarded = std::mem::take(items).into_iter();
    let mut merged = Vec::with_capacity(rejection.total);
    let mut next_rejected = rejection.rejected.iter().peekable();
    for position in 0..rejection.total {
        if next_rejected.peek() == Some(&&position) {
            next_rejected.next();
            let op = names.get(position).cloned().unwrap_or_else(|| "index".to_owned());
            merged.push(serde_json::json!({ op: {
                "status": status,
                "error": {
                    "type": "es_rejected_execution_exception",
                    "reason": format!("fault proxy rejected item {position}"),
                },
            }}));
        } else {
            merged.push(forwarded.next()?);
        }
    }
    answer["items"] = Value::Array(merged);
    answer["errors"] = Value::Bool(true);
    serde_json::to_vec(&answer).ok()
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read, Write};
    use std::net::TcpStream;

    use super::*;
    use crate::http1::{read_body, read_head, response_framing};
    use crate::{FaultProxy, StubResponse, StubServer};

    /// A stub that answers a bulk body with one 201 item per operation it got.
    fn bulk_stub() -> StubServer {
        StubServer::start(|r| {
            let items: Vec<String> = op_names(&r.body)
                .iter()
                .enumerate()
                .map(|(i, op)| format!(r#"{{"{op}":{{"_id":"{i}","status":201}}}}"#))
                .collect();
            StubResponse::json(200, format!(r#"{{"took":1,"errors":false,"items":[{}]}}"#, items.join(",")))
        })
    }

    fn bulk_body(n: usize) -> String {
        (0..n).map(|i| format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"n\":{i}}}\n")).collect()
    }

    #[test]
    fn the_proxy_rejects_items_the_server_never_sees() {
        let stub = bulk_stub();
        let proxy = FaultProxy::start(&stub.url());
        proxy.push(Fault::RejectBulkItems { status: 429, per_mille: 300, seed: 11 });
        let body = bulk_body(40);
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        let request = format!("POST /_bulk HTTP/1.1\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        conn.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(conn);
        let mut head = read_head(&mut reader).unwrap().unwrap();
        head.body = read_body(&mut reader, response_framing(&head, "POST")).unwrap();
        let answer: Value = serde_json::from_slice(&head.body).unwrap();
        let items = answer["items"].as_array().unwrap();
        assert_eq!(items.len(), 40, "one item per operation sent");
        let rejected = items.iter().filter(|i| i["index"]["status"] == 429).count();
        let seen = op_names(&stub.requests()[0].body).len();
        assert!(rejected > 0 && seen > 0, "{rejected} rejected, {seen} forwarded");
        assert_eq!(rejected + seen, 40, "a rejected item never reached the server");
        assert_eq!(answer["errors"], true);
    }

    #[test]
    fn reset_after_forward_applies_the_request_and_answers_nothing() {
        let stub = bulk_stub();
        let proxy = FaultProxy::start(&stub.url());
        proxy.push(Fault::ResetAfterForward);
        let body = bulk_body(2);
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        let request = format!("POST /_bulk HTTP/1.1\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        conn.write_all(request.as_bytes()).unwrap();
        let mut rest = Vec::new();
        let _ = conn.read_to_end(&mut rest);
        assert!(rest.is_empty(), "not a byte of the answer");
        assert_eq!(stub.request_count(), 1, "the server got the request");
    }

    #[test]
    fn plans_replay_by_seed_and_follow_the_shares() {
        let mix = FaultMix { status_429: 200, status_503: 50, ..FaultMix::default() };
        let plan = mix.plan(7, 20_000);
        assert_eq!(plan, mix.plan(7, 20_000));
        assert_ne!(plan, mix.plan(8, 20_000));
        let busy = plan.iter().filter(|f| matches!(f, Fault::Status(429) | Fault::StatusRetryAfter(429, _))).count();
        let unavailable = plan.iter().filter(|f| **f == Fault::Status(503)).count();
        assert!((3600..4400).contains(&busy), "{busy}");
        assert!((800..1200).contains(&unavailable), "{unavailable}");
        assert!(FaultMix::issue().plan(1, 100).iter().any(|f| matches!(f, Fault::RejectBulkItems { .. })));
    }

    #[test]
    fn rejected_items_are_taken_out_and_answered_in_place() {
        let body =
            b"{\"index\":{\"_id\":\"a\"}}\n{\"n\":1}\n{\"delete\":{\"_id\":\"b\"}}\n{\"create\":{}}\n{\"n\":3}\n";
        let all = choose_rejections(body, 1000, 1).unwrap();
        assert_eq!((all.rejected.clone(), all.total, all.forward.len()), (vec![0, 1, 2], 3, 0));
        let none = choose_rejections(body, 0, 1).unwrap();
        assert_eq!(none.forward, body);
        let some = (0..64).find_map(|seed| {
            let r = choose_rejections(body, 500, seed).unwrap();
            (r.rejected == [1]).then_some(r)
        });
        let some = some.expect("a seed that rejects only the delete");
        assert_eq!(some.forward, b"{\"index\":{\"_id\":\"a\"}}\n{\"n\":1}\n{\"create\":{}}\n{\"n\":3}\n");
        let upstream = br#"{"took":1,"errors":false,"items":[{"index":{"_id":"a","status":201}},{"create":{"_id":"x","status":201}}]}"#;
        let merged: Value = serde_json::from_slice(&merge_answer(body, &some, Some(upstream), 429).unwrap()).unwrap();
        assert_eq!(merged["errors"], true);
        assert_eq!(merged["items"][0]["index"]["status"], 201);
        assert_eq!(merged["items"][1]["delete"]["status"], 429);
        assert_eq!(merged["items"][1]["delete"]["error"]["type"], "es_rejected_execution_exception");
        assert_eq!(merged["items"][2]["create"]["_id"], "x");
        // Everything rejected: answered without the upstream.
        let merged: Value = serde_json::from_slice(&merge_answer(body, &all, None, 429).unwrap()).unwrap();
        assert_eq!(merged["items"].as_array().unwrap().len(), 3);
        // An upstream answer of the wrong length is passed on.
        assert!(merge_answer(body, &some, Some(br#"{"items":[]}"#), 429).is_none());
        assert!(choose_rejections(b"not json\n", 500, 1).is_none());
    }
}
