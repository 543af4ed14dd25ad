//! One HTTP/1.1 exchange over a pooled keep-alive connection: ureq-proto's
//! state machine speaks the protocol, this module moves its bytes over
//! async-io sockets (plain, or TLS with futures-rustls).
//!
//! ureq-proto ([`ureq_proto::client::Call`]) writes the request head and
//! parses the response: the status line and headers, `Content-Length` (more
//! than one is an error, not "the first wins"), `Transfer-Encoding: chunked`
//! (the token, not a substring), bodies that end with the connection,
//! `HEAD`/204/304 without a body, `1xx` interim answers, and whether the
//! connection may be kept. It does no IO: this module reads into a buffer
//! allocated once per connection, hands the bytes to the machine and writes
//! what it produces. It never follows a redirect or decompresses (the core
//! gunzips), and it sends each request once.
//!
//! The pool keeps up to `connections_per_node` idle connections per
//! (scheme, host, port). A connection goes back only when ureq-proto says it
//! may be reused and nothing was read beyond the response; it is probed
//! before reuse, so one that the server closed meanwhile is dropped instead
//! of being written to. A reused connection that breaks anyway is reported
//! to the core as a reset, never resent here: every attempt is the core's.
//!
//! Connecting tries the host's addresses in turn, each for at most
//! [`CONNECT_TIMEOUT`] and at most an equal share of what is left of the
//! request's timeout, so one address that never answers does not use up
//! the whole budget. The request's timeout covers the whole exchange,
//! connecting through the last byte of the body.
//!
//! What `request_sent` means here: `false` when connecting, the TLS
//! handshake or writing the request failed (the server cannot have received
//! a complete request), `true` once the whole request was written.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_io::Async;
use bytes::Bytes;
use elastik_proto::transport::SendRequest;
use elastik_proto::{IoError, IoErrorKind};
use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::client::TlsStream;
use futures_rustls::TlsConnector;
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderValue, Method};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use ureq_proto::client::{Await100Result, Call, RecvBodyResult, RecvResponseResult, SendRequestResult};
use ureq_proto::BodyMode;

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
    /// Without the brackets of an IPv6 literal.
    host: String,
    port: u16,
}

/// An open connection and the bytes read from it that are not used yet.
struct Conn {
    stream: Stream,
    input: ReadBuf,
}

enum Stream {
    Plain(Async<TcpStream>),
    Tls(Box<TlsStream<Async<TcpStream>>>),
}

/// Bytes read from a connection, `data[start..end]` not consumed yet. The
/// buffer is allocated (and zeroed) once per connection and grows only for a
/// response head larger than it.
struct ReadBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl Connector {
    pub(crate) fn new(tls: Arc<ClientConfig>, max_idle: usize) -> Self {
        Connector { tls: TlsConnector::from(tls), idle: Mutex::new(HashMap::new()), max_idle }
    }

    /// Performs `send` within its timeout; every failure is an [`IoError`].
    pub(crate) async fn exchange(&self, send: SendRequest) -> Result<http::Response<Bytes>, IoError> {
        let sent = AtomicBool::new(false);
        let deadline = send.timeout.and_then(|t| Instant::now().checked_add(t));
        let exchange = self.exchange_untimed(&send.request, send.max_response_size, deadline, &sent);
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
        deadline: Option<Instant>,
        sent: &AtomicBool,
    ) -> Result<http::Response<Bytes>, IoError> {
        let key = Key::of(request.uri())?;
        let (head, call) = request_head(request)?;
        let mut conn = match self.checkout(&key) {
            Some(conn) => conn,
            None => self.connect(&key, deadline).await?,
        };
        let body = request.body();
        let written = async {
            if body.len() <= SMALL_BODY {
                // One write: head and body in one packet.
                let mut out = head;
                out.extend_from_slice(body);
                conn.stream.write_all(&out).await?;
            } else {
                conn.stream.write_all(&head).await?;
                conn.stream.write_all(body).await?;
            }
            conn.stream.flush().await
        };
        written.await.map_err(|e| io_error(IoErrorKind::Reset, "writing the request", e, false))?;
        sent.store(true, Ordering::Relaxed);

        let mut call = match call {
            SendRequestResult::RecvResponse(call) => call,
            SendRequestResult::SendBody(mut call) => {
                call.consume_direct_write(body.len()).map_err(|e| protocol(e, false))?;
                call.proceed().ok_or_else(|| protocol("the request body was not complete", false))?
            }
            SendRequestResult::Await100(_) => return Err(protocol("an Expect header is not supported", false)),
        };

        let response = loop {
            let (used, response) = call.try_response(conn.input.unread(), false).map_err(|e| protocol(e, true))?;
            conn.input.consume(used);
            match response {
                Some(response) => break response,
                // A `1xx` answer was consumed; the final one follows.
                _ if used > 0 => {}
                _ => conn.fill_more("response head", MAX_HEAD).await?,
            }
        };
        let (reusable, body) = match call.proceed() {
            Some(RecvResponseResult::RecvBody(mut call)) => {
                let body = conn.read_body(&mut call, limit).await?;
                let reusable = match call.proceed() {
                    Some(RecvBodyResult::Cleanup(call)) => !call.must_close_connection(),
                    Some(RecvBodyResult::Redirect(call)) => !call.must_close_connection(),
                    None => false,
                };
                (reusable, body)
            }
            Some(RecvResponseResult::Cleanup(call)) => (!call.must_close_connection(), Vec::new()),
            Some(RecvResponseResult::Redirect(call)) => (!call.must_close_connection(), Vec::new()),
            None => (false, Vec::new()),
        };
        if reusable && conn.input.unread().is_empty() {
            self.checkin(key, conn);
        }
        let (parts, ()) = response.into_parts();
        Ok(http::Response::from_parts(parts, Bytes::from(body)))
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

    /// TCP to the first address of `key.host` that answers, then TLS for `https`.
    async fn connect(&self, key: &Key, deadline: Option<Instant>) -> Result<Conn, IoError> {
        let addrs = resolve(&key.host, key.port)
            .await
            .map_err(|e| io_error(IoErrorKind::Connect, &format!("resolving {}", key.host), e, false))?;
        let mut last = None;
        let mut tcp = None;
        for (n, addr) in addrs.iter().enumerate() {
            let share = connect_share(deadline.map(|d| d.saturating_duration_since(Instant::now())), addrs.len() - n);
            let timed_out = async {
                async_io::Timer::after(share).await;
                Err(io::Error::other(format!("no answer within {share:?}")))
            };
            match futures_lite::future::or(Async::<TcpStream>::connect(*addr), timed_out).await {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => last = Some((*addr, e)),
            }
        }
        let tcp = match (tcp, last) {
            (Some(tcp), _) => tcp,
            (None, Some((addr, e))) => {
                return Err(IoError::new(IoErrorKind::Connect, format!("connecting to {addr}: {e}"))
                    .sent(false)
                    .with_source(e))
            }
            (None, None) => {
                let message = format!("{} resolves to no address", key.host);
                return Err(IoError::new(IoErrorKind::Connect, message).sent(false));
            }
        };
        // Requests are written whole; Nagle would only delay them.
        let _ = tcp.get_ref().set_nodelay(true);
        let stream = if key.https {
            let name = ServerName::try_from(key.host.clone()).map_err(|e| {
                IoError::new(IoErrorKind::Tls, format!("invalid server name: {e}")).sent(false).with_source(e)
            })?;
            let tls =
                self.tls.connect(name, tcp).await.map_err(|e| io_error(IoErrorKind::Tls, "tls handshake", e, false))?;
            Stream::Tls(Box::new(tls))
        } else {
            Stream::Plain(tcp)
        };
        Ok(Conn { stream, input: ReadBuf { data: vec![0; READ_CHUNK], start: 0, end: 0 } })
    }
}

impl Key {
    fn of(uri: &http::Uri) -> Result<Key, IoError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(IoError::new(IoErrorKind::Other, format!("unsupported URL {uri}")).sent(false)),
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

    /// Reads more bytes; the end of the stream is an error (the response was
    /// cut short). The buffer grows up to `max` bytes of unread input.
    async fn fill_more(&mut self, what: &str, max: usize) -> Result<(), IoError> {
        match self.fill(max).await {
            Ok(0) => Err(IoError::new(IoErrorKind::Reset, format!("connection closed while reading the {what}"))),
            Ok(_) => Ok(()),
            Err(e) => Err(io_error(IoErrorKind::Reset, &format!("reading the {what}"), e, true)),
        }
    }

    /// Reads more bytes after the unread ones; `Ok(0)` at the end of the stream.
    async fn fill(&mut self, max: usize) -> io::Result<usize> {
        let input = &mut self.input;
        if input.start > 0 {
            input.data.copy_within(input.start..input.end, 0);
            input.end -= input.start;
            input.start = 0;
        }
        if input.end == input.data.len() {
            if input.end >= max {
                return Err(io::Error::other(format!("more than {max} bytes without an end")));
            }
            input.data.resize((input.end * 2).min(max), 0);
        }
        let read = self.stream.read(&mut input.data[input.end..]).await?;
        input.end += read;
        Ok(read)
    }

    /// The whole response body, at most `limit` bytes.
    async fn read_body(
        &mut self,
        call: &mut Call<ureq_proto::client::state::RecvBody>,
        limit: usize,
    ) -> Result<Vec<u8>, IoError> {
        let mode = call.body_mode();
        let mut body = match mode {
            BodyMode::LengthDelimited(length) if length > limit as u64 => return Err(too_large(limit)),
            BodyMode::LengthDelimited(length) => vec![0; length as usize],
            _ => Vec::new(),
        };
        let mut filled = 0;
        while mode == BodyMode::CloseDelimited || !call.can_proceed() {
            if filled == body.len() {
                if filled > limit {
                    return Err(too_large(limit));
                }
                // Room to decode into, doubling, one byte beyond the limit to notice it.
                body.resize(filled.saturating_mul(2).max(READ_CHUNK).min(limit.saturating_add(1)), 0);
            }
            let (used, decoded) = call.read(self.input.unread(), &mut body[filled..]).map_err(|e| protocol(e, true))?;
            self.input.consume(used);
            filled += decoded;
            if used > 0 || decoded > 0 {
                continue;
            }
            match self.fill(READ_CHUNK).await {
                Ok(0) if mode == BodyMode::CloseDelimited => break,
                Ok(0) => {
                    let message = "connection closed while reading the response body";
                    return Err(IoError::new(IoErrorKind::Reset, message));
                }
                Ok(_) => {}
                Err(e) => return Err(io_error(IoErrorKind::Reset, "reading the response body", e, true)),
            }
        }
        if filled > limit {
            return Err(too_large(limit));
        }
        body.truncate(filled);
        Ok(body)
    }
}

impl ReadBuf {
    fn unread(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
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

/// The request head as ureq-proto writes it (request line, `Host`, the
/// core's headers, `Content-Length`), and the machine after it. The body
/// itself is written straight from the request.
fn request_head(request: &http::Request<Bytes>) -> Result<(Vec<u8>, SendRequestResult), IoError> {
    let unsent = |e| protocol(e, false);
    let mut head = http::Request::new(());
    *head.method_mut() = request.method().clone();
    *head.uri_mut() = request.uri().clone();
    let headers = head.headers_mut();
    for (name, value) in request.headers() {
        // Framing is this module's: the length of the body at hand, no other.
        if name != HOST && name != CONTENT_LENGTH && name != TRANSFER_ENCODING && name != CONNECTION {
            headers.append(name, value.clone());
        }
    }
    let body_expected = matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH);
    if !request.body().is_empty() || body_expected {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(request.body().len()));
    }
    let mut call = Call::new(head).map_err(unsent)?;
    call.allow_non_standard_methods(true);
    if !request.body().is_empty() {
        call.force_send_body();
    }
    let mut call = call.proceed();
    let size = 256
        + request.uri().to_string().len()
        + request.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum::<usize>();
    let mut out = vec![0; size];
    let mut written = 0;
    while !call.can_proceed() {
        if written == out.len() {
            out.resize(out.len() * 2, 0);
        }
        written += call.write(&mut out[written..]).map_err(unsent)?;
    }
    out.truncate(written);
    let next = call.proceed().map_err(unsent)?.ok_or_else(|| protocol("the request head was not complete", false))?;
    // Without an `Expect` header the machine never waits for `100 Continue`.
    let next = match next {
        SendRequestResult::Await100(call) => match call.proceed().map_err(unsent)? {
            Await100Result::SendBody(call) => SendRequestResult::SendBody(call),
            Await100Result::RecvResponse(call) => SendRequestResult::RecvResponse(call),
        },
        other => other,
    };
    Ok((out, next))
}

/// How long the next of `addresses` may take to connect, with `left` of
/// the request's timeout.
fn connect_share(left: Option<Duration>, addresses: usize) -> Duration {
    let share = left.map(|left| left / u32::try_from(addresses.max(1)).unwrap_or(u32::MAX));
    share.map_or(CONNECT_TIMEOUT, |share| share.min(CONNECT_TIMEOUT))
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

/// A request ureq-proto cannot write, or an answer that is not valid HTTP/1.1.
fn protocol(what: impl std::fmt::Display, request_sent: bool) -> IoError {
    IoError::new(IoErrorKind::Other, format!("http/1.1: {what}")).sent(request_sent)
}

fn too_large(limit: usize) -> IoError {
    IoError::new(IoErrorKind::BodyTooLarge, format!("response body exceeds {limit} bytes"))
}

/// How long one address may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A body up to this size is copied behind the head and written with it.
const SMALL_BODY: usize = 16 * 1024;
/// The read buffer of a connection, and the most read at once into a body.
const READ_CHUNK: usize = 16 * 1024;
/// The largest response head.
const MAX_HEAD: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    //! The framing rules through a real socket: a listener that answers each
    //! request with a canned response and counts its connections.

    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Serves `responses` in order, one per request, on any connection;
    /// counts the connections accepted.
    fn serve(responses: Vec<&'static [u8]>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let responses = Arc::new(Mutex::new(responses.into_iter()));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                counted.fetch_add(1, Ordering::SeqCst);
                let responses = responses.clone();
                std::thread::spawn(move || {
                    let mut request = Vec::new();
                    let mut byte = [0u8; 1];
                    while stream.read(&mut byte).is_ok_and(|n| n == 1) {
                        request.push(byte[0]);
                        // The tests send no bodies: a request ends with its head.
                        if request.ends_with(b"\r\n\r\n") {
                            let next = responses.lock().expect("responses").next();
                            let Some(response) = next else { return };
                            if stream.write_all(response).is_err() || !framed(response) {
                                // A body without framing ends with the connection.
                                return;
                            }
                            request.clear();
                        }
                    }
                });
            }
        });
        (url, connections)
    }

    fn framed(response: &[u8]) -> bool {
        let head = String::from_utf8_lossy(response).to_ascii_lowercase();
        head.contains("content-length") || head.contains("transfer-encoding")
    }

    fn get(connector: &Connector, url: &str) -> Result<http::Response<Bytes>, IoError> {
        let request = http::Request::get(format!("{url}/")).body(Bytes::new()).expect("request");
        let send = SendRequest {
            request,
            timeout: Some(Duration::from_secs(5)),
            max_response_size: 1 << 20,
            node: elastik_proto::transport::NodeId::from_raw(0),
        };
        async_io::block_on(connector.exchange(send))
    }

    fn connector() -> Connector {
        let tls = elastik_driver::tls::client_config(&Default::default()).expect("the default TLS settings");
        Connector::new(tls, 4)
    }

    #[test]
    fn chunked_bodies_with_extensions_and_trailers_are_decoded_and_the_connection_kept() {
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
            4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\nx-trailer: t\r\n\r\n";
        let (url, connections) = serve(vec![chunked, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]);
        let connector = connector();
        assert_eq!(get(&connector, &url).expect("first").body().as_ref(), b"abcdef");
        assert_eq!(get(&connector, &url).expect("second").body().as_ref(), b"ok");
        assert_eq!(connections.load(Ordering::SeqCst), 1, "the second request reused the connection");
    }

    #[test]
    fn two_different_content_lengths_are_an_error_not_the_first_one() {
        let (url, _) = serve(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhello"]);
        let error = get(&connector(), &url).expect_err("conflicting lengths");
        assert_eq!(error.kind, IoErrorKind::Other, "{error:?}");
        assert!(error.request_sent);
    }

    #[test]
    fn bytes_beyond_the_body_keep_the_connection_out_of_the_pool() {
        let (url, connections) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ]);
        let connector = connector();
        assert_eq!(get(&connector, &url).expect("first").body().as_ref(), b"ok");
        assert_eq!(get(&connector, &url).expect("second").body().as_ref(), b"ok");
        assert_eq!(connections.load(Ordering::SeqCst), 2, "a connection with stray bytes is not reused");
    }

    #[test]
    fn a_body_ended_by_the_close_is_read_to_the_end_and_the_connection_not_reused() {
        let (url, connections) =
            serve(vec![b"HTTP/1.1 200 OK\r\n\r\nuntil the end", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]);
        let connector = connector();
        assert_eq!(get(&connector, &url).expect("first").body().as_ref(), b"until the end");
        assert_eq!(get(&connector, &url).expect("second").body().as_ref(), b"ok");
        assert_eq!(connections.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn each_address_gets_an_equal_share_of_what_is_left_at_most_the_connect_timeout() {
        assert_eq!(connect_share(None, 2), CONNECT_TIMEOUT);
        assert_eq!(connect_share(Some(Duration::from_secs(6)), 2), Duration::from_secs(3));
        assert_eq!(connect_share(Some(Duration::from_secs(6)), 1), Duration::from_secs(6));
        assert_eq!(connect_share(Some(Duration::from_secs(60)), 2), CONNECT_TIMEOUT);
        assert_eq!(connect_share(Some(Duration::ZERO), 3), Duration::ZERO);
    }
}
