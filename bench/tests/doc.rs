//! The generated documents are the harness's: a few pinned by value.

use elastik_bench::{make_doc, search_answer};

#[test]
fn documents_are_deterministic_and_under_1kb() {
    for i in [0u64, 1, 7, 49, 999, 123_456, 199_999] {
        let a = serde_json::to_vec(&make_doc(i)).unwrap();
        assert_eq!(a, serde_json::to_vec(&make_doc(i)).unwrap());
        assert!((850..1000).contains(&a.len()), "doc {i}: {} bytes", a.len());
    }
}

#[test]
fn document_fields_match_the_harness() {
    let d = make_doc(50);
    assert_eq!(d.title, "papa hotel bravo");
    assert_eq!(d.tags, ["papa", "sierra", "search"]);
    assert_eq!(d.category, "alpha");
    assert_eq!(d.price, 18.5);
    assert_eq!(d.qty, 650);
    assert!(d.active);
    assert_eq!(d.ts, "2024-03-23T02:50:00Z");
    assert_eq!((d.geo.lat, d.geo.lon), (-39.5, -129.75));
    assert!(d.body.len() >= 700);
}

/// `fixtures/docs.jsonl`: documents written by the harness's Python driver
/// (`make_doc` of `../shared/bench/python/driver.py`), one per line.
#[test]
fn documents_equal_the_python_drivers() {
    let ids = [0u64, 1, 7, 49, 50, 999, 123_456, 199_999];
    let lines: Vec<&str> = include_str!("fixtures/docs.jsonl").lines().collect();
    assert_eq!(lines.len(), ids.len());
    for (i, line) in ids.iter().zip(lines) {
        let theirs: serde_json::Value = serde_json::from_str(line).unwrap();
        let ours = serde_json::to_value(make_doc(*i)).unwrap();
        assert_eq!(ours, theirs, "doc {i}");
        assert_eq!(serde_json::to_string(&make_doc(*i)).unwrap(), line, "doc {i} bytes");
    }
}

#[test]
fn answers_have_the_sink_sizes() {
    let small = search_answer("bench", 10).len();
    assert!((9_000..10_500).contains(&small), "{small}");
}
