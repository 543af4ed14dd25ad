//! Errors by kind, `ignore_status` and `with_options` through real sockets
//! (noida-db, a fault proxy, a closed port). Skips without `ELASTIK_TEST_URL`.

mod common;

use std::error::Error as _;
use std::time::Duration;

use common::client;
use elastik_testkit::{closed_port_url, test_url, unique_name, Fault, FaultProxy};
use elastik_tokio::RequestOptions;
use serde_json::json;

#[tokio::test]
async fn kinds_of_errors_are_predicates() {
    let Some(url) = test_url() else { return eprintln!("skipped: ELASTIK_TEST_URL is not set") };
    let client = client(&url);
    let index = unique_name("errors");

    let missing = client.get(&index, "1").send().await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(!missing.is_connection());

    client.create(&index, "1").body(json!({"a": 1})).send().await.unwrap();
    let conflict = client.create(&index, "1").body(json!({"a": 2})).send().await.unwrap_err();
    assert!(conflict.is_conflict(), "{conflict:?}");
    assert!(conflict.error_type().is_some_and(|t| t.contains("conflict")), "{conflict:?}");

    // ignore_status: the typed answer of a missing document, or None.
    let absent = client.get(&index, "2").ignore_status([404]).send().await.unwrap();
    assert!(!absent.found);
    let none = client.get(format!("{index}-nope"), "2").ignore_status([404]).send_opt().await.unwrap();
    assert!(none.is_none());
    let some = client.get(&index, "1").ignore_status([404]).send_opt().await.unwrap();
    assert!(some.is_some_and(|g| g.found));

    // An error body is never read as an answer, ignored status or not: the
    // missing index stays an index_not_found_exception, not `found: false`
    // or `acknowledged: false`.
    let gone = format!("{index}-nope");
    let e = client.get(&gone, "2").ignore_status([404]).send().await.unwrap_err();
    assert!(e.is_not_found() && e.error_type() == Some("index_not_found_exception"), "{e:?}");
    let e = client.indices().delete(&gone).ignore_status([404]).send().await.unwrap_err();
    assert_eq!(e.error_type(), Some("index_not_found_exception"), "{e:?}");
    assert!(client.indices().delete(&gone).ignore_status([404]).send_opt().await.unwrap().is_none());
}

#[tokio::test]
async fn a_dead_port_is_a_connection_error_down_to_the_io_error() {
    let client = common::builder().node(closed_port_url()).max_retries(1).build().unwrap();
    let e = client.info().send().await.unwrap_err();
    assert!(e.is_connection() && !e.is_timeout(), "{e:?}");
    let mut kind = None;
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            kind = Some(io.kind());
        }
        source = s.source();
    }
    assert_eq!(kind, Some(std::io::ErrorKind::ConnectionRefused), "{e:?}");
}

#[tokio::test]
async fn a_stall_is_a_timeout_and_with_options_defaults_apply_until_a_request_overrides_them() {
    let Some(url) = test_url() else { return eprintln!("skipped: ELASTIK_TEST_URL is not set") };
    let proxy = FaultProxy::start(&url);
    let base = client(&proxy.url());
    let quick = base.with_options(RequestOptions::new().timeout(Duration::from_millis(200)).ignore_status([404]));

    proxy.push(Fault::Stall(Duration::from_secs(1)));
    let e = quick.info().send().await.unwrap_err();
    assert!(e.is_timeout() && e.is_connection(), "{e:?}");
    assert!(!e.to_string().contains("timeout: global"), "{e}");

    // The request's own timeout wins over the client's default.
    proxy.push(Fault::Stall(Duration::from_millis(500)));
    quick.info().request_timeout(Duration::from_secs(10)).send().await.unwrap();

    // The default ignored statuses apply; a request's own list replaces them.
    let index = unique_name("with-options");
    assert!(quick.get(&index, "1").send_opt().await.unwrap().is_none());
    let e = quick.get(&index, "1").ignore_status([409]).send_opt().await.unwrap_err();
    assert!(e.is_not_found());
    // The original client has no defaults.
    assert!(base.get(&index, "1").send_opt().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn an_api_error_whose_status_retries_ran_out_keeps_its_attempts() {
    let Some(url) = test_url() else { return eprintln!("skipped: ELASTIK_TEST_URL is not set") };
    let proxy = FaultProxy::start(&url);
    let client = common::builder().node(proxy.url()).max_retries(2).build().unwrap();
    for _ in 0..3 {
        proxy.push(Fault::Status(503));
    }
    let e = client.info().send().await.unwrap_err();
    let api = e.as_api().expect("an API error");
    assert_eq!(api.status, 503);
    assert_eq!(api.attempts.len(), 3, "{api:?}");
}
