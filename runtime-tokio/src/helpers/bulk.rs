//! The bulk indexer on tokio: a task drives the core machine; the handle
//! feeds it with back-pressure.

use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};


use elastik_core::helpers::bulk::{self as core_bulk, BulkConfig, BulkOperation, BulkOutcome, BulkReport, Closed, OpId};
use elastik_core::machine::Step;
use futures_core::Stream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Clients, InFlight};
use crate::Client;

/// Operations handed over but not yet in the machine: a small batch, so
/// that the driver takes several per wake-up. Back-pressure comes from the
/// machine's `max_buffered`.
const HANDOVER: usize = 64;

/// Sends operations in bulk requests, `max_in_flight` chunks at once, and
/// accounts for every one of them (see [`elastik_core::helpers::bulk`]).
///
/// A task on the runtime drives the core machine: it sends each chunk
/// through the client's executor as soon as the machine says so, feeds
/// the answers back, and waits out the backoffs. [`add`](Self::add) waits
/// while the machine holds `max_buffered` operations (back-pressure);
/// [`flush`](Self::flush) waits until every operation added before has its
/// outcome; [`close`](Self::close) waits for all of them and returns the
/// [`BulkReport`].
///
/// Outcomes go to [`outcomes`](Self::outcomes) (a stream) and/or an
/// [`on_outcome`](Self::on_outcome) callback; otherwise only the counters
/// keep them. Callbacks run on the driving task: keep them short.
/// Dropping the indexer without closing it lets the task finish every
/// operation added, in the background.
///
/// The task starts with the first `add`, `flush` or `close`, on the
/// current tokio runtime (these panic outside one, like `tokio::spawn`).
pub struct BulkIndexer {
    state: State,
    next_id: u64,
}

enum State {
    Setup(Box<Setup>),
    Running { commands: mpsc::Sender<Command>, driver: JoinHandle<BulkReport> },
    /// Only while `close` runs.
    Closed,
}

struct Setup {
    machine: core_bulk::BulkIndexer,
    clients: Clients,
    sink: Sink,
}

// Adds are by far the most frequent command: boxing them would add an allocation per operation.
#[allow(clippy::large_enum_variant)]
enum Command {
    Add(BulkOperation),
    /// Resolve when every operation before this one has its outcome.
    Flush(oneshot::Sender<()>),
    Subscribe(mpsc::UnboundedSender<BulkOutcome>),
}

/// Where outcomes and progress go.
#[derive(Default)]
struct Sink {
    outcomes: Option<mpsc::UnboundedSender<BulkOutcome>>,
    on_outcome: Option<Box<dyn FnMut(BulkOutcome) + Send>>,
    on_progress: Option<ProgressFn>,
}

type ProgressFn = Box<dyn FnMut(&BulkReport) + Send>;

impl BulkIndexer {
    /// An indexer writing through `client`.
    pub fn new(client: &Client, config: BulkConfig) -> Self {
        let setup = Setup { machine: core_bulk::BulkIndexer::new(config), clients: Clients::one(client), sink: Sink::default() };
        BulkIndexer { state: State::Setup(Box::new(setup)), next_id: 0 }
    }

    /// Calls `f` with every outcome (on the driving task). Set it before
    /// the first `add`: it is ignored afterwards.
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

    /// A stream of the outcomes decided from now on (so: all of them when
    /// taken before the first `add`), ending when the indexer is done. It
    /// buffers without bound: read it while adding, or use
    /// [`on_outcome`](Self::on_outcome). Taking it again replaces the
    /// previous stream, which then ends.
    pub fn outcomes(&mut self) -> BulkOutcomes {
        let (tx, rx) = mpsc::unbounded_channel();
        match &mut self.state {
            State::Setup(setup) => setup.sink.outcomes = Some(tx),
            State::Running { commands, .. } => {
                // The driver outlives its handles; a full handover slot only delays this.
                let _ = commands.try_send(Command::Subscribe(tx.clone())).or_else(|e| match e {
                    mpsc::error::TrySendError::Full(c) => {
                        let commands = commands.clone();
                        tokio::spawn(async move { commands.send(c).await });
                        Ok(())
                    }
                    mpsc::error::TrySendError::Closed(_) => Err(()),
                });
            }
            State::Closed => {}
        }
        BulkOutcomes { rx }
    }

    /// Adds an operation; waits while the indexer is full. Returns its id
    /// (the one its outcome carries). `Err` hands the operation back when
    /// the driving task is gone (it panicked, or the runtime shut down).
    pub async fn add(&mut self, operation: BulkOperation) -> Result<OpId, Closed> {
        let commands = self.start();
        commands.send(Command::Add(operation)).await.map_err(|e| match e.0 {
            Command::Add(op) => Closed(Box::new(op)),
            _ => unreachable!("the command sent was an add"),
        })?;
        let id = OpId(self.next_id);
        self.next_id += 1;
        Ok(id)
    }

    /// Sends what is buffered now and waits until every operation added
    /// before has its outcome (retries included).
    pub async fn flush(&mut self) {
        let commands = self.start();
        let (tx, rx) = oneshot::channel();
        if commands.send(Command::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Sends everything, waits until every operation has its outcome, and
    /// returns the counters. `succeeded + failed + unconfirmed == submitted`.
    pub async fn close(mut self) -> BulkReport {
        self.start();
        let State::Running { commands, driver } = std::mem::replace(&mut self.state, State::Closed) else {
            unreachable!("started above")
        };
        // The driver closes the machine when the last sender is gone.
        drop(commands);
        match driver.await {
            Ok(report) => report,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("the bulk indexer task was cancelled: {e}"),
        }
    }

    fn start(&mut self) -> &mpsc::Sender<Command> {
        if let State::Setup(_) = self.state {
            let State::Setup(setup) = std::mem::replace(&mut self.state, State::Closed) else { unreachable!() };
            let (commands, rx) = mpsc::channel(HANDOVER);
            let driver = tokio::spawn(drive(*setup, rx));
            self.state = State::Running { commands, driver };
        }
        match &self.state {
            State::Running { commands, .. } => commands,
            _ => unreachable!("started above"),
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
        f.debug_struct("BulkIndexer").field("state", &state).field("added", &self.next_id).finish()
    }
}

/// The driving task: the machine's actions, the answers, the commands and
/// the timer, until the machine is done.
async fn drive(setup: Setup, mut commands: mpsc::Receiver<Command>) -> BulkReport {
    let Setup { mut machine, clients, mut sink } = setup;
    let started = Instant::now();
    let report = |machine: &core_bulk::BulkIndexer| BulkReport::new(machine.stats(), started.elapsed());
    let mut in_flight = InFlight::default();
    let mut open = true;
    // Flushes wait until the machine is drained: `flush` holds the handle,
    // so nothing is added after it before it resolves.
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        let wake = loop {
            match machine.poll(Instant::now()) {
                Step::Send(request) => in_flight.spawn(&clients, request),
                Step::Emit(outcome) => sink.outcome(outcome),
                Step::Wait(Some(until)) => break Some(until),
                Step::Wait(None) => break None,
                Step::Done => {
                    let done = report(&machine);
                    sink.progress(&done);
                    return done;
                }
            }
        };
        if machine.is_drained() {
            for tx in flushes.drain(..) {
                let _ = tx.send(());
            }
        }
        // A full machine sends its buffer on its own (the core's rule), so
        // not accepting while full cannot stall.
        let accept = open && !machine.is_full();
        let wake_at = wake.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            Some((token, result)) = in_flight.next(), if in_flight.len() > 0 => {
                machine.handle(token, result, Instant::now());
                sink.progress(&report(&machine));
            }
            command = commands.recv(), if accept => {
                let Some(command) = command else {
                    open = false;
                    machine.close();
                    continue;
                };
                let mut next = Some(command);
                while let Some(command) = next.take() {
                    match command {
                        Command::Add(op) => {
                            // Only refused after `close`, which comes last.
                            let _ = machine.add(op, Instant::now());
                        }
                        Command::Flush(tx) => {
                            machine.flush();
                            flushes.push(tx);
                        }
                        Command::Subscribe(tx) => sink.outcomes = Some(tx),
                    }
                    if !machine.is_full() {
                        next = commands.try_recv().ok();
                    }
                }
            }
            () = tokio::time::sleep_until(wake_at.into()), if wake.is_some() => {}
        }
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

/// The outcomes of a [`BulkIndexer`] or of [`bulk`], as a `Stream`; it ends
/// when the indexer is done.
#[derive(Debug)]
pub struct BulkOutcomes {
    rx: mpsc::UnboundedReceiver<BulkOutcome>,
}

impl Stream for BulkOutcomes {
    type Item = BulkOutcome;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BulkOutcome>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

/// Indexes every operation of `operations` with a [`BulkIndexer`] and
/// returns the stream of their outcomes, one per operation, in the order
/// they are decided. The input is read as fast as the indexer accepts it
/// (back-pressure); when the returned stream is dropped, reading stops and
/// what was read is still sent, in the background.
pub fn bulk<S>(client: &Client, operations: S, config: BulkConfig) -> BulkOutcomes
where
    S: Stream<Item = BulkOperation> + Send + 'static,
{
    let mut indexer = BulkIndexer::new(client, config);
    let (tx, rx) = mpsc::unbounded_channel();
    if let State::Setup(setup) = &mut indexer.state {
        setup.sink.outcomes = Some(tx.clone());
    }
    tokio::spawn(async move {
        let mut operations = pin!(operations);
        loop {
            let next = tokio::select! {
                next = std::future::poll_fn(|cx| operations.as_mut().poll_next(cx)) => next,
                () = tx.closed() => None,
            };
            let Some(operation) = next else { break };
            if indexer.add(operation).await.is_err() {
                break;
            }
        }
        drop(tx);
        indexer.close().await;
    });
    BulkOutcomes { rx }
}
