//! Embedding elastik in a runtime of your own: the whole drive loop over a
//! plain `std::net::TcpStream` (HTTP/1.1, no TLS, one connection per attempt).
//!
//! The core decides everything (node, retries, backoff, headers, gzip); this
//! file only moves bytes and waits. Run it against a server:
//!
//! ```sh
//! ELASTICSEARCH_URL=http://127.0.0.1:9200 cargo run -p elastik-proto --example embed_std_net
//! ```
// This file is the driver, not the core: reading the clock and sleeping are its job.
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use bytes::Bytes;
use elastik_proto::endpoint::RawRequest;
use elastik_proto::machine::Step;
use elastik_proto::transport::Transport;
use elastik_proto::{ClientBuilder, Endpoint, Error, IoError, IoErrorKind, RequestOptions};

fn main() -> Result<(), Error> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".into());
    let config = ClientBuilder::<()>::new().node(url).into_config()?;
    let mut transport = Transport::new(config);

    let endpoint = RawRequest::new(http::Method::GET, "/");
    let mut call = transport.start(endpoint.id(), endpoint.to_request()?, RequestOptions::default(), Instant::now());
    let response = loop {
        match call.poll(&mut transport, Instant::now()) {
            Step::Send(send) => {
                let outcome = exchange(&send.request, send.timeout);
                call.handle(&mut transport, outcome, Instant::now());
            }
            Step::Wait(Some(until)) => std::thread::sleep(until.saturating_duration_since(Instant::now())),
            Step::Emit(result) => break result?,
            // Only after the result was emitted, or with an exchange out.
            Step::Wait(None) | Step::Done => unreachable!("the result comes first"),
        }
    };
    let response = endpoint.decode(&response)?;
    println!("{} {}", response.status(), String::from_utf8_lossy(response.body()));
    Ok(())
}

/// One HTTP/1.1 exchange: write the request, read the whole response.
fn exchange(
    req: &http::Request<Bytes>,
    timeout: Option<std::time::Duration>,
) -> Result<http::Response<Bytes>, IoError> {
    let io = |kind| move |e: std::io::Error| IoError::new(kind, e.to_string());
    let authority = req.uri().authority().map(|a| a.as_str()).unwrap_or_default();
    let mut stream = TcpStream::connect(authority).map_err(io(IoErrorKind::Connect))?;
    stream.set_read_timeout(timeout).map_err(io(IoErrorKind::Other))?;

    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut head = format!("{} {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n", req.method());
    for (name, value) in req.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or_default()));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", req.body().len()));
    stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(req.body())).map_err(io(IoErrorKind::Reset))?;

    let read_kind = |e: &std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => IoErrorKind::Timeout,
        _ => IoErrorKind::Reset,
    };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| IoError::new(read_kind(&e), e.to_string()))?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| IoError::new(IoErrorKind::Reset, format!("bad status line {line:?}")))?;
    let mut response = http::Response::builder().status(status);
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(|e| IoError::new(read_kind(&e), e.to_string()))?;
        let Some((name, value)) = line.trim_end().split_once(':') else { break };
        chunked |= name.eq_ignore_ascii_case("transfer-encoding") && value.trim().eq_ignore_ascii_case("chunked");
        response = response.header(name.trim(), value.trim());
    }
    let mut body = Vec::new();
    reader.read_to_end(&mut body).map_err(|e| IoError::new(read_kind(&e), e.to_string()))?;
    if chunked {
        body = dechunk(&body).ok_or_else(|| IoError::new(IoErrorKind::Reset, "bad chunked body"))?;
    }
    response.body(Bytes::from(body)).map_err(|e| IoError::new(IoErrorKind::Other, e.to_string()))
}

/// Decodes a complete `Transfer-Encoding: chunked` body.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..end]).ok()?.split(';').next()?.trim().to_owned();
        let size = usize::from_str_radix(&size_text, 16).ok()?;
        data = &data[end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
