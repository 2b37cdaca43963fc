//! `trailhound detect` end to end: formats, severities, exit codes, rule errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .output()
        .unwrap()
}

fn incident() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/incident/trail")
        .to_string_lossy()
        .into_owned()
}

fn sigma() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/sigma/rules");
    assert!(
        p.is_dir(),
        "the shared corpus is expected at {}",
        p.display()
    );
    p
}

fn findings(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `detect` on the bundled incident with only the SigmaHQ rules, in `format`, plus `extra` options.
fn detect_sigma(format: &str, extra: &[&str]) -> Output {
    let rules = sigma();
    let incident = incident();
    let base = [
        "detect",
        incident.as_str(),
        "--no-builtin",
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        format,
    ];
    run(&[&base[..], extra].concat())
}

#[test]
fn sigmahq_rules_find_the_intrusion_with_every_field() {
    let out = detect_sigma("jsonl", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = findings(&out);
    let import = all
        .iter()
        .find(|f| f["event_name"] == "ImportKeyPair")
        .expect("the key pair import is found");
    for field in [
        "id",
        "rule_id",
        "title",
        "severity",
        "outcome",
        "event_ids",
        "event_time",
        "principal",
        "source_ip",
        "account",
        "region",
        "resources",
        "attack",
        "story",
    ] {
        assert!(
            import.get(field).is_some(),
            "finding lacks {field}: {import}"
        );
    }
    assert_eq!(import["source_ip"], "198.51.100.77");
    assert_eq!(import["resources"]["key_names"][0], "backup-key");
    assert_eq!(
        import["principal"],
        "arn:aws:iam::111122223333:user/ci-deployer"
    );
    // The refused CreateAccessKey is a finding of its own, marked failed.
    let refused = all
        .iter()
        .find(|f| f["event_name"] == "CreateAccessKey")
        .expect("the failed attempt is kept");
    assert_eq!(refused["outcome"], "failed");
    // Severity first, then rule, then time.
    let rank = |s: &str| {
        ["critical", "high", "medium", "low", "info"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let keys: Vec<(usize, String, String)> = all
        .iter()
        .map(|f| {
            (
                rank(f["severity"].as_str().unwrap()),
                f["rule_id"].as_str().unwrap().into(),
                f["event_time"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn severity_filters_and_fail_on() {
    let out = detect_sigma("jsonl", &["--min-severity", "medium"]);
    let all = findings(&out);
    assert!(!all.is_empty());
    assert!(
        all.iter()
            .all(|f| f["severity"] != "low" && f["severity"] != "info")
    );
    let out = detect_sigma("jsonl", &["--fail-on", "medium"]);
    assert_eq!(out.status.code(), Some(1));
    let out = detect_sigma("jsonl", &["--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(0));
    let out = detect_sigma("jsonl", &["--fail-on", "severe"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn csv_and_table_outputs() {
    let out = detect_sigma("csv", &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("id,severity,rule_id,title,outcome,event_time"));
    assert!(text.lines().count() > 2);
    let out = detect_sigma("table", &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("AWS Key Pair Import Activity"));
    assert!(text.contains("user/ci-deployer ImportKeyPair (key backup-key) from 198.51.100.77"));
}

#[test]
fn a_rule_the_engine_cannot_run_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: t\nid: 5b4e4b0e-0000-4000-8000-000000000000\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|nosuchmodifier: X\n  condition: sel\nlevel: low\n",
    )
    .unwrap();
    let out = run(&[
        "detect",
        &incident(),
        "--no-builtin",
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.yml"), "{stderr}");
    assert!(stderr.contains("nosuchmodifier"), "{stderr}");
}

#[test]
fn snapshot_enriches_findings() {
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/snapshot");
    let plain = findings(&detect_sigma("jsonl", &[]));
    let out = detect_sigma("jsonl", &["--snapshot", snapshot.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let enriched = findings(&out);
    assert_eq!(plain.len(), enriched.len());
    let sg = enriched
        .iter()
        .find(|f| f["event_name"] == "AuthorizeSecurityGroupIngress")
        .unwrap();
    assert_eq!(
        sg["context"][0],
        "instances behind sg-0e5b0c0a0000000a1: i-0a1b2c3d4e5f60001 (running), i-0a1b2c3d4e5f60002 (running)"
    );
    assert!(plain.iter().all(|f| f.get("context").is_none()));
    let out = detect_sigma("jsonl", &["--snapshot", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--snapshot /nonexistent: not a folder"));
}

/// The built-in pack tells the bundled intrusion's whole story, in order.
#[test]
fn builtin_pack_tells_the_incident_story_in_order() {
    let out = run(&["detect", &incident(), "--format", "jsonl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = findings(&out);
    let story = [
        "CreateAccessKey",
        "ImportKeyPair",
        "RunInstances",
        "AuthorizeSecurityGroupIngress",
        "GetPasswordData",
        "SendSSHPublicKey",
        "ModifyInstanceMetadataOptions",
        "UploadSSHPublicKey",
        "UpdateSSHPublicKey",
        "StopLogging",
        "DeleteKeyPair",
        "TerminateInstances",
    ];
    let mut first_seen: Vec<(String, &str)> = Vec::new();
    for name in story {
        let time = all
            .iter()
            .filter(|f| {
                f["event_name"]
                    .as_str()
                    .unwrap()
                    .split(',')
                    .any(|n| n == name)
            })
            .map(|f| f["event_time"].as_str().unwrap().to_string())
            .min()
            .unwrap_or_else(|| panic!("no built-in finding for {name}"));
        first_seen.push((time, name));
    }
    let mut ordered = first_seen.clone();
    ordered.sort();
    assert_eq!(first_seen, ordered, "the story is told out of order");
    // The failed attempt is kept, a severity lower, marked failed.
    let refused = all
        .iter()
        .find(|f| f["event_name"] == "CreateAccessKey")
        .unwrap();
    assert_eq!(refused["outcome"], "failed");
    // The web role's credentials, used from the intruder's address, are found.
    assert!(
        all.iter().any(|f| f["principal"]
            .as_str()
            .is_some_and(|p| p.ends_with("/i-0a1b2c3d4e5f60001"))
            && f["source_ip"] == "198.51.100.77"
            || f["story"]
                .as_str()
                .is_some_and(|s| s.contains("198.51.100.77") && s.contains("i-0a1b2c3d4e5f60001"))),
        "instance credentials used from outside are not found"
    );
    // Nothing from the quiet days before the intrusion rates high or critical.
    assert!(all.iter().all(
        |f| f["event_time"].as_str().unwrap() >= "2024-05-04T02:00:00Z"
            || !matches!(f["severity"].as_str().unwrap(), "high" | "critical")
    ));
}
