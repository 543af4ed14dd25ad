//! Aggregations: one constructor per aggregation of the specification's
//! `AggregationContainer`, options, and nesting.
//!
//! Like [`Query`], an [`Aggregation`] holds wire JSON and converts into the
//! generated [`AggregationContainer`] with [`Aggregation::into_container`].
//! Reading results is [`crate::results`].

use std::collections::BTreeMap;

use elastik_types::types::AggregationContainer;
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::query::{to_json, Query};

/// Every aggregation of the specification's `AggregationContainer`, each with
/// a constructor on [`Aggregation`] (`filter` is [`Aggregation::filter`], …).
pub const AGGREGATION_KINDS: &[&str] = &[
    "adjacency_matrix",
    "auto_date_histogram",
    "avg",
    "avg_bucket",
    "boxplot",
    "bucket_script",
    "bucket_selector",
    "bucket_sort",
    "bucket_count_ks_test",
    "bucket_correlation",
    "cardinality",
    "cartesian_bounds",
    "cartesian_centroid",
    "categorize_text",
    "change_point",
    "children",
    "composite",
    "cumulative_cardinality",
    "cumulative_sum",
    "date_histogram",
    "date_range",
    "derivative",
    "diversified_sampler",
    "extended_stats",
    "extended_stats_bucket",
    "frequent_item_sets",
    "filter",
    "filters",
    "geo_bounds",
    "geo_centroid",
    "geo_distance",
    "geohash_grid",
    "geo_line",
    "geotile_grid",
    "geohex_grid",
    "global",
    "histogram",
    "ip_range",
    "ip_prefix",
    "inference",
    "line",
    "matrix_stats",
    "max",
    "max_bucket",
    "median_absolute_deviation",
    "min",
    "min_bucket",
    "missing",
    "moving_avg",
    "moving_percentiles",
    "moving_fn",
    "multi_terms",
    "nested",
    "normalize",
    "parent",
    "percentile_ranks",
    "percentiles",
    "percentiles_bucket",
    "range",
    "rare_terms",
    "rate",
    "reverse_nested",
    "random_sampler",
    "sampler",
    "scripted_metric",
    "serial_diff",
    "significant_terms",
    "significant_text",
    "stats",
    "stats_bucket",
    "string_stats",
    "sum",
    "sum_bucket",
    "terms",
    "time_series",
    "top_hits",
    "t_test",
    "top_metrics",
    "value_count",
    "weighted_avg",
    "variable_width_histogram",
];

/// One aggregation: its kind, body, sub-aggregations and `meta`.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregation {
    kind: String,
    body: Value,
    aggs: BTreeMap<String, Aggregation>,
    meta: Option<Value>,
}

/// Declares constructors taking only a `field`.
macro_rules! field_aggs {
    ($($(#[$doc:meta])* $name:ident => $kind:literal;)*) => {$(
        $(#[$doc])*
        pub fn $name(field: &str) -> Aggregation {
            Aggregation::raw($kind, json!({"field": field}))
        }
    )*};
}

/// Declares pipeline constructors taking a `buckets_path`.
macro_rules! pipeline_aggs {
    ($($(#[$doc:meta])* $name:ident => $kind:literal;)*) => {$(
        $(#[$doc])*
        pub fn $name(buckets_path: impl Serialize) -> Aggregation {
            Aggregation::raw($kind, json!({"buckets_path": to_json(&buckets_path)}))
        }
    )*};
}

impl Aggregation {
    /// Any aggregation from its kind and body.
    pub fn raw(kind: &str, body: Value) -> Aggregation {
        Aggregation { kind: kind.to_owned(), body, aggs: BTreeMap::new(), meta: None }
    }

    /// Any aggregation from its kind and a generated body type, e.g.
    /// `Aggregation::typed("terms", &TermsAggregation { .. })`.
    pub fn typed<T: Serialize + ?Sized>(kind: &str, body: &T) -> Aggregation {
        Aggregation::raw(kind, to_json(body))
    }

    /// The aggregation's kind (`"terms"`, …).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The wire JSON: `{kind: body, "aggs": {…}, "meta": …}`.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert(self.kind.clone(), self.body.clone());
        if !self.aggs.is_empty() {
            let subs = self.aggs.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
            o.insert("aggs".to_owned(), Value::Object(subs));
        }
        if let Some(meta) = &self.meta {
            o.insert("meta".to_owned(), meta.clone());
        }
        Value::Object(o)
    }

    /// The generated [`AggregationContainer`]; an error when the generated
    /// types cannot represent this JSON.
    pub fn into_container(self) -> Result<AggregationContainer, serde_json::Error> {
        serde_json::from_value(self.to_json())
    }

    /// Adds a sub-aggregation named `name`.
    pub fn agg(mut self, name: &str, sub: Aggregation) -> Aggregation {
        self.aggs.insert(name.to_owned(), sub);
        self
    }

    /// Sets `meta`, returned as is with the result.
    pub fn meta(mut self, meta: impl Serialize) -> Aggregation {
        self.meta = Some(to_json(&meta));
        self
    }

    /// Sets an option of the aggregation body (`size`, `order`, `format`, `missing`, …).
    pub fn param(mut self, key: &str, value: impl Serialize) -> Aggregation {
        if !self.body.is_object() {
            self.body = Value::Object(Map::new());
        }
        if let Some(o) = self.body.as_object_mut() {
            o.insert(key.to_owned(), to_json(&value));
        }
        self
    }

    /// `size`.
    pub fn size(self, size: i64) -> Aggregation {
        self.param("size", size)
    }

    /// `order`, e.g. `json!({"_count": "desc"})`.
    pub fn order(self, order: impl Serialize) -> Aggregation {
        self.param("order", order)
    }

    /// `format` of keys or values.
    pub fn format(self, format: &str) -> Aggregation {
        self.param("format", format)
    }

    /// `missing`: the value for documents without one.
    pub fn missing_value(self, value: impl Serialize) -> Aggregation {
        self.param("missing", value)
    }

    /// `script`: a painless `source` instead of (or on) the field.
    pub fn script(self, source: &str) -> Aggregation {
        self.param("script", json!({"source": source}))
    }

    // ----- metrics -----

    field_aggs! {
        /// `avg`.
        avg => "avg";
        /// `sum`.
        sum => "sum";
        /// `min`.
        min => "min";
        /// `max`.
        max => "max";
        /// `cardinality`: approximate distinct count.
        cardinality => "cardinality";
        /// `value_count`.
        value_count => "value_count";
        /// `stats`: count, min, max, avg, sum.
        stats => "stats";
        /// `extended_stats`.
        extended_stats => "extended_stats";
        /// `percentiles`.
        percentiles => "percentiles";
        /// `median_absolute_deviation`.
        median_absolute_deviation => "median_absolute_deviation";
        /// `boxplot`.
        boxplot => "boxplot";
        /// `string_stats`.
        string_stats => "string_stats";
        /// `geo_bounds`.
        geo_bounds => "geo_bounds";
        /// `geo_centroid`.
        geo_centroid => "geo_centroid";
        /// `cartesian_bounds`.
        cartesian_bounds => "cartesian_bounds";
        /// `cartesian_centroid`.
        cartesian_centroid => "cartesian_centroid";
        /// `rate` of a field per date-histogram bucket (`unit` via [`Aggregation::param`]).
        rate => "rate";
        /// `missing`: a bucket of documents without `field`.
        missing => "missing";
        /// `terms`: one bucket per term.
        terms => "terms";
        /// `rare_terms`.
        rare_terms => "rare_terms";
        /// `significant_terms`.
        significant_terms => "significant_terms";
        /// `significant_text`.
        significant_text => "significant_text";
        /// `auto_date_histogram` (`buckets` via [`Aggregation::param`]).
        auto_date_histogram => "auto_date_histogram";
        /// `variable_width_histogram` (`buckets` via [`Aggregation::param`]).
        variable_width_histogram => "variable_width_histogram";
        /// `diversified_sampler`.
        diversified_sampler => "diversified_sampler";
        /// `categorize_text`.
        categorize_text => "categorize_text";
        /// `geohash_grid`.
        geohash_grid => "geohash_grid";
        /// `geotile_grid`.
        geotile_grid => "geotile_grid";
        /// `geohex_grid`.
        geohex_grid => "geohex_grid";
    }

    /// `percentile_ranks` of `values`.
    pub fn percentile_ranks(field: &str, values: impl IntoIterator<Item = f64>) -> Aggregation {
        Aggregation::raw("percentile_ranks", json!({"field": field, "values": values.into_iter().collect::<Vec<_>>()}))
    }

    /// `weighted_avg` of `value_field` weighted by `weight_field`.
    pub fn weighted_avg(value_field: &str, weight_field: &str) -> Aggregation {
        Aggregation::raw("weighted_avg", json!({"value": {"field": value_field}, "weight": {"field": weight_field}}))
    }

    /// `matrix_stats` over several fields.
    pub fn matrix_stats<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> Aggregation {
        Aggregation::raw("matrix_stats", json!({"fields": strings(fields)}))
    }

    /// `t_test` between fields `a` and `b`; `kind` is `paired`, `homoscedastic` or `heteroscedastic`.
    pub fn t_test(a: &str, b: &str, kind: &str) -> Aggregation {
        Aggregation::raw("t_test", json!({"a": {"field": a}, "b": {"field": b}, "type": kind}))
    }

    /// `top_hits`: the best `size` documents of each bucket.
    pub fn top_hits(size: i64) -> Aggregation {
        Aggregation::raw("top_hits", json!({"size": size}))
    }

    /// `top_metrics`: `metric_field` of the top document by `sort`.
    pub fn top_metrics(metric_field: &str, sort: impl Serialize) -> Aggregation {
        Aggregation::raw("top_metrics", json!({"metrics": {"field": metric_field}, "sort": to_json(&sort)}))
    }

    /// `scripted_metric` from its four painless scripts' sources.
    pub fn scripted_metric(init: &str, map: &str, combine: &str, reduce: &str) -> Aggregation {
        Aggregation::raw(
            "scripted_metric",
            json!({"init_script": init, "map_script": map, "combine_script": combine, "reduce_script": reduce}),
        )
    }

    /// `geo_line`: a line through `point_field` ordered by `sort_field`.
    pub fn geo_line(point_field: &str, sort_field: &str) -> Aggregation {
        Aggregation::raw("geo_line", json!({"point": {"field": point_field}, "sort": {"field": sort_field}}))
    }

    /// `line`: the specification's alias of [`Aggregation::geo_line`].
    pub fn line(point_field: &str, sort_field: &str) -> Aggregation {
        Aggregation::raw("line", json!({"point": {"field": point_field}, "sort": {"field": sort_field}}))
    }

    /// `inference`: a trained model's inference on each bucket.
    pub fn inference(model_id: &str, buckets_path: impl Serialize) -> Aggregation {
        Aggregation::raw("inference", json!({"model_id": model_id, "buckets_path": to_json(&buckets_path)}))
    }

    // ----- buckets -----

    /// `histogram` with a fixed numeric `interval`.
    pub fn histogram(field: &str, interval: f64) -> Aggregation {
        Aggregation::raw("histogram", json!({"field": field, "interval": interval}))
    }

    /// `date_histogram` with a `calendar_interval` (`"month"`, `"1d"`, …).
    pub fn date_histogram(field: &str, calendar_interval: &str) -> Aggregation {
        Aggregation::raw("date_histogram", json!({"field": field, "calendar_interval": calendar_interval}))
    }

    /// `range`: `ranges` as `{"to": …}`, `{"from": …, "to": …}`, `{"from": …}`.
    pub fn range<R: Serialize>(field: &str, ranges: impl IntoIterator<Item = R>) -> Aggregation {
        Aggregation::raw("range", json!({"field": field, "ranges": list(ranges)}))
    }

    /// `date_range`.
    pub fn date_range<R: Serialize>(field: &str, ranges: impl IntoIterator<Item = R>) -> Aggregation {
        Aggregation::raw("date_range", json!({"field": field, "ranges": list(ranges)}))
    }

    /// `ip_range`.
    pub fn ip_range<R: Serialize>(field: &str, ranges: impl IntoIterator<Item = R>) -> Aggregation {
        Aggregation::raw("ip_range", json!({"field": field, "ranges": list(ranges)}))
    }

    /// `ip_prefix` with a `prefix_length`.
    pub fn ip_prefix(field: &str, prefix_length: i64) -> Aggregation {
        Aggregation::raw("ip_prefix", json!({"field": field, "prefix_length": prefix_length}))
    }

    /// `geo_distance`: rings around `origin`.
    pub fn geo_distance<R: Serialize>(
        field: &str,
        origin: impl Serialize,
        ranges: impl IntoIterator<Item = R>,
    ) -> Aggregation {
        Aggregation::raw("geo_distance", json!({"field": field, "origin": to_json(&origin), "ranges": list(ranges)}))
    }

    /// `filter`: one bucket of documents matching `query`.
    pub fn filter(query: impl Into<Query>) -> Aggregation {
        Aggregation::raw("filter", query.into().into_json())
    }

    /// `filters`: one bucket per named query.
    pub fn filters<S: AsRef<str>, Q: Into<Query>>(filters: impl IntoIterator<Item = (S, Q)>) -> Aggregation {
        Aggregation::raw("filters", json!({"filters": named(filters)}))
    }

    /// `adjacency_matrix`: buckets for each named query and each intersection.
    pub fn adjacency_matrix<S: AsRef<str>, Q: Into<Query>>(filters: impl IntoIterator<Item = (S, Q)>) -> Aggregation {
        Aggregation::raw("adjacency_matrix", json!({"filters": named(filters)}))
    }

    /// `global`: all documents of the indices, ignoring the query.
    pub fn global() -> Aggregation {
        Aggregation::raw("global", json!({}))
    }

    /// `nested`: the nested objects at `path`.
    pub fn nested(path: &str) -> Aggregation {
        Aggregation::raw("nested", json!({"path": path}))
    }

    /// `reverse_nested`: back to the root (or to `path` with [`Aggregation::param`]).
    pub fn reverse_nested() -> Aggregation {
        Aggregation::raw("reverse_nested", json!({}))
    }

    /// `children` of a join field.
    pub fn children(child_type: &str) -> Aggregation {
        Aggregation::raw("children", json!({"type": child_type}))
    }

    /// `parent` of a join field.
    pub fn parent(child_type: &str) -> Aggregation {
        Aggregation::raw("parent", json!({"type": child_type}))
    }

    /// `sampler`: the top `shard_size` documents of each shard.
    pub fn sampler(shard_size: i64) -> Aggregation {
        Aggregation::raw("sampler", json!({"shard_size": shard_size}))
    }

    /// `random_sampler` with a `probability`.
    pub fn random_sampler(probability: f64) -> Aggregation {
        Aggregation::raw("random_sampler", json!({"probability": probability}))
    }

    /// `composite`: paginated buckets over named `sources`, each a
    /// `{"terms": {"field": …}}`-like value.
    pub fn composite<S: AsRef<str>, V: Serialize>(sources: impl IntoIterator<Item = (S, V)>) -> Aggregation {
        let sources: Vec<Value> = sources
            .into_iter()
            .map(|(name, v)| {
                let mut o = Map::new();
                o.insert(name.as_ref().to_owned(), to_json(&v));
                Value::Object(o)
            })
            .collect();
        Aggregation::raw("composite", json!({"sources": sources}))
    }

    /// `multi_terms` over several fields.
    pub fn multi_terms<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> Aggregation {
        let terms: Vec<Value> = fields.into_iter().map(|f| json!({"field": f.as_ref()})).collect();
        Aggregation::raw("multi_terms", json!({"terms": terms}))
    }

    /// `frequent_item_sets` over several fields.
    pub fn frequent_item_sets<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> Aggregation {
        let fields: Vec<Value> = fields.into_iter().map(|f| json!({"field": f.as_ref()})).collect();
        Aggregation::raw("frequent_item_sets", json!({"fields": fields}))
    }

    /// `time_series`: one bucket per time series of a TSDS.
    pub fn time_series() -> Aggregation {
        Aggregation::raw("time_series", json!({}))
    }

    // ----- pipelines -----

    pipeline_aggs! {
        /// `avg_bucket`.
        avg_bucket => "avg_bucket";
        /// `max_bucket`.
        max_bucket => "max_bucket";
        /// `min_bucket`.
        min_bucket => "min_bucket";
        /// `sum_bucket`.
        sum_bucket => "sum_bucket";
        /// `stats_bucket`.
        stats_bucket => "stats_bucket";
        /// `extended_stats_bucket`.
        extended_stats_bucket => "extended_stats_bucket";
        /// `percentiles_bucket`.
        percentiles_bucket => "percentiles_bucket";
        /// `cumulative_sum`.
        cumulative_sum => "cumulative_sum";
        /// `cumulative_cardinality`.
        cumulative_cardinality => "cumulative_cardinality";
        /// `derivative`.
        derivative => "derivative";
        /// `serial_diff` (`lag` via [`Aggregation::param`]).
        serial_diff => "serial_diff";
        /// `moving_avg` (removed from Elasticsearch 8; kept by the specification).
        moving_avg => "moving_avg";
        /// `normalize` (`method` via [`Aggregation::param`]).
        normalize => "normalize";
        /// `bucket_count_ks_test`.
        bucket_count_ks_test => "bucket_count_ks_test";
        /// `change_point`.
        change_point => "change_point";
    }

    /// `moving_fn`: `script` over a `window` of buckets.
    pub fn moving_fn(buckets_path: &str, window: i64, script: &str) -> Aggregation {
        Aggregation::raw("moving_fn", json!({"buckets_path": buckets_path, "window": window, "script": script}))
    }

    /// `moving_percentiles` over a `window`.
    pub fn moving_percentiles(buckets_path: &str, window: i64) -> Aggregation {
        Aggregation::raw("moving_percentiles", json!({"buckets_path": buckets_path, "window": window}))
    }

    /// `bucket_script`: `script` over named `buckets_path` variables.
    pub fn bucket_script(buckets_path: impl Serialize, script: &str) -> Aggregation {
        Aggregation::raw("bucket_script", json!({"buckets_path": to_json(&buckets_path), "script": script}))
    }

    /// `bucket_selector`: keeps buckets for which `script` is true.
    pub fn bucket_selector(buckets_path: impl Serialize, script: &str) -> Aggregation {
        Aggregation::raw("bucket_selector", json!({"buckets_path": to_json(&buckets_path), "script": script}))
    }

    /// `bucket_sort`: sorts (and truncates with `size`/`from`) the parent's buckets.
    pub fn bucket_sort(sort: impl Serialize) -> Aggregation {
        Aggregation::raw("bucket_sort", json!({"sort": to_json(&sort)}))
    }

    /// `bucket_correlation` against an `indicator` (`{"expectations": […], …}`).
    pub fn bucket_correlation(buckets_path: &str, indicator: impl Serialize) -> Aggregation {
        Aggregation::raw(
            "bucket_correlation",
            json!({"buckets_path": buckets_path, "function": {"count_correlation": {"indicator": to_json(&indicator)}}}),
        )
    }
}

impl Serialize for Aggregation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// An aggregation goes into any body field of type `AggregationContainer`
/// (`.aggregation("name", …)`) as its JSON, exactly as built.
impl elastik_api::IntoField<AggregationContainer> for Aggregation {
    fn into_field(self) -> Result<Value, serde_json::Error> {
        Ok(self.to_json())
    }
}

impl elastik_api::IntoField<AggregationContainer> for &Aggregation {
    fn into_field(self) -> Result<Value, serde_json::Error> {
        Ok(self.to_json())
    }
}

impl From<AggregationContainer> for Aggregation {
    /// Reads a generated container back; its first kind key is the kind.
    fn from(c: AggregationContainer) -> Self {
        let mut o = match to_json(&c) {
            Value::Object(o) => o,
            _ => Map::new(),
        };
        let subs = o.remove("aggs").or_else(|| o.remove("aggregations"));
        let meta = o.remove("meta");
        let (kind, body) = o.into_iter().next().unwrap_or_else(|| (String::new(), Value::Null));
        let mut agg = Aggregation::raw(&kind, body);
        agg.meta = meta;
        if let Some(Value::Object(subs)) = subs {
            for (name, sub) in subs {
                if let Ok(c) = serde_json::from_value::<AggregationContainer>(sub) {
                    agg.aggs.insert(name, Aggregation::from(c));
                }
            }
        }
        agg
    }
}

impl TryFrom<Aggregation> for AggregationContainer {
    type Error = serde_json::Error;
    fn try_from(a: Aggregation) -> Result<Self, Self::Error> {
        a.into_container()
    }
}

fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

fn list<R: Serialize>(items: impl IntoIterator<Item = R>) -> Vec<Value> {
    items.into_iter().map(|r| to_json(&r)).collect()
}

fn named<S: AsRef<str>, Q: Into<Query>>(filters: impl IntoIterator<Item = (S, Q)>) -> Map<String, Value> {
    filters.into_iter().map(|(k, q)| (k.as_ref().to_owned(), q.into().into_json())).collect()
}
