//! `trailhound respond`: the first minutes after an EC2 private key leaks (or an instance is
//! compromised). Which key pair it is ([`identify`]), what it opens ([`blast`], with [`iam`] for
//! what the instances' roles may do), what happened ([`timeline`]), and how to shut it in the
//! playbook's order ([`plan`]), carried out step by step with a SQLite [`journal`] by
//! [`engine`] through a [`engine::StepRunner`] (the AWS one lives in `crates/aws`).
//!
//! Pure logic over the account model, CloudTrail files and auth logs: no network.

pub mod blast;
pub mod engine;
pub mod iam;
pub mod identify;
pub mod journal;
pub mod plan;
pub mod render;
pub mod timeline;

use serde::Serialize;

pub use blast::BlastRadius;
pub use engine::{Check, RunContext, StepError, StepRunner};
pub use identify::{IdentifiedKey, KeyQuery};
pub use journal::Journal;
pub use plan::{Action, Plan, PlanOptions, Step};
pub use timeline::Entry;

/// Everything `trailhound respond key|instance` reports.
#[derive(Clone, Debug, Serialize)]
pub struct Response {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<IdentifiedKey>,
    pub blast_radius: BlastRadius,
    pub timeline: Vec<Entry>,
    pub plan: Plan,
    /// Dry-run outcome per step index, when checked against AWS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<(usize, Check)>,
}

/// Now, UTC, to the second (`2025-03-01T10:00:00Z`): the form IAM conditions take.
pub fn utc_now_seconds() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
