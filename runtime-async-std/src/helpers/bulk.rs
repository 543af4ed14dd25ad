//! The bulk indexer on async-io: the core machine driven inside the
//! indexer's own futures (no task, no executor handle).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use async_io::Timer;
use elastik_core::helpers::bulk::{self as core_bulk, BulkConfig, BulkOperation, BulkOutcome, BulkReport, Closed, OpId};
use elastik_core::machine::Step;
use futures_core::Stream;

use super::{detach, poll_timer, Clients, InFlight};
use crate::Client;

/// Sends operations in bulk requests, `max_in_flight` chunks at once, and
/// accounts for every one of them (see [`elastik_core::helpers::bulk`]).
///
/// The indexer drives the core machine itself, inside its futures: every
/// [`add`](Self::add) moves the chunks in flight along (reads their
/// answers, sends the next chunks, schedules retries) and waits while the
/// machine holds `max_buffered` operations (back-pressure) — up to
/// `max_in_flight` chunks are in flight at once, concurrently, whatever
/// the executor. [`flush`](Self::flush) waits until every operation added
/// before has its outcome; [`close`](Self::close) waits for all of them and
/// returns the [`BulkReport`]. Between awaits nothing moves (see the
/// [module docs](super)); the flush interval is honoured when the indexer
/// is awaited.
///
/// Outcomes go to [`outcomes`](Self::outcomes) (a stream) and/or an
/// [`on_outcome`](Self::on_outcome) callback; otherwise only the counters
/// keep them. Callbacks run inside `add`/`flush`/`close`. Dropping the
/// indexer without closing it finishes every operation added on a
/// detached thread.
pub struct BulkIndexer {
    machine: core_bulk::BulkIndexer,
    clients: Clients,
    in_flight: InFlight,
    timer: Option<Timer>,
    sink: Sink,
    started: Option<Instant>,
    done: bool,
}

/// Where outcomes and progress go.
#[derive(Default)]
struct Sink {
    outcomes: Option<Outbox>,
    on_outcome: Option<Box<dyn FnMut(BulkOutcome) + Send>>,
    on_progress: Option<ProgressFn>,
}

type ProgressFn = Box<dyn FnMut(&BulkReport) + Send>;

impl BulkIndexer {
    /// An indexer writing through `client`.
    pub fn new(client: &Client, config: BulkConfig) -> Self {
        BulkIndexer {
            machine: core_bulk::BulkIndexer::new(config),
            clients: Clients::one(client),
            in_flight: InFlight::default(),
            timer: None,
            sink: Sink::default(),
            started: None,
            done: false,
        }
    }

    /// Calls `f` with every outcome (inside the indexer's futures).
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
    /// buffers without bound: read it while adding (from another task, or
    /// between adds), or use [`on_outcome`](Self::on_outcome). Taking it
    /// again replaces the previous stream, which then ends.
    pub fn outcomes(&mut self) -> BulkOutcomes {
        let outbox = Outbox::default();
        if self.done {
            outbox.close();
        }
        if let Some(previous) = self.sink.outcomes.replace(outbox.clone()) {
            previous.close();
        }
        BulkOutcomes { outbox }
    }

    /// The counters so far.
    pub fn report(&self) -> BulkReport {
        BulkReport::new(self.machine.stats(), self.started.map(|s| s.elapsed()).unwrap_or_default())
    }

    /// Adds an operation; waits while the indexer is full, moving the
    /// chunks in flight along. Returns its id (the one its outcome
    /// carries). `Err` hands the operation back after [`close`](Self::close)
    /// (which consumes the indexer, so only through [`bulk`]'s internals).
    pub async fn add(&mut self, operation: BulkOperation) -> Result<OpId, Closed> {
        self.started.get_or_insert_with(Instant::now);
        std::future::poll_fn(|cx| self.poll_until(cx, |m| !m.is_full())).await;
        self.machine.add(operation, Instant::now())
    }

    /// Sends what is buffered now and waits until every operation added
    /// before has its outcome (retries included).
    pub async fn flush(&mut self) {
        self.started.get_or_insert_with(Instant::now);
        self.machine.flush();
        std::future::poll_fn(|cx| self.poll_until(cx, core_bulk::BulkIndexer::is_drained)).await;
    }

    /// Sends everything, waits until every operation has its outcome, and
    /// returns the counters. `succeeded + failed + unconfirmed == submitted`.
    pub async fn close(mut self) -> BulkReport {
        self.started.get_or_insert_with(Instant::now);
        self.machine.close();
        std::future::poll_fn(|cx| self.poll_until(cx, |_| false)).await;
        self.report()
    }

    /// Drives the machine until `goal` holds or it is done: sends what it
    /// asks, polls every call in flight, feeds the answers back, hands the
    /// outcomes over, and waits out its backoffs.
    fn poll_until(&mut self, cx: &mut Context<'_>, mut goal: impl FnMut(&core_bulk::BulkIndexer) -> bool) -> Poll<()> {
        loop {
            if self.done {
                return Poll::Ready(());
            }
            let wake = loop {
                match self.machine.poll(Instant::now()) {
                    Step::Send(request) => self.in_flight.start(&self.clients, request),
                    Step::Emit(outcome) => self.sink.outcome(outcome),
                    Step::Wait(Some(until)) => break Some(until),
                    Step::Wait(None) => break None,
                    Step::Done => {
                        self.done = true;
                        let report = self.report();
                        self.sink.progress(&report);
                        if let Some(outbox) = &self.sink.outcomes {
                            outbox.close();
                        }
                        return Poll::Ready(());
                    }
                }
            };
            // Always polled, also when the goal holds already: a call is
            // started by its first poll, and answers are read only here.
            let mut answered = false;
            while let Poll::Ready(Some((token, result))) = self.in_flight.poll_answer(cx) {
                self.machine.handle(token, result, Instant::now());
                let report = self.report();
                self.sink.progress(&report);
                answered = true;
            }
            if answered {
                continue;
            }
            if goal(&self.machine) {
                return Poll::Ready(());
            }
            match wake {
                Some(until) if poll_timer(&mut self.timer, until, cx) => continue,
                _ => return Poll::Pending,
            }
        }
    }
}

impl Drop for BulkIndexer {
    /// Not closed: close the machine and finish every operation added on a
    /// detached thread (outcomes and callbacks still delivered).
    fn drop(&mut self) {
        if self.done || (self.machine.is_drained() && self.in_flight.len() == 0) {
            if let Some(outbox) = &self.sink.outcomes {
                outbox.close();
            }
            return;
        }
        let mut rest = BulkIndexer {
            machine: std::mem::replace(&mut self.machine, core_bulk::BulkIndexer::new(BulkConfig::new())),
            clients: self.clients.clone(),
            in_flight: std::mem::take(&mut self.in_flight),
            timer: None,
            sink: std::mem::take(&mut self.sink),
            started: self.started,
            done: false,
        };
        self.done = true;
        detach("elastik-bulk-close", async move {
            rest.machine.close();
            std::future::poll_fn(|cx| rest.poll_until(cx, |_| false)).await;
        });
    }
}

impl std::fmt::Debug for BulkIndexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkIndexer")
            .field("stats", &self.machine.stats())
            .field("in_flight", &self.in_flight.len())
            .field("done", &self.done)
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

/// An unbounded queue of outcomes with one waker: the indexer pushes, a
/// [`BulkOutcomes`] stream pops (from any task).
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
/// indexer is done (closed, or finished after a drop).
pub struct BulkOutcomes {
    outbox: Outbox,
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

/// Indexes every operation of `operations` with a [`BulkIndexer`] and
/// returns the stream of their outcomes, one per operation, in the order
/// they are decided. Polling the returned stream drives everything: it
/// reads the input as fast as the indexer accepts it (back-pressure),
/// keeps up to `max_in_flight` chunks in flight and yields the outcomes.
/// When it is dropped early, reading stops and what was read is still
/// sent, on a detached thread.
pub fn bulk<S>(client: &Client, operations: S, config: BulkConfig) -> BulkStream<S>
where
    S: Stream<Item = BulkOperation> + Send + 'static,
{
    let mut indexer = BulkIndexer::new(client, config);
    let outbox = Outbox::default();
    indexer.sink.outcomes = Some(outbox.clone());
    BulkStream { indexer, operations: Box::pin(operations), input_done: false, outbox }
}

/// The stream of [`bulk`]: the outcome of every operation read.
pub struct BulkStream<S> {
    indexer: BulkIndexer,
    operations: Pin<Box<S>>,
    input_done: bool,
    outbox: Outbox,
}

impl<S> BulkStream<S> {
    /// The counters so far.
    pub fn report(&self) -> BulkReport {
        self.indexer.report()
    }
}

impl<S: Stream<Item = BulkOperation>> Stream for BulkStream<S> {
    type Item = BulkOutcome;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BulkOutcome>> {
        let this = self.get_mut();
        this.indexer.started.get_or_insert_with(Instant::now);
        loop {
            if let Some(outcome) = this.outbox.pop() {
                return Poll::Ready(Some(outcome));
            }
            if this.indexer.done {
                return Poll::Ready(None);
            }
            while !this.input_done && !this.indexer.machine.is_full() {
                match this.operations.as_mut().poll_next(cx) {
                    Poll::Ready(Some(operation)) => {
                        // Not closed before the input ends.
                        let _ = this.indexer.machine.add(operation, Instant::now());
                    }
                    Poll::Ready(None) => {
                        this.input_done = true;
                        this.indexer.machine.close();
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

impl<S> std::fmt::Debug for BulkStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkStream").field("indexer", &self.indexer).field("input_done", &self.input_done).finish()
    }
}
