//! Error responses with any status and any body: `ApiError` and its
//! `Display`, and the response decoders, never panic, and an error status
//! is always an `Error::Api` carrying that status.
#![no_main]

use arbitrary::Arbitrary;
use bytes::Bytes;
use elastik_proto::endpoint::{check_status, decode_exists, decode_json, decode_text};
use elastik_proto::{ApiError, Error};
use http::StatusCode;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    status: u16,
    warning: Option<&'a str>,
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let Ok(status) = StatusCode::from_u16(input.status) else { return };
    let body = Bytes::copy_from_slice(input.body);
    let warnings = input.warning.map(str::to_owned).into_iter().collect();
    let api = ApiError::from_response(status, body.clone(), warnings);
    let shown = api.to_string();
    assert!(shown.starts_with("server answered"), "{shown}");
    let _ = (api.error_type(), api.reason(), format!("{api:?}"));

    let mut builder = http::Response::builder().status(status);
    if let Some(w) = input.warning {
        if let Ok(v) = http::HeaderValue::from_str(w) {
            builder = builder.header(http::header::WARNING, v);
        }
    }
    let response = builder.body(body).expect("a valid status makes a response");
    let decoded = decode_json::<serde_json::Value>(&response);
    if status.as_u16() >= 400 {
        match &decoded {
            Err(Error::Api(e)) => assert_eq!(e.status, status),
            other => panic!("status {status} decoded as {other:?}"),
        }
    }
    if let Err(e) = &decoded {
        let _ = (e.to_string(), format!("{e:?}"), e.status());
    }
    let _ = check_status(&response).map_err(|e| e.to_string());
    let _ = decode_exists(&response).map_err(|e| e.to_string());
    let _ = decode_text(&response).map_err(|e| e.to_string());
});
