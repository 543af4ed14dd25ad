//! ES|QL answers in Apache Arrow (`format=arrow`), decoded into arrow-rs
//! [`RecordBatch`]es. Behind the opt-in cargo feature `arrow`.
//!
//! Two pieces, both free of IO:
//!
//! - [`ArrowDecoder`]: push-based. Feed it the bytes of an Arrow IPC stream
//!   as they arrive, in pieces of any size; it hands back every record batch
//!   that became complete (arrow-ipc's `StreamDecoder` underneath).
//! - [`EsqlArrowQuery`]: the `esql.query` request with `format=arrow`, an
//!   [`Endpoint`] whose answer is an [`ArrowTable`] (schema plus batches). It
//!   goes through `client.send(…)` on every runtime like any other endpoint.
//!
//! What Elasticsearch sends (its `esql/arrow` module): one schema message,
//! one record batch per page of results, then the end-of-stream marker;
//! media type `application/vnd.apache.arrow.stream`. Every field carries its
//! ES|QL type in the metadata key `elastic:type` ([`ArrowTable::esql_type`]).
//! Types: `integer`/`counter_integer` → `Int32`; `long`/`counter_long` →
//! `Int64`; `unsigned_long` → `UInt64`; `double`/`counter_double` →
//! `Float64`; `boolean` → `Boolean`; `keyword`, `text`, `version` and
//! `_source` (JSON text) → `Utf8`; `date` → `Timestamp(Millisecond, None)`;
//! `ip` → `Binary` (4 bytes for IPv4, 16 for IPv6); `geo_point`,
//! `geo_shape`, `cartesian_point`, `cartesian_shape` → `Binary` (WKB);
//! `null`/`unsupported` → `Null`. A column with a multi-valued cell anywhere
//! in the answer is a `List` of those (items field `$data$`, not nullable).
//!
//! Compile cost: the feature adds 17 crates to elastik-proto's tree
//! (arrow-array, -buffer, -data, -schema, -select, -cmp, -ipc, flatbuffers,
//! chrono, half, hashbrown, ahash, num-*, zerocopy); the default build
//! compiles none of them. See the `arrow` feature's comment in
//! `core/Cargo.toml` (the clean-build time is not measured yet).
//!
//! ```
//! use elastik_proto::esql::arrow::ArrowTable;
//! use elastik_proto::esql::{EsqlQuery, Processing, Query};
//! use elastik_proto::Endpoint;
//!
//! let request = EsqlQuery::from_query(&Query::from(["employees"]).limit(10)).unwrap().arrow();
//! let http = request.to_request().unwrap();
//! assert_eq!(http.uri(), "/_query?format=arrow");
//! assert_eq!(http.headers()["accept"], "application/vnd.apache.arrow.stream");
//!
//! // Bytes that are not an Arrow stream are an error value, not a panic.
//! assert!(ArrowTable::from_bytes(&b"{\"not\": \"arrow\"}"[..]).is_err());
//! ```

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::Buffer;
use arrow_ipc::reader::StreamDecoder;
use arrow_schema::{Schema, SchemaRef};
use bytes::Bytes;

use super::request::EsqlQuery;
use crate::body::Body;
use crate::endpoint::{check_status, Endpoint};
use crate::error::Error;

/// The arrow crates this module speaks, re-exported so that callers use the
/// same versions.
pub use {arrow_array, arrow_ipc, arrow_schema};

/// The media type of an Arrow IPC stream, as Elasticsearch sends it.
pub const CONTENT_TYPE: &str = "application/vnd.apache.arrow.stream";

/// The field metadata key holding a column's ES|QL type.
pub const ESQL_TYPE_KEY: &str = "elastic:type";

/// A push-based decoder of an Arrow IPC stream: bytes in, record batches
/// out, no IO.
///
/// ```
/// use elastik_proto::esql::arrow::ArrowDecoder;
///
/// let mut decoder = ArrowDecoder::new();
/// // A stream cut short is an error at `finish`.
/// assert!(decoder.feed(&[0xff, 0xff, 0xff, 0xff, 0x10][..]).unwrap().is_empty());
/// assert!(decoder.finish().is_err());
/// ```
#[derive(Debug, Default)]
pub struct ArrowDecoder {
    inner: StreamDecoder,
    consumed: u64,
    failed: bool,
}

impl ArrowDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        ArrowDecoder::default()
    }

    /// Feeds the next bytes of the stream (any amount, split anywhere) and
    /// returns the record batches they completed, in order. Bytes that are
    /// not a valid Arrow stream, or bytes after its end, are an
    /// [`Error::Decode`]; after an error the decoder refuses more input.
    pub fn feed(&mut self, bytes: impl Into<Bytes>) -> Result<Vec<RecordBatch>, Error> {
        if self.failed {
            return Err(Error::decode("ES|QL arrow: the stream already failed to decode", b""));
        }
        let bytes: Bytes = bytes.into();
        let mut buffer = Buffer::from(bytes.clone());
        let mut out = Vec::new();
        while !buffer.is_empty() {
            let before = buffer.len();
            // arrow-ipc validates the flatbuffers and the array layouts but
            // still panics on some corrupted buffer lengths (seen with
            // 60.1: an out-of-range slice in arrow-buffer); a bad answer
            // must be an error value here, so a panic becomes one.
            let inner = &mut self.inner;
            let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.decode(&mut buffer)))
                .unwrap_or_else(|_| {
                    Err(arrow_schema::ArrowError::IpcError("corrupted stream (the arrow decoder panicked)".to_owned()))
                });
            self.consumed += (before - buffer.len()) as u64;
            match decoded {
                Ok(Some(batch)) => out.push(batch),
                Ok(None) => {}
                Err(e) => {
                    self.failed = true;
                    let at = self.consumed;
                    let rest = &bytes[bytes.len() - buffer.len()..];
                    return Err(Error::decode(format!("ES|QL arrow stream, at byte {at}: {e}"), rest));
                }
            }
        }
        Ok(out)
    }

    /// The schema, once its message has been decoded.
    pub fn schema(&self) -> Option<SchemaRef> {
        self.inner.schema()
    }

    /// Bytes consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Ends the stream: an error when it stopped inside a message (a
    /// truncated answer) or no schema ever arrived. Returns the schema.
    pub fn finish(mut self) -> Result<SchemaRef, Error> {
        if self.failed {
            return Err(Error::decode("ES|QL arrow: the stream already failed to decode", b""));
        }
        self.inner.finish().map_err(|e| {
            Error::decode(format!("ES|QL arrow stream cut short after {} bytes: {e}", self.consumed), b"")
        })?;
        self.inner.schema().ok_or_else(|| Error::decode("ES|QL arrow stream ended before its schema", b""))
    }
}

/// A whole Arrow answer: the schema and the record batches (one per page
/// of results as the server paged them).
#[derive(Clone, Debug, PartialEq)]
pub struct ArrowTable {
    /// The schema (column names, arrow types, `elastic:type` metadata).
    pub schema: SchemaRef,
    /// The record batches, in order.
    pub batches: Vec<RecordBatch>,
}

impl ArrowTable {
    /// Decodes a complete Arrow IPC stream.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Result<Self, Error> {
        let mut decoder = ArrowDecoder::new();
        let batches = decoder.feed(bytes)?;
        let schema = decoder.finish()?;
        Ok(ArrowTable { schema, batches })
    }

    /// An empty table of this schema.
    pub fn empty(schema: Schema) -> Self {
        ArrowTable { schema: Arc::new(schema), batches: Vec::new() }
    }

    /// The number of rows over all batches.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The column names, in order.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.schema.fields().iter().map(|f| f.name().as_str())
    }

    /// The ES|QL type of a column (`keyword`, `date`, `ip`, …) from its
    /// `elastic:type` metadata.
    pub fn esql_type(&self, column: &str) -> Option<&str> {
        let field = self.schema.field_with_name(column).ok()?;
        field.metadata().get(ESQL_TYPE_KEY).map(String::as_str)
    }

    /// A column by name: its array in each batch (empty when no column has
    /// that name).
    pub fn column(&self, name: &str) -> Vec<ArrayRef> {
        let Some(i) = self.schema.index_of(name).ok() else {
            return Vec::new();
        };
        self.batches.iter().map(|b| Arc::clone(b.column(i))).collect()
    }

    /// The number of null values in a column over all batches.
    pub fn null_count(&self, name: &str) -> usize {
        self.column(name).iter().map(|a| a.null_count()).sum()
    }
}

/// `POST /_query?format=arrow`: the query answered as an Arrow IPC stream,
/// decoded into an [`ArrowTable`]. Make one with [`EsqlQuery::arrow`].
#[derive(Clone, Debug, PartialEq)]
pub struct EsqlArrowQuery {
    /// The query (its `columnar` setting does not apply to Arrow).
    pub query: EsqlQuery,
}

impl EsqlQuery {
    /// The same query answered in Apache Arrow (feature `arrow`).
    pub fn arrow(self) -> EsqlArrowQuery {
        EsqlArrowQuery { query: self }
    }
}

impl Endpoint for EsqlArrowQuery {
    type Response = ArrowTable;

    fn id(&self) -> &'static str {
        "esql.query"
    }

    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        self.query.request_with_format("/_query", "arrow", CONTENT_TYPE)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<ArrowTable, Error> {
        check_status(response)?;
        ArrowTable::from_bytes(response.body().clone())
    }
}
