//! The one error type of elastik: what went wrong, with enough context to act
//! on it, and never a credential.

use std::fmt;

use bytes::Bytes;
use http::StatusCode;
use serde::{Deserialize, Serialize};

/// Everything that can go wrong with a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status.
    Api(Box<ApiError>),
    /// No usable answer came back: every attempt failed at the connection level
    /// (or the retries ran out).
    Transport(Box<TransportError>),
    /// A response came back but could not be decoded into the expected type.
    Decode(Box<DecodeError>),
    /// The request could not be built (bad configuration, bad URL, a body
    /// that does not serialize).
    Build(BuildError),
    /// The server is not Elasticsearch (its first successful answer lacked
    /// `X-Elastic-Product: Elasticsearch`).
    UnsupportedProduct(UnsupportedProduct),
}

impl Error {
    /// A [`Error::Build`] with this message.
    pub fn build(message: impl Into<String>) -> Self {
        Error::Build(BuildError { message: message.into() })
    }

    /// A [`Error::Decode`] with a message and an excerpt of the body.
    pub fn decode(message: impl Into<String>, body: &[u8]) -> Self {
        Error::Decode(Box::new(DecodeError { message: message.into(), excerpt: excerpt(body) }))
    }

    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// The API error, when the server answered with an error status.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => e.fmt(f),
            Error::Transport(e) => e.fmt(f),
            Error::Decode(e) => e.fmt(f),
            Error::Build(e) => e.fmt(f),
            Error::UnsupportedProduct(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Api(e) => Some(&**e),
            Error::Transport(e) => Some(&**e),
            Error::Decode(e) => Some(&**e),
            Error::Build(e) => Some(e),
            Error::UnsupportedProduct(e) => Some(e),
        }
    }
}

/// An error status from the server, with its parsed body when it had the
/// usual `{"error": …, "status": …}` shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The parsed `error` object; `None` when the body was not the usual shape.
    pub error: Option<ErrorCause>,
    /// The raw body as received.
    pub body: Bytes,
    /// `Warning` headers of the response.
    pub warnings: Vec<String>,
}

impl ApiError {
    /// Builds the error from a response status and body; parsing never fails.
    pub fn from_response(status: StatusCode, body: Bytes, warnings: Vec<String>) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: ErrorOrString,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum ErrorOrString {
            Cause(Box<ErrorCause>),
            Text(String),
        }
        let error = match serde_json::from_slice::<Envelope>(&body) {
            Ok(Envelope { error: ErrorOrString::Cause(c) }) => Some(*c),
            Ok(Envelope { error: ErrorOrString::Text(t) }) => {
                Some(ErrorCause { reason: Some(t), ..ErrorCause::default() })
            }
            Err(_) => None,
        };
        ApiError { status, error, body, warnings }
    }

    /// The error's `type`, e.g. `index_not_found_exception`.
    pub fn error_type(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.kind.as_deref())
    }

    /// The error's `reason`.
    pub fn reason(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.reason.as_deref())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server answered {}", self.status)?;
        match &self.error {
            Some(e) => {
                if let Some(t) = &e.kind {
                    write!(f, ": {t}")?;
                }
                if let Some(r) = &e.reason {
                    write!(f, ": {r}")?;
                }
                Ok(())
            }
            None if self.body.is_empty() => Ok(()),
            None => write!(f, ": {}", excerpt(&self.body)),
        }
    }
}

impl std::error::Error for ApiError {}

/// The `error` object of an Elasticsearch error response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorCause {
    /// The exception type, e.g. `version_conflict_engine_exception`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Human-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The root causes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub root_cause: Vec<ErrorCause>,
    /// The cause of this error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<Box<ErrorCause>>,
    /// Any other field (`index`, `shard`, `stack_trace`, …).
    #[serde(flatten)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// How a connection-level attempt failed, as reported by the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IoErrorKind {
    /// The connection could not be made (refused, DNS, unreachable). Nothing was sent.
    Connect,
    /// The request or the response did not complete within the timeout.
    Timeout,
    /// The TLS handshake or certificate verification failed.
    Tls,
    /// The connection broke (reset, closed early, truncated body).
    Reset,
    /// The response exceeded the configured maximum body size.
    BodyTooLarge,
    /// Anything else the HTTP library reported.
    Other,
}

impl fmt::Display for IoErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoErrorKind::Connect => "connection failed",
            IoErrorKind::Timeout => "timed out",
            IoErrorKind::Tls => "tls error",
            IoErrorKind::Reset => "connection reset",
            IoErrorKind::BodyTooLarge => "response body too large",
            IoErrorKind::Other => "i/o error",
        })
    }
}

/// A failed HTTP exchange, as the driver reports it to the core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoError {
    /// What kind of failure.
    pub kind: IoErrorKind,
    /// The HTTP library's message (must not contain credentials).
    pub message: String,
    /// Whether the request (headers and body) may have reached the server.
    /// `false` only when the driver knows nothing was sent.
    pub request_sent: bool,
}

impl IoError {
    /// An error of this kind; `request_sent` is false only for [`IoErrorKind::Connect`]
    /// and [`IoErrorKind::Tls`].
    pub fn new(kind: IoErrorKind, message: impl Into<String>) -> Self {
        let request_sent = !matches!(kind, IoErrorKind::Connect | IoErrorKind::Tls);
        IoError { kind, message: message.into(), request_sent }
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.message)
        }
    }
}

/// One attempt of a call that did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The node tried (its URL, never with credentials).
    pub node: String,
    /// What happened.
    pub outcome: AttemptOutcome,
}

/// What one attempt ended in.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// A connection-level failure.
    Io(IoError),
    /// A retryable status (429, 502, 503, 504 by default).
    Status(u16),
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            AttemptOutcome::Io(e) => write!(f, "{}: {e}", self.node),
            AttemptOutcome::Status(s) => write!(f, "{}: status {s}", self.node),
        }
    }
}

/// Every attempt failed without an answer that could be returned.
#[derive(Debug, Clone)]
pub struct TransportError {
    /// The kind of the last failure.
    pub kind: IoErrorKind,
    /// The last node tried.
    pub node: String,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Why the call stopped (retries exhausted, not retryable, deadline).
    pub reason: String,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} attempt", self.reason, self.attempts.len())?;
        if self.attempts.len() != 1 {
            f.write_str("s")?;
        }
        f.write_str(")")?;
        if let Some(last) = self.attempts.last() {
            write!(f, ": last {last}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

/// A response that could not be decoded.
#[derive(Debug, Clone)]
pub struct DecodeError {
    /// What went wrong.
    pub message: String,
    /// The first bytes of the body (at most 256), lossily as text.
    pub excerpt: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode the response: {}", self.message)?;
        if !self.excerpt.is_empty() {
            write!(f, " (body starts with {:?})", self.excerpt)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// A request that could not be built.
#[derive(Debug, Clone)]
pub struct BuildError {
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot build the request: {}", self.message)
    }
}

impl std::error::Error for BuildError {}

/// The server did not identify itself as Elasticsearch.
#[derive(Debug, Clone)]
pub struct UnsupportedProduct {
    /// The `X-Elastic-Product` value received, if any.
    pub product: Option<String>,
}

impl fmt::Display for UnsupportedProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.product {
            Some(p) => write!(f, "the server is not a supported product: X-Elastic-Product is {p:?}"),
            None => f.write_str("the client noticed that the server is not Elasticsearch: no X-Elastic-Product header"),
        }
    }
}

impl std::error::Error for UnsupportedProduct {}

/// The first 256 bytes of a body, lossily as text, cut on a character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(256)]);
    text.into_owned()
}
