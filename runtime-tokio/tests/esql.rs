//! ES|QL on tokio against recorded exchanges (`conformance-tests/recordings/esql`)
//! served by a stub over real HTTP: the requests sent are the recorded ones
//! (a user string with quotes and pipes stays a `?param`), rows decode into
//! a struct by column name, csv comes back as text, and the async helper
//! polls until the query is done, then deletes it.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use elastik_core::encoding::percent_decode;
use elastik_core::esql::{field, functions as f, AsyncQuery, EsqlQuery, Expr, Processing, Query, SortKey, TextFormat};
use elastik_testkit::{StubResponse, StubServer};
use elastik_tokio::helpers::esql_async_query;
use elastik_tokio::Client;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, PartialEq, Deserialize)]
struct Book {
    // Not in column order: rows are decoded by name.
    release_date: String,
    page_count: u32,
    name: String,
    author: String,
}

#[derive(Debug, PartialEq, Deserialize)]
struct AuthorPages {
    author: String,
    books: u64,
    pages: u64,
}

const INJECTION: &str = r#"Kurt Vonnegut" | DROP author | WHERE "1" == "1"#;

#[tokio::test]
async fn query_sends_user_strings_as_params_and_decodes_rows_by_column_name() {
    let recorded = recorded("query-typed-rows.json");
    let stub = serve(&recorded);
    let query = Query::from(["books"])
        .where_(
            field("page_count")
                .gte(Expr::param("min_pages", 300))
                .and(field("author").ne(Expr::param("exclude", INJECTION))),
        )
        .keep(["name", "author", "page_count", "release_date"])
        .sort([SortKey::desc(field("page_count"))])
        .limit(3);

    let response = client(&stub).send(EsqlQuery::from_query(&query).unwrap()).await.unwrap();

    assert_sent_as_recorded(&stub, &recorded);
    let body: Value = serde_json::from_slice(&stub.requests()[0].body).unwrap();
    assert!(!body["query"].as_str().unwrap().contains("Vonnegut"), "the user string stays out of the query text");
    assert_eq!(body["params"][1]["exclude"], INJECTION);
    let books: Vec<Book> = response.rows().unwrap();
    assert_eq!(
        books.iter().map(|b| (b.name.as_str(), b.page_count)).collect::<Vec<_>>(),
        [("Revelation Space", 585), ("Snow Crash", 470), ("1984", 328)]
    );
    assert_eq!(books[0].author, "Alastair Reynolds");
    assert_eq!(books[2].release_date, "1985-06-01T00:00:00.000Z");
    assert_eq!(response.column("author").unwrap()[1], "Neal Stephenson");
}

#[tokio::test]
async fn query_as_csv_returns_the_text() {
    let recorded = recorded("query-csv.json");
    let stub = serve(&recorded);
    let query = Query::from(["books"])
        .where_(field("author").eq(Expr::param("author", "Margaret Atwood")))
        .keep(["name", "release_date"])
        .sort(["release_date"]);

    let csv = client(&stub).send(EsqlQuery::from_query(&query).unwrap().text(TextFormat::Csv)).await.unwrap();

    assert_sent_as_recorded(&stub, &recorded);
    assert_eq!(
        csv,
        "name,release_date\r\nThe Handmaid's Tale,1985-06-01T00:00:00.000Z\r\n\"Oryx and Crake, a novel\",2003-05-06T00:00:00.000Z\r\n"
    );
}

#[tokio::test]
async fn async_query_polls_until_done_then_deletes() {
    let recorded = recorded("async-query-poll-until-done.json");
    let stub = serve(&recorded);
    let query = Query::from(["books"])
        .where_(field("page_count").gt(Expr::param("min_pages", 250)))
        .stats_by([("books", f::count_all()), ("pages", f::sum(field("page_count")))], [field("author")])
        .sort([SortKey::desc(field("pages"))])
        .limit(2);
    let submit =
        EsqlQuery::from_query(&query).unwrap().into_async().wait_for_completion_timeout("100ms").keep_alive("5m");
    let machine = AsyncQuery::new(submit).poll_interval(Duration::from_millis(5)).delete_when_done(true);

    let response = esql_async_query(&client(&stub), machine).await.unwrap();

    assert_sent_as_recorded(&stub, &recorded);
    let methods: Vec<String> = stub.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["POST", "GET", "GET", "DELETE"], "one submit, two polls, one delete");
    assert_eq!(response.is_running, Some(false));
    let rows: Vec<AuthorPages> = response.rows().unwrap();
    assert_eq!(
        rows,
        [
            AuthorPages { author: "Alastair Reynolds".into(), books: 3, pages: 1604 },
            AuthorPages { author: "Neal Stephenson".into(), books: 2, pages: 898 },
        ]
    );
}

fn client(stub: &StubServer) -> Client {
    Client::builder().node(stub.url()).build().expect("client")
}

/// The exchanges of a recording (one, or a scenario's several), in order.
fn recorded(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance-tests/recordings/esql").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fixture: Value = serde_json::from_str(&text).unwrap();
    match fixture["exchanges"].as_array() {
        Some(exchanges) => exchanges.clone(),
        None => vec![fixture],
    }
}

/// A stub answering the n-th request with the n-th recorded response.
fn serve(exchanges: &[Value]) -> StubServer {
    let responses: Vec<StubResponse> = exchanges
        .iter()
        .map(|x| {
            let r = &x["response"];
            let mut response = StubResponse::new(r["status"].as_u64().unwrap() as u16);
            for (name, value) in r["headers"].as_object().unwrap() {
                response = response.header(name, value.as_str().unwrap());
            }
            match &r["body"] {
                Value::String(text) => response.body(text.as_bytes()),
                json => response.body(json.to_string()),
            }
        })
        .collect();
    let next = AtomicUsize::new(0);
    StubServer::start(move |_| {
        let n = next.fetch_add(1, Ordering::SeqCst);
        responses.get(n).cloned().unwrap_or_else(|| StubResponse::json(500, r#"{"error":"no recorded exchange left"}"#))
    })
}

/// Each request the stub received is its recorded request, under the
/// equivalence of `FORMAT.md` (decoded path, query as a set, JSON body,
/// media types without their `compatible-with`).
fn assert_sent_as_recorded(stub: &StubServer, exchanges: &[Value]) {
    let sent = stub.requests();
    assert_eq!(sent.len(), exchanges.len(), "requests sent: {sent:?}");
    for (got, exchange) in sent.iter().zip(exchanges) {
        let want = &exchange["request"];
        let (path, query) = got.path.split_once('?').unwrap_or((&got.path, ""));
        assert_eq!(got.method, want["method"].as_str().unwrap());
        assert_eq!(percent_decode(path), percent_decode(want["path"].as_str().unwrap()));
        let query: BTreeSet<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect();
        let want_query: BTreeSet<(String, String)> = want["query"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(query, want_query, "{} {}", got.method, got.path);
        if want["body"].is_null() {
            assert!(got.body.is_empty(), "{} {} has a body", got.method, got.path);
        } else {
            assert_eq!(serde_json::from_slice::<Value>(&got.body).unwrap(), want["body"]);
            assert_eq!(media(got.header("content-type")), media(want["headers"]["content-type"].as_str()));
        }
        assert_eq!(media(got.header("accept")), media(want["headers"]["accept"].as_str()));
    }
}

/// A media type's essence, compatibility forms as the plain ones.
fn media(header: Option<&str>) -> String {
    let essence = header.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.replace("vnd.elasticsearch+", "")
}
