//! Every call is a `tracing` span named `elasticsearch` with OpenTelemetry's
//! attribute names, and never a credential.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use elastik_testkit::{Fault, FaultProxy, StubResponse, StubServer};
use elastik_tokio::http::{HeaderMap, Method};
use elastik_tokio::{Body, Client};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

type Spans = Arc<Mutex<Vec<(String, BTreeMap<String, String>)>>>;

/// Records every span's name and fields.
struct Recorder {
    spans: Spans,
    next: AtomicU64,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut spans = self.spans.lock().unwrap();
        spans.push((attrs.metadata().name().to_owned(), fields));
        self.next.fetch_add(1, Ordering::SeqCst);
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        let (_, fields) = &mut spans[span.into_u64() as usize - 1];
        values.record(&mut Fields(fields));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn each_call_is_an_elasticsearch_span_with_otel_fields() {
    let stub = StubServer::start(|_| StubResponse::json(200, "{}"));
    let proxy = FaultProxy::start(&stub.url());
    proxy.push(Fault::Status(503));
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(Recorder { spans: Arc::clone(&spans), next: AtomicU64::new(0) });

    let url = format!("http://elastic:s3cr3t@{}", proxy.addr());
    let client =
        Client::builder().node(url).backoff(Duration::from_millis(1), Duration::from_millis(2)).build().unwrap();
    client.perform_request(Method::GET, "/idx/_doc/1", &[], HeaderMap::new(), Body::Empty).await.unwrap();

    let spans = spans.lock().unwrap();
    let calls: Vec<_> = spans.iter().filter(|(name, _)| name == "elasticsearch").collect();
    assert_eq!(calls.len(), 1, "{spans:?}");
    let fields = &calls[0].1;
    let port = proxy.addr().port().to_string();
    let expected = [
        ("db.system.name", "elasticsearch"),
        ("db.operation.name", "perform_request"),
        ("http.request.method", "GET"),
        ("server.address", "127.0.0.1"),
        ("server.port", port.as_str()),
        ("http.request.resend_count", "1"),
    ];
    for (name, value) in expected {
        assert_eq!(fields.get(name).map(String::as_str), Some(value), "{name} in {fields:?}");
    }
    assert_eq!(fields["url.full"], format!("http://127.0.0.1:{port}/idx/_doc/1"));
    assert!(!format!("{spans:?}").contains("s3cr3t"));
}
