//! One ordered timeline of what the key and the affected instances did: CloudTrail events (the
//! key pair's own events, launches with it, the instances' role sessions, remote access to the
//! instances, changes to their security groups and to the instances themselves) and sshd logins
//! with the key's fingerprint from auth logs.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use trail::Record;

use crate::blast::BlastRadius;
use crate::identify::IdentifiedKey;

/// What kind of activity an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Create/Import/Delete/Describe of the key pair.
    KeyPair,
    /// RunInstances with the key.
    Launch,
    /// A call made with an affected instance's role credentials (session name = instance id).
    RoleSession,
    /// Instance Connect, serial console, SSM session or command to an affected instance.
    RemoteAccess,
    /// A change to an affected instance's security groups or ENIs.
    SecurityGroup,
    /// A change to an affected instance itself (attributes, profile, state, images, snapshots).
    Instance,
    /// An sshd login with the key.
    SshLogin,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::KeyPair => "key-pair",
            Kind::Launch => "launch",
            Kind::RoleSession => "role-session",
            Kind::RemoteAccess => "remote-access",
            Kind::SecurityGroup => "security-group",
            Kind::Instance => "instance",
            Kind::SshLogin => "ssh-login",
        }
    }
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub time: Timestamp,
    pub kind: Kind,
    /// CloudTrail eventName, or `Accepted publickey` for sshd.
    pub event: String,
    /// Who: principal ARN, or the user sshd logged in.
    pub actor: Option<String>,
    pub source_ip: Option<String>,
    pub region: Option<String>,
    /// The affected resource(s) the entry is about.
    pub subject: String,
    /// Error code when the call failed.
    pub error: Option<String>,
    /// `cloudtrail:<eventID>` or `<file>:<line>`.
    pub origin: String,
    /// True when the time was completed (syslog lines carry no year or zone: UTC and the year
    /// given are assumed).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub time_assumed: bool,
}

/// What to look for, drawn from the identified key and its blast radius.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub key_names: BTreeSet<String>,
    pub key_pair_ids: BTreeSet<String>,
    pub instance_ids: BTreeSet<String>,
    pub group_ids: BTreeSet<String>,
    pub eni_ids: BTreeSet<String>,
    pub sshd_fingerprints: BTreeSet<String>,
}

impl Scope {
    pub fn new(key: Option<&IdentifiedKey>, radius: &BlastRadius) -> Scope {
        let mut s = Scope {
            instance_ids: radius.instance_ids(),
            group_ids: radius.group_ids(),
            eni_ids: radius.eni_ids(),
            ..Scope::default()
        };
        if let Some(k) = key {
            s.key_names = k.names();
            s.key_pair_ids = k.key_pairs.iter().filter_map(|p| p.id.clone()).collect();
            s.sshd_fingerprints = k.sshd_fingerprints.iter().cloned().collect();
        }
        s
    }
}

const KEY_EVENTS: &[&str] = &[
    "CreateKeyPair",
    "ImportKeyPair",
    "DeleteKeyPair",
    "DescribeKeyPairs",
];
const REMOTE_ACCESS: &[&str] = &[
    "SendSSHPublicKey",
    "SendSerialConsoleSSHPublicKey",
    "StartSession",
    "ResumeSession",
    "SendCommand",
    "StartAutomationExecution",
    "GetConsoleOutput",
    "GetConsoleScreenshot",
    "GetPasswordData",
];
const GROUP_EVENTS: &[&str] = &[
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "UpdateSecurityGroupRuleDescriptionsIngress",
    "UpdateSecurityGroupRuleDescriptionsEgress",
    "DeleteSecurityGroup",
    "ModifyNetworkInterfaceAttribute",
    "AttachNetworkInterface",
    "DetachNetworkInterface",
];

/// Every string value under `v`, depth first (ids sit at different depths per event).
fn strings_in<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings_in(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings_in(x, out)),
        _ => {}
    }
}

fn parse(raw: Option<&RawValue>) -> Value {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or(Value::Null)
}

/// The timeline entry for one CloudTrail record, if it concerns the key or the blast radius.
pub fn classify(scope: &Scope, record: &Record<'_>, time: Timestamp) -> Option<Entry> {
    let name = record.event_name.as_deref()?;
    let request = parse(record.request_parameters);
    let mut mentioned = Vec::new();
    strings_in(&request, &mut mentioned);
    let hits = |set: &BTreeSet<String>| -> Vec<String> {
        let mut v: Vec<String> = mentioned
            .iter()
            .filter(|s| set.contains(**s))
            .map(|s| s.to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let entry = |kind: Kind, subject: String| Entry {
        time,
        kind,
        event: name.to_string(),
        actor: record.principal().map(str::to_string),
        source_ip: record.source_ip_address.as_deref().map(str::to_string),
        region: record.aws_region.as_deref().map(str::to_string),
        subject,
        error: record
            .error_code
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        origin: format!(
            "cloudtrail:{}",
            record.event_id.as_deref().unwrap_or("(no eventID)")
        ),
        time_assumed: false,
    };

    // Calls made with an affected instance's role credentials: the session name is its id.
    if let Some(arn) = record.user_identity.as_ref().and_then(|u| u.arn.as_deref())
        && arn.contains(":assumed-role/")
        && let Some(session) = arn.rsplit('/').next()
        && scope.instance_ids.contains(session)
    {
        return Some(entry(Kind::RoleSession, session.to_string()));
    }
    if KEY_EVENTS.contains(&name) {
        let mut subjects = hits(&scope.key_names);
        subjects.extend(hits(&scope.key_pair_ids));
        // ImportKeyPair/CreateKeyPair answer with the id of a new key pair of that name.
        if !subjects.is_empty() {
            return Some(entry(Kind::KeyPair, subjects.join(",")));
        }
        return None;
    }
    if name == "RunInstances" {
        let key = request.get("keyName").and_then(Value::as_str);
        if let Some(k) = key.filter(|k| scope.key_names.contains(*k)) {
            let response = parse(record.response_elements);
            let mut launched = Vec::new();
            strings_in(&response, &mut launched);
            let mut ids: Vec<&str> = launched
                .into_iter()
                .filter(|s| s.starts_with("i-"))
                .collect();
            ids.sort();
            ids.dedup();
            let subject = if ids.is_empty() {
                format!("key {k}")
            } else {
                format!("key {k}: {}", ids.join(","))
            };
            return Some(entry(Kind::Launch, subject));
        }
        return None;
    }
    let instances = hits(&scope.instance_ids);
    if REMOTE_ACCESS.contains(&name) && !instances.is_empty() {
        return Some(entry(Kind::RemoteAccess, instances.join(",")));
    }
    if GROUP_EVENTS.contains(&name) {
        let mut subjects = hits(&scope.group_ids);
        subjects.extend(hits(&scope.eni_ids));
        subjects.extend(instances.iter().cloned());
        if !subjects.is_empty() {
            return Some(entry(Kind::SecurityGroup, subjects.join(",")));
        }
        return None;
    }
    if !instances.is_empty() && record.read_only != Some(true) && !name.starts_with("Describe") {
        return Some(entry(Kind::Instance, instances.join(",")));
    }
    None
}

/// Reads CloudTrail sources and keeps the entries in scope.
pub fn from_trail(sources: &[trail::Source], scope: &Scope) -> (Vec<Entry>, trail::ScanReport) {
    let mut out = Vec::new();
    let report = trail::scan(
        sources,
        &trail::ScanOptions::default(),
        |record, _raw, time| Ok(classify(scope, record, time)),
        |e| out.push(e),
    );
    (out, report)
}

/// A problem with one auth log (unreadable file, malformed line).
pub type LogProblem = host::Problem;

/// sshd `Accepted publickey` logins with one of the key's fingerprints, from auth log files
/// (syslog or `journalctl -o json`, gzip detected). Syslog times carry no year or zone: `year`
/// is used and UTC assumed.
pub fn from_auth_logs(files: &[&Path], scope: &Scope, year: i16) -> (Vec<Entry>, Vec<LogProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let text = match std::fs::read(path).and_then(host::logs::decode) {
            Ok(t) => t,
            Err(e) => {
                problems.push(host::Problem::new(&name, None, format!("cannot read: {e}")));
                continue;
            }
        };
        let mut stats = host::logs::LogStats::default();
        let events = host::logs::parse_any(&name, &text, &mut stats, &mut problems);
        for e in events {
            if e.event != host::logs::EventKind::Accepted
                || e.method.as_deref() != Some("publickey")
            {
                continue;
            }
            let Some(fp) = e.fingerprint.as_deref() else {
                continue;
            };
            if !scope.sshd_fingerprints.contains(fp) {
                continue;
            }
            let Some((time, assumed)) = e.time.as_deref().and_then(|t| log_time(t, year)) else {
                problems.push(host::Problem::new(
                    &name,
                    Some(e.line),
                    format!("unreadable time {:?}", e.time.as_deref().unwrap_or("")),
                ));
                continue;
            };
            out.push(Entry {
                time,
                kind: Kind::SshLogin,
                event: "Accepted publickey".to_string(),
                actor: e.user.clone(),
                source_ip: e.source_ip.clone(),
                region: None,
                subject: format!(
                    "{}{}",
                    e.host
                        .as_deref()
                        .map(|h| format!("{h} "))
                        .unwrap_or_default(),
                    fp
                ),
                error: None,
                origin: format!("{}:{}", e.file, e.line),
                time_assumed: assumed,
            });
        }
    }
    (out, problems)
}

/// RFC 3339 (journal exports, ISO syslog) as is; `Mon dd hh:mm:ss` with `year`, in UTC.
pub fn log_time(text: &str, year: i16) -> Option<(Timestamp, bool)> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some((t, false));
    }
    let with_year = format!(
        "{year} {}",
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let dt = jiff::civil::DateTime::strptime("%Y %b %d %H:%M:%S", &with_year).ok()?;
    let t = jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()?;
    Some((t, true))
}

/// Sorts by time, then kind, then origin (stable for equal times).
pub fn order(entries: &mut [Entry]) {
    entries.sort_by(|a, b| {
        (a.time, a.kind, &a.origin, &a.event).cmp(&(b.time, b.kind, &b.origin, &b.event))
    });
}
