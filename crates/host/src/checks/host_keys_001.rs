//! HOST-KEYS-001: authorised keys too weak to trust.
use super::Check;
use crate::audit::HostData;
use crate::fix::Edit;
use crate::{Evidence, Severity};

pub static CHECK: Check = Check {
    id: "HOST-KEYS-001",
    title: "Weak authorised key (RSA under 2048 bits or DSA)",
    severity: Severity::High,
    description: "RSA keys under 2048 bits are within reach of factoring, and DSA keys are limited to \
                  1024 bits and disabled by default since OpenSSH 7.0 (an sshd that still accepts them \
                  was configured to).",
    remediation: "Replace the key with an ED25519 (or RSA 3072+) key and delete the old line.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for file in &h.authorized {
        for key in &file.keys {
            let weak = match key.public.key_type.as_str() {
                "RSA" => key.public.bits < 2048,
                "DSA" => true,
                _ => false,
            };
            if weak {
                out.push(CHECK.finding(
                    format!(
                        "{} {}-bit key {} for {}",
                        key.public.key_type, key.public.bits, key.public.sha256, file.user
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
    use crate::checks::testing::{ED_A, PASSWD, RSA_1024, run};

    #[test]
    fn rsa_1024_found() {
        let keys = format!("{ED_A}\n{RSA_1024}\n");
        let f = run(
            "HOST-KEYS-001",
            &[
                ("/etc/passwd", PASSWD),
                ("/home/bob/.ssh/authorized_keys", &keys),
            ],
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.starts_with("RSA 1024-bit key SHA256:"),
            "{}",
            f[0].message
        );
        assert_eq!(
            f[0].evidence[0].location(),
            "/home/bob/.ssh/authorized_keys:2"
        );
    }

    #[test]
    fn ed25519_clean() {
        let keys = format!("{ED_A}\n");
        assert!(
            run(
                "HOST-KEYS-001",
                &[
                    ("/etc/passwd", PASSWD),
                    ("/home/bob/.ssh/authorized_keys", &keys)
                ]
            )
            .is_empty()
        );
    }
}
