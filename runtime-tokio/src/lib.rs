//! # elastik-tokio
//!
//! The tokio runtime of elastik: it drives the sans-IO transport of
//! `elastik-proto` with hyper 1 (pooled keep-alive connections through
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
//! the timeout and size limit) and the mapping of its failures to
//! [`IoError`]s, tokio's timer, and tasks ([`Tokio`], its
//! [`elastik_driver::Runtime`]). The drive loop, the `elasticsearch` tracing
//! span, the background sniffer and the helpers ([`helpers`]) are
//! `elastik-driver`'s, written once for every runtime; here a helper's
//! requests in flight are tasks, so they progress while the consumer is busy.
//!
//! What it does not do: decide anything. Node selection, retries, backoff,
//! sniffing schedules, compression, headers and response checks are all
//! `elastik-proto`'s.
//!
//! Periodic sniffing (`sniff_before_requests`) runs in a task spawned on the
//! runtime current when the client is built (none is spawned outside a
//! runtime: sniffing then happens only before requests). The task holds a
//! weak reference and stops when the last clone of the client is dropped.

mod exchange;
pub mod helpers;

use std::time::Instant;

use bytes::Bytes;
use elastik_driver::{AsyncExecutor, CallFuture, Runtime, Task};
use elastik_proto::transport::SendRequest;

pub use elastik_api::Request;
/// The generated endpoints (`api::Search`, `api::indices::IndicesCreate`, …)
/// and body types (`types::global::SearchResponse<T>`, `types::types::Refresh`, …).
pub use elastik_api::{self as api, types};
pub use elastik_proto::endpoint::RawRequest;
pub use elastik_proto::error::{ApiError, TransportError};
pub use elastik_proto::media::Compatibility;
pub use elastik_proto::transport::{RetryPolicy, SniffPolicy, TlsConfig};
pub use elastik_proto::{
    bytes, http, Auth, Body, ClientBuilder, Endpoint, Error, IoError, IoErrorKind, RequestOptions,
};

/// An Elasticsearch client on tokio. Cheap to clone; clones share
/// connections and node state.
pub type Client = elastik_api::Client<TokioExecutor>;

/// Runs requests through the transport on tokio. Clones share one transport
/// and one connection pool.
pub type TokioExecutor = AsyncExecutor<Tokio>;

/// tokio as an [`elastik_driver::Runtime`]: hyper 1, tokio's timer, tasks.
#[derive(Debug)]
pub struct Tokio;

impl Runtime for Tokio {
    type Http = exchange::HttpClient;
    type Sleep = tokio::time::Sleep;

    const NAME: &'static str = "TokioExecutor";
    /// The HTTP library: hyper 1.
    const CLIENT_META: &'static str = ",hc=1";
    const SNIFF_IN_BACKGROUND: bool = true;

    fn http(config: &elastik_proto::Config) -> Result<Self::Http, Error> {
        exchange::client(config, elastik_driver::tls::client_config(&config.tls)?)
    }

    fn exchange(
        http: &Self::Http,
        send: SendRequest,
    ) -> impl std::future::Future<Output = Result<http::Response<Bytes>, IoError>> + Send {
        exchange::exchange(http, send)
    }

    fn sleep_until(until: Instant) -> Self::Sleep {
        tokio::time::sleep_until(until.into())
    }

    fn spawn(task: Task) -> bool {
        tokio::runtime::Handle::try_current().map(|runtime| drop(runtime.spawn(task))).is_ok()
    }

    /// A task, so that the request progresses while the consumer is busy; a
    /// task that panicked (or was aborted by a shutting-down runtime)
    /// answers with an error, so that the machine still accounts for it.
    fn in_background(call: CallFuture) -> CallFuture {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return call };
        let task = runtime.spawn(call);
        Box::pin(async move {
            task.await.unwrap_or_else(|e| Err(Error::build(format!("the task running the request ended: {e}"))))
        })
    }
}
