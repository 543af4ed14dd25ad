//! Recording with a `RecordingExecutor` and replaying what it saved. A
//! `ReplayExecutor` over hand-written exchanges stands in for the server:
//! the calls a client makes through the recorder are saved to a `.jsonl`
//! file, loaded back with `Cassette::load`, and the same calls replay with
//! the same results. Credentials never reach the file, bodies the format
//! cannot hold are reported instead of recorded, and every recorded request
//! matches the request it was recorded from, whatever its body.

use std::path::PathBuf;

use bytes::Bytes;
use elastik_api::{Bulk, Client, Ping};
use elastik_proto::http::{HeaderMap, HeaderValue, Method};
use elastik_proto::{Auth, Body, Error, Executor, PreparedRequest, RequestOptions};
use elastik_replay::{
    observe, Cassette, Exchange, RecordedRequest, RecordedResponse, RecordingExecutor, ReplayExecutor,
};
use serde_json::{json, Value};

/// The same calls, for a client over any executor whose output is the value.
macro_rules! calls {
    ($client:expr) => {{
        let client = $client;
        let ping = client.send(Ping::new()).unwrap();
        let found = client
            .search()
            .index("books")
            .size_param(2)
            .json_body(&json!({"query": {"match": {"title": "dune"}}}))
            .send()
            .unwrap();
        let ids: Vec<String> = found.hits.hits.iter().filter_map(|h| h._id.clone()).collect();
        let lines = [json!({"index": {"_id": "2"}}), json!({"title": "Hyperion"})];
        let bulk = client.request(Bulk::new().index("books")).raw_body(Body::ndjson(&lines).unwrap()).send().unwrap();
        let missing = client.get("books", "3").send().unwrap_err().status().map(|s| s.as_u16());
        let cat = client
            .perform_request(Method::GET, "/_cat/indices", &[("v", "true")], HeaderMap::new(), Body::Empty)
            .unwrap();
        (ping, ids, bulk.items.len(), missing, cat.into_body())
    }};
}

#[test]
fn recorded_calls_load_back_and_replay() {
    let server = ReplayExecutor::new(server());
    let recorder = RecordingExecutor::new(server.clone());
    let live = calls!(&Client::from_executor(recorder.clone()));
    server.assert_all_matched().unwrap();
    assert!(recorder.skipped().is_empty());

    let file = temp_file("round-trip");
    recorder.save(&file).unwrap();
    let replay = ReplayExecutor::new(Cassette::load(&file).unwrap());
    let replayed = calls!(&Client::from_executor(replay.clone()));
    std::fs::remove_file(&file).unwrap();

    assert_eq!(replayed, live);
    let (ping, ids, bulk_items, missing, cat) = live;
    assert!(ping);
    assert_eq!(ids, ["1"]);
    assert_eq!(bulk_items, 1);
    assert_eq!(missing, Some(404));
    assert_eq!(cat, Bytes::from("health status index\ngreen  open   books\n"));
    replay.assert_all_matched().unwrap();
    assert!(replay.unused().is_empty());
    assert_eq!(replay.served(), ["ping/0", "search/1", "bulk/2", "get/3", "perform_request/4"].map(String::from));
}

#[test]
fn a_saved_exchange_is_the_one_recorded() {
    let server = ReplayExecutor::new(server());
    let recorder = RecordingExecutor::new(server);
    calls!(&Client::from_executor(recorder.clone()));
    let file = temp_file("same");
    recorder.save(&file).unwrap();
    let loaded = Cassette::load(&file).unwrap();
    std::fs::remove_file(&file).unwrap();

    assert_eq!(loaded.exchanges(), recorder.cassette().exchanges());
    let bulk = &loaded.exchanges()[2];
    assert_eq!(bulk.request.body, Some(json!([{"index": {"_id": "2"}}, {"title": "Hyperion"}])));
    assert_eq!(bulk.request.content_type.as_deref(), Some("application/x-ndjson"));
    assert_eq!(bulk.response.headers, [("content-type".to_owned(), "application/json".to_owned())]);
    let text = &loaded.exchanges()[4].response;
    assert_eq!(text.body, json!("health status index\ngreen  open   books\n"));
    for x in loaded.exchanges() {
        assert_eq!(&Exchange::from_json(&x.name, &x.to_json()).unwrap(), x);
    }
}

#[test]
fn credentials_are_never_written() {
    let mut server = Cassette::new();
    let set_cookie = json!({"set-cookie": "session=SECRET-COOKIE", "content-type": "application/json"});
    server
        .push_fixture(
            &json!({
                "request": {"method": "GET", "path": "/"},
                "response": {"status": 200, "headers": set_cookie, "body": {"cluster_name": "c", "version": {"number": "9.0.0"}}}
            }),
            "info",
        )
        .unwrap();
    let recorder = RecordingExecutor::new(ReplayExecutor::new(server));
    let client = Client::from_executor(recorder.clone())
        .with_options(RequestOptions::new().auth(Auth::basic("elastic", "SECRET-DEFAULT")));
    client.info().auth(Auth::bearer("SECRET-BEARER")).header("authorization", "ApiKey SECRET-OPTION").send().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_static("Basic SECRET-HEADER"));
    headers.insert("proxy-authorization", HeaderValue::from_static("Basic SECRET-PROXY"));
    headers.insert("cookie", HeaderValue::from_static("session=SECRET-COOKIE"));
    client.perform_request(Method::GET, "/", &[], headers, Body::Empty).unwrap();

    let file = temp_file("credentials");
    recorder.save(&file).unwrap();
    let written = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    assert_eq!(written.lines().count(), 2);
    assert!(!written.contains("SECRET"), "{written}");
    assert!(!written.to_ascii_lowercase().contains("authorization"), "{written}");
    assert!(!written.contains("cookie"), "{written}");
    assert!(written.contains(r#""cluster_name":"c""#), "{written}");
}

#[test]
fn binary_bodies_are_reported_not_recorded() {
    let recorder = RecordingExecutor::new(Binary);
    let client = Client::from_executor(recorder.clone());
    let response = client.perform_request(Method::GET, "/", &[], HeaderMap::new(), Body::Empty).unwrap();
    assert_eq!(response.body().as_ref(), BINARY, "the caller gets the answer unchanged");

    assert!(recorder.cassette().exchanges().is_empty());
    let skipped = recorder.skipped();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].contains("not UTF-8"), "{}", skipped[0]);
    let file = temp_file("binary");
    let refused = recorder.save(&file).unwrap_err();
    assert!(refused.contains("1 calls were not recorded"), "{refused}");
    assert!(!file.exists(), "nothing is written");
}

#[test]
fn a_recorded_request_matches_the_request_it_came_from() {
    let raw = |content_type: &str, bytes: &'static [u8]| Body::Raw {
        content_type: content_type.to_owned(),
        bytes: Bytes::from_static(bytes),
    };
    let bodies = [
        (Body::Empty, None),
        (Body::Json(Bytes::from_static(br#"{"size": 1.0, "q": "a b"}"#)), Some(json!({"q": "a b", "size": 1.0}))),
        (Body::Json(Bytes::from_static(br#"[1, 2]"#)), Some(json!([1, 2]))),
        // A JSON string or a list over several lines would be compared as
        // text or as NDJSON: they are kept as the text sent.
        (Body::Json(Bytes::from_static(br#""just a string""#)), Some(json!(r#""just a string""#))),
        (Body::Json(Bytes::from_static(b"[\n  1,\n  2\n]")), Some(json!("[\n  1,\n  2\n]"))),
        (Body::ndjson_bytes(&b"{\"a\":1}\n{\"b\":[2]}"[..]), Some(json!([{"a": 1}, {"b": [2]}]))),
        (Body::ndjson_bytes(&b"{\"a\":1}\nnot json"[..]), Some(json!("{\"a\":1}\nnot json\n"))),
        (raw("application/vnd.elasticsearch+json; compatible-with=9", br#"{"x":true}"#), Some(json!({"x": true}))),
        (raw("text/plain", b"{\"looks\": \"like json\"}"), Some(json!("{\"looks\": \"like json\"}"))),
    ];
    for (body, want) in bodies {
        let request = elastik_proto::http::Request::builder()
            .method("POST")
            .uri("/my%20index/_doc/a%2Fb?refresh=wait_for&q=x+y&routing=%C3%A9")
            .body(body.clone())
            .unwrap();
        let recorded = RecordedRequest::from_http(&request).unwrap();
        assert_eq!(recorded.body, want, "{body:?}");
        assert_eq!(recorded.diff(&observe(&request)), Vec::<String>::new(), "{body:?}");
        let exchange = Exchange {
            name: "x".into(),
            request: recorded,
            response: RecordedResponse { status: 200, headers: Vec::new(), body: Value::Null },
        };
        let read_back = Exchange::from_json("x", &exchange.to_json()).unwrap();
        assert_eq!(read_back.request.diff(&observe(&request)), Vec::<String>::new(), "{body:?}");
    }
}

#[test]
fn a_query_parameter_with_two_values_cannot_be_recorded() {
    let request = elastik_proto::http::Request::builder().uri("/_search?q=a&q=b").body(Body::Empty).unwrap();
    let refused = RecordedRequest::from_http(&request).unwrap_err();
    assert!(refused.contains("q"), "{refused}");
}

/// The server the recordings are made from.
fn server() -> Cassette {
    let json = json!({"content-type": "application/json"});
    let fixtures = [
        json!({
            "name": "ping",
            "request": {"method": "HEAD", "path": "/"},
            "response": {"status": 200, "headers": {"x-elastic-product": "Elasticsearch"}, "body": null}
        }),
        json!({
            "name": "search",
            "request": {"method": "POST", "path": "/books/_search", "query": {"size": 2},
                        "body": {"query": {"match": {"title": "dune"}}}},
            "response": {"status": 200, "headers": json, "body": {
                "took": 1, "timed_out": false,
                "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                "hits": {"total": {"value": 1, "relation": "eq"}, "max_score": 1.2,
                         "hits": [{"_index": "books", "_id": "1", "_score": 1.2, "_source": {"title": "Dune"}}]}
            }}
        }),
        json!({
            "name": "bulk",
            "request": {"method": "PUT", "path": "/books/_bulk",
                        "body": [{"index": {"_id": "2"}}, {"title": "Hyperion"}]},
            "response": {"status": 200, "headers": json, "body": {"took": 3, "errors": false, "items": [
                {"index": {"_index": "books", "_id": "2", "status": 201, "result": "created"}}
            ]}}
        }),
        json!({
            "name": "get-missing",
            "request": {"method": "GET", "path": "/books/_doc/3"},
            "response": {"status": 404, "headers": json, "body": {"_index": "books", "_id": "3", "found": false}}
        }),
        json!({
            "name": "cat",
            "request": {"method": "GET", "path": "/_cat/indices", "query": {"v": true}},
            "response": {"status": 200, "headers": {"content-type": "text/plain; charset=UTF-8", "content-length": "40"},
                         "body": "health status index\ngreen  open   books\n"}
        }),
    ];
    let mut cassette = Cassette::new();
    for f in &fixtures {
        cassette.push_fixture(f, "server").unwrap();
    }
    cassette
}

/// An executor answering every request with bytes that are not UTF-8.
#[derive(Clone, Debug)]
struct Binary;

const BINARY: &[u8] = &[0xff, 0xfe, 0x00, 0x81];

impl Executor for Binary {
    type Output<T: Send + 'static> = T;

    fn execute(&self, _: PreparedRequest) -> Result<elastik_proto::http::Response<Bytes>, Error> {
        Ok(elastik_proto::http::Response::builder()
            .header("content-type", "application/vnd.apache.arrow.stream")
            .body(Bytes::from_static(BINARY))
            .unwrap())
    }

    fn ready<T: Send + 'static>(value: T) -> T {
        value
    }

    fn map<T, U, F>(output: T, f: F) -> U
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(T) -> U + Send + 'static,
    {
        f(output)
    }
}

fn temp_file(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!("elastik-replay-{test}-{}.jsonl", std::process::id()))
}
