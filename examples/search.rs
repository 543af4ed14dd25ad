//! Search with the DSL: a bool query, a range, an aggregation, typed hits.
//!
//! ```sh
//! ELASTICSEARCH_URL=http://localhost:9200 cargo run --example search
//! ```

use elastik::dsl::{Aggregation, Query, Search};
use elastik::tokio::Client;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize)]
struct Product {
    name: String,
    category: String,
    price: f64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), elastik::Error> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned());
    let client = Client::new(&url)?;
    let index = format!("example-search-{}", std::process::id());

    // A keyword field for the aggregation; the names are full text.
    let mappings = json!({"mappings": {"properties": {
        "name": {"type": "text"}, "category": {"type": "keyword"}, "price": {"type": "double"}
    }}});
    client.indices().create(&index).json_body(&mappings).send().await?;
    for n in 0..100 {
        let category = ["books", "games", "music"][n % 3];
        let product = Product { name: format!("product {n}"), category: category.to_owned(), price: n as f64 };
        client.index(&index).id(n.to_string()).body(&product).send().await?;
    }
    client.indices().refresh().index(&index).send().await?;

    // Books or games costing 10 or more, the cheapest first, counted by category.
    let results = Search::new()
        .index(&index)
        .docs::<Product>()
        .query(Query::bool().filter(Query::terms("category", ["books", "games"])).filter(Query::range("price").gte(10)))
        .agg("by_category", Aggregation::terms("category"))
        .sort("price", "asc")
        .size(5)
        .send(&client)
        .await?;

    println!("{} matching products; the cheapest five:", results.total().unwrap_or(0));
    for product in results.documents() {
        println!("  {:<12} {:<6} {:>5.1}", product.name, product.category, product.price);
    }
    for bucket in &results.aggregations.terms("by_category").expect("asked for it").buckets {
        println!("  {}: {}", bucket.key_str().unwrap_or("?"), bucket.doc_count);
    }
    // 100 products: 0..100 in three categories; books and games from 10 up.
    let expected = (10..100).filter(|n| n % 3 != 2).count() as u64;
    assert_eq!(results.total(), Some(expected));
    assert_eq!(results.documents().next().map(|p| p.price), Some(10.0));

    client.indices().delete(&index).send().await?;
    Ok(())
}
