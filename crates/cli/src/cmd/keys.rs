//! `trailhound keys`: fingerprint SSH key files and name the EC2 key pairs they belong to.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use host::Zeroizing;
use host::keys::{self, KeyError, KeyReport};
use host::snapshot_keys;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(clap::Subcommand)]
enum KeysCommand {
    /// OpenSSH SHA256/MD5 and EC2 KeyFingerprint values of private or public key files.
    Fingerprint {
        /// Key files: PEM (PKCS#1, PKCS#8, SEC1, SPKI), OpenSSH private keys and .pub lines, RFC 4716.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Name the EC2 key pair(s) a key file belongs to.
    Match {
        file: PathBuf,
        /// Snapshot folder holding ec2-describe-key-pairs.json (in it or in <region>/ subfolders).
        #[arg(long, value_name = "DIR")]
        snapshot: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(clap::Args)]
struct Common {
    #[arg(long, value_enum, default_value = "table")]
    format: KeysFormat,
    /// Ask on the terminal for the passphrase of encrypted private keys (needed only for the
    /// EC2 "created" fingerprint of an encrypted RSA key, or anything from encrypted PKCS#8).
    #[arg(long)]
    passphrase_prompt: bool,
    /// Read the passphrase from the first line of this file instead of prompting.
    #[arg(long, value_name = "FILE", conflicts_with = "passphrase_prompt")]
    passphrase_file: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum KeysFormat {
    Table,
    Json,
    Jsonl,
}

#[derive(serde::Serialize)]
struct FileResult<'a> {
    file: &'a Path,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keys: Vec<KeyReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_pairs: Option<Vec<snapshot_keys::KeyPairMatch>>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        KeysCommand::Fingerprint { files, common } => {
            let mut results = Vec::new();
            let mut failed = 0;
            for file in &files {
                let outcome = read_key(file, &common);
                if outcome.is_err() {
                    failed += 1;
                }
                results.push(to_result(file, outcome, None));
            }
            emit(&results, common.format)?;
            if failed > 0 {
                eprintln!("{failed} of {} file(s) could not be read", files.len());
                return Ok(ExitCode::from(2));
            }
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Match {
            file,
            snapshot,
            common,
        } => {
            let loaded = snapshot_keys::load(&snapshot).map_err(anyhow::Error::msg)?;
            for e in &loaded.errors {
                eprintln!("warning: {e}");
            }
            let reports = read_key(&file, &common)?;
            let matches: Vec<_> = reports
                .iter()
                .flat_map(|r| snapshot_keys::match_report(r, &loaded.key_pairs))
                .collect();
            let none = matches.is_empty();
            emit(
                &[to_result(&file, Ok(reports), Some(matches))],
                common.format,
            )?;
            if none && common.format == KeysFormat::Table {
                eprintln!(
                    "no EC2 key pair among {} in {} matches {}",
                    loaded.key_pairs.len(),
                    snapshot.display(),
                    file.display()
                );
            }
            Ok(if loaded.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

fn to_result<'a>(
    file: &'a Path,
    outcome: anyhow::Result<Vec<KeyReport>>,
    key_pairs: Option<Vec<snapshot_keys::KeyPairMatch>>,
) -> FileResult<'a> {
    match outcome {
        Ok(keys) => FileResult {
            file,
            keys,
            error: None,
            key_pairs,
        },
        Err(e) => FileResult {
            file,
            keys: Vec::new(),
            error: Some(format!("{e:#}")),
            key_pairs,
        },
    }
}

fn read_key(file: &Path, common: &Common) -> anyhow::Result<Vec<KeyReport>> {
    let bytes = Zeroizing::new(
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?,
    );
    let first = keys::inspect(&bytes, None).with_context(|| file.display().to_string())?;
    let locked = first.iter().any(|r| r.encrypted);
    if !locked {
        return Ok(first);
    }
    let passphrase: Zeroizing<String> = if let Some(path) = &common.passphrase_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read passphrase file {}", path.display()))?,
        );
        Zeroizing::new(text.lines().next().unwrap_or_default().to_string())
    } else if common.passphrase_prompt {
        host::prompt_passphrase(&format!("Passphrase for {}: ", file.display()))
            .context("cannot read the passphrase from the terminal")?
    } else {
        return Ok(first);
    };
    match keys::inspect(&bytes, Some(passphrase.as_bytes())) {
        Ok(r) => Ok(r),
        Err(e @ KeyError::BadPassphrase(_)) => Err(anyhow::anyhow!("{}: {e}", file.display())),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", file.display())),
    }
}

fn emit(results: &[FileResult<'_>], format: KeysFormat) -> anyhow::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        KeysFormat::Json => {
            serde_json::to_writer_pretty(&mut out, results)?;
            writeln!(out)?;
        }
        KeysFormat::Jsonl => {
            for r in results {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
        }
        KeysFormat::Table => {
            for r in results {
                if let Some(e) = &r.error {
                    writeln!(out, "{}: error: {e}", r.file.display())?;
                    continue;
                }
                for k in &r.keys {
                    out.write_all(
                        host::render::key_block(&r.file.display().to_string(), k).as_bytes(),
                    )?;
                }
                if let Some(pairs) = &r.key_pairs {
                    for m in pairs {
                        writeln!(out, "  EC2 key pair: {}", host::render::key_pair_match(m))?;
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}
