//! Reindex: a scan of the source client feeding a bulk indexer on the target client.

use elastik_driver::block_on;
use elastik_driver::helpers::{
    self as driven, BulkOperation, BulkStats, Hit, ReindexConfig, ReindexEvent, ReindexProgress,
};
use serde_json::Value;

use crate::{BlockingExecutor, Client};

/// Copies what `config.scan` reads on `source` into `config.target_index`
/// on `target` (the same client or another): same `_source`, `_id` and
/// routing, as `index` (or `create` with [`ReindexConfig::op_type_create`]).
/// The iterator yields every write outcome and read error; see
/// [`elastik_proto::helpers::reindex`]. `next()` drives it: reads and up to
/// `max_in_flight` bulk chunks run on threads of their own. Dropping it
/// early stops reading (the point in time is closed) and finishes the
/// writes of what was read, before `drop` returns.
pub fn reindex(source: &Client, target: &Client, config: ReindexConfig) -> ReindexIter {
    ReindexIter { stream: driven::reindex(source, target, config) }
}

/// Like [`reindex`], each hit turned into an operation by `transform`
/// (`None` skips the hit; an operation without `_index` goes to the target index).
pub fn reindex_with(
    source: &Client,
    target: &Client,
    config: ReindexConfig,
    transform: impl FnMut(Hit<Value>) -> Option<BulkOperation> + Send + 'static,
) -> ReindexIter {
    ReindexIter { stream: driven::reindex_with(source, target, config, transform) }
}

/// The iterator of [`reindex`]: every [`ReindexEvent`], with the counters;
/// the driver's [`ReindexStream`](driven::ReindexStream), blocked on.
pub struct ReindexIter {
    stream: driven::ReindexStream<BlockingExecutor>,
}

impl ReindexIter {
    /// Counters so far: read, skipped, written, failed, read errors.
    pub fn progress(&self) -> ReindexProgress {
        self.stream.progress()
    }

    /// The target indexer's counters (requests, bytes, retries).
    pub fn bulk_stats(&self) -> BulkStats {
        self.stream.bulk_stats()
    }

    /// Runs to the end, calling `on_progress` after every event with it
    /// and the counters; returns the final counters.
    pub fn run(self, on_progress: impl FnMut(&ReindexEvent, &ReindexProgress)) -> ReindexProgress {
        block_on(self.stream.run(on_progress))
    }

    /// Stops early: closes the point in time and finishes the writes of
    /// what was read; returns once they have their outcomes. The same as
    /// dropping the iterator.
    pub fn close(self) {
        block_on(self.stream.close());
    }
}

impl Iterator for ReindexIter {
    type Item = ReindexEvent;

    fn next(&mut self) -> Option<ReindexEvent> {
        super::next(&mut self.stream)
    }
}

impl std::fmt::Debug for ReindexIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReindexIter").field("progress", &self.progress()).finish_non_exhaustive()
    }
}
