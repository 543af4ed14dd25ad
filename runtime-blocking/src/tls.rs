//! TLS glue: the ureq connector that wraps sockets in the rustls
//! `ClientConfig` built by `elastik_driver::tls` (the one place where
//! `TlsConfig` becomes rustls settings, shared by every runtime).
//!
//! ureq 3 builds its own rustls `ClientConfig` from its own settings, which
//! have no place for a custom certificate verifier. Certificate pinning needs
//! one, so ureq gets a connector ([`TlsConnector`]) that uses ours; ureq's TCP
//! connector, pool and HTTP/1.1 machinery are used as they are.

use std::fmt;
use std::io::{Read, Write};
use std::sync::Arc;

use elastik_proto::IoErrorKind;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

use crate::exchange::Unsent;

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
