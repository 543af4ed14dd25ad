//! Periodic sniffing while no request runs, as a machine: a runtime that
//! can run a task drives a [`Sniffer`] in one for as long as its client
//! lives.

use std::time::Instant;

use bytes::Bytes;

use super::call::{Call, SendRequest};
use super::Transport;
use crate::error::IoError;
use crate::machine::Step;

/// Sniffs whenever the transport says a sniff is due, and says when to
/// look again. It never finishes: its driver stops driving it when the
/// client is gone.
#[derive(Debug, Default)]
pub struct Sniffer {
    call: Option<Call>,
}

impl Sniffer {
    /// A sniffer with no sniff running.
    pub fn new() -> Self {
        Sniffer::default()
    }

    /// What to do next: the exchanges of a due sniff, or a wait until the
    /// next one is due (the periodic interval after the last sniff; when
    /// the transport cannot say, the minimum delay between sniffs).
    pub fn poll(&mut self, transport: &mut Transport, now: Instant) -> Step<SendRequest, ()> {
        loop {
            if let Some(call) = &mut self.call {
                match call.poll(transport, now) {
                    Step::Send(send) => return Step::Send(send),
                    Step::Wait(until) => return Step::Wait(until),
                    // A failed sniff is the transport's to note; the pool stays as it was.
                    Step::Emit(_) | Step::Done => self.call = None,
                }
                continue;
            }
            if let Some(call) = transport.start_sniff(now) {
                self.call = Some(call);
                continue;
            }
            let next = transport.next_sniff_at().unwrap_or(now + transport.config().sniff.min_delay);
            return Step::Wait(Some(next));
        }
    }

    /// Reports the outcome of the last [`Step::Send`].
    pub fn handle(&mut self, transport: &mut Transport, outcome: Result<http::Response<Bytes>, IoError>, now: Instant) {
        if let Some(call) = &mut self.call {
            call.handle(transport, outcome, now);
        }
    }

    /// The sniff call running, if any (for its trace fields).
    pub fn call(&self) -> Option<&Call> {
        self.call.as_ref()
    }
}
