//! Human-readable text for key reports.

use std::fmt::Write;

use crate::keys::{Ec2Origin, KeyReport};
use crate::snapshot_keys::{KeyPairMatch, MatchReason};

fn origin_label(origin: Ec2Origin) -> &'static str {
    match origin {
        Ec2Origin::CreatedByEc2 => "EC2 KeyFingerprint if created by EC2 (SHA-1 of PKCS#8 DER)",
        Ec2Origin::Imported => "EC2 KeyFingerprint if imported (MD5 of DER SPKI)",
        Ec2Origin::CreatedOrImported => "EC2 KeyFingerprint (SHA-256)",
    }
}

/// One key as an indented block.
pub fn key_block(file: &str, key: &KeyReport) -> String {
    let mut s = String::new();
    let kind = if key.private { "private" } else { "public" };
    let lock = if key.encrypted { ", encrypted" } else { "" };
    match &key.public {
        Some(p) => {
            let _ = writeln!(
                s,
                "{file}: {} {} {kind} key ({}{lock})",
                p.key_type, p.bits, key.container
            );
            let _ = writeln!(s, "  {}", p.sha256);
            let _ = writeln!(s, "  {}", p.md5);
        }
        None => {
            let _ = writeln!(
                s,
                "{file}: {} ({kind}{lock}; type and fingerprints need the passphrase: --passphrase-prompt)",
                key.container
            );
        }
    }
    for fp in &key.ec2 {
        let _ = writeln!(s, "  {}: {}", origin_label(fp.origin), fp.value);
    }
    if key.encrypted
        && key.private
        && key.public.as_ref().is_some_and(|p| p.key_type == "RSA")
        && !key.ec2.iter().any(|f| f.origin == Ec2Origin::CreatedByEc2)
    {
        let _ = writeln!(
            s,
            "  (EC2 created-key fingerprint needs the passphrase: --passphrase-prompt)"
        );
    }
    if let Some(c) = &key.comment {
        let _ = writeln!(s, "  comment: {c}");
    }
    s
}

pub fn key_pair_match(m: &KeyPairMatch) -> String {
    let reasons: Vec<&str> = m
        .reasons
        .iter()
        .map(|r| match r {
            MatchReason::Ec2Fingerprint(Ec2Origin::CreatedByEc2) => {
                "KeyFingerprint = created-by-EC2 SHA-1"
            }
            MatchReason::Ec2Fingerprint(Ec2Origin::Imported) => "KeyFingerprint = imported MD5",
            MatchReason::Ec2Fingerprint(Ec2Origin::CreatedOrImported) => "KeyFingerprint = SHA-256",
            MatchReason::OpensshFingerprint => "KeyFingerprint = OpenSSH fingerprint",
            MatchReason::PublicKey => "PublicKey is the same key",
        })
        .collect();
    format!(
        "{}{}{} ({})",
        m.key_name,
        m.key_pair_id
            .as_deref()
            .map(|id| format!(" {id}"))
            .unwrap_or_default(),
        m.region
            .as_deref()
            .map(|r| format!(" in {r}"))
            .unwrap_or_default(),
        reasons.join("; ")
    )
}

/// The host report as text: what was read, then the findings with their evidence.
pub fn host_table(report: &crate::audit::HostReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "sshd_config: {}",
        if report.sshd_files.is_empty() {
            "(none read)".to_string()
        } else {
            report.sshd_files.join(", ")
        }
    );
    for m in &report.sshd_matches {
        let settings: Vec<String> = m
            .settings
            .iter()
            .map(|x| format!("{} {}", x.keyword, x.value))
            .collect();
        let _ = writeln!(
            s,
            "  Match {} ({}:{}): {}",
            m.criteria,
            m.path,
            m.line,
            settings.join("; ")
        );
    }
    let _ = writeln!(s, "authorized keys:");
    if report.authorized_keys.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for f in &report.authorized_keys {
        for k in &f.keys {
            let options: Vec<String> = k
                .options
                .iter()
                .map(|o| match &o.value {
                    Some(v) => format!("{}=\"{v}\"", o.name),
                    None => o.name.clone(),
                })
                .collect();
            let _ = writeln!(
                s,
                "  {:<12} {}:{} {} {} {}{}{}",
                f.user,
                f.path,
                k.line,
                k.public.key_type,
                k.public.bits,
                k.public.sha256,
                if k.comment.is_empty() {
                    String::new()
                } else {
                    format!(" {}", k.comment)
                },
                if options.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", options.join(","))
                }
            );
        }
    }
    let _ = writeln!(
        s,
        "sudoers: {} file(s), {} rule(s)",
        report.sudoers_files.len(),
        report.sudo_rules.len()
    );
    let _ = writeln!(s, "findings: {}", report.findings.len());
    for f in &report.findings {
        let place = f.evidence.first().map(|e| e.location()).unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<8} {:<13} {}  {}",
            f.severity.as_str(),
            f.id,
            place,
            f.message
        );
        if let Some(scope) = &f.scope {
            let _ = writeln!(s, "  {:<22} in {scope}", "");
        }
        for e in f.evidence.iter().skip(1) {
            let _ = writeln!(s, "  {:<22} also {}", "", e.location());
        }
        let _ = writeln!(s, "  {:<22} fix: {}", "", f.remediation);
    }
    if !report.problems.is_empty() {
        let _ = writeln!(s, "skipped input: {}", report.problems.len());
        for p in &report.problems {
            let _ = writeln!(s, "  {p}");
        }
    }
    s
}
