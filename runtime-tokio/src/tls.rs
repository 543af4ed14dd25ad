//! [`TlsConfig`] applied to rustls (ring provider, no OpenSSL).
//!
//! Verification is on by default against the bundled web PKI roots (or the
//! operating system's store with `native_roots`), plus `ca_pem`. A pinned
//! SHA-256 fingerprint replaces chain verification: the handshake is accepted
//! if and only if the leaf certificate matches. Handshake signatures are
//! always checked, even when certificates are not.

use std::sync::Arc;

use elastik_proto::transport::TlsConfig;
use elastik_proto::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The rustls client configuration for these settings.
pub(crate) fn client_config(tls: &TlsConfig) -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::build(format!("tls: {e}")))?;
    let builder = if tls.danger_accept_invalid_certs || tls.pinned_sha256.is_some() {
        let pin = if tls.danger_accept_invalid_certs { None } else { tls.pinned_sha256 };
        builder.dangerous().with_custom_certificate_verifier(Arc::new(PinnedVerifier { pin, algorithms }))
    } else {
        builder.with_root_certificates(root_store(tls)?)
    };
    let mut config = match &tls.client_cert_pem {
        Some((chain, key)) => {
            let chain = rustls_pemfile::certs(&mut chain.as_slice())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::build(format!("tls: bad client certificate PEM: {e}")))?;
            let key = rustls_pemfile::private_key(&mut key.as_slice())
                .map_err(|e| Error::build(format!("tls: bad client key PEM: {e}")))?
                .ok_or_else(|| Error::build("tls: no private key in the client key PEM"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::build(format!("tls: client certificate: {e}")))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn root_store(tls: &TlsConfig) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    if tls.native_roots {
        let native = rustls_native_certs::load_native_certs();
        if native.certs.is_empty() {
            return Err(Error::build(format!("tls: no native root certificates could be loaded: {:?}", native.errors)));
        }
        roots.add_parsable_certificates(native.certs);
    } else if !tls.only_custom_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(pem) = &tls.ca_pem {
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| Error::build(format!("tls: bad CA PEM: {e}")))?;
            roots.add(cert).map_err(|e| Error::build(format!("tls: bad CA certificate: {e}")))?;
        }
    }
    if roots.is_empty() {
        return Err(Error::build("tls: no trusted root certificate"));
    }
    Ok(roots)
}

/// Accepts the leaf certificate whose SHA-256 is `pin`, or any with no pin
/// (`danger_accept_invalid_certs`).
#[derive(Debug)]
struct PinnedVerifier {
    pin: Option<[u8; 32]>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.pin {
            None => Ok(ServerCertVerified::assertion()),
            Some(pin) if ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref()).as_ref() == pin => {
                Ok(ServerCertVerified::assertion())
            }
            Some(_) => Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
