//! The API against a real noida-db and osmem-server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use elastik_proto::Error;
use elastik_testkit::{noida_urls, osmem_url, test_url, unique_name, FaultProxy};
use http::{Method, StatusCode};
use serde_json::json;

use crate::{builder, call, json};

#[async_std::test]
async fn info_and_ping() {
    let Some(url) = test_url() else { return };
    let client = builder(&url).build().unwrap();
    let info = call(&client, Method::GET, "/", None).await.unwrap();
    assert_eq!(json(&info)["tagline"], "You Know, for Search");
    let ping = call(&client, Method::HEAD, "/", None).await.unwrap();
    assert_eq!(ping.status(), StatusCode::OK);
}

#[async_std::test]
async fn index_get_delete_search_and_exists() {
    let Some(url) = test_url() else { return };
    let client = builder(&url).build().unwrap();
    let index = unique_name("asyncstd-crud");
    let doc = format!("/{index}/_doc/1");

    let created =
        call(&client, Method::PUT, &format!("{doc}?refresh=true"), Some(json!({"title": "hello"}))).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(json(&created)["result"], "created");

    let got = call(&client, Method::GET, &doc, None).await.unwrap();
    assert_eq!(json(&got)["_source"]["title"], "hello");

    let query = json!({"query": {"match": {"title": "hello"}}});
    let found = call(&client, Method::POST, &format!("/{index}/_search"), Some(query)).await.unwrap();
    assert_eq!(json(&found)["hits"]["hits"][0]["_id"], "1");

    assert_eq!(call(&client, Method::HEAD, &format!("/{index}"), None).await.unwrap().status(), StatusCode::OK);
    let missing = call(&client, Method::HEAD, &format!("/{index}-nope"), None).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND, "a HEAD 404 is an answer, not an error");

    let deleted = call(&client, Method::DELETE, &doc, None).await.unwrap();
    assert_eq!(json(&deleted)["result"], "deleted");
    let err = call(&client, Method::GET, &doc, None).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    call(&client, Method::DELETE, &format!("/{index}"), None).await.unwrap();
}

#[async_std::test]
async fn bulk_reports_items() {
    let Some(url) = test_url() else { return };
    let client = builder(&url).build().unwrap();
    let index = unique_name("asyncstd-bulk");
    let lines = [
        json!({"index": {"_index": index, "_id": "1"}}),
        json!({"n": 1}),
        json!({"create": {"_index": index, "_id": "1"}}),
        json!({"n": 2}),
    ];
    let body = elastik_proto::Body::ndjson(lines.iter()).unwrap();
    let response = client.perform_request(Method::POST, "/_bulk", &[], http::HeaderMap::new(), body).await.unwrap();
    let v = json(&response);
    assert_eq!(v["errors"], true);
    assert_eq!(v["items"][0]["index"]["status"], 201);
    assert_eq!(v["items"][1]["create"]["status"], 409);
}

#[async_std::test]
async fn error_statuses_are_typed() {
    let Some(url) = test_url() else { return };
    let client = builder(&url).build().unwrap();
    let index = unique_name("asyncstd-errors");

    let err = call(&client, Method::GET, &format!("/{index}/_doc/1"), None).await.unwrap_err();
    let api = err.as_api().expect("an API error");
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.error_type(), Some("index_not_found_exception"));

    let create = format!("/{index}/_create/c1");
    call(&client, Method::PUT, &create, Some(json!({"a": 1}))).await.unwrap();
    let err = call(&client, Method::PUT, &create, Some(json!({"a": 1}))).await.unwrap_err();
    let api = err.as_api().expect("an API error");
    assert_eq!(api.status, StatusCode::CONFLICT);
    assert_eq!(api.error_type(), Some("version_conflict_engine_exception"));

    let err = call(&client, Method::POST, &format!("/{index}/_search"), Some(json!({"query": {"no_such_query": {}}})))
        .await
        .unwrap_err();
    assert_eq!(err.as_api().and_then(|a| a.error_type()), Some("parsing_exception"));
    call(&client, Method::DELETE, &format!("/{index}"), None).await.unwrap();
}

#[async_std::test]
async fn gzip_requests_and_responses_against_noida() {
    let Some(url) = test_url() else { return };
    let client = builder(&url).compress_requests(true).build().unwrap();
    let index = unique_name("asyncstd-gzip");
    let doc = format!("/{index}/_doc/g");
    call(&client, Method::PUT, &doc, Some(json!({"zipped": true}))).await.unwrap();
    // noida gzips every response when asked (the core asks by default): the
    // body arrives decompressed.
    let got = call(&client, Method::GET, &doc, None).await.unwrap();
    assert_eq!(json(&got)["_source"]["zipped"], true);
    call(&client, Method::DELETE, &format!("/{index}"), None).await.unwrap();
}

/// osmem-server answers 406 to the compatibility media types: the first
/// request with a body falls back to plain JSON (two requests on the wire),
/// the next one goes plain at once (one request).
#[async_std::test]
async fn osmem_406_falls_back_to_plain_json_once() {
    let Some(url) = osmem_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = builder(&proxy.url()).build().unwrap();
    let index = unique_name("asyncstd-osmem");
    let put = call(&client, Method::PUT, &format!("/{index}/_doc/1"), Some(json!({"a": 1}))).await.unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    assert_eq!(proxy.requests(), 2, "406, then the plain retry");
    call(&client, Method::PUT, &format!("/{index}/_doc/2"), Some(json!({"a": 2}))).await.unwrap();
    assert_eq!(proxy.requests(), 3, "the node is remembered as plain");
    let got = call(&client, Method::GET, &format!("/{index}/_doc/2"), None).await.unwrap();
    assert_eq!(json(&got)["_source"]["a"], 2);
}

/// Three seeds (each a proxy in front of one noida-db): round-robin sends
/// each node the same share.
#[async_std::test]
async fn round_robin_spreads_over_three_nodes() {
    let Some(urls) = noida_urls() else { return };
    let proxies: Vec<FaultProxy> = urls.iter().map(|u| FaultProxy::start(u)).collect();
    let client = crate::Client::builder().nodes(proxies.iter().map(FaultProxy::url)).build().unwrap();
    for _ in 0..9 {
        call(&client, Method::GET, "/", None).await.unwrap();
    }
    let counts: Vec<usize> = proxies.iter().map(FaultProxy::requests).collect();
    assert_eq!(counts, vec![3, 3, 3]);
}

/// One of three nodes dies while four tasks send requests: no request fails
/// (requests cut off on the dying node and refused connections are retried
/// on the others).
#[async_std::test]
async fn a_node_dying_mid_run_fails_no_request() {
    let Some(urls) = noida_urls() else { return };
    let proxies: Arc<Vec<FaultProxy>> = Arc::new(urls.iter().map(|u| FaultProxy::start(u)).collect());
    let client = crate::Client::builder().nodes(proxies.iter().map(FaultProxy::url)).build().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for task in 0..4 {
        let (client, proxies, done) = (client.clone(), proxies.clone(), done.clone());
        tasks.push(async_std::task::spawn(async move {
            for i in 0..15 {
                let path = if i % 2 == 0 { "/".to_owned() } else { format!("/_nodes/_all/http?t={task}") };
                call(&client, Method::GET, &path, None).await.map_err(|e: Error| e.to_string())?;
                if done.fetch_add(1, Ordering::SeqCst) + 1 == 20 {
                    proxies[1].kill();
                }
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await.expect("no request fails");
    }
    assert_eq!(done.load(Ordering::SeqCst), 60);
    let survivors = proxies[0].requests() + proxies[2].requests();
    assert!(proxies[1].requests() >= 5, "the dying node served its share before it died");
    assert!(survivors >= 40, "the other two served every request after the death: {survivors}");
}
