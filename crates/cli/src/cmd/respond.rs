//! `trailhound respond`: a leaked key pair or a compromised instance — blast radius, timeline and
//! the containment plan (dry run by default), carried out with `--execute` through the AWS SDK
//! and journaled in SQLite so a run can be resumed, rolled back and inspected.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use respond::journal::{self, Journal};
use respond::{KeyQuery, PlanOptions, Response, blast, identify, plan, render, timeline};

use super::snapshot_args::SnapshotArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// A leaked key pair: KEY is a key name, a key pair id, any fingerprint (EC2 MD5/SHA-1,
    /// ED25519 base64, OpenSSH SHA256:/MD5:), or a public or private key file.
    Key {
        key: String,
        #[command(flatten)]
        common: Common,
        /// Read the passphrase of an encrypted private key file from the first line of this file.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// One compromised instance.
    Instance {
        instance_id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Carry on with a journaled run: finished steps are not repeated.
    Resume {
        run: String,
        #[command(flatten)]
        journal: JournalArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Undo the reversible steps of a run, last first.
    Rollback {
        run: String,
        #[command(flatten)]
        journal: JournalArgs,
        #[arg(long)]
        yes: bool,
    },
    /// Where a run stands (every run in the journal without RUN).
    Status {
        run: Option<String>,
        #[command(flatten)]
        journal: JournalArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: StatusFormat,
    },
}

#[derive(clap::Args)]
struct JournalArgs {
    /// The SQLite journal (default: $XDG_STATE_HOME/trailhound/respond.sqlite).
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// Named AWS profile for resume and rollback (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL apply).
    #[arg(long, value_name = "NAME")]
    aws_profile: Option<String>,
}

impl JournalArgs {
    fn open(&self) -> anyhow::Result<Journal> {
        let path = match &self.journal {
            Some(p) => p.clone(),
            None => journal::default_path()
                .context("no journal path: set XDG_STATE_HOME or HOME, or pass --journal PATH")?,
        };
        Ok(Journal::open(&path)?)
    }
}

#[derive(clap::Args)]
struct Common {
    #[command(flatten)]
    source: SnapshotArgs,
    /// CloudTrail files or folders for the timeline (repeatable).
    #[arg(long = "trail", value_name = "PATH")]
    trail: Vec<String>,
    /// sshd auth logs (auth.log, secure, `journalctl -o json`; .gz detected) for logins with the key.
    #[arg(long = "auth-log", value_name = "FILE")]
    auth_log: Vec<PathBuf>,
    /// Year of syslog lines, which carry none (default: this year).
    #[arg(long, value_name = "YYYY")]
    log_year: Option<i16>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Check each step against AWS without changing anything (EC2 DryRun, simulation elsewhere);
    /// on by default with --live.
    #[arg(long)]
    check: bool,
    /// Carry the plan out through the AWS SDK (asks once on a terminal).
    #[arg(long)]
    execute: bool,
    /// With --execute: do not ask for confirmation.
    #[arg(long, requires = "execute")]
    yes: bool,
    /// Also stop the instances (memory and instance-store data are lost).
    #[arg(long)]
    stop: bool,
    /// Also deny the instances' addresses in their subnets' network ACLs (subnet-wide change).
    #[arg(long)]
    nacl_deny: bool,
    /// Keep SSH open from this CIDR in the quarantine group, for the examiner.
    #[arg(long, value_name = "CIDR")]
    examiner_cidr: Option<String>,
    /// Case id (tags, group names, journal run id); default th-<time>-<salt>.
    #[arg(long, value_name = "ID")]
    case: Option<String>,
    #[command(flatten)]
    journal: JournalArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Jsonl,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StatusFormat {
    Table,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Key {
            key,
            common,
            passphrase_file,
        } => {
            let passphrase = passphrase_file
                .map(|p| {
                    std::fs::read_to_string(&p)
                        .with_context(|| format!("cannot read {}", p.display()))
                        .map(|t| t.lines().next().unwrap_or_default().to_string())
                })
                .transpose()?;
            respond_to(
                Target::Key(KeyQuery::parse(&key)),
                common,
                passphrase.as_deref(),
            )
        }
        Command::Instance {
            instance_id,
            common,
        } => respond_to(Target::Instance(instance_id), common, None),
        Command::Resume { run, journal, yes } => {
            let mut j = journal.open()?;
            let plan = j.plan(&run)?;
            confirm(
                yes,
                &format!("Resume run {run} ({} steps)?", plan.steps.len()),
            )?;
            execute(&mut j, &run, &journal)
        }
        Command::Rollback { run, journal, yes } => {
            let mut j = journal.open()?;
            j.plan(&run)?;
            confirm(yes, &format!("Undo the reversible steps of run {run}?"))?;
            rollback(&mut j, &run, &journal)
        }
        Command::Status {
            run,
            journal,
            format,
        } => {
            let j = journal.open()?;
            let mut out = io::stdout().lock();
            match run {
                Some(run) => {
                    let plan = j.plan(&run)?;
                    let steps = j.steps(&run)?;
                    if format == StatusFormat::Json {
                        let v = serde_json::json!({"run": run, "steps": steps, "transitions": j.transitions(&run)?});
                        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
                    } else {
                        write!(out, "{}", render::status(&run, &plan, &steps))?;
                    }
                }
                None => {
                    let runs = j.runs()?;
                    if format == StatusFormat::Json {
                        writeln!(out, "{}", serde_json::to_string_pretty(&runs)?)?;
                    } else if runs.is_empty() {
                        writeln!(out, "no runs in {}", j.path())?;
                    } else {
                        for r in runs {
                            writeln!(out, "{}  {}  {}", r.id, r.created, r.target)?;
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

enum Target {
    Key(KeyQuery),
    Instance(String),
}

fn respond_to(
    target: Target,
    common: Common,
    passphrase: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let loaded = common.source.load()?;
    let account = &loaded.account;
    let mut incomplete = loaded.incomplete;
    let (key, mut radius) = match &target {
        Target::Key(q) => {
            let key = identify::identify(account, q, passphrase.map(str::as_bytes))?;
            let radius = blast::of_key(account, &key);
            (Some(key), radius)
        }
        Target::Instance(id) => {
            let radius = blast::of_instance(account, id).with_context(|| {
                format!("instance {id} is not in the account model (check the id and the regions collected)")
            })?;
            (None, radius)
        }
    };
    let network = reach::Network::from_account(account);
    blast::add_exposure(&mut radius, &network);

    let scope = timeline::Scope::new(key.as_ref(), &radius);
    let mut entries = Vec::new();
    if !common.trail.is_empty() {
        let discovered = trail::discover(&common.trail);
        for p in &discovered.problems {
            eprintln!("trailhound: skipped {p}");
        }
        incomplete |= !discovered.problems.is_empty();
        let (found, report) = timeline::from_trail(&discovered.sources, &scope);
        for p in &report.problems {
            eprintln!("trailhound: skipped {p}");
        }
        incomplete |= report.skipped_anything();
        entries.extend(found);
    }
    if !common.auth_log.is_empty() {
        let year = common.log_year.unwrap_or_else(|| {
            jiff::tz::TimeZone::UTC
                .to_datetime(jiff::Timestamp::now())
                .year()
        });
        let files: Vec<&Path> = common.auth_log.iter().map(PathBuf::as_path).collect();
        let (found, problems) = timeline::from_auth_logs(&files, &scope, year);
        for p in &problems {
            eprintln!("trailhound: skipped {p}");
        }
        incomplete |= !problems.is_empty();
        entries.extend(found);
    }
    timeline::order(&mut entries);

    let options = PlanOptions {
        case_id: common
            .case
            .clone()
            .unwrap_or_else(|| plan::new_case_id(jiff::Timestamp::now())),
        stop: common.stop,
        nacl_deny: common.nacl_deny,
        examiner_cidr: common.examiner_cidr.clone(),
    };
    let the_plan = match (&target, &key) {
        (Target::Key(_), Some(k)) => plan::for_key(k, &radius, &options),
        (Target::Instance(id), _) => plan::for_instance(id, &radius, &options),
        _ => unreachable!("a key target always has an identified key"),
    };
    let mut response = Response {
        key,
        blast_radius: radius,
        timeline: entries,
        plan: the_plan,
        checks: Vec::new(),
    };
    if (common.check || (common.source.live && cfg!(feature = "aws"))) && !common.execute {
        response.checks = dry_run(&response.plan, &common.journal)?;
    }
    print_response(&response, common.format)?;
    if common.execute {
        if !cfg!(feature = "aws") {
            bail!(
                "this build has no containment runner (it was built with --no-default-features): the plan above lists the aws CLI commands"
            );
        }
        let mut j = common.journal.open()?;
        confirm(
            common.yes,
            &format!(
                "Carry out the {} automatic step(s) of case {} against AWS?",
                response
                    .plan
                    .steps
                    .iter()
                    .filter(|s| s.execution == plan::Execution::Automatic)
                    .count(),
                options.case_id
            ),
        )?;
        j.create_run(&options.case_id, &response.plan)?;
        eprintln!(
            "trailhound: run {} journaled in {}",
            options.case_id,
            j.path()
        );
        let code = execute(&mut j, &options.case_id, &common.journal)?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
    Ok(if incomplete {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_response(r: &Response, format: Format) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match format {
        Format::Table => write!(out, "{}", render::summary(r))?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(r)?)?,
        Format::Jsonl => {
            for line in render::jsonl(r) {
                writeln!(out, "{line}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Asks once on a terminal; refuses without `--yes` when nobody can answer.
fn confirm(yes: bool, question: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        bail!("{question} Refusing without --yes: standard input is not a terminal");
    }
    eprint!("{question} Type yes to go on: ");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("not confirmed: nothing was changed");
    }
    Ok(())
}

#[cfg(feature = "aws")]
fn runner(journal: &JournalArgs) -> anyhow::Result<aws::respond::AwsRunner> {
    aws::respond::AwsRunner::new(aws::Connection {
        profile: journal.aws_profile.clone(),
        ..aws::Connection::default()
    })
}

#[cfg(feature = "aws")]
fn dry_run(
    plan: &respond::Plan,
    journal: &JournalArgs,
) -> anyhow::Result<Vec<(usize, respond::Check)>> {
    let mut r = runner(journal)?;
    Ok(respond::engine::dry_run(plan, &mut r))
}

#[cfg(feature = "aws")]
fn execute(j: &mut Journal, run: &str, journal: &JournalArgs) -> anyhow::Result<ExitCode> {
    let mut r = runner(journal)?;
    let mut hook = respond::engine::crash_hook_from_env();
    let result = respond::engine::execute(j, run, &mut r, &mut hook);
    finish(j, run, result)
}

#[cfg(feature = "aws")]
fn rollback(j: &mut Journal, run: &str, journal: &JournalArgs) -> anyhow::Result<ExitCode> {
    let mut r = runner(journal)?;
    let result = respond::engine::rollback(j, run, &mut r);
    finish(j, run, result)
}

#[cfg(feature = "aws")]
fn finish(
    j: &Journal,
    run: &str,
    result: Result<respond::engine::RunSummary, respond::engine::RunError>,
) -> anyhow::Result<ExitCode> {
    let plan = j.plan(run)?;
    let steps = j.steps(run)?;
    eprint!("{}", render::status(run, &plan, &steps));
    match result {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

#[cfg(not(feature = "aws"))]
fn dry_run(
    _plan: &respond::Plan,
    _journal: &JournalArgs,
) -> anyhow::Result<Vec<(usize, respond::Check)>> {
    bail!(
        "this build has no containment runner (it was built with --no-default-features): checks against AWS need it"
    )
}

#[cfg(not(feature = "aws"))]
fn execute(_j: &mut Journal, _run: &str, _journal: &JournalArgs) -> anyhow::Result<ExitCode> {
    bail!(
        "this build has no containment runner (it was built with --no-default-features): --execute and resume need it"
    )
}

#[cfg(not(feature = "aws"))]
fn rollback(_j: &mut Journal, _run: &str, _journal: &JournalArgs) -> anyhow::Result<ExitCode> {
    bail!(
        "this build has no containment runner (it was built with --no-default-features): rollback needs it"
    )
}
