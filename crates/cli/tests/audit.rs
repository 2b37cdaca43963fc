//! `trailhound audit` end to end on the bundled incident's snapshot: formats, exposure through
//! `reach`, configuration, --fail-on, and damaged snapshots.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .output()
        .unwrap()
}

fn snapshot() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/incident/snapshot")
        .to_string_lossy()
        .into_owned()
}

const NOW: &str = "2024-05-06T00:00:00Z";

fn findings(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of_check<'a>(all: &'a [serde_json::Value], check: &str) -> Vec<&'a serde_json::Value> {
    all.iter().filter(|f| f["check_id"] == check).collect()
}

#[test]
fn exposure_comes_from_reachability() {
    let out = run(&["audit", &snapshot(), "--format", "jsonl", "--now", NOW]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = findings(&out);
    // web-1 and web-2 have public IPs behind the web group (22 from anywhere) in the public subnet.
    let ssh: Vec<(String, String)> = of_check(&all, "ec2-instance-ssh-exposed")
        .iter()
        .map(|f| {
            (
                f["resource_id"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        ssh.contains(&("i-0a1b2c3d4e5f60001".into(), "exposed".into())),
        "{ssh:?}"
    );
    assert!(
        ssh.contains(&("i-0a1b2c3d4e5f60002".into(), "exposed".into())),
        "{ssh:?}"
    );
    // db-1 sits behind an allow-all group but has no public address: latent, one severity lower.
    assert!(
        ssh.contains(&("i-0a1b2c3d4e5f60003".into(), "latent".into())),
        "{ssh:?}"
    );
    let db = of_check(&all, "ec2-instance-ssh-exposed")
        .into_iter()
        .find(|f| f["resource_id"] == "i-0a1b2c3d4e5f60003")
        .unwrap();
    assert_eq!(db["severity"], "medium");
    // The terminated instance is never exposed.
    assert!(
        !all.iter()
            .any(|f| f["resource_id"] == "i-0badc0ffee0000001")
    );
    // Every finding has a stable id, a kb link where the check names one, and evidence.
    for f in &all {
        assert!(f["id"].as_str().unwrap().starts_with("TA-"));
        assert!(f["evidence"].is_object());
    }
}

#[test]
fn fail_on_min_severity_and_formats() {
    let out = run(&[
        "audit",
        &snapshot(),
        "--format",
        "jsonl",
        "--now",
        NOW,
        "--fail-on",
        "high",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[
        "audit",
        &snapshot(),
        "--format",
        "jsonl",
        "--now",
        NOW,
        "--min-severity",
        "critical",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(findings(&out).is_empty());

    let out = run(&["audit", &snapshot(), "--format", "ocsf", "--now", NOW]);
    let events = findings(&out);
    assert!(!events.is_empty());
    for e in &events {
        assert_eq!(e["class_uid"], 2004);
        assert_eq!(e["type_uid"], 200401);
        assert!((1..=5).contains(&e["severity_id"].as_u64().unwrap()));
        assert_eq!(e["cloud"]["provider"], "AWS");
    }

    let out = run(&["audit", &snapshot(), "--format", "csv", "--now", NOW]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("id,check_id,severity,status,resource_kind"));
    assert_eq!(text.lines().count(), events.len() + 1);

    let out = run(&["audit", &snapshot(), "--format", "table", "--now", NOW]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("HIGH ("), "{text}");
}

#[test]
fn configuration_disables_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("audit.toml");
    std::fs::write(
        &config,
        "[checks]\ndisable = [\"ec2-instance-public-ip\"]\n[severity]\n\"ec2-instance-imds-hop-limit\" = \"critical\"\n",
    )
    .unwrap();
    let out = run(&[
        "audit",
        &snapshot(),
        "--format",
        "jsonl",
        "--now",
        NOW,
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let all = findings(&out);
    assert!(of_check(&all, "ec2-instance-public-ip").is_empty());
    assert!(
        of_check(&all, "ec2-instance-imds-hop-limit")
            .iter()
            .all(|f| f["severity"] == "critical")
    );
    assert!(!of_check(&all, "ec2-instance-imds-hop-limit").is_empty());

    std::fs::write(&config, "[thresholds]\nno_such = 3\n").unwrap();
    let out = run(&["audit", &snapshot(), "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown threshold \"no_such\""));

    let out = run(&["audit", "--print-config"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("access_key_max_age_days = 90"));
    let out = run(&["audit", "--list"]);
    assert!(String::from_utf8_lossy(&out.stdout).lines().count() >= 40);
}

#[test]
fn a_damaged_snapshot_file_is_named_and_the_rest_audited() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(snapshot()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    std::fs::write(
        dir.path().join("ec2-describe-security-groups.json"),
        "{\"SecurityGroups\": [",
    )
    .unwrap();
    let out = run(&[
        "audit",
        dir.path().to_str().unwrap(),
        "--format",
        "jsonl",
        "--now",
        NOW,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ec2-describe-security-groups.json"),
        "{stderr}"
    );
    // Instances were still audited.
    assert!(!of_check(&findings(&out), "ec2-instance-imdsv1").is_empty());

    let out = run(&["audit", "/no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/folder"));
}
