//! The helpers of `elastik-core` on tokio: a [`BulkIndexer`] with
//! back-pressure, [`bulk`] over a stream of operations, [`scan`] and
//! [`scan_sliced`] as `Stream`s of typed hits, [`reindex`], and
//! [`esql_async_query`], which polls an async ES|QL query to its end.
//!
//! What it owns: driving the core machines ([`elastik_core::helpers`]):
//! every [`Step::Send`] becomes a task on the runtime that runs the
//! request through the client's executor (so node selection and
//! connection retries stay the transport's), several at once; answers go
//! back with `handle_response`; `Wait` is a tokio timer; `Emit` is handed
//! to the consumer (a stream item, a callback or a channel).
//!
//! What it does not do: decide anything. Chunking, per-item accounting,
//! retries and backoff of bulk items, paging, closing the point in time or
//! scroll, and the reindex's composition are the core machines'. The one
//! rule of this module is liveness: a stream dropped before its end does
//! not leave its machine half way — the machine is cancelled and driven to
//! its end in a spawned task, which sends the close request of a scan and
//! finishes the writes of a reindex.
//!
//! ```no_run
//! # async fn run() -> Result<(), elastik_tokio::Error> {
//! use elastik_tokio::helpers::{BulkConfig, BulkOperation, ClientHelpers, Hit, ScanConfig};
//! use elastik_tokio::Client;
//! use futures_util::StreamExt;
//!
//! let client = Client::new("http://localhost:9200")?;
//! let mut indexer = client.bulk_indexer(BulkConfig::new().index("books").max_in_flight(4));
//! for n in 0..10_000 {
//!     let doc = serde_json::json!({ "n": n });
//!     // Waits while the indexer is full.
//!     indexer.add(BulkOperation::index(&doc).id(n.to_string())).await.expect("the indexer runs");
//! }
//! let report = indexer.close().await;
//! println!("{} indexed, {} failed, {:.0} docs/s", report.stats.succeeded, report.stats.failed, report.docs_per_second());
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

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use elastik_core::helpers::{HelperRequest, Role, Token};
use elastik_core::machine::Step;
use elastik_core::{Error, Executor, PreparedRequest};
use serde::de::DeserializeOwned;
use tokio::task::{self, JoinSet};
use tokio::time::Sleep;

pub use bulk::{bulk, BulkIndexer, BulkOutcomes};
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

/// Requests in flight, each a task on the runtime so that they progress
/// while the consumer is busy, several at once.
#[derive(Default)]
struct InFlight {
    tasks: JoinSet<Answer>,
    tokens: HashMap<task::Id, Token>,
}

impl InFlight {
    /// Runs the request through the executor of its role's client.
    fn spawn(&mut self, clients: &Clients, request: HelperRequest) {
        let HelperRequest { token, endpoint_id, request, options, role, .. } = request;
        let client = match role {
            Role::Read => &clients.read,
            Role::Write => &clients.write,
        };
        let call = client.executor().execute(PreparedRequest { endpoint_id, request, options });
        let handle = self.tasks.spawn(async move { (token, call.await) });
        self.tokens.insert(handle.id(), token);
    }

    fn len(&self) -> usize {
        self.tasks.len()
    }

    /// The next answer; `None` when nothing is in flight. A task that
    /// panicked (or was aborted by a shutting-down runtime) answers with an
    /// error, so that the machine still accounts for its request.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Option<Answer>> {
        let answer = match ready!(self.tasks.poll_join_next_with_id(cx)) {
            None => return Poll::Ready(None),
            Some(Ok((id, answer))) => {
                self.tokens.remove(&id);
                answer
            }
            Some(Err(e)) => {
                let Some(token) = self.tokens.remove(&e.id()) else { return Poll::Ready(None) };
                (token, Err(Error::build(format!("the task running the request ended: {e}"))))
            }
        };
        Poll::Ready(Some(answer))
    }

    async fn next(&mut self) -> Option<Answer> {
        std::future::poll_fn(|cx| self.poll_answer(cx)).await
    }
}

/// A pull-driven machine: its outputs as a stream. Requests run as tasks;
/// answers are fed back whenever the stream is polled (and wake it).
struct Driven<M: Machine> {
    /// `None` only once handed to a drain task (in `drop`).
    machine: Option<M>,
    clients: Clients,
    in_flight: InFlight,
    timer: Option<Pin<Box<Sleep>>>,
    done: bool,
    /// A drain task's own driver: not drained again when dropped.
    detached: bool,
}

impl<M: Machine> Driven<M> {
    fn new(machine: M, clients: Clients) -> Self {
        Driven {
            machine: Some(machine),
            clients,
            in_flight: InFlight::default(),
            timer: None,
            done: false,
            detached: false,
        }
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
                Step::Send(request) => self.in_flight.spawn(&self.clients, request),
                Step::Emit(output) => return Poll::Ready(Some(output)),
                Step::Wait(Some(until)) => {
                    let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(until.into())));
                    timer.as_mut().reset(until.into());
                    if timer.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                // The answers in flight wake this task (polled above).
                Step::Wait(None) => return Poll::Pending,
                Step::Done => {
                    self.done = true;
                    return Poll::Ready(None);
                }
            }
        }
    }
}

impl<M: Machine> Drop for Driven<M> {
    /// Dropped before its end: cancel, and drive the rest (the close
    /// request of a scan, the pending writes of a reindex) in a task,
    /// discarding the outputs. Outside a runtime nothing can be sent: the
    /// server drops the context after its keep-alive.
    fn drop(&mut self) {
        if self.done || self.detached {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let Some(mut machine) = self.machine.take() else { return };
        machine.cancel();
        let mut rest = Driven::new(machine, self.clients.clone());
        rest.in_flight = std::mem::take(&mut self.in_flight);
        rest.detached = true;
        runtime.spawn(async move {
            while std::future::poll_fn(|cx| rest.poll_output(cx)).await.is_some() {}
        });
    }
}
