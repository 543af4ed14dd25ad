//! # elastik-async-std
//!
//! The async-io runtime of elastik. It is written against `async-io`
//! (sockets, timers) and `futures-io`, not against async-std itself, so the
//! same client runs under async-std, smol, or any executor that can poll a
//! `Send` future: it spawns no tasks and needs no runtime handle.
//!
//! ```no_run
//! # async fn run() -> Result<(), elastik_core::Error> {
//! use elastik_async_std::Client;
//!
//! let client = Client::builder().node("http://localhost:9200").build()?;
//! let response = client
//!     .perform_request(http::Method::GET, "/", &[], http::HeaderMap::new(), elastik_core::Body::Empty)
//!     .await?;
//! assert!(response.status().is_success());
//! # Ok(()) }
//! ```
//!
//! What it owns: the drive loop (`Inner::run` in this file, about twenty
//! lines), one HTTP/1.1 exchange over a pooled keep-alive connection
//! (`http1`), and TLS with rustls (`tls`: web PKI roots by default, extra
//! CAs, client certificates, SHA-256 pinning). What it does not own: every decision — node choice,
//! retries, backoff, sniffing, compression, product check — which the core's
//! [`Transport`] and [`Call`](elastik_core::transport::Call) machines make.
//!
//! Out of scope: HTTP/2 and proxies. Sniffing on start, on failure and
//! before requests works inside calls, because the core asks for it there.
//! Periodic sniffing while idle needs a task, and this crate spawns none:
//! [`AsyncStdExecutor::background_sniffer`] is the future to spawn on your
//! executor (`smol::spawn(client.executor().background_sniffer()).detach()`).

pub mod helpers;
mod http1;
mod tls;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use elastik_core::machine::Step;
use elastik_core::transport::{Call, TraceFields};
use elastik_core::{Config, Executor, FromConfig, PreparedRequest, Transport};
use tracing::field::Empty;
use tracing::Instrument;

/// The elastik client on this runtime.
pub type Client = elastik_api::Client<AsyncStdExecutor>;

pub use elastik_api::Request;
/// The generated endpoints (`api::Search`, `api::indices::IndicesCreate`, …)
/// and body types (`types::global::SearchResponse<T>`, `types::types::Refresh`, …).
pub use elastik_api::{self as api, types};
pub use elastik_core::endpoint::RawRequest;
pub use elastik_core::transport::{RetryPolicy, SniffPolicy, TlsConfig};
pub use elastik_core::{
    bytes, http, ApiError, Auth, Body, ClientBuilder, Endpoint, Error, IoErrorKind, RequestOptions,
};

/// Runs requests through the core's transport with async-io sockets and
/// timers. Cheap to clone: clones share the node pool and the connections.
#[derive(Clone)]
pub struct AsyncStdExecutor {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Mutex<Transport>,
    connector: http1::Connector,
}

impl std::fmt::Debug for AsyncStdExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncStdExecutor").finish_non_exhaustive()
    }
}

impl FromConfig for AsyncStdExecutor {
    fn from_config(mut config: Config) -> Result<Self, Error> {
        if let Some(meta) = &mut config.client_meta {
            meta.push_str(",ai=2");
        }
        // Never ignore a setting silently: a request meant to go through a proxy
        // must not go straight to the node instead.
        if config.proxy.is_some() {
            return Err(Error::build("HTTP proxies are not supported on the async-std runtime yet (they are on tokio and blocking)"));
        }
        let connector = http1::Connector::new(tls::client_config(&config.tls)?, config.connections_per_node);
        let transport = Mutex::new(Transport::new(config));
        Ok(AsyncStdExecutor { inner: Arc::new(Inner { transport, connector }) })
    }
}

impl Executor for AsyncStdExecutor {
    type Output<T: Send + 'static> = Pin<Box<dyn Future<Output = T> + Send>>;

    fn execute(&self, request: PreparedRequest) -> Self::Output<Result<http::Response<Bytes>, Error>> {
        Box::pin(self.inner.clone().run(request))
    }

    fn ready<T: Send + 'static>(value: T) -> Self::Output<T> {
        Box::pin(futures_lite::future::ready(value))
    }

    fn map<T, U, F>(output: Self::Output<T>, f: F) -> Self::Output<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(T) -> U + Send + 'static,
    {
        Box::pin(async move { f(output.await) })
    }
}

impl AsyncStdExecutor {
    /// Sniffs whenever the transport says a sniff is due
    /// (`SniffPolicy::before_requests`), until the last clone of the client
    /// is dropped; then the future ends. Spawn it on the executor you use; it
    /// holds no strong reference to the client while it sleeps.
    pub fn background_sniffer(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = Arc::downgrade(&self.inner);
        async move {
            loop {
                let next = {
                    let Some(inner) = inner.upgrade() else { return };
                    let sniff = inner.transport().start_sniff(Instant::now());
                    if let Some(call) = sniff {
                        // A failed sniff is the core's to note; the pool stays as it was.
                        let _ = inner.drive(call).await;
                    }
                    let transport = inner.transport();
                    let fallback = Instant::now() + transport.config().sniff.min_delay;
                    transport.next_sniff_at().unwrap_or(fallback)
                };
                async_io::Timer::at(next).await;
            }
        }
    }
}

impl Inner {
    /// The drive loop: the core decides, this loop sends and sleeps.
    async fn run(self: Arc<Self>, request: PreparedRequest) -> Result<http::Response<Bytes>, Error> {
        let PreparedRequest { endpoint_id, request, options } = request;
        let call = self.transport().start(endpoint_id, request, options, Instant::now());
        self.drive(call).await
    }

    /// Runs one call of the core to its end.
    async fn drive(&self, mut call: Call) -> Result<http::Response<Bytes>, Error> {
        let endpoint_id = call.endpoint_id();
        let span = tracing::info_span!(
            "elasticsearch",
            db.system.name = "elasticsearch",
            db.operation.name = endpoint_id,
            http.request.method = Empty,
            url.full = Empty,
            server.address = Empty,
            server.port = Empty,
            http.request.resend_count = Empty,
        );
        let fields = span.clone();
        async move {
            loop {
                let action = call.poll(&mut self.transport(), Instant::now());
                match action {
                    Step::Send(send) => {
                        record(&fields, &call.trace_fields());
                        let outcome = self.connector.exchange(send).await;
                        call.handle(&mut self.transport(), outcome, Instant::now());
                    }
                    Step::Wait(Some(until)) => {
                        async_io::Timer::at(until).await;
                    }
                    Step::Wait(None) | Step::Done => return Err(Error::build("the call ended without a result")),
                    Step::Emit(result) => {
                        record(&fields, &call.trace_fields());
                        return result;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// The transport, locked only around `poll`/`handle` (never across an await).
    fn transport(&self) -> MutexGuard<'_, Transport> {
        self.transport.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Puts the core's trace fields on the call's `elasticsearch` span.
fn record(span: &tracing::Span, fields: &TraceFields) {
    span.record("http.request.method", fields.method.as_str());
    if let Some(url) = &fields.url_full {
        span.record("url.full", url.as_str());
    }
    if let Some(address) = &fields.server_address {
        span.record("server.address", address.as_str());
    }
    if let Some(port) = fields.server_port {
        span.record("server.port", port);
    }
    if fields.retries > 0 {
        span.record("http.request.resend_count", fields.retries);
    }
}
