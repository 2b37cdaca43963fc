//! A digest file's contents, the string CloudTrail signs, and the hashing both checks use.
//!
//! Facts from CloudTrail's documentation ("CloudTrail digest file structure", "Custom
//! implementations of CloudTrail log file integrity validation"):
//! * the data signing string is `digestEndTime + "\n" + digestS3Bucket + "/" + digestS3Object +
//!   "\n" + hex(SHA-256(uncompressed digest file)) + "\n" + previousDigestSignature`, where a
//!   starting digest's null previous signature is written `null`;
//! * the signature is RSA PKCS#1 v1.5 over the SHA-256 of that string (`SHA256withRSA`), hex in the
//!   digest object's `x-amz-meta-signature` metadata;
//! * `logFiles[].hashValue` and `previousDigestHashValue` are hex SHA-256 of the *uncompressed*
//!   file contents.

use std::io::Read;

use jiff::Timestamp;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The fields every digest must have before it can be checked, as `aws cloudtrail validate-logs`
/// requires them (`previousDigestSignature` may be null, but must be there).
pub const REQUIRED_FIELDS: [&str; 6] = [
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
];

/// A parsed digest file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub start: Timestamp,
    pub end: Timestamp,
    /// `digestEndTime` exactly as written: it is part of the signed string.
    pub end_text: String,
    pub bucket: String,
    pub object: String,
    pub fingerprint: String,
    /// `(previousDigestS3Bucket, previousDigestS3Object)`; `None` for a starting digest.
    pub previous: Option<(String, String)>,
    pub previous_signature: Option<String>,
    pub previous_hash: Option<String>,
    pub logs: Vec<LogRef>,
}

/// One `logFiles[]` entry; a field that is missing or not a string is `None` (the log is then
/// reported as being of invalid format, as `validate-logs` does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRef {
    pub bucket: Option<String>,
    pub object: Option<String>,
    pub hash: Option<String>,
}

/// Why a digest's contents could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("not gzip: {0}")]
    Gzip(String),
    #[error("not JSON: {0}")]
    Json(String),
    #[error("missing field {0}")]
    Missing(&'static str),
    #[error("field {0} is not what a digest holds")]
    Field(&'static str),
}

/// Reads a digest's uncompressed JSON.
pub fn parse(json: &[u8]) -> Result<Digest, FormatError> {
    let value: Value =
        serde_json::from_slice(json).map_err(|e| FormatError::Json(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(FormatError::Json("not a JSON object".into()));
    };
    for field in REQUIRED_FIELDS {
        if !object.contains_key(field) {
            return Err(FormatError::Missing(field));
        }
    }
    let text = |field: &'static str| -> Result<String, FormatError> {
        object
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(FormatError::Field(field))
    };
    let optional = |field: &'static str| -> Result<Option<String>, FormatError> {
        match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(FormatError::Field(field)),
        }
    };
    let time = |field: &'static str| -> Result<(Timestamp, String), FormatError> {
        let s = text(field)?;
        let t = s
            .parse::<Timestamp>()
            .map_err(|_| FormatError::Field(field))?;
        Ok((t, s))
    };
    let (start, _) = time("digestStartTime")?;
    let (end, end_text) = time("digestEndTime")?;
    let previous = match (
        optional("previousDigestS3Bucket")?,
        optional("previousDigestS3Object")?,
    ) {
        (Some(b), Some(o)) => Some((b, o)),
        _ => None,
    };
    let logs = match object.get("logFiles") {
        Some(Value::Array(items)) => items.iter().map(log_ref).collect(),
        Some(Value::Null) | None => return Err(FormatError::Missing("logFiles")),
        Some(_) => return Err(FormatError::Field("logFiles")),
    };
    Ok(Digest {
        start,
        end,
        end_text,
        bucket: text("digestS3Bucket")?,
        object: text("digestS3Object")?,
        fingerprint: text("digestPublicKeyFingerprint")?,
        previous,
        previous_signature: optional("previousDigestSignature")?,
        previous_hash: optional("previousDigestHashValue")?,
        logs,
    })
}

fn log_ref(item: &Value) -> LogRef {
    let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_string);
    LogRef {
        bucket: field("s3Bucket"),
        object: field("s3Object"),
        hash: field("hashValue"),
    }
}

/// The string CloudTrail signs for a digest whose uncompressed bytes are `uncompressed`.
pub fn signing_string(
    end_text: &str,
    bucket: &str,
    object: &str,
    uncompressed: &[u8],
    previous_signature: Option<&str>,
) -> String {
    format!(
        "{end_text}\n{bucket}/{object}\n{}\n{}",
        sha256_hex(uncompressed),
        previous_signature.unwrap_or("null")
    )
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Hex (either case) to bytes; `None` when it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// What gunzipping a file gave.
#[derive(Debug)]
pub struct Inflated<T> {
    pub value: T,
    /// Bytes follow the first gzip member. `validate-logs` (Python's zlib) stops at the end of the
    /// first member and hashes only that, while a reader that goes on (trailhound's own, `zcat`)
    /// sees the rest: content appended this way is covered by no digest.
    pub trailing: bool,
}

/// The first gzip member, uncompressed.
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Inflated<Vec<u8>>> {
    let mut decoder = flate2::bufread::GzDecoder::new(bytes);
    let mut out = Vec::new();
    decoder.read_to_end(&mut out)?;
    let trailing = !decoder.into_inner().is_empty();
    Ok(Inflated {
        value: out,
        trailing,
    })
}

/// The hex SHA-256 of the first gzip member's uncompressed bytes, without holding them.
pub fn gunzip_sha256(bytes: &[u8]) -> std::io::Result<Inflated<String>> {
    let mut decoder = flate2::bufread::GzDecoder::new(bytes);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = decoder.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let trailing = !decoder.into_inner().is_empty();
    Ok(Inflated {
        value: hex(&hasher.finalize()),
        trailing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    const SAMPLE: &str = r#"{
      "awsAccountId": "111122223333",
      "digestStartTime": "2015-08-17T14:01:31Z",
      "digestEndTime": "2015-08-17T15:01:31Z",
      "digestS3Bucket": "b",
      "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz",
      "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
      "digestSignatureAlgorithm": "SHA256withRSA",
      "newestEventTime": null, "oldestEventTime": null,
      "previousDigestS3Bucket": null, "previousDigestS3Object": null,
      "previousDigestHashValue": null, "previousDigestHashAlgorithm": null,
      "previousDigestSignature": null,
      "logFiles": [{"s3Bucket": "b", "s3Object": "k", "hashValue": "00", "hashAlgorithm": "SHA-256"}, {"s3Bucket": 3}]
    }"#;

    #[test]
    fn a_starting_digest() {
        let d = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(d.end_text, "2015-08-17T15:01:31Z");
        assert_eq!(d.previous, None);
        assert_eq!(d.previous_signature, None);
        assert_eq!(d.logs.len(), 2);
        assert_eq!(d.logs[0].object.as_deref(), Some("k"));
        assert_eq!(d.logs[1].bucket, None);
        let s = signing_string(&d.end_text, &d.bucket, &d.object, b"x", None);
        assert_eq!(
            s,
            format!(
                "2015-08-17T15:01:31Z\nb/{}\n{}\nnull",
                d.object,
                sha256_hex(b"x")
            )
        );
    }

    #[test]
    fn required_fields() {
        let without = SAMPLE.replace("\"previousDigestSignature\": null,", "");
        assert_eq!(
            parse(without.as_bytes()),
            Err(FormatError::Missing("previousDigestSignature"))
        );
        let bad_time = SAMPLE.replace("2015-08-17T14:01:31Z", "yesterday");
        assert_eq!(
            parse(bad_time.as_bytes()),
            Err(FormatError::Field("digestStartTime"))
        );
        assert!(matches!(parse(b"[1]"), Err(FormatError::Json(_))));
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(unhex("000FfF"), Some(vec![0, 15, 255]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn gzip_members() {
        let one = gz(b"hello");
        let r = gunzip(&one).unwrap();
        assert_eq!(r.value, b"hello");
        assert!(!r.trailing);
        let mut two = one.clone();
        two.extend(gz(b" world"));
        let r = gunzip(&two).unwrap();
        assert_eq!(
            r.value, b"hello",
            "only the first member, as validate-logs reads it"
        );
        assert!(r.trailing);
        let h = gunzip_sha256(&two).unwrap();
        assert_eq!(h.value, sha256_hex(b"hello"));
        assert!(h.trailing);
        assert!(gunzip(b"{\"plain\": true}").is_err());
    }
}
