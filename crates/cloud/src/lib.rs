//! trailhound's account model and its offline loader.
//!
//! [`model`] holds the typed account (instances, network, IAM, logging, ...); the loader reads a
//! folder of aws CLI JSON (the format `trailhound collect` and `scripts/snapshot.sh` write, see
//! docs/snapshot-format.md) into it. Pure logic: no network, no AWS SDK.

mod index;
pub mod model;

pub use model::*;
