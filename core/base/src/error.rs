//! The one error type of elastik: what went wrong, with enough context to act
//! on it, and never a credential.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use serde::{Deserialize, Serialize};

/// Everything that can go wrong with a request.
///
/// Match it by kind as the Python client's exception classes are caught:
///
/// | Python | elastik |
/// |---|---|
/// | `NotFoundError` (404) | [`Error::is_not_found`] |
/// | `ConflictError` (409) | [`Error::is_conflict`] |
/// | `BadRequestError` (400) | [`Error::is_bad_request`] |
/// | `AuthenticationException` (401) | [`Error::is_unauthorized`] |
/// | `AuthorizationException` (403) | [`Error::is_forbidden`] |
/// | `ApiError` (any error status) | [`Error::as_api`], [`Error::status`] |
/// | `ConnectionError` | [`Error::is_connection`] |
/// | `ConnectionTimeout` | [`Error::is_timeout`] |
/// | `SSLError` | [`Error::is_tls`] |
/// | `TransportError` | [`Error::as_transport`] |
/// | `ignore=404` | `RequestOptions::ignore_status` |
///
/// [`std::error::Error::source`] goes down to the error the HTTP library
/// reported (an [`std::io::Error`], a rustls error, …) through the last
/// attempt's [`IoError`]. `Display` and `Debug` never show credentials.
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

    /// The transport error, when no usable answer came back.
    pub fn as_transport(&self) -> Option<&TransportError> {
        match self {
            Error::Transport(e) => Some(e),
            _ => None,
        }
    }

    /// The server's error `type` (e.g. `index_not_found_exception`), when it answered with one.
    pub fn error_type(&self) -> Option<&str> {
        self.as_api().and_then(ApiError::error_type)
    }

    /// The server's error `reason`, when it answered with one.
    pub fn reason(&self) -> Option<&str> {
        self.as_api().and_then(ApiError::reason)
    }

    fn status_is(&self, status: StatusCode) -> bool {
        self.status() == Some(status)
    }

    /// The server answered 404 (a missing document, index, …): Python's `NotFoundError`.
    pub fn is_not_found(&self) -> bool {
        self.status_is(StatusCode::NOT_FOUND)
    }

    /// The server answered 409 (a version conflict, a document that exists already): `ConflictError`.
    pub fn is_conflict(&self) -> bool {
        self.status_is(StatusCode::CONFLICT)
    }

    /// The server answered 400 (a malformed query, a bad parameter): `BadRequestError`.
    pub fn is_bad_request(&self) -> bool {
        self.status_is(StatusCode::BAD_REQUEST)
    }

    /// The server answered 401 (missing or wrong credentials): `AuthenticationException`.
    pub fn is_unauthorized(&self) -> bool {
        self.status_is(StatusCode::UNAUTHORIZED)
    }

    /// The server answered 403 (the credentials lack a privilege): `AuthorizationException`.
    pub fn is_forbidden(&self) -> bool {
        self.status_is(StatusCode::FORBIDDEN)
    }

    /// No answer came back because the last attempt timed out: `ConnectionTimeout`.
    pub fn is_timeout(&self) -> bool {
        self.as_transport().is_some_and(|e| e.kind == IoErrorKind::Timeout)
    }

    /// No answer came back because of the connection: refused, reset, timed
    /// out, TLS or anything else the HTTP library reported (Python's
    /// `ConnectionError`, of which `ConnectionTimeout` and `SSLError` are
    /// kinds too). Not a response that was too large.
    pub fn is_connection(&self) -> bool {
        self.as_transport().is_some_and(|e| e.kind != IoErrorKind::BodyTooLarge)
    }

    /// The TLS handshake or the certificate check failed: `SSLError`.
    pub fn is_tls(&self) -> bool {
        self.as_transport().is_some_and(|e| e.kind == IoErrorKind::Tls)
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

/// `Error` is a transparent wrapper: its `Display` is the inner error's, and
/// its `source` the inner error's source (so an error report does not say
/// the same thing twice).
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Api(e) => e.source(),
            Error::Transport(e) => e.source(),
            Error::Decode(e) => e.source(),
            Error::Build(e) => e.source(),
            Error::UnsupportedProduct(e) => e.source(),
        }
    }
}

/// An error status from the server, with its parsed body when it had the
/// usual `{"error": …, "status": …}` shape.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The parsed `error` object; `None` when the body was not the usual shape.
    pub error: Option<ErrorCause>,
    /// The raw body as received.
    pub body: Bytes,
    /// `Warning` headers of the response.
    pub warnings: Vec<String>,
    /// The attempts that failed before this answer (retryable statuses such
    /// as 503 until the retries ran out, connection failures on other
    /// nodes); empty when the first answer was this one.
    pub attempts: Vec<Attempt>,
}

/// One line per field that says something; the body only when it was not the
/// usual error shape (then as a short excerpt).
impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ApiError");
        d.field("status", &self.status.as_u16());
        match &self.error {
            Some(e) => {
                d.field("type", &e.kind.as_deref().unwrap_or_default());
                d.field("reason", &e.reason.as_deref().unwrap_or_default());
            }
            None => {
                d.field("body", &excerpt(&self.body));
            }
        }
        if !self.warnings.is_empty() {
            d.field("warnings", &self.warnings);
        }
        if !self.attempts.is_empty() {
            d.field("attempts", &self.attempts);
        }
        d.finish()
    }
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
        ApiError { status, error, body, warnings, attempts: Vec::new() }
    }

    /// The same error with the attempts that came before its answer.
    pub fn with_attempts(mut self, attempts: Vec<Attempt>) -> Self {
        self.attempts = attempts;
        self
    }

    /// The parsed error object, when the body had the usual shape.
    pub fn cause(&self) -> Option<&ErrorCause> {
        self.error.as_ref()
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
    /// Errors suppressed while handling this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<ErrorCause>,
    /// The server's stack trace (with `error_trace=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_trace: Option<String>,
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

/// The error object an HTTP library reported, kept whole so that
/// [`std::error::Error::source`] reaches it (and through it the
/// [`std::io::Error`] or the rustls error); shared, so errors stay `Clone`.
pub type ErrorSource = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A failed HTTP exchange, as the driver reports it to the core.
///
/// Equality compares the kind, the message and `request_sent`, not the source.
#[derive(Clone)]
pub struct IoError {
    /// What kind of failure.
    pub kind: IoErrorKind,
    /// The HTTP library's message (must not contain credentials).
    pub message: String,
    /// Whether the request (headers and body) may have reached the server.
    /// `false` only when the driver knows nothing was sent.
    pub request_sent: bool,
    /// The HTTP library's error, when there was one (its messages must not
    /// contain credentials either: node URLs never hold them).
    pub source: Option<ErrorSource>,
}

impl IoError {
    /// An error of this kind; `request_sent` is false only for [`IoErrorKind::Connect`]
    /// and [`IoErrorKind::Tls`].
    pub fn new(kind: IoErrorKind, message: impl Into<String>) -> Self {
        let request_sent = !matches!(kind, IoErrorKind::Connect | IoErrorKind::Tls);
        IoError { kind, message: message.into(), request_sent, source: None }
    }

    /// The same error, keeping the HTTP library's error as its source.
    pub fn with_source(mut self, source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }

    /// The same error with `request_sent` set.
    pub fn sent(mut self, request_sent: bool) -> Self {
        self.request_sent = request_sent;
        self
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message && self.request_sent == other.request_sent
    }
}

impl Eq for IoError {}

impl fmt::Debug for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("IoError");
        d.field("kind", &self.kind).field("message", &self.message).field("request_sent", &self.request_sent);
        if let Some(source) = &self.source {
            d.field("source", &format_args!("{source}"));
        }
        d.finish()
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
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

/// The attempts that failed before a response, which the transport puts in
/// the final response's extensions so that an [`ApiError`] built from it
/// keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriorAttempts(pub Vec<Attempt>);

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

impl TransportError {
    /// The last connection-level failure, if any attempt had one.
    pub fn last_io_error(&self) -> Option<&IoError> {
        self.attempts.iter().rev().find_map(|a| match &a.outcome {
            AttemptOutcome::Io(e) => Some(e),
            AttemptOutcome::Status(_) => None,
        })
    }
}

/// Its source is the last attempt's [`IoError`], whose source is the HTTP
/// library's error.
impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.last_io_error().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

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

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn api(status: u16, body: &'static str) -> Error {
        let status = StatusCode::from_u16(status).unwrap();
        Error::Api(Box::new(ApiError::from_response(status, Bytes::from_static(body.as_bytes()), vec![])))
    }

    fn transport(kind: IoErrorKind, io: IoError) -> Error {
        let attempts = vec![Attempt { node: "http://n:9200".into(), outcome: AttemptOutcome::Io(io) }];
        Error::Transport(Box::new(TransportError { kind, node: "http://n:9200".into(), attempts, reason: "r".into() }))
    }

    #[test]
    fn predicates_follow_the_status_and_the_failure_kind() {
        let missing =
            api(404, r#"{"error":{"type":"index_not_found_exception","reason":"no such index [x]"},"status":404}"#);
        assert!(missing.is_not_found() && !missing.is_conflict() && !missing.is_connection());
        assert_eq!(missing.error_type(), Some("index_not_found_exception"));
        assert_eq!(missing.reason(), Some("no such index [x]"));
        assert!(api(409, "{}").is_conflict());
        assert!(api(400, "{}").is_bad_request());
        assert!(api(401, "{}").is_unauthorized());
        assert!(api(403, "{}").is_forbidden());
        assert!(missing.as_transport().is_none());

        let timeout = transport(IoErrorKind::Timeout, IoError::new(IoErrorKind::Timeout, "slow"));
        assert!(timeout.is_timeout() && timeout.is_connection() && !timeout.is_tls() && timeout.status().is_none());
        let tls = transport(IoErrorKind::Tls, IoError::new(IoErrorKind::Tls, "bad cert"));
        assert!(tls.is_tls() && tls.is_connection() && !tls.is_timeout());
        let big = transport(IoErrorKind::BodyTooLarge, IoError::new(IoErrorKind::BodyTooLarge, "big"));
        assert!(!big.is_connection());
    }

    #[test]
    fn source_reaches_the_io_error() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = transport(IoErrorKind::Connect, IoError::new(IoErrorKind::Connect, "connecting").with_source(refused));
        assert!(e.is_connection());
        let mut found = None;
        let mut source = e.source();
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                found = Some(io.kind());
            }
            source = s.source();
        }
        assert_eq!(found, Some(std::io::ErrorKind::ConnectionRefused));
        // Still cloneable, and equality ignores the source.
        let io = IoError::new(IoErrorKind::Connect, "x").with_source(std::io::Error::other("y"));
        assert_eq!(io.clone(), IoError::new(IoErrorKind::Connect, "x").sent(false));
    }

    #[test]
    fn debug_is_concise_and_shows_the_body_once_at_most() {
        let e = api(
            409,
            r#"{"error":{"type":"version_conflict_engine_exception","reason":"[1]: version conflict"},"status":409}"#,
        );
        let debug = format!("{e:?}");
        assert!(debug.contains("version_conflict_engine_exception"), "{debug}");
        assert_eq!(debug.matches("version conflict").count(), 1, "{debug}");
        assert!(!debug.contains("body"), "{debug}");
        let html = format!("{:?}", api(502, "<html>bad gateway</html>"));
        assert_eq!(html.matches("bad gateway").count(), 1, "{html}");
    }
}
