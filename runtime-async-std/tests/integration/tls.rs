//! TLS against a local rustls server with certificates made by rcgen:
//! verification is on by default, a CA or a pinned fingerprint makes the
//! connection work, a wrong pin fails it, client certificates are presented.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use elastik_proto::IoErrorKind;
use http::Method;
use rcgen::{BasicConstraints, CertificateParams, CertifiedKey, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use crate::{builder, call, json, transport_kind};

/// A CA and a `localhost`/`127.0.0.1` server certificate it signed.
struct Pki {
    ca: CertifiedKey,
    server: CertifiedKey,
}

impl Pki {
    fn new() -> Pki {
        let ca = certificate(Vec::new(), true, None);
        let server = certificate(vec!["localhost".into(), "127.0.0.1".into()], false, Some(&ca));
        Pki { ca, server }
    }
}

fn certificate(names: Vec<String>, is_ca: bool, issuer: Option<&CertifiedKey>) -> CertifiedKey {
    let mut params = CertificateParams::new(names).unwrap();
    if is_ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let key_pair = KeyPair::generate().unwrap();
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key_pair, &issuer.cert, &issuer.key_pair).unwrap(),
        None => params.self_signed(&key_pair).unwrap(),
    };
    CertifiedKey { cert, key_pair }
}

fn der_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

fn sha256_hex(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// An HTTPS server answering every request with an Elasticsearch-like JSON;
/// with `client_ca`, it requires a client certificate signed by that CA.
fn https_server(pki: &Pki, client_ca: Option<&CertifiedKey>) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.cert.der().clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain: Vec<CertificateDer<'static>> = vec![pki.server.cert.der().clone(), pki.ca.cert.der().clone()];
    let config = Arc::new(builder.with_single_cert(chain, der_key(&pki.server.key_pair)).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let body = r#"{"tagline":"You Know, for Search"}"#;
                loop {
                    // Requests without a body: read the head up to the empty line.
                    let mut reader = BufReader::new(&mut tls);
                    let mut line = String::new();
                    loop {
                        line.clear();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if tls.write_all(response.as_bytes()).and_then(|()| tls.flush()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("https://localhost:{port}")
}

#[test]
fn a_self_signed_server_is_refused_by_default() {
    let pki = Pki::new();
    let url = https_server(&pki, None);
    let client = builder(&url).build().unwrap();
    let result = smol::block_on(call(&client, Method::GET, "/", None));
    assert_eq!(transport_kind(result), IoErrorKind::Tls);
}

#[test]
fn a_trusted_ca_makes_it_work() {
    let pki = Pki::new();
    let url = https_server(&pki, None);
    let client = builder(&url).ca_certificate_pem(pki.ca.cert.pem()).build().unwrap();
    for _ in 0..3 {
        let response = smol::block_on(call(&client, Method::GET, "/", None)).unwrap();
        assert_eq!(json(&response)["tagline"], "You Know, for Search");
    }
    // By IP address too (the certificate names 127.0.0.1).
    let client = builder(&url.replace("localhost", "127.0.0.1")).ca_certificate_pem(pki.ca.cert.pem()).build().unwrap();
    smol::block_on(call(&client, Method::GET, "/", None)).unwrap();
}

#[test]
fn a_pinned_fingerprint_is_accepted_iff_it_matches() {
    let pki = Pki::new();
    let url = https_server(&pki, None);
    let pin = sha256_hex(pki.server.cert.der());
    let client = builder(&url).ssl_assert_fingerprint(&pin).build().unwrap();
    smol::block_on(call(&client, Method::GET, "/", None)).unwrap();

    let wrong = sha256_hex(pki.ca.cert.der());
    let client = builder(&url).ssl_assert_fingerprint(&wrong).max_retries(0).build().unwrap();
    assert_eq!(transport_kind(smol::block_on(call(&client, Method::GET, "/", None))), IoErrorKind::Tls);
    // The pin is the only check: a trusted CA does not rescue a wrong pin.
    let client = builder(&url).ca_certificate_pem(pki.ca.cert.pem()).ssl_assert_fingerprint(&wrong).build().unwrap();
    assert_eq!(transport_kind(smol::block_on(call(&client, Method::GET, "/", None))), IoErrorKind::Tls);
}

#[test]
fn client_certificates_are_presented() {
    let pki = Pki::new();
    let client_ca = certificate(Vec::new(), true, None);
    let client_cert = certificate(vec!["elastik-client".into()], false, Some(&client_ca));
    let url = https_server(&pki, Some(&client_ca));

    let without = builder(&url).ca_certificate_pem(pki.ca.cert.pem()).max_retries(0).build().unwrap();
    assert!(smol::block_on(call(&without, Method::GET, "/", None)).is_err());

    let with = builder(&url)
        .ca_certificate_pem(pki.ca.cert.pem())
        .client_certificate_pem(client_cert.cert.pem(), client_cert.key_pair.serialize_pem())
        .build()
        .unwrap();
    let response = smol::block_on(call(&with, Method::GET, "/", None)).unwrap();
    assert_eq!(json(&response)["tagline"], "You Know, for Search");
}
