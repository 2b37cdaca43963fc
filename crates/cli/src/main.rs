//! `trailhound`: the thin command-line front over the library crates.
//!
//! Each command lives in `cmd/<name>.rs` with its `Args` and a `run` that returns the exit code:
//! 0 clean, 1 only for `--fail-on`, 2 when input was skipped or a call failed.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod cmd;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`: its place in `mi_option_e` (mimalloc.h), which
/// libmimalloc-sys does not name. A test checks that it holds the bundled default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the process before mimalloc gives it back to the OS. Its
/// default (1 s) hands back what a large run frees between phases (the parsed snapshot after
/// the model is built) and the next phase then faults it in again: an audit of 100k instances
/// took 20% more page faults and 0.25 s more system time. A long `watch` still returns memory.
const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

#[derive(Parser)]
#[command(name = "trailhound", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: variant sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Find what threatens EC2 access in CloudTrail: built-in rules and any Sigma rules, correlations included.
    Detect(cmd::detect::Args),
    /// Filter and print CloudTrail records (files, folders in the S3 layout, .gz, or - for stdin).
    Events(cmd::events::Args),
    /// Print a shell completion script.
    Completions(cmd::completions::Args),
    /// Fingerprint SSH key files (OpenSSH and EC2 forms) and match them to EC2 key pairs.
    Keys(cmd::keys::Args),
    /// Collect a live account snapshot through the AWS SDK into a folder of aws CLI JSON.
    #[cfg(feature = "aws")]
    Collect(cmd::collect::Args),
    /// Print the least-privilege read-only IAM policy that `collect` needs.
    #[cfg(feature = "aws")]
    IamPolicy(cmd::collect::PolicyArgs),
    /// Audit a host's sshd, authorized_keys and sudoers (live or a mounted volume); read its auth logs.
    Host(cmd::host::Args),
    /// List the rule pack, or validate a folder of Sigma rules (compile, run their tests, show needs).
    Rules(cmd::rules::Args),
    /// Audit an account snapshot (or a live collection): exposure, IMDS, keys, IAM credentials, logging.
    Audit(cmd::audit::Args),
    /// Check CloudTrail log file integrity (digest chains, signatures, log hashes) like `aws cloudtrail validate-logs`, offline or live.
    ValidateDigests(cmd::validate_digests::Args),
    /// Explain a CloudTrail event from the knowledge base: meaning, risks, investigation, remediation.
    Explain(cmd::explain::Args),
    /// Write the rule and knowledge-base reference pages in docs/ (or check they are current).
    GenDocs(cmd::gen_docs::Args),
    /// Who can reach an instance on a port, and why: security groups, NACLs, routes, gateways, peerings; the exposure map.
    Reach(cmd::reach::Args),
    /// A leaked key pair or a compromised instance: blast radius, timeline, containment plan (dry run), --execute, resume, rollback.
    Respond(cmd::respond::Args),
    /// Watch CloudTrail as it arrives (S3 or SQS), detect, and deliver each alert once to its sinks.
    #[cfg(feature = "aws")]
    Watch(cmd::watch::Args),
    // -- new commands: add a variant above this line and an arm in `main` --
}

fn main() -> ExitCode {
    // A delay the user gave mimalloc (MIMALLOC_PURGE_DELAY) stands.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` stores a number in mimalloc's option table (an index outside
        // the table is ignored). mimalloc reads that entry without synchronisation, so it must
        // not be written while another thread may allocate: this runs first in `main`, before
        // the process starts any thread.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Detect(args) => cmd::detect::run(args),
        Command::Events(args) => cmd::events::run(args),
        Command::Completions(args) => cmd::completions::run(args, &mut Cli::command()),
        Command::Keys(args) => cmd::keys::run(args),
        #[cfg(feature = "aws")]
        Command::Collect(args) => cmd::collect::run(args),
        #[cfg(feature = "aws")]
        Command::IamPolicy(args) => cmd::collect::run_policy(args),
        Command::Host(args) => cmd::host::run(args),
        Command::Rules(args) => cmd::rules::run(args),
        Command::Audit(args) => cmd::audit::run(args),
        Command::ValidateDigests(args) => cmd::validate_digests::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::GenDocs(args) => cmd::gen_docs::run(args),
        Command::Reach(args) => cmd::reach::run(args),
        Command::Respond(args) => cmd::respond::run(args),
        #[cfg(feature = "aws")]
        Command::Watch(args) => cmd::watch::run(args),
        // -- new command arms above this line --
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option table entry at `MI_OPTION_PURGE_DELAY` holds the purge delay's documented
    /// default: the index names the option `main` means to set.
    #[test]
    fn the_purge_delay_option_is_where_main_sets_it() {
        assert!(
            std::env::var_os("MIMALLOC_PURGE_DELAY").is_none(),
            "unset MIMALLOC_PURGE_DELAY to run this test"
        );
        // SAFETY: `mi_option_get` reads (and on first use initialises, as every allocation
        // may) an entry of mimalloc's option table; nothing writes it in this process.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
        // Right before the first option after it that the binding names.
        assert_eq!(
            MI_OPTION_PURGE_DELAY + 1,
            libmimalloc_sys::mi_option_use_numa_nodes
        );
    }
}
