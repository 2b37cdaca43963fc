//! `trailhound watch`: CloudTrail as it arrives (an S3 bucket polled, or S3 event notifications
//! through SQS), the same detection as `detect`, each finding delivered once to every sink, and a
//! SQLite checkpoint so a watcher killed at any moment carries on where it stopped.
//! The protocol is described in docs/watch.md.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ::watch::{Alert, Backoff, Engine, EngineOptions, Input, Sink, SinkError, StateDb};
use anyhow::Context;
use detect::Severity;

#[derive(clap::Args)]
pub struct Args {
    /// What to watch: s3://BUCKET/PREFIX (polled; the CloudTrail layout is listed by day) or
    /// sqs://QUEUE (name, URL or ARN of a queue receiving the bucket's S3 event notifications).
    #[arg(value_name = "SOURCE")]
    source: String,
    /// One pass over everything available now, deliver, and exit (exit 2 if anything was
    /// skipped or is still undelivered).
    #[arg(long)]
    once: bool,
    /// Time between polls: 30s, 5m, ...
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    interval: Duration,
    /// The checkpoint database; default: $XDG_STATE_HOME/trailhound/watch-<source>.db.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Print the counters from the state database and exit (works while a watcher runs).
    #[arg(long)]
    status: bool,
    /// Output of --status.
    #[arg(long, value_enum, default_value = "text")]
    status_format: StatusFormat,

    /// Print each alert as a JSON line on stdout (the default when no other sink is given).
    #[arg(long, help_heading = "Sinks")]
    stdout: bool,
    /// Append each alert as a JSON line to this file; repeatable.
    #[arg(long = "file", value_name = "PATH", help_heading = "Sinks")]
    files: Vec<PathBuf>,
    /// POST each alert as JSON to this URL; repeatable.
    #[arg(long = "webhook", value_name = "URL", help_heading = "Sinks")]
    webhooks: Vec<String>,
    /// A header for every webhook POST, e.g. 'Authorization: Bearer ...'; repeatable.
    #[arg(
        long = "webhook-header",
        value_name = "NAME: VALUE",
        help_heading = "Sinks"
    )]
    webhook_headers: Vec<String>,
    /// Attempts per alert and pass before the webhook is left for the next pass.
    #[arg(long, default_value_t = 5, value_name = "N", help_heading = "Sinks")]
    webhook_attempts: u32,
    /// Wait before the second webhook attempt, doubled for each further one (up to 30s).
    #[arg(long, default_value = "500ms", value_parser = parse_duration, value_name = "DURATION", help_heading = "Sinks")]
    webhook_backoff: Duration,
    /// Publish each alert to this SNS topic (ARN); repeatable.
    #[arg(long = "sns", value_name = "TOPIC_ARN", help_heading = "Sinks")]
    sns: Vec<String>,

    /// Sigma rules to run too: a folder, read recursively; repeatable.
    #[arg(long = "rules", value_name = "DIR", help_heading = "Detection")]
    rules: Vec<PathBuf>,
    /// Run only the rules given with --rules, not the built-in pack.
    #[arg(long, help_heading = "Detection")]
    no_builtin: bool,
    /// Alert only on findings at or above this severity.
    #[arg(long, value_name = "SEVERITY", help_heading = "Detection")]
    min_severity: Option<Severity>,
    /// Account snapshot (aws CLI JSON folder) that enriches the findings, as in `detect`.
    #[arg(long, value_name = "DIR", help_heading = "Detection")]
    snapshot: Option<PathBuf>,
    /// How late a record may arrive, behind the newest one seen, and still be correlated.
    #[arg(long, default_value = "2h", value_parser = parse_duration, value_name = "DURATION", help_heading = "Detection")]
    lateness: Duration,

    /// s3://: the first day folder to read, as a date or an age (7d); default: yesterday.
    #[arg(long, value_name = "TIME", help_heading = "Input")]
    since: Option<String>,
    /// Objects fetched and committed per pass at most.
    #[arg(long, default_value_t = 100, value_name = "N", help_heading = "Input")]
    batch: usize,
    /// sqs://: how long a received message stays hidden from others while it is processed.
    #[arg(long, default_value = "5m", value_parser = parse_duration, value_name = "DURATION", help_heading = "Input")]
    visibility_timeout: Duration,
    /// Named profile (otherwise AWS_PROFILE or the default chain).
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    profile: Option<String>,
    /// Endpoint to call instead of AWS's (otherwise AWS_ENDPOINT_URL, if set).
    #[arg(long, value_name = "URL", help_heading = "Input")]
    endpoint_url: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StatusFormat {
    Text,
    Json,
}

/// `500ms`, `30s`, `5m`, `2h`, `1d`; a bare number is seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: write a number and a unit, e.g. 500ms, 30s, 5m, 2h"))?;
    let ms = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?}: the unit must be ms, s, m, h or d")),
    };
    Ok(Duration::from_millis(n.saturating_mul(ms)))
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = match &args.state {
        Some(p) => p.clone(),
        None => StateDb::default_path(&args.source)?,
    };
    if args.status {
        return print_status(&path, args.status_format);
    }
    let conn = aws::Connection {
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        max_attempts: None,
    };
    let mut feed = Feed::open(&args, &conn)?;
    let ruleset = load_rules(&args)?;
    let snapshot = args
        .snapshot
        .as_deref()
        .map(detect::SnapshotContext::load)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mut db = StateDb::open(&path, &args.source)?;
    let engine = Engine::new(
        &ruleset,
        snapshot.as_ref().map(|s| s as &dyn detect::Enricher),
        EngineOptions {
            lateness_ms: args.lateness.as_millis() as i64,
            min_severity: args.min_severity,
            ..EngineOptions::default()
        },
    );
    let mut sinks = build_sinks(&args, &conn)?;
    let sink_names: Vec<String> = sinks.iter().map(|s| s.name()).collect();
    let status_line = std::io::stderr().is_terminal();
    let mut skipped_input = false;

    // What a previous run found but did not deliver goes first.
    report_deliveries(::watch::deliver_pending(&mut db, &mut sinks, now_ms)?);
    loop {
        let batch = match feed.poll(&db, args.batch, args.once) {
            Ok(batch) => batch,
            Err(e) if !args.once => {
                eprintln!(
                    "error: {e:#} (trying again in {})",
                    show_duration(args.interval)
                );
                std::thread::sleep(args.interval);
                continue;
            }
            Err(e) => return Err(e),
        };
        for warning in &batch.warnings {
            eprintln!("warning: {warning}");
        }
        skipped_input |= batch.skipped;
        if !batch.inputs.is_empty() {
            let report = engine.process(&mut db, &batch.inputs, &sink_names, now_ms())?;
            for p in &report.problems {
                eprintln!("error: {p}");
            }
            skipped_input |= !report.problems.is_empty();
        }
        // Only now that the pass is committed may the messages go.
        feed.ack(&batch)?;
        report_deliveries(::watch::deliver_pending(&mut db, &mut sinks, now_ms)?);
        if status_line {
            eprint!("\r\x1b[2K{}", one_line(&db.status(now_ms())?));
        }
        if !batch.more {
            if args.once {
                break;
            }
            std::thread::sleep(args.interval);
        }
    }
    let status = db.status(now_ms())?;
    if status_line {
        eprintln!();
    }
    eprintln!("trailhound: {}", one_line(&status));
    let undelivered = status
        .sinks
        .iter()
        .filter(|s| sink_names.contains(&s.sink))
        .any(|s| s.pending + s.rejected > 0);
    Ok(if skipped_input || undelivered {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn report_deliveries(report: ::watch::DeliveryReport) {
    if report.recovered > 0 {
        eprintln!(
            "trailhound: {} alert(s) were already at their sink (written before the last stop); journaled, not sent again",
            report.recovered
        );
    }
    for (sink, id, err) in &report.failed {
        eprintln!("warning: {sink}: alert {id}: {err}");
    }
}

fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{}s", ms / 1_000),
        60_000..3_600_000 => format!("{}m{}s", ms / 60_000, ms % 60_000 / 1_000),
        _ => format!("{}h{}m", ms / 3_600_000, ms % 3_600_000 / 60_000),
    }
}

fn one_line(s: &::watch::Status) -> String {
    let pending: u64 = s.sinks.iter().map(|k| k.pending).sum();
    let lag = s
        .event_lag_seconds
        .map(|l| show_duration(Duration::from_secs(l.max(0) as u64)))
        .unwrap_or_else(|| "-".into());
    format!(
        "watch: {} objects, {} records, {} alerts ({} undelivered), event lag {lag}",
        s.objects, s.records, s.findings, pending
    )
}

fn print_status(path: &std::path::Path, format: StatusFormat) -> anyhow::Result<ExitCode> {
    let db = StateDb::open_for_status(path)?;
    let s = db.status(now_ms())?;
    match format {
        StatusFormat::Json => println!("{}", serde_json::to_string_pretty(&s)?),
        StatusFormat::Text => {
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            println!("source:          {}", opt(&s.source));
            println!("state:           {}", path.display());
            println!("passes:          {}", s.passes);
            println!(
                "objects:         {} ({} with problems)",
                s.objects, s.objects_with_problems
            );
            println!("records:         {}", s.records);
            println!("alerts:          {}", s.findings);
            println!(
                "window:          {} events kept for correlations ({} for good)",
                s.window_events, s.pinned_events
            );
            println!("newest event:    {}", opt(&s.newest_event));
            println!("last pass:       {}", opt(&s.last_pass));
            let secs = |v: Option<i64>| {
                v.map(|l| show_duration(Duration::from_secs(l.max(0) as u64)))
                    .unwrap_or_else(|| "-".into())
            };
            println!("event lag:       {}", secs(s.event_lag_seconds));
            println!("object lag:      {}", secs(s.object_lag_seconds));
            for k in &s.sinks {
                println!(
                    "sink {}: {} delivered, {} pending, {} rejected{}",
                    k.sink,
                    k.done,
                    k.pending,
                    k.rejected,
                    k.last_error
                        .as_deref()
                        .map(|e| format!(" (last error: {e})"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn load_rules(args: &Args) -> anyhow::Result<rules::Ruleset> {
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
    for s in &loaded.skipped {
        eprintln!("warning: {}: rule {} not run: {}", s.file, s.rule, s.reason);
    }
    Ok(loaded.ruleset)
}

fn build_sinks(args: &Args, conn: &aws::Connection) -> anyhow::Result<Vec<Box<dyn Sink>>> {
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    let headers = args
        .webhook_headers
        .iter()
        .map(|h| {
            let (k, v) = h
                .split_once(':')
                .with_context(|| "--webhook-header: write it as 'NAME: VALUE'".to_string())?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let backoff = Backoff {
        attempts: args.webhook_attempts.max(1),
        first: args.webhook_backoff,
        max: Duration::from_secs(30),
    };
    for url in &args.webhooks {
        sinks.push(Box::new(::watch::WebhookSink::new(
            url,
            backoff.clone(),
            headers.clone(),
        )?));
    }
    for path in &args.files {
        sinks.push(Box::new(::watch::FileSink::new(path)));
    }
    for arn in &args.sns {
        sinks.push(Box::new(SnsSink {
            topic: aws::sns::Topic::connect(conn, arn)?,
        }));
    }
    if args.stdout || sinks.is_empty() {
        sinks.push(Box::new(::watch::StdoutSink));
    }
    Ok(sinks)
}

/// Publishes each alert to an SNS topic, the finding id as the `finding_id` attribute (and as
/// the deduplication id on FIFO topics).
struct SnsSink {
    topic: aws::sns::Topic,
}

impl Sink for SnsSink {
    fn name(&self) -> String {
        format!("sns:{}", self.topic.arn())
    }

    fn deliver(&mut self, alert: &Alert<'_>) -> Result<Option<u64>, SinkError> {
        #[derive(serde::Deserialize)]
        struct Head {
            severity: String,
            title: String,
        }
        let subject = serde_json::from_str::<Head>(alert.json)
            .map(|h| format!("trailhound {}: {}", h.severity, h.title))
            .unwrap_or_else(|_| "trailhound alert".into());
        self.topic
            .publish(alert.finding_id, &subject, alert.json)
            .map(|_| None)
            // The SDK does not say whether a failed call reached SNS: assume it may have.
            .map_err(|e| SinkError::Retry {
                message: format!("{e:#}"),
                maybe_delivered: true,
            })
    }
}

/// New inputs of one poll, and what to acknowledge once they are committed.
#[derive(Default)]
struct Batch {
    inputs: Vec<Input>,
    /// SQS receipt handles to delete after the commit.
    acks: Vec<String>,
    /// More is waiting right now: poll again without sleeping.
    more: bool,
    /// Something was passed over for good (exit code 2 with --once).
    skipped: bool,
    warnings: Vec<String>,
}

enum Feed {
    Bucket(BucketFeed),
    Queue(QueueFeed),
}

impl Feed {
    fn open(args: &Args, conn: &aws::Connection) -> anyhow::Result<Feed> {
        if args.source.starts_with("s3://") {
            let url = aws::s3::S3Url::parse(&args.source)?;
            let s3 = aws::s3::S3::connect(conn, &url.bucket)?;
            let now = jiff::Timestamp::now();
            let first = match &args.since {
                Some(s) => trail::filter::parse_time(s, now).context("--since")?,
                None => now
                    .checked_sub(jiff::SignedDuration::from_hours(24))
                    .unwrap_or(now),
            };
            Ok(Feed::Bucket(BucketFeed {
                s3,
                url,
                first_day: utc_day(first),
                queue: VecDeque::new(),
                listing_clean: false,
            }))
        } else if args.source.starts_with("sqs://") {
            let queue = aws::sqs::QueueRef::parse(&args.source)?;
            Ok(Feed::Queue(QueueFeed {
                queue: aws::sqs::Queue::connect(conn, &queue)?,
                conn: conn.clone(),
                buckets: HashMap::new(),
                visibility_seconds: args.visibility_timeout.as_secs().clamp(1, 43_200) as i32,
                wait_seconds: args.interval.as_secs().clamp(1, 20) as i32,
            }))
        } else {
            anyhow::bail!(
                "{}: watch reads s3://BUCKET/PREFIX or sqs://QUEUE (for files, use `trailhound detect`)",
                args.source
            )
        }
    }

    fn poll(&mut self, db: &StateDb, max: usize, once: bool) -> anyhow::Result<Batch> {
        match self {
            Feed::Bucket(f) => f.poll(db, max.max(1)),
            Feed::Queue(f) => f.poll(db, max.max(1), once),
        }
    }

    fn ack(&mut self, batch: &Batch) -> anyhow::Result<()> {
        if let Feed::Queue(f) = self {
            for handle in &batch.acks {
                f.queue.delete(handle)?;
            }
        }
        Ok(())
    }
}

fn utc_day(t: jiff::Timestamp) -> jiff::civil::Date {
    jiff::tz::TimeZone::UTC.to_datetime(t).date()
}

fn ymd(d: jiff::civil::Date) -> (i16, i8, i8) {
    (d.year(), d.month(), d.day())
}

/// Polls a bucket: lists each region from the first day folder that may still hold unread
/// objects through tomorrow (clock skew), queues what the state has not seen, oldest first, and
/// hands it out a batch per pass; lists again once the queue is drained.
struct BucketFeed {
    s3: aws::s3::S3,
    url: aws::s3::S3Url,
    first_day: jiff::civil::Date,
    queue: VecDeque<(aws::s3::ObjectInfo, String)>,
    /// Every object of the last listing was handed out and fetched: once the queue is empty,
    /// all of them are committed.
    listing_clean: bool,
}

impl BucketFeed {
    fn poll(&mut self, db: &StateDb, max: usize) -> anyhow::Result<Batch> {
        let today = utc_day(jiff::Timestamp::now());
        // Days before the one kept in the state were fully read, and CloudTrail no longer
        // delivers into them.
        let start = db
            .meta("s3_first_open_day")?
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
            .map_or(self.first_day, |d| d.max(self.first_day));
        if self.queue.is_empty() {
            let yesterday = today.yesterday().unwrap_or(today);
            if self.listing_clean && yesterday > start {
                db.set_meta("s3_first_open_day", &yesterday.to_string())?;
            }
            let end = today.tomorrow().unwrap_or(today);
            let scope = aws::s3::LayoutScope {
                days: Some((ymd(start), ymd(end))),
                ..Default::default()
            };
            let objects = aws::s3::list_cloudtrail(&self.s3, &self.url, &scope)?;
            let ids: Vec<String> = objects.iter().map(|o| self.url.object(&o.key)).collect();
            let done = db.done(&ids)?;
            let mut fresh: Vec<(aws::s3::ObjectInfo, String)> = objects
                .into_iter()
                .zip(ids)
                .filter(|(_, id)| !done.contains(id))
                .collect();
            // Oldest first, so correlations see events roughly in the order they happened.
            fresh.sort_by(|a, b| {
                (a.0.last_modified_ms, &a.0.key).cmp(&(b.0.last_modified_ms, &b.0.key))
            });
            self.queue = fresh.into();
            self.listing_clean = true;
        }
        let take: Vec<(aws::s3::ObjectInfo, String)> =
            self.queue.drain(..max.min(self.queue.len())).collect();
        let keys: Vec<String> = take.iter().map(|(o, _)| o.key.clone()).collect();
        let mut batch = Batch {
            more: !self.queue.is_empty(),
            ..Batch::default()
        };
        for ((object, id), body) in
            take.into_iter()
                .zip(self.s3.get_many(&self.url.bucket, &keys, 16))
        {
            match body {
                Ok(bytes) => batch.inputs.push(Input {
                    id,
                    bytes: Arc::from(bytes),
                    appeared_ms: object.last_modified_ms,
                }),
                // Left unread: the next listing finds it again (with --once: exit code 2).
                Err(e) => {
                    batch.warnings.push(format!("{id}: {e:#} (will retry)"));
                    batch.skipped = true;
                    self.listing_clean = false;
                }
            }
        }
        Ok(batch)
    }
}

/// Receives S3 event notifications and fetches the objects they announce.
struct QueueFeed {
    queue: aws::sqs::Queue,
    conn: aws::Connection,
    buckets: HashMap<String, aws::s3::S3>,
    visibility_seconds: i32,
    wait_seconds: i32,
}

impl QueueFeed {
    fn bucket(&mut self, name: &str) -> anyhow::Result<&aws::s3::S3> {
        if !self.buckets.contains_key(name) {
            let s3 = aws::s3::S3::connect(&self.conn, name)?;
            self.buckets.insert(name.to_string(), s3);
        }
        Ok(&self.buckets[name])
    }

    fn poll(&mut self, db: &StateDb, max: usize, once: bool) -> anyhow::Result<Batch> {
        let mut messages = Vec::new();
        // The first receive waits (long polling); the rest only drain what is there.
        let mut wait = if once { 1 } else { self.wait_seconds };
        while messages.len() < max {
            let got = self.queue.receive(10, wait, self.visibility_seconds)?;
            if got.is_empty() {
                break;
            }
            messages.extend(got);
            wait = 0;
        }
        let mut batch = Batch {
            more: !messages.is_empty(),
            ..Batch::default()
        };
        let mut taken: HashSet<String> = HashSet::new();
        for m in messages {
            if let Some(why) = &m.unreadable {
                batch.warnings.push(format!(
                    "{}: message {} announces no S3 object ({why}); deleted",
                    self.queue.url(),
                    m.id
                ));
                batch.skipped = true;
                batch.acks.push(m.receipt_handle);
                continue;
            }
            let mut complete = true;
            for obj in &m.objects {
                if aws::s3::layout::is_digest_key(&obj.key) {
                    continue;
                }
                let id = format!("s3://{}/{}", obj.bucket, obj.key);
                if taken.contains(&id) || !db.done(std::slice::from_ref(&id))?.is_empty() {
                    continue;
                }
                let fetched = self
                    .bucket(&obj.bucket)
                    .and_then(|s3| s3.get(&obj.bucket, &obj.key));
                match fetched {
                    Ok(bytes) => {
                        taken.insert(id.clone());
                        batch.inputs.push(Input {
                            id,
                            bytes: Arc::from(bytes),
                            appeared_ms: None,
                        });
                    }
                    Err(e) if format!("{e:#}").contains("NoSuchKey") => {
                        batch
                            .warnings
                            .push(format!("{id}: announced but gone ({e:#}); skipped"));
                        batch.skipped = true;
                    }
                    Err(e) => {
                        // The message comes back after its visibility timeout.
                        batch.warnings.push(format!("{id}: {e:#} (will retry)"));
                        batch.skipped = true;
                        complete = false;
                    }
                }
            }
            if complete {
                batch.acks.push(m.receipt_handle);
            }
        }
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("m5").is_err());
        assert!(parse_duration("5y").is_err());
        assert_eq!(show_duration(Duration::from_secs(372)), "6m12s");
    }
}
