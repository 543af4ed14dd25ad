//! Kibana Console request syntax, read into strict JSON.
//!
//! The specification's examples are written for the Console, which accepts
//! three things strict JSON does not: `"""triple-quoted"""` strings (ES|QL,
//! EQL and Painless sources spanning lines), `//` comments, and a trailing
//! comma before `}` or `]`. [`to_json`] rewrites exactly those and nothing
//! else: a missing comma, an unquoted key or a `...` stays an error.

/// Rewrites Console syntax into strict JSON text, or `None` when `src` uses
/// none of it (the caller's strict parse error then stands).
pub fn to_json(src: &str) -> Option<String> {
    let mut out = String::with_capacity(src.len());
    let mut changed = false;
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if src[i..].starts_with("\"\"\"") {
            let end = src[i + 3..].find("\"\"\"")? + i + 3;
            out.push_str(&serde_json::to_string(&src[i + 3..end]).ok()?);
            i = end + 3;
            changed = true;
        } else if b[i] == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push_str(&src[start..i]);
        } else if src[i..].starts_with("//") {
            i += src[i..].find('\n').unwrap_or(b.len() - i);
            changed = true;
        } else if b[i] == b',' && matches!(src[i + 1..].trim_start().chars().next(), Some('}' | ']')) {
            i += 1;
            changed = true;
        } else {
            let ch = src[i..].chars().next()?;
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::to_json;
    use serde_json::{json, Value};

    fn read(s: &str) -> Value {
        serde_json::from_str(&to_json(s).expect("console syntax")).expect("strict JSON")
    }

    #[test]
    fn triple_quoted_strings_become_escaped_strings() {
        let v = read("{\"query\": \"\"\"\n  FROM logs | WHERE a == \"x\"\n\"\"\"}");
        assert_eq!(v, json!({"query": "\n  FROM logs | WHERE a == \"x\"\n"}));
    }

    #[test]
    fn comments_and_trailing_commas_go() {
        let v = read("{\"a\": [1, 2,], // two\n \"b\": \"// not a comment\",\n}");
        assert_eq!(v, json!({"a": [1, 2], "b": "// not a comment"}));
    }

    #[test]
    fn other_errors_stay_errors() {
        assert_eq!(to_json("{\"a\": 1 \"b\": 2}"), None);
        assert!(to_json("{a: 1,}").map(|s| serde_json::from_str::<Value>(&s).is_err()).unwrap_or(true));
        assert_eq!(to_json("{\"q\": \"\"\"unterminated}"), None);
    }
}
