//! CloudTrail's public keys, by fingerprint.
//!
//! `ListPublicKeys` returns each key as DER (`Value`, PKCS#1 `RSAPublicKey` per the API reference;
//! the documentation's own example also shows a SubjectPublicKeyInfo) with a `Fingerprint`: the hex
//! MD5 of those DER bytes (checked against the documented examples). A digest names its key with
//! `digestPublicKeyFingerprint`. Offline keys come from files: the JSON `aws cloudtrail
//! list-public-keys` prints, PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`), DER of either form, or the
//! bare base64 `Value`. A key from a file answers to the MD5 of both its DER encodings.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use md5::{Digest as _, Md5};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::Sha256;

use crate::digest::hex;

/// A key as the ring holds it.
#[derive(Clone, Debug)]
pub enum KeyEntry {
    Loaded(RsaPublicKey),
    /// Listed by CloudTrail under this fingerprint, but its bytes are not an RSA public key.
    Unloadable,
}

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

/// The public keys a run may verify with.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    by_fingerprint: HashMap<String, KeyEntry>,
    /// How many keys (not fingerprints) were added.
    count: usize,
}

/// The hex MD5 of DER bytes: how CloudTrail fingerprints a public key.
pub fn fingerprint(der: &[u8]) -> String {
    hex(&Md5::digest(der))
}

/// Reads DER of either form.
pub fn rsa_from_der(der: &[u8]) -> Option<RsaPublicKey> {
    RsaPublicKey::from_pkcs1_der(der)
        .ok()
        .or_else(|| RsaPublicKey::from_public_key_der(der).ok())
}

impl KeyRing {
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn get(&self, fingerprint: &str) -> Option<&KeyEntry> {
        self.by_fingerprint.get(&fingerprint.to_ascii_lowercase())
    }

    /// A key as `ListPublicKeys` returns it: its DER `Value` and `Fingerprint`, found under that
    /// fingerprint only, as validate-logs looks keys up. Bytes that are not an RSA key are kept as
    /// [`KeyEntry::Unloadable`], so digests signed with it say so.
    pub fn add_listed(&mut self, der: &[u8], listed_fingerprint: &str) {
        self.count += 1;
        let entry = match rsa_from_der(der) {
            Some(key) => KeyEntry::Loaded(key),
            None => KeyEntry::Unloadable,
        };
        self.by_fingerprint
            .insert(listed_fingerprint.to_ascii_lowercase(), entry);
    }

    /// A key from DER bytes of either form; it answers to the MD5 of both encodings (and to
    /// `also_known_as`, when given). `None` when the bytes are not an RSA public key.
    pub fn add_der(&mut self, der: &[u8], also_known_as: Option<&str>) -> Option<()> {
        let key = rsa_from_der(der)?;
        self.count += 1;
        self.insert_key(key, der, also_known_as);
        Some(())
    }

    fn insert_key(&mut self, key: RsaPublicKey, der: &[u8], also_known_as: Option<&str>) {
        let mut names = vec![fingerprint(der)];
        if let Ok(pkcs1) = key.to_pkcs1_der() {
            names.push(fingerprint(pkcs1.as_bytes()));
        }
        if let Ok(spki) = key.to_public_key_der() {
            names.push(fingerprint(spki.as_bytes()));
        }
        names.extend(also_known_as.map(str::to_ascii_lowercase));
        for name in names {
            self.by_fingerprint
                .insert(name, KeyEntry::Loaded(key.clone()));
        }
    }

    /// Adds every key in a file; returns how many. The file may hold `aws cloudtrail
    /// list-public-keys` JSON, PEM, DER or a bare base64 DER.
    pub fn add_file(&mut self, path: &Path) -> Result<usize, KeyError> {
        let fail = |message: String| KeyError::File {
            path: path.display().to_string(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        self.add_bytes(&bytes).map_err(fail)
    }

    /// [`KeyRing::add_file`] on bytes already read.
    pub fn add_bytes(&mut self, bytes: &[u8]) -> Result<usize, String> {
        let text = std::str::from_utf8(bytes).ok().map(str::trim);
        match text {
            Some(t) if t.starts_with('{') => self.add_listing_json(t),
            Some(t) if t.contains("-----BEGIN") => self.add_pem(t),
            Some(t)
                if !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n".contains(&b)) =>
            {
                let der = base64::engine::general_purpose::STANDARD
                    .decode(t.replace(['\r', '\n'], ""))
                    .map_err(|e| format!("not base64: {e}"))?;
                self.add_der(&der, None)
                    .map(|()| 1)
                    .ok_or_else(|| "base64 that is not an RSA public key".to_string())
            }
            _ => self.add_der(bytes, None).map(|()| 1).ok_or_else(|| {
                "not an RSA public key (PEM, DER, or `aws cloudtrail list-public-keys` JSON)"
                    .to_string()
            }),
        }
    }

    fn add_pem(&mut self, text: &str) -> Result<usize, String> {
        if text.contains("PRIVATE KEY-----") {
            // Never echo the file: it holds a secret.
            return Err(
                "holds a private key; pass the public key (openssl rsa -in KEY -pubout)".into(),
            );
        }
        let key = if text.contains("-----BEGIN RSA PUBLIC KEY-----") {
            RsaPublicKey::from_pkcs1_pem(text)
                .map_err(|e| format!("bad RSA PUBLIC KEY PEM: {e}"))?
        } else if text.contains("-----BEGIN PUBLIC KEY-----") {
            RsaPublicKey::from_public_key_pem(text)
                .map_err(|e| format!("bad PUBLIC KEY PEM (RSA expected): {e}"))?
        } else {
            return Err("PEM that is not a PUBLIC KEY or RSA PUBLIC KEY".into());
        };
        let der = key
            .to_pkcs1_der()
            .map_err(|e| format!("cannot encode the key: {e}"))?;
        self.count += 1;
        self.insert_key(key, der.as_bytes(), None);
        Ok(1)
    }

    fn add_listing_json(&mut self, text: &str) -> Result<usize, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let list = value
            .get("PublicKeyList")
            .or_else(|| value.get("publicKeyList"))
            .and_then(|v| v.as_array())
            .ok_or(
                "JSON without PublicKeyList (expected `aws cloudtrail list-public-keys` output)",
            )?;
        let mut added = 0;
        for (i, item) in list.iter().enumerate() {
            let value = item
                .get("Value")
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("PublicKeyList[{i}] has no Value"))?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(value)
                .map_err(|e| format!("PublicKeyList[{i}].Value is not base64: {e}"))?;
            match item.get("Fingerprint").and_then(|v| v.as_str()) {
                Some(fp) => self.add_listed(&der, fp),
                None => {
                    self.add_der(&der, None)
                        .ok_or_else(|| format!("PublicKeyList[{i}].Value is not an RSA key"))?;
                }
            }
            added += 1;
        }
        Ok(added)
    }
}

/// Checks an RSA PKCS#1 v1.5 SHA-256 signature over `message`.
pub fn verify(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
    use sha2::Digest as _;
    let hashed = Sha256::digest(message);
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // From the ListPublicKeys example in CloudTrail's documentation: a PKCS#1 value and an SPKI
    // value, each with the fingerprint CloudTrail listed for it.
    const PKCS1: &str = "MIIBCgKCAQEAn11L2YZ9h7onug2ILi1MWyHiMRsTQjfWE+pHVRLk1QjfWhirG+lpOa8NrwQ/r7Ah5bNL6HepznOU9XTDSfmmnP97mqyc7z/upfZdS/AHhYcGaz7n6Wc/RRBU6VmiPCrAUojuSk6/GjvA8iOPFsYDuBtviXarvuLPlrT9kAd4Lb+rFfR5peEgBEkhlzc5HuWO7S0y+KunqxX6jQBnXGMtxmPBPP0FylgWGNdFtks/4YSKcgqwH0YDcawP9GGGDAeCIqPWIXDLG1jOjRRzWfCmD0iJUkz8vTsn4hq/5ZxRFE7UBAUiVcGbdnDdvVfhF9C3dQiDq3k7adQIziLT0cShgQIDAQAB";
    const PKCS1_FP: &str = "8eba5db5bea9b640d1c96a77256fe7f2";
    const SPKI: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqlzPJbvZJ42UdcmLfPUqXYNfOs6I8lCfao/tOs8CmzPOEdtLWugB9xoIUz78qVHdKIqxbaG4jWHfJBiOSSFBM0lt8cdVo4TnRa7oG9io5pysS6DJhBBAeXsicufsiFJR+wrUNh8RSLxL4k6G1+BhLX20tJkZ/erT97tDGBujAelqseGg3vPZbTx9SMfOLN65PdLFudLP7Gat0Z9p5jw/rjpclKfo9Bfc3heeBxWGKwBBOKnFAaN9V57pOaosCvPKmHd9bg7jsQkI9Xp22IzGLsTFJZYVA3KiTAElDMu80iFXPHEq9hKNbt9e4URFam+1utKVEiLkR2disdCmPTK0VQIDAQAB";
    const SPKI_FP: &str = "31e8b5433410dfb61a9dc45cc65b22ff";

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }

    #[test]
    fn fingerprints_are_md5_of_the_listed_der() {
        assert_eq!(fingerprint(&b64(PKCS1)), PKCS1_FP);
        assert_eq!(fingerprint(&b64(SPKI)), SPKI_FP);
    }

    #[test]
    fn a_file_key_answers_to_both_encodings() {
        let mut ring = KeyRing::new();
        // The SPKI example, given as a bare base64 file: found under its listed fingerprint, and
        // under the MD5 of its PKCS#1 form too.
        assert_eq!(ring.add_bytes(SPKI.as_bytes()), Ok(1));
        assert!(matches!(ring.get(SPKI_FP), Some(KeyEntry::Loaded(_))));
        let Some(KeyEntry::Loaded(key)) = ring.get(SPKI_FP) else {
            unreachable!()
        };
        let pkcs1_fp = fingerprint(key.to_pkcs1_der().unwrap().as_bytes());
        assert!(ring.get(&pkcs1_fp).is_some());
        assert_eq!(ring.len(), 1);
    }

    #[test]
    fn listing_json_keeps_unloadable_keys() {
        let json = format!(
            r#"{{"PublicKeyList": [{{"Value": "{PKCS1}", "Fingerprint": "{PKCS1_FP}"}},
                {{"Value": "AAAA", "Fingerprint": "00112233445566778899aabbccddeeff"}}]}}"#
        );
        let mut ring = KeyRing::new();
        assert_eq!(ring.add_bytes(json.as_bytes()), Ok(2));
        assert!(matches!(ring.get(PKCS1_FP), Some(KeyEntry::Loaded(_))));
        assert!(matches!(
            ring.get("00112233445566778899AABBCCDDEEFF"),
            Some(KeyEntry::Unloadable)
        ));
    }

    #[test]
    fn bad_files_say_why_and_never_echo_secrets() {
        let mut ring = KeyRing::new();
        let secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
        let err = ring.add_bytes(secret.as_bytes()).unwrap_err();
        assert!(err.contains("private key"), "{err}");
        assert!(!err.contains("c2VjcmV0"));
        assert!(
            ring.add_bytes(b"{\"x\": 1}")
                .unwrap_err()
                .contains("PublicKeyList")
        );
        assert!(ring.add_bytes(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
        assert!(ring.is_empty());
    }
}
