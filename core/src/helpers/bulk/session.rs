//! A bulk indexer with its consumer's bookkeeping, so that no driver
//! decides any of it: when a `flush` is complete, when progress is
//! reported, and how long the indexer has been running.

use std::time::Instant;

use bytes::Bytes;

use super::{BulkConfig, BulkIndexer, BulkOperation, BulkOutcome, BulkReport, Closed, OpId};
use crate::error::Error;
use crate::helpers::{HelperRequest, Token};
use crate::machine::{Machine, Step};

/// What a [`BulkSession`] emits.
// An event is moved once from the session to its consumer; boxing the
// outcome would cost an allocation per document for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum BulkEvent {
    /// One operation's outcome.
    Outcome(BulkOutcome),
    /// The counters: after every bulk answer, and once at the end (the
    /// last event before [`Step::Done`]; its report is the final one).
    Progress(BulkReport),
    /// Every operation added before the pending [`flush`](BulkSession::flush)
    /// calls has its outcome: they are complete.
    Flushed,
}

/// The [`BulkIndexer`] machine plus what a consumer of it needs decided:
/// flush completion ([`BulkEvent::Flushed`]), progress reports
/// ([`BulkEvent::Progress`]) and their clock (since the first `add`,
/// `flush` or `close`), and back-pressure ([`accepts`](Self::accepts)).
#[derive(Debug)]
pub struct BulkSession {
    indexer: BulkIndexer,
    started: Option<Instant>,
    /// `flush` calls not yet answered with `Flushed`.
    flushes: usize,
    /// Answers that came in since the last progress report: one report each.
    progress_due: usize,
    /// The final report was emitted.
    finished: bool,
}

impl BulkSession {
    /// A session over a new indexer with this configuration.
    pub fn new(config: BulkConfig) -> Self {
        BulkSession { indexer: BulkIndexer::new(config), started: None, flushes: 0, progress_due: 0, finished: false }
    }

    /// Adds an operation (see [`BulkIndexer::add`]).
    pub fn add(&mut self, operation: BulkOperation, now: Instant) -> Result<OpId, Closed> {
        self.started.get_or_insert(now);
        self.indexer.add(operation, now)
    }

    /// Sends what is buffered; a [`BulkEvent::Flushed`] follows once every
    /// operation added so far has its outcome.
    pub fn flush(&mut self, now: Instant) {
        self.started.get_or_insert(now);
        self.flushes += 1;
        self.indexer.flush();
    }

    /// Refuses further operations and sends everything; the final
    /// [`BulkEvent::Progress`] follows once every operation has its outcome.
    pub fn close(&mut self, now: Instant) {
        self.started.get_or_insert(now);
        self.indexer.close();
    }

    /// Whether the consumer may add now: false while the indexer is full
    /// (back-pressure; a full indexer sends its buffer on its own, so
    /// waiting for this stays live).
    pub fn accepts(&self) -> bool {
        !self.indexer.is_full()
    }

    /// The counters and the time since the session started.
    pub fn report(&self, now: Instant) -> BulkReport {
        let elapsed = self.started.map(|s| now.saturating_duration_since(s)).unwrap_or_default();
        BulkReport::new(self.indexer.stats(), elapsed)
    }

    /// Whether the final report was emitted (nothing is left to do).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The indexer.
    pub fn indexer(&self) -> &BulkIndexer {
        &self.indexer
    }
}

impl Machine for BulkSession {
    type Output = BulkEvent;

    fn poll(&mut self, now: Instant) -> Step<HelperRequest, BulkEvent> {
        if self.finished {
            return Step::Done;
        }
        if self.progress_due > 0 {
            self.progress_due -= 1;
            return Step::Emit(BulkEvent::Progress(self.report(now)));
        }
        if self.flushes > 0 && self.indexer.is_drained() {
            self.flushes = 0;
            return Step::Emit(BulkEvent::Flushed);
        }
        match self.indexer.poll(now) {
            Step::Emit(outcome) => Step::Emit(BulkEvent::Outcome(outcome)),
            Step::Done => {
                self.finished = true;
                Step::Emit(BulkEvent::Progress(self.report(now)))
            }
            Step::Send(request) => Step::Send(request),
            Step::Wait(until) => Step::Wait(until),
        }
    }

    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        self.indexer.handle(token, result, now);
        self.progress_due += 1;
    }

    /// Closes the indexer: what was added is still sent and accounted.
    fn cancel(&mut self) {
        self.indexer.close();
    }
}

impl Machine for BulkIndexer {
    type Output = BulkOutcome;

    fn poll(&mut self, now: Instant) -> Step<HelperRequest, BulkOutcome> {
        BulkIndexer::poll(self, now)
    }

    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        BulkIndexer::handle(self, token, result, now);
    }

    /// Closes the indexer: what was added is still sent and accounted.
    fn cancel(&mut self) {
        self.close();
    }
}
