//! TLS against a local rustls server with certificates made by rcgen:
//! verification is on by default, a CA certificate makes a private chain
//! trusted, a pinned SHA-256 fingerprint accepts exactly one certificate,
//! and a client certificate is presented when the server asks.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use elastik_blocking::{Body, Client, Error, HeaderMap, IoErrorKind, Method};
use rcgen::{BasicConstraints, CertificateParams, CertifiedKey, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

/// A CA and a leaf certificate for `localhost` signed by it.
struct Pki {
    ca: CertifiedKey,
    leaf: CertifiedKey,
}

impl Pki {
    fn new() -> Pki {
        let ca = Self::issue("elastik test CA", true, None);
        let leaf = Self::issue("localhost", false, Some(&ca));
        Pki { ca, leaf }
    }

    fn issue(name: &str, is_ca: bool, issuer: Option<&CertifiedKey>) -> CertifiedKey {
        let key_pair = KeyPair::generate().unwrap();
        let sans = if is_ca { Vec::new() } else { vec![name.to_owned()] };
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        if is_ca {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        let cert = match issuer {
            Some(issuer) => params.signed_by(&key_pair, &issuer.cert, &issuer.key_pair).unwrap(),
            None => params.self_signed(&key_pair).unwrap(),
        };
        CertifiedKey { cert, key_pair }
    }

    fn fingerprint(cert: &CertifiedKey) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, cert.cert.der());
        digest.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    }
}

fn key_der(key: &CertifiedKey) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.key_pair.serialize_der()))
}

/// Serves `{"tls":true}` over TLS on `https://localhost:PORT`; with
/// `client_ca`, only to clients presenting a certificate that CA signed.
fn tls_server(pki: &Pki, client_ca: Option<&CertifiedKey>) -> String {
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
    let chain: Vec<CertificateDer<'static>> = vec![pki.leaf.cert.der().clone()];
    let config = Arc::new(builder.with_single_cert(chain, key_der(&pki.leaf)).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || serve(stream, config));
        }
    });
    format!("https://localhost:{port}")
}

fn serve(stream: TcpStream, config: Arc<ServerConfig>) {
    let Ok(conn) = ServerConnection::new(config) else { return };
    let mut tls = StreamOwned::new(conn, stream);
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let body = r#"{"tls":true}"#;
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(response.as_bytes());
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

fn get(client: &Client) -> Result<http::Response<bytes::Bytes>, Error> {
    client.perform_request(Method::GET, "/", &[], HeaderMap::new(), Body::Empty)
}

fn assert_tls_error(result: Result<http::Response<bytes::Bytes>, Error>) {
    match result {
        Err(Error::Transport(e)) => assert_eq!(e.kind, IoErrorKind::Tls, "{e}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn an_unknown_issuer_is_refused_by_default() {
    let pki = Pki::new();
    let url = tls_server(&pki, None);
    let client = Client::builder().node(&url).max_retries(0).build().unwrap();
    assert_tls_error(get(&client));
}

#[test]
fn a_ca_certificate_makes_the_chain_trusted() {
    let pki = Pki::new();
    let url = tls_server(&pki, None);
    let client = Client::builder().node(&url).ca_certificate_pem(pki.ca.cert.pem()).build().unwrap();
    let response = get(&client).unwrap();
    assert_eq!(&response.body()[..], br#"{"tls":true}"#);
}

#[test]
fn a_pinned_fingerprint_accepts_exactly_that_certificate() {
    let pki = Pki::new();
    let url = tls_server(&pki, None);
    // No CA given: the pin alone decides.
    let client = Client::builder().node(&url).ssl_assert_fingerprint(&Pki::fingerprint(&pki.leaf)).build().unwrap();
    assert_eq!(get(&client).unwrap().status(), 200);

    // The CA's fingerprint is not the server's: refused, even though the CA is trusted.
    let client = Client::builder()
        .node(&url)
        .ca_certificate_pem(pki.ca.cert.pem())
        .ssl_assert_fingerprint(&Pki::fingerprint(&pki.ca))
        .max_retries(0)
        .build()
        .unwrap();
    assert_tls_error(get(&client));
}

#[test]
fn a_client_certificate_is_presented() {
    let pki = Pki::new();
    let url = tls_server(&pki, Some(&pki.ca));
    let client_cert = Pki::issue("elastik client", false, Some(&pki.ca));

    let with_cert = Client::builder()
        .node(&url)
        .ca_certificate_pem(pki.ca.cert.pem())
        .client_certificate_pem(client_cert.cert.pem(), client_cert.key_pair.serialize_pem())
        .build()
        .unwrap();
    assert_eq!(get(&with_cert).unwrap().status(), 200);

    let without = Client::builder().node(&url).ca_certificate_pem(pki.ca.cert.pem()).max_retries(0).build().unwrap();
    assert!(get(&without).is_err());
}

#[test]
fn bad_tls_material_is_a_build_error() {
    let built = Client::builder().node("https://localhost:9200").ca_certificate_pem("not a pem").build();
    assert!(matches!(built, Err(Error::Build(_))), "{built:?}");
}
