//! The wire under the core, through the testkit's proxies:
//!
//! - every attempt is the core's: a reused keep-alive connection that breaks
//!   after the request went out is retried exactly as the core's rules say
//!   (GET yes, `POST _doc` no), hyper adds no attempt of its own (its retry of canceled requests is off), and the
//!   error lists every attempt the server saw;
//! - an HTTP proxy: requests to `http://` nodes go to it in absolute form,
//!   `https://` nodes through a `CONNECT` tunnel; proxy credentials go to
//!   the proxy only, and never into an error.

use std::time::Duration;

use elastik_proto::error::{AttemptOutcome, TransportError};
use elastik_testkit::{
    test_url, unique_name, Fault, FaultProxy, ForwardProxy, ProxyOutcome, StubResponse, StubServer, TlsServer,
};
use elastik_tokio::http::{HeaderMap, Method};
use elastik_tokio::{Body, Client, ClientBuilder, Error, IoErrorKind};
use serde_json::json;

fn fast(builder: ClientBuilder<Client>) -> ClientBuilder<Client> {
    builder.backoff(Duration::from_millis(1), Duration::from_millis(20))
}

type Answer = Result<elastik_tokio::http::Response<elastik_tokio::bytes::Bytes>, Error>;

async fn get(client: &Client, path: &str) -> Answer {
    client.perform_request(Method::GET, path, &[], HeaderMap::new(), Body::Empty).await
}

fn transport_error(result: Answer) -> Box<TransportError> {
    match result {
        Err(Error::Transport(e)) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

fn assert_all_sent_then_broken(error: &TransportError) {
    for attempt in &error.attempts {
        assert!(
            matches!(&attempt.outcome, AttemptOutcome::Io(e) if e.request_sent && e.kind == IoErrorKind::Reset),
            "{attempt:?}"
        );
    }
}

#[tokio::test]
async fn a_broken_reused_connection_gets_exactly_the_attempts_the_core_decides() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url())).max_retries(2).build().unwrap();

    // One answered request leaves one idle keep-alive connection.
    assert_eq!(get(&client, "/").await.unwrap().status(), 200);
    for _ in 0..3 {
        proxy.push(Fault::ResetBeforeResponse);
    }
    let error = transport_error(get(&client, "/").await);
    assert_eq!(error.attempts.len(), 3, "the first attempt and max_retries = 2 retries: {error}");
    assert_all_sent_then_broken(&error);
    let log = proxy.log();
    assert_eq!(log.len(), 4, "the warm-up, then exactly the attempts in the error: {log:?}");
    assert_eq!(log[1].connection, log[0].connection, "the first attempt went out on the reused connection");
    assert!(log[2..].iter().all(|r| r.connection != log[0].connection), "retries open new connections");

    // A POST to `_doc` is not safe to resend: one attempt, on the reused connection.
    assert_eq!(get(&client, "/").await.unwrap().status(), 200);
    proxy.push(Fault::ResetBeforeResponse);
    let path = format!("/{}/_doc", unique_name("tokio-wire"));
    let body = Body::json(&json!({"a": 1})).unwrap();
    let error = transport_error(client.perform_request(Method::POST, &path, &[], HeaderMap::new(), body).await);
    assert_eq!(error.attempts.len(), 1, "{error}");
    assert_all_sent_then_broken(&error);
    let log = proxy.log();
    assert_eq!(log.len(), 6, "{log:?}");
    assert_eq!((log[5].method.as_str(), log[5].connection), ("POST", log[4].connection));
}

#[tokio::test]
async fn plain_requests_go_to_the_proxy_in_absolute_form_with_its_credentials() {
    let node = StubServer::start(|_| StubResponse::json(200, "{}").header("x-elastic-product", "Elasticsearch"));
    let proxy = ForwardProxy::with_credentials("proxy-user", "proxy-secret");
    let client = Client::builder()
        .node(node.url())
        .basic_auth("elastic", "node-secret")
        .proxy(&proxy.url_with_credentials("proxy-user", "proxy-secret"))
        .build()
        .unwrap();
    for _ in 0..2 {
        assert_eq!(get(&client, "/_cluster/health?local=true").await.unwrap().status(), 200);
    }
    let log = proxy.log();
    assert_eq!(log.len(), 2, "{log:?}");
    for record in &log {
        assert_eq!(record.method, "GET");
        assert_eq!(record.target, format!("{}/_cluster/health?local=true", node.url()), "absolute form");
        assert_eq!(record.outcome, ProxyOutcome::Forwarded(200));
        assert!(record.proxy_authorization.as_deref().is_some_and(|v| v.starts_with("Basic ")));
        assert!(record.authorization, "the node's credentials travel with the request");
    }
    let seen = node.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.header("authorization").is_some() && r.header("proxy-authorization").is_none()));
}

#[tokio::test]
async fn a_real_node_answers_through_the_proxy() {
    let Some(url) = test_url() else { return };
    let proxy = ForwardProxy::start();
    let client = Client::builder().node(&url).proxy(&proxy.url()).build().unwrap();
    let response = get(&client, "/").await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(serde_json::from_slice::<serde_json::Value>(response.body()).unwrap()["version"].is_object());
    assert_eq!(proxy.forwarded(), 1);
}

#[tokio::test]
async fn https_nodes_are_reached_through_a_connect_tunnel() {
    let node = TlsServer::start();
    let proxy = ForwardProxy::start();
    let client =
        Client::builder().node(node.url()).ca_certificate_pem(node.ca_pem()).proxy(&proxy.url()).build().unwrap();
    let response = get(&client, "/").await.unwrap();
    assert_eq!((response.status().as_u16(), &response.body()[..]), (200, &b"{\"tls\":true}"[..]));
    assert_eq!(get(&client, "/").await.unwrap().status(), 200);
    let log = proxy.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].target, format!("localhost:{}", node.addr().port()));
    assert_eq!(log[0].outcome, ProxyOutcome::Tunnelled);
    assert_eq!(node.requests(), 2);
}

#[tokio::test]
async fn a_wrong_proxy_password_is_a_clear_error_without_the_secret() {
    let node = TlsServer::start();
    let proxy = ForwardProxy::with_credentials("proxy-user", "right-password");
    let builder = fast(Client::builder())
        .node(node.url())
        .ca_certificate_pem(node.ca_pem())
        .max_retries(1)
        .proxy(&proxy.url_with_credentials("proxy-user", "wrong-s3cret"));
    assert!(!format!("{builder:?}").contains("wrong-s3cret"));
    let client = builder.build().unwrap();
    let error = transport_error(get(&client, "/").await);
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("wrong-s3cret"), "{shown}");
    assert!(shown.contains("proxy authorization required"), "the proxy's answer is in the error: {error}");
    assert_eq!(error.kind, IoErrorKind::Connect);
    assert_eq!(error.attempts.len(), 2, "nothing reached the node, so the retry was allowed");
    assert!(error.attempts.iter().all(|a| matches!(&a.outcome, AttemptOutcome::Io(e) if !e.request_sent)));
    assert_eq!(node.requests(), 0);
    assert_eq!(proxy.log().iter().filter(|r| r.outcome == ProxyOutcome::AuthRequired).count(), 2);

    // A plain request gets the proxy's 407 as its answer.
    let plain = StubServer::start(|_| StubResponse::json(200, "{}"));
    let client = Client::builder()
        .node(plain.url())
        .proxy(&proxy.url_with_credentials("proxy-user", "wrong-s3cret"))
        .build()
        .unwrap();
    match get(&client, "/").await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 407);
            assert!(!format!("{e} {e:?}").contains("wrong-s3cret"));
        }
        other => panic!("expected the proxy's 407, got {other:?}"),
    }
    assert_eq!(plain.request_count(), 0);
}
