//! Each call is one `tracing` span named `elasticsearch` with OpenTelemetry's
//! attribute names, filled from the core's `TraceFields`; and the transport
//! lock is never held across IO.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use elastik_blocking::{Body, Client, HeaderMap, Method};
use elastik_testkit::{test_url, Fault, FaultProxy, StubResponse, StubServer};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span's name and its fields, as text.
type SpanRecord = (String, BTreeMap<String, String>);

/// Collects every span's name and fields.
#[derive(Clone, Default)]
struct Spans {
    next: Arc<AtomicU64>,
    spans: Arc<Mutex<BTreeMap<u64, SpanRecord>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        self.spans.lock().unwrap().insert(id, (span.metadata().name().to_owned(), fields));
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some((_, fields)) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_call_is_one_span_with_opentelemetry_attributes() {
    let calls = AtomicUsize::new(0);
    let stub = StubServer::start(move |_| match calls.fetch_add(1, Ordering::Relaxed) {
        0 => StubResponse::json(503, "{}"),
        _ => StubResponse::json(200, "{}"),
    });
    let url = stub.url().replace("http://", "http://elastic:s3cr3t@");
    let client =
        Client::builder().node(&url).backoff(Duration::from_millis(1), Duration::from_millis(5)).build().unwrap();
    let spans = Spans::default();
    tracing::subscriber::with_default(spans.clone(), || {
        client.perform_request(Method::GET, "/_cluster/health", &[], HeaderMap::new(), Body::Empty).unwrap();
    });
    let spans = spans.spans.lock().unwrap();
    let all: Vec<_> = spans.values().filter(|(name, _)| name == "elasticsearch").collect();
    assert_eq!(all.len(), 1, "{spans:?}");
    let fields = &all[0].1;
    let port = stub.addr().port().to_string();
    assert_eq!(fields["db.system.name"], "elasticsearch");
    assert_eq!(fields["db.operation.name"], "perform_request");
    assert_eq!(fields["http.request.method"], "GET");
    assert_eq!(fields["url.full"], format!("http://127.0.0.1:{port}/_cluster/health"));
    assert_eq!(fields["server.address"], "127.0.0.1");
    assert_eq!(fields["server.port"], port);
    assert_eq!(fields["http.request.resend_count"], "1");
    assert!(!format!("{fields:?}").contains("s3cr3t"));
}

#[test]
fn a_stalled_exchange_does_not_block_other_threads() {
    let Some(url) = test_url() else { return };
    let proxy = FaultProxy::start(&url);
    let client = Client::builder().node(proxy.url()).build().unwrap();
    proxy.push(Fault::Stall(Duration::from_millis(1500)));
    let stalled = {
        let client = client.clone();
        thread::spawn(move || client.perform_request(Method::GET, "/", &[], HeaderMap::new(), Body::Empty))
    };
    while proxy.requests() < 1 {
        thread::sleep(Duration::from_millis(1));
    }
    let started = Instant::now();
    client.perform_request(Method::GET, "/", &[], HeaderMap::new(), Body::Empty).unwrap();
    assert!(started.elapsed() < Duration::from_millis(1000), "the transport lock is not held during IO");
    assert_eq!(stalled.join().unwrap().unwrap().status(), 200);
}
