//! The TLS test matrix of every runtime ([`elastik_testkit::tls_matrix!`]),
//! under async-std and under smol: verification on by default, a custom CA,
//! pins right and wrong, the contradictions `build()` refuses, the explicit
//! opt-out, and client certificates, against the testkit's rustls server;
//! and the keep-alive reset test ([`elastik_testkit::keep_alive_matrix!`]).

use elastik_async_std::{Client, ClientBuilder, Error};
use http::Method;

async fn get(builder: ClientBuilder<Client>, requests: usize) -> Result<(), Error> {
    let client = builder.build()?;
    for _ in 0..requests {
        crate::call(&client, Method::GET, "/", None).await?;
    }
    Ok(())
}

mod on_async_std {
    use super::*;

    fn call(builder: ClientBuilder<Client>, requests: usize) -> Result<(), Error> {
        async_std::task::block_on(get(builder, requests))
    }

    elastik_testkit::tls_matrix!(elastik_async_std, call);
    elastik_testkit::keep_alive_matrix!(elastik_async_std, call);
}

mod on_smol {
    use super::*;

    fn call(builder: ClientBuilder<Client>, requests: usize) -> Result<(), Error> {
        smol::block_on(get(builder, requests))
    }

    elastik_testkit::tls_matrix!(elastik_async_std, call);
    elastik_testkit::keep_alive_matrix!(elastik_async_std, call);
}
