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
    /// Error statuses that are answers rather than errors, like the Python
    /// client's `ignore=`: see [`RequestOptions::ignore_status`].
    pub ignore_status: Vec<u16>,
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

    /// Treats these error statuses as answers, like the Python client's
    /// `ignore=[404]`. What a call then returns:
    ///
    /// - `send()` decodes the body as the typed response when it is one (a
    ///   missing document's `get` answers `found: false`, its `delete`
    ///   `result: "not_found"`, a `HEAD` answers `false`); a body that is
    ///   not the typed answer (the usual `{"error": …}`) stays the
    ///   [`Error::Api`](crate::Error::Api), so its kind is never lost behind
    ///   a decoding error;
    /// - `send_opt()` returns `Ok(None)` for an ignored status, whatever the body;
    /// - `send_raw()` and `perform_request` return the response as is.
    ///
    /// Statuses not listed behave as usual. Replaces an earlier list.
    pub fn ignore_status(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.ignore_status = statuses.into_iter().collect();
        self
    }

    /// Whether `status` is one of [`RequestOptions::ignore_status`].
    pub fn ignores(&self, status: http::StatusCode) -> bool {
        self.ignore_status.contains(&status.as_u16())
    }

    /// These options over `defaults`: every option set here wins, the
    /// others come from `defaults`; headers are the defaults' with the ones
    /// named here replaced.
    pub fn over(&self, defaults: &RequestOptions) -> RequestOptions {
        let mut headers = defaults.headers.clone();
        for name in self.headers.keys() {
            headers.remove(name);
        }
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        RequestOptions {
            timeout: self.timeout.or(defaults.timeout),
            headers,
            opaque_id: self.opaque_id.clone().or_else(|| defaults.opaque_id.clone()),
            auth: self.auth.clone().or_else(|| defaults.auth.clone()),
            max_retries: self.max_retries.or(defaults.max_retries),
            retry_budget: self.retry_budget.or(defaults.retry_budget),
            retry_safe: self.retry_safe.or(defaults.retry_safe),
            ignore_status: if self.ignore_status.is_empty() {
                defaults.ignore_status.clone()
            } else {
                self.ignore_status.clone()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_options_win_over_defaults_and_fill_the_rest() {
        let defaults = RequestOptions::new()
            .timeout(Duration::from_secs(5))
            .opaque_id("job")
            .header("x-a", "1")
            .header("x-b", "1")
            .ignore_status([404])
            .max_retries(7);
        let own = RequestOptions::new().opaque_id("mine").header("x-b", "2").timeout(Duration::from_secs(1));
        let merged = own.over(&defaults);
        assert_eq!(merged.opaque_id.as_deref(), Some("mine"));
        assert_eq!(merged.timeout, Some(Some(Duration::from_secs(1))));
        assert_eq!(merged.max_retries, Some(7));
        assert_eq!(merged.headers.get("x-a").unwrap(), "1");
        assert_eq!(merged.headers.get_all("x-b").iter().collect::<Vec<_>>(), ["2"]);
        assert!(merged.ignores(http::StatusCode::NOT_FOUND));
        let replaced = RequestOptions::new().ignore_status([409]).over(&defaults);
        assert!(replaced.ignores(http::StatusCode::CONFLICT) && !replaced.ignores(http::StatusCode::NOT_FOUND));
    }
}
