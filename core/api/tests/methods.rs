//! elastik's method choice against the official Python client's, for every
//! endpoint the specification gives several methods on one URL.
//!
//! The client's choices come from `target/official-methods.tsv`, which
//! `bash scripts/official-methods.sh` writes from elasticsearch-py 9.x's own
//! source (endpoint and method names only). Without that table or
//! `../shared/spec/schema.json` the test says so and checks nothing.

use std::path::PathBuf;

use elastik_api::support::pick_method;
use serde_json::Value;

#[test]
fn every_multi_method_endpoint_picks_the_official_clients_method() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (Ok(schema), Ok(table)) = (
        std::fs::read_to_string(root.join("../shared/spec/schema.json")),
        std::fs::read_to_string(root.join("target/official-methods.tsv")),
    ) else {
        eprintln!("skipped: run scripts/official-methods.sh (and have ../shared/spec) first");
        return;
    };
    let official: std::collections::HashMap<&str, Vec<&str>> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, methods)| (id, methods.split('|').collect()))
        .collect();
    let schema: Value = serde_json::from_str(&schema).unwrap();
    let (mut checked, mut absent, mut wrong) = (0, Vec::new(), Vec::new());
    for endpoint in schema["endpoints"].as_array().unwrap() {
        let name = endpoint["name"].as_str().unwrap();
        let urls: Vec<Vec<&str>> = endpoint["urls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["methods"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect())
            .collect();
        if urls.iter().all(|methods| methods.len() < 2) {
            continue;
        }
        let Some(theirs) = official.get(name) else {
            absent.push(name);
            continue;
        };
        checked += 1;
        let ours: Vec<String> = urls.iter().map(|methods| pick_method(methods).to_string()).collect();
        // One method for every URL, or one per URL form where the client
        // picks by the URL it builds (`index`: PUT with an id, else POST).
        let same = if theirs.len() == 1 {
            ours.iter().all(|m| m == theirs[0])
        } else {
            ours.iter().zip(theirs).all(|(m, t)| m == t)
        };
        if !same {
            wrong.push(format!("{name}: elastik {ours:?}, official {theirs:?}, spec {urls:?}"));
        }
    }
    eprintln!("{checked} multi-method endpoints checked; not in the official client: {absent:?}");
    assert!(checked >= 90, "only {checked} endpoints checked");
    assert!(wrong.is_empty(), "{} differ:\n{}", wrong.len(), wrong.join("\n"));
}
