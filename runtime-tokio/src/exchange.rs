//! One HTTP exchange over hyper's pooled client, with its failure mapped to
//! an [`IoError`] for the core.
//!
//! The connector opens TCP (hyper-util's `HttpConnector`) and, for `https`
//! nodes, runs the rustls handshake. The pool keeps up to
//! `connections_per_node` idle keep-alive connections per node. hyper-util's
//! retry of requests canceled on a reused connection is off: every attempt
//! is the core's, counted against `max_retries` and listed in its error.
//!
//! With a [`Proxy`] configured, requests to `http://` nodes go to the proxy
//! in absolute form (the connection is marked proxied, so hyper writes the
//! full URL) with the proxy's `Proxy-Authorization`; `https://` nodes are
//! reached through hyper-util's `CONNECT` [`Tunnel`], then TLS runs end to
//! end with the node. A tunnel that fails is a connect failure: nothing
//! reached the node.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use elastik_proto::transport::{Config, Proxy, SendRequest};
use elastik_proto::{IoError, IoErrorKind};
use http::{HeaderValue, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError};
use hyper::body::Incoming;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor as HyperExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// hyper's pooled client over our connector, and what plain requests to a
/// proxy carry.
pub struct HttpClient {
    hyper: hyper_util::client::legacy::Client<Connector, Full<Bytes>>,
    /// `Proxy-Authorization` for requests to `http://` nodes through the proxy.
    proxy_authorization: Option<HeaderValue>,
}

/// The pooled client for a configuration.
pub(crate) fn client(config: &Config, tls: Arc<rustls::ClientConfig>) -> Result<HttpClient, elastik_proto::Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let proxy = config.proxy.as_ref().map(ProxyRoute::new).transpose()?;
    let proxy_authorization = proxy.as_ref().and_then(|p| p.authorization.clone());
    let connector = Connector { http, tls: TlsConnector::from(tls), proxy };
    let hyper = hyper_util::client::legacy::Client::builder(HyperExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_max_idle_per_host(config.connections_per_node)
        // Every attempt is the core's: hyper-util must not resend a request
        // on its own when a reused connection turns out closed.
        .retry_canceled_requests(false)
        .build(connector);
    Ok(HttpClient { hyper, proxy_authorization })
}

/// Performs `send`: the whole exchange, body included, within `send.timeout`,
/// reading at most `send.max_response_size` bytes.
pub(crate) async fn exchange(client: &HttpClient, send: SendRequest) -> Result<http::Response<Bytes>, IoError> {
    let limit = send.max_response_size;
    let mut request = send.request;
    if let Some(value) = &client.proxy_authorization {
        if request.uri().scheme() == Some(&http::uri::Scheme::HTTP) {
            request.headers_mut().insert(http::header::PROXY_AUTHORIZATION, value.clone());
        }
    }
    let work = async {
        let response = client.hyper.request(request.map(Full::new)).await.map_err(request_error)?;
        let (parts, body) = response.into_parts();
        let declared = parts.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
        if declared.is_some_and(|len: usize| len > limit) {
            return Err(too_large(limit));
        }
        let body = read_body(body, declared, limit).await?;
        Ok(http::Response::from_parts(parts, body))
    };
    match send.timeout {
        Some(timeout) => tokio::time::timeout(timeout, work).await.unwrap_or_else(|_| {
            Err(IoError::new(IoErrorKind::Timeout, format!("no complete response within {timeout:?}")))
        }),
        None => work.await,
    }
}

/// Reads the whole body, at most `limit` bytes. A body of one chunk is kept
/// as it came; a longer one is copied once into a buffer sized from
/// `Content-Length`, so that a large answer is held once (not as its chunks
/// plus a contiguous copy).
async fn read_body(mut body: Incoming, declared: Option<usize>, limit: usize) -> Result<Bytes, IoError> {
    let mut single: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| body_error(&e, limit))?;
        let Ok(data) = frame.into_data() else { continue };
        len += data.len();
        if len > limit {
            return Err(too_large(limit));
        }
        match single.take() {
            None if buf.is_empty() => single = Some(data),
            first => {
                if let Some(first) = first {
                    buf.reserve(declared.unwrap_or(0).max(len).min(limit));
                    buf.extend_from_slice(&first);
                }
                buf.extend_from_slice(&data);
            }
        }
    }
    Ok(single.unwrap_or_else(|| buf.freeze()))
}

/// Connect and TLS failures happen before anything is sent; any other
/// failure may have happened after the request went out.
fn request_error(error: hyper_util::client::legacy::Error) -> IoError {
    let message = chain(&error);
    if !error.is_connect() {
        return IoError::new(IoErrorKind::Reset, message).with_source(error);
    }
    let kind = if source_is::<TlsHandshakeError>(&error) { IoErrorKind::Tls } else { IoErrorKind::Connect };
    IoError::new(kind, message).sent(false).with_source(error)
}

fn body_error(error: &(dyn StdError + 'static), limit: usize) -> IoError {
    if error.is::<LengthLimitError>() || source_is::<LengthLimitError>(error) {
        return too_large(limit);
    }
    IoError::new(IoErrorKind::Reset, chain(error))
}

fn too_large(limit: usize) -> IoError {
    IoError::new(IoErrorKind::BodyTooLarge, format!("the response body exceeds {limit} bytes"))
}

fn source_is<T: StdError + 'static>(error: &(dyn StdError + 'static)) -> bool {
    let mut source = error.source();
    while let Some(e) = source {
        if e.is::<T>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// `error: cause: cause`, as hyper's top-level messages say little.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        message.push_str(": ");
        message.push_str(&e.to_string());
        source = e.source();
    }
    message
}

/// Opens TCP connections (to the node, or to the proxy) and, for `https`
/// URIs, runs the TLS handshake (through a `CONNECT` tunnel with a proxy).
#[derive(Clone)]
pub(crate) struct Connector {
    http: HttpConnector,
    tls: TlsConnector,
    proxy: Option<ProxyRoute>,
}

/// Where the proxy is and what it is told.
#[derive(Clone)]
struct ProxyRoute {
    uri: Uri,
    /// `Proxy-Authorization`, marked sensitive.
    authorization: Option<HeaderValue>,
}

impl ProxyRoute {
    fn new(proxy: &Proxy) -> Result<ProxyRoute, elastik_proto::Error> {
        let uri = proxy
            .url()
            .parse()
            .map_err(|_| elastik_proto::Error::build(format!("unusable proxy URL {}", proxy.url())))?;
        Ok(ProxyRoute { uri, authorization: proxy.authorization()? })
    }

    fn tunnel(&self, http: HttpConnector) -> Tunnel<HttpConnector> {
        let tunnel = Tunnel::new(self.uri.clone(), http);
        match &self.authorization {
            Some(value) => tunnel.with_auth(value.clone()),
            None => tunnel,
        }
    }
}

/// A failed `CONNECT` tunnel (told apart from a failed TLS handshake).
#[derive(Debug)]
struct ProxyTunnelError(BoxError);

impl std::fmt::Display for ProxyTunnelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "proxy tunnel failed: {}", self.0)
    }
}

impl StdError for ProxyTunnelError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

/// A failed TLS handshake (so that the error can be told from a refused connection).
#[derive(Debug)]
struct TlsHandshakeError(std::io::Error);

impl std::fmt::Display for TlsHandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tls handshake failed: {}", self.0)
    }
}

impl StdError for TlsHandshakeError {}

type BoxError = Box<dyn StdError + std::marker::Send + Sync>;

impl tower_service::Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + std::marker::Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
        let tls = self.tls.clone();
        let connecting: Pin<Box<dyn Future<Output = Result<TokioIo<TcpStream>, BoxError>> + std::marker::Send>> =
            match &self.proxy {
                None => {
                    let direct = self.http.call(uri);
                    Box::pin(async move { direct.await.map_err(Into::into) })
                }
                Some(proxy) if !https => {
                    let to_proxy = self.http.call(proxy.uri.clone());
                    Box::pin(async move { to_proxy.await.map_err(Into::into) })
                }
                Some(proxy) => {
                    let tunnelling = proxy.tunnel(self.http.clone()).call(uri);
                    Box::pin(async move { tunnelling.await.map_err(|e| ProxyTunnelError(Box::new(e)).into()) })
                }
            };
        let proxied = self.proxy.is_some() && !https;
        Box::pin(async move {
            let tcp = connecting.await?;
            if !https {
                return Ok(Stream::Plain(tcp, proxied));
            }
            let name = ServerName::try_from(host).map_err(|e| TlsHandshakeError(std::io::Error::other(e)))?;
            let stream = tls.connect(name, tcp.into_inner()).await.map_err(TlsHandshakeError)?;
            Ok(Stream::Tls(Box::new(TokioIo::new(stream))))
        })
    }
}

/// A plain (to the node, or to the proxy: `true`) or TLS connection.
pub(crate) enum Stream {
    Plain(TokioIo<TcpStream>, bool),
    Tls(Box<TokioIo<TlsStream<TcpStream>>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Stream::Plain(s, proxied) => s.connected().proxy(*proxied),
            Stream::Tls(s) => s.inner().get_ref().0.connected(),
        }
    }
}

impl Read for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: ReadBufCursor<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s, _) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl Write for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s, _) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s, _) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s, _) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
        }
    }
}
