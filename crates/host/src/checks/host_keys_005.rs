//! HOST-KEYS-005: the key being hunted (`--find-key`) is authorised here.
use super::Check;
use crate::audit::HostData;
use crate::fix::Edit;
use crate::{Evidence, Severity};

pub static CHECK: Check = Check {
    id: "HOST-KEYS-005",
    title: "Compromised key is authorised",
    severity: Severity::Critical,
    description: "`--find-key FILE|FINGERPRINT` names a key believed leaked (a private or public key \
                  file, an OpenSSH `SHA256:`/`MD5:` fingerprint, or an EC2 KeyFingerprint). Every \
                  authorized_keys line holding it is a way in.",
    remediation: "Delete the lines (`--fix --apply`), then check the auth logs for its use \
                  (`trailhound host logins --key`).",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    let Some(needle) = &h.needle else { return };
    for file in &h.authorized {
        for key in &file.keys {
            if needle.matches(key) {
                out.push(CHECK.finding(
                    format!(
                        "{} ({}) is authorised for {}",
                        needle.label, key.public.sha256, file.user
                    ),
                    None,
                    vec![Evidence::line(&file.path, key.line, key.text.clone())],
                    vec![Edit::DeleteLine {
                        path: file.path.clone(),
                        line: key.line,
                        text: key.text.clone(),
                    }],
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::audit::{AuditOptions, Needle};
    use crate::checks::testing::{ED_A, PASSWD, RSA_1024, run_with};

    #[test]
    fn found_by_sha256_and_ec2_padding() {
        let keys = format!("{RSA_1024}\n{ED_A}\n");
        let files = [
            ("/etc/passwd", PASSWD),
            ("/root/.ssh/authorized_keys", keys.as_str()),
        ];
        let sha =
            crate::keys::public_info(crate::keys::parse_public_line(ED_A).unwrap().key_data())
                .sha256;
        let f = run_with(
            "HOST-KEYS-005",
            &files,
            AuditOptions {
                key_pairs: None,
                needle: Some(Needle::from_fingerprint(&sha)),
            },
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence[0].location(), "/root/.ssh/authorized_keys:2");
        // The EC2 form of the same ED25519 fingerprint, with '=' padding.
        let ec2 = format!("{}=", sha.trim_start_matches("SHA256:"));
        let f = run_with(
            "HOST-KEYS-005",
            &files,
            AuditOptions {
                key_pairs: None,
                needle: Some(Needle::from_fingerprint(&ec2)),
            },
        );
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn other_key_not_found() {
        let keys = format!("{RSA_1024}\n");
        let files = [
            ("/etc/passwd", PASSWD),
            ("/root/.ssh/authorized_keys", keys.as_str()),
        ];
        let f = run_with(
            "HOST-KEYS-005",
            &files,
            AuditOptions {
                key_pairs: None,
                needle: Some(Needle::from_fingerprint("SHA256:nothere")),
            },
        );
        assert!(f.is_empty());
    }
}
