//! Scans as streams of typed hits.

use std::pin::Pin;
use std::task::{Context, Poll};

use elastik_core::helpers::scan::{Hit, Scan, ScanConfig, ScanStats};
use elastik_core::Error;
use futures_core::Stream;
use serde::de::DeserializeOwned;

use super::{Clients, Driven};
use crate::Client;

/// Every hit of a search, as a `Stream` of `Result<Hit<T>, Error>`: a
/// point in time with `search_after` by default, a scroll for
/// `preserve_order` or when the server has no point in time (see
/// [`elastik_core::helpers::scan`]).
///
/// The next page is fetched (in a task) while the current one is consumed.
/// The point in time or scroll is closed when the hits run out, after an
/// error (the error is the last item), and when the stream is dropped
/// early: the close request is then sent from a spawned task.
pub fn scan<T: DeserializeOwned + Send + 'static>(client: &Client, config: ScanConfig) -> ScanStream<T> {
    let driven = Driven::new(Scan::new(config), Clients::one(client));
    ScanStream { slices: vec![driven], next: 0 }
}

/// Like [`scan`], with the search split in `slices` slices scanned at once
/// and merged into one stream (in no particular order). Each slice opens
/// and closes its own point in time (or scroll). A failing slice ends with
/// its error; the others go on.
pub fn scan_sliced<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    config: ScanConfig,
    slices: u32,
) -> ScanStream<T> {
    if slices <= 1 {
        return scan(client, config);
    }
    let slices = (0..slices)
        .map(|id| Driven::new(Scan::new(config.clone().slice(id, slices)), Clients::one(client)))
        .collect();
    ScanStream { slices, next: 0 }
}

/// The stream of [`scan`] and [`scan_sliced`].
pub struct ScanStream<T: DeserializeOwned + Send + 'static> {
    /// The slices still running (all of them, for the stats).
    slices: Vec<Driven<Scan<T>>>,
    /// The slice polled first next time, so that none starves.
    next: usize,
}

impl<T: DeserializeOwned + Send + 'static> ScanStream<T> {
    /// The counters, summed over the slices.
    pub fn stats(&self) -> ScanStats {
        let mut total = ScanStats::default();
        for scan in self.slices.iter().filter_map(Driven::machine) {
            let stats = scan.stats();
            total.pages += stats.pages;
            total.hits += stats.hits;
            total.requests += stats.requests;
        }
        total
    }
}

// Nothing is pinned inside: hits are moved out, never borrowed across polls.
impl<T: DeserializeOwned + Send + 'static> Unpin for ScanStream<T> {}

impl<T: DeserializeOwned + Send + 'static> Stream for ScanStream<T> {
    type Item = Result<Hit<T>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let count = this.slices.len();
        let mut finished = 0;
        for step in 0..count {
            let i = (this.next + step) % count;
            match this.slices[i].poll_output(cx) {
                Poll::Ready(Some(item)) => {
                    this.next = (i + 1) % count;
                    return Poll::Ready(Some(item));
                }
                Poll::Ready(None) => finished += 1,
                Poll::Pending => {}
            }
        }
        if finished == count {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> std::fmt::Debug for ScanStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanStream").field("slices", &self.slices.len()).field("stats", &self.stats()).finish()
    }
}
