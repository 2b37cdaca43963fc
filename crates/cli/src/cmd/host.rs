//! `trailhound host`: audit sshd, authorized_keys and sudoers of a host root; `host logins`
//! reads its auth logs; `host checks` prints the check reference.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use host::audit::{self, AuditOptions, Needle};
use host::root::Root;
use host::{Severity, fix, keys, snapshot_keys};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<HostCommand>,
    #[command(flatten)]
    audit: AuditArgs,
}

#[derive(clap::Subcommand)]
enum HostCommand {
    /// Print the reference of every host check (the source of docs/host.md).
    Checks,
    /// sshd logins and failures from auth logs (auth.log, secure, `journalctl -o json` exports).
    Logins(LoginsArgs),
}

#[derive(clap::Args)]
struct LoginsArgs {
    /// Log files (plain, .gz, or journalctl -o json exports); default: ROOT/var/log/auth.log* and secure*.
    files: Vec<PathBuf>,
    /// Host root for the default log files.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Snapshot folder with ec2-describe-key-pairs.json: names the EC2 key pair of each key login.
    #[arg(long, value_name = "DIR")]
    snapshot: Option<PathBuf>,
    /// Only events with this key (key file, SHA256: fingerprint, or ED25519 EC2 KeyFingerprint).
    #[arg(long, value_name = "FILE|FINGERPRINT")]
    key: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: HostFormat,
}

#[derive(clap::Args)]
struct AuditArgs {
    /// The host's file system: / for this machine, or another instance's mounted volume.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Snapshot folder with ec2-describe-key-pairs.json: flags authorised keys no key pair explains.
    #[arg(long, value_name = "DIR")]
    snapshot: Option<PathBuf>,
    /// A leaked key (key file, SHA256:/MD5: fingerprint or EC2 KeyFingerprint): where is it authorised?
    #[arg(long, value_name = "FILE|FINGERPRINT")]
    find_key: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: HostFormat,
    /// Exit 1 when a finding has at least this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Print the hardening edits as a unified diff (apply with `patch -p1 -d ROOT`) instead of the report.
    #[arg(long)]
    fix: bool,
    /// With --fix: change the files, after copying each to <file>.trailhound-bak-<timestamp>.
    #[arg(long, requires = "fix")]
    apply: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum HostFormat {
    Table,
    Json,
    Jsonl,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| "expected info, low, medium, high or critical".to_string())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(HostCommand::Checks) => {
            print!("{}", host::checks::reference_markdown());
            Ok(ExitCode::SUCCESS)
        }
        Some(HostCommand::Logins(logins)) => run_logins(logins),
        None => run_audit(args.audit),
    }
}

/// `--find-key`/`--key`: a readable file is a key file; anything else is a fingerprint. With
/// key pairs, the EC2 key pairs the key file belongs to are remembered for log matching.
pub fn needle(spec: &str, pairs: Option<&[snapshot_keys::KeyPair]>) -> anyhow::Result<Needle> {
    let path = Path::new(spec);
    if path.is_file() {
        let bytes = host::Zeroizing::new(
            std::fs::read(path).with_context(|| format!("cannot read {spec}"))?,
        );
        let reports = keys::inspect(&bytes, None).with_context(|| spec.to_string())?;
        let mut needle = Needle {
            label: spec.to_string(),
            fingerprints: Vec::new(),
            key_pairs: Vec::new(),
        };
        for r in &reports {
            needle
                .fingerprints
                .extend(Needle::from_report(spec, r).fingerprints);
            for m in snapshot_keys::match_report(r, pairs.unwrap_or_default()) {
                if !needle.key_pairs.contains(&m.key_name) {
                    needle.key_pairs.push(m.key_name);
                }
            }
        }
        if needle.fingerprints.is_empty() {
            anyhow::bail!(
                "{spec}: encrypted key without a public part; pass its .pub file or fingerprint instead"
            );
        }
        Ok(needle)
    } else {
        Ok(Needle::from_fingerprint(spec))
    }
}

pub fn key_pairs(
    snapshot: Option<&Path>,
) -> anyhow::Result<(Option<Vec<snapshot_keys::KeyPair>>, usize)> {
    let Some(dir) = snapshot else {
        return Ok((None, 0));
    };
    let loaded = snapshot_keys::load(dir).map_err(anyhow::Error::msg)?;
    for e in &loaded.errors {
        eprintln!("warning: {e}");
    }
    Ok((Some(loaded.key_pairs), loaded.errors.len()))
}

fn run_audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let root = Root::new(&args.root).with_context(|| format!("--root {}", args.root.display()))?;
    let (key_pairs, snapshot_errors) = key_pairs(args.snapshot.as_deref())?;
    let needle = args
        .find_key
        .as_deref()
        .map(|spec| needle(spec, key_pairs.as_deref()))
        .transpose()?;
    let data = audit::gather(root.clone(), AuditOptions { key_pairs, needle });
    let report = data.report();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut skipped = report.problems.len() + snapshot_errors;

    if args.fix {
        let (patches, problems) = fix::plan(&root, &report.findings);
        // The report is not printed with --fix: say what was skipped here.
        for p in report.problems.iter().chain(&problems) {
            eprintln!("warning: {p}");
        }
        skipped += problems.len();
        if patches.is_empty() {
            eprintln!("nothing to fix");
        }
        for p in &patches {
            let keys_left = p
                .new
                .lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
            if report.authorized_keys.iter().any(|f| f.path == p.path) && !keys_left {
                eprintln!(
                    "warning: {} keeps no key: make sure another way in exists (SSM Session Manager, EC2 Instance Connect, another account)",
                    p.path
                );
            }
        }
        if args.apply {
            let stamp = jiff::Timestamp::now()
                .strftime("%Y%m%dT%H%M%SZ")
                .to_string();
            let backups = fix::apply(&root, &patches, &stamp).context("applying --fix")?;
            for (p, b) in patches.iter().zip(&backups) {
                eprintln!("changed {} (backup {b})", p.path);
            }
            if patches.iter().any(|p| p.path.starts_with("/etc/ssh/")) {
                eprintln!("check with `sshd -t` and reload sshd for the changes to take effect");
            }
        } else {
            for p in &patches {
                write!(out, "{}", fix::unified_diff(&p.path, &p.old, &p.new))?;
            }
        }
    } else {
        match args.format {
            HostFormat::Table => write!(out, "{}", host::render::host_table(&report))?,
            HostFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            }
            HostFormat::Jsonl => {
                for f in &report.findings {
                    serde_json::to_writer(&mut out, f)?;
                    writeln!(out)?;
                }
            }
        }
    }
    out.flush()?;
    if skipped > 0 {
        eprintln!(
            "{skipped} input problem(s): some files or lines were skipped (listed above or in the report)"
        );
        return Ok(ExitCode::from(2));
    }
    if let Some(level) = args.fail_on
        && report.findings.iter().any(|f| f.severity >= level)
    {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_logins(args: LoginsArgs) -> anyhow::Result<ExitCode> {
    use host::logs;
    let (key_pairs, snapshot_errors) = key_pairs(args.snapshot.as_deref())?;
    let needle = args
        .key
        .as_deref()
        .map(|spec| needle(spec, key_pairs.as_deref()))
        .transpose()?;
    let mut stats = logs::LogStats::default();
    let mut problems = Vec::new();
    let mut events = Vec::new();
    let mut read = |label: &str, bytes: std::io::Result<Vec<u8>>| match bytes.and_then(logs::decode)
    {
        Ok(text) => events.extend(logs::parse_any(label, &text, &mut stats, &mut problems)),
        Err(e) => problems.push(host::Problem::new(label, None, format!("cannot read: {e}"))),
    };
    if args.files.is_empty() {
        let root =
            Root::new(&args.root).with_context(|| format!("--root {}", args.root.display()))?;
        let files = logs::default_log_files(&root);
        if files.is_empty() {
            anyhow::bail!(
                "no /var/log/auth.log* or /var/log/secure* under {}; pass log files (for the journal: journalctl -o json > FILE)",
                args.root.display()
            );
        }
        for f in files {
            read(&f, root.resolve(&f).and_then(std::fs::read));
        }
    } else {
        for f in &args.files {
            read(&f.display().to_string(), std::fs::read(f));
        }
    }
    let mut logins = logs::annotate(events, key_pairs.as_deref(), needle.as_ref());
    if needle.is_some() {
        logins.retain(|l| l.is_key == Some(true));
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        HostFormat::Table => {
            writeln!(
                out,
                "{:<32} {:<14} {:<17} {:<16} {:<39} {:<5} {:<20} KEY",
                "TIME", "HOST", "EVENT", "USER", "SOURCE_IP", "PORT", "METHOD"
            )?;
            for l in &logins {
                writeln!(out, "{}", logs::table_row(l))?;
            }
        }
        HostFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &logins)?;
            writeln!(out)?;
        }
        HostFormat::Jsonl => {
            for l in &logins {
                serde_json::to_writer(&mut out, l)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    for p in problems.iter().take(20) {
        eprintln!("skipped: {p}");
    }
    if problems.len() > 20 {
        eprintln!("skipped: ... and {} more", problems.len() - 20);
    }
    // Problems are the malformed lines plus the files that could not be read.
    let unreadable = problems.len().saturating_sub(stats.malformed);
    if !problems.is_empty() || snapshot_errors > 0 {
        eprintln!(
            "{} malformed line(s) of {} skipped; {unreadable} log file(s) and {snapshot_errors} snapshot file(s) unreadable",
            stats.malformed, stats.lines
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
