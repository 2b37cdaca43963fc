//! Correlation rules (Sigma `correlation:` documents, the old `| count()` / `| near` syntax
//! translated to them, and the trailhound `first_seen` extension) and the streaming
//! [`Correlator`] that evaluates them over matched events in time order.

use std::collections::{HashMap, HashSet, VecDeque};

use jiff::Timestamp;
use serde_json::Value;

use crate::ir::FieldPath;
use crate::{RuleMatch, Ruleset};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
    /// trailhound extension: fires on the first event of each group-by tuple.
    FirstSeen,
}

impl CorrelationType {
    pub fn parse(s: &str) -> Option<CorrelationType> {
        Some(match s {
            "event_count" => CorrelationType::EventCount,
            "value_count" => CorrelationType::ValueCount,
            "temporal" => CorrelationType::Temporal,
            "temporal_ordered" => CorrelationType::TemporalOrdered,
            "first_seen" => CorrelationType::FirstSeen,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
            CorrelationType::FirstSeen => "first_seen",
        }
    }
}

/// The comparison a correlation's metric must satisfy; every bound present must hold.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Condition {
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    pub eq: Option<f64>,
}

impl Condition {
    pub fn holds(&self, x: f64) -> bool {
        self.gt.is_none_or(|v| x > v)
            && self.gte.is_none_or(|v| x >= v)
            && self.lt.is_none_or(|v| x < v)
            && self.lte.is_none_or(|v| x <= v)
            && self.eq.is_none_or(|v| x == v)
    }
    /// Only lower bounds: once true it stays true as events are added, so it can fire at once.
    pub fn monotone(&self) -> bool {
        self.lt.is_none() && self.lte.is_none() && self.eq.is_none()
    }
    pub fn is_empty(&self) -> bool {
        *self == Condition::default()
    }
}

/// One group-by key: its name and the field it reads in each base rule (aliases may differ).
#[derive(Clone, Debug)]
pub struct GroupField {
    pub name: String,
    pub default: FieldPath,
    pub per_rule: HashMap<usize, FieldPath>,
}

/// A compiled correlation. `rules` are indexes in [`Ruleset::rules`] of its base detections
/// or of other correlations (chaining).
#[derive(Clone, Debug)]
pub struct Correlation {
    pub rule: usize,
    pub kind: CorrelationType,
    pub rules: Vec<usize>,
    pub group_by: Vec<GroupField>,
    /// Milliseconds; `None` = the whole input is one window.
    pub timespan_ms: Option<i64>,
    pub condition: Condition,
    pub value_field: Option<FieldPath>,
}

/// Parses `30s`, `5m`, `1h`, `2d`, `1w` into milliseconds.
pub fn parse_timespan(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let unit = s.chars().last().ok_or("empty timespan")?;
    let n: i64 = s[..s.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| format!("timespan `{s}` is not NUMBER followed by s, m, h, d or w"))?;
    let ms = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return Err(format!("timespan `{s}`: unit must be s, m, h, d or w")),
    };
    if n <= 0 {
        return Err(format!("timespan `{s}` must be positive"));
    }
    Ok(n * ms)
}

/// A correlation that fired, with every event behind it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Correlated {
    /// Index of the correlation rule in [`Ruleset::rules`].
    pub rule: usize,
    pub rule_id: String,
    /// `eventID`s, in the order the events arrived, without repeats.
    pub event_ids: Vec<String>,
    pub first_time: Timestamp,
    pub last_time: Timestamp,
    /// The group-by tuple: `(name, value)`; a missing field is the empty string.
    pub group: Vec<(String, String)>,
    /// The metric that satisfied the condition (event count, distinct values, rules seen).
    pub value: f64,
}

#[derive(Clone, Debug)]
struct Ev {
    t: i64,
    /// One id for a record; all of them for a chained correlation's result.
    ids: Vec<String>,
    /// Bit `i` set when the input matched `rules[i]`.
    mask: u64,
    value: Option<String>,
}

/// The positions of the bits set in `mask`, lowest first.
fn set_bits(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let bit = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            bit
        })
    })
}

struct Group {
    events: VecDeque<Ev>,
    /// Running tallies over `events` (monotone conditions), so a window is judged in constant
    /// time per event instead of by a rescan: distinct values, and events per base rule.
    values: foldhash::HashMap<String, usize>,
    per_rule: [usize; 64],
    /// Start of the current tumbling window (non-monotone conditions).
    window_start: Option<i64>,
}

impl Default for Group {
    fn default() -> Self {
        Group {
            events: VecDeque::new(),
            values: Default::default(),
            per_rule: [0; 64],
            window_start: None,
        }
    }
}

impl Group {
    fn count(&mut self, ev: &Ev) {
        if let Some(v) = &ev.value {
            // Most values were seen before: count them without cloning.
            match self.values.get_mut(v) {
                Some(n) => *n += 1,
                None => {
                    self.values.insert(v.clone(), 1);
                }
            }
        }
        for bit in set_bits(ev.mask) {
            self.per_rule[bit] += 1;
        }
    }

    fn forget(&mut self, ev: &Ev) {
        if let Some(v) = &ev.value
            && let Some(n) = self.values.get_mut(v)
        {
            *n -= 1;
            if *n == 0 {
                self.values.remove(v);
            }
        }
        for bit in set_bits(ev.mask) {
            self.per_rule[bit] = self.per_rule[bit].saturating_sub(1);
        }
    }

    /// A necessary condition for [`evaluate`] to fire, from the tallies alone.
    fn may_fire(&self, corr: &Correlation) -> bool {
        let rules_seen = || self.per_rule.iter().filter(|n| **n > 0).count() as f64;
        let all_rules = corr.rules.len() as f64;
        match corr.kind {
            CorrelationType::EventCount => corr.condition.holds(self.events.len() as f64),
            CorrelationType::ValueCount => corr.condition.holds(self.values.len() as f64),
            CorrelationType::Temporal | CorrelationType::TemporalOrdered
                if corr.condition.is_empty() =>
            {
                rules_seen() == all_rules
            }
            CorrelationType::Temporal => corr.condition.holds(rules_seen()),
            _ => true,
        }
    }
}

/// What one event brings to one correlation, read from the event alone (so it can be taken on
/// any core, and the event need not be kept): the group-by tuple and the counted value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrelationInput {
    /// Index in [`Ruleset::correlations`].
    pub correlation: usize,
    /// Bit `i` set when the event matched the correlation's `rules[i]`.
    pub mask: u64,
    /// The group-by values (a missing field is the empty string).
    pub key: Vec<String>,
    /// The `value_count` field's value.
    pub value: Option<String>,
}

impl Ruleset {
    /// For every correlation the event feeds through `matches`: its group-by tuple and value, in
    /// the order [`Correlator::feed`] takes them.
    pub fn correlation_inputs(
        &self,
        event: &Value,
        matches: &[RuleMatch],
    ) -> Vec<CorrelationInput> {
        self.correlation_inputs_with(&|path| first_value(path, event), matches)
    }

    /// [`Ruleset::correlation_inputs`] of an event whose fields are all strings or absent, read
    /// through `get` (see [`crate::ir::Expr::eval_strings`]).
    pub fn correlation_inputs_strings<'s>(
        &self,
        get: &dyn Fn(&FieldPath) -> Option<&'s str>,
        matches: &[RuleMatch],
    ) -> Vec<CorrelationInput> {
        self.correlation_inputs_with(&|path| get(path).map(str::to_string), matches)
    }

    /// The inputs, with `first` reading the first scalar a path reaches, as text.
    fn correlation_inputs_with(
        &self,
        first: &dyn Fn(&FieldPath) -> Option<String>,
        matches: &[RuleMatch],
    ) -> Vec<CorrelationInput> {
        let mut touched: Vec<(usize, u64)> = Vec::new();
        for m in matches {
            for &(ci, pos) in &self.feeds[m.rule] {
                touch(&mut touched, ci, pos);
            }
        }
        touched
            .into_iter()
            .map(|(ci, mask)| {
                let corr = &self.correlations[ci];
                let base = corr.rules[mask.trailing_zeros() as usize];
                let key: Vec<String> = corr
                    .group_by
                    .iter()
                    .map(|g| first(g.per_rule.get(&base).unwrap_or(&g.default)).unwrap_or_default())
                    .collect();
                let value = corr.value_field.as_ref().and_then(first);
                CorrelationInput {
                    correlation: ci,
                    mask,
                    key,
                    value,
                }
            })
            .collect()
    }

    /// Whether correlation `ci` takes another correlation's results or hands its own on: its
    /// events must then be fed in one global time order with the rest of its chain. Any other
    /// correlation only needs each group-by tuple's events in time order.
    pub fn is_chained(&self, ci: usize) -> bool {
        let corr = &self.correlations[ci];
        !self.feeds[corr.rule].is_empty()
            || corr
                .rules
                .iter()
                .any(|&r| self.correlations.iter().any(|c| c.rule == r))
    }
}

/// Streams matched events through every correlation. Feed events in `eventTime` order.
/// Correlations may feed other correlations (chaining); only rules that emit findings are
/// returned.
pub struct Correlator<'r> {
    rs: &'r Ruleset,
    groups: Vec<foldhash::HashMap<Vec<String>, Group>>,
    seen: Vec<foldhash::HashSet<Vec<String>>>,
    /// Matched events without a parseable `eventTime` (they cannot be placed in a window).
    pub events_without_time: u64,
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn first_value(path: &FieldPath, event: &Value) -> Option<String> {
    let mut out = Vec::new();
    path.resolve(event, &mut out);
    out.into_iter().find_map(scalar)
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Adds bit `pos` for correlation `ci` to the list.
fn touch(touched: &mut Vec<(usize, u64)>, ci: usize, pos: usize) {
    match touched.iter_mut().find(|(c, _)| *c == ci) {
        Some((_, mask)) => *mask |= 1 << pos,
        None => touched.push((ci, 1 << pos)),
    }
}

impl<'r> Correlator<'r> {
    pub fn new(rs: &'r Ruleset) -> Correlator<'r> {
        let n = rs.correlations.len();
        Correlator {
            rs,
            groups: (0..n).map(|_| Default::default()).collect(),
            seen: vec![Default::default(); n],
            events_without_time: 0,
        }
    }

    /// Offers one event and the single-event rules it matched; returns what fired.
    pub fn feed(&mut self, event: &Value, matches: &[RuleMatch]) -> Vec<Correlated> {
        let inputs = self.rs.correlation_inputs(event, matches);
        if inputs.is_empty() {
            return Vec::new();
        }
        let Some(t) = event
            .get("eventTime")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Timestamp>().ok())
        else {
            self.events_without_time += 1;
            return Vec::new();
        };
        let id = event.get("eventID").and_then(Value::as_str).unwrap_or("");
        self.feed_inputs(t.as_millisecond(), id, inputs)
    }

    /// Offers one event already reduced to what each correlation reads of it
    /// ([`Ruleset::correlation_inputs`]): its `eventTime` in milliseconds, its `eventID`, and the
    /// inputs in the order given. Exactly [`Correlator::feed`] on the event it came from.
    pub fn feed_inputs(
        &mut self,
        t: i64,
        id: &str,
        inputs: Vec<CorrelationInput>,
    ) -> Vec<Correlated> {
        let mut fired = Vec::new();
        for input in inputs {
            let ev = Ev {
                t,
                ids: vec![id.to_string()],
                mask: input.mask,
                value: input.value,
            };
            fired.extend(self.ingest(input.correlation, input.key, ev));
        }
        self.cascade(fired)
    }

    /// Closes every open window (for conditions with upper bounds) at the end of the input,
    /// upstream correlations first so their results still reach chained ones.
    pub fn finish(mut self) -> Vec<Correlated> {
        let mut out = Vec::new();
        for &ci in &self.rs.correlation_order {
            let corr = &self.rs.correlations[ci];
            if corr.condition.monotone() || corr.kind == CorrelationType::FirstSeen {
                continue;
            }
            let mut groups: Vec<(Vec<String>, Group)> =
                std::mem::take(&mut self.groups[ci]).into_iter().collect();
            groups.sort_by(|a, b| a.0.cmp(&b.0));
            let mut fired = Vec::new();
            for (key, group) in groups {
                if let Some((events, metric)) = evaluate(corr, &group.events) {
                    fired.push(self.emit(ci, &key, events, metric));
                }
            }
            out.extend(self.cascade(fired));
        }
        out
    }

    /// Passes fired correlations on to the correlations that refer to them; returns every
    /// result of a rule that emits findings.
    fn cascade(&mut self, fired: Vec<Correlated>) -> Vec<Correlated> {
        let mut queue: VecDeque<Correlated> = fired.into();
        let mut out = Vec::new();
        while let Some(c) = queue.pop_front() {
            let mut touched = Vec::new();
            for &(ci, pos) in &self.rs.feeds[c.rule] {
                touch(&mut touched, ci, pos);
            }
            for (ci, mask) in touched {
                let corr = &self.rs.correlations[ci];
                // A chained result carries its own group tuple: read the group-by names (or
                // their alias for this rule) from it.
                let key: Vec<String> = corr
                    .group_by
                    .iter()
                    .map(|g| {
                        let field = g
                            .per_rule
                            .get(&c.rule)
                            .map_or(g.name.as_str(), |p| p.text.as_str());
                        c.group
                            .iter()
                            .find(|(n, _)| n == field || *n == g.name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    })
                    .collect();
                let ev = Ev {
                    t: c.last_time.as_millisecond(),
                    ids: c.event_ids.clone(),
                    mask,
                    value: None,
                };
                queue.extend(self.ingest(ci, key, ev));
            }
            if self.rs.rules[c.rule].emits {
                out.push(c);
            }
        }
        out
    }

    fn ingest(&mut self, ci: usize, key: Vec<String>, ev: Ev) -> Option<Correlated> {
        let corr = &self.rs.correlations[ci];
        if corr.kind == CorrelationType::FirstSeen {
            return self.seen[ci]
                .insert(key.clone())
                .then(|| self.emit(ci, &key, vec![ev], 1.0));
        }
        let t = ev.t;
        // Most events join a group that exists: look it up before cloning the key.
        let groups = &mut self.groups[ci];
        if !groups.contains_key(&key) {
            groups.insert(key.clone(), Group::default());
        }
        let group = groups.get_mut(&key).expect("inserted above");
        if corr.condition.monotone() {
            if let Some(span) = corr.timespan_ms {
                while group.events.front().is_some_and(|e| e.t < t - span) {
                    if let Some(old) = group.events.pop_front() {
                        group.forget(&old);
                    }
                }
            }
            group.count(&ev);
            group.events.push_back(ev);
            if !group.may_fire(corr) {
                return None;
            }
            let (events, metric) = evaluate(corr, &group.events)?;
            group.events.clear();
            group.values.clear();
            group.per_rule = [0; 64];
            Some(self.emit(ci, &key, events, metric))
        } else {
            // Upper bounds can only be judged once a window is over: tumbling windows.
            let closed = match (group.window_start, corr.timespan_ms) {
                (Some(start), Some(span)) => t > start + span,
                _ => false,
            };
            let mut out = None;
            if closed {
                let events: VecDeque<Ev> = std::mem::take(&mut group.events);
                out = evaluate(corr, &events);
                group.window_start = None;
            }
            if group.window_start.is_none() {
                group.window_start = Some(t);
            }
            group.events.push_back(ev);
            out.map(|(events, metric)| self.emit(ci, &key, events, metric))
        }
    }

    fn emit(&self, ci: usize, key: &[String], events: Vec<Ev>, value: f64) -> Correlated {
        let corr = &self.rs.correlations[ci];
        let mut seen = HashSet::new();
        let ids: Vec<String> = events
            .iter()
            .flat_map(|e| &e.ids)
            .filter(|id| seen.insert(id.as_str()))
            .cloned()
            .collect();
        let first = events.iter().map(|e| e.t).min().unwrap_or(0);
        let last = events.iter().map(|e| e.t).max().unwrap_or(0);
        Correlated {
            rule: corr.rule,
            rule_id: self.rs.rules[corr.rule].rule_id.clone(),
            event_ids: ids,
            first_time: ts(first),
            last_time: ts(last),
            group: corr
                .group_by
                .iter()
                .map(|g| g.name.clone())
                .zip(key.iter().cloned())
                .collect(),
            value,
        }
    }
}

/// The events and metric when the window satisfies the correlation.
fn evaluate(corr: &Correlation, events: &VecDeque<Ev>) -> Option<(Vec<Ev>, f64)> {
    if events.is_empty() {
        return None;
    }
    let all_rules = corr.rules.len() as f64;
    match corr.kind {
        CorrelationType::EventCount => {
            let n = events.len() as f64;
            corr.condition
                .holds(n)
                .then(|| (events.iter().cloned().collect(), n))
        }
        CorrelationType::ValueCount => {
            let distinct: HashSet<&str> =
                events.iter().filter_map(|e| e.value.as_deref()).collect();
            let n = distinct.len() as f64;
            corr.condition
                .holds(n)
                .then(|| (events.iter().cloned().collect(), n))
        }
        CorrelationType::Temporal => {
            let mask = events.iter().fold(0u64, |m, e| m | e.mask);
            let n = f64::from(mask.count_ones());
            let ok = if corr.condition.is_empty() {
                n == all_rules
            } else {
                corr.condition.holds(n)
            };
            ok.then(|| (events.iter().cloned().collect(), n))
        }
        CorrelationType::TemporalOrdered => {
            // Greedy: the earliest event for each rule in turn, each after the previous one.
            let mut chain = Vec::new();
            for e in events {
                let need = chain.len();
                if need < corr.rules.len() && e.mask & (1 << need) != 0 {
                    chain.push(e.clone());
                }
            }
            let n = chain.len() as f64;
            let ok = if corr.condition.is_empty() {
                n == all_rules
            } else {
                corr.condition.holds(n) && n > 0.0
            };
            ok.then_some((chain, n))
        }
        CorrelationType::FirstSeen => None,
    }
}

#[cfg(test)]
mod tests {
    use super::set_bits;

    #[test]
    fn set_bits_are_listed_lowest_first() {
        assert_eq!(set_bits(0).count(), 0);
        assert_eq!(set_bits(1).collect::<Vec<_>>(), [0]);
        assert_eq!(
            set_bits((1 << 63) | (1 << 5) | 1).collect::<Vec<_>>(),
            [0, 5, 63]
        );
        assert_eq!(
            set_bits(u64::MAX).collect::<Vec<_>>(),
            (0..64).collect::<Vec<_>>()
        );
    }
}
