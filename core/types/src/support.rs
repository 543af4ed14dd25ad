//! Hand-written helpers the generated types use: shortcut forms, maps keyed
//! by `typed_keys` names, and lenient enum decoding.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A value the specification lets users write in a short form: a bare value
/// standing for one property (`{"match": {"title": "rust"}}`) or the full object.
/// An object always decodes as the full form; anything else as the short one.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Shortcut<T, S> {
    /// The short form.
    Short(S),
    /// The full object.
    Full(T),
}

impl<'de, T: serde::de::DeserializeOwned, S: serde::de::DeserializeOwned> Deserialize<'de> for Shortcut<T, S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.is_object() {
            serde_json::from_value(value).map(Shortcut::Full).map_err(de::Error::custom)
        } else {
            serde_json::from_value(value).map(Shortcut::Short).map_err(de::Error::custom)
        }
    }
}

impl<T: Default, S> Default for Shortcut<T, S> {
    fn default() -> Self {
        Shortcut::Full(T::default())
    }
}

/// Scripts by hand: `Script::source("ctx._source.n += params.n").param("n", 1)`,
/// and `.into()` wherever a script field takes the full or the short form.
impl crate::types::Script {
    /// An inline script.
    pub fn source(source: impl Into<String>) -> Self {
        crate::types::Script {
            source: Some(Box::new(crate::types::ScriptSource::String(source.into()))),
            ..Default::default()
        }
    }

    /// A stored script, by id.
    pub fn stored(id: impl Into<String>) -> Self {
        crate::types::Script { id: Some(id.into()), ..Default::default() }
    }

    /// Adds a parameter. A value that does not serialize is stored as `null`.
    pub fn param(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.params.get_or_insert_with(BTreeMap::new).insert(name.into(), value);
        self
    }

    /// The language (`painless` when unset).
    pub fn lang(mut self, lang: crate::types::ScriptLanguage) -> Self {
        self.lang = Some(lang);
        self
    }
}

impl From<&str> for crate::types::Script {
    fn from(source: &str) -> Self {
        crate::types::Script::source(source)
    }
}

impl From<crate::types::Script> for Shortcut<crate::types::Script, crate::types::ScriptSource> {
    fn from(script: crate::types::Script) -> Self {
        Shortcut::Full(script)
    }
}

impl From<&str> for Shortcut<crate::types::Script, crate::types::ScriptSource> {
    fn from(source: &str) -> Self {
        Shortcut::Short(crate::types::ScriptSource::String(source.to_owned()))
    }
}

/// A member of an untagged union for [`pick_variant`]: the keys it requires
/// (empty for non-objects or when it requires none) and how to decode it.
pub type Candidate<T> = (&'static [&'static str], fn(&serde_json::Value) -> Result<T, serde_json::Error>);

/// Decodes `value` as the first member whose required keys it all has (the
/// members requiring most first), else as the first member that decodes, in
/// order; `Err(value)` when none does.
pub fn pick_variant<T>(value: serde_json::Value, candidates: &[Candidate<T>]) -> Result<T, serde_json::Value> {
    if let Some(object) = value.as_object() {
        let mut keyed: Vec<&Candidate<T>> = candidates
            .iter()
            .filter(|(keys, _)| !keys.is_empty() && keys.iter().all(|k| object.contains_key(*k)))
            .collect();
        keyed.sort_by_key(|(keys, _)| std::cmp::Reverse(keys.len()));
        for (_, decode) in keyed {
            if let Ok(v) = decode(&value) {
                return Ok(v);
            }
        }
    }
    for (_, decode) in candidates {
        if let Ok(v) = decode(&value) {
            return Ok(v);
        }
    }
    Err(value)
}

/// A map of named results whose keys may carry a type prefix
/// (`sterms#genres`, as sent with `typed_keys`). Keys are kept as sent; with a
/// prefix, the value decodes into the variant the prefix names.
#[derive(Clone, Debug)]
pub struct TypedMap<V>(pub BTreeMap<String, V>);

impl<V> Default for TypedMap<V> {
    fn default() -> Self {
        TypedMap(BTreeMap::new())
    }
}

impl<V> TypedMap<V> {
    /// The entry named `name`, with or without a type prefix.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.0
            .get(name)
            .or_else(|| self.0.iter().find(|(k, _)| k.split_once('#').is_some_and(|(_, n)| n == name)).map(|(_, v)| v))
    }

    /// Iterates over `(key as sent, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for TypedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            match k.split_once('#') {
                Some((tag, _)) => {
                    let value = serde_json::to_value(v).map_err(serde::ser::Error::custom)?;
                    match value {
                        serde_json::Value::Object(mut o) if o.len() == 1 && o.contains_key(tag) => {
                            map.serialize_entry(k, &o.remove(tag))?
                        }
                        other => map.serialize_entry(k, &other)?,
                    }
                }
                None => map.serialize_entry(k, v)?,
            }
        }
        map.end()
    }
}

impl<'de, V: serde::de::DeserializeOwned> Deserialize<'de> for TypedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: serde::de::DeserializeOwned> Visitor<'de> for V2<V> {
            type Value = TypedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = access.next_entry::<String, serde_json::Value>()? {
                    let parsed = match k.split_once('#') {
                        Some((tag, _)) => {
                            let mut o = serde_json::Map::new();
                            o.insert(tag.to_owned(), v);
                            serde_json::from_value(serde_json::Value::Object(o))
                        }
                        None => serde_json::from_value(v),
                    };
                    out.insert(k, parsed.map_err(de::Error::custom)?);
                }
                Ok(TypedMap(out))
            }
        }
        deserializer.deserialize_map(V2(std::marker::PhantomData))
    }
}

/// Reads an enum's wire value, accepting strings and also the booleans and
/// numbers some servers send for enum-typed fields.
pub fn enum_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct S;
    impl Visitor<'_> for S {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    deserializer.deserialize_any(S)
}

/// Splits an internally tagged object into its tag (as text: `true` for a
/// boolean tag; `default` when the object has none) and the other members.
pub fn untag(value: &serde_json::Value, tag: &str, default: Option<&str>) -> (Option<String>, serde_json::Value) {
    let serde_json::Value::Object(map) = value else { return (None, value.clone()) };
    let mut rest = map.clone();
    let found = match rest.remove(tag) {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Null) | None => default.map(str::to_owned),
        Some(other) => Some(other.to_string()),
    };
    (found, serde_json::Value::Object(rest))
}

/// Decodes one variant's payload from the members [`untag`] left.
pub fn variant<T: serde::de::DeserializeOwned, E: de::Error>(rest: serde_json::Value) -> Result<T, E> {
    serde_json::from_value(rest).map_err(E::custom)
}

/// Writes an internally tagged variant: the payload's members plus the tag
/// (none for a default variant written without it).
pub fn tagged<S: Serializer, T: Serialize>(
    serializer: S,
    tag: &str,
    value: Option<serde_json::Value>,
    payload: &T,
) -> Result<S::Ok, S::Error> {
    let mut out = serde_json::to_value(payload).map_err(serde::ser::Error::custom)?;
    if let (serde_json::Value::Object(map), Some(v)) = (&mut out, value) {
        map.insert(tag.to_owned(), v);
    }
    out.serialize(serializer)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::global::{MgetResponse, MgetResponseItem, MsearchResponseItem};

    #[test]
    fn scripts_are_built_in_one_expression() {
        use crate::global::UpdateRequestBody;
        use crate::types::Script;
        let body = UpdateRequestBody::<serde_json::Value> {
            script: Some(Script::source("ctx._source.n += params.n").param("n", 2).into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"script": {"source": "ctx._source.n += params.n", "params": {"n": 2}}})
        );
        let short =
            UpdateRequestBody::<serde_json::Value> { script: Some("ctx._source.n = 0".into()), ..Default::default() };
        assert_eq!(serde_json::to_value(&short).unwrap(), json!({"script": "ctx._source.n = 0"}));
        assert_eq!(serde_json::to_value(Script::stored("s1")).unwrap(), json!({"id": "s1"}));
    }

    #[test]
    fn an_mget_error_item_is_an_error_not_a_missing_document() {
        let response: MgetResponse = serde_json::from_value(json!({"docs": [
            {"_index": "books", "_id": "1", "found": true, "_version": 1, "_source": {"title": "Dune"}},
            {"_index": "books", "_id": "2", "found": false},
            {"_index": "nope", "_id": "3", "error": {"type": "index_not_found_exception", "reason": "no such index [nope]"}},
        ]}))
        .unwrap();
        assert!(matches!(&response.docs[0], MgetResponseItem::GetResult(g) if g.found && g._source.is_some()));
        assert!(matches!(&response.docs[1], MgetResponseItem::GetResult(g) if !g.found));
        match &response.docs[2] {
            MgetResponseItem::MultiGetError(e) => assert_eq!(e.error.r#type, "index_not_found_exception"),
            other => panic!("an error item decoded as {other:?}"),
        }
    }

    #[test]
    fn an_msearch_error_item_is_an_error_not_an_empty_search() {
        let items: Vec<MsearchResponseItem> = serde_json::from_value(json!([
            {"took": 1, "timed_out": false, "_shards": {"total": 1, "successful": 1, "failed": 0},
             "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}, "status": 200},
            {"error": {"type": "index_not_found_exception", "reason": "no such index [x]"}, "status": 404},
        ]))
        .unwrap();
        assert!(matches!(&items[0], MsearchResponseItem::MultiSearchItem(s) if s.status == Some(200)));
        match &items[1] {
            MsearchResponseItem::ErrorResponseBase(e) => assert_eq!(e.status, 404),
            other => panic!("an error item decoded as {other:?}"),
        }
    }
}
