//! Queries: one short constructor per query of the specification's
//! `QueryContainer`, the [`Bool`] and [`Range`] builders, and the `&`, `|`,
//! `!` combinators.
//!
//! A [`Query`] holds its wire JSON (`{"term": {"user.id": "kimchy"}}`), not
//! the generated enum: the generated shapes change with the generator while
//! the wire format does not, and the combinators need to look inside bool
//! queries. [`Query::into_container`] turns it into the generated
//! [`QueryContainer`] (the tests check that every constructor's output does),
//! and a `QueryContainer` converts back with `Query::from`.
//!
//! Not here: validating field names or value types against a mapping.

use std::ops::{BitAnd, BitOr, Not};

use elastik_types::types::QueryContainer;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// One query, as its wire JSON: an object with one key, the query's kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Query(Value);

/// Every query kind of the specification's `QueryContainer`, each with a
/// constructor on [`Query`] (`match` is [`Query::match_`], `type` is
/// [`Query::type_`]).
pub const QUERY_KINDS: &[&str] = &[
    "bool",
    "boosting",
    "common",
    "combined_fields",
    "constant_score",
    "dis_max",
    "distance_feature",
    "exists",
    "function_score",
    "fuzzy",
    "geo_bounding_box",
    "geo_distance",
    "geo_grid",
    "geo_polygon",
    "geo_shape",
    "has_child",
    "has_parent",
    "ids",
    "intervals",
    "knn",
    "match",
    "match_all",
    "match_bool_prefix",
    "match_none",
    "match_phrase",
    "match_phrase_prefix",
    "more_like_this",
    "multi_match",
    "nested",
    "parent_id",
    "percolate",
    "pinned",
    "prefix",
    "query_string",
    "range",
    "rank_feature",
    "regexp",
    "rule",
    "script",
    "script_score",
    "semantic",
    "shape",
    "simple_query_string",
    "span_containing",
    "span_field_masking",
    "span_first",
    "span_multi",
    "span_near",
    "span_not",
    "span_or",
    "span_term",
    "span_within",
    "sparse_vector",
    "term",
    "terms",
    "terms_set",
    "text_expansion",
    "weighted_tokens",
    "wildcard",
    "wrapper",
    "type",
];

/// Kinds written `{kind: {field: …}}`, with the key their short form stands
/// for (`None`: no short form).
const FIELD_KEYED: &[(&str, Option<&str>)] = &[
    ("term", Some("value")),
    ("span_term", Some("value")),
    ("prefix", Some("value")),
    ("wildcard", Some("value")),
    ("regexp", Some("value")),
    ("fuzzy", Some("value")),
    ("match", Some("query")),
    ("match_phrase", Some("query")),
    ("match_phrase_prefix", Some("query")),
    ("match_bool_prefix", Some("query")),
    ("common", Some("query")),
    ("range", None),
    ("intervals", None),
    ("terms_set", None),
    ("text_expansion", None),
    ("weighted_tokens", None),
    ("geo_grid", None),
];

impl Query {
    /// Any query from its kind and body, e.g. `Query::raw("match_all", json!({}))`.
    pub fn raw(kind: &str, body: Value) -> Query {
        let mut o = Map::new();
        o.insert(kind.to_owned(), body);
        Query(Value::Object(o))
    }

    /// Any query from its kind and a generated body type, e.g.
    /// `Query::typed("multi_match", &MultiMatchQuery { .. })`.
    pub fn typed<T: Serialize + ?Sized>(kind: &str, body: &T) -> Query {
        Query::raw(kind, to_json(body))
    }

    /// A query from wire JSON already known to be one.
    pub(crate) fn raw_json(v: Value) -> Query {
        Query(v)
    }

    /// The query's kind (`"term"`, `"bool"`, …).
    pub fn kind(&self) -> &str {
        self.0.as_object().and_then(|o| o.keys().next()).map(String::as_str).unwrap_or("")
    }

    /// The query's wire JSON.
    pub fn as_json(&self) -> &Value {
        &self.0
    }

    /// The query's wire JSON, owned.
    pub fn into_json(self) -> Value {
        self.0
    }

    /// The generated [`QueryContainer`]; an error when the generated types
    /// cannot represent this JSON.
    pub fn into_container(self) -> Result<QueryContainer, serde_json::Error> {
        serde_json::from_value(self.0)
    }

    // ----- compound queries -----

    /// `bool`: a [`Bool`] builder.
    pub fn bool() -> Bool {
        Bool::default()
    }

    /// `boosting`: matches `positive`, demotes documents also matching `negative`.
    pub fn boosting(positive: impl Into<Query>, negative: impl Into<Query>, negative_boost: f64) -> Query {
        Query::raw(
            "boosting",
            json!({"positive": positive.into(), "negative": negative.into(), "negative_boost": negative_boost}),
        )
    }

    /// `constant_score`: `filter` with a constant score.
    pub fn constant_score(filter: impl Into<Query>) -> Query {
        Query::raw("constant_score", json!({"filter": filter.into()}))
    }

    /// `dis_max`: the best-scoring of `queries`.
    pub fn dis_max(queries: impl IntoIterator<Item = Query>) -> Query {
        Query::raw("dis_max", json!({"queries": queries.into_iter().collect::<Vec<_>>()}))
    }

    /// `function_score`: `query` rescored by `functions` (the spec's
    /// `FunctionScoreContainer` list, e.g. `[{"weight": 2, "filter": …}]`).
    pub fn function_score(query: impl Into<Query>, functions: impl Serialize) -> Query {
        Query::raw("function_score", json!({"query": query.into(), "functions": to_json(&functions)}))
    }

    /// `script_score`: `query` rescored by a painless `source`.
    pub fn script_score(query: impl Into<Query>, source: &str) -> Query {
        Query::raw("script_score", json!({"query": query.into(), "script": {"source": source}}))
    }

    // ----- full text -----

    /// `match`: full-text match of `query` in `field`.
    pub fn match_(field: &str, query: impl Serialize) -> Query {
        Query::field_keyed("match", field, to_json(&query))
    }

    /// `match_phrase`.
    pub fn match_phrase(field: &str, phrase: &str) -> Query {
        Query::field_keyed("match_phrase", field, json!(phrase))
    }

    /// `match_phrase_prefix`.
    pub fn match_phrase_prefix(field: &str, phrase: &str) -> Query {
        Query::field_keyed("match_phrase_prefix", field, json!(phrase))
    }

    /// `match_bool_prefix`.
    pub fn match_bool_prefix(field: &str, query: &str) -> Query {
        Query::field_keyed("match_bool_prefix", field, json!(query))
    }

    /// `common` (deprecated by the specification).
    pub fn common(field: &str, query: &str) -> Query {
        Query::field_keyed("common", field, json!({"query": query}))
    }

    /// `multi_match`: `query` in several `fields` (`"title^2"` boosts).
    pub fn multi_match<S: AsRef<str>>(query: &str, fields: impl IntoIterator<Item = S>) -> Query {
        Query::raw("multi_match", json!({"query": query, "fields": strings(fields)}))
    }

    /// `combined_fields`.
    pub fn combined_fields<S: AsRef<str>>(query: &str, fields: impl IntoIterator<Item = S>) -> Query {
        Query::raw("combined_fields", json!({"query": query, "fields": strings(fields)}))
    }

    /// `query_string`: Lucene syntax.
    pub fn query_string(query: &str) -> Query {
        Query::raw("query_string", json!({"query": query}))
    }

    /// `simple_query_string`.
    pub fn simple_query_string(query: &str) -> Query {
        Query::raw("simple_query_string", json!({"query": query}))
    }

    /// `intervals`: one interval `rule` (`{"match": {"query": …}}`, `{"any_of": …}`, …) on `field`.
    pub fn intervals(field: &str, rule: impl Serialize) -> Query {
        Query::field_keyed("intervals", field, to_json(&rule))
    }

    // ----- term level -----

    /// `term`: exact `value` in `field`.
    pub fn term(field: &str, value: impl Serialize) -> Query {
        Query::field_keyed("term", field, to_json(&value))
    }

    /// `terms`: any of `values` in `field`.
    pub fn terms<V: Serialize>(field: &str, values: impl IntoIterator<Item = V>) -> Query {
        let values: Vec<Value> = values.into_iter().map(|v| to_json(&v)).collect();
        let mut o = Map::new();
        o.insert(field.to_owned(), Value::Array(values));
        Query::raw("terms", Value::Object(o))
    }

    /// `terms_set`: at least `minimum_should_match` of `terms`.
    pub fn terms_set<V: Serialize>(
        field: &str,
        terms: impl IntoIterator<Item = V>,
        minimum_should_match: impl Serialize,
    ) -> Query {
        let terms: Vec<Value> = terms.into_iter().map(|v| to_json(&v)).collect();
        Query::field_keyed(
            "terms_set",
            field,
            json!({"terms": terms, "minimum_should_match": to_json(&minimum_should_match)}),
        )
    }

    /// `range`: a [`Range`] builder on `field`.
    pub fn range(field: &str) -> Range {
        Range { field: field.to_owned(), params: Map::new() }
    }

    /// `exists`: `field` has a value.
    pub fn exists(field: &str) -> Query {
        Query::raw("exists", json!({"field": field}))
    }

    /// `ids`: documents with these ids.
    pub fn ids<S: AsRef<str>>(ids: impl IntoIterator<Item = S>) -> Query {
        Query::raw("ids", json!({"values": strings(ids)}))
    }

    /// `prefix`.
    pub fn prefix(field: &str, value: &str) -> Query {
        Query::field_keyed("prefix", field, json!(value))
    }

    /// `wildcard` (`*`, `?`).
    pub fn wildcard(field: &str, value: &str) -> Query {
        Query::field_keyed("wildcard", field, json!({"value": value}))
    }

    /// `regexp`.
    pub fn regexp(field: &str, value: &str) -> Query {
        Query::field_keyed("regexp", field, json!({"value": value}))
    }

    /// `fuzzy`.
    pub fn fuzzy(field: &str, value: impl Serialize) -> Query {
        Query::field_keyed("fuzzy", field, json!({"value": to_json(&value)}))
    }

    /// `match_all`.
    pub fn match_all() -> Query {
        Query::raw("match_all", json!({}))
    }

    /// `match_none`.
    pub fn match_none() -> Query {
        Query::raw("match_none", json!({}))
    }

    /// `type` (deprecated by the specification).
    pub fn type_(value: &str) -> Query {
        Query::raw("type", json!({"value": value}))
    }

    /// `wrapper`: a base64-encoded query.
    pub fn wrapper(base64_query: &str) -> Query {
        Query::raw("wrapper", json!({"query": base64_query}))
    }

    // ----- joining -----

    /// `nested`: `query` on the nested objects at `path`.
    pub fn nested(path: &str, query: impl Into<Query>) -> Query {
        Query::raw("nested", json!({"path": path, "query": query.into()}))
    }

    /// `has_child`.
    pub fn has_child(child_type: &str, query: impl Into<Query>) -> Query {
        Query::raw("has_child", json!({"type": child_type, "query": query.into()}))
    }

    /// `has_parent`.
    pub fn has_parent(parent_type: &str, query: impl Into<Query>) -> Query {
        Query::raw("has_parent", json!({"parent_type": parent_type, "query": query.into()}))
    }

    /// `parent_id`.
    pub fn parent_id(child_type: &str, id: &str) -> Query {
        Query::raw("parent_id", json!({"type": child_type, "id": id}))
    }

    // ----- geo and shape -----

    /// `geo_bounding_box`: points of `field` inside the box (points as
    /// `{"lat":…,"lon":…}`, `[lon, lat]`, WKT or geohash).
    pub fn geo_bounding_box(field: &str, top_left: impl Serialize, bottom_right: impl Serialize) -> Query {
        let mut o = Map::new();
        o.insert(field.to_owned(), json!({"top_left": to_json(&top_left), "bottom_right": to_json(&bottom_right)}));
        Query::raw("geo_bounding_box", Value::Object(o))
    }

    /// `geo_distance`: points of `field` within `distance` (`"12km"`) of `point`.
    pub fn geo_distance(field: &str, point: impl Serialize, distance: &str) -> Query {
        let mut o = Map::new();
        o.insert("distance".to_owned(), json!(distance));
        o.insert(field.to_owned(), to_json(&point));
        Query::raw("geo_distance", Value::Object(o))
    }

    /// `geo_grid`: points of `field` in one grid cell; `grid` is `geohash`,
    /// `geotile` or `geohex`.
    pub fn geo_grid(field: &str, grid: &str, cell: &str) -> Query {
        let mut cell_o = Map::new();
        cell_o.insert(grid.to_owned(), json!(cell));
        Query::field_keyed("geo_grid", field, Value::Object(cell_o))
    }

    /// `geo_polygon` (deprecated by the specification).
    pub fn geo_polygon<P: Serialize>(field: &str, points: impl IntoIterator<Item = P>) -> Query {
        let points: Vec<Value> = points.into_iter().map(|p| to_json(&p)).collect();
        let mut o = Map::new();
        o.insert(field.to_owned(), json!({"points": points}));
        Query::raw("geo_polygon", Value::Object(o))
    }

    /// `geo_shape`: `field` relates to `shape` (GeoJSON) by `relation`
    /// (`intersects`, `within`, `disjoint`, `contains`).
    pub fn geo_shape(field: &str, shape: impl Serialize, relation: &str) -> Query {
        let mut o = Map::new();
        o.insert(field.to_owned(), json!({"shape": to_json(&shape), "relation": relation}));
        Query::raw("geo_shape", Value::Object(o))
    }

    /// `shape`: the cartesian counterpart of [`Query::geo_shape`].
    pub fn shape(field: &str, shape: impl Serialize, relation: &str) -> Query {
        let mut o = Map::new();
        o.insert(field.to_owned(), json!({"shape": to_json(&shape), "relation": relation}));
        Query::raw("shape", Value::Object(o))
    }

    // ----- specialized -----

    /// `distance_feature`: boosts documents near `origin` (a date or a point).
    pub fn distance_feature(field: &str, origin: impl Serialize, pivot: &str) -> Query {
        Query::raw("distance_feature", json!({"field": field, "origin": to_json(&origin), "pivot": pivot}))
    }

    /// `more_like_this`: documents like `like` (texts or `{"_index","_id"}` documents).
    pub fn more_like_this<S: AsRef<str>, L: Serialize>(
        fields: impl IntoIterator<Item = S>,
        like: impl IntoIterator<Item = L>,
    ) -> Query {
        let like: Vec<Value> = like.into_iter().map(|l| to_json(&l)).collect();
        Query::raw("more_like_this", json!({"fields": strings(fields), "like": like}))
    }

    /// `percolate`: stored queries in `field` that match `document`.
    pub fn percolate(field: &str, document: impl Serialize) -> Query {
        Query::raw("percolate", json!({"field": field, "document": to_json(&document)}))
    }

    /// `pinned`: `ids` first, then `organic`.
    pub fn pinned<S: AsRef<str>>(ids: impl IntoIterator<Item = S>, organic: impl Into<Query>) -> Query {
        Query::raw("pinned", json!({"ids": strings(ids), "organic": organic.into()}))
    }

    /// `rank_feature`: scores by a `rank_feature` field.
    pub fn rank_feature(field: &str) -> Query {
        Query::raw("rank_feature", json!({"field": field}))
    }

    /// `rule`: query rules of `ruleset_ids` applied to `organic`.
    pub fn rule<S: AsRef<str>>(
        ruleset_ids: impl IntoIterator<Item = S>,
        match_criteria: impl Serialize,
        organic: impl Into<Query>,
    ) -> Query {
        Query::raw(
            "rule",
            json!({"ruleset_ids": strings(ruleset_ids), "match_criteria": to_json(&match_criteria), "organic": organic.into()}),
        )
    }

    /// `script`: a painless filter `source`.
    pub fn script(source: &str) -> Query {
        Query::raw("script", json!({"script": {"source": source}}))
    }

    /// `semantic`: `query` against a `semantic_text` field.
    pub fn semantic(field: &str, query: &str) -> Query {
        Query::raw("semantic", json!({"field": field, "query": query}))
    }

    /// `knn`: the `k`-nearest neighbours of `query_vector` in a dense vector field.
    pub fn knn(field: &str, query_vector: impl IntoIterator<Item = f32>) -> Query {
        let v: Vec<f32> = query_vector.into_iter().collect();
        Query::raw("knn", json!({"field": field, "query_vector": v}))
    }

    /// `sparse_vector`: `query` text expanded by the `inference_id` endpoint.
    pub fn sparse_vector(field: &str, inference_id: &str, query: &str) -> Query {
        Query::raw("sparse_vector", json!({"field": field, "inference_id": inference_id, "query": query}))
    }

    /// `text_expansion` (deprecated by the specification).
    pub fn text_expansion(field: &str, model_id: &str, model_text: &str) -> Query {
        Query::field_keyed("text_expansion", field, json!({"model_id": model_id, "model_text": model_text}))
    }

    /// `weighted_tokens` (deprecated by the specification): `tokens` is a map of token to weight.
    pub fn weighted_tokens(field: &str, tokens: impl Serialize) -> Query {
        Query::field_keyed("weighted_tokens", field, json!({"tokens": to_json(&tokens)}))
    }

    // ----- span -----

    /// `span_term`.
    pub fn span_term(field: &str, value: impl Serialize) -> Query {
        Query::field_keyed("span_term", field, to_json(&value))
    }

    /// `span_containing`: `little` spans inside `big` ones, returning `big`.
    pub fn span_containing(big: impl Into<Query>, little: impl Into<Query>) -> Query {
        Query::raw("span_containing", json!({"big": big.into(), "little": little.into()}))
    }

    /// `span_within`: `little` spans inside `big` ones, returning `little`.
    pub fn span_within(big: impl Into<Query>, little: impl Into<Query>) -> Query {
        Query::raw("span_within", json!({"big": big.into(), "little": little.into()}))
    }

    /// `span_field_masking`.
    pub fn span_field_masking(field: &str, query: impl Into<Query>) -> Query {
        Query::raw("span_field_masking", json!({"field": field, "query": query.into()}))
    }

    /// `span_first`: `match` ending at most at position `end`.
    pub fn span_first(match_: impl Into<Query>, end: i64) -> Query {
        Query::raw("span_first", json!({"match": match_.into(), "end": end}))
    }

    /// `span_multi`: a term-level (`prefix`, `wildcard`, …) query as a span.
    pub fn span_multi(match_: impl Into<Query>) -> Query {
        Query::raw("span_multi", json!({"match": match_.into()}))
    }

    /// `span_near`.
    pub fn span_near(clauses: impl IntoIterator<Item = Query>, slop: i64, in_order: bool) -> Query {
        Query::raw(
            "span_near",
            json!({"clauses": clauses.into_iter().collect::<Vec<_>>(), "slop": slop, "in_order": in_order}),
        )
    }

    /// `span_not`.
    pub fn span_not(include: impl Into<Query>, exclude: impl Into<Query>) -> Query {
        Query::raw("span_not", json!({"include": include.into(), "exclude": exclude.into()}))
    }

    /// `span_or`.
    pub fn span_or(clauses: impl IntoIterator<Item = Query>) -> Query {
        Query::raw("span_or", json!({"clauses": clauses.into_iter().collect::<Vec<_>>()}))
    }

    // ----- options -----

    /// Sets an option of this query: inside the field object for field-keyed
    /// kinds (`term`, `match`, `range`, …; the short form is expanded), on the
    /// query body otherwise.
    pub fn param(mut self, key: &str, value: impl Serialize) -> Query {
        let value = to_json(&value);
        let kind = self.kind().to_owned();
        let short_key = FIELD_KEYED.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s);
        let Some(body) = self.0.get_mut(&kind).and_then(Value::as_object_mut) else {
            return self;
        };
        match short_key {
            Some(short_key) => {
                if let Some((_, inner)) = body.iter_mut().next() {
                    if !inner.is_object() {
                        let short = inner.take();
                        let mut o = Map::new();
                        if let Some(k) = short_key {
                            o.insert(k.to_owned(), short);
                        }
                        *inner = Value::Object(o);
                    }
                    if let Some(o) = inner.as_object_mut() {
                        o.insert(key.to_owned(), value);
                    }
                }
            }
            None => {
                body.insert(key.to_owned(), value);
            }
        }
        self
    }

    /// `boost`.
    pub fn boost(self, boost: f64) -> Query {
        self.param("boost", boost)
    }

    /// `_name`: reported in each hit's `matched_queries`.
    pub fn name(self, name: &str) -> Query {
        self.param("_name", name)
    }

    fn field_keyed(kind: &str, field: &str, value: Value) -> Query {
        let mut o = Map::new();
        o.insert(field.to_owned(), value);
        Query::raw(kind, Value::Object(o))
    }

    /// The bool body when this is a bool query carrying only the given
    /// clause kinds (no boost, name or minimum_should_match unless allowed).
    fn plain_bool(&self, clauses: &[&str], allow_msm_one: bool) -> Option<&Map<String, Value>> {
        let body = self.0.get("bool")?.as_object()?;
        let ok = body.iter().all(|(k, v)| {
            clauses.contains(&k.as_str())
                || (allow_msm_one && k == "minimum_should_match" && (v == &json!(1) || v == &json!("1")))
        });
        ok.then_some(body)
    }
}

impl From<QueryContainer> for Query {
    fn from(q: QueryContainer) -> Self {
        Query(to_json(&q))
    }
}

/// The wire JSON, for APIs that take a query as JSON (the scan helper's
/// `ScanConfig::query(q.into())`, hand-built bodies).
/// A query goes into any body field of type `QueryContainer` (`.query(…)`,
/// `.post_filter(…)`) as its JSON, exactly as built: no conversion through
/// the generated type, so a shape the specification does not model is sent
/// as written.
impl elastik_api::IntoField<QueryContainer> for Query {
    fn into_field(self) -> Result<Value, serde_json::Error> {
        Ok(self.0)
    }
}

impl elastik_api::IntoField<QueryContainer> for &Query {
    fn into_field(self) -> Result<Value, serde_json::Error> {
        Ok(self.0.clone())
    }
}

impl elastik_api::IntoField<QueryContainer> for Bool {
    fn into_field(self) -> Result<Value, serde_json::Error> {
        Ok(Query::from(self).0)
    }
}

impl elastik_api::IntoField<QueryContainer> for Range {
    fn into_field(self) -> Result<Value, serde_json::Error> {
        Ok(Query::from(self).0)
    }
}

impl From<Query> for Value {
    fn from(q: Query) -> Self {
        q.0
    }
}

impl TryFrom<Query> for QueryContainer {
    type Error = serde_json::Error;
    fn try_from(q: Query) -> Result<Self, Self::Error> {
        q.into_container()
    }
}

impl<Q: Into<Query>> BitAnd<Q> for Query {
    type Output = Query;
    /// Both must match. Bool queries made only of `must`/`filter`/`must_not`
    /// merge into one; anything else becomes a `must` clause.
    fn bitand(self, rhs: Q) -> Query {
        const AND: &[&str] = &["must", "filter", "must_not"];
        let rhs = rhs.into();
        let mut out = Bool::default();
        for side in [self, rhs] {
            match side.plain_bool(AND, false) {
                Some(body) => {
                    out.must.extend(clauses(body, "must"));
                    out.filter.extend(clauses(body, "filter"));
                    out.must_not.extend(clauses(body, "must_not"));
                }
                None => out.must.push(side),
            }
        }
        out.into()
    }
}

impl<Q: Into<Query>> BitOr<Q> for Query {
    type Output = Query;
    /// Either matches. Bool queries made only of `should` clauses (with the
    /// default or an explicit `minimum_should_match` of 1) merge into one;
    /// anything else becomes a `should` clause.
    fn bitor(self, rhs: Q) -> Query {
        let rhs = rhs.into();
        let mut out = Bool::default();
        for side in [self, rhs] {
            match side.plain_bool(&["should"], true) {
                Some(body) if body.contains_key("should") => out.should.extend(clauses(body, "should")),
                _ => out.should.push(side),
            }
        }
        out.into()
    }
}

impl Not for Query {
    type Output = Query;
    /// Must not match. `!!q` is `q`; the negation of a bool made only of
    /// `must_not` clauses is the `should` of those clauses.
    fn not(self) -> Query {
        if let Some(body) = self.plain_bool(&["must_not"], false) {
            let mut negated = clauses(body, "must_not");
            if negated.len() == 1 {
                return negated.remove(0);
            }
            if !negated.is_empty() {
                return Bool { should: negated, ..Bool::default() }.into();
            }
        }
        Bool { must_not: vec![self], ..Bool::default() }.into()
    }
}

/// The `bool` query: `must`, `filter`, `should`, `must_not` clauses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bool {
    must: Vec<Query>,
    filter: Vec<Query>,
    should: Vec<Query>,
    must_not: Vec<Query>,
    params: Map<String, Value>,
}

impl Bool {
    /// Adds a scoring clause that must match.
    pub fn must(mut self, q: impl Into<Query>) -> Bool {
        self.must.push(q.into());
        self
    }

    /// Adds a non-scoring clause that must match.
    pub fn filter(mut self, q: impl Into<Query>) -> Bool {
        self.filter.push(q.into());
        self
    }

    /// Adds a clause that should match.
    pub fn should(mut self, q: impl Into<Query>) -> Bool {
        self.should.push(q.into());
        self
    }

    /// Adds a clause that must not match.
    pub fn must_not(mut self, q: impl Into<Query>) -> Bool {
        self.must_not.push(q.into());
        self
    }

    /// `minimum_should_match` (`2`, `"75%"`, …).
    pub fn minimum_should_match(self, v: impl Serialize) -> Bool {
        self.param("minimum_should_match", v)
    }

    /// `boost`.
    pub fn boost(self, boost: f64) -> Bool {
        self.param("boost", boost)
    }

    /// `_name`.
    pub fn name(self, name: &str) -> Bool {
        self.param("_name", name)
    }

    /// Any other option.
    pub fn param(mut self, key: &str, value: impl Serialize) -> Bool {
        self.params.insert(key.to_owned(), to_json(&value));
        self
    }
}

impl From<Bool> for Query {
    fn from(b: Bool) -> Query {
        let mut o = Map::new();
        for (key, list) in [("must", b.must), ("filter", b.filter), ("should", b.should), ("must_not", b.must_not)] {
            if !list.is_empty() {
                o.insert(key.to_owned(), Value::Array(list.into_iter().map(Query::into_json).collect()));
            }
        }
        o.extend(b.params);
        Query::raw("bool", Value::Object(o))
    }
}

/// A builder serializes as the query it builds, so it can go straight into
/// `json!` or a body: `json!({ "query": Query::bool().must(…) })`.
macro_rules! serialize_as_query {
    ($($builder:ty),*) => {$(
        impl Serialize for $builder {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                Query::from(self.clone()).serialize(serializer)
            }
        }
    )*};
}
serialize_as_query!(Bool, Range);

/// The `range` query on one field.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    field: String,
    params: Map<String, Value>,
}

impl Range {
    /// Greater than.
    pub fn gt(self, v: impl Serialize) -> Range {
        self.param("gt", v)
    }

    /// Greater than or equal.
    pub fn gte(self, v: impl Serialize) -> Range {
        self.param("gte", v)
    }

    /// Less than.
    pub fn lt(self, v: impl Serialize) -> Range {
        self.param("lt", v)
    }

    /// Less than or equal.
    pub fn lte(self, v: impl Serialize) -> Range {
        self.param("lte", v)
    }

    /// Date `format` of the bounds.
    pub fn format(self, format: &str) -> Range {
        self.param("format", format)
    }

    /// `time_zone` of date bounds.
    pub fn time_zone(self, tz: &str) -> Range {
        self.param("time_zone", tz)
    }

    /// `relation` for range fields: `INTERSECTS`, `CONTAINS`, `WITHIN`.
    pub fn relation(self, relation: &str) -> Range {
        self.param("relation", relation)
    }

    /// `boost`.
    pub fn boost(self, boost: f64) -> Range {
        self.param("boost", boost)
    }

    /// Any other option.
    pub fn param(mut self, key: &str, value: impl Serialize) -> Range {
        self.params.insert(key.to_owned(), to_json(&value));
        self
    }
}

impl From<Range> for Query {
    fn from(r: Range) -> Query {
        Query::field_keyed("range", &r.field, Value::Object(r.params))
    }
}

macro_rules! builder_ops {
    ($($t:ty),*) => {$(
        impl<Q: Into<Query>> BitAnd<Q> for $t {
            type Output = Query;
            /// As [`Query`]'s `&`.
            fn bitand(self, rhs: Q) -> Query {
                Query::from(self) & rhs
            }
        }
        impl<Q: Into<Query>> BitOr<Q> for $t {
            type Output = Query;
            /// As [`Query`]'s `|`.
            fn bitor(self, rhs: Q) -> Query {
                Query::from(self) | rhs
            }
        }
        impl Not for $t {
            type Output = Query;
            /// As [`Query`]'s `!`.
            fn not(self) -> Query {
                !Query::from(self)
            }
        }
    )*};
}
builder_ops!(Bool, Range);

fn clauses(body: &Map<String, Value>, key: &str) -> Vec<Query> {
    match body.get(key) {
        Some(Value::Array(list)) => list.iter().cloned().map(Query).collect(),
        Some(one @ Value::Object(_)) => vec![Query(one.clone())],
        _ => Vec::new(),
    }
}

fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

/// Serializes a value the DSL was given. Values whose serialization fails
/// (maps with non-string keys) become `null`, which the server rejects with a
/// clear error, rather than a panic here.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
