//! Turning specification names into Rust identifiers.

/// Rust keywords that need `r#` (or a suffix, for those `r#` cannot take).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static", "struct", "trait",
    "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// `geo_bounding_box` → `GeoBoundingBox`; `TDigest` stays; a leading digit gets `V`.
pub fn pascal(name: &str) -> String {
    let mut out = String::new();
    for chunk in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = chunk.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        out.push_str("Empty");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// A snake-case identifier for a wire name: `@timestamp` → `timestamp`,
/// `type` → `r#type`, `1d` → `_1d`.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let trimmed = out.trim_end_matches('_');
    let mut out = if trimmed.is_empty() && !out.is_empty() { out } else { trimmed.to_owned() };
    if out.is_empty() {
        out.push_str("value");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    raw_if_keyword(out)
}

/// `type` → `r#type`; `self`/`super`/`crate`/`Self` get a `_` suffix.
pub fn raw_if_keyword(ident: String) -> String {
    if matches!(ident.as_str(), "self" | "super" | "crate" | "Self" | "_") {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

/// The identifier without a raw prefix, for building other names.
pub fn bare(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// The Rust module of a top-level spec namespace: `_types` → `types`.
pub fn module_of(namespace: &str) -> String {
    let top = namespace.split('.').next().unwrap_or(namespace);
    top.trim_start_matches('_').to_owned()
}

/// Makes `candidate` unique within `used`, appending a number when needed.
pub fn unique(candidate: String, used: &mut std::collections::BTreeSet<String>) -> String {
    if used.insert(candidate.clone()) {
        return candidate;
    }
    let mut n = 2;
    loop {
        let c = if let Some(b) = candidate.strip_prefix("r#") { format!("{b}{n}") } else { format!("{candidate}{n}") };
        if used.insert(c.clone()) {
            return c;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal("geo_bounding_box"), "GeoBoundingBox");
        assert_eq!(pascal("8.x"), "V8X");
        assert_eq!(snake("@timestamp"), "timestamp");
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("routing.index"), "routing_index");
        assert_eq!(snake("1d"), "_1d");
        assert_eq!(snake("_source"), "_source");
        assert_eq!(snake("docCount"), "doc_count");
    }
}
