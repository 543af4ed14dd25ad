//! The three checks. Each returns a [`Report`]: one line per failure and the counts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::args::Args;
use crate::dispatch;

/// Outcome of a check.
#[derive(Debug, Default)]
pub struct Report {
    /// Passed cases.
    pub passed: usize,
    /// Failed cases, each `name: reason`.
    pub failures: Vec<String>,
    /// Extra lines to print first (e.g. the coverage JSON).
    pub lines: Vec<String>,
}

impl Report {
    fn record(&mut self, name: &str, r: Result<(), String>) {
        match r {
            Ok(()) => self.passed += 1,
            Err(e) => self.failures.push(format!("{name}: {e}")),
        }
    }

    /// `N passed, M failed`
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failures.len())
    }
}

/// Endpoints and types of the schema versus what was generated.
pub fn coverage(schema: &Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(schema).map_err(|e| format!("{}: {e}", schema.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let eps: Vec<String> =
        v["endpoints"].as_array().into_iter().flatten().filter_map(|e| e["name"].as_str().map(str::to_owned)).collect();
    let types: Vec<String> = v["types"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            format!("{}::{}", t["name"]["namespace"].as_str().unwrap_or(""), t["name"]["name"].as_str().unwrap_or(""))
        })
        .collect();
    let gen_eps: BTreeSet<&str> = dispatch::ENDPOINTS.iter().copied().collect();
    let gen_types: BTreeSet<&str> = dispatch::TYPES.iter().copied().collect();
    let mut r = Report::default();
    let e_ok = eps.iter().filter(|e| gen_eps.contains(e.as_str())).count();
    let t_ok = types.iter().filter(|t| gen_types.contains(t.as_str())).count();
    r.lines.push(format!(
        "{{\"endpoints_in_schema\":{},\"endpoints_generated\":{e_ok},\"types_in_schema\":{},\"types_generated\":{t_ok}}}",
        eps.len(),
        types.len()
    ));
    for e in &eps {
        r.record(
            &format!("endpoint {e}"),
            if gen_eps.contains(e.as_str()) { Ok(()) } else { Err("not generated".into()) },
        );
    }
    for t in &types {
        r.record(
            &format!("type {t}"),
            if gen_types.contains(t.as_str()) { Ok(()) } else { Err("not generated".into()) },
        );
    }
    Ok(r)
}

/// Request and response examples of the specification.
pub fn examples(spec: &Path) -> Result<Report, String> {
    let dir = spec.join("examples");
    let mut apis: Vec<PathBuf> =
        std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?.flatten().map(|e| e.path()).collect();
    apis.sort();
    let mut req = Report::default();
    let mut resp = Report::default();
    for api_dir in apis {
        let api = api_dir.file_name().and_then(|n| n.to_str()).unwrap_or("").to_owned();
        for (kind, report) in [("request", &mut req), ("response", &mut resp)] {
            let mut files: Vec<PathBuf> = match std::fs::read_dir(api_dir.join(kind)) {
                Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
                Err(_) => continue,
            };
            files.sort();
            for f in files {
                let name = format!("{api}/{kind}/{}", f.file_name().and_then(|n| n.to_str()).unwrap_or(""));
                let result = std::fs::read_to_string(&f)
                    .map_err(|e| e.to_string())
                    .and_then(|t| serde_yaml::from_str::<Value>(&t).map_err(|e| format!("yaml: {e}")))
                    .and_then(
                        |y| if kind == "request" { request_example(&api, &y) } else { response_example(&api, &y) },
                    );
                report.record(&name, result);
            }
        }
    }
    let mut r = Report::default();
    r.lines.push(format!("requests: {}", req.summary()));
    r.lines.push(format!("responses: {}", resp.summary()));
    let console = CONSOLE_SYNTAX.load(std::sync::atomic::Ordering::Relaxed);
    r.lines.push(format!("examples read as Console syntax (triple quotes, comments, trailing commas): {console}"));
    let rerouted = REROUTED.load(std::sync::atomic::Ordering::Relaxed);
    r.lines.push(format!("request examples filed under another endpoint than their method and path name: {rerouted}"));
    r.passed = req.passed + resp.passed;
    r.failures = req.failures.into_iter().chain(resp.failures).collect();
    Ok(r)
}

/// Examples whose body needed [`crate::console`] to be read.
static CONSOLE_SYNTAX: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// An example body: strict JSON, else Kibana Console syntax (triple-quoted
/// strings, `//` comments, trailing commas); anything else is an error.
fn parse_example(s: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(s).or_else(|strict| {
        let v = crate::console::to_json(s).and_then(|j| serde_json::from_str(&j).ok()).ok_or(strict)?;
        CONSOLE_SYNTAX.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(v)
    })
}

fn example_body(y: &Value) -> Option<Value> {
    match y.get("value")? {
        Value::String(s) => Some(parse_example(s).unwrap_or(Value::String(s.clone()))),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

fn request_example(api: &str, y: &Value) -> Result<(), String> {
    let line = y.get("method_request").and_then(Value::as_str).ok_or("no method_request")?;
    let (method, target) = line.trim().split_once(' ').ok_or("malformed method_request")?;
    let target = target.trim();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
    let mut args = Args::default();
    // Routed by method and path: to the endpoint it is filed under when one
    // of its URLs matches, else to whichever endpoint's URL does (some
    // examples are filed under a neighbouring API).
    let (api, parts) = match route(api, method, &path) {
        Ok(parts) => (api, parts),
        Err(e) => {
            let routed = route_any(method, &path).ok_or(e)?;
            REROUTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            routed
        }
    };
    args.parts = parts;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
        args.params.insert(decode(k), Value::String(decode(v)));
    }
    let ndjson = matches!(
        api,
        "bulk"
            | "msearch"
            | "msearch_template"
            | "fleet.msearch"
            | "monitoring.bulk"
            | "ml.post_data"
            | "text_structure.find_structure"
    );
    let body = match y.get("value") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if ndjson => Some(Value::Array(
            s.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).map_err(|e| format!("NDJSON line is not JSON ({e})")))
                .collect::<Result<_, _>>()?,
        )),
        Some(Value::String(s)) => {
            Some(parse_example(s).map_err(|e| format!("example body is not JSON nor Console syntax ({e})"))?)
        }
        Some(other) => Some(other.clone()),
    };
    args.body = body.clone();
    let ep = dispatch::build(api, &args).ok_or("unknown api")??;
    let built = ep.request().map_err(|e| e.to_string())?;
    let methods = allowed_methods(api, &path);
    if !methods.contains(&built.method().as_str().to_owned()) || !methods.contains(&method.to_owned()) {
        return Err(format!("method {} not allowed for {path}", built.method()));
    }
    let (bpath, bquery) = split_uri(built.uri());
    if !same_path(&bpath, &path) {
        return Err(format!("path {bpath} != {path}"));
    }
    let want: BTreeSet<(String, String)> =
        args.params.iter().map(|(k, v)| (k.clone(), crate::args::to_string(v).unwrap_or_default())).collect();
    if bquery != want {
        return Err(format!("query {bquery:?} != {want:?}"));
    }
    compare_body(&built, body.as_ref())
}

fn response_example(api: &str, y: &Value) -> Result<(), String> {
    let body = example_body(y).ok_or("no value")?;
    if let Value::String(_) = body {
        return Err(
            "example is neither JSON nor Console syntax (shortened with `...`, a missing comma, or text)".into()
        );
    }
    let args = dummy_args(api);
    let ep = dispatch::build(api, &args).ok_or("unknown api")??;
    let resp = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Bytes::from(serde_json::to_vec(&body).unwrap_or_default()))
        .map_err(|e| e.to_string())?;
    let back = ep.decode_value(&resp).map_err(|e| format!("decode: {e}"))?;
    json_eq(&body, &back, "$")
}

/// Args with every required part set, for decoding responses.
fn dummy_args(api: &str) -> Args {
    let mut a = Args::default();
    for (name, path, _) in dispatch::URLS {
        if *name == api {
            for part in path.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(p, _)| p)) {
                a.parts.insert(part.to_owned(), Value::String("x".into()));
            }
        }
    }
    a
}

fn allowed_methods(api: &str, path: &str) -> Vec<String> {
    dispatch::URLS
        .iter()
        .filter(|(n, t, _)| *n == api && match_template(t, path).is_some())
        .flat_map(|(_, _, ms)| ms.iter().map(|m| m.to_string()))
        .collect()
}

/// Request examples filed under one endpoint and routed to another.
static REROUTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The endpoint and parts of the best-matching URL of any endpoint accepting
/// `method` (most literal segments; `None` when it is ambiguous).
fn route_any(method: &str, path: &str) -> Option<(&'static str, Map<String, Value>)> {
    let mut found: Vec<(usize, &'static str, Map<String, Value>)> = Vec::new();
    for (name, template, methods) in dispatch::URLS {
        if !methods.contains(&method) {
            continue;
        }
        if let Some(parts) = match_template(template, path) {
            let literals = template.split('/').filter(|s| !s.starts_with('{')).count();
            found.push((literals, *name, parts));
        }
    }
    let best = found.iter().map(|f| f.0).max()?;
    let mut best: Vec<_> = found.into_iter().filter(|f| f.0 == best).collect();
    if best.len() != 1 {
        return None;
    }
    best.pop().map(|(_, name, parts)| (name, parts))
}

/// The parts of `path` for the best-matching URL of `api` accepting `method`.
fn route(api: &str, method: &str, path: &str) -> Result<Map<String, Value>, String> {
    let mut best: Option<(usize, Map<String, Value>)> = None;
    for (name, template, methods) in dispatch::URLS {
        if *name != api || !methods.contains(&method) {
            continue;
        }
        if let Some(parts) = match_template(template, path) {
            let literals = template.split('/').filter(|s| !s.starts_with('{')).count();
            if best.as_ref().is_none_or(|(l, _)| literals > *l) {
                best = Some((literals, parts));
            }
        }
    }
    best.map(|(_, p)| p).ok_or_else(|| format!("no URL of {api} matches {method} {path}"))
}

fn match_template(template: &str, path: &str) -> Option<Map<String, Value>> {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut parts = Map::new();
    for (a, b) in t.iter().zip(&p) {
        if let Some(name) = a.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if b.is_empty() {
                return None;
            }
            parts.insert(name.to_owned(), Value::String(decode(b)));
        } else if a != b {
            return None;
        }
    }
    Some(parts)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn split_uri(uri: &http::Uri) -> (String, BTreeSet<(String, String)>) {
    let q = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (uri.path().to_owned(), q)
}

fn same_path(a: &str, b: &str) -> bool {
    let trim = |p: &str| if p.len() > 1 { p.trim_end_matches('/').to_owned() } else { p.to_owned() };
    let da: Vec<String> = trim(a).split('/').map(decode).collect();
    let db: Vec<String> = trim(b).split('/').map(decode).collect();
    da == db
}

fn compare_body(built: &http::Request<elastik_proto::Body>, want: Option<&Value>) -> Result<(), String> {
    let bytes = built.body().bytes();
    let is_ndjson =
        built.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|c| c.contains("ndjson"));
    let got: Option<Value> = if bytes.is_empty() {
        None
    } else if is_ndjson {
        let lines: Result<Vec<Value>, _> =
            String::from_utf8_lossy(&bytes).lines().filter(|l| !l.is_empty()).map(serde_json::from_str).collect();
        Some(Value::Array(lines.map_err(|e| format!("sent NDJSON is not JSON: {e}"))?))
    } else {
        Some(
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        )
    };
    match (want, got) {
        (None, None) => Ok(()),
        (Some(Value::Null), None) => Ok(()),
        (Some(w), Some(g)) => json_eq(w, &g, "body"),
        (w, g) => Err(format!("body {g:?} != {w:?}")),
    }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
pub fn json_eq(a: &Value, b: &Value, at: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x == y || x.as_f64() == y.as_f64() {
                Ok(())
            } else {
                Err(format!("{at}: {x} != {y}"))
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!("{at}: {} items != {} items", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                json_eq(p, q, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => json_eq(v, w, &format!("{at}.{k}"))?,
                    None => return Err(format!("{at}.{k}: lost")),
                }
            }
            for k in y.keys() {
                if !x.contains_key(k) {
                    return Err(format!("{at}.{k}: added"));
                }
            }
            Ok(())
        }
        (x, y) if x == y => Ok(()),
        (x, y) => Err(format!("{at}: {x} != {y}")),
    }
}

/// Recorded fixtures in `dir` (scenario fixtures are skipped: helpers run them).
pub fn fixtures(dir: &Path) -> Result<Report, String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json" || x == "jsonl") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut r = Report::default();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| e.to_string())?;
        let items: Vec<Value> = if f.extension().is_some_and(|x| x == "jsonl") {
            text.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect()
        } else {
            serde_json::from_str(&text).map(|v| vec![v]).map_err(|e| format!("{}: {e}", f.display()))?
        };
        for fx in items {
            if fx.get("kind").and_then(Value::as_str) == Some("scenario") {
                continue;
            }
            let name = fx.get("name").and_then(Value::as_str).unwrap_or("?").to_owned();
            r.record(&name, fixture(&fx));
        }
    }
    Ok(r)
}

fn fixture(fx: &Value) -> Result<(), String> {
    let api = fx["api"].as_str().ok_or("no api")?;
    let args = Args {
        parts: fx.get("parts").and_then(Value::as_object).cloned().unwrap_or_default(),
        params: fx.get("params").and_then(Value::as_object).cloned().unwrap_or_default(),
        body: fx.get("body").cloned(),
    };
    let ep = dispatch::build(api, &args).ok_or_else(|| format!("unknown api {api}"))??;
    let built = ep.request().map_err(|e| format!("build: {e}"))?;
    let want = &fx["request"];
    if built.method().as_str() != want["method"].as_str().unwrap_or("") {
        return Err(format!("method {} != {}", built.method(), want["method"]));
    }
    let (path, query) = split_uri(built.uri());
    let wpath = want["path"].as_str().unwrap_or("");
    if !same_path(&path, wpath) {
        return Err(format!("path {path} != {wpath}"));
    }
    let wquery: BTreeSet<(String, String)> = want["query"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), crate::args::to_string(v).unwrap_or_default()))
        .collect();
    if query != wquery {
        return Err(format!("query {query:?} != {wquery:?}"));
    }
    for h in ["accept", "content-type"] {
        let ours = built.headers().get(h).and_then(|v| v.to_str().ok());
        let theirs = want["headers"].get(h).and_then(Value::as_str);
        if !media_match(ours, theirs) {
            return Err(format!("{h} {ours:?} != {theirs:?}"));
        }
    }
    compare_body(&built, want.get("body"))?;
    // The response.
    let resp = &fx["response"];
    let status = resp["status"].as_u64().unwrap_or(200) as u16;
    let mut builder = http::Response::builder().status(status);
    if let Some(h) = resp["headers"].as_object() {
        for (k, v) in h {
            if let Some(v) = v.as_str() {
                builder = builder.header(k.as_str(), v);
            }
        }
    }
    let bytes = match &resp["body"] {
        Value::Null => Bytes::new(),
        Value::String(s) => Bytes::from(s.clone()),
        other => Bytes::from(serde_json::to_vec(other).unwrap_or_default()),
    };
    let response = builder.body(bytes).map_err(|e| e.to_string())?;
    match ep.decode_value(&response) {
        Ok(_) if status < 400 || (status == 404 && built.method() == http::Method::HEAD) => Ok(()),
        Ok(v) => Err(format!("status {status} decoded as success: {v}")),
        Err(elastik_proto::Error::Api(_)) if status >= 400 => Ok(()),
        Err(e) => Err(format!("decode: {e}")),
    }
}

/// Plain media type essences, compatibility forms mapped to plain ones.
fn essences(v: &str) -> BTreeSet<String> {
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

/// Both name the same media types (a list compares as a set; the
/// `compatible-with` version does not matter).
fn media_match(ours: Option<&str>, theirs: Option<&str>) -> bool {
    match (ours, theirs) {
        (None, None) => true,
        (Some(o), Some(t)) => {
            let (o, t) = (essences(o), essences(t));
            !o.is_empty() && o == t
        }
        _ => false,
    }
}
