//! Live against noida-db (`ELASTIK_TEST_URL`, set by `scripts/test.sh`) on
//! every runtime: create an index from a derived mapping, index documents,
//! get/update/delete them, run bool/range/terms/date_histogram searches and
//! read typed hits and typed aggregation results.

use elastik_dsl::{Aggregation, Document, Query};
use serde::{Deserialize, Serialize};
use serde_json::json;

macro_rules! book_type {
    ($name:ident, $index:tt) => {
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Document)]
        #[es(index = $index, shards = 1, replicas = 0)]
        struct $name {
            #[es(id)]
            #[es(keyword)]
            id: String,
            title: String,
            tags: Vec<String>,
            year: i32,
            pages: i64,
            #[es(date)]
            published: String,
            in_print: bool,
        }

        impl $name {
            fn all() -> Vec<$name> {
                let b =
                    |id: &str, title: &str, tags: &[&str], year: i32, pages: i64, published: &str, in_print: bool| {
                        $name {
                            id: id.to_owned(),
                            title: title.to_owned(),
                            tags: tags.iter().map(|t| t.to_string()).collect(),
                            year,
                            pages,
                            published: published.to_owned(),
                            in_print,
                        }
                    };
                vec![
                    b("1", "Programming Rust", &["rust", "systems"], 2021, 700, "2021-06-15", true),
                    b("2", "The Rust Programming Language", &["rust"], 2019, 560, "2019-08-12", true),
                    b("3", "Designing Data-Intensive Applications", &["db", "systems"], 2017, 600, "2017-03-16", true),
                    b("4", "SQL Antipatterns", &["db"], 2010, 300, "2010-07-01", false),
                ]
            }
        }
    };
}

/// The scenario, once per runtime; `$($aw)*` is `.await` on async runtimes.
macro_rules! scenario {
    ($client:expr, $Doc:ident, [$($aw:tt)*]) => {{
        let client = $client;
        $Doc::delete_index(&client)$($aw)*.expect("delete index");
        $Doc::create_index(&client)$($aw)*.expect("create index");
        for doc in $Doc::all() {
            let id = doc.save(&client, false)$($aw)*.expect("save");
            assert_eq!(Some(id), doc.document_id());
        }
        $Doc::refresh(&client)$($aw)*.expect("refresh");

        // get
        let got = $Doc::get(&client, "2")$($aw)*.expect("get").expect("found");
        assert_eq!(got, $Doc::all()[1]);
        assert!($Doc::get(&client, "nope")$($aw)*.expect("get missing").is_none());

        // bool + range + terms, typed hits
        let query = Query::match_("title", "rust")
            & Query::range("year").gte(2020)
            & Query::terms("tags.keyword", ["rust", "db"]);
        let res = $Doc::search().query(query).send(&client)$($aw)*.expect("bool search");
        let ids: Vec<&str> = res.documents().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["1"]);
        assert_eq!(res.total(), Some(1));

        // or / not, sorted
        let query = (Query::term("tags.keyword", "db") | Query::term("tags.keyword", "rust")) & !Query::term("in_print", false);
        let res = $Doc::search().query(query).sort("year", "asc").send(&client)$($aw)*.expect("or search");
        let ids: Vec<&str> = res.hits.hits.iter().filter_map(|h| h.id.as_deref()).collect();
        assert_eq!(ids, ["3", "2", "1"]);

        // aggregations: terms with a metric inside, date_histogram, stats
        let res = $Doc::search()
            .size(0)
            .agg("by_tag", Aggregation::terms("tags.keyword").agg("avg_pages", Aggregation::avg("pages")))
            .agg("per_year", Aggregation::date_histogram("published", "year").format("yyyy"))
            .agg("pages", Aggregation::stats("pages"))
            .agg("max_year", Aggregation::max("year"))
            .send(&client)$($aw)*
            .expect("aggregation search");
        assert!(res.hits.hits.is_empty());
        let by_tag = res.aggregations.terms("by_tag").expect("terms result");
        let counts: Vec<(String, u64)> =
            by_tag.buckets.iter().map(|b| (b.key_str().unwrap_or_default().to_owned(), b.doc_count)).collect();
        assert_eq!(counts[..2], [("db".to_owned(), 2), ("rust".to_owned(), 2)]);
        let db = &by_tag.buckets[0];
        assert_eq!(db.aggregations.value("avg_pages").expect("avg"), Some(450.0));
        let per_year = res.aggregations.date_histogram("per_year").expect("date_histogram result");
        let years: Vec<(&str, u64)> = per_year
            .buckets
            .iter()
            .filter(|b| b.doc_count > 0)
            .map(|b| (b.key_str().unwrap_or_default(), b.doc_count))
            .collect();
        assert_eq!(years, [("2010", 1), ("2017", 1), ("2019", 1), ("2021", 1)]);
        let stats = res.aggregations.stats("pages").expect("stats result");
        assert_eq!((stats.count, stats.min, stats.max, stats.sum), (4, Some(300.0), Some(700.0), 2160.0));
        assert_eq!(res.aggregations.value("max_year").expect("max"), Some(2021.0));

        // update (partial), then delete
        $Doc::update(&client, "4", &json!({"pages": 320}), true)$($aw)*.expect("update");
        let got = $Doc::get(&client, "4")$($aw)*.expect("get updated").expect("found");
        assert_eq!(got.pages, 320);
        assert!($Doc::delete(&client, "4", true)$($aw)*.expect("delete"));
        assert!(!$Doc::delete(&client, "4", true)$($aw)*.expect("delete again"));
        assert!($Doc::get(&client, "4")$($aw)*.expect("get deleted").is_none());
        $Doc::delete_index(&client)$($aw)*.expect("delete index");
    }};
}

book_type!(TokioBook, "elastik-dsl-live-tokio");
book_type!(AsyncStdBook, "elastik-dsl-live-async-std");
book_type!(BlockingBook, "elastik-dsl-live-blocking");

#[test]
fn live_on_tokio() {
    let Some(url) = elastik_testkit::test_url() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        let client = elastik_tokio::Client::new(&url).unwrap();
        scenario!(client, TokioBook, [.await]);
    });
}

#[test]
fn live_on_async_std() {
    let Some(url) = elastik_testkit::test_url() else { return };
    async_io::block_on(async {
        let client = elastik_async_std::Client::new(&url).unwrap();
        scenario!(client, AsyncStdBook, [.await]);
    });
}

#[test]
fn live_on_blocking() {
    let Some(url) = elastik_testkit::test_url() else { return };
    let client = elastik_blocking::Client::new(&url).unwrap();
    scenario!(client, BlockingBook, []);
}
