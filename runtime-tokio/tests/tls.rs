//! TLS against a small rustls server with a certificate from a throwaway CA
//! (rcgen): verification on by default, a CA file, fingerprint pinning, and
//! the explicit opt-out.

use std::sync::Arc;

use elastik_tokio::http::{HeaderMap, Method};
use elastik_tokio::{Body, Client, Error, IoErrorKind, TlsConfig};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

struct TlsServer {
    url: String,
    ca_pem: String,
    leaf_sha256: String,
    /// A client certificate and key (PEM) signed by the CA.
    client_pem: (String, String),
}

/// Serves `{}` with `X-Elastic-Product` to every request, one per connection;
/// with `mtls`, only to clients presenting a certificate signed by the CA.
async fn start_tls_server(mtls: bool) -> TlsServer {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let leaf_der: CertificateDer<'static> = leaf.der().clone();
    let digest = ring::digest::digest(&ring::digest::SHA256, leaf_der.as_ref());
    let leaf_sha256 = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");

    let client_key = KeyPair::generate().unwrap();
    let client_cert =
        CertificateParams::new(vec!["client".to_owned()]).unwrap().signed_by(&client_key, &ca, &ca_key).unwrap();
    let client_pem = (client_cert.pem(), client_key.serialize_pem());

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if mtls {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(vec![leaf_der], key).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let response = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    TlsServer { url, ca_pem: ca.pem(), leaf_sha256, client_pem }
}

async fn get(client: &Client) -> Result<(), Error> {
    client.perform_request(Method::GET, "/", &[], HeaderMap::new(), Body::Empty).await.map(|_| ())
}

fn tls_kind(result: Result<(), Error>) -> Option<IoErrorKind> {
    match result {
        Err(Error::Transport(t)) => Some(t.kind),
        _ => None,
    }
}

#[tokio::test]
async fn verification_is_on_by_default_and_a_ca_makes_it_pass() {
    let server = start_tls_server(false).await;
    let strict = Client::builder().node(&server.url).max_retries(0).build().unwrap();
    assert_eq!(tls_kind(get(&strict).await), Some(IoErrorKind::Tls), "an unknown CA is refused");

    let with_ca = Client::builder().node(&server.url).ca_certificate_pem(server.ca_pem.as_bytes()).build().unwrap();
    get(&with_ca).await.unwrap();
}

#[tokio::test]
async fn a_pinned_fingerprint_replaces_chain_verification() {
    let server = start_tls_server(false).await;
    let pinned = Client::builder().node(&server.url).ssl_assert_fingerprint(&server.leaf_sha256).build().unwrap();
    get(&pinned).await.unwrap();

    let wrong = "00".repeat(32);
    let mismatch = Client::builder().node(&server.url).ssl_assert_fingerprint(&wrong).max_retries(0).build().unwrap();
    assert_eq!(tls_kind(get(&mismatch).await), Some(IoErrorKind::Tls));

    // A matching CA does not rescue a wrong pin: the pin alone decides.
    let both = Client::builder()
        .node(&server.url)
        .ca_certificate_pem(server.ca_pem.as_bytes())
        .ssl_assert_fingerprint(&wrong)
        .max_retries(0)
        .build()
        .unwrap();
    assert_eq!(tls_kind(get(&both).await), Some(IoErrorKind::Tls));
}

#[tokio::test]
async fn accepting_invalid_certificates_is_an_explicit_opt_out() {
    let server = start_tls_server(false).await;
    let tls = TlsConfig { danger_accept_invalid_certs: true, ..TlsConfig::default() };
    let client = Client::builder().node(&server.url).tls(tls).build().unwrap();
    get(&client).await.unwrap();
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_configured() {
    let server = start_tls_server(true).await;
    let anonymous = Client::builder()
        .node(&server.url)
        .ca_certificate_pem(server.ca_pem.as_bytes())
        .max_retries(0)
        .build()
        .unwrap();
    assert!(get(&anonymous).await.is_err(), "the server requires a client certificate");

    let (cert, key) = &server.client_pem;
    let client = Client::builder()
        .node(&server.url)
        .ca_certificate_pem(server.ca_pem.as_bytes())
        .client_certificate_pem(cert.as_bytes(), key.as_bytes())
        .build()
        .unwrap();
    get(&client).await.unwrap();
}
