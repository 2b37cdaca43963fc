//! Exact, offline network reachability for EC2.
//!
//! Build a [`Network`] from plain [`input`] structs (or from a `cloud::Account`), then ask:
//! - [`Network::check`]: can this source reach this instance on this port, and through which
//!   elements (security group rule, NACL rule number, route, gateway, public address)?
//! - [`Network::exposure`] / [`Network::exposure_map`]: what the internet reaches on each
//!   instance, from which addresses, through which rule; and what is open but not carried (latent).
//! - [`Network::sources`]: the inverse, which addresses, groups and interfaces reach a port.
//!
//! Every rule becomes intervals: addresses (IPv4 and IPv6 apart) and one service axis
//! (protocol x port, or ICMP type x code). No port or address is ever enumerated. The statements
//! of the semantics (SG1-SG13, N1-N6, R1-R6, L1-L2) are cited where they are applied.

pub mod addr;
pub mod eval;
pub mod exposure;
pub mod from_account;
mod hash;
pub mod input;
pub mod limits;
pub mod network;
pub mod query;
pub mod service;
pub mod set;
pub mod sources;

pub use addr::{Family, Sources};
pub use eval::{Effect, Leg, Step, Trace, Tracking, Verdict};
pub use exposure::{Exposure, ExposureEntry, State};
pub use network::{Network, RefState, TargetKind};
pub use query::{Answer, DEFAULT_CLIENT_PORTS, From, PathResult, Query};
pub use service::Service;
pub use sources::SourcesAnswer;
