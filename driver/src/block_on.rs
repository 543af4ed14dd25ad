//! Running the driver's futures on the calling thread, for a blocking
//! runtime: [`block_on`] parks the thread between polls, [`BlockingSleep`]
//! tells it until when, and [`on_thread`] runs a future on a thread of its
//! own and is woken by its answer.

use std::cell::Cell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

thread_local! {
    /// The earliest instant a [`BlockingSleep`] polled by this thread's
    /// [`block_on`] waits for.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` to its end on this thread, parking it while the future
/// waits (until the earliest [`BlockingSleep`] it polled, or a wake-up).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        let outer = DEADLINE.replace(None);
        let poll = future.as_mut().poll(&mut cx);
        let deadline = DEADLINE.replace(outer);
        if let Poll::Ready(output) = poll {
            return output;
        }
        match deadline {
            Some(at) => thread::park_timeout(at.saturating_duration_since(Instant::now())),
            None => thread::park(),
        }
    }
}

/// A timer for [`block_on`]: ready at its instant; before, it shortens the
/// park of the `block_on` polling it.
#[derive(Debug)]
pub struct BlockingSleep(pub Instant);

impl Future for BlockingSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.0 {
            return Poll::Ready(());
        }
        DEADLINE.set(Some(DEADLINE.get().map_or(self.0, |d| d.min(self.0))));
        Poll::Pending
    }
}

struct Slot<T> {
    value: Option<T>,
    gone: bool,
    waker: Option<Waker>,
}

/// Runs `future` with [`block_on`] on a new thread; the returned future
/// is its output (`None` if the thread could not start or panicked).
pub fn on_thread<T: Send + 'static>(
    name: &str,
    future: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = Option<T>> + Send + 'static {
    let slot = Arc::new(Mutex::new(Slot { value: None, gone: false, waker: None }));
    let theirs = Arc::clone(&slot);
    let started = thread::Builder::new().name(name.to_owned()).spawn(move || {
        struct Finish<T>(Arc<Mutex<Slot<T>>>, Option<T>);
        impl<T> Drop for Finish<T> {
            fn drop(&mut self) {
                let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
                slot.value = self.1.take();
                slot.gone = true;
                if let Some(waker) = slot.waker.take() {
                    waker.wake();
                }
            }
        }
        let mut finish = Finish(theirs, None);
        finish.1 = Some(block_on(future));
    });
    if started.is_err() {
        slot.lock().unwrap_or_else(PoisonError::into_inner).gone = true;
    }
    std::future::poll_fn(move |cx| {
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.gone {
            return Poll::Ready(slot.value.take());
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    })
}
