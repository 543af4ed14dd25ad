//! The helpers of `elastik-proto` on threads: a [`BulkIndexer`] whose `add`
//! blocks while it is full, [`bulk`] over an iterator of operations,
//! [`scan`] and [`scan_sliced`] as `Iterator`s of typed hits, [`reindex`],
//! and [`esql_async_query`], which polls an async ES|QL query to its end —
//! the same names and shapes as the async runtimes, with
//! threads for tasks and iterators for streams.
//!
//! What it owns: driving the core machines ([`elastik_proto::helpers`]) with
//! the blocking executor. A bulk indexer runs `max_in_flight` worker
//! threads that share the machine behind a mutex: each one polls it, sends
//! the chunk it is handed (blocking, outside the lock), and feeds the
//! answer back, so up to `max_in_flight` chunks are in flight at once. A
//! scan or a reindex is driven by its consumer's `next()`, each request on
//! a short-lived thread so that the next page is fetched while the current
//! one is consumed; a sliced scan runs each slice on its own thread.
//!
//! What it does not do: decide anything. Chunking, per-item accounting,
//! retries and backoff, paging, closing the point in time or scroll, and
//! the reindex's composition are the core machines'. The one rule of this
//! module is liveness: a helper dropped before its end is cancelled (a
//! scan) or closed (an indexer) and driven to its end *before `drop`
//! returns* — the close request of a scan is answered, the operations of
//! an indexer all have their outcomes. Blocking code expects that: no
//! thread is left behind, and what the server holds is settled.
//!
//! ```no_run
//! use elastik_blocking::helpers::{BulkConfig, BulkOperation, ClientHelpers, ScanConfig};
//! use elastik_blocking::Client;
//!
//! let client = Client::builder().node("http://localhost:9200").build()?;
//! let mut indexer = client.bulk_indexer(BulkConfig::new().index("books").max_in_flight(4));
//! for n in 0..10_000 {
//!     // Blocks while the indexer is full.
//!     indexer.add(BulkOperation::index(&serde_json::json!({ "n": n })).id(n.to_string())).expect("not closed");
//! }
//! let report = indexer.close();
//! println!("{} indexed, {:.0} docs/s", report.stats.succeeded, report.docs_per_second());
//!
//! for hit in client.scan::<serde_json::Value>(ScanConfig::new("books")) {
//!     println!("{:?}", hit?.id);
//! }
//! # Ok::<(), elastik_blocking::Error>(())
//! ```

mod bulk;
mod esql;
mod reindex;
mod scan;

use std::sync::mpsc;
use std::time::Instant;

use bytes::Bytes;
use elastik_proto::helpers::{HelperRequest, Role, Token};
use elastik_proto::machine::Step;
use elastik_proto::{Error, Executor, PreparedRequest};
use serde::de::DeserializeOwned;

pub use bulk::{bulk, BulkIndexer, BulkIter, BulkOutcomes};
pub use elastik_proto::esql::{AsyncQuery, EsqlResponse};
pub use elastik_proto::helpers::bulk::{
    BulkConfig, BulkError, BulkItem, BulkOperation, BulkOutcome, BulkReport, BulkResult, BulkStats, Closed, OpId,
    OpType, OperationMeta, RetryReasons,
};
pub use elastik_proto::helpers::reindex::{ReindexConfig, ReindexEvent, ReindexProgress};
pub use elastik_proto::helpers::scan::{Hit, ScanConfig, ScanMode, ScanStats};
pub use elastik_proto::helpers::BackoffPolicy;
pub use esql::esql_async_query;
pub use reindex::{reindex, reindex_with, ReindexIter};
pub use scan::{scan, scan_sliced, ScanIter};

use crate::Client;

/// The helpers as methods of the [`Client`].
pub trait ClientHelpers {
    /// A bulk indexer writing through this client; see [`BulkIndexer`].
    fn bulk_indexer(&self, config: BulkConfig) -> BulkIndexer;
    /// Every hit of a search; see [`scan`].
    fn scan<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig) -> ScanIter<T>;
    /// Every hit of a search, `slices` slices at once; see [`scan_sliced`].
    fn scan_sliced<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig, slices: u32) -> ScanIter<T>;
}

impl ClientHelpers for Client {
    fn bulk_indexer(&self, config: BulkConfig) -> BulkIndexer {
        BulkIndexer::new(self, config)
    }

    fn scan<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig) -> ScanIter<T> {
        scan(self, config)
    }

    fn scan_sliced<T: DeserializeOwned + Send + 'static>(&self, config: ScanConfig, slices: u32) -> ScanIter<T> {
        scan_sliced(self, config, slices)
    }
}

/// A core helper machine this module can drive.
trait Machine: elastik_proto::machine::Machine<Output = Self::Out> + Send + 'static {
    type Out: Send + 'static;
}

impl<M: elastik_proto::machine::Machine + Send + 'static> Machine for M
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

    /// Runs the request through the executor of its role's client, on this thread.
    fn execute(&self, request: HelperRequest) -> Answer {
        let HelperRequest { token, endpoint_id, request, options, role, .. } = request;
        let client = match role {
            Role::Read => &self.read,
            Role::Write => &self.write,
        };
        (token, client.executor().execute(PreparedRequest { endpoint_id, request, options }))
    }
}

type Answer = (Token, Result<http::Response<Bytes>, Error>);

/// A machine driven by its consumer's `next()`: each request on a thread
/// of its own, the answers back through a channel.
struct Driven<M: Machine> {
    machine: M,
    clients: Clients,
    answers_tx: mpsc::Sender<Answer>,
    answers: mpsc::Receiver<Answer>,
    in_flight: usize,
    done: bool,
}

impl<M: Machine> Driven<M> {
    fn new(machine: M, clients: Clients) -> Self {
        let (answers_tx, answers) = mpsc::channel();
        Driven { machine, clients, answers_tx, answers, in_flight: 0, done: false }
    }

    fn handle(&mut self, (token, result): Answer) {
        self.in_flight -= 1;
        self.machine.handle(token, result, Instant::now());
    }

    /// The next output; `None` once the machine is done.
    fn next_output(&mut self) -> Option<M::Out> {
        if self.done {
            return None;
        }
        loop {
            while let Ok(answer) = self.answers.try_recv() {
                self.handle(answer);
            }
            match self.machine.poll(Instant::now()) {
                Step::Send(request) => {
                    self.in_flight += 1;
                    let clients = self.clients.clone();
                    let tx = self.answers_tx.clone();
                    std::thread::Builder::new()
                        .name("elastik-helper-request".to_owned())
                        .spawn(move || {
                            let _ = tx.send(clients.execute(request));
                        })
                        .expect("spawn a request thread");
                }
                Step::Emit(output) => return Some(output),
                Step::Wait(Some(until)) => {
                    if let Ok(answer) = self.answers.recv_timeout(until.saturating_duration_since(Instant::now())) {
                        self.handle(answer);
                    }
                }
                Step::Wait(None) if self.in_flight > 0 => {
                    // The sender is held here: the channel cannot disconnect.
                    if let Ok(answer) = self.answers.recv() {
                        self.handle(answer);
                    }
                }
                // Idle with nothing in flight: no input can ever come.
                Step::Wait(None) | Step::Done => {
                    self.done = true;
                    return None;
                }
            }
        }
    }

    /// Cancels the machine and drives it to its end (sending what closes
    /// it), discarding the outputs.
    fn finish(&mut self) {
        if !self.done {
            self.machine.cancel();
            while self.next_output().is_some() {}
        }
    }
}

impl<M: Machine> Drop for Driven<M> {
    /// Dropped before its end: cancel and drive the rest (the close request
    /// of a scan, the pending writes of a reindex) before returning.
    fn drop(&mut self) {
        self.finish();
    }
}
