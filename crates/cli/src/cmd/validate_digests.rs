//! `trailhound validate-digests`: CloudTrail log file integrity validation over a synced folder or,
//! live, an S3 bucket; the verdicts of `aws cloudtrail validate-logs` plus extra log files.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use integrity::{KeyRing, Options, Report};
use report::Format;
use trail::filter::parse_time;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A folder a trail bucket was synced into (`aws s3 sync s3://BUCKET DIR`), or
    /// s3://BUCKET/PREFIX to read the bucket live.
    #[arg(value_name = "DIR|s3://BUCKET/PREFIX")]
    source: String,
    /// CloudTrail public keys: `aws cloudtrail list-public-keys` JSON, PEM or DER; repeatable.
    /// Required offline; live, the keys come from ListPublicKeys unless given here.
    #[arg(long = "public-key", value_name = "FILE")]
    public_keys: Vec<PathBuf>,
    /// Validate digests from this time on (validate-logs --start-time): RFC 3339, a date, or an
    /// age such as 7d; default: every digest found.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// ... up to this time (validate-logs --end-time); default: now.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Print valid files too (table), as validate-logs --verbose does.
    #[arg(long, short)]
    verbose: bool,
    /// Do not look for log files that no digest lists.
    #[arg(long)]
    no_extras: bool,
    /// Offline: the bucket the folder was synced from; each digest's digestS3Bucket must match.
    /// Without it the bucket a digest names is taken as is.
    #[arg(long, value_name = "NAME")]
    bucket: Option<String>,
    /// Offline: the key prefix the folder was synced from (`aws s3 sync s3://BUCKET/PREFIX DIR`).
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// Live: named profile (otherwise AWS_PROFILE or the default chain).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Live: endpoint to call instead of AWS's (otherwise AWS_ENDPOINT_URL, if set).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let now = jiff::Timestamp::now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time(s, now))
        .transpose()
        .context("--since")?;
    let until = match args.until.as_deref() {
        Some(s) => parse_time(s, now).context("--until")?,
        None => now,
    };
    if let Some(s) = since {
        anyhow::ensure!(s <= until, "--since must be at or before --until");
    }
    let options = Options {
        since,
        until,
        extras: !args.no_extras,
    };
    let mut keys = KeyRing::new();
    for file in &args.public_keys {
        keys.add_file(file)?;
    }
    let report = if args.source.starts_with("s3://") {
        live(&args, &mut keys, &options)?
    } else {
        anyhow::ensure!(
            args.profile.is_none() && args.endpoint_url.is_none(),
            "--profile and --endpoint-url are for s3:// sources"
        );
        anyhow::ensure!(
            !keys.is_empty(),
            "no public keys: pass --public-key FILE (e.g. the output of `aws cloudtrail list-public-keys --start-time ... --region REGION > keys.json`)"
        );
        let dir = PathBuf::from(&args.source);
        let store = integrity::DirStore::open(
            &dir,
            args.bucket.clone(),
            args.prefix.as_deref().unwrap_or(""),
        )?;
        integrity::validate(&store, &keys, &options)
    };
    print(&args, &report)?;
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

#[cfg(not(feature = "aws"))]
fn live(_: &Args, _: &mut KeyRing, _: &Options) -> anyhow::Result<Report> {
    anyhow::bail!(
        "this build has no AWS support (built without the `aws` feature): sync the bucket to a folder and validate that"
    )
}

#[cfg(feature = "aws")]
fn live(args: &Args, keys: &mut KeyRing, options: &Options) -> anyhow::Result<Report> {
    anyhow::ensure!(
        args.bucket.is_none() && args.prefix.is_none(),
        "--bucket and --prefix are for folders; an s3:// URL names both"
    );
    let conn = aws::Connection {
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        max_attempts: None,
    };
    let url = aws::s3::S3Url::parse(&args.source)?;
    let store = s3_store::S3Store::connect(&conn, &url)?;
    if keys.is_empty() {
        s3_store::load_public_keys(&conn, &store, options, keys)?;
    }
    // Reading objects is network-bound: more log files in flight than there are cores.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(16)
        .build()
        .context("cannot start reader threads")?;
    Ok(pool.install(|| integrity::validate(&store, keys, options)))
}

fn print(args: &Args, report: &Report) -> anyhow::Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Table => {
            let since = report
                .since
                .map(integrity::validate::format_time)
                .unwrap_or_else(|| "the earliest digest".into());
            writeln!(
                out,
                "Validating CloudTrail digests in {} between {since} and {}\n",
                args.source,
                integrity::validate::format_time(report.until)
            )?;
            let mut shown = 0;
            for e in &report.entries {
                if args.verbose || e.verdict != integrity::Verdict::Valid {
                    writeln!(out, "{}", e.line())?;
                    shown += 1;
                }
            }
            if shown > 0 {
                writeln!(out)?;
            }
            for line in report.summary_lines() {
                writeln!(out, "{line}")?;
            }
        }
        Format::Jsonl => {
            for e in &report.entries {
                serde_json::to_writer(&mut out, e)?;
                writeln!(out)?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, report)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "id", "subject", "backfill", "chain", "uri", "verdict", "message", "detail",
            ])?;
            for e in &report.entries {
                let subject = serde_json::to_value(e.subject)?;
                w.write_record([
                    e.id.as_str(),
                    subject.as_str().unwrap_or(""),
                    if e.backfill { "true" } else { "false" },
                    &e.chain,
                    &e.uri,
                    e.verdict.as_str(),
                    &e.message,
                    e.detail.as_deref().unwrap_or(""),
                ])?;
            }
            w.flush()?;
        }
    }
    out.flush()?;
    // Machine formats keep stdout to records; the summary goes to stderr.
    if matches!(args.format, Format::Jsonl | Format::Csv) {
        for line in report.summary_lines() {
            if !line.is_empty() {
                eprintln!("trailhound: {line}");
            }
        }
    }
    Ok(())
}

#[cfg(feature = "aws")]
mod s3_store {
    //! The live store: S3 through the aws crate.

    use std::collections::BTreeMap;

    use integrity::{KeyRing, Object, Options, Store, StoreError};

    pub struct S3Store {
        s3: aws::s3::S3,
        bucket: String,
        root: String,
    }

    impl S3Store {
        pub fn connect(conn: &aws::Connection, url: &aws::s3::S3Url) -> anyhow::Result<S3Store> {
            let s3 = aws::s3::S3::connect(conn, &url.bucket)?;
            Ok(S3Store {
                s3,
                bucket: url.bucket.clone(),
                root: if url.prefix.is_empty() || url.prefix.ends_with('/') {
                    url.prefix.clone()
                } else {
                    format!("{}/", url.prefix)
                },
            })
        }
    }

    fn err(e: anyhow::Error) -> StoreError {
        StoreError(format!("{e:#}"))
    }

    impl Store for S3Store {
        fn bucket(&self) -> Option<&str> {
            Some(&self.bucket)
        }

        fn root(&self) -> &str {
            &self.root
        }

        fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
            Ok(self
                .s3
                .list(&self.bucket, prefix)
                .map_err(err)?
                .into_iter()
                .map(|o| o.key)
                .collect())
        }

        fn folders(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
            self.s3.folders(&self.bucket, prefix).map_err(err)
        }

        fn get(&self, bucket: &str, key: &str) -> Result<Option<Object>, StoreError> {
            let fetched = aws::digests::get_with_metadata(&self.s3, bucket, key).map_err(err)?;
            Ok(fetched.map(|f| Object {
                body: f.body,
                metadata: Some(f.metadata.into_iter().collect::<BTreeMap<_, _>>()),
            }))
        }

        fn get_bytes(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.get(bucket, key)?.map(|o| o.body))
        }
    }

    /// ListPublicKeys in each region digests are delivered from, from the earliest digest asked
    /// for until now (a backfill digest may be signed after `--until`).
    pub fn load_public_keys(
        conn: &aws::Connection,
        store: &S3Store,
        options: &Options,
        keys: &mut KeyRing,
    ) -> anyhow::Result<()> {
        let survey = integrity::survey(store, options);
        if let Some(e) = survey.errors.first() {
            anyhow::bail!("{e}");
        }
        let hour = jiff::SignedDuration::from_hours(1);
        let start = options
            .since
            .or(survey.earliest.and_then(|t| t.checked_sub(hour * 2).ok()))
            .unwrap_or(options.until);
        let end = jiff::Timestamp::now().max(options.until);
        for region in survey.regions {
            for key in aws::digests::list_public_keys(conn, &region, start, end)? {
                keys.add_listed(&key.value, &key.fingerprint);
            }
        }
        Ok(())
    }
}
