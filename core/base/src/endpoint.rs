//! The [`Endpoint`] trait: one API call as a value that turns into an
//! `http::Request` and decodes its `http::Response`.
//!
//! Endpoint values know nothing about nodes, retries or credentials: the
//! transport adds those. The helpers here are what the generated endpoints
//! (and hand-written ones) use to render paths and query strings and to decode
//! responses the same way.

use std::fmt::Display;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::body::Body;
use crate::encoding::{encode_path_segment, encode_query_component};
use crate::error::{ApiError, Error, PriorAttempts};

/// One API call: how to build its request and how to read its response.
pub trait Endpoint {
    /// What a successful response decodes into.
    type Response;

    /// The endpoint's name in the specification, e.g. `indices.create`.
    fn id(&self) -> &'static str;

    /// The request: method, origin-form URI (path and query, no host),
    /// `Accept`/`Content-Type` with plain media types, and the body.
    fn to_request(&self) -> Result<http::Request<Body>, Error>;

    /// Decodes a response. Error statuses become [`Error::Api`], except where
    /// the endpoint gives them a meaning (a `HEAD` 404 is `false`).
    fn decode(&self, response: &http::Response<Bytes>) -> Result<Self::Response, Error>;
}

impl<E: Endpoint + ?Sized> Endpoint for &E {
    type Response = E::Response;
    fn id(&self) -> &'static str {
        (**self).id()
    }
    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        (**self).to_request()
    }
    fn decode(&self, response: &http::Response<Bytes>) -> Result<Self::Response, Error> {
        (**self).decode(response)
    }
}

/// The methods a request's URL accepts by the specification, preferred
/// first. The generated endpoints put it in the request's extensions when a
/// URL accepts more than one; the transport then answers a server that
/// refuses the chosen method for the URL (`405`, or `400` "no handler found
/// for uri") by sending the call once more with another listed method: a
/// client for a newer server version talking to an older one (`POST
/// /_cat/count` exists from 9.x, `GET` before).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrlMethods(pub &'static [&'static str]);

impl UrlMethods {
    /// Adds itself to `request` when there is more than one method.
    pub fn attach<B>(self, request: &mut http::Request<B>) {
        if self.0.len() > 1 {
            request.extensions_mut().insert(self);
        }
    }
}

/// Builds a request path from literal pieces and path parts; parts are
/// percent-encoded (except `,` and `*`).
#[derive(Debug, Default, Clone)]
pub struct PathBuilder {
    path: String,
}

impl PathBuilder {
    /// An empty path.
    pub fn new() -> Self {
        PathBuilder { path: String::with_capacity(64) }
    }

    /// Appends a literal piece such as `/_search` (not encoded).
    pub fn literal(mut self, piece: &str) -> Self {
        self.path.push_str(piece);
        self
    }

    /// Appends one encoded path part.
    pub fn part(mut self, value: &str) -> Self {
        self.path.push_str(&encode_path_segment(value));
        self
    }

    /// Appends a list part, comma-joined.
    pub fn list<S: AsRef<str>>(mut self, values: &[S]) -> Self {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.path.push(',');
            }
            self.path.push_str(&encode_path_segment(v.as_ref()));
        }
        self
    }

    /// The path; `/` when nothing was added.
    pub fn finish(self) -> String {
        if self.path.is_empty() {
            "/".to_owned()
        } else {
            self.path
        }
    }
}

/// Collects query parameters in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// No parameters.
    pub fn new() -> Self {
        Query::default()
    }

    /// Adds a parameter rendered with `Display` (numbers, strings, durations, enums).
    pub fn push(&mut self, name: &str, value: impl Display) {
        self.pairs.push((name.to_owned(), value.to_string()));
    }

    /// Adds an optional parameter.
    pub fn push_opt(&mut self, name: &str, value: Option<impl Display>) {
        if let Some(v) = value {
            self.push(name, v);
        }
    }

    /// Adds a list parameter, comma-joined.
    pub fn push_list<S: Display>(&mut self, name: &str, values: &[S]) {
        let joined = values.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        self.pairs.push((name.to_owned(), joined));
    }

    /// The parameters in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// `a=1&b=x%20y` (without the leading `?`).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(&encode_query_component(k));
            out.push('=');
            out.push_str(&encode_query_component(v));
        }
        out
    }
}

/// Assembles an `http::Request<Body>` with plain media types: `Accept` is
/// `accept`, `Content-Type` follows the body.
pub fn build_request(
    method: Method,
    path: &str,
    query: &Query,
    accept: &str,
    body: Body,
) -> Result<http::Request<Body>, Error> {
    let uri = if query.is_empty() { path.to_owned() } else { format!("{path}?{}", query.encode()) };
    // Parsed here so that a hand-written path that is not a valid URI is an
    // error value; the builder would hold the error and `headers_mut` panic.
    let uri: http::Uri = uri.parse().map_err(|e| Error::build(format!("invalid request path {path:?}: {e}")))?;
    let mut builder = http::Request::builder().method(method).uri(uri);
    let headers = builder.headers_mut().expect("builder has no error yet");
    headers
        .insert(header::ACCEPT, HeaderValue::from_str(accept).map_err(|_| Error::build("invalid accept media type"))?);
    if let Some(ct) = body.content_type() {
        headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).map_err(|_| Error::build("invalid content type"))?);
    }
    builder.body(body).map_err(|e| Error::build(format!("invalid request: {e}")))
}

/// The `Warning` headers of a response.
pub fn warnings(headers: &HeaderMap) -> Vec<String> {
    headers.get_all(header::WARNING).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
}

/// Marks a response whose error status the caller asked to ignore
/// (`RequestOptions::ignore_status`): decoders then read its body as the
/// answer instead of returning [`Error::Api`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IgnoredStatus;

/// `Ok(())` for 2xx/3xx (or an error status marked [`IgnoredStatus`]), else
/// the [`Error::Api`] the response describes.
pub fn check_status(response: &http::Response<Bytes>) -> Result<(), Error> {
    let status = response.status();
    if status.as_u16() < 400 || response.extensions().get::<IgnoredStatus>().is_some() {
        Ok(())
    } else {
        Err(api_error(response))
    }
}

/// The [`Error::Api`] for an error response, with the attempts that came
/// before it ([`PriorAttempts`]).
pub fn api_error(response: &http::Response<Bytes>) -> Error {
    let attempts = response.extensions().get::<PriorAttempts>().map(|a| a.0.clone()).unwrap_or_default();
    Error::Api(Box::new(
        ApiError::from_response(response.status(), response.body().clone(), warnings(response.headers()))
            .with_attempts(attempts),
    ))
}

/// Decodes a JSON response into `T`, or the API error for an error status.
pub fn decode_json<T: DeserializeOwned>(response: &http::Response<Bytes>) -> Result<T, Error> {
    check_status(response)?;
    let body = response.body();
    // An empty body decodes as `null` so `()` and `Option<_>` responses work.
    let bytes: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"null" } else { body };
    serde_json::from_slice(bytes).map_err(|e| decode_error::<T>(e, bytes, body))
}

/// The decoding error, naming the JSON path where the answer stopped fitting
/// `T` (`at hits.hits[3]._source.year: invalid type: string "x", expected
/// i64 …`). The path is found by decoding once more with it tracked, only
/// after a failure, so an answer that decodes pays nothing for it.
fn decode_error<T: DeserializeOwned>(first: serde_json::Error, bytes: &[u8], body: &[u8]) -> Error {
    let mut tracked = serde_json::Deserializer::from_slice(bytes);
    let message = match serde_path_to_error::deserialize::<_, T>(&mut tracked) {
        Err(e) if e.path().iter().next().is_some() => format!("at {}: {}", e.path(), e.inner()),
        _ => first.to_string(),
    };
    Error::decode(message, body)
}

/// A `HEAD` answer: 2xx is `true`, 404 is `false`, anything else an error.
pub fn decode_exists(response: &http::Response<Bytes>) -> Result<bool, Error> {
    match response.status() {
        s if s.is_success() => Ok(true),
        StatusCode::NOT_FOUND => Ok(false),
        _ if response.extensions().get::<IgnoredStatus>().is_some() => Ok(false),
        _ => Err(api_error(response)),
    }
}

/// A text response (cat APIs without `format`), or the API error.
pub fn decode_text(response: &http::Response<Bytes>) -> Result<String, Error> {
    check_status(response)?;
    String::from_utf8(response.body().to_vec()).map_err(|e| Error::decode(format!("not UTF-8: {e}"), response.body()))
}

/// Any request by hand: the escape hatch for what the typed API does not cover.
/// Its response is the raw `http::Response<Bytes>`; an error status is an
/// [`Error::Api`] except a `HEAD` 404, which is returned as is.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The method.
    pub method: Method,
    /// The path, already percent-encoded where needed (e.g. `/my-index/_doc/1`).
    pub path: String,
    /// Query parameters.
    pub query: Query,
    /// Extra headers (`Accept` defaults to JSON).
    pub headers: HeaderMap,
    /// The body.
    pub body: Body,
}

impl RawRequest {
    /// A request with no query, headers or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        RawRequest { method, path: path.into(), query: Query::new(), headers: HeaderMap::new(), body: Body::Empty }
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Adds a query parameter.
    pub fn param(mut self, name: &str, value: impl Display) -> Self {
        self.query.push(name, value);
        self
    }
}

impl Endpoint for RawRequest {
    type Response = http::Response<Bytes>;

    fn id(&self) -> &'static str {
        "perform_request"
    }

    fn to_request(&self) -> Result<http::Request<Body>, Error> {
        if !self.path.starts_with('/') {
            return Err(Error::build(format!("path must start with '/': {:?}", self.path)));
        }
        let mut request =
            build_request(self.method.clone(), &self.path, &self.query, crate::media::JSON, self.body.clone())?;
        for (name, value) in &self.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        Ok(request)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<Self::Response, Error> {
        if !(self.method == Method::HEAD && response.status() == StatusCode::NOT_FOUND) {
            check_status(response)?;
        }
        let mut out = http::Response::new(response.body().clone());
        *out.status_mut() = response.status();
        *out.headers_mut() = response.headers().clone();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Bytes> {
        http::Response::builder().status(status).body(Bytes::from(body.to_owned())).unwrap()
    }

    #[test]
    fn paths_encode_parts_but_not_literals() {
        let p = PathBuilder::new().literal("/").part("a/b c").literal("/_doc/").part("x+y%").finish();
        assert_eq!(p, "/a%2Fb%20c/_doc/x%2By%25");
        assert_eq!(PathBuilder::new().literal("/").list(&["a", "b*"]).literal("/_search").finish(), "/a,b*/_search");
    }

    #[test]
    fn query_strings_join_lists_and_encode_values() {
        let mut q = Query::new();
        q.push("size", 10);
        q.push("refresh", true);
        q.push_list("filter_path", &["a.b", "c"]);
        q.push("q", "x y&z");
        assert_eq!(q.encode(), "size=10&refresh=true&filter_path=a.b,c&q=x%20y%26z");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_error_naming_its_json_path() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Book {
            year: i64,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Hit {
            _source: Book,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Hits {
            hits: Vec<Hit>,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Answer {
            hits: Hits,
        }
        let r = response(200, r#"{"hits":{"hits":[{"_source":{"year":1965}},{"_source":{"year":"nineteen"}}]}}"#);
        let e = decode_json::<Answer>(&r).unwrap_err().to_string();
        assert!(e.contains("at hits.hits[1]._source.year: invalid type: string \"nineteen\""), "{e}");
        // Malformed JSON has no path to name: serde_json's own message.
        let e = decode_json::<Answer>(&response(200, r#"{"hits": ["#)).unwrap_err().to_string();
        assert!(e.contains("EOF"), "{e}");
    }

    #[test]
    fn error_bodies_are_parsed() {
        let r = response(
            404,
            r#"{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [x]"}],"type":"index_not_found_exception","reason":"no such index [x]","index":"x"},"status":404}"#,
        );
        let e = decode_json::<serde_json::Value>(&r).unwrap_err();
        let api = e.as_api().unwrap();
        assert_eq!(api.status, 404);
        assert_eq!(api.error_type(), Some("index_not_found_exception"));
        assert_eq!(api.error.as_ref().unwrap().root_cause.len(), 1);
        assert_eq!(api.error.as_ref().unwrap().metadata["index"], "x");
    }

    #[test]
    fn string_errors_and_garbage_do_not_fail() {
        let e = ApiError::from_response(StatusCode::BAD_REQUEST, Bytes::from_static(br#"{"error":"bad"}"#), vec![]);
        assert_eq!(e.reason(), Some("bad"));
        let e = ApiError::from_response(StatusCode::BAD_GATEWAY, Bytes::from_static(b"<html>"), vec![]);
        assert!(e.error.is_none());
        assert!(e.to_string().contains("<html>"));
    }

    #[test]
    fn exists_maps_404_to_false() {
        assert!(decode_exists(&response(200, "")).unwrap());
        assert!(!decode_exists(&response(404, "")).unwrap());
        assert!(decode_exists(&response(500, "")).is_err());
    }

    #[test]
    fn malformed_json_is_a_decode_error_with_excerpt() {
        let e = decode_json::<serde_json::Value>(&response(200, "{\"took\": 1,")).unwrap_err();
        match e {
            Error::Decode(d) => assert!(d.excerpt.starts_with("{\"took\"")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
