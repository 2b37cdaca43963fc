//! HOST-SSHD-001: sshd accepts passwords.
use super::{Check, scopes, set_edit};
use crate::Severity;
use crate::audit::HostData;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-001",
    title: "PasswordAuthentication is enabled",
    severity: Severity::High,
    description: "Passwords can be guessed, phished and reused; an instance reachable on port 22 with \
                  password logins is brute-forced within hours. OpenSSH's compiled-in default is `yes`: \
                  an image without the line accepts passwords.",
    remediation: "Set `PasswordAuthentication no` (in the first file sshd reads it from, and in every \
                  Match block that enables it), then `sshd -t && systemctl reload sshd`.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for (scope, s) in scopes(h, "PasswordAuthentication") {
        if s.is_yes() {
            let how = if s.is_default() {
                " (compiled-in default)"
            } else {
                ""
            };
            out.push(CHECK.finding(
                format!("PasswordAuthentication yes{how}"),
                scope,
                vec![s.evidence()],
                set_edit(h, &s, "no"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn default_and_match_block() {
        let f = run(
            "HOST-SSHD-001",
            &[(
                "/etc/ssh/sshd_config",
                "Port 22\nMatch User alice\n  PasswordAuthentication yes\n",
            )],
        );
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[0].message,
            "PasswordAuthentication yes (compiled-in default)"
        );
        assert_eq!(f[0].evidence[0].location(), "(default)");
        assert_eq!(
            f[1].scope.as_deref(),
            Some("Match User alice (/etc/ssh/sshd_config:2)")
        );
        assert_eq!(f[1].evidence[0].location(), "/etc/ssh/sshd_config:3");
    }

    #[test]
    fn disabled_is_clean() {
        assert!(
            run(
                "HOST-SSHD-001",
                &[("/etc/ssh/sshd_config", "PasswordAuthentication no\n")]
            )
            .is_empty()
        );
    }

    #[test]
    fn first_value_in_include_wins() {
        let files = [
            (
                "/etc/ssh/sshd_config",
                "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n",
            ),
            (
                "/etc/ssh/sshd_config.d/50-cloud-init.conf",
                "PasswordAuthentication yes\n",
            ),
        ];
        let f = run("HOST-SSHD-001", &files);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence[0].location(),
            "/etc/ssh/sshd_config.d/50-cloud-init.conf:1"
        );
    }
}
