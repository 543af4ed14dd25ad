//! What needs no real server: the client under two executors, the HTTP/1.1
//! exchange (keep-alive, chunked bodies, gzip, size limit), the client-meta
//! header and the tracing span.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use elastik_proto::IoErrorKind;
use elastik_testkit::{test_url, StubResponse, StubServer};
use http::{Method, StatusCode};

use crate::{builder, call, json, transport_kind};

fn info_stub() -> StubServer {
    StubServer::start(|_| StubResponse::json(200, r#"{"tagline":"You Know, for Search"}"#))
}

/// One client, shared by async-std and smol: `block_on` and spawned tasks
/// on both. The client spawns nothing itself, so any executor polls it.
#[test]
fn runs_under_async_std_and_smol() {
    let stub = info_stub();
    let mut urls = vec![stub.url()];
    urls.extend(test_url());
    for url in urls {
        let client = builder(&url).build().unwrap();
        let get = |client: crate::Client| async move {
            let response = call(&client, Method::GET, "/", None).await.unwrap();
            json(&response)["tagline"].as_str().unwrap().to_owned()
        };
        let expected = "You Know, for Search";
        assert_eq!(async_std::task::block_on(get(client.clone())), expected);
        assert_eq!(async_std::task::block_on(async_std::task::spawn(get(client.clone()))), expected);
        assert_eq!(smol::block_on(get(client.clone())), expected);
        assert_eq!(smol::block_on(smol::spawn(get(client.clone()))), expected);
        let executor = smol::LocalExecutor::new();
        assert_eq!(smol::block_on(executor.run(executor.spawn(get(client.clone())))), expected);
    }
}

#[test]
fn client_meta_names_async_io() {
    let stub = info_stub();
    let client = builder(&stub.url()).build().unwrap();
    smol::block_on(call(&client, Method::GET, "/", None)).unwrap();
    let meta = stub.requests()[0].header("x-elastic-client-meta").unwrap().to_owned();
    assert!(meta.starts_with("es=") && meta.ends_with(",ai=2"), "{meta}");
    let stub = info_stub();
    let client = builder(&stub.url()).client_meta(None).build().unwrap();
    smol::block_on(call(&client, Method::GET, "/", None)).unwrap();
    assert_eq!(stub.requests()[0].header("x-elastic-client-meta"), None);
}

/// The request body goes out gzipped and a gzipped answer comes back plain.
#[test]
fn gzip_both_ways_on_the_wire() {
    let stub = StubServer::start(|request| {
        assert_eq!(request.header("content-encoding"), Some("gzip"));
        assert!(request.header("accept-encoding").is_some_and(|v| v.contains("gzip")));
        let mut plain = String::new();
        flate2::read::GzDecoder::new(request.body.as_slice()).read_to_string(&mut plain).unwrap();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(format!(r#"{{"echo":{plain}}}"#).as_bytes()).unwrap();
        StubResponse::json(200, "").header("content-encoding", "gzip").body(encoder.finish().unwrap())
    });
    let client = builder(&stub.url()).compress_requests(true).build().unwrap();
    let response =
        smol::block_on(call(&client, Method::POST, "/_search", Some(serde_json::json!({"size": 1})))).unwrap();
    assert_eq!(json(&response)["echo"]["size"], 1);
    assert_eq!(stub.request_count(), 1);
}

/// Sequential requests reuse one keep-alive connection; a chunked body and
/// a `Connection: close` answer are read correctly.
#[test]
fn keep_alive_chunked_and_close() {
    let chunked = "HTTP/1.1 200 OK\r\nx-elastic-product: Elasticsearch\r\ntransfer-encoding: chunked\r\n\r\n\
                   5;ext=1\r\n{\"a\":\r\n3\r\n42}\r\n0\r\nx-trailer: t\r\n\r\n";
    let sized = "HTTP/1.1 200 OK\r\nx-elastic-product: Elasticsearch\r\ncontent-length: 8\r\n\r\n{\"a\":43}";
    let close = "HTTP/1.1 200 OK\r\nx-elastic-product: Elasticsearch\r\nconnection: close\r\n\r\n{\"a\":44}";
    let server = RawServer::start(vec![chunked, sized, chunked, close, sized]);
    let client = builder(&server.url()).build().unwrap();
    for expected in [42, 43, 42, 44, 43] {
        let response = smol::block_on(call(&client, Method::GET, "/", None)).unwrap();
        assert_eq!(json(&response)["a"], expected);
    }
    assert_eq!(server.connections(), 2, "one connection until the server closed it, then a new one");
}

#[test]
fn a_body_over_the_limit_is_an_error() {
    let stub = StubServer::start(|_| StubResponse::json(200, format!("[{}0]", "0,".repeat(500))));
    let client = builder(&stub.url()).max_response_size(100).build().unwrap();
    let result = smol::block_on(call(&client, Method::GET, "/", None));
    assert_eq!(transport_kind(result), IoErrorKind::BodyTooLarge);
    assert_eq!(stub.request_count(), 1, "not retried");
}

#[test]
fn product_check_refuses_other_servers() {
    let stub = StubServer::start(|_| StubResponse::new(200).header("content-type", "application/json").body("{}"));
    let client = builder(&stub.url()).build().unwrap();
    let result = smol::block_on(call(&client, Method::GET, "/", None));
    assert!(matches!(result, Err(elastik_proto::Error::UnsupportedProduct(_))), "{result:?}");
}

/// The `elasticsearch` span carries OpenTelemetry's attribute names with the
/// core's values, including the resend count.
#[test]
fn requests_are_traced_with_opentelemetry_names() {
    let stub = StubServer::start({
        let first = AtomicUsize::new(0);
        move |_| match first.fetch_add(1, Ordering::SeqCst) {
            0 => StubResponse::json(503, "{}"),
            _ => StubResponse::json(200, "{}"),
        }
    });
    let client = builder(&stub.url()).build().unwrap();
    let recorder = Recorder::default();
    let fields = recorder.fields.clone();
    tracing::subscriber::with_default(recorder, || {
        futures_lite::future::block_on(call(&client, Method::GET, "/_cluster/health?x=1", None)).unwrap();
    });
    let fields = fields.lock().unwrap();
    let addr = stub.addr();
    assert_eq!(fields.get("db.system.name").map(String::as_str), Some("elasticsearch"));
    assert_eq!(fields.get("db.operation.name").map(String::as_str), Some("perform_request"));
    assert_eq!(fields.get("http.request.method").map(String::as_str), Some("GET"));
    assert_eq!(fields.get("url.full"), Some(&format!("http://{addr}/_cluster/health?x=1")));
    assert_eq!(fields.get("server.address"), Some(&addr.ip().to_string()));
    assert_eq!(fields.get("server.port"), Some(&addr.port().to_string()));
    assert_eq!(fields.get("http.request.resend_count").map(String::as_str), Some("1"));
    assert_eq!(stub.request_count(), 2);
    assert_eq!(smol::block_on(call(&client, Method::GET, "/", None)).unwrap().status(), StatusCode::OK);
}

/// Records the fields of every span named `elasticsearch`.
#[derive(Default)]
struct Recorder {
    fields: Arc<Mutex<BTreeMap<String, String>>>,
    next_id: AtomicUsize,
}

impl tracing::field::Visit for &Recorder {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.fields.lock().unwrap().insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.fields.lock().unwrap().insert(field.name().to_owned(), value.to_owned());
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        if span.metadata().name() == "elasticsearch" {
            span.record(&mut &*self);
        }
        tracing::span::Id::from_u64(self.next_id.fetch_add(1, Ordering::SeqCst) as u64 + 1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut &*self);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Answers each request (head plus `Content-Length` body) with the next raw
/// response, on as many keep-alive connections as the client opens.
struct RawServer {
    addr: std::net::SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl RawServer {
    fn start(responses: Vec<&'static str>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        std::thread::spawn(move || {
            let mut responses = responses.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut length = 0;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    if line != "\r\n" {
                        break;
                    }
                    reader.read_exact(&mut vec![0; length]).unwrap();
                    let Some(response) = responses.next() else { return };
                    stream.write_all(response.as_bytes()).unwrap();
                    if response.contains("connection: close") {
                        break;
                    }
                }
            }
        });
        RawServer { addr, connections }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Sniffing on start: the seed lists three nodes (`host/ip:port` form), the
/// pool becomes those three, and requests spread over them round-robin.
#[test]
fn sniffing_turns_one_seed_into_three_nodes() {
    let nodes: Vec<StubServer> = (0..3).map(|_| info_stub()).collect();
    let listed: Vec<String> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                r#""n{i}":{{"name":"n{i}","roles":["data","master"],"http":{{"publish_address":"localhost/{}"}}}}"#,
                n.addr()
            )
        })
        .collect();
    let body = format!(r#"{{"nodes":{{{}}}}}"#, listed.join(","));
    let seed = StubServer::start(move |_| StubResponse::json(200, body.clone()));
    let client = builder(&seed.url()).sniff_on_start(true).build().unwrap();
    for _ in 0..6 {
        smol::block_on(call(&client, Method::GET, "/", None)).unwrap();
    }
    assert_eq!(seed.requests().iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["/_nodes/_all/http"]);
    assert_eq!(nodes.iter().map(StubServer::request_count).collect::<Vec<_>>(), [2, 2, 2]);
}

#[test]
fn a_proxy_setting_is_refused_not_ignored() {
    // The proxy is not implemented on this runtime yet: building must fail
    // rather than send requests straight to the node.
    let err = builder("http://127.0.0.1:9").proxy("http://127.0.0.1:8").build().expect_err("a proxy is refused");
    assert!(err.to_string().contains("proxies are not supported"), "{err}");
}
