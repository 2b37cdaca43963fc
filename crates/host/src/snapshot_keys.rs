//! EC2 key pairs from a snapshot folder (`aws ec2 describe-key-pairs --include-public-key` output
//! saved as `ec2-describe-key-pairs.json` in DIR and in DIR/<region>/).
//!
//! Interim loader: the account model in `crates/cloud` will own snapshot reading; this reads the
//! one file this crate needs so key matching works today.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::keys::{self, KeyReport};

pub const FILE_NAME: &str = "ec2-describe-key-pairs.json";

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct KeyPair {
    #[serde(rename = "KeyPairId", default)]
    pub key_pair_id: Option<String>,
    #[serde(rename = "KeyName", default)]
    pub key_name: String,
    #[serde(rename = "KeyFingerprint", default)]
    pub key_fingerprint: Option<String>,
    #[serde(rename = "KeyType", default)]
    pub key_type: Option<String>,
    #[serde(rename = "PublicKey", default)]
    pub public_key: Option<String>,
    /// The region folder the file was found in (None for DIR itself).
    #[serde(skip_deserializing)]
    pub region: Option<String>,
    /// `SHA256:...` of `PublicKey`, when the snapshot has it.
    #[serde(skip_deserializing)]
    pub public_sha256: Option<String>,
}

#[derive(Deserialize)]
struct DescribeKeyPairs {
    #[serde(rename = "KeyPairs")]
    key_pairs: Vec<KeyPair>,
}

/// Key pairs and the problems met while reading them (a bad file does not stop the others).
#[derive(Debug, Default)]
pub struct Loaded {
    pub key_pairs: Vec<KeyPair>,
    pub files: Vec<PathBuf>,
    pub errors: Vec<String>,
}

/// Reads `DIR/ec2-describe-key-pairs.json` and `DIR/*/ec2-describe-key-pairs.json`.
pub fn load(dir: &Path) -> Result<Loaded, String> {
    if !dir.is_dir() {
        return Err(format!("snapshot folder {} does not exist", dir.display()));
    }
    let mut candidates = vec![(None, dir.join(FILE_NAME))];
    let mut subdirs: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        let region = sub.file_name().map(|n| n.to_string_lossy().into_owned());
        candidates.push((region, sub.join(FILE_NAME)));
    }
    let mut loaded = Loaded::default();
    for (region, path) in candidates {
        if !path.is_file() {
            continue;
        }
        match read_file(&path) {
            Ok(pairs) => {
                loaded.files.push(path);
                loaded.key_pairs.extend(pairs.into_iter().map(|mut kp| {
                    kp.region = region.clone();
                    kp.public_sha256 = kp
                        .public_key
                        .as_deref()
                        .and_then(|line| keys::parse_public_line(line).ok())
                        .map(|k| keys::public_info(k.key_data()).sha256);
                    kp
                }));
            }
            Err(e) => loaded.errors.push(e),
        }
    }
    if loaded.files.is_empty() && loaded.errors.is_empty() {
        return Err(format!(
            "no {FILE_NAME} in {} or its region folders (save `aws ec2 describe-key-pairs --include-public-key` output there)",
            dir.display()
        ));
    }
    Ok(loaded)
}

fn read_file(path: &Path) -> Result<Vec<KeyPair>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let parsed: DescribeKeyPairs = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not DescribeKeyPairs output: {e}", path.display()))?;
    Ok(parsed.key_pairs)
}

/// Why a key was matched to a key pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchReason {
    /// KeyFingerprint equals one of the key's EC2 fingerprints (origin says which).
    Ec2Fingerprint(keys::Ec2Origin),
    /// KeyFingerprint equals the OpenSSH MD5 or SHA256 of the key (the API reference describes
    /// imported RSA fingerprints as RFC 4716 MD5, which is this form; EC2 itself shows MD5 of DER).
    OpensshFingerprint,
    /// The PublicKey line is the same public key.
    PublicKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyPairMatch {
    pub key_name: String,
    pub key_pair_id: Option<String>,
    pub region: Option<String>,
    pub reasons: Vec<MatchReason>,
}

/// The key pairs a key belongs to.
pub fn match_report(report: &KeyReport, pairs: &[KeyPair]) -> Vec<KeyPairMatch> {
    let mut out = Vec::new();
    for kp in pairs {
        let mut reasons = Vec::new();
        if let Some(fp) = kp.key_fingerprint.as_deref() {
            let theirs = keys::normalise_fingerprint(fp);
            for ours in &report.ec2 {
                if keys::normalise_fingerprint(&ours.value) == theirs {
                    reasons.push(MatchReason::Ec2Fingerprint(ours.origin));
                }
            }
            if reasons.is_empty()
                && let Some(p) = &report.public
                && [&p.md5, &p.sha256]
                    .iter()
                    .any(|fp| keys::normalise_fingerprint(fp) == theirs)
            {
                reasons.push(MatchReason::OpensshFingerprint);
            }
        }
        if let (Some(theirs), Some(ours)) = (kp.public_sha256.as_deref(), report.public.as_ref())
            && theirs == ours.sha256
        {
            reasons.push(MatchReason::PublicKey);
        }
        if !reasons.is_empty() {
            out.push(KeyPairMatch {
                key_name: kp.key_name.clone(),
                key_pair_id: kp.key_pair_id.clone(),
                region: kp.region.clone(),
                reasons,
            });
        }
    }
    out
}

/// Key pairs matching an sshd `SHA256:` fingerprint (from a log line or authorized_keys).
pub fn match_sha256<'a>(sha256: &str, pairs: &'a [KeyPair]) -> Vec<&'a KeyPair> {
    let norm = keys::normalise_fingerprint(sha256);
    pairs
        .iter()
        .filter(|kp| {
            kp.public_sha256.as_deref() == Some(sha256)
                // ED25519 KeyFingerprint is the same digest, padded.
                || kp
                    .key_fingerprint
                    .as_deref()
                    .is_some_and(|fp| keys::normalise_fingerprint(fp) == norm)
        })
        .collect()
}
