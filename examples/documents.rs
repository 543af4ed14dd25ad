//! Documents: a Rust type with `#[derive(Document)]` knows its index, its
//! mappings and its id; save, get, update, search and delete it.
//!
//! ```sh
//! ELASTICSEARCH_URL=http://localhost:9200 cargo run --example documents
//! ```

use elastik::dsl::{Document, Query};
use elastik::tokio::Client;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Document)]
#[es(index = "example-documents-articles")]
struct Article {
    #[es(id)]
    slug: String,
    title: String,
    #[es(keyword)]
    tags: Vec<String>,
    views: u32,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), elastik::Error> {
    let url = std::env::var("ELASTICSEARCH_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned());
    let client = Client::new(&url)?;

    // The index with the mappings the derive computed from the fields.
    Article::delete_index(&client).await?;
    Article::create_index(&client).await?;
    println!("mappings: {}", Article::mappings());

    let article = Article {
        slug: "hello-rust".into(),
        title: "Hello, Rust".into(),
        tags: vec!["rust".into(), "intro".into()],
        views: 0,
    };
    let id = article.save(&client, true).await?;
    assert_eq!(id, "hello-rust");
    for n in 0..4 {
        let other = Article {
            slug: format!("note-{n}"),
            title: format!("Note {n}"),
            tags: vec!["notes".into()],
            views: n * 10,
        };
        other.save(&client, false).await?;
    }
    Article::refresh(&client).await?;

    // Read it back, typed; a missing id is `None`, not an error.
    let read = Article::get(&client, "hello-rust").await?;
    assert_eq!(read.as_ref(), Some(&article));
    assert!(Article::get(&client, "no-such-article").await?.is_none());

    // Partial update, then search the index as `Article`s.
    Article::update(&client, "hello-rust", &json!({"views": 42}), true).await?;
    let popular = Article::search().query(Query::range("views").gte(20)).send(&client).await?;
    let mut slugs: Vec<&str> = popular.documents().map(|a| a.slug.as_str()).collect();
    slugs.sort();
    println!("articles with 20 views or more: {slugs:?}");
    assert_eq!(slugs, ["hello-rust", "note-2", "note-3"]);

    // Delete one, then the whole index.
    assert!(Article::delete(&client, "note-0", true).await?);
    assert!(!Article::delete(&client, "note-0", true).await?, "already gone");
    assert!(Article::delete_index(&client).await?);
    Ok(())
}
