//! An async ES|QL query as a sans-IO state machine: submit, poll
//! `esql.async_query_get` until `is_running` is false, then optionally
//! delete the stored results.
//!
//! It follows the core's one contract ([`crate::machine`]): its inherent
//! `poll` names the request as an [`AsyncRequest`] (to inspect or send by
//! hand), and as a [`Machine`] it hands the driver ready
//! [`HelperRequest`]s, like every helper. Time is an input; nothing here
//! sleeps or reads a clock:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use elastik_proto::esql::{AsyncQuery, EsqlQuery, Query};
//! use elastik_proto::machine::Step;
//!
//! let submit = EsqlQuery::from_query(&Query::row([("a", 1)])).unwrap().into_async();
//! let mut machine = AsyncQuery::new(submit).poll_interval(Duration::from_millis(500));
//! let now = Instant::now();
//! match machine.poll(now) {
//!     Step::Send(request) => {
//!         let _http = request.to_request().unwrap(); // send it, then:
//!         // machine.handle(result_of_sending, now_after);
//!     }
//!     Step::Wait(_until) => { /* sleep until then (None: a response is awaited), poll again */ }
//!     Step::Emit(_result) => { /* the query's result */ }
//!     Step::Done => { /* finished */ }
//! }
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::request::{AsyncDelete, AsyncGet, AsyncSubmit};
use super::response::EsqlResponse;
use crate::body::Body;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::helpers::{HelperRequest, Role, Token};
use crate::machine::{Machine, Step};
use crate::{PreparedRequest, RequestOptions};

/// One request of the async exchange.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AsyncRequest {
    /// `POST /_query/async`
    Submit(AsyncSubmit),
    /// `GET /_query/async/{id}`
    Get(AsyncGet),
    /// `DELETE /_query/async/{id}`
    Delete(AsyncDelete),
}

impl AsyncRequest {
    /// The HTTP request to send.
    pub fn to_request(&self) -> Result<http::Request<Body>, Error> {
        match self {
            AsyncRequest::Submit(r) => r.to_request(),
            AsyncRequest::Get(r) => r.to_request(),
            AsyncRequest::Delete(r) => r.to_request(),
        }
    }

    /// The request as an executor takes it, with default options, so a
    /// runtime's loop only sends it.
    pub fn prepare(&self) -> Result<PreparedRequest, Error> {
        Ok(PreparedRequest { endpoint_id: self.id(), request: self.to_request()?, options: RequestOptions::default() })
    }

    /// The endpoint name (`esql.async_query`, …).
    pub fn id(&self) -> &'static str {
        match self {
            AsyncRequest::Submit(r) => r.id(),
            AsyncRequest::Get(r) => r.id(),
            AsyncRequest::Delete(r) => r.id(),
        }
    }
}

/// The async query machine; see the module docs for the loop.
#[derive(Debug)]
pub struct AsyncQuery {
    submit: AsyncSubmit,
    poll_interval: Duration,
    get_wait: Option<String>,
    delete_when_done: bool,
    id: Option<String>,
    state: State,
}

#[derive(Debug)]
enum State {
    Start,
    AwaitSubmit,
    Running { next_poll: Instant },
    AwaitGet,
    Delete(Result<EsqlResponse, Error>),
    AwaitDelete(Result<EsqlResponse, Error>),
    Finished(Result<EsqlResponse, Error>),
    Done,
}

impl AsyncQuery {
    /// A machine that will submit `submit`. Polls immediately after a
    /// running answer unless [`poll_interval`](AsyncQuery::poll_interval) is
    /// set; does not delete results unless asked.
    pub fn new(submit: AsyncSubmit) -> Self {
        AsyncQuery {
            submit,
            poll_interval: Duration::ZERO,
            get_wait: None,
            delete_when_done: false,
            id: None,
            state: State::Start,
        }
    }

    /// The pause between a "still running" answer and the next poll.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// `wait_for_completion_timeout` on each poll (server-side long poll).
    pub fn get_wait_for_completion_timeout(mut self, t: impl Into<String>) -> Self {
        self.get_wait = Some(t.into());
        self
    }

    /// Delete the stored results (`esql.async_query_delete`) once they are
    /// read or the query failed, when the server kept them under an id.
    pub fn delete_when_done(mut self, delete: bool) -> Self {
        self.delete_when_done = delete;
        self
    }

    /// The async id, once the server gave one.
    pub fn query_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// What to do next: `Wait(None)` while a response is awaited; the
    /// result is emitted once, then the machine is done.
    pub fn poll(&mut self, now: Instant) -> Step<AsyncRequest, Result<EsqlResponse, Error>> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start => {
                self.state = State::AwaitSubmit;
                Step::Send(AsyncRequest::Submit(self.submit.clone()))
            }
            State::Running { next_poll } if now < next_poll => {
                self.state = State::Running { next_poll };
                Step::Wait(Some(next_poll))
            }
            State::Running { .. } => {
                self.state = State::AwaitGet;
                let id = self.id.clone().unwrap_or_default();
                let get = AsyncGet {
                    wait_for_completion_timeout: self.get_wait.clone(),
                    keep_alive: self.submit.query.body.keep_alive.clone(),
                    drop_null_columns: self.submit.query.drop_null_columns,
                    columnar: self.submit.query.body.columnar == Some(true),
                    ..AsyncGet::new(id)
                };
                Step::Send(AsyncRequest::Get(get))
            }
            State::Delete(result) => {
                self.state = State::AwaitDelete(result);
                let id = self.id.clone().unwrap_or_default();
                Step::Send(AsyncRequest::Delete(AsyncDelete { id }))
            }
            State::Finished(result) => Step::Emit(result),
            waiting @ (State::AwaitSubmit | State::AwaitGet | State::AwaitDelete(_)) => {
                self.state = waiting;
                Step::Wait(None)
            }
            State::Done => Step::Done,
        }
    }

    /// Feeds the outcome of the last request sent (the response, or the
    /// error the transport gave up with).
    pub fn handle(&mut self, outcome: Result<http::Response<Bytes>, Error>, now: Instant) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::AwaitSubmit => {
                let decoded = outcome.and_then(|r| self.submit.decode(&r));
                self.digest(decoded, now);
            }
            State::AwaitGet => {
                let columnar = self.submit.query.body.columnar == Some(true);
                let get = AsyncGet { columnar, ..AsyncGet::new(self.id.clone().unwrap_or_default()) };
                let decoded = outcome.and_then(|r| get.decode(&r));
                self.digest(decoded, now);
            }
            // A failed delete does not change the query's result.
            State::AwaitDelete(result) => self.state = State::Finished(result),
            other => self.state = other,
        }
    }

    fn digest(&mut self, decoded: Result<EsqlResponse, Error>, now: Instant) {
        let response = match decoded {
            Ok(r) => r,
            Err(e) => {
                self.state = self.finish(Err(e));
                return;
            }
        };
        if let Some(id) = &response.id {
            self.id = Some(id.clone());
        }
        if response.is_running == Some(true) {
            self.state = if self.id.is_some() {
                State::Running { next_poll: now + self.poll_interval }
            } else {
                State::Finished(Err(Error::decode("a running async query came back without an id", b"")))
            };
        } else {
            self.state = self.finish(Ok(response));
        }
    }

    fn finish(&self, result: Result<EsqlResponse, Error>) -> State {
        if self.delete_when_done && self.id.is_some() {
            State::Delete(result)
        } else {
            State::Finished(result)
        }
    }
}

impl Machine for AsyncQuery {
    type Output = Result<EsqlResponse, Error>;

    /// [`AsyncQuery::poll`], each request prepared for the transport; a
    /// request that cannot be built ends the query with that error.
    fn poll(&mut self, now: Instant) -> Step<HelperRequest, Self::Output> {
        loop {
            return match AsyncQuery::poll(self, now) {
                Step::Send(request) => match request.prepare() {
                    Ok(PreparedRequest { endpoint_id, request, options }) => {
                        Step::Send(HelperRequest { token: Token(0), endpoint_id, request, options, role: Role::Read })
                    }
                    Err(e) => {
                        AsyncQuery::handle(self, Err(e), now);
                        continue;
                    }
                },
                Step::Emit(result) => Step::Emit(result),
                Step::Wait(until) => Step::Wait(until),
                Step::Done => Step::Done,
            };
        }
    }

    /// One request is out at a time: the token is not needed.
    fn handle(&mut self, _token: Token, result: Result<http::Response<Bytes>, Error>, now: Instant) {
        AsyncQuery::handle(self, result, now);
    }

    /// Stops polling: the results the server keeps live until their `keep_alive` ends.
    fn cancel(&mut self) {
        self.state = State::Done;
    }
}
