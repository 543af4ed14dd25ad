//! The bulk indexer: operations in, NDJSON chunks out, one outcome per
//! operation back.
//!
//! [`BulkIndexer`] takes operations with [`add`](BulkIndexer::add), forms
//! chunks by count, bytes and age, keeps chunks in flight, and reads every
//! answer item by item, by position. Every added operation ends in exactly
//! one [`BulkResult`]:
//!
//! - **succeeded**: its item is 2xx (or a `delete` answered 404
//!   `not_found`: the document is absent, as asked);
//! - **failed**: the server rejected it (an item status that is not
//!   retried, with the server's status and reason), or it never reached the
//!   server and the retries ran out; it was certainly *not* applied;
//! - **unconfirmed**: it may have been applied, and the indexer cannot
//!   tell — an attempt reached the server but its answer was lost (a
//!   connection broken after sending, a timeout, a 502/504, an unreadable
//!   answer), and repeating it was not safe (an `index` without id, an
//!   update with a script) or the retries ran out. Unconfirmed is never
//!   counted as failed.
//!
//! `succeeded + failed + unconfirmed == submitted` once the machine is done.
//!
//! # Retries
//!
//! Two kinds, each with its own [`BackoffPolicy`] (a time budget, minutes
//! by default, and an optional count) and its own counters:
//!
//! - **item retries**: an item whose status is in `retry_on_status` (429 by
//!   default) was rejected and not applied; the operation goes again.
//! - **request retries**: the whole request failed. Answers 429 and 503 and
//!   connections that failed before sending mean nothing was applied:
//!   every operation goes again. A request that may have been applied
//!   (see *unconfirmed*) is repeated only for the operations for which
//!   repeating is safe ([`BulkOperation::is_retry_safe`]: those with ids,
//!   deletes, updates without a script); the others end unconfirmed at once.
//!
//! Backoff is equal-jitter exponential, at least the answer's `Retry-After`
//! (up to 60 s), and never past the operation's budget. An operation that
//! was once possibly applied and is later refused with a conflict (409:
//! `create` of an existing id, a version check) or runs out of budget ends
//! unconfirmed, not failed: the earlier attempt may be what the server saw.
//!
//! # Adapting to push-back
//!
//! With `adaptive` (the default), the machine keeps two limits, AIMD-style:
//! chunks in flight (`1..=max_in_flight`) and operations per chunk
//! (`min_chunk..=flush_count`). A sign of overload (an answer 429 or 503,
//! an item rejected with a retried status, a timeout) halves both, at most
//! once per round of chunks (a chunk sent before the last decrease does not
//! decrease again); a clean answer raises the chunk limit by an eighth of
//! `flush_count` and the in-flight limit by one. [`BulkStats::slowdowns`]
//! counts the decreases.
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

pub use operation::{BulkError, BulkItem, BulkOperation, BulkOutcome, BulkResult, OpId, OpType, OperationMeta};
pub use session::{BulkEvent, BulkSession};

use crate::body::Body;
use crate::endpoint::{api_error, build_request, PathBuilder, Query};
use crate::error::{AttemptOutcome, Error, IoErrorKind};
use crate::helpers::{BackoffPolicy, HelperRequest, Role, Token};
use crate::machine::Step;
use crate::transport::{RequestOptions, SplitMix64};

/// How the bulk indexer chunks, flushes, retries and adapts.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BulkConfig {
    /// The default index: requests go to `/{index}/_bulk` (else `/_bulk`,
    /// and each operation names its index).
    pub index: Option<String>,
    /// Operations per chunk (default 500): the most, when not slowed down.
    pub flush_count: usize,
    /// Bytes per chunk (default 5 MiB); an operation larger than this goes
    /// alone.
    pub flush_bytes: usize,
    /// Send a partial chunk once its oldest operation waited this long
    /// (default 30 s; `None`: only on count, bytes, flush or close).
    pub flush_interval: Option<Duration>,
    /// Chunks in flight at once (default 2): the most, when not slowed down.
    pub max_in_flight: usize,
    /// Buffered operations (waiting for a chunk or a retry) above which
    /// [`BulkIndexer::is_full`] says so (default `flush_count`).
    pub max_buffered: usize,
    /// Retries of operations rejected item by item with a status of
    /// `retry_on_status` (default: for up to 5 minutes).
    pub item_retry: BackoffPolicy,
    /// Retries of operations whose whole request failed (default: for up
    /// to 5 minutes).
    pub request_retry: BackoffPolicy,
    /// Item statuses that are retried (default 429).
    pub retry_on_status: Vec<u16>,
    /// Slow down under push-back and speed up again (default true).
    pub adaptive: bool,
    /// The smallest chunk limit while slowed down (default 50, at most
    /// `flush_count`).
    pub min_chunk: usize,
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
            item_retry: BackoffPolicy::default(),
            request_retry: BackoffPolicy::default(),
            retry_on_status: vec![429],
            adaptive: true,
            min_chunk: 50,
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

    /// Age of a partial chunk that sends it: a `Duration`, or `None` (never by age).
    pub fn flush_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.flush_interval = interval.into();
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

    /// The same retry policy for item and request retries.
    pub fn retry(mut self, policy: BackoffPolicy) -> Self {
        self.item_retry = policy.clone();
        self.request_retry = policy;
        self
    }

    /// The retry policy of operations rejected item by item.
    pub fn item_retry(mut self, policy: BackoffPolicy) -> Self {
        self.item_retry = policy;
        self
    }

    /// The retry policy of operations whose whole request failed.
    pub fn request_retry(mut self, policy: BackoffPolicy) -> Self {
        self.request_retry = policy;
        self
    }

    /// Item statuses that are retried.
    pub fn retry_on_status(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.retry_on_status = statuses.into_iter().collect();
        self
    }

    /// Slow down under push-back and speed up again (AIMD), or keep
    /// `max_in_flight` and `flush_count` whatever happens.
    pub fn adaptive(mut self, yes: bool) -> Self {
        self.adaptive = yes;
        self
    }

    /// The smallest chunk limit while slowed down.
    pub fn min_chunk(mut self, n: usize) -> Self {
        self.min_chunk = n.max(1);
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
    /// Operations the server rejected (or that never reached it): certainly
    /// not applied.
    pub failed: u64,
    /// Operations that may have been applied: an attempt reached the server
    /// but its answer was lost, and it could not be repeated safely.
    pub unconfirmed: u64,
    /// Retries of operations, both kinds (an operation retried twice counts 2).
    pub retried: u64,
    /// Retries after an item was rejected with a retried status.
    pub item_retries: u64,
    /// Retries after the whole request failed.
    pub request_retries: u64,
    /// Why operations were retried.
    pub retry_reasons: RetryReasons,
    /// Bulk requests sent (retries included).
    pub requests: u64,
    /// Body bytes sent (retries included, before compression).
    pub bytes: u64,
    /// Times the indexer slowed down under push-back.
    pub slowdowns: u64,
}

/// Operation retries by cause; they add up to [`BulkStats::retried`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryReasons {
    /// The item was rejected with a retried status (429 by default).
    pub item_status: u64,
    /// The request was answered 429 or 503 (nothing applied).
    pub request_status: u64,
    /// The connection failed before the request was sent.
    pub connect: u64,
    /// The connection broke after the request was sent, or the answer was
    /// 502/504 or unreadable (may have been applied; repeated because safe).
    pub broken: u64,
    /// The request timed out (may have been applied; repeated because safe).
    pub timeout: u64,
}

/// The counters of a bulk indexer and the time since it started: what a
/// runtime reports from `close` and to its progress callback. The clock is
/// the runtime's; the rate is computed here, once for every runtime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkReport {
    /// Submitted, succeeded, failed, unconfirmed, retried, requests, bytes.
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

impl std::fmt::Display for BulkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.stats;
        let r = &s.retry_reasons;
        write!(
            f,
            "submitted {}, succeeded {}, failed {}, unconfirmed {}, retried {} ({} item, {} request: \
             {} rejected items, {} 429/503 answers, {} refused connections, {} broken connections, {} timeouts), \
             {} requests, {} slowdowns, in {:.1?}",
            s.submitted,
            s.succeeded,
            s.failed,
            s.unconfirmed,
            s.retried,
            s.item_retries,
            s.request_retries,
            r.item_status,
            r.request_status,
            r.connect,
            r.broken,
            r.timeout,
            s.requests,
            s.slowdowns,
            self.elapsed
        )
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
    in_flight: BTreeMap<Token, Chunk>,
    outcomes: VecDeque<BulkOutcome>,
    flushing: bool,
    closed: bool,
    stats: BulkStats,
    /// Chunks in flight allowed now (`1..=max_in_flight`).
    window: usize,
    /// Operations per chunk allowed now (`min_chunk..=flush_count`).
    chunk_limit: usize,
    /// Bumped at each slowdown; a chunk sent before it does not slow down again.
    epoch: u64,
}

#[derive(Debug)]
struct Entry {
    id: OpId,
    operation: BulkOperation,
    lines: Bytes,
    item_retries: u32,
    request_retries: u32,
    /// The first item rejection (the item budget runs from here).
    item_since: Option<Instant>,
    /// The first request failure (the request budget runs from here).
    request_since: Option<Instant>,
    /// An attempt may have been applied without the indexer knowing.
    maybe_applied: bool,
}

#[derive(Debug)]
struct Chunk {
    entries: Vec<Entry>,
    epoch: u64,
}

/// Which budget a retry draws on, and why (for the counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    ItemStatus,
    RequestStatus,
    Connect,
    Broken,
    Timeout,
}

impl BulkIndexer {
    /// An indexer with this configuration.
    pub fn new(config: BulkConfig) -> Self {
        let path = match &config.index {
            Some(index) => PathBuilder::new().literal("/").part(index).literal("/_bulk").finish(),
            None => "/_bulk".to_owned(),
        };
        BulkIndexer {
            rng: SplitMix64::new(config.seed),
            path,
            window: config.max_in_flight.max(1),
            chunk_limit: config.flush_count.max(1),
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
            epoch: 0,
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
                    item_retries: 0,
                    request_retries: 0,
                    item_since: None,
                    request_since: None,
                    maybe_applied: false,
                });
            }
            Err(error) => {
                self.stats.failed += 1;
                self.outcomes.push_back(BulkOutcome { id, operation, result: BulkResult::Failed(error), retries: 0 });
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
        self.in_flight.len() < self.window && self.chunk_due(now)
    }

    /// Chunks in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The limits in force now: `(chunks in flight, operations per chunk)`.
    /// Below `(max_in_flight, flush_count)` while slowed down.
    pub fn limits(&self) -> (usize, usize) {
        (self.window, self.chunk_limit)
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
        if self.in_flight.len() < self.window && self.chunk_due(now) {
            return Step::Send(self.next_chunk(now));
        }
        if self.closed && self.ready.is_empty() && self.delayed.is_empty() && self.in_flight.is_empty() {
            return Step::Done;
        }
        if self.in_flight.len() >= self.window {
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
    pub fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        let Some(Chunk { entries, epoch }) = self.in_flight.remove(&token) else {
            return;
        };
        match read_response(result, &entries) {
            Verdict::Items(items, retry_after) => {
                let mut retry = Vec::new();
                for (entry, item) in entries.into_iter().zip(items) {
                    if item_succeeded(entry.operation.op_type(), &item) {
                        self.succeed(entry, item);
                        continue;
                    }
                    let rejected = BulkError::Item { status: item.status, cause: item.error };
                    if self.config.retry_on_status.contains(&item.status) {
                        retry.push((entry, rejected));
                    } else if entry.maybe_applied && item.status == 409 {
                        // A conflict after an attempt that may have been
                        // applied: perhaps with that very attempt.
                        self.unconfirmed(entry, rejected);
                    } else {
                        self.fail(entry, rejected);
                    }
                }
                if retry.is_empty() {
                    self.speed_up();
                } else {
                    self.slow_down(epoch);
                }
                self.retry_or_end(retry, Cause::ItemStatus, retry_after, now);
            }
            Verdict::NotApplied(error, cause, retry_after) => {
                if cause == Cause::RequestStatus {
                    self.slow_down(epoch);
                }
                let error = BulkError::Request(Arc::new(error));
                let retry = entries.into_iter().map(|e| (e, error.clone())).collect();
                self.retry_or_end(retry, cause, retry_after, now);
            }
            Verdict::MaybeApplied(error, cause, retry_after) => {
                if cause == Cause::Timeout {
                    self.slow_down(epoch);
                }
                let error = BulkError::Request(Arc::new(error));
                let mut retry = Vec::new();
                for mut entry in entries {
                    entry.maybe_applied = true;
                    if entry.operation.is_retry_safe() {
                        retry.push((entry, error.clone()));
                    } else {
                        self.unconfirmed(entry, error.clone());
                    }
                }
                self.retry_or_end(retry, cause, retry_after, now);
            }
            Verdict::Fail(error) => {
                let error = BulkError::Request(Arc::new(error));
                for entry in entries {
                    self.fail_or_unconfirmed(entry, error.clone());
                }
            }
            Verdict::Unconfirmed(error) => {
                let error = BulkError::Request(Arc::new(error));
                for entry in entries {
                    self.unconfirmed(entry, error.clone());
                }
            }
        }
    }

    fn succeed(&mut self, entry: Entry, item: BulkItem) {
        self.stats.succeeded += 1;
        self.emit(entry, BulkResult::Succeeded(item));
    }

    fn fail(&mut self, entry: Entry, error: BulkError) {
        self.stats.failed += 1;
        self.emit(entry, BulkResult::Failed(error));
    }

    fn unconfirmed(&mut self, entry: Entry, error: BulkError) {
        self.stats.unconfirmed += 1;
        self.emit(entry, BulkResult::Unconfirmed(error));
    }

    /// Failed, unless an earlier attempt may have been applied.
    fn fail_or_unconfirmed(&mut self, entry: Entry, error: BulkError) {
        if entry.maybe_applied {
            self.unconfirmed(entry, error);
        } else {
            self.fail(entry, error);
        }
    }

    fn emit(&mut self, entry: Entry, result: BulkResult) {
        let retries = entry.item_retries + entry.request_retries;
        self.outcomes.push_back(BulkOutcome { id: entry.id, operation: entry.operation, result, retries });
    }

    /// Schedules the entries whose budget allows another attempt; the
    /// others end with their error. One jittered backoff for the group,
    /// from its most-retried entry, at least `Retry-After`, and for each
    /// entry never past its budget.
    fn retry_or_end(
        &mut self,
        entries: Vec<(Entry, BulkError)>,
        cause: Cause,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        if entries.is_empty() {
            return;
        }
        let policy =
            if cause == Cause::ItemStatus { self.config.item_retry.clone() } else { self.config.request_retry.clone() };
        let mut retry = Vec::new();
        for (mut entry, error) in entries {
            let (count, since) = match cause {
                Cause::ItemStatus => (&mut entry.item_retries, &mut entry.item_since),
                _ => (&mut entry.request_retries, &mut entry.request_since),
            };
            let since = *since.get_or_insert(now);
            let deadline = since.checked_add(policy.budget);
            let in_budget = *count < policy.max_retries && deadline.is_none_or(|d| now < d);
            if in_budget {
                *count += 1;
                retry.push((entry, deadline));
            } else {
                self.fail_or_unconfirmed(entry, error);
            }
        }
        if retry.is_empty() {
            return;
        }
        let n = retry.len() as u64;
        self.stats.retried += n;
        let reasons = &mut self.stats.retry_reasons;
        match cause {
            Cause::ItemStatus => {
                self.stats.item_retries += n;
                reasons.item_status += n;
            }
            Cause::RequestStatus => reasons.request_status += n,
            Cause::Connect => reasons.connect += n,
            Cause::Broken => reasons.broken += n,
            Cause::Timeout => reasons.timeout += n,
        }
        if cause != Cause::ItemStatus {
            self.stats.request_retries += n;
        }
        let attempt = retry
            .iter()
            .map(|(e, _)| match cause {
                Cause::ItemStatus => e.item_retries,
                _ => e.request_retries,
            })
            .max()
            .unwrap_or(1);
        let mut wait = policy.delay(attempt, &mut self.rng);
        if let Some(ra) = retry_after {
            wait = wait.max(ra.min(RETRY_AFTER_MAX));
        }
        for (entry, deadline) in retry {
            let due = match deadline {
                Some(d) => (now + wait).min(d),
                None => now + wait,
            };
            self.delayed.push((due, entry));
        }
    }

    /// Halves both limits, once per round: only a chunk sent since the
    /// last slowdown slows down again.
    fn slow_down(&mut self, chunk_epoch: u64) {
        if !self.config.adaptive || chunk_epoch != self.epoch {
            return;
        }
        let min_chunk = self.config.min_chunk.clamp(1, self.config.flush_count.max(1));
        let window = (self.window / 2).max(1);
        let chunk_limit = (self.chunk_limit / 2).max(min_chunk);
        self.epoch += 1;
        if (window, chunk_limit) != (self.window, self.chunk_limit) {
            self.stats.slowdowns += 1;
        }
        self.window = window;
        self.chunk_limit = chunk_limit;
    }

    /// One step back toward the configured limits after a clean answer.
    fn speed_up(&mut self) {
        if !self.config.adaptive {
            return;
        }
        let max_chunk = self.config.flush_count.max(1);
        let step = (max_chunk / 8).max(1);
        self.chunk_limit = (self.chunk_limit + step).min(max_chunk);
        self.window = (self.window + 1).min(self.config.max_in_flight.max(1));
    }

    /// Moves the entries whose backoff is over to the front of `ready`.
    fn release_due(&mut self, now: Instant) {
        if !self.delayed.iter().any(|(at, _)| *at <= now) {
            return;
        }
        let (mut due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.delayed).into_iter().partition(|(at, _)| *at <= now);
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
            || self.ready.len() >= self.chunk_limit
            || self.ready_bytes >= self.config.flush_bytes
    }

    fn next_chunk(&mut self, now: Instant) -> HelperRequest {
        let mut entries = Vec::new();
        let mut bytes = 0usize;
        while let Some(entry) = self.ready.front() {
            let len = entry.lines.len();
            if entries.len() >= self.chunk_limit || (!entries.is_empty() && bytes + len > self.config.flush_bytes) {
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
        self.in_flight.insert(token, Chunk { entries, epoch: self.epoch });
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
    /// The request failed and nothing of it was applied: retry them all.
    NotApplied(Error, Cause, Option<Duration>),
    /// The request may have been applied, in part or in full: retry the
    /// operations that are safe to repeat.
    MaybeApplied(Error, Cause, Option<Duration>),
    /// The server refused the request as a whole (nothing applied), in a
    /// way that retrying will not fix.
    Fail(Error),
    /// An answer came back (so the request may have been applied) that the
    /// client refuses to use (not Elasticsearch): nothing to retry.
    Unconfirmed(Error),
}

fn read_response(result: Result<http::Response<Bytes>, Error>, entries: &[Entry]) -> Verdict {
    let response = match result {
        Ok(r) => r,
        Err(error) => return classify_error(error),
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
        return match status {
            429 | 503 => Verdict::NotApplied(error, Cause::RequestStatus, retry_after),
            500.. => Verdict::MaybeApplied(error, Cause::Broken, retry_after),
            _ => Verdict::Fail(error),
        };
    }
    // From here on the server answered 2xx: it ran the request. An answer
    // that cannot be matched to the operations leaves them unknown.
    #[derive(Deserialize)]
    struct BulkResponse {
        items: Vec<BTreeMap<OpType, BulkItem>>,
    }
    let body = response.body();
    let parsed: BulkResponse = match serde_json::from_slice(body) {
        Ok(p) => p,
        Err(e) => {
            return Verdict::MaybeApplied(
                Error::decode(format!("malformed bulk response: {e}"), body),
                Cause::Broken,
                retry_after,
            )
        }
    };
    if parsed.items.len() != entries.len() {
        let message = format!("the bulk response has {} items for {} operations", parsed.items.len(), entries.len());
        return Verdict::MaybeApplied(Error::decode(message, body), Cause::Broken, retry_after);
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
                return Verdict::MaybeApplied(Error::decode(message, body), Cause::Broken, retry_after);
            }
        }
    }
    Verdict::Items(items, retry_after)
}

/// What the error that ended a call says about the request: was it sent?
fn classify_error(error: Error) -> Verdict {
    match &error {
        Error::Api(api) => match api.status.as_u16() {
            429 | 503 => Verdict::NotApplied(error, Cause::RequestStatus, None),
            500.. => Verdict::MaybeApplied(error, Cause::Broken, None),
            _ => Verdict::Fail(error),
        },
        Error::Build(_) => Verdict::Fail(error),
        Error::UnsupportedProduct(_) => Verdict::Unconfirmed(error),
        // The answer arrived (the request ran) but could not be read.
        Error::Decode(_) => Verdict::MaybeApplied(error, Cause::Broken, None),
        Error::Transport(t) => {
            let sent = t.attempts.iter().any(|a| match &a.outcome {
                AttemptOutcome::Io(io) => io.request_sent,
                _ => false,
            }) || t.attempts.is_empty();
            match t.kind {
                IoErrorKind::Timeout => Verdict::MaybeApplied(error, Cause::Timeout, None),
                _ if !sent => Verdict::NotApplied(error, Cause::Connect, None),
                _ => Verdict::MaybeApplied(error, Cause::Broken, None),
            }
        }
        // A future kind of error: assume the worst, that it may have run.
        _ => Verdict::MaybeApplied(error, Cause::Broken, None),
    }
}

/// 2xx; a delete of a missing document (404 `not_found`) leaves it absent,
/// as asked.
fn item_succeeded(op_type: OpType, item: &BulkItem) -> bool {
    (200..300).contains(&item.status) || (op_type == OpType::Delete && item.status == 404 && item.error.is_none())
}

/// The longest `Retry-After` honoured.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);
