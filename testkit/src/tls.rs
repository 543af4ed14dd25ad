//! [`TlsServer`]: an HTTPS server on `127.0.0.1` with a certificate for
//! `localhost` that a fresh CA (made by rcgen) signed, answering
//! `{"tls":true}` as Elasticsearch (`X-Elastic-Product`) to every request,
//! on keep-alive connections. Trust it with [`TlsServer::ca_pem`].
//!
//! Not in scope: client certificates, pinning, anything but that one answer
//! (the TLS suites of the runtimes cover those).

use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::http1::{read_body, read_head, request_framing, write_response};
use crate::lock;

/// An HTTPS server on `127.0.0.1:0`; dropping it stops it.
pub struct TlsServer {
    addr: SocketAddr,
    ca_pem: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl TlsServer {
    /// Makes a CA and a `localhost` certificate, and starts serving.
    pub fn start() -> TlsServer {
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::new()).expect("CA parameters");
        ca_params.distinguished_name.push(DnType::CommonName, "elastik testkit CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("a CA certificate");
        let leaf_key = KeyPair::generate().expect("a leaf key");
        let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()]).expect("leaf parameters");
        leaf_params.distinguished_name.push(DnType::CommonName, "localhost");
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).expect("a leaf certificate");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("a server configuration");
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (count, accept_stop, kept) = (Arc::clone(&requests), Arc::clone(&stop), Arc::clone(&connections));
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(clone) = stream.try_clone() {
                    lock(&kept).push(clone);
                }
                let (config, count) = (Arc::clone(&config), Arc::clone(&count));
                thread::spawn(move || serve(stream, config, &count));
            }
        });
        TlsServer { addr, ca_pem: ca.pem(), requests, stop, connections }
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

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
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

fn serve(stream: TcpStream, config: Arc<ServerConfig>, count: &AtomicUsize) {
    let Ok(conn) = ServerConnection::new(config) else { return };
    let mut reader = BufReader::new(StreamOwned::new(conn, stream));
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
