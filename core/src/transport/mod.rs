//! The transport: node pool, retries, sniffing, compression and headers, as
//! state machines with time passed in.
//!
//! A [`Transport`] is long-lived and shared by all calls (behind a lock in a
//! concurrent runtime). Each request is a [`Call`]: the driver asks it what to
//! do next with [`Call::poll`] and reports what happened with
//! [`Call::handle`]. The core never performs IO and never reads a clock.
//!
//! # The drive loop
//!
//! Every machine follows the one contract of [`crate::machine`]:
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use elastik_proto::endpoint::RawRequest;
//! use elastik_proto::machine::Step;
//! use elastik_proto::transport::Transport;
//! use elastik_proto::{ClientBuilder, Endpoint, RequestOptions};
//!
//! # fn exchange(req: http::Request<Bytes>) -> Result<http::Response<Bytes>, elastik_proto::IoError> {
//! #     Ok(http::Response::builder().status(200).header("x-elastic-product", "Elasticsearch")
//! #         .body(Bytes::from_static(b"{}")).unwrap())
//! # }
//! let config = ClientBuilder::<()>::new().node("http://localhost:9200").into_config()?;
//! let mut transport = Transport::new(config);
//! let endpoint = RawRequest::new(http::Method::GET, "/");
//! let mut call = transport.start(endpoint.id(), endpoint.to_request()?, RequestOptions::default(), Instant::now());
//! let response = loop {
//!     match call.poll(&mut transport, Instant::now()) {
//!         Step::Send(send) => {
//!             // Perform the exchange with `send.timeout`; report the result.
//!             let outcome = exchange(send.request);
//!             call.handle(&mut transport, outcome, Instant::now());
//!         }
//!         Step::Wait(until) => { /* sleep until `until` */ let _ = until; }
//!         Step::Emit(result) => break result?,
//!         Step::Done => unreachable!("a call emits its result before it is done"),
//!     }
//! };
//! let decoded = endpoint.decode(&response)?;
//! assert_eq!(decoded.status(), 200);
//! # Ok::<(), elastik_proto::Error>(())
//! ```

mod call;
mod pool;
mod sniffer;

pub use elastik_base::transport::{config, node, proxy, sniff};

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT_ENCODING, USER_AGENT};
use http::HeaderMap;

pub use call::{Call, SendRequest, TraceFields};
pub use config::{Auth, ClientBuilder, Config, FromConfig, RetryPolicy, SniffPolicy, TlsConfig};
pub use elastik_base::transport::{
    Node, NodeId, NodeUrl, Proxy, RandomSelector, RequestOptions, RoundRobin, Scheme, Selector, SniffedNode, SplitMix64,
};
pub use pool::NodePool;
pub use sniffer::Sniffer;

use crate::error::Error;

/// The long-lived transport state shared by every call.
#[derive(Debug)]
pub struct Transport {
    config: Config,
    pool: NodePool,
    rng: SplitMix64,
    /// Set once a successful response proved the product.
    product_verified: bool,
    /// Headers every request carries (user agent, meta, auth, defaults).
    base_headers: HeaderMap,
    sniff: SniffState,
    /// `(endpoint, method it builds, method the server routes)`, learnt
    /// when a server refused the first and took the second: later calls
    /// start with the second.
    method_preferences: Vec<(&'static str, http::Method, http::Method)>,
}

#[derive(Debug, Default)]
struct SniffState {
    /// A sniff was asked for (on start, after a failure).
    requested: bool,
    /// When the running sniff started; a sniff whose call was abandoned
    /// stops counting as running after twice its timeout.
    in_progress: Option<Instant>,
    last: Option<Instant>,
}

impl Transport {
    /// A transport over the configured seed nodes.
    pub fn new(config: Config) -> Self {
        let pool = NodePool::new(
            config.nodes.clone(),
            config.new_selector(),
            config.dead_backoff_factor,
            config.dead_backoff_max,
        );
        let mut base_headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&config.user_agent) {
            base_headers.insert(USER_AGENT, v);
        }
        if let Some(meta) = config.client_meta.as_deref().and_then(|m| HeaderValue::from_str(m).ok()) {
            base_headers.insert(HeaderName::from_static("x-elastic-client-meta"), meta);
        }
        if cfg!(feature = "gzip") {
            base_headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if let Some(id) = config.opaque_id.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            base_headers.insert(HeaderName::from_static("x-opaque-id"), id);
        }
        if let Some(auth) = config.auth.as_ref().and_then(|a| a.header_value().ok()) {
            base_headers.insert(http::header::AUTHORIZATION, auth);
        }
        for (name, value) in &config.headers {
            base_headers.insert(name.clone(), value.clone());
        }
        let sniff = SniffState { requested: config.sniff.on_start, ..SniffState::default() };
        Transport {
            rng: SplitMix64::new(config.seed),
            pool,
            config,
            product_verified: false,
            base_headers,
            sniff,
            method_preferences: Vec::new(),
        }
    }

    /// The method to send instead of `method` for `endpoint`, when a server
    /// refused it before and took another.
    fn preferred_method(&self, endpoint: &str, method: &http::Method) -> Option<&http::Method> {
        self.method_preferences.iter().find(|(e, m, _)| *e == endpoint && m == method).map(|(_, _, p)| p)
    }

    /// Remembers that `endpoint`'s `built` method is answered with `routed`.
    fn prefer_method(&mut self, endpoint: &'static str, built: http::Method, routed: http::Method) {
        self.method_preferences.retain(|(e, m, _)| !(*e == endpoint && *m == built));
        if built != routed {
            self.method_preferences.push((endpoint, built, routed));
        }
    }

    /// Starts a call for an endpoint's request.
    pub fn start(
        &mut self,
        endpoint_id: &'static str,
        request: http::Request<crate::Body>,
        options: RequestOptions,
        now: Instant,
    ) -> Call {
        Call::new(self, endpoint_id, request, options, now)
    }

    /// A sniff on its own, for runtimes that sniff in the background: `None`
    /// when no sniff is due (or one is already running).
    pub fn start_sniff(&mut self, now: Instant) -> Option<Call> {
        if !self.sniff_due(now) {
            return None;
        }
        self.sniff.in_progress = Some(now);
        Some(Call::sniff_only(self, now))
    }

    /// When the next periodic sniff is due, if periodic sniffing is on.
    pub fn next_sniff_at(&self) -> Option<Instant> {
        let interval = self.config.sniff.before_requests?;
        Some(match self.sniff.last {
            Some(last) => last + interval.max(self.config.sniff.min_delay),
            None => return None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The node pool.
    pub fn pool(&self) -> &NodePool {
        &self.pool
    }

    /// A fresh random number from the seeded generator.
    pub fn random(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn sniff_due(&self, now: Instant) -> bool {
        let policy = &self.config.sniff;
        if !policy.enabled() {
            return false;
        }
        if self.sniff.in_progress.is_some_and(|t| now.saturating_duration_since(t) < policy.timeout * 2) {
            return false;
        }
        let since_last = self.sniff.last.map(|l| now.saturating_duration_since(l));
        let min_delay_passed = since_last.is_none_or(|d| d >= policy.min_delay);
        if self.sniff.requested {
            // On start: immediately; after a failure: not more often than min_delay.
            return self.sniff.last.is_none() || min_delay_passed;
        }
        match (policy.before_requests, since_last) {
            (Some(_), None) => true,
            (Some(interval), Some(d)) => d >= interval.max(policy.min_delay),
            (None, _) => false,
        }
    }

    /// Equal-jitter backoff before retry `retry` (1-based), at least `retry_after`.
    fn backoff(&mut self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let policy = &self.config.retry;
        let exp = retry.saturating_sub(1).min(30);
        let ceiling = policy.backoff_base.saturating_mul(1u32 << exp).min(policy.backoff_max);
        let half = ceiling / 2;
        let jitter_nanos = if half.is_zero() { 0 } else { self.rng.next_u64() % (half.as_nanos() as u64 + 1) };
        let wait = half + Duration::from_nanos(jitter_nanos);
        match retry_after {
            Some(ra) => wait.max(ra.min(policy.retry_after_max)),
            None => wait,
        }
    }
}

/// Decompresses a gzip body.
#[cfg(feature = "gzip")]
pub(crate) fn gunzip(bytes: &[u8], limit: usize) -> Result<Bytes, Error> {
    use std::io::Read;
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit));
    let mut decoder = flate2::read::GzDecoder::new(bytes).take(limit as u64 + 1);
    decoder.read_to_end(&mut out).map_err(|e| Error::decode(format!("bad gzip body: {e}"), bytes))?;
    if out.len() > limit {
        return Err(Error::decode(format!("decompressed body exceeds the limit of {limit} bytes"), &[]));
    }
    Ok(out.into())
}

/// Compresses a request body.
#[cfg(feature = "gzip")]
pub(crate) fn gzip(bytes: &[u8]) -> Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail").into()
}
