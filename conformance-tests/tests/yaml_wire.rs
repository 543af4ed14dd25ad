//! What the YAML runner puts on the wire and reads back, checked on a stub
//! server that records every request (noida-db ignores request headers,
//! never answers YAML and never sends dated or comma-joined warnings, so
//! these cannot be observed there): a `do` step's headers go out as the
//! client's per-request options, a YAML `Content-Type` sends the body as
//! YAML and a YAML answer is read as YAML, `Warning` headers are parsed as
//! RFC 7234 writes them, and `node_selector` sends to the node it picks.
//! Runs through every runtime; needs no server.

use elastik_conformance::yaml::{self, Outcome, SuiteOptions};
use elastik_testkit::{StubRequest, StubResponse, StubServer};

const SUITE: &str = r#"
---
"headers":
  - do:
      headers:
        Authorization: "Basic dXNlcjpwYXNz"
        Content-Type: "application/json"
        X-Number: 5
      index: { index: test_1, id: "1", body: { foo: bar } }
  - match: { result: created }
---
"yaml both ways":
  - do:
      headers:
        Content-Type: application/yaml
        Accept: application/yaml
      index: { index: test_1, id: "2", body: { foo: bar, n: [ 1, 2 ] } }
  - match: { result: created }
  - match: { list.1: y }
---
"warnings with a date, escaped quotes, and two in one header":
  - do:
      warnings:
        - 'a "quoted" warning'
        - "second, with a comma"
      cluster.get_settings: {}
---
"node_selector sends to the node it picks":
  - do:
      node_selector:
        version: "9.0.0 - "
        attribute: { rack: r2 }
      info: {}
  - match: { name: node-b }
"#;

fn info(name: &str) -> StubResponse {
    StubResponse::json(
        200,
        format!(
            r#"{{"name":"{name}","cluster_name":"c","version":{{"number":"9.1.0"}},"tagline":"You Know, for Search"}}"#
        ),
    )
}

#[test]
fn headers_yaml_warnings_and_node_selection_on_the_wire() {
    let b = StubServer::start(|req: &StubRequest| match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/") => info("node-b"),
        _ => StubResponse::json(404, "{}"),
    });
    let b_addr = b.addr();
    let a = StubServer::start(move |req: &StubRequest| {
        let path = req.path.split('?').next().unwrap_or_default();
        match (req.method.as_str(), path) {
            ("GET", "/") => info("node-a"),
            ("GET", "/_nodes") => StubResponse::json(
                200,
                format!(
                    r#"{{"nodes":{{
                        "a":{{"version":"9.1.0","attributes":{{"rack":"r1"}},"http":{{"publish_address":"127.0.0.1:1"}}}},
                        "b":{{"version":"9.1.0","attributes":{{"rack":"r2"}},"http":{{"publish_address":"localhost/{b_addr}"}}}}}}}}"#
                ),
            ),
            ("PUT", "/test_1/_doc/2") => StubResponse::new(201)
                .header("content-type", "application/yaml")
                .header("x-elastic-product", "Elasticsearch")
                .body("result: created\nlist: [x, y]\n"),
            ("PUT", _) => StubResponse::json(201, r#"{"result":"created"}"#),
            ("GET", "/_cluster/settings") => StubResponse::json(200, r#"{"persistent":{},"transient":{}}"#).header(
                "warning",
                r#"299 Elasticsearch-9.1.0-abc "a \"quoted\" warning" "Mon, 01 Jan 2024 00:00:00 GMT", 299 Elasticsearch-9.1.0-abc "second, with a comma""#,
            ),
            _ => StubResponse::json(404, "{}"),
        }
    });
    let dir = std::env::temp_dir().join(elastik_testkit::unique_name("yaml-wire"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("wire.yml"), SUITE).unwrap();
    let files = yaml::load_suite(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    for name in yaml::RUNTIMES {
        let (sent_before, b_before) = (a.request_count(), b.request_count());
        let runtime = yaml::connect(name, &a.url()).unwrap();
        let report =
            yaml::run_suite(&*runtime, &files, &SuiteOptions { bare: true, ..SuiteOptions::default() }, |_| {});
        for case in &report.cases {
            assert_eq!(case.outcome, Outcome::Pass, "{name}: {}", case.name);
        }
        assert_eq!(report.cases.len(), 4, "{name}");

        let sent: Vec<StubRequest> = a.requests().into_iter().skip(sent_before).collect();
        let put = |path: &str| {
            sent.iter()
                .find(|r| r.method == "PUT" && r.path.starts_with(path))
                .unwrap_or_else(|| panic!("{name}: no PUT {path}"))
        };
        let json = put("/test_1/_doc/1");
        assert_eq!(json.header("authorization"), Some("Basic dXNlcjpwYXNz"), "{name}");
        assert_eq!(
            json.header("content-type"),
            Some("application/json"),
            "{name}: the step's Content-Type replaces the typed API's"
        );
        assert_eq!(json.header("x-number"), Some("5"), "{name}");
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&json.body).unwrap(), serde_json::json!({"foo": "bar"}));

        let yaml_put = put("/test_1/_doc/2");
        assert_eq!(yaml_put.header("content-type"), Some("application/yaml"), "{name}");
        assert_eq!(yaml_put.header("accept"), Some("application/yaml"), "{name}");
        let text = String::from_utf8(yaml_put.body.clone()).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_err(),
            "{name}: the body is YAML, not JSON: {text}"
        );
        let parsed: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(parsed, serde_json::json!({"foo": "bar", "n": [1, 2]}), "{name}");

        let to_b: Vec<StubRequest> = b.requests().into_iter().skip(b_before).collect();
        assert!(to_b.iter().any(|r| r.method == "GET" && r.path == "/"), "{name}: info went to node b: {to_b:?}");
        assert!(!sent.iter().any(|r| r.method == "GET" && r.path == "/"), "{name}: info did not go to node a");
    }
}

#[test]
fn a_step_listing_no_warnings_fails_on_one_unless_lenient() {
    let stub = StubServer::start(|req: &StubRequest| match req.path.split('?').next().unwrap_or_default() {
        "/_cluster/settings" => {
            StubResponse::json(200, "{}").header("warning", r#"299 Elasticsearch-9.1.0-abc "x is deprecated""#)
        }
        "/" => info("node-a"),
        _ => StubResponse::json(404, "{}"),
    });
    let dir = std::env::temp_dir().join(elastik_testkit::unique_name("yaml-warn"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("w.yml"), "---\n\"t\":\n  - do:\n      cluster.get_settings: {}\n").unwrap();
    let files = yaml::load_suite(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let runtime = yaml::connect("blocking", &stub.url()).unwrap();
    let strict = yaml::run_suite(&*runtime, &files, &SuiteOptions { bare: true, ..SuiteOptions::default() }, |_| {});
    assert!(
        matches!(&strict.cases[0].outcome, Outcome::Fail(r) if r.contains("unexpected warning \"x is deprecated\"")),
        "{:?}",
        strict.cases[0].outcome
    );
    let lenient = yaml::run_suite(
        &*runtime,
        &files,
        &SuiteOptions { bare: true, lenient_warnings: true, ..SuiteOptions::default() },
        |_| {},
    );
    assert_eq!(lenient.cases[0].outcome, Outcome::Pass);
}
