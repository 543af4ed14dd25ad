//! Every query constructor against the JSON of the Elasticsearch query DSL
//! reference, each also decoded into the generated `QueryContainer`; the
//! constructors against the schema's list; the `&`, `|`, `!` combinators.

use std::collections::BTreeSet;

use elastik_dsl::{Query, QUERY_KINDS};
use elastik_types::types::QueryContainer;
use serde_json::{json, Value};

/// One query of every kind, with the JSON the reference documents for it.
fn one_of_each() -> Vec<(Query, Value)> {
    let q = || Query::term("user.id", "kimchy");
    let qj = || json!({"term": {"user.id": "kimchy"}});
    vec![
        (
            Query::bool().must(q()).filter(Query::range("age").gte(18)).into(),
            json!({"bool": {"must": [qj()], "filter": [{"range": {"age": {"gte": 18}}}]}}),
        ),
        (
            Query::boosting(Query::term("text", "apple"), Query::term("text", "pie"), 0.5),
            json!({"boosting": {"positive": {"term": {"text": "apple"}}, "negative": {"term": {"text": "pie"}}, "negative_boost": 0.5}}),
        ),
        (Query::common("body", "this is bonsai cool"), json!({"common": {"body": {"query": "this is bonsai cool"}}})),
        (
            Query::combined_fields("database systems", ["title", "abstract"]),
            json!({"combined_fields": {"query": "database systems", "fields": ["title", "abstract"]}}),
        ),
        (Query::constant_score(q()).boost(1.2), json!({"constant_score": {"filter": qj(), "boost": 1.2}})),
        (
            Query::dis_max([Query::term("title", "Quick"), Query::term("body", "Quick")]).param("tie_breaker", 0.7),
            json!({"dis_max": {"queries": [{"term": {"title": "Quick"}}, {"term": {"body": "Quick"}}], "tie_breaker": 0.7}}),
        ),
        (
            Query::distance_feature("production_date", "now", "7d"),
            json!({"distance_feature": {"field": "production_date", "origin": "now", "pivot": "7d"}}),
        ),
        (Query::exists("user"), json!({"exists": {"field": "user"}})),
        (
            Query::function_score(Query::match_all(), json!([{"weight": 2}])).param("boost_mode", "multiply"),
            json!({"function_score": {"query": {"match_all": {}}, "functions": [{"weight": 2}], "boost_mode": "multiply"}}),
        ),
        (
            Query::fuzzy("user.id", "ki").param("fuzziness", "AUTO"),
            json!({"fuzzy": {"user.id": {"value": "ki", "fuzziness": "AUTO"}}}),
        ),
        (
            Query::geo_bounding_box(
                "pin.location",
                json!({"lat": 40.73, "lon": -74.1}),
                json!({"lat": 40.01, "lon": -71.12}),
            ),
            json!({"geo_bounding_box": {"pin.location": {"top_left": {"lat": 40.73, "lon": -74.1}, "bottom_right": {"lat": 40.01, "lon": -71.12}}}}),
        ),
        (
            Query::geo_distance("pin.location", json!({"lat": 40.0, "lon": -70.0}), "200km"),
            json!({"geo_distance": {"distance": "200km", "pin.location": {"lat": 40.0, "lon": -70.0}}}),
        ),
        (Query::geo_grid("location", "geotile", "6/32/22"), json!({"geo_grid": {"location": {"geotile": "6/32/22"}}})),
        (
            Query::geo_polygon(
                "person.location",
                [json!({"lat": 40, "lon": -70}), json!({"lat": 30, "lon": -80}), json!({"lat": 20, "lon": -90})],
            ),
            json!({"geo_polygon": {"person.location": {"points": [{"lat": 40, "lon": -70}, {"lat": 30, "lon": -80}, {"lat": 20, "lon": -90}]}}}),
        ),
        (
            Query::geo_shape(
                "location",
                json!({"type": "envelope", "coordinates": [[13.0, 53.0], [14.0, 52.0]]}),
                "within",
            ),
            json!({"geo_shape": {"location": {"shape": {"type": "envelope", "coordinates": [[13.0, 53.0], [14.0, 52.0]]}, "relation": "within"}}}),
        ),
        (
            Query::has_child("child", Query::match_all()).param("score_mode", "max"),
            json!({"has_child": {"type": "child", "query": {"match_all": {}}, "score_mode": "max"}}),
        ),
        (
            Query::has_parent("parent", Query::term("tag", "Elasticsearch")),
            json!({"has_parent": {"parent_type": "parent", "query": {"term": {"tag": "Elasticsearch"}}}}),
        ),
        (Query::ids(["1", "4", "100"]), json!({"ids": {"values": ["1", "4", "100"]}})),
        (
            Query::intervals(
                "my_text",
                json!({"match": {"query": "my favorite food", "max_gaps": 0, "ordered": true}}),
            ),
            json!({"intervals": {"my_text": {"match": {"query": "my favorite food", "max_gaps": 0, "ordered": true}}}}),
        ),
        (
            Query::knn("image-vector", [-5.0, 9.0, -12.0]).param("k", 10),
            json!({"knn": {"field": "image-vector", "query_vector": [-5.0, 9.0, -12.0], "k": 10}}),
        ),
        (Query::match_("message", "this is a test"), json!({"match": {"message": "this is a test"}})),
        (Query::match_all(), json!({"match_all": {}})),
        (
            Query::match_bool_prefix("message", "quick brown f"),
            json!({"match_bool_prefix": {"message": "quick brown f"}}),
        ),
        (Query::match_none(), json!({"match_none": {}})),
        (Query::match_phrase("message", "this is a test"), json!({"match_phrase": {"message": "this is a test"}})),
        (
            Query::match_phrase_prefix("message", "quick brown f"),
            json!({"match_phrase_prefix": {"message": "quick brown f"}}),
        ),
        (
            Query::more_like_this(["title", "description"], ["Once upon a time"]).param("min_term_freq", 1),
            json!({"more_like_this": {"fields": ["title", "description"], "like": ["Once upon a time"], "min_term_freq": 1}}),
        ),
        (
            Query::multi_match("this is a test", ["subject", "message"]),
            json!({"multi_match": {"query": "this is a test", "fields": ["subject", "message"]}}),
        ),
        (
            Query::nested("obj1", Query::match_("obj1.name", "blue")).param("score_mode", "avg"),
            json!({"nested": {"path": "obj1", "query": {"match": {"obj1.name": "blue"}}, "score_mode": "avg"}}),
        ),
        (Query::parent_id("my-child", "1"), json!({"parent_id": {"type": "my-child", "id": "1"}})),
        (
            Query::percolate("query", json!({"message": "A new bonsai tree in the office"})),
            json!({"percolate": {"field": "query", "document": {"message": "A new bonsai tree in the office"}}}),
        ),
        (
            Query::pinned(["1", "4", "100"], Query::match_("description", "iphone")),
            json!({"pinned": {"ids": ["1", "4", "100"], "organic": {"match": {"description": "iphone"}}}}),
        ),
        (Query::prefix("user.id", "ki"), json!({"prefix": {"user.id": "ki"}})),
        (
            Query::query_string("(new york city) OR (big apple)").param("default_field", "content"),
            json!({"query_string": {"query": "(new york city) OR (big apple)", "default_field": "content"}}),
        ),
        (
            Query::range("age").gte(10).lte(20).boost(2.0).into(),
            json!({"range": {"age": {"gte": 10, "lte": 20, "boost": 2.0}}}),
        ),
        (Query::rank_feature("pagerank"), json!({"rank_feature": {"field": "pagerank"}})),
        (
            Query::regexp("user.id", "k.*y").param("flags", "ALL"),
            json!({"regexp": {"user.id": {"value": "k.*y", "flags": "ALL"}}}),
        ),
        (
            Query::rule(["my-ruleset"], json!({"user_query": "pugs"}), Query::match_("description", "puggles")),
            json!({"rule": {"ruleset_ids": ["my-ruleset"], "match_criteria": {"user_query": "pugs"}, "organic": {"match": {"description": "puggles"}}}}),
        ),
        (Query::script("doc['num1'].value > 1"), json!({"script": {"script": {"source": "doc['num1'].value > 1"}}})),
        (
            Query::script_score(Query::match_("message", "elasticsearch"), "doc['my-int'].value / 10"),
            json!({"script_score": {"query": {"match": {"message": "elasticsearch"}}, "script": {"source": "doc['my-int'].value / 10"}}}),
        ),
        (
            Query::semantic("inference_field", "Best surfing places"),
            json!({"semantic": {"field": "inference_field", "query": "Best surfing places"}}),
        ),
        (
            Query::shape(
                "geometry",
                json!({"type": "envelope", "coordinates": [[1355.0, 5355.0], [1400.0, 5200.0]]}),
                "within",
            ),
            json!({"shape": {"geometry": {"shape": {"type": "envelope", "coordinates": [[1355.0, 5355.0], [1400.0, 5200.0]]}, "relation": "within"}}}),
        ),
        (
            Query::simple_query_string("\"fried eggs\" +(eggplant | potato)").param("fields", ["title^5", "body"]),
            json!({"simple_query_string": {"query": "\"fried eggs\" +(eggplant | potato)", "fields": ["title^5", "body"]}}),
        ),
        (
            Query::span_containing(Query::span_term("field1", "bar"), Query::span_term("field1", "foo")),
            json!({"span_containing": {"big": {"span_term": {"field1": "bar"}}, "little": {"span_term": {"field1": "foo"}}}}),
        ),
        (
            Query::span_field_masking("text", Query::span_term("text.stems", "fox")),
            json!({"span_field_masking": {"field": "text", "query": {"span_term": {"text.stems": "fox"}}}}),
        ),
        (
            Query::span_first(Query::span_term("user.id", "kimchy"), 3),
            json!({"span_first": {"match": {"span_term": {"user.id": "kimchy"}}, "end": 3}}),
        ),
        (
            Query::span_multi(Query::prefix("user.id", "ki")),
            json!({"span_multi": {"match": {"prefix": {"user.id": "ki"}}}}),
        ),
        (
            Query::span_near([Query::span_term("field", "value1"), Query::span_term("field", "value2")], 12, false),
            json!({"span_near": {"clauses": [{"span_term": {"field": "value1"}}, {"span_term": {"field": "value2"}}], "slop": 12, "in_order": false}}),
        ),
        (
            Query::span_not(Query::span_term("field1", "hoya"), Query::span_term("field1", "la")),
            json!({"span_not": {"include": {"span_term": {"field1": "hoya"}}, "exclude": {"span_term": {"field1": "la"}}}}),
        ),
        (
            Query::span_or([Query::span_term("field", "value1")]),
            json!({"span_or": {"clauses": [{"span_term": {"field": "value1"}}]}}),
        ),
        (Query::span_term("user.id", "kimchy"), json!({"span_term": {"user.id": "kimchy"}})),
        (
            Query::span_within(Query::span_term("field1", "bar"), Query::span_term("field1", "foo")),
            json!({"span_within": {"big": {"span_term": {"field1": "bar"}}, "little": {"span_term": {"field1": "foo"}}}}),
        ),
        (
            Query::sparse_vector("ml.tokens", "my-elser-model", "How is the weather in Jamaica?"),
            json!({"sparse_vector": {"field": "ml.tokens", "inference_id": "my-elser-model", "query": "How is the weather in Jamaica?"}}),
        ),
        (q(), qj()),
        (
            Query::terms("user.id", ["kimchy", "elkbee"]).boost(1.0),
            json!({"terms": {"user.id": ["kimchy", "elkbee"], "boost": 1.0}}),
        ),
        (
            Query::terms_set("programming_languages", ["c++", "java", "php"], 2),
            json!({"terms_set": {"programming_languages": {"terms": ["c++", "java", "php"], "minimum_should_match": 2}}}),
        ),
        (
            Query::text_expansion("ml.tokens", ".elser_model_2", "How is the weather?"),
            json!({"text_expansion": {"ml.tokens": {"model_id": ".elser_model_2", "model_text": "How is the weather?"}}}),
        ),
        (
            Query::weighted_tokens("query_expansion_field", json!({"2161": 0.4679, "2621": 0.307})),
            json!({"weighted_tokens": {"query_expansion_field": {"tokens": {"2161": 0.4679, "2621": 0.307}}}}),
        ),
        (
            Query::wildcard("user.id", "ki*y").boost(1.0),
            json!({"wildcard": {"user.id": {"value": "ki*y", "boost": 1.0}}}),
        ),
        (
            Query::wrapper("eyJ0ZXJtIiA6IHsgInVzZXIuaWQiIDogImtpbWNoeSIgfX0="),
            json!({"wrapper": {"query": "eyJ0ZXJtIiA6IHsgInVzZXIuaWQiIDogImtpbWNoeSIgfX0="}}),
        ),
        (Query::type_("_doc"), json!({"type": {"value": "_doc"}})),
    ]
}

#[test]
fn every_constructor_renders_the_reference_json_and_decodes_into_the_generated_type() {
    for (query, expected) in one_of_each() {
        assert_eq!(query.as_json(), &expected, "{}", query.kind());
        let container: QueryContainer =
            query.clone().into_container().unwrap_or_else(|e| panic!("{}: {e}", query.kind()));
        // Back through the generated type, the kind survives.
        assert_eq!(Query::from(container).kind(), query.kind());
    }
}

#[test]
fn there_is_a_constructor_for_every_query_kind_of_the_schema() {
    let built: BTreeSet<String> = one_of_each().iter().map(|(q, _)| q.kind().to_owned()).collect();
    let listed: BTreeSet<String> = QUERY_KINDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(built, listed);
    assert_eq!(listed.len(), 61);
    let Some(schema) = schema_kinds("QueryContainer") else { return };
    assert_eq!(listed, schema);
}

/// The property names of a container type in the specification, when it is present.
pub fn schema_kinds(container: &str) -> Option<BTreeSet<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/spec/schema.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: no schema at {path}");
        return None;
    };
    let schema: Value = serde_json::from_str(&text).ok()?;
    let ty = schema["types"].as_array()?.iter().find(|t| t["name"]["name"] == container)?;
    Some(
        ty["properties"]
            .as_array()?
            .iter()
            .filter_map(|p| p["name"].as_str())
            .filter(|n| !matches!(*n, "aggregations" | "meta"))
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn short_forms_expand_when_options_are_added() {
    assert_eq!(
        Query::match_("title", "rust").param("operator", "and").into_json(),
        json!({"match": {"title": {"query": "rust", "operator": "and"}}})
    );
    assert_eq!(Query::term("tag", "x").boost(2.0).into_json(), json!({"term": {"tag": {"value": "x", "boost": 2.0}}}));
    assert_eq!(Query::exists("a").name("has_a").into_json(), json!({"exists": {"field": "a", "_name": "has_a"}}));
}

#[test]
fn and_merges_plain_bools_and_wraps_leaves_in_must() {
    let a = Query::term("a", 1);
    let b = Query::term("b", 2);
    let c = Query::term("c", 3);
    assert_eq!(
        (a.clone() & b.clone()).into_json(),
        json!({"bool": {"must": [{"term": {"a": 1}}, {"term": {"b": 2}}]}})
    );
    // A chain stays one flat bool.
    assert_eq!(
        (a.clone() & b.clone() & c.clone()).into_json(),
        json!({"bool": {"must": [{"term": {"a": 1}}, {"term": {"b": 2}}, {"term": {"c": 3}}]}})
    );
    // Filters and must_nots merge clause by clause.
    let f = Query::bool().filter(a.clone()).must_not(b.clone());
    let g = Query::bool().filter(c.clone());
    assert_eq!(
        (f & g).into_json(),
        json!({"bool": {"filter": [{"term": {"a": 1}}, {"term": {"c": 3}}], "must_not": [{"term": {"b": 2}}]}})
    );
    // A bool with should clauses keeps its meaning: it becomes one clause.
    let s = Query::bool().should(a.clone()).should(b.clone());
    assert_eq!(
        (s & c.clone()).into_json(),
        json!({"bool": {"must": [{"bool": {"should": [{"term": {"a": 1}}, {"term": {"b": 2}}]}}, {"term": {"c": 3}}]}})
    );
    // So does a boosted bool.
    let boosted = Query::bool().must(a.clone()).boost(2.0);
    assert_eq!(
        (boosted & c).into_json(),
        json!({"bool": {"must": [{"bool": {"must": [{"term": {"a": 1}}], "boost": 2.0}}, {"term": {"c": 3}}]}})
    );
}

#[test]
fn or_merges_should_only_bools_and_keeps_minimum_should_match() {
    let a = Query::term("a", 1);
    let b = Query::term("b", 2);
    let c = Query::term("c", 3);
    assert_eq!(
        (a.clone() | b.clone() | c.clone()).into_json(),
        json!({"bool": {"should": [{"term": {"a": 1}}, {"term": {"b": 2}}, {"term": {"c": 3}}]}})
    );
    // minimum_should_match 2 is not "any of": that bool stays one clause.
    let two_of = Query::bool().should(a.clone()).should(b.clone()).minimum_should_match(2);
    assert_eq!(
        (two_of | c.clone()).into_json(),
        json!({"bool": {"should": [
            {"bool": {"should": [{"term": {"a": 1}}, {"term": {"b": 2}}], "minimum_should_match": 2}},
            {"term": {"c": 3}}
        ]}})
    );
    // A bool with must clauses is one clause of the or.
    let m = Query::bool().must(a.clone()).should(b.clone());
    assert_eq!(
        (m | c).into_json(),
        json!({"bool": {"should": [
            {"bool": {"must": [{"term": {"a": 1}}], "should": [{"term": {"b": 2}}]}},
            {"term": {"c": 3}}
        ]}})
    );
}

#[test]
fn not_wraps_in_must_not_and_double_negation_cancels() {
    let a = Query::term("a", 1);
    assert_eq!((!a.clone()).into_json(), json!({"bool": {"must_not": [{"term": {"a": 1}}]}}));
    assert_eq!(!!a.clone(), a);
    // not(not a and not b) = a or b
    let n = Query::bool().must_not(Query::term("a", 1)).must_not(Query::term("b", 2));
    assert_eq!((!Query::from(n)).into_json(), json!({"bool": {"should": [{"term": {"a": 1}}, {"term": {"b": 2}}]}}));
    // a & !b merges must_not into the same bool
    assert_eq!(
        (a & !Query::term("b", 2)).into_json(),
        json!({"bool": {"must": [{"term": {"a": 1}}], "must_not": [{"term": {"b": 2}}]}})
    );
    // Builders combine directly.
    assert_eq!(
        (Query::range("age").gte(18) & Query::bool().filter(Query::exists("name"))).into_json(),
        json!({"bool": {"must": [{"range": {"age": {"gte": 18}}}], "filter": [{"exists": {"field": "name"}}]}})
    );
}

#[test]
fn builders_serialize_as_the_query_they_build() {
    let bool_query = Query::bool().must(Query::term("a", 1)).filter(Query::range("year").gte(1960));
    assert_eq!(serde_json::to_value(&bool_query).unwrap(), Query::from(bool_query.clone()).into_json());
    assert_eq!(
        serde_json::json!({ "query": Query::range("year").gte(1960).lt(2000) }),
        serde_json::json!({ "query": { "range": { "year": { "gte": 1960, "lt": 2000 } } } })
    );
}
