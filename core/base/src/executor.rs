//! [`Executor`]: the seam between the API and a runtime.
//!
//! The typed API (generated once, in `elastik-api`) is generic over an
//! executor; each runtime implements it once. A blocking runtime's output is
//! the value itself, an async runtime's is a boxed future.

use bytes::Bytes;

use crate::body::Body;
use crate::error::Error;
use crate::transport::RequestOptions;

/// A built request on its way to a runtime.
#[derive(Debug)]
pub struct PreparedRequest {
    /// The endpoint's id (for spans and retry rules).
    pub endpoint_id: &'static str,
    /// The request as the endpoint built it (origin-form URI, plain media types).
    pub request: http::Request<Body>,
    /// Per-request options.
    pub options: RequestOptions,
}

/// Runs prepared requests through the transport; implemented by each runtime.
pub trait Executor: Clone + std::marker::Send + Sync + 'static {
    /// What a request turns into: `T` for a blocking runtime, a future of `T`
    /// for an async one.
    type Output<T: std::marker::Send + 'static>;

    /// Sends the request (with retries, node selection, …) and returns the raw
    /// response, whatever its status, or the error that ended the call.
    fn execute(&self, request: PreparedRequest) -> Self::Output<Result<http::Response<Bytes>, Error>>;

    /// An output that is already available.
    fn ready<T: std::marker::Send + 'static>(value: T) -> Self::Output<T>;

    /// Transforms an output once it is available.
    fn map<T, U, F>(output: Self::Output<T>, f: F) -> Self::Output<U>
    where
        T: std::marker::Send + 'static,
        U: std::marker::Send + 'static,
        F: FnOnce(T) -> U + std::marker::Send + 'static;
}
