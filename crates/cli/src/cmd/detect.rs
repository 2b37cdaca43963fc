//! `trailhound detect`: the built-in rules and any Sigma rules over CloudTrail, correlations included.

use std::collections::HashMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use detect::{DetectOptions, Severity};

use super::timings::Timings;
use super::trail_args::{TrailArgs, finish_report};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    trail: TrailArgs,
    /// Sigma rules to run too: a folder, read recursively; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Run only the rules given with --rules, not the built-in pack.
    #[arg(long)]
    no_builtin: bool,
    /// A value for a Sigma `|expand` placeholder: NAME=VALUE; repeatable.
    #[arg(long = "placeholder", value_name = "NAME=VALUE")]
    placeholders: Vec<String>,
    /// Account snapshot (aws CLI JSON folder) whose instances enrich the findings: who still
    /// uses a key pair, which instances sit behind a group, role credentials used off-instance.
    #[arg(long, value_name = "DIR")]
    snapshot: Option<PathBuf>,
    /// Output format; a table on a terminal, JSON lines otherwise.
    #[arg(long, value_enum)]
    format: Option<report::Format>,
    /// Leave out findings below this severity.
    #[arg(long, value_name = "SEVERITY")]
    min_severity: Option<Severity>,
    /// Exit 1 when any finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    /// Memory for ordering matched events and findings before they spill to temporary files
    /// (a quarter of it for findings). A bound, not a reservation: memory stays flat however
    /// large the input. More buys little: on 1.1 GB, 256 MiB was within the noise of 64 MiB in
    /// speed and peaked at 460 MB resident, against 210 MB.
    #[arg(long, default_value_t = 64, value_name = "MIB", hide = true)]
    sort_memory_mib: usize,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let timings = Timings::from_env();
    let mut builder = rules::RulesetBuilder::default();
    if !args.no_builtin {
        builder = builder.with_builtin();
    }
    for dir in &args.rules {
        anyhow::ensure!(
            dir.exists(),
            "--rules {}: no such file or folder",
            dir.display()
        );
        builder = builder.with_dir(dir);
    }
    let mut placeholders: HashMap<String, Vec<String>> = HashMap::new();
    for p in &args.placeholders {
        let (name, value) = p
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--placeholder {p:?}: write it as NAME=VALUE"))?;
        placeholders
            .entry(name.trim_matches('%').to_string())
            .or_default()
            .push(value.to_string());
    }
    if !placeholders.is_empty() {
        builder = builder.placeholders(placeholders);
    }
    let loaded = match builder.build() {
        Ok(loaded) => loaded,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            anyhow::bail!(
                "{} rule file problem(s); fix them or leave the files out (`trailhound rules check DIR` lists what each rule needs)",
                errors.len()
            );
        }
    };
    timings.lap("rules");
    for s in &loaded.skipped {
        eprintln!("warning: {}: rule {} not run: {}", s.file, s.rule, s.reason);
    }

    let snapshot = args
        .snapshot
        .as_deref()
        .map(detect::SnapshotContext::load)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let (sources, early, scan) = args.trail.prepare()?;
    let opts = DetectOptions {
        scan,
        sort_memory: args.sort_memory_mib << 20,
        enricher: snapshot.as_ref().map(|s| s as &dyn detect::Enricher),
        phase_done: Some(&|phase| timings.lap(phase)),
    };
    let detection = detect::detect_streamed(&sources, &loaded.ruleset, &opts)?;
    let store = detection.findings;
    let min = args.min_severity;
    // Findings at or above --min-severity, per severity, most severe first.
    let counts: Vec<(Severity, usize)> = store
        .counts()
        .into_iter()
        .filter(|(sev, n)| *n > 0 && min.is_none_or(|m| *sev >= m))
        .collect();
    let total: usize = counts.iter().map(|(_, n)| n).sum();

    let tty = io::stdout().is_terminal();
    let format = args.format.unwrap_or(if tty {
        report::Format::Table
    } else {
        report::Format::Jsonl
    });
    // Findings can run to hundreds of MB: large writes, few system calls.
    let mut out = BufWriter::with_capacity(256 << 10, io::stdout().lock());
    if let report::Format::Jsonl = format {
        // Straight from the store, one line at a time: memory stays flat.
        store.for_each_line(min, |line| {
            out.write_all(line)?;
            out.write_all(b"\n")
        })?;
    } else {
        let findings = store.into_findings(min)?;
        // The process ends after this command: freeing every finding one by one (there can be
        // hundreds of thousands) would only delay the exit.
        let findings = std::mem::ManuallyDrop::new(findings);
        match format {
            report::Format::Table => {
                let color = tty && std::env::var_os("NO_COLOR").is_none();
                detect::output::table(&mut out, &findings, color)?;
                if findings.is_empty() {
                    writeln!(out, "no findings")?;
                }
            }
            report::Format::Json => detect::output::json(&mut out, &findings)?,
            report::Format::Csv => detect::output::csv(&mut out, &findings)?,
            report::Format::Jsonl => detect::output::jsonl(&mut out, &findings)?,
        }
    }
    out.flush()?;
    timings.lap("output");
    let report = finish_report(early, detection.report);
    let by_severity: Vec<String> = counts.iter().map(|(sev, n)| format!("{n} {sev}")).collect();
    eprintln!(
        "trailhound: {} findings{} from {} rules",
        total,
        if by_severity.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_severity.join(", "))
        },
        loaded.ruleset.rules().iter().filter(|r| r.emits).count()
    );
    if report.skipped_anything() || !loaded.skipped.is_empty() {
        return Ok(ExitCode::from(2));
    }
    if let Some(threshold) = args.fail_on
        && counts.iter().any(|(sev, _)| *sev >= threshold)
    {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
