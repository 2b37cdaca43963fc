//! HOST-SSHD-009: many authentication attempts per connection.
use super::{Check, scopes, set_edit};
use crate::Severity;
use crate::audit::HostData;

pub const LIMIT: u32 = 4;

pub static CHECK: Check = Check {
    id: "HOST-SSHD-009",
    title: "MaxAuthTries above 4",
    severity: Severity::Low,
    description: "Each connection may try `MaxAuthTries` passwords or keys (default 6). A lower limit \
                  slows guessing and logs failures sooner (sshd logs at INFO once half the limit is \
                  reached).",
    remediation: "Set `MaxAuthTries 4` or lower (users with many agent keys may need \
                  `IdentitiesOnly`/`IdentityFile` on the client).",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for (scope, s) in scopes(h, "MaxAuthTries") {
        match s.value.trim().parse::<u32>() {
            Ok(n) if n > LIMIT => {
                let how = if s.is_default() {
                    " (compiled-in default)"
                } else {
                    ""
                };
                out.push(CHECK.finding(
                    format!("MaxAuthTries {n}{how}"),
                    scope,
                    vec![s.evidence()],
                    set_edit(h, &s, &LIMIT.to_string()),
                ));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn default_six_is_found() {
        let f = run("HOST-SSHD-009", &[("/etc/ssh/sshd_config", "")]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "MaxAuthTries 6 (compiled-in default)");
        assert_eq!(
            run(
                "HOST-SSHD-009",
                &[("/etc/ssh/sshd_config", "MaxAuthTries 10\n")]
            )[0]
            .message,
            "MaxAuthTries 10"
        );
    }

    #[test]
    fn low_is_clean() {
        assert!(
            run(
                "HOST-SSHD-009",
                &[("/etc/ssh/sshd_config", "MaxAuthTries 3\n")]
            )
            .is_empty()
        );
        assert!(
            run(
                "HOST-SSHD-009",
                &[("/etc/ssh/sshd_config", "MaxAuthTries 4\n")]
            )
            .is_empty()
        );
    }
}
