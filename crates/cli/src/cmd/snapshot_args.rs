//! `--snapshot DIR` / `--live`: how every command that reads the account model gets it.

use std::path::PathBuf;

/// The account model's source: a snapshot folder, or a live collection through the AWS SDK.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SnapshotArgs {
    /// Account snapshot: a folder of aws CLI JSON (`trailhound collect --out DIR` or scripts/snapshot.sh).
    #[arg(long, value_name = "DIR")]
    pub snapshot: Option<PathBuf>,
    /// Collect the model live through the AWS SDK instead (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL apply).
    #[arg(long, conflicts_with = "snapshot")]
    pub live: bool,
    /// With --live: regions to collect (default: every enabled region).
    #[arg(long, value_delimiter = ',', value_name = "REGION", requires = "live")]
    pub regions: Vec<String>,
    /// With --live: named profile.
    #[arg(long, value_name = "NAME", requires = "live")]
    pub profile: Option<String>,
}

/// A loaded model and whether anything was skipped or missing on the way (exit 2).
pub struct Loaded {
    pub account: cloud::Account,
    pub report: cloud::LoadReport,
    /// Files skipped as unreadable, or calls that failed during a live collection.
    pub incomplete: bool,
}

impl SnapshotArgs {
    /// Loads the model, printing each unreadable file and each failed collection call on stderr.
    pub fn load(&self) -> anyhow::Result<Loaded> {
        let live_dir;
        let dir = if self.live {
            live_dir = self.collect()?;
            live_dir.path().to_path_buf()
        } else if let Some(dir) = &self.snapshot {
            dir.clone()
        } else {
            anyhow::bail!(
                "no account model: pass --snapshot DIR (from `trailhound collect --out DIR` or scripts/snapshot.sh) or --live"
            );
        };
        let (account, report) = cloud::load(&dir)?;
        for e in &report.errors {
            eprintln!("trailhound: skipped {e}");
        }
        for g in &account.gaps {
            eprintln!(
                "trailhound: the snapshot lacks {} ({}): {}",
                g.operation,
                g.region.as_deref().unwrap_or("global"),
                if g.access_denied {
                    format!("access denied, grant {}", g.permission)
                } else {
                    g.error.clone()
                },
            );
        }
        let incomplete = !report.errors.is_empty() || !account.gaps.is_empty();
        Ok(Loaded {
            account,
            report,
            incomplete,
        })
    }

    #[cfg(feature = "aws")]
    fn collect(&self) -> anyhow::Result<tempfile::TempDir> {
        let dir = tempfile::tempdir()?;
        let opts = aws::CollectOptions {
            regions: self.regions.clone(),
            connection: aws::Connection {
                profile: self.profile.clone(),
                endpoint_url: None,
                max_attempts: None,
            },
            out: dir.path().to_path_buf(),
            concurrency: 8,
        };
        let report = aws::collect_blocking(&opts)?;
        eprintln!(
            "trailhound: {}",
            aws::collect::describe(dir.path(), &report)
        );
        Ok(dir)
    }

    #[cfg(not(feature = "aws"))]
    fn collect(&self) -> anyhow::Result<tempfile::TempDir> {
        anyhow::bail!(
            "this build has no AWS SDK (built with --no-default-features): use --snapshot DIR"
        )
    }
}
