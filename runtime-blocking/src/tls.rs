//! TLS: the core's [`TlsConfig`] applied to rustls (ring provider, no
//! OpenSSL), and the ureq connector that wraps sockets in it.
//!
//! ureq 3 builds its own rustls `ClientConfig` from its own settings, which
//! have no place for a custom certificate verifier. Certificate pinning needs
//! one, so this module builds the `ClientConfig` itself and hands ureq a
//! connector ([`TlsConnector`]) that uses it; ureq's TCP connector, pool and
//! HTTP/1.1 machinery are used as they are.
//!
//! What it decides: nothing beyond what `TlsConfig` says. Verification is on
//! unless the configuration turns it off; a pinned fingerprint replaces chain
//! verification (the connection is accepted if and only if the leaf
//! certificate matches), as in the other elastik runtimes.

use std::fmt;
use std::io::{Read, Write};
use std::sync::Arc;

use elastik_proto::transport::TlsConfig;
use elastik_proto::{Error, IoErrorKind};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme, StreamOwned};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

use crate::exchange::Unsent;

/// Builds the rustls client configuration that `tls` describes.
pub(crate) fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::build(format!("tls: {e}")))?;
    let builder = if let Some(fingerprint) = tls.pinned_sha256 {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(PinnedLeaf { fingerprint, provider }))
    } else if tls.danger_accept_invalid_certs {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAny { provider }))
    } else {
        builder.with_root_certificates(root_store(tls)?)
    };
    let config = match &tls.client_cert_pem {
        Some((chain, key)) => {
            let chain = CertificateDer::pem_slice_iter(chain)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::build(format!("tls: bad client certificate PEM: {e}")))?;
            let key = PrivateKeyDer::from_pem_slice(key)
                .map_err(|e| Error::build(format!("tls: bad client key PEM: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::build(format!("tls: unusable client certificate: {e}")))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The trusted roots: the bundled web PKI roots (or the operating system's),
/// plus the configured CA certificates.
fn root_store(tls: &TlsConfig) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    if !tls.only_custom_roots {
        if tls.native_roots {
            let native = rustls_native_certs::load_native_certs();
            if native.certs.is_empty() {
                return Err(Error::build("tls: no usable certificate in the operating system's trust store"));
            }
            roots.add_parsable_certificates(native.certs);
        } else {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
    }
    if let Some(pem) = &tls.ca_pem {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::build(format!("tls: bad CA certificate PEM: {e}")))?;
        if certs.is_empty() {
            return Err(Error::build("tls: the CA PEM holds no certificate"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| Error::build(format!("tls: unusable CA certificate: {e}")))?;
        }
    }
    Ok(roots)
}

/// Accepts the server if and only if its leaf certificate has this SHA-256
/// fingerprint; handshake signatures are still checked.
#[derive(Debug)]
struct PinnedLeaf {
    fingerprint: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedLeaf {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let digest = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
        // Comparing a public certificate's hash: no secret to leak through timing.
        if digest.as_ref() == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("the server certificate does not match the pinned SHA-256 fingerprint".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// `danger_accept_invalid_certs`: any certificate; handshake signatures are still checked.
#[derive(Debug)]
struct AcceptAny {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A ureq connector that wraps `https` connections in rustls with our own
/// `ClientConfig` (chained after ureq's TCP connector).
pub(crate) struct TlsConnector {
    pub(crate) config: Arc<ClientConfig>,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else { return Ok(None) };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| Unsent::error(IoErrorKind::Tls, format!("invalid server name {host:?}")))?;
        let mut conn =
            ClientConnection::new(self.config.clone(), name).map_err(|e| Unsent::error(IoErrorKind::Tls, e))?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        // ureq's own errors (its timeouts) travel wrapped in io::Error; `from` unwraps them.
        conn.complete_io(&mut sock).map_err(|e| match ureq::Error::from(e) {
            ureq::Error::Timeout(_) => Unsent::error(IoErrorKind::Tls, "tls handshake timed out"),
            other => Unsent::error(IoErrorKind::Tls, format!("tls handshake failed: {other}")),
        })?;
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(TlsTransport { buffers, stream: StreamOwned { conn, sock } })))
    }
}

/// A TLS connection as a ureq transport.
pub(crate) struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
