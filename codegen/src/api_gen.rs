//! Endpoints: one request type per endpoint with its `…Path` enum, the
//! `Client` methods and namespace accessors, forwarding setters on
//! `Request`, and the conformance dispatch table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

use crate::custom;
use crate::model::Model;
use crate::names::{bare, pascal, raw_if_keyword, snake, unique};
use crate::schema::{BodyDef, Endpoint, Property, RequestDef, TypeDef, ValueOf};
use crate::types_gen::{builtin, Cx};
use crate::{header, Files};

/// How a path part or query parameter is passed and rendered.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// `bool`
    Bool,
    /// `i64`
    Int,
    /// `u64`
    UInt,
    /// `f64`
    Float,
    /// `impl Into<String>`
    Str,
    /// A generated enum (its path).
    Enum(String),
    /// `impl IntoList`, comma-joined.
    List,
    /// `impl IntoDuration`: `std::time::Duration` or the server's notation (`"30s"`).
    Duration,
    /// `impl ParamValue`: a union of scalars (`TrackHits`: `true` or `10_000`).
    Union,
}

impl Kind {
    fn arg_type(&self) -> String {
        match self {
            Kind::Bool => "bool".into(),
            Kind::Int => "i64".into(),
            Kind::UInt => "u64".into(),
            Kind::Float => "f64".into(),
            Kind::Str => "impl Into<String>".into(),
            Kind::Enum(p) => p.clone(),
            Kind::List => "impl crate::IntoList".into(),
            Kind::Duration => "impl crate::IntoDuration".into(),
            Kind::Union => "impl crate::ParamValue".into(),
        }
    }

    fn render(&self, v: &str) -> String {
        match self {
            Kind::Str => format!("{v}.into()"),
            Kind::List => format!("{v}.into_list()"),
            Kind::Duration => format!("{v}.into_duration()"),
            Kind::Union => format!("{v}.param_value()"),
            _ => format!("{v}.to_string()"),
        }
    }

    /// The conformance conversion from a JSON value.
    fn parser_fn(&self) -> String {
        match self {
            Kind::Bool => "crate::args::to_bool".into(),
            Kind::Int => "crate::args::to_i64".into(),
            Kind::UInt => "crate::args::to_u64".into(),
            Kind::Float => "crate::args::to_f64".into(),
            Kind::Str | Kind::Duration | Kind::Union => "crate::args::to_string".into(),
            Kind::Enum(_) => "crate::args::to_enum".into(),
            Kind::List => "crate::args::to_list".into(),
        }
    }
}

/// One endpoint as the generator sees it.
struct Ep<'s> {
    e: &'s Endpoint,
    ns: Option<String>,
    short: String,
    ident: String,
    module_path: String,
    req: Option<&'s RequestDef>,
}

impl<'s> Model<'s> {
    fn kind(&self, v: &ValueOf) -> Kind {
        if let ValueOf::InstanceOf { ty, .. } = v {
            if ty.namespace == "_types" && ty.name == "Duration" {
                return Kind::Duration;
            }
        }
        // Follow plain aliases one step at a time: `_types.integer` is an
        // alias of `_builtins.number`, and must stay an integer (`i64`).
        let mut cur = v;
        for _ in 0..16 {
            match cur {
                ValueOf::InstanceOf { ty, .. } if builtin(ty).is_none() => match self.def(ty) {
                    Some(TypeDef::TypeAlias(a)) if a.generics.is_empty() && a.variants.is_none() => cur = &a.ty,
                    _ => break,
                },
                _ => break,
            }
        }
        match cur {
            ValueOf::InstanceOf { ty, .. } => match builtin(ty) {
                Some("String") => Kind::Str,
                Some("bool") => Kind::Bool,
                Some("i64") => Kind::Int,
                Some("u64") => Kind::UInt,
                Some("f64") => Kind::Float,
                Some(_) => Kind::Union,
                None => match self.def(ty) {
                    Some(TypeDef::Enum(_)) => {
                        Kind::Enum(self.path_of(ty, "elastik_types").unwrap_or_else(|| "String".into()))
                    }
                    Some(TypeDef::TypeAlias(a)) => {
                        if let ValueOf::UnionOf { .. } = a.ty {
                            self.kind(&a.ty)
                        } else {
                            Kind::Union
                        }
                    }
                    _ => Kind::Union,
                },
            },
            ValueOf::ArrayOf { .. } => Kind::List,
            ValueOf::UnionOf { items } => {
                let kinds: Vec<Kind> = items.iter().map(|i| self.kind(i)).collect();
                if kinds.contains(&Kind::List) {
                    Kind::List
                } else if kinds.iter().all(|k| *k == kinds[0]) {
                    kinds[0].clone()
                } else {
                    Kind::Union
                }
            }
            ValueOf::LiteralValue { value } if value.is_string() => Kind::Str,
            _ => Kind::Union,
        }
    }

    fn spec_type(&self, v: &ValueOf) -> String {
        match v {
            ValueOf::InstanceOf { ty, .. } => ty.name.clone(),
            ValueOf::ArrayOf { value } => format!("{}[]", self.spec_type(value)),
            ValueOf::UnionOf { items } => items.iter().map(|i| self.spec_type(i)).collect::<Vec<_>>().join(" | "),
            ValueOf::DictionaryOf { value, .. } => format!("Dictionary<string, {}>", self.spec_type(value)),
            ValueOf::UserDefinedValue => "any".into(),
            ValueOf::LiteralValue { value } => value.to_string(),
        }
    }

    fn eps(&self) -> Vec<Ep<'s>> {
        let mut out = Vec::new();
        for e in &self.schema.endpoints {
            let (ns, short) = match e.name.split_once('.') {
                Some((ns, s)) => (Some(ns.to_owned()), s.to_owned()),
                None => (None, e.name.clone()),
            };
            let ident = match &ns {
                Some(ns) => format!("{}{}", pascal(ns), pascal(&short)),
                None => pascal(&short),
            };
            let module_path = match &ns {
                Some(ns) => format!("crate::{}::{}", module_ident(ns), ident),
                None => format!("crate::{ident}"),
            };
            let req = e.request.as_ref().and_then(|r| match self.def(r) {
                Some(TypeDef::Request(r)) => Some(r),
                _ => None,
            });
            out.push(Ep { e, ns, short, ident, module_path, req });
        }
        out.sort_by(|a, b| a.e.name.cmp(&b.e.name));
        out
    }
}

/// `_internal` → `internal`
fn module_ident(ns: &str) -> String {
    raw_if_keyword(ns.trim_start_matches('_').to_owned())
}

/// One setter or required argument.
struct Param {
    wire: String,
    ident: String,
    kind: Kind,
    doc: String,
}

struct Rendered {
    code: String,
}

/// One body-field setter: the member `wire` of a JSON object body.
struct BodyField {
    wire: String,
    ident: String,
    /// The Rust type the setter takes `impl IntoField<…>` of: the field's
    /// type, or for a map (`aggregations`) the type of one entry.
    ty: String,
    /// A map field: the setter adds one entry (`(name, value)`).
    entry: bool,
    doc: String,
}

/// The request's required part parameters, optional part setters, query
/// setters and body-field setters.
fn params(model: &Model<'_>, ep: &Ep<'_>) -> (Vec<Param>, Vec<Param>, Vec<Param>, Vec<BodyField>) {
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let mut query = Vec::new();
    let mut used: BTreeSet<String> =
        ["new", "path", "body", "body_bytes", "method"].iter().map(|s| s.to_string()).collect();
    let url_parts: BTreeSet<String> = ep.e.urls.iter().flat_map(|u| parts_of(&u.path)).collect();
    let path_props: Vec<Property> = ep.req.map(|r| r.path.clone()).unwrap_or_default();
    let mut seen_parts = BTreeSet::new();
    for p in &path_props {
        if !url_parts.contains(&p.name) {
            continue;
        }
        seen_parts.insert(p.name.clone());
        let ident = unique(setter_ident(&p.name), &mut used);
        let param = Param {
            wire: p.name.clone(),
            ident,
            kind: model.kind(&p.ty),
            doc: format!("Path part `{}` (`{}`).", p.name, model.spec_type(&p.ty)),
        };
        let in_all = ep.e.urls.iter().all(|u| parts_of(&u.path).contains(&p.name));
        if p.required && in_all {
            required.push(param);
        } else {
            optional.push(param);
        }
    }
    // Required parts in the order the URL names them (`get(index, id)` for
    // `/{index}/_doc/{id}`), not the specification's declaration order.
    let template = ep.e.urls.first().map(|u| u.path.as_str()).unwrap_or("");
    required.sort_by_key(|p: &Param| template.find(&format!("{{{}}}", p.wire)).unwrap_or(usize::MAX));
    for part in &url_parts {
        if !seen_parts.contains(part) {
            let ident = unique(setter_ident(part), &mut used);
            optional.push(Param { wire: part.clone(), ident, kind: Kind::Str, doc: format!("Path part `{part}`.") });
        }
    }
    let mut query_props: Vec<(String, Kind, String)> = ep
        .req
        .map(|r| r.query.iter().map(|p| (p.name.clone(), model.kind(&p.ty), model.spec_type(&p.ty))).collect())
        .unwrap_or_default();
    if ep.e.name.starts_with("cat.") {
        let common =
            crate::schema::TypeName { namespace: "_spec_utils".into(), name: "CommonCatQueryParameters".into() };
        if let Some(TypeDef::Interface(i)) = model.def(&common) {
            for p in &i.properties {
                if !query_props.iter().any(|(n, _, _)| *n == p.name) {
                    query_props.push((p.name.clone(), model.kind(&p.ty), model.spec_type(&p.ty)));
                }
            }
        }
    }
    for (name, kind, spec) in [
        ("error_trace", Kind::Bool, "boolean"),
        ("filter_path", Kind::List, "string | string[]"),
        ("human", Kind::Bool, "boolean"),
        ("pretty", Kind::Bool, "boolean"),
    ] {
        if !query_props.iter().any(|(n, _, _)| n == name) {
            query_props.push((name.to_owned(), kind, spec.to_owned()));
        }
    }
    // Body fields take their names before the query parameters: where both
    // have one (`from`, `size`, `sort`, `_source`), the body field wins, as
    // in the Python client, and the parameter is `…_param`.
    let mut body = Vec::new();
    for (wire, ty, entry, spec) in body_props(model, ep) {
        let mut ident = setter_ident(&wire);
        if used.contains(&ident) {
            ident = format!("{}_body", bare(&ident));
        }
        let ident = unique(ident, &mut used);
        let doc = if entry {
            format!("Adds one entry to the body field `{wire}` (`{spec}`).")
        } else {
            format!("Body field `{wire}` (`{spec}`).")
        };
        body.push(BodyField { wire, ident, ty, entry, doc });
    }
    for (wire, alias) in custom::ENTRY_ALIASES {
        if let Some(f) = body.iter().find(|f| f.wire == *wire && f.entry) {
            if used.insert((*alias).to_owned()) {
                let doc = format!("Adds one entry to the body field `{wire}`; the same as [`Self::{}`].", f.ident);
                body.push(BodyField {
                    wire: f.wire.clone(),
                    ident: (*alias).to_owned(),
                    ty: f.ty.clone(),
                    entry: true,
                    doc,
                });
            }
        }
    }
    for (name, kind, spec) in query_props {
        let mut ident = setter_ident(&name);
        if used.contains(&ident) {
            ident = format!("{}_param", bare(&ident));
        }
        let ident = unique(ident, &mut used);
        query.push(Param { wire: name.clone(), ident, kind, doc: format!("Query parameter `{name}` (`{spec}`).") });
    }
    (required, optional, query, body)
}

/// The members of an endpoint's JSON object body, as `(wire name, setter
/// type, is a map, spec type)`; none for other bodies (NDJSON, a whole value,
/// generic ones). Aliases (`aggs`) get no setter of their own.
fn body_props(model: &Model<'_>, ep: &Ep<'_>) -> Vec<(String, String, bool, String)> {
    let Some(req) = ep.req else { return Vec::new() };
    let BodyMode::Json(Some(_)) = body_mode(model, ep) else { return Vec::new() };
    let BodyDef::Properties { properties } = &req.body else { return Vec::new() };
    let cx = model.cx(&req.name, &req.generics, "elastik_types");
    let mut out = Vec::new();
    for p in properties {
        let (ty, entry) = match &p.ty {
            ValueOf::DictionaryOf { value, .. } => (model.rust_type(value, &cx, &p.name, false), true),
            other => (model.rust_type(other, &cx, &p.name, false), false),
        };
        let ty = qualify(strip_option(&ty));
        out.push((p.name.clone(), ty, entry, model.spec_type(&p.ty)));
    }
    out
}

/// A generated type expression as written outside elastik-types.
fn qualify(ty: &str) -> String {
    ty.replace("BTreeMap<", "std::collections::BTreeMap<")
}

/// `Option<T>` → `T`.
fn strip_option(ty: &str) -> &str {
    ty.strip_prefix("Option<").and_then(|t| t.strip_suffix('>')).unwrap_or(ty)
}

/// A setter's name for a wire name: snake case without leading underscores
/// (`_source` → `source`, `_source_includes` → `source_includes`).
fn setter_ident(wire: &str) -> String {
    let s = snake(wire);
    let trimmed = bare(&s).trim_start_matches('_');
    if trimmed.is_empty() || trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        return s;
    }
    raw_if_keyword(trimmed.to_owned())
}

fn parts_of(path: &str) -> Vec<String> {
    path.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(p, _)| p.to_owned())).collect()
}

#[derive(PartialEq)]
enum BodyMode {
    None,
    Json(Option<String>),
    Generic,
    Ndjson,
}

#[derive(PartialEq)]
enum RespMode {
    Exists,
    Json,
    Cat,
    Text,
    Binary(String),
}

fn body_mode(model: &Model<'_>, ep: &Ep<'_>) -> BodyMode {
    let Some(req) = ep.req else { return BodyMode::None };
    if ep.e.request_media_type.iter().any(|m| m == "application/x-ndjson")
        || custom::EXTRA_NDJSON.contains(&ep.e.name.as_str())
    {
        return BodyMode::Ndjson;
    }
    match &req.body {
        BodyDef::NoBody => BodyMode::None,
        _ if !req.generics.is_empty() => BodyMode::Generic,
        _ => BodyMode::Json(model.path_of(&req.name, "elastik_types")),
    }
}

fn resp_mode(ep: &Ep<'_>) -> RespMode {
    let all_head = ep.e.urls.iter().all(|u| u.methods.iter().all(|m| m == "HEAD"));
    let media = &ep.e.response_media_type;
    if all_head {
        RespMode::Exists
    } else if media.iter().any(|m| m == "application/json") || media.is_empty() {
        if media.iter().any(|m| m == "text/plain") {
            RespMode::Cat
        } else {
            RespMode::Json
        }
    } else if media.iter().any(|m| m == "text/plain") {
        RespMode::Text
    } else {
        RespMode::Binary(media[0].clone())
    }
}

fn stability(ep: &Ep<'_>) -> String {
    let Some(a) = ep.e.availability.as_ref().and_then(|a| a.as_object()) else { return String::new() };
    let mut parts = Vec::new();
    for (flavor, v) in a {
        let s = v.get("stability").and_then(|s| s.as_str()).unwrap_or("stable");
        let vis = v.get("visibility").and_then(|s| s.as_str()).map(|v| format!(", {v}")).unwrap_or_default();
        let since = v.get("since").and_then(|s| s.as_str()).map(|v| format!(", since {v}")).unwrap_or_default();
        parts.push(format!("{flavor}: {s}{vis}{since}"));
    }
    parts.join("; ")
}

fn render_endpoint(model: &Model<'_>, ep: &Ep<'_>) -> Rendered {
    let (required, optional, query, body_fields) = params(model, ep);
    let id = &ep.ident;
    let path_ident = format!("{id}Path");
    let mut s = String::new();
    let mut setters = Vec::new();
    // Docs: facts only.
    let mut doc = format!("`{}`:", ep.e.name);
    for u in &ep.e.urls {
        let _ = write!(doc, "\n- `{} {}`", u.methods.join("|"), u.path);
    }
    let st = stability(ep);
    if !st.is_empty() {
        let _ = write!(doc, "\n\nAvailability: {st}.");
    }
    if let Some(url) = &ep.e.doc_url {
        let _ = write!(doc, "\n\nDocumentation: <{url}>");
    }
    let _ = writeln!(s, "use elastik_base::endpoint::{{build_request, PathBuilder}};\nuse elastik_base::{{Body, Endpoint, Error}};\nuse elastik_base::bytes::Bytes;");
    let _ = writeln!(
        s,
        "#[allow(unused_imports)]\nuse crate::{{IntoField, IntoList}};\nuse crate::support::{{BodySlot, Params}};\n"
    );
    // Path enum.
    let mut variant_names = BTreeSet::new();
    let mut variants = Vec::new();
    for u in &ep.e.urls {
        let ps = parts_of(&u.path);
        let name = if ps.is_empty() { "None".to_owned() } else { ps.iter().map(|p| pascal(p)).collect::<String>() };
        let name = unique(name, &mut variant_names);
        variants.push((name, ps, u));
    }
    let part_ident = |wire: &str| -> String {
        required
            .iter()
            .chain(&optional)
            .find(|p| p.wire == wire)
            .map(|p| p.ident.clone())
            .unwrap_or_else(|| snake(wire))
    };
    let _ = writeln!(
        s,
        "/// The URL shapes of `{}`.\n#[derive(Clone, Debug, PartialEq, Eq)]\npub enum {path_ident} {{",
        ep.e.name
    );
    for (name, ps, u) in &variants {
        let _ = writeln!(s, "/// `{}`", u.path);
        if ps.is_empty() {
            let _ = writeln!(s, "{name},");
        } else {
            let fields: Vec<String> = ps.iter().map(|p| format!("/// `{p}`\n{}: String", part_ident(p))).collect();
            let _ = writeln!(s, "{name} {{ {} }},", fields.join(", "));
        }
    }
    let _ = writeln!(
        s,
        "}}\n\nimpl {path_ident} {{\n/// The encoded path.\npub fn render(&self) -> String {{\nmatch self {{"
    );
    for (name, ps, u) in &variants {
        let pat = if ps.is_empty() {
            format!("{path_ident}::{name}")
        } else {
            format!("{path_ident}::{name} {{ {} }}", ps.iter().map(|p| part_ident(p)).collect::<Vec<_>>().join(", "))
        };
        let mut chain = String::from("PathBuilder::new()");
        let mut rest = u.path.as_str();
        while let Some(start) = rest.find('{') {
            let lit = &rest[..start];
            if !lit.is_empty() {
                let _ = write!(chain, ".literal({lit:?})");
            }
            let end = rest[start..].find('}').map(|e| start + e).unwrap_or(rest.len() - 1);
            let _ = write!(chain, ".part({})", part_ident(&rest[start + 1..end]));
            rest = &rest[end + 1..];
        }
        if !rest.is_empty() {
            let _ = write!(chain, ".literal({rest:?})");
        }
        let _ = writeln!(s, "{pat} => {chain}.finish(),");
    }
    let _ = writeln!(s, "}}\n}}\n\n/// The methods this URL accepts, preferred first.\npub fn methods(&self) -> &'static [&'static str] {{\nmatch self {{");
    for (name, ps, u) in &variants {
        let pat =
            if ps.is_empty() { format!("{path_ident}::{name}") } else { format!("{path_ident}::{name} {{ .. }}") };
        let ms: Vec<String> = u.methods.iter().map(|m| format!("{m:?}")).collect();
        let _ = writeln!(s, "{pat} => &[{}],", ms.join(", "));
    }
    let _ = writeln!(s, "}}\n}}\n}}\n");

    // The request struct.
    let bmode = body_mode(model, ep);
    let rmode = resp_mode(ep);
    let _ = writeln!(s, "#[doc = {doc:?}]\n#[derive(Clone, Debug)]\npub struct {id} {{");
    for p in &required {
        let _ = writeln!(s, "{}: String,", p.ident);
    }
    for p in &optional {
        let _ = writeln!(s, "{}: Option<String>,", p.ident);
    }
    let _ = writeln!(s, "params: Params,");
    if bmode != BodyMode::None {
        let _ = writeln!(s, "body: BodySlot,");
    }
    let _ = writeln!(s, "}}\n");
    let args: Vec<String> = required.iter().map(|p| format!("{}: {}", p.ident, p.kind.arg_type())).collect();
    let mut new_doc = String::from("A request with its required path parts.");
    for p in &required {
        let _ = write!(new_doc, "\n- {}", p.doc);
    }
    let _ = writeln!(
        s,
        "impl {id} {{\n#[doc = {new_doc:?}]\n#[allow(clippy::new_without_default)]\npub fn new({}) -> Self {{\n{id} {{",
        args.join(", ")
    );
    for p in &required {
        let _ = writeln!(s, "{}: {},", p.ident, p.kind.render(&p.ident));
    }
    for p in &optional {
        let _ = writeln!(s, "{}: None,", p.ident);
    }
    let _ = writeln!(s, "params: Params::default(),");
    if bmode != BodyMode::None {
        let _ = writeln!(s, "body: BodySlot::default(),");
    }
    let _ = writeln!(s, "}}\n}}\n");
    // Path selection.
    let mut by_parts: Vec<&(String, Vec<String>, &crate::schema::Url)> = variants.iter().collect();
    by_parts.sort_by_key(|(_, ps, _)| std::cmp::Reverse(ps.len()));
    let _ = writeln!(s, "/// The URL this request goes to: the shape using the most parts that are set.\npub fn path(&self) -> {path_ident} {{");
    let is_required = |w: &str| required.iter().any(|p| p.wire == w);
    for (name, ps, _) in &by_parts {
        let conds: Vec<String> =
            ps.iter().filter(|p| !is_required(p)).map(|p| format!("Some({})", part_ident(p))).collect();
        let vals: Vec<String> =
            ps.iter().filter(|p| !is_required(p)).map(|p| format!("&self.{}", part_ident(p))).collect();
        let fields: Vec<String> = ps
            .iter()
            .map(|p| {
                if is_required(p) {
                    format!("{0}: self.{0}.clone()", part_ident(p))
                } else {
                    format!("{0}: {0}.clone()", part_ident(p))
                }
            })
            .collect();
        let ctor = if ps.is_empty() {
            format!("{path_ident}::{name}")
        } else {
            format!("{path_ident}::{name} {{ {} }}", fields.join(", "))
        };
        if conds.is_empty() {
            let _ = writeln!(s, "#[allow(clippy::needless_return)]\nreturn {ctor};");
            break;
        } else {
            let _ = writeln!(s, "if let ({},) = ({},) {{ return {ctor}; }}", conds.join(", "), vals.join(", "));
        }
    }
    if by_parts.last().is_some_and(|(_, ps, _)| ps.iter().any(|p| !is_required(p))) || by_parts.is_empty() {
        // No shape without optional parts: use the smallest with empty parts.
        let (name, ps, _) = by_parts.last().expect("endpoint without urls");
        let fields: Vec<String> = ps
            .iter()
            .map(|p| {
                if is_required(p) {
                    format!("{0}: self.{0}.clone()", part_ident(p))
                } else {
                    format!("{0}: self.{0}.clone().unwrap_or_default()", part_ident(p))
                }
            })
            .collect();
        let _ = writeln!(s, "{path_ident}::{name} {{ {} }}", fields.join(", "));
    }
    let _ = writeln!(s, "}}\n");
    // Setters.
    for p in &optional {
        let _ = writeln!(
            s,
            "#[doc = {:?}]\npub fn {}(mut self, v: {}) -> Self {{\nself.{} = Some({});\nself\n}}\n",
            p.doc,
            p.ident,
            p.kind.arg_type(),
            p.ident,
            p.kind.render("v")
        );
        setters.push((p.ident.clone(), format!("v: {}", p.kind.arg_type()), "v".to_owned()));
    }
    for p in &query {
        let _ = writeln!(
            s,
            "#[doc = {:?}]\npub fn {}(mut self, v: {}) -> Self {{\nself.params.set({:?}, {});\nself\n}}\n",
            p.doc,
            p.ident,
            p.kind.arg_type(),
            p.wire,
            p.kind.render("v")
        );
        setters.push((p.ident.clone(), format!("v: {}", p.kind.arg_type()), "v".to_owned()));
    }
    for f in &body_fields {
        let arg = format!("v: impl crate::IntoField<{}>", f.ty);
        if f.entry {
            let _ = writeln!(
                s,
                "#[doc = {:?}]\npub fn {}(mut self, name: impl Into<String>, {arg}) -> Self {{\nself.body.entry({:?}, name.into(), v.into_field());\nself\n}}\n",
                f.doc, f.ident, f.wire
            );
            setters.push((f.ident.clone(), format!("name: impl Into<String>, {arg}"), "name, v".to_owned()));
        } else {
            let _ = writeln!(
                s,
                "#[doc = {:?}]\npub fn {}(mut self, {arg}) -> Self {{\nself.body.field({:?}, v.into_field());\nself\n}}\n",
                f.doc, f.ident, f.wire
            );
            setters.push((f.ident.clone(), arg, "v".to_owned()));
        }
    }
    match &bmode {
        BodyMode::None => {}
        BodyMode::Json(Some(ty)) => {
            let _ = writeln!(s, "/// The whole JSON body (`{ty}`), replacing every body field set before; a body-field setter after it changes that field.\npub fn body(mut self, body: {ty}) -> Self {{\nself.body.json(&body);\nself\n}}\n");
            setters.push(("body".into(), format!("body: {ty}"), "body".into()));
        }
        BodyMode::Json(None) | BodyMode::Generic => {
            let _ = writeln!(s, "/// The JSON body: any serializable value.\npub fn body<T: serde::Serialize>(mut self, body: T) -> Self {{\nself.body.json(&body);\nself\n}}\n");
            setters.push(("body<T: serde::Serialize>".into(), "body: T".into(), "body".into()));
        }
        BodyMode::Ndjson => {
            let _ = writeln!(s, "/// The NDJSON body: one serializable value per line.\npub fn body<T: serde::Serialize>(mut self, lines: impl IntoIterator<Item = T>) -> Self {{\nself.body.ndjson(lines);\nself\n}}\n");
            let _ = writeln!(s, "/// The NDJSON body as bytes (a final newline is added when missing).\npub fn body_bytes(mut self, bytes: impl Into<Bytes>) -> Self {{\nself.body.raw(Body::ndjson_bytes(bytes));\nself\n}}\n");
            setters.push((
                "body<T: serde::Serialize>".into(),
                "lines: impl IntoIterator<Item = T>".into(),
                "lines".into(),
            ));
            setters.push(("body_bytes".into(), "bytes: impl Into<Bytes>".into(), "bytes".into()));
        }
    }
    let _ = writeln!(s, "}}\n");
    // Endpoint impl.
    let (resp_ty, decode, accept) = match &rmode {
        RespMode::Exists => (
            "bool".to_owned(),
            "elastik_base::endpoint::decode_exists(response)".to_owned(),
            "elastik_base::media::JSON".to_owned(),
        ),
        RespMode::Json => (
            ep.e.response
                .as_ref()
                .and_then(|r| model.path_of(r, "elastik_types"))
                .unwrap_or_else(|| "serde_json::Value".into()),
            "elastik_base::endpoint::decode_json(response)".to_owned(),
            "elastik_base::media::JSON".to_owned(),
        ),
        RespMode::Cat => (
            format!(
                "crate::CatResponse<{}>",
                ep.e.response
                    .as_ref()
                    .and_then(|r| model.path_of(r, "elastik_types"))
                    .unwrap_or_else(|| "serde_json::Value".into())
            ),
            "crate::support::decode_cat(response)".to_owned(),
            "crate::support::TEXT_OR_JSON".to_owned(),
        ),
        RespMode::Text => (
            "String".to_owned(),
            "elastik_base::endpoint::decode_text(response)".to_owned(),
            "elastik_base::media::TEXT".to_owned(),
        ),
        RespMode::Binary(m) => {
            ("crate::BinaryBody".to_owned(), "crate::support::decode_binary(response)".to_owned(), format!("{m:?}"))
        }
    };
    let body_expr = if bmode == BodyMode::None { "Body::Empty" } else { "self.body.get()?" };
    let body_capable = bmode != BodyMode::None;
    // An endpoint that takes a body names its media type even when called
    // without one, as the official clients do.
    let content_type = if !body_capable {
        String::new()
    } else {
        let media = match bmode {
            BodyMode::Ndjson => "elastik_base::media::NDJSON",
            _ => "elastik_base::media::JSON",
        };
        format!("crate::support::name_content_type(&mut request, {media});\n")
    };
    let _ = writeln!(
        s,
        "impl Endpoint for {id} {{\ntype Response = {resp_ty};\n\nfn id(&self) -> &'static str {{\n{:?}\n}}\n\nfn to_request(&self) -> Result<http::Request<Body>, Error> {{\nlet body = {body_expr};\nlet path = self.path();\nlet method = crate::support::pick_method(path.methods());\nlet mut request = build_request(method, &path.render(), &self.params.query(), {accept}, body)?;\n{content_type}elastik_base::endpoint::UrlMethods(path.methods()).attach(&mut request);\nOk(request)\n}}\n\nfn decode(&self, response: &http::Response<Bytes>) -> Result<Self::Response, Error> {{\n{decode}\n}}\n}}\n",
        ep.e.name
    );
    let _ = body_capable;
    // Forwarding setters on Request.
    let fwd: Vec<&(String, String, String)> = setters
        .iter()
        .filter(|(n, _, _)| {
            let base = bare(n.split('<').next().unwrap_or(n));
            !custom::REQUEST_METHODS.contains(&base)
        })
        .collect();
    if !fwd.is_empty() {
        let _ = writeln!(s, "impl<X: elastik_base::Executor> crate::Request<'_, X, {id}> {{");
        for (name, decl, arg) in fwd {
            let base = name.split('<').next().unwrap_or(name);
            let _ = writeln!(s, "#[doc = \"See [`{id}::{}`].\"]\npub fn {name}(self, {decl}) -> Self {{\nself.map(move |e| e.{base}({arg}))\n}}\n", bare(base));
        }
        let _ = writeln!(s, "}}");
    }
    if bmode == BodyMode::None {
        s = s.replace("use crate::support::{BodySlot, Params};", "use crate::support::Params;");
    }
    Rendered { code: s }
}

/// The conversions body-field setters accept for the generated unions of
/// alternatives their fields name (`impl IntoField<TrackHits> for bool`):
/// each alternative, through nested unions, plain aliases (`Field` is a
/// `String`, so `&str` too) and short forms (`SourceFilter`'s field list),
/// serializes as the union does.
fn field_impls(model: &Model<'_>, eps: &[Ep<'_>]) -> String {
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut generic_vec: BTreeSet<(String, String)> = BTreeSet::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut work: Vec<Union> = Vec::new();
    for ep in eps {
        let Some(req) = ep.req else { continue };
        let BodyMode::Json(Some(_)) = body_mode(model, ep) else { continue };
        let BodyDef::Properties { properties } = &req.body else { continue };
        let cx = model.cx(&req.name, &req.generics, "elastik_types");
        for p in properties {
            let v = match &p.ty {
                ValueOf::DictionaryOf { value, .. } => value.as_ref(),
                other => other,
            };
            if let Some(u) = union_of(model, v, &cx, &p.name) {
                work.push(u);
            }
        }
    }
    while let Some(u) = work.pop() {
        if !seen.insert(u.path.clone()) || u.path.contains('<') {
            continue;
        }
        let mut leaves: BTreeSet<String> = BTreeSet::new();
        let mut stack: Vec<(ValueOf, Cx, String, usize)> =
            u.items.iter().map(|i| (i.clone(), u.cx.clone(), u.slot.clone(), 0)).collect();
        while let Some((item, icx, islot, depth)) = stack.pop() {
            if depth > 4 {
                continue;
            }
            let item = resolve_plain_alias(model, &item).clone();
            match &item {
                ValueOf::UnionOf { items } => {
                    stack.extend(items.iter().map(|i| (i.clone(), icx.clone(), islot.clone(), depth)));
                    continue;
                }
                ValueOf::LiteralValue { .. } => continue,
                ValueOf::ArrayOf { value } => {
                    let inner = resolve_plain_alias(model, value).clone();
                    let ty = model.rust_type(&inner, &icx, &islot, false);
                    leaves.insert(format!("Vec<{ty}>"));
                    continue;
                }
                _ => {}
            }
            if let Some(inner) = union_of(model, &item, &icx, &islot) {
                stack.extend(inner.items.iter().map(|i| (i.clone(), inner.cx.clone(), inner.slot.clone(), depth + 1)));
                leaves.insert(inner.path.clone());
                work.push(inner);
                continue;
            }
            if let ValueOf::InstanceOf { ty, .. } = &item {
                if let Some(TypeDef::Interface(i)) = model.def(ty) {
                    if let (Some(sp), Some(path)) = (&i.shortcut_property, model.path_of(ty, "elastik_types")) {
                        // A short form: the full struct, and what the short form takes.
                        if let Some((p, _)) = model.all_props(i).into_iter().find(|(p, _)| &p.name == sp) {
                            let scx = model.cx(&i.name, &i.generics, "elastik_types");
                            stack.push((p.ty.clone(), scx, p.name.clone(), depth + 1));
                        }
                        leaves.insert(path);
                    }
                }
            }
            let ty = model.rust_type(&item, &icx, &islot, false);
            if ty == "()" || ty.starts_with("Option<") {
                continue;
            }
            match ty.as_str() {
                "String" => leaves.extend(["String".to_owned(), "&str".to_owned()]),
                "i64" | "u64" => leaves.extend([ty.clone(), "i32".to_owned()]),
                _ => {
                    leaves.insert(ty);
                }
            }
        }
        leaves.remove(&u.path);
        let vecs: Vec<&String> = leaves.iter().filter(|l| l.starts_with("Vec<")).collect();
        let one_vec = if vecs.len() == 1 { Some(vecs[0].clone()) } else { None };
        for l in &leaves {
            if Some(l) == one_vec.as_ref() {
                generic_vec.insert((u.path.clone(), qualify(&l["Vec<".len()..l.len() - 1])));
            } else if !l.contains("support::Shortcut<") {
                pairs.insert((u.path.clone(), qualify(l)));
            }
        }
    }
    let mut s = String::from("//! What body-field setters accept for the generated unions: each alternative.\n\nuse serde_json::Value;\n\nuse crate::IntoField;\n\n");
    for (union, leaf) in &pairs {
        let _ = writeln!(s, "impl IntoField<{union}> for {leaf} {{\nfn into_field(self) -> Result<Value, serde_json::Error> {{\nserde_json::to_value(self)\n}}\n}}\n");
    }
    for (union, inner) in &generic_vec {
        let _ = writeln!(s, "impl<V: IntoField<{inner}>> IntoField<{union}> for Vec<V> {{\nfn into_field(self) -> Result<Value, serde_json::Error> {{\nself.into_iter().map(IntoField::into_field).collect::<Result<Vec<Value>, _>>().map(Value::Array)\n}}\n}}\n");
    }
    s
}

/// A generated union of alternatives: its path, alternatives and their context.
struct Union {
    path: String,
    items: Vec<ValueOf>,
    cx: Cx,
    slot: String,
}

/// Follows aliases of one other type (`Field` → `string`), not of unions.
fn resolve_plain_alias<'v>(model: &Model<'v>, v: &'v ValueOf) -> &'v ValueOf {
    let mut cur = v;
    for _ in 0..16 {
        match cur {
            ValueOf::InstanceOf { ty, .. } if builtin(ty).is_none() => match model.def(ty) {
                Some(TypeDef::TypeAlias(a))
                    if a.generics.is_empty() && a.variants.is_none() && !matches!(a.ty, ValueOf::UnionOf { .. }) =>
                {
                    cur = &a.ty
                }
                _ => break,
            },
            _ => break,
        }
    }
    cur
}

/// The generated union of alternatives behind `v` (an inline union, or an
/// alias of one without a tag).
fn union_of(model: &Model<'_>, v: &ValueOf, cx: &Cx, slot: &str) -> Option<Union> {
    match v {
        ValueOf::UnionOf { items } => {
            let path = model.rust_type(v, cx, slot, false);
            path.starts_with("elastik_types::").then(|| Union {
                path,
                items: items.clone(),
                cx: cx.clone(),
                slot: slot.to_owned(),
            })
        }
        ValueOf::InstanceOf { ty, .. } => match model.def(ty) {
            Some(TypeDef::TypeAlias(a)) if a.generics.is_empty() && a.variants.is_none() => match &a.ty {
                ValueOf::UnionOf { items } => Some(Union {
                    path: model.path_of(ty, "elastik_types")?,
                    items: items.clone(),
                    cx: model.cx(&a.name, &a.generics, "elastik_types"),
                    slot: "value".to_owned(),
                }),
                inner @ ValueOf::InstanceOf { .. } => union_of(model, inner, cx, slot),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// Writes `core/api/src/generated/**`.
pub fn api_files(model: &Model<'_>, version: &str, files: &mut Files) {
    let root = Path::new("core/api/src/generated");
    let eps = model.eps();
    let mut by_ns: BTreeMap<Option<String>, Vec<&Ep<'_>>> = BTreeMap::new();
    for ep in &eps {
        by_ns.entry(ep.ns.clone()).or_default().push(ep);
    }
    let mut top = header(version);
    top.push_str("//! Generated endpoints: root endpoints here, the others in one module per namespace.\n\n");
    top.push_str("use elastik_base::Executor;\n\nuse crate::{Client, Request};\n\nmod fields;\n\n");
    let mut fields = header(version);
    fields.push_str(&field_impls(model, &eps));
    files.insert(root.join("fields.rs"), fields);
    let mut client_methods = String::new();
    for (ns, list) in &by_ns {
        let mut accessor_methods = String::new();
        let mut mods = String::new();
        for ep in list {
            let r = render_endpoint(model, ep);
            let mut text = header(version);
            let _ = writeln!(text, "//! The `{}` endpoint.\n", ep.e.name);
            text.push_str(&r.code);
            let file = format!("{}.rs", bare(&snake(&ep.short)));
            let modname = raw_if_keyword(bare(&snake(&ep.short)).to_owned());
            match ns {
                Some(n) => files.insert(root.join(bare(&module_ident(n))).join(&file), text),
                None => files.insert(root.join(&file), text),
            };
            let _ = writeln!(mods, "mod {modname};\npub use {modname}::*;");
            // Accessor method with required args.
            let (required, _, _, _) = params(model, ep);
            let args: Vec<String> = required.iter().map(|p| format!("{}: {}", p.ident, p.kind.arg_type())).collect();
            let names: Vec<String> = required.iter().map(|p| p.ident.clone()).collect();
            let mut mname = snake(&ep.short);
            if ns.is_none() && custom::CLIENT_METHODS.contains(&bare(&mname)) {
                mname = format!("{}_api", bare(&mname));
            }
            let doc = format!("`{}`: see [`{}`].", ep.e.name, ep.ident);
            let (recv, lt, client) =
                if ns.is_some() { ("&self", "'a", "self.client") } else { ("&self", "'_", "self") };
            let _ = writeln!(
                if ns.is_some() { &mut accessor_methods } else { &mut client_methods },
                "#[doc = {doc:?}]\npub fn {mname}({recv}{}{}) -> Request<{lt}, X, {}> {{\n{client}.request({}::new({}))\n}}\n",
                if args.is_empty() { "" } else { ", " },
                args.join(", "),
                ep.module_path,
                ep.module_path,
                names.join(", ")
            );
        }
        match ns {
            None => top.push_str(&mods),
            Some(n) => {
                let m = module_ident(n);
                let acc = pascal(n);
                let mut text = header(version);
                let _ = writeln!(text, "//! Endpoints of the `{n}` namespace and the [`{acc}`] accessor.\n");
                let _ = writeln!(text, "use elastik_base::Executor;\n\nuse crate::{{Client, Request}};\n");
                text.push_str(&mods);
                let _ = writeln!(
                    text,
                    "\n/// The `{n}` endpoints of a client: `client.{m}().…`.\n#[derive(Debug)]\npub struct {acc}<'a, X> {{\npub(crate) client: &'a Client<X>,\n}}\n\nimpl<'a, X: Executor> {acc}<'a, X> {{\n{accessor_methods}}}\n"
                );
                files.insert(root.join(bare(&m)).join("mod.rs"), text);
                let feature = bare(&m).to_owned();
                let _ = writeln!(top, "#[cfg(feature = {feature:?})]\npub mod {m};");
                let _ = writeln!(
                    client_methods,
                    "/// The `{n}` endpoints (feature `{feature}`).\n#[cfg(feature = {feature:?})]\npub fn {m}(&self) -> {m}::{acc}<'_, X> {{\n{m}::{acc} {{ client: self }}\n}}\n"
                );
            }
        }
    }
    let _ = writeln!(top, "\nimpl<X: Executor> Client<X> {{\n{client_methods}}}\n");
    files.insert(root.join("mod.rs"), top);
}

/// Writes `conformance-tests/src/generated/dispatch.rs`: endpoint name +
/// JSON arguments → typed request.
pub fn dispatch_file(model: &Model<'_>, version: &str, files: &mut Files) {
    let eps = model.eps();
    let mut s = header(version);
    s.push_str("//! Endpoint name + JSON parts, parameters and body → the typed request, through its setters.\n\n");
    s.push_str("use crate::args::Args;\nuse crate::DynEndpoint;\n\n");
    s.push_str("/// Builds the typed request of `api`; `None` when the API is unknown.\npub fn build(api: &str, a: &Args) -> Option<Result<Box<dyn DynEndpoint>, String>> {\nSome(match api {\n");
    for ep in &eps {
        let _ = writeln!(s, "{:?} => {}(a),", ep.e.name, fn_name(ep));
    }
    s.push_str("_ => return None,\n})\n}\n\n");
    s.push_str("/// Every endpoint name the typed API has.\npub const ENDPOINTS: &[&str] = &[\n");
    for ep in &eps {
        let _ = writeln!(s, "{:?},", ep.e.name);
    }
    s.push_str("];\n\n");
    s.push_str("/// Every spec type the generator covers: `namespace::Name`.\npub const TYPES: &[&str] = &[\n");
    for name in model.idents.keys() {
        let _ = writeln!(s, "{:?},", name.display());
    }
    s.push_str("];\n\n");
    s.push_str("/// Every URL of every endpoint: `(endpoint, path template, methods)`.\npub const URLS: &[(&str, &str, &[&str])] = &[\n");
    for ep in &eps {
        for u in &ep.e.urls {
            let ms: Vec<String> = u.methods.iter().map(|m| format!("{m:?}")).collect();
            let _ = writeln!(s, "({:?}, {:?}, &[{}]),", ep.e.name, u.path, ms.join(", "));
        }
    }
    s.push_str("];\n\n");
    for ep in &eps {
        let (required, optional, query, _) = params(model, ep);
        let path = ep.module_path.replace("crate::", "elastik_api::");
        let _ = writeln!(s, "fn {}(a: &Args) -> Result<Box<dyn DynEndpoint>, String> {{", fn_name(ep));
        let req_args: Vec<String> =
            required.iter().map(|p| format!("{}(a.part({:?})?)?", p.kind.parser_fn(), p.wire)).collect();
        let _ = writeln!(s, "#[allow(unused_mut)]\nlet mut e = {path}::new({});", req_args.join(", "));
        for p in &optional {
            let _ = writeln!(
                s,
                "if let Some(v) = a.opt_part({:?}) {{ e = e.{}({}(v)?); }}",
                p.wire,
                p.ident,
                p.kind.parser_fn()
            );
        }
        let _ = writeln!(s, "for (k, v) in a.params() {{\ne = match k.as_str() {{");
        for p in &query {
            let _ = writeln!(s, "{:?} => e.{}({}(v)?),", p.wire, p.ident, p.kind.parser_fn());
        }
        let _ = writeln!(s, "other => return Err(format!(\"unknown parameter {{other}}\")),\n}};\n}}");
        match body_mode(model, ep) {
            BodyMode::None => {
                let _ = writeln!(s, "if a.body().is_some() {{ return Err(\"this endpoint takes no body\".into()); }}");
            }
            BodyMode::Json(Some(ty)) => {
                let _ = writeln!(s, "if let Some(b) = a.body() {{ e = e.body(crate::args::typed::<{ty}>(b)?); }}");
            }
            BodyMode::Json(None) | BodyMode::Generic => {
                let _ = writeln!(s, "if let Some(b) = a.body() {{ e = e.body(b.clone()); }}");
            }
            BodyMode::Ndjson => {
                let _ = writeln!(s, "if let Some(b) = a.body() {{ e = e.body(crate::args::lines(b)?); }}");
            }
        }
        let _ = writeln!(s, "Ok(Box::new(e))\n}}\n");
    }
    files.insert(Path::new("conformance-tests/src/generated/dispatch.rs").to_path_buf(), s);
    let mut m = header(version);
    m.push_str("//! Generated tables for the conformance runner.\n\npub mod dispatch;\n");
    files.insert(Path::new("conformance-tests/src/generated/mod.rs").to_path_buf(), m);
    let _ = RespMode::Json;
}

fn fn_name(ep: &Ep<'_>) -> String {
    format!("ep_{}", ep.e.name.trim_start_matches('_').replace(['.', '-'], "_"))
}
