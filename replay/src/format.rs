//! # The fixture format
//!
//! What [`Cassette::load`](crate::Cassette::load) reads and
//! [`Cassette::save`](crate::Cassette::save) writes: HTTP exchanges (one
//! request and the response it got) as JSON. This module holds no code.
//!
//! ## Files
//!
//! - A `.json` file holds one fixture: the whole file is one JSON object.
//! - A `.jsonl` file holds one fixture per line (JSON Lines); blank lines are
//!   skipped. This is what a recording is saved as.
//! - A directory stands for every `.json` and `.jsonl` file below it, read
//!   in path order, subdirectories included; other files are ignored.
//!
//! ## One exchange
//!
//! ```json
//! {
//!   "name": "search/by-title",
//!   "request": {
//!     "method": "POST",
//!     "path": "/books/_search",
//!     "query": {"size": "20", "track_total_hits": "true"},
//!     "headers": {"accept": "application/json", "content-type": "application/json"},
//!     "body": {"query": {"match": {"title": "dune"}}}
//!   },
//!   "response": {
//!     "status": 200,
//!     "headers": {"content-type": "application/json", "x-elastic-product": "Elasticsearch"},
//!     "body": {"took": 2, "timed_out": false, "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}
//!   }
//! }
//! ```
//!
//! `request` and `response` are required; every other field has a default.
//!
//! - `name`: how the exchange is called in [`ReplayExecutor::served`],
//!   [`ReplayExecutor::unused`] and mismatch reports. Without one, a `.json`
//!   fixture is named after its file (`ping.json` → `ping`) and the fixture
//!   on line *n* of a `.jsonl` file (counted from 0, blank lines included)
//!   `stem#n`.
//! - `request.method`: default `GET`, compared without regard to case.
//! - `request.path`: default `/`. Percent-encoded or not: paths are compared
//!   segment by segment once decoded, and a trailing `/` does not count.
//! - `request.query`: an object from parameter name to value. Strings are
//!   the decoded value sent; numbers and booleans stand for their JSON text
//!   (`20`, `true`), a list for its items joined with commas, `null` for an
//!   empty value. The sent query must hold exactly these name/value pairs,
//!   in any order.
//! - `request.headers`: only `accept` and `content-type` are read (names in
//!   lower case, string values); every other header is ignored. A header
//!   that is absent matches whatever the client sends. A present one needs
//!   the client to send the header, each media type it names being one the
//!   recording names (the recording may list several): media
//!   type parameters are ignored, and Elasticsearch's compatibility types
//!   (`application/vnd.elasticsearch+json; compatible-with=8`) count as the
//!   plain ones (`application/json`). `content-type` is compared only when a
//!   body is sent.
//! - `request.body`: see below.
//! - `response.status`: default 200.
//! - `response.headers`: an object of string values; names are lower-cased
//!   when read. `content-length`, `content-encoding` and `transfer-encoding`
//!   are never served: they described the bytes on the wire, and the body
//!   served is rebuilt from the fixture.
//! - `response.body`: see below.
//!
//! Other fields are ignored. Fixtures shared with the conformance suite also
//! describe the call as the caller made it (`api`, `parts`, `params`, a
//! top-level `body`); replay matches on `request` alone.
//!
//! ## Bodies
//!
//! A body is JSON text, so it is one of:
//!
//! | in the fixture | request: matches a sent body that | response: served as |
//! |---|---|---|
//! | absent or `null` | is empty | an empty body |
//! | a string | has exactly these bytes (text, CSV, …) | these bytes |
//! | a list | is NDJSON whose lines are these values, in order; or, when it is one line holding a JSON list, equals the list | the list, serialized |
//! | any other JSON value | parses to an equal value | the value, serialized |
//!
//! JSON values are equal when numbers are equal as numbers (`1` and `1.0`)
//! and objects hold the same members in any order. A JSON response is served
//! as compact JSON: the same value as the server sent, not the same bytes.
//! Bodies are stored decoded, never gzipped.
//!
//! There is no form for binary bodies: bytes that are not UTF-8 (CBOR,
//! Smile, Arrow) cannot be written in a fixture, and the
//! [`RecordingExecutor`] lists such calls as skipped rather than record them
//! wrong.
//!
//! ## Scenarios
//!
//! A fixture with `"kind": "scenario"` records several exchanges that belong
//! together (the requests of a bulk, scan or reindex helper) as a list,
//! `"exchanges": [{"request": …, "response": …}, …]`, in the order they
//! happened. Each becomes an exchange of its own, named `name#i` (`i` from
//! 0). Other fields of a scenario (`helper`, `args`) are ignored.
//!
//! ## Order
//!
//! A cassette keeps its exchanges in reading order. To answer a request, the
//! search starts at the exchange after the last one served and wraps around,
//! so identical requests with different recorded answers are served in
//! order, and an exchange can be served again.
//!
//! ## What a recording writes
//!
//! [`Cassette::save`](crate::Cassette::save) writes each exchange with
//! `name`, `request` (`method`, `path`, `query` with string values,
//! `headers` with `accept` and `content-type` when known, `body`) and
//! `response` (`status`, `headers`, `body`). A [`RecordingExecutor`] names
//! each exchange after its endpoint and position (`search/3`), keeps a JSON
//! request body as a value, NDJSON as the list of its lines and anything else
//! as text, and a response body as a value when its `content-type` is JSON,
//! else as text; no credential header is ever written.
//!
//! [`ReplayExecutor::served`]: crate::ReplayExecutor::served
//! [`ReplayExecutor::unused`]: crate::ReplayExecutor::unused
//! [`RecordingExecutor`]: crate::RecordingExecutor
