//! The CloudTrail bucket layout, read from object keys: which chain a digest belongs to and when it
//! ends, and where a log file sits.
//!
//! ```text
//! [prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/
//!     ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ[_backfill].json.gz
//! [prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
//!     ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_RANDOM.json.gz
//! ```

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;

/// One account and region of one bucket prefix: where log files and digests of a region live.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Area {
    /// Everything before `AWSLogs/`, empty or ending in `/`.
    pub prefix: String,
    /// The organization id of an organization trail (`o-...`).
    pub organization: Option<String>,
    pub account: String,
    pub region: String,
}

impl Area {
    /// `[prefix]AWSLogs/[o-org/]ACCOUNT/` .
    pub fn account_folder(&self) -> String {
        match &self.organization {
            Some(org) => format!("{}AWSLogs/{org}/{}/", self.prefix, self.account),
            None => format!("{}AWSLogs/{}/", self.prefix, self.account),
        }
    }

    /// The folder of this area's log files.
    pub fn log_folder(&self) -> String {
        format!("{}CloudTrail/{}/", self.account_folder(), self.region)
    }
}

/// One chain of digest files: a trail's digests delivered from one region. Standard and backfill
/// digests of the same trail and region form two chains, as `validate-logs` walks them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainId {
    /// Where the digests are delivered from (the source region).
    pub area: Area,
    pub trail: String,
    /// The region the trail was created in.
    pub home_region: String,
    pub backfill: bool,
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}/{}/{}",
            self.area
                .organization
                .as_deref()
                .map(|o| format!("{o}/"))
                .unwrap_or_default(),
            self.area.account,
            self.area.region,
            self.trail
        )?;
        if self.home_region != self.area.region {
            write!(f, " (home {})", self.home_region)?;
        }
        if self.backfill {
            f.write_str(" backfill")?;
        }
        Ok(())
    }
}

/// A digest file's key, understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestName {
    pub chain: ChainId,
    /// The digest end time written in the file name.
    pub end: Timestamp,
}

/// A log file's key, understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogName {
    pub area: Area,
    /// The date folder the file sits in.
    pub day: Date,
    /// The time in the file name (CloudTrail's `YYYYMMDDTHHMMZ`), when the name has one.
    pub stamp: Option<Timestamp>,
}

/// A key split at its `AWSLogs` segment.
struct Layout<'a> {
    prefix: String,
    organization: Option<String>,
    account: &'a str,
    /// `CloudTrail`, `CloudTrail-Digest`, ...
    kind: &'a str,
    /// The segments after the kind.
    rest: Vec<&'a str>,
}

fn split_layout(key: &str) -> Option<Layout<'_>> {
    let segments: Vec<&str> = key.split('/').collect();
    // The last `AWSLogs` segment that is followed by a plausible layout.
    for at in (0..segments.len()).rev() {
        if segments[at] != "AWSLogs" {
            continue;
        }
        let prefix: String = segments[..at].iter().map(|s| format!("{s}/")).collect();
        let mut rest = &segments[at + 1..];
        let organization = match rest.first() {
            Some(s) if s.starts_with("o-") => {
                let org = s.to_string();
                rest = &rest[1..];
                Some(org)
            }
            _ => None,
        };
        if rest.len() < 3 {
            continue;
        }
        let (account, kind) = (rest[0], rest[1]);
        if !is_account(account) {
            continue;
        }
        return Some(Layout {
            prefix,
            organization,
            account,
            kind,
            rest: rest[2..].to_vec(),
        });
    }
    None
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn folder_date(y: &str, m: &str, d: &str) -> Option<Date> {
    let parse = |s: &str| s.parse::<i16>().ok();
    Date::new(
        parse(y)?,
        i8::try_from(parse(m)?).ok()?,
        i8::try_from(parse(d)?).ok()?,
    )
    .ok()
}

/// Understands a digest key; `None` for anything else (log files, stray objects).
pub fn parse_digest_key(key: &str) -> Option<DigestName> {
    let Layout {
        prefix,
        organization,
        account,
        kind,
        rest,
    } = split_layout(key)?;
    if kind != "CloudTrail-Digest" || rest.len() != 5 {
        return None;
    }
    let (region, file) = (rest[0], rest[4]);
    folder_date(rest[1], rest[2], rest[3])?;
    let stem = file.strip_suffix(".json.gz")?;
    let (stem, backfill) = match stem.strip_suffix("_backfill") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let (stem, stamp) = stem.rsplit_once('_')?;
    let end = parse_stamp(stamp, "%Y%m%dT%H%M%SZ")?;
    let middle = stem.strip_prefix(&format!("{account}_CloudTrail-Digest_{region}_"))?;
    let (trail, home_region) = middle.rsplit_once('_')?;
    if trail.is_empty() || home_region.is_empty() {
        return None;
    }
    Some(DigestName {
        chain: ChainId {
            area: Area {
                prefix,
                organization,
                account: account.to_string(),
                region: region.to_string(),
            },
            trail: trail.to_string(),
            home_region: home_region.to_string(),
            backfill,
        },
        end,
    })
}

/// The end time in a digest key's name, as `validate-logs` reads it (the 16 characters before
/// `.json.gz`, or before `_backfill.json.gz`), even for keys outside the usual layout.
pub fn digest_key_time(key: &str) -> Option<Timestamp> {
    let stem = key.strip_suffix(".json.gz")?;
    let stem = stem.strip_suffix("_backfill").unwrap_or(stem);
    let stamp = stem.get(stem.len().checked_sub(16)?..)?;
    parse_stamp(stamp, "%Y%m%dT%H%M%SZ")
}

/// Understands a log file key under `CloudTrail/REGION/YYYY/MM/DD/`; the file name need not follow
/// CloudTrail's pattern (a planted file is still a file in the folder).
pub fn parse_log_key(key: &str) -> Option<LogName> {
    let Layout {
        prefix,
        organization,
        account,
        kind,
        rest,
    } = split_layout(key)?;
    if kind != "CloudTrail" || rest.len() != 5 || rest[4].is_empty() {
        return None;
    }
    let region = rest[0];
    let day = folder_date(rest[1], rest[2], rest[3])?;
    let stamp = rest[4]
        .strip_prefix(&format!("{account}_CloudTrail_{region}_"))
        .and_then(|s| s.split('_').next())
        .and_then(|s| parse_stamp(s, "%Y%m%dT%H%MZ"));
    Some(LogName {
        area: Area {
            prefix,
            organization,
            account: account.to_string(),
            region: region.to_string(),
        },
        day,
        stamp,
    })
}

fn parse_stamp(text: &str, format: &str) -> Option<Timestamp> {
    let time = jiff::fmt::strtime::parse(format, text)
        .ok()?
        .to_datetime()
        .ok()?;
    time.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// `YYYY/MM/DD/` day folders from `first` to `last`, inclusive.
pub fn day_folders(first: Date, last: Date) -> Vec<String> {
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
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

/// The UTC calendar date of a time.
pub fn utc_date(t: Timestamp) -> Date {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz";

    #[test]
    fn digest_keys_name_their_chain_and_end() {
        let d = parse_digest_key(DIGEST).unwrap();
        assert_eq!(d.chain.area.account, "111122223333");
        assert_eq!(d.chain.area.region, "us-east-2");
        assert_eq!(d.chain.area.prefix, "");
        assert_eq!(d.chain.trail, "your-trail-name");
        assert_eq!(d.chain.home_region, "us-east-2");
        assert!(!d.chain.backfill);
        assert_eq!(d.end.to_string(), "2015-08-17T15:01:31Z");
        assert_eq!(digest_key_time(DIGEST), Some(d.end));
    }

    #[test]
    fn organization_prefix_backfill_and_underscored_trail_names() {
        let key = "logs/team/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/111122223333_CloudTrail-Digest_eu-west-1_org_trail_1_us-east-1_20240501T010203Z_backfill.json.gz";
        let d = parse_digest_key(key).unwrap();
        assert_eq!(d.chain.area.prefix, "logs/team/");
        assert_eq!(d.chain.area.organization.as_deref(), Some("o-abc123"));
        assert_eq!(d.chain.trail, "org_trail_1");
        assert_eq!(d.chain.home_region, "us-east-1");
        assert!(d.chain.backfill);
        assert_eq!(digest_key_time(key), Some(d.end));
        assert_eq!(
            d.chain.to_string(),
            "o-abc123/111122223333/eu-west-1/org_trail_1 (home us-east-1) backfill"
        );
    }

    #[test]
    fn not_digests() {
        assert!(parse_digest_key("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_a.json.gz").is_none());
        // The account in the name must be the folder's.
        assert!(parse_digest_key("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/999922223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240501T010203Z.json.gz").is_none());
        assert!(parse_digest_key("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_2024.json.gz").is_none());
        assert!(
            parse_digest_key("AWSLogs/1234/CloudTrail-Digest/us-east-1/2024/05/01/x.json.gz")
                .is_none()
        );
    }

    #[test]
    fn log_keys() {
        let l = parse_log_key("AWSLogs/111122223333/CloudTrail/us-east-2/2015/09/01/111122223333_CloudTrail_us-east-2_20150901T1925Z_WZZw1RymnjCRjxXc.json.gz").unwrap();
        assert_eq!(l.area.region, "us-east-2");
        assert_eq!(l.day.to_string(), "2015-09-01");
        assert_eq!(l.stamp.unwrap().to_string(), "2015-09-01T19:25:00Z");
        assert_eq!(
            l.area.log_folder(),
            "AWSLogs/111122223333/CloudTrail/us-east-2/"
        );
        let planted =
            parse_log_key("AWSLogs/111122223333/CloudTrail/us-east-2/2015/09/01/evil.json")
                .unwrap();
        assert_eq!(planted.stamp, None);
        assert!(parse_log_key("AWSLogs/111122223333/CloudTrail/us-east-2/2015/09/").is_none());
    }

    #[test]
    fn days() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(
            day_folders(d("2023-12-31"), d("2024-01-01")),
            ["2023/12/31/", "2024/01/01/"]
        );
        assert!(day_folders(d("2024-01-02"), d("2024-01-01")).is_empty());
    }
}
