//! Body types: interfaces → structs, enums → string enums keeping unknown
//! values, unions → enums, containers → externally tagged enums.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::custom;
use crate::model::Model;
use crate::names::{bare, module_of, pascal, snake, unique};
use crate::schema::{BodyDef, EnumDef, Interface, Property, TypeDef, TypeName, ValueOf};

/// Rendering context: whose fields these are and which generics are in scope.
#[derive(Clone)]
pub struct Cx {
    /// The type owning the fields (for boxing and inline union names).
    pub owner: TypeName,
    /// Its Rust ident.
    pub owner_ident: String,
    /// Generic parameters in scope, rendered by name.
    pub generics: Vec<TypeName>,
    /// Generic parameters substituted by rendered types.
    pub subst: BTreeMap<TypeName, String>,
    /// `crate` inside elastik-types, `elastik_types` elsewhere.
    pub prefix: &'static str,
}

impl<'s> Model<'s> {
    /// A context for the fields of `owner`.
    pub fn cx(&self, owner: &TypeName, generics: &[TypeName], prefix: &'static str) -> Cx {
        Cx {
            owner: owner.clone(),
            owner_ident: self.idents.get(owner).map(|(_, i)| i.clone()).unwrap_or_else(|| pascal(&owner.name)),
            generics: generics.to_vec(),
            subst: BTreeMap::new(),
            prefix,
        }
    }

    /// The Rust path of a generated type.
    pub fn path_of(&self, name: &TypeName, prefix: &str) -> Option<String> {
        self.idents.get(name).map(|(m, i)| format!("{prefix}::{m}::{i}"))
    }

    /// Renders a type expression. `direct` is false under a `Vec` or map.
    pub fn rust_type(&self, v: &ValueOf, cx: &Cx, slot: &str, direct: bool) -> String {
        match v {
            ValueOf::InstanceOf { ty, generics } => {
                if let Some(s) = cx.subst.get(ty) {
                    return s.clone();
                }
                if cx.generics.contains(ty) {
                    return ty.name.clone();
                }
                if let Some(p) = builtin(ty) {
                    return p.to_owned();
                }
                let Some(def) = self.def(ty) else { return "serde_json::Value".to_owned() };
                let Some(path) = self.path_of(ty, cx.prefix) else { return "serde_json::Value".to_owned() };
                let mut out = path;
                if !generics.is_empty() {
                    let args: Vec<String> = generics.iter().map(|g| self.rust_type(g, cx, slot, false)).collect();
                    out = format!("{out}<{}>", args.join(", "));
                }
                if direct && self.needs_box(&cx.owner, ty) {
                    out = format!("Box<{out}>");
                }
                if let TypeDef::Interface(i) = def {
                    if let Some(sp) = &i.shortcut_property {
                        if let Some(p) = self.all_props(i).into_iter().find(|(p, _)| &p.name == sp) {
                            let tcx = self.cx(&i.name, &i.generics, cx.prefix);
                            let short = self.rust_type(&p.0.ty, &tcx, &p.0.name, false);
                            out = format!("{}::support::Shortcut<{out}, {short}>", cx.prefix);
                        }
                    }
                }
                out
            }
            ValueOf::ArrayOf { value } => format!("Vec<{}>", self.rust_type(value, cx, slot, false)),
            ValueOf::DictionaryOf { value, .. } => {
                let inner = self.rust_type(value, cx, slot, false);
                if self.is_external_union(value) {
                    format!("{}::support::TypedMap<{inner}>", cx.prefix)
                } else {
                    format!("BTreeMap<String, {inner}>")
                }
            }
            ValueOf::UnionOf { items } => self.inline_union(items, cx, slot, direct),
            ValueOf::UserDefinedValue => "serde_json::Value".to_owned(),
            ValueOf::LiteralValue { value } => literal_type(value).to_owned(),
        }
    }

    fn is_external_union(&self, v: &ValueOf) -> bool {
        if let ValueOf::InstanceOf { ty, .. } = v {
            if let Some(TypeDef::TypeAlias(a)) = self.def(ty) {
                return a.variants.as_ref().is_some_and(|v| v.kind == "external_tag");
            }
        }
        false
    }

    /// Whether a required field of this type can be plain with `#[serde(default)]`.
    pub fn defaultable(&self, v: &ValueOf, cx: &Cx) -> bool {
        match v {
            ValueOf::InstanceOf { ty, .. } => {
                if cx.generics.contains(ty) || cx.subst.contains_key(ty) {
                    return false;
                }
                if builtin(ty).is_some() {
                    return true;
                }
                match self.def(ty) {
                    None => true,
                    Some(TypeDef::Interface(i)) => {
                        i.shortcut_property.is_none() && i.variants.as_ref().is_none_or(|_| self.container_is_struct(i))
                    }
                    Some(TypeDef::TypeAlias(a)) => {
                        if matches!(a.ty, ValueOf::UnionOf { .. }) || !a.generics.is_empty() {
                            false
                        } else {
                            self.defaultable(&a.ty, cx)
                        }
                    }
                    Some(TypeDef::Enum(_)) => false,
                    Some(_) => true,
                }
            }
            ValueOf::ArrayOf { .. } | ValueOf::DictionaryOf { .. } | ValueOf::UserDefinedValue => true,
            ValueOf::LiteralValue { .. } => true,
            ValueOf::UnionOf { .. } => false,
        }
    }

    /// A container with non-variant properties is generated as a struct of options.
    pub fn container_is_struct(&self, i: &Interface) -> bool {
        i.properties.iter().any(|p| p.container_property)
    }

    fn flatten_union<'v>(&'v self, items: &'v [ValueOf], out: &mut Vec<&'v ValueOf>) {
        for it in items {
            match it {
                ValueOf::UnionOf { items } => self.flatten_union(items, out),
                other => out.push(other),
            }
        }
    }

    /// Ordering so untagged decoding tries narrow shapes first.
    fn rank(&self, v: &ValueOf) -> u8 {
        match self.resolve(v) {
            ValueOf::InstanceOf { ty, .. } => match builtin(ty) {
                Some("()") => 0,
                Some("bool") => 1,
                Some("i64") | Some("u64") => 2,
                Some("f64") => 3,
                Some("String") => 5,
                Some(_) => 8,
                None => match self.def(ty) {
                    Some(TypeDef::Enum(_)) => 4,
                    _ => 7,
                },
            },
            ValueOf::LiteralValue { value } => match value {
                serde_json::Value::Bool(_) => 1,
                serde_json::Value::Number(n) if n.is_f64() => 3,
                serde_json::Value::Number(_) => 2,
                _ => 5,
            },
            ValueOf::ArrayOf { .. } => 6,
            ValueOf::DictionaryOf { .. } => 7,
            ValueOf::UnionOf { .. } => 7,
            ValueOf::UserDefinedValue => 9,
        }
    }

    fn variant_name(&self, v: &ValueOf) -> String {
        match v {
            ValueOf::InstanceOf { ty, .. } => match builtin(ty) {
                Some("String") => "String".to_owned(),
                Some("bool") => "Bool".to_owned(),
                Some("()") => "Null".to_owned(),
                Some("serde_json::Value") => "Value".to_owned(),
                _ => self.idents.get(ty).map(|(_, i)| i.clone()).unwrap_or_else(|| pascal(&ty.name)),
            },
            ValueOf::ArrayOf { value } => format!("{}List", self.variant_name(value)),
            ValueOf::DictionaryOf { value, .. } => format!("{}Map", self.variant_name(value)),
            ValueOf::UserDefinedValue => "Value".to_owned(),
            ValueOf::LiteralValue { value } => match value {
                serde_json::Value::String(_) => "String".to_owned(),
                serde_json::Value::Bool(_) => "Bool".to_owned(),
                _ => "Number".to_owned(),
            },
            ValueOf::UnionOf { .. } => "Union".to_owned(),
        }
    }

    /// The variants of an untagged union, ordered, deduplicated.
    fn union_variants(&self, items: &[ValueOf], cx: &Cx, slot: &str) -> (Vec<UnionVariant>, bool) {
        let mut flat = Vec::new();
        self.flatten_union(items, &mut flat);
        flat.sort_by_key(|v| self.rank(v));
        let has_string = flat.iter().any(|v| self.rank(v) == 5 && !matches!(v, ValueOf::LiteralValue { .. }));
        let mut seen = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut out = Vec::new();
        let mut nullable = false;
        for it in flat {
            if has_string && matches!(it, ValueOf::LiteralValue { value: serde_json::Value::String(_) }) {
                continue;
            }
            let ty = self.rust_type(it, cx, slot, true);
            if ty == "()" {
                nullable = true;
                continue;
            }
            if !seen.insert(ty.clone()) {
                continue;
            }
            let name = unique(self.variant_name(it), &mut names);
            out.push((name, ty, self.required_keys(it)));
        }
        (out, nullable)
    }

    /// The wire names a struct member of a union requires (with their
    /// inherited ones), when it is a plain interface with some.
    fn required_keys(&self, v: &ValueOf) -> Option<Vec<String>> {
        let ValueOf::InstanceOf { ty, .. } = self.resolve(v) else { return None };
        let Some(TypeDef::Interface(i)) = self.def(ty) else { return None };
        if i.variants.is_some() {
            return None;
        }
        let keys: Vec<String> = self
            .all_props(i)
            .into_iter()
            .filter(|(p, _)| p.required && p.stack_since().is_none())
            .map(|(p, _)| p.name)
            .collect();
        (!keys.is_empty()).then_some(keys)
    }

    fn inline_union(&self, items: &[ValueOf], cx: &Cx, slot: &str, direct: bool) -> String {
        let (variants, nullable) = self.union_variants(items, cx, slot);
        if variants.len() == 1 {
            let t = variants[0].1.clone();
            return if nullable { format!("Option<{t}>") } else { t };
        }
        if variants.is_empty() {
            return "serde_json::Value".to_owned();
        }
        let key = (cx.owner.clone(), slot.to_owned());
        let module =
            self.idents.get(&cx.owner).map(|(m, _)| m.clone()).unwrap_or_else(|| module_of(&cx.owner.namespace));
        let generics = used_generics(&cx.generics, variants.iter().map(|(_, t, _)| t.as_str()));
        let args = if generics.is_empty() { String::new() } else { format!("<{}>", generics.join(", ")) };
        let existing = self.inline.borrow().get(&key).cloned();
        let ident = match existing {
            Some(i) => i,
            None => {
                let ident = self.fresh_ident(&module, format!("{}{}", cx.owner_ident, pascal(slot)));
                self.inline.borrow_mut().insert(key, ident.clone());
                let doc = format!("An inline union of `{}` (field `{slot}`).", cx.owner.display());
                let def = untagged_enum(&ident, &generics, &variants, nullable, &doc);
                self.inline_defs.borrow_mut().entry(cx.owner.namespace.clone()).or_default().push(def);
                ident
            }
        };
        let _ = direct;
        format!("{}::{module}::{ident}{args}", cx.prefix)
    }

    /// Properties of an interface including inherited ones, each with the
    /// context to render it in.
    pub fn all_props(&self, i: &'s Interface) -> Vec<(Property, Cx)> {
        self.props_with(i, BTreeMap::new(), "crate")
    }

    fn props_with(
        &self,
        i: &'s Interface,
        subst: BTreeMap<TypeName, String>,
        prefix: &'static str,
    ) -> Vec<(Property, Cx)> {
        let mut out: Vec<(Property, Cx)> = Vec::new();
        let mut cx = self.cx(&i.name, &i.generics, prefix);
        cx.subst = subst.clone();
        if let Some(inh) = &i.inherits {
            if let Some(TypeDef::Interface(base)) = self.def(&inh.ty) {
                let mut bsubst = BTreeMap::new();
                for (g, a) in base.generics.iter().zip(&inh.generics) {
                    bsubst.insert(g.clone(), self.rust_type(a, &cx, "generic", false));
                }
                for (p, mut pcx) in self.props_with(base, bsubst.clone(), prefix) {
                    if !bsubst.is_empty() || !subst.is_empty() {
                        // Substituted generics: render in the derived type's name.
                        pcx.owner = cx.owner.clone();
                        pcx.owner_ident = cx.owner_ident.clone();
                        pcx.generics = cx.generics.clone();
                        for (k, v) in &subst {
                            pcx.subst.entry(k.clone()).or_insert(v.clone());
                        }
                    }
                    out.retain(|(q, _)| q.name != p.name);
                    out.push((p, pcx));
                }
            }
        }
        for p in &i.properties {
            out.retain(|(q, _)| q.name != p.name);
            out.push((p.clone(), cx.clone()));
        }
        out
    }

    /// Renders one struct field.
    fn field(&self, p: &Property, cx: &Cx, used: &mut BTreeSet<String>, force_optional: bool) -> String {
        let ident = unique(snake(&p.name), used);
        let ty = self.rust_type(&p.ty, cx, &p.name, true);
        let generic = !used_generics(&cx.generics, [ty.as_str()]).is_empty();
        // A required field naming a type parameter is still plain when its
        // type has a default for every parameter: a `Vec`, a map, or a
        // generated generic struct (their `Default` has no bound on the
        // parameters), so `response.hits.hits` needs no unwrapping.
        let default_for_any = match &p.ty {
            ValueOf::ArrayOf { .. } | ValueOf::DictionaryOf { .. } => true,
            ValueOf::InstanceOf { ty, .. } => {
                !cx.generics.contains(ty) && matches!(self.def(ty), Some(TypeDef::Interface(i)) if i.variants.is_none())
            }
            _ => false,
        };
        // A required property added in a later version than its type
        // (`since`) is absent from older servers' answers: optional.
        let added_later = p.stack_since().is_some();
        let plain = p.required
            && !added_later
            && !force_optional
            && (!generic || default_for_any)
            && self.defaultable(&p.ty, cx);
        let mut attrs = Vec::new();
        if bare(&ident) != p.name {
            attrs.push(format!("rename = {:?}", p.name));
        }
        let mut s = String::new();
        // Aliases are fields of their own, so a body written with an alias
        // (`aggs`) is sent as written.
        for a in &p.aliases {
            let aident = unique(snake(a), used);
            let aty = self.rust_type(&p.ty, cx, &p.name, true);
            let aty = if aty.starts_with("Option<") { aty } else { format!("Option<{aty}>") };
            let rename = if bare(&aident) != a { format!(", rename = {a:?}") } else { String::new() };
            let _ = writeln!(s, "#[doc = \"Alias of `{}`.\"]\n#[serde(skip_serializing_if = \"Option::is_none\"{rename})]\npub {aident}: {aty},", p.name);
        }
        let field_ty;
        if plain {
            attrs.insert(0, "default".to_owned());
            field_ty = ty;
        } else if ty.starts_with("Option<") && self.response_only(&cx.owner) && !cx.owner.namespace.starts_with("cat") {
            // `T | null` read from a server: Elasticsearch writes these
            // fields as `null` rather than leaving them out, so `None` is
            // written back as `null`. Not in cat records, whose columns are
            // chosen by `h`.
            attrs.insert(0, "default".to_owned());
            field_ty = ty;
        } else {
            attrs.insert(0, "skip_serializing_if = \"Option::is_none\"".to_owned());
            field_ty = if ty.starts_with("Option<") { ty } else { format!("Option<{ty}>") };
        }
        if plain && field_ty == "bool" && self.response_only(&cx.owner) {
            // A required flag the server left out would otherwise read as a
            // plain `false` (`acknowledged`, `found`): say so where it is read.
            let _ = writeln!(
                s,
                "#[doc = \"Required; an answer without `{}` reads as `false` here (`send_raw` gives the answer as sent).\"]",
                p.name
            );
        }
        let _ = writeln!(s, "#[serde({})]", attrs.join(", "));
        let _ = writeln!(s, "pub {ident}: {field_ty},");
        s
    }

    /// Renders every generated item for one type definition.
    pub fn render_type(&self, def: &'s TypeDef) -> Option<String> {
        let name = def.name();
        let (_, ident) = self.idents.get(name)?;
        match def {
            TypeDef::Interface(i) => Some(self.render_interface(i, ident)),
            TypeDef::Enum(e) => Some(render_enum(e, ident)),
            TypeDef::TypeAlias(a) => {
                let cx = self.cx(&a.name, &a.generics, "crate");
                let doc = format!("Spec type alias `{}`.", a.name.display());
                let decl = decl_generics(&a.generics.iter().map(|g| g.name.clone()).collect::<Vec<_>>());
                match (&a.ty, a.variants.as_ref().map(|v| v.kind.as_str())) {
                    (ValueOf::UnionOf { items }, Some("internal_tag")) if decl.is_empty() => {
                        let v = a.variants.as_ref().expect("variants");
                        let tag = v.tag.clone().unwrap_or_default();
                        Some(self.internal_tag_enum(&a.name, ident, items, &cx, &tag, v.default_tag.as_deref(), &doc))
                    }
                    (ValueOf::UnionOf { items }, Some("internal_tag")) => {
                        let tag = a.variants.as_ref().and_then(|v| v.tag.clone()).unwrap_or_default();
                        Some(self.tagged_enum(ident, &decl, items, &cx, Some(&tag), &doc))
                    }
                    (ValueOf::UnionOf { items }, Some("external_tag")) => {
                        Some(self.tagged_enum(ident, &decl, items, &cx, None, &doc))
                    }
                    (ValueOf::UnionOf { items }, _) => {
                        let (variants, nullable) = self.union_variants(items, &cx, "value");
                        let names: Vec<String> = a.generics.iter().map(|g| g.name.clone()).collect();
                        Some(untagged_enum(ident, &names, &variants, nullable, &doc))
                    }
                    (other, _) => {
                        let ty = self.rust_type(other, &cx, "value", false);
                        Some(format!("#[doc = {doc:?}]\npub type {ident}{decl} = {ty};\n"))
                    }
                }
            }
            TypeDef::Request(r) => {
                let cx = self.cx(&r.name, &r.generics, "crate");
                let decl = decl_generics(&r.generics.iter().map(|g| g.name.clone()).collect::<Vec<_>>());
                let doc = format!(
                    "The request body of `{}`.",
                    self.endpoint_of.get(name).map(|e| e.name.as_str()).unwrap_or("")
                );
                match &r.body {
                    BodyDef::Properties { properties } => {
                        let props: Vec<(Property, Cx)> = properties.iter().map(|p| (p.clone(), cx.clone())).collect();
                        Some(self.render_struct(ident, &decl, &props, &[], &doc, &r.generics, false))
                    }
                    BodyDef::Value { value, .. } => {
                        let ty = self.rust_type(value, &cx, "body", false);
                        Some(format!("#[doc = {doc:?}]\npub type {ident}{decl} = {ty};\n"))
                    }
                    BodyDef::NoBody => None,
                }
            }
            TypeDef::Response(r) => {
                let cx = self.cx(&r.name, &r.generics, "crate");
                let decl = decl_generics(&r.generics.iter().map(|g| g.name.clone()).collect::<Vec<_>>());
                let doc = format!(
                    "The response body of `{}`.",
                    self.endpoint_of.get(name).map(|e| e.name.as_str()).unwrap_or("")
                );
                match &r.body {
                    BodyDef::Properties { properties } => {
                        let props: Vec<(Property, Cx)> = properties.iter().map(|p| (p.clone(), cx.clone())).collect();
                        Some(self.render_struct(ident, &decl, &props, &catch_all(), &doc, &r.generics, false))
                    }
                    BodyDef::Value { value, .. } => {
                        let ty = self.rust_type(value, &cx, "body", false);
                        Some(format!("#[doc = {doc:?}]\npub type {ident}{decl} = {ty};\n"))
                    }
                    BodyDef::NoBody => Some(format!("#[doc = {doc:?}]\npub type {ident} = serde_json::Value;\n")),
                }
            }
        }
    }

    fn render_interface(&self, i: &'s Interface, ident: &str) -> String {
        let decl = decl_generics(&i.generics.iter().map(|g| g.name.clone()).collect::<Vec<_>>());
        let cx = self.cx(&i.name, &i.generics, "crate");
        if let Some(v) = &i.variants {
            if v.kind == "container" && !self.container_is_struct(i) {
                return self.container_enum(i, ident, &decl, &cx);
            }
        }
        let props: Vec<(Property, Cx)> = self
            .all_props(i)
            .into_iter()
            .filter(|(p, _)| !self.skip_tag.contains(&(i.name.clone(), p.name.clone())))
            .collect();
        let mut extra = Vec::new();
        for b in &i.behaviors {
            if (b.ty.name == "AdditionalProperties" || b.ty.name == "AdditionalProperty") && b.generics.len() == 2 {
                let field = b
                    .meta
                    .as_ref()
                    .and_then(|m| m.get("fieldname"))
                    .and_then(|f| f.as_str())
                    .unwrap_or("additional_properties")
                    .to_owned();
                let v = self.rust_type(&b.generics[1], &cx, &field, false);
                let ty = if self.is_external_union(&b.generics[1]) {
                    format!("crate::support::TypedMap<{v}>")
                } else {
                    format!("BTreeMap<String, {v}>")
                };
                extra.push((field, ty));
            }
        }
        let doc = if i.variants.is_some() {
            format!("Spec container `{}`, as a struct: set one variant field.", i.name.display())
        } else {
            format!("Spec interface `{}`.", i.name.display())
        };
        if extra.is_empty() && self.response_only(&i.name) && custom::CATCH_ALL {
            extra = catch_all();
        }
        let force_optional = i.variants.is_some();
        self.render_struct(ident, &decl, &props, &extra, &doc, &i.generics, force_optional)
    }

    #[allow(clippy::too_many_arguments)]
    fn render_struct(
        &self,
        ident: &str,
        decl: &str,
        props: &[(Property, Cx)],
        extra: &[(String, String)],
        doc: &str,
        generics: &[TypeName],
        force_optional: bool,
    ) -> String {
        let mut used = BTreeSet::new();
        let mut body = String::new();
        for (p, cx) in props {
            body.push_str(&self.field(p, cx, &mut used, force_optional));
        }
        for (name, ty) in extra {
            let f = unique(snake(name), &mut used);
            let _ = writeln!(body, "#[serde(flatten)]\npub {f}: {ty},");
        }
        let unused: Vec<String> = generics
            .iter()
            .filter(|g| used_generics(std::slice::from_ref(g), [body.as_str()]).is_empty())
            .map(|g| g.name.clone())
            .collect();
        for g in &unused {
            let _ = writeln!(
                body,
                "#[serde(skip)]\npub _{}: std::marker::PhantomData<fn() -> {g}>,",
                snake(g).trim_start_matches("r#")
            );
        }
        if generics.is_empty() {
            return format!(
                "#[doc = {doc:?}]\n#[derive(Clone, Debug, Default, Serialize, Deserialize)]\npub struct {ident}{decl} {{\n{body}}}\n"
            );
        }
        // `Default` without bounds on the type parameters (a derive would
        // ask `T: Default` of every document type).
        let names: Vec<&str> = generics.iter().map(|g| g.name.as_str()).collect();
        let params = names.join(", ");
        let mut inits: Vec<String> = used.iter().map(|f| format!("{f}: Default::default()")).collect();
        for g in &unused {
            inits.push(format!("_{}: std::marker::PhantomData", snake(g).trim_start_matches("r#")));
        }
        // serde would also ask `T: Default` for the defaulted fields.
        let bound: Vec<String> = names.iter().map(|g| format!("{g}: serde::Deserialize<'de>")).collect();
        let bound = bound.join(", ");
        format!(
            "#[doc = {doc:?}]\n#[derive(Clone, Debug, Serialize, Deserialize)]\n#[serde(bound(deserialize = {bound:?}))]\npub struct {ident}{decl} {{\n{body}}}\n\n\
             impl<{params}> Default for {ident}<{params}> {{\nfn default() -> Self {{\n{ident} {{ {} }}\n}}\n}}\n",
            inits.join(", ")
        )
    }

    fn container_enum(&self, i: &'s Interface, ident: &str, decl: &str, cx: &Cx) -> String {
        let mut names = BTreeSet::new();
        names.insert("Other".to_owned());
        let mut body = String::new();
        for p in i.properties.iter().filter(|p| !p.container_property) {
            let v = unique(pascal(&p.name), &mut names);
            let ty = self.rust_type(&p.ty, cx, &p.name, true);
            let mut attrs = vec![format!("rename = {:?}", p.name)];
            for a in &p.aliases {
                attrs.push(format!("alias = {a:?}"));
            }
            let _ = writeln!(body, "#[serde({})]\n{v}({ty}),", attrs.join(", "));
        }
        let _ = writeln!(body, "/// Any variant this version of the specification does not know.\n#[serde(untagged)]\nOther(serde_json::Value),");
        format!(
            "#[doc = {:?}]\n#[derive(Clone, Debug, Serialize, Deserialize)]\npub enum {ident}{decl} {{\n{body}}}\n",
            format!("Spec container `{}`: one variant, externally tagged.", i.name.display())
        )
    }

    /// An internally tagged union, decoded by hand through a JSON value (leaner
    /// than serde's derive, and able to read non-string tags and the spec's
    /// default tag), with a fallback variant keeping unknown tags.
    #[allow(clippy::too_many_arguments)]
    fn internal_tag_enum(
        &self,
        name: &TypeName,
        ident: &str,
        items: &[ValueOf],
        cx: &Cx,
        tag: &str,
        default_tag: Option<&str>,
        doc: &str,
    ) -> String {
        let mut names = BTreeSet::new();
        names.insert("Other".to_owned());
        let omit_default = custom::DEFAULT_TAG_OMITTED.iter().any(|(ns, n)| *ns == name.namespace && *n == name.name);
        let mut body = String::new();
        let mut de_arms = String::new();
        let mut ser_arms = String::new();
        for it in items {
            let ValueOf::InstanceOf { ty, .. } = it else { continue };
            let Some(wire) = self.tag_json(ty, tag) else { continue };
            let wire_str = match &wire {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let base = self.idents.get(ty).map(|(_, i)| i.clone()).unwrap_or_else(|| pascal(&ty.name));
            let v = unique(base, &mut names);
            let payload = self.rust_type(it, cx, &wire_str, true);
            let _ = writeln!(body, "#[doc = {:?}]\n{v}({payload}),", format!("`{tag}: {wire}`"));
            let _ = writeln!(de_arms, "Some({wire_str:?}) => {ident}::{v}(crate::support::variant(rest)?),");
            let wire_expr = if omit_default && default_tag == Some(wire_str.as_str()) {
                "None".to_owned()
            } else {
                match &wire {
                    serde_json::Value::String(s) => format!("Some(serde_json::Value::String({s:?}.to_owned()))"),
                    serde_json::Value::Bool(b) => format!("Some(serde_json::Value::Bool({b}))"),
                    other => format!("Some(serde_json::json!({other}))"),
                }
            };
            let _ =
                writeln!(ser_arms, "{ident}::{v}(v) => crate::support::tagged(serializer, {tag:?}, {wire_expr}, v),");
        }
        let _ =
            writeln!(body, "/// A variant this version of the specification does not know.\nOther(serde_json::Value),");
        let default = match default_tag {
            Some(d) => format!("Some({d:?})"),
            None => "None".to_owned(),
        };
        format!(
            "#[doc = {doc:?}]\n#[derive(Clone, Debug)]\npub enum {ident} {{\n{body}}}\n\n\
             impl Serialize for {ident} {{\nfn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\nmatch self {{\n{ser_arms}{ident}::Other(v) => v.serialize(serializer),\n}}\n}}\n}}\n\n\
             impl<'de> Deserialize<'de> for {ident} {{\nfn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\nlet value = serde_json::Value::deserialize(deserializer)?;\nlet (tag, rest) = crate::support::untag(&value, {tag:?}, {default});\nOk(match tag.as_deref() {{\n{de_arms}_ => {ident}::Other(value),\n}})\n}}\n}}\n"
        )
    }

    /// An internally (`tag = Some`) or externally tagged union with an untagged fallback.
    fn tagged_enum(&self, ident: &str, decl: &str, items: &[ValueOf], cx: &Cx, tag: Option<&str>, doc: &str) -> String {
        let mut names = BTreeSet::new();
        names.insert("Other".to_owned());
        let mut body = String::new();
        for it in items {
            let ValueOf::InstanceOf { ty, .. } = it else { continue };
            let wire = match tag {
                Some(t) => self.tag_value(ty, t),
                None => match self.def(ty) {
                    Some(TypeDef::Interface(i)) => i.variant_name.clone(),
                    _ => None,
                },
            };
            let Some(wire) = wire else { continue };
            let base = self.idents.get(ty).map(|(_, i)| i.clone()).unwrap_or_else(|| pascal(&ty.name));
            let v = unique(base, &mut names);
            let payload = self.rust_type(it, cx, &wire, true);
            let _ = writeln!(body, "#[serde(rename = {wire:?})]\n{v}({payload}),");
        }
        let _ = writeln!(body, "/// A variant this version of the specification does not know.\n#[serde(untagged)]\nOther(serde_json::Value),");
        let tag_attr = match tag {
            Some(t) => format!("#[serde(tag = {t:?})]\n"),
            None => String::new(),
        };
        format!("#[doc = {doc:?}]\n#[derive(Clone, Debug, Serialize, Deserialize)]\n{tag_attr}pub enum {ident}{decl} {{\n{body}}}\n")
    }
}

/// A builtin type's Rust spelling.
pub fn builtin(ty: &TypeName) -> Option<&'static str> {
    if ty.namespace == "_builtins" {
        return Some(match ty.name.as_str() {
            "string" => "String",
            "boolean" => "bool",
            "number" => "f64",
            "null" | "void" => "()",
            _ => "serde_json::Value",
        });
    }
    if ty.namespace == "_types" {
        if let Some((_, r)) = custom::NUMBERS.iter().find(|(n, _)| *n == ty.name) {
            return Some(r);
        }
    }
    None
}

fn literal_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(n) if n.is_f64() => "f64",
        serde_json::Value::Number(_) => "i64",
        _ => "String",
    }
}

/// The generic parameters (by name) that occur in any of `texts`.
pub fn used_generics<'a>(generics: &[TypeName], texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let words: BTreeSet<&str> =
        texts.into_iter().flat_map(|t| t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))).collect();
    generics.iter().filter(|g| words.contains(g.name.as_str())).map(|g| g.name.clone()).collect()
}

/// `<T = serde_json::Value, U = serde_json::Value>`
pub fn decl_generics(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!("<{}>", names.iter().map(|n| format!("{n} = serde_json::Value")).collect::<Vec<_>>().join(", "))
    }
}

/// The field that keeps members the specification does not list, on
/// response-only structs, so they survive a decode/encode round trip.
fn catch_all() -> Vec<(String, String)> {
    if custom::CATCH_ALL {
        vec![("extra".to_owned(), "BTreeMap<String, serde_json::Value>".to_owned())]
    } else {
        Vec::new()
    }
}

/// One variant of an untagged union: name, Rust type, and the wire names a
/// struct member requires.
type UnionVariant = (String, String, Option<Vec<String>>);

/// An untagged union. With two or more struct members it decodes by
/// required keys first (`support::pick_variant`), so an object is not taken
/// for a lenient struct whose required fields it lacks (an `mget` error item
/// is not a "not found" document, an `msearch` error not an empty search).
fn untagged_enum(ident: &str, generics: &[String], variants: &[UnionVariant], nullable: bool, doc: &str) -> String {
    let decl = decl_generics(generics);
    let mut body = String::new();
    if nullable {
        body.push_str("/// JSON `null`.\nNull,\n");
    }
    for (name, ty, _) in variants {
        let _ = writeln!(body, "{name}({ty}),");
    }
    let has_other = !variants.iter().any(|(_, t, _)| t == "serde_json::Value");
    if has_other {
        body.push_str("/// A value of none of the shapes above.\nOther(serde_json::Value),\n");
    }
    let structs = variants.iter().filter(|v| v.2.is_some()).count();
    if structs < 2 {
        return format!("#[doc = {doc:?}]\n#[derive(Clone, Debug, Serialize, Deserialize)]\n#[serde(untagged)]\npub enum {ident}{decl} {{\n{body}}}\n");
    }
    let bounds: String = generics.iter().map(|g| format!(", {g}: serde::Deserialize<'de>")).collect();
    let args = if generics.is_empty() { String::new() } else { format!("<{}>", generics.join(", ")) };
    let mut candidates = String::new();
    for (name, _, keys) in variants {
        let keys = keys.as_deref().unwrap_or(&[]);
        let _ = writeln!(
            candidates,
            "(&[{}], |v| serde::Deserialize::deserialize(v.clone()).map(Self::{name})),",
            keys.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")
        );
    }
    let null = if nullable { "if value.is_null() {\nreturn Ok(Self::Null);\n}\n" } else { "" };
    let fallback = if has_other {
        "Err(value) => Ok(Self::Other(value)),"
    } else {
        "Err(_) => Err(serde::de::Error::custom(\"no variant of the union matches\")),"
    };
    format!(
        "#[doc = {doc:?}]\n#[derive(Clone, Debug, Serialize)]\n#[serde(untagged)]\npub enum {ident}{decl} {{\n{body}}}\n\n\
         impl<'de{bounds}> serde::Deserialize<'de> for {ident}{args} {{\n\
         fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n\
         let value = serde_json::Value::deserialize(deserializer)?;\n{null}\
         let candidates: &[crate::support::Candidate<Self>] = &[\n{candidates}];\n\
         match crate::support::pick_variant(value, candidates) {{\nOk(v) => Ok(v),\n{fallback}\n}}\n}}\n}}\n"
    )
}

fn render_enum(e: &EnumDef, ident: &str) -> String {
    let mut names = BTreeSet::new();
    let other = if e.members.iter().any(|m| pascal(&m.name) == "Other") { "UnknownValue" } else { "Other" };
    names.insert(other.to_owned());
    let members: Vec<(String, &crate::schema::EnumMember)> =
        e.members.iter().map(|m| (unique(pascal(&m.name), &mut names), m)).collect();
    let mut s = String::new();
    let _ = writeln!(s, "#[doc = {:?}]", format!("Spec enum `{}`; unknown values are kept.", e.name.display()));
    let _ = writeln!(s, "#[derive(Clone, Debug, PartialEq, Eq, Hash)]\npub enum {ident} {{");
    for (v, m) in &members {
        let _ = writeln!(s, "#[doc = {:?}]\n{v},", format!("`{}`", m.name));
    }
    let _ = writeln!(s, "/// A value this version of the specification does not know.\n{other}(String),\n}}");
    let _ = writeln!(s, "impl {ident} {{\n/// The wire value.\npub fn as_str(&self) -> &str {{\nmatch self {{");
    for (v, m) in &members {
        let _ = writeln!(s, "{ident}::{v} => {:?},", m.name);
    }
    let _ = writeln!(s, "{ident}::{other}(s) => s,\n}}\n}}\n}}");
    let _ = writeln!(
        s,
        "impl std::fmt::Display for {ident} {{\nfn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{\nf.write_str(self.as_str())\n}}\n}}"
    );
    let _ = writeln!(s, "impl std::str::FromStr for {ident} {{\ntype Err = std::convert::Infallible;\nfn from_str(s: &str) -> Result<Self, Self::Err> {{\nOk(match s {{");
    let mut seen = BTreeSet::new();
    for (v, m) in &members {
        let pats: Vec<String> = std::iter::once(&m.name)
            .chain(&m.aliases)
            .filter(|p| seen.insert((*p).clone()))
            .map(|p| format!("{p:?}"))
            .collect();
        if !pats.is_empty() {
            let _ = writeln!(s, "{} => {ident}::{v},", pats.join(" | "));
        }
    }
    let _ = writeln!(s, "other => {ident}::{other}(other.to_owned()),\n}})\n}}\n}}");
    // Boolean-like members (`refresh: true`, `dynamic: false`) go out as JSON booleans.
    let bools: Vec<&String> =
        members.iter().filter(|(_, m)| m.name == "true" || m.name == "false").map(|(v, _)| v).collect();
    let ser = if bools.is_empty() {
        "serializer.serialize_str(self.as_str())".to_owned()
    } else {
        let arms: Vec<String> = bools.iter().map(|v| format!("{ident}::{v}")).collect();
        format!("match self {{\n{} => serializer.serialize_bool(self.as_str() == \"true\"),\n_ => serializer.serialize_str(self.as_str()),\n}}", arms.join(" | "))
    };
    let _ = writeln!(
        s,
        "impl Serialize for {ident} {{\nfn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n{ser}\n}}\n}}"
    );
    let _ = writeln!(
        s,
        "impl<'de> Deserialize<'de> for {ident} {{\nfn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\nlet s = crate::support::enum_string(deserializer)?;\nOk(match s.parse() {{ Ok(v) => v, Err(never) => match never {{}} }})\n}}\n}}"
    );
    s
}
