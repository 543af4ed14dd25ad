//! `elastik esql` offline: noida-db has no ES|QL, so a stub server answers
//! `POST /_query` with the answer shape Elasticsearch sends (row layout,
//! `columns` + `values`). This checks what the tool sends (the query, the
//! bound parameters) and how it prints every format; it does not check
//! ES|QL semantics, which no live server here runs.

use std::process::Command;

use elastik_testkit::{StubResponse, StubServer};
use serde_json::{json, Value};

const ANSWER: &str = r#"{"took":12,"is_partial":false,
  "columns":[{"name":"author","type":"keyword"},{"name":"pages","type":"integer"},{"name":"released","type":"date"}],
  "values":[["Frank Herbert",604,"1965-06-01T00:00:00.000Z"],["Ursula K. Le Guin, Jr",null,"1969-03-01T00:00:00.000Z"]]}"#;

fn stub() -> StubServer {
    StubServer::start(|r| {
        if r.method == "POST" && r.path.starts_with("/_query") {
            StubResponse::json(200, ANSWER)
        } else {
            StubResponse::json(404, r#"{"error":"not here"}"#)
        }
    })
}

fn esql(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_elastik")).arg("--url").arg(url).arg("esql").args(args).output().unwrap()
}

#[test]
fn parameters_are_bound_by_name_and_sent_with_the_query() {
    let server = stub();
    let query = "FROM books | WHERE pages > ?min AND author != ?who | LIMIT ?n";
    let out = esql(&server.url(), &[query, "--param", "min=100", "-p", "who=Anon", "-p", "n=10", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["query"], query);
    assert_eq!(body["params"], json!([{"min": 100}, {"who": "Anon"}, {"n": 10}]));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "author,pages,released\nFrank Herbert,604,1965-06-01T00:00:00.000Z\n\"Ursula K. Le Guin, Jr\",,1969-03-01T00:00:00.000Z\n"
    );
}

#[test]
fn a_placeholder_without_a_value_is_refused_before_sending() {
    let server = stub();
    let out = esql(&server.url(), &["FROM books | WHERE pages > ?min", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("?min"));
    assert_eq!(server.request_count(), 0);
}

#[test]
fn every_output_format_prints_the_same_rows() {
    let server = stub();
    let dir = std::env::temp_dir().join(elastik_testkit::unique_name("elastik-esql"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("q.esql");
    std::fs::write(&file, "FROM books\n| KEEP author, pages, released\n").unwrap();
    let run = |format: &str| {
        let out = esql(&server.url(), &["-f", file.to_str().unwrap(), "--format", format]);
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let tsv = run("tsv");
    assert_eq!(tsv.lines().next(), Some("author\tpages\treleased"));
    assert_eq!(tsv.lines().nth(2), Some("Ursula K. Le Guin, Jr\t\t1969-03-01T00:00:00.000Z"));
    let rows: Vec<Value> = run("ndjson").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        rows,
        vec![
            json!({"author": "Frank Herbert", "pages": 604, "released": "1965-06-01T00:00:00.000Z"}),
            json!({"author": "Ursula K. Le Guin, Jr", "pages": null, "released": "1969-03-01T00:00:00.000Z"}),
        ]
    );
    let doc: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(doc["columns"][2], json!({"name": "released", "type": "date"}));
    assert_eq!(doc["rows"][0]["pages"], 604);
    let table = run("table");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("author                | pages | released"), "{table}");
    assert!(lines[3].starts_with("Ursula K. Le Guin, Jr |       | 1969"), "{table}");
    let body: Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    assert_eq!(body["query"], "FROM books\n| KEEP author, pages, released");
    assert!(body.get("params").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_server_error_is_exit_1_with_its_reason() {
    let server = StubServer::start(|_| {
        StubResponse::json(
            400,
            r#"{"error":{"type":"verification_exception","reason":"Unknown column [nope]"},"status":400}"#,
        )
    });
    let out = esql(&server.url(), &["FROM books | KEEP nope", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Unknown column [nope]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
