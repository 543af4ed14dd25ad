//! Hand-written pieces the generated endpoints share: parameter storage,
//! body slots, list arguments, method choice and non-JSON decoding.

use std::fmt::Display;

use bytes::Bytes;
use elastik_base::endpoint::{check_status, Query};
use elastik_base::{Body, Error};
use serde::{Deserialize, Serialize};

/// Query parameters of one request, already rendered; setting one twice keeps the last value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &'static str, value: String) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// As a query string builder.
    pub fn query(&self) -> Query {
        let mut q = Query::new();
        for (k, v) in &self.0 {
            q.push(k, v);
        }
        q
    }
}

/// A request body, serialized when set (so endpoints stay non-generic); a
/// serialization error is reported when the request is built.
#[derive(Clone, Debug, Default)]
pub struct BodySlot {
    body: Option<Body>,
    error: Option<String>,
}

impl BodySlot {
    /// Serializes `value` as JSON.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.set(Body::json(value));
    }

    /// Serializes each line as NDJSON.
    pub fn ndjson<T: Serialize>(&mut self, lines: impl IntoIterator<Item = T>) {
        let lines: Vec<T> = lines.into_iter().collect();
        self.set(Body::ndjson(lines.iter()));
    }

    /// A body as is.
    pub fn raw(&mut self, body: Body) {
        self.body = Some(body);
        self.error = None;
    }

    fn set(&mut self, r: Result<Body, Error>) {
        match r {
            Ok(b) => self.raw(b),
            Err(e) => {
                self.body = None;
                self.error = Some(e.to_string());
            }
        }
    }

    /// The body to send ([`Body::Empty`] when none was set).
    pub fn get(&self) -> Result<Body, Error> {
        match (&self.error, &self.body) {
            (Some(e), _) => Err(Error::build(e.clone())),
            (None, Some(b)) => Ok(b.clone()),
            (None, None) => Ok(Body::Empty),
        }
    }
}

/// A list argument (indices, fields, ids, …), sent comma-joined: a `&str`
/// (already joined or a single item), or a `Vec`/slice/array of items.
pub trait IntoList {
    /// The comma-joined value.
    fn into_list(self) -> String;
}

impl IntoList for &str {
    fn into_list(self) -> String {
        self.to_owned()
    }
}

impl IntoList for String {
    fn into_list(self) -> String {
        self
    }
}

impl IntoList for &String {
    fn into_list(self) -> String {
        self.clone()
    }
}

impl IntoList for bool {
    fn into_list(self) -> String {
        self.to_string()
    }
}

impl<S: Display> IntoList for Vec<S> {
    fn into_list(self) -> String {
        join(self.iter())
    }
}

impl<S: Display> IntoList for &Vec<S> {
    fn into_list(self) -> String {
        join(self.iter())
    }
}

impl<S: Display> IntoList for &[S] {
    fn into_list(self) -> String {
        join(self.iter())
    }
}

impl<S: Display, const N: usize> IntoList for [S; N] {
    fn into_list(self) -> String {
        join(self.iter())
    }
}

fn join<S: Display>(items: impl Iterator<Item = S>) -> String {
    items.map(|s| s.to_string()).collect::<Vec<_>>().join(",")
}

/// The method for a URL: for endpoints that take a body, `PUT` when the URL
/// accepts it, else `POST`, else the first listed (as the official clients
/// do, whether or not a body is set); for the others, the first listed.
pub fn pick_method(methods: &[&str], body_capable: bool) -> http::Method {
    let chosen = if body_capable {
        methods.iter().find(|m| **m == "PUT").or(methods.iter().find(|m| **m == "POST")).or(methods.first())
    } else {
        methods.first()
    };
    chosen.and_then(|m| http::Method::from_bytes(m.as_bytes()).ok()).unwrap_or(http::Method::GET)
}

/// Sets `Content-Type` to `media` when the body did not set one: an endpoint
/// that takes a body names its media type even when called without one, as
/// the official clients do (and as their recordings show).
pub fn name_content_type(request: &mut http::Request<Body>, media: &'static str) {
    if !request.headers().contains_key(http::header::CONTENT_TYPE) {
        request.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(media));
    }
}

/// The answer of a cat API: records when JSON was asked for (`format=json`),
/// else the text table.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CatResponse<T> {
    /// Typed records (`format=json`).
    Records(T),
    /// The text table.
    Text(String),
}

/// `Accept` of every cat API, whatever its `format` (which the server
/// follows), as the official clients send it: the table, records, or a JSON
/// error are all acceptable answers.
pub const TEXT_OR_JSON: &str = "text/plain,application/json";

/// Decodes a cat answer by its content type.
pub fn decode_cat<T: serde::de::DeserializeOwned>(response: &http::Response<Bytes>) -> Result<CatResponse<T>, Error> {
    let is_json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        elastik_base::endpoint::decode_json(response).map(CatResponse::Records)
    } else {
        elastik_base::endpoint::decode_text(response).map(CatResponse::Text)
    }
}

/// A response body that is neither JSON nor text (vector tiles, event streams).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinaryBody(pub Bytes);

impl Serialize for BinaryBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&String::from_utf8_lossy(&self.0))
    }
}

/// Decodes a binary answer, or the API error.
pub fn decode_binary(response: &http::Response<Bytes>) -> Result<BinaryBody, Error> {
    check_status(response)?;
    Ok(BinaryBody(response.body().clone()))
}
