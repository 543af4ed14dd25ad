//! The helpers of `elastik-proto` on threads: a [`BulkIndexer`] whose `add`
//! blocks while it is full, [`bulk`] over an iterator of operations,
//! [`scan`] and [`scan_sliced`] as `Iterator`s of typed hits, [`reindex`],
//! and [`esql_async_query`], which polls an async ES|QL query to its end —
//! the same names and shapes as the async runtimes, with iterators for
//! streams and blocking methods for futures.
//!
//! They are `elastik-driver`'s helpers ([`elastik_driver::helpers`]),
//! written once for every runtime; each type here wraps the driver's and
//! blocks on it ([`elastik_driver::block_on`]). A helper is driven while one
//! of its methods runs (`add`, `flush`, `close`, `next`); each request it
//! has in flight runs on a thread of its own, so up to `max_in_flight` bulk
//! chunks are sent at once and the next page of a scan is fetched while
//! the current one is consumed. Between two calls the requests in flight
//! go on, but their answers are handled (and the flush interval's timer
//! fires) only at the next call: a loader that calls `add` in a loop, or a
//! consumer that iterates, keeps the helper moving.
//!
//! What it does not do: decide anything. Chunking, per-item accounting,
//! retries and backoff, flush completion and progress reports, paging,
//! merging slices, closing the point in time or scroll, and the reindex's
//! composition are the core machines'. A helper dropped before its end is
//! cancelled (a scan, a reindex) or closed (an indexer) and driven to its
//! end *before `drop` returns* — the close request of a scan is answered,
//! the operations of an indexer all have their outcomes. Blocking code
//! expects that: no thread is left behind, and what the server holds is
//! settled.
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

use std::pin::Pin;

use elastik_driver::block_on;
use elastik_driver::helpers::Stream;
use serde::de::DeserializeOwned;

pub use bulk::{bulk, BulkIndexer, BulkIter, BulkOutcomes};
pub use elastik_driver::helpers::{
    AsyncQuery, BackoffPolicy, BulkConfig, BulkError, BulkItem, BulkOperation, BulkOutcome, BulkReport, BulkResult,
    BulkStats, Closed, EsqlResponse, Hit, OpId, OpType, OperationMeta, ReindexConfig, ReindexEvent, ReindexProgress,
    RetryReasons, ScanConfig, ScanMode, ScanStats,
};
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

/// The next item of one of the driver's streams, blocked on: what each
/// iterator here is.
fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    block_on(std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)))
}
