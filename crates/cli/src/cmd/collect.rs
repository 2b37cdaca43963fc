//! `trailhound collect`: a live account snapshot through the AWS SDK, in the offline folder format.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Folder to write the snapshot to (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Regions to collect, comma-separated or repeated; default: every region enabled for the account.
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    regions: Vec<String>,
    /// Named profile (otherwise AWS_PROFILE or the default chain).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Endpoint to call instead of AWS's (otherwise AWS_ENDPOINT_URL, if set).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// API calls in flight at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    concurrency: usize,
    /// Attempts per call before it is recorded as a gap (throttling is retried with backoff).
    #[arg(long, default_value_t = 6, value_name = "N")]
    max_attempts: u32,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = aws::CollectOptions {
        regions: args.regions,
        connection: aws::Connection {
            profile: args.profile,
            endpoint_url: args.endpoint_url,
            max_attempts: Some(args.max_attempts),
        },
        out: args.out.clone(),
        concurrency: args.concurrency,
    };
    let report = aws::collect_blocking(&opts)?;
    eprintln!("trailhound: {}", aws::collect::describe(&args.out, &report));
    Ok(if report.gaps.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

#[derive(clap::Args)]
pub struct PolicyArgs {}

/// `trailhound iam-policy`: the least-privilege read-only policy `collect` needs.
pub fn run_policy(_args: PolicyArgs) -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(&aws::iam_policy())?);
    Ok(ExitCode::SUCCESS)
}
