//! # elastik
//!
//! An Elasticsearch client for Rust: every endpoint of the REST API typed,
//! generated from the Elasticsearch specification; one pure core that makes
//! every transport decision; three runtimes that only move bytes
//! (`tokio`, `async_std` for async-std and smol, `blocking`, one cargo
//! feature each); and helpers (bulk, scan, reindex,
//! ES|QL) that account for every operation.
//!
//! The longer topics (connecting securely, what is retried, the helpers'
//! guarantees, testing without a server, coming from the Python client) are in
//! the [`guide`].
//!
//! ## A tour
//!
//! **Connect.** A [`Client`](crate::tokio::Client) is cheap to clone and shares
//! its connections; build one per cluster. URL credentials become
//! [`Auth`] and never appear in `Debug` output, logs or errors.
//!
//! ```no_run
//! # async fn run() -> Result<(), elastik::Error> {
//! use elastik::tokio::Client;
//!
//! let client = Client::builder()
//!     .node("https://localhost:9200")
//!     .api_key("my-id", "my-api-key")
//!     .build()?;
//! let info = client.info().send().await?;
//! println!("{} {}", info.cluster_name, info.version.number);
//! # Ok(()) }
//! ```
//!
//! **Index and search.** Required path parts are arguments in URL order, the
//! rest are setters; [`send`](crate::api::Request::send) decodes the
//! endpoint's typed response. Queries come from the [`dsl`] (or JSON).
//!
//! ```no_run
//! # async fn run(client: elastik::tokio::Client) -> Result<(), elastik::Error> {
//! use elastik::dsl::Query;
//! use serde_json::json;
//!
//! client.index("books").id("1").body(json!({"title": "Dune", "year": 1965})).send().await?;
//! client.indices().refresh().index("books").send().await?;
//!
//! let query = Query::bool().must(Query::match_("title", "dune")).filter(Query::range("year").gte(1960));
//! let found = client.search().index("books").query(query).size(20).send().await?;
//! println!("{:?} matching", found.hits.total_value());
//! for hit in &found.hits.hits {
//!     println!("{:?} {:?}", hit._id, hit._source);
//! }
//! # Ok(()) }
//! ```
//!
//! **Typed hits.** Any `Deserialize` type reads the documents:
//! [`send_as`](crate::api::Request::send_as) with
//! [`SearchResponse<T>`](crate::types::global::SearchResponse).
//!
//! ```no_run
//! # async fn run(client: elastik::tokio::Client) -> Result<(), elastik::Error> {
//! use elastik::types::global::SearchResponse;
//!
//! #[derive(serde::Deserialize)]
//! struct Book {
//!     title: String,
//!     year: i64,
//! }
//! let found: SearchResponse<Book> = client.search().index("books").size(10).send_as().await?;
//! for book in found.hits.hits.iter().filter_map(|hit| hit._source.as_ref()) {
//!     println!("{} ({})", book.title, book.year);
//! }
//! # Ok(()) }
//! ```
//!
//! **Bulk.** The [`BulkIndexer`](crate::tokio::helpers::BulkIndexer) splits
//! operations into requests, keeps several in flight, retries what the cluster
//! pushes back (429s, busy nodes, broken connections, for as long as a time
//! budget allows) and ends every operation in exactly one of succeeded,
//! failed (the server refused it: status and reason) or unconfirmed (it may
//! have been applied). Nothing is dropped silently.
//!
//! ```no_run
//! # async fn run(client: elastik::tokio::Client) -> Result<(), elastik::Error> {
//! use elastik::tokio::helpers::{BulkConfig, BulkIndexer, BulkOperation};
//! use serde_json::json;
//!
//! let mut indexer = BulkIndexer::new(&client, BulkConfig::new().index("books"));
//! for n in 0..10_000 {
//!     let doc = json!({"title": format!("book {n}"), "year": 2000 + n % 25});
//!     indexer.add(BulkOperation::index(&doc).id(n.to_string())).await.expect("the indexer runs");
//! }
//! let report = indexer.close().await;
//! println!("{report}");
//! assert_eq!(report.stats.succeeded, 10_000);
//! # Ok(()) }
//! ```
//!
//! **Scan.** Every document of an index (or of a query), once, through a point
//! in time and `search_after`, optionally in parallel slices:
//! [`ClientHelpers::scan`](crate::tokio::helpers::ClientHelpers::scan).
//!
//! ```no_run
//! # async fn run(client: elastik::tokio::Client) -> Result<(), elastik::Error> {
//! use elastik::tokio::helpers::{ClientHelpers, Hit, ScanConfig};
//! use futures_util::StreamExt;
//!
//! let mut hits = client.scan::<serde_json::Value>(ScanConfig::new("books"));
//! while let Some(hit) = hits.next().await {
//!     let hit: Hit<serde_json::Value> = hit?;
//!     println!("{:?}", hit.id);
//! }
//! # Ok(()) }
//! ```
//!
//! **ES|QL.** The [`esql`](crate::proto::esql) builder renders a query from a
//! syntax tree; values become literals or parameters, never text pasted into
//! the query.
//!
//! ```
//! use elastik::proto::esql::{field, functions as f, Processing, Query};
//!
//! let rendered = Query::from(["employees"])
//!     .where_(field("still_hired").eq(true))
//!     .stats_by([f::avg(field("height"))], [field("languages")])
//!     .limit(10)
//!     .render()
//!     .unwrap();
//! assert!(rendered.query.starts_with("FROM employees | WHERE still_hired == true"));
//! ```
//!
//! **Errors.** An error status is [`Error::Api`] with the server's parsed
//! error; a failure to reach any node is [`Error::Transport`] listing every
//! attempt. [`Error::status`] reads the status of either.
//!
//! ```no_run
//! # async fn run(client: elastik::tokio::Client) -> Result<(), elastik::Error> {
//! use elastik::http::StatusCode;
//!
//! match client.get("books", "no-such-id").send().await {
//!     Ok(doc) => println!("found {:?}", doc._source),
//!     Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => println!("not there"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! ## Choosing a runtime
//!
//! The features are additive and the API is the same on each:
//!
//! | feature | module | HTTP | for |
//! |---|---|---|---|
//! | `tokio` (default) | `elastik::tokio` | hyper 1 + rustls | tokio services |
//! | `async-std` | `elastik::async_std` | async-io + rustls | async-std and smol |
//! | `blocking` | `elastik::blocking` | ureq 3 + rustls | scripts, threads, no async |
//!
//! The blocking client returns values where the others return futures:
//! `client.info().send()?`.
//!
//! ## Embedding the core
//!
//! Every decision (which node, whether to retry and when, when to sniff, when
//! a dead node comes back) is made by pure state machines in [`core`] that
//! take the time as an argument and return what to do next. A runtime of your
//! own is a loop around them plus one HTTP exchange; see
//! `core/examples/embed_std_net.rs` in the repository.
#![doc = ""]

pub use elastik_proto as proto;
pub use elastik_proto::{http, ApiError, Auth, Body, Endpoint, Error, RequestOptions};

/// The generated endpoints (`api::Search`, `api::indices::IndicesCreate`, …),
/// shared by every runtime.
pub use elastik_api as api;

/// The generated body types: typed responses
/// (`types::global::SearchResponse<MyDoc>`, read with
/// `Request::send_as`), request bodies, and the enums parameter setters take
/// (`types::types::Refresh`, `types::types::ExpandWildcard`, …).
pub use elastik_api::types;

/// Typed queries, aggregations, the search builder and `#[derive(Document)]`
/// (the derive finds it as `elastik::dsl` in a crate that depends on `elastik`
/// only; `#[es(crate = "…")]` names another path).
pub use elastik_dsl as dsl;

/// The tokio runtime (hyper 1 + rustls).
#[cfg(feature = "tokio")]
pub use elastik_tokio as tokio;

/// The async-std / smol runtime (async-io + futures-io).
#[cfg(feature = "async-std")]
pub use elastik_async_std as async_std;

/// The blocking runtime (ureq 3).
#[cfg(feature = "blocking")]
pub use elastik_blocking as blocking;

/// Recorded exchanges for tests without a server: `ReplayExecutor` answers
/// from fixture files, `RecordingExecutor` writes them (the feature `replay`).
#[cfg(feature = "replay")]
pub use elastik_replay as replay;

pub mod guide;

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
