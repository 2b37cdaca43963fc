//! Test helpers: host roots built in a tempdir.
use std::os::unix::fs::PermissionsExt;

use crate::Finding;
use crate::audit::{self, AuditOptions, HostData};
use crate::root::Root;

pub const ED_A: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHEwAZf67qxvelrKeXp9lPuRSARMLoMOI/PS1dUjMXP4 alice@laptop";
pub const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDgO/O2d5PRqhud8C/da5aSmE887SNY05YafrTId1I563ZS0lZeOqzHt33qvdnw750dOnVWJJyY/+//6Azkpu8cdaw7ebiUnfsIXAZfx4F0E4Z3XVdYNhmxsRu1TkPfY/O9myZoRPJbzqv/UlwpQwB+/rAJSB8klsUgaRBVqaBwYw== weak";

/// The uid test files are created with (ownership findings depend on it).
pub fn my_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::metadata(dir.path()).unwrap().uid()
}

pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n";

/// A host root with the given files (mode 0600 for keys, 0644 otherwise; dirs 0700/0755).
pub fn host(files: &[(&str, &str)], options: AuditOptions) -> (tempfile::TempDir, HostData) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let real = dir.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, text).unwrap();
        let mode = if path.contains("/.ssh/") {
            0o600
        } else {
            0o644
        };
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(mode)).unwrap();
        if path.contains("/.ssh/") {
            std::fs::set_permissions(
                real.parent().unwrap(),
                std::fs::Permissions::from_mode(0o700),
            )
            .unwrap();
            // The home directory, whatever the umask.
            std::fs::set_permissions(
                real.parent().unwrap().parent().unwrap(),
                std::fs::Permissions::from_mode(0o755),
            )
            .unwrap();
        }
    }
    let root = Root::new(dir.path()).unwrap();
    let data = audit::gather(root, options);
    (dir, data)
}

/// Findings of one check id on a host made of `files`.
pub fn run(id: &str, files: &[(&str, &str)]) -> Vec<Finding> {
    run_with(id, files, AuditOptions::default())
}

pub fn run_with(id: &str, files: &[(&str, &str)], options: AuditOptions) -> Vec<Finding> {
    let (_dir, data) = host(files, options);
    data.run_checks()
        .into_iter()
        .filter(|f| f.id == id)
        .collect()
}
