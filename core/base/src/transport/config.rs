//! Transport configuration: plain data, validated once by [`ClientBuilder::build`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::encoding::{base64_decode, base64_encode};
use crate::error::Error;
use crate::media::Compatibility;
use crate::transport::node::{is_valid_host, NodeUrl, RoundRobin, Selector};
use crate::transport::proxy::Proxy;
use crate::transport::sniff::{default_node_filter, SniffedNode};

/// Credentials. `Debug` never prints them.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// HTTP basic authentication.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An API key, as the base64 of `id:key` (what the create-API-key API calls `encoded`).
    ApiKey(String),
    /// A bearer token (service account tokens, OAuth2 access tokens).
    Bearer(String),
}

impl Auth {
    /// Basic authentication.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Auth::Basic { username: username.into(), password: password.into() }
    }

    /// An API key from its id and secret.
    pub fn api_key(id: &str, key: &str) -> Self {
        Auth::ApiKey(base64_encode(format!("{id}:{key}").as_bytes()))
    }

    /// An API key already encoded as base64 of `id:key`.
    pub fn api_key_encoded(encoded: impl Into<String>) -> Self {
        Auth::ApiKey(encoded.into())
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Auth::Bearer(token.into())
    }

    /// The `Authorization` header value, marked sensitive.
    pub fn header_value(&self) -> Result<HeaderValue, Error> {
        let text = match self {
            Auth::Basic { username, password } => {
                format!("Basic {}", base64_encode(format!("{username}:{password}").as_bytes()))
            }
            Auth::ApiKey(k) => format!("ApiKey {k}"),
            Auth::Bearer(t) => format!("Bearer {t}"),
        };
        let mut value = HeaderValue::from_str(&text)
            .map_err(|_| Error::build("credentials contain characters not allowed in a header"))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Basic { username, .. } => {
                f.debug_struct("Basic").field("username", username).field("password", &"<redacted>").finish()
            }
            Auth::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// TLS settings, as data; each runtime applies them to its TLS library.
#[derive(Clone, Default)]
pub struct TlsConfig {
    /// PEM of extra trusted CA certificates (in addition to the roots, or
    /// instead of them when `only_custom_roots`).
    pub ca_pem: Option<Vec<u8>>,
    /// Trust only `ca_pem`, not the bundled web PKI roots.
    pub only_custom_roots: bool,
    /// Use the operating system's trust store instead of the bundled web PKI roots.
    pub native_roots: bool,
    /// SHA-256 of the server's leaf certificate (DER); when set, the
    /// connection is accepted if and only if the certificate matches.
    pub pinned_sha256: Option<[u8; 32]>,
    /// Client certificate chain and private key, as PEM.
    pub client_cert_pem: Option<(Vec<u8>, Vec<u8>)>,
    /// Turns certificate verification off. Dangerous; off by default.
    pub danger_accept_invalid_certs: bool,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca_pem", &self.ca_pem.as_ref().map(|p| p.len()))
            .field("only_custom_roots", &self.only_custom_roots)
            .field("native_roots", &self.native_roots)
            .field("pinned_sha256", &self.pinned_sha256.is_some())
            .field("client_cert", &self.client_cert_pem.is_some())
            .field("danger_accept_invalid_certs", &self.danger_accept_invalid_certs)
            .finish()
    }
}

impl TlsConfig {
    /// Refuses settings that contradict each other or leave nothing to trust,
    /// as a [`Error::Build`]: a pinned fingerprint with
    /// `danger_accept_invalid_certs` (is the pin meant, or no check at all?),
    /// `native_roots` with `only_custom_roots`, and `only_custom_roots`
    /// without `ca_pem` (an empty trust store). `ClientBuilder::build()`
    /// calls it, so every runtime refuses the same settings.
    pub fn check(&self) -> Result<(), Error> {
        if self.pinned_sha256.is_some() && self.danger_accept_invalid_certs {
            return Err(Error::build(
                "tls: a pinned certificate fingerprint and danger_accept_invalid_certs contradict each other: \
                 set one of them",
            ));
        }
        if self.native_roots && self.only_custom_roots {
            return Err(Error::build(
                "tls: native_roots and only_custom_roots contradict each other: trust the operating system's \
                 store or only ca_pem, not both",
            ));
        }
        let verifies_chain = self.pinned_sha256.is_none() && !self.danger_accept_invalid_certs;
        if verifies_chain && self.only_custom_roots && self.ca_pem.is_none() {
            return Err(Error::build("tls: the trust store is empty: only_custom_roots is set but no ca_pem is given"));
        }
        Ok(())
    }
}

/// Retry and backoff policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default: no limit by count, the
    /// `budget` decides).
    pub max_retries: u32,
    /// How long a call keeps retrying transient failures, from its start
    /// (default 2 minutes): no retry starts after it, and a backoff that
    /// would end after it is cut short to one last attempt at the deadline.
    pub budget: Duration,
    /// Statuses that are retried on another node (default 429, 502, 503, 504).
    pub retry_on_status: Vec<u16>,
    /// Retry any request that timed out (default false). Without it, a
    /// timeout is retried only for requests that are safe to repeat and
    /// write by method (`PUT`, `DELETE`, or declared safe): a read that
    /// timed out would most likely time out again.
    pub retry_on_timeout: bool,
    /// First backoff step (default 100 ms); attempt n waits up to `base·2^(n−1)`.
    pub backoff_base: Duration,
    /// Backoff cap (default 10 s). A `Retry-After` larger than this is honoured up to `retry_after_max`.
    pub backoff_max: Duration,
    /// Longest `Retry-After` honoured (default 60 s).
    pub retry_after_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: u32::MAX,
            budget: Duration::from_secs(120),
            retry_on_status: vec![429, 502, 503, 504],
            retry_on_timeout: false,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            retry_after_max: Duration::from_secs(60),
        }
    }
}

/// Sniffing (node discovery) policy.
#[derive(Clone)]
pub struct SniffPolicy {
    /// Sniff before the first request.
    pub on_start: bool,
    /// Sniff again before a request when this long has passed since the last sniff.
    pub before_requests: Option<Duration>,
    /// Sniff after a node failed.
    pub on_node_failure: bool,
    /// Minimum delay between two sniffs (default 10 s).
    pub min_delay: Duration,
    /// Timeout of the sniff request (default 1 s).
    pub timeout: Duration,
    /// Which discovered nodes to use (default: all but master-only nodes).
    pub node_filter: Arc<dyn Fn(&SniffedNode) -> bool + Send + Sync>,
}

impl SniffPolicy {
    /// True when any sniffing is enabled.
    pub fn enabled(&self) -> bool {
        self.on_start || self.before_requests.is_some() || self.on_node_failure
    }
}

impl Default for SniffPolicy {
    fn default() -> Self {
        SniffPolicy {
            on_start: false,
            before_requests: None,
            on_node_failure: false,
            min_delay: Duration::from_secs(10),
            timeout: Duration::from_secs(1),
            node_filter: Arc::new(default_node_filter),
        }
    }
}

impl fmt::Debug for SniffPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SniffPolicy")
            .field("on_start", &self.on_start)
            .field("before_requests", &self.before_requests)
            .field("on_node_failure", &self.on_node_failure)
            .field("min_delay", &self.min_delay)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Validated transport configuration. Build it with [`ClientBuilder`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// Seed nodes.
    pub nodes: Vec<NodeUrl>,
    /// Credentials sent with every request (unless a request overrides them).
    pub auth: Option<Auth>,
    /// Headers sent with every request.
    pub headers: HeaderMap,
    /// `X-Opaque-Id` sent with every request.
    pub opaque_id: Option<String>,
    /// `User-Agent`.
    pub user_agent: String,
    /// `x-elastic-client-meta`; `None` turns it off.
    pub client_meta: Option<String>,
    /// Compatibility media types.
    pub compatibility: Compatibility,
    /// Default timeout of one attempt (default 30 s); `None` waits forever.
    pub request_timeout: Option<Duration>,
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// Dead-node backoff: `min(dead_backoff_factor·2^(n−1), dead_backoff_max)` after n failures.
    pub dead_backoff_factor: Duration,
    /// See `dead_backoff_factor` (default 30 s).
    pub dead_backoff_max: Duration,
    /// Sniffing.
    pub sniff: SniffPolicy,
    /// Check `X-Elastic-Product` on the first successful response (default on).
    pub product_check: bool,
    /// gzip request bodies (default off) ; responses are always accepted gzipped when the feature is on.
    pub compress_requests: bool,
    /// Largest response body accepted, in bytes (default 256 MiB).
    pub max_response_size: usize,
    /// Connections kept per node by pooling runtimes (default 10).
    pub connections_per_node: usize,
    /// TLS settings.
    pub tls: TlsConfig,
    /// The HTTP proxy every request goes through (default none).
    pub proxy: Option<Proxy>,
    /// Seed of the transport's random numbers (backoff jitter, random selector).
    pub seed: u64,
    pub(crate) selector: SelectorFactory,
    /// The node came from a Cloud ID.
    pub cloud: bool,
}

/// Makes a fresh selector for a transport.
#[derive(Clone)]
pub(crate) struct SelectorFactory(pub(crate) Arc<dyn Fn() -> Box<dyn Selector> + Send + Sync>);

impl fmt::Debug for SelectorFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SelectorFactory")
    }
}

impl Config {
    /// A fresh instance of the configured node selector.
    pub fn new_selector(&self) -> Box<dyn Selector> {
        (self.selector.0)()
    }
}

/// Something a [`ClientBuilder`] can build: each runtime's client.
pub trait FromConfig: Sized {
    /// Builds the client from a validated configuration.
    fn from_config(config: Config) -> Result<Self, Error>;
}

/// Builds a client for any runtime. Every setting is plain data; `build`
/// validates the whole and hands it to the runtime.
pub struct ClientBuilder<C> {
    urls: Vec<String>,
    cloud_id: Option<String>,
    config: Config,
    error: Option<Error>,
    _client: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder").field("urls", &self.urls).field("config", &self.config).finish()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> ClientBuilder<C> {
    /// Defaults: no nodes yet, compatibility 9, retries for up to 2 minutes, round-robin.
    pub fn new() -> Self {
        ClientBuilder {
            urls: Vec::new(),
            cloud_id: None,
            config: Config {
                nodes: Vec::new(),
                auth: None,
                headers: HeaderMap::new(),
                opaque_id: None,
                user_agent: format!("elastik/{}", env!("CARGO_PKG_VERSION")),
                client_meta: Some(format!("es={v},t={v}", v = env!("CARGO_PKG_VERSION"))),
                compatibility: Compatibility::V9,
                request_timeout: Some(Duration::from_secs(30)),
                retry: RetryPolicy::default(),
                dead_backoff_factor: Duration::from_secs(1),
                dead_backoff_max: Duration::from_secs(30),
                sniff: SniffPolicy::default(),
                product_check: true,
                compress_requests: false,
                max_response_size: 256 * 1024 * 1024,
                connections_per_node: 10,
                tls: TlsConfig::default(),
                proxy: None,
                seed: 0x5EED_E1A5_71C0_0001,
                selector: SelectorFactory(Arc::new(|| Box::new(RoundRobin::default()))),
                cloud: false,
            },
            error: None,
            _client: PhantomData,
        }
    }

    /// Sends every request through the HTTP proxy at
    /// `http://[user:password@]host:port`: plain requests to it, `https://`
    /// nodes through a `CONNECT` tunnel. Credentials become
    /// `Proxy-Authorization: Basic` and are redacted like node credentials.
    /// Nothing reads proxy environment variables; this is the only way to set one.
    pub fn proxy(mut self, url: &str) -> Self {
        match Proxy::parse(url) {
            Ok(proxy) => self.config.proxy = Some(proxy),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Adds a seed node, e.g. `http://localhost:9200` or `https://user:pw@es:9243/prefix`.
    /// Credentials in the URL become basic auth.
    pub fn node(mut self, url: impl Into<String>) -> Self {
        self.urls.push(url.into());
        self
    }

    /// Adds several seed nodes.
    pub fn nodes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, urls: I) -> Self {
        self.urls.extend(urls.into_iter().map(Into::into));
        self
    }

    /// Connects to Elastic Cloud by Cloud ID (`name:base64(host$es_uuid$kibana_uuid)`).
    pub fn cloud_id(mut self, cloud_id: impl Into<String>) -> Self {
        self.cloud_id = Some(cloud_id.into());
        self
    }

    /// Credentials for every request.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.config.auth = Some(auth);
        self
    }

    /// Basic authentication.
    pub fn basic_auth(self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth(Auth::basic(username, password))
    }

    /// API key from its id and secret.
    pub fn api_key(self, id: &str, key: &str) -> Self {
        self.auth(Auth::api_key(id, key))
    }

    /// API key already encoded (base64 of `id:key`).
    pub fn api_key_encoded(self, encoded: impl Into<String>) -> Self {
        self.auth(Auth::api_key_encoded(encoded))
    }

    /// Bearer token.
    pub fn bearer_auth(self, token: impl Into<String>) -> Self {
        self.auth(Auth::bearer(token))
    }

    /// A header sent with every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(n), Ok(v)) => {
                self.config.headers.append(n, v);
            }
            _ => self.error = Some(Error::build(format!("invalid header {name:?}"))),
        }
        self
    }

    /// `X-Opaque-Id` for every request.
    pub fn opaque_id(mut self, id: impl Into<String>) -> Self {
        self.config.opaque_id = Some(id.into());
        self
    }

    /// Replaces the `User-Agent`.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.config.user_agent = ua.into();
        self
    }

    /// Sets the `x-elastic-client-meta` value (default `es=<version>,t=<version>`,
    /// to which each runtime appends its HTTP library); `None` turns it off.
    pub fn client_meta(mut self, meta: Option<String>) -> Self {
        self.config.client_meta = meta;
        self
    }

    /// Compatibility media types (default `compatible-with=9`).
    pub fn compatibility(mut self, c: Compatibility) -> Self {
        self.config.compatibility = c;
        self
    }

    /// Timeout of each attempt (default 30 s): a `Duration`, or `None` to wait forever.
    pub fn request_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.request_timeout = t.into();
        self
    }

    /// Retries after the first attempt (default: no limit by count).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.config.retry.max_retries = n;
        self
    }

    /// How long a call keeps retrying transient failures (default 2 minutes).
    pub fn retry_budget(mut self, budget: Duration) -> Self {
        self.config.retry.budget = budget;
        self
    }

    /// Statuses to retry.
    pub fn retry_on_status(mut self, statuses: &[u16]) -> Self {
        self.config.retry.retry_on_status = statuses.to_vec();
        self
    }

    /// Retry timed-out requests.
    pub fn retry_on_timeout(mut self, yes: bool) -> Self {
        self.config.retry.retry_on_timeout = yes;
        self
    }

    /// Backoff base and cap.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.config.retry.backoff_base = base;
        self.config.retry.backoff_max = max;
        self
    }

    /// The whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Dead-node backoff factor and cap (default 1 s, 30 s).
    pub fn dead_node_backoff(mut self, factor: Duration, max: Duration) -> Self {
        self.config.dead_backoff_factor = factor;
        self.config.dead_backoff_max = max;
        self
    }

    /// The whole sniffing policy.
    pub fn sniff(mut self, policy: SniffPolicy) -> Self {
        self.config.sniff = policy;
        self
    }

    /// Sniff before the first request.
    pub fn sniff_on_start(mut self, yes: bool) -> Self {
        self.config.sniff.on_start = yes;
        self
    }

    /// Sniff when a node fails.
    pub fn sniff_on_node_failure(mut self, yes: bool) -> Self {
        self.config.sniff.on_node_failure = yes;
        self
    }

    /// Sniff before requests when `interval` has passed since the last sniff
    /// (a `Duration`; `None`, the default, turns it off).
    pub fn sniff_before_requests(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.config.sniff.before_requests = interval.into();
        self
    }

    /// Which sniffed nodes to use.
    pub fn sniff_node_filter(mut self, f: impl Fn(&SniffedNode) -> bool + Send + Sync + 'static) -> Self {
        self.config.sniff.node_filter = Arc::new(f);
        self
    }

    /// Turns the product check off (for Elasticsearch-compatible servers).
    pub fn product_check(mut self, yes: bool) -> Self {
        self.config.product_check = yes;
        self
    }

    /// gzip request bodies.
    pub fn compress_requests(mut self, yes: bool) -> Self {
        self.config.compress_requests = yes;
        self
    }

    /// Largest response body accepted.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.config.max_response_size = bytes;
        self
    }

    /// Connections kept per node.
    pub fn connections_per_node(mut self, n: usize) -> Self {
        self.config.connections_per_node = n.max(1);
        self
    }

    /// TLS settings.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.tls = tls;
        self
    }

    /// Trust these PEM CA certificates in addition to the default roots.
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.config.tls.ca_pem = Some(pem.into());
        self
    }

    /// Accept exactly the server certificate with this SHA-256 fingerprint
    /// (hex, with or without colons).
    pub fn ssl_assert_fingerprint(mut self, hex: &str) -> Self {
        match parse_fingerprint(hex) {
            Some(f) => self.config.tls.pinned_sha256 = Some(f),
            None => self.error = Some(Error::build("a SHA-256 fingerprint is 64 hex digits")),
        }
        self
    }

    /// Present this client certificate (PEM chain, PEM private key).
    pub fn client_certificate_pem(mut self, chain: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        self.config.tls.client_cert_pem = Some((chain.into(), key.into()));
        self
    }

    /// Picks nodes with this selector (default round-robin).
    pub fn selector<S: Selector + Clone + 'static>(mut self, selector: S) -> Self {
        self.config.selector = SelectorFactory(Arc::new(move || Box::new(selector.clone())));
        self
    }

    /// Seed of the random numbers (jitter, random selector): the same seed replays the same decisions.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Validates the settings into a [`Config`].
    pub fn into_config(mut self) -> Result<Config, Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if let Some(id) = &self.cloud_id {
            if !self.urls.is_empty() {
                return Err(Error::build("give either nodes or a Cloud ID, not both"));
            }
            self.urls.push(parse_cloud_id(id)?);
            self.config.cloud = true;
            if self.config.sniff.enabled() {
                return Err(Error::build("sniffing cannot be used with a Cloud ID"));
            }
            self.config.compress_requests = true;
        }
        if self.urls.is_empty() {
            return Err(Error::build("no node given"));
        }
        for url in &self.urls {
            let (node, auth) = NodeUrl::parse_with_credentials(url)?;
            if let (Some(a), None) = (auth, &self.config.auth) {
                self.config.auth = Some(a);
            }
            self.config.nodes.push(node);
        }
        self.config.tls.check()?;
        // Values that become headers: refused here rather than left out of
        // every request (a dropped `Authorization` would only show as a 401).
        if let Some(auth) = &self.config.auth {
            auth.header_value()?;
        }
        for (what, value) in
            [("user agent", Some(&self.config.user_agent)), ("opaque id", self.config.opaque_id.as_ref())]
        {
            if value.is_some_and(|v| HeaderValue::from_str(v).is_err()) {
                return Err(Error::build(format!("the {what} has characters not allowed in a header")));
            }
        }
        Ok(self.config)
    }

    /// Builds the client.
    pub fn build(self) -> Result<C, Error>
    where
        C: FromConfig,
    {
        C::from_config(self.into_config()?)
    }
}

/// Decodes a Cloud ID into the Elasticsearch URL.
pub fn parse_cloud_id(cloud_id: &str) -> Result<String, Error> {
    let invalid = || Error::build("invalid Cloud ID: expected name:base64(host$es_uuid$kibana_uuid)");
    let encoded = cloud_id.split_once(':').map(|(_, e)| e).ok_or_else(invalid)?;
    let decoded = base64_decode(encoded).ok_or_else(invalid)?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let mut parts = decoded.split('$');
    let host = parts.next().filter(|h| !h.is_empty()).ok_or_else(invalid)?;
    let es_uuid = parts.next().filter(|h| !h.is_empty()).ok_or_else(invalid)?;
    let (host, port) = match host.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, p),
        _ => (host, "443"),
    };
    // Both become a host name: anything else (`@`, `/`, `:`) would change
    // which host the URL names.
    let dns_name = |s: &str| !s.contains(':') && is_valid_host(s);
    if !dns_name(host) || !dns_name(es_uuid) {
        return Err(invalid());
    }
    Ok(format!("https://{es_uuid}.{host}:{port}"))
}

fn parse_fingerprint(hex: &str) -> Option<[u8; 32]> {
    let digits: Vec<u8> = hex.bytes().filter(|b| *b != b':').collect();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in digits.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;

    #[test]
    fn cloud_id_decodes_with_and_without_port() {
        let id = format!("name:{}", base64_encode(b"us-east-1.aws.found.io$abc$def"));
        assert_eq!(parse_cloud_id(&id).unwrap(), "https://abc.us-east-1.aws.found.io:443");
        let id = format!("name:{}", base64_encode(b"example.com:9243$abc$def"));
        assert_eq!(parse_cloud_id(&id).unwrap(), "https://abc.example.com:9243");
        assert!(parse_cloud_id("garbage").is_err());
        assert!(parse_cloud_id("x:!!!").is_err());
        assert!(parse_cloud_id(&format!("x:{}", base64_encode(b"hostonly"))).is_err());
    }

    #[test]
    fn contradictory_tls_settings_are_refused_by_build() {
        let build =
            |tls: TlsConfig| ClientBuilder::<Nothing>::new().node("https://x:9200").tls(tls).into_config().map(|_| ());
        let pin_and_danger =
            TlsConfig { pinned_sha256: Some([1; 32]), danger_accept_invalid_certs: true, ..TlsConfig::default() };
        let msg = build(pin_and_danger).unwrap_err().to_string();
        assert!(msg.contains("pinned") && msg.contains("danger_accept_invalid_certs"), "{msg}");
        let native_and_custom = TlsConfig {
            native_roots: true,
            only_custom_roots: true,
            ca_pem: Some(b"x".to_vec()),
            ..TlsConfig::default()
        };
        let msg = build(native_and_custom).unwrap_err().to_string();
        assert!(msg.contains("native_roots") && msg.contains("only_custom_roots"), "{msg}");
        let empty = TlsConfig { only_custom_roots: true, ..TlsConfig::default() };
        assert!(build(empty).unwrap_err().to_string().contains("empty"));
        // Each alone is fine.
        assert!(build(TlsConfig { pinned_sha256: Some([1; 32]), ..TlsConfig::default() }).is_ok());
        assert!(build(TlsConfig { danger_accept_invalid_certs: true, ..TlsConfig::default() }).is_ok());
        assert!(build(TlsConfig { native_roots: true, ..TlsConfig::default() }).is_ok());
        let custom = TlsConfig { only_custom_roots: true, ca_pem: Some(b"x".to_vec()), ..TlsConfig::default() };
        assert!(build(custom).is_ok());
    }

    #[test]
    fn cloud_id_refuses_sniffing_and_urls() {
        let id = format!("name:{}", base64_encode(b"example.com$abc$def"));
        let b = ClientBuilder::<Nothing>::new().cloud_id(&id).sniff_on_start(true);
        assert!(b.into_config().unwrap_err().to_string().contains("sniffing"));
        let b = ClientBuilder::<Nothing>::new().cloud_id(&id).node("http://x:9200");
        assert!(b.into_config().is_err());
        let c = ClientBuilder::<Nothing>::new().cloud_id(&id).into_config().unwrap();
        assert_eq!(c.nodes[0].to_string(), "https://abc.example.com:443");
    }

    #[test]
    fn credentials_are_never_in_debug() {
        let b = ClientBuilder::<Nothing>::new().node("http://elastic:s3cr3t@localhost:9200").into_config().unwrap();
        let dbg = format!("{b:?}");
        assert!(!dbg.contains("s3cr3t"), "{dbg}");
        assert!(matches!(b.auth, Some(Auth::Basic { .. })));
        for auth in [Auth::basic("u", "s3cr3t"), Auth::api_key("id", "s3cr3t"), Auth::bearer("s3cr3t")] {
            assert!(!format!("{auth:?}").contains("s3cr3t"));
            assert!(!format!("{auth:?}").contains(&base64_encode(b"id:s3cr3t")));
        }
    }

    #[test]
    fn auth_headers() {
        assert_eq!(Auth::basic("u", "p").header_value().unwrap(), "Basic dTpw");
        assert_eq!(Auth::api_key("id", "key").header_value().unwrap(), "ApiKey aWQ6a2V5");
        assert_eq!(Auth::bearer("t").header_value().unwrap(), "Bearer t");
        assert!(Auth::bearer("t").header_value().unwrap().is_sensitive());
    }

    #[test]
    fn fingerprints_parse() {
        let hex = "AB".repeat(32);
        assert_eq!(parse_fingerprint(&hex), Some([0xAB; 32]));
        let colons = vec!["ab"; 32].join(":");
        assert_eq!(parse_fingerprint(&colons), Some([0xAB; 32]));
        assert_eq!(parse_fingerprint("abc"), None);
        assert!(ClientBuilder::<Nothing>::new().node("http://x:1").ssl_assert_fingerprint("zz").into_config().is_err());
    }

    #[test]
    fn no_nodes_is_an_error() {
        assert!(ClientBuilder::<Nothing>::new().into_config().is_err());
        assert!(ClientBuilder::<Nothing>::new().node("ftp://x").into_config().is_err());
    }
}
