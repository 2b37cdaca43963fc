//! HOST-SSHD-007: MD5, truncated SHA-1 and RIPEMD MACs.
use super::{Check, weak_algorithms};
use crate::Severity;
use crate::audit::HostData;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-007",
    title: "Weak MACs enabled",
    severity: Severity::Medium,
    description: "`hmac-md5*`, `hmac-sha1-96*` and `hmac-ripemd160*` are broken or truncated integrity \
                  algorithms. Only configured `MACs` lines are judged: the default list is left to \
                  OpenSSH.",
    remediation: "Remove them from `MACs`; prefer the `-etm@openssh.com` SHA-2 MACs.",
    run,
};

pub fn is_weak(m: &str) -> bool {
    m.contains("md5") || m.contains("sha1-96") || m.contains("ripemd160")
}

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    weak_algorithms(h, &CHECK, "MACs", is_weak, out);
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn md5_found_sha2_clean() {
        let f = run(
            "HOST-SSHD-007",
            &[("/etc/ssh/sshd_config", "MACs hmac-sha2-256,hmac-md5\n")],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "MACs enables hmac-md5");
        assert!(
            run(
                "HOST-SSHD-007",
                &[(
                    "/etc/ssh/sshd_config",
                    "MACs hmac-sha2-512-etm@openssh.com\n"
                )]
            )
            .is_empty()
        );
        assert!(run("HOST-SSHD-007", &[("/etc/ssh/sshd_config", "")]).is_empty());
    }
}
