//! `trailhound rules`: list the rule pack and validate rule folders.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use report::Format;
use rules::{RuleInfo, RuleKind, RulesetBuilder};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(clap::Subcommand)]
enum RulesCommand {
    /// Show the rules: the built-in pack, plus `--rules DIR` when given.
    List {
        /// A folder of Sigma rules (searched recursively) to add to the built-in pack.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Leave the built-in pack out (only with --rules).
        #[arg(long, requires = "rules")]
        no_builtin: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        placeholders: Placeholders,
    },
    /// Validate a folder of Sigma rules: compile every rule, run their `trailhound.tests`, and
    /// list what each rule needs (fields, modifiers, correlation type).
    Check {
        /// The folder (searched recursively for *.yml / *.yaml).
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        placeholders: Placeholders,
    },
}

#[derive(clap::Args)]
struct Placeholders {
    /// A value for an `|expand` placeholder: `--placeholder admins=alice` (repeatable).
    #[arg(long = "placeholder", value_name = "NAME=VALUE")]
    values: Vec<String>,
}

impl Placeholders {
    fn parse(&self) -> anyhow::Result<HashMap<String, Vec<String>>> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for item in &self.values {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--placeholder `{item}`: write NAME=VALUE"))?;
            map.entry(name.trim_matches('%').to_string())
                .or_default()
                .push(value.to_string());
        }
        Ok(map)
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        RulesCommand::List {
            rules,
            no_builtin,
            format,
            placeholders,
        } => {
            let mut builder = RulesetBuilder::default().placeholders(placeholders.parse()?);
            if !no_builtin {
                builder = builder.with_builtin();
            }
            if let Some(dir) = &rules {
                builder = builder.with_dir(dir);
            }
            let loaded = match builder.build() {
                Ok(l) => l,
                Err(errors) => return Ok(print_errors(&errors)),
            };
            let rows: Vec<&RuleInfo> = loaded.ruleset.rules().iter().filter(|r| r.emits).collect();
            print_list(&rows, format)?;
            report_skipped(&loaded.skipped);
            Ok(if loaded.skipped.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        RulesCommand::Check {
            dir,
            format,
            placeholders,
        } => {
            if !dir.is_dir() {
                anyhow::bail!("{}: not a folder of rules", dir.display());
            }
            let builder = RulesetBuilder::default()
                .placeholders(placeholders.parse()?)
                .with_dir(&dir);
            let loaded = match builder.build() {
                Ok(l) => l,
                Err(errors) => return Ok(print_errors(&errors)),
            };
            let tests = loaded.ruleset.run_rule_tests(false);
            print_check(loaded.ruleset.rules(), &tests, format)?;
            for failure in &tests.failures {
                eprintln!("test failed: {failure}");
            }
            report_skipped(&loaded.skipped);
            let clean = tests.failures.is_empty() && loaded.skipped.is_empty();
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

fn print_errors(errors: &[rules::LoadError]) -> ExitCode {
    for e in errors {
        eprintln!("error: {e}");
    }
    eprintln!(
        "{} rule error(s); nothing was run. Fix or remove the rules named above.",
        errors.len()
    );
    ExitCode::from(2)
}

fn report_skipped(skipped: &[rules::Skipped]) {
    for s in skipped {
        eprintln!("skipped: {} (rule {}): {}", s.file, s.rule, s.reason);
    }
}

fn kind(r: &RuleInfo) -> &'static str {
    match &r.kind {
        RuleKind::Detection => "detection",
        RuleKind::Correlation { correlation } => correlation.as_str(),
    }
}

#[derive(serde::Serialize)]
struct ListRow<'a> {
    rule_id: &'a str,
    uuid: Option<&'a str>,
    level: &'a str,
    title: &'a str,
    kind: &'a str,
    attack: String,
    kb: Option<&'a str>,
    file: &'a str,
}

fn list_row(r: &RuleInfo) -> ListRow<'_> {
    ListRow {
        rule_id: &r.rule_id,
        uuid: r.uuid.as_deref(),
        level: r.level.as_str(),
        title: &r.title,
        kind: kind(r),
        attack: r.attack.join(" "),
        kb: r.kb.as_deref(),
        file: &r.file,
    }
}

fn print_list(rows: &[&RuleInfo], format: Format) -> anyhow::Result<()> {
    let out = io::stdout();
    let mut out = out.lock();
    let rows: Vec<ListRow> = rows.iter().map(|r| list_row(r)).collect();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        Format::Jsonl => {
            for r in &rows {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            for r in &rows {
                w.serialize(r)?;
            }
            w.flush()?;
        }
        Format::Table => {
            let table: Vec<[String; 5]> = rows
                .iter()
                .map(|r| {
                    [
                        r.rule_id.to_string(),
                        r.level.to_string(),
                        r.title.to_string(),
                        r.attack.clone(),
                        r.kb.unwrap_or("-").to_string(),
                    ]
                })
                .collect();
            write_table(&mut out, ["RULE", "LEVEL", "TITLE", "ATT&CK", "KB"], &table)?;
            writeln!(out, "{} rule(s)", rows.len())?;
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct CheckRow<'a> {
    rule_id: &'a str,
    file: &'a str,
    kind: &'a str,
    emits: bool,
    fields: Vec<&'a str>,
    modifiers: Vec<&'a str>,
    keywords: bool,
    notes: &'a [String],
    tests: usize,
}

fn print_check(
    rules: &[RuleInfo],
    tests: &rules::TestReport,
    format: Format,
) -> anyhow::Result<()> {
    let out = io::stdout();
    let mut out = out.lock();
    let rows: Vec<CheckRow> = rules
        .iter()
        .map(|r| CheckRow {
            rule_id: &r.rule_id,
            file: &r.file,
            kind: kind(r),
            emits: r.emits,
            fields: r.needs.fields.iter().map(String::as_str).collect(),
            modifiers: r.needs.modifiers.iter().map(String::as_str).collect(),
            keywords: r.needs.keywords,
            notes: &r.notes,
            tests: r.tests.len(),
        })
        .collect();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        Format::Jsonl => {
            for r in &rows {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
        }
        Format::Csv => {
            writeln!(
                out,
                "rule_id,file,kind,emits,fields,modifiers,keywords,tests"
            )?;
            let mut w = csv::Writer::from_writer(out);
            for r in &rows {
                w.write_record([
                    r.rule_id,
                    r.file,
                    r.kind,
                    if r.emits { "true" } else { "false" },
                    &r.fields.join(" "),
                    &r.modifiers.join(" "),
                    if r.keywords { "true" } else { "false" },
                    &r.tests.to_string(),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            for r in &rows {
                let role = if r.emits {
                    ""
                } else {
                    " (base rule, no findings of its own)"
                };
                writeln!(out, "{}  [{}]{}  {}", r.rule_id, r.kind, role, r.file)?;
                writeln!(
                    out,
                    "  fields:    {}",
                    if r.fields.is_empty() {
                        "-".into()
                    } else {
                        r.fields.join(", ")
                    }
                )?;
                if !r.modifiers.is_empty() {
                    writeln!(out, "  modifiers: {}", r.modifiers.join(", "))?;
                }
                if r.keywords {
                    writeln!(out, "  keywords:  yes (searched in every value)")?;
                }
                for note in r.notes {
                    writeln!(out, "  note:      {note}")?;
                }
            }
            writeln!(
                out,
                "{} rule(s) compiled; {} test(s) run, {} failed",
                rows.iter().filter(|r| r.emits).count(),
                tests.ran,
                tests.failures.len()
            )?;
        }
    }
    Ok(())
}

fn write_table<const N: usize>(
    out: &mut impl Write,
    header: [&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: Vec<&str>| -> io::Result<()> {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, header.to_vec())?;
    for row in rows {
        line(out, row.iter().map(String::as_str).collect())?;
    }
    Ok(())
}
