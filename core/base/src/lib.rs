//! # elastik-base
//!
//! The vocabulary the generated API and the transport share: [`Endpoint`]
//! (one call as a value), [`Body`], the one [`Error`] type, [`Executor`] (the
//! seam each runtime implements), request options, credentials and the
//! client configuration as plain data.
//!
//! It exists so that the generated API (`elastik-api`) depends only on what
//! rarely changes: editing the transport machines, the helpers or ES|QL in
//! `elastik-proto` does not rebuild the generated code. Users reach all of it
//! through `elastik-proto`, which re-exports this crate at the same paths.
//!
//! What it does not do: decide anything about nodes, retries or sniffing
//! (that is `elastik-proto`), or perform IO.

pub mod body;
pub mod encoding;
pub mod endpoint;
pub mod error;
pub mod executor;
pub mod media;
pub mod transport;

pub use body::Body;
pub use endpoint::Endpoint;
pub use error::{ApiError, Error, ErrorCause, IoError, IoErrorKind, TransportError};
pub use executor::{Executor, PreparedRequest};
pub use transport::{Auth, ClientBuilder, Config, FromConfig, RequestOptions};

/// Re-exported so generated and runtime code name one version.
pub use bytes;
/// Re-exported so generated and runtime code name one version.
pub use http;
