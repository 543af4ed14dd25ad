//! Scans as streams of typed hits.

use std::pin::Pin;
use std::task::{Context, Poll};

use elastik_api::Client;
use elastik_proto::helpers::scan::{Hit, ScanConfig, ScanStats, SlicedScan};
use elastik_proto::Error;
use futures_core::Stream;
use serde::de::DeserializeOwned;

use super::{Clients, Driven};
use crate::Drives;

/// Every hit of a search, as a `Stream` of `Result<Hit<T>, Error>`: a
/// point in time with `search_after` by default, a scroll for
/// `preserve_order` or when the server has no point in time (see
/// [`elastik_proto::helpers::scan`]).
///
/// The next page is fetched while the current one is consumed. The point
/// in time or scroll is closed when the hits run out, after an error (the
/// error is the last item), and when the stream is dropped early: the close
/// request is then sent from a task.
pub fn scan<X: Drives, T: DeserializeOwned + Send + 'static>(
    client: &Client<X>,
    config: ScanConfig,
) -> ScanStream<X, T> {
    scan_sliced(client, config, 1)
}

/// Like [`scan`], with the search split in `slices` slices scanned at once
/// and merged into one stream (in no particular order; the merge is the
/// core's [`SlicedScan`]). Each slice opens and closes its own point in
/// time (or scroll). A failing slice ends with its error; the others go on.
pub fn scan_sliced<X: Drives, T: DeserializeOwned + Send + 'static>(
    client: &Client<X>,
    config: ScanConfig,
    slices: u32,
) -> ScanStream<X, T> {
    ScanStream { driven: Driven::new(SlicedScan::new(config, slices), Clients::one(client)) }
}

/// The stream of [`scan`] and [`scan_sliced`].
pub struct ScanStream<X: Drives, T: DeserializeOwned + Send + 'static> {
    driven: Driven<X, SlicedScan<T>>,
}

impl<X: Drives, T: DeserializeOwned + Send + 'static> ScanStream<X, T> {
    /// The counters, summed over the slices.
    pub fn stats(&self) -> ScanStats {
        self.driven.machine().map(SlicedScan::stats).unwrap_or_default()
    }

    /// Stops early and closes the point in time (or scroll) of every
    /// slice, in this task: returns once the close requests are answered.
    /// Dropping the stream does the same in a task.
    pub async fn close(mut self) {
        self.driven.finish().await;
    }

    /// The next hit (`None` at the end).
    pub async fn next_hit(&mut self) -> Option<Result<Hit<T>, Error>> {
        self.driven.next().await
    }
}

// Nothing is pinned inside: hits are moved out, never borrowed across polls.
impl<X: Drives, T: DeserializeOwned + Send + 'static> Unpin for ScanStream<X, T> {}

impl<X: Drives, T: DeserializeOwned + Send + 'static> Stream for ScanStream<X, T> {
    type Item = Result<Hit<T>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().driven.poll_output(cx)
    }
}

impl<X: Drives, T: DeserializeOwned + Send + 'static> std::fmt::Debug for ScanStream<X, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanStream").field("stats", &self.stats()).finish_non_exhaustive()
    }
}
