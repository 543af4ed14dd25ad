//! # elastik-async-std
//!
//! The async-io runtime of elastik. It is written against `async-io`
//! (sockets, timers) and `futures-io`, not against async-std itself, so the
//! same client runs under async-std, smol, or any executor that can poll a
//! `Send` future: it spawns no tasks and needs no runtime handle.
//!
//! ```no_run
//! # async fn run() -> Result<(), elastik_proto::Error> {
//! use elastik_async_std::Client;
//!
//! let client = Client::builder().node("http://localhost:9200").build()?;
//! let response = client
//!     .perform_request(http::Method::GET, "/", &[], http::HeaderMap::new(), elastik_proto::Body::Empty)
//!     .await?;
//! assert!(response.status().is_success());
//! # Ok(()) }
//! ```
//!
//! What it owns: one HTTP/1.1 exchange over a pooled keep-alive connection
//! (`exchange`), TLS through futures-rustls with the rustls configuration
//! of `elastik_driver::tls` (web PKI roots by default, extra CAs, client
//! certificates, SHA-256 pinning), async-io's timer, and a thread for what
//! must finish after a helper is dropped ([`AsyncIo`], its
//! [`elastik_driver::Runtime`]). The drive loop, the tracing span, the
//! background sniffer and the helpers are `elastik-driver`'s, written once
//! for every runtime. What it does not own: every decision — node choice,
//! retries, backoff, sniffing, compression, product check — which the
//! core's machines make.
//!
//! ## Why ureq-proto and not hyper
//!
//! The protocol is [ureq-proto]'s (the sans-IO HTTP/1.1 machine under ureq
//! 3, which the blocking runtime already builds): it writes the request
//! head and parses the response head and body framing; this crate moves
//! its bytes over async-io sockets. hyper 1's `client::conn::http1` was the
//! other candidate. It would need an IO adapter to hyper's `Read`/`Write`
//! traits (without `unsafe`, which the workspace forbids, reading through
//! `ReadBufCursor::put_slice` costs a copy of every byte), and its
//! `Connection` future must be polled beside each request — inside the
//! request's own future, as this crate spawns no tasks, and again before a
//! pooled connection is reused to notice that the server closed it. Its
//! errors tell a request never serialized (`try_send_request` hands it
//! back) from one that was, but not whether a serialized request was
//! completely written when the connection broke, which the core needs to
//! know (a request that may have reached the server is retried only when
//! it is safe). With ureq-proto this crate does the writing itself, so it
//! knows exactly when the request went out, and the machine has nothing to
//! drive between requests. What ureq-proto gives up
//! to hyper — HTTP/2, pipelining, streaming bodies — the core does not use.
//!
//! [ureq-proto]: https://docs.rs/ureq-proto
//!
//! Out of scope: HTTP/2 and proxies. Sniffing on start, on failure and
//! before requests works inside calls, because the core asks for it there.
//! Periodic sniffing while idle needs a task, and this crate spawns none:
//! [`AsyncStdExecutor::background_sniffer`] is the future to spawn on your
//! executor (`smol::spawn(client.executor().background_sniffer()).detach()`).

mod exchange;
pub mod helpers;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use elastik_driver::{AsyncExecutor, Runtime, Task};
use elastik_proto::transport::SendRequest;
use elastik_proto::{Config, IoError};

/// The elastik client on this runtime.
pub type Client = elastik_api::Client<AsyncStdExecutor>;

pub use elastik_api::Request;
/// The generated endpoints (`api::Search`, `api::indices::IndicesCreate`, …)
/// and body types (`types::global::SearchResponse<T>`, `types::types::Refresh`, …).
pub use elastik_api::{self as api, types};
pub use elastik_proto::endpoint::RawRequest;
pub use elastik_proto::transport::{RetryPolicy, SniffPolicy, TlsConfig};
pub use elastik_proto::{
    bytes, http, ApiError, Auth, Body, ClientBuilder, Endpoint, Error, IoErrorKind, RequestOptions,
};

/// Runs requests through the core's transport with async-io sockets and
/// timers. Cheap to clone: clones share the node pool and the connections.
/// [`background_sniffer`](AsyncExecutor::background_sniffer) is the future
/// to spawn for periodic sniffing.
pub type AsyncStdExecutor = AsyncExecutor<AsyncIo>;

/// async-io as an [`elastik_driver::Runtime`]: the ureq-proto exchange,
/// async-io's timer, and detached threads running `async_io::block_on`.
#[derive(Debug)]
pub struct AsyncIo;

/// The pooled HTTP/1.1 connections of one client.
pub struct Connections(Arc<exchange::Connector>);

impl Runtime for AsyncIo {
    type Http = Connections;
    type Sleep = async_io::Timer;

    const NAME: &'static str = "AsyncStdExecutor";
    const CLIENT_META: &'static str = ",ai=2";

    fn http(config: &Config) -> Result<Connections, Error> {
        // Never ignore a setting silently: a request meant to go through a proxy
        // must not go straight to the node instead.
        if config.proxy.is_some() {
            return Err(Error::build(
                "HTTP proxies are not supported on the async-std runtime yet (they are on tokio and blocking)",
            ));
        }
        let connector =
            exchange::Connector::new(elastik_driver::tls::client_config(&config.tls)?, config.connections_per_node);
        Ok(Connections(Arc::new(connector)))
    }

    fn exchange(
        http: &Connections,
        send: SendRequest,
    ) -> impl std::future::Future<Output = Result<http::Response<Bytes>, IoError>> + Send {
        http.0.exchange(send)
    }

    fn sleep_until(until: Instant) -> async_io::Timer {
        async_io::Timer::at(until)
    }

    /// A detached thread: async-io's own reactor runs the sockets and
    /// timers, so no executor is needed.
    fn spawn(task: Task) -> bool {
        std::thread::Builder::new()
            .name("elastik-helper-close".to_owned())
            .spawn(move || async_io::block_on(task))
            .is_ok()
    }
}
