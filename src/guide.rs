//! The guide: the longer topics, one page each.
//!
//! This module holds documentation only (in the manner of rustls's `manual`).
//!
//! - [`connecting`]: nodes, credentials, Cloud ID, TLS (CA files, fingerprints,
//!   client certificates), proxies, compatibility headers.
//! - [`retries`]: what is retried, for how long, and what an error tells you.
//! - [`helpers`]: bulk, scan and reindex, and what each guarantees.
//! - [`testing`]: testing your code without a server, with recorded answers.
//! - [`from_python`]: the Python client's calls beside elastik's.

pub mod connecting {
    //! # Connecting
    //!
    //! A client is built once per cluster with
    //! [`Client::builder()`](crate::tokio::Client::builder) (the same
    //! [`ClientBuilder`](crate::proto::ClientBuilder) on every runtime) and
    //! cloned freely: clones share the connection pool and the node list.
    //!
    //! ## Nodes
    //!
    //! `node(url)` adds one node, `nodes([..])` several; requests go round-robin
    //! over the nodes alive. A URL may carry a path prefix
    //! (`https://proxy.example/es`). Sniffing (`sniff_on_start(true)`,
    //! `sniff_before_requests(..)`, `sniff_on_node_failure(true)`) replaces the
    //! list with the cluster's own.
    //!
    //! ## Credentials
    //!
    //! ```no_run
    //! # fn run() -> Result<(), elastik::Error> {
    //! use elastik::tokio::Client;
    //!
    //! // An API key (id and key, or the encoded form Kibana shows).
    //! let client = Client::builder().node("https://es.example:9200").api_key("id", "key").build()?;
    //! let client = Client::builder().node("https://es.example:9200").api_key_encoded("aWQ6a2V5").build()?;
    //! // A user and password.
    //! let client = Client::builder().node("https://es.example:9200").basic_auth("elastic", "changeme").build()?;
    //! // The same in the URL: the userinfo becomes `Auth`, the URL keeps none of it.
    //! let client = Client::builder().node("https://elastic:changeme@es.example:9200").build()?;
    //! // A bearer token (a service account token or an OAuth2 token).
    //! let client = Client::builder().node("https://es.example:9200").bearer_auth("token").build()?;
    //! # Ok(()) }
    //! ```
    //!
    //! Credentials never appear in `Debug` output, logs or error messages; the
    //! `Authorization` header is marked sensitive.
    //!
    //! ## Elastic Cloud
    //!
    //! `cloud_id(id)` decodes a deployment's Cloud ID into its HTTPS endpoint
    //! (sniffing is refused with a Cloud ID: the proxy in front of the cluster
    //! is the only address to use).
    //!
    //! ```no_run
    //! # fn run() -> Result<(), elastik::Error> {
    //! let client = elastik::tokio::Client::builder()
    //!     .cloud_id("my-deployment:ZXUtd2VzdC0xLmF3cy5mb3VuZC5pbyRhYmMkZGVm")
    //!     .api_key_encoded("aWQ6a2V5")
    //!     .build()?;
    //! # Ok(()) }
    //! ```
    //!
    //! ## TLS
    //!
    //! Verification is on by default, against the bundled web PKI roots
    //! (`TlsConfig::native_roots` for the system's store). A cluster with its
    //! own CA (Elasticsearch's `http_ca.crt`) is trusted by adding the CA, or by
    //! pinning the SHA-256 fingerprint the server printed at its first start:
    //!
    //! ```no_run
    //! # fn run() -> Result<(), Box<dyn std::error::Error>> {
    //! use elastik::tokio::Client;
    //!
    //! let ca = std::fs::read("config/certs/http_ca.crt")?;
    //! let client = Client::builder().node("https://localhost:9200").ca_certificate_pem(ca).build()?;
    //!
    //! let client = Client::builder()
    //!     .node("https://localhost:9200")
    //!     .ssl_assert_fingerprint("E8:76:75:41:53:3A:...:B2")
    //!     .build()?;
    //! # Ok(()) }
    //! ```
    //!
    //! A pinned fingerprint is the only check: the connection is accepted if
    //! and only if the leaf certificate matches. Client certificates (mutual
    //! TLS) are `client_certificate_pem(chain, key)`. Turning verification off
    //! is possible for a laboratory cluster and named to be noticed:
    //! `TlsConfig { danger_accept_invalid_certs: true, .. }`.
    //!
    //! ### Which crypto
    //!
    //! TLS is rustls; no OpenSSL. Its cryptography comes from **aws-lc-rs** by
    //! default (the feature `tls-aws-lc`): it offers the post-quantum hybrid key
    //! exchange `X25519MLKEM768` first, as current browsers do, and falls back
    //! to X25519 or the NIST curves with servers that lack it (Elasticsearch's
    //! JDK does, before JDK 24). It compiles aws-lc's C sources, so a C
    //! compiler must be installed (as for *ring*; no cmake). The alternative is
    //! **ring** (`tls-ring`): classic key exchange only, and less to compile
    //! (rustls alone builds in 12 s with *ring* and 31 s with aws-lc-rs on two
    //! cores; in a clean build of a program using elastik that difference
    //! mostly overlaps with compiling the typed API: 172 s against 176 s):
    //!
    //! ```toml
    //! elastik-client = { version = "0.1", default-features = false, features = ["tokio", "full", "tls-ring"] }
    //! ```
    //!
    //! With both features aws-lc-rs is used. A provider your application
    //! installs as rustls' process default
    //! (`rustls::crypto::CryptoProvider::install_default`, for instance a FIPS
    //! build of aws-lc-rs) takes precedence over both.
    //!
    //! ## Proxies
    //!
    //! `proxy("http://user:pass@proxy:3128")` sends plain requests through an
    //! HTTP proxy and tunnels `https://` nodes with `CONNECT`. The proxy's
    //! credentials are redacted like the nodes'. Nothing is read from the
    //! environment unless you read it.
    //!
    //! ## Compatibility headers
    //!
    //! Requests ask for the REST API of Elasticsearch 9
    //! (`compatible-with=9`); `compatibility(Compatibility::V8)` asks for 8's,
    //! `Compatibility::Off` sends plain JSON. A server that refuses them (406,
    //! as OpenSearch does) gets plain JSON from then on, automatically.
}

pub mod retries {
    //! # Retries: what is retried, and for how long
    //!
    //! Every decision is made by the core, the same on every runtime, and every
    //! attempt is listed in the error when the call fails.
    //!
    //! | failure | retried? |
    //! |---|---|
    //! | 429, 502, 503, 504 | yes, with jittered backoff, honouring `Retry-After` (a 429 does not mark the node dead) |
    //! | connection refused, DNS, connect timeout | yes, on another node; the node rests (1 s, doubling to 30 s) |
    //! | TLS refused (certificate, handshake) | once on each other node, not on the same one again |
    //! | broken connection after the request was sent | only when repeating is safe: GET, HEAD, PUT, DELETE and read-only POST endpoints (`search`, `count`, …), or `RequestOptions::retry_safe(true)`; never `bulk` at the transport level |
    //! | request timeout | reads: no (`retry_on_timeout(true)` to ask); writes safe to repeat (PUT, DELETE): yes |
    //! | other statuses (400, 404, 409, …) | no: the answer is the result |
    //!
    //! Retries go on until a **time budget** runs out: two minutes from the
    //! call's start by default (`retry_budget(..)` on the builder or per
    //! request), so a cluster that is busy for a minute costs latency, not
    //! errors. `max_retries(n)` adds a count limit when you want one.
    //!
    //! When retries run out, the error is the last answer
    //! ([`Error::Api`](crate::Error::Api) with its status and the server's
    //! error) or a [`TransportError`](crate::proto::error::TransportError)
    //! whose `attempts` list every node tried and what happened there.
    //!
    //! The bulk helper has its own, longer budgets (five minutes, separately
    //! for whole requests and for single items), because a bulk load is worth
    //! waiting for; see [`helpers`](super::helpers).
}

pub mod helpers {
    //! # Helpers and their guarantees
    //!
    //! ## Bulk
    //!
    //! `BulkIndexer` (and the stream form `bulk(client, operations, config)`)
    //! ends every operation in exactly one of:
    //!
    //! - **succeeded**: the server acknowledged it;
    //! - **failed**: the server refused it (a mapping error, a version
    //!   conflict on `create`, …), with its status and reason, or it was never
    //!   sent; failed operations were not applied;
    //! - **unconfirmed**: the request may have been applied but no answer came
    //!   back, and repeating it was not safe (an `index` without an id would be
    //!   applied twice). Unconfirmed is never counted as failed.
    //!
    //! Whole-request push-back (429, 503, refused connections) sends every
    //! operation again; item-level 429s send those items again; a broken
    //! connection sends again the operations that are safe to repeat
    //! (those with ids, deletes, updates without scripts). While the cluster
    //! pushes back, the indexer halves the requests in flight and the chunk
    //! size, and grows them again once answers are clean. The report
    //! (`BulkReport`) counts submitted, succeeded, failed, unconfirmed, item
    //! and request retries and their reasons.
    //!
    //! Give every document an id when you can: then nothing can end
    //! unconfirmed, and a load that is interrupted can simply be run again.
    //!
    //! ## Scan
    //!
    //! `scan` reads every hit of a query once, through a point in time and
    //! `search_after` (sliced with `scan_sliced`, each slice its own stream,
    //! merged); the point in time is closed when the stream ends or is
    //! dropped.
    //!
    //! ## Reindex
    //!
    //! `reindex(source, target, config)` is a scan on one client feeding a bulk
    //! indexer on another (the same or a different cluster), with an optional
    //! transform per document; its progress and the bulk report are the
    //! accounting.
}

pub mod testing {
    //! # Testing without a server
    //!
    //! The crate `elastik-replay` answers a client's requests from recorded
    //! exchanges: build a `Client<ReplayExecutor>` over a cassette of fixtures,
    //! run your code, then check that every request matched a recording
    //! (`assert_all_matched`).
    //!
    //! Enable the facade feature `replay`, usually for tests only:
    //!
    //! ```toml
    //! [dev-dependencies]
    //! elastik-client = { version = "0.1", features = ["replay"] }
    //! ```
    //!
    //! The crate is then `elastik::replay`, and its fixture file format is
    //! documented in `elastik::replay::format`. To record, wrap a live
    //! client's executor: `let recorder = RecordingExecutor::new(live.executor().clone());`,
    //! send your calls through `Client::from_executor(recorder.clone())`, then
    //! `recorder.save("tests/fixtures/books.jsonl")?`; credential headers are
    //! never written. In the test, `ReplayExecutor::load("tests/fixtures")?`
    //! serves those files back. The typed API is generic over its executor, so
    //! the code under test takes `elastik::api::Client<X>` and runs unchanged
    //! against a real runtime in production.
    //!
    //! For tests against a real server, any Elasticsearch works; the
    //! repository's own suite starts noida-db (an Elasticsearch-compatible
    //! server from PyPI) and real Elasticsearch nodes from Maven Central
    //! (`scripts/servers.sh`).
}

pub mod from_python {
    //! # Coming from the Python client
    //!
    //! | elasticsearch-py | elastik |
    //! |---|---|
    //! | `Elasticsearch("https://…", api_key=…)` | `Client::builder().node("https://…").api_key_encoded(…).build()?` |
    //! | `basic_auth=("elastic", pw)` | `.basic_auth("elastic", pw)` |
    //! | `ca_certs="http_ca.crt"` | `.ca_certificate_pem(std::fs::read("http_ca.crt")?)` |
    //! | `ssl_assert_fingerprint=…` | `.ssl_assert_fingerprint(…)` |
    //! | `cloud_id=…` | `.cloud_id(…)` |
    //! | `request_timeout=10` | `.request_timeout(Duration::from_secs(10))` (or `None`: no timeout) |
    //! | `max_retries=…, retry_on_status=…, retry_on_timeout=True` | `.max_retries(…)`, `.retry_on_status(…)`, `.retry_on_timeout(true)` (and a time budget, `.retry_budget(…)`) |
    //! | `sniff_on_start=True` | `.sniff_on_start(true)` |
    //! | `es.info()` | `client.info().send().await?` |
    //! | `es.index(index="i", id="1", document=doc)` | `client.index("i").id("1").body(doc).send().await?` |
    //! | `es.get(index="i", id="1")` | `client.get("i", "1").send().await?` |
    //! | `es.search(index="i", query=q, size=20)` | `client.search().index("i").query(q).size(20).send().await?` (body fields are setters; `q` a DSL `Query`) |
    //! | `es.indices.create(index="i", mappings=m)` | `client.indices().create("i").mappings(m).send().await?` (`m` a `TypeMapping`; JSON goes through `.json_body(&json!({"mappings": m}))`) |
    //! | `except NotFoundError` | `Err(e) if e.is_not_found()` (also `is_conflict()`, `status()`, …), or `.ignore_status([404])` |
    //! | `helpers.bulk(es, actions)` | `BulkIndexer::new(&client, BulkConfig::new().index("i"))`, `add(…)`, `close().await` |
    //! | `helpers.scan(es, index="i")` | `client.scan::<T>(ScanConfig::new("i"))` |
    //! | `helpers.reindex(es, "a", "b")` | `reindex(&client, &client, ReindexConfig::new(ScanConfig::new("a"), "b"))` |
    //! | `es.esql.query(query=…)` | `client.esql().query().json_body(&rendered)…` or the ES\|QL builder in `elastik::proto::esql` |
    //! | `AsyncElasticsearch` | `elastik::tokio` (or `elastik::async_std`); the sync client is `elastik::blocking` |
    //!
    //! The same calls, as code that compiles:
    //!
    //! ```no_run
    //! use std::time::Duration;
    //!
    //! use elastik::dsl::Query;
    //! use elastik::tokio::Client;
    //! use serde_json::json;
    //!
    //! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    //! let client = Client::builder()
    //!     .node("https://localhost:9200")
    //!     .api_key_encoded("aWQ6a2V5")
    //!     .ca_certificate_pem(std::fs::read("http_ca.crt")?)
    //!     .request_timeout(Duration::from_secs(10))
    //!     .max_retries(3)
    //!     .retry_on_timeout(true)
    //!     .sniff_on_start(true)
    //!     .build()?;
    //! let _ = Client::builder().node("https://localhost:9200").basic_auth("elastic", "pw").request_timeout(None);
    //!
    //! client.info().send().await?;
    //! client.index("i").id("1").body(json!({"title": "Dune"})).send().await?;
    //! client.get("i", "1").send().await?;
    //! let q = Query::term("user.id", "kimchy");
    //! client.search().index("i").query(q).from(40).size(20).send().await?;
    //! let m = json!({"properties": {"title": {"type": "text"}}});
    //! client.indices().create("i").json_body(&json!({ "mappings": m })).send().await?;
    //! match client.get("i", "missing").send().await {
    //!     Err(e) if e.is_not_found() => println!("not there"),
    //!     other => println!("{:?}", other.map(|doc| doc.found)),
    //! }
    //! if client.get("i", "missing").ignore_status([404]).send_opt().await?.is_none() {
    //!     println!("a 404, ignored");
    //! }
    //! # Ok(()) }
    //! ```
    //!
    //! Differences worth knowing: elastik retries for a time budget rather
    //! than a count (a count when `max_retries` is set); the bulk helper
    //! reports operations that may have been applied as unconfirmed instead of
    //! failing them; typed responses are Rust structs, and `send_raw()` gives
    //! the raw `http::Response` when you want the bytes.
}
