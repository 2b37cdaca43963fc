//! HOST-SSHD-006: CBC-mode and RC4 ciphers.
use super::{Check, weak_algorithms};
use crate::Severity;
use crate::audit::HostData;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-006",
    title: "Weak ciphers enabled",
    severity: Severity::Medium,
    description: "CBC-mode ciphers (`*-cbc`, `rijndael-cbc@lysator.liu.se`) are open to plaintext \
                  recovery attacks on SSH and `arcfour*` is RC4. The OpenSSH default list has none; only \
                  a configured `Ciphers` line (including `+` additions) can enable them.",
    remediation: "Remove the weak ciphers from `Ciphers` or delete the line to use the default list.",
    run,
};

pub fn is_weak(c: &str) -> bool {
    c.ends_with("-cbc") || c.contains("-cbc@") || c.starts_with("arcfour")
}

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    weak_algorithms(h, &CHECK, "Ciphers", is_weak, out);
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn added_and_listed() {
        let f = run(
            "HOST-SSHD-006",
            &[("/etc/ssh/sshd_config", "Ciphers +aes256-cbc,3des-cbc\n")],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "Ciphers enables aes256-cbc, 3des-cbc");
        assert_eq!(
            run(
                "HOST-SSHD-006",
                &[("/etc/ssh/sshd_config", "Ciphers aes128-ctr,arcfour256\n")]
            )
            .len(),
            1
        );
    }

    #[test]
    fn default_and_strong_are_clean() {
        assert!(run("HOST-SSHD-006", &[("/etc/ssh/sshd_config", "")]).is_empty());
        assert!(
            run(
                "HOST-SSHD-006",
                &[(
                    "/etc/ssh/sshd_config",
                    "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com\n"
                )]
            )
            .is_empty()
        );
        assert!(
            run(
                "HOST-SSHD-006",
                &[("/etc/ssh/sshd_config", "Ciphers -aes128-ctr\n")]
            )
            .is_empty()
        );
    }
}
