//! HOST-SSHD-005: every local account may log in over SSH.
use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity};

pub static CHECK: Check = Check {
    id: "HOST-SSHD-005",
    title: "No AllowUsers or AllowGroups",
    severity: Severity::Low,
    description: "Without `AllowUsers`/`AllowGroups`, any account with a key or password can log in, \
                  including service accounts someone planted a key for.",
    remediation: "Add `AllowGroups` (e.g. a dedicated `ssh-users` group) or `AllowUsers` listing the \
                  accounts that need SSH.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    let any = h
        .sshd
        .directives
        .iter()
        .any(|d| d.keyword == "allowusers" || d.keyword == "allowgroups");
    if !any {
        out.push(CHECK.finding(
            "no AllowUsers or AllowGroups line: every account may log in".to_string(),
            None,
            vec![Evidence::file(
                crate::sshd::MAIN_CONFIG,
                "no AllowUsers/AllowGroups",
            )],
            Vec::new(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn missing_and_present() {
        assert_eq!(
            run("HOST-SSHD-005", &[("/etc/ssh/sshd_config", "Port 22\n")]).len(),
            1
        );
        assert!(
            run(
                "HOST-SSHD-005",
                &[("/etc/ssh/sshd_config", "AllowGroups ssh-users\n")]
            )
            .is_empty()
        );
        assert!(
            run(
                "HOST-SSHD-005",
                &[("/etc/ssh/sshd_config", "AllowUsers alice\n")]
            )
            .is_empty()
        );
    }
}
