//! # elastik-tokio
//!
//! The tokio runtime of elastik: it drives the sans-IO transport of
//! `elastik-core` with hyper 1 (pooled keep-alive connections through
//! hyper-util) and rustls, and sleeps with tokio's timers.
//!
//! ```no_run
//! # async fn run() -> Result<(), elastik_tokio::Error> {
//! use elastik_tokio::{http::Method, Body, Client};
//!
//! let client = Client::builder().node("http://localhost:9200").build()?;
//! let response = client
//!     .perform_request(Method::GET, "/", &[], Default::default(), Body::Empty)
//!     .await?;
//! println!("{}", String::from_utf8_lossy(response.body()));
//! # Ok(())
//! # }
//! ```
//!
//! What it owns: one HTTP exchange (connect, TLS, send, read the body within
//! the timeout and size limit), the mapping of its failures to
//! [`IoError`]s, timers, tracing spans, the background sniffing task, and
//! the tasks and streams that drive the core's helper machines
//! ([`helpers`]: bulk indexer, scan, reindex).
//!
//! What it does not do: decide anything. Node selection, retries, backoff,
//! sniffing schedules, compression, headers and response checks are all
//! `elastik-core`'s; this crate only carries out its [`Action`]s.
//!
//! Every call is a `tracing` span named `elasticsearch` with OpenTelemetry's
//! attribute names; the values come from [`Call::trace_fields`].
//!
//! Periodic sniffing (`sniff_before_requests`) runs in a task spawned on the
//! runtime current when the client is built (none is spawned outside a
//! runtime: sniffing then happens only before requests). The task holds a
//! weak reference and stops when the last clone of the client is dropped.

mod exchange;
pub mod helpers;
mod tls;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use bytes::Bytes;
use elastik_core::machine::Step;
use elastik_core::transport::{Call, Transport};
use elastik_core::{Config, Executor, FromConfig, PreparedRequest};
use tokio::sync::oneshot;
use tracing::field::Empty;
use tracing::Instrument;

pub use elastik_api::Request;
/// The generated endpoints (`api::Search`, `api::indices::IndicesCreate`, …)
/// and body types (`types::global::SearchResponse<T>`, `types::types::Refresh`, …).
pub use elastik_api::{self as api, types};
pub use elastik_core::endpoint::RawRequest;
pub use elastik_core::error::{ApiError, TransportError};
pub use elastik_core::media::Compatibility;
pub use elastik_core::transport::{RetryPolicy, SniffPolicy, TlsConfig};
pub use elastik_core::{bytes, http, Auth, Body, ClientBuilder, Endpoint, Error, IoError, IoErrorKind, RequestOptions};

/// An Elasticsearch client on tokio. Cheap to clone; clones share
/// connections and node state.
pub type Client = elastik_api::Client<TokioExecutor>;

/// The `x-elastic-client-meta` marker of the HTTP library (hyper 1).
const CLIENT_META_HC: &str = ",hc=1";

/// Runs requests through the transport on tokio. Clones share one transport
/// and one connection pool.
#[derive(Clone)]
pub struct TokioExecutor {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Mutex<Transport>,
    http: exchange::HttpClient,
    /// Dropped with the last clone: tells the background sniffer to stop.
    _stop_sniffer: Option<oneshot::Sender<()>>,
}

impl FromConfig for TokioExecutor {
    fn from_config(mut config: Config) -> Result<Self, Error> {
        if let Some(meta) = &mut config.client_meta {
            meta.push_str(CLIENT_META_HC);
        }
        let http = exchange::client(&config, tls::client_config(&config.tls)?)?;
        let runtime = tokio::runtime::Handle::try_current().ok().filter(|_| config.sniff.before_requests.is_some());
        let Some(runtime) = runtime else {
            let inner = Inner { transport: Mutex::new(Transport::new(config)), http, _stop_sniffer: None };
            return Ok(TokioExecutor { inner: Arc::new(inner) });
        };
        let (stop_tx, stop_rx) = oneshot::channel();
        let inner = Inner { transport: Mutex::new(Transport::new(config)), http, _stop_sniffer: Some(stop_tx) };
        let inner = Arc::new(inner);
        runtime.spawn(sniff_in_background(Arc::downgrade(&inner), stop_rx));
        Ok(TokioExecutor { inner })
    }
}

impl Executor for TokioExecutor {
    type Output<T: std::marker::Send + 'static> = Pin<Box<dyn Future<Output = T> + std::marker::Send>>;

    fn execute(&self, request: PreparedRequest) -> Self::Output<Result<http::Response<Bytes>, Error>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            let PreparedRequest { endpoint_id, request, options } = request;
            let call = lock(&inner.transport).start(endpoint_id, request, options, Instant::now());
            drive(&inner, call).await
        })
    }

    fn ready<T: std::marker::Send + 'static>(value: T) -> Self::Output<T> {
        Box::pin(std::future::ready(value))
    }

    fn map<T, U, F>(output: Self::Output<T>, f: F) -> Self::Output<U>
    where
        T: std::marker::Send + 'static,
        U: std::marker::Send + 'static,
        F: FnOnce(T) -> U + std::marker::Send + 'static,
    {
        Box::pin(async move { f(output.await) })
    }
}

impl fmt::Debug for TokioExecutor {
    /// The node URLs only (never credentials or headers).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = lock(&self.inner.transport);
        let nodes: Vec<String> = transport.pool().nodes().iter().map(|n| n.url.to_string()).collect();
        f.debug_struct("TokioExecutor").field("nodes", &nodes).finish_non_exhaustive()
    }
}

/// The drive loop: the transport is locked only around `poll` and `handle`.
async fn drive(inner: &Inner, mut call: Call) -> Result<http::Response<Bytes>, Error> {
    let fields = call.trace_fields();
    let span = tracing::info_span!(
        "elasticsearch",
        "db.system.name" = "elasticsearch",
        "db.operation.name" = fields.operation,
        "http.request.method" = %fields.method,
        "url.full" = Empty,
        "server.address" = Empty,
        "server.port" = Empty,
        "http.request.resend_count" = Empty,
    );
    let run = async {
        loop {
            let action = call.poll(&mut lock(&inner.transport), Instant::now());
            match action {
                Step::Send(send) => {
                    let fields = call.trace_fields();
                    span.record("url.full", fields.url_full.as_deref());
                    span.record("server.address", fields.server_address.as_deref());
                    span.record("server.port", fields.server_port);
                    if fields.retries > 0 {
                        span.record("http.request.resend_count", fields.retries);
                    }
                    let outcome = exchange::exchange(&inner.http, send).await;
                    call.handle(&mut lock(&inner.transport), outcome, Instant::now());
                }
                Step::Wait(Some(until)) => tokio::time::sleep_until(until.into()).await,
                Step::Emit(result) => return result,
                Step::Wait(None) | Step::Done => return Err(Error::build("the call ended without a result")),
            }
        }
    };
    run.instrument(span.clone()).await
}

/// Sniffs whenever the transport says the next sniff is due, until the
/// executor is gone.
async fn sniff_in_background(inner: Weak<Inner>, mut stop: oneshot::Receiver<()>) {
    loop {
        let next = {
            let Some(inner) = inner.upgrade() else { return };
            let sniff = lock(&inner.transport).start_sniff(Instant::now());
            if let Some(call) = sniff {
                // A failed sniff is the core's to note; the pool stays as it was.
                let _ = drive(&inner, call).await;
            }
            let transport = lock(&inner.transport);
            let fallback = Instant::now() + transport.config().sniff.min_delay;
            transport.next_sniff_at().unwrap_or(fallback)
        };
        tokio::select! {
            () = tokio::time::sleep_until(next.into()) => {}
            _ = &mut stop => return,
        }
    }
}

fn lock(transport: &Mutex<Transport>) -> MutexGuard<'_, Transport> {
    transport.lock().unwrap_or_else(PoisonError::into_inner)
}
