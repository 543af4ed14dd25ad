//! The scan: every document of a search, page by page, with the point in
//! time or scroll always closed.
//!
//! [`Scan`] pages through a search and emits each hit as a [`Hit<T>`]:
//!
//! - **Point in time** (the default): `POST /{index}/_pit` →
//!   `POST /_search` with `pit` and `search_after`, sorted by `_shard_doc` →
//!   `DELETE /_pit`. A page shorter than `size` is the last one.
//! - **Scroll** (for `preserve_order`, when chosen, and as the fallback when
//!   the server has no point in time: opening one answers 400, 404 or 405):
//!   `POST /{index}/_search?scroll=…` sorted by `_doc` (or by the body's own
//!   sort with `preserve_order`) → `POST /_search/scroll` until an empty
//!   page → `DELETE /_search/scroll`.
//!
//! The point in time or scroll this machine opened is closed in every
//! ending: when the pages run out, when the consumer calls
//! [`cancel`](Scan::cancel) (the close request is the next
//! [`Step::Send`]; an answer still in flight is awaited first, as
//! it may carry a newer id), and when a request fails. A failure is emitted
//! as `Err` after the close request went out and after the hits that came
//! before it; then the machine is done. A hit whose `_source` does not
//! decode as `T` is emitted as `Err` too, and the scan goes on.
//!
//! Sliced scans run one machine per slice ([`ScanConfig::slice`]); each
//! opens its own point in time unless they share one the caller opened
//! ([`ScanConfig::pit_id`], which the machines then never close).
//!
//! Out of scope: sending, waiting and the consumer's stream or iterator
//! (the runtimes); retrying a failed page (the transport retries each
//! request on its own).

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::time::Instant;

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::body::Body;
use crate::endpoint::{build_request, decode_json, PathBuilder, Query};
use crate::error::Error;
use crate::helpers::{HelperRequest, Role, Token};
use crate::machine::{Machine, Step};
use crate::transport::RequestOptions;

/// What to scan and how.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ScanConfig {
    /// Indices, data streams or aliases (none: all).
    pub index: Vec<String>,
    /// The search body: `query`, `_source`, `sort` (with `preserve_order`),
    /// `runtime_mappings`, … `size`, `pit`, `search_after` and `slice` are
    /// set by the machine.
    pub body: Map<String, Value>,
    /// Hits per page (default 1000).
    pub size: u32,
    /// How long the point in time or scroll stays open between pages
    /// (default `5m`).
    pub keep_alive: String,
    /// Point in time or scroll.
    pub mode: ScanMode,
    /// Keep the body's `sort` (scroll only; implies [`ScanMode::Scroll`]).
    pub preserve_order: bool,
    /// This machine's slice, as `(id, max)`.
    pub slice: Option<(u32, u32)>,
    /// A point in time opened by the caller (shared by sliced machines):
    /// used, never opened nor closed.
    pub pit_id: Option<String>,
    /// Fail the scan when some shards failed (default true): otherwise
    /// their documents would be silently missing.
    pub fail_on_shard_failure: bool,
    /// Extra query parameters of the search requests.
    pub params: Query,
}

/// How the scan pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScanMode {
    /// Point in time, falling back to scroll when the server has none.
    #[default]
    Auto,
    /// Point in time only.
    PointInTime,
    /// Scroll only.
    Scroll,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            index: Vec::new(),
            body: Map::new(),
            size: 1000,
            keep_alive: "5m".to_owned(),
            mode: ScanMode::Auto,
            preserve_order: false,
            slice: None,
            pit_id: None,
            fail_on_shard_failure: true,
            params: Query::new(),
        }
    }
}

impl ScanConfig {
    /// Scans `index` (comma-separated names are fine).
    pub fn new(index: impl Into<String>) -> Self {
        ScanConfig { index: vec![index.into()], ..ScanConfig::default() }
    }

    /// Sets the `query` clause.
    pub fn query(mut self, query: Value) -> Self {
        self.body.insert("query".to_owned(), query);
        self
    }

    /// Replaces the search body (a JSON object; anything else is ignored).
    pub fn body(mut self, body: Value) -> Self {
        if let Value::Object(map) = body {
            self.body = map;
        }
        self
    }

    /// Hits per page.
    pub fn size(mut self, size: u32) -> Self {
        self.size = size.max(1);
        self
    }

    /// Keep-alive between pages (`30s`, `5m`, …).
    pub fn keep_alive(mut self, keep_alive: impl Into<String>) -> Self {
        self.keep_alive = keep_alive.into();
        self
    }

    /// Point in time or scroll.
    pub fn mode(mut self, mode: ScanMode) -> Self {
        self.mode = mode;
        self
    }

    /// Keeps the body's sort (by scrolling).
    pub fn preserve_order(mut self, yes: bool) -> Self {
        self.preserve_order = yes;
        self
    }

    /// Scans slice `id` of `max`.
    pub fn slice(mut self, id: u32, max: u32) -> Self {
        self.slice = Some((id, max));
        self
    }

    /// Uses a point in time opened by the caller.
    pub fn pit_id(mut self, id: impl Into<String>) -> Self {
        self.pit_id = Some(id.into());
        self
    }

    /// Whether shard failures fail the scan.
    pub fn fail_on_shard_failure(mut self, yes: bool) -> Self {
        self.fail_on_shard_failure = yes;
        self
    }

    /// Adds a query parameter to the search requests.
    pub fn param(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.params.push(name, value);
        self
    }
}

/// One document of the scan.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Hit<T> {
    /// `_index`.
    pub index: String,
    /// `_id`.
    pub id: Option<String>,
    /// `_score`.
    pub score: Option<f64>,
    /// `_routing`.
    pub routing: Option<String>,
    /// `_source`, decoded (from `null` when the source was not returned).
    pub source: T,
    /// `sort` values.
    pub sort: Vec<Value>,
    /// `fields`, when requested.
    pub fields: Option<Map<String, Value>>,
}

/// Counters of a scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanStats {
    /// Search pages received.
    pub pages: u64,
    /// Hits received (emitted or not).
    pub hits: u64,
    /// Requests sent (open, pages, close).
    pub requests: u64,
}

/// The scan machine. See the [module docs](self).
#[derive(Debug)]
pub struct Scan<T> {
    config: ScanConfig,
    /// Point in time or scroll, once decided.
    scroll: bool,
    cursor: Cursor,
    search_after: Option<Vec<Value>>,
    next: Option<Page>,
    in_flight: Option<(Token, Page)>,
    next_token: u64,
    queue: VecDeque<Result<Hit<T>, Error>>,
    cancelled: bool,
    close_error: Option<Error>,
    stats: ScanStats,
    _hits: PhantomData<fn() -> T>,
}

/// What is open on the server.
#[derive(Clone, Debug)]
enum Cursor {
    None,
    Pit { id: String, owned: bool },
    Scroll(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    OpenPit,
    First,
    Next,
    Close,
}

impl<T: DeserializeOwned> Scan<T> {
    /// A scan; nothing is sent before the first [`poll`](Self::poll).
    pub fn new(config: ScanConfig) -> Self {
        let scroll = config.preserve_order || config.mode == ScanMode::Scroll;
        let (cursor, next) = match (&config.pit_id, scroll) {
            (Some(id), false) => (Cursor::Pit { id: id.clone(), owned: false }, Page::First),
            (_, false) => (Cursor::None, Page::OpenPit),
            (_, true) => (Cursor::None, Page::First),
        };
        Scan {
            config,
            scroll,
            cursor,
            search_after: None,
            next: Some(next),
            in_flight: None,
            next_token: 0,
            queue: VecDeque::new(),
            cancelled: false,
            close_error: None,
            stats: ScanStats::default(),
            _hits: PhantomData,
        }
    }

    /// Stops early: buffered hits are dropped and the point in time or
    /// scroll is closed (the close request is the next `Send`).
    pub fn cancel(&mut self) {
        self.cancelled = true;
        self.queue.clear();
        if self.in_flight.is_none() {
            self.next = self.close_step();
        }
    }

    /// The counters.
    pub fn stats(&self) -> ScanStats {
        self.stats
    }

    /// The point in time id or scroll id currently open, if any.
    pub fn open_id(&self) -> Option<&str> {
        match &self.cursor {
            Cursor::None => None,
            Cursor::Pit { id, .. } | Cursor::Scroll(id) => Some(id),
        }
    }

    /// Whether the scan scrolls (chosen, for `preserve_order`, or after falling back).
    pub fn is_scroll(&self) -> bool {
        self.scroll
    }

    /// The error of the close request, if it failed (the hits were all
    /// delivered; the server drops the context after `keep_alive`).
    pub fn close_error(&self) -> Option<&Error> {
        self.close_error.as_ref()
    }

    /// What to do next.
    pub fn poll(&mut self, _now: Instant) -> Step<HelperRequest, Result<Hit<T>, Error>> {
        // Fetch one page ahead of the consumer, not more.
        let room = self.queue.len() < self.config.size as usize;
        if self.in_flight.is_none() && (room || self.next == Some(Page::Close)) {
            if let Some(step) = self.next.take() {
                return Step::Send(self.request(step));
            }
        }
        if let Some(hit) = self.queue.pop_front() {
            return Step::Emit(hit);
        }
        if self.in_flight.is_some() {
            return Step::Wait(None);
        }
        Step::Done
    }

    /// The answer to the request with this token. Unknown tokens are ignored.
    pub fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, _now: Instant) {
        let step = match self.in_flight {
            Some((t, step)) if t == token => step,
            _ => return,
        };
        self.in_flight = None;
        match step {
            Page::OpenPit => self.handle_open(result),
            Page::First | Page::Next => self.handle_page(result),
            Page::Close => {
                self.cursor = Cursor::None;
                if let Err(e) = result.and_then(|r| crate::endpoint::check_status(&r)) {
                    self.close_error = Some(e);
                }
            }
        }
    }

    fn handle_open(&mut self, result: Result<http::Response<Bytes>, Error>) {
        #[derive(Deserialize)]
        struct Opened {
            id: String,
        }
        match result.and_then(|r| decode_json::<Opened>(&r)) {
            Ok(opened) => {
                self.cursor = Cursor::Pit { id: opened.id, owned: true };
                self.next = if self.cancelled { self.close_step() } else { Some(Page::First) };
            }
            Err(e) if self.config.mode == ScanMode::Auto && is_unsupported(&e) => {
                self.scroll = true;
                self.next = (!self.cancelled).then_some(Page::First);
            }
            Err(e) => {
                if !self.cancelled {
                    self.queue.push_back(Err(e));
                }
            }
        }
    }

    fn handle_page(&mut self, result: Result<http::Response<Bytes>, Error>) {
        self.stats.pages += 1;
        let page = result.and_then(|r| {
            let page = decode_json::<SearchPage>(&r);
            if page.is_err() {
                // An error answer may still name the context to close.
                if let Ok(partial) = serde_json::from_slice::<ContextIds>(r.body()) {
                    self.update_cursor(partial.scroll_id, partial.pit_id);
                }
            }
            page
        });
        let page = match page {
            Ok(page) => page,
            Err(e) => return self.fail(e),
        };
        self.update_cursor(page.scroll_id, page.pit_id);
        if self.cancelled {
            self.next = self.close_step();
            return;
        }
        if let Some(shards) = page.shards.filter(|s| s.failed > 0 && self.config.fail_on_shard_failure) {
            let message = format!(
                "{} of {} shards failed; their documents would be missing: {}",
                shards.failed,
                shards.total,
                Value::from(shards.failures)
            );
            return self.fail(Error::decode(message, &[]));
        }
        let count = page.hits.hits.len();
        self.stats.hits += count as u64;
        let last_sort = page.hits.hits.last().map(|h| h.sort.clone());
        for raw in page.hits.hits {
            self.queue.push_back(raw.decode());
        }
        let exhausted = if self.scroll { count == 0 } else { count < self.config.size as usize };
        if exhausted {
            self.next = self.close_step();
            return;
        }
        if self.scroll && !matches!(self.cursor, Cursor::Scroll(_)) {
            return self.fail(Error::decode("the search answer has no _scroll_id to continue with", &[]));
        }
        if !self.scroll {
            match last_sort {
                Some(sort) if !sort.is_empty() => self.search_after = Some(sort),
                _ => return self.fail(Error::decode("a hit of the page has no sort values to continue after", &[])),
            }
        }
        self.next = Some(Page::Next);
    }

    fn update_cursor(&mut self, scroll_id: Option<String>, pit_id: Option<String>) {
        if let Some(id) = scroll_id.filter(|_| self.scroll) {
            self.cursor = Cursor::Scroll(id);
        }
        if let (Some(new), Cursor::Pit { id, .. }) = (pit_id, &mut self.cursor) {
            *id = new;
        }
    }

    /// Queues the error behind the hits and closes what is open.
    fn fail(&mut self, error: Error) {
        if !self.cancelled {
            self.queue.push_back(Err(error));
        }
        self.next = self.close_step();
    }

    fn close_step(&self) -> Option<Page> {
        match &self.cursor {
            Cursor::Pit { owned: true, .. } | Cursor::Scroll(_) => Some(Page::Close),
            Cursor::Pit { owned: false, .. } | Cursor::None => None,
        }
    }

    fn request(&mut self, step: Page) -> HelperRequest {
        let token = Token(self.next_token);
        self.next_token += 1;
        self.in_flight = Some((token, step));
        self.stats.requests += 1;
        let index_path = |suffix: &str| {
            if self.config.index.is_empty() {
                suffix.to_owned()
            } else {
                PathBuilder::new().literal("/").list(&self.config.index).literal(suffix).finish()
            }
        };
        let json = |v: &Value| Body::Json(serde_json::to_vec(v).expect("a JSON value serializes").into());
        let (endpoint_id, method, path, query, body) = match (step, &self.cursor) {
            (Page::OpenPit, _) => {
                let mut query = Query::new();
                query.push("keep_alive", &self.config.keep_alive);
                ("open_point_in_time", Method::POST, index_path("/_pit"), query, Body::Empty)
            }
            (Page::Close, Cursor::Pit { id, .. }) => {
                ("close_point_in_time", Method::DELETE, "/_pit".to_owned(), Query::new(), json(&json!({ "id": id })))
            }
            (Page::Close, Cursor::Scroll(id)) => (
                "clear_scroll",
                Method::DELETE,
                "/_search/scroll".to_owned(),
                Query::new(),
                json(&json!({ "scroll_id": id })),
            ),
            (Page::Next, Cursor::Scroll(id)) => (
                "scroll",
                Method::POST,
                "/_search/scroll".to_owned(),
                Query::new(),
                json(&json!({ "scroll_id": id, "scroll": self.config.keep_alive })),
            ),
            (_, cursor) => {
                let mut body = self.config.body.clone();
                body.insert("size".to_owned(), self.config.size.into());
                if let Some((id, max)) = self.config.slice {
                    body.insert("slice".to_owned(), json!({ "id": id, "max": max }));
                }
                let mut query = self.config.params.clone();
                let path = if let Cursor::Pit { id, .. } = cursor {
                    body.insert("pit".to_owned(), json!({ "id": id, "keep_alive": self.config.keep_alive }));
                    body.insert("sort".to_owned(), json!([{ "_shard_doc": "asc" }]));
                    body.entry("track_total_hits").or_insert(Value::Bool(false));
                    if let Some(after) = &self.search_after {
                        body.insert("search_after".to_owned(), Value::Array(after.clone()));
                    }
                    "/_search".to_owned()
                } else {
                    if !self.config.preserve_order {
                        body.insert("sort".to_owned(), json!("_doc"));
                    }
                    query.push("scroll", &self.config.keep_alive);
                    index_path("/_search")
                };
                ("search", Method::POST, path, query, json(&Value::Object(body)))
            }
        };
        let request =
            build_request(method, &path, &query, crate::media::JSON, body).expect("scan requests always build");
        HelperRequest { token, endpoint_id, request, options: RequestOptions::new(), role: Role::Read }
    }
}

impl<T: DeserializeOwned> Machine for Scan<T> {
    type Output = Result<Hit<T>, Error>;

    fn poll(&mut self, now: Instant) -> Step<HelperRequest, Self::Output> {
        Scan::poll(self, now)
    }

    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        Scan::handle(self, token, result, now);
    }

    fn cancel(&mut self) {
        Scan::cancel(self);
    }
}

/// A search split in slices ([`ScanConfig::slice`]), one [`Scan`] per
/// slice, merged into one machine: the hits of every slice (in no
/// particular order, each slice's turn in rotation so that none starves),
/// the counters summed. Each slice opens and closes its own point in time
/// (or scroll); a failing slice emits its error and ends, the others go on.
#[derive(Debug)]
pub struct SlicedScan<T> {
    slices: Vec<Scan<T>>,
    /// Outer token to (slice, the slice's own token).
    tokens: std::collections::BTreeMap<Token, (usize, Token)>,
    next_token: u64,
    /// The slice asked first next time.
    turn: usize,
}

impl<T: DeserializeOwned> SlicedScan<T> {
    /// `slices` slices of the search (one plain scan when `slices <= 1`).
    pub fn new(config: ScanConfig, slices: u32) -> Self {
        let slices = if slices <= 1 {
            vec![Scan::new(config)]
        } else {
            (0..slices).map(|id| Scan::new(config.clone().slice(id, slices))).collect()
        };
        SlicedScan { slices, tokens: Default::default(), next_token: 0, turn: 0 }
    }

    /// The counters, summed over the slices.
    pub fn stats(&self) -> ScanStats {
        self.slices.iter().map(Scan::stats).fold(ScanStats::default(), |a, b| ScanStats {
            pages: a.pages + b.pages,
            hits: a.hits + b.hits,
            requests: a.requests + b.requests,
        })
    }

    /// The slices' machines.
    pub fn slices(&self) -> &[Scan<T>] {
        &self.slices
    }
}

impl<T: DeserializeOwned> Machine for SlicedScan<T> {
    type Output = Result<Hit<T>, Error>;

    /// Each slice's step in turn: the first send or item wins; the
    /// earliest wait otherwise; done when every slice is.
    fn poll(&mut self, now: Instant) -> Step<HelperRequest, Self::Output> {
        let count = self.slices.len();
        let mut wait: Option<Option<Instant>> = None;
        for n in 0..count {
            let i = (self.turn + n) % count;
            match self.slices[i].poll(now) {
                Step::Send(mut request) => {
                    let token = Token(self.next_token);
                    self.next_token += 1;
                    self.tokens.insert(token, (i, request.token));
                    request.token = token;
                    return Step::Send(request);
                }
                Step::Emit(hit) => {
                    self.turn = (i + 1) % count;
                    return Step::Emit(hit);
                }
                Step::Wait(until) => {
                    wait = Some(match (wait.flatten(), until) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    })
                }
                Step::Done => {}
            }
        }
        wait.map_or(Step::Done, Step::Wait)
    }

    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        if let Some((slice, inner)) = self.tokens.remove(&token) {
            self.slices[slice].handle(inner, result, now);
        }
    }

    fn cancel(&mut self) {
        self.slices.iter_mut().for_each(Scan::cancel);
    }
}

/// The server has no point in time API (or not for this target).
fn is_unsupported(error: &Error) -> bool {
    matches!(error.status().map(|s| s.as_u16()), Some(400 | 404 | 405))
        && !matches!(error.as_api().and_then(|a| a.error_type()), Some("index_not_found_exception"))
}

#[derive(Deserialize)]
struct SearchPage {
    #[serde(rename = "_scroll_id", default)]
    scroll_id: Option<String>,
    #[serde(default)]
    pit_id: Option<String>,
    #[serde(rename = "_shards", default)]
    shards: Option<Shards>,
    hits: Hits,
}

#[derive(Deserialize)]
struct ContextIds {
    #[serde(rename = "_scroll_id", default)]
    scroll_id: Option<String>,
    #[serde(default)]
    pit_id: Option<String>,
}

#[derive(Deserialize)]
struct Shards {
    #[serde(default)]
    total: u64,
    #[serde(default)]
    failed: u64,
    #[serde(default)]
    failures: Vec<Value>,
}

#[derive(Deserialize)]
struct Hits {
    #[serde(default)]
    hits: Vec<RawHit>,
}

#[derive(Deserialize)]
struct RawHit {
    #[serde(rename = "_index", default)]
    index: String,
    #[serde(rename = "_id", default)]
    id: Option<String>,
    #[serde(rename = "_score", default)]
    score: Option<f64>,
    #[serde(rename = "_routing", default)]
    routing: Option<String>,
    #[serde(rename = "_source", default)]
    source: Option<Value>,
    #[serde(default)]
    sort: Vec<Value>,
    #[serde(default)]
    fields: Option<Map<String, Value>>,
}

impl RawHit {
    fn decode<T: DeserializeOwned>(self) -> Result<Hit<T>, Error> {
        let source = self.source.unwrap_or(Value::Null);
        match T::deserialize(&source) {
            Ok(source) => Ok(Hit {
                index: self.index,
                id: self.id,
                score: self.score,
                routing: self.routing,
                source,
                sort: self.sort,
                fields: self.fields,
            }),
            Err(e) => {
                let message = format!("the _source of hit {:?} in {:?} does not decode: {e}", self.id, self.index);
                Err(Error::decode(message, source.to_string().as_bytes()))
            }
        }
    }
}
