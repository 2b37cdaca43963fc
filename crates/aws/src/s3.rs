//! Reading S3: list the keys under a prefix (every page), fetch objects, and walk a CloudTrail
//! bucket layout (`AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`) down to the day folders a
//! time range needs.
//!
//! The API is synchronous: [`S3`] drives the SDK on the crate's shared runtime, so command code does
//! not need tokio.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let s3 = aws::s3::S3::connect(&aws::Connection::default(), "my-trail-bucket")?;
//! for object in s3.list("my-trail-bucket", "AWSLogs/")? {
//!     let bytes = s3.get("my-trail-bucket", &object.key)?;
//!     println!("{} {} bytes", object.key, bytes.len());
//! }
//! # Ok(()) }
//! ```

use std::fmt;

use anyhow::Context;
use aws_sdk_s3::error::ProvideErrorMetadata;
use futures::StreamExt;

use crate::client::{self, Connection};
use crate::runtime::block_on;

/// `s3://bucket/prefix`, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// Key prefix, possibly empty; never starts with `/`.
    pub prefix: String,
}

impl S3Url {
    /// Parses `s3://bucket`, `s3://bucket/`, `s3://bucket/some/prefix`.
    pub fn parse(text: &str) -> anyhow::Result<S3Url> {
        let rest = text
            .strip_prefix("s3://")
            .with_context(|| format!("{text:?} is not an S3 URL (write s3://BUCKET/PREFIX)"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(
            !bucket.is_empty(),
            "{text:?} names no bucket (write s3://BUCKET/PREFIX)"
        );
        Ok(S3Url {
            bucket: bucket.to_string(),
            prefix: prefix.trim_start_matches('/').to_string(),
        })
    }

    /// The URL of one key in the same bucket (for messages and problem listings).
    pub fn object(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// One object from a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// The ETag as S3 returns it, quotes removed.
    pub etag: Option<String>,
    /// LastModified, milliseconds since the Unix epoch.
    pub last_modified_ms: Option<i64>,
}

/// An S3 client for one bucket's region.
#[derive(Clone, Debug)]
pub struct S3 {
    client: aws_sdk_s3::Client,
}

impl S3 {
    /// Connects for `bucket`: the configured region first; when the bucket lives in another
    /// region (S3 says so on HeadBucket), a client for that region. An endpoint URL (moto,
    /// MinIO) switches to path-style addressing.
    pub fn connect(conn: &Connection, bucket: &str) -> anyhow::Result<S3> {
        block_on(Self::connect_async(conn, bucket))
    }

    /// [`S3::connect`] for callers already on a runtime.
    pub async fn connect_async(conn: &Connection, bucket: &str) -> anyhow::Result<S3> {
        let conf = client::load(conn, None).await;
        let s3 = S3::from_config(&conf);
        let configured = conf.region().map(|r| r.to_string());
        let head = s3.client.head_bucket().bucket(bucket).send().await;
        let actual = match &head {
            Ok(out) => out.bucket_region().map(str::to_string),
            // A bucket elsewhere answers 301 with its region in a header; other errors (403,
            // 404) are reported by the first real call, with its own message.
            Err(err) => err
                .raw_response()
                .and_then(|r| r.headers().get("x-amz-bucket-region"))
                .map(str::to_string),
        };
        match actual {
            Some(region) if Some(&region) != configured.as_ref() => {
                let conf = client::load(conn, Some(&region)).await;
                Ok(S3::from_config(&conf))
            }
            _ => Ok(s3),
        }
    }

    /// A client from an SDK configuration as is (no region discovery).
    pub fn from_config(conf: &aws_config::SdkConfig) -> S3 {
        let mut builder = aws_sdk_s3::config::Builder::from(conf);
        if conf.endpoint_url().is_some() {
            builder = builder.force_path_style(true);
        }
        S3 {
            client: aws_sdk_s3::Client::from_conf(builder.build()),
        }
    }

    /// The SDK client, for calls this module does not wrap.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// Every object under `prefix`, all pages, in key order.
    pub fn list(&self, bucket: &str, prefix: &str) -> anyhow::Result<Vec<ObjectInfo>> {
        block_on(self.list_async(bucket, prefix, None))
    }

    /// Every object under `prefix` whose key sorts after `start_after`: what is new in a folder
    /// whose keys grow in time order, as CloudTrail's do.
    pub fn list_after(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: &str,
    ) -> anyhow::Result<Vec<ObjectInfo>> {
        block_on(self.list_async(bucket, prefix, Some(start_after)))
    }

    pub async fn list_async(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> anyhow::Result<Vec<ObjectInfo>> {
        self.list_range_async(bucket, prefix, start_after, None)
            .await
    }

    /// The objects under `prefix` with keys after `start_after` and up to `last` (both bounds
    /// on the whole key); stops paging once past `last`, since S3 lists keys in order.
    pub async fn list_range_async(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        last: Option<&str>,
    ) -> anyhow::Result<Vec<ObjectInfo>> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_start_after(start_after.map(str::to_string))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| describe(&e, &format!("list s3://{bucket}/{prefix}")))?;
            let mut past_last = false;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                if last.is_some_and(|l| key > l) {
                    past_last = true;
                    break;
                }
                out.push(ObjectInfo {
                    key: key.to_string(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    etag: o.e_tag().map(|e| e.trim_matches('"').to_string()),
                    last_modified_ms: o.last_modified().and_then(|t| t.to_millis().ok()),
                });
            }
            if past_last {
                break;
            }
        }
        Ok(out)
    }

    /// The "sub-folders" directly under `prefix` (keys up to the next `/`), all pages.
    pub fn folders(&self, bucket: &str, prefix: &str) -> anyhow::Result<Vec<String>> {
        block_on(self.folders_async(bucket, prefix))
    }

    pub async fn folders_async(&self, bucket: &str, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| describe(&e, &format!("list s3://{bucket}/{prefix}")))?;
            out.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_string)),
            );
        }
        Ok(out)
    }

    /// One object's bytes, as stored (a `.gz` stays compressed).
    pub fn get(&self, bucket: &str, key: &str) -> anyhow::Result<Vec<u8>> {
        block_on(self.get_async(bucket, key))
    }

    pub async fn get_async(&self, bucket: &str, key: &str) -> anyhow::Result<Vec<u8>> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| describe(&e, &format!("get s3://{bucket}/{key}")))?;
        let body = out
            .body
            .collect()
            .await
            .with_context(|| format!("read s3://{bucket}/{key}"))?;
        Ok(body.into_bytes().to_vec())
    }

    /// Several objects, `concurrency` at a time; results in the order of `keys`.
    pub fn get_many(
        &self,
        bucket: &str,
        keys: &[String],
        concurrency: usize,
    ) -> Vec<anyhow::Result<Vec<u8>>> {
        block_on(async {
            futures::stream::iter(keys)
                .map(|key| self.get_async(bucket, key))
                .buffered(concurrency.max(1))
                .collect()
                .await
        })
    }
}

/// An SDK error as one line: the operation, S3's code and message, or the transport failure.
pub(crate) fn describe<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>, what: &str) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug,
{
    use aws_sdk_s3::error::SdkError;
    let detail = match err {
        SdkError::ServiceError(e) => {
            let e = e.err();
            match (e.code(), e.message()) {
                (Some(code), Some(msg)) => format!("{code}: {msg}"),
                (Some(code), None) => code.to_string(),
                _ => e.to_string(),
            }
        }
        other => {
            // The transport error's own chain says what failed (refused, DNS, TLS).
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    };
    anyhow::anyhow!("{what}: {detail}")
}

/// Where a key sits in the CloudTrail bucket layout.
pub mod layout {
    /// Segment names that hold no event logs next to `CloudTrail/` (digests, Insights events).
    pub fn is_digest_key(key: &str) -> bool {
        key.split('/')
            .any(|s| s.eq_ignore_ascii_case("CloudTrail-Digest"))
    }

    /// A calendar day: (year, month, day).
    pub type Day = (i16, i8, i8);

    /// `YYYY/MM/DD/` folders from `first` to `last` inclusive.
    pub fn day_folders(first: Day, last: Day) -> Vec<String> {
        let mut out = Vec::new();
        let Ok(mut day) = jiff::civil::Date::new(first.0, first.1, first.2) else {
            return out;
        };
        let Ok(end) = jiff::civil::Date::new(last.0, last.1, last.2) else {
            return out;
        };
        while day <= end {
            out.push(format!(
                "{:04}/{:02}/{:02}/",
                day.year(),
                day.month(),
                day.day()
            ));
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        out
    }

    /// How deep a prefix reaches into the layout, counted from `AWSLogs/`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Level {
        /// Above `AWSLogs/` (or a bucket laid out some other way).
        Outside,
        /// `AWSLogs/`: accounts, or organization ids, below.
        AwsLogs,
        /// `AWSLogs/o-xxxx/`: accounts below.
        Organization,
        /// `.../ACCOUNT/`: `CloudTrail/`, `CloudTrail-Digest/`, ... below.
        Account,
        /// `.../ACCOUNT/CloudTrail/`: regions below.
        Trail,
        /// `.../CloudTrail/REGION/`: years below.
        Region,
        /// Inside a region's date folders.
        Dated,
    }

    /// The level of a folder prefix ending in `/` (or empty).
    pub fn level(prefix: &str) -> Level {
        let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
        let Some(logs) = segments.iter().rposition(|s| *s == "AWSLogs") else {
            return Level::Outside;
        };
        let below = &segments[logs + 1..];
        let org = below.first().is_some_and(|s| s.starts_with("o-"));
        let below = if org { &below[1..] } else { below };
        match below.len() {
            0 if org => Level::Organization,
            0 => Level::AwsLogs,
            1 => Level::Account,
            2 => Level::Trail,
            3 => Level::Region,
            _ => Level::Dated,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn levels_of_the_layout() {
            assert_eq!(level(""), Level::Outside);
            assert_eq!(level("team/"), Level::Outside);
            assert_eq!(level("AWSLogs/"), Level::AwsLogs);
            assert_eq!(level("p/AWSLogs/o-abc123/"), Level::Organization);
            assert_eq!(level("AWSLogs/111122223333/"), Level::Account);
            assert_eq!(level("AWSLogs/o-abc/111122223333/"), Level::Account);
            assert_eq!(level("AWSLogs/111122223333/CloudTrail/"), Level::Trail);
            assert_eq!(
                level("AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/"),
                Level::Region
            );
            assert_eq!(
                level("AWSLogs/111122223333/CloudTrail/eu-west-1/2024/"),
                Level::Dated
            );
        }

        #[test]
        fn day_folders_cross_month_and_year() {
            assert_eq!(
                day_folders((2023, 12, 31), (2024, 1, 1)),
                ["2023/12/31/", "2024/01/01/"]
            );
            assert_eq!(day_folders((2024, 2, 28), (2024, 3, 1)).len(), 3);
            assert!(day_folders((2024, 3, 2), (2024, 3, 1)).is_empty());
        }

        #[test]
        fn digest_keys() {
            assert!(is_digest_key(
                "AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/01/x.json.gz"
            ));
            assert!(!is_digest_key(
                "AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.json.gz"
            ));
        }
    }
}

/// Which parts of a CloudTrail layout to list; empty lists mean all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayoutScope {
    /// First and last day folder.
    pub days: Option<(layout::Day, layout::Day)>,
    /// Account folders to enter (12-digit ids).
    pub accounts: Vec<String>,
    /// Region folders to enter.
    pub regions: Vec<String>,
}

fn last_segment(prefix: &str) -> &str {
    prefix
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
}

/// Lists the CloudTrail log objects under `url`, in key order. Within the layout, only the
/// `CloudTrail/` folders are read (never digests or Insights), only the accounts, regions and
/// day folders in `scope`; organization trails (`AWSLogs/o-xxxx/ACCOUNT/`) are walked like
/// single-account ones. A prefix outside the layout without an `AWSLogs/` folder right below it
/// is listed whole (digest keys left out).
pub fn list_cloudtrail(
    s3: &S3,
    url: &S3Url,
    scope: &LayoutScope,
) -> anyhow::Result<Vec<ObjectInfo>> {
    block_on(list_cloudtrail_async(s3, url, scope))
}

pub async fn list_cloudtrail_async(
    s3: &S3,
    url: &S3Url,
    scope: &LayoutScope,
) -> anyhow::Result<Vec<ObjectInfo>> {
    use layout::Level;
    let bucket = &url.bucket;
    // Folder prefixes still to descend, and the prefixes to list whole at the end.
    let mut pending: Vec<String> = Vec::new();
    let mut leaves: Vec<String> = Vec::new();
    // Region folders limited to a day range: (prefix, start after, last key).
    let mut ranges: Vec<(String, String, String)> = Vec::new();
    let start = &url.prefix;
    if start.is_empty() || start.ends_with('/') {
        pending.push(start.clone());
    } else {
        // A partial name (s3://b/AWSLogs/1234/CloudTrail/us-east-1/2024/05/0): list as given.
        leaves.push(start.clone());
    }
    let wanted = |list: &[String], name: &str| list.is_empty() || list.iter().any(|a| a == name);
    while let Some(prefix) = pending.pop() {
        match layout::level(&prefix) {
            Level::Outside => {
                let below = s3.folders_async(bucket, &prefix).await?;
                match below.iter().find(|f| last_segment(f) == "AWSLogs") {
                    Some(logs) => pending.push(logs.clone()),
                    None => leaves.push(prefix),
                }
            }
            Level::AwsLogs | Level::Organization => {
                for child in s3.folders_async(bucket, &prefix).await? {
                    let name = last_segment(&child);
                    if name.starts_with("o-") || wanted(&scope.accounts, name) {
                        pending.push(child);
                    }
                }
            }
            Level::Account => pending.push(format!("{prefix}CloudTrail/")),
            Level::Trail => {
                if last_segment(&prefix) == "CloudTrail" {
                    for child in s3.folders_async(bucket, &prefix).await? {
                        if wanted(&scope.regions, last_segment(&child)) {
                            pending.push(child);
                        }
                    }
                }
            }
            // One listing per region from the first day on, not one per day: a long range
            // with few files per day costs a call per 1,000 keys, a short one a single call.
            Level::Region => match scope.days {
                Some((first, last)) => {
                    let days = layout::day_folders(first, last);
                    if let (Some(a), Some(z)) = (days.first(), days.last()) {
                        ranges.push((
                            prefix.clone(),
                            format!("{prefix}{a}"),
                            format!("{prefix}{z}\u{10FFFF}"),
                        ));
                    }
                }
                None => leaves.push(prefix),
            },
            Level::Dated => leaves.push(prefix),
        }
    }
    leaves.sort();
    leaves.dedup();
    ranges.extend(
        leaves
            .into_iter()
            .map(|p| (p, String::new(), String::new())),
    );
    let listings = futures::stream::iter(&ranges)
        .map(|(prefix, after, last)| {
            let after = (!after.is_empty()).then_some(after.as_str());
            let last = (!last.is_empty()).then_some(last.as_str());
            s3.list_range_async(bucket, prefix, after, last)
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for listing in listings {
        out.extend(
            listing?
                .into_iter()
                .filter(|o| !o.key.ends_with('/') && !layout::is_digest_key(&o.key)),
        );
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out.dedup_by(|a, b| a.key == b.key);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        let u = S3Url::parse("s3://trail-bucket/org/AWSLogs/").unwrap();
        assert_eq!(u.bucket, "trail-bucket");
        assert_eq!(u.prefix, "org/AWSLogs/");
        assert_eq!(u.object("k"), "s3://trail-bucket/k");
        assert_eq!(S3Url::parse("s3://b").unwrap().prefix, "");
        assert!(S3Url::parse("s3:///x").is_err());
        assert!(S3Url::parse("/tmp/x").is_err());
    }
}
