//! The official YAML REST tests (`shared/spec/clients-tests`), run against a
//! server through one [`Runtime`].
//!
//! Every `do` step goes through the typed API: the endpoint is built by name
//! from its JSON parts, parameters and body by the generated dispatch table,
//! its request is sent by the runtime's executor (transport and HTTP), and a
//! successful response is also decoded into the endpoint's typed response
//! (problems are kept as [`CaseResult::decode_issues`]; assertions read the
//! raw JSON, as every official runner does).
//!
//! A file's tests run in order; each gets the file's `setup`, its own steps,
//! the file's `teardown`, then [`cleanup`] removes what tests create, with
//! errors (endpoints the server lacks) ignored. Files whose `requires` says
//! `stack: false` are not part of the suite; tests id'd
//! `<folder>/<file>[<n>]` as in the baseline file.
//!
//! The whole test format is implemented (`src/yaml/README.md` lists each
//! feature and the few left out, with why): `do` with `catch`, `headers` (sent as the
//! client's per-request options), `warnings`/`allowed_warnings` and their
//! `_regex` forms, `node_selector`; `skip`/`requires` ([`prereq`]); `set`,
//! `transform_and_set`, the stash in values, keys, paths and mid-string;
//! `match`, `is_true`, `is_false`, `exists`, `not_exists`, `length`,
//! `contains`, `gt`/`gte`/`lt`/`lte`, `close_to`, `is_after`,
//! `matches_in_any_order`; YAML request and response bodies.

pub mod assert;
pub mod cleanup;
pub mod prereq;
pub mod runner;
pub mod runtime;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

pub use runner::Runner;
pub use runtime::{connect, Runtime, RUNTIMES};

/// One YAML file of the suite.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// `<folder>/<file>` without extension, relative to the suite root.
    pub id: String,
    /// `requires.stack` (absent: `true`).
    pub stack: bool,
    /// `setup` steps.
    pub setup: Vec<Value>,
    /// `teardown` steps.
    pub teardown: Vec<Value>,
    /// Named tests in file order.
    pub tests: Vec<(String, Vec<Value>)>,
}

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every step succeeded.
    Pass,
    /// The first step that failed, and why.
    Fail(String),
    /// Not run, and why.
    Skip(String),
}

/// One test's id, name and outcome.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// `<folder>/<file>[<n>]`.
    pub id: String,
    /// The test's name in the file.
    pub name: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Responses that the typed API could not decode (`api: error`).
    pub decode_issues: Vec<String>,
}

/// Every test of a suite run.
#[derive(Debug, Default)]
pub struct SuiteReport {
    /// In suite order.
    pub cases: Vec<CaseResult>,
}

impl SuiteReport {
    /// Ids of the passed tests.
    pub fn passed(&self) -> Vec<&str> {
        self.ids(|o| matches!(o, Outcome::Pass))
    }

    /// Ids of the failed tests.
    pub fn failed(&self) -> Vec<&str> {
        self.ids(|o| matches!(o, Outcome::Fail(_)))
    }

    /// Ids of the skipped tests.
    pub fn skipped(&self) -> Vec<&str> {
        self.ids(|o| matches!(o, Outcome::Skip(_)))
    }

    /// `N passed, M failed, K skipped`.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed, {} skipped", self.passed().len(), self.failed().len(), self.skipped().len())
    }

    fn ids(&self, f: impl Fn(&Outcome) -> bool) -> Vec<&str> {
        self.cases.iter().filter(|c| f(&c.outcome)).map(|c| c.id.as_str()).collect()
    }
}

/// Loads every `.yml` file under `dir`, folders and files in name order.
pub fn load_suite(dir: &Path) -> Result<Vec<TestFile>, String> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    files.iter().map(|f| load_file(dir, f)).collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
    Ok(())
}

/// Parses one file of the suite.
pub fn load_file(root: &Path, path: &Path) -> Result<TestFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let id = path.strip_prefix(root).unwrap_or(path).with_extension("").to_string_lossy().replace('\\', "/");
    let mut file = TestFile { id, stack: true, setup: Vec::new(), teardown: Vec::new(), tests: Vec::new() };
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v = Value::deserialize(doc).map_err(|e| format!("{}: {e}", path.display()))?;
        let Value::Object(map) = v else { continue };
        for (key, value) in map {
            match key.as_str() {
                "requires" => file.stack = value.get("stack").and_then(Value::as_bool).unwrap_or(true),
                "setup" => file.setup = steps(value),
                "teardown" => file.teardown = steps(value),
                _ => file.tests.push((key, steps(value))),
            }
        }
    }
    Ok(file)
}

fn steps(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// How to run a suite.
#[derive(Debug, Clone, Default)]
pub struct SuiteOptions {
    /// Only tests whose id or name contains this.
    pub filter: Option<String>,
    /// Do not [`cleanup::seed`] the server first.
    pub bare: bool,
    /// Accept warnings a step does not list when it lists none
    /// ([`Runner::lenient_warnings`]).
    pub lenient_warnings: bool,
}

/// Runs the tests of `files` (those with `stack`, filtered) through
/// `runtime`, calling `on_case` after each.
pub fn run_suite(
    runtime: &dyn Runtime,
    files: &[TestFile],
    options: &SuiteOptions,
    mut on_case: impl FnMut(&CaseResult),
) -> SuiteReport {
    let mut report = SuiteReport::default();
    let mut runner = Runner::new(runtime).lenient_warnings(options.lenient_warnings);
    let filter = options.filter.as_deref();
    cleanup::unseed(&mut runner);
    cleanup::wipe(&mut runner);
    if !options.bare {
        cleanup::seed(&mut runner);
    }
    for file in files.iter().filter(|f| f.stack) {
        for (n, (name, steps)) in file.tests.iter().enumerate() {
            let id = format!("{}[{n}]", file.id);
            if filter.is_some_and(|f| !id.contains(f) && !name.contains(f)) {
                continue;
            }
            let (outcome, decode_issues) = runner.run_test(file, steps);
            let case = CaseResult { id, name: name.clone(), outcome, decode_issues };
            on_case(&case);
            report.cases.push(case);
        }
    }
    cleanup::unseed(&mut runner);
    report
}
