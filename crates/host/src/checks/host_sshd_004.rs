//! HOST-SSHD-004: accounts with empty passwords can log in.
use super::{Check, scopes, set_edit};
use crate::Severity;
use crate::audit::HostData;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-004",
    title: "PermitEmptyPasswords is enabled",
    severity: Severity::Critical,
    description: "With `PermitEmptyPasswords yes` and password authentication on, any account whose \
                  password field is empty logs in without a secret.",
    remediation: "Set `PermitEmptyPasswords no` (the default) and lock accounts without passwords \
                  (`passwd -l USER`).",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for (scope, s) in scopes(h, "PermitEmptyPasswords") {
        if s.is_yes() {
            out.push(CHECK.finding(
                "PermitEmptyPasswords yes".to_string(),
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
    fn yes_is_found_no_is_clean() {
        let f = run(
            "HOST-SSHD-004",
            &[("/etc/ssh/sshd_config", "\n\npermitemptypasswords yes\n")],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence[0].location(), "/etc/ssh/sshd_config:3");
        assert!(run("HOST-SSHD-004", &[("/etc/ssh/sshd_config", "")]).is_empty());
        assert!(
            run(
                "HOST-SSHD-004",
                &[("/etc/ssh/sshd_config", "PermitEmptyPasswords no\n")]
            )
            .is_empty()
        );
    }
}
