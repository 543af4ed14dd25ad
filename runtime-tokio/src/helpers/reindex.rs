//! Reindex: a scan of the source client feeding a bulk indexer on the target client.

use std::pin::Pin;
use std::task::{Context, Poll};

use elastik_core::helpers::bulk::{BulkOperation, BulkStats};
use elastik_core::helpers::reindex::{Reindex, ReindexConfig, ReindexEvent, ReindexProgress};
use elastik_core::helpers::scan::Hit;
use futures_core::Stream;
use serde_json::Value;

use super::{Clients, Driven};
use crate::Client;

/// Copies what `config.scan` reads on `source` into `config.target_index`
/// on `target` (the same client or another): same `_source`, `_id` and
/// routing, as `index` (or `create` with [`ReindexConfig::op_type_create`]).
/// The stream yields every write outcome and read error; see
/// [`elastik_core::helpers::reindex`]. Dropping it early stops reading
/// (the point in time is closed) and finishes the writes of what was read,
/// in a spawned task.
pub fn reindex(source: &Client, target: &Client, config: ReindexConfig) -> ReindexStream {
    let clients = Clients { read: source.clone(), write: target.clone() };
    ReindexStream { driven: Driven::new(Reindex::new(config), clients) }
}

/// Like [`reindex`], each hit turned into an operation by `transform`
/// (`None` skips the hit; an operation without `_index` goes to the target index).
pub fn reindex_with(
    source: &Client,
    target: &Client,
    config: ReindexConfig,
    transform: impl FnMut(Hit<Value>) -> Option<BulkOperation> + Send + 'static,
) -> ReindexStream {
    let clients = Clients { read: source.clone(), write: target.clone() };
    ReindexStream { driven: Driven::new(Reindex::with_transform(config, transform), clients) }
}

/// The stream of [`reindex`]: every [`ReindexEvent`], with the counters.
pub struct ReindexStream {
    driven: Driven<Reindex>,
}

impl ReindexStream {
    /// Counters so far: read, skipped, written, failed, read errors.
    pub fn progress(&self) -> ReindexProgress {
        self.driven.machine().map(Reindex::progress).unwrap_or_default()
    }

    /// The target indexer's counters (requests, bytes, retries).
    pub fn bulk_stats(&self) -> BulkStats {
        self.driven.machine().map(Reindex::bulk_stats).unwrap_or_default()
    }

    /// Runs to the end, calling `on_progress` after every event with it
    /// and the counters; returns the final counters.
    pub async fn run(mut self, mut on_progress: impl FnMut(&ReindexEvent, &ReindexProgress)) -> ReindexProgress {
        while let Some(event) = std::future::poll_fn(|cx| self.driven.poll_output(cx)).await {
            on_progress(&event, &self.progress());
        }
        self.progress()
    }
}

impl Stream for ReindexStream {
    type Item = ReindexEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ReindexEvent>> {
        self.get_mut().driven.poll_output(cx)
    }
}

impl std::fmt::Debug for ReindexStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReindexStream").field("progress", &self.progress()).finish_non_exhaustive()
    }
}
