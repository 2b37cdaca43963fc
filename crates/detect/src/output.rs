//! Writing findings: a terminal table grouped by severity and rule, JSON lines, JSON, CSV.

use std::io::{self, Write};

use crate::finding::Finding;

/// Findings in the order every output uses: most severe first, then rule, then time.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.event_time.cmp(&b.event_time))
            .then_with(|| a.id.cmp(&b.id))
    });
}

pub fn jsonl(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *out, f)?;
        out.write_all(b"\n")?;
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
