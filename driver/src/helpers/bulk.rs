//! The bulk indexer: the core's [`BulkSession`] driven by the handle's
//! own calls (`add`, `flush`, `close`) and by the outcome streams.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use elastik_api::Client;
use elastik_proto::helpers::bulk::{
    BulkConfig, BulkEvent, BulkOperation, BulkOutcome, BulkReport, BulkSession, Closed, OpId,
};
use elastik_proto::machine::{Machine, Step};
use futures_core::Stream;

use super::{Clients, InFlight, Timer};
use crate::{Drives, Runtime};

/// Sends operations in bulk requests, `max_in_flight` chunks at once, and
/// accounts for every one of them (see [`elastik_proto::helpers::bulk`]).
///
/// The handle drives the core machine while one of its methods runs
/// (requests in flight progress in the background where the runtime can).
/// [`add`](Self::add) waits while the machine holds `max_buffered`
/// operations (back-pressure); [`flush`](Self::flush) waits until every
/// operation added before has its outcome; [`close`](Self::close) waits for
/// all of them and returns the [`BulkReport`]. When each of these is
/// complete is the core's decision ([`BulkSession`]).
///
/// Outcomes go to [`outcomes`](Self::outcomes) (a stream) and/or an
/// [`on_outcome`](Self::on_outcome) callback; otherwise only the counters
/// keep them. Dropping the indexer without closing it finishes every
/// operation added in a task of the runtime.
pub struct BulkIndexer<X: Drives> {
    session: BulkSession,
    clients: Clients<X>,
    in_flight: InFlight,
    timer: Timer<X::Runtime>,
    sink: Sink,
    flushed: bool,
    /// The final report, once the session is finished.
    finished: Option<BulkReport>,
}

#[derive(Default)]
struct Sink {
    outcomes: Option<Outbox>,
    on_outcome: Option<Box<dyn FnMut(BulkOutcome) + Send>>,
    on_progress: Option<ProgressFn>,
}

type ProgressFn = Box<dyn FnMut(&BulkReport) + Send>;

impl<X: Drives> BulkIndexer<X> {
    /// An indexer writing through `client`.
    pub fn new(client: &Client<X>, config: BulkConfig) -> Self {
        BulkIndexer {
            session: BulkSession::new(config),
            clients: Clients::one(client),
            in_flight: InFlight::default(),
            timer: Timer::default(),
            sink: Sink::default(),
            flushed: false,
            finished: None,
        }
    }

    /// Calls `f` with every outcome (while the indexer is driven: keep it short).
    pub fn on_outcome(mut self, f: impl FnMut(BulkOutcome) + Send + 'static) -> Self {
        self.sink.on_outcome = Some(Box::new(f));
        self
    }

    /// Calls `f` after every bulk answer and once at the end, with the
    /// counters so far.
    pub fn on_progress(mut self, f: impl FnMut(&BulkReport) + Send + 'static) -> Self {
        self.sink.on_progress = Some(Box::new(f));
        self
    }

    /// A stream of the outcomes decided from now on (so: all of them when
    /// taken before the first `add`), ending when the indexer is done. It
    /// buffers without bound: read it while adding, or use
    /// [`on_outcome`](Self::on_outcome). Taking it again replaces the
    /// previous stream, which then ends.
    pub fn outcomes(&mut self) -> BulkOutcomes {
        let outbox = Outbox::default();
        if self.finished.is_some() {
            outbox.close();
        }
        if let Some(previous) = self.sink.outcomes.replace(outbox.clone()) {
            previous.close();
        }
        BulkOutcomes { outbox }
    }

    /// The counters so far (the final ones once the indexer is done).
    pub fn report(&self) -> BulkReport {
        self.finished.unwrap_or_else(|| self.session.report(Instant::now()))
    }

    /// Adds an operation; waits while the indexer is full. Returns its id
    /// (the one its outcome carries); `Err` hands it back after `close`.
    pub async fn add(&mut self, operation: BulkOperation) -> Result<OpId, Closed> {
        std::future::poll_fn(|cx| self.poll_until(cx, |this| this.session.accepts())).await;
        self.session.add(operation, Instant::now())
    }

    /// Sends what is buffered now and waits until every operation added
    /// before has its outcome (retries included).
    pub async fn flush(&mut self) {
        self.flushed = false;
        self.session.flush(Instant::now());
        std::future::poll_fn(|cx| self.poll_until(cx, |this| this.flushed)).await;
    }

    /// Sends everything, waits until every operation has its outcome, and
    /// returns the counters. `succeeded + failed + unconfirmed == submitted`.
    pub async fn close(mut self) -> BulkReport {
        self.session.close(Instant::now());
        std::future::poll_fn(|cx| self.poll_until(cx, |_| false)).await;
        self.report()
    }

    /// Drives the session until `goal` holds or it is finished.
    fn poll_until(&mut self, cx: &mut Context<'_>, goal: impl Fn(&Self) -> bool) -> Poll<()> {
        loop {
            if self.finished.is_some() {
                return Poll::Ready(());
            }
            let wake = loop {
                match self.session.poll(Instant::now()) {
                    Step::Send(request) => self.in_flight.start(&self.clients, request),
                    Step::Emit(BulkEvent::Outcome(outcome)) => self.sink.outcome(outcome),
                    Step::Emit(BulkEvent::Progress(report)) => {
                        self.sink.progress(&report);
                        if self.session.is_finished() {
                            self.finished = Some(report);
                        }
                    }
                    Step::Emit(BulkEvent::Flushed) => self.flushed = true,
                    Step::Wait(until) => break until,
                    Step::Done => {
                        self.finished.get_or_insert_with(|| self.session.report(Instant::now()));
                        if let Some(outbox) = &self.sink.outcomes {
                            outbox.close();
                        }
                        return Poll::Ready(());
                    }
                }
            };
            // Always polled, also when the goal holds already: a call may be
            // started by its first poll, and answers are read only here.
            let mut answered = false;
            while let Poll::Ready(Some((token, result))) = self.in_flight.poll_answer(cx) {
                self.session.handle(token, result, Instant::now());
                answered = true;
            }
            if answered {
                continue;
            }
            if goal(self) {
                return Poll::Ready(());
            }
            match wake {
                Some(until) if self.timer.poll_at(until, cx) => continue,
                _ => return Poll::Pending,
            }
        }
    }
}

impl<X: Drives> Drop for BulkIndexer<X> {
    /// Not closed: what was added is still sent and accounted, in a task.
    fn drop(&mut self) {
        let idle = self.session.indexer().is_drained() && self.in_flight.len() == 0;
        if self.finished.is_some() || idle {
            if let Some(outbox) = &self.sink.outcomes {
                outbox.close();
            }
            return;
        }
        let mut rest = BulkIndexer {
            session: std::mem::replace(&mut self.session, BulkSession::new(BulkConfig::new())),
            clients: self.clients.clone(),
            in_flight: std::mem::take(&mut self.in_flight),
            timer: Timer::default(),
            sink: std::mem::take(&mut self.sink),
            flushed: false,
            finished: None,
        };
        self.finished = Some(BulkReport::default());
        X::Runtime::spawn(Box::pin(async move {
            rest.session.close(Instant::now());
            std::future::poll_fn(|cx| rest.poll_until(cx, |_| false)).await;
        }));
    }
}

impl<X: Drives> std::fmt::Debug for BulkIndexer<X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkIndexer")
            .field("stats", &self.session.indexer().stats())
            .field("in_flight", &self.in_flight.len())
            .field("done", &self.finished.is_some())
            .finish()
    }
}

impl Sink {
    fn outcome(&mut self, outcome: BulkOutcome) {
        match (&mut self.on_outcome, &self.outcomes) {
            (Some(f), Some(outbox)) => {
                f(outcome.clone());
                outbox.push(outcome);
            }
            (Some(f), None) => f(outcome),
            (None, Some(outbox)) => outbox.push(outcome),
            (None, None) => {}
        }
    }

    fn progress(&mut self, report: &BulkReport) {
        if let Some(f) = &mut self.on_progress {
            f(report);
        }
    }
}

/// Outcomes handed from the driving side to a [`BulkOutcomes`] stream.
#[derive(Clone, Default)]
struct Outbox {
    shared: Arc<Mutex<OutboxState>>,
}

#[derive(Default)]
struct OutboxState {
    queue: VecDeque<BulkOutcome>,
    closed: bool,
    waker: Option<Waker>,
}

impl Outbox {
    fn with<R>(&self, f: impl FnOnce(&mut OutboxState) -> R) -> R {
        f(&mut self.shared.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn push(&self, outcome: BulkOutcome) {
        let waker = self.with(|s| {
            s.queue.push_back(outcome);
            s.waker.take()
        });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn close(&self) {
        let waker = self.with(|s| {
            s.closed = true;
            s.waker.take()
        });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn pop(&self) -> Option<BulkOutcome> {
        self.with(|s| s.queue.pop_front())
    }

    fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Option<BulkOutcome>> {
        self.with(|s| match s.queue.pop_front() {
            Some(outcome) => Poll::Ready(Some(outcome)),
            None if s.closed => Poll::Ready(None),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// The outcomes of a [`BulkIndexer`], as a `Stream`; it ends when the
/// indexer is done. It is fed while the indexer is driven.
pub struct BulkOutcomes {
    outbox: Outbox,
}

impl BulkOutcomes {
    /// The next outcome (`None` once the indexer is done).
    pub async fn next_outcome(&mut self) -> Option<BulkOutcome> {
        std::future::poll_fn(|cx| self.outbox.poll_pop(cx)).await
    }
}

impl Stream for BulkOutcomes {
    type Item = BulkOutcome;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BulkOutcome>> {
        self.outbox.poll_pop(cx)
    }
}

impl std::fmt::Debug for BulkOutcomes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkOutcomes").finish_non_exhaustive()
    }
}

/// Indexes every operation of `operations` and yields their outcomes, one
/// per operation, in the order they are decided. The input is read as fast
/// as the indexer accepts it (back-pressure); [`BulkStream::report`] gives
/// the counters (the final ones once the stream ended). When the stream is
/// dropped early, reading stops and what was read is still sent, in a task.
pub fn bulk<X: Drives, S>(client: &Client<X>, operations: S, config: BulkConfig) -> BulkStream<X, S>
where
    S: Stream<Item = BulkOperation> + Send + 'static,
{
    let mut indexer = BulkIndexer::new(client, config);
    let outbox = Outbox::default();
    indexer.sink.outcomes = Some(outbox.clone());
    BulkStream { indexer, operations: Box::pin(operations), input_done: false, outbox }
}

/// The stream of [`bulk`].
pub struct BulkStream<X: Drives, S> {
    indexer: BulkIndexer<X>,
    operations: Pin<Box<S>>,
    input_done: bool,
    outbox: Outbox,
}

impl<X: Drives, S> BulkStream<X, S> {
    /// The counters so far; the final report once the stream has ended.
    pub fn report(&self) -> BulkReport {
        self.indexer.report()
    }
}

impl<X: Drives, S: Stream<Item = BulkOperation>> Stream for BulkStream<X, S> {
    type Item = BulkOutcome;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BulkOutcome>> {
        let this = self.get_mut();
        loop {
            if let Some(outcome) = this.outbox.pop() {
                return Poll::Ready(Some(outcome));
            }
            if this.indexer.finished.is_some() {
                return Poll::Ready(None);
            }
            while !this.input_done && this.indexer.session.accepts() {
                match this.operations.as_mut().poll_next(cx) {
                    Poll::Ready(Some(operation)) => {
                        // Not closed before the input ends.
                        let _ = this.indexer.session.add(operation, Instant::now());
                    }
                    Poll::Ready(None) => {
                        this.input_done = true;
                        this.indexer.session.close(Instant::now());
                    }
                    Poll::Pending => break,
                }
            }
            let outbox = &this.outbox;
            if this.indexer.poll_until(cx, |_| outbox.with(|s| !s.queue.is_empty())).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl<X: Drives, S> std::fmt::Debug for BulkStream<X, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkStream").field("indexer", &self.indexer).field("input_done", &self.input_done).finish()
    }
}
