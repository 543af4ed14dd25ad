//! # elastik-derive
//!
//! `#[derive(Document)]` and `#[derive(Mapping)]` for `elastik-dsl`: an index
//! name, settings and a mapping from a struct with named fields.
//!
//! Field types are inferred from the Rust type: `String` → `text` with a
//! `keyword` sub-field, integers and floats → numbers, `bool` → `boolean`,
//! `Option<T>`, `Vec<T>`, `Box<T>` and sets → `T`, `[f32; N]` → `dense_vector`
//! of `N` dims, types named like chrono's and time's date types (`DateTime`,
//! `NaiveDate`, `NaiveDateTime`, `OffsetDateTime`, `PrimitiveDateTime`,
//! `Date`, `Timestamp`, …) → `date` (recognised by name: neither crate is a
//! dependency), and anything else through its `Mapping` impl (a struct
//! deriving `Document` or `Mapping` becomes an object).
//!
//! Attributes, all under `#[es(…)]`:
//! - on the struct: `index = "name"`, `shards = N`, `replicas = N`,
//!   `settings = "<json>"`, `crate = "path::to::dsl"` (default `elastik_dsl`,
//!   or `elastik::dsl` in a crate that depends on the `elastik` facade only);
//! - on a field: `keyword`, `text`, `text(analyzer = "…", search_analyzer = "…")`
//!   (explicit `text` has no keyword sub-field), `nested`, `object`, `skip`,
//!   `id` (the document id), `rename = "…"`, `date`, `date(format = "…")`,
//!   `geo_point`, `dense_vector(dims = N, similarity = "…")`,
//!   `type = "…"` (any field type), `mapping = "<json>"` (the whole mapping).
//!
//! `#[serde(rename = "…")]` and `#[serde(skip)]` are honoured too.
//! Not supported: enums, tuple structs, `#[serde(flatten)]`, `rename_all`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Data, DeriveInput, Expr, Fields, GenericArgument, Lit, Meta, PathArguments, Token, Type};

/// Implements `Mapping` and `Document`: see the crate docs.
#[proc_macro_derive(Document, attributes(es))]
pub fn derive_document(input: TokenStream) -> TokenStream {
    expand(input, true)
}

/// Implements `Mapping` only, for structs used inside documents.
#[proc_macro_derive(Mapping, attributes(es))]
pub fn derive_mapping(input: TokenStream) -> TokenStream {
    expand(input, false)
}

fn expand(input: TokenStream, document: bool) -> TokenStream {
    let input = match syn::parse::<DeriveInput>(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error().into(),
    };
    match expand_input(&input, document) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// `#[es(…)]` options of the struct.
#[derive(Default)]
struct StructOpts {
    index: Option<String>,
    shards: Option<Expr>,
    replicas: Option<Expr>,
    settings: Option<String>,
    krate: Option<String>,
}

/// `#[es(…)]` options of one field.
#[derive(Default)]
struct FieldOpts {
    skip: bool,
    id: bool,
    rename: Option<String>,
    /// An explicit mapping expression, when an attribute sets the type.
    mapping: Option<Tokens>,
    nested: bool,
}

/// Where the derived code finds the DSL: `::elastik_dsl` when the crate
/// being compiled depends on `elastik-dsl` (or is it), `::elastik::dsl` when
/// it depends only on the `elastik` facade. Read from the crate's
/// `Cargo.toml`; `#[es(crate = "…")]` overrides it (renamed dependencies).
// A proc macro runs inside the compiler: the manifest of the crate being
// compiled is found through the variables cargo sets for it. (The core's ban
// of environment reads is about the sans-IO machines, not build-time code.)
#[allow(clippy::disallowed_methods)]
fn default_crate_path() -> &'static str {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .and_then(|d| std::fs::read_to_string(std::path::Path::new(&d).join("Cargo.toml")).ok())
        .unwrap_or_default();
    crate_path_for(&manifest, &std::env::var("CARGO_PKG_NAME").unwrap_or_default())
}

/// [`default_crate_path`] for a manifest's text and a package name.
fn crate_path_for(manifest: &str, package: &str) -> &'static str {
    let declares = |name: &str| {
        manifest.lines().any(|l| {
            let l = l.trim_start();
            l.strip_prefix(name).is_some_and(|rest| {
                let rest = rest.trim_start();
                rest.starts_with('=') || rest.starts_with(".workspace") || rest.starts_with('.')
            }) || l.starts_with(&format!("[dependencies.{name}]"))
                || l.starts_with(&format!("[dev-dependencies.{name}]"))
        })
    };
    let is_dsl = package == "elastik-dsl";
    // The facade's package is `elastik-client` (its library is `elastik`); a
    // dependency may also be renamed to `elastik`.
    let facade = declares("elastik-client") || declares("elastik");
    if is_dsl || declares("elastik-dsl") || declares("elastik_dsl") || !facade {
        "::elastik_dsl"
    } else {
        "::elastik::dsl"
    }
}

fn expand_input(input: &DeriveInput, document: bool) -> syn::Result<Tokens> {
    let opts = struct_opts(input)?;
    let default_path = default_crate_path();
    let krate: syn::Path = syn::parse_str(opts.krate.as_deref().unwrap_or(default_path))?;
    let json = quote!(#krate::__private::serde_json);
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(name, "#[derive(Document)] supports structs with named fields"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(name, "#[derive(Document)] supports structs with named fields"));
    };

    let mut props = Vec::new();
    let mut id_expr = None;
    for field in &fields.named {
        let fopts = field_opts(field, &json)?;
        let ident = field.ident.as_ref().expect("named field");
        if fopts.id {
            id_expr = Some(if outer_is(&field.ty, "Option") {
                quote!(self.#ident.as_ref().map(::std::string::ToString::to_string))
            } else {
                quote!(::std::option::Option::Some(::std::string::ToString::to_string(&self.#ident)))
            });
        }
        if fopts.skip {
            continue;
        }
        let key = fopts.rename.clone().unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
        let mut mapping = match fopts.mapping {
            Some(m) => m,
            None => infer(&field.ty, &krate, &json),
        };
        if fopts.nested {
            mapping = quote!({
                let mut m = #mapping;
                if let ::std::option::Option::Some(o) = m.as_object_mut() {
                    o.insert("type".to_owned(), #json::Value::from("nested"));
                }
                m
            });
        }
        props.push(quote!(props.insert(#key.to_owned(), #mapping);));
    }

    let mapping_impl = quote! {
        impl #impl_generics #krate::Mapping for #name #ty_generics #where_clause {
            fn mapping() -> #json::Value {
                let mut props = #json::Map::new();
                #(#props)*
                let mut o = #json::Map::new();
                o.insert("properties".to_owned(), #json::Value::Object(props));
                #json::Value::Object(o)
            }
        }
    };
    if !document {
        return Ok(mapping_impl);
    }

    let index = opts.index.unwrap_or_else(|| snake_case(&name.to_string()));
    let settings = {
        let base = match &opts.settings {
            Some(s) => quote!(#json::from_str::<#json::Value>(#s).unwrap_or(#json::Value::Null)),
            None => quote!(#json::Value::Null),
        };
        let shards =
            opts.shards.iter().map(|e| quote!(o.insert("number_of_shards".to_owned(), #json::Value::from(#e));));
        let replicas =
            opts.replicas.iter().map(|e| quote!(o.insert("number_of_replicas".to_owned(), #json::Value::from(#e));));
        if opts.shards.is_none() && opts.replicas.is_none() {
            base
        } else {
            quote!({
                let mut s = #base;
                if !s.is_object() {
                    s = #json::Value::Object(#json::Map::new());
                }
                if let ::std::option::Option::Some(o) = s.as_object_mut() {
                    #(#shards)*
                    #(#replicas)*
                }
                s
            })
        }
    };
    let id_fn = id_expr.map(|e| {
        quote! {
            fn document_id(&self) -> ::std::option::Option<::std::string::String> {
                #e
            }
        }
    });
    Ok(quote! {
        #mapping_impl
        impl #impl_generics #krate::Document for #name #ty_generics #where_clause {
            const INDEX: &'static str = #index;
            fn settings() -> #json::Value {
                #settings
            }
            #id_fn
        }
    })
}

fn struct_opts(input: &DeriveInput) -> syn::Result<StructOpts> {
    let mut opts = StructOpts::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("es")) {
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated.parse2(es_tokens(attr)?)? {
            let Meta::NameValue(nv) = &meta else {
                return Err(syn::Error::new_spanned(meta, "expected `key = value`"));
            };
            let key = nv.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match key.as_str() {
                "index" => opts.index = Some(lit_str(&nv.value)?),
                "settings" => opts.settings = Some(lit_str(&nv.value)?),
                "crate_" => opts.krate = Some(lit_str(&nv.value)?),
                "shards" => opts.shards = Some(nv.value.clone()),
                "replicas" => opts.replicas = Some(nv.value.clone()),
                _ => return Err(syn::Error::new_spanned(&nv.path, "unknown #[es] option on a struct")),
            }
        }
    }
    Ok(opts)
}

fn field_opts(field: &syn::Field, json: &Tokens) -> syn::Result<FieldOpts> {
    let mut opts = FieldOpts::default();
    for attr in &field.attrs {
        if attr.path().is_ident("serde") {
            // Only what changes the stored shape; other serde options are ignored.
            let _ = attr.parse_nested_meta(|m| {
                if m.path.is_ident("rename") {
                    if let Ok(v) = m.value() {
                        if let Ok(s) = v.parse::<syn::LitStr>() {
                            opts.rename.get_or_insert(s.value());
                        }
                    }
                } else if m.path.is_ident("skip") || m.path.is_ident("skip_serializing") {
                    opts.skip = true;
                } else if let Ok(v) = m.value() {
                    let _ = v.parse::<Expr>();
                }
                Ok(())
            });
            continue;
        }
        if !attr.path().is_ident("es") {
            continue;
        }
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated.parse2(es_tokens(attr)?)? {
            let key = meta.path().get_ident().map(|i| i.to_string()).unwrap_or_default();
            let args = match &meta {
                Meta::List(list) => named_args(list.tokens.clone())?,
                _ => Vec::new(),
            };
            let arg_map = |extra: &[(String, Expr)]| {
                let inserts = extra.iter().map(|(k, v)| quote!(o.insert(#k.to_owned(), #json::Value::from(#v));));
                quote!(#(#inserts)*)
            };
            match (key.as_str(), &meta) {
                ("skip", Meta::Path(_)) => opts.skip = true,
                ("id", Meta::Path(_)) => opts.id = true,
                ("nested", Meta::Path(_)) => opts.nested = true,
                ("object", Meta::Path(_)) => {}
                ("rename", Meta::NameValue(nv)) => opts.rename = Some(lit_str(&nv.value)?),
                ("type_", Meta::NameValue(nv)) => {
                    let t = lit_str(&nv.value)?;
                    opts.mapping = Some(quote!(#json::json!({"type": #t})));
                }
                ("mapping", Meta::NameValue(nv)) => {
                    let s = lit_str(&nv.value)?;
                    opts.mapping = Some(quote!(#json::from_str::<#json::Value>(#s).unwrap_or(#json::Value::Null)));
                }
                ("keyword" | "text" | "date" | "geo_point" | "dense_vector", _) => {
                    let inserts = arg_map(&args);
                    opts.mapping = Some(quote!({
                        let mut o = #json::Map::new();
                        o.insert("type".to_owned(), #json::Value::from(#key));
                        #inserts
                        #json::Value::Object(o)
                    }));
                }
                _ => return Err(syn::Error::new_spanned(meta, "unknown #[es] option on a field")),
            }
        }
    }
    Ok(opts)
}

/// The tokens of `#[es(…)]`, with the keywords `type` and `crate` renamed
/// `type_` and `crate_` so that they parse as paths.
fn es_tokens(attr: &syn::Attribute) -> syn::Result<Tokens> {
    fn rename(tokens: Tokens) -> Tokens {
        tokens
            .into_iter()
            .map(|t| match t {
                proc_macro2::TokenTree::Ident(i) if i == "type" || i == "crate" => {
                    proc_macro2::TokenTree::Ident(proc_macro2::Ident::new(&format!("{i}_"), i.span()))
                }
                proc_macro2::TokenTree::Group(g) => {
                    let mut out = proc_macro2::Group::new(g.delimiter(), rename(g.stream()));
                    out.set_span(g.span());
                    proc_macro2::TokenTree::Group(out)
                }
                other => other,
            })
            .collect()
    }
    Ok(rename(attr.meta.require_list()?.tokens.clone()))
}

/// `a = 1, b = "x"` inside `text(…)`.
fn named_args(tokens: Tokens) -> syn::Result<Vec<(String, Expr)>> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
    metas
        .into_iter()
        .map(|m| match m {
            Meta::NameValue(nv) => Ok((nv.path.get_ident().map(|i| i.to_string()).unwrap_or_default(), nv.value)),
            other => Err(syn::Error::new_spanned(other, "expected `key = value`")),
        })
        .collect()
}

/// The mapping expression inferred from a field's type.
fn infer(ty: &Type, krate: &syn::Path, json: &Tokens) -> Tokens {
    let inner = unwrap_containers(ty);
    if let Type::Array(arr) = inner {
        if let Type::Path(p) = &*arr.elem {
            if p.path.is_ident("f32") || p.path.is_ident("f64") || p.path.is_ident("i8") || p.path.is_ident("u8") {
                let len = &arr.len;
                return quote!(#json::json!({"type": "dense_vector", "dims": #len}));
            }
        }
    }
    if let Type::Path(p) = inner {
        if let Some(last) = p.path.segments.last() {
            let name = last.ident.to_string();
            if DATE_TYPES.contains(&name.as_str()) {
                return quote!(#json::json!({"type": "date"}));
            }
        }
    }
    quote!(<#ty as #krate::Mapping>::mapping())
}

/// Type names mapped to `date`: chrono's, time's, jiff's and std's.
const DATE_TYPES: &[&str] = &[
    "DateTime",
    "NaiveDateTime",
    "NaiveDate",
    "OffsetDateTime",
    "PrimitiveDateTime",
    "UtcDateTime",
    "Date",
    "Timestamp",
    "Zoned",
    "SystemTime",
];

/// Strips `Option`, `Vec`, `Box`, sets and references.
fn unwrap_containers(ty: &Type) -> &Type {
    match ty {
        Type::Reference(r) => unwrap_containers(&r.elem),
        Type::Path(p) => {
            let Some(last) = p.path.segments.last() else { return ty };
            let wrapper = ["Option", "Vec", "Box", "BTreeSet", "HashSet", "VecDeque", "Arc", "Rc"];
            if wrapper.contains(&last.ident.to_string().as_str()) {
                if let PathArguments::AngleBracketed(args) = &last.arguments {
                    if let Some(GenericArgument::Type(inner)) = args.args.first() {
                        return unwrap_containers(inner);
                    }
                }
            }
            ty
        }
        _ => ty,
    }
}

fn outer_is(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name))
}

fn lit_str(e: &Expr) -> syn::Result<String> {
    match e {
        // A literal passed through `macro_rules!` arrives in an invisible group.
        Expr::Group(g) => lit_str(&g.expr),
        Expr::Lit(l) => match &l.lit {
            Lit::Str(s) => Ok(s.value()),
            other => Err(syn::Error::new_spanned(other, "expected a string")),
        },
        other => Err(syn::Error::new_spanned(other, "expected a string")),
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::crate_path_for;

    #[test]
    fn the_dsl_is_found_through_the_dependency_the_crate_declares() {
        let facade =
            "[package]\nname = \"app\"\n[dependencies]\nelastik = { version = \"0.1\", features = [\"blocking\"] }\n";
        assert_eq!(crate_path_for(facade, "app"), "::elastik::dsl");
        assert_eq!(crate_path_for("[dependencies.elastik]\nversion = \"0.1\"\n", "app"), "::elastik::dsl");
        assert_eq!(
            crate_path_for("[dependencies]\nelastik-client = { git = \"https://example.com/elastik\" }\n", "app"),
            "::elastik::dsl"
        );
        let both = "[dependencies]\nelastik = \"0.1\"\nelastik-dsl.workspace = true\n";
        assert_eq!(crate_path_for(both, "app"), "::elastik_dsl");
        assert_eq!(crate_path_for("[dependencies]\nelastik-dsl = \"0.1\"\n", "app"), "::elastik_dsl");
        assert_eq!(crate_path_for("", "app"), "::elastik_dsl");
        assert_eq!(crate_path_for(facade, "elastik-dsl"), "::elastik_dsl");
    }
}
