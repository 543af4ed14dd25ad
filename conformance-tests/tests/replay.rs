//! Recorded fixtures replayed through every runtime (HTTP stub serving the
//! recordings), and the public replay transport reporting a request that
//! matches no recording.

use std::path::PathBuf;

use elastik_api::Client;
use elastik_replay::{Cassette, ReplayExecutor};

fn recorded() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/recorded");
    if p.is_dir() {
        Some(p)
    } else {
        elastik_testkit::note("skipped: ../shared/fixtures/recorded is not present");
        None
    }
}

#[test]
fn fixtures_pass_through_every_runtime() {
    let Some(dir) = recorded() else { return };
    for runtime in elastik_conformance::yaml::RUNTIMES {
        let r = elastik_conformance::replay::fixtures(&dir, runtime).unwrap();
        elastik_testkit::note(format!("{runtime}: {}", r.summary()));
        assert!(r.passed >= 200, "{runtime}: {}", r.summary());
        assert!(r.failures.is_empty(), "{runtime}: {:#?}", r.failures);
    }
}

#[test]
fn replay_transport_serves_recordings_and_reports_mismatches() {
    let Some(dir) = recorded() else { return };
    let replay = ReplayExecutor::new(Cassette::load(dir.join("ping")).unwrap());
    let client = Client::from_executor(replay.clone());

    assert!(client.send(elastik_api::Ping::new()).unwrap());
    assert_eq!(replay.served(), ["ping/head-root"]);
    assert!(replay.assert_all_matched().is_ok());

    let err = client.send(elastik_api::Search::new().index(vec!["not-recorded"])).unwrap_err();
    assert!(err.to_string().contains("no recorded exchange matches"), "{err}");
    let mismatches = replay.mismatches();
    assert_eq!(mismatches.len(), 1);
    assert!(mismatches[0].request.contains("/not-recorded/_search"), "{:?}", mismatches[0]);
    assert_eq!(mismatches[0].nearest.as_deref(), Some("ping/head-root"));
    assert!(mismatches[0].diff.iter().any(|d| d.starts_with("method:")), "{:?}", mismatches[0].diff);
    assert!(replay.assert_all_matched().unwrap_err().contains("not-recorded"));
}
