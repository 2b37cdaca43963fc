//! trailhound's account model and its offline loader.
//!
//! [`model`] holds the typed account (instances, network, IAM, logging, ...); [`load`] reads a
//! snapshot folder of aws CLI JSON (the format `trailhound collect` and `scripts/snapshot.sh`
//! write, see docs/snapshot-format.md) into it. Pure logic: no network, no AWS SDK.
//!
//! ```no_run
//! let (account, report) = cloud::load(std::path::Path::new("snapshot")).unwrap();
//! for e in &report.errors {
//!     eprintln!("skipped: {e}");
//! }
//! if let Some(i) = account.instance("i-0123456789abcdef0") {
//!     println!("{} in {}", i.id, i.region);
//! }
//! ```

mod convert;
mod index;
mod load;
pub mod model;
mod raw;
mod split;
pub mod time;

pub use convert::{normalize_protocol, parse_credential_csv};
pub use load::{
    FileError, GLOBAL_FILES, LoadError, LoadReport, MissingFile, OPTIONAL_FILES, REGIONAL_FILES,
    account_of_arn, is_region_name, load, region_of_zone, sanitise,
};
pub use model::*;
