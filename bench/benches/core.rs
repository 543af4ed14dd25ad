//! Micro-benchmarks of elastik's core alone: no sockets, no runtime.
//!
//! - `search_request/*`: a typed `Search` endpoint value to an `http::Request`.
//! - `bulk_chunk/*`: 500 documents through the core bulk machine to one NDJSON
//!   request (with and without serializing the documents).
//! - `decode_*/*`: a 10-hit (~9.7 KB) and a 10,000-hit (~9.65 MB) search
//!   answer into typed hits, the default envelope, and `serde_json::Value`.
//! - `transport/*`: the transport machine's per-request work with a scripted
//!   answer: start, poll (node, headers, body), handle, poll to done.
//!
//! `cargo bench -p elastik-bench` runs them all in a few minutes; the
//! measurement time is 2 s per benchmark (`-- --measurement-time N` to change).

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use elastik_api::Search;
use elastik_bench::{make_doc, search_answer, Doc, QUERY_JSON};
use elastik_proto::helpers::bulk::{BulkConfig, BulkIndexer, BulkOperation};
use elastik_proto::machine::Step;
use elastik_proto::transport::Transport;
use elastik_proto::{ClientBuilder, Endpoint, RequestOptions};
use elastik_types::global::{SearchResponse, SearchSearchRequestBody};
use serde_json::Value;

fn search_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("search_request");
    let typed: SearchSearchRequestBody = serde_json::from_str(QUERY_JSON).expect("typed query body");
    g.bench_function("typed_body", |b| {
        b.iter(|| {
            let endpoint = Search::new().index("bench").body(black_box(typed.clone()));
            black_box(endpoint.to_request().expect("request"))
        })
    });
    g.bench_function("no_body", |b| {
        b.iter(|| black_box(Search::new().index(black_box("bench")).to_request().expect("request")))
    });
    g.finish();
}

fn bulk_config() -> BulkConfig {
    BulkConfig::new().flush_count(500).flush_interval(None).max_in_flight(1)
}

/// Adds the operations and polls once: the machine answers with the chunk.
/// Returns the chunk's body bytes.
fn one_chunk(ops: impl Iterator<Item = BulkOperation>) -> u64 {
    let now = Instant::now();
    let mut machine = BulkIndexer::new(bulk_config());
    for op in ops {
        machine.add(op, now).expect("room for 500");
    }
    match machine.poll(now) {
        Step::Send(r) => {
            black_box(r);
            machine.stats().bytes
        }
        _ => panic!("expected a chunk"),
    }
}

/// Hits in a typed answer (`hits` and `hits.hits` are optional in the spec).
fn hit_count<T>(r: &SearchResponse<T>) -> usize {
    r.hits.hits.len()
}

fn bulk_chunk(c: &mut Criterion) {
    let docs: Vec<Doc> = (0..500).map(make_doc).collect();
    let op = |d: &Doc| BulkOperation::index(d).index_name("bench").id(d.id.to_string());
    let built: Vec<BulkOperation> = docs.iter().map(op).collect();
    let bytes = one_chunk(built.iter().cloned());
    let mut g = c.benchmark_group("bulk_chunk");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("500_docs_serialize_and_encode", |b| b.iter(|| one_chunk(docs.iter().map(op))));
    g.bench_function("500_ops_encode_only", |b| {
        b.iter_batched(|| built.clone(), |ops| one_chunk(ops.into_iter()), BatchSize::SmallInput)
    });
    g.finish();
}

fn decode(c: &mut Criterion, name: &str, hits: u64) {
    let body = search_answer(if hits > 100 { "big" } else { "bench" }, hits);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(body.len() as u64));
    if hits > 100 {
        g.sample_size(10);
    }
    g.bench_function("typed_hits", |b| {
        b.iter(|| {
            let r: SearchResponse<Doc> = serde_json::from_slice(black_box(&body)).expect("typed");
            hit_count(&r)
        })
    });
    g.bench_function("envelope_value_sources", |b| {
        b.iter(|| {
            let r: SearchResponse = serde_json::from_slice(black_box(&body)).expect("envelope");
            hit_count(&r)
        })
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let v: Value = serde_json::from_slice(black_box(&body)).expect("value");
            v["hits"]["hits"].as_array().map_or(0, |h| h.len())
        })
    });
    g.finish();
}

fn decode_small(c: &mut Criterion) {
    decode(c, "decode_small_10_hits", 10);
}

fn decode_big(c: &mut Criterion) {
    decode(c, "decode_big_10000_hits", 10_000);
}

fn transport(c: &mut Criterion) {
    let config = ClientBuilder::<()>::new().node("http://127.0.0.1:9200").into_config().expect("config");
    let mut transport = Transport::new(config);
    let answer = Bytes::from(search_answer("bench", 10));
    let scripted = || {
        http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("x-elastic-product", "Elasticsearch")
            .body(answer.clone())
            .expect("response")
    };
    let body: Value = serde_json::from_str(QUERY_JSON).expect("query");
    let mut g = c.benchmark_group("transport");
    g.bench_function("call_poll_handle", |b| {
        b.iter_batched(
            || {
                let mut request = Search::new().index("bench").to_request().expect("request");
                *request.body_mut() = elastik_proto::Body::json(&body).expect("body");
                request
            },
            |request| {
                let now = Instant::now();
                let mut call = transport.start("search", request, RequestOptions::default(), now);
                loop {
                    match call.poll(&mut transport, now) {
                        Step::Send(send) => {
                            black_box(&send.request);
                            call.handle(&mut transport, Ok(scripted()), now);
                        }
                        Step::Emit(result) => break result.expect("200").body().len(),
                        Step::Wait(_) | Step::Done => panic!("no waits with a scripted 200"),
                    }
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = search_request, bulk_chunk, decode_small, decode_big, transport
}
criterion_main!(benches);
