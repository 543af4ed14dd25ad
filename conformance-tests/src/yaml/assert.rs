//! The stash, response paths and the assertions of the YAML test format.

use std::collections::HashMap;

use serde_json::Value;

/// Values saved by `set` (and `$body`, the last response body).
#[derive(Debug, Default)]
pub struct Stash {
    values: HashMap<String, Value>,
}

impl Stash {
    /// Forgets everything (between tests).
    pub fn clear(&mut self) {
        self.values.clear();
    }

    /// Saves `value` as `$name`.
    pub fn set(&mut self, name: &str, value: Value) {
        self.values.insert(name.trim_start_matches('$').to_owned(), value);
    }

    fn get(&self, name: &str) -> Result<&Value, String> {
        self.values.get(name).ok_or_else(|| format!("${name} is not stashed"))
    }

    /// `value` with stashed values substituted: a whole string `$x` (or
    /// `${x}`) becomes the stashed value with its type, `${x}` inside a string
    /// its text; keys too.
    pub fn resolve(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => self.resolve_str(s)?,
            Value::Array(items) => Value::Array(items.iter().map(|v| self.resolve(v)).collect::<Result<_, _>>()?),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let key = match self.resolve_str(k)? {
                        Value::String(s) => s,
                        other => text(&other),
                    };
                    out.insert(key, self.resolve(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn resolve_str(&self, s: &str) -> Result<Value, String> {
        if let Some(name) = whole_reference(s) {
            return self.get(name).cloned();
        }
        if !s.contains("${") {
            return Ok(Value::String(s.to_owned()));
        }
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| format!("unclosed ${{ in {s}"))?;
            out.push_str(&text(self.get(&after[..end])?));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Value::String(out))
    }
}

fn whole_reference(s: &str) -> Option<&str> {
    if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        return (!inner.contains('}')).then_some(inner);
    }
    let name = s.strip_prefix('$')?;
    (!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')).then_some(name)
}

/// A scalar's text (strings unquoted).
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value at `path` in `body`: segments split on `.` (`\.` escapes a
/// dot), list indices as numbers, `$x` segments resolved from the stash,
/// `_arbitrary_key_` naming some key of an object; `$body` or `` the body.
pub fn lookup<'a>(body: &'a Value, path: &str, stash: &Stash) -> Result<Option<Value>, String> {
    let path = path.trim();
    if path.is_empty() || path == "$body" {
        return Ok(Some(body.clone()));
    }
    let mut current: &'a Value = body;
    let segments = split_path(path);
    for (i, raw) in segments.iter().enumerate() {
        let seg = match stash.resolve_str(raw)? {
            Value::String(s) => s,
            other => text(&other),
        };
        match current {
            Value::Object(map) if seg == "_arbitrary_key_" => {
                let Some((key, value)) = map.iter().next() else { return Ok(None) };
                if i + 1 == segments.len() {
                    return Ok(Some(Value::String(key.clone())));
                }
                current = value;
            }
            Value::Object(map) => match map.get(&seg) {
                Some(v) => current = v,
                None => return Ok(None),
            },
            Value::Array(items) => match seg.parse::<usize>().ok().and_then(|n| items.get(n)) {
                Some(v) => current = v,
                None => return Ok(None),
            },
            _ => return Ok(None),
        }
    }
    Ok(Some(current.clone()))
}

fn split_path(path: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                out.last_mut().map(|s| s.push('.'));
            }
            '.' => out.push(String::new()),
            c => {
                out.last_mut().map(|s| s.push(c));
            }
        }
    }
    out
}

/// `match`: equal (numbers by value, a string and a number by their text),
/// or for a `/regex/` expectation, the regex (extended syntax) found in the
/// actual value's text.
pub fn matches(actual: Option<&Value>, expected: &Value) -> Result<(), String> {
    if let Value::String(s) = expected {
        let t = s.trim();
        if t.len() > 1 && t.starts_with('/') && t.ends_with('/') {
            let re = regex::Regex::new(&format!("(?x){}", &t[1..t.len() - 1])).map_err(|e| format!("bad regex {t}: {e}"))?;
            let got = actual.map(text).unwrap_or_default();
            return if re.is_match(&got) { Ok(()) } else { Err(format!("{got:?} does not match {t}")) };
        }
    }
    match actual {
        Some(a) if loose_eq(a, expected) => Ok(()),
        Some(a) => Err(format!("{} != expected {}", short(a), short(expected))),
        None if expected.is_null() => Ok(()),
        None => Err(format!("missing, expected {}", short(expected))),
    }
}

/// Equality with numbers by value and a string equal to a scalar's text.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Number(_) | Value::Bool(_)) | (Value::Number(_) | Value::Bool(_), Value::String(s)) => {
            let other = if a.is_string() { b } else { a };
            *s == text(other) || (other.as_f64().is_some() && s.parse::<f64>().ok() == other.as_f64())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| loose_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| loose_eq(v, w)))
        }
        (x, y) => x == y,
    }
}

/// `is_true`: present and not null, `false`, `""`, `"false"` or the number
/// `0`. The string `"0"` is true, as in the official clients' runners (the
/// suite's `is_true: 0.shard` on a cat table relies on it).
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !(s.is_empty() || s == "false"),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(_) => true,
    }
}

/// `length`: items of a list, keys of an object, characters of a string.
pub fn length(v: Option<&Value>) -> Result<usize, String> {
    match v {
        Some(Value::Array(a)) => Ok(a.len()),
        Some(Value::Object(o)) => Ok(o.len()),
        Some(Value::String(s)) => Ok(s.chars().count()),
        Some(other) => Err(format!("{} has no length", short(other))),
        None => Err("missing".into()),
    }
}

/// `gt`/`gte`/`lt`/`lte`: both sides as numbers.
pub fn compare(op: &str, actual: Option<&Value>, expected: &Value) -> Result<(), String> {
    let num = |v: &Value| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
    let a = actual.ok_or("missing")?;
    let (x, y) = match (num(a), num(expected)) {
        (Some(x), Some(y)) => (x, y),
        _ => return Err(format!("cannot compare {} with {}", short(a), short(expected))),
    };
    let ok = match op {
        "gt" => x > y,
        "gte" => x >= y,
        "lt" => x < y,
        _ => x <= y,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{x} is not {op} {y}"))
    }
}

/// `contains`: a list holding an item equal to (for objects: including) the
/// expectation, or a string holding its text.
pub fn contains(actual: Option<&Value>, expected: &Value) -> Result<(), String> {
    let found = match actual {
        Some(Value::Array(items)) => items.iter().any(|i| loose_eq(i, expected) || includes(i, expected)),
        Some(Value::String(s)) => s.contains(&text(expected)),
        Some(v @ Value::Object(_)) => includes(v, expected),
        _ => false,
    };
    if found {
        Ok(())
    } else {
        Err(format!("{} does not contain {}", actual.map(short).unwrap_or_else(|| "missing".into()), short(expected)))
    }
}

fn includes(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|w| includes(w, v))),
        (a, e) => loose_eq(a, e),
    }
}

/// A value shortened for messages.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}
