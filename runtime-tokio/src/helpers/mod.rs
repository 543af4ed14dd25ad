//! The helpers of `elastik-proto` on tokio: a [`BulkIndexer`] with
//! back-pressure, [`bulk`] over a stream of operations, [`scan`] and
//! [`scan_sliced`] as `Stream`s of typed hits, [`reindex`], and
//! [`esql_async_query`], which polls an async ES|QL query to its end.
//!
//! They are `elastik-driver`'s ([`elastik_driver::helpers`]), written once
//! for every runtime; on tokio each request in flight is a task.
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

use crate::TokioExecutor;

pub use elastik_driver::helpers::{
    bulk, esql_async_query, reindex, reindex_with, scan, scan_sliced, AsyncQuery, BackoffPolicy, BulkConfig, BulkError,
    BulkItem, BulkOperation, BulkOutcome, BulkOutcomes, BulkReport, BulkResult, BulkStats, ClientHelpers, Closed,
    EsqlResponse, Hit, OpId, OpType, OperationMeta, ReindexConfig, ReindexEvent, ReindexProgress, RetryReasons,
    ScanConfig, ScanMode, ScanStats, Stream,
};

/// The bulk indexer on tokio; see [`elastik_driver::helpers::BulkIndexer`].
pub type BulkIndexer = elastik_driver::helpers::BulkIndexer<TokioExecutor>;
/// The stream of [`bulk`], with its final report.
pub type BulkStream<S> = elastik_driver::helpers::BulkStream<TokioExecutor, S>;
/// The stream of [`scan`] and [`scan_sliced`].
pub type ScanStream<T> = elastik_driver::helpers::ScanStream<TokioExecutor, T>;
/// The stream of [`reindex`].
pub type ReindexStream = elastik_driver::helpers::ReindexStream<TokioExecutor>;
