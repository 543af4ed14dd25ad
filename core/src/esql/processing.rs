//! [`Processing`]: the builder methods of the processing commands, shared
//! by [`Query`](super::Query) and [`Pipeline`] (a `FORK` branch).

use super::command::{Aggregation, Column, Command, EnrichMode, Fuse, JoinOn, Pipeline, SortKey};
use super::expr::{Expr, Field, Options};

/// The processing commands, shared by [`Query`](super::Query) and
/// [`Pipeline`] (a `FORK` branch).
pub trait Processing: Sized {
    /// Appends a command.
    fn command(self, command: Command) -> Self;

    /// `CHANGE_POINT value`
    fn change_point(self, value: impl Into<Field>) -> Self {
        self.command(Command::ChangePoint { value: value.into(), key: None, output: None })
    }

    /// `CHANGE_POINT value ON key AS type_name, pvalue_name`
    fn change_point_with(self, value: impl Into<Field>, key: Option<Field>, output: Option<(Field, Field)>) -> Self {
        self.command(Command::ChangePoint { value: value.into(), key, output })
    }

    /// `COMPLETION [column =] prompt WITH { "inference_id": "…" }`
    fn completion(self, prompt: impl Into<Column>, inference_id: impl Into<String>) -> Self {
        let options = Options::new().set("inference_id", inference_id.into());
        self.command(Command::Completion { prompt: prompt.into(), options })
    }

    /// `DISSECT input "pattern"`
    fn dissect(self, input: impl Into<Expr>, pattern: impl Into<String>) -> Self {
        self.command(Command::Dissect { input: input.into(), pattern: pattern.into(), append_separator: None })
    }

    /// `DISSECT input "pattern" APPEND_SEPARATOR = "sep"`
    fn dissect_with_separator(
        self,
        input: impl Into<Expr>,
        pattern: impl Into<String>,
        separator: impl Into<String>,
    ) -> Self {
        self.command(Command::Dissect {
            input: input.into(),
            pattern: pattern.into(),
            append_separator: Some(separator.into()),
        })
    }

    /// `DROP a, b*`
    fn drop<I, F>(self, columns: I) -> Self
    where
        I: IntoIterator<Item = F>,
        F: Into<Field>,
    {
        self.command(Command::Drop(columns.into_iter().map(Into::into).collect()))
    }

    /// `ENRICH policy`
    fn enrich(self, policy: impl Into<String>) -> Self {
        self.command(Command::Enrich { policy: policy.into(), mode: None, on: None, with: Vec::new() })
    }

    /// `ENRICH [mode:]policy [ON field] [WITH [name =] field, …]`
    fn enrich_with(
        self,
        policy: impl Into<String>,
        mode: Option<EnrichMode>,
        on: Option<Field>,
        with: Vec<(Option<Field>, Field)>,
    ) -> Self {
        self.command(Command::Enrich { policy: policy.into(), mode, on, with })
    }

    /// `EVAL a = expr, …`
    fn eval<I, C>(self, columns: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Column>,
    {
        self.command(Command::Eval(columns.into_iter().map(Into::into).collect()))
    }

    /// `FORK (branch) (branch) …`
    fn fork(self, branches: impl IntoIterator<Item = Pipeline>) -> Self {
        self.command(Command::Fork(branches.into_iter().collect()))
    }

    /// `FUSE …`
    fn fuse(self, fuse: Fuse) -> Self {
        self.command(Command::Fuse(fuse))
    }

    /// `GROK input "pattern"`
    fn grok(self, input: impl Into<Expr>, pattern: impl Into<String>) -> Self {
        self.command(Command::Grok { input: input.into(), pattern: pattern.into() })
    }

    /// `INLINE STATS aggs`
    fn inline_stats<A, AI>(self, aggs: A) -> Self
    where
        A: IntoIterator<Item = AI>,
        AI: Into<Aggregation>,
    {
        self.command(Command::InlineStats { aggs: aggs.into_iter().map(Into::into).collect(), by: Vec::new() })
    }

    /// `INLINE STATS aggs BY groups`
    fn inline_stats_by<A, AI, B, BI>(self, aggs: A, by: B) -> Self
    where
        A: IntoIterator<Item = AI>,
        AI: Into<Aggregation>,
        B: IntoIterator<Item = BI>,
        BI: Into<Column>,
    {
        self.command(Command::InlineStats {
            aggs: aggs.into_iter().map(Into::into).collect(),
            by: by.into_iter().map(Into::into).collect(),
        })
    }

    /// `KEEP a, b*`
    fn keep<I, F>(self, columns: I) -> Self
    where
        I: IntoIterator<Item = F>,
        F: Into<Field>,
    {
        self.command(Command::Keep(columns.into_iter().map(Into::into).collect()))
    }

    /// `LIMIT n`
    fn limit(self, n: u64) -> Self {
        self.command(Command::Limit(n))
    }

    /// `LOOKUP JOIN index ON a, b`
    fn lookup_join<I, F>(self, index: impl Into<String>, on: I) -> Self
    where
        I: IntoIterator<Item = F>,
        F: Into<Field>,
    {
        self.command(Command::LookupJoin {
            index: index.into(),
            on: JoinOn::Fields(on.into_iter().map(Into::into).collect()),
        })
    }

    /// `LOOKUP JOIN index ON condition`
    fn lookup_join_on(self, index: impl Into<String>, condition: impl Into<Expr>) -> Self {
        self.command(Command::LookupJoin { index: index.into(), on: JoinOn::Condition(condition.into()) })
    }

    /// `MV_EXPAND column`
    fn mv_expand(self, column: impl Into<Field>) -> Self {
        self.command(Command::MvExpand(column.into()))
    }

    /// `RENAME old AS new, …`
    fn rename<I, A, B>(self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (A, B)>,
        A: Into<Field>,
        B: Into<Field>,
    {
        self.command(Command::Rename(pairs.into_iter().map(|(a, b)| (a.into(), b.into())).collect()))
    }

    /// `RERANK [column =] query ON fields WITH { "inference_id": … }`
    fn rerank<I, C>(self, query: impl Into<Column>, on: I, options: Option<Options>) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Column>,
    {
        self.command(Command::Rerank { query: query.into(), on: on.into_iter().map(Into::into).collect(), options })
    }

    /// `SAMPLE probability` (between 0 and 1, exclusive).
    fn sample(self, probability: f64) -> Self {
        self.command(Command::Sample(probability))
    }

    /// `SORT a DESC NULLS LAST, b`
    fn sort<I, K>(self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<SortKey>,
    {
        self.command(Command::Sort(keys.into_iter().map(Into::into).collect()))
    }

    /// `STATS aggs`
    fn stats<A, AI>(self, aggs: A) -> Self
    where
        A: IntoIterator<Item = AI>,
        AI: Into<Aggregation>,
    {
        self.command(Command::Stats { aggs: aggs.into_iter().map(Into::into).collect(), by: Vec::new() })
    }

    /// `STATS aggs BY groups` (aggs may be empty: `STATS BY a`).
    fn stats_by<A, AI, B, BI>(self, aggs: A, by: B) -> Self
    where
        A: IntoIterator<Item = AI>,
        AI: Into<Aggregation>,
        B: IntoIterator<Item = BI>,
        BI: Into<Column>,
    {
        self.command(Command::Stats {
            aggs: aggs.into_iter().map(Into::into).collect(),
            by: by.into_iter().map(Into::into).collect(),
        })
    }

    /// `WHERE condition`
    fn where_(self, condition: impl Into<Expr>) -> Self {
        self.command(Command::Where(condition.into()))
    }

    /// A whole processing command inserted exactly as given, for commands
    /// this builder does not know yet. Never pass user input here.
    fn raw_unchecked(self, command: impl Into<String>) -> Self {
        self.command(Command::Raw(command.into()))
    }
}

impl Processing for Pipeline {
    fn command(mut self, command: Command) -> Self {
        self.commands.push(command);
        self
    }
}
