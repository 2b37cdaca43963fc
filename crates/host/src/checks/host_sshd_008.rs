//! HOST-SSHD-008: SHA-1 and 1024-bit Diffie-Hellman key exchange.
use super::{Check, weak_algorithms};
use crate::Severity;
use crate::audit::HostData;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-008",
    title: "Weak key exchange enabled",
    severity: Severity::Medium,
    description: "`diffie-hellman-group1-sha1` (1024-bit group), `diffie-hellman-group14-sha1`, \
                  `diffie-hellman-group-exchange-sha1` and the SHA-1 GSSAPI exchanges rely on SHA-1 or \
                  small groups. Only configured `KexAlgorithms` lines are judged.",
    remediation: "Remove them from `KexAlgorithms`, or delete the line to use the default list.",
    run,
};

pub fn is_weak(k: &str) -> bool {
    k.ends_with("-sha1") || k.contains("group1-") || (k.starts_with("gss-") && k.contains("sha1"))
}

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    weak_algorithms(h, &CHECK, "KexAlgorithms", is_weak, out);
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn sha1_found_modern_clean() {
        let f = run(
            "HOST-SSHD-008",
            &[(
                "/etc/ssh/sshd_config",
                "KexAlgorithms curve25519-sha256,diffie-hellman-group14-sha1\n",
            )],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "KexAlgorithms enables diffie-hellman-group14-sha1"
        );
        assert_eq!(f[0].fix.len(), 1);
        assert!(
            run(
                "HOST-SSHD-008",
                &[("/etc/ssh/sshd_config", "KexAlgorithms curve25519-sha256\n")]
            )
            .is_empty()
        );
        assert!(run("HOST-SSHD-008", &[("/etc/ssh/sshd_config", "")]).is_empty());
    }
}
