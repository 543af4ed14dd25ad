//! # elastik-conformance
//!
//! Checks the generated typed API against three sources, each as a
//! subcommand of the `elastik-conformance` binary ending in `N passed, M failed`:
//!
//! - `coverage`: endpoints and types of `schema.json` the generator covers;
//! - `examples [--spec DIR]`: spec request examples rebuilt through the typed
//!   API, 200 response examples decoded and re-encoded;
//! - `fixtures DIR`: recorded exchanges (`../shared/fixtures/FORMAT.md`):
//!   requests rebuilt through the typed API, responses decoded;
//! - `fixtures DIR --runtime tokio|async-std|blocking` ([`replay`]): the same
//!   fixtures sent through a real runtime to a local stub that answers with
//!   the recorded responses, so core, runtime and HTTP are all exercised;
//! - `yaml --url URL [--runtime R] [--spec DIR] [--filter SUBSTR]` ([`yaml`]):
//!   the official YAML REST tests against a server, ending in
//!   `N passed, M failed, K skipped`.
//!
//! What it does not do: run helper scenarios (those belong to the helpers'
//! tests). For replaying recorded traffic in your own tests, see the
//! `elastik-replay` crate, whose matcher the stub uses.

pub mod args;
pub mod check;
pub mod console;
pub mod replay;
pub mod yaml;
#[allow(missing_docs, clippy::all)]
#[rustfmt::skip]
mod generated;

pub use generated::dispatch;

use bytes::Bytes;
use elastik_proto::{Body, Endpoint, Error};

/// An endpoint value behind a trait object: builds its request and decodes
/// a response into its typed response, re-encoded as JSON.
pub trait DynEndpoint {
    /// The request.
    fn request(&self) -> Result<http::Request<Body>, Error>;
    /// Decodes `response` into the typed response and re-encodes it.
    fn decode_value(&self, response: &http::Response<Bytes>) -> Result<serde_json::Value, Error>;
}

impl<E> DynEndpoint for E
where
    E: Endpoint,
    E::Response: serde::Serialize,
{
    fn request(&self) -> Result<http::Request<Body>, Error> {
        self.to_request()
    }

    fn decode_value(&self, response: &http::Response<Bytes>) -> Result<serde_json::Value, Error> {
        let typed = self.decode(response)?;
        serde_json::to_value(&typed).map_err(|e| Error::build(format!("cannot re-encode: {e}")))
    }
}
