//! The input and filter options shared by every command that reads CloudTrail.

use std::io::IsTerminal;

use anyhow::Context;
use trail::filter::{ErrorFilter, parse_time};
use trail::{DecodeOptions, Filter, ScanOptions, ScanReport, Source};

#[derive(clap::Args, Debug)]
pub struct TrailArgs {
    /// CloudTrail files or folders (the S3 layout AWSLogs/... works as is); .gz is detected by
    /// content; - reads stdin. With the aws feature also s3://BUCKET/PREFIX (listed by day for
    /// --since/--until, by --account and --region) and lookup://REGION (LookupEvents).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Only events at or after this time: RFC 3339, a date, or an age such as 7d, 12h, 30m.
    #[arg(long, value_name = "TIME", help_heading = "Filters")]
    pub since: Option<String>,
    /// Only events at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME", help_heading = "Filters")]
    pub until: Option<String>,
    /// Only this account (recipientAccountId, else the caller's account); repeatable.
    #[arg(long, value_name = "ID", help_heading = "Filters")]
    pub account: Vec<String>,
    /// Only this region; repeatable.
    #[arg(long, value_name = "REGION", help_heading = "Filters")]
    pub region: Vec<String>,
    /// Only these event names; globs such as '*KeyPair', case-insensitive; repeatable.
    #[arg(long = "event-name", value_name = "GLOB", help_heading = "Filters")]
    pub event_name: Vec<String>,
    /// Only callers whose ARN matches this glob, e.g. 'arn:aws:sts::*:assumed-role/*'; repeatable.
    #[arg(long, value_name = "ARN_GLOB", help_heading = "Filters")]
    pub principal: Vec<String>,
    /// Only calls from this IP address or CIDR; repeatable.
    #[arg(
        long = "source-ip",
        value_name = "IP_OR_CIDR",
        help_heading = "Filters"
    )]
    pub source_ip: Vec<String>,
    /// Only failed calls (any errorCode).
    #[arg(long, conflicts_with = "no_errors", help_heading = "Filters")]
    pub errors_only: bool,
    /// Only successful calls.
    #[arg(long, help_heading = "Filters")]
    pub no_errors: bool,
    /// Keep repeated records (same eventID) instead of the first copy.
    #[arg(long, help_heading = "Input")]
    pub keep_duplicates: bool,
    /// Records larger than this many bytes are reported and skipped.
    #[arg(long, default_value_t = DecodeOptions::default().max_record_bytes, value_name = "BYTES", help_heading = "Input")]
    pub max_record_bytes: usize,
}

impl TrailArgs {
    pub fn filter(&self) -> anyhow::Result<Filter> {
        let now = jiff::Timestamp::now();
        let mut filter = Filter::default()
            .with_event_names(&self.event_name)?
            .with_principals(&self.principal)?
            .with_source_ips(&self.source_ip)?;
        filter.since = self
            .since
            .as_deref()
            .map(|s| parse_time(s, now))
            .transpose()
            .context("--since")?;
        filter.until = self
            .until
            .as_deref()
            .map(|s| parse_time(s, now))
            .transpose()
            .context("--until")?;
        filter.accounts = self.account.clone();
        filter.regions = self.region.clone();
        filter.errors = match (self.errors_only, self.no_errors) {
            (true, _) => ErrorFilter::Only,
            (_, true) => ErrorFilter::None,
            _ => ErrorFilter::Any,
        };
        Ok(filter)
    }

    /// The sources to read, the problems met finding them, and the scan options (with a progress
    /// bar on stderr when it is a terminal).
    pub fn prepare(&self) -> anyhow::Result<(Vec<Source>, ScanReport, ScanOptions)> {
        let (remote, local): (Vec<&str>, Vec<&str>) = self
            .paths
            .iter()
            .map(String::as_str)
            .partition(|p| super::remote::is_remote(p));
        let mut discovered = trail::discover(&local);
        let mut early = ScanReport {
            ignored_digests: discovered.ignored_digests,
            ..ScanReport::default()
        };
        early.add_problems(std::mem::take(&mut discovered.problems));
        let filter = self.filter()?;
        if !remote.is_empty() {
            #[cfg(feature = "aws")]
            {
                let (sources, problems) = super::remote::fetch(&remote, &filter, &self.event_name)?;
                discovered.sources.extend(sources);
                early.add_problems(problems);
            }
            #[cfg(not(feature = "aws"))]
            anyhow::bail!(
                "{}: reading from AWS needs trailhound built with the `aws` feature",
                remote[0]
            );
        }
        let mut opts = ScanOptions {
            decode: DecodeOptions {
                max_record_bytes: self.max_record_bytes,
                ..DecodeOptions::default()
            },
            filter,
            keep_duplicates: self.keep_duplicates,
            on_source_done: None,
        };
        if std::io::stderr().is_terminal() && discovered.sources.len() > 1 {
            let bar = indicatif::ProgressBar::new(discovered.sources.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos}/{len} files {msg} [{elapsed_precise}, eta {eta}]",
                )
                .expect("static template"),
            );
            opts.on_source_done = Some(Box::new(move |r: &ScanReport| {
                bar.set_position(r.sources);
                bar.set_message(format!("{} records", r.records));
                if bar.position() >= bar.length().unwrap_or(0) {
                    bar.finish_and_clear();
                }
            }));
        }
        Ok((discovered.sources, early, opts))
    }
}

/// Merges the problems found before the scan into its report and prints the report to stderr:
/// each problem on its own line, then the summary.
pub fn finish_report(early: ScanReport, mut report: ScanReport) -> ScanReport {
    report.ignored_digests += early.ignored_digests;
    report.sources_with_problems += early.sources_with_problems;
    let mut problems = early.problems;
    problems.append(&mut report.problems);
    report.problems = problems;
    const SHOWN: usize = 200;
    for p in report.problems.iter().take(SHOWN) {
        eprintln!("error: {p}");
    }
    if report.problems.len() > SHOWN {
        eprintln!(
            "error: ... and {} more problems",
            report.problems.len() - SHOWN
        );
    }
    eprintln!("trailhound: {}", report.summary());
    report
}
