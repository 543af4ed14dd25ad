//! ES|QL's Arrow answers (feature `arrow`): streams written here with
//! arrow-ipc's writer in the shape Elasticsearch's `esql/arrow` module
//! produces (field metadata `elastic:type`, one batch per page, multi-values
//! as lists of `$data$`), decoded whole and fed in pieces; malformed input is
//! an error value.
#![cfg(feature = "arrow")]

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use elastik_proto::esql::arrow::arrow_array::builder::{ListBuilder, StringBuilder};
use elastik_proto::esql::arrow::arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float64Array, Int32Array, Int64Array, ListArray, NullArray,
    RecordBatch, StringArray, TimestampMillisecondArray, UInt64Array,
};
use elastik_proto::esql::arrow::arrow_ipc::writer::StreamWriter;
use elastik_proto::esql::arrow::arrow_schema::{DataType, Field, Schema, TimeUnit};
use elastik_proto::esql::arrow::{ArrowDecoder, ArrowTable};
use elastik_proto::esql::{EsqlQuery, Processing, Query};
use elastik_proto::{Endpoint, Error};

fn field(name: &str, dt: DataType, esql: &str) -> Field {
    Field::new(name, dt, true).with_metadata(HashMap::from([("elastic:type".to_owned(), esql.to_owned())]))
}

fn schema() -> Schema {
    Schema::new(vec![
        field("emp_no", DataType::Int32, "integer"),
        field("salary", DataType::Int64, "long"),
        field("big", DataType::UInt64, "unsigned_long"),
        field("height", DataType::Float64, "double"),
        field("still_hired", DataType::Boolean, "boolean"),
        field("name", DataType::Utf8, "keyword"),
        field("bio", DataType::Utf8, "text"),
        field("hire_date", DataType::Timestamp(TimeUnit::Millisecond, None), "date"),
        field("ip", DataType::Binary, "ip"),
        field("nothing", DataType::Null, "null"),
        field("languages", DataType::List(Arc::new(Field::new("$data$", DataType::Utf8, false))), "keyword"),
    ])
}

fn page(schema: &Arc<Schema>, offset: i32) -> RecordBatch {
    let mut langs =
        ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new("$data$", DataType::Utf8, false)));
    langs.values().append_value("en");
    langs.values().append_value("fr");
    langs.append(true);
    langs.append(false);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(vec![Some(10001 + offset), Some(10002 + offset)])),
        Arc::new(Int64Array::from(vec![Some(57305), None])),
        Arc::new(UInt64Array::from(vec![Some(u64::MAX), Some(1)])),
        Arc::new(Float64Array::from(vec![Some(2.03), Some(1.5)])),
        Arc::new(BooleanArray::from(vec![Some(true), None])),
        Arc::new(StringArray::from(vec![Some("Georgi"), Some("Bezalel")])),
        Arc::new(StringArray::from(vec![None, Some("long text")])),
        Arc::new(TimestampMillisecondArray::from(vec![Some(488_419_200_000), Some(501_292_800_000)])),
        Arc::new(BinaryArray::from(vec![Some(&[10u8, 0, 0, 1][..]), Some(&[0u8; 16][..])])),
        Arc::new(NullArray::new(2)),
        Arc::new(langs.finish()),
    ];
    RecordBatch::try_new(Arc::clone(schema), columns).unwrap()
}

/// A stream as the server writes it: schema, two pages, end of stream.
fn stream() -> Vec<u8> {
    let schema = Arc::new(schema());
    let mut w = StreamWriter::try_new(Vec::new(), &schema).unwrap();
    w.write(&page(&schema, 0)).unwrap();
    w.write(&page(&schema, 2)).unwrap();
    w.finish().unwrap();
    w.into_inner().unwrap()
}

fn check(table: &ArrowTable) {
    assert_eq!(table.batches.len(), 2);
    assert_eq!(table.num_rows(), 4);
    assert_eq!(table.column_names().count(), 11);
    assert_eq!(table.esql_type("hire_date"), Some("date"));
    assert_eq!(table.esql_type("ip"), Some("ip"));
    assert_eq!(table.esql_type("languages"), Some("keyword"));
    assert_eq!(table.esql_type("nope"), None);
    let emp: Vec<i32> = table
        .column("emp_no")
        .iter()
        .flat_map(|a| a.as_any().downcast_ref::<Int32Array>().unwrap().values().to_vec())
        .collect();
    assert_eq!(emp, [10001, 10002, 10003, 10004]);
    assert_eq!(table.null_count("salary"), 2);
    assert_eq!(table.null_count("nothing"), 0, "a Null array has no validity buffer");
    let b = &table.batches[1];
    let big = b.column(2).as_any().downcast_ref::<UInt64Array>().unwrap();
    assert_eq!(big.value(0), u64::MAX);
    let date = b.column(7).as_any().downcast_ref::<TimestampMillisecondArray>().unwrap();
    assert_eq!(date.value(0), 488_419_200_000);
    let ip = b.column(8).as_any().downcast_ref::<BinaryArray>().unwrap();
    assert_eq!(ip.value(0), [10, 0, 0, 1]);
    assert_eq!(ip.value(1).len(), 16);
    let langs = b.column(10).as_any().downcast_ref::<ListArray>().unwrap();
    let first = langs.value(0);
    let first = first.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!((first.value(0), first.value(1)), ("en", "fr"));
    assert!(langs.is_null(1));
    assert!(table.column("nope").is_empty());
}

#[test]
fn a_whole_answer_decodes_into_batches() {
    check(&ArrowTable::from_bytes(stream()).unwrap());
}

#[test]
fn bytes_fed_in_pieces_of_any_size_give_the_same_batches() {
    let bytes = stream();
    let whole = ArrowTable::from_bytes(bytes.clone()).unwrap();
    for size in [1, 3, 7, 64, 1000, bytes.len()] {
        let mut d = ArrowDecoder::new();
        let mut batches = Vec::new();
        for chunk in bytes.chunks(size) {
            batches.extend(d.feed(Bytes::copy_from_slice(chunk)).unwrap());
        }
        assert!(d.schema().is_some());
        assert_eq!(d.consumed(), bytes.len() as u64);
        let schema = d.finish().unwrap();
        let table = ArrowTable { schema, batches };
        assert_eq!(table, whole, "chunks of {size}");
        check(&table);
    }
}

#[test]
fn the_endpoint_asks_for_arrow_and_decodes_the_answer() {
    let req = EsqlQuery::from_query(&Query::from(["employees"]).limit(4)).unwrap().drop_null_columns(true).arrow();
    let http = req.to_request().unwrap();
    assert_eq!(http.method(), http::Method::POST);
    assert_eq!(http.uri(), "/_query?format=arrow&drop_null_columns=true");
    assert_eq!(http.headers()["accept"], "application/vnd.apache.arrow.stream");
    let body: serde_json::Value = serde_json::from_slice(&http.body().bytes()).unwrap();
    assert_eq!(body["query"], "FROM employees | LIMIT 4");
    let ok = http::Response::builder()
        .status(200)
        .header("content-type", "application/vnd.apache.arrow.stream")
        .body(Bytes::from(stream()))
        .unwrap();
    check(&req.decode(&ok).unwrap());
    // A server error stays an API error.
    let bad = http::Response::builder()
        .status(400)
        .header("content-type", "application/json")
        .body(Bytes::from_static(
            br#"{"error": {"type": "verification_exception", "reason": "Unknown index [employees]"}, "status": 400}"#,
        ))
        .unwrap();
    let err = req.decode(&bad).unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::BAD_REQUEST));
}

#[test]
fn malformed_streams_are_errors_not_panics() {
    let bytes = stream();
    // Cut short anywhere inside a message: an error at finish (or at feed).
    for cut in [1, 5, 9, 100, bytes.len() / 2, bytes.len() - 9] {
        let mut d = ArrowDecoder::new();
        let fed = d.feed(Bytes::copy_from_slice(&bytes[..cut]));
        if fed.is_ok() {
            assert!(matches!(d.finish(), Err(Error::Decode(_))), "cut at {cut}");
        }
        assert!(ArrowTable::from_bytes(Bytes::copy_from_slice(&bytes[..cut])).is_err(), "cut at {cut}");
    }
    // Not Arrow at all.
    let err = ArrowTable::from_bytes(Bytes::from_static(br#"{"columns": [], "values": []}"#)).unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err}");
    // An empty answer has no schema.
    assert!(ArrowTable::from_bytes(Bytes::new()).is_err());
    // Bytes after the end-of-stream marker.
    let mut extra = bytes.clone();
    extra.extend_from_slice(&bytes);
    assert!(ArrowTable::from_bytes(extra).is_err());
    // Corrupted bytes in the middle: an error or (when they only hit data
    // values) a table; never a panic.
    for at in (0..bytes.len()).step_by(13) {
        let mut bad = bytes.clone();
        bad[at] ^= 0xa5;
        let _ = ArrowTable::from_bytes(bad);
    }
    // After a failure the decoder refuses more input.
    let mut bad = bytes.clone();
    bad[5] ^= 0xff;
    let mut d = ArrowDecoder::new();
    if d.feed(Bytes::from(bad)).is_err() {
        assert!(d.feed(Bytes::copy_from_slice(&bytes)).is_err());
        assert!(d.finish().is_err());
    }
}
