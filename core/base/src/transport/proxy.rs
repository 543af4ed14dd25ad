//! The HTTP proxy every request of a client goes through.
//!
//! A [`Proxy`] is plain data, set explicitly with
//! [`ClientBuilder::proxy`](crate::ClientBuilder::proxy); nothing here reads
//! `HTTP_PROXY` or any other environment variable. Each runtime carries it
//! out: requests to `http://` nodes are sent to the proxy (in absolute form
//! where the HTTP library allows it), requests to `https://` nodes go through
//! a `CONNECT` tunnel, TLS end to end with the node.
//!
//! Out of scope: `https://` proxies (TLS to the proxy itself), SOCKS, and
//! per-node exceptions (`NO_PROXY`).

use std::fmt;

use http::HeaderValue;

use crate::error::Error;
use crate::transport::config::Auth;
use crate::transport::node::{is_valid_host, split_host_port};

/// An `http://host:port` proxy with optional basic credentials. `Debug`
/// and [`Proxy::url`] never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    host: String,
    port: u16,
    auth: Option<Auth>,
}

impl Proxy {
    /// Parses `http://[user:password@]host:port` (the port is required; a
    /// trailing `/` is allowed, any other path is not). Credentials become
    /// `Proxy-Authorization: Basic`; they are percent-decoded like a node's.
    pub fn parse(url: &str) -> Result<Proxy, Error> {
        let invalid = |why: &str| Error::build(format!("invalid proxy URL: {why}"));
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(invalid("it must start with http:// (https:// proxies are not supported)"));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(invalid("no path, query or fragment allowed"));
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
        if !is_valid_host(&host) {
            return Err(invalid("the host must be a DNS name, an IPv4 address or an IPv6 address"));
        }
        let port = port.ok_or_else(|| invalid("the port is required"))?;
        let proxy = Proxy { host, port, auth };
        proxy.authorization()?;
        Ok(proxy)
    }

    /// The host (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://host:port`, without credentials.
    pub fn url(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }

    /// The user name and password, if the URL had them.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        match &self.auth {
            Some(Auth::Basic { username, password }) => Some((username, password)),
            _ => None,
        }
    }

    /// The `Proxy-Authorization` value (`Basic …`, marked sensitive), if the
    /// URL had credentials.
    pub fn authorization(&self) -> Result<Option<HeaderValue>, Error> {
        match &self.auth {
            Some(auth) => auth
                .header_value()
                .map(Some)
                .map_err(|_| Error::build("the proxy credentials contain characters not allowed in a header")),
            None => Ok(None),
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Proxy");
        s.field("url", &self.url());
        if let Some((username, _)) = self.credentials() {
            s.field("username", &username).field("password", &"<redacted>");
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_credentials() {
        let p = Proxy::parse("http://us%40er:p%3Ass@proxy.local:3128/").unwrap();
        assert_eq!((p.host(), p.port()), ("proxy.local", 3128));
        assert_eq!(p.credentials(), Some(("us@er", "p:ss")));
        assert_eq!(p.url(), "http://proxy.local:3128");
        let value = p.authorization().unwrap().unwrap();
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().unwrap(), format!("Basic {}", crate::encoding::base64_encode(b"us@er:p:ss")));

        let v6 = Proxy::parse("http://[::1]:8080").unwrap();
        assert_eq!((v6.host(), v6.url().as_str()), ("::1", "http://[::1]:8080"));
        assert_eq!(v6.authorization().unwrap(), None);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = Proxy::parse("http://alice:s3cret-pw@127.0.0.1:3128").unwrap();
        let debug = format!("{p:?}");
        assert!(debug.contains("alice") && debug.contains("127.0.0.1:3128"), "{debug}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
    }

    #[test]
    fn refuses_what_it_cannot_carry() {
        for (url, why) in [
            ("https://proxy:3128", "http://"),
            ("socks5://proxy:1080", "http://"),
            ("http://proxy", "port is required"),
            ("http://proxy:3128/path", "no path"),
            ("http://pro xy:3128", "host"),
            ("http://proxy:99999", "bad host or port"),
        ] {
            let err = Proxy::parse(url).unwrap_err().to_string();
            assert!(err.contains(why), "{url}: {err}");
        }
    }
}
