//! Facts: the flat view of the account model that checks are written against.
//!
//! Each resource kind has one struct here; its serialized field names are the only names a check may
//! use (a check naming another field fails to compile). Facts are derived once per audit from the
//! [`cloud::Account`] (and the reachability evaluator for exposure), so checks stay simple predicates
//! and the same predicates can run as SQL over an exported table of facts.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashSet};

use cloud::{Account, NaclAction, RuleSource, SgRule};
use jiff::Timestamp;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::policy;

macro_rules! kinds {
    ($($variant:ident => $name:literal, $facts:ty;)*) => {
        /// The kinds of resource a check can look at.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind { $($variant),* }

        impl Kind {
            pub const ALL: [Kind; [$($name),*].len()] = [$(Kind::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $name),* }
            }

            /// The fact names of this kind, from its struct.
            pub fn fields(self) -> Vec<String> {
                let value = match self {
                    $(Kind::$variant => serde_json::to_value(<$facts>::default()),)*
                };
                match value {
                    Ok(Value::Object(map)) => map.keys().cloned().collect(),
                    _ => Vec::new(),
                }
            }
        }
    };
}

kinds! {
    Account => "account", AccountFacts;
    Region => "region", RegionFacts;
    Instance => "instance", InstanceFacts;
    SecurityGroup => "security_group", SecurityGroupFacts;
    NetworkAcl => "network_acl", NetworkAclFacts;
    Vpc => "vpc", VpcFacts;
    LaunchTemplate => "launch_template", LaunchTemplateFacts;
    Volume => "volume", VolumeFacts;
    KeyPair => "key_pair", KeyPairFacts;
    User => "user", UserFacts;
    AccessKey => "access_key", AccessKeyFacts;
    IamSshKey => "iam_ssh_key", IamSshKeyFacts;
    Trail => "trail", TrailFacts;
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn has_field(self, name: &str) -> bool {
        self.fields().iter().any(|f| f == name)
    }
}

/// One resource's facts, ready for the checks.
#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: Kind,
    pub id: String,
    pub account: Option<String>,
    pub region: Option<String>,
    pub facts: Facts,
}

/// A resource's facts, looked up by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Facts {
    /// A JSON object: a check's own test resource.
    Object(Value),
    /// Named values, each name once, as the audit builds every resource's facts: a list under
    /// static names costs a fraction of a JSON map with a string per key, to build, to hold and
    /// to drop (a large account has hundreds of thousands of resources).
    Fields(Vec<(&'static str, Value)>),
}

impl Facts {
    /// The facts as one JSON object (for tests and display; the checks look up in place).
    pub fn to_value(&self) -> Value {
        match self {
            Facts::Object(v) => v.clone(),
            Facts::Fields(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, v)| (name.to_string(), v.clone()))
                    .collect(),
            ),
        }
    }

    /// Sets the field `name` (replacing its value if it has one); a no-op on a non-object.
    pub fn insert(&mut self, name: &'static str, value: Value) {
        match self {
            Facts::Object(Value::Object(map)) => {
                map.insert(name.to_string(), value);
            }
            Facts::Object(_) => {}
            Facts::Fields(fields) => match fields.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => *v = value,
                None => fields.push((name, value)),
            },
        }
    }
}

impl From<Value> for Facts {
    fn from(v: Value) -> Facts {
        Facts::Object(v)
    }
}

impl crate::expr::Fields for Facts {
    fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Facts::Object(v) => v.field(name),
            Facts::Fields(fields) => fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v),
        }
    }
    fn whole(&self) -> Option<&Value> {
        match self {
            Facts::Object(v) => Some(v),
            Facts::Fields(_) => None,
        }
    }
}

/// Internet exposure of one instance on one kind of port, as the reachability evaluator sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Reachable from the internet.
    Exposed,
    /// A security group admits the internet, but no path from it exists (no public address, no
    /// route to an internet gateway, or a NACL denies it).
    Latent,
    #[default]
    None,
}

/// What the audit asks the reachability evaluator about one instance.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InstanceExposure {
    pub ssh: Exposure,
    pub rdp: Exposure,
    /// Every tcp port (0-65535) or all traffic.
    pub all_ports: Exposure,
    /// The ports reachable from the internet, as `tcp/22`, `tcp/8000-8080`, `all`.
    pub ports: Vec<String>,
    /// The internet sources admitted (CIDRs of the allowing rules).
    pub sources: Vec<String>,
    /// True when the exposure exists only over IPv6.
    pub ipv6_only: bool,
    /// True when some exposure is over IPv6.
    pub ipv6: bool,
}

/// Answers exposure questions for the audit; `reach` implements it exactly.
pub trait ExposureOracle: Sync {
    /// The instance's exposure: borrowed when the oracle holds it, made when it works it out.
    fn instance(&self, instance_id: &str) -> std::borrow::Cow<'_, InstanceExposure>;
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AccountFacts {
    pub account: Option<String>,
    /// The password policy was read (or IAM was read and said there is none).
    pub password_policy_known: bool,
    pub password_policy_set: bool,
    pub password_min_length: Option<i64>,
    pub password_require_symbols: Option<bool>,
    pub password_require_numbers: Option<bool>,
    pub password_require_uppercase: Option<bool>,
    pub password_require_lowercase: Option<bool>,
    pub password_max_age_days: Option<i64>,
    pub password_reuse_prevention: Option<i64>,
    /// Trails known (describe-trails was read).
    pub trails_known: bool,
    /// A multi-region trail that is logging and records management events.
    pub multi_region_trail_logging: bool,
    pub trail_count: usize,
    /// Root user facts from the credential report, when it has a `<root_account>` row.
    pub root_mfa_active: Option<bool>,
    pub root_access_key_active: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RegionFacts {
    pub region: String,
    pub account: Option<String>,
    pub ebs_encryption_by_default: Option<bool>,
    /// Account default for new instances' IMDS tokens (`required` / `optional` / `no-preference`).
    pub imds_default_http_tokens: Option<String>,
    pub imds_default_hop_limit: Option<i64>,
    /// GuardDuty detectors known for the region (list-detectors was read).
    pub guardduty_known: bool,
    pub guardduty_enabled: bool,
    pub instance_count: usize,
    pub serial_console_access: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct InstanceFacts {
    pub id: String,
    pub name: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub state: String,
    pub platform: Option<String>,
    pub key_name: Option<String>,
    /// None when the region's key pairs are unknown.
    pub key_pair_exists: Option<bool>,
    pub launch_age_days: Option<i64>,
    pub public_ip: Option<String>,
    pub ipv6_addresses: Vec<String>,
    pub has_public_address: bool,
    pub instance_profile: Option<String>,
    pub role_names: Vec<String>,
    /// The instance's role may do anything (`*` on `*`, or AdministratorAccess).
    pub role_admin: bool,
    pub http_tokens: Option<String>,
    pub http_endpoint: Option<String>,
    pub hop_limit: Option<i64>,
    pub imdsv1: bool,
    /// None when SSM's managed instance list is unknown.
    pub ssm_managed: Option<bool>,
    pub termination_protection: Option<bool>,
    pub security_groups: Vec<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub unencrypted_volumes: Vec<String>,
    pub exposure: InstanceExposure,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SgRuleFacts {
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// `cidr4`, `cidr6`, `group`, `prefix_list`.
    pub source_kind: String,
    pub source: String,
    /// `0.0.0.0/0` or `::/0` (judged by prefix length).
    pub anywhere: bool,
    pub covers_ssh: bool,
    pub covers_rdp: bool,
    /// All traffic, or every tcp port.
    pub all_ports: bool,
    pub rule_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SecurityGroupFacts {
    pub id: String,
    pub name: String,
    pub vpc_id: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub is_default: bool,
    pub ingress: Vec<SgRuleFacts>,
    pub egress: Vec<SgRuleFacts>,
    /// ENIs using the group.
    pub attachments: usize,
    /// Instances behind the group.
    pub instances: Vec<String>,
    /// Launch templates or other groups referring to it (so it is not unused even without ENIs).
    pub referenced: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NaclVerdict {
    /// `allow` or `deny`: the first entry in rule order that matches.
    pub action: String,
    pub rule_number: i32,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NetworkAclFacts {
    pub id: String,
    pub vpc_id: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub is_default: bool,
    pub subnets: Vec<String>,
    /// Inbound from anywhere (IPv4 0.0.0.0/0), first match in rule order, per port kind.
    pub ssh_from_anywhere: NaclVerdict,
    pub rdp_from_anywhere: NaclVerdict,
    pub all_from_anywhere: NaclVerdict,
    pub ssh_from_anywhere_v6: NaclVerdict,
    pub rdp_from_anywhere_v6: NaclVerdict,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VpcFacts {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub is_default: bool,
    pub flow_logs_known: bool,
    pub active_flow_logs: usize,
    pub instances: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LaunchTemplateFacts {
    pub id: String,
    pub name: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub default_version: Option<i64>,
    pub key_name: Option<String>,
    pub http_tokens: Option<String>,
    pub http_endpoint: Option<String>,
    pub imdsv1: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VolumeFacts {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub state: Option<String>,
    pub encrypted: Option<bool>,
    pub instances: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct KeyPairFacts {
    pub name: String,
    pub id: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub key_type: Option<String>,
    pub fingerprint: Option<String>,
    pub age_days: Option<i64>,
    /// Instances (any state but terminated) launched with it.
    pub instances: Vec<String>,
    /// Those reachable on 22 from the internet.
    pub exposed_instances: Vec<String>,
    pub launch_templates: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UserFacts {
    pub name: String,
    pub arn: String,
    pub account: Option<String>,
    pub console_access: Option<bool>,
    pub mfa_known: bool,
    pub mfa_devices: usize,
    pub admin: bool,
    pub password_last_used_days: Option<i64>,
    pub active_access_keys: usize,
    pub active_ssh_keys: usize,
    pub ssh_keys_known: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AccessKeyFacts {
    pub id: String,
    pub user: String,
    pub account: Option<String>,
    pub status: String,
    pub age_days: Option<i64>,
    /// Days since last use; None when never used (or unknown).
    pub last_used_days: Option<i64>,
    pub used: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IamSshKeyFacts {
    pub id: String,
    pub user: String,
    pub account: Option<String>,
    pub status: String,
    pub age_days: Option<i64>,
    pub fingerprint: Option<String>,
    /// Active SSH keys the user holds (this one included).
    pub user_active_keys: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TrailFacts {
    pub name: String,
    pub region: String,
    pub account: Option<String>,
    pub home_region: Option<String>,
    pub multi_region: Option<bool>,
    pub logging: Option<bool>,
    pub log_file_validation: Option<bool>,
    pub kms_key_id: Option<String>,
    pub cloudwatch_logs: Option<String>,
    /// Records management events (read and write), when the selectors are known.
    pub management_events: Option<bool>,
    pub is_organization: Option<bool>,
}

fn days_since(t: Option<Timestamp>, now: Timestamp) -> Option<i64> {
    t.map(|t| now.duration_since(t).as_secs().div_euclid(86_400))
}

fn protocol_name(p: &str) -> &str {
    match p {
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "58" => "icmpv6",
        other => other,
    }
}

fn rule_facts(rule: &SgRule) -> SgRuleFacts {
    let protocol = protocol_name(&rule.protocol).to_string();
    let (source_kind, source) = match &rule.source {
        RuleSource::Cidr4(n) => ("cidr4", n.to_string()),
        RuleSource::Cidr6(n) => ("cidr6", n.to_string()),
        RuleSource::Group {
            group_id,
            group_name,
            ..
        } => (
            "group",
            group_id.clone().or(group_name.clone()).unwrap_or_default(),
        ),
        RuleSource::PrefixList(id) => ("prefix_list", id.clone()),
    };
    let all_ports = rule.protocol == "-1"
        || (protocol == "tcp"
            && rule.from_port.is_none_or(|f| f <= 0)
            && rule.to_port.is_none_or(|t| t >= 65535));
    let normalized = SgRule {
        protocol: protocol.clone(),
        ..rule.clone()
    };
    SgRuleFacts {
        covers_ssh: normalized.covers_port("tcp", 22),
        covers_rdp: normalized.covers_port("tcp", 3389),
        all_ports,
        protocol,
        from_port: rule.from_port,
        to_port: rule.to_port,
        source_kind: source_kind.into(),
        source,
        anywhere: rule.source.is_anywhere(),
        rule_id: rule.rule_id.clone(),
    }
}

/// The first NACL entry, in rule order, that matches inbound tcp `port` (None = all traffic) from
/// anywhere over IPv4 or IPv6.
fn nacl_first_match(acl: &cloud::NetworkAcl, port: Option<u16>, ipv6: bool) -> NaclVerdict {
    let mut entries: Vec<_> = acl.entries.iter().filter(|e| !e.egress).collect();
    entries.sort_by_key(|e| e.rule_number);
    for e in entries {
        let family_ok = if ipv6 {
            e.cidr_v6.is_some_and(|n| n.prefix_len() == 0)
        } else {
            e.cidr_v4.is_some_and(|n| n.prefix_len() == 0)
        };
        if !family_ok {
            continue;
        }
        let protocol = protocol_name(&e.protocol);
        let covers = match port {
            None => protocol == "-1",
            Some(p) => {
                protocol == "-1"
                    || (protocol == "tcp"
                        && e.port_range
                            .is_none_or(|(a, b)| a <= i32::from(p) && i32::from(p) <= b))
            }
        };
        if covers {
            return NaclVerdict {
                action: match e.action {
                    NaclAction::Allow => "allow".into(),
                    NaclAction::Deny => "deny".into(),
                },
                rule_number: e.rule_number,
            };
        }
    }
    // The implicit `*` rule denies what nothing allowed.
    NaclVerdict {
        action: "deny".into(),
        rule_number: 32767,
    }
}

fn to_value<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

fn resource(
    kind: Kind,
    id: &str,
    acct: &Option<String>,
    region: Option<&str>,
    facts: Facts,
) -> Resource {
    Resource {
        kind,
        id: id.to_string(),
        account: acct.clone(),
        region: region.map(str::to_string),
        facts,
    }
}

/// Which parts of the snapshot were read: a check about something the snapshot lacks (a file absent,
/// a call denied during collection) must not turn "unknown" into "missing".
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    unknown: HashSet<String>,
}

impl Coverage {
    /// Everything known.
    pub fn complete() -> Coverage {
        Coverage::default()
    }

    /// From the loader's report (files absent) and the snapshot's gaps (calls that failed).
    pub fn from_load(account: &Account, report: &cloud::LoadReport) -> Coverage {
        let mut unknown = HashSet::default();
        let iam_read = !report
            .missing
            .iter()
            .any(|m| m.file.starts_with("iam-get-account-authorization-details"));
        for m in &report.missing {
            let stem = m.file.trim_end_matches(".json");
            // IAM answers NoSuchEntity when no password policy is set, and there is then no file:
            // with the rest of IAM read, an absent policy file means "no policy", not "unknown".
            if stem == "iam-get-account-password-policy" && iam_read {
                continue;
            }
            unknown.insert(stem.to_string());
        }
        for g in &account.gaps {
            unknown.insert(g.operation.replace(' ', "-"));
        }
        Coverage { unknown }
    }

    /// Marks a snapshot file (its name without `.json`, e.g. `ec2-describe-flow-logs`) as unknown.
    pub fn mark_unknown(&mut self, file_stem: &str) {
        self.unknown.insert(file_stem.to_string());
    }

    /// Whether the snapshot holds the file (`ec2-describe-flow-logs`), or a per-resource family of
    /// files (`iam-list-ssh-public-keys`).
    pub fn knows(&self, file_stem: &str) -> bool {
        !self.unknown.iter().any(|u| u.starts_with(file_stem))
    }
}

/// The instance facts, in the order [`instance_value`] puts them.
const INSTANCE_FIELDS: [&str; 26] = [
    "id",
    "name",
    "region",
    "account",
    "state",
    "platform",
    "key_name",
    "key_pair_exists",
    "launch_age_days",
    "public_ip",
    "ipv6_addresses",
    "has_public_address",
    "instance_profile",
    "role_names",
    "role_admin",
    "http_tokens",
    "http_endpoint",
    "hop_limit",
    "imdsv1",
    "ssm_managed",
    "termination_protection",
    "security_groups",
    "subnet_id",
    "vpc_id",
    "unencrypted_volumes",
    "exposure",
];

/// Per [`INSTANCE_FIELDS`]: whether it is wanted. Looked up once, not for every instance.
fn instance_mask(wanted: &Wanted) -> [bool; INSTANCE_FIELDS.len()] {
    INSTANCE_FIELDS.map(|name| wanted.field(Kind::Instance, name))
}

/// An instance's facts, the fields `keep` marks only (and `exposure` only `with_exposure`),
/// moving the strings rather than copying them: the object `serde_json::to_value` gives, less
/// the fields not kept, as [`Facts::Fields`].
fn instance_value(
    f: InstanceFacts,
    keep: &[bool; INSTANCE_FIELDS.len()],
    with_exposure: bool,
) -> Facts {
    fn opt<T: Into<Value>>(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
    fn strings(v: Vec<String>) -> Value {
        Value::Array(v.into_iter().map(Value::String).collect())
    }
    let mut fields: Vec<(&'static str, Value)> =
        Vec::with_capacity(keep.iter().filter(|k| **k).count());
    let mut at = 0;
    let mut put = |name: &str, value: Value| {
        debug_assert_eq!(name, INSTANCE_FIELDS[at]);
        if keep[at] {
            fields.push((INSTANCE_FIELDS[at], value));
        }
        at += 1;
    };
    let InstanceFacts {
        id,
        name,
        region,
        account,
        state,
        platform,
        key_name,
        key_pair_exists,
        launch_age_days,
        public_ip,
        ipv6_addresses,
        has_public_address,
        instance_profile,
        role_names,
        role_admin,
        http_tokens,
        http_endpoint,
        hop_limit,
        imdsv1,
        ssm_managed,
        termination_protection,
        security_groups,
        subnet_id,
        vpc_id,
        unencrypted_volumes,
        exposure,
    } = f;
    put("id", Value::String(id));
    put("name", opt(name));
    put("region", Value::String(region));
    put("account", opt(account));
    put("state", Value::String(state));
    put("platform", opt(platform));
    put("key_name", opt(key_name));
    put("key_pair_exists", opt(key_pair_exists));
    put("launch_age_days", opt(launch_age_days));
    put("public_ip", opt(public_ip));
    put("ipv6_addresses", strings(ipv6_addresses));
    put("has_public_address", Value::Bool(has_public_address));
    put("instance_profile", opt(instance_profile));
    put("role_names", strings(role_names));
    put("role_admin", Value::Bool(role_admin));
    put("http_tokens", opt(http_tokens));
    put("http_endpoint", opt(http_endpoint));
    put("hop_limit", opt(hop_limit));
    put("imdsv1", Value::Bool(imdsv1));
    put("ssm_managed", opt(ssm_managed));
    put("termination_protection", opt(termination_protection));
    put("security_groups", strings(security_groups));
    put("subnet_id", opt(subnet_id));
    put("vpc_id", opt(vpc_id));
    put("unencrypted_volumes", strings(unencrypted_volumes));
    debug_assert_eq!(at, INSTANCE_FIELDS.len() - 1);
    if with_exposure && keep[INSTANCE_FIELDS.len() - 1] {
        fields.push(("exposure", to_value(&exposure)));
    }
    Facts::Fields(fields)
}

/// Which facts to build: every fact of every kind, or only those some checks read.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// None = everything; else per kind (indexed by `Kind as usize`) the wanted fact names,
    /// sorted (a binary search over a few short names beats hashing them, for every fact of
    /// every resource).
    only: Option<Vec<Option<Vec<String>>>>,
}

impl Wanted {
    pub fn all() -> Wanted {
        Wanted { only: None }
    }

    /// The facts `checks` read (predicates, evidence, messages); kinds no check looks at get no
    /// resources at all.
    pub fn for_checks<'c>(checks: impl IntoIterator<Item = &'c crate::Check>) -> Wanted {
        let mut only: Vec<Option<Vec<String>>> = vec![None; Kind::ALL.len()];
        for c in checks {
            only[c.kind as usize]
                .get_or_insert_with(Vec::new)
                .extend(c.fact_names());
        }
        for names in only.iter_mut().flatten() {
            names.sort();
            names.dedup();
        }
        Wanted { only: Some(only) }
    }

    fn kind(&self, kind: Kind) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o[kind as usize].is_some())
    }

    fn field(&self, kind: Kind, name: &str) -> bool {
        self.only.as_ref().is_none_or(|o| {
            o[kind as usize]
                .as_ref()
                .is_some_and(|f| f.binary_search_by(|n| n.as_str().cmp(name)).is_ok())
        })
    }

    /// `facts` (a kind's facts struct) as its wanted fields, in declaration order.
    fn value<T: Serialize>(&self, kind: Kind, facts: &T) -> Facts {
        match crate::struct_fields::struct_fields(facts, |name| self.field(kind, name)) {
            Some(fields) => Facts::Fields(fields),
            // Not a struct (no kind's facts are such): the JSON object serde makes of it.
            None => {
                let mut v = to_value(facts);
                if self.only.is_some()
                    && let Value::Object(map) = &mut v
                {
                    map.retain(|k, _| self.field(kind, k));
                }
                Facts::Object(v)
            }
        }
    }
}

/// Builds every resource's facts.
pub fn build(
    account: &Account,
    coverage: &Coverage,
    exposure: &dyn ExposureOracle,
    now: Timestamp,
) -> Vec<Resource> {
    build_for(account, coverage, exposure, now, &Wanted::all())
}

/// Builds the resources' facts that `wanted` asks for (the others are absent from the objects).
pub fn build_for(
    account: &Account,
    coverage: &Coverage,
    exposure: &dyn ExposureOracle,
    now: Timestamp,
    wanted: &Wanted,
) -> Vec<Resource> {
    build_unexposed(account, coverage, now, wanted).with_exposure(exposure)
}

/// The resources' facts but those that need the reachability evaluator: built while it builds
/// its network (which takes one core for a while on a large account), then completed by
/// [`Unexposed::with_exposure`].
pub struct Unexposed<'a> {
    account: &'a Account,
    wanted: &'a Wanted,
    resources: Vec<Resource>,
    /// Where the instances' resources start: one per `account.instances`, in their order.
    instances_at: usize,
    /// Per key pair whose `exposed_instances` is wanted: its resource's index and its instances.
    key_pairs: Vec<(usize, Vec<String>)>,
}

impl Unexposed<'_> {
    /// Adds the instances' `exposure` and the key pairs' `exposed_instances`.
    pub fn with_exposure(self, exposure: &dyn ExposureOracle) -> Vec<Resource> {
        let Unexposed {
            account,
            wanted,
            mut resources,
            instances_at,
            key_pairs,
        } = self;
        let want_exposure = wanted.field(Kind::Instance, "exposure");
        let instances = &mut resources[instances_at..instances_at + account.instances.len()];
        let ssh: Vec<Exposure> = instances
            .par_iter_mut()
            .zip(&account.instances)
            .map(|(r, inst)| {
                let exp = if inst.state == "terminated" {
                    std::borrow::Cow::Owned(InstanceExposure::default())
                } else {
                    exposure.instance(&inst.id)
                };
                if want_exposure {
                    r.facts.insert("exposure", to_value(exp.as_ref()));
                }
                exp.ssh
            })
            .collect();
        if key_pairs.is_empty() {
            return resources;
        }
        // By id; an id listed twice keeps its last instance's.
        let ssh_exposure: HashMap<&str, Exposure> = account
            .instances
            .iter()
            .zip(ssh)
            .map(|(i, ssh)| (i.id.as_str(), ssh))
            .collect();
        for (at, instances) in key_pairs {
            let exposed = instances
                .into_iter()
                .filter(|id| ssh_exposure.get(id.as_str()) == Some(&Exposure::Exposed))
                .map(Value::String)
                .collect();
            resources[at]
                .facts
                .insert("exposed_instances", Value::Array(exposed));
        }
        resources
    }
}

/// The facts of [`build_for`] but the instances' `exposure` and the key pairs'
/// `exposed_instances`: see [`Unexposed`].
pub fn build_unexposed<'a>(
    account: &'a Account,
    coverage: &Coverage,
    now: Timestamp,
    wanted: &'a Wanted,
) -> Unexposed<'a> {
    let mut out = Vec::new();
    let push = |out: &mut Vec<Resource>,
                kind: Kind,
                id: &str,
                acct: &Option<String>,
                region: Option<&str>,
                facts: Facts| {
        if wanted.kind(kind) {
            out.push(resource(kind, id, acct, region, facts))
        }
    };

    // Accounts (IAM is global): one resource per account id, or one unnamed if the snapshot has none.
    let mut accounts: Vec<Option<String>> = account.account_ids.iter().cloned().map(Some).collect();
    if accounts.is_empty() {
        accounts.push(None);
    }
    let trails_known = coverage.knows("cloudtrail-describe-trails");
    for acct in &accounts {
        let acct_ref = acct.as_deref();
        let pp = account.password_policy(acct_ref);
        let trails: Vec<_> = account
            .trails
            .iter()
            .filter(|t| acct.is_none() || t.account == *acct || t.account.is_none())
            .collect();
        let root = account
            .credential_report
            .iter()
            .find(|r| r.user == "<root_account>" && (acct.is_none() || r.account == *acct));
        let facts = AccountFacts {
            account: acct.clone(),
            password_policy_known: pp.is_some()
                || coverage.knows("iam-get-account-password-policy"),
            password_policy_set: pp.is_some(),
            password_min_length: pp.and_then(|p| p.minimum_length),
            password_require_symbols: pp.and_then(|p| p.require_symbols),
            password_require_numbers: pp.and_then(|p| p.require_numbers),
            password_require_uppercase: pp.and_then(|p| p.require_uppercase),
            password_require_lowercase: pp.and_then(|p| p.require_lowercase),
            password_max_age_days: pp.and_then(|p| p.max_age_days),
            password_reuse_prevention: pp.and_then(|p| p.reuse_prevention),
            trails_known,
            multi_region_trail_logging: trails.iter().any(|t| {
                t.is_multi_region == Some(true)
                    && t.status.as_ref().and_then(|s| s.is_logging) == Some(true)
                    && trail_records_management(t) != Some(false)
            }),
            trail_count: trails.len(),
            root_mfa_active: root.and_then(|r| r.mfa_active),
            root_access_key_active: root.and_then(|r| {
                match (r.access_key_1.active, r.access_key_2.active) {
                    (None, None) => None,
                    (a, b) => Some(a == Some(true) || b == Some(true)),
                }
            }),
        };
        push(
            &mut out,
            Kind::Account,
            acct.as_deref().unwrap_or("account"),
            acct,
            None,
            wanted.value(Kind::Account, &facts),
        );
    }

    // Regions.
    let guardduty_known = coverage.knows("guardduty-list-detectors");
    let mut regions: BTreeMap<(Option<String>, String), ()> = BTreeMap::new();
    for s in &account.region_settings {
        regions.insert((s.account.clone(), s.region.clone()), ());
    }
    for r in &account.regions {
        if !regions.keys().any(|(_, region)| region == r) {
            regions.insert((account.account_ids.first().cloned(), r.clone()), ());
        }
    }
    for (acct, region) in regions.keys() {
        let settings = account.region_settings(acct.as_deref(), region);
        let imds = settings.and_then(|s| s.imds_defaults.as_ref());
        let facts = RegionFacts {
            region: region.clone(),
            account: acct.clone(),
            ebs_encryption_by_default: settings.and_then(|s| s.ebs_encryption_by_default),
            imds_default_http_tokens: imds.and_then(|m| m.http_tokens.clone()),
            imds_default_hop_limit: imds.and_then(|m| m.hop_limit),
            guardduty_known,
            guardduty_enabled: account.guardduty_detectors.iter().any(|d| {
                d.region == *region
                    && (acct.is_none() || d.account.is_none() || d.account == *acct)
                    && d.status.as_deref().is_none_or(|s| s == "ENABLED")
            }),
            instance_count: account
                .instances
                .iter()
                .filter(|i| i.region == *region)
                .count(),
            serial_console_access: settings.and_then(|s| s.serial_console_access),
        };
        push(
            &mut out,
            Kind::Region,
            &format!("{}/{region}", acct.as_deref().unwrap_or("-")),
            acct,
            Some(region),
            wanted.value(Kind::Region, &facts),
        );
    }

    // Instances.
    let key_pairs_known = coverage.knows("ec2-describe-key-pairs");
    let ssm_known = coverage.knows("ssm-describe-instance-information");
    let admin_roles: HashMap<&str, bool> = account
        .roles
        .iter()
        .map(|r| (r.name.as_str(), policy::role_is_admin(account, r)))
        .collect();
    // The instances' facts are independent of each other: built in parallel (in order).
    let keep = instance_mask(wanted);
    let instances: Vec<Resource> = account
        .instances
        .par_iter()
        .map(|inst| {
            let roles = account.roles_of_instance(&inst.id);
            let enis = account.enis_of_instance(&inst.id);
            let meta = inst.metadata_options.as_ref();
            let facts = InstanceFacts {
                id: inst.id.clone(),
                name: inst.tags.get("Name").cloned(),
                region: inst.region.clone(),
                account: inst.account.clone(),
                state: inst.state.clone(),
                platform: inst.platform.clone(),
                key_name: inst.key_name.clone(),
                key_pair_exists: inst.key_name.as_ref().and_then(|k| {
                    key_pairs_known.then(|| {
                        account
                            .key_pair(inst.account.as_deref(), &inst.region, k)
                            .is_some()
                    })
                }),
                launch_age_days: days_since(inst.launch_time, now),
                public_ip: inst.public_ip.map(|ip| ip.to_string()),
                ipv6_addresses: enis
                    .iter()
                    .flat_map(|e| e.ipv6_addresses.iter().map(|a| a.to_string()))
                    .collect(),
                has_public_address: inst.public_ip.is_some()
                    || enis
                        .iter()
                        .any(|e| e.public_ip.is_some() || !e.ipv6_addresses.is_empty()),
                instance_profile: inst.iam_instance_profile.as_ref().map(|p| p.arn.clone()),
                role_admin: roles
                    .iter()
                    .any(|r| admin_roles.get(r.name.as_str()) == Some(&true)),
                role_names: roles.iter().map(|r| r.name.clone()).collect(),
                http_tokens: meta.and_then(|m| m.http_tokens.clone()),
                http_endpoint: meta.and_then(|m| m.http_endpoint.clone()),
                hop_limit: meta.and_then(|m| m.hop_limit),
                imdsv1: meta.is_some_and(|m| m.allows_imdsv1()),
                ssm_managed: ssm_known.then(|| account.is_ssm_managed(&inst.id)),
                termination_protection: inst.disable_api_termination,
                security_groups: inst.security_group_ids.clone(),
                subnet_id: inst.subnet_id.clone(),
                vpc_id: inst.vpc_id.clone(),
                unencrypted_volumes: inst
                    .block_devices
                    .iter()
                    .filter_map(|b| b.volume_id.as_deref())
                    .filter(|v| {
                        account
                            .volume(v)
                            .is_some_and(|v| v.encrypted == Some(false))
                    })
                    .map(str::to_string)
                    .collect(),
                // Added by `Unexposed::with_exposure`.
                exposure: InstanceExposure::default(),
            };
            resource(
                Kind::Instance,
                &inst.id,
                &inst.account,
                Some(&inst.region),
                instance_value(facts, &keep, false),
            )
        })
        .collect();
    let instances_at = out.len();
    out.extend(instances);

    // Security groups.
    let mut attachments: HashMap<&str, usize> = HashMap::default();
    for eni in &account.network_interfaces {
        for g in &eni.security_group_ids {
            *attachments.entry(g.as_str()).or_default() += 1;
        }
    }
    let mut referenced: HashSet<String> = HashSet::default();
    for sg in &account.security_groups {
        for rule in sg.ingress.iter().chain(&sg.egress) {
            if let RuleSource::Group {
                group_id: Some(g), ..
            } = &rule.source
                && *g != sg.id
            {
                referenced.insert(g.clone());
            }
        }
    }
    for lt in &account.launch_templates {
        for v in &lt.versions {
            referenced.extend(v.security_group_ids.iter().cloned());
            for ni in &v.network_interfaces {
                referenced.extend(ni.security_group_ids.iter().cloned());
            }
        }
    }
    let groups: Vec<Resource> = account
        .security_groups
        .par_iter()
        .map(|sg| {
            let facts = SecurityGroupFacts {
                id: sg.id.clone(),
                name: sg.name.clone(),
                vpc_id: sg.vpc_id.clone(),
                region: sg.region.clone(),
                account: sg.account.clone(),
                is_default: sg.name == "default",
                ingress: sg.ingress.iter().map(rule_facts).collect(),
                egress: sg.egress.iter().map(rule_facts).collect(),
                attachments: attachments.get(sg.id.as_str()).copied().unwrap_or(0),
                instances: account
                    .instances_in_security_group(&sg.id)
                    .iter()
                    .map(|i| i.id.clone())
                    .collect(),
                referenced: referenced.contains(&sg.id),
            };
            resource(
                Kind::SecurityGroup,
                &sg.id,
                &sg.account,
                Some(&sg.region),
                wanted.value(Kind::SecurityGroup, &facts),
            )
        })
        .collect();
    out.extend(groups);

    // NACLs.
    for acl in &account.network_acls {
        let facts = NetworkAclFacts {
            id: acl.id.clone(),
            vpc_id: acl.vpc_id.clone(),
            region: acl.region.clone(),
            account: acl.account.clone(),
            is_default: acl.is_default,
            subnets: acl.subnet_ids.clone(),
            ssh_from_anywhere: nacl_first_match(acl, Some(22), false),
            rdp_from_anywhere: nacl_first_match(acl, Some(3389), false),
            all_from_anywhere: nacl_first_match(acl, None, false),
            ssh_from_anywhere_v6: nacl_first_match(acl, Some(22), true),
            rdp_from_anywhere_v6: nacl_first_match(acl, Some(3389), true),
        };
        push(
            &mut out,
            Kind::NetworkAcl,
            &acl.id,
            &acl.account,
            Some(&acl.region),
            wanted.value(Kind::NetworkAcl, &facts),
        );
    }

    // VPCs.
    let flow_logs_known = coverage.knows("ec2-describe-flow-logs");
    // Instances not terminated, by VPC id: counted once, not once per VPC.
    let mut instances_by_vpc: HashMap<&str, usize> = HashMap::default();
    for i in &account.instances {
        if let Some(v) = i.vpc_id.as_deref()
            && i.state != "terminated"
        {
            *instances_by_vpc.entry(v).or_default() += 1;
        }
    }
    for vpc in &account.vpcs {
        let facts = VpcFacts {
            id: vpc.id.clone(),
            region: vpc.region.clone(),
            account: vpc.account.clone(),
            is_default: vpc.is_default,
            flow_logs_known,
            active_flow_logs: account
                .flow_logs
                .iter()
                .filter(|f| {
                    f.resource_id.as_deref() == Some(vpc.id.as_str())
                        && f.status.as_deref().is_none_or(|s| s == "ACTIVE")
                })
                .count(),
            instances: instances_by_vpc.get(vpc.id.as_str()).copied().unwrap_or(0),
        };
        push(
            &mut out,
            Kind::Vpc,
            &vpc.id,
            &vpc.account,
            Some(&vpc.region),
            wanted.value(Kind::Vpc, &facts),
        );
    }

    // Launch templates: judged on their default version (what a launch without a version gets).
    for lt in &account.launch_templates {
        let version = lt
            .versions
            .iter()
            .find(|v| v.is_default || Some(v.number) == lt.default_version)
            .or_else(|| lt.versions.iter().max_by_key(|v| v.number));
        let meta = version.and_then(|v| v.metadata_options.as_ref());
        let facts = LaunchTemplateFacts {
            id: lt.id.clone(),
            name: lt.name.clone(),
            region: lt.region.clone(),
            account: lt.account.clone(),
            default_version: version.map(|v| v.number),
            key_name: version.and_then(|v| v.key_name.clone()),
            http_tokens: meta.and_then(|m| m.http_tokens.clone()),
            http_endpoint: meta.and_then(|m| m.http_endpoint.clone()),
            // A template that does not set tokens inherits the account default, which is optional
            // unless changed: treat unset as IMDSv1 allowed, as AWS does.
            imdsv1: version.is_some() && meta.is_none_or(|m| m.allows_imdsv1()),
        };
        push(
            &mut out,
            Kind::LaunchTemplate,
            &lt.id,
            &lt.account,
            Some(&lt.region),
            wanted.value(Kind::LaunchTemplate, &facts),
        );
    }

    // Volumes.
    for v in &account.volumes {
        let facts = VolumeFacts {
            id: v.id.clone(),
            region: v.region.clone(),
            account: v.account.clone(),
            state: v.state.clone(),
            encrypted: v.encrypted,
            instances: v
                .attachments
                .iter()
                .filter_map(|a| a.instance_id.clone())
                .collect(),
        };
        push(
            &mut out,
            Kind::Volume,
            &v.id,
            &v.account,
            Some(&v.region),
            wanted.value(Kind::Volume, &facts),
        );
    }

    // Key pairs.
    let mut key_pairs = Vec::new();
    let want_exposed =
        wanted.kind(Kind::KeyPair) && wanted.field(Kind::KeyPair, "exposed_instances");
    for k in &account.key_pairs {
        let instances: Vec<String> = account
            .instances_using_key_pair(k)
            .iter()
            .filter(|i| i.state != "terminated")
            .map(|i| i.id.clone())
            .collect();
        if want_exposed {
            key_pairs.push((out.len(), instances.clone()));
        }
        let facts = KeyPairFacts {
            name: k.name.clone(),
            id: k.id.clone(),
            region: k.region.clone(),
            account: k.account.clone(),
            key_type: k.key_type.clone(),
            fingerprint: k.fingerprint.clone(),
            age_days: days_since(k.create_time, now),
            instances,
            // Added by `Unexposed::with_exposure`.
            exposed_instances: Vec::new(),
            launch_templates: account
                .launch_templates
                .iter()
                .filter(|lt| {
                    lt.region == k.region
                        && lt
                            .versions
                            .iter()
                            .any(|v| v.key_name.as_deref() == Some(k.name.as_str()))
                })
                .map(|lt| lt.id.clone())
                .collect(),
        };
        push(
            &mut out,
            Kind::KeyPair,
            k.id.as_deref().unwrap_or(&k.name),
            &k.account,
            Some(&k.region),
            wanted.value(Kind::KeyPair, &facts),
        );
    }

    // IAM users and their credentials.
    for u in &account.users {
        let report = account.credential_report_row(&u.name);
        let console_access = if u.login_profile_known {
            Some(u.login_profile.is_some())
        } else {
            report.and_then(|r| r.password_enabled)
        };
        let mfa_devices = if u.mfa_known {
            u.mfa_devices.len()
        } else {
            usize::from(report.and_then(|r| r.mfa_active) == Some(true))
        };
        let active_ssh_keys = u.ssh_public_keys.iter().filter(|k| k.is_active()).count();
        let facts = UserFacts {
            name: u.name.clone(),
            arn: u.arn.clone(),
            account: u.account.clone(),
            console_access,
            mfa_known: u.mfa_known || report.and_then(|r| r.mfa_active).is_some(),
            mfa_devices,
            admin: policy::user_is_admin(account, u),
            password_last_used_days: days_since(
                u.password_last_used
                    .or(report.and_then(|r| r.password_last_used)),
                now,
            ),
            active_access_keys: u.access_keys.iter().filter(|k| k.is_active()).count(),
            active_ssh_keys,
            ssh_keys_known: u.ssh_keys_known,
        };
        push(
            &mut out,
            Kind::User,
            &u.arn,
            &u.account,
            None,
            wanted.value(Kind::User, &facts),
        );
        for k in &u.access_keys {
            let last_used = k.last_used.as_ref().and_then(|l| l.date);
            let facts = AccessKeyFacts {
                id: k.id.clone(),
                user: u.name.clone(),
                account: u.account.clone(),
                status: k.status.clone(),
                age_days: days_since(k.create_date, now),
                last_used_days: days_since(last_used, now),
                used: k.last_used.as_ref().map(|l| l.date.is_some()),
            };
            push(
                &mut out,
                Kind::AccessKey,
                &k.id,
                &u.account,
                None,
                wanted.value(Kind::AccessKey, &facts),
            );
        }
        for k in &u.ssh_public_keys {
            let facts = IamSshKeyFacts {
                id: k.id.clone(),
                user: u.name.clone(),
                account: u.account.clone(),
                status: k.status.clone(),
                age_days: days_since(k.upload_date, now),
                fingerprint: k.fingerprint.clone(),
                user_active_keys: active_ssh_keys,
            };
            push(
                &mut out,
                Kind::IamSshKey,
                &k.id,
                &u.account,
                None,
                wanted.value(Kind::IamSshKey, &facts),
            );
        }
    }

    // Trails.
    for t in &account.trails {
        let facts = TrailFacts {
            name: t.name.clone(),
            region: t.region.clone(),
            account: t.account.clone(),
            home_region: t.home_region.clone(),
            multi_region: t.is_multi_region,
            logging: t.status.as_ref().and_then(|s| s.is_logging),
            log_file_validation: t.log_file_validation,
            kms_key_id: t.kms_key_id.clone(),
            cloudwatch_logs: t.cloudwatch_logs_log_group_arn.clone(),
            management_events: trail_records_management(t),
            is_organization: t.is_organization,
        };
        push(
            &mut out,
            Kind::Trail,
            t.arn.as_deref().unwrap_or(&t.name),
            &t.account,
            Some(t.home_region.as_deref().unwrap_or(&t.region)),
            wanted.value(Kind::Trail, &facts),
        );
    }
    Unexposed {
        account,
        wanted,
        resources: out,
        instances_at,
        key_pairs,
    }
}

/// Whether a trail's selectors record all management events (read and write). None = unknown.
fn trail_records_management(t: &cloud::Trail) -> Option<bool> {
    if !t.selectors_known {
        return None;
    }
    if !t.advanced_event_selectors.is_empty() {
        return Some(t.advanced_event_selectors.iter().any(|s| {
            let category = s
                .field_selectors
                .iter()
                .any(|f| f.field == "eventCategory" && f.equals.iter().any(|v| v == "Management"));
            let read_only_filtered = s.field_selectors.iter().any(|f| f.field == "readOnly");
            let sources_excluded = s
                .field_selectors
                .iter()
                .any(|f| f.field == "eventSource" && !f.not_equals.is_empty());
            category && !read_only_filtered && !sources_excluded
        }));
    }
    if t.event_selectors.is_empty() {
        // No selectors at all: CloudTrail's default records all management events.
        return Some(true);
    }
    Some(t.event_selectors.iter().any(|s| {
        s.include_management_events != Some(false)
            && s.read_write_type.as_deref().is_none_or(|r| r == "All")
            && s.exclude_management_event_sources.is_empty()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_fields_are_the_struct_fields() {
        let mut listed: Vec<String> = INSTANCE_FIELDS.iter().map(|s| s.to_string()).collect();
        listed.sort();
        let mut fields = Kind::Instance.fields();
        fields.sort();
        assert_eq!(listed, fields);
    }

    /// An instance's facts as [`Facts::Fields`] are judged, and their evidence looked up, as the
    /// same facts as a JSON object: every instance check over every one of its test resources.
    #[test]
    fn checks_judge_fields_as_they_judge_the_object() {
        use crate::expr::lookup_dotted;
        let checks = crate::builtin_checks().unwrap();
        let thresholds = crate::Config::defaults().threshold_values();
        let mut judged = 0;
        for c in checks.iter().filter(|c| c.kind == Kind::Instance) {
            for t in &c.tests {
                let object = t.resource.as_object().unwrap();
                let fields = Facts::Fields(
                    INSTANCE_FIELDS
                        .iter()
                        .filter_map(|name| Some((*name, object.get(*name)?.clone())))
                        .collect(),
                );
                assert_eq!(fields.to_value(), t.resource, "{}: {}", c.id, t.name);
                for e in std::iter::once(&c.predicate).chain(&c.latent_when) {
                    assert_eq!(
                        e.matches(&fields, &thresholds),
                        e.matches(&t.resource, &thresholds),
                        "{}: {}",
                        c.id,
                        t.name
                    );
                }
                for path in c.fact_names() {
                    assert_eq!(
                        lookup_dotted(&fields, &path),
                        lookup_dotted(&t.resource, &path)
                    );
                }
                judged += 1;
            }
        }
        assert!(judged >= 20, "{judged} instance test resources");
    }

    #[test]
    fn fields_insert_replaces_or_adds_and_have_no_whole() {
        use crate::expr::Fields;
        let mut facts = Facts::Fields(vec![("id", Value::from("i-1"))]);
        facts.insert("exposure", Value::from(1));
        facts.insert("exposure", Value::from(2));
        assert_eq!(facts.field("exposure"), Some(&Value::from(2)));
        assert_eq!(facts.field("id"), Some(&Value::from("i-1")));
        assert_eq!(facts.field("name"), None);
        assert_eq!(facts.whole(), None);
        assert_eq!(
            facts.to_value(),
            serde_json::json!({"id": "i-1", "exposure": 2})
        );
        // The JSON object form behaves the same, and is its own whole.
        let mut object = Facts::from(serde_json::json!({"id": "i-1"}));
        object.insert("exposure", Value::from(1));
        object.insert("exposure", Value::from(2));
        assert_eq!(object.to_value(), facts.to_value());
        assert_eq!(object.whole(), Some(&facts.to_value()));
    }

    #[test]
    fn instance_value_keeps_the_wanted_facts_only() {
        let facts = InstanceFacts {
            id: "i-1".into(),
            public_ip: Some("203.0.113.9".into()),
            security_groups: vec!["sg-1".into()],
            exposure: InstanceExposure {
                ssh: Exposure::Latent,
                ..InstanceExposure::default()
            },
            ..InstanceFacts::default()
        };
        let mut only = vec![None; Kind::ALL.len()];
        only[Kind::Instance as usize] = Some(vec![
            "exposure".to_string(),
            "public_ip".to_string(),
            "security_groups".to_string(),
        ]);
        let wanted = Wanted { only: Some(only) };
        let keep = instance_mask(&wanted);
        assert_eq!(keep.iter().filter(|k| **k).count(), 3);
        let got = instance_value(facts.clone(), &keep, true).to_value();
        assert_eq!(got, wanted.value(Kind::Instance, &facts).to_value());
        let object = got.as_object().unwrap();
        assert_eq!(
            object.keys().collect::<Vec<_>>(),
            ["exposure", "public_ip", "security_groups"]
        );
        // Without exposure, the rest is the same.
        let unexposed = instance_value(facts, &keep, false).to_value();
        assert_eq!(
            unexposed.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["public_ip", "security_groups"]
        );
    }

    #[test]
    fn instance_value_is_to_value() {
        let facts = InstanceFacts {
            id: "i-1".into(),
            name: Some("web".into()),
            region: "us-east-1".into(),
            state: "running".into(),
            key_pair_exists: Some(false),
            launch_age_days: Some(-3),
            ipv6_addresses: vec!["2001:db8::1".into()],
            role_names: vec!["r".into()],
            role_admin: true,
            hop_limit: Some(2),
            security_groups: vec!["sg-1".into(), "sg-2".into()],
            exposure: InstanceExposure {
                ssh: Exposure::Exposed,
                ports: vec!["tcp/22".into()],
                ..InstanceExposure::default()
            },
            ..InstanceFacts::default()
        };
        assert_eq!(
            instance_value(facts.clone(), &instance_mask(&Wanted::all()), true).to_value(),
            to_value(&facts)
        );
        assert_eq!(
            instance_value(
                InstanceFacts::default(),
                &instance_mask(&Wanted::all()),
                true
            )
            .to_value(),
            to_value(&InstanceFacts::default())
        );
    }
}
