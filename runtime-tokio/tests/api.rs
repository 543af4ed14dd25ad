//! The client against a real server (noida-db, osmem-server) and stubs:
//! each test skips when `scripts/test.sh` did not start the servers.

mod common;

use common::{call, client, json};
use elastik_testkit::{closed_port_url, osmem_url, test_url, unique_name, FaultProxy, StubResponse, StubServer};
use elastik_tokio::http::{HeaderMap, Method, StatusCode};
use elastik_tokio::{Body, Client, Error, IoErrorKind};
use serde_json::json;

#[tokio::test]
async fn info_reports_the_version() {
    let Some(url) = test_url() else { return };
    let info = json(&client(&url), Method::GET, "/", None).await;
    assert!(info["version"]["number"].as_str().is_some_and(|v| !v.is_empty()), "{info}");
}

#[tokio::test]
async fn ping_is_a_head_answered_200() {
    let Some(url) = test_url() else { return };
    let response = call(&client(&url), Method::HEAD, "/", None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.body().is_empty());
}

#[tokio::test]
async fn a_document_is_indexed_read_updated_and_deleted() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let doc = format!("/{}/_doc/1", unique_name("crud"));
    let created = json(&client, Method::PUT, &doc, Some(json!({"title": "first", "n": 1}))).await;
    assert_eq!(created["result"], "created");
    let read = json(&client, Method::GET, &doc, None).await;
    assert_eq!(read["_source"]["title"], "first");
    let update = doc.replace("/_doc/", "/_update/");
    let updated = json(&client, Method::POST, &update, Some(json!({"doc": {"title": "second"}}))).await;
    assert_eq!(updated["result"], "updated");
    assert_eq!(json(&client, Method::GET, &doc, None).await["_source"]["title"], "second");
    assert_eq!(json(&client, Method::DELETE, &doc, None).await["result"], "deleted");
    let gone = call(&client, Method::GET, &doc, None).await.unwrap_err();
    assert_eq!(gone.status(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn search_finds_refreshed_documents() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("search");
    for (id, title) in [(1, "red apple"), (2, "green pear"), (3, "red cherry")] {
        json(&client, Method::PUT, &format!("/{index}/_doc/{id}"), Some(json!({ "title": title }))).await;
    }
    json(&client, Method::POST, &format!("/{index}/_refresh"), None).await;
    let query = json!({"query": {"match": {"title": "red"}}});
    let found = json(&client, Method::POST, &format!("/{index}/_search"), Some(query)).await;
    assert_eq!(found["hits"]["total"]["value"], 2, "{found}");
}

#[tokio::test]
async fn bulk_sends_ndjson_and_reports_items() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("bulk");
    let lines = [
        json!({"index": {"_index": index, "_id": "1"}}),
        json!({"title": "one"}),
        json!({"create": {"_index": index, "_id": "1"}}),
        json!({"title": "again"}),
        json!({"delete": {"_index": index, "_id": "9"}}),
    ];
    let body = Body::ndjson(&lines).unwrap();
    let response = client.perform_request(Method::POST, "/_bulk", &[], HeaderMap::new(), body).await.unwrap();
    let result: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(result["errors"], true);
    let statuses: Vec<_> = result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_object().unwrap().values().next().unwrap()["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(201), json!(409), json!(404)]);
}

#[tokio::test]
async fn head_index_exists_is_true_or_false_never_an_error() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("exists");
    json(&client, Method::PUT, &format!("/{index}"), None).await;
    assert_eq!(call(&client, Method::HEAD, &format!("/{index}"), None).await.unwrap().status(), 200);
    let missing = call(&client, Method::HEAD, &format!("/{index}-missing"), None).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn error_statuses_are_typed_api_errors() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("errors");

    let e = call(&client, Method::GET, &format!("/{index}/_doc/1"), None).await.unwrap_err();
    let api = e.as_api().expect("an api error");
    assert_eq!((api.status.as_u16(), api.error_type()), (404, Some("index_not_found_exception")));

    json(&client, Method::PUT, &format!("/{index}"), None).await;
    let bad = json!({"query": {"no_such_query": {}}});
    let e = call(&client, Method::POST, &format!("/{index}/_search"), Some(bad)).await.unwrap_err();
    assert_eq!(e.as_api().map(|a| (a.status.as_u16(), a.error_type())), Some((400, Some("parsing_exception"))));
    let caused_by = e.as_api().and_then(|a| a.error.as_ref()).and_then(|c| c.caused_by.as_ref());
    assert!(caused_by.is_some(), "caused_by is parsed");

    let create = format!("/{index}/_create/c1");
    json(&client, Method::PUT, &create, Some(json!({"a": 1}))).await;
    let e = call(&client, Method::PUT, &create, Some(json!({"a": 1}))).await.unwrap_err();
    assert_eq!(
        e.as_api().map(|a| (a.status.as_u16(), a.error_type())),
        Some((409, Some("version_conflict_engine_exception")))
    );
    assert!(e.to_string().contains("version_conflict_engine_exception"), "{e}");
}

#[tokio::test]
async fn gzip_both_ways_against_noida() {
    let Some(url) = test_url() else { return };
    let client = common::builder().node(&url).compress_requests(true).build().unwrap();
    let doc = format!("/{}/_doc/z", unique_name("gzip"));
    let text = "compressible ".repeat(200);
    json(&client, Method::PUT, &doc, Some(json!({ "text": text }))).await;
    // noida gzips every response to `Accept-Encoding: gzip`; the core inflates it.
    let response = call(&client, Method::GET, &doc, None).await.unwrap();
    assert!(response.headers().get("content-encoding").is_none());
    let read: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(read["_source"]["text"], text.as_str());
}

#[tokio::test]
async fn requests_carry_compat_media_types_gzip_and_client_meta() {
    let stub = StubServer::start(|_| StubResponse::json(200, "{}"));
    let client = common::builder().node(stub.url()).compress_requests(true).build().unwrap();
    call(&client, Method::PUT, "/i/_doc/1", Some(json!({"a": 1}))).await.unwrap();
    let body = Body::ndjson(&[json!({"index": {}}), json!({"a": 1})]).unwrap();
    client.perform_request(Method::POST, "/_bulk", &[], HeaderMap::new(), body).await.unwrap();

    let requests = stub.requests();
    let put = &requests[0];
    assert_eq!(put.header("accept"), Some("application/vnd.elasticsearch+json; compatible-with=9"));
    assert_eq!(put.header("content-type"), Some("application/vnd.elasticsearch+json; compatible-with=9"));
    assert_eq!(put.header("content-encoding"), Some("gzip"));
    assert_eq!(put.header("accept-encoding"), Some("gzip"));
    assert!(put.body.starts_with(&[0x1f, 0x8b]), "the body is gzipped");
    let meta = put.header("x-elastic-client-meta").unwrap();
    assert!(meta.starts_with("es=") && meta.ends_with(",hc=1"), "{meta}");
    assert!(put.header("user-agent").is_some_and(|ua| ua.starts_with("elastik/")));
    let bulk = &requests[1];
    assert_eq!(bulk.header("content-type"), Some("application/vnd.elasticsearch+x-ndjson; compatible-with=9"));
}

#[tokio::test]
async fn osmem_406_falls_back_to_plain_json_once() {
    let Some(url) = osmem_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = client(&proxy.url());
    let index = unique_name("osmem");
    let first = json(&client, Method::PUT, &format!("/{index}/_doc/1"), Some(json!({"a": 1}))).await;
    assert_eq!(first["result"], "created");
    assert_eq!(proxy.requests(), 2, "a 406, then the same request with plain JSON");
    json(&client, Method::PUT, &format!("/{index}/_doc/2"), Some(json!({"a": 2}))).await;
    assert_eq!(proxy.requests(), 3, "the node is remembered: plain JSON at once");
}

#[tokio::test]
async fn credentials_never_show_in_debug_or_errors() {
    const SECRET: &str = "s3cr3t-pw";
    let stub = StubServer::start(|_| {
        StubResponse::json(
            401,
            r#"{"error":{"type":"security_exception","reason":"unable to authenticate"},"status":401}"#,
        )
    });
    let urls = [format!("http://elastic:{SECRET}@{}", stub.addr()), closed_port_url()];
    let client = Client::builder().nodes(urls.iter()).max_retries(0).build().unwrap();
    assert!(!format!("{client:?}").contains(SECRET), "{client:?}");
    let api_key = Client::builder().node(stub.url()).api_key("id", SECRET).build().unwrap();
    assert!(!format!("{api_key:?}").contains(SECRET));

    let mut errors: Vec<Error> = Vec::new();
    for _ in 0..2 {
        errors.push(call(&client, Method::GET, "/", None).await.unwrap_err());
    }
    errors.push(call(&api_key, Method::GET, "/", None).await.unwrap_err());
    assert!(errors.iter().any(|e| e.status() == Some(StatusCode::UNAUTHORIZED)));
    assert!(errors.iter().any(|e| matches!(e, Error::Transport(t) if t.kind == IoErrorKind::Connect)));
    for e in &errors {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(SECRET) && !text.contains("ZWxhc3RpYzpzM2NyM3QtcHc"), "{text}");
    }
    let sent = stub.requests();
    assert_eq!(
        sent[0].header("authorization"),
        Some("Basic ZWxhc3RpYzpzM2NyM3QtcHc="),
        "URL credentials became basic auth"
    );
}

#[test]
fn a_client_builds_outside_a_runtime_and_runs_inside_one() {
    let stub = StubServer::start(|_| StubResponse::json(200, "{}"));
    let client = common::builder()
        .node(stub.url())
        .sniff_before_requests(Some(std::time::Duration::from_secs(60)))
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(call(&client, Method::GET, "/", None)).unwrap();
    let paths: Vec<_> = stub.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/_nodes/_all/http", "/"], "without a background task the sniff runs before the request");
}

#[tokio::test]
async fn gzipped_responses_are_inflated() {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(br#"{"inflated":true}"#).unwrap();
    let gzipped = encoder.finish().unwrap();
    let stub = StubServer::start(move |_| {
        StubResponse::json(200, "").header("content-encoding", "gzip").body(gzipped.clone())
    });
    let body = json(&client(&stub.url()), Method::GET, "/", None).await;
    assert_eq!(body, json!({"inflated": true}));
}

#[tokio::test]
async fn per_request_options_reach_the_wire() {
    use elastik_tokio::RawRequest;
    let stub = StubServer::start(|_| StubResponse::json(200, "{}"));
    let client = common::builder().node(stub.url()).opaque_id("client-wide").build().unwrap();
    client.send(RawRequest::new(Method::GET, "/a")).await.unwrap();
    client
        .request(RawRequest::new(Method::GET, "/b").param("q", "x y"))
        .opaque_id("this-one")
        .header("x-extra", "1")
        .request_timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    let requests = stub.requests();
    assert_eq!(requests[0].header("x-opaque-id"), Some("client-wide"));
    assert_eq!(requests[1].path, "/b?q=x%20y");
    assert_eq!(requests[1].header("x-opaque-id"), Some("this-one"));
    assert_eq!(requests[1].header("x-extra"), Some("1"));
}

#[tokio::test]
async fn a_response_over_the_size_limit_is_refused_not_retried() {
    let stub = StubServer::start(|_| StubResponse::json(200, format!("[{}]", "1,".repeat(100) + "1")));
    let client = common::builder().node(stub.url()).max_response_size(64).build().unwrap();
    let e = call(&client, Method::GET, "/", None).await.unwrap_err();
    assert!(matches!(&e, Error::Transport(t) if t.kind == IoErrorKind::BodyTooLarge), "{e:?}");
    assert_eq!(stub.request_count(), 1);
}

/// A document type of the caller's, for typed hits.
#[derive(Debug, serde::Deserialize, PartialEq)]
struct Book {
    title: String,
    year: i64,
}

#[tokio::test]
async fn send_as_decodes_typed_hits_and_sources() {
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("sendas");
    for (id, title, year) in [("1", "red apple", 2001), ("2", "green pear", 2002), ("3", "red cherry", 2003)] {
        client.index(&index).id(id).body(json!({"title": title, "year": year})).send().await.unwrap();
    }
    client.indices().refresh().index(&index).send().await.unwrap();

    let found: elastik_tokio::types::global::SearchResponse<Book> = client
        .search()
        .index(&index)
        .json_body(&json!({"query": {"match": {"title": "red"}}, "sort": [{"year": "asc"}]}))
        .send_as()
        .await
        .unwrap();
    let books: Vec<Book> = found.hits.hits.into_iter().filter_map(|h| h._source).collect();
    assert_eq!(
        books,
        [Book { title: "red apple".into(), year: 2001 }, Book { title: "red cherry".into(), year: 2003 }]
    );

    let got: elastik_tokio::types::global::GetResponse<Book> = client.get(&index, "2").send_as().await.unwrap();
    assert_eq!(got._source, Some(Book { title: "green pear".into(), year: 2002 }));

    // Error statuses stay typed API errors whatever `T` is.
    let missing = client.get(&index, "404").send_as::<serde_json::Value>().await.unwrap_err();
    assert_eq!(missing.status(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn a_json_body_that_cannot_be_serialized_is_a_build_error_and_nothing_is_sent() {
    let stub = StubServer::start(|_| StubResponse::json(200, "{}"));
    let client = client(&stub.url());
    // serde_json refuses map keys that are not strings.
    let body: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let e = client.search().json_body(&body).send().await.unwrap_err();
    assert!(matches!(e, Error::Build(_)), "{e:?}");
    assert!(e.to_string().contains("key must be a string"), "{e}");
    assert_eq!(stub.requests().len(), 0, "nothing went out");
}

#[tokio::test]
async fn a_typed_setting_is_set_then_reset_to_its_default_with_null() {
    use elastik_tokio::types::indices::IndexSettings;
    use elastik_tokio::types::types::Duration;
    let Some(url) = test_url() else { return };
    let client = client(&url);
    let index = unique_name("reset");
    client.indices().create(&index).send().await.unwrap();
    let refresh = |settings: serde_json::Value| settings[&index]["settings"]["index"]["refresh_interval"].clone();

    let set = IndexSettings { refresh_interval: Some(Duration::String("30s".into())), ..Default::default() };
    let ack = client.indices().put_settings().index(&index).body(set).send().await.unwrap();
    assert!(ack.acknowledged);
    let got = client.indices().get_settings().index(&index).send_as::<serde_json::Value>().await.unwrap();
    assert_eq!(refresh(got), "30s");

    // `null` resets a setting: an absent `Option` is left out, so the null
    // goes through the settings' catch-all map.
    let mut reset = IndexSettings::default();
    reset.other_settings.insert("refresh_interval".into(), serde_json::Value::Null);
    assert_eq!(serde_json::to_value(&reset).unwrap(), json!({"refresh_interval": null}));
    client.indices().put_settings().index(&index).body(reset).send().await.unwrap();
    let got = client.indices().get_settings().index(&index).send_as::<serde_json::Value>().await.unwrap();
    assert_ne!(refresh(got), "30s");
    client.indices().delete(&index).send().await.unwrap();
}
