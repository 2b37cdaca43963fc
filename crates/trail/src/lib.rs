//! CloudTrail records and the sources that read them: files, folders in the S3 layout, gzip, stdin.
//!
//! Data flows one way: [`source::discover`] finds the inputs, [`decode`] turns each into records,
//! [`scan`] runs that over all cores with filtering and de-duplication, and hands results to the caller.
pub mod decode;
pub mod filter;
pub mod problem;
pub mod record;
pub mod scan;
pub mod sort;
pub mod source;

pub use decode::{DecodeOptions, FileOutcome, Ignored};
pub use filter::Filter;
pub use problem::{Problem, Where};
pub use record::{Record, SessionAttributes, SessionContext, SessionIssuer, UserIdentity};
pub use scan::{ScanOptions, ScanReport, scan, scan_batches};
pub use source::{Source, discover};
