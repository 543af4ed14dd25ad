//! [`crate::keep_alive_matrix!`]: every attempt is the core's, on every
//! runtime. A [`crate::FaultProxy`] closes a reused keep-alive connection as
//! soon as the next request arrives on it; exactly the attempts the core
//! decided (the first try and its `max_retries` retries) reach the proxy,
//! and the error lists every one of them. A hidden retry in the HTTP
//! library (hyper-util's `retry_canceled_requests`) would show up as an
//! extra request in the proxy's log or a missing attempt in the error.

/// Instantiates the keep-alive reset test for a runtime.
///
/// ```ignore
/// elastik_testkit::keep_alive_matrix!(elastik_tokio, call);
/// ```
///
/// `$call` is the same function as for [`crate::tls_matrix!`]:
/// `fn(ClientBuilder<Client>, usize) -> Result<(), Error>`, which builds the
/// client and performs that many `GET /` one after the other on it.
#[macro_export]
macro_rules! keep_alive_matrix {
    ($krate:ident, $call:ident) => {
        mod keep_alive_matrix {
            use super::$call as call;
            use $crate::{Fault, FaultProxy, StubResponse, StubServer};
            use $krate::{Client, Error};

            #[test]
            fn a_closed_keep_alive_connection_costs_exactly_the_attempts_the_core_decided() {
                let upstream = StubServer::start(|_| StubResponse::json(200, "{}"));
                let proxy = FaultProxy::start(&upstream.url());
                // The first request passes and leaves its connection in the
                // pool; the second arrives on that connection, which closes
                // under it; so does its one retry.
                proxy.push(Fault::Pass);
                proxy.push(Fault::Close);
                proxy.push(Fault::Close);
                let builder = Client::builder()
                    .node(&proxy.url())
                    .max_retries(1)
                    .backoff(std::time::Duration::from_millis(1), std::time::Duration::from_millis(5));
                let error = match call(builder, 2) {
                    Err(Error::Transport(e)) => e,
                    other => panic!("expected a transport error, got {other:?}"),
                };
                assert_eq!(error.attempts.len(), 2, "the first try and its one retry: {error}");
                let log = proxy.log();
                assert_eq!(log.len(), 3, "one request that passed, then exactly the two attempts: {log:?}");
                assert_eq!(log[0].connection, log[1].connection, "the second request reused the kept-alive connection");
                assert_eq!(proxy.pending_faults(), 0);
                assert_eq!(upstream.requests().len(), 1, "only the first request reached the server");
            }
        }
    };
}
