//! Record filters: the `--since/--until/--account/--region/--event-name/--principal/--source-ip`
//! and `--errors-only/--no-errors` options every command that reads CloudTrail shares.

use std::net::IpAddr;
use std::str::FromStr;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use ipnet::IpNet;
use jiff::{Span, Timestamp};

use crate::record::Record;

/// Whether failed calls are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorFilter {
    #[default]
    Any,
    /// Only records with an errorCode.
    Only,
    /// Only records without one.
    None,
}

/// A conjunction of conditions on a record; an empty filter keeps everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    event_names: Option<GlobSet>,
    principals: Option<GlobSet>,
    pub source_nets: Vec<IpNet>,
    pub errors: ErrorFilter,
}

#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error(
        "invalid time {0:?}: use RFC 3339 (2024-05-01T10:00:00Z), a date (2024-05-01) or a relative age like 7d, 12h, 30m"
    )]
    Time(String),
    #[error("invalid pattern {0:?}: {1}")]
    Glob(String, String),
    #[error("invalid source IP {0:?}: give an address (203.0.113.7) or a CIDR (203.0.113.0/24)")]
    Ip(String),
}

impl Filter {
    /// Event-name globs (`*KeyPair`, `Run?nstances`), case-insensitive.
    pub fn with_event_names<S: AsRef<str>>(mut self, patterns: &[S]) -> Result<Self, FilterError> {
        self.event_names = glob_set(patterns, true)?;
        Ok(self)
    }

    /// Principal ARN globs (`arn:aws:iam::*:user/*`), case-sensitive like ARNs.
    pub fn with_principals<S: AsRef<str>>(mut self, patterns: &[S]) -> Result<Self, FilterError> {
        self.principals = glob_set(patterns, false)?;
        Ok(self)
    }

    /// Source addresses or CIDRs.
    pub fn with_source_ips<S: AsRef<str>>(mut self, values: &[S]) -> Result<Self, FilterError> {
        self.source_nets = values
            .iter()
            .map(|v| parse_net(v.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Whether the record passes every condition. `time` is its parsed eventTime.
    pub fn matches(&self, record: &Record<'_>, time: Timestamp) -> bool {
        if self.since.is_some_and(|since| time < since)
            || self.until.is_some_and(|until| time > until)
        {
            return false;
        }
        if !self.accounts.is_empty()
            && !record
                .account()
                .is_some_and(|a| self.accounts.iter().any(|x| x == a))
        {
            return false;
        }
        if !self.regions.is_empty()
            && !record
                .aws_region
                .as_deref()
                .is_some_and(|r| self.regions.iter().any(|x| x.eq_ignore_ascii_case(r)))
        {
            return false;
        }
        if let Some(set) = &self.event_names
            && !set.is_match(record.event_name.as_deref().unwrap_or_default())
        {
            return false;
        }
        if let Some(set) = &self.principals
            && !record.principal().is_some_and(|p| set.is_match(p))
        {
            return false;
        }
        if !self.source_nets.is_empty() {
            let ip = record
                .source_ip_address
                .as_deref()
                .and_then(|s| s.parse::<IpAddr>().ok());
            if !ip.is_some_and(|ip| self.source_nets.iter().any(|n| n.contains(&ip))) {
                return false;
            }
        }
        match self.errors {
            ErrorFilter::Any => true,
            ErrorFilter::Only => record.is_error(),
            ErrorFilter::None => !record.is_error(),
        }
    }
}

fn glob_set<S: AsRef<str>>(
    patterns: &[S],
    case_insensitive: bool,
) -> Result<Option<GlobSet>, FilterError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let p = p.as_ref();
        let glob: Glob = GlobBuilder::new(p)
            .case_insensitive(case_insensitive)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|e| FilterError::Glob(p.to_string(), e.kind().to_string()))?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| {
        FilterError::Glob(
            patterns
                .iter()
                .map(|p| p.as_ref())
                .collect::<Vec<_>>()
                .join(","),
            e.to_string(),
        )
    })
}

fn parse_net(value: &str) -> Result<IpNet, FilterError> {
    if let Ok(net) = IpNet::from_str(value) {
        return Ok(net.trunc());
    }
    value
        .parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| FilterError::Ip(value.to_string()))
}

/// Parses `--since/--until`: RFC 3339, a plain date (midnight UTC), or an age before `now`
/// such as `7d`, `12h`, `30m`, `45s`, `2w`.
pub fn parse_time(value: &str, now: Timestamp) -> Result<Timestamp, FilterError> {
    let err = || FilterError::Time(value.to_string());
    if let Ok(ts) = value.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(date) = value.parse::<jiff::civil::Date>() {
        return jiff::tz::TimeZone::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|_| err());
    }
    let (digits, unit) = value.split_at(value.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?);
    let n: i64 = digits.parse().map_err(|_| err())?;
    let seconds = match unit {
        "s" => n,
        "m" => n.checked_mul(60).ok_or_else(err)?,
        "h" => n.checked_mul(3600).ok_or_else(err)?,
        "d" => n.checked_mul(86_400).ok_or_else(err)?,
        "w" => n.checked_mul(7 * 86_400).ok_or_else(err)?,
        _ => return Err(err()),
    };
    let span = Span::new().try_seconds(seconds).map_err(|_| err())?;
    now.checked_sub(span).map_err(|_| err())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Record<'_> {
        serde_json::from_str(json).unwrap()
    }

    const EVENT: &str = r#"{"eventTime":"2024-05-01T10:00:00Z","eventName":"ImportKeyPair",
        "awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.7","recipientAccountId":"111122223333",
        "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}}"#;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn empty_filter_keeps_everything() {
        assert!(Filter::default().matches(&record(EVENT), at("2024-05-01T10:00:00Z")));
    }

    #[test]
    fn time_window_is_inclusive() {
        let t = at("2024-05-01T10:00:00Z");
        let f = Filter {
            since: Some(t),
            until: Some(t),
            ..Default::default()
        };
        assert!(f.matches(&record(EVENT), t));
        let f = Filter {
            since: Some(at("2024-05-01T10:00:01Z")),
            ..Default::default()
        };
        assert!(!f.matches(&record(EVENT), t));
    }

    #[test]
    fn event_name_globs_ignore_case() {
        let r = record(EVENT);
        let t = at("2024-05-01T10:00:00Z");
        assert!(
            Filter::default()
                .with_event_names(&["*keypair"])
                .unwrap()
                .matches(&r, t)
        );
        assert!(
            !Filter::default()
                .with_event_names(&["Delete*"])
                .unwrap()
                .matches(&r, t)
        );
    }

    #[test]
    fn principal_globs_cross_slashes() {
        let r = record(EVENT);
        let t = at("2024-05-01T10:00:00Z");
        let f = Filter::default()
            .with_principals(&["arn:aws:iam::*:user/*"])
            .unwrap();
        assert!(f.matches(&r, t));
        let f = Filter::default().with_principals(&["*:role/*"]).unwrap();
        assert!(!f.matches(&r, t));
    }

    #[test]
    fn source_ip_by_address_or_cidr() {
        let r = record(EVENT);
        let t = at("2024-05-01T10:00:00Z");
        assert!(
            Filter::default()
                .with_source_ips(&["203.0.113.0/24"])
                .unwrap()
                .matches(&r, t)
        );
        assert!(
            Filter::default()
                .with_source_ips(&["203.0.113.7"])
                .unwrap()
                .matches(&r, t)
        );
        assert!(
            !Filter::default()
                .with_source_ips(&["198.51.100.0/24"])
                .unwrap()
                .matches(&r, t)
        );
        assert!(Filter::default().with_source_ips(&["bogus"]).is_err());
    }

    #[test]
    fn account_region_and_errors() {
        let r = record(EVENT);
        let t = at("2024-05-01T10:00:00Z");
        let f = Filter {
            accounts: vec!["111122223333".into()],
            regions: vec!["EU-WEST-1".into()],
            ..Default::default()
        };
        assert!(f.matches(&r, t));
        let f = Filter {
            accounts: vec!["999999999999".into()],
            ..Default::default()
        };
        assert!(!f.matches(&r, t));
        let f = Filter {
            errors: ErrorFilter::Only,
            ..Default::default()
        };
        assert!(!f.matches(&r, t));
        let f = Filter {
            errors: ErrorFilter::None,
            ..Default::default()
        };
        assert!(f.matches(&r, t));
    }

    #[test]
    fn relative_and_absolute_times() {
        let now = at("2024-05-08T00:00:00Z");
        assert_eq!(parse_time("7d", now).unwrap(), at("2024-05-01T00:00:00Z"));
        assert_eq!(parse_time("12h", now).unwrap(), at("2024-05-07T12:00:00Z"));
        assert_eq!(
            parse_time("2024-05-02", now).unwrap(),
            at("2024-05-02T00:00:00Z")
        );
        assert_eq!(
            parse_time("2024-05-02T03:04:05+02:00", now).unwrap(),
            at("2024-05-02T01:04:05Z")
        );
        assert!(parse_time("7x", now).is_err());
        assert!(parse_time("yesterday", now).is_err());
    }
}
