//! The answer of `esql.query` and `esql.async_query*`: column descriptions
//! and values, decoded into typed rows by column name or read by column.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;

/// A column of the result: its name and ES|QL type.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ColumnInfo {
    /// The column name.
    pub name: String,
    /// The ES|QL type (`keyword`, `long`, `date`, `ip`, …).
    #[serde(rename = "type")]
    pub kind: String,
}

/// A decoded ES|QL result. Values are held by column whatever layout the
/// server used.
#[derive(Clone, Debug, PartialEq)]
pub struct EsqlResponse {
    /// The columns, in order.
    pub columns: Vec<ColumnInfo>,
    /// All columns including those dropped by `drop_null_columns`.
    pub all_columns: Option<Vec<ColumnInfo>>,
    /// Milliseconds the query took.
    pub took: Option<u64>,
    /// True when some shards or clusters failed and the result is partial.
    pub is_partial: Option<bool>,
    /// The async query id (async APIs).
    pub id: Option<String>,
    /// Whether the async query is still running (async APIs).
    pub is_running: Option<bool>,
    /// Cross-cluster details (`_clusters`).
    pub clusters: Option<Value>,
    /// Profiling output.
    pub profile: Option<Value>,
    data: Vec<Vec<Value>>,
    rows: usize,
}

#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    columns: Vec<ColumnInfo>,
    #[serde(default)]
    all_columns: Option<Vec<ColumnInfo>>,
    #[serde(default)]
    values: Vec<Vec<Value>>,
    #[serde(default)]
    took: Option<u64>,
    #[serde(default)]
    is_partial: Option<bool>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    is_running: Option<bool>,
    #[serde(default, rename = "_clusters")]
    clusters: Option<Value>,
    #[serde(default)]
    profile: Option<Value>,
}

impl EsqlResponse {
    /// Decodes a JSON body; `columnar` says whether the request asked for
    /// `columnar: true` (the two layouts cannot be told apart by shape).
    pub fn from_slice(body: &[u8], columnar: bool) -> Result<Self, Error> {
        let wire: Wire = serde_json::from_slice(body).map_err(|e| Error::decode(e.to_string(), body))?;
        Self::from_wire(wire, columnar).map_err(|m| Error::decode(m, body))
    }

    /// Decodes a JSON value (see [`EsqlResponse::from_slice`]).
    pub fn from_value(value: Value, columnar: bool) -> Result<Self, Error> {
        let wire: Wire = serde_json::from_value(value).map_err(|e| Error::decode(e.to_string(), b""))?;
        Self::from_wire(wire, columnar).map_err(|m| Error::decode(m, b""))
    }

    /// Decodes an async answer: the body, with `id` and `is_running` also
    /// taken from the `X-Elasticsearch-Async-Id` /
    /// `X-Elasticsearch-Async-Is-Running` headers when the body lacks them.
    pub fn from_http(response: &http::Response<Bytes>, columnar: bool) -> Result<Self, Error> {
        let mut out = Self::from_slice(response.body(), columnar)?;
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if out.id.is_none() {
            out.id = header("x-elasticsearch-async-id");
        }
        if out.is_running.is_none() {
            out.is_running =
                header("x-elasticsearch-async-is-running").map(|v| v.eq_ignore_ascii_case("?1") || v == "true");
        }
        Ok(out)
    }

    fn from_wire(wire: Wire, columnar: bool) -> Result<Self, String> {
        let width = wire.columns.len();
        let (data, rows) = if columnar {
            if wire.values.len() != width {
                return Err(format!("{} columns but {} value columns", width, wire.values.len()));
            }
            let rows = wire.values.first().map_or(0, Vec::len);
            if let Some(bad) = wire.values.iter().position(|c| c.len() != rows) {
                return Err(format!("column {bad} has {} values, expected {rows}", wire.values[bad].len()));
            }
            (wire.values, rows)
        } else {
            let rows = wire.values.len();
            let mut data: Vec<Vec<Value>> = (0..width).map(|_| Vec::with_capacity(rows)).collect();
            for (i, row) in wire.values.into_iter().enumerate() {
                if row.len() != width {
                    return Err(format!("row {i} has {} values, expected {width}", row.len()));
                }
                for (col, v) in data.iter_mut().zip(row) {
                    col.push(v);
                }
            }
            (data, rows)
        };
        Ok(EsqlResponse {
            columns: wire.columns,
            all_columns: wire.all_columns,
            took: wire.took,
            is_partial: wire.is_partial,
            id: wire.id,
            is_running: wire.is_running,
            clusters: wire.clusters,
            profile: wire.profile,
            data,
            rows,
        })
    }

    /// The number of rows.
    pub fn row_count(&self) -> usize {
        self.rows
    }

    /// The values of a column by name (`null` for missing values, arrays for
    /// multi-valued ones).
    pub fn column(&self, name: &str) -> Option<&[Value]> {
        let i = self.columns.iter().position(|c| c.name == name)?;
        Some(&self.data[i])
    }

    /// A column by name as typed values, `None` where the value is `null`
    /// (or the column is all nulls), whatever layout the server answered in
    /// (`columnar` or rows). Multi-valued cells decode into a `T` that
    /// accepts an array (`Vec<String>`); a single-valued cell into a `Vec`
    /// does not, so use [`EsqlResponse::column_multi`] for fields that may
    /// hold one or many values. An unknown column or a value that is not a
    /// `T` is an [`Error::Decode`] naming the column and row.
    ///
    /// ```
    /// use elastik_proto::esql::EsqlResponse;
    ///
    /// let body = br#"{"columns": [{"name": "salary", "type": "integer"}],
    ///                 "values": [[50000], [null], [61000]]}"#;
    /// let out = EsqlResponse::from_slice(body, false).unwrap();
    /// let salary: Vec<Option<u32>> = out.column_as("salary").unwrap();
    /// assert_eq!(salary, vec![Some(50000), None, Some(61000)]);
    /// assert!(out.column_as::<u32>("nope").is_err());
    /// ```
    pub fn column_as<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<Option<T>>, Error> {
        let values = self.column_or_error(name)?;
        values
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                Value::Null => Ok(None),
                v => T::deserialize(v)
                    .map(Some)
                    .map_err(|e| Error::decode(format!("column {name:?}, row {row}: {e}"), b"")),
            })
            .collect()
    }

    /// A possibly multi-valued column by name: every cell as a list (a single
    /// value becomes a one-item list, `null` an empty one). ES|QL answers a
    /// multi-valued field with an array and a single value without one.
    pub fn column_multi<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<Vec<T>>, Error> {
        let values = self.column_or_error(name)?;
        let one = |row: usize, v: &Value| {
            T::deserialize(v).map_err(|e| Error::decode(format!("column {name:?}, row {row}: {e}"), b""))
        };
        values
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                Value::Null => Ok(Vec::new()),
                Value::Array(items) => items.iter().map(|item| one(row, item)).collect(),
                v => one(row, v).map(|x| vec![x]),
            })
            .collect()
    }

    /// The column names, in order.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    fn column_or_error(&self, name: &str) -> Result<&[Value], Error> {
        self.column(name).ok_or_else(|| {
            let known: Vec<&str> = self.column_names().collect();
            Error::decode(format!("no ES|QL column {name:?} in the answer (columns: {known:?})"), b"")
        })
    }

    /// The value at a row and column index.
    pub fn value(&self, row: usize, column: usize) -> Option<&Value> {
        self.data.get(column)?.get(row)
    }

    /// One row as a JSON object keyed by column name.
    pub fn row(&self, row: usize) -> Option<serde_json::Map<String, Value>> {
        if row >= self.rows {
            return None;
        }
        Some(self.columns.iter().zip(&self.data).map(|(c, d)| (c.name.clone(), d[row].clone())).collect())
    }

    /// Every row decoded into `T` by column name (`#[serde(rename =
    /// "client.ip")]` for dotted names; `Option` for nullable columns; `Vec`
    /// for multi-valued ones).
    pub fn rows<T: DeserializeOwned>(&self) -> Result<Vec<T>, Error> {
        (0..self.rows)
            .map(|i| {
                let row = self.row(i).unwrap_or_default();
                serde_json::from_value(Value::Object(row)).map_err(|e| Error::decode(format!("row {i}: {e}"), b""))
            })
            .collect()
    }
}
