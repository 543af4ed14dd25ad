//! # elastik-types
//!
//! The body types of the Elasticsearch API, generated from the specification
//! by `codegen`. Hand-written code never lives here.
