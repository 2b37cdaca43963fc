//! HOST-SSHD-011: keys come from a command the audit cannot see.
use super::{Check, scopes};
use crate::Severity;
use crate::audit::HostData;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-011",
    title: "AuthorizedKeysCommand supplies keys",
    severity: Severity::Info,
    description: "`AuthorizedKeysCommand` fetches keys at login time, so authorized_keys files do not \
                  list every key that works. On EC2 it is usually EC2 Instance Connect \
                  (`eic_run_authorized_keys`): keys pushed with `SendSSHPublicKey` work for 60 seconds \
                  and show up in CloudTrail, not on disk.",
    remediation: "Review who may call `ec2-instance-connect:SendSSHPublicKey` for this instance (or what \
                  the command returns), and search CloudTrail for SendSSHPublicKey events.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for (scope, s) in scopes(h, "AuthorizedKeysCommand") {
        if !s.is_default() && !s.value.is_empty() && !s.value.eq_ignore_ascii_case("none") {
            let eic = if s.value.contains("eic_run_authorized_keys") {
                " (EC2 Instance Connect)"
            } else {
                ""
            };
            out.push(CHECK.finding(
                format!("keys also come from `{}`{eic}", s.value),
                scope,
                vec![s.evidence()],
                Vec::new(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn instance_connect_found() {
        let f = run(
            "HOST-SSHD-011",
            &[(
                "/etc/ssh/sshd_config",
                "AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f\nAuthorizedKeysCommandUser ec2-instance-connect\n",
            )],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "keys also come from `/opt/aws/bin/eic_run_authorized_keys %u %f` (EC2 Instance Connect)"
        );
    }

    #[test]
    fn absent_or_none_clean() {
        assert!(run("HOST-SSHD-011", &[("/etc/ssh/sshd_config", "")]).is_empty());
        assert!(
            run(
                "HOST-SSHD-011",
                &[("/etc/ssh/sshd_config", "AuthorizedKeysCommand none\n")]
            )
            .is_empty()
        );
    }
}
