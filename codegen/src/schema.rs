//! The parts of `schema.json` (the compiled TypeScript specification) that
//! the generator reads. Unknown keys are ignored.

use serde::Deserialize;
use serde_json::Value;

/// The whole schema file.
#[derive(Debug, Deserialize)]
pub struct Schema {
    /// Every endpoint.
    pub endpoints: Vec<Endpoint>,
    /// Every type.
    pub types: Vec<TypeDef>,
}

/// One endpoint.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// `indices.create`
    pub name: String,
    /// The documentation URL.
    #[serde(default)]
    pub doc_url: Option<String>,
    /// Stack/serverless stability and visibility.
    #[serde(default)]
    pub availability: Option<Value>,
    /// The request type.
    #[serde(default)]
    pub request: Option<TypeName>,
    /// The response type.
    #[serde(default)]
    pub response: Option<TypeName>,
    /// The URL shapes.
    pub urls: Vec<Url>,
    /// Request media types.
    #[serde(default)]
    pub request_media_type: Vec<String>,
    /// Response media types.
    #[serde(default)]
    pub response_media_type: Vec<String>,
}

/// One URL shape of an endpoint.
#[derive(Debug, Deserialize)]
pub struct Url {
    /// `/{index}/_search`
    pub path: String,
    /// The methods it accepts.
    pub methods: Vec<String>,
}

/// A type's name.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeName {
    /// `_types.query_dsl`
    pub namespace: String,
    /// `QueryContainer`
    pub name: String,
}

impl TypeName {
    /// `_types.query_dsl::QueryContainer`
    pub fn display(&self) -> String {
        format!("{}::{}", self.namespace, self.name)
    }
}

/// A type definition.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeDef {
    /// A structure (or a container of variants).
    Interface(Interface),
    /// An endpoint's request.
    Request(RequestDef),
    /// An endpoint's response.
    Response(ResponseDef),
    /// A closed or open set of string values.
    Enum(EnumDef),
    /// An alias, often of a union.
    TypeAlias(AliasDef),
}

impl TypeDef {
    /// The definition's name.
    pub fn name(&self) -> &TypeName {
        match self {
            TypeDef::Interface(i) => &i.name,
            TypeDef::Request(r) => &r.name,
            TypeDef::Response(r) => &r.name,
            TypeDef::Enum(e) => &e.name,
            TypeDef::TypeAlias(a) => &a.name,
        }
    }
}

/// An interface.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interface {
    /// Name.
    pub name: TypeName,
    /// Generic parameters.
    #[serde(default)]
    pub generics: Vec<TypeName>,
    /// Base interface.
    #[serde(default)]
    pub inherits: Option<Inherits>,
    /// Behaviors such as `AdditionalProperties`.
    #[serde(default)]
    pub behaviors: Vec<Inherits>,
    /// Properties.
    #[serde(default)]
    pub properties: Vec<Property>,
    /// Set for containers.
    #[serde(default)]
    pub variants: Option<Variants>,
    /// The property a bare value stands for.
    #[serde(default)]
    pub shortcut_property: Option<String>,
    /// The tag of this interface in an externally tagged union.
    #[serde(default)]
    pub variant_name: Option<String>,
}

/// A reference to a base type or behavior.
#[derive(Debug, Deserialize)]
pub struct Inherits {
    /// The type.
    #[serde(rename = "type")]
    pub ty: TypeName,
    /// Its generic arguments.
    #[serde(default)]
    pub generics: Vec<ValueOf>,
    /// Behavior details (e.g. `fieldname`).
    #[serde(default)]
    pub meta: Option<Value>,
}

/// A property of an interface or request.
#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    /// Wire name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub ty: ValueOf,
    /// Whether the spec requires it.
    #[serde(default)]
    pub required: bool,
    /// Other accepted wire names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A container's non-variant property.
    #[serde(default)]
    pub container_property: bool,
    /// Deprecation notice, if any.
    #[serde(default)]
    pub deprecation: Option<Value>,
    /// Per-flavour availability (`stack.since`, …), if any.
    #[serde(default)]
    pub availability: Option<Value>,
}

impl Property {
    /// The stack version the property was added in, when the spec says.
    pub fn stack_since(&self) -> Option<&str> {
        self.availability.as_ref()?.get("stack")?.get("since")?.as_str()
    }
}

/// Container or union variant information.
#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Variants {
    /// `container`, `internal_tag`, `external_tag`, `untagged`.
    pub kind: String,
    /// The tag property of internally tagged unions.
    #[serde(default)]
    pub tag: Option<String>,
    /// The variant an object without the tag property is (`object` for a
    /// mapping property).
    #[serde(default)]
    pub default_tag: Option<String>,
}

/// A request definition.
#[derive(Debug, Deserialize)]
pub struct RequestDef {
    /// Name.
    pub name: TypeName,
    /// Generic parameters.
    #[serde(default)]
    pub generics: Vec<TypeName>,
    /// Path parts.
    #[serde(default)]
    pub path: Vec<Property>,
    /// Query parameters.
    #[serde(default)]
    pub query: Vec<Property>,
    /// The body.
    pub body: BodyDef,
}

/// A response definition.
#[derive(Debug, Deserialize)]
pub struct ResponseDef {
    /// Name.
    pub name: TypeName,
    /// Generic parameters.
    #[serde(default)]
    pub generics: Vec<TypeName>,
    /// The body.
    pub body: BodyDef,
}

/// A request or response body.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BodyDef {
    /// An object with properties.
    Properties {
        /// The properties.
        properties: Vec<Property>,
    },
    /// Any other value.
    Value {
        /// Its type.
        value: ValueOf,
        /// The name client generators give it.
        #[serde(default, rename = "codegenName")]
        codegen_name: Option<String>,
    },
    /// No body.
    NoBody,
}

/// An enum definition.
#[derive(Debug, Deserialize)]
pub struct EnumDef {
    /// Name.
    pub name: TypeName,
    /// Members.
    pub members: Vec<EnumMember>,
}

/// One enum member.
#[derive(Debug, Deserialize)]
pub struct EnumMember {
    /// The wire value.
    pub name: String,
    /// Other accepted wire values.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// An alias definition.
#[derive(Debug, Deserialize)]
pub struct AliasDef {
    /// Name.
    pub name: TypeName,
    /// Generic parameters.
    #[serde(default)]
    pub generics: Vec<TypeName>,
    /// The aliased type.
    #[serde(rename = "type")]
    pub ty: ValueOf,
    /// Tagging of a union.
    #[serde(default)]
    pub variants: Option<Variants>,
}

/// A type expression.
#[derive(Debug, Deserialize, Clone)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValueOf {
    /// A named type.
    InstanceOf {
        /// The type.
        #[serde(rename = "type")]
        ty: TypeName,
        /// Generic arguments.
        #[serde(default)]
        generics: Vec<ValueOf>,
    },
    /// An array.
    ArrayOf {
        /// Element type.
        value: Box<ValueOf>,
    },
    /// A union.
    UnionOf {
        /// Members.
        items: Vec<ValueOf>,
    },
    /// A dictionary.
    DictionaryOf {
        /// Key type.
        key: Box<ValueOf>,
        /// Value type.
        value: Box<ValueOf>,
        /// Exactly one entry.
        #[serde(default, rename = "singleKey")]
        single_key: bool,
    },
    /// Any JSON.
    UserDefinedValue,
    /// One literal value.
    LiteralValue {
        /// The value.
        value: Value,
    },
}
