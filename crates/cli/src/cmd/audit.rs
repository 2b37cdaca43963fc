//! `trailhound audit`: the built-in checks over an account snapshot (or a live collection).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use report::Severity;

use super::snapshot_args::SnapshotArgs;
use super::timings::Timings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Table,
    Jsonl,
    Json,
    Csv,
    /// OCSF 1.1 Detection Finding (class 2004), one JSON object per line.
    Ocsf,
}

#[derive(clap::Args)]
pub struct Args {
    /// Snapshot folder (same as --snapshot).
    #[arg(value_name = "DIR", conflicts_with_all = ["snapshot", "live"])]
    dir: Option<PathBuf>,
    #[command(flatten)]
    source: SnapshotArgs,
    /// Thresholds, disabled checks and severity overrides (TOML; `--print-config` shows the defaults).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the default configuration and exit.
    #[arg(long)]
    print_config: bool,
    /// List the checks and exit.
    #[arg(long)]
    list: bool,
    /// Run only these checks (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    check: Vec<String>,
    /// table (by severity) on a terminal, JSON lines otherwise.
    #[arg(long, value_enum)]
    format: Option<AuditFormat>,
    /// Report only findings at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    min_severity: Option<Severity>,
    /// Exit 1 if any finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    /// The time ages are measured from (RFC 3339); default now. For reproducible reports.
    #[arg(long, value_name = "TIME")]
    now: Option<jiff::Timestamp>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.print_config {
        print!("{}", audit::DEFAULT_CONFIG);
        return Ok(ExitCode::SUCCESS);
    }
    let checks = audit::builtin_checks().map_err(|errors| {
        anyhow::anyhow!(
            "built-in checks do not compile:\n{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            audit::Config::with_overrides(&text)
                .with_context(|| format!("{}: invalid configuration", path.display()))?
        }
        None => audit::Config::defaults(),
    };
    audit::validate_config(&config, &checks)
        .with_context(|| "invalid configuration".to_string())?;
    for id in &args.check {
        if !checks.iter().any(|c| &c.id == id) {
            anyhow::bail!("unknown check {id:?} (`trailhound audit --list` shows them)");
        }
    }
    let checks: Vec<audit::Check> = checks
        .into_iter()
        .filter(|c| args.check.is_empty() || args.check.contains(&c.id))
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.list {
        for c in &checks {
            writeln!(
                out,
                "{:<40} {:<9} {:<15} {}",
                c.id,
                c.severity.as_str(),
                c.kind.as_str(),
                c.title
            )?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut source = args.source.clone();
    if let Some(dir) = args.dir {
        source.snapshot = Some(dir);
    }
    let timings = Timings::from_env();
    let loaded = source.load()?;
    timings.lap("load");
    let coverage = audit::Coverage::from_load(&loaded.account, &loaded.report);
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    // Only the facts the selected checks read are built.
    let wanted = audit::facts::Wanted::for_checks(&checks);
    // Building the reachability network takes one core; the facts that do not need it are built
    // on the other meanwhile.
    let ((network, oracle), unexposed) = rayon::join(
        || {
            let network = reach::Network::from_account(&loaded.account);
            let oracle = audit::exposure::ReachOracle::new(&network);
            (network, oracle)
        },
        || audit::facts::build_unexposed(&loaded.account, &coverage, now, &wanted),
    );
    timings.lap("network, exposure and facts");
    let resources = unexposed.with_exposure(&oracle);
    timings.lap("exposure facts");
    let mut matches = audit::evaluate(&checks, &resources, &config);
    timings.lap("checks");
    if let Some(min) = args.min_severity {
        matches.retain_min_severity(min);
    }

    let format = args.format.unwrap_or(if stdout.is_terminal() {
        AuditFormat::Table
    } else {
        AuditFormat::Jsonl
    });
    // The line formats are rendered and written a chunk at a time (a large account has hundreds
    // of thousands of findings); the table and the JSON array are built whole.
    match format {
        AuditFormat::Table => audit::output::write_table(&mut out, &matches.findings())?,
        AuditFormat::Json => audit::output::write_json(&mut out, &matches.findings())?,
        AuditFormat::Jsonl => matches.write_jsonl(&mut out)?,
        AuditFormat::Csv => {
            audit::output::write_csv_header(&mut out)?;
            matches.write_chunked(&mut out, |buf, findings| {
                audit::output::write_csv_rows(buf, findings)
            })?
        }
        AuditFormat::Ocsf => {
            let time_ms = now.as_millisecond();
            matches.write_chunked(&mut out, |buf, findings| {
                audit::output::write_ocsf(buf, findings, time_ms)
            })?
        }
    }
    out.flush()?;
    timings.lap("output");
    let mut by_severity = String::new();
    for s in Severity::ALL.iter().rev() {
        let n = matches.items.iter().filter(|m| m.severity == *s).count();
        if n > 0 {
            by_severity.push_str(&format!(" {n} {s},"));
        }
    }
    eprintln!(
        "trailhound: {} findings ({}) from {} checks over {} instances, {} security groups, {} users{}",
        matches.len(),
        by_severity.trim().trim_end_matches(','),
        checks.len(),
        loaded.account.instances.len(),
        loaded.account.security_groups.len(),
        loaded.account.users.len(),
        if loaded.incomplete {
            "; the snapshot is incomplete (see above)"
        } else {
            ""
        }
    );
    let code = if args
        .fail_on
        .is_some_and(|s| matches.items.iter().any(|m| m.severity >= s))
    {
        ExitCode::from(1)
    } else if loaded.incomplete {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    };
    // The process exits right after this: freeing the account model, the reachability network,
    // the facts and the findings (millions of small allocations on a large account) would only
    // cost time, and the OS reclaims the memory at once. Leak them on purpose.
    std::mem::forget(matches);
    std::mem::forget(resources);
    std::mem::forget(oracle);
    std::mem::forget(network);
    std::mem::forget(loaded);
    Ok(code)
}
