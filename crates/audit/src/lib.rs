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
mod struct_fields;

use std::borrow::Cow;
use std::collections::BTreeMap;

use jiff::Timestamp;
use rayon::prelude::*;
use report::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use check::{Check, CheckError};
pub use facts::{Coverage, Exposure, ExposureOracle, Facts, InstanceExposure, Kind, Resource};

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

/// A failing resource. Its text borrows from the check and the resource's facts while the
/// findings are written ([`Matches::write_chunked`]); [`AuditFinding::into_owned`] detaches it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditFinding<'a> {
    /// Stable: the check and the resource.
    pub id: String,
    pub check_id: Cow<'a, str>,
    pub title: Cow<'a, str>,
    pub severity: Severity,
    /// `exposed` or `latent` for checks that know the difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    pub resource_kind: Kind,
    pub resource_id: Cow<'a, str>,
    pub account: Option<Cow<'a, str>>,
    pub region: Option<Cow<'a, str>>,
    pub message: String,
    /// The facts the check names as evidence, with their values.
    pub evidence: BTreeMap<Cow<'a, str>, Cow<'a, Value>>,
    pub remediation: Cow<'a, str>,
    /// `trailhound explain EVENT` for the fix.
    pub kb: Option<Cow<'a, str>>,
    pub prowler: Cow<'a, [String]>,
}

impl AuditFinding<'_> {
    /// The finding with its own copies of everything it borrowed.
    pub fn into_owned(self) -> AuditFinding<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        AuditFinding {
            id: self.id,
            check_id: own(self.check_id),
            title: own(self.title),
            severity: self.severity,
            status: self.status,
            resource_kind: self.resource_kind,
            resource_id: own(self.resource_id),
            account: self.account.map(own),
            region: self.region.map(own),
            message: self.message,
            evidence: self
                .evidence
                .into_iter()
                .map(|(k, v)| (own(k), Cow::Owned(v.into_owned())))
                .collect(),
            remediation: own(self.remediation),
            kb: self.kb.map(own),
            prowler: Cow::Owned(self.prowler.into_owned()),
        }
    }
}

/// A finding's `status`: whether its check's `latent_when` held.
fn status(latent: bool) -> &'static str {
    if latent { "latent" } else { "exposed" }
}

/// The finding's id: the check id and the resource id, hashed (`report::stable_id`).
pub fn finding_id(check_id: &str, resource_id: &str) -> String {
    report::stable_id("TA", [check_id, resource_id])
}

/// One check that matched one resource, before it is rendered into an [`AuditFinding`]. Small on
/// purpose: a large account has hundreds of thousands of matches, which sort cheaply this way and
/// are rendered a chunk at a time while they are written, never all at once.
#[derive(Debug, Clone, Copy)]
pub struct Match {
    check: u32,
    resource: u32,
    /// Where this match's facts start in [`Matches::values`] (one per path of its check's
    /// [`Render`]).
    values: u32,
    pub severity: Severity,
    /// `Some(true)` when the check's `latent_when` holds (severity already lowered).
    latent: Option<bool>,
}

/// What rendering one check's findings reads from a resource's facts: each distinct fact path
/// its evidence, message and remediation name.
///
/// [`evaluate`] looks these up for every match right after the check's predicate, while the
/// resource's facts are in the CPU cache. Looked up when the findings are written (in severity
/// and check order, so each finding on a different, cold resource), every key compared was a
/// cache miss, and the lookups took most of the output phase on a large account.
struct Render {
    paths: Vec<String>,
    /// The index in `paths` of each of the check's `evidence` fields.
    evidence: Vec<usize>,
    message: check::Template,
    /// None when the remediation has no placeholders (it is used as written).
    remediation: Option<check::Template>,
    /// What a JSON line of the check's findings takes from the check, written once.
    json: CheckJson,
}

/// The parts of a finding's JSON line (see [`output::write_jsonl`]) that come from its check,
/// escaped once, for [`Matches::write_jsonl`].
struct CheckJson {
    /// `,"check_id":…,"title":…,"severity":`
    head: Vec<u8>,
    /// The evidence in the order (and with the keys once) the finding's map has them: each
    /// `"key":` and the index of its value in [`Render::paths`].
    evidence: Vec<(Vec<u8>, usize)>,
    message: check::JsonTemplate,
    /// The remediation: a template, or (None) the text as written, `remediation_text`.
    remediation: Option<check::JsonTemplate>,
    remediation_text: Vec<u8>,
    /// `,"kb":…,"prowler":[…]}`
    tail: Vec<u8>,
}

impl CheckJson {
    fn new(
        c: &Check,
        paths_of_evidence: &[usize],
        message: &check::Template,
        remediation: Option<&check::Template>,
    ) -> CheckJson {
        use report::json::{json_items, json_opt_str, json_str};
        let mut head = b",\"check_id\":".to_vec();
        json_str(&mut head, &c.id);
        head.extend_from_slice(b",\"title\":");
        json_str(&mut head, &c.title);
        head.extend_from_slice(b",\"severity\":");
        let by_key: BTreeMap<&str, usize> = c
            .evidence
            .iter()
            .map(String::as_str)
            .zip(paths_of_evidence.iter().copied())
            .collect();
        let evidence = by_key
            .into_iter()
            .map(|(k, i)| {
                let mut key = Vec::new();
                json_str(&mut key, k);
                key.push(b':');
                (key, i)
            })
            .collect();
        let mut remediation_text = Vec::new();
        json_str(&mut remediation_text, &c.remediation);
        let mut tail = b",\"kb\":".to_vec();
        json_opt_str(&mut tail, c.kb.as_deref());
        tail.extend_from_slice(b",\"prowler\":[");
        json_items(&mut tail, c.prowler.iter());
        tail.extend_from_slice(b"]}");
        CheckJson {
            head,
            evidence,
            message: check::JsonTemplate::new(message),
            remediation: remediation.map(check::JsonTemplate::new),
            remediation_text,
            tail,
        }
    }
}

impl Render {
    fn new(c: &Check) -> Render {
        let mut paths = Vec::new();
        let evidence: Vec<usize> = c
            .evidence
            .iter()
            .map(|f| check::path_index(&mut paths, f))
            .collect();
        let message = check::Template::parse(&c.message, |_| true, &mut paths);
        // As `Check::render_remediation`.
        let remediation = c
            .remediation
            .contains('{')
            .then(|| check::Template::parse(&c.remediation, check::is_fact_path, &mut paths));
        let json = CheckJson::new(c, &evidence, &message, remediation.as_ref());
        Render {
            paths,
            evidence,
            message,
            remediation,
            json,
        }
    }
}

/// The matches of one audit, sorted by severity (worst first), check, resource.
pub struct Matches<'a> {
    checks: Vec<&'a Check>,
    renders: Vec<Render>,
    resources: &'a [Resource],
    pub items: Vec<Match>,
    /// The facts each match's findings show ([`Render::paths`], looked up), at [`Match::values`].
    values: Vec<Option<&'a Value>>,
}

/// How many matches a rendering chunk holds: large enough to keep both cores busy, small enough
/// that the rendered findings of one chunk stay a few MB.
const CHUNK: usize = 8192;

impl<'a> Matches<'a> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Keeps the matches at or above `min`.
    pub fn retain_min_severity(&mut self, min: Severity) {
        self.items.retain(|m| m.severity >= min);
    }

    /// One match rendered into a finding.
    pub fn finding(&self, m: &Match) -> AuditFinding<'a> {
        static NULL: Value = Value::Null;
        let c: &'a Check = self.checks[m.check as usize];
        let render = &self.renders[m.check as usize];
        let r: &'a Resource = &self.resources[m.resource as usize];
        let values = &self.values[m.values as usize..][..render.paths.len()];
        let evidence = c
            .evidence
            .iter()
            .zip(&render.evidence)
            .map(|(f, &i)| {
                let v: &'a Value = values[i].unwrap_or(&NULL);
                (Cow::Borrowed(f.as_str()), Cow::Borrowed(v))
            })
            .collect();
        AuditFinding {
            id: finding_id(&c.id, &r.id),
            check_id: Cow::Borrowed(&c.id),
            title: Cow::Borrowed(&c.title),
            severity: m.severity,
            status: m.latent.map(status),
            resource_kind: r.kind,
            resource_id: Cow::Borrowed(&r.id),
            account: r.account.as_deref().map(Cow::Borrowed),
            region: r.region.as_deref().map(Cow::Borrowed),
            message: render.message.render(values),
            evidence,
            remediation: match &render.remediation {
                Some(t) => Cow::Owned(t.render(values)),
                None => Cow::Borrowed(&c.remediation),
            },
            kb: c.kb.as_deref().map(Cow::Borrowed),
            prowler: Cow::Borrowed(&c.prowler),
        }
    }

    /// One match as its JSON line (newline included): the bytes [`output::write_jsonl`] writes
    /// for [`Matches::finding`], written straight from the match, its check's [`CheckJson`] and
    /// its facts, with no finding in between.
    fn write_jsonl_line(&self, buf: &mut Vec<u8>, m: &Match) {
        use report::json::{json_str, json_value};
        let c: &Check = self.checks[m.check as usize];
        let render = &self.renders[m.check as usize];
        let json = &render.json;
        let r = &self.resources[m.resource as usize];
        let values = &self.values[m.values as usize..][..render.paths.len()];
        buf.extend_from_slice(b"{\"id\":\"");
        report::push_stable_id(
            buf,
            "TA",
            report::stable_hash([c.id.as_str(), r.id.as_str()]),
        );
        buf.push(b'"');
        buf.extend_from_slice(&json.head);
        json_str(buf, m.severity.as_str());
        output::json_status_and_resource(
            buf,
            m.latent.map(status),
            r.kind,
            &r.id,
            r.account.as_deref(),
            r.region.as_deref(),
        );
        buf.extend_from_slice(b",\"message\":");
        json.message.write(buf, values);
        buf.extend_from_slice(b",\"evidence\":{");
        for (i, (key, at)) in json.evidence.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(key);
            json_value(buf, values[*at].unwrap_or(&Value::Null));
        }
        buf.extend_from_slice(b"},\"remediation\":");
        match &json.remediation {
            Some(t) => t.write(buf, values),
            None => buf.extend_from_slice(&json.remediation_text),
        }
        buf.extend_from_slice(&json.tail);
        buf.push(b'\n');
    }

    /// Every match as a JSON line, in order, rendered chunk by chunk on every core (as
    /// [`Matches::write_chunked`] with [`output::write_jsonl`], whose bytes it writes).
    pub fn write_jsonl<W>(&self, out: &mut W) -> std::io::Result<()>
    where
        W: std::io::Write + ?Sized,
    {
        self.write_jsonl_in_chunks(out, CHUNK)
    }

    fn write_jsonl_in_chunks<W>(&self, out: &mut W, chunk_len: usize) -> std::io::Result<()>
    where
        W: std::io::Write + ?Sized,
    {
        self.write_parts(out, chunk_len, |buf, part| {
            for m in part {
                self.write_jsonl_line(buf, m);
            }
            Ok(())
        })
    }

    /// Every match rendered, in order.
    pub fn findings(&self) -> Vec<AuditFinding<'a>> {
        self.items.par_iter().map(|m| self.finding(m)).collect()
    }

    /// Renders the matches chunk by chunk, in order, and hands each chunk's findings to `write`,
    /// which serialises them into a buffer; the buffers are written to `out` in order. Rendering
    /// and serialising run on every core; only the chunk in hand is in memory.
    pub fn write_chunked<W, F>(&self, out: &mut W, write: F) -> std::io::Result<()>
    where
        W: std::io::Write + ?Sized,
        F: Fn(&mut Vec<u8>, &[AuditFinding<'_>]) -> std::io::Result<()> + Sync,
    {
        self.write_in_chunks(out, CHUNK, write)
    }

    /// A thread renders the chunks (on every core) while this one writes the chunk before, so
    /// writing (a few hundred MB on a large account) and the wait at the end of each chunk's
    /// rendering no longer leave the cores idle.
    fn write_in_chunks<W, F>(&self, out: &mut W, chunk_len: usize, write: F) -> std::io::Result<()>
    where
        W: std::io::Write + ?Sized,
        F: Fn(&mut Vec<u8>, &[AuditFinding<'_>]) -> std::io::Result<()> + Sync,
    {
        self.write_parts(out, chunk_len, |buf, part| {
            let findings: Vec<AuditFinding> = part.iter().map(|m| self.finding(m)).collect();
            write(buf, &findings)
        })
    }

    /// Has `write` turn parts of each chunk of matches into bytes on every core, and writes
    /// them to `out` in order.
    fn write_parts<W, F>(&self, out: &mut W, chunk_len: usize, write: F) -> std::io::Result<()>
    where
        W: std::io::Write + ?Sized,
        F: Fn(&mut Vec<u8>, &[Match]) -> std::io::Result<()> + Sync,
    {
        let per_task = (chunk_len / rayon::current_num_threads().max(1) / 4).max(1);
        let render = |chunk: &[Match]| -> std::io::Result<Vec<Vec<u8>>> {
            chunk
                .par_chunks(per_task)
                .map(|part| {
                    let mut buf = Vec::with_capacity(part.len() * 1024);
                    write(&mut buf, part)?;
                    Ok(buf)
                })
                .collect()
        };
        std::thread::scope(|scope| {
            // One chunk rendered ahead: memory stays at about two chunks' text.
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let render = &render;
            scope.spawn(move || {
                for chunk in self.items.chunks(chunk_len.max(1)) {
                    // The receiver is gone when writing failed: stop.
                    if tx.send(render(chunk)).is_err() {
                        break;
                    }
                }
            });
            for buffers in rx {
                for buf in buffers? {
                    out.write_all(&buf)?;
                }
            }
            Ok(())
        })
    }
}

/// Evaluates `checks` over the resources; the matches come sorted by severity (worst first),
/// check, resource.
pub fn evaluate<'a>(
    checks: &'a [Check],
    resources: &'a [Resource],
    config: &Config,
) -> Matches<'a> {
    let thresholds = config.threshold_values();
    let active: Vec<&Check> = checks
        .iter()
        .filter(|c| !config.checks.disable.contains(&c.id))
        .collect();
    let severities: Vec<Severity> = active
        .iter()
        .map(|c| {
            config
                .severity
                .get(&c.id)
                .and_then(|s| Severity::parse(s))
                .unwrap_or(c.severity)
        })
        .collect();
    let renders: Vec<Render> = active.iter().map(|c| Render::new(c)).collect();
    // Per resource: its matches (`values` relative to the resource's first) and their facts.
    let per_resource: Vec<(Vec<Match>, Vec<Option<&'a Value>>)> = resources
        .par_iter()
        .enumerate()
        .map(|(ri, r)| {
            let mut matches = Vec::new();
            let mut values = Vec::new();
            for (ci, c) in active.iter().enumerate() {
                if c.kind != r.kind || !c.predicate.matches(&r.facts, &thresholds) {
                    continue;
                }
                let latent = c
                    .latent_when
                    .as_ref()
                    .map(|l| l.matches(&r.facts, &thresholds));
                let mut severity = severities[ci];
                if latent == Some(true) {
                    severity = severity.lowered();
                }
                matches.push(Match {
                    check: ci as u32,
                    resource: ri as u32,
                    values: values.len() as u32,
                    severity,
                    latent,
                });
                values.extend(
                    renders[ci]
                        .paths
                        .iter()
                        .map(|p| expr::lookup_dotted(&r.facts, p)),
                );
            }
            (matches, values)
        })
        .collect();
    let mut items: Vec<Match> = Vec::with_capacity(per_resource.iter().map(|(m, _)| m.len()).sum());
    let mut values: Vec<Option<&'a Value>> =
        Vec::with_capacity(per_resource.iter().map(|(_, v)| v.len()).sum());
    for (matches, vals) in per_resource {
        let base = u32::try_from(values.len()).expect("fewer than 2^32 facts in the findings");
        items.extend(matches.into_iter().map(|m| Match {
            values: base + m.values,
            ..m
        }));
        values.extend(vals);
    }
    // Sorted by ranks instead of comparing id strings for every pair of matches: each check's
    // and each resource's place in id order, computed once. Equal resource ids (the same id in
    // two accounts or regions) rank by input order, as a stable sort of the ids would.
    let check_rank = ranks(active.len(), |i, j| active[i].id.cmp(&active[j].id));
    let resource_rank = ranks(resources.len(), |i, j| {
        resources[i].id.cmp(&resources[j].id)
    });
    items.par_sort_unstable_by_key(|m| {
        (
            std::cmp::Reverse(m.severity),
            check_rank[m.check as usize],
            resource_rank[m.resource as usize],
            m.check,
        )
    });
    Matches {
        checks: active,
        renders,
        resources,
        items,
        values,
    }
}

/// Each index's place when `0..len` is sorted stably by `cmp`.
fn ranks(len: usize, cmp: impl Fn(usize, usize) -> std::cmp::Ordering + Sync) -> Vec<u32> {
    let mut order: Vec<usize> = (0..len).collect();
    order.par_sort_by(|&i, &j| cmp(i, j));
    let mut rank = vec![0; len];
    for (place, i) in order.into_iter().enumerate() {
        rank[i] = place as u32;
    }
    rank
}

/// Runs `checks` over the resources. Findings come sorted by severity (worst first), check, resource.
pub fn run<'a>(
    checks: &'a [Check],
    resources: &'a [Resource],
    config: &Config,
) -> Vec<AuditFinding<'a>> {
    evaluate(checks, resources, config).findings()
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
) -> Vec<AuditFinding<'static>> {
    let wanted = facts::Wanted::for_checks(checks);
    let resources = facts::build_for(account, coverage, exposure, now, &wanted);
    run(checks, &resources, config)
        .into_iter()
        .map(AuditFinding::into_owned)
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every check's own test resources, as one account's resources: many matches over many kinds.
    fn resources(checks: &[Check]) -> Vec<Resource> {
        checks
            .iter()
            .flat_map(|c| c.tests.iter().map(move |t| (c.kind, t)))
            .enumerate()
            .map(|(i, (kind, t))| Resource {
                kind,
                // Repeated ids on purpose: ties must keep the input order.
                id: format!("r-{}", i % 7),
                account: Some("111122223333".into()),
                region: Some("us-east-1".into()),
                facts: t.resource.clone().into(),
            })
            .collect()
    }

    #[test]
    fn matches_sort_like_a_stable_sort_of_the_findings() {
        let checks = builtin_checks().unwrap();
        let resources = resources(&checks);
        let config = Config::defaults();
        let got = run(&checks, &resources, &config);
        assert!(got.len() > 40, "{} findings", got.len());
        // The order a stable sort gives the findings in resource order, then check order.
        let matches = evaluate(&checks, &resources, &config);
        let mut unsorted = matches.items.clone();
        unsorted.sort_by_key(|m| (m.resource, m.check));
        let mut want: Vec<AuditFinding> = unsorted.iter().map(|m| matches.finding(m)).collect();
        want.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.check_id.cmp(&b.check_id))
                .then_with(|| a.resource_id.cmp(&b.resource_id))
        });
        let ids = |f: &[AuditFinding]| f.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&got), ids(&want));
    }

    #[test]
    fn chunked_writing_equals_writing_all_at_once() {
        let checks = builtin_checks().unwrap();
        let resources = resources(&checks);
        let config = Config::defaults();
        let matches = evaluate(&checks, &resources, &config);
        let findings = matches.findings();
        for chunk_len in [1, 3, 64, 100_000] {
            let mut whole = Vec::new();
            output::write_jsonl(&mut whole, &findings).unwrap();
            let mut chunked = Vec::new();
            matches
                .write_in_chunks(&mut chunked, chunk_len, |buf, f| {
                    output::write_jsonl(buf, f)
                })
                .unwrap();
            assert_eq!(
                String::from_utf8(chunked).unwrap(),
                String::from_utf8(whole).unwrap()
            );

            let mut whole = Vec::new();
            output::write_csv(&mut whole, &findings).unwrap();
            let mut chunked = Vec::new();
            output::write_csv_header(&mut chunked).unwrap();
            matches
                .write_in_chunks(&mut chunked, chunk_len, |buf, f| {
                    output::write_csv_rows(buf, f)
                })
                .unwrap();
            assert_eq!(
                String::from_utf8(chunked).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }

    /// Appends characters JSON must escape (and some it need not) to every string in `v`.
    fn with_odd_strings(v: &mut Value) {
        match v {
            Value::String(s) => s.push_str(" \"q\" back\\slash\nline\ttab é"),
            Value::Array(items) => {
                items.iter_mut().for_each(with_odd_strings);
                // Lists of several show their separator.
                items.push(Value::String("second \"one\"".into()));
            }
            Value::Object(members) => members.values_mut().for_each(with_odd_strings),
            _ => {}
        }
    }

    #[test]
    fn jsonl_written_from_the_matches_equals_the_findings_lines() {
        let checks = builtin_checks().unwrap();
        let plain = resources(&checks);
        // Odd strings in ids, names and lists (predicates read scalars, which stay as they are,
        // so most matches remain), and one resource without account or region.
        let mut odd = plain.clone();
        for r in &mut odd {
            r.id.push_str("\"\n");
            if let Facts::Object(Value::Object(members)) = &mut r.facts {
                for (k, v) in members.iter_mut() {
                    if k == "name" || v.is_array() {
                        with_odd_strings(v);
                    }
                }
            }
        }
        odd[0].account = None;
        odd[1].region = None;
        for resources in [plain, odd] {
            let matches = evaluate(&checks, &resources, &Config::defaults());
            assert!(matches.len() > 40, "{} matches", matches.len());
            let mut want = Vec::new();
            output::write_jsonl(&mut want, &matches.findings()).unwrap();
            for chunk_len in [1, 3, 64, 100_000] {
                let mut got = Vec::new();
                matches.write_jsonl_in_chunks(&mut got, chunk_len).unwrap();
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(want.clone()).unwrap(),
                    "chunks of {chunk_len}"
                );
            }
        }
    }

    #[test]
    fn min_severity_keeps_the_worse_matches() {
        let checks = builtin_checks().unwrap();
        let resources = resources(&checks);
        let mut matches = evaluate(&checks, &resources, &Config::defaults());
        let before = matches.len();
        matches.retain_min_severity(Severity::High);
        assert!(matches.len() < before && !matches.is_empty());
        assert!(
            matches
                .findings()
                .iter()
                .all(|f| f.severity >= Severity::High)
        );
    }
}
