//! `elastik-conformance coverage | examples [--spec DIR] | fixtures DIR`

use std::path::PathBuf;
use std::process::ExitCode;

use elastik_conformance::check;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let spec_arg = args.iter().position(|a| a == "--spec").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let spec = spec_arg.unwrap_or_else(|| shared.join("spec"));
    let verbose = args.iter().any(|a| a == "-v" || a == "--verbose");
    let report = match args.first().map(String::as_str) {
        Some("coverage") => check::coverage(&spec.join("schema.json")),
        Some("examples") => check::examples(&spec),
        Some("fixtures") => match args.get(1) {
            Some(dir) => check::fixtures(&PathBuf::from(dir)),
            None => Err("usage: elastik-conformance fixtures DIR".into()),
        },
        _ => Err("usage: elastik-conformance coverage | examples [--spec DIR] | fixtures DIR".into()),
    };
    match report {
        Ok(r) => {
            for f in &r.failures {
                if verbose || r.failures.len() <= 200 {
                    println!("FAIL {f}");
                }
            }
            for l in &r.lines {
                println!("{l}");
            }
            println!("{}", r.summary());
            if r.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
