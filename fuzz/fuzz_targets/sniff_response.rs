//! `_nodes/http` bodies and `publish_address` strings from a hostile or
//! broken server: parsing never panics, and every node it accepts makes a
//! URL that `http::Uri` reads back with the same host and port.
#![no_main]

use elastik_proto::transport::sniff::{parse_nodes, parse_publish_address};
use elastik_proto::transport::{NodeUrl, Scheme};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(nodes) = parse_nodes(data, Scheme::Http, "") {
        for node in nodes {
            check_url(&node.url);
        }
    }
    if let Ok(address) = std::str::from_utf8(data) {
        if let Some(url) = parse_publish_address(address, Scheme::Https, "/prefix") {
            check_url(&url);
        }
    }
});

/// The transport sends to `url.join(path)`: it must be a URI whose
/// authority is the node's.
fn check_url(url: &NodeUrl) {
    let joined = url.join("/_search?q=1");
    let uri: http::Uri = joined
        .parse()
        .unwrap_or_else(|e| panic!("node {url:?} makes an invalid URI {joined:?}: {e}"));
    let host = uri.host().expect("an absolute URI has a host");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    assert_eq!(host, url.host(), "{joined}");
    assert_eq!(uri.port_u16(), Some(url.port()), "{joined}");
}
