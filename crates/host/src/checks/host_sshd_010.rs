//! HOST-SSHD-010: many long-lived keys and no SSH certificate authority.
use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity};

/// More static keys than this across all users is "many".
pub const MANY: usize = 10;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-010",
    title: "Many static keys and no TrustedUserCAKeys",
    severity: Severity::Info,
    description: "Static authorized_keys entries never expire and are rarely removed when people leave. \
                  Past a handful of keys, short-lived certificates signed by a CA \
                  (`TrustedUserCAKeys`) or EC2 Instance Connect are easier to audit and revoke.",
    remediation: "Issue SSH certificates from a CA and set `TrustedUserCAKeys`, or use EC2 Instance \
                  Connect / SSM Session Manager; then prune authorized_keys.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    let count = h.key_count();
    if count > MANY && !h.sshd.is_set("TrustedUserCAKeys") {
        out.push(
            CHECK.finding(
                format!(
                    "{count} static keys in {} authorized_keys file(s) and no TrustedUserCAKeys",
                    h.authorized.len()
                ),
                None,
                h.authorized
                    .iter()
                    .map(|f| {
                        Evidence::file(&f.path, format!("{} key(s) for {}", f.keys.len(), f.user))
                    })
                    .collect(),
                Vec::new(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{ED_A, PASSWD, run};

    fn files(keys: usize, sshd: &str) -> Vec<(&'static str, String)> {
        vec![
            ("/etc/passwd", PASSWD.to_string()),
            ("/etc/ssh/sshd_config", sshd.to_string()),
            (
                "/home/alice/.ssh/authorized_keys",
                format!("{ED_A}\n").repeat(keys),
            ),
        ]
    }

    fn run_owned(files: &[(&'static str, String)]) -> Vec<crate::Finding> {
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        run("HOST-SSHD-010", &borrowed)
    }

    #[test]
    fn many_keys_without_ca() {
        let f = run_owned(&files(11, ""));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "11 static keys in 1 authorized_keys file(s) and no TrustedUserCAKeys"
        );
    }

    #[test]
    fn few_keys_or_ca() {
        assert!(run_owned(&files(10, "")).is_empty());
        assert!(run_owned(&files(11, "TrustedUserCAKeys /etc/ssh/ca.pub\n")).is_empty());
    }
}
