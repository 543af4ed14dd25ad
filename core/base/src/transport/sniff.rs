//! Sniffing: reading `GET /_nodes/_all/http` into node URLs.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::Error;
use crate::transport::node::{is_valid_host, split_host_port, NodeUrl, Scheme};

/// The path of the sniff request.
pub const SNIFF_PATH: &str = "/_nodes/_all/http";

/// A node as `_nodes/http` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SniffedNode {
    /// The node id.
    pub id: String,
    /// The node name.
    pub name: Option<String>,
    /// Its roles (`master`, `data`, `ingest`, …).
    pub roles: Vec<String>,
    /// Its attributes.
    pub attributes: BTreeMap<String, String>,
    /// `http.publish_address` as reported.
    pub publish_address: String,
    /// The URL made from it.
    pub url: NodeUrl,
}

/// The default filter: every node except master-only ones.
pub fn default_node_filter(node: &SniffedNode) -> bool {
    !(node.roles.len() == 1 && node.roles[0] == "master")
}

#[derive(Deserialize)]
struct NodesResponse {
    #[serde(default)]
    nodes: BTreeMap<String, NodeInfo>,
}

#[derive(Deserialize)]
struct NodeInfo {
    name: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
    http: Option<HttpInfo>,
}

#[derive(Deserialize)]
struct HttpInfo {
    publish_address: Option<String>,
}

/// Parses a `_nodes/http` body. Nodes without an HTTP publish address (HTTP
/// disabled) are skipped; `scheme` and `prefix` come from the node that answered.
pub fn parse_nodes(body: &[u8], scheme: Scheme, prefix: &str) -> Result<Vec<SniffedNode>, Error> {
    let parsed: NodesResponse =
        serde_json::from_slice(body).map_err(|e| Error::decode(format!("sniff response: {e}"), body))?;
    let mut out = Vec::new();
    for (id, info) in parsed.nodes {
        let Some(address) = info.http.and_then(|h| h.publish_address) else { continue };
        let url = parse_publish_address(&address, scheme, prefix)
            .ok_or_else(|| Error::decode(format!("bad publish_address {address:?}"), body))?;
        let attributes = info
            .attributes
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
            .collect();
        out.push(SniffedNode { id, name: info.name, roles: info.roles, attributes, publish_address: address, url });
    }
    Ok(out)
}

/// `ip:port`, `host/ip:port`, `[v6]:port`, `host/[v6]:port`. With a host
/// name, the name is used (TLS certificates name hosts, not addresses).
/// `None` when the address has no port or its host is not a valid URL host.
pub fn parse_publish_address(address: &str, scheme: Scheme, prefix: &str) -> Option<NodeUrl> {
    let (name, addr) = match address.split_once('/') {
        Some((name, addr)) => (Some(name), addr),
        None => (None, address),
    };
    let (ip, port) = split_host_port(addr)?;
    let port = port?;
    let host = match name {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => ip,
    };
    // A server-given name that a URL cannot carry as is: refuse the address
    // rather than send to a URL that means something else.
    if !is_valid_host(&host) {
        return None;
    }
    Some(NodeUrl::from_parts(scheme, host, port, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_address_forms() {
        let p = |a| parse_publish_address(a, Scheme::Http, "").map(|u| u.to_string());
        assert_eq!(p("127.0.0.1:9200").as_deref(), Some("http://127.0.0.1:9200"));
        assert_eq!(p("es1.local/10.0.0.1:9201").as_deref(), Some("http://es1.local:9201"));
        assert_eq!(p("/10.0.0.1:9201").as_deref(), Some("http://10.0.0.1:9201"));
        assert_eq!(p("[::1]:9202").as_deref(), Some("http://[::1]:9202"));
        assert_eq!(p("localhost/[::1]:9203").as_deref(), Some("http://localhost:9203"));
        assert_eq!(p("127.0.0.1"), None);
        assert_eq!(p("garbage:port"), None);
    }

    #[test]
    fn parses_nodes_and_filters_master_only() {
        let body = br#"{"_nodes":{"total":3},"cluster_name":"c","nodes":{
            "a":{"name":"n1","roles":["master","data"],"http":{"publish_address":"127.0.0.1:9200"}},
            "b":{"name":"n2","roles":["master"],"http":{"publish_address":"127.0.0.1:9201"}},
            "c":{"name":"n3","roles":["data"],"attributes":{"zone":"z1"},"http":{"publish_address":"h/127.0.0.1:9202"}},
            "d":{"name":"n4","roles":["data"]}}}"#;
        let nodes = parse_nodes(body, Scheme::Https, "/p").unwrap();
        assert_eq!(nodes.len(), 3);
        let kept: Vec<String> = nodes.iter().filter(|n| default_node_filter(n)).map(|n| n.url.to_string()).collect();
        assert_eq!(kept, vec!["https://127.0.0.1:9200/p", "https://h:9202/p"]);
        assert_eq!(nodes[2].attributes["zone"], "z1");
        assert!(parse_nodes(b"not json", Scheme::Http, "").is_err());
        assert!(parse_nodes(br#"{"nodes":{"a":{"http":{"publish_address":"x"}}}}"#, Scheme::Http, "").is_err());
    }
}
