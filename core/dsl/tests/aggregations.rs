//! Every aggregation constructor against the JSON of the Elasticsearch
//! aggregations reference, each decoded into the generated
//! `AggregationContainer`; the constructors against the schema's list;
//! reading typed results from a `typed_keys` response.

use std::collections::BTreeSet;

use elastik_dsl::{Aggregation, Aggregations, Query, SearchResults, AGGREGATION_KINDS};
use serde_json::{json, Value};

fn one_of_each() -> Vec<(Aggregation, Value)> {
    let f = |kind: &str, field: &str| json!({kind: {"field": field}});
    let bp = |kind: &str, path: &str| json!({kind: {"buckets_path": path}});
    vec![
        (
            Aggregation::adjacency_matrix([("grpA", Query::terms("accounts", ["hillary", "sidney"]))]),
            json!({"adjacency_matrix": {"filters": {"grpA": {"terms": {"accounts": ["hillary", "sidney"]}}}}}),
        ),
        (
            Aggregation::auto_date_histogram("date").param("buckets", 10),
            json!({"auto_date_histogram": {"field": "date", "buckets": 10}}),
        ),
        (Aggregation::avg("grade"), f("avg", "grade")),
        (Aggregation::avg_bucket("sales_per_month>sales"), bp("avg_bucket", "sales_per_month>sales")),
        (Aggregation::boxplot("load_time"), f("boxplot", "load_time")),
        (
            Aggregation::bucket_script(
                json!({"my_var1": "the_sum", "my_var2": "the_value_count"}),
                "params.my_var1 / params.my_var2",
            ),
            json!({"bucket_script": {"buckets_path": {"my_var1": "the_sum", "my_var2": "the_value_count"}, "script": "params.my_var1 / params.my_var2"}}),
        ),
        (
            Aggregation::bucket_selector(json!({"my_var1": "the_sum"}), "params.my_var1 > 10"),
            json!({"bucket_selector": {"buckets_path": {"my_var1": "the_sum"}, "script": "params.my_var1 > 10"}}),
        ),
        (
            Aggregation::bucket_sort(json!([{"total_sales": {"order": "desc"}}])).size(3),
            json!({"bucket_sort": {"sort": [{"total_sales": {"order": "desc"}}], "size": 3}}),
        ),
        (
            Aggregation::bucket_count_ks_test("latency_ranges>_count"),
            bp("bucket_count_ks_test", "latency_ranges>_count"),
        ),
        (
            Aggregation::bucket_correlation("buckets>_count", json!({"doc_count": 200, "expectations": [0.0, 1.0]})),
            json!({"bucket_correlation": {"buckets_path": "buckets>_count", "function": {"count_correlation": {"indicator": {"doc_count": 200, "expectations": [0.0, 1.0]}}}}}),
        ),
        (Aggregation::cardinality("type"), f("cardinality", "type")),
        (Aggregation::cartesian_bounds("location"), f("cartesian_bounds", "location")),
        (Aggregation::cartesian_centroid("location"), f("cartesian_centroid", "location")),
        (Aggregation::categorize_text("message"), f("categorize_text", "message")),
        (Aggregation::change_point("date>avg"), bp("change_point", "date>avg")),
        (Aggregation::children("answer"), json!({"children": {"type": "answer"}})),
        (
            Aggregation::composite([("product", json!({"terms": {"field": "product"}}))]),
            json!({"composite": {"sources": [{"product": {"terms": {"field": "product"}}}]}}),
        ),
        (Aggregation::cumulative_cardinality("distinct_users"), bp("cumulative_cardinality", "distinct_users")),
        (Aggregation::cumulative_sum("sales"), bp("cumulative_sum", "sales")),
        (
            Aggregation::date_histogram("date", "month").format("yyyy-MM-dd"),
            json!({"date_histogram": {"field": "date", "calendar_interval": "month", "format": "yyyy-MM-dd"}}),
        ),
        (
            Aggregation::date_range("date", [json!({"to": "now-10M/M"}), json!({"from": "now-10M/M"})]),
            json!({"date_range": {"field": "date", "ranges": [{"to": "now-10M/M"}, {"from": "now-10M/M"}]}}),
        ),
        (Aggregation::derivative("sales"), bp("derivative", "sales")),
        (
            Aggregation::diversified_sampler("author").param("shard_size", 200),
            json!({"diversified_sampler": {"field": "author", "shard_size": 200}}),
        ),
        (Aggregation::extended_stats("grade"), f("extended_stats", "grade")),
        (
            Aggregation::extended_stats_bucket("sales_per_month>sales"),
            bp("extended_stats_bucket", "sales_per_month>sales"),
        ),
        (
            Aggregation::frequent_item_sets(["category.keyword", "geoip.city_name"]).param("minimum_support", 0.01),
            json!({"frequent_item_sets": {"fields": [{"field": "category.keyword"}, {"field": "geoip.city_name"}], "minimum_support": 0.01}}),
        ),
        (Aggregation::filter(Query::term("type", "t-shirt")), json!({"filter": {"term": {"type": "t-shirt"}}})),
        (
            Aggregation::filters([
                ("errors", Query::match_("body", "error")),
                ("warnings", Query::match_("body", "warning")),
            ]),
            json!({"filters": {"filters": {"errors": {"match": {"body": "error"}}, "warnings": {"match": {"body": "warning"}}}}}),
        ),
        (
            Aggregation::geo_bounds("location").param("wrap_longitude", true),
            json!({"geo_bounds": {"field": "location", "wrap_longitude": true}}),
        ),
        (Aggregation::geo_centroid("location"), f("geo_centroid", "location")),
        (
            Aggregation::geo_distance(
                "location",
                "POINT (4.894 52.3760)",
                [json!({"to": 100000}), json!({"from": 100000})],
            ),
            json!({"geo_distance": {"field": "location", "origin": "POINT (4.894 52.3760)", "ranges": [{"to": 100000}, {"from": 100000}]}}),
        ),
        (
            Aggregation::geohash_grid("location").param("precision", 3),
            json!({"geohash_grid": {"field": "location", "precision": 3}}),
        ),
        (
            Aggregation::geo_line("my_location", "@timestamp"),
            json!({"geo_line": {"point": {"field": "my_location"}, "sort": {"field": "@timestamp"}}}),
        ),
        (
            Aggregation::geotile_grid("location").param("precision", 8),
            json!({"geotile_grid": {"field": "location", "precision": 8}}),
        ),
        (Aggregation::geohex_grid("location"), f("geohex_grid", "location")),
        (Aggregation::global(), json!({"global": {}})),
        (Aggregation::histogram("price", 50.0), json!({"histogram": {"field": "price", "interval": 50.0}})),
        (
            Aggregation::ip_range("ip", [json!({"to": "10.0.0.5"}), json!({"from": "10.0.0.5"})]),
            json!({"ip_range": {"field": "ip", "ranges": [{"to": "10.0.0.5"}, {"from": "10.0.0.5"}]}}),
        ),
        (Aggregation::ip_prefix("ipv4", 24), json!({"ip_prefix": {"field": "ipv4", "prefix_length": 24}})),
        (
            Aggregation::inference("model", json!({"avg_cost": "avg_agg"})),
            json!({"inference": {"model_id": "model", "buckets_path": {"avg_cost": "avg_agg"}}}),
        ),
        (
            Aggregation::line("my_location", "@timestamp"),
            json!({"line": {"point": {"field": "my_location"}, "sort": {"field": "@timestamp"}}}),
        ),
        (Aggregation::matrix_stats(["poverty", "income"]), json!({"matrix_stats": {"fields": ["poverty", "income"]}})),
        (Aggregation::max("price"), f("max", "price")),
        (Aggregation::max_bucket("sales_per_month>sales"), bp("max_bucket", "sales_per_month>sales")),
        (Aggregation::median_absolute_deviation("rating"), f("median_absolute_deviation", "rating")),
        (Aggregation::min("price"), f("min", "price")),
        (Aggregation::min_bucket("sales_per_month>sales"), bp("min_bucket", "sales_per_month>sales")),
        (Aggregation::missing("price"), f("missing", "price")),
        (Aggregation::moving_avg("the_sum"), bp("moving_avg", "the_sum")),
        (
            Aggregation::moving_percentiles("the_percentile", 10),
            json!({"moving_percentiles": {"buckets_path": "the_percentile", "window": 10}}),
        ),
        (
            Aggregation::moving_fn("the_sum", 10, "MovingFunctions.unweightedAvg(values)"),
            json!({"moving_fn": {"buckets_path": "the_sum", "window": 10, "script": "MovingFunctions.unweightedAvg(values)"}}),
        ),
        (
            Aggregation::multi_terms(["genre", "product"]),
            json!({"multi_terms": {"terms": [{"field": "genre"}, {"field": "product"}]}}),
        ),
        (Aggregation::nested("resellers"), json!({"nested": {"path": "resellers"}})),
        (
            Aggregation::normalize("sales").param("method", "percent_of_sum"),
            json!({"normalize": {"buckets_path": "sales", "method": "percent_of_sum"}}),
        ),
        (Aggregation::parent("answer"), json!({"parent": {"type": "answer"}})),
        (
            Aggregation::percentile_ranks("load_time", [500.0, 600.0]),
            json!({"percentile_ranks": {"field": "load_time", "values": [500.0, 600.0]}}),
        ),
        (
            Aggregation::percentiles("load_time").param("percents", [95.0, 99.0]),
            json!({"percentiles": {"field": "load_time", "percents": [95.0, 99.0]}}),
        ),
        (Aggregation::percentiles_bucket("sales_per_month>sales"), bp("percentiles_bucket", "sales_per_month>sales")),
        (
            Aggregation::range(
                "price",
                [json!({"to": 100.0}), json!({"from": 100.0, "to": 200.0}), json!({"from": 200.0})],
            ),
            json!({"range": {"field": "price", "ranges": [{"to": 100.0}, {"from": 100.0, "to": 200.0}, {"from": 200.0}]}}),
        ),
        (Aggregation::rare_terms("genre"), f("rare_terms", "genre")),
        (Aggregation::rate("price").param("unit", "day"), json!({"rate": {"field": "price", "unit": "day"}})),
        (Aggregation::reverse_nested(), json!({"reverse_nested": {}})),
        (Aggregation::random_sampler(0.1), json!({"random_sampler": {"probability": 0.1}})),
        (Aggregation::sampler(200), json!({"sampler": {"shard_size": 200}})),
        (
            Aggregation::scripted_metric(
                "state.transactions = []",
                "state.transactions.add(1)",
                "return state",
                "return states",
            ),
            json!({"scripted_metric": {"init_script": "state.transactions = []", "map_script": "state.transactions.add(1)", "combine_script": "return state", "reduce_script": "return states"}}),
        ),
        (
            Aggregation::serial_diff("the_sum").param("lag", 30),
            json!({"serial_diff": {"buckets_path": "the_sum", "lag": 30}}),
        ),
        (Aggregation::significant_terms("crime_type"), f("significant_terms", "crime_type")),
        (Aggregation::significant_text("content"), f("significant_text", "content")),
        (Aggregation::stats("grade"), f("stats", "grade")),
        (Aggregation::stats_bucket("sales_per_month>sales"), bp("stats_bucket", "sales_per_month>sales")),
        (Aggregation::string_stats("message.keyword"), f("string_stats", "message.keyword")),
        (Aggregation::sum("price"), f("sum", "price")),
        (Aggregation::sum_bucket("sales_per_month>sales"), bp("sum_bucket", "sales_per_month>sales")),
        (
            Aggregation::terms("genre").size(10).order(json!({"_count": "desc"})),
            json!({"terms": {"field": "genre", "size": 10, "order": {"_count": "desc"}}}),
        ),
        (Aggregation::time_series(), json!({"time_series": {}})),
        (
            Aggregation::top_hits(1).param("sort", [json!({"date": {"order": "desc"}})]),
            json!({"top_hits": {"size": 1, "sort": [{"date": {"order": "desc"}}]}}),
        ),
        (
            Aggregation::t_test("startup_time_before", "startup_time_after", "paired"),
            json!({"t_test": {"a": {"field": "startup_time_before"}, "b": {"field": "startup_time_after"}, "type": "paired"}}),
        ),
        (
            Aggregation::top_metrics("m", json!({"s": "desc"})),
            json!({"top_metrics": {"metrics": {"field": "m"}, "sort": {"s": "desc"}}}),
        ),
        (Aggregation::value_count("type"), f("value_count", "type")),
        (
            Aggregation::weighted_avg("grade", "weight"),
            json!({"weighted_avg": {"value": {"field": "grade"}, "weight": {"field": "weight"}}}),
        ),
        (
            Aggregation::variable_width_histogram("price").param("buckets", 2),
            json!({"variable_width_histogram": {"field": "price", "buckets": 2}}),
        ),
    ]
}

#[test]
fn every_constructor_renders_the_reference_json_and_decodes_into_the_generated_type() {
    for (agg, expected) in one_of_each() {
        assert_eq!(agg.to_json(), expected, "{}", agg.kind());
        let container = agg.clone().into_container().unwrap_or_else(|e| panic!("{}: {e}", agg.kind()));
        assert_eq!(Aggregation::from(container).kind(), agg.kind());
    }
}

#[test]
fn there_is_a_constructor_for_every_aggregation_of_the_schema() {
    let built: BTreeSet<String> = one_of_each().iter().map(|(a, _)| a.kind().to_owned()).collect();
    let listed: BTreeSet<String> = AGGREGATION_KINDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(built, listed);
    assert_eq!(listed.len(), 81);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/spec/schema.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: no schema at {path}");
        return;
    };
    let schema: Value = serde_json::from_str(&text).unwrap();
    let ty = schema["types"].as_array().unwrap().iter().find(|t| t["name"]["name"] == "AggregationContainer").unwrap();
    let in_schema: BTreeSet<String> = ty["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| !matches!(*n, "aggregations" | "meta"))
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, in_schema);
}

#[test]
fn sub_aggregations_and_meta_nest() {
    let agg = Aggregation::terms("tags")
        .agg("avg_price", Aggregation::avg("price"))
        .agg("per_month", Aggregation::date_histogram("date", "month").agg("total", Aggregation::sum("price")))
        .meta(json!({"color": "blue"}));
    assert_eq!(
        agg.to_json(),
        json!({
            "terms": {"field": "tags"},
            "aggs": {
                "avg_price": {"avg": {"field": "price"}},
                "per_month": {"date_histogram": {"field": "date", "calendar_interval": "month"}, "aggs": {"total": {"sum": {"field": "price"}}}}
            },
            "meta": {"color": "blue"}
        })
    );
    let container = agg.clone().into_container().unwrap();
    assert_eq!(Aggregation::from(container), agg);
}

#[test]
fn typed_results_are_read_by_name() {
    // A response as sent with typed_keys=true.
    let body = json!({
        "took": 3, "timed_out": false,
        "hits": {"total": {"value": 3, "relation": "eq"}, "max_score": 1.0, "hits": [
            {"_index": "books", "_id": "1", "_score": 1.0, "_source": {"title": "Rust"}}
        ]},
        "aggregations": {
            "sterms#by_tag": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
                {"key": "db", "doc_count": 2, "avg#avg_pages": {"value": 300.0}},
                {"key": "lang", "doc_count": 1, "avg#avg_pages": {"value": 120.0}}
            ]},
            "avg#avg_pages": {"value": 240.0},
            "max#none": {"value": null},
            "stats#page_stats": {"count": 3, "min": 120.0, "max": 400.0, "avg": 240.0, "sum": 720.0},
            "date_histogram#per_year": {"buckets": [
                {"key_as_string": "2015-01-01T00:00:00.000Z", "key": 1420070400000i64, "doc_count": 1}
            ]},
            "range#sizes": {"buckets": {"small": {"to": 200.0, "doc_count": 1}}},
            "filter#recent": {"doc_count": 2, "value_count#n": {"value": 2}},
            "tdigest_percentiles#p": {"values": {"50.0": 300.0, "99.0": 400.0}},
            "top_hits#best": {"hits": {"total": {"value": 3, "relation": "eq"}, "hits": [
                {"_index": "books", "_id": "2", "_score": null, "_source": {"title": "SQL"}}
            ]}}
        }
    });
    #[derive(serde::Deserialize, Debug)]
    struct Book {
        title: String,
    }
    let resp: SearchResults<Book> = serde_json::from_value(body).unwrap();
    assert_eq!(resp.total(), Some(3));
    assert_eq!(resp.hits.hits[0].source.as_ref().unwrap().title, "Rust");
    let aggs: &Aggregations = &resp.aggregations;

    let by_tag = aggs.terms("by_tag").unwrap();
    assert_eq!(by_tag.buckets.len(), 2);
    assert_eq!(by_tag.buckets[0].key_str(), Some("db"));
    assert_eq!(by_tag.buckets[0].doc_count, 2);
    assert_eq!(by_tag.buckets[0].aggregations.value("avg_pages").unwrap(), Some(300.0));

    assert_eq!(aggs.value("avg_pages").unwrap(), Some(240.0));
    assert_eq!(aggs.value("none").unwrap(), None);
    let stats = aggs.stats("page_stats").unwrap();
    assert_eq!((stats.count, stats.min, stats.sum), (3, Some(120.0), 720.0));
    let per_year = aggs.date_histogram("per_year").unwrap();
    assert_eq!(per_year.buckets[0].key_str(), Some("2015-01-01T00:00:00.000Z"));
    assert_eq!(per_year.buckets[0].key_f64(), Some(1420070400000.0));
    let sizes = aggs.buckets("sizes").unwrap();
    assert_eq!(sizes.buckets[0].name.as_deref(), Some("small"));
    assert_eq!(sizes.buckets[0].extra["to"], json!(200.0));
    let recent = aggs.single_bucket("recent").unwrap();
    assert_eq!(recent.doc_count, 2);
    assert_eq!(recent.aggregations.value("n").unwrap(), Some(2.0));
    assert_eq!(aggs.percentiles("p").unwrap(), vec![(50.0, Some(300.0)), (99.0, Some(400.0))]);
    let best = aggs.top_hits::<Book>("best").unwrap();
    assert_eq!(best[0].source.as_ref().unwrap().title, "SQL");

    // Wrong type and missing names are errors, not panics.
    assert!(aggs.terms("avg_pages").is_err());
    assert!(aggs.value("nope").is_err());
    // A generated type reads the same result.
    let generated: elastik_types::types::StatsAggregate = aggs.decode("page_stats").unwrap();
    assert_eq!(generated.count, 3);
}
