//! A finding: which rule fired, on which events, about what, and how bad.

use serde::{Deserialize, Serialize};

use crate::resources::Resources;

pub use report::Severity;

/// Whether the calls behind a finding went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    /// Every call behind it was refused (AccessDenied, UnauthorizedOperation, ...): an attempt.
    Failed,
}

/// One finding, as `detect --format jsonl` prints it (and reads back from that line).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across runs: the rule and the events behind it.
    pub id: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub outcome: Outcome,
    /// CloudTrail eventIDs of every event behind the finding, in time order.
    pub event_ids: Vec<String>,
    pub event_name: String,
    pub event_time: String,
    pub principal: Option<String>,
    pub source_ip: Option<String>,
    /// Every distinct source address of a correlated finding's events (empty for one event).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub error_code: Option<String>,
    pub resources: Resources,
    /// ATT&CK technique ids (T1098.004 ...).
    pub attack: Vec<String>,
    /// The knowledge-base event that explains it (`trailhound explain EVENT`).
    pub kb: Option<String>,
    /// One line a responder reads first.
    pub story: String,
    /// What the account snapshot adds (instances still using a deleted key, instances behind a group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<String>,
}

/// The finding's id: the rule id and the event ids it stands on, hashed (`report::stable_id`).
pub fn finding_id<S: AsRef<str>>(rule_id: &str, event_ids: &[S]) -> String {
    report::stable_id(
        "TH",
        std::iter::once(rule_id).chain(event_ids.iter().map(AsRef::as_ref)),
    )
}

/// ATT&CK technique ids from Sigma tags (`attack.t1098.004` -> `T1098.004`); tactics are dropped.
pub fn attack_ids<S: AsRef<str>>(tags: &[S]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| {
            let t = t.as_ref().to_ascii_lowercase();
            let rest = t.strip_prefix("attack.t")?;
            rest.starts_with(|c: char| c.is_ascii_digit())
                .then(|| format!("T{rest}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = finding_id("r1", &["e1", "e2"]);
        assert_eq!(a, finding_id("r1", &["e1".to_string(), "e2".to_string()]));
        assert_ne!(a, finding_id("r1", &["e1e2"]));
        assert_ne!(a, finding_id("r2", &["e1", "e2"]));
        assert!(a.starts_with("TH-") && a.len() == 19);
    }

    #[test]
    fn attack_ids_from_tags() {
        let tags = [
            "attack.persistence",
            "attack.t1098.004",
            "attack.T1078",
            "attack.g0016",
        ];
        assert_eq!(attack_ids(&tags), ["T1098.004", "T1078"]);
    }
}
