//! The core's [`TlsConfig`] applied to rustls (ring provider, no OpenSSL).
//!
//! Verification is on by default against the bundled web PKI roots. A pinned
//! SHA-256 fingerprint replaces chain verification: the connection is
//! accepted if and only if the leaf certificate matches (handshake signatures
//! are still checked, so the server must hold the pinned certificate's key).

use std::sync::Arc;

use elastik_proto::transport::TlsConfig;
use elastik_proto::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The rustls client configuration for every HTTPS connection of a client.
pub(crate) fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("no usable protocol version", e))?;
    let builder = if let Some(sha256) = tls.pinned_sha256 {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(Verifier::Pinned { sha256, algorithms }))
    } else if tls.danger_accept_invalid_certs {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(Verifier::AcceptAny { algorithms }))
    } else {
        builder.with_root_certificates(root_store(tls)?)
    };
    let mut config = match &tls.client_cert_pem {
        Some((chain, key)) => {
            let chain = rustls_pemfile::certs(&mut chain.as_slice())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| tls_error("cannot read the client certificate PEM", e))?;
            let key = rustls_pemfile::private_key(&mut key.as_slice())
                .map_err(|e| tls_error("cannot read the client key PEM", e))?
                .ok_or_else(|| Error::build("the client key PEM holds no private key"))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| tls_error("unusable client certificate", e))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn root_store(tls: &TlsConfig) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    if !tls.only_custom_roots {
        if tls.native_roots {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        } else {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
    }
    if let Some(pem) = &tls.ca_pem {
        let mut found = false;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| tls_error("cannot read the CA PEM", e))?;
            roots.add(cert).map_err(|e| tls_error("unusable CA certificate", e))?;
            found = true;
        }
        if !found {
            return Err(Error::build("the CA PEM holds no certificate"));
        }
    }
    Ok(roots)
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::build(format!("tls: {what}: {e}"))
}

/// Server certificate checks that replace chain verification.
#[derive(Debug)]
enum Verifier {
    /// Accept exactly the leaf certificate with this SHA-256.
    Pinned { sha256: [u8; 32], algorithms: WebPkiSupportedAlgorithms },
    /// `danger_accept_invalid_certs`: accept any certificate.
    AcceptAny { algorithms: WebPkiSupportedAlgorithms },
}

impl Verifier {
    fn algorithms(&self) -> &WebPkiSupportedAlgorithms {
        match self {
            Verifier::Pinned { algorithms, .. } | Verifier::AcceptAny { algorithms } => algorithms,
        }
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self {
            Verifier::Pinned { sha256, .. } => {
                let digest = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
                if digest.as_ref() == sha256 {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(rustls::Error::General("the server certificate does not match the pinned fingerprint".into()))
                }
            }
            Verifier::AcceptAny { .. } => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, self.algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, self.algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms().supported_schemes()
    }
}
