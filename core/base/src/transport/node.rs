//! Nodes, their health, and the policies that choose the next one: the
//! [`Selector`]s and the [`dead_backoff`] formula. The pool that applies
//! them (the transport pool in `elastik-proto`, `core/src/transport/pool.rs`) keeps every node alive or dead: a
//! dead node waits `min(factor·2^(n−1), max)` after its n-th consecutive
//! failure and is then tried again (resurrected) — at most one per
//! selection, and forcibly when no node is alive at all.

use std::fmt;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::transport::config::Auth;

/// A node's base URL: scheme, host, port and path prefix. Never holds credentials.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NodeUrl {
    scheme: Scheme,
    host: String,
    port: u16,
    prefix: String,
}

/// `http` or `https`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl NodeUrl {
    /// Parses `scheme://host[:port][/prefix]`; the port defaults to 9200.
    /// Credentials in the URL are refused here; see [`NodeUrl::parse_with_credentials`].
    pub fn parse(url: &str) -> Result<Self, Error> {
        match Self::parse_with_credentials(url)? {
            (node, None) => Ok(node),
            (_, Some(_)) => Err(Error::build("credentials are not allowed in this URL")),
        }
    }

    /// Parses a URL that may carry `user:password@` (turned into basic auth).
    pub fn parse_with_credentials(url: &str) -> Result<(Self, Option<Auth>), Error> {
        let invalid = |why: &str| Error::build(format!("invalid node URL: {why}"));
        let (scheme, rest) = if let Some(r) = url.strip_prefix("http://") {
            (Scheme::Http, r)
        } else if let Some(r) = url.strip_prefix("https://") {
            (Scheme::Https, r)
        } else {
            return Err(invalid("it must start with http:// or https://"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if path.contains('?') || path.contains('#') {
            return Err(invalid("no query or fragment allowed"));
        }
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let auth = userinfo.map(|u| {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            Auth::basic(crate::encoding::percent_decode(user), crate::encoding::percent_decode(pass))
        });
        let (host, port) = split_host_port(hostport).ok_or_else(|| invalid("bad host or port"))?;
        if host.is_empty() {
            return Err(invalid("empty host"));
        }
        if !is_valid_host(&host) {
            return Err(invalid("the host must be a DNS name, an IPv4 address or an IPv6 address"));
        }
        if path.parse::<http::uri::PathAndQuery>().is_err() && !path.is_empty() {
            return Err(invalid("the path prefix has characters not allowed in a URL"));
        }
        let prefix = path.trim_end_matches('/').to_owned();
        Ok((NodeUrl { scheme, host, port: port.unwrap_or(9200), prefix }, auth))
    }

    /// A node from its parts.
    pub fn from_parts(scheme: Scheme, host: impl Into<String>, port: u16, prefix: impl Into<String>) -> Self {
        let prefix: String = prefix.into();
        NodeUrl { scheme, host: host.into(), port, prefix: prefix.trim_end_matches('/').to_owned() }
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path prefix, empty or starting with `/` and without a trailing `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `host:port`, bracketing IPv6 addresses.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The absolute URL of `path_and_query` on this node.
    pub fn join(&self, path_and_query: &str) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}{}{}", self.authority(), self.prefix, path_and_query)
    }
}

impl fmt::Display for NodeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}{}", self.authority(), self.prefix)
    }
}

impl fmt::Debug for NodeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// True for a host a URL can carry as is: a name or IPv4 address of ASCII
/// letters, digits, `-`, `.`, `_` and `~`, or an IPv6 address (without a
/// zone id). Anything else (spaces, control characters, `@`, `%`,
/// non-ASCII names: give those in punycode) would make an invalid URL or one
/// that names another host, so it is refused.
pub(crate) fn is_valid_host(host: &str) -> bool {
    if host.is_empty() {
        return false;
    }
    if host.contains(':') {
        return host.parse::<std::net::Ipv6Addr>().is_ok();
    }
    host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Splits `host[:port]`, `[v6][:port]`.
pub(crate) fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host.to_owned(), None)),
            p => Some((host.to_owned(), Some(p.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match s.rsplit_once(':') {
        Some((h, _)) if h.contains(':') => Some((s.to_owned(), None)), // bare IPv6
        Some((h, p)) => Some((h.to_owned(), Some(p.parse().ok()?))),
        None => Some((s.to_owned(), None)),
    }
}

/// Index of a node in the pool. Stable for the life of the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u64);

impl NodeId {
    /// A node id from its number (ids are assigned by the node pool).
    pub fn from_raw(n: u64) -> Self {
        NodeId(n)
    }
}

/// A node and its health.
#[derive(Clone, Debug)]
pub struct Node {
    /// Its id.
    pub id: NodeId,
    /// Its URL.
    pub url: NodeUrl,
    /// Consecutive failures; 0 when alive.
    pub failures: u32,
    /// While dead: when it may be tried again.
    pub dead_until: Option<Instant>,
    /// The node refused compatibility media types (406): send plain ones.
    pub plain_media_types: bool,
}

impl Node {
    /// True when the node is not marked dead.
    pub fn is_alive(&self) -> bool {
        self.dead_until.is_none()
    }
}

/// Picks a node among the candidates (all alive, never empty).
pub trait Selector: Send + Sync {
    /// Returns an index into `candidates`. `random` is a fresh random number.
    fn select(&mut self, candidates: &[&Node], random: u64) -> usize;
}

/// Cycles through the nodes in order (the default).
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    next: usize,
}

impl Selector for RoundRobin {
    fn select(&mut self, candidates: &[&Node], _random: u64) -> usize {
        let i = self.next % candidates.len();
        self.next = self.next.wrapping_add(1);
        i
    }
}

/// Picks uniformly at random, from the transport's seeded random numbers.
#[derive(Clone, Debug, Default)]
pub struct RandomSelector;

impl Selector for RandomSelector {
    fn select(&mut self, candidates: &[&Node], random: u64) -> usize {
        (random % candidates.len() as u64) as usize
    }
}

/// `min(factor·2^(failures−1), max)`.
pub fn dead_backoff(factor: Duration, max: Duration, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    factor.saturating_mul(1u32 << exp).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> NodeUrl {
        NodeUrl::parse(s).unwrap()
    }

    #[test]
    fn urls_parse() {
        let u = url("http://localhost");
        assert_eq!((u.host(), u.port(), u.prefix()), ("localhost", 9200, ""));
        let u = url("https://es.example.com:9243/prefix/");
        assert_eq!((u.scheme(), u.port(), u.prefix()), (Scheme::Https, 9243, "/prefix"));
        assert_eq!(u.join("/_search?q=1"), "https://es.example.com:9243/prefix/_search?q=1");
        let u = url("http://[::1]:9201");
        assert_eq!((u.host(), u.port()), ("::1", 9201));
        assert_eq!(u.to_string(), "http://[::1]:9201");
        assert!(NodeUrl::parse("localhost:9200").is_err());
        assert!(NodeUrl::parse("http://:9200").is_err());
        assert!(NodeUrl::parse("http://h:notaport").is_err());
        assert!(NodeUrl::parse("http://u:p@h:1").is_err());
        let (u, auth) = NodeUrl::parse_with_credentials("http://u%40x:p%3A@h:1").unwrap();
        assert_eq!(u.to_string(), "http://h:1");
        assert_eq!(auth, Some(Auth::basic("u@x", "p:")));
    }

    #[test]
    fn dead_backoff_doubles_up_to_the_cap() {
        let (f, m) = (Duration::from_secs(1), Duration::from_secs(30));
        let got: Vec<u64> = (1..=7).map(|n| dead_backoff(f, m, n).as_secs()).collect();
        assert_eq!(got, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(dead_backoff(f, m, 1000), m);
    }
}
