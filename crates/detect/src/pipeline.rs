//! source → decode → match → sort → correlate → findings. Matching runs on every core, on the
//! records the rule index says may match; the matched records are ordered by (eventTime, eventID)
//! through the external sorter, so correlations see time order and memory stays flat.

use std::collections::{HashMap, VecDeque};
use std::io;

use jiff::Timestamp;
use rules::{Correlated, RuleMatch, Ruleset};
use serde_json::Value;
use trail::sort::{ExternalSorter, SortKey};
use trail::{ScanOptions, ScanReport, Source};

use crate::finding::{Finding, Outcome, Severity, finding_id};
use crate::resources::Resources;

/// Adds what an account snapshot knows to a finding.
pub trait Enricher: Sync {
    fn enrich(&self, finding: &mut Finding);
}

/// Settings of a detection run.
pub struct DetectOptions<'a> {
    pub scan: ScanOptions,
    /// Bytes of matched records held in memory before they spill to temporary files.
    pub sort_memory: usize,
    pub enricher: Option<&'a dyn Enricher>,
}

/// What a run found, and what it read.
pub struct Detection {
    pub findings: Vec<Finding>,
    pub report: ScanReport,
}

/// The fields of one event a finding shows.
#[derive(Clone, Debug)]
struct EventInfo {
    id: String,
    time: String,
    time_ms: i64,
    name: String,
    principal: Option<String>,
    source_ip: Option<String>,
    account: Option<String>,
    region: Option<String>,
    error_code: Option<String>,
    resources: Resources,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl EventInfo {
    fn from(v: &Value) -> EventInfo {
        let identity = &v["userIdentity"];
        let principal = text(identity, "arn")
            .or_else(|| text(identity, "invokedBy"))
            .or_else(|| text(identity, "principalId"));
        let mut resources = Resources::default();
        resources.add_record(v);
        let time = text(v, "eventTime").unwrap_or_default();
        EventInfo {
            id: text(v, "eventID").unwrap_or_default(),
            time_ms: time
                .parse::<Timestamp>()
                .map(|t| t.as_millisecond())
                .unwrap_or(0),
            time,
            name: text(v, "eventName").unwrap_or_default(),
            principal,
            source_ip: text(v, "sourceIPAddress"),
            account: text(v, "recipientAccountId").or_else(|| text(identity, "accountId")),
            region: text(v, "awsRegion"),
            error_code: text(v, "errorCode"),
            resources,
        }
    }
}

/// `user/alice`, `assumed-role/web/i-0abc`: what follows the account in an ARN.
pub fn short_principal(arn: &str) -> &str {
    if arn.starts_with("arn:") {
        arn.splitn(6, ':').nth(5).unwrap_or(arn)
    } else {
        arn
    }
}

/// Runs the ruleset over the sources.
pub fn detect(
    sources: &[Source],
    ruleset: &Ruleset,
    opts: &DetectOptions<'_>,
) -> io::Result<Detection> {
    let mut sorter = ExternalSorter::new(opts.sort_memory);
    let mut spill_error = None;
    let report = trail::scan(
        sources,
        &opts.scan,
        |rec, raw, time| {
            if !ruleset.may_match(rec.event_source.as_deref(), rec.event_name.as_deref()) {
                return None;
            }
            let value: Value = serde_json::from_str(raw.get()).ok()?;
            let hits = ruleset.matches(&value);
            if hits.is_empty() {
                return None;
            }
            // Payload: the rule indexes, a newline, then the record on one line.
            let mut payload: Vec<u8> = hits
                .iter()
                .map(|h| h.rule.to_string())
                .collect::<Vec<_>>()
                .join(",")
                .into_bytes();
            payload.push(b'\n');
            payload.extend(trail::record::compact_json(raw.get()).into_bytes());
            let key = SortKey {
                time_ns: time.as_nanosecond(),
                event_id: rec.event_id.as_deref().unwrap_or_default().to_string(),
            };
            Some((key, payload))
        },
        |(key, payload)| {
            if spill_error.is_none()
                && let Err(e) = sorter.push(key, payload)
            {
                spill_error = Some(e);
            }
        },
    );
    if let Some(e) = spill_error {
        return Err(e);
    }

    let rules = ruleset.rules();
    // How long an event can still be part of a correlation: beyond that its summary is dropped.
    let horizon_ms = ruleset
        .correlations()
        .iter()
        .filter(|c| c.kind != rules::CorrelationType::FirstSeen)
        .map(|c| c.timespan_ms)
        .try_fold(0i64, |acc, span| span.map(|s| acc.max(s)));
    let mut correlator = rules::Correlator::new(ruleset);
    let mut infos: HashMap<String, EventInfo> = HashMap::new();
    let mut order: VecDeque<(i64, String)> = VecDeque::new();
    let mut findings = Vec::new();
    sorter.finish(|_, payload| {
        let split = payload
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(payload.len());
        let hits: Vec<RuleMatch> = std::str::from_utf8(&payload[..split])
            .unwrap_or_default()
            .split(',')
            .filter_map(|n| n.parse().ok())
            .map(|rule| RuleMatch { rule })
            .collect();
        let Ok(value) = serde_json::from_slice::<Value>(&payload[(split + 1).min(payload.len())..])
        else {
            return Ok(());
        };
        let info = EventInfo::from(&value);
        for hit in &hits {
            let rule = &rules[hit.rule];
            if rule.emits {
                findings.push(single(rule, &info));
            }
        }
        let fired = correlator.feed(&value, &hits);
        if !ruleset.correlations().is_empty() {
            if let Some(h) = horizon_ms {
                while order.front().is_some_and(|(t, _)| *t < info.time_ms - h) {
                    if let Some((_, id)) = order.pop_front() {
                        infos.remove(&id);
                    }
                }
            }
            order.push_back((info.time_ms, info.id.clone()));
            infos.insert(info.id.clone(), info);
        }
        for c in fired {
            findings.push(correlated(&rules[c.rule], &c, &infos));
        }
        Ok(())
    })?;
    for c in correlator.finish() {
        findings.push(correlated(&rules[c.rule], &c, &infos));
    }
    if let Some(e) = opts.enricher {
        for f in &mut findings {
            e.enrich(f);
        }
    }
    crate::output::sort(&mut findings);
    Ok(Detection { findings, report })
}

fn severity(rule: &rules::RuleInfo) -> Severity {
    Severity::from_level(rule.level.as_str()).unwrap_or(Severity::Medium)
}

fn single(rule: &rules::RuleInfo, e: &EventInfo) -> Finding {
    let failed = e.error_code.is_some();
    let base = severity(rule);
    let ids = vec![e.id.clone()];
    let who = e
        .principal
        .as_deref()
        .map(short_principal)
        .unwrap_or("unknown caller");
    let what = e.resources.brief();
    let mut story = format!("{who} {}", e.name);
    if !what.is_empty() {
        story.push_str(&format!(" ({what})"));
    }
    if let Some(ip) = &e.source_ip {
        story.push_str(&format!(" from {ip}"));
    }
    if let Some(code) = &e.error_code {
        story.push_str(&format!(" — refused: {code}"));
    }
    Finding {
        id: finding_id(&rule.rule_id, &ids),
        rule_id: rule.rule_id.clone(),
        title: rule.title.clone(),
        severity: if failed { base.lowered() } else { base },
        outcome: if failed {
            Outcome::Failed
        } else {
            Outcome::Succeeded
        },
        event_ids: ids,
        event_name: e.name.clone(),
        event_time: e.time.clone(),
        principal: e.principal.clone(),
        source_ip: e.source_ip.clone(),
        account: e.account.clone(),
        region: e.region.clone(),
        error_code: e.error_code.clone(),
        resources: e.resources.clone(),
        attack: rule.attack.clone(),
        kb: rule.kb.clone(),
        story,
        context: Vec::new(),
    }
}

fn correlated(
    rule: &rules::RuleInfo,
    c: &Correlated,
    infos: &HashMap<String, EventInfo>,
) -> Finding {
    let events: Vec<&EventInfo> = c.event_ids.iter().filter_map(|id| infos.get(id)).collect();
    let first = events.first();
    let mut resources = Resources::default();
    for e in &events {
        resources.merge(&e.resources);
    }
    let mut names: Vec<&str> = Vec::new();
    for e in &events {
        if !names.contains(&e.name.as_str()) {
            names.push(&e.name);
        }
    }
    let failed = !events.is_empty() && events.iter().all(|e| e.error_code.is_some());
    let base = severity(rule);
    let group: Vec<String> = c
        .group
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                if k.ends_with("arn") {
                    short_principal(v)
                } else {
                    v
                }
            )
        })
        .collect();
    let who = first
        .and_then(|e| e.principal.as_deref())
        .map(short_principal)
        .unwrap_or("unknown caller");
    let mut story = format!(
        "{who}: {} event(s) {}",
        c.event_ids.len(),
        names.join(" → ")
    );
    if !group.is_empty() {
        story.push_str(&format!(" [{}]", group.join(", ")));
    }
    let span = c.last_time.as_second() - c.first_time.as_second();
    if span > 0 {
        story.push_str(&format!(" within {span}s"));
    }
    let what = resources.brief();
    if !what.is_empty() {
        story.push_str(&format!(" ({what})"));
    }
    let ips: Vec<&str> = {
        let mut v: Vec<&str> = events
            .iter()
            .filter_map(|e| e.source_ip.as_deref())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    if !ips.is_empty() {
        story.push_str(&format!(" from {}", ips.join(", ")));
    }
    Finding {
        id: finding_id(&rule.rule_id, &c.event_ids),
        rule_id: rule.rule_id.clone(),
        title: rule.title.clone(),
        severity: if failed { base.lowered() } else { base },
        outcome: if failed {
            Outcome::Failed
        } else {
            Outcome::Succeeded
        },
        event_ids: c.event_ids.clone(),
        event_name: names.join(","),
        event_time: first
            .map(|e| e.time.clone())
            .unwrap_or_else(|| c.first_time.to_string()),
        principal: first.and_then(|e| e.principal.clone()),
        source_ip: first.and_then(|e| e.source_ip.clone()),
        account: first.and_then(|e| e.account.clone()),
        region: first.and_then(|e| e.region.clone()),
        error_code: if failed {
            first.and_then(|e| e.error_code.clone())
        } else {
            None
        },
        resources,
        attack: rule.attack.clone(),
        kb: rule.kb.clone(),
        story,
        context: Vec::new(),
    }
}
