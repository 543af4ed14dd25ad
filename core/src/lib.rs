//! # elastik-proto
//!
//! The sans-IO core of elastik. It turns API calls into `http::Request`
//! values, parses responses, and makes every transport decision — which node,
//! retry or not, when to sniff, when a dead node comes back — as a state
//! machine with time passed in.
//!
//! What it owns: [`Endpoint`] (one call as a value), [`Body`], the one
//! [`Error`] type, the [`transport`] machines, and [`Executor`], the seam every
//! runtime implements.
//!
//! What it does not do: open sockets, read clocks, spawn threads, or depend on
//! an async runtime. The runtime crates (`elastik-tokio`, `elastik-async-std`,
//! `elastik-blocking`) move the bytes and wait for time; see
//! [`transport`] for the drive loop they all share.

pub use elastik_base::{body, encoding, endpoint, error, executor, media};

pub mod esql;
pub mod helpers;
pub mod machine;
pub mod transport;

pub use body::Body;
pub use endpoint::Endpoint;
pub use error::{ApiError, Error, ErrorCause, IoError, IoErrorKind, TransportError};
pub use executor::{Executor, PreparedRequest};
pub use transport::{Auth, ClientBuilder, Config, FromConfig, RequestOptions, Transport};

/// Re-exported so generated and runtime code name one version.
pub use elastik_base::bytes;
/// Re-exported so generated and runtime code name one version.
pub use elastik_base::http;
