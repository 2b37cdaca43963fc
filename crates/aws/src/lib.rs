//! trailhound's only door to AWS: the AWS SDK for Rust and tokio live here and nowhere else.
//! Everything else in the workspace is pure logic over data this crate (or the aws CLI) writes.

pub mod client;
pub mod collect;
pub mod digests;
mod ec2;
mod json;
pub mod lookup;
mod other;
pub mod respond;
pub mod runtime;
pub mod s3;
pub mod sns;
pub mod sqs;

pub use client::Connection;
pub use collect::{CollectOptions, CollectReport, Gap, collect_blocking, iam_policy};
