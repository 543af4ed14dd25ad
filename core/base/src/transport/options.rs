//! Per-request options.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::transport::config::Auth;

/// Settings for one request, overriding the client's.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Timeout of each attempt (`Some(None)`: no timeout).
    pub timeout: Option<Option<Duration>>,
    /// Extra headers.
    pub headers: HeaderMap,
    /// `X-Opaque-Id` for this request.
    pub opaque_id: Option<String>,
    /// Credentials for this request.
    pub auth: Option<Auth>,
    /// Retries for this request.
    pub max_retries: Option<u32>,
    /// How long this request keeps retrying, from its start.
    pub retry_budget: Option<Duration>,
    /// Whether the request may be retried after it may have reached the
    /// server (overrides the method-based rule).
    pub retry_safe: Option<bool>,
}

impl RequestOptions {
    /// No overrides.
    pub fn new() -> Self {
        RequestOptions::default()
    }

    /// Timeout of each attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(Some(timeout));
        self
    }

    /// Adds a header; an invalid name or value is ignored (and reported by `try_header`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            self.headers.append(n, v);
        }
        self
    }

    /// `X-Opaque-Id`.
    pub fn opaque_id(mut self, id: impl Into<String>) -> Self {
        self.opaque_id = Some(id.into());
        self
    }

    /// Credentials.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Retries.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }

    /// How long this request keeps retrying transient failures.
    pub fn retry_budget(mut self, budget: Duration) -> Self {
        self.retry_budget = Some(budget);
        self
    }

    /// Declares the request safe (or not) to retry after it may have been applied.
    pub fn retry_safe(mut self, yes: bool) -> Self {
        self.retry_safe = Some(yes);
        self
    }
}
