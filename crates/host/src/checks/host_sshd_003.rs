//! HOST-SSHD-003: root may log in with a password.
use super::{Check, scopes, set_edit};
use crate::Severity;
use crate::audit::HostData;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-003",
    title: "PermitRootLogin allows passwords",
    severity: Severity::High,
    description: "`PermitRootLogin yes` lets root authenticate with any method, including a password. \
                  The default, `prohibit-password` (old spelling `without-password`), allows keys only; \
                  `forced-commands-only` and `no` are stricter.",
    remediation: "Set `PermitRootLogin no` (or `prohibit-password` if root keys are required) and log in \
                  as a named user who uses sudo.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for (scope, s) in scopes(h, "PermitRootLogin") {
        if s.is_yes() {
            out.push(CHECK.finding(
                "PermitRootLogin yes: root can log in with a password".to_string(),
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
    fn yes_is_found() {
        let f = run(
            "HOST-SSHD-003",
            &[("/etc/ssh/sshd_config", "PermitRootLogin yes\n")],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence[0].location(), "/etc/ssh/sshd_config:1");
    }

    #[test]
    fn default_and_key_only_are_clean() {
        assert!(run("HOST-SSHD-003", &[("/etc/ssh/sshd_config", "")]).is_empty());
        assert!(
            run(
                "HOST-SSHD-003",
                &[("/etc/ssh/sshd_config", "PermitRootLogin without-password\n")]
            )
            .is_empty()
        );
    }
}
