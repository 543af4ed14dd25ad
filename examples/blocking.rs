//! The blocking client: the same API without `async`, for scripts, command
//! line tools and threads. Calls return values; helpers are iterators.
//!
//! ```sh
//! ELASTICSEARCH_URL=http://localhost:9200 cargo run --features blocking --example blocking
//! ```

use elastik::blocking::helpers::{BulkConfig, BulkOperation, ClientHelpers, ScanConfig};
use elastik::blocking::Client;
use serde_json::{json, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned());
    let client = Client::new(&url)?;
    let index = format!("example-blocking-{}", std::process::id());

    let info = client.info().send()?;
    println!("connected to {} {}", info.cluster_name, info.version.number);

    let mut indexer = client.bulk_indexer(BulkConfig::new().index(&index));
    for n in 0..1_000u32 {
        indexer.add(BulkOperation::index(&json!({"n": n, "square": n * n})).id(n.to_string()))?;
    }
    let report = indexer.close();
    println!("{report}");
    assert_eq!(report.stats.succeeded, 1_000);
    client.indices().refresh().index(&index).send()?;

    // The client is Send + Sync and cheap to clone: four threads count at once.
    let counts: Vec<i64> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let client = client.clone();
                let index = index.clone();
                s.spawn(move || {
                    let query = json!({"query": {"range": {"n": {"gte": t * 250, "lt": (t + 1) * 250}}}});
                    client.count().index(&index).json_body(&query).send().map(|c| c.count)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("the thread ran").expect("the count worked")).collect()
    });
    println!("counts per quarter: {counts:?}");
    assert_eq!(counts, [250, 250, 250, 250]);

    // Scan is an iterator of typed hits.
    let sum: u64 = client
        .scan::<Value>(ScanConfig::new(&index).size(200))
        .map(|hit| hit.map(|h| h.source["square"].as_u64().unwrap_or(0)))
        .sum::<Result<u64, elastik::Error>>()?;
    println!("sum of squares 0..1000: {sum}");
    assert_eq!(sum, (0..1_000u64).map(|n| n * n).sum::<u64>());

    client.indices().delete(&index).send()?;
    Ok(())
}
