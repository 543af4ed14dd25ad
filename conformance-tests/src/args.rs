//! JSON arguments of a fixture or example, and their conversions to the
//! typed setters' argument types.

use serde_json::{Map, Value};

/// Parts, parameters and body of one call.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// Path parts by spec name.
    pub parts: Map<String, Value>,
    /// Query parameters.
    pub params: Map<String, Value>,
    /// The body (a list of lines for NDJSON).
    pub body: Option<Value>,
}

impl Args {
    /// A required part.
    pub fn part(&self, name: &str) -> Result<&Value, String> {
        self.parts.get(name).ok_or_else(|| format!("missing path part {name}"))
    }

    /// An optional part.
    pub fn opt_part(&self, name: &str) -> Option<&Value> {
        self.parts.get(name).filter(|v| !v.is_null())
    }

    /// Query parameters in order.
    pub fn params(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.params.iter()
    }

    /// The body, unless absent or null.
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref().filter(|b| !b.is_null())
    }
}

/// A boolean from `true` or `"true"`.
pub fn to_bool(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s.is_empty() => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => Err(format!("not a boolean: {other}")),
    }
}

/// An integer from a number or numeric string.
pub fn to_i64(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| format!("not an integer: {n}")),
        Value::String(s) => s.parse().map_err(|_| format!("not an integer: {s}")),
        other => Err(format!("not an integer: {other}")),
    }
}

/// An unsigned integer.
pub fn to_u64(v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => n.as_u64().ok_or_else(|| format!("not an unsigned integer: {n}")),
        Value::String(s) => s.parse().map_err(|_| format!("not an unsigned integer: {s}")),
        other => Err(format!("not an unsigned integer: {other}")),
    }
}

/// A float.
pub fn to_f64(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("not a number: {n}")),
        Value::String(s) => s.parse().map_err(|_| format!("not a number: {s}")),
        other => Err(format!("not a number: {other}")),
    }
}

/// A scalar as the string sent.
pub fn to_string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Array(items) => Ok(to_list(&Value::Array(items.clone()))?.join(",")),
        other => Err(format!("not a scalar: {other}")),
    }
}

/// A list from an array or a (comma-joined) string.
pub fn to_list(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) => items.iter().map(to_string).collect(),
        other => Ok(vec![to_string(other)?]),
    }
}

/// An enum from its wire value.
pub fn to_enum<T: std::str::FromStr>(v: &Value) -> Result<T, String> {
    to_string(v)?.parse().map_err(|_| format!("not a known value: {v}"))
}

/// A typed body, decoded leniently from JSON.
pub fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
    T::deserialize(v).map_err(|e| format!("body does not decode into its type: {e}"))
}

/// NDJSON lines from a list.
pub fn lines(v: &Value) -> Result<Vec<Value>, String> {
    match v {
        Value::Array(items) => Ok(items.clone()),
        other => Err(format!("NDJSON body must be a list of lines, got {other}")),
    }
}
