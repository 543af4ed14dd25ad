//! # elastik-replay
//!
//! Test your own code against recorded Elasticsearch traffic, without a
//! server: a [`ReplayExecutor`] answers every request of a
//! `Client<ReplayExecutor>` with the recorded response of the matching
//! exchange, and remembers every request that matched none.
//!
//! Exchanges are fixture files, described in [`format`](mod@format) (one JSON object per
//! `.json` file, or one per line in `.jsonl`; scenario fixtures contribute
//! each of their exchanges). A request matches a recorded one when the method
//! is equal, the paths are equal after percent-decoding, the query parameters
//! are equal as a set, the bodies are equal as JSON (NDJSON line by line, text
//! by bytes), and `accept`/`content-type` name the same media type (the
//! `compatible-with` version may differ).
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
//! ## Recording
//!
//! A [`RecordingExecutor`] wraps any executor, in real use a live runtime's,
//! and records every call that gets a response; [`RecordingExecutor::save`]
//! writes them as a `.jsonl` cassette that [`Cassette::load`] reads back. No
//! credential is written (see [`RecordingExecutor`] for what is kept).
//!
//! ```
//! use elastik_api::{Client, Ping};
//! use elastik_replay::{RecordingExecutor, ReplayExecutor};
//! # use elastik_replay::Cassette;
//! # let dir = std::env::temp_dir().join(format!("elastik-replay-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let mut server = Cassette::new();
//! # server.push_fixture(&serde_json::json!({
//! #     "request": {"method": "HEAD", "path": "/"},
//! #     "response": {"status": 200, "headers": {"x-elastic-product": "Elasticsearch"}}
//! # }), "ping").unwrap();
//! # let live = Client::from_executor(ReplayExecutor::new(server));
//! // `live` stands for a client of a real runtime, such as
//! // `elastik::tokio::Client::new("http://localhost:9200")?` (whose calls
//! // take an `.await`). Its executor holds its connections and settings.
//! let recorder = RecordingExecutor::new(live.executor().clone());
//! let client = Client::from_executor(recorder.clone());
//! assert!(client.send(Ping::new()).unwrap());
//! recorder.save(dir.join("ping.jsonl")).unwrap();
//!
//! // Later, without a server:
//! let replay = ReplayExecutor::load(dir.join("ping.jsonl")).unwrap();
//! assert!(Client::from_executor(replay.clone()).send(Ping::new()).unwrap());
//! assert_eq!(replay.served(), ["ping/0"]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! `Client::<RecordingExecutor<X>>::builder()` also works: it builds the
//! runtime's executor `X` from the settings and wraps it, and
//! `client.executor()` is then the recorder.
//!
//! What it does not do: the transport's work. No node selection, retries,
//! compression, product check or compatibility headers: the executor sees the
//! request as the endpoint built it (plain media types, which match the
//! recorded compatibility ones) and returns the recorded response as is, so
//! the endpoint decodes it exactly as it would a live one. To replay through
//! a real runtime and HTTP, serve the same [`Cassette`] from an HTTP stub (the
//! conformance runner's `fixtures DIR --runtime R` does).

mod cassette;
pub mod format;
mod record;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use elastik_proto::{Error, Executor, PreparedRequest};

pub use cassette::{
    first_json_diff, json_eq, percent_decode, Cassette, Exchange, Mismatch, ObservedRequest, RecordedRequest,
    RecordedResponse,
};
pub use record::RecordingExecutor;

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
