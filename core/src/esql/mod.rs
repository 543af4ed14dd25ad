//! ES|QL: a query builder on a syntax tree, and typed results.
//!
//! What it owns: [`Query`] (the `SET` directive, a source command —
//! `FROM`, `ROW`, `SHOW INFO`, `TS` — and the processing commands through
//! [`Processing`]), [`Expr`] (fields, literals, `?name` parameters,
//! operators, casts, and the [`functions`] by family), the `esql.query` /
//! `esql.async_query*` requests as [`Endpoint`](crate::Endpoint) values, the
//! decoding of their tables into `Vec<T>` or columns ([`EsqlResponse`]), and
//! the async polling loop as a state machine ([`AsyncQuery`]).
//!
//! What it does not do: parse ES|QL, check types or column names, or send
//! anything. The runtimes send the requests.
//!
//! Injection safety: strings given as values become quoted string literals
//! (`"…"` with `\`, `"`, newlines and tabs escaped) or `?name` parameters
//! whose values travel in the body's `params`; names become identifiers,
//! backtick-quoted when not plain. Names that cannot be quoted (function,
//! parameter, setting and enrich policy names, `KEEP` patterns) are checked
//! and rejected with [`Error::Build`](crate::Error::Build) at render time.
//! Text goes into a query verbatim only through [`Expr::raw_unchecked`] and
//! [`Processing::raw_unchecked`].
//!
//! ```
//! use elastik_proto::esql::{field, functions as f, Expr, Processing, Query, TimeUnit};
//!
//! let rendered = Query::from(["library", "remote-*:library"])
//!     .eval([("year", f::date_trunc(Expr::span(1, TimeUnit::Year), field("release_date")))])
//!     .stats_by([f::max(field("page_count"))], [field("year")])
//!     .sort(["year"])
//!     .limit(5)
//!     .render()
//!     .unwrap();
//! assert_eq!(
//!     rendered.query,
//!     "FROM library, remote-*:library | EVAL year = DATE_TRUNC(1 year, release_date) \
//!      | STATS MAX(page_count) BY year | SORT year | LIMIT 5"
//! );
//! ```

#[cfg(feature = "arrow")]
pub mod arrow;
mod async_query;
mod command;
mod expr;
pub mod functions;
mod processing;
mod query;
mod render;
mod request;
mod response;

pub use async_query::{AsyncQuery, AsyncRequest};
pub use command::{
    Aggregation, Column, Command, EnrichMode, Fuse, FuseMethod, JoinOn, Nulls, Order, Pipeline, SettingValue, SortKey,
    Source,
};
pub use expr::{field, lit, BinaryOp, DataType, Expr, Field, Literal, OptionValue, Options, TimeUnit};
pub use processing::Processing;
pub use query::{Query, Rendered};
pub use request::{AsyncDelete, AsyncGet, AsyncSubmit, EsqlQuery, EsqlTextQuery, QueryBody, TextFormat};
pub use response::{ColumnInfo, EsqlResponse};
