//! # elastik-api
//!
//! The typed API: [`Client`] and [`Request`], generic over the runtime's
//! [`Executor`](elastik_base::Executor), and (generated from the
//! specification by `codegen`) one request type per endpoint with its typed
//! response: root endpoints at the crate root ([`Search`], [`Index`], …),
//! the others in one module per namespace ([`indices::IndicesCreate`], …).
//!
//! ```ignore
//! let resp = client.search().index("books").size(10).body(body).send().await?;
//! client.indices().create("books").send().await?;
//! ```
//!
//! What it does not do: send anything. A runtime crate supplies the executor;
//! `elastik-proto` supplies the transport. Body types live in `elastik-types`.

mod client;
pub mod fields;
#[allow(clippy::all)]
#[rustfmt::skip]
mod generated;
pub mod support;

pub use client::{Client, Request};
/// The generated body types (`elastik-types`): the typed responses
/// (`types::global::SearchResponse<T>`, …), request bodies and the enums
/// that parameter setters take (`types::types::Refresh`, …).
pub use elastik_types as types;
pub use fields::IntoField;
pub use generated::*;
pub use support::{BinaryBody, CatResponse, IntoDuration, IntoList, ParamValue};
