//! One HTTP exchange with ureq: an [`Send`] in, a response with its whole
//! body (or an [`IoError`]) out.
//!
//! ureq is configured to be a plain HTTP/1.1 client: it follows no redirect,
//! retries nothing, treats no status as an error, decompresses nothing (the
//! core gunzips) and adds no header of its own (the core sets `User-Agent`,
//! `Accept` and `Accept-Encoding`). It ignores proxy environment variables.
//! It pools keep-alive connections, `connections_per_node` idle ones per node,
//! and checks that an idle one is still open before reusing it. It never
//! sends a request twice: every attempt is the core's.
//!
//! A configured [`Proxy`](elastik_proto::transport::Proxy) becomes a
//! `ureq::Proxy`. ureq 3 speaks only `CONNECT` to HTTP proxies, so requests
//! to `http://` nodes are tunnelled too (the tokio and async-std runtimes
//! send those in absolute form instead); the proxy's credentials go in the
//! `CONNECT` request's `Proxy-Authorization`. A tunnel that fails (the proxy
//! unreachable, refusing, asking for credentials) is a connect failure:
//! nothing reached the node.
//!
//! What it does not do: decide anything about the answer.

use std::io::ErrorKind;

use bytes::Bytes;
use elastik_proto::transport::{Config, SendRequest};
use elastik_proto::{Error, IoError, IoErrorKind};
use ureq::config::AutoHeaderValue;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{ConnectProxyConnector, ConnectionDetails, Connector, TcpConnector, Transport};
use ureq::{Agent, AsSendBody, Proxy, ProxyProtocol, Timeout};

use crate::tls::TlsConnector;

/// Idle connections kept in all, across nodes, per `connections_per_node`.
const MAX_IDLE_NODES: usize = 64;

/// Builds the ureq agent for a client.
pub(crate) fn agent(config: &Config) -> Result<Agent, Error> {
    let agent_config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .proxy(config.proxy.as_ref().map(ureq_proxy).transpose()?)
        .user_agent(AutoHeaderValue::None)
        .accept(AutoHeaderValue::None)
        .accept_encoding(AutoHeaderValue::None)
        .allow_non_standard_methods(true)
        .max_idle_connections_per_host(config.connections_per_node)
        .max_idle_connections(config.connections_per_node.saturating_mul(MAX_IDLE_NODES))
        .build();
    let connector =
        ().chain(Tunnel(ConnectProxyConnector::default()))
            .chain(Dial(TcpConnector::default()))
            .chain(TlsConnector { config: elastik_driver::tls::client_config(&config.tls)? });
    Ok(Agent::with_parts(agent_config, connector, DefaultResolver::default()))
}

/// The configured proxy as ureq's (a `CONNECT` proxy), credentials included.
fn ureq_proxy(proxy: &elastik_proto::transport::Proxy) -> Result<Proxy, Error> {
    let host = if proxy.host().contains(':') { format!("[{}]", proxy.host()) } else { proxy.host().to_owned() };
    let mut builder = Proxy::builder(ProxyProtocol::Http).host(&host).port(proxy.port());
    if let Some((username, password)) = proxy.credentials() {
        builder = builder.username(username).password(password);
    }
    builder.build().map_err(|e| Error::build(format!("unusable proxy {}: {e}", proxy.url())))
}

/// Performs one exchange and reads the whole body (at most `send.max_response_size` bytes).
pub(crate) fn perform(agent: &Agent, send: SendRequest) -> Result<http::Response<Bytes>, IoError> {
    let (parts, body) = send.request.into_parts();
    // An empty body goes out with no body at all (no `Content-Length: 0` on a GET).
    let response = if body.is_empty() {
        run(agent, http::Request::from_parts(parts, ()), send.timeout)
    } else {
        run(agent, http::Request::from_parts(parts, &body[..]), send.timeout)
    }
    .map_err(io_error)?;
    let (parts, body) = response.into_parts();
    let bytes = body.into_with_config().limit(send.max_response_size as u64).read_to_vec().map_err(io_error)?;
    Ok(http::Response::from_parts(parts, Bytes::from(bytes)))
}

fn run(
    agent: &Agent,
    request: http::Request<impl AsSendBody>,
    timeout: Option<std::time::Duration>,
) -> Result<http::Response<ureq::Body>, ureq::Error> {
    agent.run(agent.configure_request(request).timeout_global(timeout).build())
}

/// What a ureq error means for the core, with an honest `request_sent`.
fn io_error(error: ureq::Error) -> IoError {
    let (kind, request_sent) = match &error {
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => (IoErrorKind::Timeout, false),
        ureq::Error::Timeout(_) => (IoErrorKind::Timeout, true),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => (IoErrorKind::Connect, false),
        ureq::Error::Io(e) => match e.kind() {
            ErrorKind::ConnectionRefused
            | ErrorKind::AddrNotAvailable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::HostUnreachable => (IoErrorKind::Connect, false),
            ErrorKind::TimedOut | ErrorKind::WouldBlock => (IoErrorKind::Timeout, true),
            _ => (IoErrorKind::Reset, true),
        },
        ureq::Error::Other(e) => match e.downcast_ref::<Unsent>() {
            Some(Unsent(unsent)) => return unsent.clone(),
            None => (IoErrorKind::Other, true),
        },
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) | ureq::Error::TlsRequired => {
            (IoErrorKind::Tls, false)
        }
        ureq::Error::BodyExceedsLimit(_) => (IoErrorKind::BodyTooLarge, true),
        _ => (IoErrorKind::Other, true),
    };
    with_source(IoError::new(kind, message(&error)).sent(request_sent), error)
}

/// ureq's message, except for timeouts: its own words ("timeout: global")
/// mean nothing to a caller, so say what did not finish in time, as the
/// other runtimes do.
fn message(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(Timeout::Resolve) => "resolving the host name did not finish in time".to_owned(),
        ureq::Error::Timeout(Timeout::Connect) => "connecting did not finish in time".to_owned(),
        ureq::Error::Timeout(_) => "no complete response within the timeout".to_owned(),
        other => other.to_string(),
    }
}

/// Keeps ureq's error as the source (its `io::Error` itself when it is one).
fn with_source(io: IoError, error: ureq::Error) -> IoError {
    match error {
        ureq::Error::Io(e) => io.with_source(e),
        other => io.with_source(other),
    }
}

/// A failure before any byte of the request went out (connecting, the TLS
/// handshake), already classified. Carried through ureq as `ureq::Error::Other`.
#[derive(Debug)]
pub(crate) struct Unsent(IoError);

impl Unsent {
    pub(crate) fn error(kind: IoErrorKind, message: impl std::fmt::Display) -> ureq::Error {
        ureq::Error::Other(Box::new(Unsent(IoError::new(kind, message.to_string()).sent(false))))
    }

    /// Like [`Unsent::error`], keeping ureq's error as the source.
    pub(crate) fn caused(kind: IoErrorKind, error: ureq::Error) -> ureq::Error {
        let io = with_source(IoError::new(kind, message(&error)).sent(false), error);
        ureq::Error::Other(Box::new(Unsent(io)))
    }
}

impl std::fmt::Display for Unsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Unsent {}

/// ureq's TCP connector, with its failures marked as [`Unsent`]: whatever
/// went wrong while connecting (refused, unreachable, timed out), it is a
/// connect failure and nothing was sent.
#[derive(Debug)]
struct Dial(TcpConnector);

impl<In: Transport> Connector<In> for Dial {
    type Out = <TcpConnector as Connector<In>>::Out;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        self.0.connect(details, chained).map_err(|e| Unsent::caused(IoErrorKind::Connect, e))
    }
}

/// ureq's `CONNECT` connector (a no-op without a proxy), with its failures
/// marked as [`Unsent`]: until the tunnel stands, nothing went to the node.
/// A timeout stays a timeout; a failure dialling the proxy is already
/// classified by [`Dial`].
#[derive(Debug)]
struct Tunnel(ConnectProxyConnector);

impl Connector<()> for Tunnel {
    type Out = <ConnectProxyConnector as Connector<()>>::Out;

    fn connect(&self, details: &ConnectionDetails, chained: Option<()>) -> Result<Option<Self::Out>, ureq::Error> {
        self.0.connect(details, chained).map_err(|e| match e {
            ureq::Error::Other(e) if e.is::<Unsent>() => ureq::Error::Other(e),
            ureq::Error::Timeout(_) => Unsent::error(IoErrorKind::Timeout, format!("proxy tunnel: {e}")),
            e => Unsent::error(IoErrorKind::Connect, format!("proxy tunnel: {e}")),
        })
    }
}
