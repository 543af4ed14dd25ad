//! Integration tests of elastik-async-std: real servers (noida-db,
//! osmem-server; skipped when `scripts/test.sh` did not start them), the
//! testkit's fault proxy and stub server, and a local TLS server.

mod esql;
mod fault_suite;
mod faults;
mod helpers;
mod noida;
mod runtimes;
mod tls;

use bytes::Bytes;
use elastik_async_std::Client;
use elastik_proto::{Body, ClientBuilder, Error};
use http::{HeaderMap, Method};

/// A builder with fast backoff, so retry tests do not sleep long.
pub fn builder(url: &str) -> ClientBuilder<Client> {
    Client::builder().node(url).backoff(std::time::Duration::from_millis(1), std::time::Duration::from_millis(20))
}

/// One raw request with an optional JSON body.
pub async fn call(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<http::Response<Bytes>, Error> {
    let body = match body {
        Some(v) => Body::json(&v).expect("serializable"),
        None => Body::Empty,
    };
    client.perform_request(method, path, &[], HeaderMap::new(), body).await
}

/// The JSON body of a response.
pub fn json(response: &http::Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(response.body()).expect("a JSON body")
}

/// The transport error's kind, or a panic naming what came instead.
pub fn transport_kind(result: Result<http::Response<Bytes>, Error>) -> elastik_proto::IoErrorKind {
    match result {
        Err(Error::Transport(e)) => e.kind,
        other => panic!("expected a transport error, got {other:?}"),
    }
}
