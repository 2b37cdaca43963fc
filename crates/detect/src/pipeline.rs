//! source → decode → match → sort → correlate → findings. Matching runs on every core, on the
//! records the rule index says may match; the events that feed correlations are reduced to what
//! the correlations read, ordered by (eventTime, eventID) through the external sorter (per group
//! of correlation tuples, see [`crate::ordered`]) and correlated on every core, so memory stays flat.

use std::borrow::Cow;
use std::io;

use jiff::Timestamp;
use rayon::prelude::*;
use rules::{Correlated, Ruleset};
use serde_json::Value;
use trail::sort::PartitionedSorter;
use trail::{ScanOptions, ScanReport, Source};

use crate::finding::{Finding, Outcome, Severity, finding_id};
use crate::ordered;
use crate::resources::Resources;
use crate::store::{Filed, FindingStore, Layout};

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
    /// Called with a phase's name as it ends (`scan`, `correlate`), for `TRAILHOUND_TIMINGS`.
    pub phase_done: Option<&'a (dyn Fn(&str) + Sync)>,
}

/// What a run found, and what it read.
pub struct Detection {
    pub findings: Vec<Finding>,
    pub report: ScanReport,
}

/// What a run found, in output order, mostly on disk; and what it read.
pub struct Streamed {
    pub findings: FindingStore,
    pub report: ScanReport,
}

/// The fields of one event a finding shows: borrowed from the record (or the encoded summary)
/// they are read from where they can be, as most live only while one finding is written.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct EventInfo<'a> {
    pub(crate) id: Cow<'a, str>,
    pub(crate) time: Cow<'a, str>,
    pub(crate) time_ms: i64,
    pub(crate) name: Cow<'a, str>,
    pub(crate) principal: Option<Cow<'a, str>>,
    pub(crate) source_ip: Option<Cow<'a, str>>,
    pub(crate) account: Option<Cow<'a, str>>,
    pub(crate) region: Option<Cow<'a, str>>,
    pub(crate) error_code: Option<Cow<'a, str>>,
    pub(crate) resources: Resources,
}

#[cfg(test)]
fn text<'v>(v: &'v Value, key: &str) -> Option<Cow<'v, str>> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(Cow::Borrowed)
}

impl EventInfo<'_> {
    /// An event's summary from the whole record parsed: the oracle the typed reading
    /// ([`EventInfo::from_record`]) is tested against.
    #[cfg(test)]
    fn from(v: &Value) -> EventInfo<'_> {
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

impl<'r> EventInfo<'r> {
    /// An event's summary from its typed record, and, with `parts`, the resources its request
    /// and response name (read from their text without parsing them into a tree): the same as
    /// the summary of the whole record parsed when `parts` is set, as the summary reads nothing
    /// else. An error when a part cannot be read.
    fn from_record(rec: &'r trail::Record<'_>, parts: bool) -> Result<EventInfo<'r>, String> {
        let text = |v: Option<&'r str>| v.filter(|s| !s.is_empty()).map(Cow::Borrowed);
        let identity = identity(rec);
        let principal = text(identity.and_then(|i| i.arn.as_deref()))
            .or_else(|| text(identity.and_then(|i| i.invoked_by.as_deref())))
            .or_else(|| text(identity.and_then(|i| i.principal_id.as_deref())));
        let mut resources = Resources::default();
        if parts {
            let source = rec.event_source.as_deref().unwrap_or_default();
            for (part, request) in [
                (rec.request_parameters, true),
                (rec.response_elements, false),
            ] {
                if let Some(part) = part {
                    resources
                        .add_raw_part(part.get(), source, request)
                        .map_err(unreadable_record)?;
                }
            }
        }
        resources.add_caller(identity.and_then(|i| i.arn.as_deref()));
        let time = text(rec.event_time.as_deref()).unwrap_or_default();
        Ok(EventInfo {
            id: text(rec.event_id.as_deref()).unwrap_or_default(),
            time_ms: time
                .parse::<Timestamp>()
                .map(|t| t.as_millisecond())
                .unwrap_or(0),
            time,
            name: text(rec.event_name.as_deref()).unwrap_or_default(),
            principal,
            source_ip: text(rec.source_ip_address.as_deref()),
            account: text(rec.recipient_account_id.as_deref())
                .or_else(|| text(identity.and_then(|i| i.account_id.as_deref()))),
            region: text(rec.aws_region.as_deref()),
            error_code: text(rec.error_code.as_deref()),
            resources,
        })
    }
}

pub use trail::record::short_principal;

/// Why a record the reader passed is refused: it is then reported and counted as skipped.
pub fn unreadable_record(e: serde_json::Error) -> String {
    format!("rules cannot read this record: {e}")
}

/// Fields of the typed record a rule's detection can be gated on without parsing the record.
const GATE_FIELDS: &[&str] = &[
    "eventName",
    "eventSource",
    "userIdentity.type",
    "eventType",
    "errorCode",
    "awsRegion",
    "recipientAccountId",
    "sourceIPAddress",
    "userAgent",
];

/// Reads one string field of the typed record.
type Getter = for<'r> fn(&'r trail::Record<'_>) -> Option<&'r str>;

fn identity<'r>(r: &'r trail::Record<'_>) -> Option<&'r trail::UserIdentity<'r>> {
    r.user_identity.as_ref()
}

fn issuer<'r>(r: &'r trail::Record<'_>) -> Option<&'r trail::SessionIssuer<'r>> {
    identity(r)?
        .session_context
        .as_ref()?
        .session_issuer
        .as_ref()
}

/// Declares the string fields of the typed record, by Sigma field path, and how to read each,
/// both as a table ([`TYPED_FIELDS`]) and as one `match` on the path ([`typed_field`], read
/// per record), from one list. A rule that reads only these is judged on the typed record
/// exactly as on the whole record; gating, light matching and the summary all read through them.
macro_rules! typed_fields {
    ($($path:literal => |$r:ident| $get:expr,)*) => {
        const TYPED_FIELDS: &[(&str, Getter)] = &[$(($path, |$r| $get)),*];

        fn typed_field<'r>(rec: &'r trail::Record<'_>, path: &str) -> Option<&'r str> {
            match path {
                $($path => {
                    let $r = rec;
                    $get
                })*
                _ => None,
            }
        }
    };
}

typed_fields! {
    "eventVersion" => |r| r.event_version.as_deref(),
    "eventTime" => |r| r.event_time.as_deref(),
    "eventSource" => |r| r.event_source.as_deref(),
    "eventName" => |r| r.event_name.as_deref(),
    "awsRegion" => |r| r.aws_region.as_deref(),
    "sourceIPAddress" => |r| r.source_ip_address.as_deref(),
    "userAgent" => |r| r.user_agent.as_deref(),
    "errorCode" => |r| r.error_code.as_deref(),
    "errorMessage" => |r| r.error_message.as_deref(),
    "eventID" => |r| r.event_id.as_deref(),
    "eventType" => |r| r.event_type.as_deref(),
    "recipientAccountId" => |r| r.recipient_account_id.as_deref(),
    "vpcEndpointId" => |r| r.vpc_endpoint_id.as_deref(),
    "userIdentity.type" => |r| identity(r)?.kind.as_deref(),
    "userIdentity.arn" => |r| identity(r)?.arn.as_deref(),
    "userIdentity.accountId" => |r| identity(r)?.account_id.as_deref(),
    "userIdentity.principalId" => |r| identity(r)?.principal_id.as_deref(),
    "userIdentity.accessKeyId" => |r| identity(r)?.access_key_id.as_deref(),
    "userIdentity.userName" => |r| identity(r)?.user_name.as_deref(),
    "userIdentity.invokedBy" => |r| identity(r)?.invoked_by.as_deref(),
    "userIdentity.sessionContext.sessionIssuer.type" => |r| issuer(r)?.kind.as_deref(),
    "userIdentity.sessionContext.sessionIssuer.arn" => |r| issuer(r)?.arn.as_deref(),
    "userIdentity.sessionContext.sessionIssuer.accountId" => |r| issuer(r)?.account_id.as_deref(),
    "userIdentity.sessionContext.sessionIssuer.principalId" => |r| issuer(r)?.principal_id.as_deref(),
    "userIdentity.sessionContext.sessionIssuer.userName" => |r| issuer(r)?.user_name.as_deref(),
}

fn is_typed(path: &str) -> bool {
    TYPED_FIELDS.iter().any(|(p, _)| *p == path)
}

/// What to do with a record before any JSON tree is built for it.
enum Gate {
    /// No rule can match.
    Skip,
    /// Only rules that read typed fields can match: judge them on the light object.
    Light,
    /// Parse the whole record.
    Full,
}

/// Decides from the typed record alone how much of it the rules need. A detection that reads only
/// typed fields is judged on a small object built from them. Any other detection is gated on the
/// typed field whose pinned literal set (every match needs one of them) is smallest, eventName
/// first; one with no such field opens the gate for every record. Comparisons are case-folded, a superset of what the
/// rules accept: never a miss.
struct Prefilter {
    /// A detection that needs the whole record has no gate.
    open: bool,
    /// A detection on typed fields only has no gate.
    light_open: bool,
    /// Per gate field (read through its getter): the values, folded, that call for the whole
    /// record ([`FULL`]) or for the light object ([`LIGHT`]), or both. One lookup per field
    /// serves both.
    gates: Vec<(Getter, foldhash::HashMap<String, u8>)>,
    /// Per detection with no pinned literal set but a condition on a typed string field that
    /// every match needs (a regex on userIdentity.arn, say): that condition, judged on the
    /// typed record.
    checks: Vec<(Getter, rules::ir::Pred)>,
    light_checks: Vec<(Getter, rules::ir::Pred)>,
    /// Per rule: its detection reads only typed fields (no keywords, no fieldref).
    light_rule: Vec<bool>,
    /// Per rule: it emits no findings of its own and every correlation it feeds reads only
    /// typed fields, so its events need no full parse.
    light_feeder: Vec<bool>,
}

/// Gate flags: a value some detection needing the whole record pins, and one some light
/// detection pins.
const FULL: u8 = 1;
const LIGHT: u8 = 2;

/// The flags of the gate values the record holds.
fn gate_flags(gates: &[(Getter, foldhash::HashMap<String, u8>)], rec: &trail::Record<'_>) -> u8 {
    let mut flags = 0;
    for (get, values) in gates {
        // The tables hold folded values, so one lookup of the lowercased value decides.
        if let Some(v) = get(rec)
            && let Some(f) = get_lowercased(values, v)
        {
            flags |= f;
            if flags & FULL != 0 {
                break;
            }
        }
    }
    flags
}

fn check_passes(checks: &[(Getter, rules::ir::Pred)], rec: &trail::Record<'_>) -> bool {
    checks
        .iter()
        .any(|(get, pred)| get(rec).is_some_and(|v| pred.matches_str(v) != Some(false)))
}

/// What `map` (keyed by values folded as the rules fold them) holds for `v` folded, without
/// allocating for short ASCII values (most records' gate fields).
fn get_lowercased<'m, T>(map: &'m foldhash::HashMap<String, T>, v: &str) -> Option<&'m T> {
    let mut buf = [0u8; 128];
    if v.len() <= buf.len() && v.is_ascii() {
        if !v.bytes().any(|b| b.is_ascii_uppercase()) {
            return map.get(v);
        }
        let buf = &mut buf[..v.len()];
        buf.copy_from_slice(v.as_bytes());
        buf.make_ascii_lowercase();
        map.get(std::str::from_utf8(buf).expect("ASCII stays UTF-8"))
    } else {
        map.get(rules::pattern::fold(v).as_ref())
    }
}

/// A condition of `expr` on a typed string field that every match needs and that can be
/// judged on the field's text alone, cheapest kind first.
fn required_check(expr: &rules::ir::Expr) -> Option<(Getter, rules::ir::Pred)> {
    use rules::ir::Pred;
    expr.required()
        .into_iter()
        .filter(|(_, pred)| pred.matches_str("").is_some())
        .filter_map(|(path, pred)| {
            let (_, get) = TYPED_FIELDS.iter().find(|(p, _)| *p == path.text)?;
            let cost = match pred {
                Pred::StrSet { .. } => 0,
                Pred::Str { .. } => 1,
                Pred::Substrings { .. } => 2,
                Pred::Cidr(_) => 3,
                _ => 4,
            };
            Some((cost, *get, pred))
        })
        .min_by_key(|(cost, _, _)| *cost)
        .map(|(_, get, pred)| (get, pred.clone()))
}

impl Prefilter {
    fn new(ruleset: &Ruleset) -> Prefilter {
        // Per gate field, in GATE_FIELDS order: the values pinned, with their flags.
        let mut table: Vec<foldhash::HashMap<String, u8>> =
            GATE_FIELDS.iter().map(|_| Default::default()).collect();
        let (mut checks, mut light_checks) = (Vec::new(), Vec::new());
        let (mut open, mut light_open) = (false, false);
        let mut light_rule = vec![false; ruleset.rules().len()];
        for (i, rule) in ruleset.rules().iter().enumerate() {
            let Some(expr) = ruleset.detection(i) else {
                continue;
            };
            let needs = &rule.needs;
            let light = !needs.keywords
                && !needs.modifiers.contains("fieldref")
                && needs.fields.iter().all(|f| is_typed(f));
            light_rule[i] = light;
            // eventName when it is pinned (the most selective field by far: `eventSource:
            // ec2.amazonaws.com` is one value but half the records), else the smallest set.
            let best = GATE_FIELDS
                .iter()
                .enumerate()
                .filter_map(|(gi, f)| expr.pinned(f).map(|v| (gi, v)))
                .min_by_key(|(gi, v)| (GATE_FIELDS[*gi] != "eventName", v.len()));
            let (flag, checks, no_gate) = if light {
                (LIGHT, &mut light_checks, &mut light_open)
            } else {
                (FULL, &mut checks, &mut open)
            };
            match best {
                Some((gi, values)) => {
                    for v in values {
                        *table[gi].entry(v).or_default() |= flag;
                    }
                }
                None => match required_check(expr) {
                    // Judged on the typed record's field exactly as on the object the rule
                    // sees (the light object holds that same string; so does the record).
                    Some(check) => checks.push(check),
                    None => *no_gate = true,
                },
            }
        }
        let gates = GATE_FIELDS
            .iter()
            .zip(table)
            .filter(|(_, values)| !values.is_empty())
            .map(|(field, values)| {
                let (_, get) = TYPED_FIELDS
                    .iter()
                    .find(|(path, _)| path == field)
                    .expect("every gate field is a typed field");
                (*get, values)
            })
            .collect();
        // Correlations that read only typed fields take them from the typed record too.
        let mut light_feeder = vec![false; ruleset.rules().len()];
        for c in ruleset.correlations() {
            let fields = correlation_fields(c);
            if fields.iter().all(|p| is_typed(p)) {
                for &r in &c.rules {
                    light_feeder[r] = true;
                }
            }
        }
        // A rule that also feeds a correlation reading other fields needs the whole record.
        for c in ruleset.correlations() {
            if !correlation_fields(c).iter().all(|p| is_typed(p)) {
                for &r in &c.rules {
                    light_feeder[r] = false;
                }
            }
        }
        Prefilter {
            open,
            light_open,
            gates,
            checks,
            light_checks,
            light_rule,
            light_feeder,
        }
    }

    fn gate(&self, rec: &trail::Record<'_>) -> Gate {
        if self.open {
            return Gate::Full;
        }
        let flags = gate_flags(&self.gates, rec);
        if flags & FULL != 0 || check_passes(&self.checks, rec) {
            Gate::Full
        } else if self.light_open || flags & LIGHT != 0 || check_passes(&self.light_checks, rec) {
            Gate::Light
        } else {
            Gate::Skip
        }
    }
}

/// The fields one correlation reads, as dotted paths.
fn correlation_fields(c: &rules::Correlation) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in &c.group_by {
        out.push(g.default.text.clone());
        out.extend(g.per_rule.values().map(|p| p.text.clone()));
    }
    out.extend(c.value_field.iter().map(|p| p.text.clone()));
    out
}

/// Runs the ruleset over the sources; the findings come back in memory, in output order.
pub fn detect(
    sources: &[Source],
    ruleset: &Ruleset,
    opts: &DetectOptions<'_>,
) -> io::Result<Detection> {
    let streamed = detect_streamed(sources, ruleset, opts)?;
    Ok(Detection {
        findings: streamed.findings.into_findings(None)?,
        report: streamed.report,
    })
}

/// What the records of one source bring, gathered on the core that read them.
#[derive(Default)]
struct Collected {
    singles: Filed,
    ordered: ordered::Payloads,
    /// The newest event that feeds a correlation.
    last_ms: Option<i64>,
}

/// Runs the ruleset over the sources; the findings are kept in output order in a store that
/// spills to temporary files beyond `opts.sort_memory`, so memory stays flat however many fire.
pub fn detect_streamed(
    sources: &[Source],
    ruleset: &Ruleset,
    opts: &DetectOptions<'_>,
) -> io::Result<Streamed> {
    let rules = ruleset.rules();
    // Rules whose matches feed a correlation: only those events need time order.
    let mut feeds_correlation = vec![false; rules.len()];
    for c in ruleset.correlations() {
        for &r in &c.rules {
            feeds_correlation[r] = true;
        }
    }
    let chained: Vec<bool> = (0..ruleset.correlations().len())
        .map(|ci| ruleset.is_chained(ci))
        .collect();
    let prefilter = Prefilter::new(ruleset);
    let mut sorter = PartitionedSorter::new(ordered::PARTITIONS + 1, opts.sort_memory);
    let mut last_ms: Option<i64> = None;
    let mut spill_error = None;
    let layout = Layout::new(rules);
    // A quarter of the budget: findings are written once and read back once, and memory the
    // process has not touched yet is dear (every fresh page is zeroed by the kernel).
    let mut store = FindingStore::new(layout.clone(), (opts.sort_memory / 4).max(1));
    let file = |rule: usize, mut f: Finding, out: &mut Filed| {
        if let Some(e) = opts.enricher {
            e.enrich(&mut f);
        }
        layout.file(rule, &f, out);
    };
    let report = trail::scan_batches(
        sources,
        &opts.scan,
        |batch: &mut Collected, rec, raw, time| {
            // Light rules read typed fields only: they are judged on the typed record itself.
            let get = |path: &rules::ir::FieldPath| typed_field(rec, &path.text);
            let light = match prefilter.gate(rec) {
                Gate::Skip => return Ok(()),
                Gate::Light => {
                    // Rules gated on other fields cannot match here: their pinned field fails.
                    let hits = ruleset.matches_strings(
                        rec.event_name.as_deref(),
                        rec.event_source.as_deref(),
                        &get,
                        |rule| prefilter.light_rule[rule],
                    );
                    if hits.is_empty() {
                        return Ok(());
                    }
                    Some(hits)
                }
                Gate::Full => None,
            };
            // An event that only feeds correlations reading typed fields needs no full parse:
            // the typed record holds what they and the finding's summary read. One that emits
            // findings needs the resources its request and response name as well: only those
            // two are parsed, unless it also feeds a correlation reading other fields.
            let (hits, value, info) = match light {
                Some(hits)
                    if hits
                        .iter()
                        .all(|h| !rules[h.rule].emits && prefilter.light_feeder[h.rule]) =>
                {
                    (hits, None, EventInfo::from_record(rec, false)?)
                }
                Some(hits)
                    if hits
                        .iter()
                        .all(|h| !feeds_correlation[h.rule] || prefilter.light_feeder[h.rule]) =>
                {
                    (hits, None, EventInfo::from_record(rec, true)?)
                }
                Some(hits) => {
                    let value: Value =
                        serde_json::from_str(raw.get()).map_err(unreadable_record)?;
                    (hits, Some(value), EventInfo::from_record(rec, true)?)
                }
                None => {
                    let value: Value =
                        serde_json::from_str(raw.get()).map_err(unreadable_record)?;
                    let hits = ruleset.matches(&value);
                    if hits.is_empty() {
                        return Ok(());
                    }
                    (hits, Some(value), EventInfo::from_record(rec, true)?)
                }
            };
            // Single-event findings are written here, on every core; only events that feed a
            // correlation are kept, in time order, for the correlator.
            for h in hits.iter().filter(|h| rules[h.rule].emits) {
                let f = single_ref(&rules[h.rule], &info);
                match opts.enricher {
                    Some(_) => file(h.rule, f.to_finding(), &mut batch.singles),
                    None => layout.file_single(h.rule, &f, &mut batch.singles),
                }
            }
            if hits.iter().any(|h| feeds_correlation[h.rule]) {
                // Payloads: per partition, what each correlation reads of the event (its
                // group-by tuple and counted value) and the event's summary, in binary.
                let inputs = match &value {
                    Some(value) => ruleset.correlation_inputs(value, &hits),
                    // Every correlation it feeds reads typed fields only.
                    None => ruleset.correlation_inputs_strings(&get, &hits),
                };
                let time_ns = time.as_nanosecond();
                let id = rec.event_id.as_deref().unwrap_or_default();
                batch.last_ms = batch.last_ms.max(Some(info.time_ms));
                for (part, inputs) in ordered::split(inputs, &chained) {
                    batch.ordered.push(part, time_ns, id, &inputs, &info);
                }
            }
            Ok(())
        },
        |batch| {
            if spill_error.is_none()
                && let Err(e) = store.push(batch.singles)
            {
                spill_error = Some(e);
            }
            last_ms = last_ms.max(batch.last_ms);
            if spill_error.is_none()
                && let Err(e) = batch.ordered.drain_into(&mut sorter)
            {
                spill_error = Some(e);
            }
        },
    );
    if let Some(e) = spill_error {
        return Err(e);
    }
    let phase_done = |name: &str| {
        if let Some(f) = opts.phase_done {
            f(name)
        }
    };
    phase_done("scan");

    // How long an event can still be part of a correlation: beyond that its summary is dropped.
    let horizon_ms = ruleset
        .correlations()
        .iter()
        .filter(|c| c.kind != rules::CorrelationType::FirstSeen)
        .map(|c| c.timespan_ms)
        .try_fold(0i64, |acc, span| span.map(|s| acc.max(s)));
    let last_ms = last_ms.unwrap_or(i64::MIN);
    let correlated: Vec<io::Result<Filed>> = sorter
        .finish()?
        .into_par_iter()
        .map(|part| {
            let mut filed = Filed::default();
            for (rule, f) in ordered::correlate(part, ruleset, horizon_ms, last_ms)? {
                file(rule, f, &mut filed);
            }
            Ok(filed)
        })
        .collect();
    for filed in correlated {
        store.push(filed?)?;
    }
    phase_done("correlate");
    Ok(Streamed {
        findings: store,
        report,
    })
}

fn severity(rule: &rules::RuleInfo) -> Severity {
    Severity::parse(rule.level.as_str()).unwrap_or(Severity::Medium)
}

/// A single-event finding borrowing from its rule and event, written as the [`Finding`] it
/// stands for by [`crate::store::Layout::write_single`]. Its serde form (same fields in the same
/// order; `source_ips` and `context`, empty until enrichment, left out as `Finding` leaves them
/// out when empty) is that writer's reference in tests.
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct SingleRef<'a> {
    id: String,
    rule_id: &'a str,
    title: &'a str,
    pub(crate) severity: Severity,
    pub(crate) outcome: Outcome,
    pub(crate) event_ids: &'a [Cow<'a, str>],
    pub(crate) event_name: &'a str,
    pub(crate) event_time: &'a str,
    pub(crate) principal: Option<&'a str>,
    pub(crate) source_ip: Option<&'a str>,
    pub(crate) account: Option<&'a str>,
    pub(crate) region: Option<&'a str>,
    pub(crate) error_code: Option<&'a str>,
    pub(crate) resources: &'a Resources,
    attack: &'a [String],
    kb: Option<&'a str>,
    pub(crate) story: String,
}

impl SingleRef<'_> {
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn to_finding(&self) -> Finding {
        Finding {
            id: self.id.clone(),
            rule_id: self.rule_id.to_string(),
            title: self.title.to_string(),
            severity: self.severity,
            outcome: self.outcome,
            event_ids: self.event_ids.iter().map(|id| id.to_string()).collect(),
            event_name: self.event_name.to_string(),
            event_time: self.event_time.to_string(),
            principal: self.principal.map(str::to_string),
            source_ip: self.source_ip.map(str::to_string),
            source_ips: Vec::new(),
            account: self.account.map(str::to_string),
            region: self.region.map(str::to_string),
            error_code: self.error_code.map(str::to_string),
            resources: self.resources.clone(),
            attack: self.attack.to_vec(),
            kb: self.kb.map(str::to_string),
            story: self.story.clone(),
            context: Vec::new(),
        }
    }
}

pub(crate) fn single_ref<'a>(rule: &'a rules::RuleInfo, e: &'a EventInfo<'_>) -> SingleRef<'a> {
    let failed = e.error_code.is_some();
    let base = severity(rule);
    let ids = std::slice::from_ref(&e.id);
    let who = e
        .principal
        .as_deref()
        .map(short_principal)
        .unwrap_or("unknown caller");
    // "<who> <event> (<resources>) from <ip> — refused: <code>", written in one buffer.
    let mut story = String::with_capacity(128);
    for part in [who, " ", &e.name, " ("] {
        story.push_str(part);
    }
    let before = story.len();
    e.resources.write_brief(&mut story);
    if story.len() == before {
        story.truncate(before - " (".len());
    } else {
        story.push(')');
    }
    if let Some(ip) = &e.source_ip {
        story.push_str(" from ");
        story.push_str(ip);
    }
    if let Some(code) = &e.error_code {
        story.push_str(" — refused: ");
        story.push_str(code);
    }
    SingleRef {
        id: finding_id(&rule.rule_id, ids),
        rule_id: &rule.rule_id,
        title: &rule.title,
        severity: if failed { base.lowered() } else { base },
        outcome: if failed {
            Outcome::Failed
        } else {
            Outcome::Succeeded
        },
        event_ids: ids,
        event_name: &e.name,
        event_time: &e.time,
        principal: e.principal.as_deref(),
        source_ip: e.source_ip.as_deref(),
        account: e.account.as_deref(),
        region: e.region.as_deref(),
        error_code: e.error_code.as_deref(),
        resources: &e.resources,
        attack: &rule.attack,
        kb: rule.kb.as_deref(),
        story,
    }
}

#[cfg(test)]
fn single(rule: &rules::RuleInfo, e: &EventInfo) -> Finding {
    single_ref(rule, e).to_finding()
}

#[cfg(test)]
pub(crate) fn correlated(
    rule: &rules::RuleInfo,
    c: &Correlated,
    infos: &std::collections::HashMap<String, EventInfo>,
) -> Finding {
    let events: Vec<EventInfo> = c
        .event_ids
        .iter()
        .filter_map(|id| infos.get(id).cloned())
        .collect();
    let mut resources = Resources::default();
    for e in &events {
        resources.merge(&e.resources);
    }
    correlated_events(rule, c.clone(), &events, resources)
}

/// The finding of a fired correlation, from the summaries still held of its events (in the
/// order of its event ids) and the resources they name, merged.
pub(crate) fn correlated_events(
    rule: &rules::RuleInfo,
    c: Correlated,
    events: &[EventInfo<'_>],
    resources: Resources,
) -> Finding {
    let first = events.first();
    let mut names: Vec<&str> = Vec::new();
    for e in events {
        if !names.contains(&e.name.as_ref()) {
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
        event_ids: c.event_ids,
        event_name: names.join(","),
        event_time: first
            .map(|e| e.time.to_string())
            .unwrap_or_else(|| c.first_time.to_string()),
        principal: first.and_then(|e| e.principal.as_deref().map(str::to_string)),
        source_ip: first.and_then(|e| e.source_ip.as_deref().map(str::to_string)),
        source_ips: if ips.len() > 1 {
            ips.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        },
        account: first.and_then(|e| e.account.as_deref().map(str::to_string)),
        region: first.and_then(|e| e.region.as_deref().map(str::to_string)),
        error_code: if failed {
            first.and_then(|e| e.error_code.as_deref().map(str::to_string))
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

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, VecDeque};
    use std::path::{Path, PathBuf};

    use rules::RuleMatch;
    use trail::sort::{ExternalSorter, SortKey};

    use super::*;

    /// Copies the value at `path` (descending into objects; an array is copied whole) into `dst`.
    fn project(src: &Value, path: &[String], dst: &mut serde_json::Map<String, Value>) {
        let Some((head, rest)) = path.split_first() else {
            return;
        };
        let Some(child) = src.get(head) else { return };
        if rest.is_empty() || !child.is_object() {
            dst.insert(head.clone(), child.clone());
            return;
        }
        let slot = dst
            .entry(head.clone())
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(map) = slot {
            project(child, rest, map);
        }
    }

    /// Every field the correlations read: what an event needs to carry into the time-ordered phase.
    fn correlation_paths(ruleset: &Ruleset) -> Vec<Vec<String>> {
        let mut paths: Vec<Vec<String>> = vec![vec!["eventTime".into()], vec!["eventID".into()]];
        for c in ruleset.correlations() {
            for g in &c.group_by {
                paths.push(g.default.segments.clone());
                paths.extend(g.per_rule.values().map(|p| p.segments.clone()));
            }
            paths.extend(c.value_field.iter().map(|p| p.segments.clone()));
        }
        paths.sort();
        paths.dedup();
        paths
    }

    /// The typed record as a small JSON object holding the typed fields it has of `fields` (a
    /// subset of [`TYPED_FIELDS`], in its order): what the
    /// pipeline judged light rules on before it read the typed record directly.
    fn light_value(rec: &trail::Record<'_>, fields: &[(&'static str, Getter)]) -> Value {
        let mut root = serde_json::Map::new();
        'fields: for (path, get) in fields {
            let Some(v) = get(rec) else {
                continue;
            };
            let (parents, leaf) = match path.rsplit_once('.') {
                Some((parents, leaf)) => (Some(parents), leaf),
                None => (None, *path),
            };
            let mut map = &mut root;
            for segment in parents.into_iter().flat_map(|p| p.split('.')) {
                let slot = map
                    .entry(segment)
                    .or_insert_with(|| Value::Object(Default::default()));
                // Only objects are ever inserted on the way down; anything else is left alone.
                let Value::Object(next) = slot else {
                    continue 'fields;
                };
                map = next;
            }
            map.insert(leaf.to_string(), Value::from(v));
        }
        Value::Object(root)
    }

    /// The pipeline as it was before the partitioned, binary ordered phase: JSON payloads through
    /// one global external sort, re-parsed and correlated on one thread.
    fn detect_old(
        sources: &[Source],
        ruleset: &Ruleset,
        opts: &DetectOptions<'_>,
    ) -> io::Result<Detection> {
        let rules = ruleset.rules();
        // Rules whose matches feed a correlation: only those events need time order.
        let mut feeds_correlation = vec![false; rules.len()];
        for c in ruleset.correlations() {
            for &r in &c.rules {
                feeds_correlation[r] = true;
            }
        }
        let prefilter = Prefilter::new(ruleset);
        let corr_paths = correlation_paths(ruleset);
        let mut sorter = ExternalSorter::new(opts.sort_memory);
        let mut spill_error = None;
        let mut findings: Vec<Finding> = Vec::new();
        let report = trail::scan(
            sources,
            &opts.scan,
            |rec, raw, time| {
                let light = match prefilter.gate(rec) {
                    Gate::Skip => return Ok(None),
                    Gate::Light => {
                        // Rules gated on other fields cannot match here: their pinned field fails.
                        let light = light_value(rec, TYPED_FIELDS);
                        let hits = ruleset.matches(&light);
                        if hits.is_empty() {
                            return Ok(None);
                        }
                        Some((hits, light))
                    }
                    Gate::Full => None,
                };
                // An event that only feeds correlations reading typed fields needs no full parse:
                // the light object carries what they and the finding's summary read.
                let (hits, value) = match light {
                    Some((hits, light))
                        if hits
                            .iter()
                            .all(|h| !rules[h.rule].emits && prefilter.light_feeder[h.rule]) =>
                    {
                        (hits, light)
                    }
                    Some((hits, _)) => (
                        hits,
                        serde_json::from_str(raw.get()).map_err(unreadable_record)?,
                    ),
                    None => {
                        let value: Value =
                            serde_json::from_str(raw.get()).map_err(unreadable_record)?;
                        (ruleset.matches(&value), value)
                    }
                };
                if hits.is_empty() {
                    return Ok(None);
                }
                // Single-event findings are built here, on every core; only events that feed a
                // correlation are kept, in time order, for the correlator.
                let info = EventInfo::from(&value);
                let singles: Vec<Finding> = hits
                    .iter()
                    .filter(|h| rules[h.rule].emits)
                    .map(|h| single(&rules[h.rule], &info))
                    .collect();
                let ordered = hits.iter().any(|h| feeds_correlation[h.rule]).then(|| {
                    // Payload: the rule indexes, the event's summary, and only the fields the
                    // correlations read, one per line: small to sort, quick to read back.
                    let mut projection = serde_json::Map::new();
                    for path in &corr_paths {
                        project(&value, path, &mut projection);
                    }
                    let mut payload: Vec<u8> = hits
                        .iter()
                        .map(|h| h.rule.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                        .into_bytes();
                    payload.push(b'\n');
                    payload.extend(serde_json::to_vec(&info).expect("strings serialise"));
                    payload.push(b'\n');
                    payload.extend(
                        serde_json::to_vec(&Value::Object(projection)).expect("values serialise"),
                    );
                    let key = SortKey {
                        time_ns: time.as_nanosecond(),
                        event_id: rec.event_id.as_deref().unwrap_or_default().to_string(),
                    };
                    (key, payload)
                });
                Ok(Some((singles, ordered)))
            },
            |(singles, ordered)| {
                findings.extend(singles);
                if let Some((key, payload)) = ordered
                    && spill_error.is_none()
                    && let Err(e) = sorter.push(key, payload)
                {
                    spill_error = Some(e);
                }
            },
        );
        if let Some(e) = spill_error {
            return Err(e);
        }

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
        sorter.finish(|_, payload| {
            let mut lines = payload.splitn(3, |&b| b == b'\n');
            let (Some(rule_list), Some(info), Some(projection)) =
                (lines.next(), lines.next(), lines.next())
            else {
                return Ok(());
            };
            let hits: Vec<RuleMatch> = std::str::from_utf8(rule_list)
                .unwrap_or_default()
                .split(',')
                .filter_map(|n| n.parse().ok())
                .map(|rule| RuleMatch { rule })
                .collect();
            let (Ok(info), Ok(value)) = (
                serde_json::from_slice::<EventInfo>(info),
                serde_json::from_slice::<Value>(projection),
            ) else {
                return Ok(());
            };
            let fired = correlator.feed(&value, &hits);
            {
                if let Some(h) = horizon_ms {
                    while order.front().is_some_and(|(t, _)| *t < info.time_ms - h) {
                        if let Some((_, id)) = order.pop_front() {
                            infos.remove(&id);
                        }
                    }
                }
                order.push_back((info.time_ms, info.id.to_string()));
                infos.insert(info.id.to_string(), info);
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

    fn shared(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared")
            .join(rel)
    }

    /// Findings as the JSON lines `detect` prints: every field compared.
    fn lines(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| serde_json::to_string(f).unwrap())
            .collect()
    }

    /// The new ordered phase gives exactly the old one's findings, every field of them, whether
    /// the ordered events stay in memory or spill (one budget for every partition).
    fn same_as_old(paths: &[PathBuf], ruleset: &Ruleset, min_findings: usize) {
        let paths: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
        let found = trail::discover(&paths);
        let run = |budget: usize, new: bool| {
            let opts = DetectOptions {
                scan: ScanOptions::default(),
                phase_done: None,
                sort_memory: budget,
                enricher: None,
            };
            let d = if new {
                detect(&found.sources, ruleset, &opts)
            } else {
                detect_old(&found.sources, ruleset, &opts)
            };
            let d = d.unwrap();
            assert!(!d.report.skipped_anything(), "{:?}", d.report.problems);
            lines(&d.findings)
        };
        let old = run(64 << 20, false);
        assert!(old.len() >= min_findings, "{}", old.len());
        assert_eq!(run(64 << 20, true), old, "in memory");
        assert_eq!(run(1 << 12, true), old, "spilled");
        assert_eq!(run(1, true), old, "a spill per event");
    }

    #[test]
    fn gate_lookups_fold_values_as_the_rules_fold_literals() {
        let long = "A".repeat(200);
        let map: foldhash::HashMap<String, u8> = ["runinstances", "σασ", &long.to_lowercase()]
            .into_iter()
            .enumerate()
            .map(|(i, v)| (v.to_string(), i as u8))
            .collect();
        for (hit, want) in [
            ("RunInstances", 0),
            ("runinstances", 0),
            ("ΣΑΣ", 1),
            ("σας", 1),
            (&long, 2),
        ] {
            assert_eq!(get_lowercased(&map, hit), Some(&want), "{hit}");
        }
        for miss in ["StopInstances", "RunInstance", "σα", ""] {
            assert_eq!(get_lowercased(&map, miss), None, "{miss}");
        }
    }

    #[test]
    fn ordered_phase_equals_the_old_one_on_the_sample_incident() {
        let loaded = rules::RulesetBuilder::default()
            .with_builtin()
            .build()
            .expect("the pack compiles");
        let trail = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/trail");
        same_as_old(&[trail], &loaded.ruleset, 10);
    }

    #[test]
    fn ordered_phase_equals_the_old_one_on_the_public_corpus() {
        let loaded = rules::RulesetBuilder::default()
            .with_builtin()
            .with_dir(&shared("corpus/sigma/rules"))
            .with_dir(&shared("corpus/sigma/unsupported-aggregation"))
            .build()
            .expect("rules compile");
        let trail = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/trail");
        same_as_old(&[shared("corpus/cloudtrail"), trail], &loaded.ruleset, 100);
    }

    #[test]
    fn a_record_rules_cannot_read_is_reported_and_the_rest_detected() {
        let record = |id: &str, extra: &str| {
            format!(
                r#"{{"eventVersion":"1.08","eventID":"{id}","eventTime":"2024-05-04T02:10:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateKeyPair","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"}},"requestParameters":{{"keyName":"k"{extra}}},"recipientAccountId":"111122223333"}}"#
            )
        };
        // 1e400 is valid JSON the reader passes, but no JSON tree can hold it as a number.
        let text = format!(
            r#"{{"Records":[{},{}]}}"#,
            record("11111111-0000-0000-0000-000000000001", ""),
            record("11111111-0000-0000-0000-000000000002", r#","big":1e400"#)
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trail.json");
        std::fs::write(&file, text).unwrap();
        let loaded = rules::RulesetBuilder::default()
            .with_builtin()
            .build()
            .unwrap();
        let opts = DetectOptions {
            scan: ScanOptions::default(),
            phase_done: None,
            sort_memory: 1 << 20,
            enricher: None,
        };
        let d = detect(&[trail::Source::file(&file)], &loaded.ruleset, &opts).unwrap();
        let ids: Vec<&str> = d
            .findings
            .iter()
            .flat_map(|f| f.event_ids.iter().map(String::as_str))
            .collect();
        assert!(
            ids.contains(&"11111111-0000-0000-0000-000000000001"),
            "{ids:?}"
        );
        assert!(!ids.contains(&"11111111-0000-0000-0000-000000000002"));
        assert!(d.report.skipped_anything());
        assert_eq!((d.report.records, d.report.skipped_records), (1, 1));
        let problem = &d.report.problems[0];
        assert_eq!(problem.at, trail::Where::Record(1));
        assert!(
            problem.message.contains("rules cannot read this record"),
            "{}",
            problem.message
        );
    }
}
