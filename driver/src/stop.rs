//! A signal that fires when its owner is dropped: the background sniffer
//! stops as soon as the last clone of its client is gone, not at its next
//! wake-up.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};

#[derive(Default)]
struct State {
    stopped: bool,
    waker: Option<Waker>,
}

/// Fires on drop.
#[derive(Default)]
pub(crate) struct Stopper(Arc<Mutex<State>>);

/// Watches a [`Stopper`].
pub(crate) struct Stopped(Arc<Mutex<State>>);

impl Stopper {
    pub(crate) fn watch(&self) -> Stopped {
        Stopped(Arc::clone(&self.0))
    }
}

impl Drop for Stopper {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            state.stopped = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Stopped {
    /// Runs `future` unless the stopper fires first: `None` then.
    pub(crate) async fn unless<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        std::future::poll_fn(|cx| {
            {
                let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
                if state.stopped {
                    return Poll::Ready(None);
                }
                state.waker = Some(cx.waker().clone());
            }
            future.as_mut().poll(cx).map(Some)
        })
        .await
    }
}
