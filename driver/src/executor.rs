//! The drive loop of a call, its tracing span, and the background sniffer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use elastik_proto::machine::Step;
use elastik_proto::transport::{Call, Sniffer, TraceFields, Transport};
use elastik_proto::{Config, Error, Executor, FromConfig, PreparedRequest};
use tracing::field::Empty;
use tracing::Instrument;

use crate::stop::Stopper;
use crate::Runtime;

/// What every client of a runtime shares: the transport (locked only
/// around `poll`/`handle`, never across IO or a wait) and the runtime's
/// HTTP client.
pub struct Driver<R: Runtime> {
    transport: Mutex<Transport>,
    http: R::Http,
    /// Dropped with the driver: stops the background sniffer at once.
    stop: Stopper,
}

impl<R: Runtime> Driver<R> {
    /// The driver for a configuration: the runtime's client-meta marker,
    /// its HTTP client, the transport.
    pub fn new(mut config: Config) -> Result<Arc<Self>, Error> {
        if let Some(meta) = &mut config.client_meta {
            meta.push_str(R::CLIENT_META);
        }
        let http = R::http(&config)?;
        Ok(Arc::new(Driver { transport: Mutex::new(Transport::new(config)), http, stop: Stopper::default() }))
    }

    /// Runs one request through the transport to its result.
    pub fn call(
        self: &Arc<Self>,
        request: PreparedRequest,
    ) -> impl Future<Output = Result<http::Response<Bytes>, Error>> + Send + 'static {
        let driver = Arc::clone(self);
        async move {
            let PreparedRequest { endpoint_id, request, options } = request;
            let call = driver.transport().start(endpoint_id, request, options, Instant::now());
            driver.drive(call).await
        }
    }

    /// The drive loop, inside the call's `elasticsearch` span.
    async fn drive(&self, mut call: Call) -> Result<http::Response<Bytes>, Error> {
        let span = open_span(&call.trace_fields());
        let run = async {
            loop {
                let step = call.poll(&mut self.transport(), Instant::now());
                match step {
                    Step::Send(send) => {
                        record(&span, &call.trace_fields());
                        let outcome = R::exchange(&self.http, send).await;
                        call.handle(&mut self.transport(), outcome, Instant::now());
                    }
                    Step::Wait(Some(until)) => {
                        R::sleep_until(until).await;
                    }
                    Step::Emit(result) => {
                        record(&span, &call.trace_fields());
                        return result;
                    }
                    Step::Wait(None) | Step::Done => return Err(Error::build("the call ended without a result")),
                }
            }
        };
        run.instrument(span.clone()).await
    }

    /// The shared transport, locked. A panic while it was locked cannot
    /// leave it half-updated in a way that matters more than failing every
    /// later call, so a poisoned lock is used as is.
    pub fn transport(&self) -> MutexGuard<'_, Transport> {
        self.transport.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The runtime's HTTP client.
    pub fn http(&self) -> &R::Http {
        &self.http
    }

    /// Sniffs whenever the core's [`Sniffer`] says a sniff is due, until
    /// the driver is dropped (then the future ends at once). It holds no
    /// strong reference while it waits.
    pub fn background_sniffer(self: &Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let weak = Arc::downgrade(self);
        let stopped = self.stop.watch();
        async move {
            let mut sniffer = Sniffer::new();
            loop {
                let Some(driver) = weak.upgrade() else { return };
                let step = sniffer.poll(&mut driver.transport(), Instant::now());
                match step {
                    Step::Send(send) => {
                        let outcome = R::exchange(&driver.http, send).await;
                        sniffer.handle(&mut driver.transport(), outcome, Instant::now());
                    }
                    Step::Wait(Some(until)) => {
                        drop(driver);
                        if stopped.unless(R::sleep_until(until)).await.is_none() {
                            return;
                        }
                    }
                    // The sniffer never finishes and never waits for nothing.
                    Step::Wait(None) | Step::Emit(()) | Step::Done => return,
                }
            }
        }
    }
}

impl<R: Runtime> fmt::Debug for Driver<R> {
    /// The node URLs only (never credentials or headers).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = self.transport();
        let nodes: Vec<String> = transport.pool().nodes().iter().map(|n| n.url.to_string()).collect();
        f.debug_struct(R::NAME).field("nodes", &nodes).finish_non_exhaustive()
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

fn record(span: &tracing::Span, fields: &TraceFields) {
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

/// An executor that hands the driver to the helpers: implemented by
/// [`AsyncExecutor`] and by a blocking runtime's executor.
pub trait Drives: Executor + Clone + Send + Sync + Unpin + 'static {
    /// The runtime.
    type Runtime: Runtime;
    /// The shared driver.
    fn driver(&self) -> &Arc<Driver<Self::Runtime>>;
}

/// The executor of an async runtime: every call a boxed `Send` future.
/// Cheap to clone; clones share the transport and the connections.
pub struct AsyncExecutor<R: Runtime> {
    driver: Arc<Driver<R>>,
}

impl<R: Runtime> Clone for AsyncExecutor<R> {
    fn clone(&self) -> Self {
        AsyncExecutor { driver: Arc::clone(&self.driver) }
    }
}

impl<R: Runtime> fmt::Debug for AsyncExecutor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.driver.fmt(f)
    }
}

impl<R: Runtime> Drives for AsyncExecutor<R> {
    type Runtime = R;
    fn driver(&self) -> &Arc<Driver<R>> {
        &self.driver
    }
}

impl<R: Runtime> AsyncExecutor<R> {
    /// Sniffs whenever the transport says a sniff is due
    /// (`SniffPolicy::before_requests`), until the last clone of the client
    /// is dropped; then the future ends. Spawn it on the executor you use
    /// (a runtime with [`Runtime::SNIFF_IN_BACKGROUND`] spawns it itself).
    pub fn background_sniffer(&self) -> impl Future<Output = ()> + Send + 'static {
        self.driver.background_sniffer()
    }
}

impl<R: Runtime> FromConfig for AsyncExecutor<R> {
    fn from_config(config: Config) -> Result<Self, Error> {
        let sniff = R::SNIFF_IN_BACKGROUND && config.sniff.before_requests.is_some();
        let executor = AsyncExecutor { driver: Driver::new(config)? };
        if sniff {
            // Outside a runtime none is spawned: sniffing then happens before requests only.
            R::spawn(Box::pin(executor.background_sniffer()));
        }
        Ok(executor)
    }
}

impl<R: Runtime> Executor for AsyncExecutor<R> {
    type Output<T: Send + 'static> = Pin<Box<dyn Future<Output = T> + Send>>;

    fn execute(&self, request: PreparedRequest) -> Self::Output<Result<http::Response<Bytes>, Error>> {
        Box::pin(self.driver.call(request))
    }

    fn ready<T: Send + 'static>(value: T) -> Self::Output<T> {
        Box::pin(std::future::ready(value))
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
