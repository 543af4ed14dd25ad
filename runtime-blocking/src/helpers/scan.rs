//! Scans as iterators of typed hits.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use elastik_proto::helpers::scan::{Hit, Scan, ScanConfig, ScanStats};
use elastik_proto::Error;
use serde::de::DeserializeOwned;

use super::{Clients, Driven};
use crate::Client;

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
    ScanIter { inner: Inner::One(Box::new(Driven::new(Scan::new(config), Clients::one(client)))) }
}

/// Like [`scan`], with the search split in `slices` slices, each scanned
/// on its own thread, merged into one iterator (in no particular order).
/// Each slice opens and closes its own point in time (or scroll); a failing
/// slice ends with its error, the others go on. Each slice keeps about one
/// page of hits ready for the consumer. Dropping the iterator early stops
/// every slice, and returns once each has closed what it opened.
pub fn scan_sliced<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    config: ScanConfig,
    slices: u32,
) -> ScanIter<T> {
    if slices <= 1 {
        return scan(client, config);
    }
    let capacity = config.size.max(1) as usize;
    let (tx, rx) = mpsc::sync_channel(capacity);
    let stats = Arc::new(Mutex::new(vec![ScanStats::default(); slices as usize]));
    let threads = (0..slices)
        .map(|id| {
            let mut driven = Driven::new(Scan::<T>::new(config.clone().slice(id, slices)), Clients::one(client));
            let tx = tx.clone();
            let stats = Arc::clone(&stats);
            std::thread::Builder::new()
                .name(format!("elastik-scan-slice-{id}"))
                .spawn(move || {
                    while let Some(item) = driven.next_output() {
                        stats.lock().unwrap_or_else(PoisonError::into_inner)[id as usize] = driven.machine.stats();
                        if tx.send(item).is_err() {
                            // The consumer is gone: close what is open, here.
                            driven.finish();
                            break;
                        }
                    }
                    stats.lock().unwrap_or_else(PoisonError::into_inner)[id as usize] = driven.machine.stats();
                })
                .expect("spawn a scan slice thread")
        })
        .collect();
    ScanIter { inner: Inner::Sliced { rx: Some(rx), threads, stats } }
}

/// The iterator of [`scan`] and [`scan_sliced`].
pub struct ScanIter<T: DeserializeOwned + Send + 'static> {
    inner: Inner<T>,
}

enum Inner<T: DeserializeOwned + Send + 'static> {
    One(Box<Driven<Scan<T>>>),
    Sliced {
        /// `None` once dropped, so that the slices stop.
        rx: Option<mpsc::Receiver<Result<Hit<T>, Error>>>,
        threads: Vec<JoinHandle<()>>,
        stats: Arc<Mutex<Vec<ScanStats>>>,
    },
}

impl<T: DeserializeOwned + Send + 'static> ScanIter<T> {
    /// The counters, summed over the slices.
    pub fn stats(&self) -> ScanStats {
        match &self.inner {
            Inner::One(driven) => driven.machine.stats(),
            Inner::Sliced { stats, .. } => {
                let mut total = ScanStats::default();
                for s in stats.lock().unwrap_or_else(PoisonError::into_inner).iter() {
                    total.pages += s.pages;
                    total.hits += s.hits;
                    total.requests += s.requests;
                }
                total
            }
        }
    }

    /// Stops early and closes what is open; the same as dropping the iterator.
    pub fn close(self) {}
}

impl<T: DeserializeOwned + Send + 'static> Iterator for ScanIter<T> {
    type Item = Result<Hit<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::One(driven) => driven.next_output(),
            Inner::Sliced { rx, .. } => rx.as_ref()?.recv().ok(),
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> Drop for ScanIter<T> {
    fn drop(&mut self) {
        if let Inner::Sliced { rx, threads, .. } = &mut self.inner {
            // Closing the channel stops each slice at its next hit; each
            // closes its point in time before its thread ends.
            drop(rx.take());
            for thread in threads.drain(..) {
                let _ = thread.join();
            }
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> std::fmt::Debug for ScanIter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanIter").field("stats", &self.stats()).finish_non_exhaustive()
    }
}
