//! `elastik-conformance coverage | examples [--spec DIR] | fixtures DIR [--runtime R] | yaml --url URL [--runtime R] [--spec DIR] [--filter SUBSTR]`

use std::path::PathBuf;
use std::process::ExitCode;

use elastik_conformance::{check, replay, yaml};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let spec_arg = args.iter().position(|a| a == "--spec").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let spec = spec_arg.unwrap_or_else(|| shared.join("spec"));
    let verbose = args.iter().any(|a| a == "-v" || a == "--verbose");
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if args.first().map(String::as_str) == Some("yaml") {
        let options = yaml::SuiteOptions {
            filter: flag("--filter"),
            bare: args.iter().any(|a| a == "--bare"),
            lenient_warnings: args.iter().any(|a| a == "--lenient-warnings"),
        };
        return run_yaml(flag("--url"), flag("--runtime"), spec_arg_or(flag("--spec"), &shared), &options, verbose);
    }
    let report = match args.first().map(String::as_str) {
        Some("coverage") => check::coverage(&spec.join("schema.json")),
        Some("examples") => check::examples(&spec),
        Some("fixtures") => match (args.get(1), flag("--runtime")) {
            (Some(dir), None) => check::fixtures(&PathBuf::from(dir)),
            (Some(dir), Some(rt)) => replay::fixtures(&PathBuf::from(dir), &rt),
            (None, _) => Err("usage: elastik-conformance fixtures DIR [--runtime tokio|async-std|blocking]".into()),
        },
        _ => Err(USAGE.into()),
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
            if r.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage: elastik-conformance coverage | examples [--spec DIR] | fixtures DIR [--runtime R] \
                     | yaml --url URL [--runtime tokio|async-std|blocking] [--spec DIR] [--filter SUBSTR] [--bare] [--lenient-warnings]";

/// The clients-tests folder: `--spec DIR` (the folder itself, or a spec folder holding it).
fn spec_arg_or(arg: Option<String>, shared: &std::path::Path) -> PathBuf {
    match arg.map(PathBuf::from) {
        Some(p) if p.join("clients-tests").is_dir() => p.join("clients-tests"),
        Some(p) => p,
        None => shared.join("spec/clients-tests"),
    }
}

fn run_yaml(
    url: Option<String>,
    runtime: Option<String>,
    dir: PathBuf,
    options: &yaml::SuiteOptions,
    verbose: bool,
) -> ExitCode {
    let Some(url) = url else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let runtime = runtime.unwrap_or_else(|| "tokio".to_owned());
    let setup = yaml::load_suite(&dir).and_then(|files| yaml::connect(&runtime, &url).map(|rt| (files, rt)));
    let (files, rt) = match setup {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let report = yaml::run_suite(&*rt, &files, options, |case| {
        match &case.outcome {
            yaml::Outcome::Pass => println!("PASS {}", case.id),
            yaml::Outcome::Fail(reason) => println!("FAIL {} {reason}", case.id),
            yaml::Outcome::Skip(reason) => println!("SKIP {} {reason}", case.id),
        }
        if verbose {
            for issue in &case.decode_issues {
                println!("    typed decode: {issue}");
            }
        }
    });
    println!("{}", report.summary());
    if report.failed().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
