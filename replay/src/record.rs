//! Recording: a [`RecordingExecutor`] wraps a live executor and keeps every
//! exchange it completes, in the fixture form that [`Cassette::save`] writes
//! and [`Cassette::load`] reads back. [`RecordedRequest::from_http`] and
//! [`RecordedResponse::from_http`] turn one request/response pair into that
//! form, for code that sends requests by other means.
//!
//! What it does not do: decide what to record. Every call that gets a
//! response is kept, and nothing is redacted but credential headers.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use elastik_proto::media::{JSON, NDJSON};
use elastik_proto::{Body, Config, Error, Executor, FromConfig, PreparedRequest};
use serde_json::Value;

use crate::cassette::{body_diff, essences, query_pairs};
use crate::{Cassette, Exchange, RecordedRequest, RecordedResponse};

/// An [`Executor`] that sends every request through the executor `X` and
/// records each call that ends in a response, whatever its status. Its
/// output is `X`'s: wrap a live runtime's executor and the client is used as
/// before. Clones share the recording.
///
/// An exchange is named after its endpoint and its place in the recording
/// (`search/3`), and kept when its response arrives, so concurrent calls are
/// recorded in the order they completed. A call whose body the fixture
/// format cannot hold (bytes that are not UTF-8, such as a CBOR or Arrow
/// answer) is listed in [`RecordingExecutor::skipped`] instead.
///
/// What it sees is what it records: one exchange per call, the request as
/// the endpoint built it (before the transport adds credentials and
/// compression) and the final response, decompressed. Retries, the node
/// chosen and calls that ended without a response are not recorded.
///
/// Credentials never reach a recording: of the request's headers only
/// `accept` and `content-type` are kept, and of the response's, `set-cookie`,
/// `cookie`, `authorization` and `proxy-authorization` are dropped. Bodies
/// are kept as they are: a recorded `security.create_api_key` holds the key
/// the server returned.
#[derive(Clone, Debug)]
pub struct RecordingExecutor<X> {
    inner: X,
    recording: Arc<Mutex<Recording>>,
}

#[derive(Debug, Default)]
struct Recording {
    exchanges: Vec<Exchange>,
    skipped: Vec<String>,
}

impl<X> RecordingExecutor<X> {
    /// Records what goes through `inner`.
    pub fn new(inner: X) -> Self {
        RecordingExecutor { inner, recording: Arc::default() }
    }

    /// The wrapped executor.
    pub fn inner(&self) -> &X {
        &self.inner
    }

    /// The exchanges recorded so far, in the order their responses arrived.
    pub fn cassette(&self) -> Cassette {
        let mut cassette = Cassette::new();
        for x in &lock(&self.recording).exchanges {
            cassette.push(x.clone());
        }
        cassette
    }

    /// The calls that got a response but could not be recorded:
    /// `endpoint: reason`, in order.
    pub fn skipped(&self) -> Vec<String> {
        lock(&self.recording).skipped.clone()
    }

    /// Writes the recording to `path` (a `.jsonl` file, see
    /// [`Cassette::save`]); fails, writing nothing, when a call could not be
    /// recorded, since the cassette would not answer it.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), String> {
        let skipped = self.skipped();
        if !skipped.is_empty() {
            return Err(format!("{} calls were not recorded: {}", skipped.len(), skipped.join("; ")));
        }
        self.cassette().save(path)
    }
}

/// `Client::<RecordingExecutor<X>>::builder()` builds `X` from the settings
/// and wraps it.
impl<X: FromConfig> FromConfig for RecordingExecutor<X> {
    fn from_config(config: Config) -> Result<Self, Error> {
        X::from_config(config).map(RecordingExecutor::new)
    }
}

impl<X: Executor> Executor for RecordingExecutor<X> {
    type Output<T: Send + 'static> = X::Output<T>;

    /// `X`'s answer, unchanged; a response is recorded when it arrives.
    fn execute(&self, request: PreparedRequest) -> Self::Output<Result<http::Response<Bytes>, Error>> {
        let endpoint = request.endpoint_id;
        let sent = RecordedRequest::from_http(&request.request);
        let recording = Arc::clone(&self.recording);
        X::map(self.inner.execute(request), move |result| {
            if let Ok(response) = &result {
                let mut r = lock(&recording);
                match sent.and_then(|request| Ok((request, RecordedResponse::from_http(response)?))) {
                    Ok((request, response)) => {
                        let name = format!("{endpoint}/{}", r.exchanges.len());
                        r.exchanges.push(Exchange { name, request, response });
                    }
                    Err(e) => r.skipped.push(format!("{endpoint}: {e}")),
                }
            }
            result
        })
    }

    fn ready<T: Send + 'static>(value: T) -> Self::Output<T> {
        X::ready(value)
    }

    fn map<T, U, F>(output: Self::Output<T>, f: F) -> Self::Output<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(T) -> U + Send + 'static,
    {
        X::map(output, f)
    }
}

impl RecordedRequest {
    /// The request as a fixture records it: method, path, decoded query,
    /// `accept` and `content-type` (from the body when there is no header;
    /// every other header is left out), and the body as replay will compare
    /// it. `Err` when the body is not UTF-8 or a query parameter has two
    /// values (a fixture holds one per name).
    pub fn from_http(request: &http::Request<Body>) -> Result<Self, String> {
        let query = query_pairs(request.uri().query().unwrap_or(""));
        // The pairs are sorted: a name with two values shows up as neighbours.
        if let Some(((name, _), _)) = query.iter().zip(query.iter().skip(1)).find(|(a, b)| a.0 == b.0) {
            return Err(format!("the query parameter {name} has several values"));
        }
        let header = |h: http::HeaderName| request.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_type =
            header(http::header::CONTENT_TYPE).or_else(|| request.body().content_type().map(str::to_owned));
        let bytes = request.body().bytes();
        let body = if bytes.is_empty() {
            None
        } else {
            let text = utf8(&bytes, "request")?;
            let media = essences(content_type.as_deref().unwrap_or(""));
            let parsed = if media.contains(JSON) {
                serde_json::from_str(text).ok()
            } else if media.contains(NDJSON) {
                let lines: Result<Vec<Value>, _> =
                    text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect();
                lines.ok().map(Value::Array)
            } else {
                None
            };
            // Kept as text wherever the value would not match the bytes
            // sent: a JSON string (compared as text), a multi-line JSON list
            // (compared as NDJSON), NDJSON that does not parse.
            Some(parsed.filter(|v| body_diff(Some(v), &bytes).is_none()).unwrap_or_else(|| text.into()))
        };
        Ok(RecordedRequest {
            method: request.method().as_str().to_owned(),
            path: request.uri().path().to_owned(),
            query,
            accept: header(http::header::ACCEPT),
            content_type,
            body,
        })
    }
}

impl RecordedResponse {
    /// The response as a fixture records it: status, headers (lower case,
    /// repeated ones joined with `, `, those listed in the module docs left
    /// out), and the body as parsed JSON when the `content-type` says JSON,
    /// else as text. `Err` when the body is not UTF-8.
    pub fn from_http(response: &http::Response<Bytes>) -> Result<Self, String> {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in response.headers() {
            if UNRECORDED_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let value = String::from_utf8_lossy(value.as_bytes());
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        let bytes = response.body();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            let text = utf8(bytes, "response")?;
            let json = headers.get("content-type").is_some_and(|t| essences(t).contains(JSON));
            // A JSON string is served as a text body would be, without its
            // quotes: it is kept as its text.
            json.then(|| serde_json::from_str::<Value>(text).ok())
                .flatten()
                .filter(|v| !v.is_string())
                .unwrap_or_else(|| text.into())
        };
        Ok(RecordedResponse { status: response.status().as_u16(), headers: headers.into_iter().collect(), body })
    }
}

fn lock(recording: &Mutex<Recording>) -> MutexGuard<'_, Recording> {
    recording.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A body as text, or why the fixture format cannot hold it.
fn utf8<'a>(bytes: &'a [u8], which: &str) -> Result<&'a str, String> {
    std::str::from_utf8(bytes)
        .map_err(|_| format!("the {which} body ({} bytes) is not UTF-8 text, which a fixture cannot hold", bytes.len()))
}

/// Response headers never recorded: those describing the bytes on the wire
/// (the recorded body is decoded, and replay makes its own), and credentials.
const UNRECORDED_HEADERS: &[&str] = &[
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "set-cookie",
    "cookie",
    "authorization",
    "proxy-authorization",
];
