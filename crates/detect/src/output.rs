//! Writing findings: a terminal table grouped by severity and rule, JSON lines, JSON, CSV.

use std::io::{self, Write};

use crate::finding::Finding;

/// Findings in the order every output uses: most severe first, then rule, then time.
pub fn sort(findings: &mut [Finding]) {
    let order = |a: &Finding, b: &Finding| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.event_time.cmp(&b.event_time))
            .then_with(|| a.id.cmp(&b.id))
    };
    // A stable sort of indexes, then each finding moved once: findings are large to move.
    let mut index: Vec<usize> = (0..findings.len()).collect();
    index.sort_by(|&a, &b| order(&findings[a], &findings[b]));
    // Position `i` takes the finding at `index[i]`, cycle by cycle.
    for start in 0..index.len() {
        let mut at = start;
        while index[at] != usize::MAX {
            let from = std::mem::replace(&mut index[at], usize::MAX);
            if from == start {
                break;
            }
            findings.swap(at, from);
            at = from;
        }
    }
}

/// One finding per line. Lines are written in chunks serialised on every core.
pub fn jsonl(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    use rayon::prelude::*;
    const CHUNK: usize = 1024;
    for group in findings.chunks(CHUNK * 16) {
        let texts: Vec<io::Result<Vec<u8>>> = group
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut buf = Vec::new();
                for f in chunk {
                    serde_json::to_writer(&mut buf, f)?;
                    buf.push(b'\n');
                }
                Ok(buf)
            })
            .collect();
        for text in texts {
            out.write_all(&text?)?;
        }
    }
    Ok(())
}

pub fn json(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, findings)?;
    out.write_all(b"\n")
}

pub fn csv(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    let mut w = csv_writer(out);
    w.write_record([
        "id",
        "severity",
        "rule_id",
        "title",
        "outcome",
        "event_time",
        "event_name",
        "principal",
        "source_ip",
        "account",
        "region",
        "resources",
        "attack",
        "kb",
        "event_ids",
        "story",
    ])?;
    for f in findings {
        let outcome = serde_json::to_value(f.outcome)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        w.write_record([
            f.id.as_str(),
            f.severity.as_str(),
            &f.rule_id,
            &f.title,
            &outcome,
            &f.event_time,
            &f.event_name,
            f.principal.as_deref().unwrap_or_default(),
            f.source_ip.as_deref().unwrap_or_default(),
            f.account.as_deref().unwrap_or_default(),
            f.region.as_deref().unwrap_or_default(),
            &f.resources.brief(),
            &f.attack.join(" "),
            f.kb.as_deref().unwrap_or_default(),
            &f.event_ids.join(" "),
            &f.story,
        ])?;
    }
    w.flush()
}

fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::Writer::from_writer(out)
}

/// Lines shown per rule in the table; the rest is counted (every format but the table lists all).
const TABLE_ROWS_PER_RULE: usize = 10;

/// The terminal view: one block per severity and rule, one line per finding.
pub fn table(out: &mut impl Write, findings: &[Finding], color: bool) -> io::Result<()> {
    let paint = |text: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut last: Option<(&str, &str)> = None;
    let mut shown = 0;
    for (i, f) in findings.iter().enumerate() {
        let key = (f.severity.as_str(), f.rule_id.as_str());
        if last != Some(key) {
            shown = 0;
            let count = findings
                .iter()
                .filter(|g| g.severity == f.severity && g.rule_id == f.rule_id)
                .count();
            let code = match f.severity.as_str() {
                "critical" => "1;35",
                "high" => "1;31",
                "medium" => "1;33",
                "low" => "1;36",
                _ => "1",
            };
            if last.is_some() {
                writeln!(out)?;
            }
            let attack = if f.attack.is_empty() {
                String::new()
            } else {
                format!("  [{}]", f.attack.join(", "))
            };
            writeln!(
                out,
                "{} {} — {} ({count}){attack}",
                paint(&format!("{:<8}", f.severity.as_str().to_uppercase()), code),
                paint(&f.rule_id, "1"),
                f.title
            )?;
            last = Some(key);
        }
        shown += 1;
        if shown > TABLE_ROWS_PER_RULE {
            let next_differs = findings
                .get(i + 1)
                .is_none_or(|g| (g.severity.as_str(), g.rule_id.as_str()) != key);
            if next_differs {
                writeln!(
                    out,
                    "  … and {} more (--format jsonl lists every finding)",
                    shown - TABLE_ROWS_PER_RULE
                )?;
            }
            continue;
        }
        writeln!(out, "  {}  {}", paint(&f.event_time, "2"), f.story)?;
        for c in &f.context {
            writeln!(out, "      ↳ {c}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Outcome, Severity};

    fn finding(n: usize) -> Finding {
        let severity = [Severity::Low, Severity::High, Severity::Medium][n % 3];
        Finding {
            id: format!("TH-{:04}", n % 7),
            rule_id: format!("rule-{}", n % 5),
            title: String::new(),
            severity,
            outcome: Outcome::Succeeded,
            event_ids: vec![n.to_string()],
            event_name: String::new(),
            event_time: format!("2024-05-04T02:{:02}:00Z", n % 11),
            principal: None,
            source_ip: None,
            source_ips: Vec::new(),
            account: None,
            region: None,
            error_code: None,
            resources: Default::default(),
            attack: Vec::new(),
            kb: None,
            story: String::new(),
            context: Vec::new(),
        }
    }

    #[test]
    fn sort_equals_a_stable_sort_of_the_findings() {
        for n in [0, 1, 2, 3, 10, 100, 1000] {
            let mut got: Vec<Finding> = (0..n).map(finding).collect();
            let mut want = got.clone();
            want.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then_with(|| a.rule_id.cmp(&b.rule_id))
                    .then_with(|| a.event_time.cmp(&b.event_time))
                    .then_with(|| a.id.cmp(&b.id))
            });
            sort(&mut got);
            let ids = |v: &[Finding]| v.iter().map(|f| f.event_ids[0].clone()).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&want), "{n} findings");
        }
    }

    #[test]
    fn jsonl_is_one_line_per_finding_in_order() {
        let findings: Vec<Finding> = (0..40_000).map(finding).collect();
        let mut got = Vec::new();
        jsonl(&mut got, &findings).unwrap();
        let mut want = Vec::new();
        for f in &findings {
            serde_json::to_writer(&mut want, f).unwrap();
            want.push(b'\n');
        }
        assert_eq!(got, want);
    }
}
