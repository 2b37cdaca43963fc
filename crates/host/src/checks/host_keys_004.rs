//! HOST-KEYS-004: authorized_keys (or a directory above it) others can write.
use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity};

pub static CHECK: Check = Check {
    id: "HOST-KEYS-004",
    title: "Unsafe authorized_keys permissions",
    severity: Severity::High,
    description: "If the authorized_keys file, `.ssh` or the home directory is writable by group or \
                  others, or owned by someone other than the user or root, another account can add a \
                  key. sshd refuses such files while `StrictModes yes` (the default), so the finding \
                  also explains keys that silently stop working.",
    remediation: "`chown USER: ~USER/.ssh ~USER/.ssh/authorized_keys; chmod 700 ~USER/.ssh; chmod 600 \
                  ~USER/.ssh/authorized_keys; chmod go-w ~USER`.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    let strict = h.sshd.get("StrictModes", None);
    for file in &h.authorized {
        for issue in &file.permissions {
            out.push(CHECK.finding(
                format!(
                    "{} (mode {}, uid {}) is {} for {}{}",
                    issue.path,
                    issue.mode,
                    issue.owner_uid,
                    issue.problem,
                    file.user,
                    if strict.is_yes() {
                        "; sshd ignores the keys while StrictModes is on"
                    } else {
                        ""
                    }
                ),
                None,
                vec![Evidence::file(&issue.path, format!("mode {}", issue.mode))],
                Vec::new(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use crate::audit::AuditOptions;
    use crate::checks::testing::{ED_A, PASSWD, host, my_uid};

    #[test]
    fn group_writable_file_and_clean_file() {
        let keys = format!("{ED_A}\n");
        // The users own their files: whoever runs the test is alice and bob.
        let uid = my_uid();
        let passwd = PASSWD
            .replace(":1000:1000:", &format!(":{uid}:{uid}:"))
            .replace(":1001:1001:", &format!(":{uid}:{uid}:"));
        let files = [
            ("/etc/passwd", passwd.as_str()),
            ("/home/alice/.ssh/authorized_keys", keys.as_str()),
            ("/home/bob/.ssh/authorized_keys", keys.as_str()),
        ];
        let (dir, _) = host(&files, AuditOptions::default());
        let ak = dir.path().join("home/alice/.ssh/authorized_keys");
        std::fs::set_permissions(&ak, std::fs::Permissions::from_mode(0o664)).unwrap();
        let root = crate::root::Root::new(dir.path()).unwrap();
        let data = crate::audit::gather(root, AuditOptions::default());
        let f: Vec<_> = data
            .run_checks()
            .into_iter()
            .filter(|f| f.id == "HOST-KEYS-004")
            .collect();
        let alice: Vec<_> = f
            .iter()
            .filter(|x| {
                x.message
                    .starts_with("/home/alice/.ssh/authorized_keys (mode 0664")
            })
            .collect();
        assert_eq!(alice.len(), 1);
        assert!(alice[0].message.contains("writable by group"));
        // bob's 0600 file in a 0700 .ssh is clean.
        assert_eq!(f.len(), 1, "{f:#?}");
    }
}
