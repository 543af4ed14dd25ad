//! Just enough HTTP/1.1 to read and write messages on keep-alive
//! connections: `Content-Length`, `chunked` and read-until-close bodies.
//!
//! Not a general HTTP implementation: no pipelining guarantees beyond
//! in-order reading, no trailers, no `Expect: 100-continue`, no upgrades.

use std::io::{self, BufRead, Write};

/// A request or response as read from the wire, with its body de-chunked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Message {
    /// `GET /path HTTP/1.1` or `HTTP/1.1 200 OK`, split on the first two spaces.
    pub start: [String; 3],
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Message {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the connection stays open after this message.
    pub fn keep_alive(&self) -> bool {
        let close = self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        !close && self.start.iter().any(|s| s == "HTTP/1.1")
    }

    /// Head bytes with a `Content-Length` for the (de-chunked) body,
    /// `Transfer-Encoding` dropped.
    pub fn head_bytes(&self, with_length: bool) -> Vec<u8> {
        let mut out = format!("{} {} {}\r\n", self.start[0], self.start[1], self.start[2]).into_bytes();
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("transfer-encoding") || name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if with_length {
            out.extend_from_slice(format!("content-length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// The whole message, re-serialized with a `Content-Length`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.head_bytes(true);
        out.extend_from_slice(&self.body);
        out
    }
}

/// Reads a message head; `Ok(None)` on a clean end of stream before any byte.
pub(crate) fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Message>> {
    let mut line = String::new();
    // Tolerate blank lines between messages.
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let start = [
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    ];
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "end of stream in the head"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    Ok(Some(Message { start, headers, body: Vec::new() }))
}

/// How a message's body is delimited.
pub(crate) enum Framing {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

/// The framing of a request.
pub(crate) fn request_framing(head: &Message) -> Framing {
    if is_chunked(head) {
        Framing::Chunked
    } else {
        match head.header("content-length").and_then(|v| v.parse().ok()) {
            Some(n) => Framing::Length(n),
            None => Framing::None,
        }
    }
}

/// The framing of a response to a request with `method`.
pub(crate) fn response_framing(head: &Message, method: &str) -> Framing {
    let status: u16 = head.start[1].parse().unwrap_or(0);
    if method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 || (100..200).contains(&status) {
        return Framing::None;
    }
    if is_chunked(head) {
        return Framing::Chunked;
    }
    match head.header("content-length").and_then(|v| v.parse().ok()) {
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    }
}

/// Reads the body described by `framing`.
pub(crate) fn read_body(reader: &mut impl BufRead, framing: Framing) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    match framing {
        Framing::None => {}
        Framing::Length(n) => {
            body.resize(n, 0);
            reader.read_exact(&mut body)?;
        }
        Framing::UntilClose => {
            reader.read_to_end(&mut body)?;
        }
        Framing::Chunked => loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "end of stream in a chunk size"));
            }
            let size_text = line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad chunk size {size_text:?}")))?;
            if size == 0 {
                // Trailers (ignored) up to the blank line.
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        },
    }
    Ok(body)
}

/// Writes a complete response with a `Content-Length`.
pub(crate) fn write_response(
    writer: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    head_only: bool,
) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    if !head_only {
        out.extend_from_slice(body);
    }
    writer.write_all(&out)?;
    writer.flush()
}

fn is_chunked(head: &Message) -> bool {
    head.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        406 => "Not Acceptable",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chunked_and_length_bodies_back_to_back() {
        let wire = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n\
                     PUT /b HTTP/1.1\r\ncontent-length: 2\r\n\r\nxy";
        let mut r = io::BufReader::new(&wire[..]);
        let head = read_head(&mut r).unwrap().unwrap();
        assert_eq!(read_body(&mut r, request_framing(&head)).unwrap(), b"abcde");
        let head = read_head(&mut r).unwrap().unwrap();
        assert_eq!(head.start[1], "/b");
        assert_eq!(read_body(&mut r, request_framing(&head)).unwrap(), b"xy");
        assert!(read_head(&mut r).unwrap().is_none());
    }

    #[test]
    fn head_responses_have_no_body() {
        let head = Message { start: ["HTTP/1.1".into(), "200".into(), "OK".into()], ..Message::default() };
        assert!(matches!(response_framing(&head, "HEAD"), Framing::None));
        assert!(matches!(response_framing(&head, "GET"), Framing::UntilClose));
    }
}
