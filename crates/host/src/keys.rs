//! SSH key files: what they are and every fingerprint a responder needs to compare them with.
//!
//! Private key material is parsed only to derive the public key and the EC2 "created" fingerprint;
//! it is never kept in a returned value, and errors never quote file contents.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use md5::Md5;
use pkcs8::der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, UintRef};
use pkcs8::der::{Decode, Encode};
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey};
use ssh_key::{Mpint, PrivateKey, PublicKey};
use zeroize::Zeroizing;

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// Why a key file could not be read. Messages name the problem, never the contents.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("not a recognised SSH/PEM key ({0})")]
    Unrecognised(&'static str),
    #[error("malformed {container}: {reason}")]
    Malformed {
        container: Container,
        reason: String,
    },
    #[error("unsupported {container} key algorithm {algorithm}")]
    Unsupported {
        container: Container,
        algorithm: String,
    },
    #[error("wrong passphrase or corrupt {0} key")]
    BadPassphrase(Container),
}

fn malformed(container: Container, reason: impl std::fmt::Display) -> KeyError {
    KeyError::Malformed {
        container,
        reason: reason.to_string(),
    }
}

/// The file format a key came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// `-----BEGIN OPENSSH PRIVATE KEY-----`
    OpensshPrivate,
    /// `-----BEGIN RSA PRIVATE KEY-----`
    Pkcs1Pem,
    /// `-----BEGIN PRIVATE KEY-----`
    Pkcs8Pem,
    /// `-----BEGIN ENCRYPTED PRIVATE KEY-----`
    Pkcs8EncryptedPem,
    /// `-----BEGIN EC PRIVATE KEY-----`
    Sec1Pem,
    /// Traditional OpenSSL PEM with `Proc-Type: 4,ENCRYPTED`.
    LegacyEncryptedPem,
    /// `ssh-ed25519 AAAA... comment`
    OpensshPublic,
    /// `-----BEGIN PUBLIC KEY-----`
    SpkiPem,
    /// `-----BEGIN RSA PUBLIC KEY-----`
    Pkcs1PublicPem,
    /// `---- BEGIN SSH2 PUBLIC KEY ----`
    Rfc4716,
}

impl std::fmt::Display for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Container::OpensshPrivate => "OpenSSH private key",
            Container::Pkcs1Pem => "PKCS#1 PEM private key",
            Container::Pkcs8Pem => "PKCS#8 PEM private key",
            Container::Pkcs8EncryptedPem => "encrypted PKCS#8 PEM private key",
            Container::Sec1Pem => "SEC1 PEM EC private key",
            Container::LegacyEncryptedPem => "encrypted traditional PEM private key",
            Container::OpensshPublic => "OpenSSH public key",
            Container::SpkiPem => "PEM SubjectPublicKeyInfo",
            Container::Pkcs1PublicPem => "PKCS#1 PEM public key",
            Container::Rfc4716 => "RFC 4716 public key",
        };
        f.write_str(name)
    }
}

/// Which EC2 key pair origin a KeyFingerprint value corresponds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ec2Origin {
    /// RSA key pair created by EC2: SHA-1 of the PKCS#8 DER private key.
    CreatedByEc2,
    /// RSA public key imported into EC2 (or any region it was re-imported into): MD5 of the DER SPKI.
    Imported,
    /// ED25519: EC2 uses the same SHA-256 of the wire blob for created and imported key pairs.
    CreatedOrImported,
}

/// One value EC2 would show as `KeyFingerprint` for this key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ec2Fingerprint {
    pub origin: Ec2Origin,
    pub value: String,
}

/// The public half of a key and its fingerprints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicInfo {
    /// sshd's short type name: RSA, DSA, ECDSA, ED25519, ECDSA-SK, ED25519-SK.
    pub key_type: String,
    /// OpenSSH algorithm name, e.g. `ssh-rsa`.
    pub algorithm: String,
    pub bits: u32,
    /// `SHA256:...` as sshd logs it and `ssh-keygen -l` prints it.
    pub sha256: String,
    /// `MD5:aa:bb:...` as `ssh-keygen -l -E md5` prints it.
    pub md5: String,
}

/// Everything trailhound reports about one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyReport {
    pub container: Container,
    pub private: bool,
    pub encrypted: bool,
    /// Missing only for encrypted containers that do not carry the public key in clear.
    pub public: Option<PublicInfo>,
    pub comment: Option<String>,
    pub ec2: Vec<Ec2Fingerprint>,
}

impl KeyReport {
    /// Every fingerprint string of this key, for matching against other sources.
    pub fn all_fingerprints(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(p) = &self.public {
            out.push(p.sha256.as_str());
            out.push(p.md5.as_str());
        }
        out.extend(self.ec2.iter().map(|f| f.value.as_str()));
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Fingerprint primitives.

/// `aa:bb:cc` lowercase hex.
pub fn colon_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The RFC 4253 wire blob sshd hashes.
pub fn wire_blob(key: &KeyData) -> Vec<u8> {
    // Encoding a parsed key cannot fail; an empty blob would only make fingerprints not match.
    PublicKey::new(key.clone(), "")
        .to_bytes()
        .unwrap_or_default()
}

pub fn openssh_sha256(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

pub fn openssh_md5(blob: &[u8]) -> String {
    format!("MD5:{}", colon_hex(&Md5::digest(blob)))
}

/// EC2's ED25519 KeyFingerprint: base64 SHA-256 of the wire blob, with `=` padding.
pub fn ec2_ed25519(blob: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(blob))
}

/// EC2's imported-RSA KeyFingerprint: MD5 of the DER SubjectPublicKeyInfo.
pub fn ec2_rsa_imported(rsa: &RsaPublicKey) -> Option<String> {
    let spki = rsa_spki_der(rsa)?;
    Some(colon_hex(&Md5::digest(&spki)))
}

fn rsa_spki_der(rsa: &RsaPublicKey) -> Option<Vec<u8>> {
    let pkcs1 = pkcs1::RsaPublicKey {
        modulus: UintRef::new(rsa.n.as_positive_bytes()?).ok()?,
        public_exponent: UintRef::new(rsa.e.as_positive_bytes()?).ok()?,
    }
    .to_der()
    .ok()?;
    spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef {
            oid: OID_RSA,
            parameters: Some(AnyRef::NULL),
        },
        subject_public_key: BitStringRef::from_bytes(&pkcs1).ok()?,
    }
    .to_der()
    .ok()
}

/// EC2's created-RSA KeyFingerprint: SHA-1 of the PKCS#8 DER of the private key (as
/// `openssl pkcs8 -topk8 -nocrypt -outform DER` writes it) given the PKCS#1 DER.
fn ec2_rsa_created(pkcs1_der: &[u8]) -> Option<String> {
    let info = pkcs8::PrivateKeyInfo {
        algorithm: spki::AlgorithmIdentifierRef {
            oid: OID_RSA,
            parameters: Some(AnyRef::NULL),
        },
        private_key: pkcs1_der,
        public_key: None,
    };
    let der = Zeroizing::new(info.to_der().ok()?);
    Some(colon_hex(&Sha1::digest(&*der)))
}

fn bit_len(bytes: &[u8]) -> u32 {
    let trimmed: &[u8] = {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        &bytes[start..]
    };
    match trimmed.first() {
        None => 0,
        Some(first) => (trimmed.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
    }
}

fn mpint_bits(m: &Mpint) -> u32 {
    m.as_positive_bytes().map(bit_len).unwrap_or(0)
}

/// Type, size and fingerprints of a public key.
pub fn public_info(key: &KeyData) -> PublicInfo {
    let blob = wire_blob(key);
    let (key_type, bits) = match key {
        KeyData::Rsa(k) => ("RSA", mpint_bits(&k.n)),
        KeyData::Dsa(k) => ("DSA", mpint_bits(&k.p)),
        KeyData::Ecdsa(k) => (
            "ECDSA",
            match k {
                EcdsaPublicKey::NistP256(_) => 256,
                EcdsaPublicKey::NistP384(_) => 384,
                EcdsaPublicKey::NistP521(_) => 521,
            },
        ),
        KeyData::Ed25519(_) => ("ED25519", 256),
        KeyData::SkEcdsaSha2NistP256(_) => ("ECDSA-SK", 256),
        KeyData::SkEd25519(_) => ("ED25519-SK", 256),
        _ => ("UNKNOWN", 0),
    };
    PublicInfo {
        key_type: key_type.to_string(),
        algorithm: key.algorithm().as_str().to_string(),
        bits,
        sha256: openssh_sha256(&blob),
        md5: openssh_md5(&blob),
    }
}

/// The EC2 KeyFingerprint values computable from the public key alone.
pub fn ec2_public_fingerprints(key: &KeyData) -> Vec<Ec2Fingerprint> {
    match key {
        KeyData::Rsa(rsa) => ec2_rsa_imported(rsa)
            .map(|value| Ec2Fingerprint {
                origin: Ec2Origin::Imported,
                value,
            })
            .into_iter()
            .collect(),
        KeyData::Ed25519(_) => vec![Ec2Fingerprint {
            origin: Ec2Origin::CreatedOrImported,
            value: ec2_ed25519(&wire_blob(key)),
        }],
        _ => Vec::new(),
    }
}

/// The report for a bare public key (an authorized_keys entry, a PublicKey line).
pub fn report_for_public(key: &KeyData, comment: Option<String>) -> KeyReport {
    report_from_public(Container::OpensshPublic, false, key, comment, None)
}

fn report_from_public(
    container: Container,
    private: bool,
    key: &KeyData,
    comment: Option<String>,
    created_rsa: Option<String>,
) -> KeyReport {
    let mut ec2 = Vec::new();
    if let Some(value) = created_rsa {
        ec2.push(Ec2Fingerprint {
            origin: Ec2Origin::CreatedByEc2,
            value,
        });
    }
    ec2.extend(ec2_public_fingerprints(key));
    KeyReport {
        container,
        private,
        encrypted: false,
        public: Some(public_info(key)),
        comment: comment.filter(|c| !c.is_empty()),
        ec2,
    }
}

// ---------------------------------------------------------------------------------------------
// Containers.

/// Reads every key in `bytes` (a file may hold several public key lines).
///
/// `passphrase` is used only for encrypted private keys; without it they are reported with
/// `encrypted: true` and whatever the container shows in clear.
pub fn inspect(bytes: &[u8], passphrase: Option<&[u8]>) -> Result<Vec<KeyReport>, KeyError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| KeyError::Unrecognised("binary data; convert DER keys to PEM first"))?;
    if let Some(block) = pem_block(text, "-----BEGIN OPENSSH PRIVATE KEY-----") {
        return openssh_private(block, passphrase).map(|r| vec![r]);
    }
    if text.contains("---- BEGIN SSH2 PUBLIC KEY ----") {
        return rfc4716(text).map(|r| vec![r]);
    }
    if let Some(start) = text.find("-----BEGIN ") {
        return pem(&text[start..], passphrase).map(|r| vec![r]);
    }
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line
            .split_whitespace()
            .next()
            .is_some_and(|t| t.contains("-cert-v01@openssh.com"))
        {
            // A certificate (`id_ed25519-cert.pub`): fingerprinted as its plain key, like sshd does.
            let mut words = line.split_whitespace();
            let _ = words.next();
            let comment = words.collect::<Vec<_>>().join(" ");
            let key = line
                .split_whitespace()
                .nth(1)
                .and_then(|b64| STANDARD.decode(b64).ok())
                .and_then(|blob| certificate_plain_key(&blob))
                .ok_or_else(|| malformed(Container::OpensshPublic, "unreadable certificate"))?;
            let mut report =
                report_from_public(Container::OpensshPublic, false, &key, Some(comment), None);
            if let Some(p) = report.public.as_mut() {
                // sshd and ssh-keygen name certificates `ED25519-CERT`, `RSA-CERT`, ...
                p.key_type.push_str("-CERT");
                p.algorithm = line
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
            out.push(report);
            continue;
        }
        // authorized_keys lines with options are accepted too, as by `ssh-keygen -l`.
        let key = match crate::authkeys::parse_line(line) {
            Ok(Some((_, key))) => key,
            Ok(None) => continue,
            Err(e) => return Err(malformed(Container::OpensshPublic, e)),
        };
        out.push(report_from_public(
            Container::OpensshPublic,
            false,
            key.key_data(),
            Some(key.comment().to_string()),
            None,
        ));
    }
    if out.is_empty() {
        return Err(KeyError::Unrecognised("no key found"));
    }
    Ok(out)
}

/// The plain public key inside an OpenSSH certificate blob (PROTOCOL.certkeys): the type name
/// without `-cert-v01@openssh.com`, then the nonce, then the key's own fields.
pub fn certificate_plain_key(blob: &[u8]) -> Option<KeyData> {
    fn string<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as usize;
        let s = b.get(4..4 + len)?;
        *b = &b[4 + len..];
        Some(s)
    }
    let mut rest = blob;
    let cert_type = std::str::from_utf8(string(&mut rest)?).ok()?;
    let plain = cert_type.strip_suffix("-cert-v01@openssh.com")?;
    let fields = match plain {
        "ssh-rsa" => 2,
        "ssh-dss" => 4,
        "ssh-ed25519" => 1,
        "sk-ssh-ed25519@openssh.com" => 2,
        "sk-ecdsa-sha2-nistp256@openssh.com" => 3,
        t if t.starts_with("ecdsa-sha2-") => 2,
        _ => return None,
    };
    string(&mut rest)?; // nonce
    let mut out = Vec::new();
    out.extend_from_slice(&(plain.len() as u32).to_be_bytes());
    out.extend_from_slice(plain.as_bytes());
    for _ in 0..fields {
        let f = string(&mut rest)?;
        out.extend_from_slice(&(f.len() as u32).to_be_bytes());
        out.extend_from_slice(f);
    }
    PublicKey::from_bytes(&out)
        .ok()
        .map(|k| k.key_data().clone())
}

/// Parses one OpenSSH public key line (`type base64 [comment]`).
pub fn parse_public_line(line: &str) -> Result<PublicKey, KeyError> {
    PublicKey::from_openssh(line.trim()).map_err(|e| malformed(Container::OpensshPublic, e))
}

fn pem_block<'a>(text: &'a str, begin: &str) -> Option<&'a str> {
    let start = text.find(begin)?;
    let rest = &text[start..];
    let end_marker = begin.replacen("BEGIN", "END", 1);
    let end = rest.find(&end_marker)? + end_marker.len();
    Some(&rest[..end])
}

fn openssh_private(block: &str, passphrase: Option<&[u8]>) -> Result<KeyReport, KeyError> {
    let c = Container::OpensshPrivate;
    let key = match PrivateKey::from_openssh(block) {
        Ok(k) => k,
        Err(e) => {
            // ssh-key 0.6 rejects some valid ECDSA keys (scalars with a leading zero byte); the
            // public key is in the container's clear header, which is all ECDSA needs.
            let Some((public, encrypted)) = openssh_container_public(block) else {
                return Err(malformed(c, e));
            };
            if matches!(public, KeyData::Rsa(_)) && !encrypted {
                return Err(malformed(c, e));
            }
            let mut report = report_from_public(c, true, &public, None, None);
            report.encrypted = encrypted;
            return Ok(report);
        }
    };
    let was_encrypted = key.is_encrypted();
    let key = if was_encrypted {
        match passphrase {
            Some(pass) => key.decrypt(pass).map_err(|_| KeyError::BadPassphrase(c))?,
            None => {
                let public = key.public_key();
                let mut report = report_from_public(
                    c,
                    true,
                    public.key_data(),
                    Some(public.comment().to_string()),
                    None,
                );
                report.encrypted = true;
                return Ok(report);
            }
        }
    } else {
        key
    };
    let created = match key.key_data() {
        ssh_key::private::KeypairData::Rsa(pair) => openssh_rsa_pkcs1(pair)
            .as_deref()
            .and_then(|der| ec2_rsa_created(der)),
        _ => None,
    };
    let mut report = report_from_public(
        c,
        true,
        key.public_key().key_data(),
        Some(key.comment().to_string()),
        created,
    );
    report.encrypted = was_encrypted;
    Ok(report)
}

/// The public key and encryption flag from the clear header of an `openssh-key-v1` container
/// (PROTOCOL.key: magic, cipher, kdf, kdf options, key count, public key blobs, private section).
fn openssh_container_public(block: &str) -> Option<(KeyData, bool)> {
    fn string<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as usize;
        let s = b.get(4..4usize.checked_add(len)?)?;
        *b = &b[4 + len..];
        Some(s)
    }
    let body: String = block
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    let bytes = STANDARD.decode(body).ok()?;
    let mut rest = bytes.strip_prefix(b"openssh-key-v1\0")?;
    let cipher = string(&mut rest)?;
    string(&mut rest)?; // kdf name
    string(&mut rest)?; // kdf options
    let count = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
    rest = &rest[4..];
    if count != 1 {
        return None;
    }
    let public = PublicKey::from_bytes(string(&mut rest)?).ok()?;
    Some((public.key_data().clone(), cipher != b"none"))
}

/// Decrypts a traditional OpenSSL PEM body (`DEK-Info: AES-256-CBC,<iv hex>`): the key is
/// OpenSSL's EVP_BytesToKey (MD5, one round, salt = first 8 bytes of the IV).
fn legacy_decrypt(block: &str, pass: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    let c = Container::LegacyEncryptedPem;
    let dek = block
        .lines()
        .find_map(|l| l.strip_prefix("DEK-Info:"))
        .ok_or_else(|| malformed(c, "no DEK-Info header"))?;
    let (cipher, iv_hex) = dek
        .trim()
        .split_once(',')
        .ok_or_else(|| malformed(c, "DEK-Info is not CIPHER,IV"))?;
    let iv = (0..iv_hex.len() / 2)
        .map(|i| u8::from_str_radix(iv_hex.get(2 * i..2 * i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| malformed(c, "DEK-Info IV is not hex"))?;
    let key_len = match cipher {
        "AES-128-CBC" => 16,
        "AES-192-CBC" => 24,
        "AES-256-CBC" => 32,
        "DES-EDE3-CBC" => 24,
        other => {
            return Err(KeyError::Unsupported {
                container: c,
                algorithm: format!(
                    "cipher {other}; convert with `openssl pkey -in FILE -out plain.pem`"
                ),
            });
        }
    };
    let iv_len = if cipher == "DES-EDE3-CBC" { 8 } else { 16 };
    if iv.len() != iv_len {
        return Err(malformed(c, "DEK-Info IV has the wrong length"));
    }
    let salt = &iv[..8];
    let mut key = Zeroizing::new(Vec::with_capacity(key_len + 16));
    let mut prev: Vec<u8> = Vec::new();
    while key.len() < key_len {
        let mut h = Md5::new();
        h.update(&prev);
        h.update(pass);
        h.update(salt);
        prev = h.finalize().to_vec();
        key.extend_from_slice(&prev);
    }
    key.truncate(key_len);
    let body: String = block
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .map(str::trim)
        .collect();
    let mut data = STANDARD
        .decode(body)
        .map_err(|e| malformed(c, format!("base64: {e}")))?;
    let bad = |_| KeyError::BadPassphrase(c);
    let plain = match key_len {
        16 if cipher.starts_with("AES") => {
            cbc::Decryptor::<aes::Aes128>::new_from_slices(&key, &iv)
                .map_err(|_| malformed(c, "key or IV size"))?
                .decrypt_padded_vec_mut::<Pkcs7>(&data)
                .map_err(bad)?
        }
        24 if cipher.starts_with("AES") => {
            cbc::Decryptor::<aes::Aes192>::new_from_slices(&key, &iv)
                .map_err(|_| malformed(c, "key or IV size"))?
                .decrypt_padded_vec_mut::<Pkcs7>(&data)
                .map_err(bad)?
        }
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, &iv)
            .map_err(|_| malformed(c, "key or IV size"))?
            .decrypt_padded_vec_mut::<Pkcs7>(&data)
            .map_err(bad)?,
        _ => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .map_err(|_| malformed(c, "key or IV size"))?
            .decrypt_padded_vec_mut::<Pkcs7>(&data)
            .map_err(bad)?,
    };
    zeroize::Zeroize::zeroize(&mut data);
    Ok(Zeroizing::new(plain))
}

/// Rebuilds the PKCS#1 DER of an OpenSSH RSA key; OpenSSH drops `d mod (p-1)` and `d mod (q-1)`.
fn openssh_rsa_pkcs1(pair: &ssh_key::private::RsaKeypair) -> Option<Zeroizing<Vec<u8>>> {
    use rsa::BigUint;
    let d = BigUint::from_bytes_be(pair.private.d.as_positive_bytes()?);
    let p = BigUint::from_bytes_be(pair.private.p.as_positive_bytes()?);
    let q = BigUint::from_bytes_be(pair.private.q.as_positive_bytes()?);
    let one = BigUint::from(1u8);
    if p <= one || q <= one {
        return None;
    }
    let dp = Zeroizing::new((&d % (&p - &one)).to_bytes_be());
    let dq = Zeroizing::new((&d % (&q - &one)).to_bytes_be());
    let key = pkcs1::RsaPrivateKey {
        modulus: UintRef::new(pair.public.n.as_positive_bytes()?).ok()?,
        public_exponent: UintRef::new(pair.public.e.as_positive_bytes()?).ok()?,
        private_exponent: UintRef::new(pair.private.d.as_positive_bytes()?).ok()?,
        prime1: UintRef::new(pair.private.p.as_positive_bytes()?).ok()?,
        prime2: UintRef::new(pair.private.q.as_positive_bytes()?).ok()?,
        exponent1: UintRef::new(&dp).ok()?,
        exponent2: UintRef::new(&dq).ok()?,
        coefficient: UintRef::new(pair.private.iqmp.as_positive_bytes()?).ok()?,
        other_prime_infos: None,
    };
    key.to_der().ok().map(Zeroizing::new)
}

fn rsa_key_data(n: &[u8], e: &[u8]) -> Result<KeyData, String> {
    Ok(KeyData::Rsa(RsaPublicKey {
        e: Mpint::from_positive_bytes(e).map_err(|e| e.to_string())?,
        n: Mpint::from_positive_bytes(n).map_err(|e| e.to_string())?,
    }))
}

fn ec_key_data(curve: Option<ObjectIdentifier>, point: &[u8]) -> Result<KeyData, String> {
    match curve {
        Some(oid) if oid == OID_P256 || oid == OID_P384 || oid == OID_P521 => {}
        Some(oid) => return Err(format!("curve {oid} is not used by SSH")),
        None => return Err("no named curve".into()),
    }
    EcdsaPublicKey::from_sec1_bytes(point)
        .map(KeyData::Ecdsa)
        .map_err(|e| e.to_string())
}

fn pem(text: &str, passphrase: Option<&[u8]>) -> Result<KeyReport, KeyError> {
    let label_line = text.lines().next().unwrap_or_default();
    let label = label_line
        .trim()
        .trim_start_matches("-----BEGIN ")
        .trim_end_matches("-----")
        .to_string();
    let container = match label.as_str() {
        "RSA PRIVATE KEY" | "EC PRIVATE KEY" if text.contains("Proc-Type: 4,ENCRYPTED") => {
            // OpenSSL's traditional encryption hides even the public key.
            let c = Container::LegacyEncryptedPem;
            let Some(pass) = passphrase else {
                return Ok(KeyReport {
                    container: c,
                    private: true,
                    encrypted: true,
                    public: None,
                    comment: None,
                    ec2: Vec::new(),
                });
            };
            let block = pem_block(text, &format!("-----BEGIN {label}-----"))
                .ok_or_else(|| malformed(c, "no END line"))?;
            let der = legacy_decrypt(block, pass)?;
            let mut report = if label == "RSA PRIVATE KEY" {
                pkcs1_private(c, &der)
            } else {
                sec1_private(c, &der)
            }
            .map_err(|_| KeyError::BadPassphrase(c))?;
            report.encrypted = true;
            return Ok(report);
        }
        "DSA PRIVATE KEY" => {
            return Err(KeyError::Unsupported {
                container: Container::Pkcs1Pem,
                algorithm: "DSA (PEM); convert with `ssh-keygen -p -f FILE` to the OpenSSH format"
                    .into(),
            });
        }
        "RSA PRIVATE KEY" => Container::Pkcs1Pem,
        "PRIVATE KEY" => Container::Pkcs8Pem,
        "ENCRYPTED PRIVATE KEY" => Container::Pkcs8EncryptedPem,
        "EC PRIVATE KEY" => Container::Sec1Pem,
        "PUBLIC KEY" => Container::SpkiPem,
        "RSA PUBLIC KEY" => Container::Pkcs1PublicPem,
        _ => return Err(KeyError::Unrecognised("unknown PEM label")),
    };
    let block = pem_block(text, &format!("-----BEGIN {label}-----"))
        .ok_or_else(|| malformed(container, "no END line"))?;
    let (_, der) =
        pkcs8::der::pem::decode_vec(block.as_bytes()).map_err(|e| malformed(container, e))?;
    let der = Zeroizing::new(der);
    match container {
        Container::Pkcs1Pem => pkcs1_private(container, &der),
        Container::Pkcs8Pem => pkcs8_private(container, &der),
        Container::Sec1Pem => sec1_private(container, &der),
        Container::Pkcs8EncryptedPem => {
            let Some(pass) = passphrase else {
                return Ok(KeyReport {
                    container,
                    private: true,
                    encrypted: true,
                    public: None,
                    comment: None,
                    ec2: Vec::new(),
                });
            };
            let enc = pkcs8::EncryptedPrivateKeyInfo::from_der(&der)
                .map_err(|e| malformed(container, e))?;
            let plain = enc
                .decrypt(pass)
                .map_err(|_| KeyError::BadPassphrase(container))?;
            let mut report = pkcs8_private(container, plain.as_bytes())?;
            report.encrypted = true;
            Ok(report)
        }
        Container::SpkiPem => {
            let spki = spki::SubjectPublicKeyInfoRef::from_der(&der)
                .map_err(|e| malformed(container, e))?;
            let bits = spki
                .subject_public_key
                .as_bytes()
                .ok_or_else(|| malformed(container, "public key bit string has unused bits"))?;
            let key = spki_key_data(container, &spki.algorithm, bits)?;
            Ok(report_from_public(container, false, &key, None, None))
        }
        Container::Pkcs1PublicPem => {
            let k = pkcs1::RsaPublicKey::from_der(&der).map_err(|e| malformed(container, e))?;
            let key = rsa_key_data(k.modulus.as_bytes(), k.public_exponent.as_bytes())
                .map_err(|e| malformed(container, e))?;
            Ok(report_from_public(container, false, &key, None, None))
        }
        _ => Err(KeyError::Unrecognised("unknown PEM label")),
    }
}

fn spki_key_data(
    container: Container,
    algorithm: &spki::AlgorithmIdentifierRef<'_>,
    key_bytes: &[u8],
) -> Result<KeyData, KeyError> {
    if algorithm.oid == OID_RSA {
        let k = pkcs1::RsaPublicKey::from_der(key_bytes).map_err(|e| malformed(container, e))?;
        rsa_key_data(k.modulus.as_bytes(), k.public_exponent.as_bytes())
            .map_err(|e| malformed(container, e))
    } else if algorithm.oid == OID_ED25519 {
        let bytes: [u8; 32] = key_bytes
            .try_into()
            .map_err(|_| malformed(container, "ED25519 public key is not 32 bytes"))?;
        Ok(KeyData::Ed25519(Ed25519PublicKey(bytes)))
    } else if algorithm.oid == OID_EC {
        let curve = algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        ec_key_data(curve, key_bytes).map_err(|e| malformed(container, e))
    } else {
        Err(KeyError::Unsupported {
            container,
            algorithm: algorithm.oid.to_string(),
        })
    }
}

fn pkcs1_private(container: Container, der: &[u8]) -> Result<KeyReport, KeyError> {
    let k = pkcs1::RsaPrivateKey::from_der(der).map_err(|e| malformed(container, e))?;
    let key = rsa_key_data(k.modulus.as_bytes(), k.public_exponent.as_bytes())
        .map_err(|e| malformed(container, e))?;
    // Re-encoding normalises the DER the way openssl does before hashing.
    let pkcs1_der = Zeroizing::new(k.to_der().map_err(|e| malformed(container, e))?);
    let created = ec2_rsa_created(&pkcs1_der);
    Ok(report_from_public(container, true, &key, None, created))
}

fn pkcs8_private(container: Container, der: &[u8]) -> Result<KeyReport, KeyError> {
    let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(|e| malformed(container, e))?;
    let oid = info.algorithm.oid;
    if oid == OID_RSA {
        let mut report = pkcs1_private(container, info.private_key)?;
        report.container = container;
        Ok(report)
    } else if oid == OID_ED25519 {
        let key = match info.public_key {
            Some(public) => {
                let bytes: [u8; 32] = public
                    .try_into()
                    .map_err(|_| malformed(container, "ED25519 public key is not 32 bytes"))?;
                Ed25519PublicKey(bytes)
            }
            None => {
                // privateKey is an OCTET STRING wrapping the 32-byte seed (RFC 8410).
                let seed = pkcs8::der::asn1::OctetStringRef::from_der(info.private_key)
                    .map_err(|e| malformed(container, e))?;
                let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
                    seed.as_bytes()
                        .try_into()
                        .map_err(|_| malformed(container, "ED25519 seed is not 32 bytes"))?,
                );
                let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
                Ed25519PublicKey(signing.verifying_key().to_bytes())
            }
        };
        Ok(report_from_public(
            container,
            true,
            &KeyData::Ed25519(key),
            None,
            None,
        ))
    } else if oid == OID_EC {
        let curve = info
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        let ec =
            sec1::EcPrivateKey::from_der(info.private_key).map_err(|e| malformed(container, e))?;
        let point = ec
            .public_key
            .ok_or_else(|| malformed(container, "EC key does not embed its public key"))?;
        let key = ec_key_data(curve, point).map_err(|e| malformed(container, e))?;
        Ok(report_from_public(container, true, &key, None, None))
    } else {
        Err(KeyError::Unsupported {
            container,
            algorithm: oid.to_string(),
        })
    }
}

fn sec1_private(container: Container, der: &[u8]) -> Result<KeyReport, KeyError> {
    let ec = sec1::EcPrivateKey::from_der(der).map_err(|e| malformed(container, e))?;
    let curve = ec.parameters.and_then(|p| p.named_curve());
    let point = ec
        .public_key
        .ok_or_else(|| malformed(container, "EC key does not embed its public key"))?;
    let key = ec_key_data(curve, point).map_err(|e| malformed(container, e))?;
    Ok(report_from_public(container, true, &key, None, None))
}

/// RFC 4716 `---- BEGIN SSH2 PUBLIC KEY ----` with optional headers (`Comment:`), `\` continuations.
fn rfc4716(text: &str) -> Result<KeyReport, KeyError> {
    let c = Container::Rfc4716;
    let start = text.find("---- BEGIN SSH2 PUBLIC KEY ----").unwrap_or(0);
    let mut lines = text[start..].lines().skip(1);
    let mut comment = None;
    let mut body = String::new();
    let mut pending_header: Option<String> = None;
    let mut ended = false;
    for line in lines.by_ref() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("---- END SSH2 PUBLIC KEY ----") {
            ended = true;
            break;
        }
        if let Some(mut header) = pending_header.take() {
            header.push_str(line.strip_suffix('\\').unwrap_or(line));
            if line.ends_with('\\') {
                pending_header = Some(header);
            } else {
                take_header(&header, &mut comment);
            }
            continue;
        }
        if body.is_empty() && line.contains(':') {
            if let Some(stripped) = line.strip_suffix('\\') {
                pending_header = Some(stripped.to_string());
            } else {
                take_header(line, &mut comment);
            }
            continue;
        }
        body.push_str(line.trim());
    }
    if !ended {
        return Err(malformed(c, "no END line"));
    }
    let blob = STANDARD
        .decode(body.as_bytes())
        .map_err(|e| malformed(c, format!("base64: {e}")))?;
    let key = PublicKey::from_bytes(&blob)
        .map_err(|e| malformed(c, e))?
        .key_data()
        .clone();
    Ok(report_from_public(c, false, &key, comment, None))
}

fn take_header(header: &str, comment: &mut Option<String>) {
    if let Some((tag, value)) = header.split_once(':')
        && tag.trim().eq_ignore_ascii_case("Comment")
    {
        let v = value.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        *comment = Some(v.to_string());
    }
}

/// Normalises a fingerprint for comparison: drops `SHA256:`/`MD5:` prefixes, `=` padding, and
/// lowercases hex forms (base64 is case-sensitive and left alone).
pub fn normalise_fingerprint(fp: &str) -> String {
    let fp = fp.trim();
    let rest = match fp.split_once(':') {
        Some((p, r)) if p.eq_ignore_ascii_case("SHA256") || p.eq_ignore_ascii_case("MD5") => r,
        _ => fp,
    };
    let is_hex = rest.contains(':') && rest.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
    if is_hex {
        rest.to_ascii_lowercase()
    } else {
        rest.trim_end_matches('=').to_string()
    }
}
