//! [`Runner`]: runs one test's steps through a [`Runtime`].

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use elastik_proto::{Body, PreparedRequest, RequestOptions};
use serde_json::{Map, Value};

use super::assert::{self, lookup, short, text, Stash};
use super::prereq::{self, strings, version_in, Cluster};
use super::{cleanup, connect, Outcome, Runtime, TestFile};
use crate::args::Args;
use crate::dispatch;
use crate::DynEndpoint;

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

/// The legacy-template deprecation the Java runner forgives everywhere (its
/// suites still create legacy templates in setups).
const LEGACY_TEMPLATE_WARNING: &str = "Legacy index templates are deprecated in favor of composable templates.";

/// Runs tests (setup, steps, teardown, cleanup) through one runtime.
pub struct Runner<'a> {
    runtime: &'a dyn Runtime,
    /// Clients of other nodes, by URL, for `node_selector`.
    nodes: HashMap<String, Box<dyn Runtime>>,
    stash: Stash,
    body: Value,
    decode_issues: Vec<String>,
    cluster: Option<Cluster>,
    lenient_warnings: bool,
}

/// Why a `do` step failed, before any `catch` is considered.
enum CallError {
    /// The typed API refused the arguments (`catch: param`).
    Param(String),
    /// No response: connection or transport failure.
    Transport(String),
}

/// What a `do` step asks besides its API call.
#[derive(Default)]
struct DoSpec {
    catch: Option<String>,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    warnings: Vec<String>,
    warnings_regex: Vec<regex::Regex>,
    allowed: Vec<String>,
    allowed_regex: Vec<regex::Regex>,
    node_selector: Option<Map<String, Value>>,
}

impl<'a> Runner<'a> {
    /// A runner sending through `runtime`.
    pub fn new(runtime: &'a dyn Runtime) -> Self {
        Runner {
            runtime,
            nodes: HashMap::new(),
            stash: Stash::default(),
            body: Value::Null,
            decode_issues: Vec::new(),
            cluster: None,
            lenient_warnings: false,
        }
    }

    /// Tolerates warnings a step does not list when it lists none (the
    /// official Python runner's rule) instead of failing on them (the
    /// format's and the Java runner's rule, the default).
    pub fn lenient_warnings(mut self, yes: bool) -> Self {
        self.lenient_warnings = yes;
        self
    }

    /// Runs one test of `file` and returns its outcome and the typed-decode
    /// problems met on the way. Cleanup runs whatever the outcome.
    pub fn run_test(&mut self, file: &TestFile, steps: &[Value]) -> (Outcome, Vec<String>) {
        self.stash.clear();
        self.body = Value::Null;
        self.decode_issues.clear();
        let prerequisites = [&file.setup[..], steps, &file.teardown[..]];
        let mut verdict = Ok(None);
        for section in prerequisites {
            verdict = prereq::skip_reason(self, section);
            if !matches!(verdict, Ok(None)) {
                break;
            }
        }
        let outcome = match verdict {
            Err(e) => Outcome::Fail(format!("prerequisites: {e}")),
            Ok(Some(reason)) => Outcome::Skip(reason),
            Ok(None) => {
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

    /// The cluster's nodes and features, read on first use.
    pub(crate) fn cluster(&mut self) -> &Cluster {
        if self.cluster.is_none() {
            let cluster = Cluster::read(self);
            self.cluster = Some(cluster);
        }
        self.cluster.get_or_insert_with(Cluster::default)
    }

    fn run_steps(&mut self, steps: &[Value]) -> Result<(), String> {
        for (i, step) in steps.iter().enumerate() {
            let Some((kind, arg)) = step.as_object().filter(|m| m.len() == 1).and_then(|m| m.iter().next()) else {
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
            "transform_and_set" => {
                for (name, transform) in pairs(arg)? {
                    let value = self.transform(&text(&transform))?;
                    self.stash.set(&name, value);
                }
                Ok(())
            }
            "match" => self.each(arg, assert::matches),
            "matches_in_any_order" => self.each(arg, assert::matches_in_any_order),
            "length" => self.each(arg, |actual, expected| {
                let n = assert::length(actual)?;
                if assert::loose_eq(&Value::from(n as u64), expected) {
                    Ok(())
                } else {
                    Err(format!("length {n} != {}", short(expected)))
                }
            }),
            "is_true" | "is_false" | "exists" | "not_exists" => {
                let path = text(arg);
                let v = lookup(&self.body, &path, &self.stash)?;
                let present = v.as_ref().is_some_and(|v| !v.is_null());
                let ok = match kind {
                    "is_true" => assert::truthy(v.as_ref()),
                    "is_false" => !assert::truthy(v.as_ref()),
                    "exists" => present,
                    _ => !present,
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!("{path}: {}", v.as_ref().map(short).unwrap_or_else(|| "missing".into())))
                }
            }
            "gt" | "gte" | "lt" | "lte" => self.each(arg, |actual, expected| assert::compare(kind, actual, expected)),
            "contains" => self.each(arg, assert::contains),
            "close_to" => self.each(arg, assert::close_to),
            "is_after" => self.each(arg, assert::is_after),
            other => Err(format!("unsupported step {other}")),
        }
    }

    /// `#base64EncodeCredentials(id,secret)`: base64 of the two response
    /// values joined by `:`; anything else is stashed as it is written (the
    /// format's rule for unknown transformations).
    fn transform(&self, transform: &str) -> Result<Value, String> {
        let Some(inner) = transform.strip_prefix("#base64EncodeCredentials(").and_then(|r| r.strip_suffix(')')) else {
            return Ok(Value::String(transform.to_owned()));
        };
        let [user, secret] = inner.split(',').map(str::trim).collect::<Vec<_>>()[..] else {
            return Err(format!("{transform}: base64EncodeCredentials takes an id and a secret"));
        };
        let value = |path: &str| -> Result<String, String> {
            Ok(text(&lookup(&self.body, path, &self.stash)?.ok_or_else(|| format!("{path} is missing"))?))
        };
        Ok(Value::String(assert::base64(format!("{}:{}", value(user)?, value(secret)?).as_bytes())))
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

    fn do_spec(&self, spec: &Map<String, Value>) -> Result<(DoSpec, Option<(String, Value)>), String> {
        let mut out = DoSpec::default();
        let mut call = None;
        let regexes = |v: &Value| -> Result<Vec<regex::Regex>, String> {
            // Warning patterns match the whole message, as Java's `matches()`.
            strings(v)
                .iter()
                .map(|p| regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| format!("bad warning regex {p}: {e}")))
                .collect()
        };
        for (k, v) in spec {
            match k.as_str() {
                "catch" => out.catch = Some(text(v)),
                "headers" => {
                    let resolved = self.stash.resolve(v)?;
                    let map = resolved.as_object().ok_or_else(|| format!("headers: not a map: {}", short(v)))?;
                    for (name, value) in map {
                        let value = match value {
                            Value::String(s) => s.clone(),
                            Value::Number(_) | Value::Bool(_) => value.to_string(),
                            other => return Err(format!("header {name}: not a scalar: {}", short(other))),
                        };
                        let name = http::HeaderName::from_bytes(name.as_bytes())
                            .map_err(|e| format!("header name {name:?}: {e}"))?;
                        let value =
                            http::HeaderValue::from_str(&value).map_err(|e| format!("header {name} value: {e}"))?;
                        out.headers.push((name, value));
                    }
                }
                "warnings" => out.warnings = strings(v),
                "warnings_regex" => out.warnings_regex = regexes(v)?,
                "allowed_warnings" => out.allowed = strings(v),
                "allowed_warnings_regex" => out.allowed_regex = regexes(v)?,
                "node_selector" => {
                    out.node_selector =
                        Some(v.as_object().cloned().ok_or_else(|| format!("node_selector: not a map: {}", short(v)))?)
                }
                api => {
                    if let Some((other, _)) = &call {
                        return Err(format!("two API calls in one do: {other} and {api}"));
                    }
                    call = Some((api.to_owned(), v.clone()));
                }
            }
        }
        if let Some(w) = out.warnings.iter().find(|w| out.allowed.contains(w)) {
            return Err(format!("the warning {w:?} is both expected and allowed"));
        }
        Ok((out, call))
    }

    fn do_step(&mut self, spec: &Map<String, Value>) -> Result<(), String> {
        let (spec, call) = self.do_spec(spec)?;
        let (api, mut raw_args) = call.ok_or("no API in do")?;
        // A string body is parsed before stashed values are substituted, so
        // `"$id"` inside a JSON string body is replaced by the value (the Java
        // runner parses string bodies into maps first).
        if let Some(b) = raw_args.get_mut("body") {
            if let Ok(parsed) = body(&api, b.clone()) {
                *b = parsed;
            }
        }
        let args = self.stash.resolve(&raw_args)?;
        let catch = spec.catch.as_deref();
        let built = self.build(&api, &args, catch != Some("param"));
        let (endpoint, request) = match (built, catch) {
            (Err(CallError::Param(_)), Some("param")) => return Ok(()),
            (Err(CallError::Param(e)), _) => return Err(format!("{api}: cannot build the request: {e}")),
            (Err(CallError::Transport(e)), _) => return Err(format!("{api}: {e}")),
            // A request the client accepts is not sent when the test expects
            // the client to refuse it.
            (Ok(_), Some("param")) => return Err(format!("{api}: expected a parameter error, the request was built")),
            (Ok(built), _) => built,
        };
        let target = match &spec.node_selector {
            Some(selector) => Some(self.select_node(selector)?),
            None => None,
        };
        let response = self.send(&api, &*endpoint, request, &spec.headers, target.as_deref()).map_err(|e| match e {
            CallError::Param(e) | CallError::Transport(e) => format!("{api}: {e}"),
        })?;
        let status = response.status().as_u16();
        let is_head = response.extensions().get::<HeadRequest>().is_some();
        let ignore: BTreeSet<u16> = match args.get("ignore") {
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_u64().map(|n| n as u16)).collect(),
            Some(v) => {
                v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).map(|n| n as u16).into_iter().collect()
            }
            None => BTreeSet::new(),
        };
        self.body = parse_body(&response, is_head);
        self.stash.set("body", self.body.clone());
        let error = status >= 400 && !(is_head && status == 404 && catch.is_none()) && !ignore.contains(&status);
        match (catch, error) {
            (Some(c), true) => check_catch(c, status, &self.body)?,
            (Some(c), false) => return Err(format!("{api}: expected {c}, got status {status}: {}", short(&self.body))),
            (None, true) => return Err(format!("{api}: status {status}: {}", short(&self.body))),
            (None, false) => {}
        }
        check_warnings(&response, &spec, self.lenient_warnings).map_err(|e| format!("{api}: {e}"))
    }

    /// The node URL a `node_selector` picks: every selector must hold
    /// (`version`: a range as in `skip`, or `current`, the newest version in
    /// the cluster; `attribute`: every `name: value` given).
    fn select_node(&mut self, selector: &Map<String, Value>) -> Result<String, String> {
        let cluster = self.cluster().clone();
        let newest = cluster.nodes.iter().map(|n| prereq::parse_version(&n.version)).max().unwrap_or_default();
        let mut candidates: Vec<&prereq::Node> = cluster.nodes.iter().collect();
        for (name, value) in selector {
            match name.as_str() {
                "version" => {
                    let range = text(value);
                    candidates.retain(|n| {
                        let v = prereq::parse_version(&n.version);
                        if range.trim() == "current" {
                            v == newest
                        } else {
                            version_in(&v, &range)
                        }
                    });
                }
                "attribute" => {
                    let wanted = value
                        .as_object()
                        .ok_or_else(|| format!("node_selector.attribute: not a map: {}", short(value)))?;
                    candidates.retain(|n| {
                        wanted.iter().all(|(k, v)| n.attributes.get(k).is_some_and(|a| text(a) == text(v)))
                    });
                }
                other => return Err(format!("unknown node_selector {other}")),
            }
        }
        let node = candidates
            .first()
            .ok_or_else(|| format!("no node matches node_selector {}", short(&Value::Object(selector.clone()))))?;
        let address = node.http.as_deref().ok_or_else(|| format!("node {} has no HTTP publish address", node.id))?;
        let scheme = self.runtime.url().split_once("://").map_or("http", |(s, _)| s);
        Ok(format!("{scheme}://{address}"))
    }

    /// Builds `api` through the dispatch table. With `lenient`, a parameter
    /// the specification does not define (the tests use a few) is appended to
    /// the typed request's query, and noted.
    fn build(
        &mut self,
        api: &str,
        args: &Value,
        lenient: bool,
    ) -> Result<(Box<dyn DynEndpoint>, http::Request<Body>), CallError> {
        let mut args = split_args(api, args).map_err(CallError::Param)?;
        let mut extra: Vec<(String, String)> = Vec::new();
        let endpoint = loop {
            match dispatch::build(api, &args) {
                None => return Err(CallError::Param(format!("unknown API {api}"))),
                Some(Ok(e)) => break e,
                Some(Err(e)) => {
                    let unknown = e.strip_prefix("unknown parameter ").filter(|_| lenient);
                    match unknown.and_then(|p| args.params.remove(p).map(|v| (p.to_owned(), v))) {
                        Some((name, value)) => {
                            self.decode_issues
                                .push(format!("{api}: parameter {name} is not in the typed API; sent as is"));
                            extra.push((name, crate::args::to_string(&value).map_err(CallError::Param)?));
                        }
                        None => return Err(CallError::Param(e)),
                    }
                }
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
        Ok((endpoint, request))
    }

    /// Sends a built request, with the step's headers as the client's
    /// per-request options, to the runner's node or to `node` (a URL).
    fn send(
        &mut self,
        api: &str,
        endpoint: &dyn DynEndpoint,
        mut request: http::Request<Body>,
        headers: &[(http::HeaderName, http::HeaderValue)],
        node: Option<&str>,
    ) -> Result<http::Response<Bytes>, CallError> {
        let is_head = request.method() == http::Method::HEAD;
        let mut options = RequestOptions::default();
        for (name, value) in headers {
            options.headers.append(name.clone(), value.clone());
        }
        // A body the test declares YAML is sent as YAML (the typed API builds JSON).
        let yaml_type =
            options.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).filter(|t| is_yaml(t));
        if let (Some(content_type), false) = (yaml_type, request.body().is_empty()) {
            let json: Value = serde_json::from_slice(&request.body().bytes())
                .map_err(|e| CallError::Param(format!("body is not JSON, cannot send it as YAML: {e}")))?;
            let yaml = serde_yaml::to_string(&json)
                .map_err(|e| CallError::Param(format!("cannot write the body as YAML: {e}")))?;
            *request.body_mut() = Body::Raw { content_type: content_type.to_owned(), bytes: Bytes::from(yaml) };
        }
        let endpoint_id = dispatch::ENDPOINTS.iter().find(|e| **e == api).copied().unwrap_or("yaml");
        let prepared = PreparedRequest { endpoint_id, request, options };
        let runtime: &dyn Runtime = match node {
            Some(url) if url.trim_end_matches('/') != self.runtime.url().trim_end_matches('/') => {
                if !self.nodes.contains_key(url) {
                    let client = connect(self.runtime.name(), url).map_err(CallError::Transport)?;
                    self.nodes.insert(url.to_owned(), client);
                }
                &**self.nodes.get(url).ok_or_else(|| CallError::Transport(format!("no client for {url}")))?
            }
            _ => self.runtime,
        };
        let mut response = runtime.execute(prepared).map_err(|e| CallError::Transport(e.to_string()))?;
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
        let (endpoint, request) = self.build(api, &args, true).ok()?;
        let r = self.send(api, &*endpoint, request, &[], None).ok()?;
        r.status().is_success().then(|| parse_body(&r, false))
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

/// The response as the assertions see it: `true`/`false` for `HEAD`, JSON,
/// YAML when the server says so (`Content-Type: application/yaml`), else
/// the text.
fn parse_body(response: &http::Response<Bytes>, is_head: bool) -> Value {
    let bytes = response.body();
    if is_head {
        return Value::Bool(response.status().as_u16() < 300);
    }
    if bytes.is_empty() {
        return Value::Null;
    }
    let content_type =
        response.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if is_yaml(content_type) {
        if let Ok(v) = serde_yaml::from_slice::<Value>(bytes) {
            return v;
        }
    }
    serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

fn is_yaml(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/yaml" || essence.ends_with("+yaml")
}

/// `catch`: a named status (`request`: any other 4xx/5xx), or a `/regex/`
/// found in the error's text (the response's `error`, else the whole body)
/// of a 4xx/5xx. A bare word that is not a named status is read as such a
/// regex (the suite writes `catch: resource_not_found_exception`).
fn check_catch(catch: &str, status: u16, body: &Value) -> Result<(), String> {
    let named = match catch {
        "bad_request" => Some(400),
        "unauthorized" => Some(401),
        "forbidden" => Some(403),
        "missing" => Some(404),
        "request_timeout" => Some(408),
        "conflict" => Some(409),
        "gone" => Some(410),
        "unavailable" => Some(503),
        _ => None,
    };
    if let Some(want) = named {
        return if want == status {
            Ok(())
        } else {
            Err(format!("expected {catch} ({want}), got status {status}: {}", short(body)))
        };
    }
    if catch == "request" {
        return if status >= 400 && ![400, 401, 403, 404, 408, 409, 410].contains(&status) {
            Ok(())
        } else {
            Err(format!("expected request (4xx/5xx other than the named ones), got status {status}: {}", short(body)))
        };
    }
    if catch == "param" {
        return Err(format!("expected a parameter error, got status {status}"));
    }
    let t = catch.trim();
    let pattern = if t.len() > 2 && t.starts_with('/') && t.ends_with('/') { &t[1..t.len() - 1] } else { t };
    let re = regex::Regex::new(&format!("(?x){pattern}")).map_err(|e| format!("bad catch regex {t}: {e}"))?;
    let got = match body.get("error") {
        Some(error) => text(error),
        None => text(body),
    };
    if status < 400 {
        Err(format!("expected an error matching {t}, got status {status}"))
    } else if re.is_match(&got) {
        Ok(())
    } else {
        Err(format!("status {status}: {} does not match {t}", short(body)))
    }
}

/// The messages of the response's `Warning` headers (RFC 7234:
/// `299 agent "text" ["date"]`, several per header value allowed), and the
/// header values that are not warnings of that form.
fn warning_texts(response: &http::Response<Bytes>) -> (Vec<String>, Vec<String>) {
    let mut messages = Vec::new();
    let mut malformed = Vec::new();
    for value in response.headers().get_all("warning") {
        let Ok(raw) = value.to_str() else {
            malformed.push(String::from_utf8_lossy(value.as_bytes()).into_owned());
            continue;
        };
        let mut rest = raw.trim();
        while !rest.is_empty() {
            match parse_warning(rest) {
                Some((message, after)) => {
                    messages.push(message);
                    rest = after.trim_start().strip_prefix(',').unwrap_or(after).trim_start();
                }
                None => {
                    malformed.push(raw.to_owned());
                    break;
                }
            }
        }
    }
    (messages, malformed)
}

/// One `code agent "text" ["date"]` warning: its unescaped text and what follows.
fn parse_warning(s: &str) -> Option<(String, &str)> {
    let (code, rest) = s.split_once(' ')?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (_agent, rest) = rest.trim_start().split_once(' ')?;
    let (message, mut rest) = quoted(rest.trim_start())?;
    if let Some((_date, after)) = rest.strip_prefix(' ').filter(|r| r.starts_with('"')).and_then(quoted) {
        rest = after;
    }
    Some((message, rest))
}

/// A quoted string at the start of `s` (`\"` and `\\` escapes) and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &s[i + 2..])),
            c => out.push(c),
        }
    }
    None
}

/// The step's warnings against the response's: each expected warning (and
/// pattern) present, and no other warning unless allowed. Without
/// `lenient`, a step that lists no warnings expects none (the format's rule);
/// with it, such a step accepts any (the Python runner's).
fn check_warnings(response: &http::Response<Bytes>, spec: &DoSpec, lenient: bool) -> Result<(), String> {
    let (got, malformed) = warning_texts(response);
    if !malformed.is_empty() {
        return Err(format!("warning headers not of the form `299 agent \"text\"`: {malformed:?}"));
    }
    let mut problems = Vec::new();
    for w in &spec.warnings {
        if !got.contains(w) {
            problems.push(format!("expected warning {w:?}"));
        }
    }
    for p in &spec.warnings_regex {
        if !got.iter().any(|g| p.is_match(g)) {
            problems.push(format!("expected a warning matching {:?}", p.as_str()));
        }
    }
    let lists_none = spec.warnings.is_empty() && spec.warnings_regex.is_empty();
    if !(lenient && lists_none) {
        for g in &got {
            let ok = spec.warnings.contains(g)
                || spec.allowed.contains(g)
                || g == LEGACY_TEMPLATE_WARNING
                || spec.warnings_regex.iter().chain(&spec.allowed_regex).any(|p| p.is_match(g));
            if !ok {
                problems.push(format!("unexpected warning {g:?}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; got {got:?}", problems.join(", ")))
    }
}

fn pairs(arg: &Value) -> Result<Vec<(String, Value)>, String> {
    match arg {
        Value::Object(m) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        other => Err(format!("expected a map, got {}", short(other))),
    }
}

/// Percent-encodes a query component (unreserved characters and `,` `*` kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
