//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use elastik_tokio::http::{HeaderMap, Method};
use elastik_tokio::{bytes::Bytes, Body, Client, ClientBuilder, Error};
use serde_json::Value;

/// A builder with a tiny backoff, so that retry tests run fast.
pub fn builder() -> ClientBuilder<Client> {
    Client::builder().backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// A client for one node.
pub fn client(url: &str) -> Client {
    builder().node(url).build().expect("client")
}

/// Sends a request; the raw response or the error.
pub async fn call(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<http::Response<Bytes>, Error> {
    let body = match body {
        Some(v) => Body::json(&v).expect("json body"),
        None => Body::Empty,
    };
    client.perform_request(method, path, &[], HeaderMap::new(), body).await
}

/// Sends a request that must succeed and returns its JSON body.
pub async fn json(client: &Client, method: Method, path: &str, body: Option<Value>) -> Value {
    let response = call(client, method.clone(), path, body).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

pub use elastik_tokio::http;
