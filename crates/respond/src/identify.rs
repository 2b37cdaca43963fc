//! Which EC2 key pair(s) a responder means: a key name, a key pair id, any fingerprint form
//! (EC2 MD5/SHA-1 colon hex, EC2 ED25519 base64, OpenSSH `SHA256:`/`MD5:`), or a public or
//! private key file. Fingerprints come from `host::keys`; nothing here is recomputed.
//!
//! The same public key may sit in several regions under different names (and, for RSA, with
//! different EC2 fingerprints: SHA-1 where EC2 created it, MD5 where it was imported), so the
//! answer is a list of key pairs plus the key names that only instances still carry (key pair
//! deleted, instances still launched with it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cloud::Account;
use host::keys::{self, KeyReport};
use host::snapshot_keys::{self, MatchReason};
use serde::Serialize;

/// How the key was named on the command line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum KeyQuery {
    /// A public or private key file.
    File(PathBuf),
    /// `key-0123...`
    KeyPairId(String),
    /// Any fingerprint form.
    Fingerprint(String),
    /// A key pair name.
    Name(String),
}

impl KeyQuery {
    /// Reads the argument: an existing file wins, then the id and fingerprint shapes, then a name.
    pub fn parse(arg: &str) -> KeyQuery {
        let arg = arg.trim();
        if Path::new(arg).is_file() {
            return KeyQuery::File(PathBuf::from(arg));
        }
        if is_key_pair_id(arg) {
            return KeyQuery::KeyPairId(arg.to_string());
        }
        if looks_like_fingerprint(arg) {
            return KeyQuery::Fingerprint(arg.to_string());
        }
        KeyQuery::Name(arg.to_string())
    }

    pub fn text(&self) -> String {
        match self {
            KeyQuery::File(p) => p.display().to_string(),
            KeyQuery::KeyPairId(s) | KeyQuery::Fingerprint(s) | KeyQuery::Name(s) => s.clone(),
        }
    }
}

fn is_key_pair_id(s: &str) -> bool {
    s.strip_prefix("key-")
        .is_some_and(|h| h.len() >= 8 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `SHA256:…`, `MD5:…`, 16- or 20-byte colon hex, or 32 bytes of base64 (EC2's ED25519 form).
pub fn looks_like_fingerprint(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("sha256:") || lower.starts_with("md5:") {
        return true;
    }
    let parts: Vec<&str> = s.split(':').collect();
    if (parts.len() == 16 || parts.len() == 20)
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return true;
    }
    let body = s.trim_end_matches('=');
    body.len() == 43
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
}

/// Why a key pair was taken as the one meant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    Name,
    KeyPairId,
    /// EC2's KeyFingerprint equals the given fingerprint.
    Ec2Fingerprint,
    /// A fingerprint computed from the key pair's public key equals the given one.
    PublicKeyFingerprint,
    /// The key file's EC2 fingerprint (created or imported form) equals KeyFingerprint.
    KeyFileEc2Fingerprint,
    /// The key file's OpenSSH MD5/SHA256 equals KeyFingerprint.
    KeyFileOpensshFingerprint,
    /// The key file holds the same public key as the key pair's PublicKey.
    KeyFilePublicKey,
}

/// One EC2 key pair the responder means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatchedKeyPair {
    pub name: String,
    pub id: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub key_type: Option<String>,
    pub fingerprint: Option<String>,
    pub create_time: Option<jiff::Timestamp>,
    /// sshd's `SHA256:` fingerprint, when the public key (or an ED25519 KeyFingerprint) gives it.
    pub sshd_fingerprint: Option<String>,
    pub matched_by: Vec<MatchedBy>,
}

/// A key name that instances carry but no key pair in the snapshot has (deleted key pair).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrphanKeyName {
    pub name: String,
    pub region: String,
    pub instances: Vec<String>,
}

/// The key the response is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdentifiedKey {
    pub query: KeyQuery,
    pub key_pairs: Vec<MatchedKeyPair>,
    pub orphan_names: Vec<OrphanKeyName>,
    /// Every `SHA256:` fingerprint sshd would log for this key (for auth log matching).
    pub sshd_fingerprints: Vec<String>,
    /// The base64 public key blobs (second field of the OpenSSH line) known for the key.
    pub public_key_blobs: Vec<String>,
    /// Things the responder should know (ambiguity, missing public keys).
    pub notes: Vec<String>,
}

impl IdentifiedKey {
    /// `(region, key name)` pairs instances are matched on.
    pub fn launch_keys(&self) -> BTreeSet<(String, String)> {
        let mut out: BTreeSet<(String, String)> = self
            .key_pairs
            .iter()
            .map(|k| (k.region.clone(), k.name.clone()))
            .collect();
        out.extend(
            self.orphan_names
                .iter()
                .map(|o| (o.region.clone(), o.name.clone())),
        );
        out
    }

    /// Every key name involved, any region.
    pub fn names(&self) -> BTreeSet<String> {
        self.launch_keys().into_iter().map(|(_, n)| n).collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentifyError {
    #[error("cannot read key file {path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    NotFound(String),
}

/// Finds the key pair(s) `query` names in `account`.
pub fn identify(
    account: &Account,
    query: &KeyQuery,
    passphrase: Option<&[u8]>,
) -> Result<IdentifiedKey, IdentifyError> {
    let mut out = IdentifiedKey {
        query: query.clone(),
        key_pairs: Vec::new(),
        orphan_names: Vec::new(),
        sshd_fingerprints: Vec::new(),
        public_key_blobs: Vec::new(),
        notes: Vec::new(),
    };
    let mut sshd: BTreeSet<String> = BTreeSet::new();
    match query {
        KeyQuery::File(path) => {
            let reports = read_key_file(path, passphrase)?;
            let host_pairs = host_key_pairs(account);
            for report in &reports {
                if let Some(p) = &report.public {
                    sshd.insert(p.sha256.clone());
                } else {
                    out.notes.push(format!(
                        "{}: encrypted and without a public part; only EC2 fingerprints could be compared (give --passphrase-file for more)",
                        path.display()
                    ));
                }
                for m in snapshot_keys::match_report(report, &host_pairs) {
                    let reasons = m
                        .reasons
                        .iter()
                        .map(|r| match r {
                            MatchReason::Ec2Fingerprint(_) => MatchedBy::KeyFileEc2Fingerprint,
                            MatchReason::OpensshFingerprint => MatchedBy::KeyFileOpensshFingerprint,
                            MatchReason::PublicKey => MatchedBy::KeyFilePublicKey,
                        })
                        .collect();
                    let region = m.region.clone().unwrap_or_default();
                    if let Some(kp) = account
                        .key_pairs
                        .iter()
                        .find(|k| k.name == m.key_name && k.region == region)
                    {
                        push_pair(&mut out.key_pairs, kp, reasons);
                    }
                }
            }
        }
        KeyQuery::KeyPairId(id) => {
            for kp in account
                .key_pairs
                .iter()
                .filter(|k| k.id.as_deref() == Some(id))
            {
                push_pair(&mut out.key_pairs, kp, vec![MatchedBy::KeyPairId]);
            }
        }
        KeyQuery::Fingerprint(fp) => {
            let wanted = keys::normalise_fingerprint(fp);
            if fp.to_ascii_lowercase().starts_with("sha256:") {
                sshd.insert(format!("SHA256:{wanted}"));
            }
            for kp in &account.key_pairs {
                let mut reasons = Vec::new();
                if kp
                    .fingerprint
                    .as_deref()
                    .is_some_and(|f| keys::normalise_fingerprint(f) == wanted)
                {
                    reasons.push(MatchedBy::Ec2Fingerprint);
                }
                if public_fingerprints(kp.public_key.as_deref())
                    .iter()
                    .any(|f| keys::normalise_fingerprint(f) == wanted)
                {
                    reasons.push(MatchedBy::PublicKeyFingerprint);
                }
                if !reasons.is_empty() {
                    push_pair(&mut out.key_pairs, kp, reasons);
                }
            }
        }
        KeyQuery::Name(name) => {
            for kp in account.key_pairs.iter().filter(|k| &k.name == name) {
                push_pair(&mut out.key_pairs, kp, vec![MatchedBy::Name]);
            }
        }
    }
    // Key names instances still carry in regions where the key pair is gone.
    let mut names: BTreeSet<String> = out.key_pairs.iter().map(|k| k.name.clone()).collect();
    if let KeyQuery::Name(n) = query {
        names.insert(n.clone());
    }
    for name in &names {
        let mut by_region: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for inst in account.instances_by_key_name(name) {
            let known = account.key_pairs.iter().any(|k| {
                &k.name == name
                    && k.region == inst.region
                    && (k.account.is_none() || inst.account.is_none() || k.account == inst.account)
            });
            if known {
                continue;
            }
            // A name query means every region; a key-material query only the regions where that
            // key was found (the same name elsewhere may be another key).
            let wanted = matches!(query, KeyQuery::Name(_))
                || out
                    .key_pairs
                    .iter()
                    .any(|k| &k.name == name && k.region == inst.region);
            if wanted {
                by_region
                    .entry(inst.region.clone())
                    .or_default()
                    .push(inst.id.clone());
            }
        }
        for (region, mut instances) in by_region {
            instances.sort();
            out.orphan_names.push(OrphanKeyName {
                name: name.clone(),
                region,
                instances,
            });
        }
    }
    if out.key_pairs.is_empty() && out.orphan_names.is_empty() {
        let hint = match query {
            KeyQuery::Name(_) => {
                "no key pair or instance uses that name in the snapshot; check the spelling and the regions collected"
            }
            KeyQuery::KeyPairId(_) => {
                "no key pair has that id; if it was deleted, give its name (instances keep the name)"
            }
            _ => {
                "no key pair matches; if the key pair was deleted, give its name (instances keep the name), or collect with --include-public-key"
            }
        };
        return Err(IdentifyError::NotFound(format!(
            "key {}: {hint}",
            query.text()
        )));
    }
    let mut blobs: BTreeSet<String> = BTreeSet::new();
    if let KeyQuery::File(path) = query
        && let Ok(text) = std::fs::read_to_string(path)
    {
        // An OpenSSH public key file gives the blob directly (authorized_keys options skipped).
        for line in text.lines() {
            if let Ok(Some((_, key))) = host::authkeys::parse_line(line.trim())
                && let Ok(line) = key.to_openssh()
                && let Some(b) = line.split_whitespace().nth(1)
            {
                blobs.insert(b.to_string());
            }
        }
    }
    for kp in &out.key_pairs {
        if let Some(s) = &kp.sshd_fingerprint {
            sshd.insert(s.clone());
        }
        if let Some(b) = account
            .key_pairs
            .iter()
            .find(|k| k.name == kp.name && k.region == kp.region)
            .and_then(|k| k.public_key.as_deref())
            .and_then(|l| l.split_whitespace().nth(1))
        {
            blobs.insert(b.to_string());
        }
    }
    out.public_key_blobs = blobs.into_iter().collect();
    if sshd.is_empty() {
        out.notes.push(
            "no sshd SHA256 fingerprint is known for this key (RSA key pair without PublicKey in the snapshot): pass the public key file to match auth logs"
                .to_string(),
        );
    }
    out.sshd_fingerprints = sshd.into_iter().collect();
    let distinct: BTreeSet<&str> = out
        .key_pairs
        .iter()
        .filter_map(|k| k.sshd_fingerprint.as_deref())
        .collect();
    if distinct.len() > 1 && matches!(query, KeyQuery::Name(_)) {
        out.notes.push(format!(
            "the name {} belongs to {} different public keys across regions; all are treated as compromised (give the key file to narrow)",
            query.text(),
            distinct.len()
        ));
    }
    out.key_pairs
        .sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
    Ok(out)
}

fn push_pair(list: &mut Vec<MatchedKeyPair>, kp: &cloud::KeyPair, reasons: Vec<MatchedBy>) {
    if let Some(existing) = list
        .iter_mut()
        .find(|k| k.name == kp.name && k.region == kp.region && k.account == kp.account)
    {
        for r in reasons {
            if !existing.matched_by.contains(&r) {
                existing.matched_by.push(r);
            }
        }
        return;
    }
    list.push(MatchedKeyPair {
        name: kp.name.clone(),
        id: kp.id.clone(),
        region: kp.region.clone(),
        account: kp.account.clone(),
        key_type: kp.key_type.clone(),
        fingerprint: kp.fingerprint.clone(),
        create_time: kp.create_time,
        sshd_fingerprint: sshd_fingerprint_of(kp),
        matched_by: reasons,
    });
}

/// sshd's fingerprint of a key pair: from its PublicKey, else from an ED25519 KeyFingerprint
/// (the same SHA-256, base64 with padding).
pub fn sshd_fingerprint_of(kp: &cloud::KeyPair) -> Option<String> {
    if let Some(line) = kp.public_key.as_deref()
        && let Ok(k) = keys::parse_public_line(line)
    {
        return Some(keys::public_info(k.key_data()).sha256);
    }
    let is_ed25519 = kp
        .key_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("ed25519"));
    match kp.fingerprint.as_deref() {
        Some(fp) if is_ed25519 && !fp.contains(':') => {
            Some(format!("SHA256:{}", fp.trim_end_matches('=')))
        }
        _ => None,
    }
}

/// Every fingerprint string of a PublicKey line (OpenSSH SHA256/MD5 and the EC2 public forms).
fn public_fingerprints(line: Option<&str>) -> Vec<String> {
    let Some(key) = line.and_then(|l| keys::parse_public_line(l).ok()) else {
        return Vec::new();
    };
    keys::report_for_public(key.key_data(), None)
        .all_fingerprints()
        .into_iter()
        .map(str::to_string)
        .collect()
}

fn read_key_file(path: &Path, passphrase: Option<&[u8]>) -> Result<Vec<KeyReport>, IdentifyError> {
    let bytes = std::fs::read(path).map_err(|e| IdentifyError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    keys::inspect(&bytes, passphrase).map_err(|e| IdentifyError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// The account's key pairs in the shape `host::snapshot_keys` matches against.
fn host_key_pairs(account: &Account) -> Vec<snapshot_keys::KeyPair> {
    account
        .key_pairs
        .iter()
        .map(|k| snapshot_keys::KeyPair {
            key_pair_id: k.id.clone(),
            key_name: k.name.clone(),
            key_fingerprint: k.fingerprint.clone(),
            key_type: k.key_type.clone(),
            public_key: k.public_key.clone(),
            region: Some(k.region.clone()),
            public_sha256: k
                .public_key
                .as_deref()
                .and_then(|l| keys::parse_public_line(l).ok())
                .map(|p| keys::public_info(p.key_data()).sha256),
        })
        .collect()
}
