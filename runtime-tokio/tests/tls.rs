//! The TLS test matrix of every runtime ([`elastik_testkit::tls_matrix!`]),
//! on tokio: verification on by default, a custom CA, pins right and wrong,
//! the contradictions `build()` refuses, the explicit opt-out, and client
//! certificates, against the testkit's rustls server.

use elastik_tokio::http::{HeaderMap, Method};
use elastik_tokio::{Body, Client, ClientBuilder, Error};

/// Builds the client and performs `requests` `GET /` on a fresh tokio runtime.
fn call(builder: ClientBuilder<Client>, requests: usize) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let client = builder.build()?;
        for _ in 0..requests {
            client.perform_request(Method::GET, "/", &[], HeaderMap::new(), Body::Empty).await?;
        }
        Ok(())
    })
}

elastik_testkit::tls_matrix!(elastik_tokio, call);
elastik_testkit::keep_alive_matrix!(elastik_tokio, call);
