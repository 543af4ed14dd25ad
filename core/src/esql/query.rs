//! [`Query`]: `SET` directives, a source command and processing commands,
//! rendered to text plus bound parameters.

use serde_json::Value;

use super::command::{render_pipeline, render_setting, Column, Command, SettingValue, Source};
use super::expr::Field;
use super::processing::Processing;
use super::render::Renderer;
use crate::error::Error;

/// An ES|QL query under construction.
///
/// ```
/// use elastik_proto::esql::{field, functions as f, Expr, Processing, Query, SortKey};
///
/// let q = Query::from(["employees"])
///     .where_(field("still_hired").eq(true).and(field("last_name").eq(Expr::param("name", "O'Neil \"x\" | DROP *"))))
///     .stats_by([("avg_salary", f::avg(field("salary")))], [field("languages")])
///     .sort([SortKey::desc(field("avg_salary")).nulls_last()])
///     .limit(10)
///     .render()
///     .unwrap();
/// assert_eq!(
///     q.query,
///     "FROM employees | WHERE still_hired == true AND last_name == ?name \
///      | STATS avg_salary = AVG(salary) BY languages | SORT avg_salary DESC NULLS LAST | LIMIT 10"
/// );
/// assert_eq!(q.params_json(), serde_json::json!([{"name": "O'Neil \"x\" | DROP *"}]));
/// ```
#[derive(Clone, Debug)]
pub struct Query {
    settings: Vec<(String, SettingValue)>,
    source: Source,
    commands: Vec<Command>,
}

/// A rendered query: its text and the parameters it refers to, in order of
/// first use.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// The query text.
    pub query: String,
    /// `(name, value)` for every `?name` in the text.
    pub params: Vec<(String, Value)>,
    /// The values of the positional `?`s, in order (empty when the query
    /// uses named parameters; a query never has both).
    pub positional: Vec<Value>,
}

impl Rendered {
    /// The request's `params`: `[{"name": value}, …]` for named
    /// parameters, `[value, …]` for positional ones.
    pub fn params_json(&self) -> Value {
        Value::Array(self.params_list())
    }

    pub(crate) fn params_list(&self) -> Vec<Value> {
        if !self.positional.is_empty() {
            return self.positional.clone();
        }
        self.params
            .iter()
            .map(|(k, v)| {
                let mut m = serde_json::Map::new();
                m.insert(k.clone(), v.clone());
                Value::Object(m)
            })
            .collect()
    }
}

impl Query {
    /// `FROM index, …`
    pub fn from<I, S>(indices: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Query::with_source(Source::From {
            indices: indices.into_iter().map(Into::into).collect(),
            metadata: Vec::new(),
        })
    }

    /// `TS index, …` (time series source).
    pub fn ts<I, S>(indices: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Query::with_source(Source::Ts { indices: indices.into_iter().map(Into::into).collect(), metadata: Vec::new() })
    }

    /// `ROW a = 1, b = "two"`
    pub fn row<I, C>(columns: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Column>,
    {
        Query::with_source(Source::Row(columns.into_iter().map(Into::into).collect()))
    }

    /// `SHOW INFO`
    pub fn show_info() -> Self {
        Query::with_source(Source::ShowInfo)
    }

    /// A query starting with this source command.
    pub fn with_source(source: Source) -> Self {
        Query { settings: Vec::new(), source, commands: Vec::new() }
    }

    /// `METADATA _id, _index, …` on a `FROM` or `TS` source (ignored for
    /// other sources, which have no metadata).
    pub fn metadata<I, F>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = F>,
        F: Into<Field>,
    {
        if let Source::From { metadata, .. } | Source::Ts { metadata, .. } = &mut self.source {
            metadata.extend(fields.into_iter().map(Into::into));
        }
        self
    }

    /// `SET name = value;` before the query (`time_zone`, `unmapped_fields`,
    /// `approximation`, …). A later setting of the same name replaces an
    /// earlier one.
    pub fn set(mut self, name: impl Into<String>, value: impl Into<SettingValue>) -> Self {
        let name = name.into();
        let value = value.into();
        match self.settings.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.settings.push((name, value)),
        }
        self
    }

    /// The source command.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The processing commands in order.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// The query text and its parameters, or [`Error::Build`] when something
    /// cannot be written safely (an invalid parameter or policy name, a
    /// non-finite number, an empty `KEEP`, …).
    pub fn render(&self) -> Result<Rendered, Error> {
        let mut r = Renderer::new();
        for (name, value) in &self.settings {
            render_setting(&mut r, name, value);
            r.push(" ");
        }
        self.source.render(&mut r);
        if !self.commands.is_empty() {
            r.push(" | ");
            render_pipeline(&mut r, &self.commands);
        }
        r.check_params();
        match r.error {
            Some(e) => Err(e),
            None => Ok(Rendered { query: r.out, params: r.params, positional: r.positional }),
        }
    }
}

impl Processing for Query {
    fn command(mut self, command: Command) -> Self {
        self.commands.push(command);
        self
    }
}
