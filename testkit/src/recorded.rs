//! Recorded exchanges (the fixture format of `../shared/fixtures/FORMAT.md`)
//! served in order by a [`StubServer`], and the check that what a client
//! sent is what was recorded.
//!
//! What it does not do: match requests to answers (the n-th request gets the
//! n-th answer; `elastik-replay` matches), or read anything but JSON files.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::{StubResponse, StubServer};

/// The exchanges of a recording file: one fixture, or a scenario's
/// `exchanges`, in order.
pub fn exchanges(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fixture: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match fixture["exchanges"].as_array() {
        Some(exchanges) => exchanges.clone(),
        None => vec![fixture],
    }
}

/// A stub answering the n-th request with the n-th recorded response, and
/// with a 500 once they are used up.
pub fn serve(exchanges: &[Value]) -> StubServer {
    let responses: Vec<StubResponse> = exchanges
        .iter()
        .map(|x| {
            let r = &x["response"];
            let status = r["status"].as_u64().and_then(|s| u16::try_from(s).ok()).expect("a recorded status");
            let mut response = StubResponse::new(status);
            for (name, value) in r["headers"].as_object().into_iter().flatten() {
                response = response.header(name, value.as_str().unwrap_or_default());
            }
            match &r["body"] {
                Value::Null => response,
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

/// Asserts that each request the stub received is its recorded request
/// under the equivalence of `FORMAT.md`: same method, same path after
/// percent-decoding, the same query as a set, equal JSON bodies (text bodies
/// by bytes), and the same media types up to their `compatible-with`.
pub fn assert_sent_as_recorded(stub: &StubServer, exchanges: &[Value]) {
    let sent = stub.requests();
    assert_eq!(sent.len(), exchanges.len(), "requests sent: {sent:?}");
    for (got, exchange) in sent.iter().zip(exchanges) {
        let want = &exchange["request"];
        let (path, query) = got.path.split_once('?').unwrap_or((&got.path, ""));
        assert_eq!(got.method, want["method"].as_str().unwrap_or_default());
        assert_eq!(percent_decode(path), percent_decode(want["path"].as_str().unwrap_or_default()));
        let query: BTreeSet<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect();
        let want_query: BTreeSet<(String, String)> = want["query"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
        assert_eq!(query, want_query, "{} {}", got.method, got.path);
        match &want["body"] {
            Value::Null => assert!(got.body.is_empty(), "{} {} has a body", got.method, got.path),
            Value::String(text) => assert_eq!(got.body, text.as_bytes(), "{} {}", got.method, got.path),
            json => {
                let body: Value = serde_json::from_slice(&got.body).unwrap_or(Value::Null);
                assert_eq!(&body, json, "{} {}", got.method, got.path);
                assert_eq!(media(got.header("content-type")), media(want["headers"]["content-type"].as_str()));
            }
        }
        assert_eq!(media(got.header("accept")), media(want["headers"]["accept"].as_str()));
    }
}

/// A media type's essence, compatibility forms as the plain ones.
fn media(header: Option<&str>) -> String {
    let essence = header.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.replace("vnd.elasticsearch+", "")
}

/// `%XX` decoded (invalid escapes kept as written); `+` stays `+`.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_decoding_keeps_what_is_not_an_escape() {
        assert_eq!(percent_decode("/_query/async/FmNJ%3D%3D"), "/_query/async/FmNJ==");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz+%C3%A9"), "%zz+é");
    }
}
