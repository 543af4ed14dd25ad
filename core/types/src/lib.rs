//! # elastik-types
//!
//! The body types of the Elasticsearch API, generated from the specification
//! by `codegen`: one module per top-level spec namespace (`types` holds the
//! shared `_types`, `global` the root endpoints' types, `indices`, `ml`, …).
//!
//! Decoding is lenient: fields the specification calls required but a server
//! omits decode to their default, enums keep values they do not know, and
//! unions and containers fall back to a `serde_json::Value` variant.
//!
//! What it does not do: build requests or talk to a server (`elastik-api`).
//! Hand-written code here is limited to [`support`] and [`read`] (accessors
//! such as `hits.total_value()`, `hit.id()`, `hit.source()`).

pub mod read;
pub mod support;

pub use read::OrEmpty;

#[allow(missing_docs, clippy::all)]
#[rustfmt::skip]
mod generated;

pub use generated::*;
