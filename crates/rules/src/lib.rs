//! A Sigma rule engine for AWS CloudTrail.
//!
//! Rules (Sigma YAML) are compiled to a small boolean IR over field predicates ([`ir::Expr`]),
//! indexed by the `eventName`/`eventSource` literals they require, and matched against
//! CloudTrail records as [`serde_json::Value`]. Correlation rules run in a [`Correlator`].
//!
//! ```no_run
//! let loaded = rules::RulesetBuilder::default().with_builtin().build().expect("pack compiles");
//! let rs = &loaded.ruleset;
//! let mut correlator = rules::Correlator::new(rs);
//! # let events: Vec<serde_json::Value> = vec![];
//! for event in &events {
//!     let hits = rs.matches(event);
//!     for hit in &hits {
//!         if rs.rules()[hit.rule].emits { /* a single-event finding */ }
//!     }
//!     for found in correlator.feed(event, &hits) { /* a correlated finding */ let _ = found; }
//! }
//! for found in correlator.finish() { let _ = found; }
//! ```

pub mod compile;
pub mod correlation;
pub mod ir;
mod load;
pub mod pattern;

use serde_json::Value;

pub use compile::Needs;
pub use correlation::{Correlated, Correlation, CorrelationInput, CorrelationType, Correlator};
pub use load::{LoadError, Loaded, RulesetBuilder, Skipped, builtin_files};

/// Sigma `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "informational" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// One test of a pack rule (`trailhound.tests`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleTest {
    pub name: String,
    pub expect_match: bool,
    pub events: Vec<Value>,
}

/// What kind of rule this is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum RuleKind {
    Detection,
    Correlation { correlation: CorrelationType },
}

/// A rule's metadata (single-event detection or correlation).
#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleInfo {
    /// The stable id findings carry: the rule's `name`, else its `id`.
    pub rule_id: String,
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub title: String,
    pub description: String,
    pub status: Option<String>,
    pub level: Level,
    pub tags: Vec<String>,
    /// ATT&CK technique ids from the tags, e.g. `T1098.001`.
    pub attack: Vec<String>,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    /// The KB event the finding links to (`trailhound.kb`).
    pub kb: Option<String>,
    /// The file the rule came from (`pack/...` for the built-in pack).
    pub file: String,
    pub kind: RuleKind,
    pub needs: Needs,
    /// False for base rules of a correlation (unless it says `generate: true`) and for the
    /// parts synthesised from the old `| count()` / `| near` syntax.
    pub emits: bool,
    /// Notes about constructs that have no effect (e.g. `timeframe` without an aggregation).
    pub notes: Vec<String>,
    #[serde(skip)]
    pub tests: Vec<RuleTest>,
}

/// A single-event rule matched an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleMatch {
    /// Index into [`Ruleset::rules`].
    pub rule: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct Detection {
    pub rule: usize,
    pub expr: ir::Expr,
}

/// A compiled set of rules. Matching is stateless and `Sync`.
#[derive(Debug, Default)]
pub struct Ruleset {
    pub(crate) rules: Vec<RuleInfo>,
    pub(crate) detections: Vec<Detection>,
    pub(crate) correlations: Vec<Correlation>,
    /// For each rule index: the `(correlation, position)` pairs it feeds.
    pub(crate) feeds: Vec<Vec<(usize, usize)>>,
    /// Correlation indexes, upstream before downstream (for chaining).
    pub(crate) correlation_order: Vec<usize>,
    by_name: foldhash::HashMap<String, Vec<usize>>,
    by_source: foldhash::HashMap<String, Vec<usize>>,
    always: Vec<usize>,
}

fn lower(s: &str) -> std::borrow::Cow<'_, str> {
    pattern::fold(s)
}

/// Looks `key` up case-insensitively without allocating for short ASCII keys (event names).
fn get_folded<'m>(
    map: &'m foldhash::HashMap<String, Vec<usize>>,
    key: &str,
) -> Option<&'m Vec<usize>> {
    let mut buf = [0u8; 96];
    if key.len() <= buf.len() && key.is_ascii() {
        let buf = &mut buf[..key.len()];
        buf.copy_from_slice(key.as_bytes());
        buf.make_ascii_lowercase();
        map.get(std::str::from_utf8(buf).expect("ASCII stays UTF-8"))
    } else {
        map.get(lower(key).as_ref())
    }
}

impl Ruleset {
    pub(crate) fn index(&mut self) {
        self.feeds = vec![Vec::new(); self.rules.len()];
        for (ci, c) in self.correlations.iter().enumerate() {
            for (pos, &r) in c.rules.iter().enumerate() {
                self.feeds[r].push((ci, pos));
            }
        }
        for (di, d) in self.detections.iter().enumerate() {
            if let Some(names) = d.expr.pinned("eventName") {
                for n in names {
                    self.by_name.entry(n).or_default().push(di);
                }
            } else if let Some(sources) = d.expr.pinned("eventSource") {
                for s in sources {
                    self.by_source.entry(s).or_default().push(di);
                }
            } else {
                self.always.push(di);
            }
        }
        for list in self.by_name.values_mut().chain(self.by_source.values_mut()) {
            list.sort_unstable();
            list.dedup();
        }
    }

    /// Every rule: detections, correlations, and the parts behind them.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    pub fn correlations(&self) -> &[Correlation] {
        &self.correlations
    }

    /// The compiled detection of rule `rule`, if it is a single-event rule.
    pub fn detection(&self, rule: usize) -> Option<&ir::Expr> {
        self.detections
            .iter()
            .find(|d| d.rule == rule)
            .map(|d| &d.expr)
    }

    /// False when no rule can match a record with this eventSource/eventName, so the caller
    /// need not build a `Value` for it.
    pub fn may_match(&self, event_source: Option<&str>, event_name: Option<&str>) -> bool {
        !self.always.is_empty()
            || event_name.is_some_and(|n| get_folded(&self.by_name, n).is_some())
            || event_source.is_some_and(|s| get_folded(&self.by_source, s).is_some())
    }

    /// The single-event rules matching `event`, in rule order.
    pub fn matches(&self, event: &Value) -> Vec<RuleMatch> {
        let name = event.get("eventName").and_then(Value::as_str);
        let source = event.get("eventSource").and_then(Value::as_str);
        self.matching(name, source, |d| d.expr.eval(event))
    }

    /// The single-event rules among those `include` names (by rule index) matching an event
    /// whose fields are all strings or absent, read through `get` (see
    /// [`ir::Expr::eval_strings`]); `name` and `source` are its eventName and eventSource.
    /// In rule order. The caller includes no rule with keywords.
    pub fn matches_strings<'s>(
        &self,
        name: Option<&str>,
        source: Option<&str>,
        get: &dyn Fn(&ir::FieldPath) -> Option<&'s str>,
        include: impl Fn(usize) -> bool,
    ) -> Vec<RuleMatch> {
        self.matching(name, source, |d| {
            include(d.rule) && d.expr.eval_strings(get)
        })
    }

    /// The detections indexed under this eventName and eventSource, and those indexed under
    /// neither, for which `holds` is true, as sorted rule matches.
    fn matching(
        &self,
        name: Option<&str>,
        source: Option<&str>,
        holds: impl Fn(&Detection) -> bool,
    ) -> Vec<RuleMatch> {
        let by_name = name
            .and_then(|n| get_folded(&self.by_name, n))
            .map_or(&[][..], Vec::as_slice);
        let by_source = source
            .and_then(|s| get_folded(&self.by_source, s))
            .map_or(&[][..], Vec::as_slice);
        let mut out: Vec<RuleMatch> = by_name
            .iter()
            .chain(by_source)
            .chain(&self.always)
            .filter(|&&di| holds(&self.detections[di]))
            .map(|&di| RuleMatch {
                rule: self.detections[di].rule,
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Runs `events` (in time order) through every rule and correlation; returns what fired
    /// as `(rule index, event ids)`, only for rules that emit findings.
    pub fn run(&self, events: &[Value]) -> Vec<(usize, Vec<String>)> {
        let mut out = Vec::new();
        let mut correlator = Correlator::new(self);
        for event in events {
            let hits = self.matches(event);
            for h in &hits {
                if self.rules[h.rule].emits {
                    let id = event
                        .get("eventID")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    out.push((h.rule, vec![id]));
                }
            }
            for c in correlator.feed(event, &hits) {
                out.push((c.rule, c.event_ids));
            }
        }
        for c in correlator.finish() {
            out.push((c.rule, c.event_ids));
        }
        out
    }
}

/// Result of running rules' own `trailhound.tests`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TestReport {
    pub ran: usize,
    /// One line per failure, naming the file, the rule and the test.
    pub failures: Vec<String>,
}

impl Ruleset {
    /// Runs every emitting rule's own tests through the whole engine. With `require_both`,
    /// a rule without at least one `match` and one `no_match` test is a failure too.
    pub fn run_rule_tests(&self, require_both: bool) -> TestReport {
        let mut report = TestReport::default();
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.emits {
                if !rule.tests.is_empty() {
                    report.failures.push(format!(
                        "{} ({}): tests sit on a base rule; put them on the correlation",
                        rule.file, rule.rule_id
                    ));
                }
                continue;
            }
            let matches = rule.tests.iter().filter(|t| t.expect_match).count();
            if require_both && (matches == 0 || matches == rule.tests.len()) {
                report.failures.push(format!(
                    "{} ({}): needs at least one `match` and one `no_match` test (has {} match, {} no_match)",
                    rule.file,
                    rule.rule_id,
                    matches,
                    rule.tests.len() - matches
                ));
            }
            for test in &rule.tests {
                report.ran += 1;
                let fired = self.run(&test.events).into_iter().any(|(r, _)| r == index);
                if fired != test.expect_match {
                    report.failures.push(format!(
                        "{} ({}): test `{}` expected {} but the rule {}",
                        rule.file,
                        rule.rule_id,
                        test.name,
                        if test.expect_match {
                            "a match"
                        } else {
                            "no match"
                        },
                        if fired { "fired" } else { "did not fire" }
                    ));
                }
            }
        }
        report
    }
}

#[cfg(test)]
mod sync_check {
    #[test]
    fn ruleset_is_sync_and_send() {
        fn assert<T: Sync + Send>() {}
        assert::<super::Ruleset>();
    }
}
