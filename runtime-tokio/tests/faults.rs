//! Retries, timeouts, resets and several nodes, through [`FaultProxy`]s in
//! front of real noida-db servers (skipped when the servers are not running).

mod common;

use std::time::Duration;

use common::{builder, call, client, json};
use elastik_testkit::{
    closed_port_url, noida_urls, test_url, unique_name, Fault, FaultProxy, StubResponse, StubServer,
};
use elastik_tokio::http::{Method, StatusCode};
use elastik_tokio::{Client, Error, IoErrorKind, SniffPolicy};
use serde_json::json;

fn transport_kind(e: &Error) -> Option<IoErrorKind> {
    match e {
        Error::Transport(t) => Some(t.kind),
        _ => None,
    }
}

#[tokio::test]
async fn retryable_statuses_are_retried_then_succeed() {
    let Some(url) = test_url() else { return };
    for status in [429, 502, 503, 504] {
        let proxy = FaultProxy::start(&url);
        proxy.push(Fault::Status(status));
        proxy.push(Fault::Status(status));
        let response = call(&client(&proxy.url()), Method::GET, "/", None).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(proxy.requests(), 3, "two {status}s, then success");
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::StatusRetryAfter(429, 1));
    call(&client(&proxy.url()), Method::GET, "/", None).await.unwrap();
    let log = proxy.log();
    assert_eq!(log.len(), 2);
    let waited = log[1].at - log[0].at;
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?} (the backoff cap is 5 ms)");
}

#[tokio::test]
async fn exhausted_retries_surface_the_last_status_as_an_api_error() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    for _ in 0..3 {
        proxy.push(Fault::Status(503));
    }
    let client = builder().node(proxy.url()).max_retries(2).build().unwrap();
    let e = call(&client, Method::GET, "/", None).await.unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::SERVICE_UNAVAILABLE), "{e:?}");
    assert_eq!(proxy.requests(), 3, "first attempt + 2 retries");
}

#[tokio::test]
async fn broken_connections_are_retried_for_safe_requests() {
    let Some(url) = test_url() else { return };
    for fault in [Fault::ResetBeforeResponse, Fault::ResetAfterHeaders, Fault::TruncatedBody, Fault::Close] {
        let proxy = FaultProxy::start(&url);
        proxy.push(fault.clone());
        let response = call(&client(&proxy.url()), Method::GET, "/", None).await;
        assert!(response.is_ok(), "{fault:?}: {response:?}");
        assert_eq!(proxy.requests(), 2, "{fault:?}: one retry");
    }
}

#[tokio::test]
async fn a_reset_post_index_is_not_retried() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::ResetBeforeResponse);
    let path = format!("/{}/_doc", unique_name("post"));
    let e = call(&client(&proxy.url()), Method::POST, &path, Some(json!({"a": 1}))).await.unwrap_err();
    assert_eq!(transport_kind(&e), Some(IoErrorKind::Reset), "{e:?}");
    assert_eq!(proxy.requests(), 1, "POST _doc may have been applied: no retry");
}

#[tokio::test]
async fn a_stall_times_out_and_is_retried_only_when_asked() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::Stall(Duration::from_secs(2)));
    let timeout = Some(Duration::from_millis(300));
    let client = builder().node(proxy.url()).request_timeout(timeout).build().unwrap();
    let e = call(&client, Method::GET, "/", None).await.unwrap_err();
    assert_eq!(transport_kind(&e), Some(IoErrorKind::Timeout), "{e:?}");
    assert_eq!(proxy.requests(), 1);

    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::Stall(Duration::from_secs(2)));
    let client = builder().node(proxy.url()).request_timeout(timeout).retry_on_timeout(true).build().unwrap();
    call(&client, Method::GET, "/", None).await.unwrap();
    assert_eq!(proxy.requests(), 2);
}

#[tokio::test]
async fn a_refused_connection_moves_on_to_the_next_node() {
    let Some(url) = test_url() else { return };
    let refused = closed_port_url();
    let client = builder().nodes([refused.clone(), url]).build().unwrap();
    for _ in 0..3 {
        call(&client, Method::GET, "/", None).await.unwrap();
    }
    let alone = builder().node(&refused).max_retries(1).build().unwrap();
    let e = call(&alone, Method::GET, "/", None).await.unwrap_err();
    match e {
        Error::Transport(t) => {
            assert_eq!(t.kind, IoErrorKind::Connect);
            assert_eq!(t.attempts.len(), 2);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn round_robin_spreads_requests_over_three_nodes() {
    let Some(urls) = noida_urls() else { return };
    let proxies: Vec<FaultProxy> = urls.iter().map(|u| FaultProxy::start(u)).collect();
    let client = builder().nodes(proxies.iter().map(FaultProxy::url)).build().unwrap();
    for _ in 0..9 {
        call(&client, Method::GET, "/", None).await.unwrap();
    }
    let counts: Vec<usize> = proxies.iter().map(FaultProxy::requests).collect();
    assert_eq!(counts, [3, 3, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_run_fails_no_request() {
    let Some(urls) = noida_urls() else { return };
    let proxies: Vec<FaultProxy> = urls.iter().map(|u| FaultProxy::start(u)).collect();
    let client = builder().nodes(proxies.iter().map(FaultProxy::url)).build().unwrap();
    let index = unique_name("killed");
    let mut tasks = Vec::new();
    for i in 0..60 {
        if i == 20 {
            proxies[1].kill();
        }
        let client = client.clone();
        let path = format!("/{index}/_doc/{i}");
        tasks.push(tokio::spawn(async move { call(&client, Method::PUT, &path, Some(json!({ "i": i }))).await }));
        if i % 4 == 0 {
            tokio::task::yield_now().await;
        }
    }
    for task in tasks {
        let result = task.await.unwrap();
        assert!(result.is_ok(), "{result:?}");
    }
    let before = proxies[1].requests();
    for _ in 0..6 {
        call(&client, Method::GET, "/", None).await.unwrap();
    }
    assert_eq!(proxies[1].requests(), before, "the dead node gets no more requests");
    assert!(proxies[0].requests() > 0 && proxies[2].requests() > 0);
}

fn nodes_listing(addrs: &[std::net::SocketAddr]) -> String {
    let nodes: serde_json::Map<String, serde_json::Value> = addrs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let node = json!({"name": format!("n{i}"), "roles": ["data", "master"], "http": {"publish_address": a.to_string()}});
            (format!("node-{i}"), node)
        })
        .collect();
    json!({"_nodes": {"total": addrs.len()}, "cluster_name": "stub", "nodes": nodes}).to_string()
}

#[tokio::test]
async fn sniffing_on_start_turns_one_seed_into_three_nodes() {
    let Some(urls) = noida_urls() else { return };
    let proxies: Vec<FaultProxy> = urls.iter().map(|u| FaultProxy::start(u)).collect();
    let listing = nodes_listing(&proxies.iter().map(FaultProxy::addr).collect::<Vec<_>>());
    let seed = StubServer::start(move |r| match r.path.as_str() {
        "/_nodes/_all/http" => StubResponse::json(200, listing.clone()),
        _ => StubResponse::json(500, "{}"),
    });
    let client = builder().node(seed.url()).sniff_on_start(true).build().unwrap();
    for _ in 0..6 {
        call(&client, Method::GET, "/", None).await.unwrap();
    }
    assert_eq!(seed.request_count(), 1, "only the sniff went to the seed");
    let counts: Vec<usize> = proxies.iter().map(FaultProxy::requests).collect();
    assert_eq!(counts, [2, 2, 2]);
    assert!(format!("{client:?}").contains(&proxies[2].addr().to_string()));
}

#[tokio::test]
async fn background_sniffing_runs_while_idle_and_stops_with_the_client() {
    let listing = nodes_listing(&[]);
    let seed = StubServer::start(move |_| StubResponse::json(200, listing.clone()));
    let policy = SniffPolicy {
        before_requests: Some(Duration::from_millis(100)),
        min_delay: Duration::from_millis(100),
        ..SniffPolicy::default()
    };
    let client: Client = builder().node(seed.url()).sniff(policy).build().unwrap();
    tokio::time::sleep(Duration::from_millis(450)).await;
    let sniffs = seed.request_count();
    assert!(sniffs >= 2, "{sniffs} sniffs in 450 ms");
    assert!(seed.requests().iter().all(|r| r.path == "/_nodes/_all/http"));
    drop(client);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after_drop = seed.request_count();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seed.request_count(), after_drop, "the sniffer stopped with the last client");
}

#[tokio::test]
async fn invalid_json_is_returned_not_retried() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::InvalidJson);
    let response = call(&client(&proxy.url()), Method::GET, "/", None).await.unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(response.body()).is_err());
    assert_eq!(proxy.requests(), 1);
    // The next answer is the real one.
    assert!(json(&client(&proxy.url()), Method::GET, "/", None).await["version"].is_object());
}

#[tokio::test]
async fn a_body_that_stops_midway_times_out_within_the_deadline() {
    let Some(url) = test_url() else { return };
    let timeout = Some(Duration::from_millis(300));
    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::StallBody(Duration::from_secs(3)));
    let client = builder().node(proxy.url()).request_timeout(timeout).build().unwrap();
    let started = std::time::Instant::now();
    let e = call(&client, Method::GET, "/", None).await.unwrap_err();
    assert_eq!(transport_kind(&e), Some(IoErrorKind::Timeout), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "the timeout covers the body, not only the head");
    assert_eq!(proxy.requests(), 1);

    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::StallBody(Duration::from_secs(3)));
    let client = builder().node(proxy.url()).request_timeout(timeout).retry_on_timeout(true).build().unwrap();
    assert!(json(&client, Method::GET, "/", None).await["version"].is_object());
    assert_eq!(proxy.requests(), 2);
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_a_transport_error_retried_only_when_safe() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::Garbage);
    assert!(json(&client(&proxy.url()), Method::GET, "/", None).await["version"].is_object());
    assert_eq!(proxy.requests(), 2, "a GET is retried");

    let proxy = FaultProxy::start(&url);
    proxy.push(Fault::Garbage);
    let path = format!("/{}/_doc", unique_name("garbage"));
    let e = call(&client(&proxy.url()), Method::POST, &path, Some(json!({"a": 1}))).await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert_eq!(proxy.requests(), 1, "a POST _doc may have been applied: no retry");
}

#[tokio::test]
async fn a_node_killed_then_restarted_gets_requests_again_after_its_backoff() {
    let Some(url) = test_url() else { return };
    let mut first = FaultProxy::start(&url);
    let second = FaultProxy::start(&url);
    let client = builder().nodes([first.url(), second.url()]).build().unwrap();
    first.kill();
    for _ in 0..6 {
        call(&client, Method::GET, "/", None).await.expect("the other node answers");
    }
    let while_dead = first.requests();
    first.revive();
    // The first dead period is one second; then the node is tried again.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for _ in 0..6 {
        call(&client, Method::GET, "/", None).await.expect("no request fails");
    }
    assert!(first.requests() > while_dead, "the restarted node was resurrected and used");
    assert_eq!(while_dead, 0, "a killed node accepts nothing");
}
