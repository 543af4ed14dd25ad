//! [`TlsServer`]: an HTTPS server on `127.0.0.1` with a certificate for
//! `localhost` that a fresh CA (made by rcgen) signed, answering
//! `{"tls":true}` as Elasticsearch (`X-Elastic-Product`) to every request,
//! on keep-alive connections. Trust it with [`TlsServer::ca_pem`].
//!
//! [`TlsServer::start_requiring_client_cert`] serves only clients that
//! present a certificate the same CA signed ([`TlsServer::client_pem`]).
//! [`crate::tls_matrix!`] is the TLS test matrix every runtime instantiates.

use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use crate::http1::{read_body, read_head, request_framing, write_response};
use crate::lock;

/// An HTTPS server on `127.0.0.1:0`; dropping it stops it.
pub struct TlsServer {
    addr: SocketAddr,
    ca_pem: String,
    leaf_sha256: String,
    client_pem: (String, String),
    requests: Arc<AtomicUsize>,
    groups: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl TlsServer {
    /// Makes a CA and a `localhost` certificate, and starts serving.
    pub fn start() -> TlsServer {
        Self::start_with(false)
    }

    /// Like [`TlsServer::start`], but the handshake fails for a client that
    /// presents no certificate signed by the CA.
    pub fn start_requiring_client_cert() -> TlsServer {
        Self::start_with(true)
    }

    fn start_with(client_auth: bool) -> TlsServer {
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::new()).expect("CA parameters");
        ca_params.distinguished_name.push(DnType::CommonName, "elastik testkit CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("a CA certificate");
        let leaf_key = KeyPair::generate().expect("a leaf key");
        let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()]).expect("leaf parameters");
        leaf_params.distinguished_name.push(DnType::CommonName, "localhost");
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).expect("a leaf certificate");

        // The client's own provider (the same features decide both sides).
        let provider = elastik_driver::tls::crypto_provider().expect("a TLS crypto provider");
        let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let leaf_sha256 = elastik_driver::tls::sha256(&provider, leaf.der().as_ref())
            .expect("SHA-256")
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let client_key = KeyPair::generate().expect("a client key");
        let mut client_params = CertificateParams::new(Vec::new()).expect("client parameters");
        client_params.distinguished_name.push(DnType::CommonName, "elastik testkit client");
        let client_cert = client_params.signed_by(&client_key, &ca, &ca_key).expect("a client certificate");
        let client_pem = (client_cert.pem(), client_key.serialize_pem());
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .expect("TLS versions");
        let builder = if client_auth {
            let mut roots = RootCertStore::empty();
            roots.add(ca.der().clone()).expect("the CA as a root");
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("a client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let config = builder.with_single_cert(chain, key).expect("a server configuration");
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(AtomicUsize::new(0));
        let groups = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (count, accept_stop, kept) = (Arc::clone(&requests), Arc::clone(&stop), Arc::clone(&connections));
        let seen = Arc::clone(&groups);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(clone) = stream.try_clone() {
                    lock(&kept).push(clone);
                }
                let (config, count, seen) = (Arc::clone(&config), Arc::clone(&count), Arc::clone(&seen));
                thread::spawn(move || serve(stream, config, &count, &seen));
            }
        });
        TlsServer { addr, ca_pem: ca.pem(), leaf_sha256, client_pem, requests, groups, stop, connections }
    }

    /// `https://localhost:PORT`.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM of the CA that signed its certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The SHA-256 of its leaf certificate, as `AA:BB:…` hex (what
    /// `ssl_assert_fingerprint` takes).
    pub fn leaf_sha256(&self) -> &str {
        &self.leaf_sha256
    }

    /// A client certificate and its key (PEM) that the CA signed.
    pub fn client_pem(&self) -> (&str, &str) {
        (&self.client_pem.0, &self.client_pem.1)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The key exchange group of each completed handshake so far, in order
    /// (rustls' names: `X25519MLKEM768`, `X25519`, `secp256r1`, …).
    pub fn key_exchange_groups(&self) -> Vec<String> {
        lock(&self.groups).clone()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        for conn in lock(&self.connections).drain(..) {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

fn serve(stream: TcpStream, config: Arc<ServerConfig>, count: &AtomicUsize, groups: &Mutex<Vec<String>>) {
    let Ok(conn) = ServerConnection::new(config) else { return };
    let mut tls = StreamOwned::new(conn, stream);
    while tls.conn.is_handshaking() {
        if tls.conn.complete_io(&mut tls.sock).is_err() {
            return;
        }
    }
    if let Some(group) = tls.conn.negotiated_key_exchange_group() {
        lock(groups).push(format!("{:?}", group.name()));
    }
    let mut reader = BufReader::new(tls);
    while let Ok(Some(head)) = read_head(&mut reader) {
        if read_body(&mut reader, request_framing(&head)).is_err() {
            return;
        }
        count.fetch_add(1, Ordering::SeqCst);
        let headers = [
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-elastic-product".to_owned(), "Elasticsearch".to_owned()),
        ];
        let head_only = head.start[0].eq_ignore_ascii_case("HEAD");
        let tls = reader.get_mut();
        if write_response(tls, 200, &headers, b"{\"tls\":true}", head_only).is_err() || !head.keep_alive() {
            tls.conn.send_close_notify();
            let _ = tls.flush();
            return;
        }
    }
}

/// The TLS test matrix, written once and instantiated by every runtime's
/// tests against [`TlsServer`]:
///
/// ```ignore
/// elastik_testkit::tls_matrix!(elastik_tokio, call);
/// ```
///
/// `$krate` is the runtime crate (for `Client`, `Error`, `IoErrorKind`,
/// `TlsConfig`); `$call` is a function
/// `fn(ClientBuilder<Client>, usize) -> Result<(), Error>` that builds the
/// client and performs that many `GET /` one after the other on it, on the
/// runtime, blocking until they are done (the first error ends it).
#[macro_export]
macro_rules! tls_matrix {
    ($krate:ident, $call:ident) => {
        mod tls_matrix {
            use super::$call as call;
            use $crate::TlsServer;
            use $krate::{Client, Error, IoErrorKind, TlsConfig};

            fn tls_failure(result: Result<(), Error>) -> bool {
                matches!(&result, Err(Error::Transport(t)) if t.kind == IoErrorKind::Tls)
            }

            fn build_failure(result: Result<(), Error>, words: &[&str]) {
                match result {
                    Err(Error::Build(e)) => {
                        let msg = e.to_string();
                        assert!(words.iter().all(|w| msg.contains(w)), "{msg}");
                    }
                    other => panic!("expected a build error, got {other:?}"),
                }
            }

            #[test]
            fn verification_is_on_by_default() {
                let server = TlsServer::start();
                let result = call(Client::builder().node(&server.url()).max_retries(0), 1);
                assert!(tls_failure(result), "a certificate from an unknown CA is refused");
                assert_eq!(server.requests(), 0);
            }

            #[test]
            fn a_custom_ca_is_trusted() {
                let server = TlsServer::start();
                call(Client::builder().node(&server.url()).ca_certificate_pem(server.ca_pem().as_bytes()), 1).unwrap();
                let only = TlsConfig {
                    ca_pem: Some(server.ca_pem().as_bytes().to_vec()),
                    only_custom_roots: true,
                    ..TlsConfig::default()
                };
                call(Client::builder().node(&server.url()).tls(only), 1).unwrap();
                assert_eq!(server.requests(), 2);
            }

            #[test]
            fn the_right_pin_is_accepted() {
                let server = TlsServer::start();
                call(Client::builder().node(&server.url()).ssl_assert_fingerprint(server.leaf_sha256()), 1).unwrap();
                assert_eq!(server.requests(), 1);
            }

            #[test]
            fn a_wrong_pin_is_refused_even_with_the_right_ca() {
                let server = TlsServer::start();
                let wrong = "00".repeat(32);
                let pinned = Client::builder().node(&server.url()).ssl_assert_fingerprint(&wrong).max_retries(0);
                assert!(tls_failure(call(pinned, 1)));
                let both = Client::builder()
                    .node(&server.url())
                    .ca_certificate_pem(server.ca_pem().as_bytes())
                    .ssl_assert_fingerprint(&wrong)
                    .max_retries(0);
                assert!(tls_failure(call(both, 1)), "the pin alone decides");
                assert_eq!(server.requests(), 0);
            }

            #[test]
            fn a_pin_with_danger_accept_invalid_certs_is_refused_by_build() {
                let server = TlsServer::start();
                let tls = TlsConfig {
                    danger_accept_invalid_certs: true,
                    ..TlsConfig::default()
                };
                let builder =
                    Client::builder().node(&server.url()).tls(tls).ssl_assert_fingerprint(server.leaf_sha256());
                build_failure(call(builder, 1), &["pinned", "danger_accept_invalid_certs"]);
                assert_eq!(server.requests(), 0);
            }

            #[test]
            fn native_roots_with_only_custom_roots_is_refused_by_build() {
                let server = TlsServer::start();
                let tls = TlsConfig {
                    ca_pem: Some(server.ca_pem().as_bytes().to_vec()),
                    native_roots: true,
                    only_custom_roots: true,
                    ..TlsConfig::default()
                };
                build_failure(call(Client::builder().node(&server.url()).tls(tls), 1), &["native_roots", "only_custom_roots"]);
            }

            #[test]
            fn an_empty_trust_store_is_refused_by_build() {
                let server = TlsServer::start();
                let tls = TlsConfig { only_custom_roots: true, ..TlsConfig::default() };
                build_failure(call(Client::builder().node(&server.url()).tls(tls), 1), &["empty"]);
                let tls = TlsConfig { ca_pem: Some(b"no certificate here".to_vec()), ..TlsConfig::default() };
                build_failure(call(Client::builder().node(&server.url()).tls(tls), 1), &["no certificate"]);
            }

            #[test]
            fn the_key_exchange_is_post_quantum_with_aws_lc() {
                let server = TlsServer::start();
                call(Client::builder().node(&server.url()).ca_certificate_pem(server.ca_pem().as_bytes()), 1).unwrap();
                // The runtime crate's features pick the provider (aws-lc-rs wins when both are on).
                let want = if cfg!(feature = "tls-aws-lc") { "X25519MLKEM768" } else { "X25519" };
                assert_eq!(server.key_exchange_groups(), vec![want.to_owned()]);
                eprintln!("{}: negotiated key exchange group {want}", stringify!($krate));
            }

            #[test]
            fn danger_accept_invalid_certs_turns_verification_off() {
                let server = TlsServer::start();
                let tls = TlsConfig { danger_accept_invalid_certs: true, ..TlsConfig::default() };
                call(Client::builder().node(&server.url()).tls(tls), 1).unwrap();
                assert_eq!(server.requests(), 1);
            }

            #[test]
            fn a_client_certificate_is_presented_when_configured() {
                let server = TlsServer::start_requiring_client_cert();
                let ca = server.ca_pem().as_bytes();
                let anonymous = Client::builder().node(&server.url()).ca_certificate_pem(ca).max_retries(0);
                assert!(call(anonymous, 1).is_err(), "the server requires a client certificate");
                let (cert, key) = server.client_pem();
                let with_cert = Client::builder()
                    .node(&server.url())
                    .ca_certificate_pem(ca)
                    .client_certificate_pem(cert.as_bytes(), key.as_bytes());
                call(with_cert, 1).unwrap();
                assert_eq!(server.requests(), 1);
            }
        }
    };
}
