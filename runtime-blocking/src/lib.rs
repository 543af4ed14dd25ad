//! # elastik-blocking
//!
//! The blocking runtime of elastik: the sans-IO core driven on the calling
//! thread, HTTP/1.1 through [ureq] 3, TLS through rustls (aws-lc-rs or *ring*, no OpenSSL).
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
//! What it owns: one HTTP exchange with ureq (pooled keep-alive
//! connections, `connections_per_node` idle ones per node; its IO happens
//! inside the future's first poll), the rustls configuration (web PKI or
//! native roots, extra CA certificates, client certificates, SHA-256 pinning
//! of the server certificate), and how a blocking program waits: [`Blocking`]
//! is its [`elastik_driver::Runtime`], whose timer parks the thread of
//! [`elastik_driver::block_on`]. The drive loop, the `elasticsearch`
//! tracing span and the helpers ([`helpers`]) are `elastik-driver`'s, the
//! same code as on tokio and async-std, run to their end on the calling
//! thread: a call is `block_on(driver.call(request))`, a helper's iterator
//! is `block_on` of its stream's next item.
//!
//! What it does not do: decide anything. Node selection, retries, backoff,
//! sniffing, compression, headers and the meaning of a response are the
//! core's ([`elastik_proto::transport`]). Sniffing happens inside calls, when
//! the core says one is due ([`SniffPolicy`]): there is no background
//! thread (the driver's background sniffer is for the async runtimes).

mod exchange;
pub mod helpers;
mod tls;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use elastik_driver::{block_on, on_thread, BlockingSleep, CallFuture, Driver, Drives, Runtime, Task};
use elastik_proto::transport::SendRequest;
use elastik_proto::{Config, Executor, FromConfig, IoError, PreparedRequest};

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

/// Runs requests on the calling thread: the driver's call, blocked on.
/// `Clone + Send + Sync`; clones share everything.
#[derive(Clone)]
pub struct BlockingExecutor {
    driver: Arc<Driver<Blocking>>,
}

impl fmt::Debug for BlockingExecutor {
    /// The node URLs only (never credentials or headers).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.driver.fmt(f)
    }
}

impl FromConfig for BlockingExecutor {
    fn from_config(config: Config) -> Result<Self, Error> {
        Ok(BlockingExecutor { driver: Driver::new(config)? })
    }
}

impl Drives for BlockingExecutor {
    type Runtime = Blocking;
    fn driver(&self) -> &Arc<Driver<Blocking>> {
        &self.driver
    }
}

impl Executor for BlockingExecutor {
    type Output<T: Send + 'static> = T;

    fn execute(&self, request: PreparedRequest) -> Result<http::Response<Bytes>, Error> {
        block_on(self.driver.call(request))
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

/// The blocking runtime as an [`elastik_driver::Runtime`]: the ureq
/// exchange, [`BlockingSleep`] for [`block_on`], a thread per helper
/// request in flight, and detached tasks run to their end where they are
/// spawned.
#[derive(Debug)]
pub struct Blocking;

impl Runtime for Blocking {
    type Http = ureq::Agent;
    type Sleep = BlockingSleep;

    const NAME: &'static str = "BlockingExecutor";
    /// The HTTP library: ureq 3.
    const CLIENT_META: &'static str = ",ur=3";

    fn http(config: &Config) -> Result<ureq::Agent, Error> {
        exchange::agent(config)
    }

    /// The exchange, done (blocking) when the future is first polled.
    async fn exchange(http: &ureq::Agent, send: SendRequest) -> Result<http::Response<Bytes>, IoError> {
        exchange::perform(http, send)
    }

    fn sleep_until(until: Instant) -> BlockingSleep {
        BlockingSleep(until)
    }

    /// Runs the task to its end here: a helper dropped early (a scan, a
    /// reindex, a bulk indexer) is closed and settled when `drop` returns,
    /// as blocking code expects (no thread is left behind).
    fn spawn(task: Task) -> bool {
        block_on(task);
        true
    }

    /// A thread of its own, so that the request progresses while the
    /// consumer does something else (several bulk chunks at once, the next
    /// page of a scan).
    fn in_background(call: CallFuture) -> CallFuture {
        let answer = on_thread("elastik-request", call);
        Box::pin(async move {
            answer.await.unwrap_or_else(|| Err(Error::build("the thread running the request did not answer")))
        })
    }
}
