//! The seed example of issue 15, as written, on tokio, blocking and
//! async-std: 100 documents of which 70 match, a page of 20 from 40, total
//! 70; the body of the request carries `from`, `size` and `query` (not the
//! query string). Skips when `ELASTIK_TEST_URL` is not set.

use std::sync::Mutex;

use elastik::Endpoint;
use serde_json::{json, Value};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The three tests share the example's index name, so they run one at a time.
static INDEX_LOCK: Mutex<()> = Mutex::new(());

const INDEX: &str = "my-index-000001";

/// 100 documents, 70 of them by `kimchy`, as bulk lines.
fn bulk_lines() -> Vec<Value> {
    (0..100)
        .flat_map(|i| {
            let user = if i < 70 { "kimchy" } else { "someone-else" };
            [json!({"index": {"_index": INDEX, "_id": i.to_string()}}), json!({"user": {"id": user}, "n": i})]
        })
        .collect()
}

/// The body the request sends: `from`, `size` and the DSL query's JSON, byte for byte.
fn expected_body() -> String {
    let q = elastik::dsl::Query::term("user.id", "kimchy");
    format!(r#"{{"from":40,"size":20,"query":{}}}"#, serde_json::to_string(q.as_json()).unwrap())
}

fn check_sent(request: &http_request::Sent) {
    let (uri, body) = request;
    assert!(!uri.contains("from=") && !uri.contains("size="), "query string: {uri}");
    assert_eq!(body, &expected_body());
}

mod http_request {
    /// The URI and the JSON body of a built request.
    pub type Sent = (String, String);

    pub fn of(request: elastik::http::Request<elastik::Body>) -> Sent {
        let body = match request.body() {
            elastik::Body::Json(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("not a JSON body: {other:?}"),
        };
        (request.uri().to_string(), body)
    }
}

#[cfg(feature = "tokio")]
#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises tests sharing one index; nothing else waits on it
async fn the_seed_example_runs_on_tokio() -> Result {
    use elastik::dsl::Query;
    use elastik::tokio::Client;

    let Some(url) = elastik_testkit::test_url() else {
        elastik_testkit::note("skipped: ELASTIK_TEST_URL not set");
        return Ok(());
    };
    let _guard = INDEX_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let client = Client::builder().node(&url).build()?;
    client.indices().delete(INDEX).send_raw().await?;
    client.bulk().refresh(elastik::types::types::Refresh::True).body(bulk_lines()).send().await?;

    let built = client.search().index(INDEX).from(40).size(20).query(Query::term("user.id", "kimchy"));
    check_sent(&http_request::of(built.endpoint().to_request()?));

    let resp = client
        .search()
        .index("my-index-000001")
        .from(40)
        .size(20)
        .query(Query::term("user.id", "kimchy"))
        .send()
        .await?;
    let total: Option<u64> = resp.hits.total_value();
    assert_eq!(total, Some(70));
    assert_eq!(resp.hits.hits.len(), 20);
    // `from` reached the server: from 60 only 10 of the 70 are left.
    let last = client.search().index(INDEX).from(60).size(20).query(Query::term("user.id", "kimchy")).send().await?;
    assert_eq!(last.hits.hits.len(), 10);
    client.indices().delete(INDEX).send().await?;
    Ok(())
}

#[cfg(feature = "blocking")]
#[test]
fn the_seed_example_runs_on_blocking() -> Result {
    use elastik::blocking::Client;
    use elastik::dsl::Query;

    let Some(url) = elastik_testkit::test_url() else {
        elastik_testkit::note("skipped: ELASTIK_TEST_URL not set");
        return Ok(());
    };
    let _guard = INDEX_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let client = Client::builder().node(&url).build()?;
    client.indices().delete(INDEX).send_raw()?;
    client.bulk().refresh(elastik::types::types::Refresh::True).body(bulk_lines()).send()?;

    let built = client.search().index(INDEX).from(40).size(20).query(Query::term("user.id", "kimchy"));
    check_sent(&http_request::of(built.endpoint().to_request()?));

    let resp =
        client.search().index("my-index-000001").from(40).size(20).query(Query::term("user.id", "kimchy")).send()?;
    let total: Option<u64> = resp.hits.total_value();
    assert_eq!(total, Some(70));
    assert_eq!(resp.hits.hits.len(), 20);
    let last = client.search().index(INDEX).from(60).size(20).query(Query::term("user.id", "kimchy")).send()?;
    assert_eq!(last.hits.hits.len(), 10);
    client.indices().delete(INDEX).send()?;
    Ok(())
}

#[cfg(feature = "async-std")]
#[test]
fn the_seed_example_runs_on_async_std() -> Result {
    let Some(url) = elastik_testkit::test_url() else {
        elastik_testkit::note("skipped: ELASTIK_TEST_URL not set");
        return Ok(());
    };
    let _guard = INDEX_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    smol::block_on(async {
        use elastik::async_std::Client;
        use elastik::dsl::Query;

        let client = Client::builder().node(&url).build()?;
        client.indices().delete(INDEX).send_raw().await?;
        client.bulk().refresh(elastik::types::types::Refresh::True).body(bulk_lines()).send().await?;

        let built = client.search().index(INDEX).from(40).size(20).query(Query::term("user.id", "kimchy"));
        check_sent(&http_request::of(built.endpoint().to_request()?));

        let resp = client
            .search()
            .index("my-index-000001")
            .from(40)
            .size(20)
            .query(Query::term("user.id", "kimchy"))
            .send()
            .await?;
        let total: Option<u64> = resp.hits.total_value();
        assert_eq!(total, Some(70));
        assert_eq!(resp.hits.hits.len(), 20);
        let last =
            client.search().index(INDEX).from(60).size(20).query(Query::term("user.id", "kimchy")).send().await?;
        assert_eq!(last.hits.hits.len(), 10);
        client.indices().delete(INDEX).send().await?;
        Ok(())
    })
}

/// A DSL query the specification does not model (`random_score` directly
/// under `function_score`) reaches the body byte for byte.
#[test]
fn a_dsl_query_the_spec_does_not_model_reaches_the_body_byte_identical() {
    let q = elastik::dsl::Query::raw("function_score", json!({"random_score": {"seed": 10, "field": "_seq_no"}}));
    let endpoint = elastik::api::Search::new().query(q.clone());
    let (_, body) = http_request::of(endpoint.to_request().unwrap());
    assert_eq!(body, format!(r#"{{"query":{}}}"#, serde_json::to_string(q.as_json()).unwrap()));
}
