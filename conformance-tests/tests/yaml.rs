//! The official YAML REST tests against noida-db (`ELASTIK_TEST_URL`, set by
//! `scripts/test.sh`) through the three runtimes, one after the other (the
//! tests share index names, so they cannot run in parallel on one server).
//!
//! Asserts issue 4's bar: every runtime passes at least [`MIN_PASSED`] of
//! the 208 tests; no test the official client passes fails, but those listed
//! in [`FAILED_BY_THE_WARNINGS_RULE`]; the three runtimes pass the same
//! tests; with lenient warnings (the official Python runner's rule) exactly
//! those listed pass too. Skips with a message when the server or
//! `../shared` is absent.

use std::collections::BTreeSet;
use std::path::PathBuf;

use elastik_conformance::yaml::{self, SuiteOptions};

/// Issue 4 asks for 95. 96 are reached. cat/count and indices/resolve pass
/// since the transport sends a call once more with the URL's other method
/// when the server does not route the first (`POST /_cat/count` and `POST
/// /_resolve/index/…` are 9.x; noida-db, like Elasticsearch 8.15, routes only
/// `GET`). The official client sends the `POST` and fails both.
///
/// 95 since the runner applies the format's rule for warnings (a step that
/// lists none expects none): see [`FAILED_BY_THE_WARNINGS_RULE`].
const MIN_PASSED: usize = 95;

/// Tests the official client passes that fail under the format's rule for
/// warnings, which the official Python runner does not apply (it ignores
/// warnings a step does not list), each with its reason.
const FAILED_BY_THE_WARNINGS_RULE: &[(&str, &str)] = &[(
    "cluster/reroute[0]",
    "noida-db, as Elasticsearch 8.15, warns that the reroute response's `state` field is deprecated \
     (9.x no longer sends it); the 9.x test lists no warning",
)];

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
        elastik_testkit::note("skipped: ../shared/spec/clients-tests is not present");
        return;
    }
    let Some(url) = elastik_testkit::test_url() else {
        elastik_testkit::note("skipped: ELASTIK_TEST_URL is not set (run scripts/test.sh)");
        return;
    };
    let files = yaml::load_suite(&spec).unwrap();
    let baseline_text = std::fs::read_to_string(shared.join("fixtures/yaml-baseline-noida-failures.tsv")).unwrap();
    let baseline: BTreeSet<&str> = baseline_text.lines().skip(1).filter_map(|l| l.split('\t').next()).collect();
    let mut pass_lists = Vec::new();
    for name in yaml::RUNTIMES {
        let runtime = yaml::connect(name, &url).unwrap();
        let report = yaml::run_suite(&*runtime, &files, &SuiteOptions::default(), |_| {});
        elastik_testkit::note(format!("{name}: {}", report.summary()));
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
            .filter(|id| !FAILED_BY_THE_WARNINGS_RULE.iter().any(|(t, _)| t == id))
            .collect();
        assert!(regressions.is_empty(), "{name}: tests the official client passes fail: {regressions:?}");
        pass_lists.push((name, report.passed().into_iter().map(str::to_owned).collect::<Vec<_>>()));
    }
    for (name, passes) in &pass_lists[1..] {
        assert_eq!(passes, &pass_lists[0].1, "{name} and {} pass different tests", pass_lists[0].0);
    }

    // The warnings rule is the only difference from the official runner's.
    let runtime = yaml::connect("tokio", &url).unwrap();
    let lenient =
        yaml::run_suite(&*runtime, &files, &SuiteOptions { lenient_warnings: true, ..SuiteOptions::default() }, |_| {});
    elastik_testkit::note(format!("tokio, lenient warnings: {}", lenient.summary()));
    let mut expected: BTreeSet<&str> = pass_lists[0].1.iter().map(String::as_str).collect();
    expected.extend(FAILED_BY_THE_WARNINGS_RULE.iter().map(|(t, _)| *t));
    let got: BTreeSet<&str> = lenient.passed().into_iter().collect();
    assert_eq!(got, expected, "lenient warnings pass other tests than the strict run plus the warnings list");
}
