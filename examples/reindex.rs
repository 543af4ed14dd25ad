//! Reindex on the client side: scan a source index, change each document on
//! the way (or skip it), write to a target index with the bulk indexer, and
//! account for every document.
//!
//! ```sh
//! ELASTICSEARCH_URL=http://localhost:9200 cargo run --example reindex
//! ```

use elastik::tokio::helpers::{
    reindex_with, BulkConfig, BulkOperation, ClientHelpers, ReindexConfig, ReindexEvent, ScanConfig,
};
use elastik::tokio::Client;
use futures_util::StreamExt;
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned());
    let client = Client::new(&url)?;
    let source = format!("example-reindex-src-{}", std::process::id());
    let target = format!("example-reindex-dst-{}", std::process::id());

    let mut indexer = client.bulk_indexer(BulkConfig::new().index(&source));
    for n in 0..2_000u64 {
        indexer.add(BulkOperation::index(&json!({"n": n, "celsius": n % 40})).id(n.to_string())).await?;
    }
    assert_eq!(indexer.close().await.stats.succeeded, 2_000);
    client.indices().refresh().index(&source).send().await?;

    // Every document gets a Fahrenheit field; the ones below 5 °C are left out.
    let config = ReindexConfig::new(ScanConfig::new(&source).size(500), &target);
    let mut events = reindex_with(&client, &client, config, |hit| {
        let mut doc: Value = hit.source;
        let celsius = doc["celsius"].as_f64()?;
        if celsius < 5.0 {
            return None;
        }
        doc["fahrenheit"] = json!(celsius * 9.0 / 5.0 + 32.0);
        let operation = BulkOperation::index(&doc);
        Some(match hit.id {
            Some(id) => operation.id(id),
            None => operation,
        })
    });
    let (mut written, mut failed) = (0, 0);
    while let Some(event) = events.next().await {
        match event {
            ReindexEvent::Written(outcome) if outcome.is_succeeded() => written += 1,
            ReindexEvent::Written(outcome) => {
                failed += 1;
                eprintln!("not written: {:?}: {:?}", outcome.operation.meta().id, outcome.result.error());
            }
            ReindexEvent::ReadError(e) => return Err(e.into()),
            // Events a later version may add.
            _ => {}
        }
    }
    let progress = events.progress();
    println!("read {}, skipped {}, written {written}, failed {failed}", progress.read, progress.skipped);
    assert_eq!((progress.read, progress.skipped), (2_000, 250));
    assert_eq!((written, failed), (1_750, 0));
    assert_eq!((progress.written, progress.failed, progress.unconfirmed), (1_750, 0, 0));

    client.indices().refresh().index(&target).send().await?;
    assert_eq!(client.count().index(&target).send().await?.count, 1_750);
    for index in [&source, &target] {
        client.indices().delete(index).send().await?;
    }
    Ok(())
}
