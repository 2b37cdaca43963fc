//! Writes a CloudTrail bucket layout with gzipped log files and a signed digest chain, for tests.
//! The caller signs (tests use `openssl dgst -sha256 -sign`, an implementation independent of the
//! one that verifies).

use std::io::Write;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::digest::{sha256_hex, signing_string};

/// One trail's files over some hours.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub bucket: String,
    /// `""` or ending in `/`.
    pub prefix: String,
    /// The organization id of an organization trail (`AWSLogs/o-.../ACCOUNT/`).
    pub organization: Option<String>,
    pub account: String,
    pub region: String,
    pub trail: String,
    pub home_region: String,
    /// The first digest's start.
    pub first_start: Timestamp,
    pub hours: usize,
    pub logs_per_hour: usize,
    /// The `digestPublicKeyFingerprint` written (need not match the signing key).
    pub fingerprint: String,
    /// Hours with no digest (log file validation off); the next digest starts a new chain.
    pub skipped: Vec<usize>,
    /// Keep each digest's signature in a `.metadata.json` sidecar.
    pub sidecars: bool,
    pub backfill: bool,
    /// Hours whose digest records a wrong `previousDigestHashValue` (still validly signed).
    pub bad_previous_hash: Vec<usize>,
}

/// One digest written.
#[derive(Clone, Debug)]
pub struct WrittenDigest {
    pub key: String,
    pub signature: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The log files it lists.
    pub logs: Vec<String>,
}

impl Fixture {
    /// A day's worth of defaults: account 111122223333, us-east-1, trail `main`, 3 hours of 2
    /// log files each, from 2024-05-01T00:01:31Z, with sidecars.
    pub fn new(bucket: &str, fingerprint: &str) -> Fixture {
        Fixture {
            bucket: bucket.to_string(),
            prefix: String::new(),
            organization: None,
            account: "111122223333".into(),
            region: "us-east-1".into(),
            trail: "main".into(),
            home_region: "us-east-1".into(),
            first_start: "2024-05-01T00:01:31Z".parse().expect("a valid time"),
            hours: 3,
            logs_per_hour: 2,
            fingerprint: fingerprint.to_string(),
            skipped: Vec::new(),
            sidecars: true,
            backfill: false,
            bad_previous_hash: Vec::new(),
        }
    }

    fn dated(&self, kind: &str, t: Timestamp) -> String {
        format!(
            "{}AWSLogs/{}{}/{kind}/{}/{}/",
            self.prefix,
            self.organization
                .as_deref()
                .map(|o| format!("{o}/"))
                .unwrap_or_default(),
            self.account,
            self.region,
            t.strftime("%Y/%m/%d")
        )
    }

    /// The key a log file delivered at `t` gets (`n` makes it unique).
    pub fn log_key(&self, t: Timestamp, n: usize) -> String {
        format!(
            "{}{}_CloudTrail_{}_{}_fixture{n:09}.json.gz",
            self.dated("CloudTrail", t),
            self.account,
            self.region,
            t.strftime("%Y%m%dT%H%MZ")
        )
    }

    /// The key of the digest ending at `end`.
    pub fn digest_key(&self, end: Timestamp) -> String {
        format!(
            "{}{}_CloudTrail-Digest_{}_{}_{}_{}{}.json.gz",
            self.dated("CloudTrail-Digest", end),
            self.account,
            self.region,
            self.trail,
            self.home_region,
            end.strftime("%Y%m%dT%H%M%SZ"),
            if self.backfill { "_backfill" } else { "" }
        )
    }

    /// Writes everything under `dir` (the bucket's root); digests oldest first.
    pub fn write(
        &self,
        dir: &Path,
        sign: &mut dyn FnMut(&[u8]) -> Vec<u8>,
    ) -> std::io::Result<Vec<WrittenDigest>> {
        let hour = SignedDuration::from_hours(1);
        let mut out: Vec<WrittenDigest> = Vec::new();
        let mut previous: Option<(String, String, String)> = None; // key, hash, signature
        for h in 0..self.hours {
            let start = self.first_start + hour * h as i32;
            let end = start + hour;
            let mut logs = Vec::new();
            let mut entries = Vec::new();
            for j in 0..self.logs_per_hour {
                let delivered = start + SignedDuration::from_mins(5 * (j as i64 + 1));
                let key = self.log_key(delivered, h * 1000 + j);
                let body = self.log_body(delivered, h, j);
                write_gz(&dir.join(&key), &body)?;
                entries.push(json!({
                    "s3Bucket": self.bucket,
                    "s3Object": key,
                    "hashValue": sha256_hex(&body),
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": delivered.to_string(),
                    "oldestEventTime": delivered.to_string(),
                }));
                logs.push(key);
            }
            if self.skipped.contains(&h) {
                previous = None;
                continue;
            }
            let key = self.digest_key(end);
            let (pb, po, ph, pa, ps) = match &previous {
                Some((k, hash, sig)) => (
                    json!(self.bucket),
                    json!(k),
                    if self.bad_previous_hash.contains(&h) {
                        json!(sha256_hex(b"not the previous digest"))
                    } else {
                        json!(hash)
                    },
                    json!("SHA-256"),
                    json!(sig),
                ),
                None => (
                    json!(null),
                    json!(null),
                    json!(null),
                    json!(null),
                    json!(null),
                ),
            };
            let digest = json!({
                "awsAccountId": self.account,
                "digestStartTime": start.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "digestEndTime": end.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "digestS3Bucket": self.bucket,
                "digestS3Object": key,
                "digestPublicKeyFingerprint": self.fingerprint,
                "digestSignatureAlgorithm": "SHA256withRSA",
                "newestEventTime": null,
                "oldestEventTime": null,
                "previousDigestS3Bucket": pb,
                "previousDigestS3Object": po,
                "previousDigestHashValue": ph,
                "previousDigestHashAlgorithm": pa,
                "previousDigestSignature": ps,
                "logFiles": entries,
            });
            let bytes = serde_json::to_vec_pretty(&digest).map_err(std::io::Error::other)?;
            let to_sign = signing_string(
                &end.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                &self.bucket,
                &key,
                &bytes,
                previous.as_ref().map(|(_, _, s)| s.as_str()),
            );
            let signature = crate::digest::hex(&sign(to_sign.as_bytes()));
            let path = dir.join(&key);
            write_gz(&path, &bytes)?;
            if self.sidecars {
                let mut metadata = json!({
                    "signature": signature,
                    "signature-algorithm": "SHA256withRSA",
                });
                if self.backfill {
                    metadata["backfill-generation-timestamp"] =
                        json!(end.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
                }
                let head = json!({"ContentType": "application/json", "Metadata": metadata});
                let mut name = path.as_os_str().to_owned();
                name.push(crate::store::SIDECAR_SUFFIX);
                std::fs::write(name, serde_json::to_vec_pretty(&head)?)?;
            }
            previous = Some((key.clone(), sha256_hex(&bytes), signature.clone()));
            out.push(WrittenDigest {
                key,
                signature,
                start,
                end,
                logs,
            });
        }
        Ok(out)
    }

    fn log_body(&self, t: Timestamp, h: usize, j: usize) -> Vec<u8> {
        let record = json!({
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLEFIXTURE",
                "arn": format!("arn:aws:iam::{}:user/fixture", self.account),
                "accountId": self.account,
                "userName": "fixture"
            },
            "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "eventSource": "ec2.amazonaws.com",
            "eventName": "DescribeInstances",
            "awsRegion": self.region,
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "fixture",
            "requestParameters": null,
            "responseElements": null,
            "eventID": format!("00000000-0000-4000-8000-{h:06}{j:06}"),
            "readOnly": true,
            "eventType": "AwsApiCall",
            "recipientAccountId": self.account
        });
        serde_json::to_vec(&json!({"Records": [record]})).expect("JSON of JSON values")
    }
}

/// Gzips `bytes` into `path`, making its folders.
pub fn write_gz(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, gz(bytes))
}

/// `bytes` as one gzip member.
pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("writing to memory");
    e.finish().expect("writing to memory")
}
