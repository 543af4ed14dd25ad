//! # elastik-dsl
//!
//! Typed queries, aggregations, a search builder and `#[derive(Document)]`,
//! on top of the generated API.
//!
//! - [`Query`]: one constructor per query of the specification
//!   ([`QUERY_KINDS`]), [`Bool`] and [`Range`] builders, and `&`, `|`, `!`.
//! - [`Aggregation`]: one constructor per aggregation ([`AGGREGATION_KINDS`]),
//!   nested with [`Aggregation::agg`]; results read by name from
//!   [`Aggregations`].
//! - [`Search`]: the request body, sent through any runtime with
//!   `typed_keys=true`, answered with [`SearchResults<T>`] of [`Hit<T>`].
//! - [`Document`] and [`Mapping`], implemented by `#[derive(Document)]`.
//!
//! ```
//! use elastik_dsl::{Aggregation, Query, Search};
//!
//! let search = Search::new()
//!     .index("books")
//!     .query(Query::match_("title", "rust") & Query::range("year").gte(2015))
//!     .filter(!Query::term("status", "draft"))
//!     .agg("by_tag", Aggregation::terms("tags.keyword").agg("avg_pages", Aggregation::avg("pages")))
//!     .size(10);
//! assert!(search.to_request_body().is_ok());
//! ```
//!
//! What it does not do: check field names against a mapping, or decide
//! anything about transport (a search is one generated endpoint value).
//! Values are kept as wire JSON; each converts into the generated type
//! (`QueryContainer`, `AggregationContainer`, `SearchSearchRequestBody`).

pub mod aggregation;
pub mod document;
pub mod query;
pub mod results;
pub mod search;

pub use aggregation::{Aggregation, AGGREGATION_KINDS};
pub use document::{text_with_keyword, Document, GeoPoint, Mapping};
pub use elastik_derive::Document;
pub use query::{Bool, Query, Range, QUERY_KINDS};
pub use results::{
    AggregationError, Aggregations, Bucket, Buckets, Hit, HitsBlock, SearchResults, SingleBucket, Stats, Terms,
    TotalHits,
};
pub use search::{Search, TypedEndpoint};

/// Re-exported for the derive macro's generated code.
#[doc(hidden)]
pub mod __private {
    pub use serde_json;
}
