//! The bulk indexer, blocking: the driver's, with each method blocked on.

use std::pin::Pin;
use std::task::{Context, Poll};

use elastik_driver::block_on;
use elastik_driver::helpers::{
    self as driven, BulkConfig, BulkOperation, BulkOutcome, BulkReport, Closed, OpId, Stream,
};

use crate::{BlockingExecutor, Client};

/// Sends operations in bulk requests, `max_in_flight` chunks at once, and
/// accounts for every one of them (see [`elastik_proto::helpers::bulk`]).
///
/// The driver's [`BulkIndexer`](driven::BulkIndexer), blocked on: it is
/// driven while one of its methods runs, each chunk in flight on a thread
/// of its own. [`add`](Self::add) blocks while the indexer holds
/// `max_buffered` operations (back-pressure); [`flush`](Self::flush)
/// blocks until every operation added before has its outcome;
/// [`close`](Self::close) blocks until all have theirs and returns the
/// [`BulkReport`]. When each of these is complete is the core's decision.
///
/// Outcomes go to [`outcomes`](Self::outcomes) (an iterator, to read on
/// another thread while adding) and/or an [`on_outcome`](Self::on_outcome)
/// callback; otherwise only the counters keep them. Callbacks run on the
/// thread driving the indexer: keep them short. Dropping the indexer
/// without closing it closes it: `drop` returns once every operation added
/// has its outcome.
pub struct BulkIndexer {
    indexer: driven::BulkIndexer<BlockingExecutor>,
}

impl BulkIndexer {
    /// An indexer writing through `client`.
    pub fn new(client: &Client, config: BulkConfig) -> Self {
        BulkIndexer { indexer: driven::BulkIndexer::new(client, config) }
    }

    /// Calls `f` with every outcome (while the indexer is driven).
    pub fn on_outcome(self, f: impl FnMut(BulkOutcome) + Send + 'static) -> Self {
        BulkIndexer { indexer: self.indexer.on_outcome(f) }
    }

    /// Calls `f` after every bulk answer and once at the end, with the
    /// counters so far.
    pub fn on_progress(self, f: impl FnMut(&BulkReport) + Send + 'static) -> Self {
        BulkIndexer { indexer: self.indexer.on_progress(f) }
    }

    /// An iterator over the outcomes decided from now on (so: all of them
    /// when taken before the first `add`), ending when the indexer is done.
    /// It buffers without bound: read it on another thread while adding,
    /// or use [`on_outcome`](Self::on_outcome). Taking it again replaces
    /// the previous one, which then ends.
    pub fn outcomes(&mut self) -> BulkOutcomes {
        BulkOutcomes { stream: self.indexer.outcomes() }
    }

    /// The counters so far.
    pub fn report(&self) -> BulkReport {
        self.indexer.report()
    }

    /// Adds an operation; blocks while the indexer is full. Returns its id
    /// (the one its outcome carries).
    pub fn add(&mut self, operation: BulkOperation) -> Result<OpId, Closed> {
        block_on(self.indexer.add(operation))
    }

    /// Sends what is buffered now and blocks until every operation added
    /// before has its outcome (retries included).
    pub fn flush(&mut self) {
        block_on(self.indexer.flush());
    }

    /// Sends everything, blocks until every operation has its outcome and
    /// returns the counters. `succeeded + failed + unconfirmed == submitted`.
    pub fn close(self) -> BulkReport {
        block_on(self.indexer.close())
    }
}

impl std::fmt::Debug for BulkIndexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.indexer.fmt(f)
    }
}

/// The outcomes of a [`BulkIndexer`], as an `Iterator`; it ends when the
/// indexer is done.
#[derive(Debug)]
pub struct BulkOutcomes {
    stream: driven::BulkOutcomes,
}

impl Iterator for BulkOutcomes {
    type Item = BulkOutcome;

    fn next(&mut self) -> Option<BulkOutcome> {
        super::next(&mut self.stream)
    }
}

/// Indexes every operation of `operations` with a [`BulkIndexer`] and
/// returns an iterator over their outcomes, one per operation, in the
/// order they are decided: the driver's [`bulk`](driven::bulk), blocked on.
/// `next()` reads the input as fast as the indexer accepts it
/// (back-pressure); when the returned iterator is dropped, reading stops
/// and what was read is still sent, before `drop` returns.
pub fn bulk<I>(client: &Client, operations: I, config: BulkConfig) -> BulkIter
where
    I: IntoIterator<Item = BulkOperation>,
    I::IntoIter: Send + 'static,
{
    let input = Input(Box::new(operations.into_iter()));
    BulkIter { stream: driven::bulk(client, input, config) }
}

/// An iterator as a stream: each item is read when it is polled.
struct Input(Box<dyn Iterator<Item = BulkOperation> + Send>);

impl Stream for Input {
    type Item = BulkOperation;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<BulkOperation>> {
        Poll::Ready(self.0.next())
    }
}

/// The iterator of [`bulk`]: the outcome of every operation read.
#[derive(Debug)]
pub struct BulkIter {
    stream: driven::BulkStream<BlockingExecutor, Input>,
}

impl BulkIter {
    /// Reads the remaining outcomes away and returns the counters.
    pub fn report(mut self) -> BulkReport {
        for _ in self.by_ref() {}
        self.stream.report()
    }
}

impl Iterator for BulkIter {
    type Item = BulkOutcome;

    fn next(&mut self) -> Option<BulkOutcome> {
        super::next(&mut self.stream)
    }
}
