//! One bulk operation (its action line and document), and what the server
//! said about it.

use std::fmt;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCause};

/// One operation of a bulk request: the action, its metadata and, except for
/// `delete`, the document (already serialized).
///
/// Documents are serialized when the operation is built; a document that
/// does not serialize makes an operation that [`BulkIndexer::add`]
/// accepts and reports at once as failed ([`BulkError::Serialize`]), so
/// the failure is an outcome like any other.
///
/// [`BulkIndexer::add`]: super::BulkIndexer::add
#[derive(Clone, Debug, PartialEq)]
pub struct BulkOperation {
    op_type: OpType,
    meta: OperationMeta,
    /// The document line, without its newline.
    source: Option<Bytes>,
    /// Why the document could not be serialized.
    invalid: Option<String>,
    /// The caller's word on whether repeating the operation is harmless.
    retry_safe: Option<bool>,
}

/// The action of a bulk operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpType {
    /// Index (create or replace) a document.
    Index,
    /// Create a document; fails with 409 when the id exists. The only action
    /// a data stream accepts.
    Create,
    /// Partially update a document (`doc`, `script`, `upsert`, …).
    Update,
    /// Delete a document.
    Delete,
}

impl OpType {
    /// The action's name in the bulk API.
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Index => "index",
            OpType::Create => "create",
            OpType::Update => "update",
            OpType::Delete => "delete",
        }
    }
}

/// The metadata of an action line. Every field is optional; unset fields
/// are not sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OperationMeta {
    /// `_index`; defaults to the indexer's index.
    #[serde(rename = "_index", skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// `_id`; the server generates one when absent (index and create only).
    #[serde(rename = "_id", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `routing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<String>,
    /// `if_seq_no`: apply only if the document has this sequence number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_seq_no: Option<i64>,
    /// `if_primary_term`: apply only if the document has this primary term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_primary_term: Option<i64>,
    /// `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// `version_type` (`internal`, `external`, `external_gte`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_type: Option<String>,
    /// `pipeline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// `require_alias`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_alias: Option<bool>,
    /// `retry_on_conflict` (update only): retries the server makes itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_on_conflict: Option<u32>,
}

impl BulkOperation {
    /// Indexes `document` (serialized now).
    pub fn index<T: Serialize + ?Sized>(document: &T) -> Self {
        Self::with_document(OpType::Index, document)
    }

    /// Creates `document` (serialized now); fails if the id exists.
    pub fn create<T: Serialize + ?Sized>(document: &T) -> Self {
        Self::with_document(OpType::Create, document)
    }

    /// Updates a document with a full update body (`{"doc": …}`,
    /// `{"script": …}`, `{"doc": …, "doc_as_upsert": true}`, …), serialized now.
    pub fn update<T: Serialize + ?Sized>(id: impl Into<String>, body: &T) -> Self {
        Self::with_document(OpType::Update, body).id(id)
    }

    /// Updates a document with a partial document: the body `{"doc": document}`.
    pub fn update_doc<T: Serialize + ?Sized>(id: impl Into<String>, document: &T) -> Self {
        #[derive(Serialize)]
        struct Doc<'a, T: ?Sized> {
            doc: &'a T,
        }
        Self::with_document(OpType::Update, &Doc { doc: document }).id(id)
    }

    /// Deletes a document.
    pub fn delete(id: impl Into<String>) -> Self {
        BulkOperation {
            op_type: OpType::Delete,
            meta: OperationMeta::default(),
            source: None,
            invalid: None,
            retry_safe: None,
        }
        .id(id)
    }

    /// An index, create or update operation whose document (or update body)
    /// is already serialized JSON. It must fit on one line: a newline inside
    /// makes the operation fail when added. One trailing newline is removed.
    /// For `OpType::Delete` the bytes are ignored.
    pub fn raw(op_type: OpType, json: impl Into<Bytes>) -> Self {
        let mut json: Bytes = json.into();
        if json.ends_with(b"\n") {
            json.truncate(json.len() - 1);
        }
        let invalid = if json.contains(&b'\n') {
            Some("the pre-serialized document contains a newline".to_owned())
        } else if json.iter().all(u8::is_ascii_whitespace) && op_type != OpType::Delete {
            Some("the pre-serialized document is empty".to_owned())
        } else {
            None
        };
        let source = (op_type != OpType::Delete).then_some(json);
        BulkOperation { op_type, meta: OperationMeta::default(), source, invalid, retry_safe: None }
    }

    fn with_document<T: Serialize + ?Sized>(op_type: OpType, document: &T) -> Self {
        let (source, invalid) = match serde_json::to_vec(document) {
            Ok(v) => (Some(Bytes::from(v)), None),
            Err(e) => (None, Some(e.to_string())),
        };
        BulkOperation { op_type, meta: OperationMeta::default(), source, invalid, retry_safe: None }
    }

    /// Sets `_index`.
    pub fn index_name(mut self, index: impl Into<String>) -> Self {
        self.meta.index = Some(index.into());
        self
    }

    /// Sets `_id`.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.meta.id = Some(id.into());
        self
    }

    /// Sets `routing`.
    pub fn routing(mut self, routing: impl Into<String>) -> Self {
        self.meta.routing = Some(routing.into());
        self
    }

    /// Sets `if_seq_no` and `if_primary_term` (optimistic concurrency control).
    pub fn if_seq_no_primary_term(mut self, seq_no: i64, primary_term: i64) -> Self {
        self.meta.if_seq_no = Some(seq_no);
        self.meta.if_primary_term = Some(primary_term);
        self
    }

    /// Sets `version` and `version_type`.
    pub fn version(mut self, version: i64, version_type: impl Into<String>) -> Self {
        self.meta.version = Some(version);
        self.meta.version_type = Some(version_type.into());
        self
    }

    /// Sets `pipeline`.
    pub fn pipeline(mut self, pipeline: impl Into<String>) -> Self {
        self.meta.pipeline = Some(pipeline.into());
        self
    }

    /// Sets `require_alias`.
    pub fn require_alias(mut self, yes: bool) -> Self {
        self.meta.require_alias = Some(yes);
        self
    }

    /// Sets `retry_on_conflict` (update only).
    pub fn retry_on_conflict(mut self, n: u32) -> Self {
        self.meta.retry_on_conflict = Some(n);
        self
    }

    /// Declares whether sending the operation twice is harmless, overriding
    /// [`is_retry_safe`](Self::is_retry_safe)'s rule (for instance `true`
    /// for an update whose script sets a field to a constant, `false` for
    /// an index whose id the server should not see twice).
    pub fn retry_safe(mut self, yes: bool) -> Self {
        self.retry_safe = Some(yes);
        self
    }

    /// Whether the indexer may send the operation again after an attempt
    /// that may have been applied (a connection broken after sending, a
    /// timeout): repeating it must not apply it twice. True for `index` and
    /// `create` with an id (the same document again, or a conflict), for
    /// `delete`, and for an `update` without a `script` (setting the same
    /// fields again); false for `index` or `create` without id (a second
    /// document) and for scripted updates (a counter would count twice).
    /// [`retry_safe`](Self::retry_safe) overrides the rule.
    pub fn is_retry_safe(&self) -> bool {
        if let Some(safe) = self.retry_safe {
            return safe;
        }
        match self.op_type {
            OpType::Index | OpType::Create => self.meta.id.is_some(),
            OpType::Delete => true,
            OpType::Update => {
                let Some(source) = &self.source else { return false };
                match serde_json::from_slice::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(source) {
                    Ok(body) => !body.contains_key("script"),
                    Err(_) => false,
                }
            }
        }
    }

    /// The action.
    pub fn op_type(&self) -> OpType {
        self.op_type
    }

    /// The metadata.
    pub fn meta(&self) -> &OperationMeta {
        &self.meta
    }

    /// The metadata, to change.
    pub fn meta_mut(&mut self) -> &mut OperationMeta {
        &mut self.meta
    }

    /// The serialized document (or update body), if any.
    pub fn source(&self) -> Option<&Bytes> {
        self.source.as_ref()
    }

    /// The NDJSON lines of this operation (each ending in `\n`), or why it
    /// cannot be sent.
    // The error is the one a failed operation's outcome carries; it is built
    // once per invalid operation, so its size costs nothing on the hot path.
    #[allow(clippy::result_large_err)]
    pub fn to_lines(&self) -> Result<Bytes, BulkError> {
        if let Some(why) = &self.invalid {
            return Err(BulkError::Serialize(why.clone()));
        }
        #[derive(Serialize)]
        struct ActionLine<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            index: Option<&'a OperationMeta>,
            #[serde(skip_serializing_if = "Option::is_none")]
            create: Option<&'a OperationMeta>,
            #[serde(skip_serializing_if = "Option::is_none")]
            update: Option<&'a OperationMeta>,
            #[serde(skip_serializing_if = "Option::is_none")]
            delete: Option<&'a OperationMeta>,
        }
        let m = Some(&self.meta);
        let line = match self.op_type {
            OpType::Index => ActionLine { index: m, create: None, update: None, delete: None },
            OpType::Create => ActionLine { index: None, create: m, update: None, delete: None },
            OpType::Update => ActionLine { index: None, create: None, update: m, delete: None },
            OpType::Delete => ActionLine { index: None, create: None, update: None, delete: m },
        };
        let source_len = self.source.as_ref().map_or(0, |s| s.len() + 1);
        let mut out = BytesMut::with_capacity(64 + source_len).writer();
        serde_json::to_writer(&mut out, &line).map_err(|e| BulkError::Serialize(e.to_string()))?;
        let mut out = out.into_inner();
        out.put_u8(b'\n');
        if let Some(source) = &self.source {
            out.put_slice(source);
            out.put_u8(b'\n');
        }
        Ok(out.freeze())
    }
}

/// Identifies an operation: its position in submission order, from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub u64);

/// What the server answered for one operation (one entry of `items`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BulkItem {
    /// `_index`.
    #[serde(rename = "_index", default)]
    pub index: Option<String>,
    /// `_id` (the generated one when none was given).
    #[serde(rename = "_id", default)]
    pub id: Option<String>,
    /// The item's HTTP status.
    pub status: u16,
    /// `result`: `created`, `updated`, `deleted`, `not_found`, `noop`.
    #[serde(default)]
    pub result: Option<String>,
    /// `_version`.
    #[serde(rename = "_version", default)]
    pub version: Option<i64>,
    /// `_seq_no`.
    #[serde(rename = "_seq_no", default)]
    pub seq_no: Option<i64>,
    /// `_primary_term`.
    #[serde(rename = "_primary_term", default)]
    pub primary_term: Option<i64>,
    /// The error, when the item failed.
    #[serde(default)]
    pub error: Option<ErrorCause>,
}

/// Why an operation failed, or why it is unconfirmed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BulkError {
    /// The server rejected the operation (an item status that is not
    /// retried, or a retried one after the retries ran out).
    Item {
        /// The item's status (400, 404, 409, 429, …).
        status: u16,
        /// The item's `error`.
        cause: Option<ErrorCause>,
    },
    /// The whole bulk request failed (transport error, error status,
    /// malformed response) and its retries ran out, or it could not be
    /// retried. Shared by every operation of the chunk. The status, when
    /// there is one, is the answer's.
    Request(Arc<Error>),
    /// The document could not be serialized; the operation was never sent.
    Serialize(String),
}

impl BulkError {
    /// The item's or the response's HTTP status, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            BulkError::Item { status, .. } => Some(*status),
            BulkError::Request(e) => e.status().map(|s| s.as_u16()),
            BulkError::Serialize(_) => None,
        }
    }
}

impl fmt::Display for BulkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BulkError::Item { status, cause } => {
                write!(f, "the server rejected the operation with status {status}")?;
                if let Some(c) = cause {
                    if let Some(t) = &c.kind {
                        write!(f, ": {t}")?;
                    }
                    if let Some(r) = &c.reason {
                        write!(f, ": {r}")?;
                    }
                }
                Ok(())
            }
            BulkError::Request(e) => write!(f, "the bulk request failed: {e}"),
            BulkError::Serialize(m) => write!(f, "cannot serialize the document: {m}"),
        }
    }
}

impl std::error::Error for BulkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BulkError::Request(e) => Some(&**e),
            _ => None,
        }
    }
}

/// The final word on one operation: the operation handed back, and what
/// became of it.
#[derive(Clone, Debug)]
pub struct BulkOutcome {
    /// The operation's id, as [`BulkIndexer::add`](super::BulkIndexer::add) returned it.
    pub id: OpId,
    /// The operation as it was added.
    pub operation: BulkOperation,
    /// Succeeded, failed or unconfirmed.
    pub result: BulkResult,
    /// How many times the operation was retried (item and request retries).
    pub retries: u32,
}

impl BulkOutcome {
    /// The operation succeeded.
    pub fn is_succeeded(&self) -> bool {
        self.result.is_succeeded()
    }

    /// The operation failed: certainly not applied.
    pub fn is_failed(&self) -> bool {
        self.result.is_failed()
    }

    /// The operation may have been applied; nobody knows.
    pub fn is_unconfirmed(&self) -> bool {
        self.result.is_unconfirmed()
    }
}

/// What became of one operation: exactly one of three.
#[derive(Clone, Debug)]
pub enum BulkResult {
    /// The server applied it; its item.
    Succeeded(BulkItem),
    /// It was not applied: the server rejected it (an item status with
    /// its reason, or an error status for the whole request), or it never
    /// reached the server before the retries ran out, or it could not be
    /// serialized.
    Failed(BulkError),
    /// It may have been applied: an attempt reached the server and its
    /// answer was lost, and it could not be repeated (not safe to, or out
    /// of budget), or a repetition met a conflict that the lost attempt may
    /// have caused. The error is the last one seen. Not a failure: a
    /// loader that must know reads the document back.
    Unconfirmed(BulkError),
}

impl BulkResult {
    /// [`BulkResult::Succeeded`].
    pub fn is_succeeded(&self) -> bool {
        matches!(self, BulkResult::Succeeded(_))
    }

    /// [`BulkResult::Failed`].
    pub fn is_failed(&self) -> bool {
        matches!(self, BulkResult::Failed(_))
    }

    /// [`BulkResult::Unconfirmed`].
    pub fn is_unconfirmed(&self) -> bool {
        matches!(self, BulkResult::Unconfirmed(_))
    }

    /// The server's item, when it succeeded.
    pub fn item(&self) -> Option<&BulkItem> {
        match self {
            BulkResult::Succeeded(item) => Some(item),
            _ => None,
        }
    }

    /// The error of a failed or unconfirmed operation.
    pub fn error(&self) -> Option<&BulkError> {
        match self {
            BulkResult::Succeeded(_) => None,
            BulkResult::Failed(e) | BulkResult::Unconfirmed(e) => Some(e),
        }
    }

    /// The error of a failed operation (`None` when unconfirmed).
    pub fn failure(&self) -> Option<&BulkError> {
        match self {
            BulkResult::Failed(e) => Some(e),
            _ => None,
        }
    }
}
