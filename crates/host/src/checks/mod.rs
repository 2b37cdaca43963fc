//! One file per check, named after its id; `reference_markdown` renders `docs/host.md` from them.

use crate::audit::HostData;
use crate::fix::Edit;
use crate::sshd::Setting;
use crate::{Evidence, Finding, Severity};

mod host_keys_001;
mod host_keys_002;
mod host_keys_003;
mod host_keys_004;
mod host_keys_005;
mod host_sshd_001;
mod host_sshd_002;
mod host_sshd_003;
mod host_sshd_004;
mod host_sshd_005;
mod host_sshd_006;
mod host_sshd_007;
mod host_sshd_008;
mod host_sshd_009;
mod host_sshd_010;
mod host_sshd_011;
mod host_sudo_001;
mod host_sudo_002;
mod host_sudo_003;
mod host_sudo_004;

pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Why it matters, for the reference docs.
    pub description: &'static str,
    pub remediation: &'static str,
    pub run: fn(&HostData, &mut Vec<Finding>),
}

impl Check {
    pub fn finding(
        &'static self,
        message: String,
        scope: Option<String>,
        evidence: Vec<Evidence>,
        fix: Vec<Edit>,
    ) -> Finding {
        Finding {
            id: self.id,
            title: self.title,
            severity: self.severity,
            message,
            scope,
            evidence,
            remediation: self.remediation,
            fix,
        }
    }
}

pub static ALL: &[&Check] = &[
    &host_sshd_001::CHECK,
    &host_sshd_002::CHECK,
    &host_sshd_003::CHECK,
    &host_sshd_004::CHECK,
    &host_sshd_005::CHECK,
    &host_sshd_006::CHECK,
    &host_sshd_007::CHECK,
    &host_sshd_008::CHECK,
    &host_sshd_009::CHECK,
    &host_sshd_010::CHECK,
    &host_sshd_011::CHECK,
    &host_keys_001::CHECK,
    &host_keys_002::CHECK,
    &host_keys_003::CHECK,
    &host_keys_004::CHECK,
    &host_keys_005::CHECK,
    &host_sudo_001::CHECK,
    &host_sudo_002::CHECK,
    &host_sudo_003::CHECK,
    &host_sudo_004::CHECK,
];

/// The global setting of `keyword` and every Match block override, with a scope label.
pub(crate) fn scopes(h: &HostData, keyword: &str) -> Vec<(Option<String>, Setting)> {
    let mut out = vec![(None, h.sshd.get(keyword, None))];
    for (i, s) in h.sshd.match_overrides(keyword) {
        let m = &h.sshd.matches[i];
        out.push((
            Some(format!("Match {} ({}:{})", m.criteria, m.path, m.line)),
            s,
        ));
    }
    out
}

/// The edit that sets `keyword` to `value` where `setting` came from (or at the top of the main
/// file for a default, since the first value wins).
pub(crate) fn set_edit(h: &HostData, setting: &Setting, value: &str) -> Vec<Edit> {
    match (&setting.path, setting.line) {
        (Some(path), Some(line)) => vec![Edit::SetOption {
            path: path.clone(),
            line: Some(line),
            keyword: setting.keyword.clone(),
            value: value.to_string(),
        }],
        _ if h.sshd.present => vec![Edit::SetOption {
            path: crate::sshd::MAIN_CONFIG.to_string(),
            line: None,
            keyword: setting.keyword.clone(),
            value: value.to_string(),
        }],
        _ => Vec::new(),
    }
}

const USAGE: &str = "\
# `trailhound keys` and `trailhound host`

<!-- Generated from crates/host/src/checks/*.rs by `trailhound host checks`; do not edit. -->

## Key fingerprints

`trailhound keys fingerprint FILE...` reads private keys (PEM PKCS#1, PKCS#8 and SEC1, OpenSSH
format; RSA, ED25519, ECDSA) and public keys (OpenSSH lines, PEM SubjectPublicKeyInfo and PKCS#1,
RFC 4716) and prints, never the key material:

| form | how | where you see it |
|---|---|---|
| `SHA256:...` | SHA-256 of the SSH wire blob, base64 without padding | sshd logs, `ssh-keygen -l` |
| `MD5:aa:..` | MD5 of the same blob | `ssh-keygen -l -E md5`, old logs |
| EC2, created RSA | SHA-1 of the PKCS#8 DER private key, colon hex | KeyFingerprint of key pairs EC2 generated |
| EC2, imported RSA | MD5 of the DER SubjectPublicKeyInfo, colon hex | KeyFingerprint of imported key pairs |
| EC2, ED25519 | SHA-256 of the wire blob, base64 with `=` padding | KeyFingerprint of any ED25519 key pair |

The created-RSA value needs the private key, so an RSA key pair EC2 created can be recognised from
its `.pem` but not from its public key unless the snapshot holds the PublicKey. Encrypted private
keys are reported as encrypted; OpenSSH-format ones still show the public part.
`--passphrase-prompt` (or `--passphrase-file`) decrypts them for the remaining values.

`trailhound keys match FILE --snapshot DIR` names the EC2 key pairs in
`ec2-describe-key-pairs.json` (DIR and DIR/<region>/, from
`aws ec2 describe-key-pairs --include-public-key`) whose KeyFingerprint or PublicKey is that key.

## Host audit

`trailhound host [--root DIR]` audits the host whose file system is at DIR (default `/`; another
instance's volume mounted read-only works): the effective sshd_config (compiled-in defaults of
current OpenSSH, `Include` globs relative to /etc/ssh, each Match block reported on its own),
every user's authorized_keys (homes from DIR/etc/passwd, AuthorizedKeysFile with `%h %u %U %%`),
and sudoers with its includes. Symlinks are resolved inside DIR; nothing outside it is read.

- `--snapshot DIR`: flags authorised keys that match no EC2 key pair.
- `--find-key FILE|FINGERPRINT`: where a leaked key is authorised.
- `--fix`: the hardening as a unified diff (`patch -p1 -d DIR` applies it); `--fix --apply` edits
  the files after copying each to `<file>.trailhound-bak-<timestamp>`.
- `--format table|json|jsonl`, `--fail-on SEVERITY` (exit 1). Exit 2 when files or lines were skipped.

`trailhound host logins [--root DIR] [FILE...] [--snapshot DIR] [--key FILE|FINGERPRINT]` lists sshd
authentication events (accepted, failed, invalid user, disconnects; certificates with ID, serial and
CA) from auth.log, secure (rotated and gzipped included) or `journalctl -o json` exports, OpenSSH 7
to 9 including the `sshd-session` program name, with the EC2 key pair of each key. Malformed lines
are counted and reported on stderr (exit 2), never fatal.
";

/// Markdown reference of every check (written to docs/host.md).
pub fn reference_markdown() -> String {
    let mut s = String::from(USAGE);
    s.push_str(
        "\n## Checks\n\nEach finding has its id, severity, evidence (`file:line` on the audited host, or \
         `(default)` for a compiled-in OpenSSH default), the Match block it applies to when not \
         everyone, and a remediation; JSON output adds the edits `--fix` would make.\n\n",
    );
    s.push_str("| id | severity | title |\n|---|---|---|\n");
    for c in ALL {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            c.id,
            c.severity.as_str(),
            c.title
        ));
    }
    for c in ALL {
        s.push_str(&format!(
            "\n### {}: {}\n\nSeverity: {}\n\n{}\n\nRemediation: {}\n",
            c.id,
            c.title,
            c.severity.as_str(),
            c.description,
            c.remediation
        ));
    }
    s
}

/// Shared by the cipher/MAC/kex checks: configured (not default) lists that enable a weak
/// algorithm, in any scope. `+`/`-`/`^` list syntax is applied to the default.
pub(crate) fn weak_algorithms(
    h: &HostData,
    check: &'static Check,
    keyword: &str,
    weak: fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let default = crate::sshd::DEFAULTS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(keyword))
        .map(|(_, v)| *v)
        .unwrap_or_default();
    for (scope, s) in scopes(h, keyword) {
        if s.is_default() {
            continue;
        }
        let list = crate::sshd::algorithm_list(&s.value, default);
        let bad: Vec<&str> = list
            .iter()
            .map(String::as_str)
            .filter(|a| weak(a))
            .collect();
        if bad.is_empty() {
            continue;
        }
        let keep: Vec<&str> = list
            .iter()
            .map(String::as_str)
            .filter(|a| !weak(a))
            .collect();
        let fix = if keep.is_empty() {
            Vec::new()
        } else {
            set_edit(h, &s, &keep.join(","))
        };
        out.push(check.finding(
            format!("{} enables {}", s.keyword, bad.join(", ")),
            scope,
            vec![s.evidence()],
            fix,
        ));
    }
}

#[cfg(test)]
pub(crate) mod testing;
