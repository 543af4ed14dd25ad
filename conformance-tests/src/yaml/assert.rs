//! The stash, response paths and the assertions of the YAML test format.

use std::collections::HashMap;

use serde_json::Value;

/// Values saved by `set` and `transform_and_set`, and `body`, the last
/// response body (stashed after every `do`, as the format says).
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

    /// The value stashed as `name`, or at a path into one (`body.hits.total`:
    /// the stashed `body`'s `hits.total`), as the Java runner's stash evaluates
    /// its keys as object paths.
    fn get(&self, name: &str) -> Result<Value, String> {
        if let Some(v) = self.values.get(name) {
            return Ok(v.clone());
        }
        let segments = split_path(name);
        if let Some((root, rest)) = segments.split_first() {
            let mut current = self.values.get(root);
            for seg in rest {
                current = match current {
                    Some(Value::Object(m)) => m.get(seg),
                    Some(Value::Array(items)) => seg.parse::<usize>().ok().and_then(|n| items.get(n)),
                    _ => None,
                };
            }
            if let (Some(v), false) = (current, rest.is_empty()) {
                return Ok(v.clone());
            }
        }
        Err(format!("${name} is not stashed"))
    }

    /// `value` with stashed values substituted: a whole string `$x` (or
    /// `${x}`) becomes the stashed value with its type, `${x}` inside a string
    /// its text (`\${x}` stays literal), keys too; `$_path` is the path of
    /// the value being resolved (`stash_path_replace`).
    pub fn resolve(&self, value: &Value) -> Result<Value, String> {
        self.resolve_at(value, &mut Vec::new())
    }

    fn resolve_at(&self, value: &Value, path: &mut Vec<String>) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => self.resolve_in(s, path)?,
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    out.push(self.resolve_at(v, path)?);
                    path.pop();
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let key = match self.resolve_str(k)? {
                        Value::String(s) => s,
                        other => text(&other),
                    };
                    path.push(key.clone());
                    let resolved = self.resolve_at(v, path)?;
                    path.pop();
                    if out.insert(key.clone(), resolved).is_some() {
                        return Err(format!("unstashing {k} makes the key {key} twice"));
                    }
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn resolve_in(&self, s: &str, path: &[String]) -> Result<Value, String> {
        if !s.contains("$_path") && !s.contains("${_path}") {
            return self.resolve_str(s);
        }
        let here = path.iter().map(|p| p.replace('.', "\\.")).collect::<Vec<_>>().join(".");
        self.resolve_str(&s.replace("${_path}", &here).replace("$_path", &here))
    }

    /// One string resolved (see [`Stash::resolve`]).
    pub fn resolve_str(&self, s: &str) -> Result<Value, String> {
        if let Some(name) = whole_reference(s) {
            return self.get(name);
        }
        if !s.contains("${") {
            return Ok(Value::String(s.to_owned()));
        }
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| format!("unclosed ${{ in {s}"))?;
            if rest[..start].ends_with('\\') {
                // `\${x}`: the text `${x}` itself.
                out.push_str(&rest[..start - 1]);
                out.push_str(&rest[start..start + 3 + end]);
            } else {
                out.push_str(&rest[..start]);
                out.push_str(&text(&self.get(&after[..end])?));
            }
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
    (!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '\\'))
        .then_some(name)
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
                if let Some(s) = out.last_mut() {
                    s.push('.');
                }
            }
            '.' => out.push(String::new()),
            c => {
                if let Some(s) = out.last_mut() {
                    s.push(c);
                }
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
            let re =
                regex::Regex::new(&format!("(?x){}", &t[1..t.len() - 1])).map_err(|e| format!("bad regex {t}: {e}"))?;
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
        (Value::String(s), Value::Number(_) | Value::Bool(_))
        | (Value::Number(_) | Value::Bool(_), Value::String(s)) => {
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

/// `gt`/`gte`/`lt`/`lte`: both sides as numbers (a numeric string counts
/// as its number), else two strings in their natural order (the Java runner
/// compares any two `Comparable`s: versions, dates, names).
pub fn compare(op: &str, actual: Option<&Value>, expected: &Value) -> Result<(), String> {
    let a = actual.ok_or("missing")?;
    let ordering = match (number(a), number(expected)) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => match (a, expected) {
            (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
            _ => None,
        },
    };
    let Some(ordering) = ordering else {
        return Err(format!("cannot compare {} with {}", short(a), short(expected)));
    };
    let ok = match op {
        "gt" => ordering.is_gt(),
        "gte" => ordering.is_ge(),
        "lt" => ordering.is_lt(),
        _ => ordering.is_le(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{} is not {op} {}", short(a), short(expected)))
    }
}

/// `close_to: { path: { value: V, error: E } }`: the actual number is
/// within `E` of `V`.
pub fn close_to(actual: Option<&Value>, expected: &Value) -> Result<(), String> {
    let (Some(value), Some(error)) = (expected.get("value").and_then(number), expected.get("error").and_then(number))
    else {
        return Err(format!("close_to expects {{value: number, error: number}}, got {}", short(expected)));
    };
    let a = actual.ok_or("missing")?;
    let x = number(a).ok_or_else(|| format!("{} is not a number", short(a)))?;
    if (x - value).abs() <= error {
        Ok(())
    } else {
        Err(format!("{x} is not within {error} of {value}"))
    }
}

/// `is_after: { path: INSTANT }`: both sides are ISO-8601 instants
/// (`2023-05-25T12:30:00.000Z`, an offset instead of `Z` allowed) and the
/// actual one is later.
pub fn is_after(actual: Option<&Value>, expected: &Value) -> Result<(), String> {
    let a = actual.ok_or("missing")?;
    let instant =
        |v: &Value| v.as_str().and_then(parse_instant).ok_or_else(|| format!("{} is not an instant", short(v)));
    if instant(a)? > instant(expected)? {
        Ok(())
    } else {
        Err(format!("{} is not after {}", short(a), short(expected)))
    }
}

/// `matches_in_any_order: { path: [..] }`: the same items as the expected
/// list, each matched once, in any order (non-lists: as `match`).
pub fn matches_in_any_order(actual: Option<&Value>, expected: &Value) -> Result<(), String> {
    let (Some(Value::Array(items)), Value::Array(wanted)) = (actual, expected) else {
        return match (actual, expected) {
            (Some(Value::Array(_)), _) => Err(format!("expected value must be a list, got {}", short(expected))),
            (_, Value::Array(_)) => {
                Err(format!("{} is not a list", actual.map(short).unwrap_or_else(|| "missing".into())))
            }
            _ => matches(actual, expected),
        };
    };
    let mut left: Vec<&Value> = items.iter().collect();
    for w in wanted {
        match left.iter().position(|a| matches(Some(a), w).is_ok()) {
            Some(i) => {
                left.remove(i);
            }
            None => return Err(format!("no item matches {} in {}", short(w), short(&Value::Array(items.clone())))),
        }
    }
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("unexpected items {}", short(&Value::Array(left.into_iter().cloned().collect()))))
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

/// A number, or a string holding one.
fn number(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Nanoseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub fn parse_instant(s: &str) -> Option<i128> {
    let s = s.trim();
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        (!part.is_empty() && part.bytes().all(|c| c.is_ascii_digit())).then(|| part.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = s.get(start..i).filter(|f| !f.is_empty() && f.len() <= 9)?;
        nanos = format!("{frac:0<9}").parse().ok()?;
    }
    let offset_seconds: i64 = match s.get(i..)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && tz.as_bytes()[3] == b':' => {
            let (h, m) = (digits(i + 1..i + 3)?, digits(i + 4..i + 6)?);
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(i128::from(seconds) * 1_000_000_000 + nanos)
}

/// Standard base64 with padding (`transform_and_set`'s `#base64EncodeCredentials`).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn instants_parse_with_fractions_and_offsets() {
        assert_eq!(parse_instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_instant("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
        assert_eq!(parse_instant("2023-05-25T12:30:00.000Z"), Some(1_685_017_800 * 1_000_000_000));
        assert_eq!(parse_instant("2023-05-25T14:30:00+02:00"), parse_instant("2023-05-25T12:30:00Z"));
        assert_eq!(parse_instant("2000-02-29T00:00:00Z"), Some(951_782_400 * 1_000_000_000));
        for bad in ["2023-05-25", "2023-05-25T12:30:00", "2023-13-01T00:00:00Z", "2023-05-25T12:30:00.Z", "x"] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn stash_resolves_whole_embedded_escaped_and_path_references() {
        let mut stash = Stash::default();
        stash.set("id", json!(7));
        stash.set("body", json!({"hits": {"total": 3, "ids": ["a", "b"]}}));
        assert_eq!(stash.resolve(&json!("$id")).unwrap(), json!(7));
        assert_eq!(stash.resolve(&json!("${id}")).unwrap(), json!(7));
        assert_eq!(stash.resolve(&json!("doc-${id}-x")).unwrap(), json!("doc-7-x"));
        assert_eq!(stash.resolve(&json!("\\${id}")).unwrap(), json!("${id}"));
        assert_eq!(stash.resolve(&json!("$body.hits.total")).unwrap(), json!(3));
        assert_eq!(stash.resolve(&json!({"$id": "${body.hits.ids.1}"})).unwrap(), json!({"7": "b"}));
        assert_eq!(stash.resolve(&json!({"hits": {"total": "$body.$_path"}})).unwrap(), json!({"hits": {"total": 3}}));
        assert!(stash.resolve(&json!("$missing")).is_err());
        assert!(stash.resolve(&json!("${unclosed")).is_err());
    }

    #[test]
    fn assertions_fail_when_they_should() {
        assert!(close_to(Some(&json!(0.1234)), &json!({"value": 0.12, "error": 0.01})).is_ok());
        assert!(close_to(Some(&json!(0.2)), &json!({"value": 0.12, "error": 0.01})).is_err());
        assert!(close_to(Some(&json!(0.2)), &json!(0.2)).is_err());
        assert!(is_after(Some(&json!("2024-01-01T00:00:00Z")), &json!("2023-12-31T23:59:59.999Z")).is_ok());
        assert!(is_after(Some(&json!("2023-01-01T00:00:00Z")), &json!("2023-01-01T00:00:00Z")).is_err());
        assert!(matches_in_any_order(Some(&json!(["b", "a", 1])), &json!([1, "a", "b"])).is_ok());
        assert!(matches_in_any_order(Some(&json!(["b", "a"])), &json!(["a", "a"])).is_err());
        assert!(matches_in_any_order(Some(&json!(["b", "a", "c"])), &json!(["a", "b"])).is_err());
        assert!(compare("gt", Some(&json!("8.15.3")), &json!("8.1")).is_ok());
        assert!(compare("lt", Some(&json!(3)), &json!("10")).is_ok());
        assert!(compare("lt", Some(&json!({})), &json!(1)).is_err());
        assert!(matches(Some(&json!("abc\n")), &json!("/^ a b c \\n $/")).is_ok());
    }
}
