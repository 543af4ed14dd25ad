//! The helpers of `elastik-core` on async-io: a [`BulkIndexer`] with
//! back-pressure, [`bulk`] over a stream of operations, [`scan`] and
//! [`scan_sliced`] as `Stream`s of typed hits, [`reindex`], and
//! [`esql_async_query`], which polls an async ES|QL query to its end — the
//! same names and shapes as on tokio, under any executor (async-std, smol, …).
//!
//! What it owns: driving the core machines ([`elastik_core::helpers`]).
//! This crate spawns no tasks (it does not know the executor), so the
//! requests a machine has in flight — several bulk chunks at once, the
//! next page of a scan — are futures held in a small set *inside* the
//! helper and polled whenever the consumer awaits it (`add`, `flush`,
//! `close`, or the next item of a stream). They progress concurrently with
//! each other (one waker, all polled), and the consumer never needs a
//! spawner. The cost: between two awaits nothing moves — the requests sent
//! are being answered by the server, but their answers are read (and the
//! flush interval's timer fires) only at the next await. A loader that
//! awaits `add` in a loop, or a consumer that reads a stream, keeps them
//! moving.
//!
//! What it does not do: decide anything. Chunking, per-item accounting,
//! retries and backoff of bulk items, paging, closing the point in time or
//! scroll, and the reindex's composition are the core machines'. The one
//! rule of this module is liveness: a helper dropped before its end does
//! not leave its machine half way — it is cancelled (a scan) or closed (a
//! bulk indexer) and driven to its end on a detached thread with
//! `async_io::block_on` (async-io's own reactor runs the sockets and
//! timers, so no executor is needed), which sends the close request of a
//! scan and finishes the writes of an indexer or a reindex. Where the end
//! must be awaited, [`ScanStream::close`] and [`BulkIndexer::close`] do it
//! in the caller's task.
//!
//! ```no_run
//! # async fn run() -> Result<(), elastik_core::Error> {
//! use elastik_async_std::helpers::{BulkConfig, BulkOperation, ClientHelpers, Hit, ScanConfig};
//! use elastik_async_std::Client;
//! use futures_lite::StreamExt;
//!
//! let client = Client::builder().node("http://localhost:9200").build()?;
//! let mut indexer = client.bulk_indexer(BulkConfig::new().index("books").max_in_flight(4));
//! for n in 0..10_000 {
//!     let doc = serde_json::json!({ "n": n });
//!     // Waits while the indexer is full (and moves the chunks in flight).
//!     indexer.add(BulkOperation::index(&doc).id(n.to_string())).await.expect("not closed");
//! }
//! let report = indexer.close().await;
//! println!("{} indexed, {:.0} docs/s", report.stats.succeeded, report.docs_per_second());
//!
//! let mut hits = client.scan::<serde_json::Value>(ScanConfig::new("books"));
//! while let Some(hit) = hits.next().await {
//!     let hit: Hit<serde_json::Value> = hit?;
//!     println!("{:?}", hit.id);
//! }
//! # Ok(())
//! # }
//! ```

mod bulk;
mod esql;
mod reindex;
mod scan;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use async_io::Timer;
use bytes::Bytes;
use elastik_core::helpers::{HelperRequest, Role, Token};
use elastik_core::machine::Step;
use elastik_core::{Error, Executor, PreparedRequest};
use serde::de::DeserializeOwned;

pub use bulk::{bulk, BulkIndexer, BulkOutcomes, BulkStream};
pub use elastik_core::helpers::bulk::{
    BulkConfig, BulkError, BulkItem, BulkOperation, BulkOutcome, BulkReport, BulkResult, BulkStats, Closed, OpId, OpType,
    OperationMeta, RetryReasons,
};
pub use elastik_core::helpers::reindex::{ReindexConfig, ReindexEvent, ReindexProgress};
pub use elastik_core::helpers::scan::{Hit, ScanConfig, ScanMode, ScanStats};
pub use elastik_core::esql::{AsyncQuery, EsqlResponse};
pub use elastik_core::helpers::BackoffPolicy;
pub use futures_core::Stream;
pub use esql::esql_async_query;
pub use reindex::{reindex, reindex_with, ReindexStream};
pub use scan::{scan, scan_sliced, ScanStream};

use crate::Client;

/// The helpers as methods of the [`Client`].
pub trait ClientHelpers {
    /// A bulk indexer writing through this client; see [`BulkIndexer`].
    fn bulk_indexer(&self, config: BulkConfig) -> BulkIndexer;
    /// Every hit of a search; see [`scan`].
    fn scan<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig) -> ScanStream<T>;
    /// Every hit of a search, `slices` slices at once; see [`scan_sliced`].
    fn scan_sliced<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig, slices: u32) -> ScanStream<T>;
}

impl ClientHelpers for Client {
    fn bulk_indexer(&self, config: BulkConfig) -> BulkIndexer {
        BulkIndexer::new(self, config)
    }

    fn scan<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig) -> ScanStream<T> {
        scan(self, config)
    }

    fn scan_sliced<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig, slices: u32) -> ScanStream<T> {
        scan_sliced(self, config, slices)
    }
}

/// A core helper machine this module can drive.
trait Machine: elastik_core::machine::Machine<Output = Self::Out> + Send + 'static {
    type Out: Send + 'static;
}

impl<M: elastik_core::machine::Machine + Send + 'static> Machine for M
where
    M::Output: Send + 'static,
{
    type Out = M::Output;
}

/// The client of each [`Role`]: the same one except in a reindex between two clusters.
#[derive(Clone, Debug)]
struct Clients {
    read: Client,
    write: Client,
}

impl Clients {
    fn one(client: &Client) -> Self {
        Clients { read: client.clone(), write: client.clone() }
    }
}

type Answer = (Token, Result<http::Response<Bytes>, Error>);
type CallFuture = Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, Error>> + Send>>;

/// Requests in flight: the executor's futures, polled together by whoever
/// drives the helper. A handful at most (`max_in_flight` chunks, a page
/// ahead per slice), so a plain vector polled in full is enough.
#[derive(Default)]
struct InFlight {
    calls: Vec<(Token, CallFuture)>,
}

impl InFlight {
    /// Starts the request through the executor of its role's client.
    fn start(&mut self, clients: &Clients, request: HelperRequest) {
        let HelperRequest { token, endpoint_id, request, options, role, .. } = request;
        let client = match role {
            Role::Read => &clients.read,
            Role::Write => &clients.write,
        };
        self.calls.push((token, client.executor().execute(PreparedRequest { endpoint_id, request, options })));
    }

    fn len(&self) -> usize {
        self.calls.len()
    }

    /// The next answer; `None` when nothing is in flight. Every call still
    /// pending has registered `cx`'s waker when this returns `Pending`.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Option<Answer>> {
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

/// Points an optional timer at `until` and polls it: `true` once it is past.
fn poll_timer(timer: &mut Option<Timer>, until: Instant, cx: &mut Context<'_>) -> bool {
    let timer = timer.get_or_insert_with(|| Timer::at(until));
    timer.set_at(until);
    Pin::new(timer).poll(cx).is_ready()
}

/// Runs `future` to its end on a new detached thread, with async-io's
/// `block_on` (no executor needed): how a dropped helper finishes its
/// machine. If the thread cannot be spawned, the work is dropped (the
/// server forgets a point in time after its keep-alive).
fn detach(name: &str, future: impl Future<Output = ()> + Send + 'static) {
    let _ = std::thread::Builder::new().name(name.to_owned()).spawn(move || async_io::block_on(future));
}

/// A pull-driven machine: its outputs as a stream. Requests in flight are
/// polled whenever the stream is.
struct Driven<M: Machine> {
    /// `None` only once handed to a detached finisher (in `drop`).
    machine: Option<M>,
    clients: Clients,
    in_flight: InFlight,
    timer: Option<Timer>,
    done: bool,
}

impl<M: Machine> Driven<M> {
    fn new(machine: M, clients: Clients) -> Self {
        Driven { machine: Some(machine), clients, in_flight: InFlight::default(), timer: None, done: false }
    }

    fn machine(&self) -> Option<&M> {
        self.machine.as_ref()
    }

    fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Option<M::Out>> {
        let Some(machine) = self.machine.as_mut().filter(|_| !self.done) else { return Poll::Ready(None) };
        loop {
            while let Poll::Ready(Some((token, result))) = self.in_flight.poll_answer(cx) {
                machine.handle(token, result, Instant::now());
            }
            match machine.poll(Instant::now()) {
                // Polled (and so started) at the top of the loop.
                Step::Send(request) => self.in_flight.start(&self.clients, request),
                Step::Emit(output) => return Poll::Ready(Some(output)),
                Step::Wait(Some(until)) => {
                    if !poll_timer(&mut self.timer, until, cx) {
                        return Poll::Pending;
                    }
                }
                // Every call in flight was polled above with this waker.
                Step::Wait(None) => return Poll::Pending,
                Step::Done => {
                    self.done = true;
                    return Poll::Ready(None);
                }
            }
        }
    }

    /// Cancels the machine and drives it to its end here (sending what
    /// closes it), discarding the outputs.
    async fn finish(&mut self) {
        if let Some(machine) = self.machine.as_mut() {
            machine.cancel();
        }
        while std::future::poll_fn(|cx| self.poll_output(cx)).await.is_some() {}
    }
}

impl<M: Machine> Drop for Driven<M> {
    /// Dropped before its end: cancel, and drive the rest (the close
    /// request of a scan, the pending writes of a reindex) on a detached
    /// thread, discarding the outputs.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Some(machine) = self.machine.take() else { return };
        let mut rest = Driven::new(machine, self.clients.clone());
        rest.in_flight = std::mem::take(&mut self.in_flight);
        detach("elastik-helper-close", async move { rest.finish().await });
    }
}
