//! `codegen [--schema PATH] [--root DIR] [--check]`: regenerates the typed API
//! from the specification, or with `--check` exits 1 when the committed
//! output is stale.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut schema: Option<PathBuf> = None;
    let mut check = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--schema" => schema = args.next().map(PathBuf::from),
            "--root" => root = args.next().map(PathBuf::from).unwrap_or(root),
            other => {
                eprintln!("unknown argument {other:?}; usage: codegen [--schema PATH] [--root DIR] [--check]");
                return ExitCode::from(2);
            }
        }
    }
    let schema = schema.unwrap_or_else(|| root.join("../shared/spec/schema.json"));
    let text = match std::fs::read_to_string(&schema) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {}: {e}", schema.display());
            return ExitCode::from(2);
        }
    };
    let version = elastik_codegen_version(&schema);
    let files = match elastik_codegen::generate(&text, &version) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if check {
        let stale = elastik_codegen::diff(&root, &files);
        if stale.is_empty() {
            println!("generated code is up to date ({} files)", files.len());
            ExitCode::SUCCESS
        } else {
            for p in &stale {
                eprintln!("stale: {}", p.display());
            }
            eprintln!("{} generated files are stale; run `cargo run -p elastik-codegen`", stale.len());
            ExitCode::from(1)
        }
    } else {
        if let Err(e) = elastik_codegen::write(&root, &files) {
            eprintln!("cannot write: {e}");
            return ExitCode::from(2);
        }
        println!("wrote {} files", files.len());
        ExitCode::SUCCESS
    }
}

/// The schema's provenance as recorded next to it (the spec README's commit),
/// else the file name.
fn elastik_codegen_version(schema: &std::path::Path) -> String {
    let readme = schema.with_file_name("README.md");
    if let Ok(text) = std::fs::read_to_string(readme) {
        for line in text.lines() {
            if line.starts_with("| `schema.json`") {
                if let Some(commit) = line.split('`').nth(3) {
                    return format!("elasticsearch-specification@{}", &commit[..commit.len().min(12)]);
                }
            }
        }
    }
    "(unknown version)".to_owned()
}
