//! The fault suite on async-std (`elastik_testkit::suite`): documents through
//! three fault-injecting proxies in front of one noida-db, with the
//! client's and the indexer's default settings; the index is counted on the
//! server. The ordinary run is 10,000 documents under the issue's mix, with
//! and without ids; the full suite (100,000 documents, every mix) is
//! `scripts/fault-suite.sh`. Skipped when `ELASTIK_TEST_URL` is not set.

use std::time::Instant;

use elastik_async_std::helpers::{BulkConfig, BulkOperation, ClientHelpers, OpType};
use elastik_async_std::Client;
use elastik_testkit::suite::{record, Counts, Harness, Row, Run, Scenario};
use elastik_testkit::test_url;

async fn run_one(upstream: &str, run: Run) -> Row {
    let mut harness = Harness::start(upstream, run);
    // Default settings but the nodes: what a user gets.
    let client = Client::builder().nodes(harness.urls()).build().expect("client");
    let mut indexer = client.bulk_indexer(BulkConfig::new().index(harness.index()));
    let started = Instant::now();
    for i in 0..harness.run().docs {
        let (id, json) = harness.document(i);
        let op = BulkOperation::raw(OpType::Index, json);
        indexer
            .add(match id {
                Some(id) => op.id(id),
                None => op,
            })
            .await
            .expect("the indexer runs");
        harness.progress(i + 1);
    }
    let report = indexer.close().await;
    let elapsed = started.elapsed();
    eprintln!("async-std {}: {report}", harness.run().scenario.name());
    let s = report.stats;
    let counts = Counts {
        submitted: s.submitted,
        succeeded: s.succeeded,
        failed: s.failed,
        unconfirmed: s.unconfirmed,
        retried: s.retried,
        item_retries: s.item_retries,
        request_retries: s.request_retries,
    };
    let row = harness.finish("async-std", counts, elapsed);
    eprintln!("{row}");
    record(&row);
    row
}

#[async_std::test]
async fn ten_thousand_documents_through_the_issue_fault_mix_lose_nothing() {
    let Some(url) = test_url() else { return };
    for ids in [true, false] {
        let row = run_one(&url, Run { scenario: Scenario::Issue, ids, docs: 10_000, seed: 0x5eed_0001 }).await;
        if let Err(e) = row.verdict() {
            panic!("{row}: {e}");
        }
        assert!(row.counts.retried > 0, "the faults caused retries: {row}");
    }
}

#[async_std::test]
#[ignore = "the full fault suite (minutes): run scripts/fault-suite.sh"]
async fn fault_suite() {
    let Some(url) = test_url() else { return };
    let mut failed = Vec::new();
    for run in Run::from_env() {
        let row = run_one(&url, run).await;
        if row.verdict().is_err() {
            failed.push(row.to_string());
        }
    }
    assert!(failed.is_empty(), "runs that lost documents or misreported:\n{}", failed.join("\n"));
}
