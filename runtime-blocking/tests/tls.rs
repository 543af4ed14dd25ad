//! The TLS test matrix of every runtime ([`elastik_testkit::tls_matrix!`]),
//! on the blocking runtime: verification on by default, a custom CA, pins
//! right and wrong, the contradictions `build()` refuses, the explicit
//! opt-out, and client certificates, against the testkit's rustls server.

use elastik_blocking::{Body, Client, ClientBuilder, Error, HeaderMap, Method};

/// Builds the client and performs `requests` `GET /`.
fn call(builder: ClientBuilder<Client>, requests: usize) -> Result<(), Error> {
    let client = builder.build()?;
    for _ in 0..requests {
        client.perform_request(Method::GET, "/", &[], HeaderMap::new(), Body::Empty)?;
    }
    Ok(())
}

elastik_testkit::tls_matrix!(elastik_blocking, call);
elastik_testkit::keep_alive_matrix!(elastik_blocking, call);
