//! Hand-written accessors for reading common answers without matching on
//! unions or unwrapping options: [`HitsMetadata::total_value`], a hit's
//! [`Hit::id`] and [`Hit::source`], the `failures()` of the by-query
//! answers, and [`OrEmpty`] for any other list a server may leave out.
//!
//! Decoding is unchanged: these read the fields the generated types already
//! hold, so a field a server omits still decodes (to `None`) and reads as
//! absent or empty here.

use crate::global::{Hit, HitsMetadata, HitsMetadataTotal, TotalHitsRelation};

impl<T> HitsMetadata<T> {
    /// The number of matching documents, whichever way the server wrote it
    /// (`"total": 70` or `"total": {"value": 70, "relation": "eq"}`);
    /// `None` when it left it out (`track_total_hits: false`). A lower bound
    /// when [`HitsMetadata::total_is_lower_bound`].
    pub fn total_value(&self) -> Option<u64> {
        match self.total.as_ref()? {
            HitsMetadataTotal::Long(n) => u64::try_from(*n).ok(),
            HitsMetadataTotal::TotalHits(t) => u64::try_from(t.value).ok(),
            HitsMetadataTotal::Other(v) => v.as_u64().or_else(|| v.get("value").and_then(|n| n.as_u64())),
        }
    }

    /// Whether the total only says "at least" (`"relation": "gte"`).
    pub fn total_is_lower_bound(&self) -> bool {
        match &self.total {
            Some(HitsMetadataTotal::TotalHits(t)) => matches!(t.relation, Some(TotalHitsRelation::Gte)),
            Some(HitsMetadataTotal::Other(v)) => v.get("relation").and_then(|r| r.as_str()) == Some("gte"),
            _ => false,
        }
    }
}

impl<T> Hit<T> {
    /// The document's `_id` (absent only for hits of some special searches).
    pub fn id(&self) -> Option<&str> {
        self._id.as_deref()
    }

    /// The index the hit comes from (`_index`).
    pub fn index(&self) -> &str {
        &self._index
    }

    /// The typed document (`_source`); `None` when the search left it out.
    pub fn source(&self) -> Option<&T> {
        self._source.as_ref()
    }

    /// The typed document, owned.
    pub fn into_source(self) -> Option<T> {
        self._source
    }

    /// The hit's `_score`, when the server computed one.
    pub fn score(&self) -> Option<f64> {
        self._score
    }
}

/// Declares `failures()` on answers whose `failures` list a server may leave out.
macro_rules! failures {
    ($($ty:ty => $item:ty),* $(,)?) => {$(
        impl $ty {
            /// The `failures` list; empty when the server left it out.
            pub fn failures(&self) -> &[$item] {
                self.failures.or_empty()
            }
        }
    )*};
}

failures!(
    crate::global::ReindexResponse => crate::types::BulkIndexByScrollFailure,
    crate::global::UpdateByQueryResponse => crate::types::BulkIndexByScrollFailure,
    crate::global::DeleteByQueryResponse => crate::types::BulkIndexByScrollFailure,
);

/// Any list a server may leave out, read as a slice: `resp.node_failures.or_empty().len()`.
pub trait OrEmpty<T> {
    /// The items, or none when the list is absent.
    fn or_empty(&self) -> &[T];
}

impl<T> OrEmpty<T> for Option<Vec<T>> {
    fn or_empty(&self) -> &[T] {
        self.as_deref().unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::global::{ReindexResponse, SearchResponse};

    #[test]
    fn the_total_reads_the_same_in_both_shapes_and_is_none_when_absent() {
        let long: SearchResponse = serde_json::from_str(r#"{"hits": {"total": 70, "hits": []}}"#).unwrap();
        assert_eq!(long.hits.total_value(), Some(70));
        let object: SearchResponse =
            serde_json::from_str(r#"{"hits": {"total": {"value": 10000, "relation": "gte"}, "hits": []}}"#).unwrap();
        assert_eq!(object.hits.total_value(), Some(10_000));
        assert!(object.hits.total_is_lower_bound());
        let none: SearchResponse = serde_json::from_str(r#"{"hits": {"hits": []}}"#).unwrap();
        assert_eq!(none.hits.total_value(), None);
        assert!(!none.hits.total_is_lower_bound());
    }

    #[test]
    fn a_hit_reads_its_id_index_and_typed_source() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Doc {
            n: u32,
        }
        let resp: SearchResponse<Doc> = serde_json::from_str(
            r#"{"hits": {"hits": [{"_index": "i", "_id": "7", "_score": 1.5, "_source": {"n": 3}}, {"_index": "i"}]}}"#,
        )
        .unwrap();
        let hit = &resp.hits.hits[0];
        assert_eq!((hit.id(), hit.index(), hit.score()), (Some("7"), "i", Some(1.5)));
        assert_eq!(hit.source(), Some(&Doc { n: 3 }));
        assert_eq!(resp.hits.hits[1].id(), None);
        assert_eq!(resp.hits.hits[1].source(), None);
    }

    #[test]
    fn lists_a_server_leaves_out_read_as_empty() {
        let bare: ReindexResponse = serde_json::from_str(r#"{"total": 3}"#).unwrap();
        assert!(bare.failures().is_empty());
        let with: ReindexResponse =
            serde_json::from_str(r#"{"failures": [{"index": "i", "id": "1", "status": 409, "cause": {"type": "x"}}]}"#)
                .unwrap();
        assert_eq!(with.failures().len(), 1);
        assert_eq!(with.failures.or_empty().len(), 1);
    }
}
