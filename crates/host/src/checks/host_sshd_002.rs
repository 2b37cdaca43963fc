//! HOST-SSHD-002: keyboard-interactive (PAM) logins, another way to type a password.
use super::{Check, scopes, set_edit};
use crate::Severity;
use crate::audit::HostData;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-002",
    title: "KbdInteractiveAuthentication is enabled with PAM",
    severity: Severity::Medium,
    description: "With `UsePAM yes`, keyboard-interactive authentication asks PAM, which usually \
                  means a password prompt even when `PasswordAuthentication no`. \
                  `ChallengeResponseAuthentication` is the older name of the same option. Without PAM \
                  there is nothing to prompt with on Linux, so the finding needs both.",
    remediation: "Set `KbdInteractiveAuthentication no` unless PAM is deliberately used for a second \
                  factor (then list it in `AuthenticationMethods` after `publickey`).",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for (scope, s) in scopes(h, "KbdInteractiveAuthentication") {
        let pam = h.sshd.get("UsePAM", None);
        if s.is_yes() && pam.is_yes() {
            let how = if s.is_default() {
                " (compiled-in default)"
            } else {
                ""
            };
            out.push(CHECK.finding(
                format!("{} yes{how} with UsePAM yes", s.keyword),
                scope,
                vec![s.evidence(), pam.evidence()],
                set_edit(h, &s, "no"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn alias_with_pam() {
        let f = run(
            "HOST-SSHD-002",
            &[(
                "/etc/ssh/sshd_config",
                "UsePAM yes\nChallengeResponseAuthentication yes\n",
            )],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "ChallengeResponseAuthentication yes with UsePAM yes"
        );
        assert_eq!(f[0].evidence[0].location(), "/etc/ssh/sshd_config:2");
        assert_eq!(f[0].evidence[1].location(), "/etc/ssh/sshd_config:1");
    }

    #[test]
    fn without_pam_or_disabled() {
        assert!(
            run(
                "HOST-SSHD-002",
                &[("/etc/ssh/sshd_config", "KbdInteractiveAuthentication yes\n")]
            )
            .is_empty()
        );
        assert!(
            run(
                "HOST-SSHD-002",
                &[(
                    "/etc/ssh/sshd_config",
                    "UsePAM yes\nKbdInteractiveAuthentication no\n"
                )]
            )
            .is_empty()
        );
    }
}
