//! Typed search results: [`SearchResults`] with [`Hit<T>`], and aggregation
//! results read by name from [`Aggregations`].
//!
//! Searches are sent with `typed_keys=true`, so each aggregation result
//! arrives keyed `type#name` (`sterms#by_tag`); the accessors check that type.
//! Results are decoded from the wire JSON rather than through the generated
//! `Aggregate` types because bucket sub-aggregations must survive decoding;
//! [`Aggregations::from_generated`] reads the generated map too.

use std::collections::BTreeMap;
use std::fmt;

use elastik_types::support::TypedMap;
use elastik_types::types::Aggregate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A search response with documents of type `T`.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct SearchResults<T> {
    /// Milliseconds the search took.
    #[serde(default)]
    pub took: i64,
    /// Whether the search timed out.
    #[serde(default)]
    pub timed_out: bool,
    /// The hits.
    #[serde(default = "HitsBlock::empty")]
    pub hits: HitsBlock<T>,
    /// Aggregation results by name.
    #[serde(default)]
    pub aggregations: Aggregations,
    /// Suggestions by suggester name, as sent.
    #[serde(default)]
    pub suggest: Option<Value>,
    /// The point in time id to pass to the next page.
    #[serde(default)]
    pub pit_id: Option<String>,
    /// The scroll id, when scrolling.
    #[serde(default, rename = "_scroll_id")]
    pub scroll_id: Option<String>,
}

impl<T> SearchResults<T> {
    /// The documents of the hits, in order (hits without `_source` are skipped).
    pub fn documents(&self) -> impl Iterator<Item = &T> {
        self.hits.hits.iter().filter_map(|h| h.source.as_ref())
    }

    /// The total hit count, when the server reported one.
    pub fn total(&self) -> Option<u64> {
        self.hits.total.as_ref().map(|t| t.value)
    }
}

/// The `hits` object of a search response.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct HitsBlock<T> {
    /// The total hit count (exact or a lower bound).
    #[serde(default, deserialize_with = "total_hits")]
    pub total: Option<TotalHits>,
    /// The best score.
    #[serde(default)]
    pub max_score: Option<f64>,
    /// This page of hits.
    #[serde(default = "Vec::new")]
    pub hits: Vec<Hit<T>>,
}

impl<T> HitsBlock<T> {
    fn empty() -> Self {
        HitsBlock { total: None, max_score: None, hits: Vec::new() }
    }
}

/// A total hit count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalHits {
    /// The count.
    pub value: u64,
    /// `eq` (exact) or `gte` (a lower bound).
    #[serde(default)]
    pub relation: String,
}

/// One hit with its document decoded as `T`.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct Hit<T> {
    /// The index.
    #[serde(rename = "_index", default)]
    pub index: String,
    /// The document id.
    #[serde(rename = "_id", default)]
    pub id: Option<String>,
    /// The score.
    #[serde(rename = "_score", default)]
    pub score: Option<f64>,
    /// The document.
    #[serde(rename = "_source", default = "Option::default")]
    pub source: Option<T>,
    /// Highlighted fragments by field.
    #[serde(default)]
    pub highlight: BTreeMap<String, Vec<String>>,
    /// Sort values, for `search_after`.
    #[serde(default)]
    pub sort: Option<Vec<Value>>,
    /// Requested `fields`.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
    /// Names of the named queries that matched.
    #[serde(default)]
    pub matched_queries: Option<Value>,
    /// Inner hits by name, as sent.
    #[serde(default)]
    pub inner_hits: BTreeMap<String, Value>,
}

/// Aggregation results by name, as sent with `typed_keys` (`type#name`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Aggregations(pub Map<String, Value>);

/// Why an aggregation result could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum AggregationError {
    /// No aggregation result has this name.
    Missing {
        /// The name asked for.
        name: String,
    },
    /// The result has another type than the accessor reads.
    WrongType {
        /// The name asked for.
        name: String,
        /// The types the accessor reads.
        expected: &'static str,
        /// The `typed_keys` type the server sent (empty without `typed_keys`).
        found: String,
    },
    /// The result does not have the expected shape.
    Decode {
        /// The name asked for.
        name: String,
        /// The decoding error.
        #[allow(missing_docs)]
        source: serde_json::Error,
    },
}

impl fmt::Display for AggregationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AggregationError::Missing { name } => write!(f, "no aggregation result named {name:?}"),
            AggregationError::WrongType { name, expected, found } => {
                write!(f, "aggregation {name:?} is a {found:?}, not one of {expected}")
            }
            AggregationError::Decode { name, source } => write!(f, "cannot decode aggregation {name:?}: {source}"),
        }
    }
}

impl std::error::Error for AggregationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AggregationError::Decode { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<AggregationError> for elastik_proto::Error {
    fn from(e: AggregationError) -> Self {
        elastik_proto::Error::decode(e.to_string(), b"")
    }
}

/// A bucket: its key, document count and sub-aggregations.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// The key (a string, a number, or an object for composite buckets);
    /// `null` for keyed range and filters buckets, whose name is in `name`.
    pub key: Value,
    /// `key_as_string`, for dates and formatted numbers.
    pub key_as_string: Option<String>,
    /// The bucket's name for keyed responses (`filters`, keyed `range`).
    pub name: Option<String>,
    /// Documents in the bucket.
    pub doc_count: u64,
    /// Sub-aggregation results.
    pub aggregations: Aggregations,
    /// Other fields of the bucket (`from`, `to`, `score`, …).
    pub extra: Map<String, Value>,
}

impl Bucket {
    /// The key as a string (`key_as_string` when present).
    pub fn key_str(&self) -> Option<&str> {
        self.key_as_string.as_deref().or_else(|| self.key.as_str()).or(self.name.as_deref())
    }

    /// The key as a number.
    pub fn key_f64(&self) -> Option<f64> {
        self.key.as_f64()
    }
}

/// A terms-like result: `sterms`, `lterms`, `dterms`, rare and significant terms, multi terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Terms {
    /// The buckets.
    pub buckets: Vec<Bucket>,
    /// `doc_count_error_upper_bound`.
    pub doc_count_error_upper_bound: Option<i64>,
    /// `sum_other_doc_count`.
    pub sum_other_doc_count: Option<i64>,
}

/// A multi-bucket result: histograms, ranges, filters, grids, composite.
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets {
    /// The buckets.
    pub buckets: Vec<Bucket>,
    /// `after_key` of a composite aggregation.
    pub after_key: Option<Value>,
}

/// A single-bucket result: `filter`, `global`, `nested`, `missing`, `sampler`, ….
#[derive(Clone, Debug, PartialEq)]
pub struct SingleBucket {
    /// Documents in the bucket.
    pub doc_count: u64,
    /// Sub-aggregation results.
    pub aggregations: Aggregations,
}

/// A `stats` (or `extended_stats`, `stats_bucket`) result.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Stats {
    /// Number of values.
    #[serde(default)]
    pub count: u64,
    /// Minimum (`None` without values).
    pub min: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
    /// Average.
    pub avg: Option<f64>,
    /// Sum.
    #[serde(default)]
    pub sum: f64,
}

const TERMS: &str = "sterms, lterms, dterms, umterms, srareterms, lrareterms, umrareterms, sigsterms, siglterms, umsigterms, multi_terms";
const MULTI: &str = "histogram, date_histogram, auto_date_histogram, variable_width_histogram, range, date_range, geo_distance, ip_range, ip_prefix, filters, adjacency_matrix, geohash_grid, geotile_grid, geohex_grid, composite, time_series, frequent_item_sets";
const SINGLE: &str =
    "filter, global, nested, reverse_nested, missing, children, parent, sampler, unmapped_sampler, random_sampler";
const VALUE: &str = "avg, sum, min, max, cardinality, value_count, weighted_avg, median_absolute_deviation, rate, derivative, simple_value, simple_long_value, bucket_metric_value, cumulative_sum";
const STATS: &str = "stats, extended_stats, stats_bucket, extended_stats_bucket";
const PERCENTILES: &str =
    "tdigest_percentiles, hdr_percentiles, tdigest_percentile_ranks, hdr_percentile_ranks, percentiles_bucket";

impl Aggregations {
    /// Reads the generated `aggregations` map of a generated search response.
    pub fn from_generated(map: &TypedMap<Aggregate>) -> Aggregations {
        match serde_json::to_value(map) {
            Ok(Value::Object(o)) => Aggregations(o),
            _ => Aggregations::default(),
        }
    }

    /// The `typed_keys` type and the JSON of the result named `name`.
    pub fn get(&self, name: &str) -> Option<(&str, &Value)> {
        if let Some(v) = self.0.get(name) {
            return Some(("", v));
        }
        self.0.iter().find_map(|(k, v)| match k.split_once('#') {
            Some((ty, n)) if n == name => Some((ty, v)),
            _ => None,
        })
    }

    /// The names of the results.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(|k| k.split_once('#').map_or(k.as_str(), |(_, n)| n))
    }

    /// Decodes the result named `name` into any type, e.g. a generated
    /// `elastik_types::types::StatsAggregate`.
    pub fn decode<A: DeserializeOwned>(&self, name: &str) -> Result<A, AggregationError> {
        let (_, v) = self.get(name).ok_or_else(|| missing(name))?;
        serde_json::from_value(v.clone()).map_err(|source| AggregationError::Decode { name: name.to_owned(), source })
    }

    /// A terms-like result.
    pub fn terms(&self, name: &str) -> Result<Terms, AggregationError> {
        let body = self.typed(name, TERMS)?;
        Ok(Terms {
            buckets: buckets(body.get("buckets")),
            doc_count_error_upper_bound: body.get("doc_count_error_upper_bound").and_then(Value::as_i64),
            sum_other_doc_count: body.get("sum_other_doc_count").and_then(Value::as_i64),
        })
    }

    /// A multi-bucket result (histograms, ranges, filters, grids, composite).
    pub fn buckets(&self, name: &str) -> Result<Buckets, AggregationError> {
        let body = self.typed(name, MULTI)?;
        Ok(Buckets { buckets: buckets(body.get("buckets")), after_key: body.get("after_key").cloned() })
    }

    /// A `histogram` result (as [`Aggregations::buckets`]).
    pub fn histogram(&self, name: &str) -> Result<Buckets, AggregationError> {
        self.buckets(name)
    }

    /// A `date_histogram` result (as [`Aggregations::buckets`]).
    pub fn date_histogram(&self, name: &str) -> Result<Buckets, AggregationError> {
        self.buckets(name)
    }

    /// A single-bucket result.
    pub fn single_bucket(&self, name: &str) -> Result<SingleBucket, AggregationError> {
        let body = self.typed(name, SINGLE)?;
        let (doc_count, aggregations, _) = split_bucket(body);
        Ok(SingleBucket { doc_count, aggregations })
    }

    /// A single-value metric (`avg`, `sum`, `min`, `max`, `cardinality`,
    /// `value_count`, pipelines' `value`, …); `None` when there was no value.
    pub fn value(&self, name: &str) -> Result<Option<f64>, AggregationError> {
        let body = self.typed(name, VALUE)?;
        Ok(body.get("value").and_then(Value::as_f64))
    }

    /// A `stats`-like result.
    pub fn stats(&self, name: &str) -> Result<Stats, AggregationError> {
        let body = self.typed(name, STATS)?;
        serde_json::from_value(body.clone())
            .map_err(|source| AggregationError::Decode { name: name.to_owned(), source })
    }

    /// A percentiles-like result as `(percent or value, result)` pairs, keyed or not.
    pub fn percentiles(&self, name: &str) -> Result<Vec<(f64, Option<f64>)>, AggregationError> {
        let body = self.typed(name, PERCENTILES)?;
        Ok(match body.get("values") {
            Some(Value::Object(o)) => o.iter().filter_map(|(k, v)| Some((k.parse().ok()?, v.as_f64()))).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|i| Some((i.get("key")?.as_f64()?, i.get("value").and_then(Value::as_f64))))
                .collect(),
            _ => Vec::new(),
        })
    }

    /// A `top_hits` result with documents decoded as `T`.
    pub fn top_hits<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<Hit<T>>, AggregationError> {
        let body = self.typed(name, "top_hits")?;
        let hits = body.get("hits").and_then(|h| h.get("hits")).cloned().unwrap_or(Value::Array(Vec::new()));
        serde_json::from_value(hits).map_err(|source| AggregationError::Decode { name: name.to_owned(), source })
    }

    fn typed(&self, name: &str, expected: &'static str) -> Result<&Value, AggregationError> {
        let (ty, v) = self.get(name).ok_or_else(|| missing(name))?;
        // Without typed_keys there is no type to check.
        if ty.is_empty() || expected.split(", ").any(|e| e == ty) {
            Ok(v)
        } else {
            Err(AggregationError::WrongType { name: name.to_owned(), expected, found: ty.to_owned() })
        }
    }
}

fn missing(name: &str) -> AggregationError {
    AggregationError::Missing { name: name.to_owned() }
}

/// Buckets as an array or, for keyed responses, an object by name.
fn buckets(v: Option<&Value>) -> Vec<Bucket> {
    match v {
        Some(Value::Array(items)) => items.iter().map(|b| bucket(b, None)).collect(),
        Some(Value::Object(o)) => o.iter().map(|(k, b)| bucket(b, Some(k.clone()))).collect(),
        _ => Vec::new(),
    }
}

fn bucket(v: &Value, name: Option<String>) -> Bucket {
    let (doc_count, aggregations, mut extra) = split_bucket(v);
    let key = extra.remove("key").unwrap_or(Value::Null);
    let key_as_string = extra.remove("key_as_string").and_then(|k| k.as_str().map(str::to_owned));
    Bucket { key, key_as_string, name, doc_count, aggregations, extra }
}

/// Splits a bucket object into its count, its typed-key sub-aggregations and the rest.
fn split_bucket(v: &Value) -> (u64, Aggregations, Map<String, Value>) {
    let mut subs = Map::new();
    let mut rest = Map::new();
    let mut doc_count = 0;
    if let Some(o) = v.as_object() {
        for (k, v) in o {
            if k == "doc_count" {
                doc_count = v.as_u64().unwrap_or(0);
            } else if k.contains('#') && v.is_object() {
                subs.insert(k.clone(), v.clone());
            } else {
                rest.insert(k.clone(), v.clone());
            }
        }
    }
    (doc_count, Aggregations(subs), rest)
}

/// `hits.total`: an object, or a number with `rest_total_hits_as_int`.
fn total_hits<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<TotalHits>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_u64().map(|value| TotalHits { value, relation: "eq".to_owned() }),
        Some(v @ Value::Object(_)) => serde_json::from_value(v).ok(),
        _ => None,
    })
}
