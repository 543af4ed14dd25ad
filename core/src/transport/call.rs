//! One request's life: pick a node, send, read the outcome, retry or finish.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, Method, StatusCode};

use crate::body::Body;
use crate::endpoint::UrlMethods;
use crate::error::{
    Attempt, AttemptOutcome, Error, IoError, IoErrorKind, PriorAttempts, TransportError, UnsupportedProduct,
};
use crate::machine::Step;
use crate::media;
use crate::transport::node::NodeId;
use crate::transport::sniff::{parse_nodes, SNIFF_PATH};
use crate::transport::RequestOptions;
use crate::transport::Transport;

/// One HTTP exchange to perform.
#[derive(Debug)]
pub struct SendRequest {
    /// The complete request: absolute URI, every header, the body as bytes.
    pub request: http::Request<Bytes>,
    /// Give up on the exchange after this long (connect through last body byte).
    pub timeout: Option<Duration>,
    /// Largest response body to read; beyond it report [`IoErrorKind::BodyTooLarge`].
    pub max_response_size: usize,
    /// The node it goes to.
    pub node: NodeId,
}

/// What a runtime puts on the request's tracing span (OpenTelemetry names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFields {
    /// `db.operation.name`: the endpoint id.
    pub operation: &'static str,
    /// `http.request.method`.
    pub method: Method,
    /// `url.full` of the last attempt (the core's URLs never hold credentials).
    pub url_full: Option<String>,
    /// `server.address` of the last attempt.
    pub server_address: Option<String>,
    /// `server.port` of the last attempt.
    pub server_port: Option<u16>,
    /// Retries made so far.
    pub retries: u32,
}

/// One request in flight. Drive it with [`Call::poll`] and [`Call::handle`]
/// (the core's one contract, [`crate::machine`]).
#[derive(Debug)]
pub struct Call {
    endpoint_id: &'static str,
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
    options: RequestOptions,
    state: State,
    attempts: Vec<Attempt>,
    /// Retries used (a 406 fallback is not a retry).
    retries: u32,
    tried: Vec<NodeId>,
    last_url: Option<(String, String, u16)>,
    /// This call only sniffs (background sniffing).
    sniff_only: bool,
    /// The methods the URL accepts by the specification (empty: unknown).
    url_methods: &'static [&'static str],
    /// The method the request was built with (`method` may differ: learnt
    /// from an earlier refusal, or switched after one).
    built_method: Method,
    /// The server's refusal of the first method, kept while another method
    /// is tried: it is the answer when the other method fails too.
    refused: Option<http::Response<Bytes>>,
    /// When the call started: its retry budget runs from here.
    started: Instant,
}

#[derive(Debug)]
enum State {
    /// Decide whether to sniff first, then send.
    Start,
    /// A sniff request is out.
    Sniffing(NodeId),
    /// Ready to pick a node and send.
    Ready,
    /// Waiting for the outcome of an attempt.
    Sending { node: NodeId, compat: bool },
    /// Backing off until the instant.
    Backoff(Instant),
    /// Finished; the result is handed out once.
    Done(Option<Result<http::Response<Bytes>, Error>>),
}

impl Call {
    pub(crate) fn new(
        transport: &mut Transport,
        endpoint_id: &'static str,
        request: http::Request<Body>,
        options: RequestOptions,
        now: Instant,
    ) -> Self {
        let (parts, body) = request.into_parts();
        let url_methods = parts.extensions.get::<UrlMethods>().map_or(&[][..], |m| m.0);
        let built_method = parts.method.clone();
        let method = match transport.preferred_method(endpoint_id, &parts.method) {
            Some(m) if url_methods.contains(&m.as_str()) => m.clone(),
            _ => parts.method,
        };
        let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
        let mut headers = parts.headers;
        if let (Some(ct), false) = (body.content_type(), headers.contains_key(CONTENT_TYPE)) {
            if let Ok(v) = HeaderValue::from_str(ct) {
                headers.insert(CONTENT_TYPE, v);
            }
        }
        let mut body = body.bytes();
        #[cfg(feature = "gzip")]
        if transport.config.compress_requests && !body.is_empty() {
            body = super::gzip(&body);
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        #[cfg(not(feature = "gzip"))]
        let _ = &transport;
        Call {
            endpoint_id,
            method,
            path_and_query,
            headers,
            body,
            options,
            state: State::Start,
            attempts: Vec::new(),
            retries: 0,
            tried: Vec::new(),
            last_url: None,
            sniff_only: false,
            url_methods,
            built_method,
            refused: None,
            started: now,
        }
    }

    pub(crate) fn sniff_only(transport: &mut Transport, now: Instant) -> Self {
        let mut call = Call::new(
            transport,
            "nodes.info",
            http::Request::builder().method(Method::GET).uri(SNIFF_PATH).body(Body::Empty).expect("static request"),
            RequestOptions::default(),
            now,
        );
        call.sniff_only = true;
        call
    }

    /// The endpoint id this call serves.
    pub fn endpoint_id(&self) -> &'static str {
        self.endpoint_id
    }

    /// Every failed attempt so far.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The fields a runtime records on the call's tracing span.
    pub fn trace_fields(&self) -> TraceFields {
        TraceFields {
            operation: self.endpoint_id,
            method: self.method.clone(),
            url_full: self.last_url.as_ref().map(|u| u.0.clone()),
            server_address: self.last_url.as_ref().map(|u| u.1.clone()),
            server_port: self.last_url.as_ref().map(|u| u.2),
            retries: self.retries,
        }
    }

    /// What to do next.
    /// What to do next: send an exchange, wait out a backoff, emit the
    /// call's one result; then `Done`.
    pub fn poll(
        &mut self,
        transport: &mut Transport,
        now: Instant,
    ) -> Step<SendRequest, Result<http::Response<Bytes>, Error>> {
        loop {
            match &mut self.state {
                State::Start => {
                    if self.sniff_only || transport.sniff_due(now) {
                        if let Some(node) = transport.pool.select(now, transport.rng.next_u64(), &[]) {
                            transport.sniff.in_progress = Some(now);
                            transport.sniff.requested = false;
                            self.state = State::Sniffing(node);
                            return Step::Send(self.sniff_request(transport, node));
                        }
                    }
                    if self.sniff_only {
                        return self.finish(Err(Error::build("the node pool is empty")));
                    }
                    self.state = State::Ready;
                }
                State::Ready => {
                    let random = transport.rng.next_u64();
                    let Some(node) = transport.pool.select(now, random, &self.tried) else {
                        return self.finish(Err(Error::build("the node pool is empty")));
                    };
                    return Step::Send(self.attempt(transport, node));
                }
                State::Backoff(until) => {
                    if now < *until {
                        return Step::Wait(Some(*until));
                    }
                    self.state = State::Ready;
                }
                State::Sniffing(_) | State::Sending { .. } => {
                    // Polled before the outcome came back: nothing to do before it.
                    return Step::Wait(None);
                }
                State::Done(result) => {
                    let mut result = result.take();
                    if let Some(Ok(response)) = &mut result {
                        // An error answer keeps the attempts before it (e.g.
                        // 503s until the retries ran out) for its `ApiError`.
                        if response.status().as_u16() >= 400 && !self.attempts.is_empty() {
                            response.extensions_mut().insert(PriorAttempts(self.attempts.clone()));
                        }
                    }
                    return result.map_or(Step::Done, Step::Emit);
                }
            }
        }
    }

    /// Reports the outcome of the last [`Step::Send`].
    pub fn handle(&mut self, transport: &mut Transport, outcome: Result<http::Response<Bytes>, IoError>, now: Instant) {
        match std::mem::replace(&mut self.state, State::Ready) {
            State::Sniffing(node) => self.handle_sniff(transport, node, outcome, now),
            State::Sending { node, compat } => self.handle_attempt(transport, node, compat, outcome, now),
            other => self.state = other,
        }
    }

    fn handle_sniff(
        &mut self,
        transport: &mut Transport,
        node: NodeId,
        outcome: Result<http::Response<Bytes>, IoError>,
        now: Instant,
    ) {
        transport.sniff.in_progress = None;
        transport.sniff.last = Some(now);
        let url = transport.pool.get(node).map(|n| n.url.clone());
        match outcome {
            Ok(response) if response.status().is_success() => {
                let body = decompress(response, transport.config.max_response_size).map(|r| r.into_body());
                if let (Ok(body), Some(url)) = (body, url) {
                    if let Ok(nodes) = parse_nodes(&body, url.scheme(), url.prefix()) {
                        let filter = transport.config.sniff.node_filter.clone();
                        let urls: Vec<_> = nodes.into_iter().filter(|n| filter(n)).map(|n| n.url).collect();
                        transport.pool.replace(urls);
                    }
                }
            }
            Ok(_) => {}
            Err(_) => transport.pool.mark_dead(node, now),
        }
        self.state = if self.sniff_only { State::Done(Some(Ok(empty_ok()))) } else { State::Ready };
    }

    fn handle_attempt(
        &mut self,
        transport: &mut Transport,
        node: NodeId,
        compat_sent: bool,
        outcome: Result<http::Response<Bytes>, IoError>,
        now: Instant,
    ) {
        let node_url = transport.pool.get(node).map(|n| n.url.to_string()).unwrap_or_default();
        match outcome {
            Ok(response) => {
                let response = match decompress(response, transport.config.max_response_size) {
                    Ok(r) => r,
                    Err(e) => return self.state = State::Done(Some(Err(e))),
                };
                let status = response.status();
                if status == StatusCode::NOT_ACCEPTABLE && compat_sent {
                    // The server refuses compatibility media types: plain ones for this node from now on.
                    transport.pool.set_plain_media_types(node);
                    self.state = State::Ready;
                    self.tried.retain(|n| *n != node);
                    return;
                }
                if transport.config.retry.retry_on_status.contains(&status.as_u16()) {
                    self.attempts.push(Attempt { node: node_url, outcome: AttemptOutcome::Status(status.as_u16()) });
                    if status != StatusCode::TOO_MANY_REQUESTS {
                        transport.pool.mark_dead(node, now);
                    } else {
                        transport.pool.mark_alive(node);
                    }
                    if let Some(wait) = self.next_retry(transport, retry_after(response.headers()), now) {
                        self.state = State::Backoff(now + wait);
                    } else {
                        // Out of retries: the last answer is the result (decoded as an API error).
                        self.state = State::Done(Some(Ok(response)));
                    }
                    return;
                }
                transport.pool.mark_alive(node);
                if self.refused.is_none() {
                    if let Some(method) = self.other_method(&response) {
                        // The server does not route this method for the URL (it
                        // did not run the request): same node, other method,
                        // not a retry.
                        self.attempts
                            .push(Attempt { node: node_url, outcome: AttemptOutcome::Status(status.as_u16()) });
                        self.method = method;
                        self.refused = Some(response);
                        self.tried.retain(|n| *n != node);
                        return;
                    }
                }
                let response = match self.refused.take() {
                    // The other method failed too: report the answer to the request as written.
                    Some(first) if !status.is_success() => first,
                    Some(_) => {
                        transport.prefer_method(self.endpoint_id, self.built_method.clone(), self.method.clone());
                        response
                    }
                    None => response,
                };
                let status = response.status();
                if status.is_success() && transport.config.product_check && !transport.product_verified {
                    let product = response.headers().get("x-elastic-product").and_then(|v| v.to_str().ok());
                    if product != Some("Elasticsearch") {
                        let product = product.map(str::to_owned);
                        self.state = State::Done(Some(Err(Error::UnsupportedProduct(UnsupportedProduct { product }))));
                        return;
                    }
                    transport.product_verified = true;
                }
                self.state = State::Done(Some(Ok(response)));
            }
            Err(error) => {
                transport.pool.mark_dead(node, now);
                if transport.config.sniff.on_node_failure {
                    transport.sniff.requested = true;
                }
                let kind = error.kind;
                let sent = error.request_sent;
                self.attempts.push(Attempt { node: node_url.clone(), outcome: AttemptOutcome::Io(error) });
                let retryable = match kind {
                    IoErrorKind::BodyTooLarge => false,
                    // A refused certificate or handshake does not heal with
                    // time: another node may be configured differently, so
                    // each node gets one chance, and no more.
                    IoErrorKind::Tls => self.tls_failures() < transport.pool.nodes().len(),
                    IoErrorKind::Timeout => transport.config.retry.retry_on_timeout || self.timeout_retry_safe(),
                    _ if !sent => true,
                    _ => self.retry_safe(),
                };
                let wait = if retryable { self.next_retry(transport, None, now) } else { None };
                if let Some(wait) = wait {
                    self.state = State::Backoff(now + wait);
                } else {
                    let reason = if !retryable {
                        match kind {
                            IoErrorKind::Timeout => {
                                "request timed out, it may have been applied, and retry_on_timeout is off".to_owned()
                            }
                            IoErrorKind::BodyTooLarge => "response body too large".to_owned(),
                            IoErrorKind::Tls => "TLS failed on every node; not retried".to_owned(),
                            _ => "connection failed after the request was sent, and it is not safe to retry".to_owned(),
                        }
                    } else if self.retries >= self.max_retries(transport) {
                        format!("gave up after {} retries", self.retries)
                    } else {
                        format!("gave up after {} retries: the retry budget ran out", self.retries)
                    };
                    let err = TransportError { kind, node: node_url, attempts: self.attempts.clone(), reason };
                    self.state = State::Done(Some(Err(Error::Transport(Box::new(err)))));
                }
            }
        }
    }

    /// Another method the URL accepts, when `response` refuses the one sent
    /// for the URL: `405` (limited to its `Allow` header when present), or
    /// `400` "no handler found for uri" (Elasticsearch's answer when no
    /// route matches the method and path).
    fn other_method(&self, response: &http::Response<Bytes>) -> Option<Method> {
        let refused = match response.status() {
            StatusCode::METHOD_NOT_ALLOWED => true,
            StatusCode::BAD_REQUEST => {
                response.body().len() < 4096 && contains(response.body(), b"no handler found for uri")
            }
            _ => false,
        };
        if !refused || self.url_methods.is_empty() {
            return None;
        }
        let allow: Option<Vec<String>> = response
            .headers()
            .get(http::header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').map(|m| m.trim().to_ascii_uppercase()).filter(|m| !m.is_empty()).collect());
        self.url_methods
            .iter()
            .filter(|m| **m != self.method.as_str())
            .filter(|m| allow.as_ref().is_none_or(|a| a.iter().any(|x| x == *m)))
            .find_map(|m| Method::from_bytes(m.as_bytes()).ok())
    }

    fn max_retries(&self, transport: &Transport) -> u32 {
        self.options.max_retries.unwrap_or(transport.config.retry.max_retries)
    }

    /// The wait before the next retry, counting it, or `None` when the
    /// retries ran out: by count, or by time (no retry starts after the
    /// budget; a backoff that would end after it is cut to end there).
    fn next_retry(
        &mut self,
        transport: &mut Transport,
        retry_after: Option<Duration>,
        now: Instant,
    ) -> Option<Duration> {
        let budget = self.options.retry_budget.unwrap_or(transport.config.retry.budget);
        let deadline = self.started.checked_add(budget).unwrap_or(now + FAR);
        if self.retries >= self.max_retries(transport) || now >= deadline {
            return None;
        }
        self.retries += 1;
        let wait = transport.backoff(self.retries, retry_after);
        Some(wait.min(deadline - now))
    }

    /// How many attempts of this call failed in TLS (certificate or handshake).
    fn tls_failures(&self) -> usize {
        self.attempts
            .iter()
            .filter(|a| matches!(&a.outcome, AttemptOutcome::Io(e) if e.kind == IoErrorKind::Tls))
            .count()
    }

    /// A request that may have reached the server is retried only when
    /// repeating it changes nothing: by the caller's word, or by its method
    /// and endpoint.
    fn retry_safe(&self) -> bool {
        if let Some(safe) = self.options.retry_safe {
            return safe;
        }
        if NOT_IDEMPOTENT_ENDPOINTS.contains(&self.endpoint_id) {
            return false;
        }
        match self.method {
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE => true,
            Method::POST => READ_ONLY_POST_ENDPOINTS.contains(&self.endpoint_id),
            _ => false,
        }
    }

    /// A timeout is retried without `retry_on_timeout` only for a write
    /// that is safe to repeat (`PUT`, `DELETE`, or declared safe):
    /// repeating it cannot apply it twice, and giving up would leave it
    /// unconfirmed. A read that timed out is not retried by default: it
    /// would most likely time out again.
    fn timeout_retry_safe(&self) -> bool {
        match self.options.retry_safe {
            Some(safe) => safe,
            None => matches!(self.method, Method::PUT | Method::DELETE) && self.retry_safe(),
        }
    }

    fn attempt(&mut self, transport: &mut Transport, node: NodeId) -> SendRequest {
        let n = transport.pool.get(node).expect("selected node is in the pool");
        let compat = transport.config.compatibility.version().filter(|_| !n.plain_media_types);
        let url = n.url.join(&self.path_and_query);
        self.last_url = Some((url.clone(), n.url.host().to_owned(), n.url.port()));
        let mut headers = transport.base_headers.clone();
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        // Per-request headers go in before the compatibility rewrite, so a
        // caller's `Content-Type: application/json` gets the same
        // compatibility form as the `Accept` beside it (the server refuses a
        // compatible version on one of them only), as the Python client does.
        for (name, value) in &self.options.headers {
            headers.insert(name.clone(), value.clone());
        }
        let mut compat_sent = false;
        if let Some(version) = compat {
            for name in [ACCEPT, CONTENT_TYPE] {
                let rewritten = headers
                    .get(&name)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| media::compatible(v, version))
                    .and_then(|v| HeaderValue::from_str(&v).ok());
                if let Some(v) = rewritten {
                    headers.insert(name, v);
                    compat_sent = true;
                }
            }
        }
        self.apply_options(&mut headers);
        self.tried.push(node);
        self.state = State::Sending { node, compat: compat_sent };
        let timeout = self.options.timeout.unwrap_or(transport.config.request_timeout);
        SendRequest {
            request: make_request(&self.method, &url, headers, self.body.clone()),
            timeout,
            max_response_size: transport.config.max_response_size,
            node,
        }
    }

    fn sniff_request(&mut self, transport: &mut Transport, node: NodeId) -> SendRequest {
        let n = transport.pool.get(node).expect("selected node is in the pool");
        let url = n.url.join(SNIFF_PATH);
        let mut headers = transport.base_headers.clone();
        headers.insert(ACCEPT, HeaderValue::from_static(media::JSON));
        SendRequest {
            request: make_request(&Method::GET, &url, headers, Bytes::new()),
            timeout: Some(transport.config.sniff.timeout),
            max_response_size: transport.config.max_response_size,
            node,
        }
    }

    fn apply_options(&self, headers: &mut HeaderMap) {
        if let Some(v) = self.options.opaque_id.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(HeaderName::from_static("x-opaque-id"), v);
        }
        if let Some(v) = self.options.auth.as_ref().and_then(|a| a.header_value().ok()) {
            headers.insert(AUTHORIZATION, v);
        }
    }

    fn finish(
        &mut self,
        result: Result<http::Response<Bytes>, Error>,
    ) -> Step<SendRequest, Result<http::Response<Bytes>, Error>> {
        self.state = State::Done(None);
        Step::Emit(result)
    }
}

/// Endpoints that may be sent with an idempotent-looking method (`PUT`)
/// but are not safe to repeat: a bulk request may hold operations without
/// ids (the bulk helper decides per operation instead).
const NOT_IDEMPOTENT_ENDPOINTS: &[&str] = &["bulk", "monitoring.bulk"];

/// Far enough to stand for "no deadline".
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// POST endpoints that only read: retrying them after a broken connection is harmless.
const READ_ONLY_POST_ENDPOINTS: &[&str] = &[
    "search",
    "msearch",
    "count",
    "search_template",
    "msearch_template",
    "mget",
    "field_caps",
    "explain",
    "scroll",
    "termvectors",
    "mtermvectors",
    "terms_enum",
    "knn_search",
    "rank_eval",
    "render_search_template",
    "indices.validate_query",
    "indices.analyze",
    "esql.query",
    "sql.query",
    "sql.translate",
    "eql.search",
    "async_search.submit",
    "search_mvt",
    "open_point_in_time",
    "nodes.info",
    "info",
    "ping",
];

fn make_request(method: &Method, url: &str, headers: HeaderMap, body: Bytes) -> http::Request<Bytes> {
    let mut request = http::Request::new(body);
    *request.method_mut() = method.clone();
    // Node URLs and encoded paths always make a valid URI.
    *request.uri_mut() = url.parse().unwrap_or_else(|_| http::Uri::from_static("/"));
    *request.headers_mut() = headers;
    request
}

/// Decompresses a gzip response and enforces the size limit.
fn decompress(response: http::Response<Bytes>, limit: usize) -> Result<http::Response<Bytes>, Error> {
    if response.body().len() > limit {
        return Err(Error::decode(format!("response body exceeds the limit of {limit} bytes"), &[]));
    }
    let gzipped = response
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    if !gzipped {
        return Ok(response);
    }
    #[cfg(feature = "gzip")]
    {
        let (mut parts, body) = response.into_parts();
        let body = super::gunzip(&body, limit)?;
        parts.headers.remove(CONTENT_ENCODING);
        parts.headers.remove(http::header::CONTENT_LENGTH);
        Ok(http::Response::from_parts(parts, body))
    }
    #[cfg(not(feature = "gzip"))]
    Err(Error::decode("gzip response but the gzip feature is off", &[]))
}

/// `Retry-After` in seconds (HTTP dates are ignored: the core has no wall clock).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn empty_ok() -> http::Response<Bytes> {
    http::Response::new(Bytes::new())
}
