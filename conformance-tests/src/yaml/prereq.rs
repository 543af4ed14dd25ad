//! `skip` and `requires` sections, and the facts about the cluster they
//! (and `node_selector`) are decided by.
//!
//! The rules are the Java reference runner's (`PrerequisiteSection`):
//! `requires` runs a test only when every runner feature is implemented, every
//! cluster feature is present and every capability is supported; `skip` skips
//! it when any of its criteria holds: `awaits_fix`, a `version` range holding
//! every node, an `os` equal to a node's pretty name, a present cluster
//! feature, a `known_issues` entry whose feature is present but whose
//! `fixed_by` is not, or a supported capability. `xpack` / `no_xpack` in the
//! feature lists require or exclude X-Pack (a node with an `x-pack-*` module).
//!
//! Cluster features are those every node lists in the cluster state's
//! `nodes_features`, plus the format's synthetic `gte_vX.Y.Z` for versions up
//! to 8.14.0 that every node has reached. Capabilities are asked of
//! `GET /_capabilities`; an error counts as unsupported.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::assert::{short, text};
use super::Runner;

/// Runner features this runner implements (`features`, `test_runner_features`).
pub const FEATURES: &[&str] = &[
    "allowed_warnings",
    "allowed_warnings_regex",
    "arbitrary_key",
    "catch_unauthorized",
    "close_to",
    "contains",
    "default_shards",
    "embedded_stash_key",
    "exists",
    "gtelte",
    "headers",
    "is_after",
    "node_selector",
    "skip_os",
    "stash_in_key",
    "stash_in_path",
    "stash_path_replace",
    "transform_and_set",
    "warnings",
    "warnings_regex",
    "yaml",
];

/// One node as `GET /_nodes` describes it.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// The node id.
    pub id: String,
    /// `version` (`8.15.3`, maybe `-SNAPSHOT`).
    pub version: String,
    /// `attributes`.
    pub attributes: Map<String, Value>,
    /// `http.publish_address` as `host:port`.
    pub http: Option<String>,
    /// `os.pretty_name`.
    pub os: Option<String>,
    /// Whether an `x-pack-*` module is loaded.
    pub xpack: bool,
}

/// What the prerequisites are decided by, read once per runner.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// Every node.
    pub nodes: Vec<Node>,
    /// Features every node has.
    pub features: BTreeSet<String>,
}

impl Cluster {
    /// Reads the nodes and features through `runner` (errors leave them empty).
    pub fn read(runner: &mut Runner<'_>) -> Cluster {
        let mut cluster = Cluster::default();
        if let Some(body) = runner.quiet("nodes.info", json!({})) {
            for (id, n) in body["nodes"].as_object().into_iter().flatten() {
                let modules = n["modules"].as_array().into_iter().flatten();
                let xpack = modules.filter_map(|m| m["name"].as_str()).any(|m| m.starts_with("x-pack"));
                cluster.nodes.push(Node {
                    id: id.clone(),
                    version: n["version"].as_str().unwrap_or_default().to_owned(),
                    attributes: n["attributes"].as_object().cloned().unwrap_or_default(),
                    http: n["http"]["publish_address"].as_str().map(|a| a.rsplit('/').next().unwrap_or(a).to_owned()),
                    os: n["os"]["pretty_name"].as_str().map(str::to_owned),
                    xpack,
                });
            }
        }
        if cluster.nodes.is_empty() {
            if let Some(info) = runner.quiet("info", json!({})) {
                let version = info["version"]["number"].as_str().unwrap_or_default().to_owned();
                cluster.nodes.push(Node { version, ..Node::default() });
            }
        }
        if let Some(state) = runner.quiet("cluster.state", json!({})) {
            let mut per_node = state["nodes_features"].as_array().into_iter().flatten().map(|n| {
                n["features"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect::<BTreeSet<_>>()
            });
            if let Some(first) = per_node.next() {
                cluster.features = per_node.fold(first, |acc, f| acc.intersection(&f).cloned().collect());
            }
        }
        cluster
    }

    /// Whether the cluster has `feature` (see the module docs).
    pub fn has_feature(&self, feature: &str) -> bool {
        if self.features.contains(feature) {
            return true;
        }
        let Some(v) = feature.strip_prefix("gte_v").map(parse_version) else { return false };
        !v.is_empty()
            && v <= vec![8, 14, 0]
            && !self.nodes.is_empty()
            && self.nodes.iter().all(|n| parse_version(&n.version) >= v)
    }

    /// Whether X-Pack is installed.
    pub fn xpack(&self) -> bool {
        self.nodes.iter().any(|n| n.xpack)
    }

    /// Whether every node's version is in `ranges` (`all`, `A - B`, `- B`,
    /// `A -`, comma-separated).
    pub fn versions_in(&self, ranges: &str) -> bool {
        !self.nodes.is_empty() && self.nodes.iter().all(|n| version_in(&parse_version(&n.version), ranges))
    }
}

/// Why the `skip`/`requires` steps among `steps` say not to run (`Ok(None)`:
/// run); an `Err` for a section the format does not allow.
pub fn skip_reason(runner: &mut Runner<'_>, steps: &[Value]) -> Result<Option<String>, String> {
    for step in steps {
        let Some(map) = step.as_object() else { continue };
        if let Some(spec) = map.get("requires") {
            if let Some(reason) = requires(runner, section(spec, "requires")?)? {
                return Ok(Some(reason));
            }
        }
        if let Some(spec) = map.get("skip") {
            if let Some(reason) = skip(runner, section(spec, "skip")?)? {
                return Ok(Some(reason));
            }
        }
    }
    Ok(None)
}

fn section<'v>(spec: &'v Value, name: &str) -> Result<&'v Map<String, Value>, String> {
    spec.as_object().ok_or_else(|| format!("{name}: not a map: {}", short(spec)))
}

fn requires(runner: &mut Runner<'_>, spec: &Map<String, Value>) -> Result<Option<String>, String> {
    let reason = spec.get("reason").map(text).unwrap_or_default();
    for (key, value) in spec {
        let unmet = match key.as_str() {
            "reason" => None,
            "test_runner_features" => features(runner, value),
            "cluster_features" => {
                let cluster = runner.cluster();
                strings(value)
                    .into_iter()
                    .find(|f| !cluster.has_feature(f))
                    .map(|f| format!("needs cluster feature {f}"))
            }
            "capabilities" => {
                let checks = value.as_array().ok_or("requires.capabilities: not a list")?;
                let mut unmet = None;
                for check in checks {
                    if !capability(runner, check)? {
                        unmet = Some(format!("needs capability {}", short(check)));
                        break;
                    }
                }
                unmet
            }
            other => return Err(format!("requires: unknown field {other}")),
        };
        if let Some(why) = unmet {
            return Ok(Some(if reason.is_empty() { why } else { format!("{why}: {reason}") }));
        }
    }
    Ok(None)
}

fn skip(runner: &mut Runner<'_>, spec: &Map<String, Value>) -> Result<Option<String>, String> {
    let reason = spec.get("reason").map(text).unwrap_or_default();
    for (key, value) in spec {
        let met = match key.as_str() {
            "reason" => None,
            "features" => features(runner, value),
            "awaits_fix" => Some(format!("awaits fix {}", text(value))),
            "version" => {
                let range = text(value);
                runner.cluster().versions_in(&range).then(|| format!("version {range}"))
            }
            "os" => {
                let cluster = runner.cluster();
                let names = strings(value);
                cluster
                    .nodes
                    .iter()
                    .filter_map(|n| n.os.as_deref())
                    .find(|os| names.iter().any(|n| n == os))
                    .map(|os| format!("os {os}"))
            }
            "cluster_features" => {
                let cluster = runner.cluster();
                strings(value).into_iter().find(|f| cluster.has_feature(f)).map(|f| format!("cluster feature {f}"))
            }
            "known_issues" => {
                let cluster = runner.cluster();
                let issues = value.as_array().ok_or("skip.known_issues: not a list")?;
                let mut met = None;
                for issue in issues {
                    let (Some(feature), Some(fixed_by)) =
                        (issue["cluster_feature"].as_str(), issue["fixed_by"].as_str())
                    else {
                        return Err(format!(
                            "skip.known_issues: expected cluster_feature and fixed_by, got {}",
                            short(issue)
                        ));
                    };
                    if cluster.has_feature(feature) && !cluster.has_feature(fixed_by) {
                        met = Some(format!("known issue {feature} (fixed by {fixed_by})"));
                        break;
                    }
                }
                met
            }
            "capabilities" => {
                let checks = value.as_array().ok_or("skip.capabilities: not a list")?;
                let mut met = None;
                for check in checks {
                    if capability(runner, check)? {
                        met = Some(format!("capability {}", short(check)));
                        break;
                    }
                }
                met
            }
            other => return Err(format!("skip: unknown field {other}")),
        };
        if let Some(why) = met {
            return Ok(Some(if reason.is_empty() { why } else { format!("{why}: {reason}") }));
        }
    }
    Ok(None)
}

/// The first feature of `value` that stops the test: one this runner lacks,
/// `xpack` without X-Pack, `no_xpack` with it.
fn features(runner: &mut Runner<'_>, value: &Value) -> Option<String> {
    for f in strings(value) {
        match f.as_str() {
            "xpack" if !runner.cluster().xpack() => return Some("needs X-Pack".into()),
            "no_xpack" if runner.cluster().xpack() => return Some("needs a cluster without X-Pack".into()),
            "xpack" | "no_xpack" => {}
            other if !FEATURES.contains(&other) => return Some(format!("needs runner feature {other}")),
            _ => {}
        }
    }
    None
}

/// Asks `GET /_capabilities` for one `{method, path, parameters, capabilities}` check.
fn capability(runner: &mut Runner<'_>, check: &Value) -> Result<bool, String> {
    let Some(fields) = check.as_object() else { return Err(format!("capabilities: not a map: {}", short(check))) };
    let mut args = Map::new();
    for (key, value) in fields {
        match key.as_str() {
            "method" | "path" | "parameters" | "capabilities" => {
                args.insert(key.clone(), Value::String(strings(value).join(",")));
            }
            other => return Err(format!("capabilities: unknown field {other}")),
        }
    }
    if !args.contains_key("path") {
        return Err("capabilities: path is required".into());
    }
    args.entry("method").or_insert_with(|| json!("GET"));
    Ok(runner.quiet("capabilities", Value::Object(args)).is_some_and(|b| b["supported"] == json!(true)))
}

/// A string or a list of strings.
pub fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(text).collect(),
        Value::Null => Vec::new(),
        other => vec![text(other)],
    }
}

/// `8.15.3-SNAPSHOT` → `[8, 15, 3]`.
pub fn parse_version(s: &str) -> Vec<u64> {
    s.trim().split(['.', '-']).map_while(|p| p.parse().ok()).collect()
}

/// Whether `version` is in `ranges` (see [`Cluster::versions_in`]).
pub fn version_in(version: &[u64], ranges: &str) -> bool {
    ranges.split(',').any(|r| {
        let r = r.trim();
        if r == "all" {
            return true;
        }
        let (lo, hi) = r.split_once('-').unwrap_or((r, r));
        let (lo, hi) = (lo.trim(), hi.trim());
        (lo.is_empty() || parse_version(lo).as_slice() <= version)
            && (hi.is_empty() || version <= parse_version(hi).as_slice())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ranges_are_inclusive_and_open_ended() {
        let v = parse_version("8.15.3-SNAPSHOT");
        assert_eq!(v, vec![8, 15, 3]);
        assert!(version_in(&v, "all"));
        assert!(version_in(&v, "8.15.3 - 8.15.3"));
        assert!(version_in(&v, " - 8.16.0"));
        assert!(version_in(&v, "8.0.0 - "));
        assert!(version_in(&v, " - 7.99.99, 8.15.0 - "));
        assert!(!version_in(&v, " - 8.15.2"));
        assert!(!version_in(&v, "8.16.0 - "));
    }

    #[test]
    fn synthetic_version_features_stop_at_8_14() {
        let cluster = Cluster {
            nodes: vec![Node { version: "8.15.3".into(), ..Node::default() }],
            features: ["knn_retriever_supported".to_owned()].into(),
        };
        assert!(cluster.has_feature("knn_retriever_supported"));
        assert!(cluster.has_feature("gte_v8.12.2"));
        assert!(cluster.has_feature("gte_v8.14.0"));
        assert!(!cluster.has_feature("gte_v8.15.0"));
        assert!(!cluster.has_feature("something_else"));
    }
}
