//! [`Runtime`]: the one operation the YAML runner needs from a client (send
//! a prepared request, get the raw response), implemented once per runtime
//! so the same test logic runs through tokio, async-std and blocking.

use bytes::Bytes;
use elastik_proto::{Error, Executor, PreparedRequest};

/// A client of one runtime, driven to completion on the calling thread.
pub trait Runtime {
    /// `tokio`, `async-std` or `blocking`.
    fn name(&self) -> &'static str;

    /// The node URL the client was made for.
    fn url(&self) -> &str;

    /// Sends the request through the runtime's executor (transport, retries,
    /// HTTP) and waits for the raw response, whatever its status.
    fn execute(&self, request: PreparedRequest) -> Result<http::Response<Bytes>, Error>;
}

/// The names [`connect`] accepts.
pub const RUNTIMES: [&str; 3] = ["tokio", "async-std", "blocking"];

/// A client of runtime `name` for the node at `url`.
pub fn connect(name: &str, url: &str) -> Result<Box<dyn Runtime>, String> {
    match name {
        "tokio" => Tokio::new(url).map(|r| Box::new(r) as Box<dyn Runtime>),
        "async-std" => {
            let client = elastik_async_std::Client::new(url).map_err(|e| e.to_string())?;
            Ok(Box::new(AsyncStd { client, url: url.to_owned() }))
        }
        "blocking" => {
            let client = elastik_blocking::Client::new(url).map_err(|e| e.to_string())?;
            Ok(Box::new(Blocking { client, url: url.to_owned() }))
        }
        other => Err(format!("unknown runtime {other} (expected tokio, async-std or blocking)")),
    }
}

/// `elastik_tokio::Client` on a current-thread tokio runtime of its own.
pub struct Tokio {
    runtime: tokio::runtime::Runtime,
    client: elastik_tokio::Client,
    url: String,
}

impl Tokio {
    /// A client for `url` and the runtime that drives it.
    pub fn new(url: &str) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let client = {
            let _entered = runtime.enter();
            elastik_tokio::Client::new(url).map_err(|e| e.to_string())?
        };
        Ok(Tokio { runtime, client, url: url.to_owned() })
    }
}

impl Runtime for Tokio {
    fn name(&self) -> &'static str {
        "tokio"
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn execute(&self, request: PreparedRequest) -> Result<http::Response<Bytes>, Error> {
        self.runtime.block_on(self.client.executor().execute(request))
    }
}

/// `elastik_async_std::Client`, driven by `async_io::block_on`.
pub struct AsyncStd {
    client: elastik_async_std::Client,
    url: String,
}

impl Runtime for AsyncStd {
    fn name(&self) -> &'static str {
        "async-std"
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn execute(&self, request: PreparedRequest) -> Result<http::Response<Bytes>, Error> {
        async_io::block_on(self.client.executor().execute(request))
    }
}

/// `elastik_blocking::Client`: its output is the value.
pub struct Blocking {
    client: elastik_blocking::Client,
    url: String,
}

impl Runtime for Blocking {
    fn name(&self) -> &'static str {
        "blocking"
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn execute(&self, request: PreparedRequest) -> Result<http::Response<Bytes>, Error> {
        self.client.executor().execute(request)
    }
}
