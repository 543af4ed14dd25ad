//! The helpers of `elastik-proto` on async-io: a [`BulkIndexer`] with
//! back-pressure, [`bulk`] over a stream of operations, [`scan`] and
//! [`scan_sliced`] as `Stream`s of typed hits, [`reindex`], and
//! [`esql_async_query`], which polls an async ES|QL query to its end — the
//! same names and shapes as on tokio, under any executor (async-std, smol, …).
//!
//! They are `elastik-driver`'s ([`elastik_driver::helpers`]), written once
//! for every runtime.
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
//! # async fn run() -> Result<(), elastik_proto::Error> {
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

use crate::AsyncStdExecutor;

pub use elastik_driver::helpers::{
    bulk, esql_async_query, reindex, reindex_with, scan, scan_sliced, AsyncQuery, BackoffPolicy, BulkConfig, BulkError,
    BulkItem, BulkOperation, BulkOutcome, BulkOutcomes, BulkReport, BulkResult, BulkStats, ClientHelpers, Closed,
    EsqlResponse, Hit, OpId, OpType, OperationMeta, ReindexConfig, ReindexEvent, ReindexProgress, RetryReasons,
    ScanConfig, ScanMode, ScanStats, Stream,
};

/// The bulk indexer on async-io; see [`elastik_driver::helpers::BulkIndexer`].
pub type BulkIndexer = elastik_driver::helpers::BulkIndexer<AsyncStdExecutor>;
/// The stream of [`bulk`], with its final report.
pub type BulkStream<S> = elastik_driver::helpers::BulkStream<AsyncStdExecutor, S>;
/// The stream of [`scan`] and [`scan_sliced`].
pub type ScanStream<T> = elastik_driver::helpers::ScanStream<AsyncStdExecutor, T>;
/// The stream of [`reindex`].
pub type ReindexStream = elastik_driver::helpers::ReindexStream<AsyncStdExecutor>;
