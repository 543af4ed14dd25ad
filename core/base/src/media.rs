//! Media types and the compatibility rewriting Elasticsearch 8+ understands.

/// `application/json`
pub const JSON: &str = "application/json";
/// `application/x-ndjson`
pub const NDJSON: &str = "application/x-ndjson";
/// `text/plain`
pub const TEXT: &str = "text/plain";

/// Which `compatible-with` version to announce, if any.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compatibility {
    /// `compatible-with=9` (the default).
    #[default]
    V9,
    /// `compatible-with=8`.
    V8,
    /// Plain `application/json` and `application/x-ndjson`.
    Off,
}

impl Compatibility {
    /// The version number announced, if any.
    pub fn version(self) -> Option<u8> {
        match self {
            Compatibility::V9 => Some(9),
            Compatibility::V8 => Some(8),
            Compatibility::Off => None,
        }
    }
}

/// Rewrites a plain JSON or NDJSON media type into its compatibility form
/// (each of a comma-separated list, such as an `Accept` of
/// `text/plain,application/json`); `None` when there is nothing to rewrite.
pub fn compatible(media_type: &str, version: u8) -> Option<String> {
    if media_type.contains(',') {
        let mut any = false;
        let items: Vec<String> = media_type
            .split(',')
            .map(|item| match compatible(item, version) {
                Some(c) => {
                    any = true;
                    c
                }
                None => item.trim().to_owned(),
            })
            .collect();
        return any.then(|| items.join(","));
    }
    let essence = media_type.split(';').next().unwrap_or("").trim();
    match essence {
        JSON => Some(format!("application/vnd.elasticsearch+json; compatible-with={version}")),
        NDJSON => Some(format!("application/vnd.elasticsearch+x-ndjson; compatible-with={version}")),
        _ => None,
    }
}

/// Turns a compatibility media type back into its plain form.
pub fn plain(media_type: &str) -> Option<&'static str> {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    match essence {
        "application/vnd.elasticsearch+json" => Some(JSON),
        "application/vnd.elasticsearch+x-ndjson" => Some(NDJSON),
        _ => None,
    }
}

/// True when `content_type` is JSON of any flavour.
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence == JSON || essence == "application/vnd.elasticsearch+json" || essence.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_rewrites_json_and_ndjson_also_inside_a_list() {
        assert_eq!(compatible(JSON, 9).unwrap(), "application/vnd.elasticsearch+json; compatible-with=9");
        assert_eq!(compatible(NDJSON, 8).unwrap(), "application/vnd.elasticsearch+x-ndjson; compatible-with=8");
        assert_eq!(compatible(TEXT, 9), None);
        assert_eq!(
            compatible("text/plain,application/json", 9).unwrap(),
            "text/plain,application/vnd.elasticsearch+json; compatible-with=9"
        );
        assert_eq!(compatible("text/plain, text/csv", 9), None);
    }
}
