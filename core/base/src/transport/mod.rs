//! Transport vocabulary: configuration, node URLs and selectors, sniff
//! parsing, per-request options, seeded randomness. The machines that use
//! them live in `elastik_proto::transport`.

pub mod config;
pub mod node;
mod options;
pub mod proxy;
mod rng;
pub mod sniff;

pub use config::{Auth, ClientBuilder, Config, FromConfig, RetryPolicy, SniffPolicy, TlsConfig};
pub use node::{Node, NodeId, NodeUrl, RandomSelector, RoundRobin, Scheme, Selector};
pub use options::RequestOptions;
pub use proxy::Proxy;
pub use rng::SplitMix64;
pub use sniff::SniffedNode;
