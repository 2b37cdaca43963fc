//! HOST-SUDO-001: root without a password.
use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity};

pub static CHECK: Check = Check {
    id: "HOST-SUDO-001",
    title: "sudo NOPASSWD: ALL",
    severity: Severity::High,
    description: "A `NOPASSWD` rule for `ALL` commands makes whoever holds the account's SSH key root \
                  with no further secret. EC2 images grant it to the default user through cloud-init \
                  (`/etc/sudoers.d/90-cloud-init-users`), so a leaked launch key is a leaked root.",
    remediation: "Require a password (drop `NOPASSWD:`) or limit the rule to the commands needed; for \
                  the cloud-init user set `sudo:` in user data or replace the file.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for r in &h.sudoers.rules {
        if r.nopasswd && r.command == "ALL" {
            out.push(CHECK.finding(
                format!(
                    "{} may run every command as {} without a password",
                    r.who,
                    match r.runas.as_deref() {
                        None => "root",
                        Some(runas) if runas.starts_with("ALL") => "any user",
                        Some(runas) => runas,
                    }
                ),
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
    fn includedir_file_found() {
        let f = run(
            "HOST-SUDO-001",
            &[
                (
                    "/etc/sudoers",
                    "root ALL=(ALL) ALL\n#includedir /etc/sudoers.d\n",
                ),
                (
                    "/etc/sudoers.d/90-cloud-init-users",
                    "# Created by cloud-init\nec2-user ALL=(ALL) NOPASSWD:ALL\n",
                ),
                (
                    "/etc/sudoers.d/README.txt",
                    "ignored ALL=(ALL) NOPASSWD: ALL\n",
                ),
                // sudo skips subdirectories and `~` backups too.
                (
                    "/etc/sudoers.d/sub/inner",
                    "ignored ALL=(ALL) NOPASSWD: ALL\n",
                ),
                ("/etc/sudoers.d/old~", "ignored ALL=(ALL) NOPASSWD: ALL\n"),
            ],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence[0].location(),
            "/etc/sudoers.d/90-cloud-init-users:2"
        );
        assert_eq!(
            f[0].message,
            "ec2-user may run every command as any user without a password"
        );
    }

    #[test]
    fn password_or_specific_command_clean() {
        assert!(
            run(
                "HOST-SUDO-001",
                &[(
                    "/etc/sudoers",
                    "%wheel ALL=(ALL) ALL\nops ALL=NOPASSWD: /usr/bin/uptime\n"
                )]
            )
            .is_empty()
        );
    }
}
