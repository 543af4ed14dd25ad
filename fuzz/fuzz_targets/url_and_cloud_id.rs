//! Node URLs, Cloud IDs, percent-encoding and base64 on arbitrary text:
//! never a panic; what parses makes a URI the transport can send to, and
//! what is encoded decodes back.
#![no_main]

use arbitrary::Arbitrary;
use elastik_proto::encoding::{base64_decode, base64_encode, encode_path_segment, encode_query_component, percent_decode};
use elastik_proto::endpoint::{PathBuilder, RawRequest};
use elastik_proto::Endpoint;
use elastik_proto::transport::config::parse_cloud_id;
use elastik_proto::transport::NodeUrl;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    text: &'a str,
    bytes: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let text = input.text;
    if let Ok((url, _auth)) = NodeUrl::parse_with_credentials(text) {
        check_url(&url);
        // What a node URL prints, it parses back to.
        let again = NodeUrl::parse(&url.to_string())
            .unwrap_or_else(|e| panic!("{url:?} does not parse back: {e}"));
        assert_eq!(again, url);
    }
    if let Ok(es_url) = parse_cloud_id(text) {
        // A Cloud ID that decodes gives a URL that parses as a node without credentials.
        let url = NodeUrl::parse(&es_url).unwrap_or_else(|e| panic!("cloud id {text:?} gave {es_url:?}: {e}"));
        check_url(&url);
    }

    let _ = percent_decode(text);
    let _ = base64_decode(text);
    assert_eq!(percent_decode(&encode_path_segment(text)), text);
    assert_eq!(percent_decode(&encode_query_component(text)), text);
    assert_eq!(base64_decode(&base64_encode(input.bytes)).as_deref(), Some(input.bytes));

    // A hand-written path is a request or a build error, never a panic.
    let built = RawRequest::new(http::Method::GET, text).param(text, text).to_request();
    if let Ok(request) = built {
        assert!(request.uri().path().starts_with('/'));
    }

    // A path part is one segment, whatever it holds, and a valid path.
    let path = PathBuilder::new().literal("/").part(text).literal("/_doc/").part(text).finish();
    let pq: http::uri::PathAndQuery =
        path.parse().unwrap_or_else(|e| panic!("{text:?} makes an invalid path {path:?}: {e}"));
    let segments: Vec<&str> = pq.path().split('/').collect();
    assert_eq!(segments.len(), 4, "{path}");
    assert_eq!(percent_decode(segments[1]), text);
    assert_eq!(percent_decode(segments[3]), text);
});

fn check_url(url: &NodeUrl) {
    let joined = url.join("/_search");
    let uri: http::Uri = joined
        .parse()
        .unwrap_or_else(|e| panic!("node {url:?} makes an invalid URI {joined:?}: {e}"));
    let host = uri.host().expect("an absolute URI has a host");
    assert_eq!(host.trim_start_matches('[').trim_end_matches(']'), url.host(), "{joined}");
    assert_eq!(uri.port_u16(), Some(url.port()), "{joined}");
    assert!(!joined.contains('@'), "credentials or a stray '@' in {joined}");
}
