//! One module per command.
pub mod audit;
#[cfg(feature = "aws")]
pub mod collect;
pub mod completions;
pub mod detect;
pub mod events;
pub mod explain;
pub mod gen_docs;
pub mod host;
pub mod keys;
pub mod reach;
pub mod respond;
pub mod rules;
pub mod snapshot_args;
pub mod trail_args;
pub mod validate_digests;
