//! # elastik-driver
//!
//! Everything a runtime of elastik does above moving bytes, written once:
//! the drive loop of a call (with its `elasticsearch` tracing span), the
//! periodic sniffer, and the helpers ([`helpers`]: the bulk indexer with
//! back-pressure, `bulk` over a stream, scan and sliced scan, reindex, the
//! ES|QL async query), with cancellation on drop.
//!
//! A runtime crate implements [`Runtime`], in the spirit of quinn's
//! `Runtime`: one HTTP exchange, a timer, and a way to run a task (spawn
//! it, or hand it to a thread). Nothing else: every decision is the core's
//! ([`elastik_proto::machine`]: `poll(now)` → send / emit / wait / done,
//! `handle(answer)`), every loop around the core is this crate's.
//!
//! ## How the blocking runtime shares it
//!
//! The driver is written as futures. A blocking runtime implements
//! [`Runtime`] with an exchange that does its IO inside `poll` and a timer
//! that tells [`block_on`] how long it may park; [`block_on`] runs the same
//! futures on the caller's thread. So the blocking runtime shares
//! everything above the wait: the same drive loop, spans, helpers and
//! cancellation, only waiting differently. Requests a helper runs several at
//! once go to [`Runtime::in_background`] (a task on tokio, a thread on the
//! blocking runtime).
//!
//! ## The contract with a runtime
//!
//! - [`Runtime::exchange`] performs one complete HTTP exchange as the core
//!   described it ([`SendRequest`]): absolute URI, every header, the
//!   timeout and the size limit. It never retries, redirects or decompresses.
//! - [`Runtime::sleep_until`] wakes at an instant.
//! - [`Runtime::spawn`] runs a detached task (closing a scan dropped early,
//!   finishing a dropped bulk indexer, the background sniffer) and says
//!   whether it could. A blocking runtime runs it to its end on the
//!   calling thread, so that a helper dropped early is settled when `drop`
//!   returns.

mod block_on;
mod executor;
pub mod helpers;
mod stop;
pub mod tls;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use bytes::Bytes;
use elastik_proto::transport::SendRequest;
use elastik_proto::{Config, Error, IoError};

pub use block_on::{block_on, on_thread, BlockingSleep};
pub use executor::{AsyncExecutor, Driver, Drives};

/// A boxed, sendable future: what the driver hands to [`Runtime::spawn`].
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The answer to one transport call run by a helper.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, Error>> + Send + 'static>>;

/// What a runtime provides: one HTTP exchange, a timer, and tasks.
pub trait Runtime: Send + Sync + Sized + 'static {
    /// The runtime's HTTP client (connection pool, TLS), one per client.
    type Http: Send + Sync + 'static;
    /// The future of [`sleep_until`](Self::sleep_until).
    type Sleep: Future + Send + 'static;

    /// The name of the runtime's executor, for `Debug`.
    const NAME: &'static str;
    /// Appended to the `x-elastic-client-meta` header (`",hc=1"`).
    const CLIENT_META: &'static str;
    /// Whether the client sniffs periodically in a task of its own
    /// (spawned at build time); otherwise the user spawns
    /// [`AsyncExecutor::background_sniffer`].
    const SNIFF_IN_BACKGROUND: bool = false;

    /// The HTTP client for a configuration (TLS, proxies).
    fn http(config: &Config) -> Result<Self::Http, Error>;

    /// One HTTP exchange.
    fn exchange(
        http: &Self::Http,
        send: SendRequest,
    ) -> impl Future<Output = Result<http::Response<Bytes>, IoError>> + Send;

    /// A timer firing at `until`.
    fn sleep_until(until: Instant) -> Self::Sleep;

    /// Runs a detached task; `false` when there is nowhere to run it (on
    /// tokio: outside a runtime). A blocking runtime may run it to its end
    /// before returning.
    fn spawn(task: Task) -> bool;

    /// A helper's request in flight, so that it progresses while the
    /// consumer does something else: a task on tokio, a thread on the
    /// blocking runtime, the future itself (polled by the helper) otherwise.
    fn in_background(call: CallFuture) -> CallFuture {
        call
    }
}
