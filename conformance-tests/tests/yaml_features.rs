//! The runner's own YAML tests (`tests/yaml-features/`, see its README)
//! against noida-db (`ELASTIK_TEST_URL`) through every runtime: each test
//! must end as its name says (`pass:`, `skip:`, `fail[TEXT]:` with `TEXT` in
//! the failure). Skips with a message when the server is absent.

use std::path::PathBuf;

use elastik_conformance::yaml::{self, Outcome, SuiteOptions};

#[test]
fn every_feature_test_ends_as_its_name_says() {
    let Some(url) = elastik_testkit::test_url() else {
        println!("skipped: ELASTIK_TEST_URL is not set (run scripts/test.sh)");
        return;
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/yaml-features");
    let files = yaml::load_suite(&dir).unwrap();
    for name in yaml::RUNTIMES {
        let runtime = yaml::connect(name, &url).unwrap();
        let report = yaml::run_suite(&*runtime, &files, &SuiteOptions::default(), |_| {});
        println!("{name}: {}", report.summary());
        let mut wrong = Vec::new();
        for case in &report.cases {
            let (prefix, _) =
                case.name.split_once(':').unwrap_or_else(|| panic!("{}: no outcome in the name", case.name));
            let ok = match (&case.outcome, prefix) {
                (Outcome::Pass, "pass") => true,
                (Outcome::Skip(_), "skip") => true,
                (Outcome::Fail(reason), p) => {
                    p.strip_prefix("fail[").and_then(|r| r.strip_suffix(']')).is_some_and(|text| reason.contains(text))
                }
                _ => false,
            };
            if !ok {
                wrong.push(format!("{} ({}): {:?}", case.id, case.name, case.outcome));
            }
        }
        assert!(wrong.is_empty(), "{name}: tests that did not end as named:\n{}", wrong.join("\n"));
        let count = |p: &str| report.cases.iter().filter(|c| c.name.starts_with(p)).count();
        assert_eq!(report.passed().len(), count("pass:"), "{name}");
        assert_eq!(report.skipped().len(), count("skip:"), "{name}");
        assert!(report.passed().len() >= 20 && report.failed().len() >= 25, "{name}: {}", report.summary());
    }
}
