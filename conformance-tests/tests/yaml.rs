//! The official YAML REST tests against noida-db (`ELASTIK_TEST_URL`, set by
//! `scripts/test.sh`) through the three runtimes, one after the other (the
//! tests share index names, so they cannot run in parallel on one server).
//!
//! Asserts issue 4's bar: every runtime passes at least [`MIN_PASSED`] of
//! the 208 tests; no test the official client passes fails; the three
//! runtimes pass the same tests. Skips with a message when the server or
//! `../shared` is absent.

use std::collections::BTreeSet;
use std::path::PathBuf;

use elastik_conformance::yaml::{self, SuiteOptions};

/// Issue 4 asks for 95. 96 are reached. cat/count and indices/resolve pass
/// since the transport sends a call once more with the URL's other method
/// when the server does not route the first (`POST /_cat/count` and `POST
/// /_resolve/index/…` are 9.x; noida-db, like Elasticsearch 8.15, routes only
/// `GET`). The official client sends the `POST` and fails both.
const MIN_PASSED: usize = 96;

/// Tests the official run did not pass although the baseline file does not
/// list them: 208 tests − 110 listed = 98, of which it passed 89 (3 skips, 6
/// expected failures). Each of these calls an endpoint noida-db lacks, so no
/// client can pass it here.
const NOT_PASSED_BY_OFFICIAL: &[&str] = &[
    "entsearch/10_basic[0]",            // GET /_xpack/usage
    "inference/10_basic[0]",            // PUT /_inference/…
    "machine_learning/jobs_crud[0]",    // GET /_ml/anomaly_detectors/_all
    "nodes/10_basic[0]",                // DELETE /_nodes/…/_repositories_metering/…
    "searchable_snapshots/10_basic[0]", // searchable snapshots unsupported
    "sql/10_basic[1]",                  // POST /_sql
];

#[test]
fn yaml_suite_through_every_runtime() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let spec = shared.join("spec/clients-tests");
    if !spec.is_dir() {
        println!("skipped: ../shared/spec/clients-tests is not present");
        return;
    }
    let Some(url) = elastik_testkit::test_url() else {
        println!("skipped: ELASTIK_TEST_URL is not set (run scripts/test.sh)");
        return;
    };
    let files = yaml::load_suite(&spec).unwrap();
    let baseline_text = std::fs::read_to_string(shared.join("fixtures/yaml-baseline-noida-failures.tsv")).unwrap();
    let baseline: BTreeSet<&str> = baseline_text.lines().skip(1).filter_map(|l| l.split('\t').next()).collect();
    let mut pass_lists = Vec::new();
    for name in yaml::RUNTIMES {
        let runtime = yaml::connect(name, &url).unwrap();
        let report = yaml::run_suite(&*runtime, &files, &SuiteOptions::default(), |_| {});
        println!("{name}: {}", report.summary());
        for case in &report.cases {
            if let yaml::Outcome::Fail(reason) = &case.outcome {
                println!("  FAIL {} {reason}", case.id);
            }
        }
        assert_eq!(report.cases.len(), 208, "{name}: the suite has 208 stack tests");
        assert!(report.passed().len() >= MIN_PASSED, "{name}: {}", report.summary());
        let regressions: Vec<&str> = report
            .failed()
            .into_iter()
            .filter(|id| !baseline.contains(id) && !NOT_PASSED_BY_OFFICIAL.contains(id))
            .collect();
        assert!(regressions.is_empty(), "{name}: tests the official client passes fail: {regressions:?}");
        pass_lists.push((name, report.passed().into_iter().map(str::to_owned).collect::<Vec<_>>()));
    }
    for (name, passes) in &pass_lists[1..] {
        assert_eq!(passes, &pass_lists[0].1, "{name} and {} pass different tests", pass_lists[0].0);
    }
}
