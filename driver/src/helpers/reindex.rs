//! Reindexing as a stream of events.

use std::pin::Pin;
use std::task::{Context, Poll};

use elastik_api::Client;
use elastik_proto::helpers::bulk::{BulkOperation, BulkStats};
use elastik_proto::helpers::reindex::{Reindex, ReindexConfig, ReindexEvent, ReindexProgress};
use elastik_proto::helpers::scan::Hit;
use futures_core::Stream;
use serde_json::Value;

use super::{Clients, Driven};
use crate::Drives;

/// Copies every document a scan of `source` finds into `target` (which
/// may be the same client) with a bulk indexer; see
/// [`elastik_proto::helpers::reindex`]. The stream's items are the
/// machine's events; dropping it early still finishes the writes of what
/// was read, in a task.
pub fn reindex<X: Drives>(source: &Client<X>, target: &Client<X>, config: ReindexConfig) -> ReindexStream<X> {
    ReindexStream { driven: Driven::new(Reindex::new(config), Clients::two(source, target)) }
}

/// Like [`reindex`], with each hit turned into an operation by
/// `transform` (`None` skips the hit).
pub fn reindex_with<X: Drives>(
    source: &Client<X>,
    target: &Client<X>,
    config: ReindexConfig,
    transform: impl FnMut(Hit<Value>) -> Option<BulkOperation> + Send + 'static,
) -> ReindexStream<X> {
    ReindexStream { driven: Driven::new(Reindex::with_transform(config, transform), Clients::two(source, target)) }
}

/// The stream of [`reindex`].
pub struct ReindexStream<X: Drives> {
    driven: Driven<X, Reindex>,
}

impl<X: Drives> ReindexStream<X> {
    /// The counters so far.
    pub fn progress(&self) -> ReindexProgress {
        self.driven.machine().map(Reindex::progress).unwrap_or_default()
    }

    /// The bulk indexer's counters so far.
    pub fn bulk_stats(&self) -> BulkStats {
        self.driven.machine().map(Reindex::bulk_stats).unwrap_or_default()
    }

    /// The next event (`None` at the end).
    pub async fn next_event(&mut self) -> Option<ReindexEvent> {
        self.driven.next().await
    }

    /// Stops early: closes the scan and finishes the writes of what was
    /// read, in this task; returns once they have their outcomes. Dropping
    /// the stream does the same in a task.
    pub async fn close(mut self) {
        self.driven.finish().await;
    }

    /// Runs to the end, calling `on_progress` with each event, and returns
    /// the final counters.
    pub async fn run(mut self, mut on_progress: impl FnMut(&ReindexEvent, &ReindexProgress)) -> ReindexProgress {
        while let Some(event) = self.driven.next().await {
            on_progress(&event, &self.progress());
        }
        self.progress()
    }
}

impl<X: Drives> Stream for ReindexStream<X> {
    type Item = ReindexEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ReindexEvent>> {
        self.get_mut().driven.poll_output(cx)
    }
}

impl<X: Drives> std::fmt::Debug for ReindexStream<X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReindexStream").field("progress", &self.progress()).finish_non_exhaustive()
    }
}
