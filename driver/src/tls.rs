//! [`TlsConfig`] applied to rustls (no OpenSSL), written once for every
//! runtime: each runtime only wraps its sockets in the [`ClientConfig`] built
//! here (tokio-rustls, futures-rustls, or a ureq connector).
//!
//! The crypto provider is chosen here and nowhere else ([`crypto_provider`]):
//! a provider the application installed as rustls' process default
//! (`CryptoProvider::install_default`, e.g. a FIPS build) wins; otherwise the
//! cargo feature `tls-aws-lc` (the default: aws-lc-rs, which offers the
//! post-quantum hybrid key exchange X25519MLKEM768 first, as current browsers
//! do) or `tls-ring` (*ring*: X25519 and the NIST curves only, and less C to
//! compile). With both features, aws-lc-rs. With neither and
//! no process default, building a client fails with a build error that says
//! so.
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
use rustls::crypto::hash::{Hash, HashAlgorithm};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The rustls client configuration for every HTTPS connection of a client,
/// speaking HTTP/1.1 (ALPN `http/1.1`).
pub fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>, Error> {
    tls.check()?;
    let provider = crypto_provider()?;
    let algorithms = provider.signature_verification_algorithms;
    let hash = sha256_of(&provider);
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("no usable protocol version", e))?;
    let builder = if let Some(sha256) = tls.pinned_sha256 {
        let hash =
            hash.ok_or_else(|| Error::build("tls: a pinned fingerprint needs SHA-256, which the provider lacks"))?;
        builder.dangerous().with_custom_certificate_verifier(Arc::new(Verifier::Pinned { sha256, hash, algorithms }))
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

/// The crypto provider of every TLS connection: rustls' process default if
/// the application installed one, else the one the cargo features select
/// (aws-lc-rs with `tls-aws-lc`, *ring* with only `tls-ring`).
pub fn crypto_provider() -> Result<Arc<CryptoProvider>, Error> {
    if let Some(installed) = CryptoProvider::get_default() {
        return Ok(Arc::clone(installed));
    }
    feature_provider().map(Arc::new).ok_or_else(|| {
        Error::build(
            "tls: no crypto provider: enable the feature tls-aws-lc or tls-ring of elastik, \
             or install one with rustls::crypto::CryptoProvider::install_default",
        )
    })
}

#[cfg(feature = "tls-aws-lc")]
fn feature_provider() -> Option<CryptoProvider> {
    Some(rustls::crypto::aws_lc_rs::default_provider())
}

/// rustls 0.23.48 deprecated the *ring* provider's constructor because *ring*
/// has no post-quantum key exchange; choosing it is what `tls-ring` asks for,
/// and the feature's docs say what it gives up.
#[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc")))]
#[allow(deprecated)]
fn feature_provider() -> Option<CryptoProvider> {
    Some(rustls::crypto::ring::default_provider())
}

#[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
fn feature_provider() -> Option<CryptoProvider> {
    None
}

/// The SHA-256 of `bytes` (what a pinned certificate fingerprint is), with
/// the provider's own SHA-256; `None` if it has no TLS 1.3 suite hashing with
/// SHA-256 (every provider rustls ships has several).
pub fn sha256(provider: &CryptoProvider, bytes: &[u8]) -> Option<[u8; 32]> {
    let digest = sha256_of(provider)?.hash(bytes);
    digest.as_ref().try_into().ok()
}

fn sha256_of(provider: &CryptoProvider) -> Option<&'static dyn Hash> {
    provider
        .cipher_suites
        .iter()
        .filter_map(|suite| suite.tls13())
        .map(|suite| suite.common.hash_provider)
        .find(|hash| hash.algorithm() == HashAlgorithm::SHA256)
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
enum Verifier {
    /// Accept exactly the leaf certificate with this SHA-256 (`hash`: the provider's).
    Pinned { sha256: [u8; 32], hash: &'static dyn Hash, algorithms: WebPkiSupportedAlgorithms },
    /// `danger_accept_invalid_certs`: accept any certificate.
    AcceptAny { algorithms: WebPkiSupportedAlgorithms },
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verifier::Pinned { .. } => f.write_str("Verifier::Pinned"),
            Verifier::AcceptAny { .. } => f.write_str("Verifier::AcceptAny"),
        }
    }
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
            Verifier::Pinned { sha256, hash, .. } => {
                if hash.hash(end_entity.as_ref()).as_ref() == sha256 {
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
    #[cfg(feature = "tls-aws-lc")]
    fn aws_lc_prefers_the_post_quantum_hybrid() {
        let provider = crypto_provider().unwrap();
        let groups: Vec<_> = provider.kx_groups.iter().map(|g| format!("{:?}", g.name())).collect();
        assert_eq!(groups.first().map(String::as_str), Some("X25519MLKEM768"), "{groups:?}");
    }

    #[cfg(feature = "tls-ring")]
    #[allow(deprecated)] // see feature_provider
    fn ring_provider() -> CryptoProvider {
        rustls::crypto::ring::default_provider()
    }

    #[test]
    #[cfg(feature = "tls-ring")]
    fn ring_offers_classic_groups_only() {
        let groups: Vec<_> = ring_provider().kx_groups.iter().map(|g| format!("{:?}", g.name())).collect();
        assert!(groups.contains(&"X25519".to_owned()), "{groups:?}");
        assert!(!groups.iter().any(|g| g.contains("MLKEM")), "{groups:?}");
    }

    #[test]
    #[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
    fn sha256_is_sha256() {
        // FIPS 180-2's test vector for "abc".
        let digest = sha256(&crypto_provider().unwrap(), b"abc").unwrap();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        #[cfg(feature = "tls-ring")]
        assert_eq!(sha256(&ring_provider(), b"abc"), Some(digest));
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
