//! The helpers of `elastik-proto`, driven once for every runtime: a
//! [`BulkIndexer`] with back-pressure, [`bulk`] over a stream of
//! operations, [`scan`] and [`scan_sliced`] as streams of typed hits,
//! [`reindex`], and [`esql_async_query`].
//!
//! What it owns: driving the core machines ([`elastik_proto::machine`]):
//! every `Send` becomes a transport call through the client's driver (in
//! the background where the runtime can: [`Runtime::in_background`]),
//! several at once; answers go back with `handle`; `Wait` is the runtime's
//! timer; `Emit` is handed to the consumer (a stream item, a callback or an
//! outcome stream).
//!
//! What it does not do: decide anything. Chunking, per-item accounting,
//! retries, flush completion and progress reports of bulk, paging, merging
//! slices and summing their counters, closing the point in time or scroll,
//! and the reindex's composition are the core machines'. The one rule of
//! this module is liveness: a stream dropped before its end does not leave
//! its machine half way — the machine is cancelled and driven to its end in
//! a task ([`Runtime::spawn`]), which sends the close request of a scan and
//! finishes the writes of a reindex.

mod bulk;
mod esql;
mod reindex;
mod scan;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use elastik_api::Client;
use elastik_proto::helpers::{HelperRequest, Role, Token};
use elastik_proto::machine::{Machine, Step};
use elastik_proto::{Error, PreparedRequest};
use serde::de::DeserializeOwned;

pub use bulk::{bulk, BulkIndexer, BulkOutcomes, BulkStream};
pub use elastik_proto::esql::{AsyncQuery, EsqlResponse};
pub use elastik_proto::helpers::bulk::{
    BulkConfig, BulkError, BulkItem, BulkOperation, BulkOutcome, BulkReport, BulkResult, BulkStats, Closed, OpId,
    OpType, OperationMeta, RetryReasons,
};
pub use elastik_proto::helpers::reindex::{ReindexConfig, ReindexEvent, ReindexProgress};
pub use elastik_proto::helpers::scan::{Hit, ScanConfig, ScanMode, ScanStats};
pub use elastik_proto::helpers::BackoffPolicy;
pub use esql::esql_async_query;
pub use futures_core::Stream;
pub use reindex::{reindex, reindex_with, ReindexStream};
pub use scan::{scan, scan_sliced, ScanStream};

use crate::{CallFuture, Drives, Runtime};

/// The helpers as methods of the client.
pub trait ClientHelpers<X: Drives> {
    /// A bulk indexer writing through this client; see [`BulkIndexer`].
    fn bulk_indexer(&self, config: BulkConfig) -> BulkIndexer<X>;
    /// Every hit of a search; see [`scan`].
    fn scan<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig) -> ScanStream<X, T>;
    /// Every hit of a search, `slices` slices at once; see [`scan_sliced`].
    fn scan_sliced<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig, slices: u32) -> ScanStream<X, T>;
}

impl<X: Drives> ClientHelpers<X> for Client<X> {
    fn bulk_indexer(&self, config: BulkConfig) -> BulkIndexer<X> {
        BulkIndexer::new(self, config)
    }

    fn scan<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig) -> ScanStream<X, T> {
        scan(self, config)
    }

    fn scan_sliced<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig, slices: u32) -> ScanStream<X, T> {
        scan_sliced(self, config, slices)
    }
}

/// The client of each [`Role`]: the same one except in a reindex between two clusters.
#[derive(Clone, Debug)]
pub(crate) struct Clients<X> {
    read: Client<X>,
    write: Client<X>,
}

impl<X: Drives> Clients<X> {
    pub(crate) fn one(client: &Client<X>) -> Self {
        Clients { read: client.clone(), write: client.clone() }
    }

    pub(crate) fn two(read: &Client<X>, write: &Client<X>) -> Self {
        Clients { read: read.clone(), write: write.clone() }
    }
}

type Answer = (Token, Result<http::Response<Bytes>, Error>);

/// Requests in flight.
#[derive(Default)]
pub(crate) struct InFlight {
    calls: Vec<(Token, CallFuture)>,
}

impl InFlight {
    /// Starts the request as a transport call of its role's client.
    pub(crate) fn start<X: Drives>(&mut self, clients: &Clients<X>, request: HelperRequest) {
        let HelperRequest { token, endpoint_id, request, options, role, .. } = request;
        let client = match role {
            Role::Read => &clients.read,
            Role::Write => &clients.write,
        };
        let call = client.executor().driver().call(PreparedRequest { endpoint_id, request, options });
        self.calls.push((token, X::Runtime::in_background(Box::pin(call))));
    }

    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }

    /// The next answer; `None` when nothing is in flight.
    pub(crate) fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Option<Answer>> {
        if self.calls.is_empty() {
            return Poll::Ready(None);
        }
        for i in 0..self.calls.len() {
            if let Poll::Ready(result) = self.calls[i].1.as_mut().poll(cx) {
                let (token, _) = self.calls.swap_remove(i);
                return Poll::Ready(Some((token, result)));
            }
        }
        Poll::Pending
    }
}

/// The runtime's timer, set to the machine's latest wait.
pub(crate) struct Timer<R: Runtime> {
    sleep: Option<(Instant, Pin<Box<R::Sleep>>)>,
}

impl<R: Runtime> Default for Timer<R> {
    fn default() -> Self {
        Timer { sleep: None }
    }
}

impl<R: Runtime> Timer<R> {
    /// Whether `until` has come (otherwise the task is woken then).
    pub(crate) fn poll_at(&mut self, until: Instant, cx: &mut Context<'_>) -> bool {
        if self.sleep.as_ref().map(|(at, _)| *at) != Some(until) {
            self.sleep = Some((until, Box::pin(R::sleep_until(until))));
        }
        let (_, sleep) = self.sleep.as_mut().expect("set above");
        let ready = sleep.as_mut().poll(cx).is_ready();
        if ready {
            self.sleep = None;
        }
        ready
    }
}

/// A pull-driven machine: its outputs as a stream.
pub(crate) struct Driven<X: Drives, M: Machine<Output: Send> + Send + 'static> {
    /// `None` only once handed to a drain task (in `drop`).
    machine: Option<M>,
    clients: Clients<X>,
    in_flight: InFlight,
    timer: Timer<X::Runtime>,
    done: bool,
}

impl<X: Drives, M: Machine<Output: Send> + Send + 'static> Driven<X, M> {
    pub(crate) fn new(machine: M, clients: Clients<X>) -> Self {
        Driven { machine: Some(machine), clients, in_flight: InFlight::default(), timer: Timer::default(), done: false }
    }

    pub(crate) fn machine(&self) -> Option<&M> {
        self.machine.as_ref()
    }

    pub(crate) fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Option<M::Output>> {
        let Some(machine) = self.machine.as_mut().filter(|_| !self.done) else { return Poll::Ready(None) };
        loop {
            while let Poll::Ready(Some((token, result))) = self.in_flight.poll_answer(cx) {
                machine.handle(token, result, Instant::now());
            }
            match machine.poll(Instant::now()) {
                Step::Send(request) => self.in_flight.start(&self.clients, request),
                Step::Emit(output) => return Poll::Ready(Some(output)),
                Step::Wait(Some(until)) => {
                    if !self.timer.poll_at(until, cx) {
                        return Poll::Pending;
                    }
                }
                // The answers in flight wake this task (polled above).
                Step::Wait(None) if self.in_flight.len() > 0 => return Poll::Pending,
                // Idle with nothing in flight: no input can ever come.
                Step::Wait(None) | Step::Done => {
                    self.done = true;
                    return Poll::Ready(None);
                }
            }
        }
    }

    pub(crate) async fn next(&mut self) -> Option<M::Output> {
        std::future::poll_fn(|cx| self.poll_output(cx)).await
    }

    /// Cancels the machine and drives it to its end here (sending what
    /// closes it), discarding the outputs.
    pub(crate) async fn finish(&mut self) {
        if let Some(machine) = self.machine.as_mut().filter(|_| !self.done) {
            machine.cancel();
        }
        while self.next().await.is_some() {}
    }
}

impl<X: Drives, M: Machine<Output: Send> + Send + 'static> Drop for Driven<X, M> {
    /// Dropped before its end: cancel, and drive the rest (the close
    /// request of a scan, the pending writes of a reindex) in a task,
    /// discarding the outputs. Where no task can run nothing is sent: the
    /// server drops the context after its keep-alive.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Some(mut machine) = self.machine.take() else { return };
        machine.cancel();
        let mut rest = Driven {
            machine: Some(machine),
            clients: self.clients.clone(),
            in_flight: std::mem::take(&mut self.in_flight),
            timer: Timer::default(),
            done: false,
        };
        X::Runtime::spawn(Box::pin(async move { while rest.next().await.is_some() {} }));
    }
}
