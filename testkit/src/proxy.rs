//! [`ForwardProxy`]: what a client meets behind a corporate proxy. Requests
//! in absolute form (`GET http://node:9200/ HTTP/1.1`) are forwarded to the
//! node they name; `CONNECT node:port` opens a tunnel and copies bytes both
//! ways without looking inside (TLS stays end to end). With credentials set,
//! anything without the matching `Proxy-Authorization: Basic` is answered
//! `407`. Every request the proxy receives is logged with what it did.
//!
//! Not in scope: TLS to the proxy itself, other authentication schemes,
//! origin-form requests (answered `400`).

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::http1::{read_body, read_head, request_framing, write_response};
use crate::{forward, lock, Server, Upstream};

/// An HTTP/1.1 forward proxy on `127.0.0.1:0`. Dropping it closes the
/// listener and every client connection (tunnels end with them).
pub struct ForwardProxy {
    server: Server,
    shared: Arc<Shared>,
}

/// One request the [`ForwardProxy`] received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRecord {
    /// The method (`CONNECT` for a tunnel).
    pub method: String,
    /// The request target as sent: an absolute URL, or `host:port` for `CONNECT`.
    pub target: String,
    /// The `Proxy-Authorization` header, if any.
    pub proxy_authorization: Option<String>,
    /// Whether an `Authorization` header (the node's credentials) came along.
    pub authorization: bool,
    /// What the proxy did with it.
    pub outcome: ProxyOutcome,
}

/// What the [`ForwardProxy`] did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyOutcome {
    /// Forwarded to the node, which answered this status.
    Forwarded(u16),
    /// A `CONNECT` tunnel was opened.
    Tunnelled,
    /// Answered `407`: credentials missing or wrong.
    AuthRequired,
    /// Answered `502`: the node could not be reached.
    BadGateway,
    /// Answered `400`: not a proxy request.
    BadRequest,
}

struct Shared {
    /// The exact `Proxy-Authorization` value required, if any.
    expected: Option<String>,
    log: Mutex<Vec<ProxyRecord>>,
}

impl ForwardProxy {
    /// A proxy that asks for no credentials.
    pub fn start() -> ForwardProxy {
        Self::with(None)
    }

    /// A proxy that requires `Proxy-Authorization: Basic base64(user:password)`.
    pub fn with_credentials(user: &str, password: &str) -> ForwardProxy {
        Self::with(Some(format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))))
    }

    fn with(expected: Option<String>) -> ForwardProxy {
        let shared = Arc::new(Shared { expected, log: Mutex::new(Vec::new()) });
        let conn_shared = Arc::clone(&shared);
        let server = Server::start(Arc::new(move |stream, stop: &AtomicBool| serve(&conn_shared, stream, stop)));
        ForwardProxy { server, shared }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `http://user:password@127.0.0.1:PORT` (no percent-encoding: keep them plain).
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.server.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// Every request received so far, in order.
    pub fn log(&self) -> Vec<ProxyRecord> {
        lock(&self.shared.log).clone()
    }

    /// Requests forwarded to a node (absolute form), whatever it answered.
    pub fn forwarded(&self) -> usize {
        self.log().iter().filter(|r| matches!(r.outcome, ProxyOutcome::Forwarded(_))).count()
    }

    /// Tunnels opened.
    pub fn tunnels(&self) -> usize {
        self.log().iter().filter(|r| r.outcome == ProxyOutcome::Tunnelled).count()
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        self.server.stop();
    }
}

fn serve(shared: &Shared, client: TcpStream, stop: &AtomicBool) {
    let Ok(read_half) = client.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut writer = client;
    // The node this client connection last talked to, kept alive.
    let mut upstream: Option<(String, Option<Upstream>)> = None;
    while let Ok(Some(mut request)) = read_head(&mut reader) {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(body) = read_body(&mut reader, request_framing(&request)) else { return };
        request.body = body;
        let method = request.start[0].clone();
        let target = request.start[1].clone();
        let proxy_authorization = request.header("proxy-authorization").map(str::to_owned);
        let mut record = ProxyRecord {
            method: method.clone(),
            target: target.clone(),
            proxy_authorization: proxy_authorization.clone(),
            authorization: request.header("authorization").is_some(),
            outcome: ProxyOutcome::BadRequest,
        };
        let keep_alive = request.keep_alive();
        if shared.expected.is_some() && shared.expected != proxy_authorization {
            record.outcome = ProxyOutcome::AuthRequired;
            lock(&shared.log).push(record);
            let headers = [("proxy-authenticate".to_owned(), "Basic realm=\"elastik-testkit\"".to_owned())];
            let refused = write_response(&mut writer, 407, &headers, b"proxy authentication required", false);
            if refused.is_err() || !keep_alive || method.eq_ignore_ascii_case("CONNECT") {
                return;
            }
            continue;
        }
        if method.eq_ignore_ascii_case("CONNECT") {
            let Ok(node) = TcpStream::connect(target.as_str()) else {
                record.outcome = ProxyOutcome::BadGateway;
                lock(&shared.log).push(record);
                let _ = write_response(&mut writer, 502, &[], b"cannot reach the node", false);
                return;
            };
            record.outcome = ProxyOutcome::Tunnelled;
            lock(&shared.log).push(record);
            if writer.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
                return;
            }
            tunnel(reader, writer, node);
            return;
        }
        let Some((authority, path)) = split_absolute(&target) else {
            lock(&shared.log).push(record);
            let _ = write_response(&mut writer, 400, &[], b"not a proxy request", false);
            return;
        };
        request.start[1] = path;
        request.headers.retain(|(name, _)| {
            !name.eq_ignore_ascii_case("proxy-authorization") && !name.eq_ignore_ascii_case("proxy-connection")
        });
        if upstream.as_ref().is_none_or(|(a, _)| *a != authority) {
            upstream = Some((authority.clone(), None));
        }
        let conn = upstream.as_mut().map(|(_, c)| c).expect("set above");
        let Some(response) = forward(&authority, conn, &request) else {
            record.outcome = ProxyOutcome::BadGateway;
            lock(&shared.log).push(record);
            let _ = write_response(&mut writer, 502, &[], b"cannot reach the node", false);
            return;
        };
        record.outcome = ProxyOutcome::Forwarded(response.start[1].parse().unwrap_or(0));
        lock(&shared.log).push(record);
        let bytes = if method.eq_ignore_ascii_case("HEAD") { response.head_bytes(false) } else { response.to_bytes() };
        if writer.write_all(&bytes).is_err() || !keep_alive || !response.keep_alive() {
            return;
        }
    }
}

/// `http://host:port/path?query` → (`host:port`, `/path?query`).
fn split_absolute(target: &str) -> Option<(String, String)> {
    let rest = target.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
    Some((authority, path.to_owned()))
}

/// Copies bytes both ways until either side closes; bytes the client sent
/// after the `CONNECT` head (already buffered) go first.
fn tunnel(mut from_client: BufReader<TcpStream>, mut to_client: TcpStream, mut node: TcpStream) {
    let _ = node.set_nodelay(true);
    let Ok(mut to_node) = node.try_clone() else { return };
    let early = from_client.buffer().to_vec();
    let upward = thread::spawn(move || {
        if to_node.write_all(&early).is_ok() {
            let _ = io::copy(&mut from_client, &mut to_node);
        }
        let _ = to_node.shutdown(Shutdown::Write);
    });
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match node.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) if to_client.write_all(&chunk[..n]).is_err() => break,
            Ok(_) => {}
        }
    }
    let _ = to_client.shutdown(Shutdown::Both);
    let _ = upward.join();
}

/// Standard base64 with padding (for the expected `Proxy-Authorization`).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StubResponse, StubServer};

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg==")] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    fn exchange(proxy: &ForwardProxy, head: &str) -> String {
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        conn.write_all(head.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = conn.read_to_string(&mut answer);
        answer
    }

    #[test]
    fn forwards_absolute_form_and_checks_credentials() {
        let stub = StubServer::start(|r| StubResponse::json(200, format!("{{\"path\":\"{}\"}}", r.path)));
        let proxy = ForwardProxy::with_credentials("u", "p");
        let target = format!("{}/x?y=1", stub.url());

        let refused = exchange(&proxy, &format!("GET {target} HTTP/1.1\r\nconnection: close\r\n\r\n"));
        assert!(refused.starts_with("HTTP/1.1 407"), "{refused}");
        assert_eq!(stub.request_count(), 0);

        let auth = format!("Basic {}", base64(b"u:p"));
        let answer = exchange(
            &proxy,
            &format!("GET {target} HTTP/1.1\r\nproxy-authorization: {auth}\r\nconnection: close\r\n\r\n"),
        );
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("{\"path\":\"/x?y=1\"}"), "{answer}");
        let seen = stub.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].header("proxy-authorization"), None, "the proxy's credentials stop at the proxy");
        let log = proxy.log();
        assert_eq!(
            log.iter().map(|r| r.outcome).collect::<Vec<_>>(),
            [ProxyOutcome::AuthRequired, ProxyOutcome::Forwarded(200)]
        );
        assert_eq!(proxy.forwarded(), 1);
    }

    #[test]
    fn tunnels_bytes_both_ways() {
        let stub = StubServer::start(|_| StubResponse::json(200, "{}"));
        let proxy = ForwardProxy::start();
        let authority = stub.addr().to_string();
        let answer = exchange(
            &proxy,
            &format!(
                "CONNECT {authority} HTTP/1.1\r\nhost: {authority}\r\n\r\nGET / HTTP/1.1\r\nconnection: close\r\n\r\n"
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200"), "{answer}");
        assert_eq!(proxy.tunnels(), 1);
        assert_eq!(stub.request_count(), 1);
    }
}
