//! HOST-KEYS-003: authorised keys that no EC2 key pair accounts for (needs `--snapshot`).
use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity, keys, snapshot_keys};

pub static CHECK: Check = Check {
    id: "HOST-KEYS-003",
    title: "Authorised key matches no EC2 key pair",
    severity: Severity::Medium,
    description: "Keys EC2 installed at launch match a key pair in the account. Any other key was added \
                  by a person, configuration management, or an intruder, and deserves an owner. \
                  Matching uses the PublicKey of `describe-key-pairs --include-public-key` and, for \
                  imported RSA and ED25519 keys, the KeyFingerprint (a created RSA key pair's SHA-1 \
                  fingerprint needs the private key, so without PublicKey it cannot be matched). Runs \
                  only with `--snapshot`.",
    remediation: "Find the key's owner (comment, CloudTrail ImportKeyPair, config management); remove \
                  it if nobody claims it.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    let Some(pairs) = &h.key_pairs else { return };
    for file in &h.authorized {
        for key in &file.keys {
            let report = keys::report_for_public(&key.key_data, None);
            if snapshot_keys::match_report(&report, pairs).is_empty() {
                out.push(CHECK.finding(
                    format!(
                        "{} {} ({}) for {} matches none of {} EC2 key pair(s)",
                        key.public.key_type,
                        key.public.sha256,
                        if key.comment.is_empty() {
                            "no comment"
                        } else {
                            key.comment.as_str()
                        },
                        file.user,
                        pairs.len()
                    ),
                    None,
                    vec![Evidence::line(&file.path, key.line, key.text.clone())],
                    Vec::new(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::audit::AuditOptions;
    use crate::checks::testing::{ED_A, PASSWD, RSA_1024, run, run_with};
    use crate::snapshot_keys::KeyPair;

    fn pair(public: &str) -> KeyPair {
        let sha = crate::keys::parse_public_line(public)
            .map(|k| crate::keys::public_info(k.key_data()).sha256)
            .ok();
        KeyPair {
            key_pair_id: Some("key-1".into()),
            key_name: "deploy".into(),
            key_fingerprint: None,
            key_type: None,
            public_key: Some(public.into()),
            region: None,
            public_sha256: sha,
        }
    }

    #[test]
    fn unknown_key_found_known_key_clean() {
        let keys = format!("{ED_A}\n{RSA_1024}\n");
        let files = [
            ("/etc/passwd", PASSWD),
            ("/home/alice/.ssh/authorized_keys", keys.as_str()),
        ];
        let opts = AuditOptions {
            key_pairs: Some(vec![pair(ED_A)]),
            needle: None,
        };
        let f = run_with("HOST-KEYS-003", &files, opts);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence[0].location(),
            "/home/alice/.ssh/authorized_keys:2"
        );
        assert!(
            f[0].message
                .contains("(weak) for alice matches none of 1 EC2 key pair(s)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn needs_a_snapshot() {
        let keys = format!("{RSA_1024}\n");
        assert!(
            run(
                "HOST-KEYS-003",
                &[
                    ("/etc/passwd", PASSWD),
                    ("/home/alice/.ssh/authorized_keys", &keys)
                ]
            )
            .is_empty()
        );
    }

    #[test]
    fn imported_rsa_matches_by_key_fingerprint() {
        let key = crate::keys::parse_public_line(RSA_1024).unwrap();
        let imported = crate::keys::ec2_public_fingerprints(key.key_data())[0]
            .value
            .clone();
        let mut p = pair(ED_A);
        p.public_key = None;
        p.public_sha256 = None;
        p.key_fingerprint = Some(imported);
        let keys = format!("{RSA_1024}\n");
        let files = [
            ("/etc/passwd", PASSWD),
            ("/home/alice/.ssh/authorized_keys", keys.as_str()),
        ];
        assert!(
            run_with(
                "HOST-KEYS-003",
                &files,
                AuditOptions {
                    key_pairs: Some(vec![p]),
                    needle: None
                }
            )
            .is_empty()
        );
    }
}
