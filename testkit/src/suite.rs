//! The fault suite's scenarios, shared by every runtime: one noida-db
//! behind three [`FaultProxy`]s (three "nodes" of one cluster, so that the
//! index is one), seeded fault plans, a node that dies and returns, and the
//! verdict on a run — read from the server itself, not from the client.
//!
//! A runtime's test drives its own bulk indexer with default settings:
//!
//! 1. [`Harness::start`] starts the proxies for a [`Run`];
//! 2. for each document `i`, [`Harness::document`] gives the id (or none)
//!    and the JSON to index, and [`Harness::progress`] is told how many were
//!    added (it kills and revives the node on schedule);
//! 3. [`Harness::finish`] counts the documents in the index and returns the
//!    [`Row`] of the report table, whose [`Row::verdict`] says whether
//!    nothing was lost and the report was honest.
//!
//! `scripts/fault-suite.sh` runs every scenario on every runtime.

use std::fmt;
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::http1::{read_body, read_head, response_framing};
use crate::{unique_name, FaultMix, FaultProxy};

/// A fault mix of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// The issue's mix: 5% 429, 5% 503, 2% connections reset after the
    /// request reached the server, 5% of bulk items 429.
    Issue,
    /// A busy cluster: 20% 429, 5% of bulk items 429.
    Busy,
    /// The issue's mix and 1% of requests held 40 s (longer than the
    /// default 30 s request timeout) before being forwarded.
    Stalls,
    /// The issue's mix, and one node of three killed at 30% of the
    /// documents and back at 60%.
    NodeReturns,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 4] = [Scenario::Issue, Scenario::Busy, Scenario::Stalls, Scenario::NodeReturns];

    /// Its name (as `ELASTIK_FAULT_SUITE_MIXES` spells it).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Issue => "issue",
            Scenario::Busy => "busy",
            Scenario::Stalls => "stalls",
            Scenario::NodeReturns => "node-returns",
        }
    }

    /// The scenario of this name.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name.trim())
    }

    /// Its fault mix.
    pub fn mix(self) -> FaultMix {
        match self {
            Scenario::Issue | Scenario::NodeReturns => FaultMix::issue(),
            Scenario::Busy => {
                FaultMix { status_429: 200, reject_items: 1000, reject_items_per_mille: 50, ..FaultMix::default() }
            }
            Scenario::Stalls => FaultMix { stall: 10, stall_for: Duration::from_secs(40), ..FaultMix::issue() },
        }
    }
}

/// One run of the suite.
#[derive(Clone, Debug)]
pub struct Run {
    /// The fault mix.
    pub scenario: Scenario,
    /// Documents with ids (else the server makes them up).
    pub ids: bool,
    /// How many documents.
    pub docs: u64,
    /// Seed of the fault plans.
    pub seed: u64,
}

impl Run {
    /// The runs `scripts/fault-suite.sh` asks for through the environment:
    /// `ELASTIK_FAULT_SUITE_MIXES` (comma-separated names, default all),
    /// `ELASTIK_FAULT_SUITE_DOCS` (default 100,000), `ELASTIK_FAULT_SUITE_RUNS`
    /// (runs of each, default 1), `ELASTIK_FAULT_SUITE_IDS` (`yes`, `no` or
    /// `both`, default both), `ELASTIK_FAULT_SUITE_SEED` (default a fixed
    /// seed; each run adds its number).
    pub fn from_env() -> Vec<Run> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let scenarios: Vec<Scenario> = match var("ELASTIK_FAULT_SUITE_MIXES") {
            Some(v) => v
                .split(',')
                .map(|n| Scenario::from_name(n).unwrap_or_else(|| panic!("unknown fault mix {n:?}")))
                .collect(),
            None => Scenario::ALL.to_vec(),
        };
        let docs = var("ELASTIK_FAULT_SUITE_DOCS").and_then(|v| v.parse().ok()).unwrap_or(100_000);
        let runs: u64 = var("ELASTIK_FAULT_SUITE_RUNS").and_then(|v| v.parse().ok()).unwrap_or(1);
        let seed: u64 = var("ELASTIK_FAULT_SUITE_SEED").and_then(|v| v.parse().ok()).unwrap_or(0x5eed_fa17);
        let ids: &[bool] = match var("ELASTIK_FAULT_SUITE_IDS").as_deref() {
            Some("yes") => &[true],
            Some("no") => &[false],
            _ => &[true, false],
        };
        let mut out = Vec::new();
        for n in 0..runs {
            for &scenario in &scenarios {
                for &ids in ids {
                    out.push(Run { scenario, ids, docs, seed: seed.wrapping_add(n) });
                }
            }
        }
        out
    }
}

/// The proxies of one run and the schedule of its node failure.
pub struct Harness {
    run: Run,
    upstream: String,
    index: String,
    proxies: Vec<FaultProxy>,
    killed: bool,
    revived: bool,
}

impl Harness {
    /// Three proxies in front of `upstream` (a noida-db URL), each with its
    /// own seeded plan, and a fresh index name.
    pub fn start(upstream: &str, run: Run) -> Harness {
        let mix = run.scenario.mix();
        let proxies: Vec<FaultProxy> = (0..3u64)
            .map(|n| {
                let proxy = FaultProxy::start(upstream);
                // Far more entries than requests: the plan never runs out.
                for fault in mix.plan(run.seed.wrapping_mul(31).wrapping_add(n), 20_000) {
                    proxy.push(fault);
                }
                proxy
            })
            .collect();
        let index = unique_name(&format!("faults-{}", run.scenario.name()));
        Harness {
            run,
            upstream: upstream.trim_end_matches('/').to_owned(),
            index,
            proxies,
            killed: false,
            revived: false,
        }
    }

    /// The three node URLs to give the client.
    pub fn urls(&self) -> Vec<String> {
        self.proxies.iter().map(FaultProxy::url).collect()
    }

    /// The index to write to.
    pub fn index(&self) -> &str {
        &self.index
    }

    /// The run.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Document `i`: its id (when the run has ids) and its JSON.
    pub fn document(&self, i: u64) -> (Option<String>, String) {
        let id = self.run.ids.then(|| i.to_string());
        (id, format!(r#"{{"n":{i},"tag":"t{}","text":"document number {i} of the fault suite"}}"#, i % 7))
    }

    /// Tells the harness that `added` documents were added: the node of
    /// the `NodeReturns` scenario dies at 30% and returns at 60%.
    pub fn progress(&mut self, added: u64) {
        if self.run.scenario != Scenario::NodeReturns {
            return;
        }
        if !self.killed && added >= self.run.docs * 3 / 10 {
            self.killed = true;
            self.proxies[1].kill();
        }
        if self.killed && !self.revived && added >= self.run.docs * 6 / 10 {
            self.revived = true;
            self.proxies[1].revive();
        }
    }

    /// Counts what the index holds (on the server, not through the
    /// proxies), deletes it, and returns the row.
    pub fn finish(self, runtime: &str, report: Counts, elapsed: Duration) -> Row {
        let index = self.index.clone();
        let addr = self.upstream.trim_start_matches("http://").to_owned();
        let refreshed = request(&addr, "POST", &format!("/{index}/_refresh"));
        let in_index = match request(&addr, "GET", &format!("/{index}/_count")) {
            Some((200, body)) => {
                serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["count"].as_u64()).unwrap_or(0)
            }
            // No index at all: nothing was written.
            Some((404, _)) if refreshed.is_some() => 0,
            other => panic!("cannot count {index}: {other:?}"),
        };
        let _ = request(&addr, "DELETE", &format!("/{index}"));
        let requests = self.proxies.iter().map(FaultProxy::requests).sum();
        Row {
            runtime: runtime.to_owned(),
            scenario: self.run.scenario,
            ids: self.run.ids,
            seed: self.run.seed,
            counts: report,
            in_index,
            proxied_requests: requests,
            elapsed,
        }
    }
}

/// What the client's report said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Operations added.
    pub submitted: u64,
    /// Reported succeeded.
    pub succeeded: u64,
    /// Reported failed.
    pub failed: u64,
    /// Reported unconfirmed.
    pub unconfirmed: u64,
    /// Operation retries (item and request).
    pub retried: u64,
    /// Of which item retries.
    pub item_retries: u64,
    /// Of which request retries.
    pub request_retries: u64,
}

/// One line of the suite's table.
#[derive(Clone, Debug)]
pub struct Row {
    /// `tokio`, `async-std`, `blocking`.
    pub runtime: String,
    /// The fault mix.
    pub scenario: Scenario,
    /// With ids.
    pub ids: bool,
    /// The plans' seed.
    pub seed: u64,
    /// The client's report.
    pub counts: Counts,
    /// Documents in the index, counted on the server.
    pub in_index: u64,
    /// Requests the proxies saw.
    pub proxied_requests: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

impl Row {
    /// `Ok` when nothing was lost and the report was honest: with ids,
    /// every document succeeded and the index holds exactly them; without
    /// ids, every operation succeeded or is unconfirmed, and the index
    /// holds between `succeeded` and `succeeded + unconfirmed` documents.
    pub fn verdict(&self) -> Result<(), String> {
        let c = &self.counts;
        let n = c.submitted;
        if c.succeeded + c.failed + c.unconfirmed != n {
            return Err(format!("{} + {} + {} outcomes for {n} operations", c.succeeded, c.failed, c.unconfirmed));
        }
        if c.failed != 0 {
            return Err(format!("{} operations failed", c.failed));
        }
        if self.ids {
            if c.succeeded != n || self.in_index != n {
                return Err(format!("{} succeeded and {} in the index of {n}", c.succeeded, self.in_index));
            }
        } else if self.in_index < c.succeeded || self.in_index > c.succeeded + c.unconfirmed {
            return Err(format!(
                "{} in the index, outside {}..={} (succeeded..succeeded + unconfirmed)",
                self.in_index,
                c.succeeded,
                c.succeeded + c.unconfirmed
            ));
        }
        Ok(())
    }

    /// The table's header, matching [`Row`]'s `Display`.
    pub const HEADER: &'static str = "| runtime | fault mix | ids | submitted | succeeded | failed | unconfirmed | retried (item/request) | in the index | elapsed | verdict |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|";
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "| {} | {} | {} | {} | {} | {} | {} | {} ({}/{}) | {} | {:.1} s | {} |",
            self.runtime,
            self.scenario.name(),
            if self.ids { "yes" } else { "no" },
            c.submitted,
            c.succeeded,
            c.failed,
            c.unconfirmed,
            c.retried,
            c.item_retries,
            c.request_retries,
            self.in_index,
            self.elapsed.as_secs_f64(),
            match self.verdict() {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("FAILED: {e}"),
            }
        )
    }
}

/// Appends the row to the file named by `ELASTIK_FAULT_SUITE_REPORT`, if set.
pub fn record(row: &Row) {
    let Ok(path) = std::env::var("ELASTIK_FAULT_SUITE_REPORT") else { return };
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(file, "{row}");
    }
}

/// One request to `addr` on a fresh connection: the status and body.
fn request(addr: &str, method: &str, path: &str) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    let mut reader = BufReader::new(stream);
    let mut response = read_head(&mut reader).ok()??;
    response.body = read_body(&mut reader, response_framing(&response, method)).ok()?;
    Some((response.start[1].parse().ok()?, response.body))
}
