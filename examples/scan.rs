//! Scan: read every document of an index once, as typed hits, through a
//! point in time and `search_after`; then the same in three parallel slices.
//!
//! ```sh
//! ELASTICSEARCH_URL=http://localhost:9200 cargo run --example scan
//! ```

use std::collections::BTreeSet;

use elastik::dsl::Query;
use elastik::tokio::helpers::{BulkConfig, BulkOperation, ClientHelpers, ScanConfig};
use elastik::tokio::Client;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Event {
    n: u64,
    kind: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned());
    let client = Client::new(&url)?;
    let index = format!("example-scan-{}", std::process::id());

    let mut indexer = client.bulk_indexer(BulkConfig::new().index(&index));
    for n in 0..5_000u64 {
        let event = Event { n, kind: if n % 2 == 0 { "even" } else { "odd" }.to_owned() };
        indexer.add(BulkOperation::index(&event).id(n.to_string())).await?;
    }
    let report = indexer.close().await;
    assert_eq!(report.stats.succeeded, 5_000, "{report}");
    client.indices().refresh().index(&index).send().await?;

    // Every document, 1,000 per page.
    let mut seen = BTreeSet::new();
    let mut hits = client.scan::<Event>(ScanConfig::new(&index).size(1_000));
    while let Some(hit) = hits.next().await {
        seen.insert(hit?.source.n);
    }
    println!("scanned {} documents", seen.len());
    assert_eq!(seen, (0..5_000).collect());

    // Only the odd ones, in three slices read at the same time.
    let config = ScanConfig::new(&index).query(Query::term("kind.keyword", "odd").into()).size(500);
    let mut odd = BTreeSet::new();
    let mut hits = client.scan_sliced::<Event>(config, 3);
    while let Some(hit) = hits.next().await {
        odd.insert(hit?.source.n);
    }
    println!("scanned {} odd documents in 3 slices", odd.len());
    assert_eq!(odd, (0..5_000).filter(|n| n % 2 == 1).collect());

    client.indices().delete(&index).send().await?;
    Ok(())
}
