//! CloudTrail log file integrity validation, the checks `aws cloudtrail validate-logs` makes and
//! a few more, over a folder or (through the CLI) an S3 bucket. Pure: no network here.
//!
//! * [`name`]: the bucket layout read from keys (which chain a digest belongs to).
//! * [`digest`]: a digest's fields, the string CloudTrail signs, gzip and SHA-256.
//! * [`keys`]: CloudTrail's public keys by fingerprint; RSA PKCS#1 v1.5 SHA-256 verification.
//! * [`store`]: where files are read from; [`store::DirStore`] for a synced folder.
//! * [`validate`]: the chain walk and its [`validate::Report`].
//!
//! See docs/validate-digests.md for the checks and the offline folder layout.

pub mod digest;
pub mod keys;
pub mod name;
pub mod store;
pub mod validate;

#[cfg(feature = "fixture")]
pub mod fixture;

pub use keys::KeyRing;
pub use store::{DirStore, Object, Store, StoreError};
pub use validate::{Entry, Options, Report, Subject, Survey, Verdict, survey, validate};
