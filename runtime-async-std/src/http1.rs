//! One HTTP/1.1 exchange over a pooled keep-alive connection.
//!
//! Why hand-written and not hyper: the core already owns everything above
//! the wire (compression, headers, retries), so all this runtime needs is
//! "write one request, read one response" — Content-Length and chunked
//! bodies, `HEAD`/204/304 without a body, read-to-close as a fallback. hyper
//! would need an IO adapter over futures-io plus a task to drive each
//! connection, and a task means tying the crate to one executor; this module
//! needs neither. `httparse` parses the response head.
//!
//! The pool keeps up to `connections_per_node` idle connections per
//! (scheme, host, port). A connection is taken back only after a complete,
//! delimited response without `Connection: close`, and it is probed before
//! reuse: one that the server closed meanwhile is dropped instead of being
//! written to, so a reset on a reused connection is rare and reported as such.
//!
//! What `request_sent` means here: `false` when connecting, the TLS handshake
//! or writing the request failed (the server cannot have received a complete
//! request), `true` once the whole request was written.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use async_io::Async;
use bytes::Bytes;
use elastik_proto::transport::SendRequest;
use elastik_proto::{IoError, IoErrorKind};
use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::client::TlsStream;
use futures_rustls::TlsConnector;
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;

/// Opens, pools and uses connections.
pub(crate) struct Connector {
    tls: TlsConnector,
    idle: Mutex<HashMap<Key, Vec<Conn>>>,
    max_idle: usize,
}

/// Where a connection goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    https: bool,
    host: String,
    port: u16,
}

/// An open connection and the bytes read ahead of the current position.
struct Conn {
    stream: Stream,
    buf: Vec<u8>,
}

enum Stream {
    Plain(Async<TcpStream>),
    Tls(Box<TlsStream<Async<TcpStream>>>),
}

/// A response head, before the body is read.
struct Head {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
}

impl Connector {
    pub(crate) fn new(tls: Arc<ClientConfig>, max_idle: usize) -> Self {
        Connector { tls: TlsConnector::from(tls), idle: Mutex::new(HashMap::new()), max_idle }
    }

    /// Performs `send` within its timeout; every failure is an [`IoError`].
    pub(crate) async fn exchange(&self, send: SendRequest) -> Result<http::Response<Bytes>, IoError> {
        let sent = AtomicBool::new(false);
        let exchange = self.exchange_untimed(&send.request, send.max_response_size, &sent);
        let Some(timeout) = send.timeout else {
            return exchange.await;
        };
        let expired = async {
            async_io::Timer::after(timeout).await;
            let message = format!("no complete response within {timeout:?}");
            Err(IoError::new(IoErrorKind::Timeout, message).sent(sent.load(Ordering::Relaxed)))
        };
        futures_lite::future::or(exchange, expired).await
    }

    async fn exchange_untimed(
        &self,
        request: &http::Request<Bytes>,
        limit: usize,
        sent: &AtomicBool,
    ) -> Result<http::Response<Bytes>, IoError> {
        let key = Key::of(request.uri())?;
        let mut conn = match self.checkout(&key) {
            Some(conn) => conn,
            None => self.connect(&key).await?,
        };
        let mut out = request_head(request, &key);
        out.extend_from_slice(request.body());
        let written = async {
            conn.stream.write_all(&out).await?;
            conn.stream.flush().await
        };
        written.await.map_err(|e| io_error(IoErrorKind::Reset, "writing the request", e, false))?;
        sent.store(true, Ordering::Relaxed);

        let head = conn.read_head().await?;
        let no_body = request.method() == Method::HEAD
            || head.status == StatusCode::NO_CONTENT
            || head.status == StatusCode::NOT_MODIFIED;
        let chunked = head
            .headers
            .get(TRANSFER_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let content_length = match head.headers.get(CONTENT_LENGTH) {
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .ok_or_else(|| protocol("bad content-length"))?,
            ),
            None => None,
        };
        let (body, delimited) = if no_body {
            (Vec::new(), true)
        } else if chunked {
            (conn.read_chunked(limit).await?, true)
        } else if let Some(length) = content_length {
            (conn.read_exact_body(length, limit).await?, true)
        } else {
            (conn.read_to_close(limit).await?, false)
        };
        if delimited && keep_alive(&head) && conn.buf.is_empty() {
            self.checkin(key, conn);
        }
        let mut response = http::Response::new(Bytes::from(body));
        *response.status_mut() = head.status;
        *response.version_mut() = head.version;
        *response.headers_mut() = head.headers;
        Ok(response)
    }

    /// An idle connection to `key` that the server has not closed.
    fn checkout(&self, key: &Key) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let conns = idle.get_mut(key)?;
        while let Some(mut conn) = conns.pop() {
            if conn.is_idle_and_open() {
                return Some(conn);
            }
        }
        None
    }

    fn checkin(&self, key: Key, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let conns = idle.entry(key).or_default();
        if conns.len() < self.max_idle {
            conns.push(conn);
        }
    }

    async fn connect(&self, key: &Key) -> Result<Conn, IoError> {
        let connect_error = |e: io::Error| io_error(IoErrorKind::Connect, "connecting", e, false);
        let addrs = resolve(&key.host, key.port).await.map_err(connect_error)?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{} resolves to no address", key.host));
        let mut tcp = None;
        for addr in addrs {
            match Async::<TcpStream>::connect(addr).await {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let tcp = tcp.ok_or_else(|| connect_error(last))?;
        // Requests are written whole; Nagle would only delay them.
        let _ = tcp.get_ref().set_nodelay(true);
        let stream = if key.https {
            let name = ServerName::try_from(key.host.clone()).map_err(|e| IoError {
                kind: IoErrorKind::Tls,
                message: format!("invalid server name: {e}"),
                request_sent: false,
                source: None,
            })?;
            let tls =
                self.tls.connect(name, tcp).await.map_err(|e| io_error(IoErrorKind::Tls, "tls handshake", e, false))?;
            Stream::Tls(Box::new(tls))
        } else {
            Stream::Plain(tcp)
        };
        Ok(Conn { stream, buf: Vec::new() })
    }
}

impl Key {
    fn of(uri: &http::Uri) -> Result<Key, IoError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(IoError {
                    kind: IoErrorKind::Other,
                    message: format!("unsupported URL {uri}"),
                    request_sent: false,
                    source: None,
                })
            }
        };
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Key { https, host, port })
    }
}

impl Conn {
    /// True when nothing is waiting to be read: no response bytes, no EOF, no error.
    fn is_idle_and_open(&mut self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        let mut probe = [0u8; 1];
        matches!(Pin::new(&mut self.stream).poll_read(&mut cx, &mut probe), Poll::Pending)
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    async fn fill(&mut self) -> io::Result<usize> {
        let len = self.buf.len();
        self.buf.resize(len + READ_CHUNK, 0);
        let read = self.stream.read(&mut self.buf[len..]).await;
        self.buf.truncate(len + *read.as_ref().unwrap_or(&0));
        read
    }

    /// Like `fill`, but end of stream is an error: the response was cut short.
    async fn fill_more(&mut self, what: &str) -> Result<(), IoError> {
        match self.fill().await {
            Ok(0) => Err(IoError {
                kind: IoErrorKind::Reset,
                message: format!("connection closed while reading the {what}"),
                request_sent: true,
                source: None,
            }),
            Ok(_) => Ok(()),
            Err(e) => Err(io_error(IoErrorKind::Reset, &format!("reading the {what}"), e, true)),
        }
    }

    /// The status line and headers, skipping `1xx` interim responses.
    async fn read_head(&mut self) -> Result<Head, IoError> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Response::new(&mut headers);
            match parsed.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status =
                        parsed.code.and_then(|c| StatusCode::from_u16(c).ok()).ok_or_else(|| protocol("bad status"))?;
                    let version = if parsed.version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
                    let mut map = HeaderMap::with_capacity(parsed.headers.len());
                    for h in parsed.headers.iter() {
                        let name =
                            HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| protocol("bad header name"))?;
                        let value = HeaderValue::from_bytes(h.value).map_err(|_| protocol("bad header value"))?;
                        map.append(name, value);
                    }
                    self.buf.drain(..len);
                    if status.is_informational() {
                        continue;
                    }
                    return Ok(Head { status, version, headers: map });
                }
                Ok(httparse::Status::Partial) if self.buf.len() > MAX_HEAD => {
                    return Err(protocol("response head too large"))
                }
                Ok(httparse::Status::Partial) => self.fill_more("response head").await?,
                Err(e) => return Err(protocol(&format!("invalid response head: {e}"))),
            }
        }
    }

    async fn read_exact_body(&mut self, length: usize, limit: usize) -> Result<Vec<u8>, IoError> {
        if length > limit {
            return Err(too_large(limit));
        }
        while self.buf.len() < length {
            self.fill_more("response body").await?;
        }
        let rest = self.buf.split_off(length);
        Ok(std::mem::replace(&mut self.buf, rest))
    }

    async fn read_chunked(&mut self, limit: usize) -> Result<Vec<u8>, IoError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size = line.split(|b| *b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size)
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .ok_or_else(|| protocol("bad chunk size"))?;
            if size == 0 {
                // Trailers, up to the empty line; their content is dropped.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            if body.len().saturating_add(size) > limit {
                return Err(too_large(limit));
            }
            while self.buf.len() < size + 2 {
                self.fill_more("response body").await?;
            }
            if &self.buf[size..size + 2] != b"\r\n" {
                return Err(protocol("chunk not followed by CRLF"));
            }
            body.extend_from_slice(&self.buf[..size]);
            self.buf.drain(..size + 2);
        }
    }

    async fn read_to_close(&mut self, limit: usize) -> Result<Vec<u8>, IoError> {
        loop {
            if self.buf.len() > limit {
                return Err(too_large(limit));
            }
            match self.fill().await {
                Ok(0) => return Ok(std::mem::take(&mut self.buf)),
                Ok(_) => {}
                Err(e) => return Err(io_error(IoErrorKind::Reset, "reading the response body", e, true)),
            }
        }
    }

    /// One CRLF-terminated line of a chunked body, without the CRLF.
    async fn read_line(&mut self) -> Result<Vec<u8>, IoError> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..end].to_vec();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(protocol("chunk header line too long"));
            }
            self.fill_more("response body").await?;
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_close(cx),
            Stream::Tls(s) => Pin::new(s).poll_close(cx),
        }
    }
}

/// The request line and headers, with `Host` and `Content-Length` set here.
fn request_head(request: &http::Request<Bytes>, key: &Key) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    out.extend_from_slice(format!("{} {target} HTTP/1.1\r\n", request.method()).as_bytes());
    let host = if key.host.contains(':') { format!("[{}]", key.host) } else { key.host.clone() };
    let default_port = if key.https { 443 } else { 80 };
    if key.port == default_port {
        out.extend_from_slice(format!("host: {host}\r\n").as_bytes());
    } else {
        out.extend_from_slice(format!("host: {host}:{}\r\n", key.port).as_bytes());
    }
    for (name, value) in request.headers() {
        if name == HOST || name == CONTENT_LENGTH || name == TRANSFER_ENCODING || name == CONNECTION {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let body_expected = matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH);
    if !request.body().is_empty() || body_expected {
        out.extend_from_slice(format!("content-length: {}\r\n", request.body().len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Whether the connection may carry another request after this response.
fn keep_alive(head: &Head) -> bool {
    let connection = head.headers.get(CONNECTION).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    match head.version {
        Version::HTTP_11 => !connection.is_some_and(|c| c.contains("close")),
        _ => connection.is_some_and(|c| c.contains("keep-alive")),
    }
}

async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let host = host.to_owned();
    blocking::unblock(move || (host.as_str(), port).to_socket_addrs().map(Iterator::collect)).await
}

fn io_error(kind: IoErrorKind, doing: &str, e: io::Error, request_sent: bool) -> IoError {
    let kind = if e.kind() == io::ErrorKind::TimedOut { IoErrorKind::Timeout } else { kind };
    IoError::new(kind, format!("{doing}: {e}")).sent(request_sent).with_source(e)
}

/// A response that is not valid HTTP/1.1: the request went out.
fn protocol(what: &str) -> IoError {
    IoError::new(IoErrorKind::Other, what).sent(true)
}

fn too_large(limit: usize) -> IoError {
    IoError {
        kind: IoErrorKind::BodyTooLarge,
        message: format!("response body exceeds {limit} bytes"),
        request_sent: true,
        source: None,
    }
}

const READ_CHUNK: usize = 16 * 1024;
const MAX_HEADERS: usize = 128;
const MAX_HEAD: usize = 64 * 1024;
