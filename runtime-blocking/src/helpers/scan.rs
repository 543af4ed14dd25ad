//! Scans as iterators of typed hits.

use elastik_driver::block_on;
use elastik_driver::helpers::{self as driven, Hit, ScanConfig, ScanStats};
use elastik_proto::Error;
use serde::de::DeserializeOwned;

use crate::{BlockingExecutor, Client};

/// Every hit of a search, as an `Iterator` of `Result<Hit<T>, Error>`: a
/// point in time with `search_after` by default, a scroll for
/// `preserve_order` or when the server has no point in time (see
/// [`elastik_proto::helpers::scan`]).
///
/// `next()` drives the scan; the next page is fetched on a thread while
/// the current one is consumed. The point in time or scroll is closed when
/// the hits run out, after an error (the error is the last item), and when
/// the iterator is dropped early: `drop` then sends the close request and
/// returns once it is answered.
pub fn scan<T: DeserializeOwned + Send + 'static>(client: &Client, config: ScanConfig) -> ScanIter<T> {
    ScanIter { stream: driven::scan(client, config) }
}

/// Like [`scan`], with the search split in `slices` slices scanned at once
/// and merged into one iterator (in no particular order; the merge is the
/// core's [`SlicedScan`](elastik_proto::helpers::scan::SlicedScan)). Each
/// slice opens and closes its own point in time (or scroll); a failing
/// slice ends with its error, the others go on. Dropping the iterator
/// early stops every slice, and returns once each has closed what it opened.
pub fn scan_sliced<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    config: ScanConfig,
    slices: u32,
) -> ScanIter<T> {
    ScanIter { stream: driven::scan_sliced(client, config, slices) }
}

/// The iterator of [`scan`] and [`scan_sliced`]: the driver's
/// [`ScanStream`](driven::ScanStream), blocked on.
pub struct ScanIter<T: DeserializeOwned + Send + 'static> {
    stream: driven::ScanStream<BlockingExecutor, T>,
}

impl<T: DeserializeOwned + Send + 'static> ScanIter<T> {
    /// The counters, summed over the slices.
    pub fn stats(&self) -> ScanStats {
        self.stream.stats()
    }

    /// Stops early and closes what is open; returns once the close requests
    /// are answered. The same as dropping the iterator.
    pub fn close(self) {
        block_on(self.stream.close());
    }
}

impl<T: DeserializeOwned + Send + 'static> Iterator for ScanIter<T> {
    type Item = Result<Hit<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        super::next(&mut self.stream)
    }
}

impl<T: DeserializeOwned + Send + 'static> std::fmt::Debug for ScanIter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanIter").field("stats", &self.stats()).finish_non_exhaustive()
    }
}
