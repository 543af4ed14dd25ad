//! The blocking client against the real servers `scripts/test.sh` starts
//! (noida-db, osmem-server). Each test returns early, with a message, when
//! its server's environment variable is absent.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use elastik_blocking::{Body, Client, Error, HeaderMap, Method};
use elastik_testkit::{noida_urls, osmem_url, test_url, unique_name, FaultProxy};
use serde_json::{json, Value};

fn client(url: &str) -> Client {
    Client::builder().node(url).backoff(Duration::from_millis(1), Duration::from_millis(20)).build().unwrap()
}

fn call(client: &Client, method: Method, path: &str, body: Option<Value>) -> Result<Value, Error> {
    let body = body.map(|b| Body::json(&b).unwrap()).unwrap_or(Body::Empty);
    let response = client.perform_request(method, path, &[], HeaderMap::new(), body)?;
    if response.body().is_empty() {
        return Ok(Value::Null);
    }
    Ok(serde_json::from_slice(response.body()).expect("a JSON body"))
}

fn api_error(result: Result<Value, Error>) -> (u16, Option<String>) {
    match result {
        Err(Error::Api(e)) => (e.status.as_u16(), e.error_type().map(str::to_owned)),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[test]
fn info_and_ping() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let info = call(&client, Method::GET, "/", None).unwrap();
    // noida-db says 8.15.3, the real node of scripts/test.sh 9.5.3.
    let version = info["version"]["number"].as_str().unwrap_or_default();
    assert!(version.split('.').all(|p| p.parse::<u32>().is_ok()) && version.split('.').count() == 3, "{info}");
    let ping = client.perform_request(Method::HEAD, "/", &[], HeaderMap::new(), Body::Empty).unwrap();
    assert_eq!(ping.status(), 200);
}

#[test]
fn document_lifecycle_search_and_bulk() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("blocking-docs");

    let created = call(&client, Method::PUT, &format!("/{index}/_doc/1"), Some(json!({"title": "one", "n": 1})));
    assert_eq!(created.unwrap()["result"], "created");
    let got = call(&client, Method::GET, &format!("/{index}/_doc/1"), None).unwrap();
    assert_eq!(got["_source"], json!({"title": "one", "n": 1}));

    let updated = call(&client, Method::POST, &format!("/{index}/_update/1"), Some(json!({"doc": {"n": 2}})));
    assert_eq!(updated.unwrap()["result"], "updated");
    let got = call(&client, Method::GET, &format!("/{index}/_doc/1"), None).unwrap();
    assert_eq!(got["_source"]["n"], 2);

    let bulk = format!(
        "{}\n{}\n{}\n{}\n",
        json!({"index": {"_index": index, "_id": "2"}}),
        json!({"title": "two"}),
        json!({"index": {"_index": index, "_id": "3"}}),
        json!({"title": "three"}),
    );
    let response = client
        .perform_request(Method::POST, "/_bulk", &[("refresh", "true")], HeaderMap::new(), Body::ndjson_bytes(bulk))
        .unwrap();
    let bulk: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(bulk["errors"], false, "{bulk}");
    assert_eq!(bulk["items"].as_array().unwrap().len(), 2);

    let found = call(&client, Method::POST, &format!("/{index}/_search"), Some(json!({"query": {"match_all": {}}})));
    assert_eq!(found.unwrap()["hits"]["total"]["value"], 3);

    let deleted = call(&client, Method::DELETE, &format!("/{index}/_doc/1"), None).unwrap();
    assert_eq!(deleted["result"], "deleted");
    // A missing document is a 404 without the usual error object.
    let (status, kind) = api_error(call(&client, Method::GET, &format!("/{index}/_doc/1"), None));
    assert_eq!((status, kind), (404, None));
}

#[test]
fn head_exists_is_true_or_false() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("blocking-exists");
    call(&client, Method::PUT, &format!("/{index}"), None).unwrap();
    let head = |path: String| client.perform_request(Method::HEAD, &path, &[], HeaderMap::new(), Body::Empty);
    assert_eq!(head(format!("/{index}")).unwrap().status(), 200);
    // A HEAD 404 is an answer, not an error.
    assert_eq!(head(format!("/{index}-missing")).unwrap().status(), 404);
}

#[test]
fn error_statuses_are_typed_api_errors() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("blocking-errors");

    let missing = call(&client, Method::GET, &format!("/{index}-nope/_doc/1"), None);
    assert_eq!(api_error(missing), (404, Some("index_not_found_exception".into())));

    call(&client, Method::PUT, &format!("/{index}"), None).unwrap();
    let bad = call(&client, Method::POST, &format!("/{index}/_search"), Some(json!({"query": {"no_such_query": {}}})));
    assert_eq!(api_error(bad), (400, Some("parsing_exception".into())));

    call(&client, Method::PUT, &format!("/{index}/_create/c1"), Some(json!({"a": 1}))).unwrap();
    let conflict = call(&client, Method::PUT, &format!("/{index}/_create/c1"), Some(json!({"a": 1})));
    assert_eq!(api_error(conflict), (409, Some("version_conflict_engine_exception".into())));
}

#[test]
fn gzip_request_bodies_and_responses() {
    let Some(url) = test_url() else { return };
    // noida gzips every response when asked (the core asks with `Accept-Encoding: gzip`).
    let client = Client::builder().node(&url).compress_requests(true).build().unwrap();
    let index = unique_name("blocking-gzip");
    let doc = json!({"text": "squeeze me ".repeat(50)});
    let created = call(&client, Method::PUT, &format!("/{index}/_doc/z"), Some(doc.clone())).unwrap();
    assert_eq!(created["result"], "created");
    let got = call(&client, Method::GET, &format!("/{index}/_doc/z"), None).unwrap();
    assert_eq!(got["_source"], doc);
}

#[test]
fn osmem_406_falls_back_to_plain_media_types_once() {
    let Some(url) = osmem_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = client(&proxy.url());
    let index = unique_name("blocking-osmem");

    let created = call(&client, Method::PUT, &format!("/{index}/_doc/1"), Some(json!({"a": 1}))).unwrap();
    assert_eq!(created["result"], "created");
    assert_eq!(proxy.requests(), 2, "one 406, then the plain request");

    let created = call(&client, Method::PUT, &format!("/{index}/_doc/2"), Some(json!({"a": 2}))).unwrap();
    assert_eq!(created["result"], "created");
    assert_eq!(proxy.requests(), 3, "later requests go plain at once");
    let got = call(&client, Method::GET, &format!("/{index}/_doc/2"), None).unwrap();
    assert_eq!(got["_source"]["a"], 2);
}

#[test]
fn round_robin_spreads_requests_over_three_nodes() {
    let Some(urls) = noida_urls() else { return };
    let proxies: Vec<FaultProxy> = urls.iter().map(|u| FaultProxy::start(u)).collect();
    let client = Client::builder().nodes(proxies.iter().map(FaultProxy::url)).build().unwrap();
    for _ in 0..9 {
        call(&client, Method::GET, "/", None).unwrap();
    }
    let counts: Vec<usize> = proxies.iter().map(FaultProxy::requests).collect();
    assert_eq!(counts, [3, 3, 3]);
}

#[test]
fn a_node_dying_mid_run_fails_no_request() {
    let Some(urls) = noida_urls() else { return };
    let proxies: Vec<FaultProxy> = urls.iter().map(|u| FaultProxy::start(u)).collect();
    let client = Client::builder()
        .nodes(proxies.iter().map(FaultProxy::url))
        .backoff(Duration::from_millis(1), Duration::from_millis(20))
        .build()
        .unwrap();
    let index = unique_name("blocking-dying");
    // Three threads share the client; the node dies between their two halves
    // of work, while the second half is starting. (The nodes are independent
    // clusters: a document is never read back from another node.)
    let halfway = Arc::new(Barrier::new(4));
    let workers: Vec<_> = (0..3)
        .map(|w| {
            let (client, index, halfway) = (client.clone(), index.clone(), halfway.clone());
            thread::spawn(move || {
                for i in 0..20 {
                    if i == 10 {
                        halfway.wait();
                    }
                    let path = format!("/{index}-{w}/_doc/{i}");
                    call(&client, Method::PUT, &path, Some(json!({"w": w, "i": i}))).unwrap();
                    call(&client, Method::GET, "/", None).unwrap();
                }
            })
        })
        .collect();
    halfway.wait();
    proxies[1].kill();
    for w in workers {
        w.join().expect("no request failed");
    }
    let counts: Vec<usize> = proxies.iter().map(FaultProxy::requests).collect();
    assert!(counts[1] >= 20, "the node took its third of the first half: {counts:?}");
    assert!(counts[0] + counts[2] >= 90, "the others took (nearly) all of the second half: {counts:?}");
}
