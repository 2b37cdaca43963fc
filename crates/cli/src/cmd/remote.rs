//! CloudTrail read through the AWS SDK for `detect` and `events`: `s3://BUCKET/PREFIX` (the
//! CloudTrail bucket layout, listed only for the days, accounts and regions asked for) and
//! `lookup://REGION` (LookupEvents). The bytes go to the same decoder as local files.

#[cfg(feature = "aws")]
use trail::{Filter, Problem, Source};

/// Whether a command-line input names something remote rather than a path.
pub fn is_remote(input: &str) -> bool {
    ["s3://", "sqs://", "lookup://"]
        .iter()
        .any(|scheme| input.starts_with(scheme))
}

/// The sources behind remote inputs, fetched now, and the problems met (objects that could not
/// be read). `event_names`: the --event-name patterns (one plain name narrows LookupEvents).
#[cfg(feature = "aws")]
pub fn fetch(
    inputs: &[&str],
    filter: &Filter,
    event_names: &[String],
) -> anyhow::Result<(Vec<Source>, Vec<Problem>)> {
    use std::io::IsTerminal;

    let conn = aws::Connection::default();
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for &input in inputs {
        if input.starts_with("sqs://") {
            anyhow::bail!(
                "{input}: a queue is read by `trailhound watch {input}` (reading it here would take its messages away from the watcher)"
            );
        }
        if let Some(region) = input.strip_prefix("lookup://") {
            let region = region.trim_end_matches('/');
            let single_name = match event_names {
                [name] if !name.contains(['*', '?', '[']) => Some(name.clone()),
                _ => None,
            };
            let query = aws::lookup::LookupQuery {
                region: (!region.is_empty()).then(|| region.to_string()),
                start_ms: filter.since.map(|t| t.as_millisecond()),
                end_ms: filter.until.map(|t| t.as_millisecond()),
                event_name: single_name,
            };
            let result = aws::lookup::lookup_events(&conn, &query)?;
            if result.without_record > 0 {
                problems.push(Problem::new(
                    format!("lookup://{}", result.region),
                    trail::Where::File,
                    format!(
                        "{} of {} events came without their CloudTrailEvent record",
                        result.without_record, result.events
                    ),
                ));
            }
            if !result.jsonl.is_empty() {
                sources.push(Source::memory(
                    format!("lookup://{}", result.region),
                    result.jsonl,
                ));
            }
            continue;
        }
        let url = aws::s3::S3Url::parse(input)?;
        let s3 = aws::s3::S3::connect(&conn, &url.bucket)?;
        let scope = aws::s3::LayoutScope {
            days: day_range(filter),
            accounts: filter.accounts.clone(),
            regions: filter.regions.clone(),
        };
        let objects = aws::s3::list_cloudtrail(&s3, &url, &scope)?;
        if std::io::stderr().is_terminal() {
            let bytes: u64 = objects.iter().map(|o| o.size).sum();
            eprintln!(
                "trailhound: fetching {} objects ({:.1} MiB) from {url}",
                objects.len(),
                bytes as f64 / (1 << 20) as f64
            );
        }
        let keys: Vec<String> = objects.into_iter().map(|o| o.key).collect();
        for (key, body) in keys.iter().zip(s3.get_many(&url.bucket, &keys, 16)) {
            let name = url.object(key);
            match body {
                Ok(bytes) => sources.push(Source::memory(name, bytes)),
                Err(e) => problems.push(Problem::new(
                    name,
                    trail::Where::File,
                    format!("cannot read: {e:#}"),
                )),
            }
        }
    }
    Ok((sources, problems))
}

/// The day folders that can hold events of the filter's time range: from the day of --since to
/// the day after --until (a file is filed under the day it was delivered, up to about 15 minutes
/// after its last event). Open ends: no day pruning.
#[cfg(feature = "aws")]
fn day_range(filter: &Filter) -> Option<(aws::s3::layout::Day, aws::s3::layout::Day)> {
    let since = filter.since?;
    let until = filter.until.unwrap_or_else(jiff::Timestamp::now);
    let day = |t: jiff::Timestamp| {
        let d = jiff::tz::TimeZone::UTC.to_datetime(t).date();
        (d.year(), d.month(), d.day())
    };
    let after = until
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap_or(until);
    Some((day(since), day(after)))
}
