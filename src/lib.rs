//! # elastik
//!
//! The Elasticsearch client for Rust. Pick a runtime by feature:
//! `tokio` (default), `async-std`, `blocking`; they are additive.
#![doc = ""]

pub use elastik_core as core;
pub use elastik_core::{ApiError, Auth, Body, Endpoint, Error, RequestOptions};

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
