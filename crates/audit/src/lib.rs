//! `trailhound audit`: checks over the account model.
//!
//! Data flows one way: the [`cloud::Account`] becomes per-resource [`facts`] (with exposure from the
//! reachability evaluator), every [`check::Check`] — compiled from one TOML file in `checks/` — is a
//! predicate over one kind of facts, and each resource that matches becomes a [`AuditFinding`].

pub mod check;
pub mod exposure;
pub mod expr;
pub mod facts;
pub mod output;
pub mod policy;

use std::collections::BTreeMap;

use jiff::Timestamp;
use rayon::prelude::*;
use report::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use check::{Check, CheckError};
pub use facts::{Coverage, Exposure, ExposureOracle, InstanceExposure, Kind, Resource};

include!(concat!(env!("OUT_DIR"), "/check_files.rs"));

/// The default configuration file, with comments: `trailhound audit --print-config` prints it.
pub const DEFAULT_CONFIG: &str = include_str!("../defaults.toml");

/// Thresholds, disabled checks and severity overrides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub thresholds: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub checks: ChecksConfig,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    #[serde(default)]
    pub disable: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("unknown threshold {0:?}: known thresholds are {1}")]
    UnknownThreshold(String, String),
    #[error("threshold {0:?} must be a number")]
    NotANumber(String),
    #[error("unknown check id {0:?} in the configuration (`trailhound audit --list` shows them)")]
    UnknownCheck(String),
    #[error("check {0:?}: unknown severity {1:?}: use info, low, medium, high or critical")]
    BadSeverity(String, String),
}

impl Config {
    pub fn defaults() -> Config {
        toml::from_str(DEFAULT_CONFIG).expect("defaults.toml parses")
    }

    /// The defaults with `text` laid over them; unknown keys and ids are errors.
    pub fn with_overrides(text: &str) -> Result<Config, ConfigError> {
        let user: Config = toml::from_str(text)?;
        let mut config = Config::defaults();
        for (k, v) in user.thresholds {
            if !config.thresholds.contains_key(&k) {
                let known = config
                    .thresholds
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(ConfigError::UnknownThreshold(k, known));
            }
            if !matches!(v, toml::Value::Integer(_) | toml::Value::Float(_)) {
                return Err(ConfigError::NotANumber(k));
            }
            config.thresholds.insert(k, v);
        }
        config.checks = user.checks;
        config.severity = user.severity;
        Ok(config)
    }

    pub fn threshold_values(&self) -> BTreeMap<String, Value> {
        self.thresholds
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null)))
            .collect()
    }
}

/// The built-in checks, compiled against the default thresholds.
pub fn builtin_checks() -> Result<Vec<Check>, Vec<CheckError>> {
    let thresholds = Config::defaults().threshold_values();
    let mut checks = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in CHECK_FILES {
        match Check::compile(file, text, &thresholds) {
            Ok(c) => checks.push(c),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(checks)
    } else {
        Err(errors)
    }
}

/// A failing resource.
#[derive(Debug, Clone, Serialize)]
pub struct AuditFinding {
    /// Stable: the check and the resource.
    pub id: String,
    pub check_id: String,
    pub title: String,
    pub severity: Severity,
    /// `exposed` or `latent` for checks that know the difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub resource_kind: Kind,
    pub resource_id: String,
    pub account: Option<String>,
    pub region: Option<String>,
    pub message: String,
    /// The facts the check names as evidence, with their values.
    pub evidence: BTreeMap<String, Value>,
    pub remediation: String,
    /// `trailhound explain EVENT` for the fix.
    pub kb: Option<String>,
    pub prowler: Vec<String>,
}

/// The finding's id: the check id and the resource id, hashed (`report::stable_id`).
pub fn finding_id(check_id: &str, resource_id: &str) -> String {
    report::stable_id("TA", [check_id, resource_id])
}

/// Runs `checks` over the resources. Findings come sorted by severity (worst first), check, resource.
pub fn run(checks: &[Check], resources: &[Resource], config: &Config) -> Vec<AuditFinding> {
    let thresholds = config.threshold_values();
    let active: Vec<&Check> = checks
        .iter()
        .filter(|c| !config.checks.disable.contains(&c.id))
        .collect();
    let mut findings: Vec<AuditFinding> = resources
        .par_iter()
        .flat_map_iter(|r| {
            let thresholds = &thresholds;
            active
                .iter()
                .filter(move |c| c.kind == r.kind && c.predicate.matches(&r.facts, thresholds))
                .map(move |c| {
                    let latent = c
                        .latent_when
                        .as_ref()
                        .map(|l| l.matches(&r.facts, thresholds));
                    let mut severity = config
                        .severity
                        .get(&c.id)
                        .and_then(|s| Severity::parse(s))
                        .unwrap_or(c.severity);
                    if latent == Some(true) {
                        severity = severity.lowered();
                    }
                    let evidence = c
                        .evidence
                        .iter()
                        .map(|f| {
                            let path: Vec<String> = f.split('.').map(str::to_string).collect();
                            let v = expr::lookup(&r.facts, &path)
                                .cloned()
                                .unwrap_or(Value::Null);
                            (f.clone(), v)
                        })
                        .collect();
                    AuditFinding {
                        id: finding_id(&c.id, &r.id),
                        check_id: c.id.clone(),
                        title: c.title.clone(),
                        severity,
                        status: latent.map(|l| if l { "latent" } else { "exposed" }.to_string()),
                        resource_kind: r.kind,
                        resource_id: r.id.clone(),
                        account: r.account.clone(),
                        region: r.region.clone(),
                        message: c.render_message(&r.facts),
                        evidence,
                        remediation: c.remediation.clone(),
                        kb: c.kb.clone(),
                        prowler: c.prowler.clone(),
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check_id.cmp(&b.check_id))
            .then_with(|| a.resource_id.cmp(&b.resource_id))
    });
    findings
}

/// Validates the configuration's check ids and severities against the checks.
pub fn validate_config(config: &Config, checks: &[Check]) -> Result<(), ConfigError> {
    let known = |id: &str| checks.iter().any(|c| c.id == id);
    for id in &config.checks.disable {
        if !known(id) {
            return Err(ConfigError::UnknownCheck(id.clone()));
        }
    }
    for (id, s) in &config.severity {
        if !known(id) {
            return Err(ConfigError::UnknownCheck(id.clone()));
        }
        if Severity::parse(s).is_none() {
            return Err(ConfigError::BadSeverity(id.clone(), s.clone()));
        }
    }
    Ok(())
}

/// Facts, then checks: the whole audit of one account model.
pub fn audit(
    account: &cloud::Account,
    coverage: &Coverage,
    exposure: &dyn ExposureOracle,
    checks: &[Check],
    config: &Config,
    now: Timestamp,
) -> Vec<AuditFinding> {
    let wanted = facts::Wanted::for_checks(checks);
    let resources = facts::build_for(account, coverage, exposure, now, &wanted);
    run(checks, &resources, config)
}

/// The checks' reference page (docs/audit-checks.md), generated from the check files.
pub fn reference_markdown(checks: &[Check]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# Audit checks\n\nGenerated from `crates/audit/checks/*.toml` by `trailhound gen-docs`; do not edit by hand.\n\
         Each check is one file: a predicate over one kind of resource's facts (see `crates/audit/src/facts.rs`),\n\
         with its own positive and negative test cases. Thresholds (`$name`) come from the configuration\n\
         (`trailhound audit --print-config`).\n\n| id | severity | resource | title |\n|---|---|---|---|\n",
    );
    let mut sorted: Vec<&Check> = checks.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for c in &sorted {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} |",
            c.id,
            c.id,
            c.severity,
            c.kind.as_str(),
            c.title
        );
    }
    for c in &sorted {
        let _ = write!(
            out,
            "\n## {}\n\n**{}** — severity {}, resource `{}`{}{}\n\n{}\n\n**Matches when** `{}`",
            c.id,
            c.title,
            c.severity,
            c.kind.as_str(),
            c.kb.as_deref()
                .map(|k| format!(", explained by `trailhound explain {k}`"))
                .unwrap_or_default(),
            if c.prowler.is_empty() {
                String::new()
            } else {
                format!(", Prowler: {}", c.prowler.join(", "))
            },
            c.rationale.trim(),
            c.predicate_text
        );
        if let Some(l) = &c.latent_when_text {
            let _ = write!(out, "; *latent* (one severity lower) when `{l}`");
        }
        let _ = write!(
            out,
            ".\n\n**Remediation.** {}\n\n**Tests:**",
            c.remediation.trim()
        );
        for t in &c.tests {
            let _ = write!(
                out,
                "\n- {} {}",
                if t.expect {
                    "matches:"
                } else {
                    "does not match:"
                },
                t.name
            );
        }
        out.push('\n');
    }
    out
}
