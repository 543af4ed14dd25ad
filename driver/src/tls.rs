//! [`TlsConfig`] applied to rustls (ring provider, no OpenSSL), written once
//! for every runtime: each runtime only wraps its sockets in the
//! [`ClientConfig`] built here (tokio-rustls, futures-rustls, or a ureq
//! connector).
//!
//! Verification is on by default against the bundled web PKI roots (or the
//! operating system's store with `native_roots`), plus `ca_pem`. A pinned
//! SHA-256 fingerprint replaces chain verification: the handshake is accepted
//! if and only if the leaf certificate matches. Handshake signatures are
//! always checked, even when certificates are not, so the server must hold
//! the key of the certificate it shows.
//!
//! Contradictory settings never reach this module: the core's
//! `ClientBuilder::build()` refuses them ([`TlsConfig::check`]). What only IO
//! can tell is refused here: an operating system trust store with no usable
//! certificate, PEM that does not parse.

use std::sync::Arc;

use elastik_proto::transport::TlsConfig;
use elastik_proto::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The rustls client configuration for every HTTPS connection of a client,
/// speaking HTTP/1.1 (ALPN `http/1.1`).
pub fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>, Error> {
    tls.check()?;
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
            let chain = CertificateDer::pem_slice_iter(chain)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| tls_error("cannot read the client certificate PEM", e))?;
            if chain.is_empty() {
                return Err(Error::build("tls: the client certificate PEM holds no certificate"));
            }
            let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| tls_error("cannot read the client key PEM", e))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| tls_error("unusable client certificate", e))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The trusted roots: the bundled web PKI roots (or the operating system's,
/// or none with `only_custom_roots`), plus the configured CA certificates.
fn root_store(tls: &TlsConfig) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    if tls.native_roots {
        let native = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            return Err(Error::build(format!(
                "tls: no usable certificate in the operating system's trust store ({} errors loading it)",
                native.errors.len()
            )));
        }
    } else if !tls.only_custom_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(pem) = &tls.ca_pem {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls_error("cannot read the CA PEM", e))?;
        if certs.is_empty() {
            return Err(Error::build("tls: the CA PEM holds no certificate"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| tls_error("unusable CA certificate", e))?;
        }
    }
    if roots.is_empty() {
        return Err(Error::build("tls: the trust store is empty: no root certificate to verify servers against"));
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
                    Err(rustls::Error::General(
                        "the server certificate does not match the pinned SHA-256 fingerprint".into(),
                    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn message(tls: TlsConfig) -> String {
        client_config(&tls).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn default_verifies_against_the_web_pki_roots() {
        let config = client_config(&TlsConfig::default()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn only_custom_roots_without_a_ca_is_an_empty_trust_store() {
        let msg = message(TlsConfig { only_custom_roots: true, ..TlsConfig::default() });
        assert!(msg.contains("trust store"), "{msg}");
    }

    #[test]
    fn a_ca_pem_without_certificate_is_refused() {
        let msg = message(TlsConfig { ca_pem: Some(b"not pem".to_vec()), ..TlsConfig::default() });
        assert!(msg.contains("no certificate"), "{msg}");
    }

    #[test]
    fn contradictions_are_refused_here_too() {
        let msg = message(TlsConfig {
            pinned_sha256: Some([0; 32]),
            danger_accept_invalid_certs: true,
            ..TlsConfig::default()
        });
        assert!(msg.contains("danger_accept_invalid_certs"), "{msg}");
        let msg = message(TlsConfig { native_roots: true, only_custom_roots: true, ..TlsConfig::default() });
        assert!(msg.contains("native_roots"), "{msg}");
    }
}
