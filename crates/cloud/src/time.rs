//! Timestamps as the aws CLI prints them: ISO 8601 strings (`2024-04-02T09:12:44+00:00`,
//! `...44.000Z`, with or without an offset) or epoch numbers (seconds, possibly fractional, or
//! milliseconds), depending on the CLI version and `cli_timestamp_format`.

use jiff::Timestamp;
use serde::Deserializer;
use serde_json::Value;

/// Epoch values above this are milliseconds (as seconds it would be the year 5138).
const MILLIS_ABOVE: f64 = 100_000_000_000.0;

/// Reads a timestamp from a JSON value; `Ok(None)` for null and the empty string.
pub fn parse_time_value(v: &Value) -> Result<Option<Timestamp>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => {
            let f = n
                .as_f64()
                .ok_or_else(|| format!("{n} is not a usable epoch number"))?;
            epoch(f).map(Some)
        }
        Value::String(s) => parse_time(s),
        other => Err(format!(
            "expected a timestamp (ISO string or epoch number), found {other}"
        )),
    }
}

/// Reads a timestamp from text: ISO 8601 (an offset or `Z`; none means UTC), a date alone, or
/// epoch digits. `Ok(None)` for the empty string.
pub fn parse_time(s: &str) -> Result<Option<Timestamp>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(Some(t));
    }
    if let Ok(f) = s.parse::<f64>() {
        return epoch(f).map(Some);
    }
    // No offset: AWS means UTC.
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return jiff::tz::TimeZone::UTC
            .to_timestamp(dt)
            .map(Some)
            .map_err(|e| format!("{s:?}: {e}"));
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return jiff::tz::TimeZone::UTC
            .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .map(Some)
            .map_err(|e| format!("{s:?}: {e}"));
    }
    Err(format!(
        "{s:?} is not a timestamp (expected ISO 8601 or epoch seconds)"
    ))
}

fn epoch(f: f64) -> Result<Timestamp, String> {
    if !f.is_finite() {
        return Err(format!("{f} is not a usable epoch number"));
    }
    let seconds = if f.abs() > MILLIS_ABOVE {
        f / 1000.0
    } else {
        f
    };
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1e9).round() as i32;
    Timestamp::new(whole as i64, nanos.min(999_999_999))
        .map_err(|e| format!("{f} is out of range for a timestamp: {e}"))
}

/// `#[serde(deserialize_with = "crate::time::de")]` for `Option<Timestamp>` fields: an ISO
/// string or an epoch number, read without an intermediate value.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<Timestamp>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a timestamp (ISO 8601 string or epoch number)")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            parse_time(s).map_err(E::custom)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            epoch(v as f64).map(Some).map_err(E::custom)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            epoch(v as f64).map(Some).map_err(E::custom)
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            epoch(v).map(Some).map_err(E::custom)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(v: Value) -> Timestamp {
        parse_time_value(&v).unwrap().unwrap()
    }

    #[test]
    fn iso_and_epoch_agree() {
        let want: Timestamp = "2024-04-02T09:12:44Z".parse().unwrap();
        assert_eq!(t(json!("2024-04-02T09:12:44+00:00")), want);
        assert_eq!(t(json!("2024-04-02T11:12:44+02:00")), want);
        assert_eq!(t(json!("2024-04-02T09:12:44.000Z")), want);
        assert_eq!(t(json!("2024-04-02T09:12:44")), want);
        assert_eq!(t(json!(1712049164)), want);
        assert_eq!(t(json!(1712049164.0)), want);
        assert_eq!(t(json!(1712049164000u64)), want);
        assert_eq!(t(json!("1712049164")), want);
        assert_eq!(
            t(json!(1712049164.25)),
            "2024-04-02T09:12:44.25Z".parse().unwrap()
        );
        assert_eq!(
            t(json!("2024-04-02")),
            "2024-04-02T00:00:00Z".parse().unwrap()
        );
    }

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "de")]
        at: Option<Timestamp>,
    }

    #[test]
    fn the_serde_helper_takes_both_forms() {
        let want = Some("2024-04-02T09:12:44Z".parse::<Timestamp>().unwrap());
        for text in [
            r#"{"at": "2024-04-02T09:12:44+00:00"}"#,
            r#"{"at": 1712049164}"#,
            r#"{"at": 1712049164000}"#,
            r#"{"at": 1712049164.0}"#,
        ] {
            assert_eq!(serde_json::from_str::<T>(text).unwrap().at, want, "{text}");
        }
        for text in [r#"{"at": null}"#, r#"{"at": ""}"#, "{}"] {
            assert_eq!(serde_json::from_str::<T>(text).unwrap().at, None, "{text}");
        }
        assert!(serde_json::from_str::<T>(r#"{"at": "soon"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"at": [1]}"#).is_err());
        // From an in-memory value too (the page-merging path).
        let v = serde_json::json!({"at": 1712049164});
        assert_eq!(serde_json::from_value::<T>(v).unwrap().at, want);
    }

    #[test]
    fn empty_is_none_and_junk_is_an_error() {
        assert_eq!(parse_time_value(&json!(null)).unwrap(), None);
        assert_eq!(parse_time_value(&json!("")).unwrap(), None);
        assert!(parse_time_value(&json!("yesterday")).is_err());
        assert!(parse_time_value(&json!(true)).is_err());
        assert!(parse_time_value(&json!(1e300)).is_err());
    }
}
