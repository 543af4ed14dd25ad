//! `elastik api METHOD PATH [BODY|@FILE]`: any request through the client
//! (authentication, node selection and the transport's retries included),
//! the answer's body on stdout, pretty JSON on a terminal.

use std::io::{IsTerminal, Read, Write};

use clap::Args;
use elastik::tokio::http::{HeaderMap, HeaderName, HeaderValue, Method};
use elastik::tokio::Body;
use serde_json::Value;

use crate::conn::Connection;
use crate::{CliError, CliResult};

/// Send any request: `elastik api GET /_cluster/health`,
/// `elastik api PUT /books '{"mappings": …}'`, `elastik api POST /_bulk @ops.ndjson`.
///
/// The body is the argument, `@FILE`, or `@-` (stdin). Paths ending in
/// `_bulk`, `_msearch` or `_msearch/template` send NDJSON. The answer's body
/// goes to stdout (pretty JSON on a terminal, as is otherwise); an error
/// status prints the body too and exits 1.
#[derive(Args, Debug)]
pub struct ApiArgs {
    /// GET, POST, PUT, DELETE, HEAD, …
    pub method: String,
    /// The path with its query string (`/books/_search?size=1`)
    pub path: String,
    /// The body: JSON text, @FILE, or @- for stdin
    pub body: Option<String>,
    /// An extra header, `Name: value` (repeatable)
    #[arg(long, short = 'H', value_name = "HEADER")]
    pub header: Vec<String>,
    /// Print the answer as it came, even on a terminal
    #[arg(long)]
    pub raw: bool,
    /// Print the status line on stderr
    #[arg(long, short)]
    pub include_status: bool,
}

/// Splits `/p?a=1&b` into the path and its query pairs (kept as written).
pub fn split_path(path: &str) -> (String, Vec<(String, String)>) {
    let path = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
    match path.split_once('?') {
        None => (path, Vec::new()),
        Some((p, q)) => {
            let pairs = q
                .split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_owned(), v.to_owned()),
                    None => (kv.to_owned(), String::new()),
                })
                .collect();
            (p.to_owned(), pairs)
        }
    }
}

fn is_ndjson_path(path: &str) -> bool {
    ["_bulk", "_msearch", "_msearch/template"].iter().any(|s| path.trim_end_matches('/').ends_with(s))
}

pub async fn run(conn: &Connection, args: ApiArgs) -> CliResult<u8> {
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| CliError::with_code(2, format!("{:?} is not an HTTP method", args.method)))?;
    let (path, query) = split_path(&args.path);
    let bytes = match args.body.as_deref() {
        None => None,
        Some("@-") => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf)?;
            Some(buf)
        }
        Some(s) if s.starts_with('@') => {
            Some(std::fs::read(&s[1..]).map_err(|e| CliError::new(format!("{}: {e}", &s[1..])))?)
        }
        Some(s) => Some(s.as_bytes().to_vec()),
    };
    let body = match bytes {
        None => Body::Empty,
        Some(b) if is_ndjson_path(&path) => Body::ndjson_bytes(b),
        Some(b) => {
            if let Err(e) = serde_json::from_slice::<Value>(&b) {
                return Err(CliError::with_code(2, format!("the body is not JSON: {e}")));
            }
            Body::Json(b.into())
        }
    };
    let mut headers = HeaderMap::new();
    for h in &args.header {
        let (name, value) =
            h.split_once(':').ok_or_else(|| CliError::with_code(2, format!("{h:?}: expected `Name: value`")))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|e| CliError::with_code(2, format!("{name:?}: {e}")))?;
        let value =
            HeaderValue::from_str(value.trim()).map_err(|e| CliError::with_code(2, format!("header {name}: {e}")))?;
        headers.append(name, value);
    }
    let client = conn.client()?;
    let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = match client.perform_request(method, &path, &pairs, headers, body).await {
        Ok(r) => (r.status(), r.body().clone()),
        Err(e) => match e.as_api() {
            Some(api) => (api.status, api.body.clone()),
            None => return Err(e.into()),
        },
    };
    if args.include_status {
        eprintln!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    }
    let stdout = std::io::stdout();
    let pretty = !args.raw && stdout.is_terminal();
    let mut out = stdout.lock();
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) if pretty => {
            serde_json::to_writer_pretty(&mut out, &v).map_err(|e| CliError::new(e.to_string()))?;
            writeln!(out)?;
        }
        _ => {
            out.write_all(&body)?;
            if !body.is_empty() && !body.ends_with(b"\n") {
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    if status.is_client_error() || status.is_server_error() {
        eprintln!("elastik api: {} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
        return Ok(1);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_string_is_split_off_the_path() {
        assert_eq!(
            split_path("/b/_search?size=1&pretty"),
            ("/b/_search".into(), vec![("size".into(), "1".into()), ("pretty".into(), String::new())])
        );
        assert_eq!(split_path("_cat/indices"), ("/_cat/indices".into(), vec![]));
        assert!(is_ndjson_path("/books/_bulk") && is_ndjson_path("/_msearch/template") && !is_ndjson_path("/_search"));
    }
}
