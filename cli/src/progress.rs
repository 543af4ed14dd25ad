//! Progress on stderr: a bar on a terminal (indicatif), plain periodic
//! lines otherwise (logs, CI), nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinHandle;

/// The progress flags every data-moving subcommand takes.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Progress")]
pub struct ProgressArgs {
    /// No progress on stderr (the final tally is still printed)
    #[arg(long, short)]
    pub quiet: bool,
    /// Seconds between two progress lines when stderr is not a terminal
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub progress_interval: u64,
}

/// Counters the workers update and the display reads.
#[derive(Debug, Default)]
pub struct Counters {
    /// Documents done (acknowledged, failed or written out).
    pub docs: AtomicU64,
    /// Documents that failed or are unconfirmed.
    pub failed: AtomicU64,
    /// Retries.
    pub retried: AtomicU64,
    /// Input bytes read (load) or output bytes written (dump).
    pub bytes: AtomicU64,
}

/// What the bar counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    /// Input bytes (load from files): bar and ETA by bytes.
    Bytes(u64),
    /// Documents (dump, copy: the count is known).
    Docs(u64),
    /// Unknown (stdin).
    Unknown,
}

/// A running progress display; [`Progress::finish`] stops it.
pub struct Progress {
    task: Option<JoinHandle<()>>,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts the display for `label` (`load`, `dump`, `copy`).
    pub fn start(label: &'static str, total: Total, args: &ProgressArgs, counters: Arc<Counters>) -> Progress {
        if args.quiet {
            return Progress { task: None, bar: None };
        }
        let started = Instant::now();
        if std::io::stderr().is_terminal() {
            let bar = match total {
                Total::Bytes(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
                    style("{spinner} {prefix} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {msg} ETA {eta}"),
                ),
                Total::Docs(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr())
                    .with_style(style("{spinner} {prefix} [{elapsed_precise}] [{wide_bar}] {msg} ETA {eta}")),
                Total::Unknown => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                    .with_style(style("{spinner} {prefix} [{elapsed_precise}] {msg}")),
            };
            bar.set_prefix(label);
            let shown = bar.clone();
            let c = Arc::clone(&counters);
            let task = tokio::spawn(async move {
                loop {
                    let docs = c.docs.load(Ordering::Relaxed);
                    match total {
                        Total::Bytes(_) => shown.set_position(c.bytes.load(Ordering::Relaxed)),
                        Total::Docs(_) => shown.set_position(docs),
                        Total::Unknown => shown.tick(),
                    }
                    shown.set_message(summary(&c, started, total, false));
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
            return Progress { task: Some(task), bar: Some(bar) };
        }
        let every = Duration::from_secs(args.progress_interval.max(1));
        let c = Arc::clone(&counters);
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                eprintln!("elastik {label}: {}", summary(&c, started, total, true));
            }
        });
        Progress { task: Some(task), bar: None }
    }

    /// Stops the display (the caller prints the tally).
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> ")
}

/// `12000 docs (3 failed, 40 retried), 4100 docs/s, 12.0 MiB of 240 MiB (5%)`.
fn summary(c: &Counters, started: Instant, total: Total, plain: bool) -> String {
    let docs = c.docs.load(Ordering::Relaxed);
    let failed = c.failed.load(Ordering::Relaxed);
    let retried = c.retried.load(Ordering::Relaxed);
    let bytes = c.bytes.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 { docs as f64 / secs } else { 0.0 };
    let mut s = match total {
        Total::Docs(n) => format!("{docs}/{n} docs"),
        _ => format!("{docs} docs"),
    };
    if failed > 0 || retried > 0 {
        s.push_str(&format!(" ({failed} failed, {retried} retried)"));
    }
    s.push_str(&format!(", {rate:.0} docs/s"));
    if plain {
        match total {
            Total::Bytes(n) if n > 0 => s.push_str(&format!(
                ", {} of {} ({:.0}%)",
                HumanBytes(bytes),
                HumanBytes(n),
                bytes as f64 * 100.0 / n as f64
            )),
            Total::Docs(n) if n > 0 => s.push_str(&format!(" ({:.0}%)", docs as f64 * 100.0 / n as f64)),
            _ if bytes > 0 => s.push_str(&format!(", {}", HumanBytes(bytes))),
            _ => {}
        }
    }
    s
}
