//! A `Transport` and its `Call`s driven with fuzzer-chosen outcomes:
//! statuses, `Retry-After`, `Content-Encoding: gzip` (real or bogus),
//! product headers, sniff bodies, IO errors of every kind. Invariants: no
//! panic; each call ends in `Done` within a bounded number of sends and
//! waits; every request goes to an absolute URI on a pool node; time only
//! moves forward.
#![no_main]

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use bytes::Bytes;
use elastik_proto::endpoint::RawRequest;
use elastik_proto::media::Compatibility;
use elastik_proto::machine::Step;
use elastik_proto::transport::{Transport};
use elastik_proto::{Body, ClientBuilder, Endpoint, IoError, IoErrorKind, RequestOptions};
use http::Method;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    nodes: u8,
    max_retries: u8,
    retry_on_timeout: bool,
    sniff_on_start: bool,
    sniff_on_failure: bool,
    product_check: bool,
    compress_requests: bool,
    compat: u8,
    max_response_size: u16,
    calls: Vec<CallInput>,
}

#[derive(Arbitrary, Debug)]
struct CallInput {
    method: u8,
    endpoint: u8,
    retry_safe: Option<bool>,
    max_retries: Option<u8>,
    body: Option<Vec<u8>>,
    outcomes: Vec<Outcome>,
}

#[derive(Arbitrary, Debug)]
enum Outcome {
    Response {
        status: u16,
        product: u8,
        retry_after: Option<String>,
        encoding: Encoding,
        body: Vec<u8>,
    },
    Io { kind: u8, sent: bool },
}

#[derive(Arbitrary, Debug)]
enum Encoding {
    Identity,
    /// The body, really gzipped.
    Gzip,
    /// `Content-Encoding: gzip` on bytes that are not.
    BogusGzip,
    Other(String),
}

const KINDS: [IoErrorKind; 6] = [
    IoErrorKind::Connect,
    IoErrorKind::Timeout,
    IoErrorKind::Tls,
    IoErrorKind::Reset,
    IoErrorKind::BodyTooLarge,
    IoErrorKind::Other,
];
const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::HEAD];
const ENDPOINTS: [&str; 4] = ["search", "index", "bulk", "nodes.info"];
const NODES: [&str; 3] = ["http://n1:9200", "https://u:p@n2:9243/prefix", "http://[::1]:9201"];

fuzz_target!(|input: Input| {
    let nodes = &NODES[..usize::from(input.nodes % 3) + 1];
    let max_retries = u32::from(input.max_retries % 5);
    let compat = [Compatibility::V9, Compatibility::V8, Compatibility::Off][usize::from(input.compat % 3)];
    let config = ClientBuilder::<()>::new()
        .nodes(nodes.iter().copied())
        .max_retries(max_retries)
        .retry_on_timeout(input.retry_on_timeout)
        .sniff_on_start(input.sniff_on_start)
        .sniff_on_node_failure(input.sniff_on_failure)
        .product_check(input.product_check)
        .compress_requests(input.compress_requests)
        .compatibility(compat)
        .max_response_size(usize::from(input.max_response_size))
        .into_config()
        .expect("a valid configuration");
    let mut transport = Transport::new(config);
    let mut now = Instant::now();

    for call_input in input.calls.into_iter().take(8) {
        let method = METHODS[usize::from(call_input.method) % METHODS.len()].clone();
        let mut endpoint = RawRequest::new(method, "/idx/_doc/1");
        if let Some(body) = call_input.body {
            endpoint = endpoint.body(Body::Json(body.into()));
        }
        let mut options = RequestOptions::new();
        options.retry_safe = call_input.retry_safe;
        let call_retries = match call_input.max_retries {
            Some(n) => {
                options = options.max_retries(u32::from(n % 5));
                u32::from(n % 5)
            }
            None => max_retries,
        };
        let id = ENDPOINTS[usize::from(call_input.endpoint) % ENDPOINTS.len()];
        let request = endpoint.to_request().expect("a valid request");
        let mut call = transport.start(id, request, options, now);

        let mut outcomes = call_input.outcomes.into_iter();
        let mut sends = 0;
        let mut steps = 0;
        loop {
            // Sends: one sniff, the first attempt, the retries, and at most
            // one 406 fallback per node (a sniff at the start of the call may
            // have changed the nodes). Each send is followed by at most one
            // wait and one poll.
            let max_sends = 2 + call_retries as usize + transport.pool().nodes().len();
            steps += 1;
            assert!(steps <= 3 * max_sends + 2, "the call did not finish within {} steps", 3 * max_sends + 2);
            match call.poll(&mut transport, now) {
                Step::Send(send) => {
                    sends += 1;
                    assert!(sends <= max_sends, "more than {max_sends} sends");
                    let uri = send.request.uri();
                    assert!(uri.scheme().is_some() && uri.authority().is_some(), "not absolute: {uri}");
                    let node = transport.pool().get(send.node).expect("sent to a pool node");
                    assert_eq!(uri.port_u16(), Some(node.url.port()));
                    assert!(!uri.to_string().contains('@'), "credentials in {uri}");
                    let outcome = outcomes.next().unwrap_or(Outcome::Io { kind: 0, sent: false });
                    let result = perform(outcome);
                    now += Duration::from_millis(5);
                    call.handle(&mut transport, result, now);
                }
                Step::Wait(Some(until)) => {
                    assert!(until > now, "wait for a past instant");
                    assert!(until - now <= Duration::from_secs(600), "a wait of {:?}", until - now);
                    now = until;
                }
                Step::Emit(result) => {
                    if let Err(e) = &result {
                        let shown = e.to_string();
                        assert!(!shown.contains("u:p@"), "credentials in {shown}");
                    }
                    // A finished call stays finished.
                    assert!(matches!(call.poll(&mut transport, now), Step::Done));
                    break;
                }
                Step::Wait(None) | Step::Done => panic!("polled with no exchange out, the call must send, wait or emit"),
            }
        }
        let _ = call.trace_fields();
    }
});

fn perform(outcome: Outcome) -> Result<http::Response<Bytes>, IoError> {
    match outcome {
        Outcome::Io { kind, sent } => {
            let mut e = IoError::new(KINDS[usize::from(kind) % KINDS.len()], "fuzz");
            e.request_sent = sent;
            Err(e)
        }
        Outcome::Response { status, product, retry_after, encoding, body } => {
            let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
            let mut b = http::Response::builder().status(status);
            match product % 3 {
                0 => b = b.header("x-elastic-product", "Elasticsearch"),
                1 => b = b.header("x-elastic-product", "NotElasticsearch"),
                _ => {}
            }
            if let Some(v) = retry_after.as_deref().and_then(|v| http::HeaderValue::from_str(v).ok()) {
                b = b.header(http::header::RETRY_AFTER, v);
            }
            let body = match encoding {
                Encoding::Identity => body,
                Encoding::Gzip => {
                    b = b.header(http::header::CONTENT_ENCODING, "gzip");
                    gzip_stored(&body)
                }
                Encoding::BogusGzip => {
                    b = b.header(http::header::CONTENT_ENCODING, "GZIP");
                    body
                }
                Encoding::Other(v) => {
                    if let Ok(v) = http::HeaderValue::from_str(&v) {
                        b = b.header(http::header::CONTENT_ENCODING, v);
                    }
                    body
                }
            };
            Ok(b.body(Bytes::from(body)).expect("valid response"))
        }
    }
}

/// A valid gzip member with the body in stored (uncompressed) deflate
/// blocks: built by hand because a deflate encoder allocates hundreds of
/// kilobytes per use, which would dominate the time of each run.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    if data.is_empty() {
        out.extend([1, 0, 0, 0xff, 0xff]);
    }
    let mut chunks = data.chunks(usize::from(u16::MAX)).peekable();
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend(chunk);
    }
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend(crc.sum().to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}
