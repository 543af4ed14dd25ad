//! Source and processing commands, the `SET` directive, and their rendering.

use serde_json::Value;

use super::expr::{Expr, Field, Literal, Options};
use super::render::{is_function_name, Renderer};

/// `name = expr`, or a bare `expr` whose column is named after the
/// expression. Used by `EVAL`, `ROW`, `STATS`, `COMPLETION`, `RERANK`,
/// `ENRICH … WITH`.
#[derive(Clone, Debug)]
pub struct Column {
    /// The output column, if named.
    pub name: Option<Field>,
    /// The value.
    pub expr: Expr,
}

impl Column {
    /// `name = expr`
    pub fn named(name: impl Into<Field>, expr: impl Into<Expr>) -> Self {
        Column { name: Some(name.into()), expr: expr.into() }
    }

    /// A bare expression.
    pub fn expr(expr: impl Into<Expr>) -> Self {
        Column { name: None, expr: expr.into() }
    }

    fn render(&self, r: &mut Renderer) {
        if let Some(name) = &self.name {
            r.field(name);
            r.push(" = ");
        }
        self.expr.render_into(r);
    }
}

impl From<Expr> for Column {
    fn from(e: Expr) -> Self {
        Column::expr(e)
    }
}

impl<N: Into<Field>, E: Into<Expr>> From<(N, E)> for Column {
    fn from((n, e): (N, E)) -> Self {
        Column::named(n, e)
    }
}

/// One aggregation of `STATS`/`INLINE STATS`: `[name =] agg [WHERE cond]`.
#[derive(Clone, Debug)]
pub struct Aggregation {
    /// The output column and the aggregate expression.
    pub column: Column,
    /// A filter applied to this aggregation only.
    pub filter: Option<Expr>,
}

impl Aggregation {
    /// `name = agg`
    pub fn named(name: impl Into<Field>, agg: impl Into<Expr>) -> Self {
        Aggregation { column: Column::named(name, agg), filter: None }
    }

    /// A bare aggregate.
    pub fn expr(agg: impl Into<Expr>) -> Self {
        Aggregation { column: Column::expr(agg), filter: None }
    }

    /// Adds `WHERE cond` to this aggregation.
    pub fn filter(mut self, cond: impl Into<Expr>) -> Self {
        self.filter = Some(cond.into());
        self
    }
}

impl<C: Into<Column>> From<C> for Aggregation {
    fn from(c: C) -> Self {
        Aggregation { column: c.into(), filter: None }
    }
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// `ASC`
    Asc,
    /// `DESC`
    Desc,
}

/// Where nulls go in a sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Nulls {
    /// `NULLS FIRST`
    First,
    /// `NULLS LAST`
    Last,
}

/// One key of `SORT`.
#[derive(Clone, Debug)]
pub struct SortKey {
    /// What to sort by.
    pub expr: Expr,
    /// `ASC`/`DESC`; omitted means ascending.
    pub order: Option<Order>,
    /// `NULLS FIRST`/`NULLS LAST`.
    pub nulls: Option<Nulls>,
}

impl SortKey {
    /// Sort by `expr` in the default order.
    pub fn new(expr: impl Into<Expr>) -> Self {
        SortKey { expr: expr.into(), order: None, nulls: None }
    }

    /// `expr ASC`
    pub fn asc(expr: impl Into<Expr>) -> Self {
        SortKey { order: Some(Order::Asc), ..SortKey::new(expr) }
    }

    /// `expr DESC`
    pub fn desc(expr: impl Into<Expr>) -> Self {
        SortKey { order: Some(Order::Desc), ..SortKey::new(expr) }
    }

    /// `NULLS FIRST`
    pub fn nulls_first(mut self) -> Self {
        self.nulls = Some(Nulls::First);
        self
    }

    /// `NULLS LAST`
    pub fn nulls_last(mut self) -> Self {
        self.nulls = Some(Nulls::Last);
        self
    }
}

impl From<Expr> for SortKey {
    fn from(e: Expr) -> Self {
        SortKey::new(e)
    }
}

impl From<&str> for SortKey {
    /// A sort on a field by name.
    fn from(name: &str) -> Self {
        SortKey::new(Expr::field(name))
    }
}

impl From<Field> for SortKey {
    fn from(f: Field) -> Self {
        SortKey::new(Expr::Field(f))
    }
}

/// Where `ENRICH` runs in a cross-cluster query (`_any:`, `_coordinator:`,
/// `_remote:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnrichMode {
    /// `_any:policy`
    Any,
    /// `_coordinator:policy`
    Coordinator,
    /// `_remote:policy`
    Remote,
}

/// The `FUSE` scoring method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FuseMethod {
    /// Reciprocal rank fusion (the default).
    Rrf,
    /// Linear combination of scores.
    Linear,
}

/// Options of `FUSE`: `FUSE [method] [SCORE BY col] [GROUP BY col] [KEY BY
/// cols] [WITH {…}]`.
#[derive(Clone, Debug, Default)]
pub struct Fuse {
    /// `RRF` or `LINEAR`.
    pub method: Option<FuseMethod>,
    /// `SCORE BY column`
    pub score_by: Option<Field>,
    /// `GROUP BY column`
    pub group_by: Option<Field>,
    /// `KEY BY columns`
    pub key_by: Vec<Field>,
    /// `WITH { … }`
    pub options: Option<Options>,
}

/// A pipeline of processing commands, used as a `FORK` branch (build it
/// with [`Processing`](super::Processing)).
#[derive(Clone, Debug, Default)]
pub struct Pipeline {
    pub(crate) commands: Vec<Command>,
}

impl Pipeline {
    /// An empty branch.
    pub fn new() -> Self {
        Pipeline::default()
    }

    /// The commands in order.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }
}

/// The source command that starts a query.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Source {
    /// `FROM indices [METADATA fields]`
    From {
        /// Index patterns, aliases, data streams, `cluster:index`.
        indices: Vec<String>,
        /// Metadata fields such as `_id`, `_index`, `_score`.
        metadata: Vec<Field>,
    },
    /// `TS indices [METADATA fields]` (time series).
    Ts {
        /// Index patterns.
        indices: Vec<String>,
        /// Metadata fields.
        metadata: Vec<Field>,
    },
    /// `ROW a = 1, b = "x"`
    Row(Vec<Column>),
    /// `SHOW INFO`
    ShowInfo,
}

/// A processing command.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Command {
    /// `CHANGE_POINT value [ON key] [AS type_name, pvalue_name]`
    ChangePoint {
        /// The metric column.
        value: Field,
        /// The ordering key (default `@timestamp`).
        key: Option<Field>,
        /// Output column names for the type and the p-value.
        output: Option<(Field, Field)>,
    },
    /// `COMPLETION [column =] prompt WITH { "inference_id": … }`
    Completion {
        /// The prompt, optionally named.
        prompt: Column,
        /// The `WITH` map (`inference_id`).
        options: Options,
    },
    /// `DISSECT input "pattern" [APPEND_SEPARATOR = "sep"]`
    Dissect {
        /// The text column.
        input: Expr,
        /// The dissect pattern.
        pattern: String,
        /// `APPEND_SEPARATOR`.
        append_separator: Option<String>,
    },
    /// `DROP columns` (patterns allowed).
    Drop(Vec<Field>),
    /// `ENRICH [mode:]policy [ON field] [WITH [name =] field, …]`
    Enrich {
        /// The policy name.
        policy: String,
        /// Cross-cluster mode.
        mode: Option<EnrichMode>,
        /// The match field.
        on: Option<Field>,
        /// Enrich fields, optionally renamed (`new = field`).
        with: Vec<(Option<Field>, Field)>,
    },
    /// `EVAL [name =] expr, …`
    Eval(Vec<Column>),
    /// `FORK (branch) (branch) …`
    Fork(Vec<Pipeline>),
    /// `FUSE …`
    Fuse(Fuse),
    /// `GROK input "pattern"`
    Grok {
        /// The text column.
        input: Expr,
        /// The grok pattern.
        pattern: String,
    },
    /// `INLINE STATS aggs [BY groups]`
    InlineStats {
        /// Aggregations.
        aggs: Vec<Aggregation>,
        /// Grouping keys.
        by: Vec<Column>,
    },
    /// `KEEP columns` (patterns allowed).
    Keep(Vec<Field>),
    /// `LIMIT n`
    Limit(u64),
    /// `LOOKUP JOIN index ON fields` or `… ON condition`.
    LookupJoin {
        /// The lookup index.
        index: String,
        /// Join fields or a join condition.
        on: JoinOn,
    },
    /// `MV_EXPAND column`
    MvExpand(Field),
    /// `RENAME old AS new, …`
    Rename(Vec<(Field, Field)>),
    /// `RERANK [column =] query ON fields [WITH { … }]`
    Rerank {
        /// The query text, optionally naming the score column.
        query: Column,
        /// The fields to rerank on.
        on: Vec<Column>,
        /// The `WITH` map (`inference_id`).
        options: Option<Options>,
    },
    /// `SAMPLE probability`
    Sample(f64),
    /// `SORT keys`
    Sort(Vec<SortKey>),
    /// `STATS [aggs] [BY groups]`
    Stats {
        /// Aggregations.
        aggs: Vec<Aggregation>,
        /// Grouping keys.
        by: Vec<Column>,
    },
    /// `WHERE condition`
    Where(Expr),
    /// A whole command inserted verbatim; see
    /// [`Processing::raw_unchecked`](super::Processing::raw_unchecked).
    Raw(String),
}

/// The `ON` part of `LOOKUP JOIN`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum JoinOn {
    /// `ON a, b` (fields with the same name on both sides).
    Fields(Vec<Field>),
    /// `ON left == right AND …` (a join condition).
    Condition(Expr),
}

impl Source {
    pub(crate) fn render(&self, r: &mut Renderer) {
        match self {
            Source::From { indices, metadata } => {
                r.push("FROM ");
                render_sources(r, indices, metadata);
            }
            Source::Ts { indices, metadata } => {
                r.push("TS ");
                render_sources(r, indices, metadata);
            }
            Source::Row(columns) => {
                r.push("ROW ");
                render_columns(r, columns, "ROW");
            }
            Source::ShowInfo => r.push("SHOW INFO"),
        }
    }
}

impl Command {
    pub(crate) fn render(&self, r: &mut Renderer) {
        match self {
            Command::ChangePoint { value, key, output } => {
                r.push("CHANGE_POINT ");
                r.field(value);
                if let Some(key) = key {
                    r.push(" ON ");
                    r.field(key);
                }
                if let Some((t, p)) = output {
                    r.push(" AS ");
                    r.field(t);
                    r.push(", ");
                    r.field(p);
                }
            }
            Command::Completion { prompt, options } => {
                r.push("COMPLETION ");
                prompt.render(r);
                r.push(" WITH ");
                r.options(options);
            }
            Command::Dissect { input, pattern, append_separator } => {
                r.push("DISSECT ");
                r.expr(input, super::expr::prec::ATOM);
                r.push(" ");
                r.string(pattern);
                if let Some(sep) = append_separator {
                    r.push(" APPEND_SEPARATOR = ");
                    r.string(sep);
                }
            }
            Command::Drop(columns) => {
                r.push("DROP ");
                render_patterns(r, columns, "DROP");
            }
            Command::Enrich { policy, mode, on, with } => {
                r.push("ENRICH ");
                if let Some(mode) = mode {
                    r.push(match mode {
                        EnrichMode::Any => "_any:",
                        EnrichMode::Coordinator => "_coordinator:",
                        EnrichMode::Remote => "_remote:",
                    });
                }
                if is_policy_name(policy) {
                    r.push(policy);
                } else {
                    r.fail(format!("invalid enrich policy name {policy:?}"));
                }
                if let Some(on) = on {
                    r.push(" ON ");
                    r.field(on);
                }
                if !with.is_empty() {
                    r.push(" WITH ");
                    for (i, (name, field)) in with.iter().enumerate() {
                        if i > 0 {
                            r.push(", ");
                        }
                        if let Some(name) = name {
                            r.field(name);
                            r.push(" = ");
                        }
                        r.field(field);
                    }
                }
            }
            Command::Eval(columns) => {
                r.push("EVAL ");
                render_columns(r, columns, "EVAL");
            }
            Command::Fork(branches) => {
                r.push("FORK");
                if branches.is_empty() {
                    r.fail("FORK needs at least one branch");
                }
                for branch in branches {
                    r.push(" (");
                    if branch.commands.is_empty() {
                        r.fail("a FORK branch needs at least one command");
                    }
                    render_pipeline(r, &branch.commands);
                    r.push(")");
                }
            }
            Command::Fuse(fuse) => {
                r.push("FUSE");
                if let Some(m) = fuse.method {
                    r.push(match m {
                        FuseMethod::Rrf => " RRF",
                        FuseMethod::Linear => " LINEAR",
                    });
                }
                if let Some(f) = &fuse.score_by {
                    r.push(" SCORE BY ");
                    r.field(f);
                }
                if let Some(f) = &fuse.group_by {
                    r.push(" GROUP BY ");
                    r.field(f);
                }
                if !fuse.key_by.is_empty() {
                    r.push(" KEY BY ");
                    for (i, f) in fuse.key_by.iter().enumerate() {
                        if i > 0 {
                            r.push(", ");
                        }
                        r.field(f);
                    }
                }
                if let Some(o) = &fuse.options {
                    r.push(" WITH ");
                    r.options(o);
                }
            }
            Command::Grok { input, pattern } => {
                r.push("GROK ");
                r.expr(input, super::expr::prec::ATOM);
                r.push(" ");
                r.string(pattern);
            }
            Command::InlineStats { aggs, by } => {
                r.push("INLINE STATS");
                render_stats(r, aggs, by, "INLINE STATS");
            }
            Command::Keep(columns) => {
                r.push("KEEP ");
                render_patterns(r, columns, "KEEP");
            }
            Command::Limit(n) => {
                r.push("LIMIT ");
                r.push(&n.to_string());
            }
            Command::LookupJoin { index, on } => {
                r.push("LOOKUP JOIN ");
                write_index(r, index);
                r.push(" ON ");
                match on {
                    JoinOn::Fields(fields) => {
                        if fields.is_empty() {
                            r.fail("LOOKUP JOIN needs at least one join field");
                        }
                        for (i, f) in fields.iter().enumerate() {
                            if i > 0 {
                                r.push(", ");
                            }
                            r.field(f);
                        }
                    }
                    JoinOn::Condition(cond) => cond.render_into(r),
                }
            }
            Command::MvExpand(f) => {
                r.push("MV_EXPAND ");
                r.field(f);
            }
            Command::Rename(pairs) => {
                r.push("RENAME ");
                if pairs.is_empty() {
                    r.fail("RENAME needs at least one column");
                }
                for (i, (old, new)) in pairs.iter().enumerate() {
                    if i > 0 {
                        r.push(", ");
                    }
                    r.field(old);
                    r.push(" AS ");
                    r.field(new);
                }
            }
            Command::Rerank { query, on, options } => {
                r.push("RERANK ");
                query.render(r);
                r.push(" ON ");
                render_columns(r, on, "RERANK … ON");
                if let Some(o) = options {
                    r.push(" WITH ");
                    r.options(o);
                }
            }
            Command::Sample(p) => {
                if !(p.is_finite() && *p > 0.0 && *p < 1.0) {
                    r.fail(format!("SAMPLE probability must be between 0 and 1 (exclusive), got {p}"));
                }
                r.push("SAMPLE ");
                r.literal(&Literal::Float(*p));
            }
            Command::Sort(keys) => {
                r.push("SORT ");
                if keys.is_empty() {
                    r.fail("SORT needs at least one key");
                }
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        r.push(", ");
                    }
                    key.expr.render_into(r);
                    match key.order {
                        Some(Order::Asc) => r.push(" ASC"),
                        Some(Order::Desc) => r.push(" DESC"),
                        None => {}
                    }
                    match key.nulls {
                        Some(Nulls::First) => r.push(" NULLS FIRST"),
                        Some(Nulls::Last) => r.push(" NULLS LAST"),
                        None => {}
                    }
                }
            }
            Command::Stats { aggs, by } => {
                r.push("STATS");
                render_stats(r, aggs, by, "STATS");
            }
            Command::Where(cond) => {
                r.push("WHERE ");
                cond.render_into(r);
            }
            Command::Raw(text) => r.push(text),
        }
    }
}

pub(crate) fn render_pipeline(r: &mut Renderer, commands: &[Command]) {
    for (i, c) in commands.iter().enumerate() {
        if i > 0 {
            r.push(" | ");
        }
        c.render(r);
    }
}

/// Renders a `SET name = value;` directive.
pub(crate) fn render_setting(r: &mut Renderer, name: &str, value: &SettingValue) {
    if !is_function_name(name) {
        r.fail(format!("invalid ES|QL setting name {name:?}"));
    }
    r.push("SET ");
    r.push(name);
    r.push(" = ");
    match value {
        SettingValue::Literal(l) => r.literal(l),
        SettingValue::Map(o) => r.options(o),
        SettingValue::Param(name, v) => r.param(name, v),
    }
    r.push(";");
}

/// The value of a `SET` directive.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SettingValue {
    /// A constant (`"+05:00"`, `true`).
    Literal(Literal),
    /// A map (`{"rows": 1000}`).
    Map(Options),
    /// A parameter, `?name`.
    Param(String, Value),
}

impl<T: Into<Literal>> From<T> for SettingValue {
    fn from(v: T) -> Self {
        SettingValue::Literal(v.into())
    }
}

impl From<Options> for SettingValue {
    fn from(v: Options) -> Self {
        SettingValue::Map(v)
    }
}

fn render_sources(r: &mut Renderer, indices: &[String], metadata: &[Field]) {
    if indices.is_empty() {
        r.fail("FROM/TS needs at least one index");
    }
    for (i, index) in indices.iter().enumerate() {
        if i > 0 {
            r.push(", ");
        }
        write_index(r, index);
    }
    if !metadata.is_empty() {
        r.push(" METADATA ");
        for (i, m) in metadata.iter().enumerate() {
            if i > 0 {
                r.push(", ");
            }
            r.field(m);
        }
    }
}

/// Index names and patterns: plain when made of characters that cannot
/// end the source list (letters, digits, `_ - . * : + @`), else a quoted
/// string.
fn write_index(r: &mut Renderer, index: &str) {
    let plain = !index.is_empty()
        && index.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*' | ':' | '+' | '@'))
        && !index.contains("//")
        && !index.contains("/*");
    if plain {
        r.push(index);
    } else if index.is_empty() {
        r.fail("an index name cannot be empty");
    } else {
        r.string(index);
    }
}

fn render_columns(r: &mut Renderer, columns: &[Column], command: &str) {
    if columns.is_empty() {
        r.fail(format!("{command} needs at least one column"));
    }
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            r.push(", ");
        }
        c.render(r);
    }
}

fn render_patterns(r: &mut Renderer, columns: &[Field], command: &str) {
    if columns.is_empty() {
        r.fail(format!("{command} needs at least one column"));
    }
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            r.push(", ");
        }
        r.pattern(c);
    }
}

fn render_stats(r: &mut Renderer, aggs: &[Aggregation], by: &[Column], command: &str) {
    if aggs.is_empty() && by.is_empty() {
        r.fail(format!("{command} needs an aggregation or a grouping"));
    }
    for (i, a) in aggs.iter().enumerate() {
        r.push(if i > 0 { ", " } else { " " });
        a.column.render(r);
        if let Some(f) = &a.filter {
            r.push(" WHERE ");
            // The filter ends at the next `,` or `BY`; OR/AND are fine.
            f.render_into(r);
        }
    }
    if !by.is_empty() {
        r.push(" BY ");
        for (i, c) in by.iter().enumerate() {
            if i > 0 {
                r.push(", ");
            }
            c.render(r);
        }
    }
}

/// Enrich policy names cannot be quoted: letters, digits, `_ - . *`.
fn is_policy_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*'))
}
