//! Findings kept in output order without holding them all in memory: each finding is turned
//! into its JSON line on the core that made it, filed under its (severity, rule) group, and
//! ordered within the group by (eventTime, id) through the external sorter, which spills to
//! temporary files beyond its budget and keeps equal keys in the order they came in (as a stable
//! sort does). Reading the groups one after the other gives exactly the order of
//! [`crate::output::sort`].

use std::io;

use trail::sort::{Chunk, PartitionedSorter};

use crate::finding::{Finding, Outcome, Severity};
use crate::pipeline::SingleRef;

/// Findings on their way into the store, back to back in one chunk: per finding its JSON line
/// (no newline), then its order key, filed under its group. The store takes the chunk over
/// whole. Filing one allocates nothing of its own once the buffer has grown.
#[derive(Default)]
pub(crate) struct Filed(Chunk);

/// Appends `s` to `out` so that byte order of the results is the order of the strings, and a
/// string ends before what follows: NUL is written as NUL 1, the end as NUL NUL.
fn put_part(out: &mut Vec<u8>, s: &str) {
    for (i, piece) in s.as_bytes().split(|&b| b == 0).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\0\x01");
        }
        out.extend_from_slice(piece);
    }
    out.extend_from_slice(b"\0\0");
}

/// Where findings go: one partition per (severity, rule id), in output order.
#[derive(Clone)]
pub(crate) struct Layout {
    /// Per rule index: the rank of its rule id among the distinct rule ids.
    rank: Vec<usize>,
    ids: usize,
    /// Per rule index: the parts of a single-event finding's JSON line that come from the rule,
    /// written once (see [`Layout::write_single`]).
    lines: Vec<RuleJson>,
}

/// `,"rule_id":…,"title":…,"severity":` and `,"attack":[…],"kb":…,"story":`.
#[derive(Clone)]
struct RuleJson {
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl RuleJson {
    fn new(rule: &rules::RuleInfo) -> RuleJson {
        use report::json::{json_items, json_opt_str, json_str};
        let mut head = b",\"rule_id\":".to_vec();
        let mut tail = b",\"attack\":[".to_vec();
        json_str(&mut head, &rule.rule_id);
        head.extend_from_slice(b",\"title\":");
        json_str(&mut head, &rule.title);
        head.extend_from_slice(b",\"severity\":");
        json_items(&mut tail, rule.attack.iter());
        tail.extend_from_slice(b"],\"kb\":");
        json_opt_str(&mut tail, rule.kb.as_deref());
        tail.extend_from_slice(b",\"story\":");
        RuleJson { head, tail }
    }
}

impl Layout {
    pub(crate) fn new(rules: &[rules::RuleInfo]) -> Layout {
        let mut ids: Vec<&str> = rules.iter().map(|r| r.rule_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let rank = rules
            .iter()
            .map(|r| {
                ids.binary_search(&r.rule_id.as_str())
                    .expect("every rule id is listed")
            })
            .collect();
        Layout {
            rank,
            ids: ids.len().max(1),
            lines: rules.iter().map(RuleJson::new).collect(),
        }
    }

    fn partitions(&self) -> usize {
        Severity::ALL.len() * self.ids
    }

    /// Most severe first, then rule id.
    fn partition(&self, rule: usize, severity: Severity) -> usize {
        let sev = Severity::ALL.len() - 1 - severity as usize;
        sev * self.ids + self.rank[rule]
    }

    fn severity_of(&self, part: usize) -> Severity {
        Severity::ALL[Severity::ALL.len() - 1 - part / self.ids]
    }

    /// Files the finding of rule index `rule`.
    pub(crate) fn file(&self, rule: usize, f: &Finding, out: &mut Filed) {
        let start = out.0.buffer().len();
        serde_json::to_writer(out.0.buffer(), f).expect("findings serialise");
        self.close(
            self.partition(rule, f.severity),
            &f.event_time,
            &f.id,
            start,
            out,
        );
    }

    /// Files a single-event finding of rule index `rule` without making it a [`Finding`].
    pub(crate) fn file_single(&self, rule: usize, f: &SingleRef<'_>, out: &mut Filed) {
        let start = out.0.buffer().len();
        self.write_single(rule, f, out.0.buffer());
        self.close(
            self.partition(rule, f.severity),
            f.event_time,
            f.id(),
            start,
            out,
        );
    }

    /// Ends the finding whose line was written to `out` from `start` on: its key follows.
    fn close(&self, part: usize, event_time: &str, id: &str, start: usize, out: &mut Filed) {
        let buffer = out.0.buffer();
        let key_start = buffer.len();
        put_part(buffer, event_time);
        put_part(buffer, id);
        let prefix = key_prefix(&buffer[key_start..]);
        out.0.end_entry(part, prefix, start, key_start);
    }

    /// The JSON line of a single-event finding, written directly: byte for byte what serde
    /// writes for it (and so for the [`Finding`] it stands for), at a fraction of the cost.
    pub(crate) fn write_single(&self, rule: usize, f: &SingleRef<'_>, buf: &mut Vec<u8>) {
        use report::json::{json_items, json_opt_str, json_str};
        let RuleJson { head, tail } = &self.lines[rule];
        buf.extend_from_slice(b"{\"id\":");
        json_str(buf, f.id());
        buf.extend_from_slice(head);
        buf.push(b'"');
        buf.extend_from_slice(f.severity.as_str().as_bytes());
        buf.extend_from_slice(b"\",\"outcome\":\"");
        buf.extend_from_slice(match f.outcome {
            Outcome::Succeeded => b"succeeded\",\"event_ids\":[".as_slice(),
            Outcome::Failed => b"failed\",\"event_ids\":[".as_slice(),
        });
        json_items(buf, f.event_ids.iter());
        buf.extend_from_slice(b"],\"event_name\":");
        json_str(buf, f.event_name);
        buf.extend_from_slice(b",\"event_time\":");
        json_str(buf, f.event_time);
        for (name, value) in [
            (b",\"principal\":".as_slice(), f.principal),
            (b",\"source_ip\":", f.source_ip),
            (b",\"account\":", f.account),
            (b",\"region\":", f.region),
            (b",\"error_code\":", f.error_code),
        ] {
            buf.extend_from_slice(name);
            json_opt_str(buf, value);
        }
        buf.extend_from_slice(b",\"resources\":{");
        f.resources.write_json_members(buf);
        buf.push(b'}');
        buf.extend_from_slice(tail);
        json_str(buf, &f.story);
        buf.push(b'}');
    }
}

/// The first 16 bytes of a key as a number in the same order (shorter keys padded with zeros):
/// the sorter compares it before the key's text, so most comparisons need no byte-wise one.
fn key_prefix(key: &[u8]) -> i128 {
    let mut head = [0u8; 16];
    let n = key.len().min(16);
    head[..n].copy_from_slice(&key[..n]);
    // Flipping the top bit maps unsigned order onto signed order.
    (u128::from_be_bytes(head) ^ (1 << 127)) as i128
}

/// Every finding of a run, in output order: most severe first, then rule id, event time, id,
/// and the order they were made in.
pub struct FindingStore {
    layout: Layout,
    sorter: PartitionedSorter,
    counts: Vec<usize>,
}

impl FindingStore {
    pub(crate) fn new(layout: Layout, budget: usize) -> FindingStore {
        let n = layout.partitions();
        FindingStore {
            layout,
            sorter: PartitionedSorter::new(n, budget),
            counts: vec![0; n],
        }
    }

    /// Takes the findings over. The sorter keeps findings with equal keys in the order they came
    /// in.
    pub(crate) fn push(&mut self, filed: Filed) -> io::Result<()> {
        for part in filed.0.parts() {
            self.counts[part] += 1;
        }
        self.sorter.push_chunk(filed.0)
    }

    /// How many findings there are of each severity, most severe first (none left out).
    pub fn counts(&self) -> Vec<(Severity, usize)> {
        let mut out: Vec<(Severity, usize)> = Vec::new();
        for (part, &n) in self.counts.iter().enumerate() {
            let sev = self.layout.severity_of(part);
            match out.last_mut() {
                Some((s, total)) if *s == sev => *total += n,
                _ => out.push((sev, n)),
            }
        }
        out
    }

    /// How many findings are at or above `min`.
    pub fn len(&self, min: Option<Severity>) -> usize {
        self.counts()
            .iter()
            .filter(|(s, _)| min.is_none_or(|m| *s >= m))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len(None) == 0
    }

    /// Calls `f` with the JSON line (no newline) of every finding at or above `min`, in order.
    pub fn for_each_line(
        self,
        min: Option<Severity>,
        mut f: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let layout = self.layout;
        for (part, partition) in self.sorter.finish()?.into_iter().enumerate() {
            if self.counts[part] == 0 || min.is_some_and(|m| layout.severity_of(part) < m) {
                continue;
            }
            partition.finish(|_, line| f(line))?;
        }
        Ok(())
    }

    /// Every finding at or above `min`, in order.
    pub fn into_findings(self, min: Option<Severity>) -> io::Result<Vec<Finding>> {
        let mut out = Vec::with_capacity(self.len(min));
        self.for_each_line(min, |line| {
            out.push(
                serde_json::from_slice(line)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
            );
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{EventInfo, single_ref};
    use crate::resources::Resources;

    fn event(escapes: bool, failed: bool, resources: bool) -> EventInfo<'static> {
        let odd = |s: &str| -> std::borrow::Cow<'static, str> {
            if escapes {
                format!("{s} \"q\" \\ \u{1}\n é").into()
            } else {
                s.to_string().into()
            }
        };
        let mut r = Resources::default();
        if resources {
            r.instance_ids.insert("i-0123456789abcdef0".into());
            r.instance_ids.insert(odd("i-second").into_owned());
            r.key_names.insert(odd("key").into_owned());
            r.flow_log_ids.insert("fl-01234567".into());
        }
        EventInfo {
            id: odd("eaa28491-0b33-4eec-b8d5-1406540fe70f"),
            time: "2024-06-01T00:00:00Z".into(),
            time_ms: 1_717_200_000_000,
            name: odd("RunInstances"),
            principal: Some(odd(
                "arn:aws:sts::111122223333:assumed-role/r/i-0a1b2c3d4e5f60001",
            )),
            source_ip: (!escapes).then(|| "3.85.10.21".into()),
            account: Some("111122223333".into()),
            region: escapes.then(|| odd("us-east-1")),
            error_code: failed.then(|| odd("AccessDenied")),
            resources: r,
        }
    }

    fn builtin() -> rules::Loaded {
        rules::RulesetBuilder::default()
            .with_builtin()
            .build()
            .unwrap()
    }

    #[test]
    fn single_findings_are_written_as_serde_writes_them() {
        let loaded = builtin();
        let rules = loaded.ruleset.rules();
        let layout = Layout::new(rules);
        let mut checked = 0;
        for (i, rule) in rules.iter().enumerate() {
            for escapes in [false, true] {
                for failed in [false, true] {
                    for resources in [false, true] {
                        let e = event(escapes, failed, resources);
                        let f = single_ref(rule, &e);
                        let mut direct = Vec::new();
                        layout.write_single(i, &f, &mut direct);
                        let by_serde = serde_json::to_vec(&f).unwrap();
                        assert_eq!(
                            String::from_utf8(direct).unwrap(),
                            String::from_utf8(by_serde).unwrap(),
                            "rule {}",
                            rule.rule_id
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked >= 8 * 30, "only {checked} cases");
    }

    fn key(parts: &[&str]) -> Vec<u8> {
        let mut k = Vec::new();
        for p in parts {
            put_part(&mut k, p);
        }
        k
    }

    #[test]
    fn keys_order_as_tuples() {
        let cases: &[[&str; 2]] = &[
            ["", "b"],
            ["a", "b"],
            ["a\0", "b"],
            ["a\0\0", ""],
            ["a\u{1}", "a"],
            ["ab", ""],
            ["a", "\0"],
            ["a", ""],
            ["é", "x"],
            ["2024-05-04T02:10:00Z", "TH-1"],
            ["2024-05-04T02:10:00.5Z", "TH-0"],
            ["2024-05-04T02:10:01Z", "TH-0"],
            ["2024-05-04T02:11:00Z", "TH-0"],
            ["2024-05-04T0", "TH-0"],
            ["2024-05-04T0\u{ff}", "TH-0"],
            ["\u{ff}\u{ff}", ""],
        ];
        for a in cases {
            for b in cases {
                let (ka, kb) = (key(a), key(b));
                // Compared as the sorter compares them: the prefix's number first.
                assert_eq!(
                    (key_prefix(&ka), &ka).cmp(&(key_prefix(&kb), &kb)),
                    a.cmp(b),
                    "{a:?} vs {b:?} by prefix"
                );
                assert_eq!(
                    key(a).cmp(&key(b)),
                    a.cmp(b),
                    "{a:?} vs {b:?}: {:?} {:?}",
                    key(a),
                    key(b)
                );
            }
        }
    }

    #[test]
    fn batches_of_both_kinds_come_out_in_output_order_with_ties_in_arrival_order() {
        let loaded = builtin();
        let rules = loaded.ruleset.rules();
        let layout = Layout::new(rules);
        // A budget of a few findings (the store spills many times), and one that holds them all
        // (one large in-memory sort, where an unstable sort would reorder ties).
        for budget in [3000, 1 << 30] {
            let mut store = FindingStore::new(layout.clone(), budget);
            let mut want = Vec::new();
            for batch in 0..4 {
                let mut filed = Filed::default();
                for n in 0..150usize {
                    // Two rules only, few distinct times and ids: many findings tie on
                    // (severity, rule, time, id) and differ in the rest of their line.
                    let rule = (n + batch) % 2;
                    let mut e = event(n % 5 == 0, n % 3 == 0, n % 2 == 0);
                    e.time = format!("2024-06-01T00:00:0{}Z", (n + batch) % 3).into();
                    e.id = format!("id-{}", n % 2).into();
                    e.name = format!("Call{n}-{batch}").into();
                    let f = single_ref(&rules[rule], &e);
                    if n % 4 == 0 {
                        layout.file(rule, &f.to_finding(), &mut filed);
                    } else {
                        layout.file_single(rule, &f, &mut filed);
                    }
                    want.push(f.to_finding());
                }
                store.push(filed).unwrap();
            }
            crate::output::sort(&mut want);
            let mut got = Vec::new();
            store
                .for_each_line(None, |line| {
                    got.push(String::from_utf8(line.to_vec()).unwrap());
                    Ok(())
                })
                .unwrap();
            let want: Vec<String> = want
                .iter()
                .map(|f| serde_json::to_string(f).unwrap())
                .collect();
            assert_eq!(got.len(), 600);
            assert!(got == want, "budget {budget}: not in output order");
        }
    }
}
