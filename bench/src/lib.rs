//! Shared pieces of elastik's benchmarks: the harness's deterministic
//! document, the canned search answers the micro-benchmarks decode, and
//! small measuring helpers.
//!
//! The document generator follows the description of the shared harness
//! (`../shared/bench/README.md`): every driver, in any language, indexes the
//! same bytes, so `make_doc(i)` must give the same document as the others.
//! `tests/doc.rs` pins a few of them.

use serde::{Deserialize, Serialize};

/// The search every latency and throughput request sends.
pub const QUERY_JSON: &str = r#"{"query":{"match":{"title":"alpha"}}}"#;

/// The vocabulary of the generated text (35 words).
const VOCAB: [&str; 35] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
    "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray",
    "yankee", "zulu", "search", "index", "shard", "replica", "cluster", "node", "mapping", "analyzer", "token",
];

fn word(k: u64) -> &'static str {
    VOCAB[(k % VOCAB.len() as u64) as usize]
}

/// A point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// The benchmark document (~950 bytes of JSON). Field order is the
/// serialization order and matches the other drivers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    /// Its number.
    pub id: u64,
    /// Three words.
    pub title: String,
    /// At least 700 bytes of words.
    pub body: String,
    /// Three words.
    pub tags: Vec<String>,
    /// One of five words.
    pub category: String,
    /// 0.00 to 999.99.
    pub price: f64,
    /// 0 to 999.
    pub qty: u64,
    /// Two in three.
    pub active: bool,
    /// An RFC 3339 time in 2024.
    pub ts: String,
    /// A point.
    pub geo: Location,
}

/// Document `i`: deterministic, the same in every driver of the harness.
pub fn make_doc(i: u64) -> Doc {
    // The body is a walk of a 31-bit linear congruential generator over the
    // vocabulary, seeded from `i` by Knuth's multiplicative hash.
    let mut state = i.wrapping_mul(2_654_435_761) % 1_000_003;
    let mut body = String::with_capacity(720);
    while body.len() < 700 {
        if !body.is_empty() {
            body.push(' ');
        }
        body.push_str(word(state));
        state = (state * 1_103_515_245 + 12_345) % (1 << 31);
    }
    let (month, day, hour, minute) = (1 + i % 12, 1 + i % 28, i % 24, i % 60);
    Doc {
        id: i,
        title: [word(i), word(i / 7), word(i / 49)].join(" "),
        body,
        tags: [i, i + 3, i + 11].iter().map(|&k| word(k).to_owned()).collect(),
        category: word(i % 5).to_owned(),
        price: ((i * 37) % 100_000) as f64 / 100.0,
        qty: (i * 13) % 1000,
        active: !i.is_multiple_of(3),
        ts: format!("2024-{month:02}-{day:02}T{hour:02}:{minute:02}:00Z"),
        geo: Location { lat: (i % 180) as f64 - 90.0 + 0.5, lon: (i % 360) as f64 - 180.0 + 0.25 },
    }
}

/// A search answer with `hits` hits of `make_doc(0..hits)`, shaped like the
/// harness's sink answers (10 hits: ~9.7 KB; 10,000 hits: ~9.65 MB).
pub fn search_answer(index: &str, hits: u64) -> Vec<u8> {
    let list: Vec<serde_json::Value> = (0..hits)
        .map(|i| {
            serde_json::json!({
                "_index": index,
                "_id": i.to_string(),
                "_score": 1.0 + (hits - i) as f64 / hits as f64,
                "_source": make_doc(i),
            })
        })
        .collect();
    let answer = serde_json::json!({
        "took": 3,
        "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": hits, "relation": "eq"}, "max_score": 2.0, "hits": list},
    });
    serde_json::to_vec(&answer).expect("a JSON value serializes")
}

/// The `q`-quantile of sorted nanosecond samples, in microseconds.
pub fn quantile_us(sorted_ns: &[u64], q: f64) -> f64 {
    if sorted_ns.is_empty() {
        return 0.0;
    }
    let at = ((sorted_ns.len() - 1) as f64 * q).round() as usize;
    sorted_ns[at] as f64 / 1e3
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

/// This process's peak resident set (`VmHWM`), in KiB (0 off Linux).
pub fn peak_rss_kb() -> u64 {
    status_kb("VmHWM:")
}

/// This process's resident set now (`VmRSS`), in KiB.
pub fn rss_kb() -> u64 {
    status_kb("VmRSS:")
}

/// Resets the peak resident set to the current one (Linux `clear_refs` 5);
/// `false` where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
