//! Retries, timeouts, connection failures, sniffing and headers, with the
//! testkit's fault-injecting proxy in front of a real noida-db and its stub
//! server. The proxy counts requests, so each test checks the exact number
//! of attempts the core's policy calls for.

use std::time::{Duration, Instant};

use elastik_blocking::{Body, Client, ClientBuilder, Error, HeaderMap, IoErrorKind, Method};
use elastik_proto::error::AttemptOutcome;
use elastik_testkit::{closed_port_url, test_url, unique_name, Fault, FaultProxy, StubResponse, StubServer};
use serde_json::json;

fn fast(builder: ClientBuilder<Client>) -> ClientBuilder<Client> {
    builder.backoff(Duration::from_millis(1), Duration::from_millis(20))
}

fn get(client: &Client, path: &str) -> Result<http::Response<bytes::Bytes>, Error> {
    client.perform_request(Method::GET, path, &[], HeaderMap::new(), Body::Empty)
}

fn transport_error(result: Result<http::Response<bytes::Bytes>, Error>) -> Box<elastik_proto::error::TransportError> {
    match result {
        Err(Error::Transport(e)) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[test]
fn retryable_statuses_are_retried_then_succeed() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url())).build().unwrap();
    proxy.push(Fault::Status(429));
    proxy.push(Fault::Status(502));
    proxy.push(Fault::Status(503));
    let response = get(&client, "/").unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(proxy.requests(), 4, "three retries, then the answer");
}

#[test]
fn exhausted_retries_end_in_the_last_api_error() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url())).max_retries(2).build().unwrap();
    for _ in 0..3 {
        proxy.push(Fault::Status(503));
    }
    match get(&client, "/") {
        Err(Error::Api(e)) => assert_eq!(e.status, 503),
        other => panic!("expected the 503 as an API error, got {other:?}"),
    }
    assert_eq!(proxy.requests(), 3);
}

#[test]
fn retry_after_is_honoured() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url())).build().unwrap();
    proxy.push(Fault::StatusRetryAfter(429, 1));
    let started = Instant::now();
    assert_eq!(get(&client, "/").unwrap().status(), 200);
    let log = proxy.log();
    assert_eq!(log.len(), 2);
    // The backoff alone is at most 20 ms here; the server asked for a second.
    assert!(log[1].at.duration_since(log[0].at) >= Duration::from_secs(1), "{log:?}");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn a_reset_before_the_response_is_retried_for_get_but_not_for_post_doc() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url())).build().unwrap();

    proxy.push(Fault::ResetBeforeResponse);
    assert_eq!(get(&client, "/").unwrap().status(), 200);
    assert_eq!(proxy.requests(), 2);

    // A POST to `_doc` may have been applied: retrying could index twice.
    proxy.push(Fault::ResetBeforeResponse);
    let index = unique_name("blocking-reset");
    let body = Body::json(&json!({"a": 1})).unwrap();
    let error =
        transport_error(client.perform_request(Method::POST, &format!("/{index}/_doc"), &[], HeaderMap::new(), body));
    assert_eq!(error.kind, IoErrorKind::Reset);
    assert_eq!(error.attempts.len(), 1);
    assert!(matches!(&error.attempts[0].outcome, AttemptOutcome::Io(e) if e.request_sent));
    assert_eq!(proxy.requests(), 3);
}

#[test]
fn a_truncated_body_is_a_reset_and_get_is_retried() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url())).build().unwrap();
    proxy.push(Fault::TruncatedBody);
    proxy.push(Fault::ResetAfterHeaders);
    assert_eq!(get(&client, "/").unwrap().status(), 200);
    assert_eq!(proxy.requests(), 3);
}

#[test]
fn a_stall_times_out_and_is_not_retried_by_default() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = Client::builder().node(proxy.url()).request_timeout(Some(Duration::from_millis(300))).build().unwrap();
    proxy.push(Fault::Stall(Duration::from_secs(2)));
    let started = Instant::now();
    let error = transport_error(get(&client, "/"));
    assert_eq!(error.kind, IoErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2), "the per-exchange timeout cut it short");
    assert_eq!(proxy.requests(), 1);
}

#[test]
fn refused_connections_are_connect_errors_with_nothing_sent() {
    let client = fast(Client::builder().node(closed_port_url())).max_retries(2).build().unwrap();
    let error = transport_error(get(&client, "/"));
    assert_eq!(error.kind, IoErrorKind::Connect);
    assert_eq!(error.attempts.len(), 3, "nothing was sent, so every retry was allowed");
    for attempt in &error.attempts {
        assert!(matches!(&attempt.outcome, AttemptOutcome::Io(e) if !e.request_sent && e.kind == IoErrorKind::Connect));
    }
}

#[test]
fn bodies_over_the_limit_are_refused() {
    let stub = StubServer::start(|_| StubResponse::json(200, "x".repeat(4096)));
    let client = Client::builder().node(stub.url()).max_response_size(1024).build().unwrap();
    let error = transport_error(get(&client, "/"));
    assert_eq!(error.kind, IoErrorKind::BodyTooLarge);
    assert_eq!(stub.request_count(), 1);
}

#[test]
fn sniffing_turns_one_seed_into_the_listed_nodes() {
    let Some(urls) = elastik_testkit::noida_urls() else { return };
    let proxies: Vec<FaultProxy> = urls.iter().map(|u| FaultProxy::start(u)).collect();
    let nodes: serde_json::Map<String, serde_json::Value> = proxies
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let node =
                json!({"name": format!("n{i}"), "roles": ["data"], "http": {"publish_address": p.addr().to_string()}});
            (format!("node{i}"), node)
        })
        .collect();
    let body = json!({"_nodes": {"total": 3}, "cluster_name": "stub", "nodes": nodes}).to_string();
    let stub = StubServer::start(move |req| {
        assert_eq!(req.path, "/_nodes/_all/http");
        StubResponse::json(200, body.clone())
    });
    let client = Client::builder().node(stub.url()).sniff_on_start(true).build().unwrap();
    for _ in 0..6 {
        assert_eq!(get(&client, "/").unwrap().status(), 200);
    }
    assert_eq!(stub.request_count(), 1, "the seed only answered the sniff");
    let counts: Vec<usize> = proxies.iter().map(FaultProxy::requests).collect();
    assert_eq!(counts, [2, 2, 2]);
}

#[test]
fn requests_carry_the_cores_headers_and_no_ureq_defaults() {
    let stub = StubServer::start(|_| StubResponse::json(201, r#"{"result":"created"}"#));
    let client = Client::builder().node(stub.url()).compress_requests(true).build().unwrap();
    let body = Body::json(&json!({"a": 1})).unwrap();
    client.perform_request(Method::PUT, "/i/_doc/1", &[], HeaderMap::new(), body).unwrap();
    get(&client, "/").unwrap();
    let requests = stub.requests();
    let put = &requests[0];
    let compat = "application/vnd.elasticsearch+json; compatible-with=9";
    assert_eq!(put.header("accept"), Some(compat));
    assert_eq!(put.header("content-type"), Some(compat));
    assert_eq!(put.header("accept-encoding"), Some("gzip"));
    assert_eq!(put.header("content-encoding"), Some("gzip"));
    assert!(put.header("user-agent").unwrap().starts_with("elastik/"));
    assert!(put.header("x-elastic-client-meta").unwrap().ends_with(",ur=3"), "{put:?}");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&put.body[..]), &mut plain).unwrap();
    assert_eq!(plain, br#"{"a":1}"#);
    // A request without a body goes out without one.
    let get = &requests[1];
    assert_eq!(get.header("content-length"), None);
    assert_eq!(get.header("transfer-encoding"), None);
}

#[test]
fn gzip_responses_are_decoded_by_the_core() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, br#"{"hello":"world"}"#).unwrap();
    let compressed = gz.finish().unwrap();
    let stub = StubServer::start(move |_| {
        StubResponse::json(200, "").header("content-encoding", "gzip").body(compressed.clone())
    });
    let client = Client::new(&stub.url()).unwrap();
    let response = get(&client, "/").unwrap();
    assert_eq!(&response.body()[..], br#"{"hello":"world"}"#);
}

#[test]
fn ureq_leaves_gzip_to_the_core() {
    // Were ureq decompressing (its `gzip` feature), a bad gzip body would be
    // its IO error; the core reports it as a decode error.
    let stub = StubServer::start(|_| StubResponse::json(200, "not gzip at all").header("content-encoding", "gzip"));
    let client = Client::new(&stub.url()).unwrap();
    assert!(matches!(get(&client, "/"), Err(Error::Decode(_))));
}

#[test]
fn credentials_never_show_in_debug_or_errors() {
    let url = closed_port_url().replace("http://", "http://elastic:s3cr3t@");
    let client = Client::builder().node(&url).max_retries(0).build().unwrap();
    let secret_b64 = "ZWxhc3RpYzpzM2NyM3Q="; // base64("elastic:s3cr3t")
    let debug = format!("{client:?}");
    assert!(!debug.contains("s3cr3t") && !debug.contains(secret_b64), "{debug}");
    let error = get(&client, "/").unwrap_err();
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains("s3cr3t") && !text.contains(secret_b64), "{text}");
    }

    // The credentials do reach the server, as basic auth.
    let stub = StubServer::start(|_| StubResponse::json(200, "{}"));
    let url = stub.url().replace("http://", "http://elastic:s3cr3t@");
    let client = Client::new(&url).unwrap();
    get(&client, "/").unwrap();
    assert_eq!(stub.requests()[0].header("authorization"), Some(format!("Basic {secret_b64}").as_str()));
}

#[test]
fn a_body_that_stops_midway_times_out_within_the_deadline() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = Client::builder().node(proxy.url()).request_timeout(Some(Duration::from_millis(300))).build().unwrap();
    proxy.push(Fault::StallBody(Duration::from_secs(3)));
    let started = Instant::now();
    let error = transport_error(get(&client, "/"));
    assert_eq!(error.kind, IoErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3), "the timeout covers the body, not only the head");
    assert_eq!(proxy.requests(), 1);

    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url()))
        .request_timeout(Some(Duration::from_millis(300)))
        .retry_on_timeout(true)
        .build()
        .unwrap();
    proxy.push(Fault::StallBody(Duration::from_secs(3)));
    assert_eq!(get(&client, "/").unwrap().status(), 200);
    assert_eq!(proxy.requests(), 2);
}

#[test]
fn an_answer_that_is_not_http_is_a_transport_error_retried_only_when_safe() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url())).build().unwrap();
    proxy.push(Fault::Garbage);
    assert_eq!(get(&client, "/").unwrap().status(), 200);
    assert_eq!(proxy.requests(), 2, "a GET is retried");

    let proxy = FaultProxy::start(&url);
    let client = fast(Client::builder().node(proxy.url())).build().unwrap();
    proxy.push(Fault::Garbage);
    let path = format!("/{}/_doc", unique_name("garbage"));
    let body = Body::json(&json!({"a": 1})).unwrap();
    let result = client.perform_request(Method::POST, &path, &[], HeaderMap::new(), body);
    transport_error(result);
    assert_eq!(proxy.requests(), 1, "a POST _doc may have been applied: no retry");
}

#[test]
fn a_node_killed_then_restarted_gets_requests_again_after_its_backoff() {
    let Some(url) = test_url() else { return };
    let mut first = FaultProxy::start(&url);
    let second = FaultProxy::start(&url);
    let client = Client::builder().nodes([first.url(), second.url()]).build().unwrap();
    first.kill();
    for _ in 0..6 {
        get(&client, "/").expect("the other node answers");
    }
    let while_dead = first.requests();
    first.revive();
    // The first dead period is one second; then the node is tried again.
    std::thread::sleep(Duration::from_millis(1200));
    for _ in 0..6 {
        get(&client, "/").expect("no request fails");
    }
    assert!(first.requests() > while_dead, "the restarted node was resurrected and used");
    assert_eq!(while_dead, 0, "a killed node accepts nothing");
}
