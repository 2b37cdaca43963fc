//! EC2 key pairs from a snapshot folder (`aws ec2 describe-key-pairs --include-public-key` output
//! saved as `ec2-describe-key-pairs.json`), read through the account model (`cloud::load`): the
//! top of DIR, region folders and account folders.

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
    /// The region the key pair lives in (None when the snapshot does not say).
    #[serde(skip_deserializing)]
    pub region: Option<String>,
    /// `SHA256:...` of `PublicKey`, when the snapshot has it.
    #[serde(skip_deserializing)]
    pub public_sha256: Option<String>,
}

impl KeyPair {
    /// The matching view of a key pair of the account model.
    pub fn from_model(k: &cloud::KeyPair) -> KeyPair {
        KeyPair {
            key_pair_id: k.id.clone(),
            key_name: k.name.clone(),
            key_fingerprint: k.fingerprint.clone(),
            key_type: k.key_type.clone(),
            public_key: k.public_key.clone(),
            region: Some(k.region.clone()).filter(|r| !r.is_empty()),
            public_sha256: k
                .public_key
                .as_deref()
                .and_then(|line| keys::parse_public_line(line).ok())
                .map(|key| keys::public_info(key.key_data()).sha256),
        }
    }
}

/// Every key pair of an account model, in the shape the matchers take.
pub fn from_account(account: &cloud::Account) -> Vec<KeyPair> {
    account.key_pairs.iter().map(KeyPair::from_model).collect()
}

/// Key pairs and the problems met while reading them (a bad file does not stop the others).
#[derive(Debug, Default)]
pub struct Loaded {
    pub key_pairs: Vec<KeyPair>,
    pub files: Vec<PathBuf>,
    pub errors: Vec<String>,
}

fn is_key_pair_file(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == FILE_NAME)
}

/// Reads the key pairs of the snapshot folder `dir`.
pub fn load(dir: &Path) -> Result<Loaded, String> {
    if !dir.is_dir() {
        return Err(format!("snapshot folder {} does not exist", dir.display()));
    }
    let (account, report) = cloud::load(dir).map_err(|e| e.to_string())?;
    let loaded = Loaded {
        key_pairs: from_account(&account),
        files: report
            .files
            .iter()
            .filter(|p| is_key_pair_file(p))
            .cloned()
            .collect(),
        errors: report
            .errors
            .iter()
            .filter(|e| is_key_pair_file(&e.path))
            .map(|e| {
                format!(
                    "{}: not DescribeKeyPairs output: {}{}",
                    e.path.display(),
                    e.json_path
                        .as_deref()
                        .map(|p| format!("at {p}: "))
                        .unwrap_or_default(),
                    e.message
                )
            })
            .collect(),
    };
    if loaded.files.is_empty() && loaded.errors.is_empty() {
        return Err(format!(
            "no {FILE_NAME} in {} or its region folders (save `aws ec2 describe-key-pairs --include-public-key` output there)",
            dir.display()
        ));
    }
    Ok(loaded)
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
