//! The async-std / smol runtime: the same client under either executor
//! (it spawns no tasks of its own, so any executor can poll it). Here under
//! smol, with 16 searches in flight at once.
//!
//! ```sh
//! ELASTICSEARCH_URL=http://localhost:9200 cargo run --features async-std --example smol
//! ```

use elastik::async_std::Client;
use futures_util::future::try_join_all;
use serde_json::json;

fn main() -> Result<(), elastik::Error> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned());
    smol::block_on(async {
        let client = Client::new(&url)?;
        let index = format!("example-smol-{}", std::process::id());
        for n in 0..50 {
            client.index(&index).id(n.to_string()).json_body(&json!({"n": n, "group": n % 5})).send().await?;
        }
        client.indices().refresh().index(&index).send().await?;

        // Sixteen counts at once on one thread: the client's connections are shared.
        let counts = try_join_all((0..16).map(|g| {
            let client = client.clone();
            let index = index.clone();
            async move {
                let query = json!({"query": {"term": {"group": g % 5}}});
                client.count().index(&index).json_body(&query).send().await.map(|c| c.count)
            }
        }))
        .await?;
        println!("counts: {counts:?}");
        assert!(counts.iter().all(|&c| c == 10));

        client.indices().delete(&index).send().await?;
        Ok(())
    })
}
