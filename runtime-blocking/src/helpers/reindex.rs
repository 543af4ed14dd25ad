//! Reindex: a scan of the source client feeding a bulk indexer on the target client.

use elastik_proto::helpers::bulk::{BulkOperation, BulkStats};
use elastik_proto::helpers::reindex::{Reindex, ReindexConfig, ReindexEvent, ReindexProgress};
use elastik_proto::helpers::scan::Hit;
use serde_json::Value;

use super::{Clients, Driven};
use crate::Client;

/// Copies what `config.scan` reads on `source` into `config.target_index`
/// on `target` (the same client or another): same `_source`, `_id` and
/// routing, as `index` (or `create` with [`ReindexConfig::op_type_create`]).
/// The iterator yields every write outcome and read error; see
/// [`elastik_proto::helpers::reindex`]. `next()` drives it: reads and up to
/// `max_in_flight` bulk chunks run on threads of their own. Dropping it
/// early stops reading (the point in time is closed) and finishes the
/// writes of what was read, before `drop` returns.
pub fn reindex(source: &Client, target: &Client, config: ReindexConfig) -> ReindexIter {
    let clients = Clients { read: source.clone(), write: target.clone() };
    ReindexIter { driven: Driven::new(Reindex::new(config), clients) }
}

/// Like [`reindex`], each hit turned into an operation by `transform`
/// (`None` skips the hit; an operation without `_index` goes to the target index).
pub fn reindex_with(
    source: &Client,
    target: &Client,
    config: ReindexConfig,
    transform: impl FnMut(Hit<Value>) -> Option<BulkOperation> + Send + 'static,
) -> ReindexIter {
    let clients = Clients { read: source.clone(), write: target.clone() };
    ReindexIter { driven: Driven::new(Reindex::with_transform(config, transform), clients) }
}

/// The iterator of [`reindex`]: every [`ReindexEvent`], with the counters.
pub struct ReindexIter {
    driven: Driven<Reindex>,
}

impl ReindexIter {
    /// Counters so far: read, skipped, written, failed, read errors.
    pub fn progress(&self) -> ReindexProgress {
        self.driven.machine.progress()
    }

    /// The target indexer's counters (requests, bytes, retries).
    pub fn bulk_stats(&self) -> BulkStats {
        self.driven.machine.bulk_stats()
    }

    /// Runs to the end, calling `on_progress` after every event with it
    /// and the counters; returns the final counters.
    pub fn run(mut self, mut on_progress: impl FnMut(&ReindexEvent, &ReindexProgress)) -> ReindexProgress {
        while let Some(event) = self.driven.next_output() {
            on_progress(&event, &self.progress());
        }
        self.progress()
    }
}

impl Iterator for ReindexIter {
    type Item = ReindexEvent;

    fn next(&mut self) -> Option<ReindexEvent> {
        self.driven.next_output()
    }
}

impl std::fmt::Debug for ReindexIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReindexIter").field("progress", &self.progress()).finish_non_exhaustive()
    }
}
