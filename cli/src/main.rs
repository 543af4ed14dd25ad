//! # elastik, the command-line tool
//!
//! `elastik load | dump | copy | esql | api`: moves data in and out of
//! Elasticsearch with the library's helpers (the bulk indexer that accounts
//! for every operation, point-in-time scans with slices), with progress, a
//! failures file, checkpoints and `--resume`. See `cli/README.md`.
//!
//! Built on the public API of the `elastik` facade (tokio runtime) only.
//!
//! Exit status: 0 when everything went through; 1 on an error that stopped
//! the command (connection, input, server answer); 2 on a usage error; 3
//! when some documents failed or are unconfirmed (see the failures file);
//! 4 when `--verify` (or dump's closing count) found a different count;
//! 130 when interrupted (the checkpoint is written first).

mod api;
mod checkpoint;
mod conn;
mod copy;
mod dump;
mod esql;
mod input;
mod load;
mod output;
mod progress;

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Move data in and out of Elasticsearch without losing any of it.
///
/// Every subcommand takes the connection flags (`--url`, `--api-key`,
/// `--user`/`--password`, `--ca-cert`, `--fingerprint`, `--insecure`,
/// `--cloud-id`), before or after the subcommand's name. Credentials come
/// from the flags or the environment and are never printed.
///
/// Exit status: 0 everything went through; 1 an error stopped the command;
/// 2 usage error; 3 some documents failed or are unconfirmed (see the
/// failures file); 4 a verification count differs; 130 interrupted.
#[derive(Parser)]
#[command(name = "elastik", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    conn: conn::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load documents (NDJSON, bulk pairs, dumped hits, JSON arrays, CSV; plain or gzip) into an index.
    Load(load::LoadArgs),
    /// Dump an index as NDJSON (point in time + search_after, slices), to stdout or a file.
    Dump(dump::DumpArgs),
    /// Copy an index to another index, on the same cluster or another one (scan + bulk).
    Copy(copy::CopyArgs),
    /// Run an ES|QL query and print its table (or csv, tsv, json, ndjson).
    Esql(esql::EsqlArgs),
    /// Send any request (the raw escape hatch, like curl with auth and retries).
    Api(api::ApiArgs),
}

/// An error that ends the command, with the exit status it maps to.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong (never holds credentials: library errors redact them).
    pub message: String,
    /// The exit status.
    pub code: u8,
}

impl CliError {
    /// An error with exit status 1.
    pub fn new(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: 1 }
    }

    /// An error with its own exit status.
    pub fn with_code(code: u8, message: impl Into<String>) -> Self {
        CliError { message: message.into(), code }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<elastik::Error> for CliError {
    fn from(e: elastik::Error) -> Self {
        CliError::new(e.to_string())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(e.to_string())
    }
}

/// The result of a command: `Ok(code)` is the exit status of a command that
/// ran to its end (0, or 3/4 when something did not go through).
pub type CliResult<T> = Result<T, CliError>;

/// Exit status: some documents failed or are unconfirmed.
pub const EXIT_INCOMPLETE: u8 = 3;
/// Exit status: a verification count differs.
pub const EXIT_VERIFY: u8 = 4;
/// Exit status: interrupted (Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("elastik: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli));
    // Background tasks (a scan's close request, a drained indexer) get a moment.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("elastik: {e}");
            ExitCode::from(e.code)
        }
    }
}

async fn run(cli: Cli) -> CliResult<u8> {
    match cli.command {
        Command::Load(args) => load::run(&cli.conn, args).await,
        Command::Dump(args) => dump::run(&cli.conn, args).await,
        Command::Copy(args) => copy::run(&cli.conn, args).await,
        Command::Esql(args) => esql::run(&cli.conn, args).await,
        Command::Api(args) => api::run(&cli.conn, args).await,
    }
}
