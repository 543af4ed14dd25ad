//! The bulk indexer on threads: `max_in_flight` workers share the core
//! machine; `add` blocks while it is full.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use elastik_proto::helpers::bulk::{
    self as core_bulk, BulkConfig, BulkOperation, BulkOutcome, BulkReport, Closed, OpId,
};
use elastik_proto::machine::Step;

use super::Clients;
use crate::Client;

/// Sends operations in bulk requests, `max_in_flight` chunks at once, and
/// accounts for every one of them (see [`elastik_proto::helpers::bulk`]).
///
/// `max_in_flight` worker threads share the core machine: each one takes
/// the next chunk the machine hands out, sends it (blocking, outside the
/// lock), feeds the answer back, and waits out backoffs and the flush
/// interval. [`add`](Self::add) blocks while the machine holds
/// `max_buffered` operations (back-pressure); [`flush`](Self::flush)
/// blocks until every operation added before has its outcome;
/// [`close`](Self::close) blocks until all have theirs, stops the workers
/// and returns the [`BulkReport`].
///
/// Outcomes go to [`outcomes`](Self::outcomes) (an iterator over a channel)
/// and/or an [`on_outcome`](Self::on_outcome) callback; otherwise only the
/// counters keep them. Callbacks run on a worker thread with the machine
/// locked: keep them short. Dropping the indexer without closing it closes
/// it: `drop` returns once every operation added has its outcome.
///
/// The workers start with the first `add`, `flush` or `close`.
pub struct BulkIndexer {
    state: State,
}

enum State {
    Setup(Box<Setup>),
    Running { shared: Arc<Shared>, workers: Vec<JoinHandle<()>> },
    Closed,
}

struct Setup {
    machine: core_bulk::BulkIndexer,
    clients: Clients,
    sink: Sink,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Workers wait here for a chunk, an answer slot, a timer or the close.
    work: Condvar,
    /// `add` and `flush` wait here for room and outcomes.
    room: Condvar,
    clients: Clients,
}

struct Inner {
    machine: core_bulk::BulkIndexer,
    sink: Sink,
    started: Instant,
    done: bool,
}

/// Where outcomes and progress go.
#[derive(Default)]
struct Sink {
    outcomes: Option<mpsc::Sender<BulkOutcome>>,
    on_outcome: Option<Box<dyn FnMut(BulkOutcome) + Send>>,
    on_progress: Option<ProgressFn>,
}

type ProgressFn = Box<dyn FnMut(&BulkReport) + Send>;

impl BulkIndexer {
    /// An indexer writing through `client`.
    pub fn new(client: &Client, config: BulkConfig) -> Self {
        let setup = Setup {
            machine: core_bulk::BulkIndexer::new(config),
            clients: Clients::one(client),
            sink: Sink::default(),
        };
        BulkIndexer { state: State::Setup(Box::new(setup)) }
    }

    /// Calls `f` with every outcome (on a worker thread). Set it before the
    /// first `add`: it is ignored afterwards.
    pub fn on_outcome(mut self, f: impl FnMut(BulkOutcome) + Send + 'static) -> Self {
        if let State::Setup(setup) = &mut self.state {
            setup.sink.on_outcome = Some(Box::new(f));
        }
        self
    }

    /// Calls `f` after every bulk answer and once at the end, with the
    /// counters so far. Set it before the first `add`: it is ignored afterwards.
    pub fn on_progress(mut self, f: impl FnMut(&BulkReport) + Send + 'static) -> Self {
        if let State::Setup(setup) = &mut self.state {
            setup.sink.on_progress = Some(Box::new(f));
        }
        self
    }

    /// An iterator over the outcomes decided from now on (so: all of them
    /// when taken before the first `add`), ending when the indexer is done.
    /// It buffers without bound: read it on another thread while adding,
    /// or use [`on_outcome`](Self::on_outcome). Taking it again replaces
    /// the previous one, which then ends.
    pub fn outcomes(&mut self) -> BulkOutcomes {
        let (tx, rx) = mpsc::channel();
        match &mut self.state {
            State::Setup(setup) => setup.sink.outcomes = Some(tx),
            State::Running { shared, .. } => {
                let mut inner = lock(&shared.inner);
                if !inner.done {
                    inner.sink.outcomes = Some(tx);
                }
            }
            State::Closed => {}
        }
        BulkOutcomes { rx }
    }

    /// The counters so far.
    pub fn report(&self) -> BulkReport {
        match &self.state {
            State::Setup(setup) => BulkReport::new(setup.machine.stats(), Default::default()),
            State::Running { shared, .. } => lock(&shared.inner).report(),
            State::Closed => BulkReport::default(),
        }
    }

    /// Adds an operation; blocks while the indexer is full. Returns its id
    /// (the one its outcome carries). `Err` hands the operation back when
    /// the workers are gone (one panicked in a callback).
    pub fn add(&mut self, operation: BulkOperation) -> Result<OpId, Closed> {
        let shared = self.start();
        let mut inner = lock(&shared.inner);
        while inner.machine.is_full() && !inner.done {
            inner = shared.room.wait(inner).unwrap_or_else(PoisonError::into_inner);
        }
        if inner.done {
            return Err(Closed(Box::new(operation)));
        }
        let was_empty = inner.machine.buffered() == 0;
        let now = Instant::now();
        let id = inner.machine.add(operation, now)?;
        // A worker is woken only when it has something to do: a chunk to
        // send, or a flush interval to start timing.
        if was_empty || inner.machine.chunk_ready(now) {
            shared.work.notify_one();
        }
        Ok(id)
    }

    /// Sends what is buffered now and blocks until every operation added
    /// before has its outcome (retries included).
    pub fn flush(&mut self) {
        let shared = self.start();
        let mut inner = lock(&shared.inner);
        inner.machine.flush();
        shared.work.notify_all();
        while !inner.machine.is_drained() && !inner.done {
            inner = shared.room.wait(inner).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Sends everything, blocks until every operation has its outcome,
    /// stops the workers and returns the counters.
    /// `succeeded + failed + unconfirmed == submitted`.
    pub fn close(mut self) -> BulkReport {
        self.finish()
    }

    fn finish(&mut self) -> BulkReport {
        if matches!(self.state, State::Closed) {
            return BulkReport::default();
        }
        self.start();
        let State::Running { shared, workers } = std::mem::replace(&mut self.state, State::Closed) else {
            unreachable!("started above")
        };
        {
            let mut inner = lock(&shared.inner);
            inner.machine.close();
            shared.work.notify_all();
        }
        let mut panic = None;
        for worker in workers {
            if let Err(p) = worker.join() {
                panic = Some(p);
            }
        }
        if let Some(p) = panic {
            if !std::thread::panicking() {
                std::panic::resume_unwind(p);
            }
        }
        let inner = lock(&shared.inner);
        inner.report()
    }

    fn start(&mut self) -> Arc<Shared> {
        if let State::Setup(_) = self.state {
            let State::Setup(setup) = std::mem::replace(&mut self.state, State::Closed) else { unreachable!() };
            let Setup { machine, clients, sink } = *setup;
            let workers = machine.config().max_in_flight.max(1);
            let inner = Inner { machine, sink, started: Instant::now(), done: false };
            let shared =
                Arc::new(Shared { inner: Mutex::new(inner), work: Condvar::new(), room: Condvar::new(), clients });
            let workers = (0..workers)
                .map(|n| {
                    let shared = Arc::clone(&shared);
                    std::thread::Builder::new()
                        .name(format!("elastik-bulk-{n}"))
                        .spawn(move || work(&shared))
                        .expect("spawn a bulk worker thread")
                })
                .collect();
            self.state = State::Running { shared, workers };
        }
        match &self.state {
            State::Running { shared, .. } => Arc::clone(shared),
            _ => unreachable!("started above"),
        }
    }
}

impl Drop for BulkIndexer {
    /// Not closed: close, and return once every operation has its outcome.
    fn drop(&mut self) {
        if let State::Running { .. } = self.state {
            self.finish();
        }
    }
}

impl std::fmt::Debug for BulkIndexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Setup(_) => "not started",
            State::Running { .. } => "running",
            State::Closed => "closed",
        };
        f.debug_struct("BulkIndexer").field("state", &state).field("report", &self.report()).finish()
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    fn report(&self) -> BulkReport {
        BulkReport::new(self.machine.stats(), self.started.elapsed())
    }
}

/// One worker: polls the shared machine; sends the chunk it is handed with
/// the lock released; waits when there is nothing to do.
fn work(shared: &Shared) {
    let mut inner = lock(&shared.inner);
    loop {
        let mut emitted = false;
        let wait = loop {
            match inner.machine.poll(Instant::now()) {
                Step::Send(request) => {
                    // Another chunk due: another worker takes it.
                    if inner.machine.chunk_ready(Instant::now()) {
                        shared.work.notify_one();
                    }
                    // The chunk left the buffer: room for the adders.
                    shared.room.notify_all();
                    drop(inner);
                    let (token, result) = shared.clients.execute(request);
                    inner = lock(&shared.inner);
                    inner.machine.handle(token, result, Instant::now());
                    let report = inner.report();
                    inner.sink.progress(&report);
                    // Room for more adds, maybe.
                    emitted = true;
                }
                Step::Emit(outcome) => {
                    inner.sink.outcome(outcome);
                    emitted = true;
                }
                Step::Wait(Some(until)) => break Some(until),
                Step::Wait(None) => break None,
                Step::Done => {
                    if !inner.done {
                        inner.done = true;
                        let report = inner.report();
                        inner.sink.progress(&report);
                        // Ends the outcome iterators.
                        inner.sink.outcomes = None;
                    }
                    shared.work.notify_all();
                    shared.room.notify_all();
                    return;
                }
            }
        };
        if emitted {
            shared.room.notify_all();
        }
        inner = match wait {
            Some(until) => {
                let timeout = until.saturating_duration_since(Instant::now());
                shared.work.wait_timeout(inner, timeout).unwrap_or_else(PoisonError::into_inner).0
            }
            None => shared.work.wait(inner).unwrap_or_else(PoisonError::into_inner),
        };
    }
}

impl Sink {
    fn outcome(&mut self, outcome: BulkOutcome) {
        match (&mut self.on_outcome, &self.outcomes) {
            (Some(f), Some(tx)) => {
                f(outcome.clone());
                let _ = tx.send(outcome);
            }
            (Some(f), None) => f(outcome),
            // A dropped receiver only means nobody reads the outcomes.
            (None, Some(tx)) => {
                let _ = tx.send(outcome);
            }
            (None, None) => {}
        }
    }

    fn progress(&mut self, report: &BulkReport) {
        if let Some(f) = &mut self.on_progress {
            f(report);
        }
    }
}

/// The outcomes of a [`BulkIndexer`], as an `Iterator`; it ends when the
/// indexer is done.
#[derive(Debug)]
pub struct BulkOutcomes {
    rx: mpsc::Receiver<BulkOutcome>,
}

impl Iterator for BulkOutcomes {
    type Item = BulkOutcome;

    fn next(&mut self) -> Option<BulkOutcome> {
        self.rx.recv().ok()
    }
}

/// Indexes every operation of `operations` with a [`BulkIndexer`] and
/// returns an iterator over their outcomes, one per operation, in the
/// order they are decided. A feeder thread reads the input as fast as the
/// indexer accepts it (back-pressure); when the returned iterator is
/// dropped, reading stops and what was read is still sent, in the
/// background.
pub fn bulk<I>(client: &Client, operations: I, config: BulkConfig) -> BulkIter
where
    I: IntoIterator<Item = BulkOperation>,
    I::IntoIter: Send + 'static,
{
    let mut indexer = BulkIndexer::new(client, config);
    let outcomes = indexer.outcomes();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let operations = operations.into_iter();
    let feeder = std::thread::Builder::new()
        .name("elastik-bulk-feeder".to_owned())
        .spawn(move || {
            for operation in operations {
                if stopped.load(Ordering::Relaxed) || indexer.add(operation).is_err() {
                    break;
                }
            }
            indexer.close()
        })
        .expect("spawn the bulk feeder thread");
    BulkIter { outcomes, stop, feeder: Some(feeder) }
}

/// The iterator of [`bulk`]: the outcome of every operation read.
#[derive(Debug)]
pub struct BulkIter {
    outcomes: BulkOutcomes,
    stop: Arc<AtomicBool>,
    feeder: Option<JoinHandle<BulkReport>>,
}

impl BulkIter {
    /// Reads the remaining outcomes away and returns the counters.
    pub fn report(mut self) -> BulkReport {
        for _ in self.outcomes.by_ref() {}
        match self.feeder.take().map(JoinHandle::join) {
            Some(Ok(report)) => report,
            Some(Err(p)) => std::panic::resume_unwind(p),
            None => BulkReport::default(),
        }
    }
}

impl Iterator for BulkIter {
    type Item = BulkOutcome;

    fn next(&mut self) -> Option<BulkOutcome> {
        self.outcomes.next()
    }
}

impl Drop for BulkIter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
