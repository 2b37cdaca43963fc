//! The detection pipeline: CloudTrail records → rule engine and correlations → enriched findings.
pub mod finding;
pub mod output;
pub mod resources;

pub use finding::{Finding, Outcome, Severity};
pub use resources::Resources;
