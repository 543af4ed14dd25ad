//! ES|QL on the blocking runtime against recorded exchanges (`conformance-tests/recordings/esql`)
//! served by a stub over real HTTP: the requests sent are the recorded ones
//! (a user string with quotes and pipes stays a `?param`), rows decode into
//! a struct by column name, csv comes back as text, and the async helper
//! polls until the query is done, then deletes it.

use std::path::Path;
use std::time::Duration;

use elastik_blocking::helpers::esql_async_query;
use elastik_blocking::Client;
use elastik_proto::esql::{field, functions as f, AsyncQuery, EsqlQuery, Expr, Processing, Query, SortKey, TextFormat};
use elastik_testkit::recorded::{assert_sent_as_recorded, exchanges, serve};
use elastik_testkit::StubServer;
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

const RECORDINGS: &str = "../conformance-tests/recordings/esql";

const INJECTION: &str = r#"Kurt Vonnegut" | DROP author | WHERE "1" == "1"#;

#[test]
fn query_sends_user_strings_as_params_and_decodes_rows_by_column_name() {
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

    let response = client(&stub).send(EsqlQuery::from_query(&query).unwrap()).unwrap();

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

#[test]
fn query_as_csv_returns_the_text() {
    let recorded = recorded("query-csv.json");
    let stub = serve(&recorded);
    let query = Query::from(["books"])
        .where_(field("author").eq(Expr::param("author", "Margaret Atwood")))
        .keep(["name", "release_date"])
        .sort(["release_date"]);

    let csv = client(&stub).send(EsqlQuery::from_query(&query).unwrap().text(TextFormat::Csv)).unwrap();

    assert_sent_as_recorded(&stub, &recorded);
    assert_eq!(
        csv,
        "name,release_date\r\nThe Handmaid's Tale,1985-06-01T00:00:00.000Z\r\n\"Oryx and Crake, a novel\",2003-05-06T00:00:00.000Z\r\n"
    );
}

#[test]
fn async_query_polls_until_done_then_deletes() {
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

    let response = esql_async_query(&client(&stub), machine).unwrap();

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

/// The exchanges of a recording in `conformance-tests/recordings/esql`.
fn recorded(file: &str) -> Vec<Value> {
    exchanges(&Path::new(env!("CARGO_MANIFEST_DIR")).join(RECORDINGS).join(file))
}
