//! The `esql.query` and `esql.async_query*` requests as [`Endpoint`] values:
//! the body (`query`, `params`, `columnar`, `filter`, …), the URL options
//! (`format`, `delimiter`, `drop_null_columns`, `allow_partial_results`) and
//! the decoding of their answers.

use bytes::Bytes;
use http::Method;
use serde::Serialize;
use serde_json::Value;

use super::query::{Query, Rendered};
use super::response::EsqlResponse;
use crate::body::Body;
use crate::endpoint::{build_request, check_status, decode_text, Endpoint, PathBuilder, Query as UrlQuery};
use crate::error::Error;
use crate::media;

/// A text output format (`format=` in the URL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TextFormat {
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// A human-readable table.
    Txt,
}

impl TextFormat {
    /// The `format` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::Csv => "csv",
            TextFormat::Tsv => "tsv",
            TextFormat::Txt => "txt",
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            TextFormat::Csv => "text/csv",
            TextFormat::Tsv => "text/tab-separated-values",
            TextFormat::Txt => media::TEXT,
        }
    }
}

/// The request body of `esql.query` (and, with the async fields,
/// `esql.async_query`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QueryBody {
    /// The query text.
    pub query: String,
    /// `[{"name": value}, …]` (named) or `[value, …]` (positional).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Value>,
    /// Values by column instead of by row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columnar: Option<bool>,
    /// A Query DSL filter applied before the query runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    /// Locale for formatting results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Default time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Include `_clusters` for cross-cluster queries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_ccs_metadata: Option<bool>,
    /// Include execution metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_execution_metadata: Option<bool>,
    /// Include profiling information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<bool>,
    /// Async only: how long the submit waits before answering with an id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_for_completion_timeout: Option<String>,
    /// Async only: how long the results are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<String>,
    /// Async only: keep results that completed within the wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_on_completion: Option<bool>,
}

/// `POST /_query`: runs a query and decodes its table ([`EsqlResponse`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EsqlQuery {
    /// The body.
    pub body: QueryBody,
    /// `delimiter` (csv only).
    pub delimiter: Option<String>,
    /// `drop_null_columns`
    pub drop_null_columns: Option<bool>,
    /// `allow_partial_results`
    pub allow_partial_results: Option<bool>,
}

impl EsqlQuery {
    /// A request for a rendered query and its parameters.
    pub fn new(rendered: Rendered) -> Self {
        let params = rendered.params_list();
        EsqlQuery {
            body: QueryBody { query: rendered.query, params, ..QueryBody::default() },
            delimiter: None,
            drop_null_columns: None,
            allow_partial_results: None,
        }
    }

    /// Renders `query` and makes a request of it.
    pub fn from_query(query: &Query) -> Result<Self, Error> {
        query.render().map(EsqlQuery::new)
    }

    /// `columnar: true`: values arrive by column (decoding handles both).
    pub fn columnar(mut self, columnar: bool) -> Self {
        self.body.columnar = Some(columnar);
        self
    }

    /// A Query DSL `filter`.
    pub fn filter(mut self, filter: Value) -> Self {
        self.body.filter = Some(filter);
        self
    }

    /// `locale`
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.body.locale = Some(locale.into());
        self
    }

    /// `time_zone`
    pub fn time_zone(mut self, tz: impl Into<String>) -> Self {
        self.body.time_zone = Some(tz.into());
        self
    }

    /// `include_ccs_metadata`
    pub fn include_ccs_metadata(mut self, include: bool) -> Self {
        self.body.include_ccs_metadata = Some(include);
        self
    }

    /// `profile`
    pub fn profile(mut self, profile: bool) -> Self {
        self.body.profile = Some(profile);
        self
    }

    /// `drop_null_columns` (URL).
    pub fn drop_null_columns(mut self, drop: bool) -> Self {
        self.drop_null_columns = Some(drop);
        self
    }

    /// `allow_partial_results` (URL).
    pub fn allow_partial_results(mut self, allow: bool) -> Self {
        self.allow_partial_results = Some(allow);
        self
    }

    /// The same query answered as csv, tsv or txt text.
    pub fn text(self, format: TextFormat) -> EsqlTextQuery {
        EsqlTextQuery { query: self, format }
    }

    /// The same query submitted asynchronously.
    pub fn into_async(self) -> AsyncSubmit {
        AsyncSubmit { query: self }
    }

    /// The body as JSON.
    pub fn body_json(&self) -> Value {
        serde_json::to_value(&self.body).unwrap_or(Value::Null)
    }

    fn url_query(&self, format: Option<&str>) -> UrlQuery {
        let mut q = UrlQuery::new();
        q.push_opt("format", format);
        if format == Some(TextFormat::Csv.as_str()) {
            q.push_opt("delimiter", self.delimiter.as_deref());
        }
        q.push_opt("drop_null_columns", self.drop_null_columns);
        q.push_opt("allow_partial_results", self.allow_partial_results);
        q
    }

    fn request(&self, path: &str, format: Option<TextFormat>) -> Result<http::Request<Body>, Error> {
        let accept = format.map_or(media::JSON, TextFormat::media_type);
        let query = self.url_query(format.map(TextFormat::as_str));
        build_request(Method::POST, path, &query, accept, Body::json(&self.body)?)
    }

    /// The request with `format=…` in the URL and this `Accept`.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub(crate) fn request_with_format(
        &self,
        path: &str,
        format: &str,
        accept: &str,
    ) -> Result<http::Request<Body>, Error> {
        build_request(Method::POST, path, &self.url_query(Some(format)), accept, Body::json(&self.body)?)
    }

    fn is_columnar(&self) -> bool {
        self.body.columnar == Some(true)
    }
}

impl Endpoint for EsqlQuery {
    type Response = EsqlResponse;

    fn id(&self) -> &'static str {
        "esql.query"
    }

    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        self.request("/_query", None)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<EsqlResponse, Error> {
        check_status(response)?;
        EsqlResponse::from_slice(response.body(), self.is_columnar())
    }
}

/// `POST /_query?format=csv|tsv|txt`: the result as text.
#[derive(Clone, Debug, PartialEq)]
pub struct EsqlTextQuery {
    /// The query.
    pub query: EsqlQuery,
    /// The text format.
    pub format: TextFormat,
}

impl EsqlTextQuery {
    /// `delimiter` for csv output.
    pub fn delimiter(mut self, delimiter: impl Into<String>) -> Self {
        self.query.delimiter = Some(delimiter.into());
        self
    }
}

impl Endpoint for EsqlTextQuery {
    type Response = String;

    fn id(&self) -> &'static str {
        "esql.query"
    }

    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        self.query.request("/_query", Some(self.format))
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<String, Error> {
        decode_text(response)
    }
}

/// `POST /_query/async`: submits a query; the answer has the results when it
/// finished within `wait_for_completion_timeout`, else an `id` to poll.
#[derive(Clone, Debug, PartialEq)]
pub struct AsyncSubmit {
    /// The query and its async options.
    pub query: EsqlQuery,
}

impl AsyncSubmit {
    /// `wait_for_completion_timeout` (e.g. `"2s"`).
    pub fn wait_for_completion_timeout(mut self, t: impl Into<String>) -> Self {
        self.query.body.wait_for_completion_timeout = Some(t.into());
        self
    }

    /// `keep_alive` (e.g. `"5d"`).
    pub fn keep_alive(mut self, t: impl Into<String>) -> Self {
        self.query.body.keep_alive = Some(t.into());
        self
    }

    /// `keep_on_completion`
    pub fn keep_on_completion(mut self, keep: bool) -> Self {
        self.query.body.keep_on_completion = Some(keep);
        self
    }
}

impl Endpoint for AsyncSubmit {
    type Response = EsqlResponse;

    fn id(&self) -> &'static str {
        "esql.async_query"
    }

    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        self.query.request("/_query/async", None)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<EsqlResponse, Error> {
        check_status(response)?;
        EsqlResponse::from_http(response, self.query.is_columnar())
    }
}

/// `GET /_query/async/{id}`: the state or results of an async query.
#[derive(Clone, Debug, PartialEq)]
pub struct AsyncGet {
    /// The query id.
    pub id: String,
    /// `wait_for_completion_timeout`: how long the server waits for results.
    pub wait_for_completion_timeout: Option<String>,
    /// `keep_alive`
    pub keep_alive: Option<String>,
    /// `drop_null_columns`
    pub drop_null_columns: Option<bool>,
    /// Whether the query was submitted with `columnar: true`.
    pub columnar: bool,
}

impl AsyncGet {
    /// A get for this id.
    pub fn new(id: impl Into<String>) -> Self {
        AsyncGet {
            id: id.into(),
            wait_for_completion_timeout: None,
            keep_alive: None,
            drop_null_columns: None,
            columnar: false,
        }
    }
}

impl Endpoint for AsyncGet {
    type Response = EsqlResponse;

    fn id(&self) -> &'static str {
        "esql.async_query_get"
    }

    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        let path = PathBuilder::new().literal("/_query/async/").part(&self.id).finish();
        let mut q = UrlQuery::new();
        q.push_opt("wait_for_completion_timeout", self.wait_for_completion_timeout.as_deref());
        q.push_opt("keep_alive", self.keep_alive.as_deref());
        q.push_opt("drop_null_columns", self.drop_null_columns);
        build_request(Method::GET, &path, &q, media::JSON, Body::Empty)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<EsqlResponse, Error> {
        check_status(response)?;
        EsqlResponse::from_http(response, self.columnar)
    }
}

/// `DELETE /_query/async/{id}`: stops an async query and deletes its results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncDelete {
    /// The query id.
    pub id: String,
}

impl Endpoint for AsyncDelete {
    type Response = ();

    fn id(&self) -> &'static str {
        "esql.async_query_delete"
    }

    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        let path = PathBuilder::new().literal("/_query/async/").part(&self.id).finish();
        build_request(Method::DELETE, &path, &UrlQuery::new(), media::JSON, Body::Empty)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<(), Error> {
        check_status(response)
    }
}
