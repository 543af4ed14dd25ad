//! Bulk indexing with a report: 10,000 documents, 10 of which the server
//! refuses (a string where the mapping says integer). Every operation ends
//! succeeded, failed (with the server's reason) or unconfirmed; none is
//! dropped, and the failures are listed with the document they belong to.
//!
//! ```sh
//! ELASTICSEARCH_URL=http://localhost:9200 cargo run --example bulk
//! ```

use elastik::tokio::helpers::{BulkConfig, BulkOperation, ClientHelpers};
use elastik::tokio::Client;
use futures_util::StreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned());
    let client = Client::new(&url)?;
    let index = format!("example-bulk-{}", std::process::id());
    let mappings = json!({"mappings": {"properties": {"count": {"type": "integer"}}}});
    client.indices().create(&index).json_body(&mappings).send().await?;

    // Defaults: chunks of 500 operations or 5 MiB, several requests in
    // flight, 429s and busy nodes retried within a time budget.
    let mut indexer = client.bulk_indexer(BulkConfig::new().index(&index));
    // Every outcome, in the order the server answered.
    let mut outcomes = indexer.outcomes();
    let failures = tokio::spawn(async move {
        let mut failed = Vec::new();
        while let Some(outcome) = outcomes.next().await {
            if !outcome.is_succeeded() {
                failed.push((outcome.operation.meta().id.clone(), outcome.result.error().map(|e| e.to_string())));
            }
        }
        failed
    });
    for n in 0..10_000u32 {
        let count = if n % 1000 == 999 { json!("not a number") } else { json!(n) };
        indexer.add(BulkOperation::index(&json!({"n": n, "count": count})).id(n.to_string())).await?;
    }
    let report = indexer.close().await;
    println!("{report}");

    let failed = failures.await?;
    for (id, reason) in &failed {
        println!("  document {}: {}", id.as_deref().unwrap_or("?"), reason.as_deref().unwrap_or("?"));
    }
    assert_eq!((report.stats.succeeded, report.stats.failed, report.stats.unconfirmed), (9_990, 10, 0));
    assert_eq!(failed.len(), 10);

    client.indices().refresh().index(&index).send().await?;
    assert_eq!(client.count().index(&index).send().await?.count, 9_990);
    client.indices().delete(&index).send().await?;
    Ok(())
}
