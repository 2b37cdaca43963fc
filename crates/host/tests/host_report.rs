//! The host report on a fixture root built in a tempdir: snapshots of the table and JSON, the
//! --fix patch, --apply with its backup, and the generated docs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use host::audit::{self, AuditOptions, Needle};
use host::fix;
use host::root::Root;

const ED_A: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHEwAZf67qxvelrKeXp9lPuRSARMLoMOI/PS1dUjMXP4";
const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDgO/O2d5PRqhud8C/da5aSmE887SNY05YafrTId1I563ZS0lZeOqzHt33qvdnw750dOnVWJJyY/+//6Azkpu8cdaw7ebiUnfsIXAZfx4F0E4Z3XVdYNhmxsRu1TkPfY/O9myZoRPJbzqv/UlwpQwB+/rAJSB8klsUgaRBVqaBwYw==";

fn write(root: &Path, path: &str, text: &str, mode: u32) {
    let real = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, text).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chmod(root: &Path, path: &str, mode: u32) {
    std::fs::create_dir_all(root.join(path.trim_start_matches('/'))).unwrap();
    std::fs::set_permissions(
        root.join(path.trim_start_matches('/')),
        std::fs::Permissions::from_mode(mode),
    )
    .unwrap();
}

/// An EC2-like host with most things wrong.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "/etc/ssh/sshd_config",
        "# fixture\nInclude sshd_config.d/*.conf\nPermitRootLogin yes\nUsePAM yes\nKbdInteractiveAuthentication no\n\
         Ciphers +aes128-cbc\nAuthorizedKeysFile .ssh/authorized_keys /etc/ssh/authorized_keys/%u\n\
         Match User deploy\n    PasswordAuthentication yes\nMatch Address 10.0.0.0/8\n    MaxAuthTries 10\n",
        0o644,
    );
    write(
        d,
        "/etc/ssh/sshd_config.d/50-cloud-init.conf",
        "PasswordAuthentication no\n",
        0o644,
    );
    write(
        d,
        "/etc/ssh/sshd_config.d/README",
        "PasswordAuthentication yes\n",
        0o644,
    );
    write(
        d,
        "/etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nec2-user:x:1000:1000::/home/ec2-user:/bin/bash\ndeploy:x:1001:1001::/home/deploy:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n",
        0o644,
    );
    write(
        d,
        "/etc/group",
        "wheel:x:10:ec2-user\nec2-user:x:1000:\ndeploy:x:1001:\n",
        0o644,
    );
    write(
        d,
        "/home/ec2-user/.ssh/authorized_keys",
        &format!(
            "{ED_A} alice@laptop\nno-port-forwarding,expiry-time=\"20300101\" {RSA_1024} old-build-key\n"
        ),
        0o600,
    );
    write(
        d,
        "/etc/ssh/authorized_keys/deploy",
        &format!("command=\"/usr/local/bin/deploy\",from=\"10.0.0.0/8\" {ED_A} ci\n"),
        0o644,
    );
    write(d, "/root/.ssh/authorized_keys", "not a key line\n", 0o664);
    for dir in ["/home/ec2-user/.ssh", "/root/.ssh"] {
        chmod(d, dir, 0o700);
    }
    for dir in [
        "/home/ec2-user",
        "/home/deploy",
        "/root",
        "/etc/ssh/authorized_keys",
    ] {
        chmod(d, dir, 0o755);
    }
    write(
        d,
        "/etc/sudoers",
        "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%wheel ALL=(ALL) ALL\n#includedir /etc/sudoers.d\n",
        0o440,
    );
    write(
        d,
        "/etc/sudoers.d/90-cloud-init-users",
        "ec2-user ALL=(ALL) NOPASSWD:ALL\n",
        0o440,
    );
    write(
        d,
        "/etc/sudoers.d/ops",
        "deploy ALL=(root) NOPASSWD: /usr/bin/vim\n",
        0o440,
    );
    dir
}

fn my_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    let t = tempfile::tempdir().unwrap();
    std::fs::metadata(t.path()).unwrap().uid()
}

fn report(root: &Path, options: AuditOptions) -> host::audit::HostReport {
    let mut r = audit::gather(Root::new(root).unwrap(), options).report();
    r.root = "<root>".into();
    if my_uid() != 0 {
        // Ownership findings depend on who runs the test; the snapshot is taken as root.
        r.findings.retain(|f| !f.message.contains("owned by uid"));
    }
    r
}

#[test]
fn table_snapshot() {
    let dir = fixture();
    let r = report(dir.path(), AuditOptions::default());
    insta::assert_snapshot!("host_table", host::render::host_table(&r));
}

#[test]
fn json_snapshot() {
    let dir = fixture();
    let r = report(dir.path(), AuditOptions::default());
    insta::assert_json_snapshot!("host_json", r);
}

#[test]
fn finding_ids_on_fixture() {
    let dir = fixture();
    let r = report(dir.path(), AuditOptions::default());
    let ids: Vec<(&str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.severity.as_str(), f.id))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("high", "HOST-SSHD-001"),
            ("high", "HOST-SSHD-003"),
            ("high", "HOST-KEYS-001"),
            ("high", "HOST-KEYS-004"),
            ("high", "HOST-SUDO-001"),
            ("medium", "HOST-SSHD-006"),
            ("medium", "HOST-KEYS-002"),
            ("medium", "HOST-SUDO-003"),
            ("low", "HOST-SSHD-005"),
            ("low", "HOST-SSHD-009"),
            ("low", "HOST-SSHD-009"),
            ("low", "HOST-SUDO-002"),
        ]
    );
    // The README in sshd_config.d does not match *.conf; the Include is relative to /etc/ssh.
    assert_eq!(
        r.sshd_files,
        vec![
            "/etc/ssh/sshd_config",
            "/etc/ssh/sshd_config.d/50-cloud-init.conf"
        ]
    );
    assert_eq!(r.problems.len(), 1);
    assert_eq!(
        r.problems[0].to_string(),
        "/root/.ssh/authorized_keys:1: skipped key line: expected [options] TYPE BASE64 [comment], found no key type (word \"a\")"
    );
}

#[test]
fn find_key_and_fix_patch_and_apply() {
    let dir = fixture();
    let d = dir.path();
    let sha =
        host::keys::public_info(host::keys::parse_public_line(ED_A).unwrap().key_data()).sha256;
    let options = AuditOptions {
        key_pairs: None,
        needle: Some(Needle::from_fingerprint(&sha)),
    };
    let r = report(d, options.clone());
    let found: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.id == "HOST-KEYS-005")
        .map(|f| f.evidence[0].location())
        .collect();
    assert_eq!(
        found,
        vec![
            "/home/ec2-user/.ssh/authorized_keys:1",
            "/etc/ssh/authorized_keys/deploy:1"
        ]
    );

    let root = Root::new(d).unwrap();
    let (patches, problems) = fix::plan(&root, &r.findings);
    assert!(problems.is_empty(), "{problems:?}");
    let patch: String = patches
        .iter()
        .map(|p| fix::unified_diff(&p.path, &p.old, &p.new))
        .collect();
    insta::assert_snapshot!("fix_patch", patch);

    // Nothing changed before --apply.
    let before = std::fs::read_to_string(d.join("etc/ssh/sshd_config")).unwrap();
    assert!(before.contains("PermitRootLogin yes"));
    let backups = fix::apply(&root, &patches, "20260101T000000Z").unwrap();
    assert_eq!(backups.len(), patches.len());
    let backup = d.join("etc/ssh/sshd_config.trailhound-bak-20260101T000000Z");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), before);
    let after = std::fs::read_to_string(d.join("etc/ssh/sshd_config")).unwrap();
    assert!(after.contains("PermitRootLogin no\n"));
    assert!(after.starts_with("# Added by trailhound host --fix"));
    let keys = std::fs::read_to_string(d.join("home/ec2-user/.ssh/authorized_keys")).unwrap();
    assert!(!keys.contains("alice@laptop"), "compromised key deleted");
    assert!(!keys.contains("old-build-key"), "weak key deleted");
    // Audit again: the fixed findings are gone.
    let again = report(d, options);
    for gone in [
        "HOST-SSHD-001",
        "HOST-SSHD-003",
        "HOST-SSHD-006",
        "HOST-SSHD-009",
        "HOST-KEYS-001",
    ] {
        assert!(
            again.findings.iter().all(|f| f.id != gone),
            "{gone} still present"
        );
    }
    assert_eq!(
        again
            .findings
            .iter()
            .filter(|f| f.id == "HOST-KEYS-005")
            .count(),
        0
    );
}

#[test]
fn missing_everything_reports_defaults_and_problems() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(dir.path(), AuditOptions::default());
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id).collect();
    assert_eq!(ids, vec!["HOST-SSHD-001", "HOST-SSHD-005", "HOST-SSHD-009"]);
    assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
    // Without a main file there is nothing to patch.
    assert!(r.findings.iter().all(|f| f.fix.is_empty()));
}

#[test]
fn docs_are_generated_from_the_checks() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/host.md");
    let expected = host::checks::reference_markdown();
    if std::env::var_os("TRAILHOUND_UPDATE_DOCS").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/host.md is stale: run `TRAILHOUND_UPDATE_DOCS=1 cargo test -p host --test host_report` (or `trailhound host checks > docs/host.md`)"
    );
}
