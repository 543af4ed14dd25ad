//! The quickstart: connect, create an index, index documents, search.
//!
//! ```sh
//! scripts/quickstart.sh                      # starts a local noida-db when ELASTICSEARCH_URL is unset
//! ELASTICSEARCH_URL=http://localhost:9200 cargo run --example quickstart
//! ```
//!
//! A secured cluster: `ELASTIC_API_KEY` (the encoded key) or `ELASTIC_USER`
//! and `ELASTIC_PASSWORD`; `ELASTIC_CA_CERT` (a PEM file) or
//! `ELASTIC_FINGERPRINT` (the SHA-256 of the server's certificate).

use elastik::proto::ClientBuilder;
use elastik::tokio::Client;
use serde_json::json;

/// The connection, from the environment variables the Python client's
/// examples use.
fn builder(url: &str) -> Result<ClientBuilder<Client>, elastik::Error> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut builder = Client::builder().node(url);
    if let Some(key) = var("ELASTIC_API_KEY") {
        builder = builder.api_key_encoded(key);
    } else if let Some(user) = var("ELASTIC_USER") {
        builder = builder.basic_auth(user, var("ELASTIC_PASSWORD").unwrap_or_default());
    }
    if let Some(path) = var("ELASTIC_CA_CERT") {
        let pem = std::fs::read(&path)
            .map_err(|e| elastik::Error::build(format!("ELASTIC_CA_CERT: cannot read {path}: {e}")))?;
        builder = builder.ca_certificate_pem(pem);
    }
    if let Some(fingerprint) = var("ELASTIC_FINGERPRINT") {
        builder = builder.ssl_assert_fingerprint(&fingerprint);
    }
    Ok(builder)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), elastik::Error> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned());
    let client = builder(&url)?.build()?;

    let info = client.info().send().await?;
    println!("connected to {} {}", info.cluster_name, info.version.number);

    let index = "quickstart-books";
    if client.indices().exists(index).send().await? {
        client.indices().delete(index).send().await?;
    }
    client
        .indices()
        .create(index)
        .json_body(&json!({"mappings": {"properties": {"title": {"type": "text"}, "year": {"type": "integer"}}}}))
        .send()
        .await?;

    let books = [
        ("1", "The Rust Programming Language", 2018),
        ("2", "Rust for Rustaceans", 2021),
        ("3", "Programming Elixir", 2014),
    ];
    for (id, title, year) in books {
        let created = client.index(index).id(id).body(json!({"title": title, "year": year})).send().await?;
        println!("indexed {} ({:?})", created._id, created.result);
    }
    client.indices().refresh().index(index).send().await?;

    let found = client.search().index(index).json_body(&json!({"query": {"match": {"title": "rust"}}})).send().await?;
    let hits = found.hits.hits;
    println!("{} books match \"rust\":", hits.len());
    for hit in &hits {
        let title = hit._source.as_ref().map(|s| s["title"].to_string()).unwrap_or_default();
        println!("  {} {title}", hit._id.as_deref().unwrap_or("?"));
    }

    match client.get(index, "missing").send().await {
        Err(e) => {
            println!("a missing document is a typed error: {}", e.status().map(|s| s.to_string()).unwrap_or_default())
        }
        Ok(doc) => println!("unexpected: {doc:?}"),
    }

    client.indices().delete(index).send().await?;
    Ok(())
}
