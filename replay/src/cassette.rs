//! Recorded exchanges ([`Cassette`]), read from and written to the fixture
//! files of [`crate::format`], and the request equivalence replay matches by
//! ([`Cassette::find`], [`RecordedRequest::diff`]).

use std::collections::BTreeSet;
use std::path::Path;

use bytes::Bytes;
use serde_json::{json, Map, Value};

/// One request/response pair as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// The fixture's `name` (or `file#n` when it has none).
    pub name: String,
    /// What the recording client sent.
    pub request: RecordedRequest,
    /// What the server answered.
    pub response: RecordedResponse,
}

/// The `request` object of a fixture.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `PUT`, …
    pub method: String,
    /// The path as sent (percent-encoded or not).
    pub path: String,
    /// Query parameters, decoded, as strings.
    pub query: BTreeSet<(String, String)>,
    /// `accept` and `content-type`, when recorded.
    pub accept: Option<String>,
    /// The recorded `content-type`.
    pub content_type: Option<String>,
    /// JSON value, list of NDJSON lines, text string, or `None`.
    pub body: Option<Value>,
}

/// The `response` object of a fixture.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedResponse {
    /// The status code.
    pub status: u16,
    /// Headers as recorded (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Parsed JSON, a text string, or null.
    pub body: Value,
}

/// A request as a client sent it, in the form both the executor and an
/// HTTP stub can produce.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedRequest {
    /// The method.
    pub method: String,
    /// The path (percent-encoded as sent), without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// `accept` header.
    pub accept: Option<String>,
    /// `content-type` header.
    pub content_type: Option<String>,
    /// The (uncompressed) body bytes.
    pub body: Bytes,
}

/// Recorded exchanges, served in recording order: [`Cassette::find`] looks
/// for a match from the exchange after the last one served, wrapping around,
/// so identical requests with different answers replay in order.
#[derive(Clone, Debug, Default)]
pub struct Cassette {
    exchanges: Vec<Exchange>,
    cursor: usize,
    served: Vec<usize>,
}

/// Why no exchange answers a request: the request, and the differences from
/// the nearest recorded one.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// `METHOD /path?query`.
    pub request: String,
    /// The nearest recorded exchange (same method and path if any).
    pub nearest: Option<String>,
    /// One line per difference from `nearest` (`path: … != …`).
    pub diff: Vec<String>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no recorded exchange matches {}", self.request)?;
        if let Some(n) = &self.nearest {
            write!(f, "; nearest is {n}: {}", self.diff.join("; "))?;
        }
        Ok(())
    }
}

impl Cassette {
    /// An empty cassette.
    pub fn new() -> Self {
        Cassette::default()
    }

    /// Every fixture under `path` (a `.json`/`.jsonl` file or a directory,
    /// recursively, in file-name order). Scenario fixtures contribute each of
    /// their exchanges.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, String> {
        let mut c = Cassette::new();
        c.load_more(path.as_ref())?;
        Ok(c)
    }

    /// Adds the fixtures under `path`.
    pub fn load_more(&mut self, path: &Path) -> Result<(), String> {
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for p in entries {
                if p.is_dir() || p.extension().is_some_and(|x| x == "json" || x == "jsonl") {
                    self.load_more(&p)?;
                }
            }
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("fixture").to_owned();
        if path.extension().is_some_and(|x| x == "jsonl") {
            for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let v: Value = serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
                self.push_fixture(&v, &format!("{stem}#{i}"))?;
            }
        } else {
            let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            self.push_fixture(&v, &stem)?;
        }
        Ok(())
    }

    /// Adds one fixture object ([`crate::format`]); `default_name` names it when it has no `name`.
    pub fn push_fixture(&mut self, fixture: &Value, default_name: &str) -> Result<(), String> {
        let name = fixture.get("name").and_then(Value::as_str).unwrap_or(default_name).to_owned();
        if fixture.get("kind").and_then(Value::as_str) == Some("scenario") {
            for (i, x) in fixture.get("exchanges").and_then(Value::as_array).into_iter().flatten().enumerate() {
                self.exchanges.push(Exchange::from_json(&format!("{name}#{i}"), x)?);
            }
        } else {
            self.exchanges.push(Exchange::from_json(&name, fixture)?);
        }
        Ok(())
    }

    /// Adds an exchange.
    pub fn push(&mut self, exchange: Exchange) {
        self.exchanges.push(exchange);
    }

    /// Writes every exchange to `path` as JSON Lines, one fixture object
    /// ([`Exchange::to_json`]) per line, for [`Cassette::load`] to read back.
    /// `path` must end in `.jsonl`: a `.json` file is read as one fixture.
    /// What was served is not saved.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), String> {
        let path = path.as_ref();
        if path.extension().is_none_or(|x| x != "jsonl") {
            return Err(format!("{}: a cassette is saved as JSON Lines, in a .jsonl file", path.display()));
        }
        let mut text = String::new();
        for x in &self.exchanges {
            text.push_str(&x.to_json().to_string());
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The exchanges in order.
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// Indices of the exchanges served so far, in order.
    pub fn served(&self) -> &[usize] {
        &self.served
    }

    /// Exchanges never served.
    pub fn unused(&self) -> Vec<&Exchange> {
        let used: BTreeSet<usize> = self.served.iter().copied().collect();
        self.exchanges.iter().enumerate().filter(|(i, _)| !used.contains(i)).map(|(_, x)| x).collect()
    }

    /// The exchange answering `request` (and marks it served), or why none does.
    pub fn find(&mut self, request: &ObservedRequest) -> Result<&Exchange, Mismatch> {
        let n = self.exchanges.len();
        let hit = (0..n).map(|k| (self.cursor + k) % n).find(|&i| self.exchanges[i].request.diff(request).is_empty());
        match hit {
            Some(i) => {
                self.cursor = (i + 1) % n;
                self.served.push(i);
                Ok(&self.exchanges[i])
            }
            None => Err(self.mismatch(request)),
        }
    }

    fn mismatch(&self, request: &ObservedRequest) -> Mismatch {
        let shown = if request.query.is_empty() {
            format!("{} {}", request.method, request.path)
        } else {
            format!("{} {}?{}", request.method, request.path, request.query)
        };
        let nearest = self.exchanges.iter().map(|x| (x, x.request.diff(request))).min_by_key(|(x, d)| {
            let same_route =
                x.request.method.eq_ignore_ascii_case(&request.method) && same_path(&x.request.path, &request.path);
            (!same_route, d.len())
        });
        Mismatch {
            request: shown,
            nearest: nearest.as_ref().map(|(x, _)| x.name.clone()),
            diff: nearest.map(|(_, d)| d).unwrap_or_default(),
        }
    }
}

impl Exchange {
    /// Reads a fixture object (or a scenario's exchange): its `request` and `response`.
    pub fn from_json(name: &str, v: &Value) -> Result<Self, String> {
        let req = v.get("request").ok_or_else(|| format!("{name}: no request"))?;
        let resp = v.get("response").ok_or_else(|| format!("{name}: no response"))?;
        let header = |h: &str| req.get("headers").and_then(|hs| hs.get(h)).and_then(Value::as_str).map(str::to_owned);
        let query = req
            .get("query")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), query_string(v)))
            .collect();
        Ok(Exchange {
            name: name.to_owned(),
            request: RecordedRequest {
                method: req.get("method").and_then(Value::as_str).unwrap_or("GET").to_owned(),
                path: req.get("path").and_then(Value::as_str).unwrap_or("/").to_owned(),
                query,
                accept: header("accept"),
                content_type: header("content-type"),
                body: req.get("body").filter(|b| !b.is_null()).cloned(),
            },
            response: RecordedResponse {
                status: resp.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
                headers: resp
                    .get("headers")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.to_ascii_lowercase(), v.to_owned())))
                    .collect(),
                body: resp.get("body").cloned().unwrap_or(Value::Null),
            },
        })
    }

    /// This exchange as the fixture object [`Exchange::from_json`] reads back:
    /// `name`, `request` (with the `accept` and `content-type` headers when
    /// known) and `response`. A query parameter given twice keeps one value.
    pub fn to_json(&self) -> Value {
        let (req, resp) = (&self.request, &self.response);
        let request_headers: Map<String, Value> = [("accept", &req.accept), ("content-type", &req.content_type)]
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k.to_owned(), Value::from(v))))
            .collect();
        let query: Map<String, Value> = req.query.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
        let response_headers: Map<String, Value> =
            resp.headers.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
        json!({
            "name": self.name,
            "request": {
                "method": req.method,
                "path": req.path,
                "query": query,
                "headers": request_headers,
                "body": req.body,
            },
            "response": {"status": resp.status, "headers": response_headers, "body": resp.body},
        })
    }
}

impl RecordedRequest {
    /// The differences between this recorded request and `observed` under
    /// the equivalence described in [`crate::format`]; empty when they are equivalent.
    pub fn diff(&self, observed: &ObservedRequest) -> Vec<String> {
        let mut d = Vec::new();
        if !self.method.eq_ignore_ascii_case(&observed.method) {
            d.push(format!("method: {} != recorded {}", observed.method, self.method));
        }
        if !same_path(&self.path, &observed.path) {
            d.push(format!("path: {} != recorded {}", observed.path, self.path));
        }
        let query = query_pairs(&observed.query);
        for extra in query.difference(&self.query) {
            d.push(format!("query: sent {}={} not recorded", extra.0, extra.1));
        }
        for missing in self.query.difference(&query) {
            d.push(format!("query: recorded {}={} not sent", missing.0, missing.1));
        }
        if let Some(e) = body_diff(self.body.as_ref(), &observed.body) {
            d.push(e);
        }
        if !media_match(observed.accept.as_deref(), self.accept.as_deref()) {
            d.push(format!("accept: {:?} != recorded {:?}", observed.accept, self.accept));
        }
        // Without a body the content type names nothing (recording clients
        // send one anyway for endpoints that may take a body).
        if !observed.body.is_empty() && !media_match(observed.content_type.as_deref(), self.content_type.as_deref()) {
            d.push(format!("content-type: {:?} != recorded {:?}", observed.content_type, self.content_type));
        }
        d
    }
}

impl RecordedResponse {
    /// The body bytes: JSON re-serialized, text as is, empty for null.
    pub fn body_bytes(&self) -> Bytes {
        match &self.body {
            Value::Null => Bytes::new(),
            Value::String(s) => Bytes::from(s.clone()),
            other => Bytes::from(serde_json::to_vec(other).unwrap_or_default()),
        }
    }

    /// The response as an `http::Response`, headers that describe the
    /// original bytes (`content-length`, `content-encoding`,
    /// `transfer-encoding`) left out.
    pub fn to_http(&self) -> http::Response<Bytes> {
        let mut b = http::Response::builder().status(self.status);
        for (k, v) in self.headers() {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(self.body_bytes()).unwrap_or_else(|_| http::Response::new(Bytes::new()))
    }

    /// The recorded headers, less those that described the original bytes.
    pub fn headers(&self) -> impl Iterator<Item = &(String, String)> {
        self.headers
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "content-length" | "content-encoding" | "transfer-encoding"))
    }
}

/// A recorded query value as the string sent: booleans `true`/`false`,
/// lists comma-joined, numbers as written.
fn query_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(query_string).collect::<Vec<_>>().join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The name/value pairs of a raw query string (without `?`), decoded.
pub(crate) fn query_pairs(query: &str) -> BTreeSet<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

pub(crate) fn body_diff(recorded: Option<&Value>, sent: &Bytes) -> Option<String> {
    let text = String::from_utf8_lossy(sent);
    match recorded {
        None if sent.is_empty() => None,
        None => Some(format!("body: sent {} bytes, none recorded", sent.len())),
        Some(_) if sent.is_empty() => Some("body: none sent, one recorded".into()),
        Some(Value::String(s)) => (s.as_bytes() != &sent[..]).then(|| format!("body: text {text:?} != recorded {s:?}")),
        Some(Value::Array(lines)) if is_ndjson(&text) => {
            let got: Result<Vec<Value>, _> =
                text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect();
            match got {
                Ok(got) if json_eq(&Value::Array(got.clone()), &Value::Array(lines.clone())) => None,
                Ok(got) => {
                    Some(format!("body: NDJSON {} != recorded {}", Value::Array(got), Value::Array(lines.clone())))
                }
                Err(e) => Some(format!("body: sent NDJSON is not JSON ({e})")),
            }
        }
        Some(want) => match serde_json::from_slice::<Value>(sent) {
            Ok(got) if json_eq(&got, want) => None,
            Ok(got) => Some(format!("body: {} != recorded {}", first_json_diff(&got, want, "$"), want)),
            Err(_) => Some(format!("body: {text:?} is not JSON, recorded {want}")),
        },
    }
}

fn is_ndjson(text: &str) -> bool {
    text.trim_end().contains('\n') || serde_json::from_str::<Value>(text).map(|v| !v.is_array()).unwrap_or(true)
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        (x, y) => x == y,
    }
}

/// The first difference between two JSON values, as `path: a != b`.
pub fn first_json_diff(got: &Value, want: &Value, at: &str) -> String {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) if !json_eq(gv, wv) => return first_json_diff(gv, wv, &format!("{at}.{k}")),
                    None => return format!("{at}.{k} missing"),
                    _ => {}
                }
            }
            g.keys()
                .find(|k| !w.contains_key(*k))
                .map(|k| format!("{at}.{k} not recorded"))
                .unwrap_or_else(|| format!("{at} differs"))
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find(|(_, (a, b))| !json_eq(a, b))
            .map(|(i, (a, b))| first_json_diff(a, b, &format!("{at}[{i}]")))
            .unwrap_or_else(|| format!("{at} differs")),
        (g, w) => format!("{at}: {g} != {w}"),
    }
}

/// Paths equal after percent-decoding each segment (a trailing `/` ignored).
fn same_path(a: &str, b: &str) -> bool {
    let segments = |p: &str| -> Vec<String> {
        let p = if p.len() > 1 { p.trim_end_matches('/') } else { p };
        p.split('/').map(|s| percent_decode(s, false)).collect()
    };
    segments(a) == segments(b)
}

/// Percent-decodes `s` (and `+` as space in query components).
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 3 <= bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Media type essences, the compatibility forms mapped to the plain ones.
pub(crate) fn essences(v: &str) -> BTreeSet<String> {
    v.split(',')
        .map(|m| {
            let e = m.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            match e.as_str() {
                "application/vnd.elasticsearch+json" => "application/json".to_owned(),
                "application/vnd.elasticsearch+x-ndjson" => "application/x-ndjson".to_owned(),
                _ => e,
            }
        })
        .filter(|e| !e.is_empty())
        .collect()
}

/// The sent header names a media type the recorded one names (the recorded
/// one may list several); an unrecorded header matches anything.
fn media_match(sent: Option<&str>, recorded: Option<&str>) -> bool {
    match (sent, recorded) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(o), Some(t)) => {
            let (o, t) = (essences(o), essences(t));
            !o.is_empty() && o.is_subset(&t)
        }
    }
}
