//! # elastik-testkit
//!
//! What every runtime's integration tests share, with the standard library
//! only (threads and `std::net`), so async and blocking tests alike can use it:
//!
//! - the URLs of the real test servers that `scripts/test.sh` starts
//!   ([`noida_urls`], [`test_url`], [`osmem_url`]); when a variable is absent
//!   the helper prints why and returns `None`, and the test returns early;
//! - [`FaultProxy`]: an HTTP/1.1 proxy in front of a real server that injects
//!   one [`Fault`] per request from a queue and logs every request;
//! - [`ForwardProxy`]: an HTTP forward proxy (absolute-form requests and
//!   `CONNECT` tunnels, optional basic credentials) that logs what it carries;
//! - [`StubServer`]: a tiny HTTP/1.1 server answering canned responses;
//! - [`TlsServer`]: an HTTPS server with a certificate from a fresh CA;
//! - [`closed_port_url`]: a URL where nothing listens.
//!
//! Not in scope: TLS beyond [`TlsServer`]'s one answer (the TLS suites run
//! their own servers; the forward proxy tunnels TLS without looking inside), HTTP/2,
//! `Expect: 100-continue`, anything but loopback addresses.

mod attempts;
mod http1;
mod proxy;
pub mod recorded;
mod tls;

pub use proxy::{ForwardProxy, ProxyOutcome, ProxyRecord};
pub use tls::TlsServer;

use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use http1::{read_body, read_head, request_framing, response_framing, write_response, Message};

/// The three noida-db URLs of `ELASTIK_TEST_NOIDA_URLS` (comma-separated).
pub fn noida_urls() -> Option<Vec<String>> {
    let urls: Vec<String> = env_var("ELASTIK_TEST_NOIDA_URLS")?
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    (!urls.is_empty()).then_some(urls)
}

/// The main test server's URL, `ELASTIK_TEST_URL` (a noida-db).
pub fn test_url() -> Option<String> {
    env_var("ELASTIK_TEST_URL")
}

/// The osmem-server URL, `ELASTIK_TEST_OSMEM_URL` (OpenSearch-like; answers
/// 406 to compatibility media types).
pub fn osmem_url() -> Option<String> {
    env_var("ELASTIK_TEST_OSMEM_URL")
}

/// An `http://127.0.0.1:PORT` URL where nothing listens (connections are refused).
///
/// The port is a privileged one (below 1024) found refusing connections: the
/// kernel never hands those out for `bind(…:0)`, so a server started by a
/// parallel test cannot take it over (a freed ephemeral port could be).
pub fn closed_port_url() -> String {
    let refused = (1..1024u16).find(|port| {
        let addr = SocketAddr::from(([127, 0, 0, 1], *port));
        matches!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)), Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused)
    });
    let port = refused.expect("a privileged port on 127.0.0.1 that refuses connections");
    format!("http://127.0.0.1:{port}")
}

/// A lowercase name no other test (in this or another process) uses, for indices.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{}-{}-{n}-{nanos}", prefix.to_ascii_lowercase(), std::process::id())
}

fn env_var(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Some(v.trim().to_owned()),
        _ => {
            note(format!("skipped: {name} not set (run scripts/test.sh)"));
            None
        }
    }
}

/// Prints `line` and, when `ELASTIK_TEST_NOTES` names a file (scripts/test.sh
/// sets it), appends it there with the test binary's name, so the test
/// script's closing lines list every skip and expected failure without
/// `--nocapture`.
pub fn note(line: impl AsRef<str>) {
    let line = line.as_ref();
    println!("{line}");
    let Some(path) = std::env::var_os("ELASTIK_TEST_NOTES").filter(|p| !p.is_empty()) else { return };
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|s| s.rsplit_once('-').map(|(name, _hash)| name.to_owned()).unwrap_or(s))
        .unwrap_or_default();
    let test = std::thread::current().name().unwrap_or("").to_owned();
    let entry = format!("{binary} {test}: {line}\n");
    use std::io::Write;
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(entry.as_bytes());
    }
}

/// What the [`FaultProxy`] does to one request instead of forwarding it plainly.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with a small JSON error body, without forwarding.
    Status(u16),
    /// Like `Status`, with `Retry-After: secs`.
    StatusRetryAfter(u16, u64),
    /// Read the whole request, then close the connection without answering.
    ResetBeforeResponse,
    /// Forward, send the response head (with its `Content-Length`), then close.
    ResetAfterHeaders,
    /// Read the request, wait this long, then forward it (the client has
    /// usually given up by then).
    Stall(Duration),
    /// Forward, send the head and half the body, then close.
    TruncatedBody,
    /// Forward, send the response head and half the body, then go silent
    /// for this long (the connection stays open), then close.
    StallBody(Duration),
    /// Answer bytes that are not HTTP at all, then close.
    Garbage,
    /// Answer 200 with a body that is not valid JSON, without forwarding.
    InvalidJson,
    /// Close the connection as soon as the request head arrived (body unread).
    Close,
    /// Forward the request plainly: a queue entry without a fault, so that a
    /// queue can hold a (seeded) random sequence of faults and passes.
    Pass,
    /// Forward a `_bulk` request, then rewrite the answer as an overloaded
    /// node would: item `i` whose status is 2xx becomes `status` (with an
    /// `es_rejected_execution_exception` error) when `i % every == offset`,
    /// and `errors` becomes true. The request goes upstream without
    /// `Accept-Encoding`, so that the answer can be read. Answers that have
    /// no `items` are forwarded unchanged. The rewritten items *were*
    /// applied upstream: a client that retries them must be idempotent
    /// (ids given) to leave no duplicate.
    RewriteBulkItems {
        /// The status of the rewritten items (429 for a rejection).
        status: u16,
        /// Rewrite one item in `every` (at least 1).
        every: usize,
        /// Which one of each `every`.
        offset: usize,
    },
    /// Forward the request (so the server applies it), read the answer,
    /// then close the connection without sending a byte of it: the client
    /// cannot tell whether the request was applied.
    ResetAfterForward,
    /// Take some operations out of a `_bulk` request before forwarding it
    /// (each with `per_mille` chance, drawn from `seed`), and answer them
    /// with a `status` item (`es_rejected_execution_exception`) in their
    /// place: unlike [`Fault::RewriteBulkItems`], a rejected item was not
    /// applied, as with a real overloaded node. A body it cannot read is
    /// forwarded as is. See [`FaultMix`] for seeded plans of faults.
    RejectBulkItems {
        /// The status of the rejected items (429 for a rejection).
        status: u16,
        /// The chance of each item, per mille.
        per_mille: u32,
        /// The seed of the choice.
        seed: u64,
    },
}

/// One request the proxy or stub received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The method.
    pub method: String,
    /// The path with its query string.
    pub path: String,
    /// When its head was read.
    pub at: Instant,
    /// Which client connection it came on (numbered from 0 per proxy or
    /// stub, in accept order): equal numbers mean a reused keep-alive connection.
    pub connection: u64,
}

/// An HTTP/1.1 proxy on `127.0.0.1:0` in front of one upstream server.
///
/// Each request takes the next queued [`Fault`] (FIFO); with an empty queue it
/// is forwarded as is. Client connections are kept alive as the client asks;
/// each holds its own keep-alive connection upstream. When the upstream cannot
/// be reached the client connection is closed. Dropping the proxy (or
/// [`FaultProxy::kill`]) closes the listener and every connection.
pub struct FaultProxy {
    server: Server,
    shared: Arc<ProxyShared>,
    handler: Arc<ConnectionHandler>,
}

struct ProxyShared {
    upstream: String,
    faults: Mutex<VecDeque<Fault>>,
    log: Mutex<Vec<Record>>,
    connections: AtomicU64,
}

impl FaultProxy {
    /// Starts a proxy to `upstream_url` (`http://host:port`, a path is ignored).
    pub fn start(upstream_url: &str) -> FaultProxy {
        let rest = upstream_url.strip_prefix("http://").expect("the upstream is an http:// URL");
        let upstream = rest.split('/').next().unwrap_or(rest).to_owned();
        let shared = Arc::new(ProxyShared {
            upstream,
            faults: Mutex::new(VecDeque::new()),
            log: Mutex::new(Vec::new()),
            connections: AtomicU64::new(0),
        });
        let conn_shared = Arc::clone(&shared);
        let handler: Arc<ConnectionHandler> = Arc::new(move |stream, stop: &AtomicBool| {
            serve_proxy_connection(&conn_shared, stream, stop);
        });
        let server = Server::start(Arc::clone(&handler));
        FaultProxy { server, shared, handler }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// Queues a fault for the next request that has none.
    pub fn push(&self, fault: Fault) {
        lock(&self.shared.faults).push_back(fault);
    }

    /// Faults still queued.
    pub fn pending_faults(&self) -> usize {
        lock(&self.shared.faults).len()
    }

    /// Requests received so far (faulted or forwarded).
    pub fn requests(&self) -> usize {
        lock(&self.shared.log).len()
    }

    /// Every request received so far, in order.
    pub fn log(&self) -> Vec<Record> {
        lock(&self.shared.log).clone()
    }

    /// Stops accepting and closes every connection, as if the node died.
    /// The log stays readable.
    pub fn kill(&self) {
        self.server.stop();
    }

    /// After [`FaultProxy::kill`]: listens again on the same address, as a
    /// node that came back. Queued faults and the log carry on.
    pub fn revive(&mut self) {
        self.server.stop();
        self.server = Server::start_on(self.server.addr, Arc::clone(&self.handler));
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.stop();
    }
}

fn serve_proxy_connection(shared: &ProxyShared, client: TcpStream, stop: &AtomicBool) {
    let Ok(read_half) = client.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut writer = client;
    let mut upstream: Option<Upstream> = None;
    let connection = shared.connections.fetch_add(1, Ordering::SeqCst);
    while let Ok(Some(mut request)) = read_head(&mut reader) {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let fault = lock(&shared.faults).pop_front();
        lock(&shared.log).push(Record {
            method: request.start[0].clone(),
            path: request.start[1].clone(),
            at: Instant::now(),
            connection,
        });
        if fault == Some(Fault::Close) {
            return;
        }
        let Ok(body) = read_body(&mut reader, request_framing(&request)) else { return };
        request.body = body;
        if matches!(fault, Some(Fault::RewriteBulkItems { .. } | Fault::RejectBulkItems { .. })) {
            request.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("accept-encoding"));
        }
        let rejection = match &fault {
            Some(Fault::RejectBulkItems { per_mille, seed, .. }) if request.header("content-encoding").is_none() => {
                faults::choose_rejections(&request.body, *per_mille, *seed).filter(|r| !r.rejected.is_empty())
            }
            _ => None,
        };
        if let (Some(rejection), Some(Fault::RejectBulkItems { status, .. })) = (&rejection, &fault) {
            if rejection.forward.is_empty() {
                // Every item rejected: nothing reaches the server.
                let Some(answer) = faults::merge_answer(&request.body, rejection, None, *status) else { return };
                let headers = vec![
                    ("content-type".to_owned(), "application/json; charset=UTF-8".to_owned()),
                    ("x-elastic-product".to_owned(), "Elasticsearch".to_owned()),
                ];
                if write_response(&mut writer, 200, &headers, &answer, false).is_err() || !request.keep_alive() {
                    return;
                }
                continue;
            }
        }
        let original_body = match &rejection {
            Some(r) => Some(std::mem::replace(&mut request.body, r.forward.clone())),
            None => None,
        };
        let keep_alive = request.keep_alive();
        let head_only = request.start[0].eq_ignore_ascii_case("HEAD");
        let canned = match &fault {
            Some(Fault::Status(s)) => Some((*s, None)),
            Some(Fault::StatusRetryAfter(s, secs)) => Some((*s, Some(*secs))),
            Some(Fault::InvalidJson) => Some((200, None)),
            _ => None,
        };
        if let Some((status, retry_after)) = canned {
            let mut headers = vec![
                ("content-type".to_owned(), "application/json; charset=UTF-8".to_owned()),
                ("x-elastic-product".to_owned(), "Elasticsearch".to_owned()),
            ];
            if let Some(secs) = retry_after {
                headers.push(("retry-after".to_owned(), secs.to_string()));
            }
            let body = if status == 200 {
                "{\"took\": 1, \"oops".to_owned()
            } else {
                format!("{{\"error\":{{\"type\":\"fault_injected\",\"reason\":\"fault proxy answered {status}\"}},\"status\":{status}}}")
            };
            if write_response(&mut writer, status, &headers, body.as_bytes(), head_only).is_err() || !keep_alive {
                return;
            }
            continue;
        }
        match fault {
            Some(Fault::ResetBeforeResponse) => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Garbage) => {
                let _ = writer.write_all(b"SSH-2.0-not-http\r\n\x00\x01\x02 garbage\r\n\r\n");
                let _ = writer.flush();
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Stall(d)) => {
                let until = Instant::now() + d;
                while Instant::now() < until && !stop.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(5));
                }
            }
            _ => {}
        }
        let Some(mut response) = forward(&shared.upstream, &mut upstream, &request) else {
            // The upstream is gone: the client sees its connection closed.
            return;
        };
        if let Some(Fault::RewriteBulkItems { status, every, offset }) = fault {
            response.body = rewrite_bulk_items(&response.body, status, every.max(1), offset);
        }
        if let (Some(rejection), Some(original), Some(Fault::RejectBulkItems { status, .. })) =
            (&rejection, &original_body, &fault)
        {
            if let Some(merged) = faults::merge_answer(original, rejection, Some(&response.body), *status) {
                response.body = merged;
            }
        }
        let written = match fault {
            Some(Fault::ResetAfterForward) => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::ResetAfterHeaders) => {
                let _ = writer.write_all(&response.head_bytes(true));
                let _ = writer.flush();
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::StallBody(d)) => {
                let mut out = response.head_bytes(true);
                out.extend_from_slice(&response.body[..response.body.len() / 2]);
                let _ = writer.write_all(&out);
                let _ = writer.flush();
                let until = Instant::now() + d;
                while Instant::now() < until && !stop.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(5));
                }
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::TruncatedBody) => {
                let mut out = response.head_bytes(true);
                out.extend_from_slice(&response.body[..response.body.len() / 2]);
                let _ = writer.write_all(&out);
                let _ = writer.flush();
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            _ if head_only => writer.write_all(&response.head_bytes(false)),
            _ => writer.write_all(&response.to_bytes()),
        };
        if written.is_err() || !keep_alive || !response.keep_alive() {
            return;
        }
    }
}

/// Rewrites the status of every `every`-th 2xx item of a bulk answer (see
/// [`Fault::RewriteBulkItems`]). Each item has exactly one `"status":` key
/// (its `_shards` object has none), so items are found by that key after
/// `"items"`; anything else is left as it was.
fn rewrite_bulk_items(body: &[u8], status: u16, every: usize, offset: usize) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(body) else { return body.to_vec() };
    let Some(items_at) = text.find("\"items\"") else { return body.to_vec() };
    let (head, items) = text.split_at(items_at);
    let mut out = String::with_capacity(body.len() + 64);
    let mut rewritten = 0usize;
    let mut rest = items;
    let mut index = 0usize;
    while let Some(at) = rest.find("\"status\":") {
        let value_at = at + "\"status\":".len();
        let digits = rest[value_at..].bytes().take_while(u8::is_ascii_digit).count();
        let value: u16 = rest[value_at..value_at + digits].parse().unwrap_or(0);
        if index % every == offset % every && (200..300).contains(&value) {
            out.push_str(&rest[..at]);
            out.push_str(&format!(
                "\"error\":{{\"type\":\"es_rejected_execution_exception\",\"reason\":\"fault proxy rejected item {index}\"}},\"status\":{status}"
            ));
            rewritten += 1;
        } else {
            out.push_str(&rest[..value_at + digits]);
        }
        rest = &rest[value_at + digits..];
        index += 1;
    }
    out.push_str(rest);
    let head = if rewritten > 0 { head.replacen("\"errors\":false", "\"errors\":true", 1) } else { head.to_owned() };
    (head + &out).into_bytes()
}

struct Upstream {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// Sends `request` upstream on the kept connection (reconnecting once if it
/// went stale) and reads the whole response.
fn forward(addr: &str, upstream: &mut Option<Upstream>, request: &Message) -> Option<Message> {
    for _ in 0..2 {
        let reused = upstream.is_some();
        if upstream.is_none() {
            let stream = TcpStream::connect(addr).ok()?;
            let _ = stream.set_nodelay(true);
            let reader = BufReader::new(stream.try_clone().ok()?);
            *upstream = Some(Upstream { reader, writer: stream });
        }
        let conn = upstream.as_mut()?;
        let exchanged = conn.writer.write_all(&request.to_bytes()).ok().and_then(|()| {
            let mut head = read_head(&mut conn.reader).ok()??;
            head.body = read_body(&mut conn.reader, response_framing(&head, &request.start[0])).ok()?;
            Some(head)
        });
        match exchanged {
            Some(response) => {
                if !response.keep_alive() {
                    *upstream = None;
                }
                return Some(response);
            }
            None => {
                *upstream = None;
                if !reused {
                    return None;
                }
            }
        }
    }
    None
}

/// A request the [`StubServer`] received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StubRequest {
    /// The method.
    pub method: String,
    /// The path with its query string.
    pub path: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked, not decompressed).
    pub body: Vec<u8>,
}

impl StubRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A canned answer of the [`StubServer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StubResponse {
    /// The status.
    pub status: u16,
    /// Headers (`Content-Length` is added).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl StubResponse {
    /// A response with this status, no header, no body.
    pub fn new(status: u16) -> Self {
        StubResponse { status, headers: Vec::new(), body: Vec::new() }
    }

    /// A JSON response as Elasticsearch sends it: `Content-Type: application/json`
    /// and `X-Elastic-Product: Elasticsearch`.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        StubResponse::new(status)
            .header("content-type", "application/json; charset=UTF-8")
            .header("x-elastic-product", "Elasticsearch")
            .body(body.into().into_bytes())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
}

type Handler = dyn Fn(&StubRequest) -> StubResponse + Send + Sync;

/// A tiny HTTP/1.1 server on `127.0.0.1:0` that answers every request with
/// its handler's [`StubResponse`] and logs the requests. Keep-alive as the
/// client asks. Stops on drop.
pub struct StubServer {
    server: Server,
    log: Arc<Mutex<Vec<StubRequest>>>,
}

impl StubServer {
    /// Starts the server.
    pub fn start(handler: impl Fn(&StubRequest) -> StubResponse + Send + Sync + 'static) -> StubServer {
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::new(Mutex::new(Vec::new()));
        let conn_log = Arc::clone(&log);
        let server = Server::start(Arc::new(move |stream, stop: &AtomicBool| {
            serve_stub_connection(&*handler, &conn_log, stream, stop);
        }));
        StubServer { server, log }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<StubRequest> {
        lock(&self.log).clone()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        lock(&self.log).len()
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.server.stop();
    }
}

fn serve_stub_connection(handler: &Handler, log: &Mutex<Vec<StubRequest>>, stream: TcpStream, stop: &AtomicBool) {
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    while let Ok(Some(head)) = read_head(&mut reader) {
        let Ok(body) = read_body(&mut reader, request_framing(&head)) else { return };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let keep_alive = head.keep_alive();
        let [method, path, _] = head.start;
        let request = StubRequest { method, path, headers: head.headers, body };
        lock(log).push(request.clone());
        let response = handler(&request);
        let head_only = request.method.eq_ignore_ascii_case("HEAD");
        if write_response(&mut writer, response.status, &response.headers, &response.body, head_only).is_err()
            || !keep_alive
        {
            return;
        }
    }
}

type ConnectionHandler = dyn Fn(TcpStream, &AtomicBool) + Send + Sync;

/// The accept loop shared by the proxy and the stub: one thread per connection.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
    accept_thread: Mutex<Option<JoinHandle<()>>>,
}

impl Server {
    fn start(handler: Arc<ConnectionHandler>) -> Server {
        Server::start_on("127.0.0.1:0".parse().expect("an address"), handler)
    }

    /// Listens on `addr` (port 0: any free port).
    fn start_on(addr: SocketAddr, handler: Arc<ConnectionHandler>) -> Server {
        let listener = TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        let addr = listener.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (accept_stop, accept_connections) = (Arc::clone(&stop), Arc::clone(&connections));
        let accept_thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let _ = stream.set_nodelay(true);
                let (Ok(kept), Ok(closer)) = (stream.try_clone(), stream.try_clone()) else { continue };
                lock(&accept_connections).push(kept);
                let (handler, stop) = (Arc::clone(&handler), Arc::clone(&accept_stop));
                thread::spawn(move || {
                    handler(stream, &stop);
                    // The kept clone would hold the connection open: close it for real.
                    let _ = closer.shutdown(Shutdown::Both);
                });
            }
        });
        Server { addr, stop, connections, accept_thread: Mutex::new(Some(accept_thread)) }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes the listener and every connection; idempotent.
    fn stop(&self) {
        if self.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accept loop so that it sees the flag and drops the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = lock(&self.accept_thread).take() {
            let _ = handle.join();
        }
        for conn in lock(&self.connections).drain(..) {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

mod faults;
pub mod suite;
pub use faults::FaultMix;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, Read};

    fn exchange(conn: &mut TcpStream, request: &str) -> (u16, String) {
        conn.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut head = read_head(&mut reader).unwrap().unwrap();
        let method = request.split(' ').next().unwrap();
        head.body = read_body(&mut reader, response_framing(&head, method)).unwrap();
        assert!(reader.buffer().is_empty(), "no bytes beyond the response");
        (head.start[1].parse().unwrap(), String::from_utf8(head.body).unwrap())
    }

    fn echo_stub() -> StubServer {
        StubServer::start(|r| StubResponse::json(200, format!("{} {} {}", r.method, r.path, r.body.len())))
    }

    #[test]
    fn stub_answers_on_one_keep_alive_connection() {
        let stub = echo_stub();
        let mut conn = TcpStream::connect(stub.addr()).unwrap();
        assert_eq!(exchange(&mut conn, "GET /a HTTP/1.1\r\nhost: x\r\n\r\n"), (200, "GET /a 0".into()));
        let chunked = "POST /b HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n";
        assert_eq!(exchange(&mut conn, chunked), (200, "POST /b 4".into()));
        assert_eq!(exchange(&mut conn, "HEAD /c HTTP/1.1\r\nhost: x\r\n\r\n"), (200, String::new()));
        assert_eq!(stub.request_count(), 3);
        assert_eq!(stub.requests()[1].body, b"abcd");
    }

    #[test]
    fn proxy_forwards_injects_and_logs() {
        let stub = echo_stub();
        let proxy = FaultProxy::start(&stub.url());
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        assert_eq!(exchange(&mut conn, "PUT /x HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc"), (200, "PUT /x 3".into()));
        proxy.push(Fault::StatusRetryAfter(503, 2));
        let (status, body) = exchange(&mut conn, "GET /y HTTP/1.1\r\n\r\n");
        assert_eq!(status, 503);
        assert!(body.contains("fault_injected"));
        assert_eq!(exchange(&mut conn, "GET /z HTTP/1.1\r\n\r\n"), (200, "GET /z 0".into()));
        assert_eq!(proxy.requests(), 3);
        assert_eq!(stub.request_count(), 2, "the faulted request never reached upstream");
        let paths: Vec<_> = proxy.log().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/x", "/y", "/z"]);
    }

    #[test]
    fn proxy_breaks_connections_as_asked() {
        let stub = echo_stub();
        let proxy = FaultProxy::start(&stub.url());
        proxy.push(Fault::ResetBeforeResponse);
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let mut rest = Vec::new();
        let _ = conn.read_to_end(&mut rest);
        assert!(rest.is_empty());

        proxy.push(Fault::TruncatedBody);
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        conn.write_all(b"GET /long-path HTTP/1.1\r\n\r\n").unwrap();
        let mut reader = BufReader::new(conn);
        let head = read_head(&mut reader).unwrap().unwrap();
        let declared: usize = head.header("content-length").unwrap().parse().unwrap();
        let mut body = Vec::new();
        let _ = reader.read_to_end(&mut body);
        assert!(body.len() < declared);
    }

    #[test]
    fn proxy_rewrites_bulk_items_and_passes() {
        let items = r#"{"errors":false,"items":[{"index":{"_id":"a","_shards":{"failed":0},"status":201}},{"index":{"_id":"b","status":200}},{"delete":{"_id":"c","status":404}},{"index":{"_id":"d","status":201}}],"took":0}"#;
        let stub = StubServer::start(move |r| {
            assert!(r.header("accept-encoding").is_none() || r.path != "/_bulk");
            StubResponse::json(200, items)
        });
        let proxy = FaultProxy::start(&stub.url());
        proxy.push(Fault::Pass);
        proxy.push(Fault::RewriteBulkItems { status: 429, every: 2, offset: 0 });
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        assert_eq!(exchange(&mut conn, "GET / HTTP/1.1\r\n\r\n").1, items);
        let (_, body) = exchange(&mut conn, "PUT /_bulk HTTP/1.1\r\naccept-encoding: gzip\r\n\r\n");
        assert!(body.starts_with(r#"{"errors":true"#), "{body}");
        assert_eq!(body.matches(r#""status":429"#).count(), 1, "item 2 is a 404, item 0 is rewritten: {body}");
        assert!(body.contains(r#""_shards":{"failed":0},"error":{"type":"es_rejected_execution_exception""#), "{body}");
        assert!(body.contains(r#""_id":"d","status":201"#), "{body}");
    }

    #[test]
    fn killed_proxy_refuses_connections() {
        let stub = echo_stub();
        let proxy = FaultProxy::start(&stub.url());
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        assert_eq!(exchange(&mut conn, "GET / HTTP/1.1\r\n\r\n").0, 200);
        proxy.kill();
        let mut reader = BufReader::new(conn);
        assert_eq!(reader.fill_buf().map(|b| b.len()).unwrap_or(0), 0, "open connections are closed");
        assert!(TcpStream::connect(proxy.addr()).is_err());
    }

    #[test]
    fn closed_port_refuses() {
        let url = closed_port_url();
        assert!(TcpStream::connect(url.trim_start_matches("http://")).is_err());
    }
}
