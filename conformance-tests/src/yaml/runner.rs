//! [`Runner`]: runs one test's steps through a [`Runtime`].

use std::collections::BTreeSet;

use bytes::Bytes;
use elastik_core::{PreparedRequest, RequestOptions};
use serde_json::{Map, Value};

use super::assert::{self, lookup, short, text, Stash};
use super::{cleanup, Outcome, Runtime, TestFile};
use crate::args::Args;
use crate::dispatch;

/// Test-runner features this runner implements (`skip: features`).
const FEATURES: &[&str] = &[
    "headers",
    "warnings",
    "warnings_regex",
    "allowed_warnings",
    "allowed_warnings_regex",
    "contains",
    "catch_unauthorized",
    "stash_in_path",
    "stash_in_key",
    "stash_path_replace",
    "embedded_stash_key",
    "arbitrary_key",
    "default_shards",
    "gtelte",
    "exists",
];

/// Endpoints whose body is NDJSON: a list of lines.
const NDJSON: &[&str] = &[
    "bulk",
    "msearch",
    "msearch_template",
    "fleet.msearch",
    "monitoring.bulk",
    "ml.post_data",
    "text_structure.find_structure",
];

/// Runs tests (setup, steps, teardown, cleanup) through one runtime.
pub struct Runner<'a> {
    runtime: &'a dyn Runtime,
    stash: Stash,
    body: Value,
    decode_issues: Vec<String>,
    server_version: Option<Vec<u64>>,
}

/// Why a `do` step failed, before any `catch` is considered.
enum CallError {
    /// The typed API refused the arguments (`catch: param`).
    Param(String),
    /// No response: connection or transport failure.
    Transport(String),
}

impl<'a> Runner<'a> {
    /// A runner sending through `runtime`.
    pub fn new(runtime: &'a dyn Runtime) -> Self {
        Runner { runtime, stash: Stash::default(), body: Value::Null, decode_issues: Vec::new(), server_version: None }
    }

    /// Runs one test of `file` and returns its outcome and the typed-decode
    /// problems met on the way. Cleanup runs whatever the outcome.
    pub fn run_test(&mut self, file: &TestFile, steps: &[Value]) -> (Outcome, Vec<String>) {
        self.stash.clear();
        self.body = Value::Null;
        self.decode_issues.clear();
        let outcome = match self.skip_reason(&file.setup).or_else(|| self.skip_reason(steps)) {
            Some(reason) => Outcome::Skip(reason),
            None => {
                let outcome = match self.run_steps(&file.setup) {
                    Err(e) => Outcome::Fail(format!("setup: {e}")),
                    Ok(()) => match self.run_steps(steps) {
                        Err(e) => Outcome::Fail(e),
                        Ok(()) => Outcome::Pass,
                    },
                };
                // Teardown errors do not fail a test: the server may lack
                // what it removes (the official runners' cleanup may fail too).
                let _ = self.run_steps(&file.teardown);
                outcome
            }
        };
        cleanup::wipe(self);
        (outcome, std::mem::take(&mut self.decode_issues))
    }

    fn run_steps(&mut self, steps: &[Value]) -> Result<(), String> {
        for (i, step) in steps.iter().enumerate() {
            let Some((kind, arg)) = step.as_object().and_then(|m| m.iter().next()) else {
                return Err(format!("step {i}: not a one-key map: {}", short(step)));
            };
            self.step(kind, arg).map_err(|e| format!("step {i} {kind}: {e}"))?;
        }
        Ok(())
    }

    fn step(&mut self, kind: &str, arg: &Value) -> Result<(), String> {
        match kind {
            "do" => self.do_step(arg.as_object().ok_or("do: not a map")?),
            "skip" | "requires" => Ok(()),
            "set" => {
                for (path, name) in pairs(arg)? {
                    let v = lookup(&self.body, &path, &self.stash)?.ok_or_else(|| format!("{path} is missing"))?;
                    self.stash.set(&text(&name), v);
                }
                Ok(())
            }
            "match" => self.each(arg, |actual, expected| assert::matches(actual, expected)),
            "length" => self.each(arg, |actual, expected| {
                let n = assert::length(actual)?;
                if assert::loose_eq(&Value::from(n as u64), expected) {
                    Ok(())
                } else {
                    Err(format!("length {n} != {}", short(expected)))
                }
            }),
            "is_true" | "is_false" | "exists" => {
                let path = text(arg);
                let v = lookup(&self.body, &path, &self.stash)?;
                let ok = match kind {
                    "is_true" => assert::truthy(v.as_ref()),
                    "is_false" => !assert::truthy(v.as_ref()),
                    _ => v.as_ref().is_some_and(|v| !v.is_null()),
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!("{path}: {}", v.as_ref().map(short).unwrap_or_else(|| "missing".into())))
                }
            }
            "gt" | "gte" | "lt" | "lte" => self.each(arg, |actual, expected| assert::compare(kind, actual, expected)),
            "contains" => self.each(arg, |actual, expected| assert::contains(actual, expected)),
            other => Err(format!("unsupported step {other}")),
        }
    }

    /// Checks each `path: expected` pair of `arg`.
    fn each(&self, arg: &Value, check: impl Fn(Option<&Value>, &Value) -> Result<(), String>) -> Result<(), String> {
        for (path, expected) in pairs(arg)? {
            let expected = self.stash.resolve(&expected)?;
            let actual = lookup(&self.body, &path, &self.stash)?;
            check(actual.as_ref(), &expected).map_err(|e| format!("{path}: {e}"))?;
        }
        Ok(())
    }

    fn do_step(&mut self, spec: &Map<String, Value>) -> Result<(), String> {
        let mut catch = None;
        let mut headers = Map::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut warnings_regex: Vec<String> = Vec::new();
        let mut allowed: Vec<String> = Vec::new();
        let mut allowed_regex: Vec<String> = Vec::new();
        let mut call = None;
        for (k, v) in spec {
            match k.as_str() {
                "catch" => catch = Some(text(v)),
                "headers" => headers = self.stash.resolve(v)?.as_object().cloned().unwrap_or_default(),
                "warnings" => warnings = strings(v),
                "warnings_regex" => warnings_regex = strings(v),
                "allowed_warnings" => allowed = strings(v),
                "allowed_warnings_regex" => allowed_regex = strings(v),
                "node_selector" => {}
                api => call = Some((api.to_owned(), v)),
            }
        }
        let (api, raw_args) = call.ok_or("no API in do")?;
        let args = self.stash.resolve(raw_args)?;
        let result = self.call(&api, &args, &headers);
        let (status, response) = match result {
            Err(CallError::Param(e)) if catch.as_deref() == Some("param") => {
                let _ = e;
                return Ok(());
            }
            Err(CallError::Param(e)) => return Err(format!("{api}: cannot build the request: {e}")),
            Err(CallError::Transport(e)) => return Err(format!("{api}: {e}")),
            Ok(r) => (r.status().as_u16(), r),
        };
        let is_head = response.extensions().get::<HeadRequest>().is_some();
        let ignore: BTreeSet<u16> = match args.get("ignore") {
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_u64().map(|n| n as u16)).collect(),
            Some(v) => v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).map(|n| n as u16).into_iter().collect(),
            None => BTreeSet::new(),
        };
        self.body = parse_body(response.body(), is_head, status);
        let error = status >= 400 && !(is_head && status == 404 && catch.is_none()) && !ignore.contains(&status);
        match (&catch, error) {
            (Some(c), true) => check_catch(c, status, &self.body)?,
            (Some(c), false) => return Err(format!("{api}: expected {c}, got status {status}: {}", short(&self.body))),
            (None, true) => return Err(format!("{api}: status {status}: {}", short(&self.body))),
            (None, false) => {}
        }
        check_warnings(&response, &warnings, &warnings_regex, &allowed, &allowed_regex)
            .map_err(|e| format!("{api}: {e}"))
    }

    /// Builds `api` through the dispatch table and sends it.
    fn call(&mut self, api: &str, args: &Value, headers: &Map<String, Value>) -> Result<http::Response<Bytes>, CallError> {
        let mut args = split_args(api, args).map_err(CallError::Param)?;
        // A parameter the specification does not define (the tests use a
        // few) is appended to the typed request's query, and noted.
        let mut extra: Vec<(String, String)> = Vec::new();
        let endpoint = loop {
            match dispatch::build(api, &args) {
                None => return Err(CallError::Param(format!("unknown API {api}"))),
                Some(Ok(e)) => break e,
                Some(Err(e)) => match e.strip_prefix("unknown parameter ").and_then(|p| args.params.remove(p).map(|v| (p.to_owned(), v))) {
                    Some((name, value)) => {
                        self.decode_issues.push(format!("{api}: parameter {name} is not in the typed API; sent as is"));
                        extra.push((name, crate::args::to_string(&value).map_err(CallError::Param)?));
                    }
                    None => return Err(CallError::Param(e)),
                },
            }
        };
        let mut request = endpoint.request().map_err(|e| CallError::Param(e.to_string()))?;
        if !extra.is_empty() {
            let mut pq = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
            for (k, v) in &extra {
                pq.push(if pq.contains('?') { '&' } else { '?' });
                pq.push_str(&format!("{}={}", encode(k), encode(v)));
            }
            *request.uri_mut() = pq.parse().map_err(|e: http::uri::InvalidUri| CallError::Param(e.to_string()))?;
        }
        let is_head = request.method() == http::Method::HEAD;
        let mut options = RequestOptions::default();
        for (name, value) in headers {
            let value = text(value);
            if name.eq_ignore_ascii_case("content-type") && request.headers().contains_key(http::header::CONTENT_TYPE) {
                continue; // the typed API already says what its body is
            }
            match (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(&value)) {
                (Ok(n), Ok(v)) => {
                    request.headers_mut().insert(n, v);
                }
                _ => options = options.header(name, &value),
            }
        }
        let endpoint_id = dispatch::ENDPOINTS.iter().find(|e| **e == api).copied().unwrap_or("yaml");
        let prepared = PreparedRequest { endpoint_id, request, options };
        let mut response = self.runtime.execute(prepared).map_err(|e| CallError::Transport(e.to_string()))?;
        if response.status().is_success() {
            if let Err(e) = endpoint.decode_value(&response) {
                self.decode_issues.push(format!("{api}: {e}"));
            }
        }
        if is_head {
            response.extensions_mut().insert(HeadRequest);
        }
        Ok(response)
    }

    /// Sends `api` with `args` and ignores the outcome (cleanup); returns the
    /// body of a successful response.
    pub(crate) fn quiet(&mut self, api: &str, args: Value) -> Option<Value> {
        let r = self.call(api, &args, &Map::new()).ok()?;
        r.status().is_success().then(|| parse_body(r.body(), false, r.status().as_u16()))
    }

    /// Why the steps' `skip`/`requires` say not to run, if they do.
    fn skip_reason(&mut self, steps: &[Value]) -> Option<String> {
        for step in steps {
            let Some(map) = step.as_object() else { continue };
            let spec = match (map.get("skip"), map.get("requires")) {
                (Some(s), _) | (None, Some(s)) => s,
                _ => continue,
            };
            let reason = spec.get("reason").map(text).unwrap_or_default();
            let mut features = spec.get("features").map(strings).unwrap_or_default();
            features.extend(spec.get("test_runner_features").map(strings).unwrap_or_default());
            if let Some(f) = features.iter().find(|f| !FEATURES.contains(&f.as_str())) {
                return Some(format!("needs runner feature {f}"));
            }
            if let Some(range) = spec.get("version").map(text) {
                if self.version_in(&range) {
                    return Some(format!("version {range}: {reason}"));
                }
            }
            if spec.get("cluster_features").is_some() {
                return Some(format!("needs cluster features {}: {reason}", short(&spec["cluster_features"])));
            }
        }
        None
    }

    /// Whether the server's version is in `range` (`all`, `A - B`, `- B`, `A -`, comma-separated).
    fn version_in(&mut self, range: &str) -> bool {
        if self.server_version.is_none() {
            let v = self.quiet("info", Value::Object(Map::new())).and_then(|b| b["version"]["number"].as_str().map(parse_version));
            self.server_version = Some(v.unwrap_or_default());
        }
        let current = self.server_version.clone().unwrap_or_default();
        range.split(',').any(|r| {
            let r = r.trim();
            if r == "all" {
                return true;
            }
            let (lo, hi) = r.split_once('-').unwrap_or((r, r));
            let (lo, hi) = (lo.trim(), hi.trim());
            (lo.is_empty() || parse_version(lo) <= current) && (hi.is_empty() || current <= parse_version(hi))
        })
    }
}

/// Marks a response to a `HEAD` request (its body is `true`/`false`).
#[derive(Clone, Copy, Debug)]
struct HeadRequest;

/// Parts (names in the endpoint's URL templates), `body`, and parameters
/// (the rest, less the runner's `ignore`).
fn split_args(api: &str, args: &Value) -> Result<Args, String> {
    let parts: BTreeSet<&str> = dispatch::URLS
        .iter()
        .filter(|(name, _, _)| *name == api)
        .flat_map(|(_, path, _)| path.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(p, _)| p)))
        .collect();
    let mut out = Args::default();
    let map = match args {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => return Err(format!("arguments are not a map: {}", short(other))),
    };
    for (k, v) in map {
        if k == "body" {
            out.body = Some(body(api, v)?);
        } else if k == "ignore" {
        } else if parts.contains(k.as_str()) {
            out.parts.insert(k, v);
        } else {
            out.params.insert(k, v);
        }
    }
    Ok(out)
}

/// The body as the dispatch table wants it: a list of line values for
/// NDJSON endpoints (from a list, or a string of lines), JSON from a string.
fn body(api: &str, v: Value) -> Result<Value, String> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).map_err(|e| format!("body line is not JSON ({e}): {s}"));
    if NDJSON.contains(&api) {
        return match v {
            Value::String(s) => {
                Ok(Value::Array(s.lines().filter(|l| !l.trim().is_empty()).map(parse).collect::<Result<_, _>>()?))
            }
            Value::Array(items) => Ok(Value::Array(
                items
                    .into_iter()
                    .map(|i| match i {
                        Value::String(s) => parse(&s),
                        other => Ok(other),
                    })
                    .collect::<Result<_, _>>()?,
            )),
            other => Ok(Value::Array(vec![other])),
        };
    }
    match v {
        Value::String(s) => Ok(serde_json::from_str(&s).unwrap_or(Value::String(s))),
        other => Ok(other),
    }
}

fn parse_body(bytes: &Bytes, is_head: bool, status: u16) -> Value {
    if is_head {
        return Value::Bool(status < 300);
    }
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

fn check_catch(catch: &str, status: u16, body: &Value) -> Result<(), String> {
    let want = match catch {
        "missing" => Some(404),
        "conflict" => Some(409),
        "bad_request" => Some(400),
        "unauthorized" => Some(401),
        "forbidden" => Some(403),
        "request_timeout" => Some(408),
        "unavailable" => Some(503),
        "request" => None,
        "param" => return Err(format!("expected a parameter error, got status {status}")),
        _ => {
            let t = catch.trim();
            let pattern = if t.len() > 1 && t.starts_with('/') && t.ends_with('/') { &t[1..t.len() - 1] } else { t };
            let re = regex::Regex::new(&format!("(?x){pattern}")).map_err(|e| format!("bad catch regex {t}: {e}"))?;
            let got = text(body);
            return if re.is_match(&got) { Ok(()) } else { Err(format!("status {status}: {} does not match {t}", short(body))) };
        }
    };
    match want {
        Some(w) if w != status => Err(format!("expected {catch} ({w}), got status {status}: {}", short(body))),
        _ => Ok(()),
    }
}

/// The messages of the response's `Warning` headers (`299 agent "text" …`).
fn warning_texts(response: &http::Response<Bytes>) -> Vec<String> {
    response
        .headers()
        .get_all("warning")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| match (v.find('"'), v.rfind('"')) {
            (Some(a), Some(b)) if b > a => v[a + 1..b].replace("\\\"", "\""),
            _ => v.to_owned(),
        })
        .collect()
}

fn check_warnings(
    response: &http::Response<Bytes>,
    expected: &[String],
    expected_regex: &[String],
    allowed: &[String],
    allowed_regex: &[String],
) -> Result<(), String> {
    let got = warning_texts(response);
    let re = |p: &str| regex::Regex::new(p).ok();
    for w in expected {
        if !got.contains(w) {
            return Err(format!("expected warning {w:?}, got {got:?}"));
        }
    }
    for p in expected_regex {
        if !got.iter().any(|g| re(p).is_some_and(|r| r.is_match(g))) {
            return Err(format!("expected a warning matching {p:?}, got {got:?}"));
        }
    }
    // Unexpected warnings fail only a step that lists the warnings it
    // expects (as the official Python runner does): servers add deprecation
    // warnings the tests do not know about.
    if expected.is_empty() && expected_regex.is_empty() {
        return Ok(());
    }
    for g in &got {
        let ok = expected.contains(g)
            || allowed.contains(g)
            || expected_regex.iter().chain(allowed_regex).any(|p| re(p).is_some_and(|r| r.is_match(g)));
        if !ok {
            return Err(format!("unexpected warning {g:?}"));
        }
    }
    Ok(())
}

fn pairs(arg: &Value) -> Result<Vec<(String, Value)>, String> {
    match arg {
        Value::Object(m) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        other => Err(format!("expected a map, got {}", short(other))),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(text).collect(),
        Value::Null => Vec::new(),
        other => vec![text(other)],
    }
}

fn parse_version(s: &str) -> Vec<u64> {
    s.trim().split(['.', '-']).map_while(|p| p.parse().ok()).collect()
}

/// Percent-encodes a query component (unreserved characters and `,` `*` kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b'*' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
