//! Hand-written pieces the generated endpoints share: parameter storage,
//! body slots, list arguments, method choice and non-JSON decoding.

use std::fmt::Display;

use bytes::Bytes;
use elastik_base::endpoint::{check_status, Query};
use elastik_base::{Body, Error};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
///
/// The body is either whole ([`BodySlot::json`], [`BodySlot::ndjson`],
/// [`BodySlot::raw`]: bytes kept exactly as serialized) or an ordered JSON
/// object that the body-field setters write one member at a time
/// ([`BodySlot::field`], [`BodySlot::entry`]). A field set after a whole JSON
/// object body changes that member of it; a whole body replaces every field.
#[derive(Clone, Debug, Default)]
pub struct BodySlot {
    body: Option<Body>,
    /// Members in the order they were first set.
    fields: Option<Vec<(String, Value)>>,
    error: Option<String>,
}

impl BodySlot {
    /// Serializes `value` as JSON, replacing the whole body.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.set(Body::json(value));
    }

    /// Serializes each line as NDJSON, replacing the whole body.
    pub fn ndjson<T: Serialize>(&mut self, lines: impl IntoIterator<Item = T>) {
        let lines: Vec<T> = lines.into_iter().collect();
        self.set(Body::ndjson(lines.iter()));
    }

    /// A body as is, replacing the whole body.
    pub fn raw(&mut self, body: Body) {
        self.body = Some(body);
        self.fields = None;
        self.error = None;
    }

    /// Sets the member `name` of the JSON object body to `value` (already
    /// rendered by [`IntoField`](crate::IntoField)): replaced in place when
    /// present, else appended. A value that failed to serialize is kept as
    /// the error `send` returns.
    pub fn field(&mut self, name: &str, value: Result<Value, serde_json::Error>) {
        let value = match value {
            Ok(v) => v,
            Err(e) => return self.fail(format!("cannot serialize the body field `{name}`: {e}")),
        };
        let Some(fields) = self.object(name) else { return };
        match fields.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => fields.push((name.to_owned(), value)),
        }
    }

    /// Adds the entry `key` to the map member `name` of the JSON object body
    /// (`"aggregations": {"by_tag": …}`), creating the map when absent.
    pub fn entry(&mut self, name: &str, key: String, value: Result<Value, serde_json::Error>) {
        let value = match value {
            Ok(v) => v,
            Err(e) => return self.fail(format!("cannot serialize the body field `{name}.{key}`: {e}")),
        };
        let Some(fields) = self.object(name) else { return };
        match fields.iter_mut().find(|(k, _)| k == name) {
            Some((_, Value::Object(map))) => {
                map.insert(key, value);
            }
            Some(slot) => slot.1 = Value::Object([(key, value)].into_iter().collect()),
            None => fields.push((name.to_owned(), Value::Object([(key, value)].into_iter().collect()))),
        }
    }

    /// The members being built; a whole JSON object body set before becomes
    /// them. `None` (and an error) when the body is not a JSON object.
    fn object(&mut self, name: &str) -> Option<&mut Vec<(String, Value)>> {
        if self.error.is_some() {
            return None;
        }
        match self.body.take() {
            None | Some(Body::Empty) => {}
            Some(Body::Json(bytes)) => match serde_json::from_slice::<OrderedObject>(&bytes) {
                Ok(OrderedObject(members)) => self.fields = Some(members),
                Err(_) => {
                    self.fail(format!("cannot set the body field `{name}`: the body is not a JSON object"));
                    return None;
                }
            },
            Some(_) => {
                self.fail(format!("cannot set the body field `{name}`: the body is not JSON"));
                return None;
            }
        }
        Some(self.fields.get_or_insert_with(Vec::new))
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    fn set(&mut self, r: Result<Body, Error>) {
        match r {
            Ok(b) => self.raw(b),
            Err(e) => {
                self.body = None;
                self.fields = None;
                self.error = Some(e.to_string());
            }
        }
    }

    /// The body to send ([`Body::Empty`] when none was set).
    pub fn get(&self) -> Result<Body, Error> {
        match (&self.error, &self.body, &self.fields) {
            (Some(e), _, _) => Err(Error::build(e.clone())),
            (None, Some(b), _) => Ok(b.clone()),
            (None, None, Some(fields)) => Body::json(&OrderedObject(fields.clone())),
            (None, None, None) => Ok(Body::Empty),
        }
    }
}

/// A JSON object whose members keep their order, both ways.
struct OrderedObject(Vec<(String, Value)>);

impl Serialize for OrderedObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for OrderedObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<OrderedObject, A::Error> {
                let mut members: Vec<(String, Value)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    match members.iter_mut().find(|(m, _)| *m == k) {
                        Some(slot) => slot.1 = v,
                        None => members.push((k, v)),
                    }
                }
                Ok(OrderedObject(members))
            }
        }
        deserializer.deserialize_map(Members)
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

/// The method for a URL: `PUT` when the URL accepts it, else `POST`, else the
/// first listed, whether or not the endpoint takes a body or one is set. This
/// is the official Python client's choice (elasticsearch-py 9.x) for every
/// endpoint with several methods: `scripts/official-methods.sh` reads it from
/// that client and `core/api/tests/methods.rs` compares.
pub fn pick_method(methods: &[&str]) -> http::Method {
    let chosen = methods.iter().find(|m| **m == "PUT").or(methods.iter().find(|m| **m == "POST")).or(methods.first());
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

/// A query-string parameter whose specification type is a union of scalars
/// (`TrackHits`: a boolean or a number; `WaitForActiveShards`: a number or
/// `all`; `DateTime`, `ByteSize`, `Slices`): booleans, integers, floats and
/// strings, rendered as the server reads them.
pub trait ParamValue {
    /// The rendered value.
    fn param_value(self) -> String;
}

macro_rules! param_value_display {
    ($($t:ty),*) => {
        $(impl ParamValue for $t {
            fn param_value(self) -> String {
                self.to_string()
            }
        })*
    };
}

param_value_display!(bool, i8, i16, i32, i64, u8, u16, u32, u64, usize, isize, f32, f64, &str, String, &String);

/// A duration parameter (`timeout`, `scroll`, `master_timeout`, …): a
/// [`std::time::Duration`], rendered in the largest unit that is exact
/// (`30s`, `1500ms`, `2m`), or the server's own notation as a string
/// (`"30s"`, `"1d"`, `"-1"`).
pub trait IntoDuration {
    /// The rendered duration.
    fn into_duration(self) -> String;
}

impl IntoDuration for std::time::Duration {
    fn into_duration(self) -> String {
        const UNITS: [(u128, &str); 6] = [
            (86_400_000_000_000, "d"),
            (3_600_000_000_000, "h"),
            (60_000_000_000, "m"),
            (1_000_000_000, "s"),
            (1_000_000, "ms"),
            (1_000, "micros"),
        ];
        let nanos = self.as_nanos();
        if nanos == 0 {
            return "0s".to_owned();
        }
        for (size, unit) in UNITS {
            if nanos.is_multiple_of(size) {
                return format!("{}{unit}", nanos / size);
            }
        }
        format!("{nanos}nanos")
    }
}

impl IntoDuration for &str {
    fn into_duration(self) -> String {
        self.to_owned()
    }
}

impl IntoDuration for String {
    fn into_duration(self) -> String {
        self
    }
}

impl IntoDuration for &String {
    fn into_duration(self) -> String {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn durations_render_in_the_largest_exact_unit() {
        assert_eq!(Duration::from_secs(30).into_duration(), "30s");
        assert_eq!(Duration::from_secs(120).into_duration(), "2m");
        assert_eq!(Duration::from_secs(7200).into_duration(), "2h");
        assert_eq!(Duration::from_secs(86_400 * 3).into_duration(), "3d");
        assert_eq!(Duration::from_millis(1500).into_duration(), "1500ms");
        assert_eq!(Duration::from_micros(7).into_duration(), "7micros");
        assert_eq!(Duration::from_nanos(9).into_duration(), "9nanos");
        assert_eq!(Duration::ZERO.into_duration(), "0s");
        assert_eq!("-1".into_duration(), "-1");
    }

    #[test]
    fn union_parameters_render_as_the_server_reads_them() {
        assert_eq!(true.param_value(), "true");
        assert_eq!(10_000.param_value(), "10000");
        assert_eq!("all".param_value(), "all");
    }

    #[test]
    fn body_fields_keep_their_order_and_replace_in_place() {
        let mut slot = BodySlot::default();
        slot.field("size", Ok(serde_json::json!(20)));
        slot.field("from", Ok(serde_json::json!(40)));
        slot.entry("aggregations", "a".into(), Ok(serde_json::json!({"avg": {"field": "x"}})));
        slot.field("size", Ok(serde_json::json!(10)));
        let Body::Json(bytes) = slot.get().unwrap() else { panic!("not JSON") };
        assert_eq!(&bytes[..], br#"{"size":10,"from":40,"aggregations":{"a":{"avg":{"field":"x"}}}}"#);
    }

    #[test]
    fn a_field_after_a_whole_body_changes_that_member_only() {
        let mut slot = BodySlot::default();
        slot.json(&serde_json::json!({"query": {"match_all": {}}, "size": 5}));
        slot.field("size", Ok(serde_json::json!(7)));
        let Body::Json(bytes) = slot.get().unwrap() else { panic!("not JSON") };
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v, serde_json::json!({"query": {"match_all": {}}, "size": 7}));
        // A whole body replaces every field set before.
        slot.json(&serde_json::json!({"size": 1}));
        let Body::Json(bytes) = slot.get().unwrap() else { panic!("not JSON") };
        assert_eq!(&bytes[..], br#"{"size":1}"#);
    }

    #[test]
    fn a_field_on_a_body_that_is_not_an_object_is_a_build_error() {
        let mut slot = BodySlot::default();
        slot.json(&serde_json::json!([1, 2]));
        slot.field("size", Ok(serde_json::json!(7)));
        let err = slot.get().unwrap_err();
        assert!(matches!(err, Error::Build(_)), "{err:?}");
        assert!(err.to_string().contains("not a JSON object"), "{err}");
    }

    #[test]
    fn a_field_that_fails_to_serialize_is_a_build_error() {
        let mut slot = BodySlot::default();
        // A map with non-string keys has no JSON form.
        let bad = serde_json::to_value(std::collections::BTreeMap::from([((1, 2), 3)]));
        assert!(bad.is_err());
        slot.field("min_score", bad);
        slot.field("size", Ok(serde_json::json!(1)));
        let err = slot.get().unwrap_err();
        assert!(err.to_string().contains("min_score"), "{err}");
    }
}
