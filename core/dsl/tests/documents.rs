//! Derived mappings and index bodies against expected JSON, and the
//! search builder's body.

#![allow(dead_code)]

use std::collections::BTreeSet;

use elastik_dsl::{Aggregation, Document, GeoPoint, Mapping, Query, Search};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Stands in for chrono's `DateTime<Utc>`: the macro goes by the name.
#[derive(Serialize, Deserialize)]
struct DateTime<Tz>(String, std::marker::PhantomData<Tz>);
#[derive(Serialize, Deserialize)]
struct Utc;
/// Stands in for time's `OffsetDateTime`.
#[derive(Serialize, Deserialize)]
struct OffsetDateTime(String);

#[derive(Serialize, Deserialize, Document)]
struct Author {
    name: String,
    #[es(keyword)]
    country: String,
}

#[derive(Serialize, Deserialize, Document)]
#[es(
    index = "books",
    shards = 1,
    replicas = 0,
    settings = r#"{"analysis": {"analyzer": {"folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}}}}"#
)]
struct Book {
    #[es(id)]
    #[es(keyword)]
    isbn: String,
    title: String,
    #[es(text(analyzer = "folded", search_analyzer = "standard"))]
    summary: Option<String>,
    tags: Vec<String>,
    pages: u32,
    year: i16,
    rating: f32,
    price: f64,
    views: i64,
    in_print: bool,
    published: DateTime<Utc>,
    updated: Option<OffsetDateTime>,
    author: Author,
    #[es(nested)]
    reviewers: Vec<Author>,
    location: GeoPoint,
    embedding: [f32; 3],
    #[es(dense_vector(dims = 4, similarity = "cosine"))]
    other_embedding: Vec<f32>,
    #[es(skip)]
    cache: Option<String>,
    #[serde(skip)]
    local_only: u8,
    #[serde(rename = "lang")]
    language: String,
    #[es(type = "ip")]
    server: String,
    #[es(date(format = "yyyy-MM-dd"))]
    day: String,
    #[es(geo_point)]
    spot: String,
    #[es(mapping = r#"{"type": "flattened"}"#)]
    labels: serde_json::Value,
    codes: BTreeSet<u64>,
}

#[derive(Serialize, Deserialize, Document)]
struct LogLine {
    message: String,
}

#[test]
fn a_derived_mapping_infers_field_types_and_honours_attributes() {
    let text_kw = json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}});
    let author = json!({"properties": {"name": text_kw, "country": {"type": "keyword"}}});
    let mut reviewers = author.clone();
    reviewers["type"] = json!("nested");
    assert_eq!(
        Book::mappings(),
        json!({"properties": {
            "isbn": {"type": "keyword"},
            "title": text_kw,
            "summary": {"type": "text", "analyzer": "folded", "search_analyzer": "standard"},
            "tags": text_kw,
            "pages": {"type": "long"},
            "year": {"type": "short"},
            "rating": {"type": "float"},
            "price": {"type": "double"},
            "views": {"type": "long"},
            "in_print": {"type": "boolean"},
            "published": {"type": "date"},
            "updated": {"type": "date"},
            "author": author,
            "reviewers": reviewers,
            "location": {"type": "geo_point"},
            "embedding": {"type": "dense_vector", "dims": 3},
            "other_embedding": {"type": "dense_vector", "dims": 4, "similarity": "cosine"},
            "lang": text_kw,
            "server": {"type": "ip"},
            "day": {"type": "date", "format": "yyyy-MM-dd"},
            "spot": {"type": "geo_point"},
            "labels": {"type": "flattened"},
            "codes": {"type": "unsigned_long"}
        }})
    );
}

#[test]
fn the_index_name_settings_and_id_come_from_attributes() {
    assert_eq!(Book::INDEX, "books");
    assert_eq!(LogLine::INDEX, "log_line");
    assert_eq!(
        Book::settings(),
        json!({
            "analysis": {"analyzer": {"folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}}},
            "number_of_shards": 1, "number_of_replicas": 0
        })
    );
    assert_eq!(LogLine::settings(), serde_json::Value::Null);
    assert_eq!(
        LogLine::create_index_body(),
        json!({"mappings": {"properties": {"message": {
        "type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}}}})
    );
    let body = Book::create_index_body();
    assert_eq!(body["settings"]["number_of_shards"], json!(1));
    assert_eq!(body["mappings"], Book::mappings());
    // The body is a valid generated create-index body.
    let _: elastik_types::indices::CreateRequestBody = serde_json::from_value(body).unwrap();
    // And the typed one says the same, mappings and settings alike.
    let typed = Book::create_index_request().unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), Book::create_index_body());
    assert_eq!(serde_json::to_value(Book::type_mapping().unwrap()).unwrap(), Book::mappings());
    assert_eq!(Author::mapping()["properties"]["country"], json!({"type": "keyword"}));
}

#[test]
fn the_search_builder_renders_every_part() {
    let search = Book::search()
        .query(Query::match_("title", "rust"))
        .query(Query::range("year").gte(2015))
        .filter(Query::term("in_print", true))
        .post_filter(Query::term("tags.keyword", "db"))
        .agg("by_tag", Aggregation::terms("tags.keyword").agg("avg_pages", Aggregation::avg("pages")))
        .sort("year", "desc")
        .sort_by("_score")
        .source(["title", "year"], ["embedding"])
        .highlight(["title"])
        .from(10)
        .size(5)
        .search_after(json!([2015, "b"]))
        .collapse("author.name.keyword")
        .knn("embedding", [0.1, 0.2, 0.3], 5, 50)
        .suggest("fix", json!({"text": "rsut", "term": {"field": "title"}}))
        .rescore(Query::match_phrase("title", "rust book"), 50)
        .runtime_field("decade", "long", "emit(doc['year'].value / 10)")
        .track_total_hits(true);
    assert_eq!(search.indices(), ["books"]);
    assert_eq!(
        search.to_json(),
        json!({
            "query": {"bool": {
                "must": [{"match": {"title": "rust"}}, {"range": {"year": {"gte": 2015}}}],
                "filter": [{"term": {"in_print": true}}]
            }},
            "post_filter": {"term": {"tags.keyword": "db"}},
            "aggs": {"by_tag": {"terms": {"field": "tags.keyword"}, "aggs": {"avg_pages": {"avg": {"field": "pages"}}}}},
            "sort": [{"year": {"order": "desc"}}, "_score"],
            "_source": {"includes": ["title", "year"], "excludes": ["embedding"]},
            "highlight": {"fields": {"title": {}}},
            "from": 10,
            "size": 5,
            "search_after": [2015, "b"],
            "collapse": {"field": "author.name.keyword"},
            "knn": {"field": "embedding", "query_vector": [0.1f32, 0.2f32, 0.3f32], "k": 5, "num_candidates": 50},
            "suggest": {"fix": {"text": "rsut", "term": {"field": "title"}}},
            "rescore": {"window_size": 50, "query": {"rescore_query": {"match_phrase": {"title": "rust book"}}}},
            "runtime_mappings": {"decade": {"type": "long", "script": {"source": "emit(doc['year'].value / 10)"}}},
            "track_total_hits": true
        })
    );
    // The generated request body type accepts it.
    search.to_request_body().unwrap();
    let pit = Search::new().point_in_time("46ToAwMDaWR5", "1m").size(100);
    assert_eq!(pit.to_json(), json!({"pit": {"id": "46ToAwMDaWR5", "keep_alive": "1m"}, "size": 100}));
    pit.to_request_body().unwrap();
    assert_eq!(Search::new().no_source().to_json(), json!({"_source": false}));
}

#[test]
fn the_search_endpoint_asks_for_typed_keys_and_sends_the_body() {
    use elastik_proto::Endpoint;
    let search = Search::new().index("books").query(Query::match_all()).size(1);
    let request = search.endpoint().to_request().unwrap();
    let uri = request.uri().to_string();
    assert!(uri.starts_with("/books/_search"), "{uri}");
    assert!(uri.contains("typed_keys=true"), "{uri}");
    match request.body() {
        elastik_proto::Body::Json(bytes) => {
            let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            assert_eq!(v, json!({"query": {"match_all": {}}, "size": 1}));
        }
        other => panic!("unexpected body {other:?}"),
    }
}
