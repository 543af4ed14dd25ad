//! Helpers that lose nothing: a bulk indexer, a scan and a reindex, as pure
//! state machines one level above the transport.
//!
//! What it owns: forming bulk chunks and accounting every item of every
//! response ([`bulk`]), paging through an index with a point in time or a
//! scroll and always closing it ([`scan`]), and the composition of both
//! ([`reindex`]). Every retry decision and backoff is made here, as values.
//!
//! What it does not do: send requests, wait, spawn tasks or read a clock.
//! Every machine here implements [`Machine`](crate::machine::Machine), the
//! one contract of the core ([`machine`](crate::machine)):
//!
//! - `poll(now) -> Step<HelperRequest, O>`: what to do next — send a
//!   request (with a [`Token`] to match its answer), hand an item `O` to
//!   the consumer, wait until an instant or for an input (`Wait(None)`), or
//!   stop.
//! - `handle(token, result, now)`: the answer of a request sent earlier,
//!   whatever its status, or the error that ended its call.
//!
//! Helper requests are ordinary requests: the runtime runs each one through
//! the transport (node selection, connection retries) and reports the final
//! response. Several may be in flight at once; answers may come back in any
//! order.
//!
//! # The drive loop
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use elastik_proto::helpers::bulk::{BulkConfig, BulkIndexer, BulkOperation};
//! use elastik_proto::machine::Step;
//!
//! # fn exchange(req: &http::Request<elastik_proto::Body>) -> Result<http::Response<Bytes>, elastik_proto::Error> {
//! #     let n = req.body().bytes().split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() / 2;
//! #     let items = vec![r#"{"index":{"_id":"1","status":201}}"#; n].join(",");
//! #     Ok(http::Response::builder().status(200).body(Bytes::from(format!(r#"{{"errors":false,"items":[{items}]}}"#))).unwrap())
//! # }
//! let mut bulk = BulkIndexer::new(BulkConfig::new().index("books"));
//! for n in 0..3 {
//!     bulk.add(BulkOperation::index(&serde_json::json!({ "n": n })), Instant::now()).unwrap();
//! }
//! bulk.close();
//! let mut in_flight = Vec::new();
//! loop {
//!     match bulk.poll(Instant::now()) {
//!         // Start a transport call (here: answered at once, in order).
//!         Step::Send(send) => in_flight.push((send.token, exchange(&send.request))),
//!         Step::Emit(outcome) => assert!(outcome.is_succeeded()),
//!         // Sleep until then, unless an answer or an input arrives first.
//!         Step::Wait(Some(_until)) => {}
//!         // Wait for an answer (or for the consumer to add, flush or close).
//!         Step::Wait(None) => {
//!             let (token, result) = in_flight.remove(0);
//!             bulk.handle(token, result, Instant::now());
//!         }
//!         Step::Done => break,
//!     }
//! }
//! assert_eq!(bulk.stats().succeeded, 3);
//! ```

pub mod bulk;
pub mod reindex;
pub mod scan;

use std::time::Duration;

use crate::body::Body;
use crate::transport::{RequestOptions, SplitMix64};

/// One request a helper wants sent.
#[derive(Debug)]
pub struct HelperRequest {
    /// Matches the answer to the request: pass it to `handle`.
    pub token: Token,
    /// The endpoint's name in the specification (`bulk`, `search`,
    /// `open_point_in_time`, …), for the transport's retry rules and spans.
    pub endpoint_id: &'static str,
    /// The request, as an endpoint would build it (origin-form URI, plain
    /// media types).
    pub request: http::Request<Body>,
    /// Options for the transport call. Bulk requests set `max_retries(0)`:
    /// the bulk machine retries on its own, item by item.
    pub options: RequestOptions,
    /// Which side of a reindex the request belongs to; a runtime with a
    /// single client ignores it.
    pub role: Role,
}

/// Identifies one request of a machine, to match its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u64);

/// Whether a request reads (scan) or writes (bulk). A reindex between two
/// clusters sends `Read` requests to the source client and `Write` requests
/// to the target client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Search, point in time, scroll.
    Read,
    /// Bulk.
    Write,
}

/// Retry policy of one kind of bulk retry: how long, how often, and how
/// long to back off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Retries of an operation, for this kind, after its first failure of
    /// this kind (default: no limit by count; the budget decides).
    pub max_retries: u32,
    /// How long an operation keeps being retried, from its first failure
    /// of this kind (default 5 minutes). No retry is scheduled after it,
    /// and a backoff that would end after it ends there.
    pub budget: Duration,
    /// First backoff step (default 500 ms): retry `n` waits between half and
    /// all of `base · 2^(n−1)`, capped by `max` (equal jitter).
    pub base: Duration,
    /// Backoff cap (default 30 s).
    pub max: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            max_retries: u32::MAX,
            budget: Duration::from_secs(300),
            base: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl BackoffPolicy {
    /// The defaults.
    pub fn new() -> Self {
        BackoffPolicy::default()
    }

    /// At most `n` retries (the budget still applies).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// How long an operation keeps being retried.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// The first backoff step and the cap.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base = base;
        self.max = max;
        self
    }

    /// The bounds of the wait before retry `retry` (1-based): `(ceiling / 2, ceiling)`.
    pub fn bounds(&self, retry: u32) -> (Duration, Duration) {
        let exp = retry.saturating_sub(1).min(30);
        let ceiling = self.base.saturating_mul(1u32 << exp).min(self.max);
        (ceiling / 2, ceiling)
    }

    /// A jittered wait within [`BackoffPolicy::bounds`].
    pub fn delay(&self, retry: u32, rng: &mut SplitMix64) -> Duration {
        let (low, high) = self.bounds(retry);
        let span = (high - low).as_nanos() as u64;
        let jitter = if span == 0 { 0 } else { rng.next_u64() % (span + 1) };
        low + Duration::from_nanos(jitter)
    }
}
