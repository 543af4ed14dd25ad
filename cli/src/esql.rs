//! `elastik esql 'FROM … | …'`: the query (from the argument or `-f FILE`)
//! with `--param name=value` bound to its `?name` placeholders, sent as
//! `esql.query` with the library's `EsqlQuery`; the table is rendered here
//! (aligned on a terminal; csv, tsv, json or ndjson otherwise).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use elastik::proto::esql::{EsqlQuery, EsqlResponse, Rendered};
use serde_json::{Map, Value};

use crate::conn::Connection;
use crate::{CliError, CliResult};

/// How the result is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EsqlFormat {
    /// Aligned columns (the default on a terminal)
    Table,
    /// Comma-separated, with a header (the default otherwise)
    Csv,
    /// Tab-separated, with a header
    Tsv,
    /// {"columns": [...], "rows": [{…}, …]}
    Json,
    /// One JSON object per row
    Ndjson,
}

/// Run an ES|QL query and print the result.
///
/// Placeholders `?name` in the query are bound with --param name=value
/// (the value is JSON when it parses as a JSON number, boolean, null or
/// quoted string, else the text as a string). A placeholder without a
/// value is an error before anything is sent.
#[derive(Args, Debug)]
pub struct EsqlArgs {
    /// The query (`FROM logs | WHERE status == ?status | LIMIT 10`)
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    pub query: Option<String>,
    /// Read the query from FILE (`-`: stdin)
    #[arg(long, short, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Bind a parameter: name=value (repeatable)
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, Value)>,
    /// Output format [default: table on a terminal, csv otherwise]
    #[arg(long, value_enum)]
    pub format: Option<EsqlFormat>,
    /// A Query DSL filter applied before the query (JSON)
    #[arg(long, value_name = "JSON")]
    pub filter: Option<String>,
    /// Leave out columns that are null in every row
    #[arg(long)]
    pub drop_null_columns: bool,
}

/// `name=value`: the value as JSON when it is a scalar JSON literal, else a string.
pub fn parse_param(s: &str) -> Result<(String, Value), String> {
    let (name, value) = s.split_once('=').ok_or_else(|| format!("{s:?}: expected NAME=VALUE"))?;
    let name = name.trim().trim_start_matches('?');
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!("{name:?} is not a parameter name (letters, digits, _)"));
    }
    let value = match serde_json::from_str::<Value>(value) {
        Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null | Value::String(_))) => v,
        _ => Value::String(value.to_owned()),
    };
    Ok((name.to_owned(), value))
}

/// The `?name` placeholders of a query, in order of first use, outside
/// string literals and comments.
pub fn placeholders(query: &str) -> Vec<String> {
    let b = query.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                if b[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                        i += 1;
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !b[i..].starts_with(b"*/") {
                    i += 1;
                }
                i += 2;
            }
            b'?' => {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                    end += 1;
                }
                let name = &query[start..end];
                if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && !out.iter().any(|n| n == name)
                {
                    out.push(name.to_owned());
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

/// The request: the query with its bound parameters, in placeholder order.
pub fn build_request(query: &str, params: &[(String, Value)]) -> CliResult<EsqlQuery> {
    let wanted = placeholders(query);
    let mut bound = Vec::with_capacity(wanted.len());
    let mut missing = Vec::new();
    for name in &wanted {
        match params.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => bound.push((name.clone(), v.clone())),
            None => missing.push(format!("?{name}")),
        }
    }
    if !missing.is_empty() {
        return Err(CliError::with_code(2, format!("no --param for {}", missing.join(", "))));
    }
    for (name, _) in params {
        if !wanted.contains(name) {
            eprintln!("elastik esql: --param {name} is not used by the query");
        }
    }
    Ok(EsqlQuery::new(Rendered { query: query.to_owned(), params: bound, positional: Vec::new() }))
}

/// A cell as text: strings as they are, null empty, the rest as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Renders the result in `format`.
pub fn render(response: &EsqlResponse, format: EsqlFormat, out: &mut dyn Write) -> std::io::Result<()> {
    let names: Vec<&str> = response.columns.iter().map(|c| c.name.as_str()).collect();
    let rows = response.row_count();
    let value = |r: usize, c: usize| response.value(r, c).cloned().unwrap_or(Value::Null);
    match format {
        EsqlFormat::Table => {
            let cells: Vec<Vec<String>> =
                (0..rows).map(|r| (0..names.len()).map(|c| cell(&value(r, c))).collect()).collect();
            let mut widths: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
            for row in &cells {
                for (w, c) in widths.iter_mut().zip(row) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |out: &mut dyn Write, row: &[String]| -> std::io::Result<()> {
                let parts: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
                writeln!(out, "{}", parts.join(" | ").trim_end())
            };
            let header: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            line(out, &header)?;
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            writeln!(out, "{}", rule.join("-+-"))?;
            for row in &cells {
                line(out, row)?;
            }
            Ok(())
        }
        EsqlFormat::Csv | EsqlFormat::Tsv => {
            let delimiter = if format == EsqlFormat::Csv { b',' } else { b'\t' };
            let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_writer(out);
            w.write_record(&names)?;
            for r in 0..rows {
                w.write_record((0..names.len()).map(|c| cell(&value(r, c))))?;
            }
            w.flush()
        }
        EsqlFormat::Json | EsqlFormat::Ndjson => {
            let row = |r: usize| {
                let mut m = Map::new();
                for (c, name) in names.iter().enumerate() {
                    m.insert((*name).to_owned(), value(r, c));
                }
                Value::Object(m)
            };
            if format == EsqlFormat::Ndjson {
                for r in 0..rows {
                    serde_json::to_writer(&mut *out, &row(r))?;
                    writeln!(out)?;
                }
            } else {
                let columns: Vec<Value> =
                    response.columns.iter().map(|c| serde_json::json!({ "name": c.name, "type": c.kind })).collect();
                let doc = serde_json::json!({ "columns": columns, "rows": (0..rows).map(row).collect::<Vec<_>>() });
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)?;
            }
            Ok(())
        }
    }
}

pub async fn run(conn: &Connection, args: EsqlArgs) -> CliResult<u8> {
    let query = match (&args.query, &args.file) {
        (Some(q), _) => q.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => std::io::read_to_string(std::io::stdin())?,
        (None, Some(path)) => {
            std::fs::read_to_string(path).map_err(|e| CliError::new(format!("{}: {e}", path.display())))?
        }
        (None, None) => return Err(CliError::with_code(2, "give the query or --file")),
    };
    let mut request = build_request(query.trim(), &args.params)?;
    if let Some(f) = &args.filter {
        let filter: Value =
            serde_json::from_str(f).map_err(|e| CliError::with_code(2, format!("--filter is not JSON: {e}")))?;
        request = request.filter(filter);
    }
    if args.drop_null_columns {
        request = request.drop_null_columns(true);
    }
    let client = conn.client()?;
    let response = client.send(request).await?;
    let format =
        args.format.unwrap_or(if std::io::stdout().is_terminal() { EsqlFormat::Table } else { EsqlFormat::Csv });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    render(&response, format, &mut out)?;
    out.flush()?;
    if response.is_partial == Some(true) {
        eprintln!("elastik esql: the result is partial (some shards or clusters failed)");
        return Ok(crate::EXIT_INCOMPLETE);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> EsqlResponse {
        let body = br#"{"took":3,"columns":[{"name":"author","type":"keyword"},{"name":"pages","type":"long"},{"name":"tags","type":"keyword"}],
            "values":[["Ursula, K. Le Guin",304,["sf","classic"]],["Iain \"M\" Banks",null,"sf"]]}"#;
        EsqlResponse::from_slice(body, false).unwrap()
    }

    #[test]
    fn params_are_json_scalars_or_strings() {
        assert_eq!(parse_param("n=5").unwrap(), ("n".into(), Value::from(5)));
        assert_eq!(parse_param("ok=true").unwrap(), ("ok".into(), Value::Bool(true)));
        assert_eq!(parse_param("name=Ada").unwrap(), ("name".into(), Value::from("Ada")));
        assert_eq!(parse_param("q=\"5\"").unwrap(), ("q".into(), Value::from("5")));
        assert_eq!(parse_param("l=[1,2]").unwrap(), ("l".into(), Value::from("[1,2]")));
        assert_eq!(parse_param("?x=a=b").unwrap(), ("x".into(), Value::from("a=b")));
        assert!(parse_param("novalue").is_err());
        assert!(parse_param("bad-name=1").is_err());
    }

    #[test]
    fn placeholders_outside_strings_and_comments_are_bound_in_order() {
        let q = r#"FROM logs | WHERE host == ?host AND msg != "what?not" // ?comment
            | WHERE code > ?min /* ?block */ AND x == """?triple""" | WHERE h2 == ?host | LIMIT ?n"#;
        assert_eq!(placeholders(q), vec!["host", "min", "n"]);
        let params = vec![
            ("n".to_owned(), Value::from(10)),
            ("host".to_owned(), Value::from("a")),
            ("min".to_owned(), Value::from(2)),
        ];
        let request = build_request(q, &params).unwrap();
        assert_eq!(request.body_json()["params"], serde_json::json!([{"host": "a"}, {"min": 2}, {"n": 10}]));
        let err = build_request("FROM x | WHERE a == ?a AND b == ?b", &params).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(err.message.contains("?a") && err.message.contains("?b"), "{}", err.message);
    }

    #[test]
    fn every_format_renders_the_same_table() {
        let r = response();
        let text = |f| {
            let mut out = Vec::new();
            render(&r, f, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(EsqlFormat::Csv), "author,pages,tags\n\"Ursula, K. Le Guin\",304,\"[\"\"sf\"\",\"\"classic\"\"]\"\n\"Iain \"\"M\"\" Banks\",,sf\n");
        assert_eq!(text(EsqlFormat::Tsv), "author\tpages\ttags\nUrsula, K. Le Guin\t304\t\"[\"\"sf\"\",\"\"classic\"\"]\"\n\"Iain \"\"M\"\" Banks\"\t\tsf\n");
        let table = text(EsqlFormat::Table);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "author             | pages | tags");
        assert_eq!(lines[1], "-------------------+-------+-----------------");
        assert_eq!(lines[2], "Ursula, K. Le Guin | 304   | [\"sf\",\"classic\"]");
        assert_eq!(lines[3], "Iain \"M\" Banks     |       | sf");
        let nd: Vec<Value> = text(EsqlFormat::Ndjson).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(nd[1], serde_json::json!({"author": "Iain \"M\" Banks", "pages": null, "tags": "sf"}));
        let json: Value = serde_json::from_str(&text(EsqlFormat::Json)).unwrap();
        assert_eq!(json["columns"][1], serde_json::json!({"name": "pages", "type": "long"}));
        assert_eq!(json["rows"][0]["tags"], serde_json::json!(["sf", "classic"]));
    }
}
