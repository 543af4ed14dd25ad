//! The hand-written ES|QL recordings (`conformance-tests/recordings/esql`)
//! replayed through a `Client<ReplayExecutor>`: a query with a user string
//! as a parameter, the same as csv, and an async query whose machine is
//! driven on a manual clock. Every request matches its recording and every
//! recording is served, in order.

use std::path::Path;
use std::time::{Duration, Instant};

use elastik_api::Client;
use elastik_proto::esql::{field, functions as f, AsyncQuery, EsqlQuery, Expr, Processing, Query, SortKey, TextFormat};
use elastik_proto::machine::Step;
use elastik_proto::{Executor, PreparedRequest, RequestOptions};
use elastik_replay::ReplayExecutor;
use serde_json::{json, Value};

#[test]
fn esql_recordings_replay_without_unmatched_requests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance-tests/recordings/esql");
    let replay = ReplayExecutor::load(&dir).unwrap();
    let client = Client::from_executor(replay.clone());

    let books = Query::from(["books"])
        .where_(
            field("page_count")
                .gte(Expr::param("min_pages", 300))
                .and(field("author").ne(Expr::param("exclude", r#"Kurt Vonnegut" | DROP author | WHERE "1" == "1"#))),
        )
        .keep(["name", "author", "page_count", "release_date"])
        .sort([SortKey::desc(field("page_count"))])
        .limit(3);
    let response = client.send(EsqlQuery::from_query(&books).unwrap()).unwrap();
    let rows: Vec<Value> = response.rows().unwrap();
    assert_eq!(
        rows[1],
        json!({"name": "Snow Crash", "author": "Neal Stephenson", "page_count": 470, "release_date": "1992-06-01T00:00:00.000Z"})
    );
    assert_eq!(response.row_count(), 3);

    let atwood = Query::from(["books"])
        .where_(field("author").eq(Expr::param("author", "Margaret Atwood")))
        .keep(["name", "release_date"])
        .sort(["release_date"]);
    let csv = client.send(EsqlQuery::from_query(&atwood).unwrap().text(TextFormat::Csv)).unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.starts_with("name,release_date\r\nThe Handmaid's Tale,"));

    let stats = Query::from(["books"])
        .where_(field("page_count").gt(Expr::param("min_pages", 250)))
        .stats_by([("books", f::count_all()), ("pages", f::sum(field("page_count")))], [field("author")])
        .sort([SortKey::desc(field("pages"))])
        .limit(2);
    let submit =
        EsqlQuery::from_query(&stats).unwrap().into_async().wait_for_completion_timeout("100ms").keep_alive("5m");
    let mut machine = AsyncQuery::new(submit).poll_interval(Duration::from_secs(1)).delete_when_done(true);
    // Replayed answers take no time: the clock moves only to the next poll.
    let mut now = Instant::now();
    let mut waits = 0;
    let result = loop {
        match machine.poll(now) {
            Step::Send(request) => {
                let http = request.to_request().unwrap();
                let prepared =
                    PreparedRequest { endpoint_id: request.id(), request: http, options: RequestOptions::default() };
                machine.handle(replay.execute(prepared), now);
            }
            Step::Wait(Some(until)) => {
                waits += 1;
                // The cassette wraps around: a mismatched poll could be
                // answered "running" forever by an earlier exchange.
                assert!(waits <= 2, "more polls than recorded: {:?}", replay.served());
                now = until;
            }
            Step::Emit(result) => break result,
            Step::Wait(None) | Step::Done => panic!("the machine awaits an answer it was given"),
        }
    };
    let done = result.unwrap();
    assert_eq!(waits, 2, "a wait before each of the two polls");
    assert_eq!(done.column("author").unwrap(), [json!("Alastair Reynolds"), json!("Neal Stephenson")]);
    assert_eq!(done.column("pages").unwrap(), [json!(1604), json!(898)]);

    replay.assert_all_matched().unwrap();
    assert_eq!(
        replay.served(),
        [
            "esql/query-typed-rows",
            "esql/query-csv",
            "esql/async-query-poll-until-done#0",
            "esql/async-query-poll-until-done#1",
            "esql/async-query-poll-until-done#2",
            "esql/async-query-poll-until-done#3",
        ]
    );
    assert!(replay.unused().is_empty());
}
