//! An entry as terminal text (wrapped to a width) or Markdown (`explain --format md`, docs/kb/).

use std::fmt::Write as _;

use crate::{Entry, Kb};

/// Narrowest width text is wrapped to; narrower terminals get lines this long.
pub const MIN_WIDTH: usize = 40;

/// Word-wraps `text` to `width` columns: the first line starts with `first`, the others with
/// `rest` (hanging indents for bullets). Paragraph breaks (blank lines) are kept; a word longer
/// than a line is left whole rather than cut.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let width = width.max(MIN_WIDTH);
    let mut out = String::new();
    for (n, paragraph) in text.trim().split("\n\n").enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut line = String::from(if n == 0 { first } else { rest });
        let mut len = line.chars().count();
        let mut empty = true;
        for word in paragraph.split_whitespace() {
            let word_len = word.chars().count();
            if !empty && len + 1 + word_len > width {
                out.push_str(&line);
                out.push('\n');
                line = rest.to_string();
                len = rest.chars().count();
                empty = true;
            }
            if !empty {
                line.push(' ');
                len += 1;
            }
            line.push_str(word);
            len += word_len;
            empty = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Lines of code indented by `indent`, never wrapped (they must stay copyable).
fn code_block(out: &mut String, code: &str, indent: &str) {
    for line in code.trim_matches('\n').lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
}

/// The entry as terminal text wrapped to `width` columns.
pub fn text(entry: &Entry, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  ({}, {}, severity {})",
        entry.event, entry.service, entry.event_source, entry.severity
    );
    out.push_str(&wrap(&entry.summary, width, "", ""));
    section(&mut out, "What it means");
    out.push_str(&wrap(&entry.meaning, width, "  ", "  "));
    section(&mut out, "When it is routine");
    out.push_str(&wrap(&entry.routine, width, "  ", "  "));
    section(&mut out, "Risks");
    for risk in &entry.risks {
        out.push_str(&wrap(risk, width, "  - ", "    "));
    }
    out.push('\n');
    let facts = [
        ("ATT&CK", entry.attack.join(", ")),
        ("Related", entry.related_events.join(", ")),
        ("Rules", entry.rules.join(", ")),
    ];
    for (label, value) in facts {
        if !value.is_empty() {
            out.push_str(&wrap(&value, width, &format!("{label:<9}"), "         "));
        }
    }
    section(&mut out, "Investigate");
    if !entry.investigate.fields.is_empty() {
        out.push_str(&wrap(
            &entry.investigate.fields.join(", "),
            width,
            "  Fields: ",
            "          ",
        ));
    }
    for (n, step) in entry.investigate.steps.iter().enumerate() {
        out.push_str(&wrap(step, width, &format!("  {}. ", n + 1), "     "));
    }
    for command in &entry.investigate.commands {
        let _ = writeln!(out, "  $ {command}");
    }
    section(&mut out, "Remediation");
    out.push_str("  Console\n");
    for (n, step) in entry.remediation.console.iter().enumerate() {
        out.push_str(&wrap(step, width, &format!("    {}. ", n + 1), "       "));
    }
    out.push_str("  aws CLI\n");
    for command in &entry.remediation.cli {
        let _ = writeln!(out, "    $ {command}");
    }
    out.push_str("  boto3\n");
    code_block(&mut out, &entry.remediation.boto3, "    ");
    if let Some(p) = &entry.prevention {
        section(&mut out, "Prevention");
        if let Some(scp) = &p.scp {
            out.push_str("  Service control policy\n");
            code_block(&mut out, scp, "    ");
        }
        if let Some(iam) = &p.iam {
            out.push_str("  IAM policy\n");
            code_block(&mut out, iam, "    ");
        }
        if let Some(detective) = &p.detective {
            out.push_str("  Detective control\n");
            out.push_str(&wrap(detective, width, "    ", "    "));
        }
    }
    out
}

fn section(out: &mut String, title: &str) {
    let _ = write!(out, "\n{title}\n");
}

/// The ATT&CK page of a technique id (`T1098.004` -> `.../techniques/T1098/004/`).
pub fn attack_url(id: &str) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}/",
        id.replace('.', "/")
    )
}

/// The entry as Markdown. With `links`, it is a page of docs/kb/<service>/<Event>.md: related
/// events link to their pages (those in `links`) and rules to docs/rules/<name>.md.
pub fn markdown(entry: &Entry, links: Option<&Kb>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", entry.event);
    let _ = writeln!(
        out,
        "`{}` · {} · severity **{}**\n",
        entry.event_source, entry.service, entry.severity
    );
    let _ = writeln!(out, "{}\n", entry.summary.trim());
    let _ = writeln!(out, "## What it means\n\n{}\n", md_text(&entry.meaning));
    let _ = writeln!(
        out,
        "## When it is routine\n\n{}\n",
        md_text(&entry.routine)
    );
    out.push_str("## Risks\n\n");
    for risk in &entry.risks {
        let _ = writeln!(out, "- {}", md_text(risk));
    }
    out.push('\n');
    if !entry.attack.is_empty() {
        let ids: Vec<String> = entry
            .attack
            .iter()
            .map(|id| format!("[{id}]({})", attack_url(id)))
            .collect();
        let _ = writeln!(out, "**ATT&CK:** {}\n", ids.join(", "));
    }
    if !entry.related_events.is_empty() {
        let related: Vec<String> = entry
            .related_events
            .iter()
            .map(|event| match links.and_then(|kb| kb.get(event)) {
                Some(other) => {
                    format!("[{}](../{}/{}.md)", other.event, other.service, other.event)
                }
                None => format!("`{event}`"),
            })
            .collect();
        let _ = writeln!(out, "**Related events:** {}\n", related.join(", "));
    }
    if !entry.rules.is_empty() {
        let rules: Vec<String> = entry
            .rules
            .iter()
            .map(|rule| match links {
                Some(_) => format!("[{rule}](../../rules/{rule}.md)"),
                None => format!("`{rule}`"),
            })
            .collect();
        let _ = writeln!(out, "**Rules:** {}\n", rules.join(", "));
    }
    out.push_str("## Investigate\n\n");
    if !entry.investigate.fields.is_empty() {
        let fields: Vec<String> = entry
            .investigate
            .fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect();
        let _ = writeln!(out, "Fields to read: {}\n", fields.join(", "));
    }
    for (n, step) in entry.investigate.steps.iter().enumerate() {
        let _ = writeln!(out, "{}. {}", n + 1, md_text(step));
    }
    out.push('\n');
    if !entry.investigate.commands.is_empty() {
        fence(&mut out, "sh", &entry.investigate.commands.join("\n"));
    }
    out.push_str("## Remediation\n\n### Console\n\n");
    for (n, step) in entry.remediation.console.iter().enumerate() {
        let _ = writeln!(out, "{}. {}", n + 1, md_text(step));
    }
    out.push_str("\n### aws CLI\n\n");
    fence(&mut out, "sh", &entry.remediation.cli.join("\n"));
    out.push_str("### boto3\n\n");
    fence(&mut out, "python", &entry.remediation.boto3);
    if let Some(p) = &entry.prevention {
        out.push_str("## Prevention\n\n");
        if let Some(scp) = &p.scp {
            out.push_str("### Service control policy\n\n");
            fence(&mut out, "json", scp);
        }
        if let Some(iam) = &p.iam {
            out.push_str("### IAM policy\n\n");
            fence(&mut out, "json", iam);
        }
        if let Some(detective) = &p.detective {
            let _ = writeln!(out, "### Detective control\n\n{}\n", md_text(detective));
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Prose as one Markdown paragraph per paragraph of the source (TOML line continuations and
/// hard breaks are joined).
fn md_text(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn fence(out: &mut String, lang: &str, code: &str) {
    let _ = writeln!(out, "```{lang}\n{}\n```\n", code.trim_matches('\n'));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_with_hanging_indent() {
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen";
        let out = wrap(text, 40, "  - ", "    ");
        for line in out.lines() {
            assert!(line.chars().count() <= 40, "{line:?}");
        }
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("  - one"));
        assert!(lines[1].starts_with("    ") && !lines[1].starts_with("     "));
        let words: Vec<&str> = out.split_whitespace().filter(|w| *w != "-").collect();
        assert_eq!(words.join(" "), text);
    }

    #[test]
    fn long_words_are_not_cut_and_paragraphs_kept() {
        let long = "x".repeat(60);
        let out = wrap(&format!("a {long} b\n\nsecond"), 40, "", "");
        assert_eq!(out, format!("a\n{long}\nb\n\nsecond\n"));
    }

    #[test]
    fn attack_urls() {
        assert_eq!(
            attack_url("T1098.004"),
            "https://attack.mitre.org/techniques/T1098/004/"
        );
        assert_eq!(
            attack_url("T1078"),
            "https://attack.mitre.org/techniques/T1078/"
        );
    }
}
