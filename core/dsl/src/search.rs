//! The [`Search`] builder: a search request body assembled from DSL values,
//! sent through any runtime with `typed_keys=true`, answered with
//! [`SearchResults<T>`].
//!
//! The body is kept as JSON and sent in place of the generated
//! `SearchSearchRequestBody` (which [`Search::to_request_body`] still
//! produces, for callers of the generated endpoint).

use std::marker::PhantomData;

use elastik_api::Client;
use elastik_proto::bytes::Bytes;
use elastik_proto::endpoint::decode_json;
use elastik_proto::{http, Body, Endpoint, Error, Executor};
use elastik_types::global::SearchSearchRequestBody;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::aggregation::Aggregation;
use crate::query::{to_json, Query};
use crate::results::SearchResults;

/// A search request: indices and body. `T` is the document type of the hits.
#[derive(Clone, Debug)]
pub struct Search<T = Value> {
    indices: Vec<String>,
    body: Map<String, Value>,
    aggs: Map<String, Value>,
    _doc: PhantomData<fn() -> T>,
}

impl<T> Default for Search<T> {
    fn default() -> Self {
        Search { indices: Vec::new(), body: Map::new(), aggs: Map::new(), _doc: PhantomData }
    }
}

impl Search<Value> {
    /// A search over all indices, hits as JSON values (see [`Search::docs`]).
    pub fn new() -> Self {
        Search::default()
    }
}

impl<T> Search<T> {
    /// Decodes hits as `U` instead.
    pub fn docs<U>(self) -> Search<U> {
        Search { indices: self.indices, body: self.body, aggs: self.aggs, _doc: PhantomData }
    }

    /// Adds an index (or alias, data stream, pattern) to search.
    pub fn index(mut self, index: &str) -> Self {
        self.indices.push(index.to_owned());
        self
    }

    /// The indices searched.
    pub fn indices(&self) -> &[String] {
        &self.indices
    }

    /// `query`. Called again, the queries are combined with `&`.
    pub fn query(mut self, q: impl Into<Query>) -> Self {
        let q = q.into();
        let q = match self.body.remove("query") {
            Some(prev) => Query::raw_json(prev) & q,
            None => q,
        };
        self.body.insert("query".to_owned(), q.into_json());
        self
    }

    /// Adds a `filter` clause to the query (the query becomes a bool query).
    pub fn filter(mut self, q: impl Into<Query>) -> Self {
        let filter: Query = Query::bool().filter(q).into();
        let q = match self.body.remove("query") {
            Some(prev) => Query::raw_json(prev) & filter,
            None => filter,
        };
        self.body.insert("query".to_owned(), q.into_json());
        self
    }

    /// `post_filter`: filters hits after aggregations ran.
    pub fn post_filter(self, q: impl Into<Query>) -> Self {
        self.param("post_filter", q.into())
    }

    /// Adds an aggregation named `name`.
    pub fn agg(mut self, name: &str, agg: Aggregation) -> Self {
        self.aggs.insert(name.to_owned(), agg.to_json());
        self
    }

    /// Adds a sort on `field`, `order` `asc` or `desc`.
    pub fn sort(self, field: &str, order: &str) -> Self {
        let mut o = Map::new();
        o.insert(field.to_owned(), json!({"order": order}));
        self.sort_by(Value::Object(o))
    }

    /// Adds any sort clause (`"_score"`, `{"price": {"order": "asc", "mode": "avg"}}`, `{"_geo_distance": …}`).
    pub fn sort_by(mut self, clause: impl Serialize) -> Self {
        let entry = self.body.entry("sort").or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = entry.as_array_mut() {
            list.push(to_json(&clause));
        }
        self
    }

    /// `_source` includes and excludes (wildcards allowed).
    pub fn source<I: AsRef<str>, E: AsRef<str>>(
        self,
        includes: impl IntoIterator<Item = I>,
        excludes: impl IntoIterator<Item = E>,
    ) -> Self {
        let includes: Vec<String> = includes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        let excludes: Vec<String> = excludes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        let mut o = Map::new();
        if !includes.is_empty() {
            o.insert("includes".to_owned(), json!(includes));
        }
        if !excludes.is_empty() {
            o.insert("excludes".to_owned(), json!(excludes));
        }
        self.param("_source", Value::Object(o))
    }

    /// `_source: false`: hits without documents.
    pub fn no_source(self) -> Self {
        self.param("_source", false)
    }

    /// Highlights `fields` with the default highlighter.
    pub fn highlight<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        let fields: Map<String, Value> = fields.into_iter().map(|f| (f.as_ref().to_owned(), json!({}))).collect();
        self.param("highlight", json!({"fields": fields}))
    }

    /// `highlight` with any options (`pre_tags`, per-field settings, …).
    pub fn highlight_with(self, highlight: impl Serialize) -> Self {
        self.param("highlight", highlight)
    }

    /// `from`: hits to skip.
    pub fn from(self, from: u64) -> Self {
        self.param("from", from)
    }

    /// `size`: hits to return.
    pub fn size(self, size: u64) -> Self {
        self.param("size", size)
    }

    /// `search_after`: the previous page's last `sort` values.
    pub fn search_after(self, values: impl Serialize) -> Self {
        self.param("search_after", values)
    }

    /// `pit`: search a point in time (then no index may be named).
    pub fn point_in_time(self, id: &str, keep_alive: &str) -> Self {
        self.param("pit", json!({"id": id, "keep_alive": keep_alive}))
    }

    /// `collapse` on a field.
    pub fn collapse(self, field: &str) -> Self {
        self.param("collapse", json!({"field": field}))
    }

    /// Adds a top-level `knn` search.
    pub fn knn(
        mut self,
        field: &str,
        query_vector: impl IntoIterator<Item = f32>,
        k: u64,
        num_candidates: u64,
    ) -> Self {
        let v: Vec<f32> = query_vector.into_iter().collect();
        let clause = json!({"field": field, "query_vector": v, "k": k, "num_candidates": num_candidates});
        push_or_set(&mut self.body, "knn", clause);
        self
    }

    /// Adds a suggester `name`: `suggester` is e.g. `{"text": "…", "term": {"field": "title"}}`.
    pub fn suggest(mut self, name: &str, suggester: impl Serialize) -> Self {
        let entry = self.body.entry("suggest").or_insert_with(|| Value::Object(Map::new()));
        if let Some(o) = entry.as_object_mut() {
            o.insert(name.to_owned(), to_json(&suggester));
        }
        self
    }

    /// Adds a rescorer: `query` over the top `window_size` hits.
    pub fn rescore(mut self, query: impl Into<Query>, window_size: u64) -> Self {
        let clause = json!({"window_size": window_size, "query": {"rescore_query": query.into()}});
        push_or_set(&mut self.body, "rescore", clause);
        self
    }

    /// Adds a runtime field `name` of `field_type` computed by a painless `source`.
    pub fn runtime_field(mut self, name: &str, field_type: &str, source: &str) -> Self {
        let entry = self.body.entry("runtime_mappings").or_insert_with(|| Value::Object(Map::new()));
        if let Some(o) = entry.as_object_mut() {
            o.insert(name.to_owned(), json!({"type": field_type, "script": {"source": source}}));
        }
        self
    }

    /// `track_total_hits`: `true`, `false` or a count.
    pub fn track_total_hits(self, v: impl Serialize) -> Self {
        self.param("track_total_hits", v)
    }

    /// Any other body field.
    pub fn param(mut self, key: &str, value: impl Serialize) -> Self {
        self.body.insert(key.to_owned(), to_json(&value));
        self
    }

    /// The request body as JSON.
    pub fn to_json(&self) -> Value {
        let mut body = self.body.clone();
        if !self.aggs.is_empty() {
            body.insert("aggs".to_owned(), Value::Object(self.aggs.clone()));
        }
        Value::Object(body)
    }

    /// The body as the generated request body type; an error when the
    /// generated types cannot represent it.
    pub fn to_request_body(&self) -> Result<SearchSearchRequestBody, serde_json::Error> {
        serde_json::from_value(self.to_json())
    }

    /// The endpoint value: the generated `search` endpoint with
    /// `typed_keys=true` and this body, decoding hits as `T`.
    pub fn endpoint(&self) -> TypedEndpoint<elastik_api::Search, SearchResults<T>>
    where
        T: DeserializeOwned,
    {
        let mut search = elastik_api::Search::new().typed_keys(true);
        if !self.indices.is_empty() {
            search = search.index(self.indices.clone());
        }
        TypedEndpoint::new(search, Body::json(&self.to_json()).ok(), decode_json)
    }

    /// Sends the search through `client` (any runtime).
    pub fn send<X: Executor>(&self, client: &Client<X>) -> X::Output<Result<SearchResults<T>, Error>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        client.send(self.endpoint())
    }
}

/// A generated endpoint with the body replaced and the response decoded as `R`.
pub struct TypedEndpoint<E, R> {
    inner: E,
    body: Option<Body>,
    decode: fn(&http::Response<Bytes>) -> Result<R, Error>,
}

impl<E, R> TypedEndpoint<E, R> {
    /// Wraps `inner`, sending `body` (when `Some`) and decoding with `decode`.
    pub fn new(inner: E, body: Option<Body>, decode: fn(&http::Response<Bytes>) -> Result<R, Error>) -> Self {
        TypedEndpoint { inner, body, decode }
    }
}

impl<E: std::fmt::Debug, R> std::fmt::Debug for TypedEndpoint<E, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedEndpoint").field("inner", &self.inner).field("body", &self.body).finish()
    }
}

impl<E: Endpoint, R> Endpoint for TypedEndpoint<E, R> {
    type Response = R;

    fn id(&self) -> &'static str {
        self.inner.id()
    }

    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        let mut request = self.inner.to_request()?;
        if let Some(body) = &self.body {
            let headers = request.headers_mut();
            headers.remove(http::header::CONTENT_TYPE);
            if let Some(ct) = body.content_type() {
                let value = http::HeaderValue::from_str(ct).map_err(|_| Error::build("invalid content type"))?;
                headers.insert(http::header::CONTENT_TYPE, value);
            }
            *request.body_mut() = body.clone();
        }
        Ok(request)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<R, Error> {
        (self.decode)(response)
    }
}

fn push_or_set(body: &mut Map<String, Value>, key: &str, clause: Value) {
    match body.remove(key) {
        None => {
            body.insert(key.to_owned(), clause);
        }
        Some(Value::Array(mut list)) => {
            list.push(clause);
            body.insert(key.to_owned(), Value::Array(list));
        }
        Some(one) => {
            body.insert(key.to_owned(), Value::Array(vec![one, clause]));
        }
    }
}
