//! # elastik-blocking
//!
//! The blocking runtime of elastik: the sans-IO core driven on the calling
//! thread, HTTP/1.1 through [ureq] 3, TLS through rustls (ring, no OpenSSL).
//!
//! ```no_run
//! use elastik_blocking::{Body, Client, Method};
//!
//! let client = Client::builder().node("http://localhost:9200").build()?;
//! let response = client.perform_request(Method::GET, "/", &[], Default::default(), Body::Empty)?;
//! assert!(response.status().is_success());
//! # Ok::<(), elastik_blocking::Error>(())
//! ```
//!
//! What it owns: the drive loop ([`BlockingExecutor`]), one HTTP exchange
//! (pooled keep-alive connections, `connections_per_node` idle ones per
//! node), the rustls configuration (web PKI or native roots, extra CA
//! certificates, client certificates, SHA-256 pinning of the server
//! certificate), and a `tracing` span per request.
//!
//! What it does not do: decide anything. Node selection, retries, backoff,
//! sniffing, compression, headers and the meaning of a response are the
//! core's ([`elastik_proto::transport`]). Sniffing happens inside calls, when
//! the core says one is due: there is no background thread.

mod exchange;
pub mod helpers;
mod tls;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use elastik_proto::machine::Step;
use elastik_proto::transport::{Call, TraceFields, Transport};
use elastik_proto::{Config, Executor, FromConfig, PreparedRequest};
use tracing::field::Empty;

pub use elastik_api::Request;
/// The generated endpoints (`api::Search`, `api::indices::IndicesCreate`, …)
/// and body types (`types::global::SearchResponse<T>`, `types::types::Refresh`, …).
pub use elastik_api::{self as api, types};
pub use elastik_proto::endpoint::RawRequest;
pub use elastik_proto::http::{HeaderMap, Method, StatusCode};
pub use elastik_proto::transport::{RetryPolicy, SniffPolicy, TlsConfig};
pub use elastik_proto::{ApiError, Auth, Body, ClientBuilder, Endpoint, Error, IoErrorKind, RequestOptions};

/// The Elasticsearch client of this runtime: every call blocks the calling
/// thread until it is done. Cheap to clone; clones share connections and
/// node state, and can be used from many threads at once.
pub type Client = elastik_api::Client<BlockingExecutor>;

/// Runs requests on the calling thread: the core's drive loop around one
/// ureq exchange. `Clone + Send + Sync`; clones share everything.
#[derive(Clone, Debug)]
pub struct BlockingExecutor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Locked only around `poll`/`handle`/`start`, never across IO or sleep.
    transport: Mutex<Transport>,
    agent: ureq::Agent,
}

impl FromConfig for BlockingExecutor {
    fn from_config(mut config: Config) -> Result<Self, elastik_proto::Error> {
        config.client_meta = config.client_meta.map(|meta| format!("{meta},ur=3"));
        let agent = exchange::agent(&config)?;
        Ok(BlockingExecutor { inner: Arc::new(Inner { transport: Mutex::new(Transport::new(config)), agent }) })
    }
}

impl Executor for BlockingExecutor {
    type Output<T: Send + 'static> = T;

    fn execute(&self, request: PreparedRequest) -> Result<http::Response<Bytes>, elastik_proto::Error> {
        let PreparedRequest { endpoint_id, request, options } = request;
        let mut call = self.transport().start(endpoint_id, request, options, Instant::now());
        let span = open_span(&call.trace_fields());
        let _entered = span.enter();
        loop {
            let action = call.poll(&mut self.transport(), Instant::now());
            match action {
                Step::Send(send) => {
                    record(&span, &call);
                    let outcome = exchange::perform(&self.inner.agent, send);
                    call.handle(&mut self.transport(), outcome, Instant::now());
                }
                Step::Wait(Some(until)) => std::thread::sleep(until.saturating_duration_since(Instant::now())),
                Step::Wait(None) | Step::Done => {
                    return Err(elastik_proto::Error::build("the call ended without a result"))
                }
                Step::Emit(result) => {
                    record(&span, &call);
                    return result;
                }
            }
        }
    }

    fn ready<T: Send + 'static>(value: T) -> T {
        value
    }

    fn map<T, U, F>(output: T, f: F) -> U
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(T) -> U + Send + 'static,
    {
        f(output)
    }
}

impl BlockingExecutor {
    /// The shared transport, locked. A panic while it was locked cannot leave
    /// it half-updated in a way that matters more than failing every later
    /// call, so a poisoned lock is used as is.
    fn transport(&self) -> MutexGuard<'_, Transport> {
        self.inner.transport.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The request's span, with OpenTelemetry's attribute names; the fields the
/// core knows only once a node is picked are recorded by [`record`].
fn open_span(fields: &TraceFields) -> tracing::Span {
    tracing::info_span!(
        "elasticsearch",
        "db.system.name" = "elasticsearch",
        "db.operation.name" = fields.operation,
        "http.request.method" = fields.method.as_str(),
        "url.full" = Empty,
        "server.address" = Empty,
        "server.port" = Empty,
        "http.request.resend_count" = Empty,
    )
}

fn record(span: &tracing::Span, call: &Call) {
    let fields = call.trace_fields();
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
