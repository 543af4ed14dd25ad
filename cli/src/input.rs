//! Reading what `elastik load` sends: files or stdin, plain or gzip (by
//! extension or magic bytes), as NDJSON documents, bulk action/source pairs,
//! dumped hits (`{"_id", "_source"}` lines, what `elastik dump` writes), JSON
//! arrays or CSV with a header. Records stream one at a time from a reader
//! thread through a bounded channel: memory stays bounded whatever the size
//! of the input (a JSON array is read element by element).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use clap::ValueEnum;
use elastik::tokio::bytes::Bytes;
use elastik::tokio::helpers::{BulkOperation, OpType};
use flate2::read::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::checkpoint::LoadCheckpoint;
use crate::progress::Counters;

/// The input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// By extension (.csv, .tsv, .json, .ndjson, .jsonl, with or without .gz), else by content
    Auto,
    /// NDJSON; documents, bulk pairs or dumped hits told apart by the first line
    Ndjson,
    /// NDJSON, one document per line
    Docs,
    /// NDJSON bulk pairs: an action line (index/create/update/delete), then the source
    Bulk,
    /// NDJSON hits as `elastik dump` writes them: {"_id": …, "_source": {…}}
    Hits,
    /// A JSON array of documents
    Json,
    /// CSV with a header line (.tsv: tab-separated)
    Csv,
}

/// The bulk action for documents (bulk pairs bring their own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Op {
    /// Create or replace
    Index,
    /// Create; a document whose id exists fails (409)
    Create,
    /// Partial update ({"doc": …}); needs an id
    Update,
}

/// A CSV column type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvType {
    String,
    Long,
    Double,
    Boolean,
    Json,
}

impl std::str::FromStr for CsvType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "string" | "keyword" | "text" => CsvType::String,
            "long" | "int" | "integer" => CsvType::Long,
            "double" | "float" | "number" => CsvType::Double,
            "boolean" | "bool" => CsvType::Boolean,
            "json" => CsvType::Json,
            other => return Err(format!("unknown CSV type {other:?} (string, long, double, boolean, json)")),
        })
    }
}

/// How records become operations.
#[derive(Clone, Debug)]
pub struct Options {
    pub format: Format,
    pub op: Op,
    /// Field paths (`a.b`) whose values, joined, make the `_id`.
    pub id_fields: Vec<String>,
    pub id_separator: String,
    pub routing_field: Option<String>,
    pub doc_as_upsert: bool,
    pub csv_delimiter: Option<u8>,
    pub csv_types: HashMap<String, CsvType>,
    pub csv_infer: bool,
}

/// One input.
#[derive(Clone, Debug)]
pub struct Input {
    /// A path, or `-` for stdin.
    pub path: String,
    /// Its size, when a regular file.
    pub size: Option<u64>,
}

impl Input {
    /// `-` is stdin; anything else a file, which must exist.
    pub fn new(path: &str) -> io::Result<Input> {
        if path == "-" {
            return Ok(Input { path: path.to_owned(), size: None });
        }
        let meta = std::fs::metadata(path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
        Ok(Input { path: path.to_owned(), size: meta.is_file().then_some(meta.len()) })
    }
}

/// A record that cannot be sent: why, and what it was.
#[derive(Clone, Debug)]
pub struct Failure {
    pub reason: String,
    pub id: Option<String>,
    /// The record's text (a line, a CSV row), when it is not JSON.
    pub raw: Option<String>,
}

/// One record of the input.
#[derive(Debug)]
pub struct Record {
    /// Its number over all inputs, from 0 (what the checkpoint counts).
    pub seq: u64,
    /// Which input (index into the list).
    pub input: usize,
    /// Its line in that input, from 1 (0 when unknown: JSON arrays).
    pub line: u64,
    /// Its position in a JSON array, from 0.
    pub element: Option<u64>,
    pub op: Result<BulkOperation, Failure>,
}

/// What the reader thread sends.
// A record is what almost every message is: boxing it would allocate once per record
// to save space in the rare fatal message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Message {
    Record(Record),
    /// An input could not be read any further (the rest of it is lost; the load fails).
    Fatal {
        input: usize,
        line: u64,
        message: String,
    },
}

/// Starts the reader thread: every record of `inputs` in order, except those
/// `skip` says are acknowledged (they are counted, not sent).
pub fn spawn_reader(
    inputs: Vec<Input>,
    options: Options,
    skip: LoadCheckpoint,
    tx: mpsc::Sender<Message>,
    counters: Arc<Counters>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = Reader { options, skip, tx, counters, seq: 0 };
        for (i, input) in inputs.iter().enumerate() {
            let result = reader.read_input(i, input);
            match result {
                Ok(true) => {}
                Ok(false) => return,
                Err((line, message)) => {
                    let message = format!("{}: {message}", input.path);
                    if reader.tx.blocking_send(Message::Fatal { input: i, line, message }).is_err() {
                        return;
                    }
                }
            }
        }
    })
}

struct Reader {
    options: Options,
    skip: LoadCheckpoint,
    tx: mpsc::Sender<Message>,
    counters: Arc<Counters>,
    seq: u64,
}

/// A fatal input error: the line (0 when unknown) and the message.
type Fatal = (u64, String);

/// Counts the raw (possibly compressed) bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    counters: Arc<Counters>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const BUF: usize = 256 * 1024;

/// Opens `path` (or stdin), gunzipping when it starts with the gzip magic bytes.
pub fn open(path: &str, counters: Arc<Counters>) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = if path == "-" { Box::new(io::stdin()) } else { Box::new(File::open(path)?) };
    let mut buffered = BufReader::with_capacity(BUF, Counting { inner: raw, counters });
    let head = buffered.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(BUF, MultiGzDecoder::new(buffered))))
    } else {
        Ok(Box::new(buffered))
    }
}

/// The format of `path` from its extension (without `.gz`), or `None`.
fn format_by_extension(path: &str) -> Option<Format> {
    let name = path.strip_suffix(".gz").unwrap_or(path);
    let ext = Path::new(name).extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "csv" | "tsv" => Format::Csv,
        "ndjson" | "jsonl" => Format::Ndjson,
        "json" => Format::Auto, // an array or NDJSON: by content
        _ => return None,
    })
}

/// `[` starts a JSON array, `{` NDJSON, anything else CSV.
fn format_by_content(reader: &mut dyn BufRead) -> io::Result<Format> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(Format::Ndjson);
        }
        let ws =
            buf.iter().take_while(|b| b.is_ascii_whitespace() || **b == 0xef || **b == 0xbb || **b == 0xbf).count();
        if ws < buf.len() {
            return Ok(match buf[ws] {
                b'[' => Format::Json,
                b'{' => Format::Ndjson,
                _ => Format::Csv,
            });
        }
        reader.consume(ws);
    }
}

/// What kind of NDJSON line this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Docs,
    Bulk,
    Hits,
}

fn action_of(doc: &Value) -> Option<(OpType, &Map<String, Value>)> {
    let obj = doc.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    let (name, meta) = obj.iter().next()?;
    let op = match name.as_str() {
        "index" => OpType::Index,
        "create" => OpType::Create,
        "update" => OpType::Update,
        "delete" => OpType::Delete,
        _ => return None,
    };
    Some((op, meta.as_object()?))
}

fn kind_of(doc: &Value) -> Kind {
    if action_of(doc).is_some() {
        Kind::Bulk
    } else if doc.get("_source").is_some_and(Value::is_object)
        && (doc.get("_id").is_some() || doc.get("_index").is_some())
    {
        Kind::Hits
    } else {
        Kind::Docs
    }
}

/// The value at a dotted path: `a.b` is `{"a": {"b": …}}` or a field literally named `a.b`.
fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    let mut cur = doc;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Reader {
    /// Reads one input; `Ok(false)` when the consumer is gone.
    fn read_input(&mut self, input: usize, spec: &Input) -> Result<bool, Fatal> {
        let mut reader = open(&spec.path, Arc::clone(&self.counters)).map_err(|e| (0, format!("cannot open: {e}")))?;
        let mut format = match self.options.format {
            Format::Auto => format_by_extension(&spec.path).unwrap_or(Format::Auto),
            f => f,
        };
        if format == Format::Auto {
            format = format_by_content(&mut *reader).map_err(|e| (0, e.to_string()))?;
        }
        match format {
            Format::Json => self.read_json_array(input, reader),
            Format::Csv => {
                let tsv = spec.path.strip_suffix(".gz").unwrap_or(&spec.path).ends_with(".tsv");
                let delimiter = self.options.csv_delimiter.unwrap_or(if tsv { b'\t' } else { b',' });
                self.read_csv(input, reader, delimiter)
            }
            Format::Docs => self.read_ndjson(input, reader, Some(Kind::Docs)),
            Format::Bulk => self.read_ndjson(input, reader, Some(Kind::Bulk)),
            Format::Hits => self.read_ndjson(input, reader, Some(Kind::Hits)),
            Format::Ndjson | Format::Auto => self.read_ndjson(input, reader, None),
        }
    }

    /// Sends a record unless the checkpoint has it; `false` when the consumer is gone.
    fn emit(
        &mut self,
        input: usize,
        line: u64,
        element: Option<u64>,
        make: impl FnOnce(&Self) -> Result<BulkOperation, Failure>,
    ) -> bool {
        let seq = self.seq;
        self.seq += 1;
        if self.skip.is_acked(seq) {
            return true;
        }
        let op = make(self);
        self.tx.blocking_send(Message::Record(Record { seq, input, line, element, op })).is_ok()
    }

    fn read_ndjson(
        &mut self,
        input: usize,
        mut reader: Box<dyn BufRead + Send>,
        mut kind: Option<Kind>,
    ) -> Result<bool, Fatal> {
        let mut buf = Vec::with_capacity(4096);
        let mut line_no = 0u64;
        // A bulk action waiting for its source line: (line, op, meta).
        let mut action: Option<(u64, OpType, Map<String, Value>)> = None;
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(|e| (line_no + 1, e.to_string()))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let text = trim(&buf);
            if text.is_empty() {
                continue;
            }
            let parsed: Result<Value, _> = serde_json::from_slice(text);
            let doc = match parsed {
                Ok(doc) => doc,
                Err(e) => {
                    // A broken source line of a pair fails with its action.
                    let at = action.take().map_or(line_no, |(l, _, _)| l);
                    let raw = String::from_utf8_lossy(text).into_owned();
                    let ok = self.emit(input, at, None, |_| {
                        Err(Failure {
                            reason: format!("invalid JSON at line {line_no}: {e}"),
                            id: None,
                            raw: Some(raw),
                        })
                    });
                    if !ok {
                        return Ok(false);
                    }
                    continue;
                }
            };
            let k = *kind.get_or_insert_with(|| kind_of(&doc));
            let ok = match k {
                Kind::Docs => {
                    let source = Bytes::copy_from_slice(text);
                    self.emit(input, line_no, None, |r| r.document(&doc, source, None, None))
                }
                Kind::Hits => {
                    let id = doc.get("_id").and_then(scalar);
                    let routing = doc.get("_routing").and_then(scalar);
                    let source = doc.get("_source").cloned().unwrap_or(Value::Null);
                    let bytes = Bytes::from(serde_json::to_vec(&source).unwrap_or_default());
                    self.emit(input, line_no, None, |r| r.document(&source, bytes, id, routing))
                }
                Kind::Bulk => match action.take() {
                    None => match action_of(&doc) {
                        Some((OpType::Delete, meta)) => {
                            let meta = meta.clone();
                            self.emit(input, line_no, None, |_| delete_op(&meta))
                        }
                        Some((op, meta)) => {
                            action = Some((line_no, op, meta.clone()));
                            true
                        }
                        None => self.emit(input, line_no, None, |_| {
                            Err(Failure {
                                reason: "expected a bulk action line (index, create, update or delete)".into(),
                                id: None,
                                raw: Some(String::from_utf8_lossy(text).into_owned()),
                            })
                        }),
                    },
                    Some((at, op, meta)) => {
                        let source = Bytes::copy_from_slice(text);
                        self.emit(input, at, None, |r| r.pair(op, &meta, &doc, source))
                    }
                },
            };
            if !ok {
                return Ok(false);
            }
        }
        if let Some((at, _, meta)) = action {
            let id = meta.get("_id").and_then(scalar);
            let ok = self.emit(input, at, None, |_| {
                Err(Failure {
                    reason: "a bulk action line without its source line at the end of the input".into(),
                    id,
                    raw: None,
                })
            });
            return Ok(ok);
        }
        Ok(true)
    }

    fn read_json_array(&mut self, input: usize, reader: Box<dyn BufRead + Send>) -> Result<bool, Fatal> {
        let mut de = serde_json::Deserializer::from_reader(reader);
        let mut element = 0u64;
        let mut gone = false;
        let seed = Elements { reader: self, input, element: &mut element, gone: &mut gone };
        let result = seed.deserialize(&mut de);
        if gone {
            return Ok(false);
        }
        result.map_err(|e| (e.line() as u64, format!("invalid JSON array: {e}")))?;
        de.end().map_err(|e| (e.line() as u64, format!("after the JSON array: {e}")))?;
        Ok(true)
    }

    fn read_csv(&mut self, input: usize, reader: Box<dyn BufRead + Send>, delimiter: u8) -> Result<bool, Fatal> {
        let mut csv = csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(reader);
        let headers: Vec<String> =
            csv.headers().map_err(|e| (1, format!("CSV header: {e}")))?.iter().map(str::to_owned).collect();
        let mut row = csv::StringRecord::new();
        loop {
            let line = csv.position().line() + 1;
            match csv.read_record(&mut row) {
                Ok(false) => return Ok(true),
                Ok(true) => {
                    let line = row.position().map_or(line, |p| p.line());
                    let converted = self.csv_row(&headers, &row);
                    let ok = self.emit(input, line, None, |r| match converted {
                        Ok((doc, bytes)) => r.document(&doc, bytes, None, None),
                        Err(reason) => {
                            Err(Failure { reason, id: None, raw: Some(row.iter().collect::<Vec<_>>().join(",")) })
                        }
                    });
                    if !ok {
                        return Ok(false);
                    }
                }
                // A row of the wrong length fails alone; broken quoting or
                // encoding is reported at its line too, and reading goes on.
                Err(e) if !matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    let line = e.position().map_or(line, |p| p.line());
                    let ok = self
                        .emit(input, line, None, |_| Err(Failure { reason: format!("CSV: {e}"), id: None, raw: None }));
                    if !ok {
                        return Ok(false);
                    }
                }
                Err(e) => return Err((line, format!("CSV: {e}"))),
            }
        }
    }

    /// A CSV row as a JSON object (in column order) and its bytes.
    fn csv_row(&self, headers: &[String], row: &csv::StringRecord) -> Result<(Value, Bytes), String> {
        let mut text = Vec::with_capacity(row.as_slice().len() * 2 + 16);
        let mut doc = Map::new();
        text.push(b'{');
        for (name, field) in headers.iter().zip(row.iter()) {
            let ty = self.options.csv_types.get(name).copied();
            let value = match csv_value(field, ty, self.options.csv_infer) {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                Err(e) => return Err(format!("column {name:?}: {e}")),
            };
            if text.len() > 1 {
                text.push(b',');
            }
            serde_json::to_writer(&mut text, name).map_err(|e| e.to_string())?;
            text.push(b':');
            serde_json::to_writer(&mut text, &value).map_err(|e| e.to_string())?;
            doc.insert(name.clone(), value);
        }
        text.push(b'}');
        Ok((Value::Object(doc), Bytes::from(text)))
    }

    /// A document (from docs, hits, arrays or CSV) as an operation of `--op`.
    fn document(
        &self,
        doc: &Value,
        source: Bytes,
        id: Option<String>,
        routing: Option<String>,
    ) -> Result<BulkOperation, Failure> {
        let fail = |reason: String, id: Option<String>| Err(Failure { reason, id, raw: None });
        if !doc.is_object() {
            return fail("a document is a JSON object".into(), None);
        }
        let id = match (self.options.id_fields.is_empty(), id) {
            (true, id) => id,
            (false, _) => {
                let mut parts = Vec::with_capacity(self.options.id_fields.len());
                for field in &self.options.id_fields {
                    match lookup(doc, field).and_then(scalar) {
                        Some(v) => parts.push(v),
                        None => return fail(format!("no string or number at the id field {field:?}"), None),
                    }
                }
                Some(parts.join(&self.options.id_separator))
            }
        };
        let routing = match &self.options.routing_field {
            None => routing,
            Some(field) => match lookup(doc, field).and_then(scalar) {
                Some(r) => Some(r),
                None => return fail(format!("no string or number at the routing field {field:?}"), id),
            },
        };
        let mut op = match self.options.op {
            Op::Index => BulkOperation::raw(OpType::Index, source),
            Op::Create => BulkOperation::raw(OpType::Create, source),
            Op::Update => {
                let Some(id) = &id else { return fail("--op update needs an id (--id-field)".into(), None) };
                let mut body = Vec::with_capacity(source.len() + 32);
                body.extend_from_slice(b"{\"doc\":");
                body.extend_from_slice(&source);
                if self.options.doc_as_upsert {
                    body.extend_from_slice(b",\"doc_as_upsert\":true");
                }
                body.push(b'}');
                BulkOperation::raw(OpType::Update, body).id(id.clone())
            }
        };
        if let Some(id) = id {
            op = op.id(id);
        }
        if let Some(r) = routing {
            op = op.routing(r);
        }
        Ok(op)
    }

    /// A bulk pair: the action's metadata, the source line as is.
    fn pair(
        &self,
        op: OpType,
        meta: &Map<String, Value>,
        doc: &Value,
        source: Bytes,
    ) -> Result<BulkOperation, Failure> {
        let id = meta.get("_id").and_then(scalar);
        if !doc.is_object() {
            return Err(Failure { reason: "a source line is a JSON object".into(), id, raw: None });
        }
        let mut operation = BulkOperation::raw(op, source);
        if let Some(id) = id {
            operation = operation.id(id);
        }
        apply_meta(operation, meta)
    }
}

fn delete_op(meta: &Map<String, Value>) -> Result<BulkOperation, Failure> {
    match meta.get("_id").and_then(scalar) {
        Some(id) => apply_meta(BulkOperation::delete(id), meta),
        None => Err(Failure { reason: "a delete action needs an _id".into(), id: None, raw: None }),
    }
}

/// Routing, pipeline, versions and `retry_on_conflict` of an action line
/// (its `_index` is not used: the load's INDEX is the target).
fn apply_meta(mut op: BulkOperation, meta: &Map<String, Value>) -> Result<BulkOperation, Failure> {
    if let Some(r) = meta.get("routing").or_else(|| meta.get("_routing")).and_then(scalar) {
        op = op.routing(r);
    }
    if let Some(p) = meta.get("pipeline").and_then(Value::as_str) {
        op = op.pipeline(p);
    }
    if let Some(n) = meta.get("retry_on_conflict").and_then(Value::as_u64) {
        op = op.retry_on_conflict(n as u32);
    }
    if let (Some(s), Some(t)) =
        (meta.get("if_seq_no").and_then(Value::as_i64), meta.get("if_primary_term").and_then(Value::as_i64))
    {
        op = op.if_seq_no_primary_term(s, t);
    }
    if let Some(v) = meta.get("version").and_then(Value::as_i64) {
        let t = meta.get("version_type").and_then(Value::as_str).unwrap_or("external");
        op = op.version(v, t);
    }
    if let Some(b) = meta.get("require_alias").and_then(Value::as_bool) {
        op = op.require_alias(b);
    }
    Ok(op)
}

/// Converts a CSV field: the given type, else inferred (integers without
/// leading zeros, decimals, true/false), else a string. Empty fields are
/// left out.
pub fn csv_value(field: &str, ty: Option<CsvType>, infer: bool) -> Result<Option<Value>, String> {
    if field.is_empty() {
        return Ok(None);
    }
    let parse_long =
        |s: &str| s.trim().parse::<i64>().map(Value::from).map_err(|e| format!("{s:?} is not a long: {e}"));
    let parse_double = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("{s:?} is not a finite double"))
    };
    let value = match ty {
        Some(CsvType::String) => Value::String(field.to_owned()),
        Some(CsvType::Long) => parse_long(field)?,
        Some(CsvType::Double) => parse_double(field)?,
        Some(CsvType::Boolean) => match field.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => return Err(format!("{field:?} is not a boolean")),
        },
        Some(CsvType::Json) => serde_json::from_str(field).map_err(|e| format!("not JSON: {e}"))?,
        None if !infer => Value::String(field.to_owned()),
        None => infer_value(field),
    };
    Ok(Some(value))
}

fn infer_value(field: &str) -> Value {
    let digits = field.strip_prefix('-').unwrap_or(field);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    let numeric = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    if numeric && !leading_zero && !digits.starts_with('.') && !digits.ends_with('.') {
        if let Ok(n) = field.parse::<i64>() {
            return Value::from(n);
        }
        if let Some(n) = field.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    match field {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(field.to_owned()),
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_prefix(&[0xef, 0xbb, 0xbf][..]).unwrap_or(line);
    let start = line.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &line[start..end]
}

/// Streams the elements of a JSON array to the reader, one at a time.
struct Elements<'a> {
    reader: &'a mut Reader,
    input: usize,
    element: &'a mut u64,
    gone: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for Elements<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of documents")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(doc) = seq.next_element::<Value>()? {
            let n = *self.element;
            *self.element += 1;
            let bytes = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
            if !self.reader.emit(self.input, 0, Some(n), |r| r.document(&doc, bytes, None, None)) {
                *self.gone = true;
                return Err(de::Error::custom("the load stopped"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_values_are_inferred_without_eating_leading_zeros() {
        assert_eq!(csv_value("42", None, true).unwrap(), Some(Value::from(42)));
        assert_eq!(csv_value("-3.5", None, true).unwrap(), Some(Value::from(-3.5)));
        assert_eq!(csv_value("007", None, true).unwrap(), Some(Value::from("007")));
        assert_eq!(csv_value("0.5", None, true).unwrap(), Some(Value::from(0.5)));
        assert_eq!(csv_value("true", None, true).unwrap(), Some(Value::Bool(true)));
        assert_eq!(csv_value("1e5", None, true).unwrap(), Some(Value::from("1e5")));
        assert_eq!(csv_value("", None, true).unwrap(), None);
        assert_eq!(csv_value("42", None, false).unwrap(), Some(Value::from("42")));
        assert_eq!(csv_value("42", Some(CsvType::String), true).unwrap(), Some(Value::from("42")));
        assert_eq!(csv_value("7", Some(CsvType::Double), true).unwrap(), Some(Value::from(7.0)));
        assert!(csv_value("x", Some(CsvType::Long), true).is_err());
        assert_eq!(csv_value("[1,2]", Some(CsvType::Json), true).unwrap(), Some(serde_json::json!([1, 2])));
    }

    #[test]
    fn lines_are_told_apart_by_shape() {
        assert_eq!(kind_of(&serde_json::json!({"index": {"_id": "1"}})), Kind::Bulk);
        assert_eq!(kind_of(&serde_json::json!({"_id": "1", "_source": {"a": 1}})), Kind::Hits);
        assert_eq!(kind_of(&serde_json::json!({"index": "books"})), Kind::Docs);
        assert_eq!(kind_of(&serde_json::json!({"a": 1, "b": 2})), Kind::Docs);
    }

    #[test]
    fn dotted_paths_reach_nested_and_literal_fields() {
        let doc = serde_json::json!({"a": {"b": 7}, "c.d": "x"});
        assert_eq!(lookup(&doc, "a.b"), Some(&Value::from(7)));
        assert_eq!(lookup(&doc, "c.d"), Some(&Value::from("x")));
        assert_eq!(lookup(&doc, "a.z"), None);
    }
}
