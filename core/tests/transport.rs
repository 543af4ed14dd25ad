//! The transport rules, each driven deterministically: a manual clock and
//! scripted outcomes, no IO.
#![allow(clippy::disallowed_methods)] // one Instant::now() per test, as the clock's origin

use std::time::{Duration, Instant};

use bytes::Bytes;
use elastik_proto::endpoint::{RawRequest, UrlMethods};
use elastik_proto::error::AttemptOutcome;
use elastik_proto::machine::Step;
use elastik_proto::media::Compatibility;
use elastik_proto::transport::{Call, Node, RandomSelector, Selector, Transport};
use elastik_proto::{Body, ClientBuilder, Endpoint, Error, IoError, IoErrorKind, RequestOptions};
use http::{Method, StatusCode};

type Builder = ClientBuilder<()>;

fn builder(nodes: &[&str]) -> Builder {
    Builder::new().nodes(nodes.iter().copied())
}

fn transport(b: Builder) -> Transport {
    Transport::new(b.into_config().unwrap())
}

fn ok() -> http::Response<Bytes> {
    resp(200, "{}")
}

fn resp(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("x-elastic-product", "Elasticsearch")
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

fn start(t: &mut Transport, method: Method, path: &str, now: Instant) -> Call {
    let ep = RawRequest::new(method, path);
    t.start(ep.id(), ep.to_request().unwrap(), RequestOptions::default(), now)
}

/// Drives a call with scripted outcomes; returns the result, the URLs sent
/// to, and the waits asked for. The clock jumps to each wait.
struct Run {
    result: Result<http::Response<Bytes>, Error>,
    sent: Vec<http::Request<Bytes>>,
    waits: Vec<Duration>,
    end: Instant,
}

fn drive(
    t: &mut Transport,
    call: &mut Call,
    mut now: Instant,
    mut script: impl FnMut(&http::Request<Bytes>) -> Result<http::Response<Bytes>, IoError>,
) -> Run {
    let mut sent = Vec::new();
    let mut waits = Vec::new();
    for _ in 0..100 {
        match call.poll(t, now) {
            Step::Send(s) => {
                let outcome = script(&s.request);
                sent.push(s.request);
                call.handle(t, outcome, now);
            }
            Step::Wait(Some(until)) => {
                waits.push(until - now);
                now = until;
            }
            Step::Emit(result) => return Run { result, sent, waits, end: now },
            Step::Wait(None) | Step::Done => panic!("a call polled with no exchange out emits its result first"),
        }
    }
    panic!("call did not finish");
}

fn hosts(sent: &[http::Request<Bytes>]) -> Vec<String> {
    sent.iter().map(|r| r.uri().authority().unwrap().to_string()).collect()
}

const THREE: [&str; 3] = ["http://n1:9200", "http://n2:9200", "http://n3:9200"];

#[test]
fn round_robin_spreads_requests_in_order() {
    let mut t = transport(builder(&THREE));
    let now = Instant::now();
    let mut seen = Vec::new();
    for _ in 0..6 {
        let mut c = start(&mut t, Method::GET, "/", now);
        let run = drive(&mut t, &mut c, now, |_| Ok(ok()));
        seen.extend(hosts(&run.sent));
    }
    assert_eq!(seen, ["n1:9200", "n2:9200", "n3:9200", "n1:9200", "n2:9200", "n3:9200"]);
}

#[test]
fn seeded_random_selector_replays_and_spreads() {
    let pick = |seed| {
        let mut t = transport(builder(&THREE).selector(RandomSelector).seed(seed));
        let now = Instant::now();
        (0..30)
            .map(|_| {
                let mut c = start(&mut t, Method::GET, "/", now);
                hosts(&drive(&mut t, &mut c, now, |_| Ok(ok())).sent)[0].clone()
            })
            .collect::<Vec<_>>()
    };
    let a = pick(7);
    assert_eq!(a, pick(7), "same seed, same choices");
    assert_ne!(a, pick(8), "another seed, other choices");
    for n in ["n1:9200", "n2:9200", "n3:9200"] {
        assert!(a.iter().any(|h| h == n), "{n} never chosen");
    }
}

#[derive(Clone)]
struct AlwaysLast;
impl Selector for AlwaysLast {
    fn select(&mut self, candidates: &[&Node], _random: u64) -> usize {
        candidates.len() - 1
    }
}

#[test]
fn custom_selectors_are_used() {
    let mut t = transport(builder(&THREE).selector(AlwaysLast));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    assert_eq!(hosts(&drive(&mut t, &mut c, now, |_| Ok(ok())).sent), ["n3:9200"]);
}

fn refused(_: &http::Request<Bytes>) -> Result<http::Response<Bytes>, IoError> {
    Err(IoError::new(IoErrorKind::Connect, "connection refused"))
}

#[test]
fn connect_errors_retry_on_the_next_node_and_mark_the_node_dead() {
    let mut t = transport(builder(&THREE));
    let now = Instant::now();
    let mut c = start(&mut t, Method::POST, "/i/_doc", now);
    let run = drive(&mut t, &mut c, now, |r| if r.uri().host() == Some("n1") { refused(r) } else { Ok(ok()) });
    assert!(run.result.is_ok());
    let sent = hosts(&run.sent);
    assert_eq!(sent.len(), 2, "a connect error is retried, even for POST");
    assert_eq!(sent[0], "n1:9200");
    assert_ne!(sent[1], "n1:9200", "the retry goes to another node");
    let n1 = &t.pool().nodes()[0];
    assert!(!n1.is_alive());
    assert_eq!(n1.failures, 1);
    assert_eq!(n1.dead_until, Some(now + Duration::from_secs(1)));
}

#[test]
fn tls_failures_try_each_node_once_and_are_not_retried_for_the_whole_budget() {
    let tls = |_: &http::Request<Bytes>| Err(IoError::new(IoErrorKind::Tls, "invalid peer certificate: UnknownIssuer"));
    let mut t = transport(builder(&THREE));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, tls);
    assert_eq!(run.sent.len(), 3, "one attempt per node, then the error");
    let mut nodes = hosts(&run.sent);
    nodes.sort();
    assert_eq!(nodes, ["n1:9200", "n2:9200", "n3:9200"]);
    match run.result {
        Err(Error::Transport(e)) => {
            assert_eq!(e.kind, IoErrorKind::Tls);
            assert_eq!(e.attempts.len(), 3);
        }
        other => panic!("expected a TLS transport error, got {other:?}"),
    }
    assert!(run.end - now < Duration::from_secs(60), "not retried until the two-minute budget runs out");

    // One node with a good certificate among bad ones: the call succeeds.
    let mut t = transport(builder(&THREE));
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, |r| if r.uri().host() == Some("n3") { Ok(ok()) } else { tls(r) });
    assert!(run.result.is_ok());
}

#[test]
fn dead_nodes_come_back_after_their_backoff_one_at_a_time() {
    let mut t = transport(builder(&THREE).max_retries(0));
    let t0 = Instant::now();
    // n1 and n2 refuse connections until both are dead (1 s each).
    let down = |r: &http::Request<Bytes>| if r.uri().host() == Some("n3") { Ok(ok()) } else { refused(r) };
    for _ in 0..3 {
        let mut c = start(&mut t, Method::GET, "/", t0);
        let _ = drive(&mut t, &mut c, t0, down);
    }
    assert_eq!(t.pool().nodes().iter().filter(|n| n.is_alive()).count(), 1);
    // Before the backoff: only n3 serves.
    for _ in 0..3 {
        let mut c = start(&mut t, Method::GET, "/", t0);
        assert_eq!(hosts(&drive(&mut t, &mut c, t0, |_| Ok(ok())).sent), ["n3:9200"]);
    }
    // After it: the first selection resurrects n1 only, the next n2.
    let t1 = t0 + Duration::from_secs(1);
    let mut c = start(&mut t, Method::GET, "/", t1);
    assert_eq!(hosts(&drive(&mut t, &mut c, t1, |_| Ok(ok())).sent), ["n1:9200"]);
    assert_eq!(t.pool().nodes().iter().filter(|n| n.is_alive()).count(), 2, "one resurrection per selection");
    let mut c = start(&mut t, Method::GET, "/", t1);
    assert_eq!(hosts(&drive(&mut t, &mut c, t1, |_| Ok(ok())).sent), ["n2:9200"]);
}

#[test]
fn dead_node_backoff_doubles_per_consecutive_failure_and_caps() {
    let mut t = transport(builder(&["http://only:9200"]).max_retries(0));
    let mut now = Instant::now();
    let mut seen = Vec::new();
    for _ in 0..7 {
        let mut c = start(&mut t, Method::GET, "/", now);
        let _ = drive(&mut t, &mut c, now, refused);
        let until = t.pool().nodes()[0].dead_until.unwrap();
        seen.push((until - now).as_secs());
        now = until;
    }
    assert_eq!(seen, [1, 2, 4, 8, 16, 30, 30]);
    // A success resets it.
    let mut c = start(&mut t, Method::GET, "/", now);
    drive(&mut t, &mut c, now, |_| Ok(ok())).result.unwrap();
    assert_eq!(t.pool().nodes()[0].failures, 0);
}

#[test]
fn when_every_node_is_dead_one_is_forced_back() {
    let mut t = transport(builder(&["http://a:9200", "http://b:9200"]).max_retries(0));
    let now = Instant::now();
    for _ in 0..2 {
        let mut c = start(&mut t, Method::GET, "/", now);
        let _ = drive(&mut t, &mut c, now, refused);
    }
    assert!(t.pool().nodes().iter().all(|n| !n.is_alive()));
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, |_| Ok(ok()));
    assert!(run.result.is_ok());
    assert_eq!(run.sent.len(), 1);
}

#[test]
fn retryable_statuses_are_retried_with_backoff_then_surface() {
    for status in [429u16, 502, 503, 504] {
        let mut t = transport(builder(&THREE).max_retries(3));
        let now = Instant::now();
        let mut c = start(&mut t, Method::GET, "/_search", now);
        let run = drive(&mut t, &mut c, now, |_| Ok(resp(status, "{\"error\":\"busy\",\"status\":1}")));
        assert_eq!(run.sent.len(), 4, "1 attempt + 3 retries for {status}");
        assert_eq!(run.waits.len(), 3);
        let response = run.result.unwrap();
        assert_eq!(response.status().as_u16(), status, "the last answer is returned");
        let err = RawRequest::new(Method::GET, "/").decode(&response).unwrap_err();
        assert_eq!(err.status().unwrap().as_u16(), status);
        assert_eq!(c.attempts().len(), 4);
        assert!(c.attempts().iter().all(|a| a.outcome == AttemptOutcome::Status(status)));
        let dead = t.pool().nodes().iter().filter(|n| !n.is_alive()).count();
        if status == 429 {
            assert_eq!(dead, 0, "429 means busy, not dead");
        } else {
            assert!(dead > 0, "{status} marks the node dead");
        }
    }
}

#[test]
fn status_not_in_the_retry_list_is_returned_at_once() {
    let mut t = transport(builder(&THREE).retry_on_status(&[503]));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, |_| Ok(resp(429, "{}")));
    assert_eq!(run.sent.len(), 1);
    assert_eq!(run.result.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
}

#[test]
fn backoff_uses_equal_jitter_under_the_cap() {
    let base = Duration::from_millis(100);
    let max = Duration::from_millis(500);
    let mut all = Vec::new();
    for seed in 0..50 {
        let mut t = transport(builder(&THREE).backoff(base, max).max_retries(5).seed(seed));
        let now = Instant::now();
        let mut c = start(&mut t, Method::GET, "/", now);
        let run = drive(&mut t, &mut c, now, |_| Ok(resp(503, "")));
        for (i, w) in run.waits.iter().enumerate() {
            let ceiling = (base * 2u32.pow(i as u32)).min(max);
            assert!(*w >= ceiling / 2 && *w <= ceiling, "retry {} waited {w:?}, ceiling {ceiling:?}", i + 1);
        }
        all.push(run.waits);
    }
    assert!(all.windows(2).any(|w| w[0] != w[1]), "waits are jittered");
}

#[test]
fn retry_after_is_honoured() {
    let mut t = transport(builder(&THREE).backoff(Duration::from_millis(10), Duration::from_millis(20)));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    let mut first = true;
    let run = drive(&mut t, &mut c, now, |_| {
        if std::mem::take(&mut first) {
            let mut r = resp(429, "");
            r.headers_mut().insert("retry-after", "3".parse().unwrap());
            Ok(r)
        } else {
            Ok(ok())
        }
    });
    assert!(run.result.is_ok());
    assert_eq!(run.waits, [Duration::from_secs(3)]);
    assert_eq!(run.end, now + Duration::from_secs(3));
}

#[test]
fn timeouts_are_not_retried_unless_asked() {
    let timeout = |_: &http::Request<Bytes>| Err(IoError::new(IoErrorKind::Timeout, "deadline"));
    let mut t = transport(builder(&THREE));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, timeout);
    assert_eq!(run.sent.len(), 1);
    match run.result.unwrap_err() {
        Error::Transport(e) => {
            assert_eq!(e.kind, IoErrorKind::Timeout);
            assert_eq!(e.attempts.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    let mut t = transport(builder(&THREE).retry_on_timeout(true).max_retries(3));
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, timeout);
    assert_eq!(run.sent.len(), 4);
    let err = run.result.unwrap_err();
    assert!(err.to_string().contains("4 attempts"), "{err}");
}

#[test]
fn a_broken_connection_after_sending_is_retried_only_when_safe() {
    let reset = |_: &http::Request<Bytes>| Err(IoError::new(IoErrorKind::Reset, "connection reset"));
    let now = Instant::now();
    let cases: [(Method, &str, Option<bool>, usize); 7] = [
        (Method::GET, "/i/_doc/1", None, 4),
        (Method::PUT, "/i/_doc/1", None, 4),
        (Method::DELETE, "/i/_doc/1", None, 4),
        (Method::POST, "/i/_doc", None, 1),
        (Method::POST, "/i/_doc", Some(true), 4),
        (Method::GET, "/", Some(false), 1),
        (Method::POST, "/_bulk", None, 1),
    ];
    for (method, path, safe, expected) in cases {
        let mut t = transport(builder(&THREE).max_retries(3));
        let ep = RawRequest::new(method.clone(), path);
        let mut opts = RequestOptions::default();
        opts.retry_safe = safe;
        let mut c = t.start(ep.id(), ep.to_request().unwrap(), opts, now);
        let run = drive(&mut t, &mut c, now, reset);
        assert_eq!(run.sent.len(), expected, "{method} {path} safe={safe:?}");
        assert!(matches!(run.result, Err(Error::Transport(_))));
    }
    // A read-only POST endpoint is safe by name; a bulk request is not,
    // whatever its method (its operations may lack ids).
    let mut t = transport(builder(&THREE).max_retries(3));
    let mut c = t.start(
        "search",
        RawRequest::new(Method::POST, "/_search").to_request().unwrap(),
        RequestOptions::default(),
        now,
    );
    assert_eq!(drive(&mut t, &mut c, now, reset).sent.len(), 4);
    let mut c =
        t.start("bulk", RawRequest::new(Method::PUT, "/_bulk").to_request().unwrap(), RequestOptions::default(), now);
    assert_eq!(drive(&mut t, &mut c, now, reset).sent.len(), 1);
}

#[test]
fn transient_failures_are_retried_until_the_time_budget_runs_out() {
    // Defaults: no count limit, a budget of two minutes.
    let mut t = transport(builder(&THREE));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/_search", now);
    let run = drive(&mut t, &mut c, now, |_| Ok(resp(503, "{}")));
    assert!(run.sent.len() > 10, "far more than a handful of attempts: {}", run.sent.len());
    assert_eq!(run.end, now + Duration::from_secs(120), "the last backoff ends at the deadline, then one last attempt");
    assert_eq!(run.result.unwrap().status().as_u16(), 503, "the last answer");
    // A shorter budget, from the builder or per request; connection errors too.
    for (mut t, opts) in [
        (transport(builder(&THREE).retry_budget(Duration::from_secs(5))), RequestOptions::new()),
        (transport(builder(&THREE)), RequestOptions::new().retry_budget(Duration::from_secs(5))),
    ] {
        let ep = RawRequest::new(Method::GET, "/");
        let mut c = t.start(ep.id(), ep.to_request().unwrap(), opts, now);
        let run = drive(&mut t, &mut c, now, refused);
        assert_eq!(run.end, now + Duration::from_secs(5));
        let err = run.result.unwrap_err();
        assert!(err.to_string().contains("retry budget ran out"), "{err}");
        assert_eq!(run.waits.iter().sum::<Duration>(), Duration::from_secs(5));
    }
    // A count limit still applies when set.
    let mut t = transport(builder(&THREE).max_retries(2));
    let mut c = start(&mut t, Method::GET, "/", now);
    assert_eq!(drive(&mut t, &mut c, now, refused).sent.len(), 3);
}

#[test]
fn timeouts_of_writes_safe_to_repeat_are_retried_by_default() {
    let timeout = |_: &http::Request<Bytes>| Err(IoError::new(IoErrorKind::Timeout, "deadline"));
    let now = Instant::now();
    let cases: [(Method, &str, Option<bool>, bool); 5] = [
        (Method::PUT, "/i/_doc/1", None, true),
        (Method::DELETE, "/i/_doc/1", None, true),
        (Method::POST, "/i/_doc", Some(true), true),
        (Method::POST, "/i/_doc", None, false),
        (Method::GET, "/i/_search", None, false),
    ];
    for (method, path, safe, retried) in cases {
        let mut t = transport(builder(&THREE).max_retries(3));
        let ep = RawRequest::new(method.clone(), path);
        let mut opts = RequestOptions::default();
        opts.retry_safe = safe;
        let mut c = t.start(ep.id(), ep.to_request().unwrap(), opts, now);
        let run = drive(&mut t, &mut c, now, timeout);
        assert_eq!(run.sent.len(), if retried { 4 } else { 1 }, "{method} {path} safe={safe:?}");
        let err = run.result.unwrap_err();
        if !retried {
            assert!(err.to_string().contains("may have been applied"), "{err}");
        }
    }
}

#[test]
fn per_request_retry_count_overrides_the_client() {
    let mut t = transport(builder(&THREE));
    let now = Instant::now();
    let ep = RawRequest::new(Method::GET, "/");
    let mut c = t.start(ep.id(), ep.to_request().unwrap(), RequestOptions::new().max_retries(1), now);
    assert_eq!(drive(&mut t, &mut c, now, refused).sent.len(), 2);
}

#[test]
fn transport_errors_list_every_attempt_and_never_credentials() {
    let mut t = transport(builder(&["http://elastic:hunter2@n1:9200", "http://n2:9200"]).max_retries(3));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, refused);
    let err = run.result.unwrap_err();
    let Error::Transport(e) = &err else { panic!("{err:?}") };
    assert_eq!(e.attempts.len(), 4);
    assert_eq!(e.kind, IoErrorKind::Connect);
    let text = format!("{err} {err:?} {:?}", t);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(run.sent[0].headers()["authorization"].is_sensitive());
}

#[test]
fn product_check_rejects_other_servers_once_and_can_be_off() {
    let mut t = transport(builder(&THREE));
    let now = Instant::now();
    let bare = || Ok(http::Response::builder().status(200).body(Bytes::from_static(b"{}")).unwrap());
    let mut c = start(&mut t, Method::GET, "/", now);
    match drive(&mut t, &mut c, now, |_| bare()).result {
        Err(Error::UnsupportedProduct(p)) => assert_eq!(p.product, None),
        other => panic!("{other:?}"),
    }
    // Error statuses do not count as a check.
    let mut c = start(&mut t, Method::GET, "/", now);
    assert!(drive(&mut t, &mut c, now, |_| Ok(http::Response::builder().status(401).body(Bytes::new()).unwrap()))
        .result
        .is_ok());
    // Once verified, later responses are not checked again.
    let mut c = start(&mut t, Method::GET, "/", now);
    assert!(drive(&mut t, &mut c, now, |_| Ok(ok())).result.is_ok());
    let mut c = start(&mut t, Method::GET, "/", now);
    assert!(drive(&mut t, &mut c, now, |_| bare()).result.is_ok());
    // Turned off: never checked.
    let mut t = transport(builder(&THREE).product_check(false));
    let mut c = start(&mut t, Method::GET, "/", now);
    assert!(drive(&mut t, &mut c, now, |_| bare()).result.is_ok());
}

fn header<'a>(r: &'a http::Request<Bytes>, name: &str) -> Option<&'a str> {
    r.headers().get(name).map(|v| v.to_str().unwrap())
}

#[test]
fn compatibility_media_types_follow_the_setting() {
    let now = Instant::now();
    for (compat, accept, ndjson) in [
        (
            Compatibility::V9,
            "application/vnd.elasticsearch+json; compatible-with=9",
            "application/vnd.elasticsearch+x-ndjson; compatible-with=9",
        ),
        (
            Compatibility::V8,
            "application/vnd.elasticsearch+json; compatible-with=8",
            "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
        ),
        (Compatibility::Off, "application/json", "application/x-ndjson"),
    ] {
        let mut t = transport(builder(&THREE).compatibility(compat));
        let ep = RawRequest::new(Method::POST, "/_bulk").body(Body::ndjson_bytes(&b"{}\n{}\n"[..]));
        let mut c = t.start(ep.id(), ep.to_request().unwrap(), RequestOptions::default(), now);
        let run = drive(&mut t, &mut c, now, |_| Ok(ok()));
        assert_eq!(header(&run.sent[0], "accept"), Some(accept));
        assert_eq!(header(&run.sent[0], "content-type"), Some(ndjson));

        // A caller's plain media type in the request options gets the same
        // form as the Accept beside it: the server refuses a compatible
        // version on one header only.
        let ep = RawRequest::new(Method::POST, "/_ingest/_simulate").body(Body::json(&serde_json::json!({})).unwrap());
        let opts = RequestOptions::new().header("content-type", "application/json");
        let mut c = t.start(ep.id(), ep.to_request().unwrap(), opts, now);
        let run = drive(&mut t, &mut c, now, |_| Ok(ok()));
        assert_eq!(header(&run.sent[0], "accept"), Some(accept));
        assert_eq!(header(&run.sent[0], "content-type"), Some(accept), "{compat:?}");
    }
}

#[test]
fn a_406_falls_back_to_plain_media_types_once_and_is_remembered() {
    let mut t = transport(builder(&["http://os:9200"]));
    let now = Instant::now();
    let refuse_compat = |r: &http::Request<Bytes>| {
        if header(r, "content-type").is_some_and(|c| c.contains("compatible-with")) {
            Ok(resp(406, r#"{"error":"Content-Type header is not supported","status":406}"#))
        } else {
            Ok(ok())
        }
    };
    let ep = RawRequest::new(Method::PUT, "/i").body(Body::json(&serde_json::json!({})).unwrap());
    let mut c = t.start(ep.id(), ep.to_request().unwrap(), RequestOptions::default(), now);
    let run = drive(&mut t, &mut c, now, refuse_compat);
    assert!(run.result.unwrap().status().is_success());
    assert_eq!(run.sent.len(), 2);
    assert_eq!(header(&run.sent[1], "content-type"), Some("application/json"));
    assert_eq!(header(&run.sent[1], "accept"), Some("application/json"));
    assert!(run.waits.is_empty(), "the fallback is immediate, not a backoff");
    assert!(t.pool().nodes()[0].plain_media_types);
    let mut c = t.start(ep.id(), ep.to_request().unwrap(), RequestOptions::default(), now);
    let run = drive(&mut t, &mut c, now, refuse_compat);
    assert_eq!(run.sent.len(), 1, "remembered: plain from the start");
    // A 406 to a plain request is just an answer.
    let mut c = t.start(ep.id(), ep.to_request().unwrap(), RequestOptions::default(), now);
    let run = drive(&mut t, &mut c, now, |_| Ok(resp(406, "{}")));
    assert_eq!(run.sent.len(), 1);
    assert_eq!(run.result.unwrap().status().as_u16(), 406);
}

/// A request whose URL accepts `methods`, sent with the first.
fn start_with_methods(t: &mut Transport, methods: &'static [&'static str], path: &str, now: Instant) -> Call {
    let ep = RawRequest::new(Method::from_bytes(methods[0].as_bytes()).unwrap(), path);
    let mut request = ep.to_request().unwrap();
    UrlMethods(methods).attach(&mut request);
    t.start("cat.count", request, RequestOptions::default(), now)
}

#[test]
fn a_refused_method_is_sent_again_with_another_the_url_accepts() {
    let mut t = transport(builder(&["http://es:9200"]).max_retries(0));
    let now = Instant::now();
    // Elasticsearch 8.x: POST /_cat/count is not routed (400 "no handler found").
    let only_get = |r: &http::Request<Bytes>| {
        if r.method() == Method::GET {
            Ok(resp(200, "[]"))
        } else {
            Ok(resp(400, r#"{"error":"no handler found for uri [/_cat/count] and method [POST]","status":400}"#))
        }
    };
    let mut c = start_with_methods(&mut t, &["POST", "GET"], "/_cat/count", now);
    let run = drive(&mut t, &mut c, now, only_get);
    assert_eq!(run.result.unwrap().status(), StatusCode::OK);
    let methods: Vec<_> = run.sent.iter().map(|r| r.method().clone()).collect();
    assert_eq!(methods, [Method::POST, Method::GET]);
    assert!(run.waits.is_empty(), "not a retry: no backoff, and max_retries 0 does not stop it");
    assert_eq!(c.attempts().len(), 1);
    assert!(matches!(c.attempts()[0].outcome, AttemptOutcome::Status(400)));
    // Learnt: the next call of the endpoint starts with the method the server routes.
    let mut c = start_with_methods(&mut t, &["POST", "GET"], "/_cat/count/books", now);
    let run = drive(&mut t, &mut c, now, only_get);
    assert_eq!(run.sent.len(), 1);
    assert_eq!(run.sent[0].method(), Method::GET);
    // A server that now refuses it (an upgraded cluster) is answered the same way, and unlearnt.
    let only_post = |r: &http::Request<Bytes>| {
        if r.method() == Method::POST {
            Ok(ok())
        } else {
            Ok(resp(405, r#"{"error":"Incorrect HTTP method","status":405}"#))
        }
    };
    let mut c = start_with_methods(&mut t, &["POST", "GET"], "/_cat/count", now);
    let run = drive(&mut t, &mut c, now, only_post);
    assert_eq!(run.sent.iter().map(|r| r.method().as_str()).collect::<Vec<_>>(), ["GET", "POST"]);
    let mut c = start_with_methods(&mut t, &["POST", "GET"], "/_cat/count", now);
    assert_eq!(drive(&mut t, &mut c, now, only_post).sent.len(), 1);

    // A 405 names what the URL allows: only those are tried.
    let mut c = start_with_methods(&mut t, &["PUT", "POST", "GET"], "/x", now);
    let run = drive(&mut t, &mut c, now, |r| {
        if r.method() == Method::GET {
            Ok(ok())
        } else {
            let mut x = resp(
                405,
                r#"{"error":"Incorrect HTTP method for uri [/x] and method [PUT], allowed: [GET]","status":405}"#,
            );
            x.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static("GET"));
            Ok(x)
        }
    });
    assert!(run.result.unwrap().status().is_success());
    assert_eq!(run.sent.iter().map(|r| r.method().as_str()).collect::<Vec<_>>(), ["PUT", "GET"]);
}

#[test]
fn when_the_other_method_fails_too_the_first_answer_is_the_result() {
    let mut t = transport(builder(&["http://es:9200"]));
    let now = Instant::now();
    let first = r#"{"error":"no handler found for uri [/a] and method [POST]","status":400}"#;
    let mut c = start_with_methods(&mut t, &["POST", "GET"], "/a", now);
    let run = drive(&mut t, &mut c, now, |r| {
        if r.method() == Method::POST {
            Ok(resp(400, first))
        } else {
            Ok(resp(404, r#"{"error":"other"}"#))
        }
    });
    let response = run.result.unwrap();
    assert_eq!(run.sent.len(), 2, "one other method, once");
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(response.body(), first.as_bytes());
}

#[test]
fn no_method_fallback_without_url_methods_or_for_other_errors() {
    let mut t = transport(builder(&["http://es:9200"]));
    let now = Instant::now();
    let refuse =
        |_: &http::Request<Bytes>| Ok(resp(400, r#"{"error":"no handler found for uri [/a] and method [POST]"}"#));
    // A hand-written request does not say which methods its URL accepts.
    let mut c = start(&mut t, Method::POST, "/a", now);
    assert_eq!(drive(&mut t, &mut c, now, refuse).sent.len(), 1);
    // A URL with one method.
    let ep = RawRequest::new(Method::POST, "/a");
    let mut request = ep.to_request().unwrap();
    UrlMethods(&["POST"]).attach(&mut request);
    assert!(request.extensions().get::<UrlMethods>().is_none());
    // Another 400 is an answer, not a routing refusal.
    let mut c = start_with_methods(&mut t, &["POST", "GET"], "/a", now);
    let run = drive(&mut t, &mut c, now, |_| Ok(resp(400, r#"{"error":{"type":"parsing_exception"}}"#)));
    assert_eq!(run.sent.len(), 1);
    // A 405 whose Allow header lists nothing the URL accepts.
    let mut c = start_with_methods(&mut t, &["POST", "GET"], "/a", now);
    let run = drive(&mut t, &mut c, now, |_| {
        let mut x = resp(405, "{}");
        x.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static("DELETE"));
        Ok(x)
    });
    assert_eq!(run.sent.len(), 1);
    assert_eq!(run.result.unwrap().status().as_u16(), 405);
}

#[test]
fn every_request_carries_identity_auth_and_options() {
    let mut t = transport(
        builder(&["https://es:9243/prefix"])
            .api_key("id", "key")
            .opaque_id("client-wide")
            .header("x-custom", "1")
            .user_agent("ua/1"),
    );
    let now = Instant::now();
    let ep = RawRequest::new(Method::GET, "/_search").param("q", "a b");
    let opts = RequestOptions::new().opaque_id("per-request").header("x-extra", "2");
    let mut c = t.start(ep.id(), ep.to_request().unwrap(), opts, now);
    let run = drive(&mut t, &mut c, now, |_| Ok(ok()));
    let r = &run.sent[0];
    assert_eq!(r.uri().to_string(), "https://es:9243/prefix/_search?q=a%20b");
    assert_eq!(header(r, "authorization"), Some("ApiKey aWQ6a2V5"));
    assert_eq!(header(r, "x-opaque-id"), Some("per-request"));
    assert_eq!(header(r, "x-custom"), Some("1"));
    assert_eq!(header(r, "x-extra"), Some("2"));
    assert_eq!(header(r, "user-agent"), Some("ua/1"));
    assert!(header(r, "x-elastic-client-meta").unwrap().starts_with("es="));
    assert_eq!(header(r, "accept-encoding"), Some("gzip"));
    let f = c.trace_fields();
    assert_eq!(f.operation, "perform_request");
    assert_eq!(f.url_full.as_deref(), Some("https://es:9243/prefix/_search?q=a%20b"));
    assert_eq!((f.server_address.as_deref(), f.server_port), (Some("es"), Some(9243)));
}

#[test]
fn gzip_both_ways() {
    use std::io::{Read, Write};
    let mut t = transport(builder(&THREE).compress_requests(true));
    let now = Instant::now();
    let ep =
        RawRequest::new(Method::POST, "/i/_doc").body(Body::json(&serde_json::json!({"a": "b".repeat(100)})).unwrap());
    let mut c = t.start(ep.id(), ep.to_request().unwrap(), RequestOptions::default(), now);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(br#"{"result":"created"}"#).unwrap();
    let gz = enc.finish().unwrap();
    let run = drive(&mut t, &mut c, now, |r| {
        assert_eq!(header(r, "content-encoding"), Some("gzip"));
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&r.body()[..]).read_to_string(&mut plain).unwrap();
        assert!(plain.starts_with("{\"a\":\"bbb"));
        let mut out = resp(201, "");
        out.headers_mut().insert("content-encoding", "gzip".parse().unwrap());
        *out.body_mut() = Bytes::from(gz.clone());
        Ok(out)
    });
    let r = run.result.unwrap();
    assert_eq!(&r.body()[..], br#"{"result":"created"}"#);
    assert!(r.headers().get("content-encoding").is_none());
}

#[test]
fn corrupt_gzip_and_oversized_bodies_are_errors_not_panics() {
    let mut t = transport(builder(&THREE).max_response_size(16));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, |_| {
        let mut r = resp(200, "not gzip at all");
        r.headers_mut().insert("content-encoding", "gzip".parse().unwrap());
        Ok(r)
    });
    assert!(matches!(run.result, Err(Error::Decode(_))));
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, |_| Ok(resp(200, &"x".repeat(17))));
    assert!(matches!(run.result, Err(Error::Decode(_))));
}

fn nodes_body(ports: &[u16]) -> String {
    let nodes: Vec<String> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(r#""id{i}":{{"name":"n{i}","roles":["data"],"http":{{"publish_address":"127.0.0.1:{p}"}}}}"#)
        })
        .collect();
    format!(r#"{{"nodes":{{{}}}}}"#, nodes.join(","))
}

#[test]
fn sniff_on_start_turns_one_seed_into_the_cluster() {
    let mut t = transport(builder(&["http://127.0.0.1:9200"]).sniff_on_start(true));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, |r| {
        if r.uri().path() == "/_nodes/_all/http" {
            Ok(resp(200, &nodes_body(&[9201, 9202, 9203])))
        } else {
            Ok(ok())
        }
    });
    assert!(run.result.is_ok());
    assert_eq!(run.sent[0].uri().path(), "/_nodes/_all/http");
    assert_eq!(run.sent.len(), 2);
    let urls: Vec<String> = t.pool().nodes().iter().map(|n| n.url.to_string()).collect();
    assert_eq!(urls, ["http://127.0.0.1:9201", "http://127.0.0.1:9202", "http://127.0.0.1:9203"]);
    // Only once on start.
    let mut c = start(&mut t, Method::GET, "/", now);
    assert_eq!(drive(&mut t, &mut c, now, |_| Ok(ok())).sent.len(), 1);
}

#[test]
fn sniff_before_requests_waits_for_the_interval_and_the_minimum_delay() {
    let mut t = transport(builder(&["http://127.0.0.1:9200"]).sniff_before_requests(Some(Duration::from_secs(5))));
    let t0 = Instant::now();
    let mut sniffs = 0;
    let at = |t: &mut Transport, now: Instant| {
        let mut c = start(t, Method::GET, "/", now);
        let run = drive(t, &mut c, now, |r| {
            if r.uri().path() == "/_nodes/_all/http" {
                Ok(resp(200, &nodes_body(&[9200])))
            } else {
                Ok(ok())
            }
        });
        run.sent.iter().filter(|r| r.uri().path() == "/_nodes/_all/http").count()
    };
    sniffs += at(&mut t, t0);
    assert_eq!(sniffs, 1, "first request sniffs");
    sniffs += at(&mut t, t0 + Duration::from_secs(6));
    assert_eq!(sniffs, 1, "interval 5 s, but the minimum delay is 10 s");
    sniffs += at(&mut t, t0 + Duration::from_secs(10));
    assert_eq!(sniffs, 2);
}

#[test]
fn sniff_on_node_failure_happens_on_the_next_call_at_most_every_min_delay() {
    let mut t = transport(builder(&["http://127.0.0.1:9200", "http://127.0.0.1:9201"]).sniff_on_node_failure(true));
    let t0 = Instant::now();
    let script = |r: &http::Request<Bytes>| {
        if r.uri().path() == "/_nodes/_all/http" {
            Ok(resp(200, &nodes_body(&[9200, 9201, 9202])))
        } else if r.uri().port_u16() == Some(9200) {
            Err(IoError::new(IoErrorKind::Connect, "refused"))
        } else {
            Ok(ok())
        }
    };
    let mut c = start(&mut t, Method::GET, "/", t0);
    let run = drive(&mut t, &mut c, t0, script);
    assert!(run.result.is_ok());
    assert!(run.sent.iter().all(|r| r.uri().path() != "/_nodes/_all/http"), "no sniff before any failure");
    let mut c = start(&mut t, Method::GET, "/", t0);
    let run = drive(&mut t, &mut c, t0, script);
    assert_eq!(run.sent[0].uri().path(), "/_nodes/_all/http", "the failure asked for a sniff");
    assert_eq!(t.pool().nodes().len(), 3);
    // Another failure right away: no second sniff within 10 s.
    let mut c = start(&mut t, Method::GET, "/", t0 + Duration::from_secs(2));
    let run = drive(&mut t, &mut c, t0 + Duration::from_secs(2), |_| Err(IoError::new(IoErrorKind::Connect, "x")));
    assert!(run.sent.iter().all(|r| r.uri().path() != "/_nodes/_all/http"));
}

#[test]
fn a_failed_sniff_does_not_fail_the_request() {
    let mut t = transport(builder(&["http://127.0.0.1:9200", "http://127.0.0.1:9201"]).sniff_on_start(true));
    let now = Instant::now();
    let mut c = start(&mut t, Method::GET, "/", now);
    let run = drive(&mut t, &mut c, now, |r| {
        if r.uri().path() == "/_nodes/_all/http" {
            Ok(resp(200, "garbage"))
        } else {
            Ok(ok())
        }
    });
    assert!(run.result.is_ok());
    assert_eq!(t.pool().nodes().len(), 2, "a bad sniff answer leaves the pool alone");
}

#[test]
fn background_sniff_calls_are_offered_when_due() {
    let mut t = transport(builder(&["http://127.0.0.1:9200"]).sniff_before_requests(Some(Duration::from_secs(30))));
    let t0 = Instant::now();
    let mut c = t.start_sniff(t0).expect("due at start");
    assert!(t.start_sniff(t0).is_none(), "one at a time");
    let run = drive(&mut t, &mut c, t0, |_| Ok(resp(200, &nodes_body(&[9300, 9301]))));
    assert!(run.result.is_ok());
    assert_eq!(t.pool().nodes().len(), 2);
    assert_eq!(t.next_sniff_at(), Some(t0 + Duration::from_secs(30)));
    assert!(t.start_sniff(t0 + Duration::from_secs(29)).is_none());
    assert!(t.start_sniff(t0 + Duration::from_secs(30)).is_some());
}
