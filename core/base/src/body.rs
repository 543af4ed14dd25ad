//! Request bodies as the endpoints produce them, before the transport adds
//! compression and compatibility media types.

use bytes::Bytes;
use serde::Serialize;

use crate::error::Error;

/// A request body: what it is and its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// One JSON document (`application/json`).
    Json(Bytes),
    /// Newline-delimited JSON (`application/x-ndjson`), each line ending in `\n`.
    Ndjson(Bytes),
    /// Bytes with a media type of the caller's choosing.
    Raw {
        /// The `Content-Type` to send.
        content_type: String,
        /// The bytes.
        bytes: Bytes,
    },
}

impl Body {
    /// Serializes `value` as a JSON body.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        serde_json::to_vec(value)
            .map(|v| Body::Json(v.into()))
            .map_err(|e| Error::build(format!("cannot serialize the request body: {e}")))
    }

    /// Serializes each value as one NDJSON line.
    pub fn ndjson<'a, T, I>(lines: I) -> Result<Self, Error>
    where
        T: Serialize + 'a + ?Sized,
        I: IntoIterator<Item = &'a T>,
    {
        let mut out = Vec::new();
        for line in lines {
            serde_json::to_writer(&mut out, line)
                .map_err(|e| Error::build(format!("cannot serialize an NDJSON line: {e}")))?;
            out.push(b'\n');
        }
        Ok(Body::Ndjson(out.into()))
    }

    /// Pre-serialized NDJSON; a final newline is added when missing.
    pub fn ndjson_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes: Bytes = bytes.into();
        if bytes.is_empty() || bytes.ends_with(b"\n") {
            Body::Ndjson(bytes)
        } else {
            let mut v = Vec::with_capacity(bytes.len() + 1);
            v.extend_from_slice(&bytes);
            v.push(b'\n');
            Body::Ndjson(v.into())
        }
    }

    /// The bytes to send (empty for [`Body::Empty`]).
    pub fn bytes(&self) -> Bytes {
        match self {
            Body::Empty => Bytes::new(),
            Body::Json(b) | Body::Ndjson(b) | Body::Raw { bytes: b, .. } => b.clone(),
        }
    }

    /// The plain media type of this body, `None` when empty.
    pub fn content_type(&self) -> Option<&str> {
        match self {
            Body::Empty => None,
            Body::Json(_) => Some(crate::media::JSON),
            Body::Ndjson(_) => Some(crate::media::NDJSON),
            Body::Raw { content_type, .. } => Some(content_type),
        }
    }

    /// True for [`Body::Empty`].
    pub fn is_empty(&self) -> bool {
        matches!(self, Body::Empty)
    }
}
