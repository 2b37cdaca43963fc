//! The detection pipeline: CloudTrail records → rule engine and correlations → enriched findings.
pub mod enrich;
pub mod finding;
mod ordered;
pub mod output;
pub mod pipeline;
pub mod resources;
pub mod store;

pub use enrich::SnapshotContext;
pub use finding::{Finding, Outcome, Severity};
pub use pipeline::{
    DetectOptions, Detection, Enricher, Streamed, detect, detect_streamed, unreadable_record,
};
pub use resources::Resources;
pub use store::FindingStore;
