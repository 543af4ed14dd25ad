//! The bulk indexer: operations in, NDJSON chunks out, one outcome per
//! operation back.
//!
//! [`BulkIndexer`] takes operations with [`add`](BulkIndexer::add), forms
//! chunks by count, bytes and age, keeps up to `max_in_flight` chunks in
//! flight, and reads every answer item by item, by position:
//!
//! - a 2xx item succeeded (and a `delete` answered 404 `not_found`: the
//!   document is absent, as asked);
//! - an item whose status is in `retry_on_status` (429 by default) is
//!   retried after a jittered exponential backoff, up to `retry.max_retries`
//!   times, then fails;
//! - any other item fails, with the server's error and the operation
//!   handed back.
//!
//! A whole request that fails (429 or 5xx status, transport error, a
//! response that cannot be read or whose items do not match the chunk) is
//! retried by the same policy, for the operations still pending; when the
//! retries run out, each of them fails with that error. Every added
//! operation therefore ends in exactly one [`BulkOutcome`]:
//! `stats.succeeded + stats.failed == stats.submitted` once the machine
//! is done.
//!
//! Out of scope: sending, waiting, and the consumer's callbacks or streams
//! (the runtimes), and splitting a chunk the server finds too large (413
//! fails the chunk's operations; lower `flush_bytes`).

mod operation;
mod session;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::RETRY_AFTER;
use http::Method;
use serde::Deserialize;

pub use session::{BulkEvent, BulkSession};
pub use operation::{BulkError, BulkItem, BulkOperation, BulkOutcome, OpId, OpType, OperationMeta};

use crate::body::Body;
use crate::endpoint::{api_error, build_request, PathBuilder, Query};
use crate::error::Error;
use crate::helpers::{BackoffPolicy, HelperRequest, Role, Token};
use crate::machine::Step;
use crate::transport::{RequestOptions, SplitMix64};

/// How the bulk indexer chunks, flushes and retries.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BulkConfig {
    /// The default index: requests go to `/{index}/_bulk` (else `/_bulk`,
    /// and each operation names its index).
    pub index: Option<String>,
    /// Operations per chunk (default 500).
    pub flush_count: usize,
    /// Bytes per chunk (default 5 MiB); an operation larger than this goes
    /// alone.
    pub flush_bytes: usize,
    /// Send a partial chunk once its oldest operation waited this long
    /// (default 30 s; `None`: only on count, bytes, flush or close).
    pub flush_interval: Option<Duration>,
    /// Chunks in flight at once (default 2).
    pub max_in_flight: usize,
    /// Buffered operations (waiting for a chunk or a retry) above which
    /// [`BulkIndexer::is_full`] says so (default `flush_count`).
    pub max_buffered: usize,
    /// Retries and backoff, for items and whole requests.
    pub retry: BackoffPolicy,
    /// Item statuses that are retried (default 429).
    pub retry_on_status: Vec<u16>,
    /// Query parameters of each bulk request (`refresh`, `pipeline`,
    /// `routing`, `timeout`, `wait_for_active_shards`, …).
    pub params: Query,
    /// Seed of the backoff jitter.
    pub seed: u64,
}

impl Default for BulkConfig {
    fn default() -> Self {
        BulkConfig {
            index: None,
            flush_count: 500,
            flush_bytes: 5 * 1024 * 1024,
            flush_interval: Some(Duration::from_secs(30)),
            max_in_flight: 2,
            max_buffered: 500,
            retry: BackoffPolicy::default(),
            retry_on_status: vec![429],
            params: Query::new(),
            seed: 0x5eed_b01c,
        }
    }
}

impl BulkConfig {
    /// The defaults.
    pub fn new() -> Self {
        BulkConfig::default()
    }

    /// The default index.
    pub fn index(mut self, index: impl Into<String>) -> Self {
        self.index = Some(index.into());
        self
    }

    /// Operations per chunk; also sets `max_buffered` to the same value.
    pub fn flush_count(mut self, n: usize) -> Self {
        self.flush_count = n.max(1);
        self.max_buffered = self.flush_count;
        self
    }

    /// Bytes per chunk.
    pub fn flush_bytes(mut self, n: usize) -> Self {
        self.flush_bytes = n.max(1);
        self
    }

    /// Age of a partial chunk that sends it (`None`: never by age).
    pub fn flush_interval(mut self, interval: Option<Duration>) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Chunks in flight at once.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Buffered operations that make the indexer full.
    pub fn max_buffered(mut self, n: usize) -> Self {
        self.max_buffered = n.max(1);
        self
    }

    /// The retry policy.
    pub fn retry(mut self, policy: BackoffPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Item statuses that are retried.
    pub fn retry_on_status(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.retry_on_status = statuses.into_iter().collect();
        self
    }

    /// Adds a query parameter to every bulk request.
    pub fn param(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.params.push(name, value);
        self
    }

    /// Seed of the backoff jitter.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Counters, updated as outcomes are decided. A rate is
/// `succeeded / (now − start)`, computed by whoever owns the clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkStats {
    /// Operations added.
    pub submitted: u64,
    /// Operations that succeeded.
    pub succeeded: u64,
    /// Operations that failed for good.
    pub failed: u64,
    /// Retries of operations (an operation retried twice counts 2).
    pub retried: u64,
    /// Bulk requests sent (retries included).
    pub requests: u64,
    /// Body bytes sent (retries included, before compression).
    pub bytes: u64,
}

/// The counters of a bulk indexer and the time since it started: what a
/// runtime reports from `close` and to its progress callback. The clock is
/// the runtime's; the rate is computed here, once for every runtime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkReport {
    /// Submitted, succeeded, failed, retried, requests, bytes.
    pub stats: BulkStats,
    /// Since the indexer started (its first `add`, `flush` or `close`).
    pub elapsed: Duration,
}

impl BulkReport {
    /// The counters after `elapsed`.
    pub fn new(stats: BulkStats, elapsed: Duration) -> Self {
        BulkReport { stats, elapsed }
    }

    /// Succeeded operations per second.
    pub fn docs_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.stats.succeeded as f64 / secs
        } else {
            0.0
        }
    }
}

/// `add` after `close`: the operation is handed back, not accepted.
#[derive(Debug)]
pub struct Closed(pub Box<BulkOperation>);

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the bulk indexer is closed")
    }
}

impl std::error::Error for Closed {}

/// The bulk indexer machine. See the [module docs](self).
#[derive(Debug)]
pub struct BulkIndexer {
    config: BulkConfig,
    path: String,
    rng: SplitMix64,
    next_op: u64,
    next_token: u64,
    /// Operations waiting for a chunk, oldest first (retries in front).
    ready: VecDeque<Entry>,
    ready_bytes: usize,
    /// How many entries at the front of `ready` are retries: they go out
    /// without waiting for a full chunk.
    urgent: usize,
    /// When the oldest entry of `ready` arrived (for the flush interval).
    ready_since: Option<Instant>,
    /// Operations backing off before a retry, with the instant they are due.
    delayed: Vec<(Instant, Entry)>,
    in_flight: BTreeMap<Token, Vec<Entry>>,
    outcomes: VecDeque<BulkOutcome>,
    flushing: bool,
    closed: bool,
    stats: BulkStats,
}

#[derive(Debug)]
struct Entry {
    id: OpId,
    operation: BulkOperation,
    lines: Bytes,
    retries: u32,
}

impl BulkIndexer {
    /// An indexer with this configuration.
    pub fn new(config: BulkConfig) -> Self {
        let path = match &config.index {
            Some(index) => PathBuilder::new()
                .literal("/")
                .part(index)
                .literal("/_bulk")
                .finish(),
            None => "/_bulk".to_owned(),
        };
        BulkIndexer {
            rng: SplitMix64::new(config.seed),
            path,
            config,
            next_op: 0,
            next_token: 0,
            ready: VecDeque::new(),
            ready_bytes: 0,
            urgent: 0,
            ready_since: None,
            delayed: Vec::new(),
            in_flight: BTreeMap::new(),
            outcomes: VecDeque::new(),
            flushing: false,
            closed: false,
            stats: BulkStats::default(),
        }
    }

    /// Adds an operation. It always ends in one [`BulkOutcome`] with the
    /// returned id (at once, failed, if its document did not serialize).
    /// Adding is never refused for being full: check
    /// [`is_full`](Self::is_full) to apply back-pressure. After
    /// [`close`](Self::close) the operation is handed back.
    pub fn add(&mut self, operation: BulkOperation, now: Instant) -> Result<OpId, Closed> {
        if self.closed {
            return Err(Closed(Box::new(operation)));
        }
        let id = OpId(self.next_op);
        self.next_op += 1;
        self.stats.submitted += 1;
        match operation.to_lines() {
            Ok(lines) => {
                if self.ready.is_empty() {
                    self.ready_since = Some(now);
                }
                self.ready_bytes += lines.len();
                self.ready.push_back(Entry {
                    id,
                    operation,
                    lines,
                    retries: 0,
                });
            }
            Err(error) => {
                self.stats.failed += 1;
                self.outcomes.push_back(BulkOutcome {
                    id,
                    operation,
                    result: Err(error),
                    retries: 0,
                });
            }
        }
        Ok(id)
    }

    /// Sends what is buffered now, without waiting for a full chunk.
    /// Operations backing off keep their backoff.
    pub fn flush(&mut self) {
        self.flushing = true;
    }

    /// Refuses further operations and sends everything; the machine is
    /// [`Step::Done`] once every operation has its outcome.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// True when more operations wait (for a chunk or a retry) than
    /// `max_buffered`: a runtime stops accepting until it is false again.
    /// A full buffer makes its operations due (in a partial chunk if need
    /// be), so a runtime that stops accepting while full stays live.
    pub fn is_full(&self) -> bool {
        self.capacity() == 0
    }

    /// How many operations can be added before the indexer is full.
    pub fn capacity(&self) -> usize {
        self.config.max_buffered.saturating_sub(self.buffered())
    }

    /// Operations waiting for a chunk or a retry (not in flight).
    pub fn buffered(&self) -> usize {
        self.ready.len() + self.delayed.len()
    }

    /// True when every operation added so far has had its outcome emitted:
    /// nothing waits for a chunk or a retry, nothing is in flight, nothing
    /// is left to emit. A runtime resolves a `flush` when this holds.
    pub fn is_drained(&self) -> bool {
        self.ready.is_empty() && self.delayed.is_empty() && self.in_flight.is_empty() && self.outcomes.is_empty()
    }

    /// True when the next [`poll`](Self::poll) would send a chunk (a free
    /// slot and a chunk due by count, bytes, age, retry, flush, close or a
    /// full buffer). Lets a threaded runtime wake a sender only when useful.
    pub fn chunk_ready(&self, now: Instant) -> bool {
        self.in_flight.len() < self.config.max_in_flight && self.chunk_due(now)
    }

    /// Chunks in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The counters.
    pub fn stats(&self) -> BulkStats {
        self.stats
    }

    /// The configuration.
    pub fn config(&self) -> &BulkConfig {
        &self.config
    }

    /// What to do next.
    pub fn poll(&mut self, now: Instant) -> Step<HelperRequest, BulkOutcome> {
        if let Some(outcome) = self.outcomes.pop_front() {
            return Step::Emit(outcome);
        }
        self.release_due(now);
        if self.in_flight.len() < self.config.max_in_flight && self.chunk_due(now) {
            return Step::Send(self.next_chunk(now));
        }
        if self.closed
            && self.ready.is_empty()
            && self.delayed.is_empty()
            && self.in_flight.is_empty()
        {
            return Step::Done;
        }
        if self.in_flight.len() >= self.config.max_in_flight {
            // Nothing can go out before an answer frees a slot.
            return Step::Wait(None);
        }
        let retry_at = self.delayed.iter().map(|(at, _)| *at).min();
        let flush_at = match (self.ready_since, self.config.flush_interval) {
            (Some(since), Some(interval)) if !self.ready.is_empty() => Some(since + interval),
            _ => None,
        };
        match (retry_at, flush_at) {
            (Some(a), Some(b)) => Step::Wait(Some(a.min(b))),
            (a, b) => Step::Wait(a.or(b)),
        }
    }

    /// The answer to the request with this token: the response whatever
    /// its status, or the error that ended its call. Unknown tokens are
    /// ignored.
    pub fn handle(
        &mut self,
        token: Token,
        result: Result<http::Response<Bytes>, Error>,
        now: Instant,
    ) {
        let Some(entries) = self.in_flight.remove(&token) else {
            return;
        };
        match read_response(result, &entries) {
            Verdict::Items(items, retry_after) => {
                let mut retry = Vec::new();
                for (entry, item) in entries.into_iter().zip(items) {
                    if item_succeeded(entry.operation.op_type(), &item) {
                        self.succeed(entry, item);
                    } else if self.config.retry_on_status.contains(&item.status)
                        && entry.retries < self.config.retry.max_retries
                    {
                        retry.push(entry);
                    } else {
                        let error = BulkError::Item {
                            status: item.status,
                            cause: item.error,
                        };
                        self.fail(entry, error);
                    }
                }
                self.schedule_retries(retry, retry_after, now);
            }
            Verdict::Retry(error, retry_after) => {
                let error = Arc::new(error);
                let mut retry = Vec::new();
                for entry in entries {
                    if entry.retries < self.config.retry.max_retries {
                        retry.push(entry);
                    } else {
                        self.fail(entry, BulkError::Request(error.clone()));
                    }
                }
                self.schedule_retries(retry, retry_after, now);
            }
            Verdict::Fail(error) => {
                let error = Arc::new(error);
                for entry in entries {
                    self.fail(entry, BulkError::Request(error.clone()));
                }
            }
        }
    }

    fn succeed(&mut self, entry: Entry, item: BulkItem) {
        self.stats.succeeded += 1;
        let Entry {
            id,
            operation,
            retries,
            ..
        } = entry;
        self.outcomes.push_back(BulkOutcome {
            id,
            operation,
            result: Ok(item),
            retries,
        });
    }

    fn fail(&mut self, entry: Entry, error: BulkError) {
        self.stats.failed += 1;
        let Entry {
            id,
            operation,
            retries,
            ..
        } = entry;
        self.outcomes.push_back(BulkOutcome {
            id,
            operation,
            result: Err(error),
            retries,
        });
    }

    /// One backoff for the whole group, from its most-retried entry.
    fn schedule_retries(
        &mut self,
        mut entries: Vec<Entry>,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        if entries.is_empty() {
            return;
        }
        for entry in &mut entries {
            entry.retries += 1;
        }
        self.stats.retried += entries.len() as u64;
        let retry = entries.iter().map(|e| e.retries).max().unwrap_or(1);
        let mut wait = self.config.retry.delay(retry, &mut self.rng);
        if let Some(ra) = retry_after {
            wait = wait.max(ra.min(RETRY_AFTER_MAX));
        }
        let due = now + wait;
        self.delayed.extend(entries.into_iter().map(|e| (due, e)));
    }

    /// Moves the entries whose backoff is over to the front of `ready`.
    fn release_due(&mut self, now: Instant) {
        if !self.delayed.iter().any(|(at, _)| *at <= now) {
            return;
        }
        let (mut due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.delayed)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.delayed = later;
        due.sort_by_key(|(_, e)| e.id);
        for (_, entry) in due.into_iter().rev() {
            self.ready_bytes += entry.lines.len();
            self.ready.push_front(entry);
            self.urgent += 1;
        }
        self.ready_since.get_or_insert(now);
    }

    fn chunk_due(&self, now: Instant) -> bool {
        if self.ready.is_empty() {
            return false;
        }
        let aged = match (self.ready_since, self.config.flush_interval) {
            (Some(since), Some(interval)) => now >= since + interval,
            _ => false,
        };
        // A full buffer is due too: a runtime that stops accepting while
        // full must see the buffer go out, or nothing would ever move.
        self.urgent > 0
            || self.flushing
            || self.closed
            || aged
            || self.is_full()
            || self.ready.len() >= self.config.flush_count
            || self.ready_bytes >= self.config.flush_bytes
    }

    fn next_chunk(&mut self, now: Instant) -> HelperRequest {
        let mut entries = Vec::new();
        let mut bytes = 0usize;
        while let Some(entry) = self.ready.front() {
            let len = entry.lines.len();
            if entries.len() >= self.config.flush_count
                || (!entries.is_empty() && bytes + len > self.config.flush_bytes)
            {
                break;
            }
            bytes += len;
            entries.push(self.ready.pop_front().expect("front exists"));
        }
        self.ready_bytes -= bytes;
        self.urgent = self.urgent.saturating_sub(entries.len());
        if self.ready.is_empty() {
            self.ready_since = None;
            self.flushing = false;
        } else {
            self.ready_since = Some(now);
        }
        let mut body = BytesMut::with_capacity(bytes);
        for entry in &entries {
            body.extend_from_slice(&entry.lines);
        }
        self.stats.requests += 1;
        self.stats.bytes += bytes as u64;
        let token = Token(self.next_token);
        self.next_token += 1;
        self.in_flight.insert(token, entries);
        let request = build_request(
            Method::PUT,
            &self.path,
            &self.config.params,
            crate::media::JSON,
            Body::Ndjson(body.freeze()),
        )
        // The path and the media types are valid by construction.
        .expect("a bulk request always builds");
        HelperRequest {
            token,
            endpoint_id: "bulk",
            request,
            // The indexer retries on its own, operation by operation.
            options: RequestOptions::new().max_retries(0),
            role: Role::Write,
        }
    }
}

/// What an answer means for the chunk.
enum Verdict {
    /// One item per operation, in order; with the response's `Retry-After`.
    Items(Vec<BulkItem>, Option<Duration>),
    /// The request failed in a way worth retrying.
    Retry(Error, Option<Duration>),
    /// The request failed in a way that retrying will not fix.
    Fail(Error),
}

fn read_response(result: Result<http::Response<Bytes>, Error>, entries: &[Entry]) -> Verdict {
    let response = match result {
        Ok(r) => r,
        Err(error) => {
            return match &error {
                Error::Api(api) if retryable_status(api.status.as_u16()) => {
                    Verdict::Retry(error, None)
                }
                Error::Api(_) | Error::Build(_) | Error::UnsupportedProduct(_) => {
                    Verdict::Fail(error)
                }
                _ => Verdict::Retry(error, None),
            }
        }
    };
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let status = response.status().as_u16();
    if status >= 400 {
        let error = api_error(&response);
        return if retryable_status(status) {
            Verdict::Retry(error, retry_after)
        } else {
            Verdict::Fail(error)
        };
    }
    #[derive(Deserialize)]
    struct BulkResponse {
        items: Vec<BTreeMap<OpType, BulkItem>>,
    }
    let body = response.body();
    let parsed: BulkResponse = match serde_json::from_slice(body) {
        Ok(p) => p,
        Err(e) => {
            return Verdict::Retry(
                Error::decode(format!("malformed bulk response: {e}"), body),
                retry_after,
            )
        }
    };
    if parsed.items.len() != entries.len() {
        let message = format!(
            "the bulk response has {} items for {} operations",
            parsed.items.len(),
            entries.len()
        );
        return Verdict::Retry(Error::decode(message, body), retry_after);
    }
    let mut items = Vec::with_capacity(entries.len());
    for (position, (entry, item)) in entries.iter().zip(parsed.items).enumerate() {
        let mut item = item.into_iter();
        match (item.next(), item.next()) {
            (Some((op, item)), None) if op == entry.operation.op_type() => items.push(item),
            _ => {
                let message = format!(
                    "bulk response item {position} does not match a {} operation",
                    entry.operation.op_type().as_str()
                );
                return Verdict::Retry(Error::decode(message, body), retry_after);
            }
        }
    }
    Verdict::Items(items, retry_after)
}

/// 2xx; a delete of a missing document (404 `not_found`) leaves it absent,
/// as asked.
fn item_succeeded(op_type: OpType, item: &BulkItem) -> bool {
    (200..300).contains(&item.status)
        || (op_type == OpType::Delete && item.status == 404 && item.error.is_none())
}

fn retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The longest `Retry-After` honoured.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);
