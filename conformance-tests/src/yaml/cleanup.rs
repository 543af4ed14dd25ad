//! Cleanup between tests: removes what tests create, through the typed API
//! like every other call. Each kind of resource is listed, then deleted by
//! name; any error (an endpoint the server lacks, nothing to delete) is
//! ignored.
//!
//! What it removes: data streams, indices (with their aliases), composable
//! and legacy index templates, component templates, ingest pipelines,
//! snapshot repositories, ILM policies, synonym sets, query rulesets and
//! search applications. Not stored scripts (they cannot be listed), not
//! cluster settings, and not what [`seed`] created.
//!
//! [`seed`] gives a bare server what every real Elasticsearch cluster has
//! and a few tests assume (`cat.shards`, `cat.templates`, `cat.allocation`,
//! `indices.stats` on an "empty" cluster): a system-like (dot-prefixed) index and a
//! built-in-like index template. Real clusters always have system indices
//! and built-in templates, and Elasticsearch's own test cleanup keeps them;
//! so does this one. `--bare` runs without it.

use serde_json::{json, Value};

use super::Runner;

/// The hidden index [`seed`] creates.
pub const SEEDED_INDEX: &str = ".elastik-yaml-system";
/// The index template [`seed`] creates.
pub const SEEDED_TEMPLATE: &str = "elastik-yaml-builtin";

/// Creates the baseline state of a real cluster (see the module docs).
pub fn seed(runner: &mut Runner<'_>) {
    runner.quiet("indices.delete", json!({"index": SEEDED_INDEX, "ignore_unavailable": true}));
    runner.quiet(
        "indices.create",
        json!({"index": SEEDED_INDEX, "body": {"settings": {"index": {"number_of_shards": 1, "number_of_replicas": 0}}}}),
    );
    runner.quiet(
        "indices.put_index_template",
        json!({"name": SEEDED_TEMPLATE, "body": {"index_patterns": [".elastik-yaml-builtin-*"], "priority": 0}}),
    );
}

/// Removes what [`seed`] created.
pub fn unseed(runner: &mut Runner<'_>) {
    runner.quiet("indices.delete", json!({"index": SEEDED_INDEX, "ignore_unavailable": true}));
    runner.quiet("indices.delete_index_template", json!({"name": SEEDED_TEMPLATE}));
}

/// An API that lists things to delete: its name, how to read the names from its
/// answer, the API that deletes them, and that API's name parameter.
type Listed = (&'static str, fn(&Value) -> Vec<String>, &'static str, &'static str);

/// Removes everything tests may have created.
pub fn wipe(runner: &mut Runner<'_>) {
    runner.quiet("indices.delete_data_stream", json!({"name": "*", "expand_wildcards": "all"}));
    if let Some(body) = runner.quiet("indices.get", json!({"index": "*", "expand_wildcards": "all"})) {
        let names: Vec<String> = keys(&body).into_iter().filter(|n| n != SEEDED_INDEX).collect();
        if !names.is_empty() {
            runner.quiet(
                "indices.delete",
                json!({"index": names, "ignore_unavailable": true, "expand_wildcards": "all"}),
            );
        }
    }
    let listed: [Listed; 9] = [
        (
            "indices.get_index_template",
            |b| names_in(b, "index_templates", "name"),
            "indices.delete_index_template",
            "name",
        ),
        (
            "cluster.get_component_template",
            |b| names_in(b, "component_templates", "name"),
            "cluster.delete_component_template",
            "name",
        ),
        ("indices.get_template", keys, "indices.delete_template", "name"),
        ("ingest.get_pipeline", keys, "ingest.delete_pipeline", "id"),
        ("snapshot.get_repository", keys, "snapshot.delete_repository", "name"),
        ("ilm.get_lifecycle", keys, "ilm.delete_lifecycle", "name"),
        ("synonyms.get_synonyms_sets", |b| names_in(b, "results", "synonyms_set"), "synonyms.delete_synonym", "id"),
        (
            "query_rules.list_rulesets",
            |b| names_in(b, "results", "ruleset_id"),
            "query_rules.delete_ruleset",
            "ruleset_id",
        ),
        ("search_application.list", |b| names_in(b, "results", "name"), "search_application.delete", "name"),
    ];
    for (list, names, delete, part) in listed {
        let Some(body) = runner.quiet(list, json!({})) else { continue };
        for name in names(&body).into_iter().filter(|n| !n.starts_with('.') && n != SEEDED_TEMPLATE) {
            runner.quiet(delete, json!({ part: name }));
        }
    }
}

fn keys(body: &Value) -> Vec<String> {
    body.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

fn names_in(body: &Value, list: &str, field: &str) -> Vec<String> {
    body[list].as_array().into_iter().flatten().filter_map(|i| i[field].as_str().map(str::to_owned)).collect()
}
