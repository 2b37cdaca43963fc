//! `trailhound explain`: what a CloudTrail event means and what to do about it, from the
//! knowledge base (crates/kb); for findings, with their values filled into the remediation.

use std::collections::BTreeSet;
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use kb::placeholder::{self, Values};
use kb::{Entry, Kb, render};
use serde_json::{Value, json};

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  trailhound explain CreateKeyPair\n  trailhound explain --list --service iam\n  trailhound detect logs/ --format jsonl | trailhound explain --finding -"
)]
pub struct Args {
    /// The CloudTrail event name (eventName), any case.
    #[arg(required_unless_present_any = ["list", "finding"], conflicts_with_all = ["list", "finding"])]
    event: Option<String>,
    /// List the events the knowledge base explains, with service and severity.
    #[arg(long)]
    list: bool,
    /// With --list: only this service (ec2, iam, sts, cloudtrail, ssm, ec2-instance-connect,
    /// signin, autoscaling, kms).
    #[arg(long, requires = "list")]
    service: Option<String>,
    /// Explain each finding of `trailhound detect --format jsonl` read from FILE (- for stdin),
    /// with its resources, account, region and principal filled into the commands.
    #[arg(long, value_name = "FILE", conflicts_with = "list")]
    finding: Option<String>,
    /// With --finding: the CloudTrail path filled into {trail} of the investigation commands.
    #[arg(long, value_name = "PATH", requires = "finding")]
    trail: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: ExplainFormat,
    /// Wrap text to this many columns (default: the terminal's width, else 100).
    #[arg(long, value_name = "COLUMNS")]
    width: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExplainFormat {
    Text,
    Md,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let kb = Kb::builtin();
    // Embedded entries are checked by the tests; a broken one is still reported, not hidden.
    for error in kb.errors() {
        eprintln!("warning: KB entry skipped: {error}");
    }
    let width = args.width.unwrap_or_else(terminal_width);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let code = if args.list {
        list(&mut out, kb, args.service.as_deref(), args.format)?
    } else if let Some(source) = &args.finding {
        findings(&mut out, kb, source, &args.trail, args.format, width)?
    } else {
        let event = args.event.as_deref().unwrap_or_default();
        match kb.get(event) {
            Some(entry) => {
                write_entry(&mut out, entry, args.format, width)?;
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: {}", unknown_event(kb, event));
                ExitCode::from(2)
            }
        }
    };
    out.flush()?;
    Ok(code)
}

fn terminal_width() -> usize {
    if io::stdout().is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size()
    {
        return usize::from(w).max(render::MIN_WIDTH);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn unknown_event(kb: &Kb, event: &str) -> String {
    let near = kb.suggest(event);
    if near.is_empty() {
        format!(
            "the knowledge base has no entry for {event:?}; `trailhound explain --list` shows them all"
        )
    } else {
        format!(
            "the knowledge base has no entry for {event:?}; did you mean {}?",
            near.join(", ")
        )
    }
}

fn write_entry(
    out: &mut impl Write,
    entry: &Entry,
    format: ExplainFormat,
    width: usize,
) -> anyhow::Result<()> {
    match format {
        ExplainFormat::Text => out.write_all(render::text(entry, width).as_bytes())?,
        ExplainFormat::Md => writeln!(out, "{}", render::markdown(entry, None))?,
        ExplainFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, entry)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn list(
    out: &mut impl Write,
    kb: &Kb,
    service: Option<&str>,
    format: ExplainFormat,
) -> anyhow::Result<ExitCode> {
    if let Some(s) = service
        && !kb::SERVICES.contains(&s)
    {
        eprintln!(
            "error: unknown service {s:?}: use one of {}",
            kb::SERVICES.join(", ")
        );
        return Ok(ExitCode::from(2));
    }
    let entries: Vec<&Entry> = kb
        .by_service()
        .into_values()
        .flatten()
        .filter(|e| service.is_none_or(|s| e.service == s))
        .collect();
    match format {
        ExplainFormat::Text => {
            let event_w = entries
                .iter()
                .map(|e| e.event.len())
                .max()
                .unwrap_or(5)
                .max(5);
            let service_w = entries
                .iter()
                .map(|e| e.service.len())
                .max()
                .unwrap_or(7)
                .max(7);
            writeln!(
                out,
                "{:event_w$}  {:service_w$}  {:8}  SUMMARY",
                "EVENT", "SERVICE", "SEVERITY"
            )?;
            for e in &entries {
                writeln!(
                    out,
                    "{:event_w$}  {:service_w$}  {:8}  {}",
                    e.event,
                    e.service,
                    e.severity.as_str(),
                    e.summary
                )?;
            }
        }
        ExplainFormat::Md => {
            writeln!(
                out,
                "| Event | Service | Severity | Summary |\n|---|---|---|---|"
            )?;
            for e in &entries {
                writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    e.event,
                    e.service,
                    e.severity,
                    e.summary.replace('|', "\\|")
                )?;
            }
        }
        ExplainFormat::Json => {
            let rows: Vec<Value> = entries
                .iter()
                .map(|e| {
                    json!({"event": e.event, "service": e.service, "severity": e.severity, "summary": e.summary})
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The placeholder values a finding (a line of `detect --format jsonl`) provides.
pub fn finding_values(finding: &Value, trail: &[String]) -> Values {
    let mut values = Values::new();
    let mut put = |name: &str, items: Vec<String>| {
        let items: Vec<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
        if !items.is_empty() && placeholder::is_known(name) {
            values.entry(name.to_string()).or_insert(items);
        }
    };
    let text = |v: &Value| v.as_str().map(str::to_string);
    // resources: key_names -> {key_name}, instance_ids -> {instance_id}, ...
    if let Some(resources) = finding["resources"].as_object() {
        for (kind, items) in resources {
            let Some(name) = kind.strip_suffix('s') else {
                continue;
            };
            let items = items
                .as_array()
                .map(|a| a.iter().filter_map(text).collect())
                .unwrap_or_default();
            put(name, items);
        }
    }
    for field in ["account", "region", "principal"] {
        put(field, text(&finding[field]).into_iter().collect());
    }
    let ips: Vec<String> = finding["source_ips"]
        .as_array()
        .map(|a| a.iter().filter_map(text).collect())
        .filter(|v: &Vec<String>| !v.is_empty())
        .or_else(|| text(&finding["source_ip"]).map(|ip| vec![ip]))
        .unwrap_or_default();
    put("source_ip", ips);
    // Without a user or role the event acts on, the caller's own name is the one to act on.
    if let Some(arn) = finding["principal"].as_str() {
        let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
        if let Some(user) = resource.strip_prefix("user/") {
            put(
                "user_name",
                vec![user.rsplit('/').next().unwrap_or(user).to_string()],
            );
        } else if let Some(role) = resource.strip_prefix("assumed-role/") {
            put(
                "role_name",
                vec![role.split('/').next().unwrap_or(role).to_string()],
            );
        }
    }
    put("trail", trail.to_vec());
    values
}

/// Placeholders the entry uses that the values leave unfilled.
fn unfilled(entry: &Entry, values: &Values) -> Vec<String> {
    let used: BTreeSet<&str> = entry
        .texts()
        .into_iter()
        .flat_map(|(_, text)| placeholder::names_in(text))
        .collect();
    used.into_iter()
        .filter(|name| !values.contains_key(*name))
        .map(|name| format!("{{{name}}}"))
        .collect()
}

fn findings(
    out: &mut impl Write,
    kb: &Kb,
    source: &str,
    trail: &[String],
    format: ExplainFormat,
    width: usize,
) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = if source == "-" {
        Box::new(io::BufReader::new(io::stdin()))
    } else {
        let file = std::fs::File::open(source)
            .with_context(|| format!("cannot open findings file {source}"))?;
        Box::new(io::BufReader::new(file))
    };
    let name = if source == "-" { "stdin" } else { source };
    let mut bad = 0usize;
    let mut shown = 0usize;
    let mut json_rows = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line_no = index + 1;
        let line = line.with_context(|| format!("{name}:{line_no}: cannot read"))?;
        if line.trim().is_empty() {
            continue;
        }
        let finding: Value = match serde_json::from_str(&line) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                eprintln!(
                    "error: {name}:{line_no}: not a finding (expected a JSON object from `detect --format jsonl`)"
                );
                bad += 1;
                continue;
            }
            Err(e) => {
                eprintln!("error: {name}:{line_no}: not a finding (invalid JSON: {e})");
                bad += 1;
                continue;
            }
        };
        let id = finding["id"].as_str().unwrap_or("?");
        let Some(event) = finding["kb"].as_str() else {
            eprintln!(
                "note: {name}:{line_no}: finding {id} ({}) names no KB entry",
                finding["rule_id"].as_str().unwrap_or("?")
            );
            continue;
        };
        let Some(entry) = kb.get(event) else {
            eprintln!(
                "error: {name}:{line_no}: finding {id}: {}",
                unknown_event(kb, event)
            );
            bad += 1;
            continue;
        };
        let values = finding_values(&finding, trail);
        let filled = entry.filled(&values);
        let missing = unfilled(entry, &values);
        match format {
            ExplainFormat::Text => {
                if shown > 0 {
                    writeln!(
                        out,
                        "\n{}\n",
                        "=".repeat(width.clamp(render::MIN_WIDTH, 100))
                    )?;
                }
                out.write_all(finding_header_text(&finding, &values, &missing, width).as_bytes())?;
                writeln!(out)?;
                out.write_all(render::text(&filled, width).as_bytes())?;
            }
            ExplainFormat::Md => {
                if shown > 0 {
                    writeln!(out, "\n---\n")?;
                }
                out.write_all(finding_header_md(&finding, &values, &missing).as_bytes())?;
                writeln!(out, "{}", render::markdown(&filled, None))?;
            }
            ExplainFormat::Json => json_rows.push(json!({
                "finding": finding,
                "values": values,
                "unfilled": missing,
                "entry": filled,
            })),
        }
        shown += 1;
    }
    if format == ExplainFormat::Json {
        serde_json::to_writer_pretty(&mut *out, &json_rows)?;
        writeln!(out)?;
    }
    if bad > 0 {
        eprintln!("{bad} line(s) of {name} skipped");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn finding_line(finding: &Value) -> String {
    let field = |k: &str| finding[k].as_str().unwrap_or("?").to_string();
    format!(
        "{} {} [{}] {} at {}",
        field("id"),
        field("rule_id"),
        field("severity"),
        field("event_name"),
        field("event_time")
    )
}

fn filled_list(values: &Values) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k}={}", v.join(",")))
        .collect::<Vec<_>>()
        .join("  ")
}

fn finding_header_text(
    finding: &Value,
    values: &Values,
    missing: &[String],
    width: usize,
) -> String {
    let mut out = format!("Finding {}\n", finding_line(finding));
    if let Some(story) = finding["story"].as_str() {
        out.push_str(&render::wrap(story, width, "  ", "  "));
    }
    out.push_str(&render::wrap(
        &filled_list(values),
        width,
        "  Filled: ",
        "          ",
    ));
    if !missing.is_empty() {
        out.push_str(&render::wrap(
            &missing.join(" "),
            width,
            "  Not in the finding: ",
            "    ",
        ));
    }
    out
}

fn finding_header_md(finding: &Value, values: &Values, missing: &[String]) -> String {
    let mut out = format!("> **Finding** `{}`", finding_line(finding));
    if let Some(story) = finding["story"].as_str() {
        out.push_str(&format!("  \n> {story}"));
    }
    out.push_str(&format!("  \n> Filled: `{}`", filled_list(values)));
    if !missing.is_empty() {
        out.push_str(&format!(
            "  \n> Not in the finding: `{}`",
            missing.join(" ")
        ));
    }
    out.push_str("\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Every `trailhound ...` line of every entry parses with the real command line.
    #[test]
    fn investigation_commands_parse() {
        let dummies: Values = kb::placeholder::PLACEHOLDERS
            .iter()
            .map(|(name, _)| (name.to_string(), vec![format!("x-{name}")]))
            .collect();
        let mut problems = Vec::new();
        for entry in kb::entries() {
            for command in &entry.investigate.commands {
                let line = placeholder::fill_first(command, &dummies);
                let Some(words) = split_words(&line) else {
                    problems.push(format!("{}: {command}: unbalanced quotes", entry.file));
                    continue;
                };
                if words.first().map(String::as_str) != Some("trailhound") {
                    problems.push(format!(
                        "{}: {command}: not a trailhound command",
                        entry.file
                    ));
                    continue;
                }
                if let Err(e) = crate::Cli::try_parse_from(&words) {
                    let first = e.to_string().lines().next().unwrap_or_default().to_string();
                    problems.push(format!("{}: {command}: {first}", entry.file));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Shell-like words: whitespace separates, single and double quotes group.
    fn split_words(line: &str) -> Option<Vec<String>> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut in_word = false;
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => word.push(c),
                None if c == '\'' || c == '"' => {
                    quote = Some(c);
                    in_word = true;
                }
                None if c.is_whitespace() => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                None => {
                    word.push(c);
                    in_word = true;
                }
            }
        }
        if quote.is_some() {
            return None;
        }
        if in_word {
            words.push(word);
        }
        Some(words)
    }

    #[test]
    fn split_words_handles_quotes() {
        assert_eq!(
            split_words("a 'b c' \"d\" e''").unwrap(),
            ["a", "b c", "d", "e"]
        );
        assert!(split_words("a 'b").is_none());
    }

    #[test]
    fn values_from_a_finding() {
        let finding = json!({
            "id": "TH-1", "account": "111122223333", "region": "eu-west-1",
            "principal": "arn:aws:iam::111122223333:user/ci-deployer",
            "source_ip": "198.51.100.23", "source_ips": [],
            "resources": {"key_names": ["backup-key"], "instance_ids": ["i-0aaa1111", "i-0bbb2222"],
                          "volume_ids": ["vol-1"], "unknown_things": ["x"]},
        });
        let values = finding_values(&finding, &["logs/".to_string()]);
        let get = |k: &str| values.get(k).cloned().unwrap_or_default();
        assert_eq!(get("key_name"), ["backup-key"]);
        assert_eq!(get("instance_id"), ["i-0aaa1111", "i-0bbb2222"]);
        assert_eq!(get("user_name"), ["ci-deployer"]);
        assert_eq!(get("source_ip"), ["198.51.100.23"]);
        assert_eq!(get("trail"), ["logs/"]);
        assert_eq!(get("account"), ["111122223333"]);
        // Not placeholders: left out.
        assert!(!values.contains_key("volume_id") && !values.contains_key("unknown_thing"));
    }

    #[test]
    fn the_event_a_user_acts_on_wins_over_the_caller() {
        let finding = json!({
            "principal": "arn:aws:sts::111122223333:assumed-role/Admin/bob",
            "resources": {"user_names": ["victim"]},
        });
        let values = finding_values(&finding, &[]);
        assert_eq!(values["user_name"], ["victim"]);
        assert_eq!(values["role_name"], ["Admin"]);
    }
}
