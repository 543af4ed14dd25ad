//! Request bodies, response decoding (rows, columns, typed rows), text
//! formats, the async machine, and the specification's examples.

#![allow(clippy::disallowed_methods)] // one Instant::now() per test, as the clock's origin

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use elastik_proto::esql::{
    field, functions as f, AsyncQuery, AsyncRequest, EsqlQuery, EsqlResponse, Expr, Processing, Query, TextFormat,
    TimeUnit,
};
use elastik_proto::machine::Step;
use elastik_proto::{Endpoint, Error};
use serde::Deserialize;
use serde_json::{json, Value};

fn response(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder().status(status).body(Bytes::from(body.to_owned())).unwrap()
}

const ROWS: &str = r#"{
  "took": 28, "is_partial": false,
  "columns": [
    {"name": "@timestamp", "type": "date"},
    {"name": "client.ip", "type": "ip"},
    {"name": "event.duration", "type": "long"},
    {"name": "message", "type": "keyword"},
    {"name": "tags", "type": "keyword"}
  ],
  "values": [
    ["2023-10-23T12:15:03.360Z", "172.21.2.162", 3450233, "Connected to 10.1.0.3", ["a", "b"]],
    ["2023-10-23T13:33:34.937Z", "172.21.0.5", 1232382, "Disconnected", null]
  ]
}"#;

#[derive(Debug, Deserialize, PartialEq)]
struct Event {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    #[serde(rename = "client.ip")]
    client_ip: String,
    #[serde(rename = "event.duration")]
    duration: u64,
    message: String,
    tags: Option<Vec<String>>,
}

#[test]
fn request_body_and_url() {
    let q = Query::from(["logs"]).where_(field("user").eq(Expr::param("user", "bob"))).limit(5);
    let req = EsqlQuery::from_query(&q)
        .unwrap()
        .columnar(true)
        .filter(json!({"range": {"@timestamp": {"gte": "now-1d"}}}))
        .locale("fr-FR")
        .include_ccs_metadata(true)
        .drop_null_columns(true);
    assert_eq!(
        req.body_json(),
        json!({
            "query": "FROM logs | WHERE user == ?user | LIMIT 5",
            "params": [{"user": "bob"}],
            "columnar": true,
            "filter": {"range": {"@timestamp": {"gte": "now-1d"}}},
            "locale": "fr-FR",
            "include_ccs_metadata": true
        })
    );
    let http = req.to_request().unwrap();
    assert_eq!(http.method(), http::Method::POST);
    assert_eq!(http.uri().to_string(), "/_query?drop_null_columns=true");
    assert_eq!(req.id(), "esql.query");

    let text = req.clone().text(TextFormat::Csv).delimiter(";");
    let http = text.to_request().unwrap();
    assert_eq!(http.uri().to_string(), "/_query?format=csv&delimiter=%3B&drop_null_columns=true");
    assert_eq!(http.headers()["accept"], "text/csv");
    assert_eq!(text.decode(&response(200, "a;b\n1;2\n")).unwrap(), "a;b\n1;2\n");
    for (fmt, name) in [(TextFormat::Tsv, "tsv"), (TextFormat::Txt, "txt")] {
        let uri = req.clone().text(fmt).to_request().unwrap().uri().to_string();
        assert!(uri.starts_with(&format!("/_query?format={name}")), "{uri}");
    }
}

#[test]
fn rows_decode_by_column_name() {
    let req = EsqlQuery::from_query(&Query::from(["esql-test"])).unwrap();
    let out = req.decode(&response(200, ROWS)).unwrap();
    assert_eq!(out.row_count(), 2);
    assert_eq!(out.took, Some(28));
    assert_eq!(out.columns[1].name, "client.ip");
    assert_eq!(out.columns[1].kind, "ip");
    let events: Vec<Event> = out.rows().unwrap();
    assert_eq!(events[0].client_ip, "172.21.2.162");
    assert_eq!(events[0].tags, Some(vec!["a".into(), "b".into()]));
    assert_eq!(events[1].tags, None);
    assert_eq!(out.column("event.duration").unwrap(), &[json!(3450233), json!(1232382)]);
    assert!(out.column("nope").is_none());
    assert_eq!(out.value(1, 3), Some(&json!("Disconnected")));
}

#[test]
fn columnar_layout_decodes_to_the_same_table() {
    let columnar = r#"{
      "columns": [{"name": "a", "type": "long"}, {"name": "b", "type": "keyword"}],
      "values": [[1, 2, 3], ["x", "y", null]]
    }"#;
    let req = EsqlQuery::from_query(&Query::from(["i"])).unwrap().columnar(true);
    let out = req.decode(&response(200, columnar)).unwrap();
    assert_eq!(out.row_count(), 3);
    assert_eq!(out.column("a").unwrap(), &[json!(1), json!(2), json!(3)]);
    #[derive(Deserialize)]
    struct Row {
        a: i64,
        b: Option<String>,
    }
    let rows: Vec<Row> = out.rows().unwrap();
    assert_eq!(rows[2].a, 3);
    assert_eq!(rows[2].b, None);

    let by_rows = r#"{"columns": [{"name": "a", "type": "long"}, {"name": "b", "type": "keyword"}],
      "values": [[1, "x"], [2, "y"], [3, null]]}"#;
    assert_eq!(EsqlResponse::from_slice(by_rows.as_bytes(), false).unwrap(), out);
}

#[test]
fn malformed_tables_and_errors_are_values() {
    let ragged = r#"{"columns": [{"name": "a", "type": "long"}], "values": [[1, 2]]}"#;
    assert!(matches!(EsqlResponse::from_slice(ragged.as_bytes(), false), Err(Error::Decode(_))));
    assert!(EsqlResponse::from_slice(br#"{"columns": [{"name": "a", "type": "long"}], "values": [[1], []]}"#, true)
        .is_err());
    assert!(EsqlResponse::from_slice(b"not json", false).is_err());
    let req = EsqlQuery::from_query(&Query::from(["i"])).unwrap();
    let err = req
        .decode(&response(
            400,
            r#"{"error":{"type":"verification_exception","reason":"Unknown column [x]"},"status":400}"#,
        ))
        .unwrap_err();
    assert_eq!(err.as_api().unwrap().error_type(), Some("verification_exception"));
    // a typed row that does not fit is a decode error, not a panic
    let out = req.decode(&response(200, ROWS)).unwrap();
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        message: u64,
    }
    assert!(out.rows::<Wrong>().is_err());
}

fn running(id: &str) -> String {
    json!({"id": id, "is_running": true}).to_string()
}

#[test]
fn async_machine_polls_until_done_then_deletes() {
    let t0 = Instant::now();
    let submit = EsqlQuery::from_query(&Query::from(["esql-async-test"]))
        .unwrap()
        .into_async()
        .wait_for_completion_timeout("2s")
        .keep_on_completion(true);
    assert_eq!(submit.query.body_json()["wait_for_completion_timeout"], "2s");
    let mut m = AsyncQuery::new(submit)
        .poll_interval(Duration::from_secs(1))
        .get_wait_for_completion_timeout("30s")
        .delete_when_done(true);

    let Step::Send(AsyncRequest::Submit(s)) = m.poll(t0) else { panic!("submit first") };
    let req = s.to_request().unwrap();
    assert_eq!(req.uri().to_string(), "/_query/async");
    assert!(matches!(m.poll(t0), Step::Wait(None)), "awaiting the submit answer");
    m.handle(Ok(response(200, &running("FmNJRUZ1"))), t0);
    assert_eq!(m.query_id(), Some("FmNJRUZ1"));

    // too early: wait
    match m.poll(t0) {
        Step::Wait(Some(until)) => assert_eq!(until, t0 + Duration::from_secs(1)),
        other => panic!("{other:?}"),
    }
    let t1 = t0 + Duration::from_secs(1);
    let Step::Send(AsyncRequest::Get(get)) = m.poll(t1) else { panic!("get") };
    assert_eq!(get.to_request().unwrap().uri().to_string(), "/_query/async/FmNJRUZ1?wait_for_completion_timeout=30s");
    m.handle(Ok(response(200, &running("FmNJRUZ1"))), t1);

    let t2 = t1 + Duration::from_secs(1);
    let Step::Send(AsyncRequest::Get(_)) = m.poll(t2) else { panic!("get again") };
    let mut done: Value = serde_json::from_str(ROWS).unwrap();
    done["id"] = json!("FmNJRUZ1");
    done["is_running"] = json!(false);
    m.handle(Ok(response(200, &done.to_string())), t2);

    let Step::Send(AsyncRequest::Delete(del)) = m.poll(t2) else { panic!("delete") };
    let req = del.to_request().unwrap();
    assert_eq!(req.method(), http::Method::DELETE);
    assert_eq!(req.uri().to_string(), "/_query/async/FmNJRUZ1");
    m.handle(Ok(response(200, r#"{"acknowledged": true}"#)), t2);

    let Step::Emit(Ok(result)) = m.poll(t2) else { panic!("done") };
    assert_eq!(result.row_count(), 2);
    assert!(matches!(m.poll(t2), Step::Done), "the result is emitted once");
}

#[test]
fn async_machine_finishes_at_once_and_reports_errors() {
    let t0 = Instant::now();
    let submit = EsqlQuery::from_query(&Query::row([("a", 1)])).unwrap().into_async();
    let mut m = AsyncQuery::new(submit.clone());
    let _ = m.poll(t0);
    m.handle(
        Ok(response(200, r#"{"is_running": false, "columns": [{"name": "a", "type": "integer"}], "values": [[1]]}"#)),
        t0,
    );
    let Step::Emit(Ok(r)) = m.poll(t0) else { panic!() };
    assert_eq!(r.column("a").unwrap(), &[json!(1)]);

    // id and running state from headers
    let mut m = AsyncQuery::new(submit.clone());
    let _ = m.poll(t0);
    let resp = http::Response::builder()
        .status(200)
        .header("X-Elasticsearch-Async-Id", "abc")
        .header("X-Elasticsearch-Async-Is-Running", "?1")
        .body(Bytes::from_static(b"{}"))
        .unwrap();
    m.handle(Ok(resp), t0);
    assert_eq!(m.query_id(), Some("abc"));
    let Step::Send(AsyncRequest::Get(_)) = m.poll(t0) else { panic!() };
    m.handle(
        Ok(response(404, r#"{"error":{"type":"resource_not_found_exception","reason":"gone"},"status":404}"#)),
        t0,
    );
    let Step::Emit(Err(e)) = m.poll(t0) else { panic!() };
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404));

    // running without an id is an error value
    let mut m = AsyncQuery::new(submit);
    let _ = m.poll(t0);
    m.handle(Ok(response(200, r#"{"is_running": true}"#)), t0);
    assert!(matches!(m.poll(t0), Step::Emit(Err(Error::Decode(_)))));
}

// ---- the specification's examples, read at test time ----

fn spec_examples() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("../shared/spec/examples");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "SKIPPED: specification examples not found at {} (../shared/spec/examples from the workspace root)",
            dir.display()
        );
        None
    }
}

/// The JSON of an example file's `value: |-` block; `"""…"""` strings (the
/// console's triple quotes) become JSON strings.
fn example_json(text: &str) -> Option<Value> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("value:"));
    let first = lines.next()?;
    let inline = first.trim_start_matches("value:").trim();
    let block = if inline.starts_with('|') {
        let body: Vec<&str> = lines.take_while(|l| l.starts_with(' ') || l.is_empty()).collect();
        let indent = body.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min()?;
        body.iter().map(|l| if l.len() >= indent { &l[indent..] } else { "" }).collect::<Vec<_>>().join("\n")
    } else {
        inline.trim_matches('\'').to_owned()
    };
    let mut json = String::new();
    let mut rest = block.as_str();
    while let Some(start) = rest.find("\"\"\"") {
        json.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after.find("\"\"\"")?;
        json.push_str(&serde_json::to_string(&after[..end]).ok()?);
        rest = &after[end + 3..];
    }
    json.push_str(rest);
    serde_json::from_str(&json).ok()
}

fn files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    out.sort();
    out
}

fn normalize(q: &str) -> String {
    q.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn spec_request_examples_match_the_builder() {
    let Some(dir) = spec_examples() else { return };
    let built = Query::from(["library", "remote-*:library"])
        .eval([("year", f::date_trunc(Expr::span(1, TimeUnit::Year), field("release_date")))])
        .stats_by([f::max(field("page_count"))], [field("year")])
        .sort(["year"])
        .limit(5);
    let mut checked = 0;
    for endpoint in ["esql.query", "esql.async_query"] {
        for file in files(&dir.join(endpoint).join("request")) {
            let text = std::fs::read_to_string(&file).unwrap();
            let Some(example) = example_json(&text) else {
                continue;
            };
            let mut req = EsqlQuery::from_query(&built).unwrap().include_ccs_metadata(true);
            let mut body = req.body_json();
            if endpoint == "esql.async_query" {
                req = req.into_async().wait_for_completion_timeout("2s").query;
                body = req.body_json();
            }
            let spec_query = example["query"].as_str().unwrap();
            // The reference writes `1 YEARS`; the builder writes `1 year`.
            let spec_query = normalize(&spec_query.replace("1 YEARS", "1 year").replace(",remote", ", remote"));
            assert_eq!(normalize(body["query"].as_str().unwrap()), spec_query, "{}", file.display());
            body["query"] = example["query"].clone();
            assert_eq!(body, example, "{}", file.display());
            checked += 1;
        }
    }
    println!("{checked} request examples checked");
    assert!(checked >= 1);
}

#[test]
fn spec_response_examples_decode() {
    let Some(dir) = spec_examples() else { return };
    let mut decoded = 0;
    for endpoint in ["esql.query", "esql.async_query", "esql.async_query_get"] {
        for file in files(&dir.join(endpoint).join("response")) {
            let text = std::fs::read_to_string(&file).unwrap();
            let Some(example) = example_json(&text) else {
                println!("SKIPPED: {} has no JSON value", file.display());
                continue;
            };
            if example.get("columns").is_none() && example.get("is_running").is_none() {
                continue;
            }
            // Row layout unless the table only fits by column.
            let out = EsqlResponse::from_value(example.clone(), false)
                .or_else(|_| EsqlResponse::from_value(example.clone(), true))
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let rows: Vec<serde_json::Map<String, Value>> = out.rows().unwrap();
            assert_eq!(rows.len(), out.row_count());
            for c in &out.columns {
                assert_eq!(out.column(&c.name).unwrap().len(), out.row_count());
            }
            decoded += 1;
        }
    }
    if decoded == 0 {
        println!(
            "SKIPPED: the specification has no esql.query / esql.async_query* response examples under {}",
            dir.display()
        );
    }
}

#[test]
fn example_json_reader_handles_triple_quotes() {
    let text = "method_request: POST /_query\nvalue: |-\n  {\n    \"query\": \"\"\"\n      FROM a\n      | LIMIT 1\n    \"\"\",\n    \"x\": true\n  }\n";
    let v = example_json(text).unwrap();
    assert_eq!(normalize(v["query"].as_str().unwrap()), "FROM a | LIMIT 1");
    assert_eq!(v["x"], true);
}

#[test]
fn typed_columns_read_the_same_from_rows_and_columnar_answers() {
    let rows = r#"{"columns": [{"name": "emp_no", "type": "integer"}, {"name": "name", "type": "keyword"},
                   {"name": "height", "type": "double"}, {"name": "tags", "type": "keyword"},
                   {"name": "hired", "type": "boolean"}],
        "values": [[10001, "Georgi", 2.03, ["a", "b"], true],
                   [10002, null, 2.08, "c", false],
                   [10003, "Parto", null, null, null]]}"#;
    let columnar = r#"{"columns": [{"name": "emp_no", "type": "integer"}, {"name": "name", "type": "keyword"},
                   {"name": "height", "type": "double"}, {"name": "tags", "type": "keyword"},
                   {"name": "hired", "type": "boolean"}],
        "values": [[10001, 10002, 10003], ["Georgi", null, "Parto"], [2.03, 2.08, null],
                   [["a", "b"], "c", null], [true, false, null]]}"#;
    let a = EsqlQuery::from_query(&Query::from(["e"])).unwrap();
    let b = a.clone().columnar(true);
    for out in [a.decode(&response(200, rows)).unwrap(), b.decode(&response(200, columnar)).unwrap()] {
        assert_eq!(out.column_as::<u32>("emp_no").unwrap(), vec![Some(10001), Some(10002), Some(10003)]);
        assert_eq!(out.column_as::<String>("name").unwrap(), vec![Some("Georgi".into()), None, Some("Parto".into())]);
        assert_eq!(out.column_as::<f64>("height").unwrap(), vec![Some(2.03), Some(2.08), None]);
        assert_eq!(out.column_as::<bool>("hired").unwrap(), vec![Some(true), Some(false), None]);
        assert_eq!(
            out.column_multi::<String>("tags").unwrap(),
            vec![vec!["a".to_owned(), "b".to_owned()], vec!["c".to_owned()], vec![]]
        );
        assert_eq!(out.column_names().collect::<Vec<_>>(), ["emp_no", "name", "height", "tags", "hired"]);
        // The row API reads the same answer.
        let first = out.row(0).unwrap();
        assert_eq!(first["name"], json!("Georgi"));
        // Wrong type and unknown column: errors naming the column.
        let err = out.column_as::<u32>("name").unwrap_err();
        assert!(matches!(err, Error::Decode(_)) && err.to_string().contains("\"name\", row 0"), "{err}");
        let err = out.column_as::<u32>("salary").unwrap_err();
        assert!(err.to_string().contains("no ES|QL column \"salary\""), "{err}");
    }
}

#[test]
fn text_formats_come_back_as_text_for_every_format() {
    let q = EsqlQuery::from_query(&Query::from(["e"]).keep(["a", "b"])).unwrap();
    let answers = [
        (TextFormat::Csv, "text/csv", "a,b\n1,x\n"),
        (TextFormat::Tsv, "text/tab-separated-values", "a\tb\n1\tx\n"),
        (
            TextFormat::Txt,
            "text/plain",
            "       a       |       b       \n---------------+---------------\n1              |x              \n",
        ),
    ];
    for (fmt, accept, body) in answers {
        let text = q.clone().text(fmt);
        let http = text.to_request().unwrap();
        assert_eq!(http.uri().query(), Some(format!("format={}", fmt.as_str()).as_str()));
        assert_eq!(http.headers()["accept"], accept);
        let resp = http::Response::builder()
            .status(200)
            .header("content-type", accept)
            .body(Bytes::from(body.to_owned()))
            .unwrap();
        assert_eq!(text.decode(&resp).unwrap(), body);
        // An error answer is an error, not text.
        let err = text
            .decode(&response(400, r#"{"error": {"type": "verification_exception", "reason": "bad"}, "status": 400}"#));
        assert!(err.is_err());
    }
}
