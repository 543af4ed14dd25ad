//! Documents: the [`Mapping`] of a Rust type, the [`Document`] trait that
//! `#[derive(Document)]` implements, and its operations over any runtime
//! (create the index, save, get, update, delete, search).
//!
//! Not here: bulk indexing (the core's bulk helper takes any serializable
//! document) and mapping updates of existing indices.

use elastik_api::Client;
use elastik_proto::bytes::Bytes;
use elastik_proto::endpoint::{api_error, decode_json};
use elastik_proto::{http, Body, Error, Executor};
use elastik_types::indices::CreateRequestBody;
use elastik_types::types::{Refresh, TypeMapping};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::search::{Search, TypedEndpoint};

/// The Elasticsearch field mapping of a Rust type.
///
/// Implemented for strings (`text` with a `keyword` sub-field), numbers,
/// `bool`, [`GeoPoint`], `Option<T>`/`Vec<T>`/`Box<T>` (as `T`), and by
/// `#[derive(Document)]` (as an object with properties). Dates from chrono
/// or time are recognised by the derive macro by type name.
pub trait Mapping {
    /// The field mapping, e.g. `{"type": "long"}` or `{"properties": {…}}`.
    fn mapping() -> Value;
}

macro_rules! simple_mapping {
    ($($t:ty => $es:literal),* $(,)?) => {$(
        impl Mapping for $t {
            fn mapping() -> Value {
                json!({"type": $es})
            }
        }
    )*};
}

simple_mapping! {
    bool => "boolean", i8 => "byte", i16 => "short", i32 => "integer", i64 => "long", isize => "long",
    u8 => "short", u16 => "integer", u32 => "long", u64 => "unsigned_long", usize => "unsigned_long",
    f32 => "float", f64 => "double", char => "keyword",
}

impl Mapping for String {
    /// `text` with a `keyword` sub-field (as Elasticsearch maps strings dynamically).
    fn mapping() -> Value {
        text_with_keyword()
    }
}

impl Mapping for str {
    fn mapping() -> Value {
        text_with_keyword()
    }
}

impl<T: Mapping + ?Sized> Mapping for &T {
    fn mapping() -> Value {
        T::mapping()
    }
}

impl<T: Mapping> Mapping for Option<T> {
    fn mapping() -> Value {
        T::mapping()
    }
}

impl<T: Mapping> Mapping for Vec<T> {
    fn mapping() -> Value {
        T::mapping()
    }
}

impl<T: Mapping + ?Sized> Mapping for Box<T> {
    fn mapping() -> Value {
        T::mapping()
    }
}

impl<T: Mapping> Mapping for std::collections::BTreeSet<T> {
    fn mapping() -> Value {
        T::mapping()
    }
}

impl<T: Mapping, S> Mapping for std::collections::HashSet<T, S> {
    fn mapping() -> Value {
        T::mapping()
    }
}

impl Mapping for Value {
    /// Any JSON: an object mapped dynamically.
    fn mapping() -> Value {
        json!({"type": "object"})
    }
}

/// A `geo_point` value, serialized as `{"lat": …, "lon": …}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

impl Mapping for GeoPoint {
    fn mapping() -> Value {
        json!({"type": "geo_point"})
    }
}

/// The default mapping of strings.
pub fn text_with_keyword() -> Value {
    json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
}

/// A struct stored in an index; implement with `#[derive(Document)]`.
///
/// Every operation is generic over the runtime: it returns
/// `X::Output<Result<…>>`, a value on the blocking runtime and a future on
/// the async ones.
pub trait Document: Mapping + Serialize + DeserializeOwned + Send + 'static {
    /// The index name (`#[es(index = "…")]`, default: the struct name in snake case).
    const INDEX: &'static str;

    /// The index settings (`#[es(shards = …, replicas = …, settings = "…")]`), or `null`.
    fn settings() -> Value {
        Value::Null
    }

    /// The id of this document (the field marked `#[es(id)]`), if any.
    fn document_id(&self) -> Option<String> {
        None
    }

    /// The index mappings: `{"properties": {…}}`.
    fn mappings() -> Value {
        Self::mapping()
    }

    /// The body of the create-index request: mappings and settings.
    fn create_index_body() -> Value {
        let mut o = Map::new();
        o.insert("mappings".to_owned(), Self::mappings());
        let settings = Self::settings();
        if !settings.is_null() {
            o.insert("settings".to_owned(), settings);
        }
        Value::Object(o)
    }

    /// The index mappings as the generated type (the body of a put-mapping
    /// request); an error when the generated type cannot represent them.
    fn type_mapping() -> Result<TypeMapping, serde_json::Error> {
        serde_json::from_value(Self::mappings())
    }

    /// The create-index body as the generated type, to create an index of
    /// another name than [`Document::INDEX`] (a test index, one per tenant):
    /// `client.indices().create(name).body(Book::create_index_request()?)`.
    fn create_index_request() -> Result<CreateRequestBody, serde_json::Error> {
        serde_json::from_value(Self::create_index_body())
    }

    /// Creates the index with its mappings and settings.
    fn create_index<X: Executor>(client: &Client<X>) -> X::Output<Result<Value, Error>> {
        let endpoint = elastik_api::indices::IndicesCreate::new(Self::INDEX);
        client.send(TypedEndpoint::new(endpoint, Body::json(&Self::create_index_body()).ok(), decode_json))
    }

    /// Deletes the index (a missing index is not an error: `false`).
    fn delete_index<X: Executor>(client: &Client<X>) -> X::Output<Result<bool, Error>> {
        let endpoint = elastik_api::indices::IndicesDelete::new(Self::INDEX);
        client.send(TypedEndpoint::new(endpoint, None, decode_found))
    }

    /// Makes recent writes visible to search.
    fn refresh<X: Executor>(client: &Client<X>) -> X::Output<Result<Value, Error>> {
        let endpoint = elastik_api::indices::IndicesRefresh::new().index(Self::INDEX);
        client.send(TypedEndpoint::new(endpoint, None, decode_json))
    }

    /// Indexes this document under [`Document::document_id`] (or a generated
    /// id); `refresh` makes it visible to search before returning. Returns the id.
    fn save<X: Executor>(&self, client: &Client<X>, refresh: bool) -> X::Output<Result<String, Error>> {
        let id = self.document_id();
        self.save_with_id(client, id.as_deref(), refresh)
    }

    /// Indexes this document under `id` (or a generated id). Returns the id.
    fn save_with_id<X: Executor>(
        &self,
        client: &Client<X>,
        id: Option<&str>,
        refresh: bool,
    ) -> X::Output<Result<String, Error>> {
        let mut endpoint = elastik_api::Index::new(Self::INDEX);
        if let Some(id) = id {
            endpoint = endpoint.id(id);
        }
        if refresh {
            endpoint = endpoint.refresh(Refresh::True);
        }
        client.send(TypedEndpoint::new(endpoint, Some(doc_body(self)), decode_id))
    }

    /// The document with this id, `None` when there is none.
    fn get<X: Executor>(client: &Client<X>, id: &str) -> X::Output<Result<Option<Self>, Error>>
    where
        Self: Sized,
    {
        let endpoint = elastik_api::Get::new(Self::INDEX, id);
        client.send(TypedEndpoint::new(endpoint, None, decode_get::<Self>))
    }

    /// Updates the fields of `partial` (any serializable subset of the document).
    fn update<X: Executor>(
        client: &Client<X>,
        id: &str,
        partial: &impl Serialize,
        refresh: bool,
    ) -> X::Output<Result<Value, Error>> {
        let mut endpoint = elastik_api::Update::new(Self::INDEX, id);
        if refresh {
            endpoint = endpoint.refresh(Refresh::True);
        }
        let body = Body::json(&json!({"doc": crate::query::to_json(partial)})).ok();
        client.send(TypedEndpoint::new(endpoint, body, decode_json))
    }

    /// Deletes the document with this id: `true` if it existed.
    fn delete<X: Executor>(client: &Client<X>, id: &str, refresh: bool) -> X::Output<Result<bool, Error>> {
        let mut endpoint = elastik_api::Delete::new(Self::INDEX, id);
        if refresh {
            endpoint = endpoint.refresh(Refresh::True);
        }
        client.send(TypedEndpoint::new(endpoint, None, decode_found))
    }

    /// A search of this document's index with hits decoded as `Self`.
    fn search() -> Search<Self>
    where
        Self: Sized,
    {
        Search::default().index(Self::INDEX)
    }
}

fn doc_body<T: Serialize + ?Sized>(doc: &T) -> Body {
    Body::json(doc).unwrap_or_default()
}

fn decode_id(response: &http::Response<Bytes>) -> Result<String, Error> {
    let v: Value = decode_json(response)?;
    v.get("_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::decode("index response without _id", response.body()))
}

fn decode_get<T: DeserializeOwned>(response: &http::Response<Bytes>) -> Result<Option<T>, Error> {
    if response.status() == http::StatusCode::NOT_FOUND {
        let v: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        // A missing document answers `found: false`; a missing index is an error.
        if v.get("found") == Some(&Value::Bool(false)) {
            return Ok(None);
        }
        return Err(api_error(response));
    }
    #[derive(Deserialize)]
    #[serde(bound(deserialize = "T: DeserializeOwned"))]
    struct GetBody<T> {
        #[serde(default)]
        found: bool,
        #[serde(rename = "_source", default = "Option::default")]
        source: Option<T>,
    }
    let body: GetBody<T> = decode_json(response)?;
    Ok(if body.found { body.source } else { None })
}

fn decode_found(response: &http::Response<Bytes>) -> Result<bool, Error> {
    if response.status() == http::StatusCode::NOT_FOUND {
        return Ok(false);
    }
    decode_json::<Value>(response).map(|_| true)
}
