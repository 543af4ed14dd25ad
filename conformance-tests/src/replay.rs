//! `fixtures DIR --runtime R`: recorded fixtures replayed through a real
//! runtime over HTTP. A [`StubServer`] on loopback serves the fixtures'
//! [`Cassette`] (each request answered with the matching exchange's
//! recorded response, or a 400 naming the mismatch), and every single-call
//! fixture is built through the typed API, sent by the runtime's executor,
//! and its answer checked: the stub matched the request, the status and
//! body are the recorded ones, and the typed API decodes it (a success into
//! its response type, an error status into an API error).
//!
//! Scenario fixtures (helpers) are not replayed here; their exchanges are
//! still served, so nothing else depends on them.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use elastik_proto::{PreparedRequest, RequestOptions};
use elastik_replay::{first_json_diff, json_eq, Cassette, ObservedRequest};
use elastik_testkit::{StubRequest, StubResponse, StubServer};
use serde_json::Value;

use crate::args::Args;
use crate::check::Report;
use crate::dispatch;
use crate::yaml::{connect, Runtime};

/// Header the stub puts on its answer to a request no exchange matches.
const MISMATCH: &str = "x-replay-mismatch";

/// A stub HTTP server answering from `cassette`.
pub fn serve(cassette: Cassette) -> StubServer {
    let cassette = Arc::new(Mutex::new(cassette));
    StubServer::start(move |req| {
        let observed = observe(req);
        let mut c = cassette.lock().unwrap_or_else(PoisonError::into_inner);
        match c.find(&observed) {
            Ok(x) => {
                let mut r = StubResponse::new(x.response.status).body(x.response.body_bytes().to_vec());
                for (k, v) in x.response.headers() {
                    r = r.header(k, v);
                }
                r
            }
            Err(m) => {
                let reason = m.to_string();
                StubResponse::json(
                    400,
                    serde_json::json!({"error": {"type": "replay_mismatch", "reason": reason}, "status": 400})
                        .to_string(),
                )
                .header(MISMATCH, "1")
            }
        }
    })
}

/// A request the stub received, in the matcher's terms.
pub fn observe(req: &StubRequest) -> ObservedRequest {
    let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
    ObservedRequest {
        method: req.method.clone(),
        path: path.to_owned(),
        query: query.to_owned(),
        accept: req.header("accept").map(str::to_owned),
        content_type: req.header("content-type").map(str::to_owned),
        body: req.body.clone().into(),
    }
}

/// Replays the single-call fixtures under `dir` through runtime `runtime`.
pub fn fixtures(dir: &Path, runtime: &str) -> Result<Report, String> {
    let cassette = Cassette::load(dir)?;
    let fixtures = single_call_fixtures(dir)?;
    let stub = serve(cassette);
    let rt = connect(runtime, &stub.url())?;
    let mut report = Report::default();
    for (name, fx) in fixtures {
        match replay_one(&*rt, &fx) {
            Ok(()) => report.passed += 1,
            Err(e) => report.failures.push(format!("{name}: {e}")),
        }
    }
    Ok(report)
}

fn replay_one(rt: &dyn Runtime, fx: &Value) -> Result<(), String> {
    let api = fx["api"].as_str().ok_or("no api")?;
    let args = Args {
        parts: fx.get("parts").and_then(Value::as_object).cloned().unwrap_or_default(),
        params: fx.get("params").and_then(Value::as_object).cloned().unwrap_or_default(),
        body: fx.get("body").cloned(),
    };
    let endpoint = dispatch::build(api, &args).ok_or_else(|| format!("unknown api {api}"))??;
    let request = endpoint.request().map_err(|e| format!("build: {e}"))?;
    let endpoint_id = dispatch::ENDPOINTS.iter().find(|e| **e == api).copied().unwrap_or("replay");
    let response = rt
        .execute(PreparedRequest { endpoint_id, request, options: RequestOptions::default() })
        .map_err(|e| format!("{}: {e}", rt.name()))?;
    if response.headers().contains_key(MISMATCH) {
        return Err(String::from_utf8_lossy(response.body()).into_owned());
    }
    let recorded = &fx["response"];
    let status = recorded["status"].as_u64().unwrap_or(200) as u16;
    if response.status().as_u16() != status {
        return Err(format!("status {} != recorded {status}", response.status()));
    }
    let body = response.body();
    match &recorded["body"] {
        Value::Null if body.is_empty() => {}
        Value::String(s) if s.as_bytes() == &body[..] => {}
        want => {
            let got: Value = serde_json::from_slice(body).map_err(|e| format!("body is not JSON ({e})"))?;
            if !json_eq(&got, want) {
                return Err(format!("body {}", first_json_diff(&got, want, "$")));
            }
        }
    }
    let head_404 = status == 404 && fx["request"]["method"] == "HEAD";
    match endpoint.decode_value(&response) {
        Ok(_) if status < 400 || head_404 => Ok(()),
        Ok(v) => Err(format!("status {status} decoded as success: {v}")),
        Err(elastik_proto::Error::Api(_)) if status >= 400 => Ok(()),
        Err(e) => Err(format!("decode: {e}")),
    }
}

/// `(name, fixture)` of every single-call fixture under `dir`, in file order.
fn single_call_fixtures(dir: &Path) -> Result<Vec<(String, Value)>, String> {
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
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let items: Vec<Value> = if f.extension().is_some_and(|x| x == "jsonl") {
            text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect::<Result<_, _>>()
        } else {
            serde_json::from_str(&text).map(|v| vec![v])
        }
        .map_err(|e| format!("{}: {e}", f.display()))?;
        for fx in items.into_iter().filter(|fx| fx.get("kind").and_then(Value::as_str) != Some("scenario")) {
            let name = fx.get("name").and_then(Value::as_str).unwrap_or("?").to_owned();
            out.push((name, fx));
        }
    }
    Ok(out)
}
