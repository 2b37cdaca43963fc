//! HOST-SUDO-002: full root with a password for someone other than root.
use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity};

pub static CHECK: Check = Check {
    id: "HOST-SUDO-002",
    title: "Broad sudo rule (ALL commands)",
    severity: Severity::Low,
    description: "A rule granting `ALL` commands, even behind a password, makes the account (or every \
                  member of the group, or everyone for `ALL`) an administrator. Expected for an admin \
                  group; worth a look for anything else.",
    remediation: "Confirm the principal needs full root; otherwise list the commands it needs.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for r in &h.sudoers.rules {
        if !r.nopasswd && r.command == "ALL" && r.who != "root" {
            out.push(CHECK.finding(
                format!("{} may run every command (with a password)", r.who),
                None,
                vec![Evidence::line(&r.path, r.line, r.text.clone())],
                Vec::new(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn group_all_found_root_clean() {
        let f = run(
            "HOST-SUDO-002",
            &[(
                "/etc/sudoers",
                "root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n",
            )],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "%sudo may run every command (with a password)"
        );
        assert!(
            run(
                "HOST-SUDO-002",
                &[(
                    "/etc/sudoers",
                    "root ALL=(ALL:ALL) ALL\nops ALL=/usr/bin/uptime\n"
                )]
            )
            .is_empty()
        );
    }
}
