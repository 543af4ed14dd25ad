//! Retries through the testkit's fault proxy in front of a real noida-db:
//! exact request counts prove the core's decisions are carried out as made.

use std::time::{Duration, Instant};

use elastik_proto::IoErrorKind;
use elastik_testkit::{closed_port_url, test_url, unique_name, Fault, FaultProxy};
use http::{Method, StatusCode};
use serde_json::json;

use crate::{builder, call, transport_kind};

#[async_std::test]
async fn retryable_statuses_then_success() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).build().unwrap();
    proxy.push(Fault::Status(429));
    proxy.push(Fault::Status(503));
    let response = call(&client, Method::GET, "/", None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(proxy.requests(), 3);
}

#[async_std::test]
async fn retries_run_out_with_the_last_status() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).max_retries(2).build().unwrap();
    for _ in 0..3 {
        proxy.push(Fault::Status(502));
    }
    let err = call(&client, Method::GET, "/", None).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(proxy.requests(), 3, "one attempt and two retries");
}

#[async_std::test]
async fn retry_after_is_honoured() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).build().unwrap();
    proxy.push(Fault::StatusRetryAfter(429, 1));
    let started = Instant::now();
    call(&client, Method::GET, "/", None).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert_eq!(proxy.requests(), 2);
}

#[async_std::test]
async fn broken_connections_are_retried_for_get_only() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).build().unwrap();
    let index = unique_name("asyncstd-reset");

    for fault in [Fault::ResetBeforeResponse, Fault::ResetAfterHeaders, Fault::TruncatedBody] {
        let before = proxy.requests();
        proxy.push(fault.clone());
        let response = call(&client, Method::GET, "/", None).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{fault:?}");
        assert_eq!(proxy.requests() - before, 2, "{fault:?}: one failure, one retry");
    }

    // Indexing with POST (server-chosen id) is not idempotent: not retried.
    let before = proxy.requests();
    proxy.push(Fault::ResetBeforeResponse);
    let result = call(&client, Method::POST, &format!("/{index}/_doc"), Some(json!({"a": 1}))).await;
    assert_eq!(transport_kind(result), IoErrorKind::Reset);
    assert_eq!(proxy.requests() - before, 1);

    // Unless the caller says it is safe.
    let before = proxy.requests();
    proxy.push(Fault::ResetBeforeResponse);
    let body = elastik_proto::Body::json(&json!({"a": 2})).unwrap();
    let raw = elastik_proto::endpoint::RawRequest::new(Method::POST, format!("/{index}/_doc")).body(body);
    let response = client.request(raw).retry_safe(true).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(proxy.requests() - before, 2);
    call(&client, Method::DELETE, &format!("/{index}"), None).await.unwrap();
}

#[async_std::test]
async fn a_stall_times_out_and_is_not_retried_by_default() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).request_timeout(Some(Duration::from_millis(300))).build().unwrap();
    proxy.push(Fault::Stall(Duration::from_secs(3)));
    let started = Instant::now();
    let result = call(&client, Method::GET, "/", None).await;
    assert_eq!(transport_kind(result), IoErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    assert_eq!(proxy.requests(), 1);
}

#[async_std::test]
async fn a_stall_is_retried_when_asked() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client =
        builder(&proxy.url()).request_timeout(Some(Duration::from_millis(300))).retry_on_timeout(true).build().unwrap();
    proxy.push(Fault::Stall(Duration::from_secs(3)));
    call(&client, Method::GET, "/", None).await.unwrap();
    assert_eq!(proxy.requests(), 2);
}

/// Nothing listens on the first seed: every request goes to the second one,
/// and no request fails.
#[async_std::test]
async fn refused_connections_move_to_another_node() {
    let Some(url) = test_url() else { return };
    let client = builder(&closed_port_url()).node(url).build().unwrap();
    for _ in 0..4 {
        call(&client, Method::GET, "/", None).await.unwrap();
    }
}

#[async_std::test]
async fn no_node_reachable_is_a_connect_error_with_every_attempt() {
    let client = builder(&closed_port_url()).max_retries(2).build().unwrap();
    match call(&client, Method::GET, "/", None).await {
        Err(elastik_proto::Error::Transport(e)) => {
            assert_eq!(e.kind, IoErrorKind::Connect);
            assert_eq!(e.attempts.len(), 3);
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[async_std::test]
async fn a_body_that_stops_midway_times_out_within_the_deadline() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).request_timeout(Some(Duration::from_millis(300))).build().unwrap();
    proxy.push(Fault::StallBody(Duration::from_secs(3)));
    let started = Instant::now();
    let result = call(&client, Method::GET, "/", None).await;
    assert_eq!(transport_kind(result), IoErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3), "the timeout covers the body, not only the head");
    assert_eq!(proxy.requests(), 1);

    let proxy = FaultProxy::start(&url);
    let client =
        builder(&proxy.url()).request_timeout(Some(Duration::from_millis(300))).retry_on_timeout(true).build().unwrap();
    proxy.push(Fault::StallBody(Duration::from_secs(3)));
    call(&client, Method::GET, "/", None).await.unwrap();
    assert_eq!(proxy.requests(), 2);
}

#[async_std::test]
async fn an_answer_that_is_not_http_is_a_transport_error_retried_only_when_safe() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).build().unwrap();
    proxy.push(Fault::Garbage);
    assert_eq!(call(&client, Method::GET, "/", None).await.unwrap().status(), StatusCode::OK);
    assert_eq!(proxy.requests(), 2, "a GET is retried");

    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).build().unwrap();
    proxy.push(Fault::Garbage);
    let path = format!("/{}/_doc", unique_name("garbage"));
    let result = call(&client, Method::POST, &path, Some(json!({"a": 1}))).await;
    transport_kind(result);
    assert_eq!(proxy.requests(), 1, "a POST _doc may have been applied: no retry");
}

#[async_std::test]
async fn a_node_killed_then_restarted_gets_requests_again_after_its_backoff() {
    let Some(url) = test_url() else { return };
    let mut first = FaultProxy::start(&url);
    let second = FaultProxy::start(&url);
    let client = elastik_async_std::Client::builder().nodes([first.url(), second.url()]).build().unwrap();
    first.kill();
    for _ in 0..6 {
        call(&client, Method::GET, "/", None).await.expect("the other node answers");
    }
    let while_dead = first.requests();
    first.revive();
    // The first dead period is one second; then the node is tried again.
    async_io::Timer::after(Duration::from_millis(1200)).await;
    for _ in 0..6 {
        call(&client, Method::GET, "/", None).await.expect("no request fails");
    }
    assert!(first.requests() > while_dead, "the restarted node was resurrected and used");
    assert_eq!(while_dead, 0, "a killed node accepts nothing");
}

#[test]
fn background_sniffing_runs_when_spawned_and_stops_with_the_client() {
    use elastik_async_std::{Client, SniffPolicy};
    use elastik_testkit::{StubResponse, StubServer};
    let listing = json!({"_nodes": {"total": 0}, "cluster_name": "stub", "nodes": {}}).to_string();
    let seed = StubServer::start(move |_| StubResponse::json(200, listing.clone()));
    let policy = SniffPolicy {
        before_requests: Some(Duration::from_millis(100)),
        min_delay: Duration::from_millis(100),
        ..SniffPolicy::default()
    };
    let client: Client = Client::builder().node(seed.url()).sniff(policy).build().unwrap();
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(seed.request_count(), 0, "nothing sniffs while idle until the sniffer is spawned");
    let sniffer = smol::spawn(client.executor().background_sniffer());
    std::thread::sleep(Duration::from_millis(450));
    let sniffs = seed.request_count();
    assert!(sniffs >= 2, "{sniffs} sniffs in 450 ms");
    assert!(seed.requests().iter().all(|r| r.path == "/_nodes/_all/http"));
    drop(client);
    let ended = smol::block_on(futures_lite::future::or(
        async {
            sniffer.await;
            true
        },
        async {
            async_io::Timer::after(Duration::from_secs(2)).await;
            false
        },
    ));
    assert!(ended, "the sniffer ends with the last client");
}
