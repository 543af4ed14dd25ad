//! An index over the schema: Rust names for every type, which references
//! need a `Box`, which types have a `Default`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::custom;
use crate::names::{module_of, pascal, unique};
use crate::schema::{BodyDef, Endpoint, Schema, TypeDef, TypeName, ValueOf};

/// The schema plus everything derived from it.
pub struct Model<'s> {
    /// The schema.
    pub schema: &'s Schema,
    /// Types by name.
    pub types: BTreeMap<TypeName, &'s TypeDef>,
    /// Rust `(module, ident)` of each generated type.
    pub idents: BTreeMap<TypeName, (String, String)>,
    /// The endpoint a request or response type belongs to.
    pub endpoint_of: BTreeMap<TypeName, &'s Endpoint>,
    /// Strongly connected component of each type in the direct-containment graph.
    scc: BTreeMap<TypeName, usize>,
    /// Components that are cycles (need boxing).
    cyclic: BTreeSet<usize>,
    /// `(interface, property)` pairs omitted because an internally tagged
    /// union carries them as its tag.
    pub skip_tag: BTreeSet<(TypeName, String)>,
    /// Names taken in each module.
    used: RefCell<BTreeMap<String, BTreeSet<String>>>,
    /// Inline unions: `(owner, slot)` → ident, and their definitions by namespace.
    pub inline: RefCell<BTreeMap<(TypeName, String), String>>,
    /// Inline union definitions waiting to be written, by owner namespace.
    pub inline_defs: RefCell<BTreeMap<String, Vec<String>>>,
    /// Types reachable from some request (body, or an interface a request
    /// body uses): these stay strict; the others are response-only.
    pub request_side: BTreeSet<TypeName>,
}

impl<'s> Model<'s> {
    /// Indexes a schema.
    pub fn new(schema: &'s Schema) -> Self {
        let types: BTreeMap<TypeName, &TypeDef> = schema.types.iter().map(|t| (t.name().clone(), t)).collect();
        let mut endpoint_of = BTreeMap::new();
        for e in &schema.endpoints {
            if let Some(r) = &e.request {
                endpoint_of.insert(r.clone(), e);
            }
            if let Some(r) = &e.response {
                endpoint_of.insert(r.clone(), e);
            }
        }
        let mut model = Model {
            schema,
            types,
            idents: BTreeMap::new(),
            endpoint_of,
            scc: BTreeMap::new(),
            cyclic: BTreeSet::new(),
            skip_tag: BTreeSet::new(),
            used: RefCell::new(BTreeMap::new()),
            inline: RefCell::new(BTreeMap::new()),
            inline_defs: RefCell::new(BTreeMap::new()),
            request_side: BTreeSet::new(),
        };
        model.assign_idents();
        model.compute_sccs();
        model.compute_skip_tags();
        model.compute_request_side();
        model
    }

    /// Whether a type is only ever read from responses (never sent).
    pub fn response_only(&self, name: &TypeName) -> bool {
        !self.request_side.contains(name)
    }

    fn all_refs(&self, v: &ValueOf, out: &mut Vec<TypeName>) {
        match v {
            ValueOf::InstanceOf { ty, generics } => {
                out.push(ty.clone());
                for g in generics {
                    self.all_refs(g, out);
                }
            }
            ValueOf::UnionOf { items } => {
                for i in items {
                    self.all_refs(i, out);
                }
            }
            ValueOf::ArrayOf { value } | ValueOf::DictionaryOf { value, .. } => self.all_refs(value, out),
            ValueOf::UserDefinedValue | ValueOf::LiteralValue { .. } => {}
        }
    }

    /// Every type a definition mentions (fields, bases, behaviors, generics).
    fn mentions(&self, def: &TypeDef) -> Vec<TypeName> {
        let mut out = Vec::new();
        let body = |b: &BodyDef, out: &mut Vec<TypeName>| match b {
            BodyDef::Properties { properties } => properties.iter().for_each(|p| self.all_refs(&p.ty, out)),
            BodyDef::Value { value, .. } => self.all_refs(value, out),
            BodyDef::NoBody => {}
        };
        match def {
            TypeDef::Interface(i) => {
                for p in &i.properties {
                    self.all_refs(&p.ty, &mut out);
                }
                for inh in i.inherits.iter().chain(&i.behaviors) {
                    out.push(inh.ty.clone());
                    for g in &inh.generics {
                        self.all_refs(g, &mut out);
                    }
                }
            }
            TypeDef::TypeAlias(a) => self.all_refs(&a.ty, &mut out),
            TypeDef::Request(r) => body(&r.body, &mut out),
            TypeDef::Response(_) | TypeDef::Enum(_) => {}
        }
        out
    }

    fn compute_request_side(&mut self) {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<TypeName> =
            self.types.iter().filter(|(_, d)| matches!(d, TypeDef::Request(_))).map(|(n, _)| n.clone()).collect();
        while let Some(n) = stack.pop() {
            if !seen.insert(n.clone()) {
                continue;
            }
            if let Some(def) = self.def(&n) {
                stack.extend(self.mentions(def));
            }
        }
        self.request_side = seen;
    }

    /// The Rust name an endpoint's types are built from: `indices.put_mapping` → `PutMapping`.
    pub fn endpoint_pascal(name: &str) -> String {
        pascal(name.rsplit('.').next().unwrap_or(name))
    }

    fn assign_idents(&mut self) {
        let mut candidates: BTreeMap<(String, String), Vec<TypeName>> = BTreeMap::new();
        for (name, def) in &self.types {
            let ident = match def {
                TypeDef::Request(_) => match self.endpoint_of.get(name) {
                    Some(e) => format!("{}RequestBody", Self::endpoint_pascal(&e.name)),
                    None => continue,
                },
                TypeDef::Response(_) => match self.endpoint_of.get(name) {
                    Some(e) => format!("{}Response", Self::endpoint_pascal(&e.name)),
                    None => continue,
                },
                _ => {
                    if let Some((_, _, r)) =
                        custom::TYPE_RENAMES.iter().find(|(ns, n, _)| *ns == name.namespace && *n == name.name)
                    {
                        (*r).to_owned()
                    } else if custom::RESERVED_IDENTS.contains(&name.name.as_str()) {
                        format!("{}Type", name.name)
                    } else {
                        pascal(&name.name)
                    }
                }
            };
            candidates.entry((module_of(&name.namespace), ident)).or_default().push(name.clone());
        }
        let mut used = self.used.borrow_mut();
        let mut second: Vec<(String, String, TypeName)> = Vec::new();
        for ((module, ident), names) in candidates {
            if names.len() == 1 {
                used.entry(module.clone()).or_default().insert(ident.clone());
                self.idents.insert(names[0].clone(), (module, ident));
            } else {
                for n in names {
                    let prefix: String =
                        n.namespace.split('.').skip(1).filter(|s| *s != "_types").map(pascal).collect();
                    second.push((module.clone(), format!("{prefix}{ident}"), n));
                }
            }
        }
        second.sort();
        for (module, ident, n) in second {
            let set = used.entry(module.clone()).or_default();
            let ident = unique(ident, set);
            self.idents.insert(n, (module, ident));
        }
    }

    /// A fresh ident in `module` derived from `candidate`.
    pub fn fresh_ident(&self, module: &str, candidate: String) -> String {
        let mut used = self.used.borrow_mut();
        unique(candidate, used.entry(module.to_owned()).or_default())
    }

    /// The definition behind a name, if any.
    pub fn def(&self, name: &TypeName) -> Option<&'s TypeDef> {
        self.types.get(name).copied()
    }

    /// Follows plain aliases (not unions) to the aliased expression.
    pub fn resolve<'v>(&'v self, v: &'v ValueOf) -> &'v ValueOf {
        let mut cur = v;
        for _ in 0..16 {
            match cur {
                ValueOf::InstanceOf { ty, .. } => match self.def(ty) {
                    Some(TypeDef::TypeAlias(a)) if a.generics.is_empty() && a.variants.is_none() => cur = &a.ty,
                    _ => return cur,
                },
                _ => return cur,
            }
        }
        cur
    }

    /// Whether `from` referencing `to` directly must go through a `Box`.
    pub fn needs_box(&self, from: &TypeName, to: &TypeName) -> bool {
        match (self.scc.get(from), self.scc.get(to)) {
            (Some(a), Some(b)) => a == b && self.cyclic.contains(a),
            _ => false,
        }
    }

    fn direct_refs(&self, v: &ValueOf, out: &mut BTreeSet<TypeName>) {
        match v {
            ValueOf::InstanceOf { ty, generics } => {
                if self.types.contains_key(ty) {
                    out.insert(ty.clone());
                }
                for g in generics {
                    self.direct_refs(g, out);
                }
            }
            ValueOf::UnionOf { items } => {
                for i in items {
                    self.direct_refs(i, out);
                }
            }
            ValueOf::ArrayOf { .. } | ValueOf::DictionaryOf { .. } => {}
            ValueOf::UserDefinedValue | ValueOf::LiteralValue { .. } => {}
        }
    }

    fn edges(&self, def: &TypeDef) -> BTreeSet<TypeName> {
        let mut out = BTreeSet::new();
        match def {
            TypeDef::Interface(i) => {
                for p in &i.properties {
                    self.direct_refs(&p.ty, &mut out);
                }
                if let Some(inh) = &i.inherits {
                    out.insert(inh.ty.clone());
                    for g in &inh.generics {
                        self.direct_refs(g, &mut out);
                    }
                }
            }
            TypeDef::TypeAlias(a) => self.direct_refs(&a.ty, &mut out),
            TypeDef::Request(r) => match &r.body {
                BodyDef::Properties { properties } => {
                    for p in properties {
                        self.direct_refs(&p.ty, &mut out);
                    }
                }
                BodyDef::Value { value, .. } => self.direct_refs(value, &mut out),
                BodyDef::NoBody => {}
            },
            TypeDef::Response(r) => match &r.body {
                BodyDef::Properties { properties } => {
                    for p in properties {
                        self.direct_refs(&p.ty, &mut out);
                    }
                }
                BodyDef::Value { value, .. } => self.direct_refs(value, &mut out),
                BodyDef::NoBody => {}
            },
            TypeDef::Enum(_) => {}
        }
        out
    }

    /// Tarjan's algorithm, iteratively.
    fn compute_sccs(&mut self) {
        let names: Vec<TypeName> = self.types.keys().cloned().collect();
        let index_of: BTreeMap<&TypeName, usize> = names.iter().enumerate().map(|(i, n)| (n, i)).collect();
        let adj: Vec<Vec<usize>> = names
            .iter()
            .map(|n| self.edges(self.types[n]).iter().filter_map(|t| index_of.get(t).copied()).collect())
            .collect();
        let n = names.len();
        let mut index = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut comp = vec![usize::MAX; n];
        let mut next = 0;
        let mut ncomp = 0;
        let mut self_loop = vec![false; n];
        for (v, a) in adj.iter().enumerate() {
            self_loop[v] = a.contains(&v);
        }
        for root in 0..n {
            if index[root] != usize::MAX {
                continue;
            }
            let mut work: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some(&mut (v, ref mut ei)) = work.last_mut() {
                if *ei == 0 && index[v] == usize::MAX {
                    index[v] = next;
                    low[v] = next;
                    next += 1;
                    stack.push(v);
                    on_stack[v] = true;
                }
                if *ei < adj[v].len() {
                    let w = adj[v][*ei];
                    *ei += 1;
                    if index[w] == usize::MAX {
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                } else {
                    work.pop();
                    if let Some(&(parent, _)) = work.last() {
                        low[parent] = low[parent].min(low[v]);
                    }
                    if low[v] == index[v] {
                        let mut size = 0;
                        loop {
                            let w = stack.pop().expect("tarjan stack");
                            on_stack[w] = false;
                            comp[w] = ncomp;
                            size += 1;
                            if w == v {
                                break;
                            }
                        }
                        if size > 1 || self_loop[v] {
                            self.cyclic.insert(ncomp);
                        }
                        ncomp += 1;
                    }
                }
            }
        }
        for (i, name) in names.into_iter().enumerate() {
            self.scc.insert(name, comp[i]);
        }
    }

    fn compute_skip_tags(&mut self) {
        let mut skip = BTreeSet::new();
        for def in self.types.values() {
            if let TypeDef::TypeAlias(a) = def {
                if let (Some(v), ValueOf::UnionOf { items }) = (&a.variants, &a.ty) {
                    if v.kind == "internal_tag" {
                        let tag = v.tag.clone().unwrap_or_default();
                        for it in items {
                            if let ValueOf::InstanceOf { ty, .. } = it {
                                skip.insert((ty.clone(), tag.clone()));
                            }
                        }
                    }
                }
            }
        }
        self.skip_tag = skip;
    }

    /// The tag value of an internally tagged union member as JSON (looked up through bases).
    pub fn tag_json(&self, ty: &TypeName, tag: &str) -> Option<serde_json::Value> {
        let mut cur = ty.clone();
        for _ in 0..8 {
            let TypeDef::Interface(i) = self.def(&cur)? else { return None };
            for p in &i.properties {
                if p.name == tag {
                    if let ValueOf::LiteralValue { value } = &p.ty {
                        return Some(value.clone());
                    }
                }
            }
            cur = i.inherits.as_ref()?.ty.clone();
        }
        None
    }

    /// The tag value of an internally tagged union member (looked up through bases).
    pub fn tag_value(&self, ty: &TypeName, tag: &str) -> Option<String> {
        let mut cur = ty.clone();
        for _ in 0..8 {
            let TypeDef::Interface(i) = self.def(&cur)? else { return None };
            for p in &i.properties {
                if p.name == tag {
                    if let ValueOf::LiteralValue { value } = &p.ty {
                        return Some(match value {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        });
                    }
                }
            }
            cur = i.inherits.as_ref()?.ty.clone();
        }
        None
    }
}
