//! Arbitrary bytes decoded as the largest generated response types
//! (`elastik-types`): search (hits and typed-key aggregations), msearch,
//! cluster stats, cluster health, nodes stats, nodes info and get mapping.
//! Invariants: decoding through `decode_json` never panics; whatever
//! decodes serializes again, and that JSON decodes again.
#![no_main]

use bytes::Bytes;
use elastik_proto::endpoint::decode_json;
use elastik_types::{cluster, global, indices, nodes};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let response = http::Response::builder()
        .status(200)
        .body(Bytes::copy_from_slice(body))
        .expect("a valid response");
    match selector % 7 {
        0 => check::<global::SearchResponse>(&response),
        1 => check::<global::MsearchResponse>(&response),
        2 => check::<cluster::StatsResponse>(&response),
        3 => check::<cluster::HealthResponse>(&response),
        4 => check::<nodes::StatsResponse>(&response),
        5 => check::<nodes::InfoResponse>(&response),
        _ => check::<indices::GetMappingResponse>(&response),
    }
});

fn check<T: DeserializeOwned + Serialize>(response: &http::Response<Bytes>) {
    let Ok(value) = decode_json::<T>(response) else { return };
    let json = serde_json::to_vec(&value).expect("a decoded value serializes");
    if let Err(e) = serde_json::from_slice::<T>(&json) {
        panic!("re-serialized JSON does not decode: {e}: {}", String::from_utf8_lossy(&json));
    }
}
