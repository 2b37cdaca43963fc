//! CloudTrail records and the sources that read them.
pub mod record;

pub use record::{Record, SessionAttributes, SessionContext, SessionIssuer, UserIdentity};
