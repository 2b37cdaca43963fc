//! Findings kept in output order without holding them all in memory: each finding is turned
//! into its JSON line on the core that made it, filed under its (severity, rule) group, and
//! ordered within the group by (eventTime, id, arrival) through the external sorter, which
//! spills to temporary files beyond its budget. Reading the groups one after the other gives
//! exactly the order of [`crate::output::sort`].

use std::fmt::Write as _;
use std::io;

use trail::sort::{PartitionedSorter, SortKey};

use crate::finding::{Finding, Severity};
use crate::pipeline::SingleRef;

/// A finding on its way into the store: its group, its order key (without the arrival number)
/// and its JSON line (no newline).
pub(crate) struct Filed {
    part: usize,
    key: String,
    line: Vec<u8>,
}

/// Appends `s` to `out` so that byte order of the results is the order of the strings, and a
/// string ends before what follows: NUL is written as NUL 1, the end as NUL NUL.
fn put_part(out: &mut String, s: &str) {
    if s.contains('\0') {
        for c in s.chars() {
            if c == '\0' {
                out.push_str("\0\u{1}");
            } else {
                out.push(c);
            }
        }
    } else {
        out.push_str(s);
    }
    out.push_str("\0\0");
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Where findings go: one partition per (severity, rule id), in output order.
#[derive(Clone)]
pub(crate) struct Layout {
    /// Per rule index: the rank of its rule id among the distinct rule ids.
    rank: Vec<usize>,
    ids: usize,
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
    pub(crate) fn file(&self, rule: usize, f: &Finding) -> Filed {
        self.file_as(rule, f.severity, &f.event_time, &f.id, f)
    }

    /// Files a single-event finding of rule index `rule` without making it a [`Finding`].
    pub(crate) fn file_single(&self, rule: usize, f: &SingleRef<'_>) -> Filed {
        self.file_as(rule, f.severity, f.event_time, f.id(), f)
    }

    fn file_as(
        &self,
        rule: usize,
        severity: Severity,
        event_time: &str,
        id: &str,
        f: &impl serde::Serialize,
    ) -> Filed {
        let mut key = String::with_capacity(event_time.len() + id.len() + 24);
        put_part(&mut key, event_time);
        put_part(&mut key, id);
        Filed {
            part: self.partition(rule, severity),
            key,
            line: SCRATCH.with_borrow_mut(|buf| {
                // Written into a buffer kept by the thread, then copied once at its exact size.
                buf.clear();
                serde_json::to_writer(&mut *buf, f).expect("findings serialise");
                buf.as_slice().to_vec()
            }),
        }
    }
}

/// Every finding of a run, in output order: most severe first, then rule id, event time, id,
/// and the order they were made in.
pub struct FindingStore {
    layout: Layout,
    sorter: PartitionedSorter,
    counts: Vec<usize>,
    arrivals: u64,
}

impl FindingStore {
    pub(crate) fn new(layout: Layout, budget: usize) -> FindingStore {
        let n = layout.partitions();
        FindingStore {
            layout,
            sorter: PartitionedSorter::new(n, budget),
            counts: vec![0; n],
            arrivals: 0,
        }
    }

    pub(crate) fn push(&mut self, filed: Filed) -> io::Result<()> {
        let Filed {
            part,
            mut key,
            line,
        } = filed;
        // Equal keys keep the order they came in, as a stable sort would.
        write!(key, "{:016x}", self.arrivals).expect("writing to a String cannot fail");
        self.arrivals += 1;
        self.counts[part] += 1;
        let key = SortKey {
            time_ns: 0,
            event_id: key,
        };
        self.sorter.push(part, key, line)
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

    fn key(parts: &[&str]) -> String {
        let mut k = String::new();
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
        ];
        for a in cases {
            for b in cases {
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
}
