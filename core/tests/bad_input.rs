//! The bad-input catalogue: invalid node URLs and Cloud IDs, bodies that are
//! not JSON or are cut short, oversized and gzip-bomb responses, and ids
//! and index names that need encoding. Each entry is a clear typed error or
//! a correct encoding, never a panic. `docs/limits.md` lists the limits
//! these tests pin; the fuzz targets in `fuzz/` search the same ground at
//! random, and the inputs they found are the regression entries at the end.
#![allow(clippy::disallowed_methods)] // one Instant::now() per test, as the clock's origin

use std::io::Write;
use std::time::Instant;

use bytes::Bytes;
use elastik_proto::encoding::{base64_encode, encode_path_segment, encode_query_component, percent_decode};
use elastik_proto::endpoint::{decode_json, decode_text, PathBuilder, Query, RawRequest};
use elastik_proto::error::{AttemptOutcome, IoErrorKind};
use elastik_proto::helpers::bulk::{BulkConfig, BulkError, BulkIndexer, BulkOperation, BulkResult};
use elastik_proto::helpers::BackoffPolicy;
use elastik_proto::machine::Step;
use elastik_proto::transport::config::parse_cloud_id;
use elastik_proto::transport::sniff::{parse_nodes, parse_publish_address};
use elastik_proto::transport::{NodeUrl, Scheme, Transport};
use elastik_proto::{ClientBuilder, Endpoint, Error, IoError, RequestOptions};
use http::{Method, StatusCode};

// ---------------------------------------------------------------- node URLs

/// Each is refused with `Error::Build` naming the URL problem.
const INVALID_URLS: &[(&str, &str)] = &[
    ("", "must start with http:// or https://"),
    ("localhost:9200", "must start with http:// or https://"),
    ("ftp://es:21", "must start with http:// or https://"),
    ("HTTP//es:9200", "must start with http:// or https://"),
    ("http://", "empty host"),
    ("http://:9200", "empty host"),
    ("http://user:pw@", "empty host"),
    ("http://es:notaport", "bad host or port"),
    ("http://es:99999", "bad host or port"),
    ("http://es:-1", "bad host or port"),
    ("http://es:", "bad host or port"),
    ("http://[::1", "bad host or port"),
    ("http://[::1]x", "bad host or port"),
    ("http://es/p?q=1", "no query or fragment"),
    ("http://es/p#frag", "no query or fragment"),
    ("http://e s:9200", "the host must be"),
    ("http://es\n:9200", "the host must be"),
    ("http://es\u{0}:9200", "the host must be"),
    ("http://évil.example:9200", "the host must be"),
    ("http://es%2F:9200", "the host must be"),
    ("http://[zz::1]:9200", "the host must be"),
    ("http://[fe80::1%25eth0]:9200", "the host must be"),
    ("http://es:9200/pre fix", "path prefix"),
    ("http://es:9200/a\u{7f}", "path prefix"),
];

#[test]
fn invalid_node_urls_are_build_errors() {
    for (url, why) in INVALID_URLS {
        let err = NodeUrl::parse_with_credentials(url).expect_err(url);
        assert!(matches!(err, Error::Build(_)), "{url:?}: {err:?}");
        let shown = err.to_string();
        assert!(shown.starts_with("cannot build the request: invalid node URL"), "{url:?}: {shown}");
        assert!(shown.contains(why), "{url:?}: {shown}");
        // The client builder reports the same error instead of building.
        let built = ClientBuilder::<()>::new().node(*url).into_config();
        assert!(matches!(built, Err(Error::Build(_))), "{url:?}");
    }
}

#[test]
fn credentials_in_a_url_are_refused_where_not_allowed_and_never_shown() {
    let err = NodeUrl::parse("http://elastic:s3cr3t@es:9200").unwrap_err();
    assert!(matches!(err, Error::Build(_)));
    assert!(!err.to_string().contains("s3cr3t"));
    // Where they are allowed they become basic auth, and the URL drops them.
    let (url, auth) = NodeUrl::parse_with_credentials("http://elastic:s3cr3t@es:9200").unwrap();
    assert_eq!(url.to_string(), "http://es:9200");
    assert!(auth.is_some());
    assert!(!format!("{auth:?}").contains("s3cr3t"));
    // The last `@` ends the user info: an `@` in a password needs no escaping.
    let (url, _) = NodeUrl::parse_with_credentials("http://u:p@ss@es:1").unwrap();
    assert_eq!(url.host(), "es");
}

#[test]
fn valid_node_urls_parse_and_print_back() {
    for (url, shown) in [
        ("http://es", "http://es:9200"),
        ("https://es.example.com:9243/prefix/", "https://es.example.com:9243/prefix"),
        ("http://10.0.0.1:9201", "http://10.0.0.1:9201"),
        ("http://[::1]:9201", "http://[::1]:9201"),
        ("http://[::ffff:10.0.0.1]", "http://[::ffff:10.0.0.1]:9200"),
        ("http://my_host.local:9200", "http://my_host.local:9200"),
        ("http://es:9200/a/b%20c", "http://es:9200/a/b%20c"),
        ("http://xn--bcher-kva.example:1", "http://xn--bcher-kva.example:1"),
    ] {
        let node = NodeUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(node.to_string(), shown);
        assert_eq!(NodeUrl::parse(shown).unwrap(), node, "{shown} parses back");
        let uri: http::Uri = node.join("/_search").parse().expect("a valid URI");
        assert_eq!(uri.port_u16(), Some(node.port()));
    }
}

// ---------------------------------------------------------------- Cloud IDs

fn cloud_id(decoded: &[u8]) -> String {
    format!("deployment:{}", base64_encode(decoded))
}

#[test]
fn invalid_cloud_ids_are_build_errors() {
    let cases: Vec<(String, &str)> = vec![
        ("".into(), "empty"),
        ("no-colon".into(), "no name separator"),
        ("name:".into(), "nothing encoded"),
        ("name:!!!!".into(), "not base64"),
        ("name:ab$cd".into(), "not base64"),
        (format!("name:{}", base64_encode(&[0xff, 0xfe, b'$', b'a'])), "not UTF-8"),
        (cloud_id(b"hostonly"), "no es uuid"),
        (cloud_id(b"$uuid$kb"), "empty host"),
        (cloud_id(b"host$$kb"), "empty es uuid"),
        (cloud_id(b"evil.example@host.io$uuid$kb"), "'@' would make user info"),
        (cloud_id(b"host.io/path$uuid$kb"), "'/' in the host"),
        (cloud_id(b"host.io$uu@id$kb"), "'@' in the uuid"),
        (cloud_id(b"host.io:99999$uuid$kb"), "port out of range"),
        (cloud_id(b"host io$uuid$kb"), "space in the host"),
        (cloud_id("hôst.io$uuid$kb".as_bytes()), "non-ASCII host"),
    ];
    for (id, why) in &cases {
        let err = parse_cloud_id(id).expect_err(why);
        assert!(matches!(err, Error::Build(_)), "{why}: {err:?}");
        assert!(err.to_string().contains("invalid Cloud ID"), "{why}: {err}");
        let built = ClientBuilder::<()>::new().cloud_id(id.as_str()).into_config();
        assert!(matches!(built, Err(Error::Build(_))), "{why}");
    }
}

#[test]
fn valid_cloud_ids_decode_padded_unpadded_and_url_safe() {
    let decoded = b"us-east-1.aws.found.io:9243$abc123$kib";
    let padded = base64_encode(decoded);
    let unpadded = padded.trim_end_matches('=').to_owned();
    for id in
        [format!("n:{padded}"), format!("n:{unpadded}"), format!("n:{}", padded.replace('+', "-").replace('/', "_"))]
    {
        assert_eq!(parse_cloud_id(&id).unwrap(), "https://abc123.us-east-1.aws.found.io:9243");
    }
    // Without a port: 443. A name with a colon in it keeps working (split at the first).
    assert_eq!(parse_cloud_id(&cloud_id(b"host.io$uuid")).unwrap(), "https://uuid.host.io:443");
    let config = ClientBuilder::<()>::new().cloud_id(cloud_id(b"host.io$uuid$kb")).into_config().unwrap();
    assert_eq!(config.nodes[0].to_string(), "https://uuid.host.io:443");
}

// ---------------------------------------------------------------- bodies

fn response(status: u16, body: impl Into<Bytes>) -> http::Response<Bytes> {
    http::Response::builder().status(status).body(body.into()).unwrap()
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Typed {
    took: u64,
    hits: Vec<String>,
}

#[test]
fn non_json_and_truncated_bodies_are_decode_errors_with_an_excerpt() {
    let bodies: &[&[u8]] = &[
        b"not json",
        b"<html><body>502 Bad Gateway</body></html>",
        b"{\"took\": 1,",
        b"{\"took\": 1, \"hits\": [\"a\", ",
        b"[",
        b"{\"took\": 1} trailing",
        b"\xff\xfe\x00garbage",
        b"{\"a\":\"\\ud800\"}",
    ];
    for body in bodies {
        let err = decode_json::<serde_json::Value>(&response(200, *body)).expect_err("not JSON");
        let Error::Decode(d) = &err else { panic!("{body:?}: {err:?}") };
        assert!(!d.message.is_empty());
        assert_eq!(d.excerpt, String::from_utf8_lossy(body), "the excerpt shows the body");
        assert!(err.to_string().starts_with("cannot decode the response"));
    }
    // Valid JSON of the wrong shape, and an empty body for a typed response.
    for body in [&b"{\"took\": \"soon\"}"[..], b"[]", b"", b"  \n"] {
        assert!(matches!(decode_json::<Typed>(&response(200, body)), Err(Error::Decode(_))), "{body:?}");
    }
    // An empty body is `null`: fine for `()` and `Option`.
    assert_eq!(decode_json::<Option<Typed>>(&response(200, "")).unwrap().map(|t| t.took), None);
    // Text responses must be UTF-8.
    assert!(matches!(decode_text(&response(200, &b"\xff"[..])), Err(Error::Decode(_))));
}

#[test]
fn excerpts_are_capped_at_256_bytes() {
    let long = "x".repeat(10_000);
    let Err(Error::Decode(d)) = decode_json::<serde_json::Value>(&response(200, long.clone())) else { panic!() };
    assert_eq!(d.excerpt.len(), 256);
    // A multi-byte character cut at the limit is replaced, not split.
    let long = "é".repeat(200);
    let Err(Error::Decode(d)) = decode_json::<serde_json::Value>(&response(200, long)) else { panic!() };
    assert!(d.excerpt.chars().count() <= 256);
}

#[test]
fn error_statuses_with_any_body_are_api_errors() {
    let bodies: &[&[u8]] = &[
        b"",
        b"<html>oops</html>",
        b"{\"error\":",
        b"{\"error\":42}",
        b"{\"error\":{\"root_cause\":\"not a list\"}}",
        b"{\"error\":\"plain text reason\"}",
        b"\xff\xff",
    ];
    for status in [400u16, 401, 404, 409, 413, 429, 500, 502, 503, 599] {
        for body in bodies {
            let err = decode_json::<serde_json::Value>(&response(status, *body)).expect_err("error status");
            let api = err.as_api().unwrap_or_else(|| panic!("{status} {body:?}: {err:?}"));
            assert_eq!(api.status.as_u16(), status);
            assert_eq!(api.body.as_ref(), *body, "the raw body is kept");
            assert!(err.to_string().starts_with(&format!("server answered {}", StatusCode::from_u16(status).unwrap())));
        }
    }
    let err = decode_json::<serde_json::Value>(&response(400, "{\"error\":\"plain text reason\"}")).unwrap_err();
    assert_eq!(err.as_api().unwrap().reason(), Some("plain text reason"));
}

#[test]
fn sniff_bodies_that_are_not_node_lists_are_decode_errors() {
    for body in
        [&b"not json"[..], b"{\"nodes\":", b"{\"nodes\":[]}", b"{\"nodes\":{\"a\":{\"http\":{\"publish_address\":7}}}}"]
    {
        assert!(matches!(parse_nodes(body, Scheme::Http, ""), Err(Error::Decode(_))), "{body:?}");
    }
    // An address a URL cannot carry is an error, never a node with a broken URL.
    for address in ["evil host/10.0.0.1:9200", "a@b/10.0.0.1:9200", "10.0.0.1", "[::1", "[zz::1]:9200", "h\n/1.2.3.4:1"]
    {
        assert_eq!(parse_publish_address(address, Scheme::Http, ""), None, "{address:?}");
        let body = format!(r#"{{"nodes":{{"a":{{"http":{{"publish_address":{}}}}}}}}}"#, serde_json::json!(address));
        assert!(matches!(parse_nodes(body.as_bytes(), Scheme::Http, ""), Err(Error::Decode(_))), "{address:?}");
    }
    // No nodes, or nodes without HTTP, is an empty list: the pool is kept.
    assert!(parse_nodes(b"{}", Scheme::Http, "").unwrap().is_empty());
}

// ---------------------------------------------------------------- oversized responses

/// Runs one GET through a transport whose server answers `answer`.
fn call_once(
    builder: ClientBuilder<()>,
    mut answer: impl FnMut(&http::Request<Bytes>, usize) -> Result<http::Response<Bytes>, IoError>,
) -> (Result<http::Response<Bytes>, Error>, usize) {
    let mut transport = Transport::new(builder.into_config().unwrap());
    let endpoint = RawRequest::new(Method::GET, "/_search");
    let mut now = Instant::now();
    let mut call = transport.start(endpoint.id(), endpoint.to_request().unwrap(), RequestOptions::default(), now);
    let mut sends = 0;
    for _ in 0..100 {
        match call.poll(&mut transport, now) {
            Step::Send(send) => {
                sends += 1;
                let outcome = answer(&send.request, send.max_response_size);
                call.handle(&mut transport, outcome, now);
            }
            Step::Wait(Some(until)) => now = until,
            Step::Emit(result) => return (result, sends),
            Step::Wait(None) | Step::Done => panic!("a call polled with no exchange out emits its result first"),
        }
    }
    panic!("the call did not finish");
}

fn es(status: u16, body: impl Into<Bytes>) -> http::Response<Bytes> {
    http::Response::builder().status(status).header("x-elastic-product", "Elasticsearch").body(body.into()).unwrap()
}

fn gzipped(body: &[u8]) -> http::Response<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(body).unwrap();
    let mut r = es(200, enc.finish().unwrap());
    r.headers_mut().insert("content-encoding", "gzip".parse().unwrap());
    r
}

#[test]
fn responses_over_max_response_size_are_errors_and_not_retried() {
    let limit = 1024;
    let builder = || ClientBuilder::<()>::new().node("http://es:9200").max_response_size(limit);
    // At the limit: fine. One byte over: a decode error, one send only.
    let (ok, _) = call_once(builder(), |_, max| {
        assert_eq!(max, limit, "the driver is told the limit");
        Ok(es(200, vec![b' '; limit]))
    });
    assert!(ok.is_ok());
    let (err, sends) = call_once(builder(), |_, _| Ok(es(200, vec![b' '; limit + 1])));
    let Err(Error::Decode(d)) = err else { panic!("{err:?}") };
    assert!(d.message.contains("exceeds the limit of 1024 bytes"), "{}", d.message);
    assert_eq!(sends, 1);
    // A gzip bomb: 1 MiB of zeros in a ~1 KiB body stops at the limit.
    let bomb = gzipped(&vec![0u8; 1 << 20]);
    assert!(bomb.body().len() < limit * 2);
    let (err, _) = call_once(builder().max_response_size(64 * 1024), move |_, _| Ok(bomb.clone()));
    let Err(Error::Decode(d)) = err else { panic!("{err:?}") };
    assert!(d.message.contains("decompressed body exceeds the limit"), "{}", d.message);
    // Truncated gzip.
    let mut cut = gzipped(b"{\"took\":1}");
    let len = cut.body().len();
    *cut.body_mut() = cut.body().slice(..len - 6);
    let (err, _) = call_once(builder(), move |_, _| Ok(cut.clone()));
    assert!(matches!(err, Err(Error::Decode(_))), "{err:?}");
    // A driver that stops reading at the limit reports BodyTooLarge: not retried.
    let (err, sends) = call_once(builder(), |_, _| Err(IoError::new(IoErrorKind::BodyTooLarge, "over 1024 bytes")));
    let Err(Error::Transport(t)) = err else { panic!("{err:?}") };
    assert_eq!((t.kind, sends), (IoErrorKind::BodyTooLarge, 1));
    assert!(matches!(t.attempts[0].outcome, AttemptOutcome::Io(_)));
}

#[test]
fn bulk_responses_that_cannot_be_read_leave_every_operation_unconfirmed() {
    // A 2xx answer that cannot be read means the server ran the request:
    // operations without ids cannot be repeated safely, and are not failed.
    let policy = BackoffPolicy { max_retries: 1, ..BackoffPolicy::default() };
    let mut bulk = BulkIndexer::new(BulkConfig::new().index("i").retry(policy));
    let now = Instant::now();
    for n in 0..3 {
        bulk.add(BulkOperation::index(&serde_json::json!({ "n": n })), now).unwrap();
    }
    bulk.close();
    let bodies = [&b"{\"items\":["[..], b"<html>", b"{\"items\":[]}"];
    let mut answers = bodies.iter().cycle();
    let mut now = now;
    let mut failed = Vec::new();
    for _ in 0..100 {
        match bulk.poll(now) {
            Step::Send(send) => {
                bulk.handle(send.token, Ok(response(200, *answers.next().unwrap())), now);
            }
            Step::Emit(outcome) => {
                let BulkResult::Unconfirmed(BulkError::Request(e)) = &outcome.result else { panic!("{outcome:?}") };
                assert!(matches!(**e, Error::Decode(_)));
                assert_eq!(outcome.retries, 0);
                failed.push(outcome.id.0);
            }
            Step::Wait(Some(until)) => now = until,
            Step::Wait(None) => panic!("nothing in flight"),
            Step::Done => break,
        }
    }
    assert_eq!(failed, [0, 1, 2]);
    assert_eq!((bulk.stats().failed, bulk.stats().unconfirmed), (0, 3));
}

// ---------------------------------------------------------------- ids and index names

/// `(input, encoded path segment)`: every byte outside RFC 3986's
/// unreserved set, `,` and `*` is percent-encoded, so a part is always one
/// segment and decodes back to itself.
const SEGMENTS: &[(&str, &str)] = &[
    ("plain-id_1.~", "plain-id_1.~"),
    ("a/b", "a%2Fb"),
    ("../../_all", "..%2F..%2F_all"),
    ("..", ".."),
    (".", "."),
    ("100%", "100%25"),
    ("%2F", "%252F"),
    ("a b", "a%20b"),
    ("a+b", "a%2Bb"),
    ("a?b#c&d=e", "a%3Fb%23c%26d%3De"),
    ("日本語", "%E6%97%A5%E6%9C%AC%E8%AA%9E"),
    ("é", "%C3%A9"),
    ("emoji🙂", "emoji%F0%9F%99%82"),
    ("tab\tnew\nline", "tab%09new%0Aline"),
    ("nul\u{0}", "nul%00"),
    ("quote\"'`<>", "quote%22%27%60%3C%3E"),
    ("back\\slash", "back%5Cslash"),
    ("logs-*,metrics-*", "logs-*,metrics-*"),
];

#[test]
fn ids_and_index_names_are_encoded_as_one_segment_and_round_trip() {
    for (input, encoded) in SEGMENTS {
        assert_eq!(encode_path_segment(input), *encoded, "{input:?}");
        assert_eq!(percent_decode(encoded), *input, "{input:?}");
        let path = PathBuilder::new().literal("/").part(input).literal("/_doc/").part(input).finish();
        assert_eq!(path, format!("/{encoded}/_doc/{encoded}"));
        let uri: http::Uri = path.parse().unwrap_or_else(|e| panic!("{input:?}: {path:?}: {e}"));
        let segments: Vec<&str> = uri.path().split('/').collect();
        assert_eq!(segments.len(), 4, "{input:?} stays one segment: {path}");
        // The request builds, and the whole thing lands in the URL.
        let request = RawRequest::new(Method::GET, path.clone()).to_request().expect(input);
        assert_eq!(request.uri().path(), path);
    }
    // Lists keep their commas as separators; commas inside a name cannot be told apart.
    let path = PathBuilder::new().literal("/").list(&["a/b", "c d"]).literal("/_search").finish();
    assert_eq!(path, "/a%2Fb,c%20d/_search");
}

#[test]
fn query_values_are_encoded_and_round_trip() {
    let mut q = Query::new();
    for (input, _) in SEGMENTS {
        q.push("q", input);
    }
    let encoded = q.encode();
    let uri: http::Uri = format!("/_search?{encoded}").parse().expect("a valid query string");
    let values: Vec<String> = uri.query().unwrap().split('&').map(|kv| percent_decode(&kv[2..])).collect();
    let inputs: Vec<&str> = SEGMENTS.iter().map(|(i, _)| *i).collect();
    assert_eq!(values, inputs);
    assert_eq!(encode_query_component("a&b=c d"), "a%26b%3Dc%20d");
}

#[test]
fn percent_decoding_keeps_invalid_escapes_and_replaces_invalid_utf8() {
    for (input, decoded) in [
        ("%", "%"),
        ("%2", "%2"),
        ("%zz", "%zz"),
        ("%%41", "%A"),
        ("%41%", "A%"),
        ("%C3", "\u{FFFD}"),
        ("%FF%FE", "\u{FFFD}\u{FFFD}"),
        ("é%C3%A9", "éé"),
    ] {
        assert_eq!(percent_decode(input), decoded, "{input:?}");
    }
}

#[test]
fn raw_request_paths_must_be_absolute_and_valid() {
    for path in ["", "relative/path", "_search"] {
        assert!(matches!(RawRequest::new(Method::GET, path).to_request(), Err(Error::Build(_))), "{path:?}");
    }
    // A hand-written path that is not a valid URI is a build error, not a panic.
    for path in ["/a b", "/\u{0}", "/a\nb", "/a\u{7f}"] {
        assert!(matches!(RawRequest::new(Method::GET, path).to_request(), Err(Error::Build(_))), "{path:?}");
    }
}

// ---------------------------------------------------------------- configuration

#[test]
fn header_values_that_cannot_be_sent_are_build_errors() {
    // Basic credentials are base64-encoded: any password makes a valid header.
    let basic = ClientBuilder::<()>::new().node("http://es:9200").basic_auth("user", "pass\nword");
    assert!(basic.into_config().is_ok());
    let b = || ClientBuilder::<()>::new().node("http://es:9200");
    for built in [
        b().api_key_encoded("key\r\n").into_config(),
        b().bearer_auth("tok\u{0}en").into_config(),
        b().user_agent("agent\n").into_config(),
        b().opaque_id("id\r\nX: y").into_config(),
        b().header("bad name", "v").into_config(),
        b().header("x-ok", "bad\nvalue").into_config(),
        b().ssl_assert_fingerprint("not hex").into_config(),
    ] {
        let err = built.expect_err("refused");
        assert!(matches!(err, Error::Build(_)), "{err:?}");
        assert!(!err.to_string().contains("tok"), "no secret in {err}");
    }
}

#[test]
fn deeply_nested_json_is_a_decode_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(decode_json::<serde_json::Value>(&response(200, deep.clone())), Err(Error::Decode(_))));
    let deep_error = format!("{{\"error\":{}{{}}{}}}", "{\"caused_by\":".repeat(10_000), "}".repeat(10_000));
    let err = decode_json::<serde_json::Value>(&response(500, deep_error)).unwrap_err();
    assert!(err.as_api().unwrap().error.is_none(), "too deep to parse: kept as the raw body");
    assert!(matches!(parse_nodes(deep.as_bytes(), Scheme::Http, ""), Err(Error::Decode(_))));
}

// ---------------------------------------------------------------- found by fuzzing

/// Inputs the fuzz targets found, each once a broken URL (the transport
/// then sent to `/` with no host), now refused.
#[test]
fn fuzz_regressions_hosts_that_make_no_valid_url() {
    // sniff_response: a control character in a publish_address host.
    assert_eq!(parse_publish_address("3\n:0", Scheme::Https, "/prefix"), None);
    // sniff_response: a host name made of hex digits and colons that is no IPv6 address.
    let colons = ":".repeat(98);
    let address = format!("dddddddddddd{colons}dddddddddddddddddddA.:/:5");
    assert_eq!(parse_publish_address(&address, Scheme::Https, "/prefix"), None);
    // url_and_cloud_id: a Cloud ID whose host holds a control character.
    let id = cloud_id(b"Q\x05$QE$");
    assert!(matches!(parse_cloud_id(&id), Err(Error::Build(_))), "{id}");
    // The node URLs those would have made.
    for url in ["https://3\n:0/prefix", "https://QE.Q\u{5}:443"] {
        assert!(matches!(NodeUrl::parse(url), Err(Error::Build(_))), "{url:?}");
    }
}
