//! One pass of the watcher: new inputs plus the replayed correlation window through the same
//! detection as `trailhound detect`, then one transaction that marks the inputs done, updates the
//! window and puts every new finding in the outbox; and the delivery of the outbox to the sinks.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use detect::{DetectOptions, Enricher, Finding};
use rayon::prelude::*;
use rules::{CorrelationType, Ruleset};
use serde_json::Value;
use trail::decode::{DecodeOptions, decode_source};
use trail::{Problem, ScanOptions, Source};

use crate::sink::{Alert, Sink, SinkError};
use crate::state::{InputDone, NewAlert, PassCommit, StateDb, WindowEvent};

/// One input of a pass: an object's bytes (gzip or not) and its id.
#[derive(Clone, Debug)]
pub struct Input {
    /// `s3://bucket/key`: what problems name and what the state records as done.
    pub id: String,
    pub bytes: Arc<[u8]>,
    /// When the input appeared (S3 LastModified), for the lag counter.
    pub appeared_ms: Option<i64>,
}

/// Settings of the engine.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// How much older than the newest event a record may arrive and still be correlated with
    /// what came before it: the window keeps this much beyond the correlations' own timespans.
    pub lateness_ms: i64,
    pub decode: DecodeOptions,
    /// Memory for ordering matched events (as in `detect`).
    pub sort_memory: usize,
    /// Findings below this severity are not alerted.
    pub min_severity: Option<detect::Severity>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lateness_ms: 2 * 3_600_000,
            decode: DecodeOptions::default(),
            sort_memory: 64 << 20,
            min_severity: None,
        }
    }
}

/// What a pass did.
#[derive(Debug, Default)]
pub struct PassReport {
    pub inputs: usize,
    pub records: u64,
    /// Problems with the inputs (the inputs are still marked done: their valid records count).
    pub problems: Vec<Problem>,
    /// Findings over the inputs and the window, before de-duplication by id.
    pub findings: usize,
    /// Finding ids alerted for the first time.
    pub new_alerts: Vec<String>,
    /// Correlations whose window is still open (upper-bound conditions): judged again later.
    pub held: usize,
    pub window_events: usize,
}

/// The detection side of a watcher.
pub struct Engine<'a> {
    ruleset: &'a Ruleset,
    enricher: Option<&'a dyn Enricher>,
    opts: EngineOptions,
    /// Per rule index: its matches feed a correlation (and so are kept in the window).
    feeds: Vec<bool>,
    /// Rule ids of `first_seen` correlations: the events that made one fire are kept for good.
    first_seen: HashSet<String>,
    /// Rule ids of correlations judged only once their window closes, with the window length
    /// (`None`: the whole input, which never closes while watching).
    tumbling: HashMap<String, Option<i64>>,
    /// How long window events are kept; `None` = for good (a correlation without timespan).
    retention_ms: Option<i64>,
}

impl<'a> Engine<'a> {
    pub fn new(
        ruleset: &'a Ruleset,
        enricher: Option<&'a dyn Enricher>,
        opts: EngineOptions,
    ) -> Engine<'a> {
        let rules = ruleset.rules();
        let mut feeds = vec![false; rules.len()];
        let mut first_seen = HashSet::new();
        let mut tumbling = HashMap::new();
        // Chained correlations can reach back over the sum of the spans of the chain: the sum
        // over all correlations bounds every chain.
        let mut retention: Option<i64> = Some(opts.lateness_ms);
        for c in ruleset.correlations() {
            for &r in &c.rules {
                if r < feeds.len() {
                    feeds[r] = true;
                }
            }
            let rule_id = rules[c.rule].rule_id.clone();
            if c.kind == CorrelationType::FirstSeen {
                first_seen.insert(rule_id);
                continue;
            }
            if !c.condition.monotone() {
                tumbling.insert(rule_id, c.timespan_ms);
            }
            retention = match (retention, c.timespan_ms) {
                (Some(r), Some(span)) => Some(r + span),
                _ => None,
            };
        }
        Engine {
            ruleset,
            enricher,
            opts,
            feeds,
            first_seen,
            tumbling,
            retention_ms: retention,
        }
    }

    /// How long the window keeps events (`None`: for good).
    pub fn retention_ms(&self) -> Option<i64> {
        self.retention_ms
    }

    /// Runs one pass and commits it. The sinks named get a pending delivery of every new alert.
    pub fn process(
        &self,
        db: &mut StateDb,
        inputs: &[Input],
        sinks: &[String],
        now_ms: i64,
    ) -> anyhow::Result<PassReport> {
        // 1. What the inputs hold: counts, problems, the newest event, and the records that
        //    feed correlations (the window's new members). Each input on its own core.
        let sources: Vec<Source> = inputs
            .iter()
            .map(|i| Source::Memory {
                name: i.id.clone(),
                bytes: i.bytes.clone(),
            })
            .collect();
        let read: Vec<InputRead> = sources.par_iter().map(|src| self.read_input(src)).collect();

        // 2. Detection over the window (replayed, oldest first) and the inputs together.
        let window = db.window()?;
        let mut all = Vec::with_capacity(sources.len() + 1);
        if !window.is_empty() {
            let mut text = Vec::new();
            for e in &window {
                text.extend_from_slice(e.record.as_bytes());
                text.push(b'\n');
            }
            all.push(Source::memory("(watch correlation window)", text));
        }
        all.extend(sources.iter().cloned());
        let detection = detect::detect(
            &all,
            self.ruleset,
            &DetectOptions {
                scan: ScanOptions {
                    decode: self.opts.decode.clone(),
                    ..ScanOptions::default()
                },
                sort_memory: self.opts.sort_memory,
                phase_done: None,
                enricher: self.enricher,
            },
        )?;

        // 3. Which findings to alert on now.
        let stored = db.watermark_ms()?;
        let newest = read.iter().filter_map(|r| r.newest_ms).max();
        let watermark = newest.max(stored);
        let mut report = PassReport {
            inputs: inputs.len(),
            findings: detection.findings.len(),
            ..PassReport::default()
        };
        let mut alerts = Vec::new();
        let mut pins = Vec::new();
        for f in &detection.findings {
            if self.still_open(f, watermark) {
                report.held += 1;
                continue;
            }
            // Pinned whatever its severity: the replay must see the first occurrence again.
            if self.first_seen.contains(&f.rule_id) {
                pins.extend(f.event_ids.iter().cloned());
            }
            if self.opts.min_severity.is_some_and(|min| f.severity < min) {
                continue;
            }
            alerts.push(NewAlert {
                finding_id: f.id.clone(),
                rule_id: f.rule_id.clone(),
                severity: f.severity.as_str().to_string(),
                json: serde_json::to_string(f)?,
            });
        }

        // 4. One transaction: inputs done, window, outbox, counters.
        let mut commit = PassCommit {
            sinks: sinks.to_vec(),
            window_pin: pins,
            newest_event_ms: newest,
            now_ms,
            alerts,
            ..PassCommit::default()
        };
        for (input, r) in inputs.iter().zip(read) {
            report.records += r.records;
            commit.records += r.records;
            commit.inputs.push(InputDone {
                id: input.id.clone(),
                records: r.records,
                problems: r.problems.len() as u64,
                appeared_ms: input.appeared_ms,
            });
            commit.window_add.extend(r.window);
            report.problems.extend(r.problems);
        }
        commit.prune_before_ms = self.retention_ms.zip(watermark).map(|(keep, mark)| {
            let times: HashMap<&str, i64> = window
                .iter()
                .chain(&commit.window_add)
                .map(|e| (e.event_id.as_str(), e.time_ms))
                .collect();
            safe_cut(mark - keep, &detection.findings, &times)
        });
        report.window_events = window.len() + commit.window_add.len();
        report.new_alerts = db.commit_pass(&commit)?;
        Ok(report)
    }

    /// A correlation judged at the end of its window, whose window may still get events.
    fn still_open(&self, f: &Finding, watermark: Option<i64>) -> bool {
        let Some(span) = self.tumbling.get(&f.rule_id) else {
            return false;
        };
        let Some(span) = span else { return true };
        let start = f
            .event_time
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(i64::MAX / 2);
        let mark = watermark.unwrap_or(i64::MIN / 2);
        start + span > mark - self.opts.lateness_ms
    }

    fn read_input(&self, src: &Source) -> InputRead {
        let mut out = InputRead::default();
        let outcome = decode_source(src, &self.opts.decode, &mut |rec, raw, time| {
            let ms = time.as_millisecond();
            out.newest_ms = out.newest_ms.max(Some(ms));
            let Some(id) = rec.event_id.as_deref().filter(|id| !id.is_empty()) else {
                return Ok(());
            };
            // Refused (reported and counted as skipped) as detection refuses it.
            let value =
                serde_json::from_str::<Value>(raw.get()).map_err(detect::unreadable_record)?;
            let feeds = self
                .ruleset
                .matches(&value)
                .iter()
                .any(|m| self.feeds.get(m.rule).copied().unwrap_or(false));
            if feeds {
                out.window.push(WindowEvent {
                    event_id: id.to_string(),
                    time_ms: ms,
                    record: trail::record::compact_json(raw.get()),
                });
            }
            Ok(())
        });
        out.records = outcome.records;
        out.problems = outcome.problems;
        out
    }
}

/// Moves a window cut back until no fired correlation has events on both sides of it: the
/// correlator forgets a group's events when it fires, and a replay that saw only the later part
/// of such a group could fire again on what batch detection had already used up.
fn safe_cut(mut cut: i64, findings: &[Finding], times: &HashMap<&str, i64>) -> i64 {
    let spans: Vec<(i64, i64)> = findings
        .iter()
        .filter(|f| f.event_ids.len() > 1)
        .filter_map(|f| {
            let ts = f.event_ids.iter().filter_map(|id| times.get(id.as_str()));
            let (lo, hi) = ts.fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
            (lo <= hi).then_some((lo, hi))
        })
        .collect();
    loop {
        let straddled = spans
            .iter()
            .filter(|(lo, hi)| *lo < cut && cut <= *hi)
            .map(|(lo, _)| *lo)
            .min();
        match straddled {
            Some(lo) => cut = lo,
            None => return cut,
        }
    }
}

#[derive(Default)]
struct InputRead {
    records: u64,
    problems: Vec<Problem>,
    newest_ms: Option<i64>,
    window: Vec<WindowEvent>,
}

/// What a round of deliveries did.
#[derive(Debug, Default)]
pub struct DeliveryReport {
    pub delivered: usize,
    /// Alerts found already at the sink (written before a crash, journaled now).
    pub recovered: usize,
    /// `(sink, finding id, error)` of deliveries that failed this round.
    pub failed: Vec<(String, String, String)>,
    pub rejected: usize,
}

/// Delivers every pending alert to every sink, oldest first. Per sink: first the sink is asked
/// which pending alerts it already holds (the file sink reads its own tail), then each other
/// alert is journaled `sending`, delivered, and journaled `done` with the sink's offset. A sink
/// that fails is left for the next round after its first failure, so alerts keep their order.
pub fn deliver_pending(
    db: &mut StateDb,
    sinks: &mut [Box<dyn Sink + '_>],
    now_ms: impl Fn() -> i64,
) -> anyhow::Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    for sink in sinks.iter_mut() {
        let name = sink.name();
        let pending = db.pending(&name)?;
        if pending.is_empty() {
            continue;
        }
        let ids: Vec<&str> = pending.iter().map(|p| p.finding_id.as_str()).collect();
        let recovered = sink
            .recover(db.offset(&name)?, &ids)
            .map_err(|e| anyhow::anyhow!("{name}: cannot read back what was delivered: {e}"))?;
        for id in &recovered.present {
            db.delivered(id, &name, recovered.offset, now_ms())?;
            report.recovered += 1;
        }
        if let Some(offset) = recovered.offset {
            db.set_offset(&name, offset)?;
        }
        for p in pending
            .iter()
            .filter(|p| !recovered.present.contains(&p.finding_id))
        {
            db.sending(&p.finding_id, &name)?;
            let alert = Alert {
                finding_id: &p.finding_id,
                json: &p.json,
                attempt: p.attempts + 1,
                maybe_delivered: p.maybe_delivered,
            };
            match sink.deliver(&alert) {
                Ok(offset) => {
                    db.delivered(&p.finding_id, &name, offset, now_ms())?;
                    report.delivered += 1;
                }
                Err(SinkError::Rejected(msg)) => {
                    db.failed(&p.finding_id, &name, &msg, None)?;
                    report.rejected += 1;
                    report
                        .failed
                        .push((name.clone(), p.finding_id.clone(), msg));
                }
                Err(SinkError::Retry {
                    message,
                    maybe_delivered,
                }) => {
                    db.failed(
                        &p.finding_id,
                        &name,
                        &message,
                        Some(maybe_delivered || p.maybe_delivered),
                    )?;
                    report
                        .failed
                        .push((name.clone(), p.finding_id.clone(), message));
                    break;
                }
            }
        }
    }
    Ok(report)
}
