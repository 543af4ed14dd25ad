//! Reindex: a [`Scan`] of the source feeding a [`BulkIndexer`] on the
//! target, with a per-document transform.
//!
//! Each hit becomes an operation — by default an `index` (or `create`, for
//! data streams) of its `_source` with the same `_id` and routing into the
//! target index; a transform closure may change it or skip the document by
//! returning `None`. Requests carry a [`Role`]: `Read` ones go to the
//! source client, `Write` ones to the target client (the same client when
//! there is one). Reading pauses while the indexer is full. Every bulk
//! outcome is emitted; when the scan ends (exhausted, cancelled or failed)
//! the indexer is closed and drained.
//!
//! Out of scope: creating the target index or checking whether it is a data
//! stream (choose [`OpType::Create`] for one), and the server-side
//! `_reindex` API.

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use serde_json::Value;

use crate::error::Error;
use crate::helpers::bulk::{BulkConfig, BulkIndexer, BulkOperation, BulkOutcome, BulkResult, BulkStats, OpType};
use crate::helpers::scan::{Hit, Scan, ScanConfig};
use crate::helpers::{HelperRequest, Role, Token};
use crate::machine::{Machine, Step};

/// Source, target and how to write.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReindexConfig {
    /// What to read.
    pub scan: ScanConfig,
    /// How to write (its `index`, if set, is the request path's index).
    pub bulk: BulkConfig,
    /// The target index (or data stream), set on operations that name none.
    pub target_index: String,
    /// `index` (default) or `create` (required by data streams; existing
    /// ids then fail with 409 instead of being replaced).
    pub op_type: OpType,
}

impl ReindexConfig {
    /// Reindexes what `scan` reads into `target_index`.
    pub fn new(scan: ScanConfig, target_index: impl Into<String>) -> Self {
        ReindexConfig { scan, bulk: BulkConfig::default(), target_index: target_index.into(), op_type: OpType::Index }
    }

    /// How to write.
    pub fn bulk(mut self, bulk: BulkConfig) -> Self {
        self.bulk = bulk;
        self
    }

    /// `create` instead of `index`, for data streams.
    pub fn op_type_create(mut self, yes: bool) -> Self {
        self.op_type = if yes { OpType::Create } else { OpType::Index };
        self
    }
}

/// What the reindex reports as it goes.
// Events are handed over one at a time; boxing would add an allocation per document.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum ReindexEvent {
    /// The outcome of one written operation (succeeded or failed).
    Written(BulkOutcome),
    /// A hit or a page could not be read. A failed page ends the scan (its
    /// point in time or scroll is closed); a hit that does not decode is
    /// skipped.
    ReadError(Error),
}

/// Counters of a reindex.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReindexProgress {
    /// Hits read from the source.
    pub read: u64,
    /// Hits the transform skipped.
    pub skipped: u64,
    /// Operations that succeeded.
    pub written: u64,
    /// Operations that failed.
    pub failed: u64,
    /// Operations that may or may not have been written.
    pub unconfirmed: u64,
    /// Read errors (hits or pages).
    pub read_errors: u64,
}

/// The transform of a reindex: a hit in, an operation (or nothing) out.
pub type Transform = Box<dyn FnMut(Hit<Value>) -> Option<BulkOperation> + Send>;

/// The reindex machine. See the [module docs](self).
pub struct Reindex {
    scan: Scan<Value>,
    bulk: BulkIndexer,
    transform: Transform,
    target_index: String,
    tokens: BTreeMap<Token, (Role, Token)>,
    next_token: u64,
    scan_done: bool,
    progress: ReindexProgress,
}

impl std::fmt::Debug for Reindex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reindex")
            .field("scan", &self.scan)
            .field("bulk", &self.bulk)
            .field("target_index", &self.target_index)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl Reindex {
    /// A reindex with the default transform: the same `_source`, `_id` and
    /// routing, into the target index, as `op_type`.
    pub fn new(config: ReindexConfig) -> Self {
        let op_type = config.op_type;
        Self::with_transform(config, move |hit| Some(copy_hit(hit, op_type)))
    }

    /// A reindex whose operations come from `transform` (`None` skips the
    /// hit). Operations without `_index` go to the target index.
    pub fn with_transform(
        config: ReindexConfig,
        transform: impl FnMut(Hit<Value>) -> Option<BulkOperation> + Send + 'static,
    ) -> Self {
        Reindex {
            scan: Scan::new(config.scan),
            bulk: BulkIndexer::new(config.bulk),
            transform: Box::new(transform),
            target_index: config.target_index,
            tokens: BTreeMap::new(),
            next_token: 0,
            scan_done: false,
            progress: ReindexProgress::default(),
        }
    }

    /// Stops reading (the scan's context is closed); what was read is still
    /// written and reported.
    pub fn cancel(&mut self) {
        self.scan.cancel();
    }

    /// The counters.
    pub fn progress(&self) -> ReindexProgress {
        self.progress
    }

    /// The bulk indexer's counters.
    pub fn bulk_stats(&self) -> BulkStats {
        self.bulk.stats()
    }

    /// What to do next.
    pub fn poll(&mut self, now: Instant) -> Step<HelperRequest, ReindexEvent> {
        loop {
            let bulk_wait = match self.bulk.poll(now) {
                Step::Send(mut request) => {
                    request.token = self.map_token(Role::Write, request.token);
                    return Step::Send(request);
                }
                Step::Emit(outcome) => {
                    match outcome.result {
                        BulkResult::Succeeded(_) => self.progress.written += 1,
                        BulkResult::Failed(_) => self.progress.failed += 1,
                        BulkResult::Unconfirmed(_) => self.progress.unconfirmed += 1,
                    }
                    return Step::Emit(ReindexEvent::Written(outcome));
                }
                Step::Done => return Step::Done,
                Step::Wait(until) => until,
            };
            if self.scan_done || self.bulk.is_full() {
                return Step::Wait(bulk_wait);
            }
            match self.scan.poll(now) {
                Step::Send(mut request) => {
                    request.token = self.map_token(Role::Read, request.token);
                    return Step::Send(request);
                }
                Step::Emit(Ok(hit)) => {
                    self.progress.read += 1;
                    match (self.transform)(hit) {
                        Some(mut op) => {
                            if op.meta().index.is_none() {
                                op.meta_mut().index = Some(self.target_index.clone());
                            }
                            // The indexer is only closed below, after the scan.
                            let _ = self.bulk.add(op, now);
                        }
                        None => self.progress.skipped += 1,
                    }
                }
                Step::Emit(Err(error)) => {
                    self.progress.read_errors += 1;
                    return Step::Emit(ReindexEvent::ReadError(error));
                }
                Step::Done => {
                    self.scan_done = true;
                    self.bulk.close();
                }
                Step::Wait(_) => {
                    return Step::Wait(bulk_wait);
                }
            }
        }
    }

    /// The answer to the request with this token. Unknown tokens are ignored.
    pub fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        match self.tokens.remove(&token) {
            Some((Role::Read, inner)) => self.scan.handle(inner, result, now),
            Some((Role::Write, inner)) => self.bulk.handle(inner, result, now),
            None => {}
        }
    }

    fn map_token(&mut self, role: Role, inner: Token) -> Token {
        let token = Token(self.next_token);
        self.next_token += 1;
        self.tokens.insert(token, (role, inner));
        token
    }
}

impl Machine for Reindex {
    type Output = ReindexEvent;

    fn poll(&mut self, now: Instant) -> Step<HelperRequest, ReindexEvent> {
        Reindex::poll(self, now)
    }

    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        Reindex::handle(self, token, result, now);
    }

    fn cancel(&mut self) {
        Reindex::cancel(self);
    }
}

/// The default transform: the hit's source, id and routing.
fn copy_hit(hit: Hit<Value>, op_type: OpType) -> BulkOperation {
    let mut op = match op_type {
        OpType::Create => BulkOperation::create(&hit.source),
        _ => BulkOperation::index(&hit.source),
    };
    if let Some(id) = hit.id {
        op = op.id(id);
    }
    if let Some(routing) = hit.routing {
        op = op.routing(routing);
    }
    op
}
