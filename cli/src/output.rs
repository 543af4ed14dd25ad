//! Where results go: the failures file (NDJSON, one line per operation that
//! did not go through), and the output of a dump (stdout or a file, gzip
//! by `.gz`, in gzip members that end at each checkpoint so that a resumed
//! dump can cut the file at a member boundary and append).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use elastik::tokio::helpers::{BulkError, BulkOutcome, BulkResult};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

use crate::{CliError, CliResult};

/// The failures file (or, without one, the first few failures on stderr).
pub struct FailureLog {
    file: Option<BufWriter<File>>,
    path: Option<PathBuf>,
    /// Failures written (or shown) in this run.
    pub count: u64,
}

/// Failures shown on stderr when there is no failures file.
const SHOWN: u64 = 10;

impl FailureLog {
    /// Opens `path` (appending with `append`, as `--resume` does), or none.
    pub fn open(path: Option<&Path>, append: bool) -> CliResult<FailureLog> {
        let file =
            match path {
                None => None,
                Some(p) => {
                    let file =
                        OpenOptions::new().create(true).write(true).append(append).truncate(!append).open(p).map_err(
                            |e| CliError::new(format!("cannot open the failures file {}: {e}", p.display())),
                        )?;
                    Some(BufWriter::new(file))
                }
            };
        Ok(FailureLog { file, path: path.map(Path::to_path_buf), count: 0 })
    }

    /// Writes one failure line.
    pub fn write(&mut self, mut entry: Map<String, Value>) {
        self.count += 1;
        match &mut self.file {
            Some(file) => {
                let mut line = serde_json::to_vec(&Value::Object(std::mem::take(&mut entry))).unwrap_or_default();
                line.push(b'\n');
                if let Err(e) = file.write_all(&line) {
                    eprintln!("elastik: cannot write the failures file: {e}");
                }
            }
            None if self.count <= SHOWN => {
                eprintln!("elastik: failed: {}", Value::Object(entry));
                if self.count == SHOWN {
                    eprintln!("elastik: (further failures are only counted; --failures FILE keeps them all)");
                }
            }
            None => {}
        }
    }

    /// Flushes the file (before a checkpoint says these records are done).
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }

    /// The path, when there is a file.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

/// The fields a failure line has for a bulk outcome: result, status,
/// reason, id and the document.
pub fn outcome_fields(outcome: &BulkOutcome) -> Map<String, Value> {
    let mut m = Map::new();
    let (kind, error) = match &outcome.result {
        BulkResult::Succeeded(_) => ("succeeded", None),
        BulkResult::Failed(e) => ("failed", Some(e)),
        BulkResult::Unconfirmed(e) => ("unconfirmed", Some(e)),
    };
    if let Some(id) = &outcome.operation.meta().id {
        m.insert("id".into(), Value::from(id.as_str()));
    }
    m.insert("result".into(), Value::from(kind));
    if let Some(e) = error {
        if let Some(status) = e.status() {
            m.insert("status".into(), Value::from(status));
        }
        if let BulkError::Item { cause: Some(cause), .. } = e {
            if let Some(t) = &cause.kind {
                m.insert("error_type".into(), Value::from(t.as_str()));
            }
        }
        m.insert("reason".into(), Value::from(e.to_string()));
    }
    m.insert("retries".into(), Value::from(outcome.retries));
    if let Some(source) = outcome.operation.source() {
        let doc = serde_json::from_slice::<Value>(source)
            .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(source).into_owned()));
        m.insert("document".into(), doc);
    }
    m
}

/// A failure line's position fields.
pub fn position(file: &str, line: u64, element: Option<u64>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("file".into(), json!(file));
    if line > 0 {
        m.insert("line".into(), json!(line));
    }
    if let Some(e) = element {
        m.insert("element".into(), json!(e));
    }
    m
}

/// The output of a dump: stdout, a file, or a gzip file written as a
/// sequence of gzip members (one per checkpoint; readers such as `gunzip`
/// and `zcat` read them as one stream).
pub enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File(BufWriter<File>),
    Gzip { encoder: Option<GzEncoder<BufWriter<File>>> },
}

impl Sink {
    /// Opens the output: `None` or `-` is stdout; `.gz` is gzip. With
    /// `resume_at`, the file is cut to that many bytes and appended to.
    pub fn open(path: Option<&str>, resume_at: Option<u64>) -> CliResult<Sink> {
        let path = match path {
            None | Some("-") => return Ok(Sink::Stdout(BufWriter::with_capacity(256 * 1024, io::stdout()))),
            Some(p) => p,
        };
        let err = |e: io::Error| CliError::new(format!("cannot open the output {path}: {e}"));
        let mut file = match resume_at {
            Some(offset) => {
                let mut f = OpenOptions::new().write(true).open(path).map_err(err)?;
                f.set_len(offset).map_err(err)?;
                f.seek(SeekFrom::Start(offset)).map_err(err)?;
                f
            }
            None => File::create(path).map_err(err)?,
        };
        file.flush().map_err(err)?;
        let writer = BufWriter::with_capacity(256 * 1024, file);
        if path.ends_with(".gz") {
            Ok(Sink::Gzip { encoder: Some(GzEncoder::new(writer, Compression::fast())) })
        } else {
            Ok(Sink::File(writer))
        }
    }

    /// Writes one line (the newline is added).
    pub fn line(&mut self, bytes: &[u8]) -> io::Result<()> {
        let w: &mut dyn Write = match self {
            Sink::Stdout(w) => w,
            Sink::File(w) => w,
            Sink::Gzip { encoder } => encoder.as_mut().ok_or_else(|| io::Error::other("the output is closed"))?,
        };
        w.write_all(bytes)?;
        w.write_all(b"\n")
    }

    /// Makes everything written so far complete on disk and returns the
    /// file's length (0 for stdout): a gzip member ends here.
    pub fn sync(&mut self) -> io::Result<u64> {
        match self {
            Sink::Stdout(w) => {
                w.flush()?;
                Ok(0)
            }
            Sink::File(w) => {
                w.flush()?;
                w.get_ref().sync_data()?;
                w.get_mut().stream_position()
            }
            Sink::Gzip { encoder } => {
                let enc = encoder.take().ok_or_else(|| io::Error::other("the output is closed"))?;
                let mut w = enc.finish()?;
                w.flush()?;
                w.get_ref().sync_data()?;
                let at = w.get_mut().stream_position()?;
                *encoder = Some(GzEncoder::new(w, Compression::fast()));
                Ok(at)
            }
        }
    }

    /// Ends the output (the last gzip member), returning the length.
    pub fn finish(mut self) -> io::Result<u64> {
        let at = self.sync()?;
        if let Sink::Gzip { encoder } = &mut self {
            // The empty member just started is dropped unwritten: cut it off.
            if let Some(enc) = encoder.take() {
                let mut w = enc.finish()?;
                w.flush()?;
                w.get_mut().set_len(at)?;
            }
        }
        Ok(at)
    }
}
