//! The one contract every machine of the core follows.
//!
//! A machine never performs IO and never reads a clock. Its driver asks it
//! what to do next with `poll(now)` and reports what happened with
//! `handle(…)`. `poll` answers a [`Step`]:
//!
//! - [`Step::Send`]: carry out this request (an HTTP exchange for a
//!   [`Call`](crate::transport::Call), a whole transport call for a helper)
//!   and report its answer with `handle`. Poll again right away: several
//!   requests may be in flight.
//! - [`Step::Emit`]: hand this item to the consumer, then poll again. A
//!   call emits its one result; a scan its hits; a bulk indexer its outcomes.
//! - [`Step::Wait`]: nothing to do before the instant (or, with `None`,
//!   before an input arrives: an answer, or the consumer adding, flushing,
//!   closing or cancelling). Poll again then, or as soon as an input came.
//! - [`Step::Done`]: finished; every request was answered, every item
//!   emitted. Polling again answers `Done`.
//!
//! There are two families of machines, driven the same way:
//!
//! - the transport's, which share the long-lived [`Transport`](crate::transport::Transport)
//!   and take it as their first argument:
//!   [`Call`](crate::transport::Call) (one request, its retries and the
//!   sniff before it) and [`Sniffer`](crate::transport::Sniffer) (periodic
//!   sniffing while idle); their `Send` is a [`SendRequest`](crate::transport::SendRequest):
//!   one HTTP exchange;
//! - the helpers', which implement [`Machine`]: bulk (through
//!   [`BulkSession`](crate::helpers::bulk::BulkSession)), scan, sliced scan,
//!   reindex and the ES|QL async query. Their `Send` is a
//!   [`HelperRequest`]: a request the driver runs as a transport call,
//!   answered with the final response (or the error that ended the call).
//!
//! Time only comes in through `now`; waits are deadlines the machine
//! computed, never sentinels: a machine with nothing to wait for says
//! `Wait(None)`.

use std::time::Instant;

use bytes::Bytes;

use crate::error::Error;
use crate::helpers::{HelperRequest, Token};

/// What a machine asks its driver to do next.
// Each step is moved out at once; boxing the request would add an allocation per send.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[must_use]
pub enum Step<S, O> {
    /// Carry out this request and report its answer with `handle`; poll
    /// again right away.
    Send(S),
    /// Hand this item to the consumer, then poll again.
    Emit(O),
    /// Nothing to do before this instant (`None`: before an input arrives).
    Wait(Option<Instant>),
    /// Finished: polling again answers `Done`.
    Done,
}

/// A helper machine: what one driver, written once, drives for every
/// helper (bulk, scan, sliced scan, reindex, ES|QL async query).
pub trait Machine {
    /// What the machine emits.
    type Output;

    /// What to do next.
    fn poll(&mut self, now: Instant) -> Step<HelperRequest, Self::Output>;

    /// The answer to the request sent with this token: the response
    /// whatever its status, or the error that ended its call. Unknown
    /// tokens are ignored.
    fn handle(&mut self, token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant);

    /// Stops early, closing what is open: the steps that follow send the
    /// close requests (a scan's point in time, a reindex's pending writes).
    fn cancel(&mut self);
}
