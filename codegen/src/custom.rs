//! Customisations: every place where the generator departs from a plain
//! reading of the specification, as data.

/// Type renames, `(namespace, name, rust ident)`: spec names that would clash
/// with names the generated code relies on.
pub const TYPE_RENAMES: &[(&str, &str, &str)] = &[("_types", "Result", "OperationResult")];

/// Endpoints whose body is newline-delimited JSON, besides those whose
/// `requestMediaType` says `application/x-ndjson`.
pub const EXTRA_NDJSON: &[&str] = &[];

/// Identifiers the generated code uses unqualified; spec types with these
/// names get a `Type` suffix.
pub const RESERVED_IDENTS: &[&str] = &[
    "Option",
    "Result",
    "Vec",
    "String",
    "Box",
    "Value",
    "BTreeMap",
    "Default",
    "Serialize",
    "Deserialize",
    "TypedMap",
    "Shortcut",
    "PhantomData",
    "Some",
    "None",
    "Ok",
    "Err",
];

/// Mapping of `_types` numeric aliases to Rust types.
pub const NUMBERS: &[(&str, &str)] = &[
    ("byte", "i64"),
    ("short", "i64"),
    ("integer", "i64"),
    ("long", "i64"),
    ("uint", "u64"),
    ("ushort", "u64"),
    ("ulong", "u64"),
    ("float", "f64"),
    ("double", "f64"),
];

/// Request-builder method names that generated parameter setters must not
/// shadow (they exist on `Request` already); such setters are reachable
/// through `Request::map`.
pub const REQUEST_METHODS: &[&str] = &[
    "new",
    "endpoint",
    "map",
    "options",
    "request_timeout",
    "header",
    "opaque_id",
    "auth",
    "max_retries",
    "retry_safe",
    "raw_body",
    "json_body",
    "send",
    "send_as",
    "send_raw",
    "prepare",
];

/// Client method names generated root endpoints must not take.
pub const CLIENT_METHODS: &[&str] =
    &["builder", "new", "from_executor", "executor", "request", "send", "perform_request"];

/// Namespaces in the default feature set of `elastik-api`.
pub const DEFAULT_NAMESPACES: &[&str] = &["cat", "cluster", "indices", "ingest", "tasks"];

/// Whether response-only structs get a flattened `extra` map for members
/// the specification does not list (costs compile time; see DESIGN.md).
pub const CATCH_ALL: bool = true;

/// Internally tagged unions whose default variant is written without its tag
/// (as Elasticsearch itself writes an `object` mapping property):
/// `(namespace, name)`.
pub const DEFAULT_TAG_OMITTED: &[(&str, &str)] = &[("_types.mapping", "Property")];

/// Property types corrected where the specification disagrees with the
/// server's parser, `(namespace, type, property, (type namespace, type name))`:
/// - `SlicedScroll.id` is `Id` (a string) in the specification, but
///   Elasticsearch's `SliceBuilder` parses the slice number as an integer
///   (`"slice": {"id": 0, "max": 2}`), and the .NET client types it so.
pub const PROPERTY_TYPES: &[(&str, &str, &str, (&str, &str))] =
    &[("_types", "SlicedScroll", "id", ("_types", "integer"))];

/// Body map fields that get a second, singular setter adding one entry:
/// `(wire name, setter)`, so `.aggregation("by_tag", …)` reads as it does.
pub const ENTRY_ALIASES: &[(&str, &str)] = &[("aggregations", "aggregation")];
