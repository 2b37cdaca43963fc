//! HOST-SUDO-004: sudoers files others can change.
use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity};

pub static CHECK: Check = Check {
    id: "HOST-SUDO-004",
    title: "Unsafe sudoers permissions",
    severity: Severity::High,
    description: "A sudoers file writable by group or others, or not owned by root, lets another \
                  account grant itself root. (sudo itself refuses world-writable files, which breaks \
                  sudo instead.)",
    remediation: "`chown root:root FILE; chmod 0440 FILE`.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for issue in &h.sudoers_permissions {
        out.push(CHECK.finding(
            format!(
                "{} (mode {}, uid {}) is {}",
                issue.path, issue.mode, issue.owner_uid, issue.problem
            ),
            None,
            vec![Evidence::file(&issue.path, format!("mode {}", issue.mode))],
            Vec::new(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use crate::audit::AuditOptions;
    use crate::checks::testing::{host, my_uid};

    #[test]
    fn world_writable_include_found() {
        let files = [
            ("/etc/sudoers", "#includedir /etc/sudoers.d\n"),
            ("/etc/sudoers.d/ops", "ops ALL=/bin/true\n"),
        ];
        let (dir, data) = host(&files, AuditOptions::default());
        let before = data
            .run_checks()
            .into_iter()
            .filter(|f| f.id == "HOST-SUDO-004")
            .count();
        // Root-owned 0644 is fine; files a non-root test user creates are wrongly owned.
        assert_eq!(before, if my_uid() == 0 { 0 } else { 2 });
        std::fs::set_permissions(
            dir.path().join("etc/sudoers.d/ops"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        let data = crate::audit::gather(
            crate::root::Root::new(dir.path()).unwrap(),
            AuditOptions::default(),
        );
        let f: Vec<_> = data
            .run_checks()
            .into_iter()
            .filter(|f| f.id == "HOST-SUDO-004")
            .collect();
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.starts_with("/etc/sudoers.d/ops (mode 0666"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("writable by group and others"));
    }
}
