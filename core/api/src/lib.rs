//! # elastik-api
//!
//! The typed API: [`Client`] and [`Request`], generic over the runtime's
//! [`Executor`](elastik_core::Executor), and (generated from the
//! specification) one request type per endpoint with its typed response.
//!
//! What it does not do: send anything. A runtime crate supplies the executor;
//! `elastik-core` supplies the transport.

mod client;

pub use client::{Client, Request};
