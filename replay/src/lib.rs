//! # elastik-replay
//!
//! Test your own code against recorded Elasticsearch traffic, without a
//! server: a [`ReplayExecutor`] answers every request of a
//! `Client<ReplayExecutor>` with the recorded response of the matching
//! exchange, and remembers every request that matched none.
//!
//! Exchanges are fixture files in the format of `shared/fixtures/FORMAT.md`
//! (one JSON object per `.json` file, or one per line in `.jsonl`; scenario
//! fixtures contribute each of their exchanges). A request matches a recorded
//! one when the method is equal, the paths are equal after percent-decoding,
//! the query parameters are equal as a set, the bodies are equal as JSON (NDJSON
//! line by line, text by bytes), and `accept`/`content-type` name the same
//! media type (the `compatible-with` version may differ).
//!
//! ```
//! use elastik_api::Client;
//! use elastik_replay::{Cassette, ReplayExecutor};
//! use serde_json::json;
//!
//! let mut cassette = Cassette::new();
//! cassette.push_fixture(&json!({
//!     "name": "ping",
//!     "request": {"method": "HEAD", "path": "/", "query": {}, "headers": {}, "body": null},
//!     "response": {"status": 200, "headers": {"x-elastic-product": "Elasticsearch"}, "body": null}
//! }), "ping").unwrap();
//! let replay = ReplayExecutor::new(cassette);
//! let client = Client::from_executor(replay.clone());
//!
//! // The output of a replay client is the value itself: no runtime needed.
//! assert!(client.send(elastik_api::Ping::new()).unwrap());
//! // A request nothing recorded answers fails, and is kept with a diff.
//! assert!(client.send(elastik_api::Info::new()).is_err());
//! let mismatches = replay.mismatches();
//! assert_eq!(mismatches[0].request, "GET /");
//! assert!(replay.assert_all_matched().is_err());
//! ```
//!
//! Identical requests with different recorded answers (a `GET` before and
//! after an update) are served in recording order: the search for a match
//! starts after the last exchange served.
//!
//! What it does not do: the transport's work. No node selection, retries,
//! compression, product check or compatibility headers: the executor sees the
//! request as the endpoint built it (plain media types, which match the
//! recorded compatibility ones) and returns the recorded response as is, so
//! the endpoint decodes it exactly as it would a live one. To replay through
//! a real runtime and HTTP, serve the same [`Cassette`] from an HTTP stub (the
//! conformance runner's `fixtures DIR --runtime R` does).

mod cassette;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use elastik_proto::{Error, Executor, PreparedRequest};

pub use cassette::{
    first_json_diff, json_eq, percent_decode, Cassette, Exchange, Mismatch, ObservedRequest, RecordedRequest,
    RecordedResponse,
};

/// An [`Executor`] that serves a [`Cassette`]. Clones share the cassette and
/// the mismatch log. Its output is the value itself (`Output<T> = T`).
#[derive(Clone, Debug)]
pub struct ReplayExecutor {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    cassette: Cassette,
    mismatches: Vec<Mismatch>,
}

impl ReplayExecutor {
    /// Serves `cassette`.
    pub fn new(cassette: Cassette) -> Self {
        ReplayExecutor { state: Arc::new(Mutex::new(State { cassette, mismatches: Vec::new() })) }
    }

    /// Serves the fixtures under `path` (a file or a directory).
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, String> {
        Cassette::load(path).map(ReplayExecutor::new)
    }

    /// The requests no exchange matched so far, with their diffs.
    pub fn mismatches(&self) -> Vec<Mismatch> {
        self.lock().mismatches.clone()
    }

    /// Names of the exchanges served so far, in order.
    pub fn served(&self) -> Vec<String> {
        let s = self.lock();
        s.cassette.served().iter().map(|&i| s.cassette.exchanges()[i].name.clone()).collect()
    }

    /// Names of the exchanges never served.
    pub fn unused(&self) -> Vec<String> {
        self.lock().cassette.unused().into_iter().map(|x| x.name.clone()).collect()
    }

    /// `Err` listing every mismatched request with its diff, if any.
    pub fn assert_all_matched(&self) -> Result<(), String> {
        let m = self.mismatches();
        if m.is_empty() {
            Ok(())
        } else {
            Err(m.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Executor for ReplayExecutor {
    type Output<T: Send + 'static> = T;

    /// The recorded response of the matching exchange, or an
    /// [`Error::Build`] naming the mismatch (also kept in [`ReplayExecutor::mismatches`]).
    fn execute(&self, request: PreparedRequest) -> Result<http::Response<Bytes>, Error> {
        let observed = observe(&request.request);
        let mut state = self.lock();
        match state.cassette.find(&observed) {
            Ok(x) => Ok(x.response.to_http()),
            Err(m) => {
                let e = Error::build(format!("replay: {m}"));
                state.mismatches.push(m);
                Err(e)
            }
        }
    }

    fn ready<T: Send + 'static>(value: T) -> T {
        value
    }

    fn map<T, U, F>(output: T, f: F) -> U
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(T) -> U + Send + 'static,
    {
        f(output)
    }
}

/// The parts of a built request the matcher compares.
pub fn observe(request: &http::Request<elastik_proto::Body>) -> ObservedRequest {
    let header = |h: http::HeaderName| request.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_owned);
    ObservedRequest {
        method: request.method().as_str().to_owned(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or("").to_owned(),
        accept: header(http::header::ACCEPT),
        content_type: header(http::header::CONTENT_TYPE).or_else(|| request.body().content_type().map(str::to_owned)),
        body: request.body().bytes(),
    }
}
