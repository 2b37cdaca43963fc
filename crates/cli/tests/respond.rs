//! `trailhound respond` offline, over the bundled incident snapshot and trail: the summary, JSON
//! and JSONL forms, errors, and an empty journal's status.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn example(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/incident")
        .join(path)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap()
}

#[test]
fn key_summary_json_and_jsonl() {
    let snapshot = example("snapshot");
    let trail = example("trail");
    let out = run(&[
        "respond",
        "key",
        "deploy-2024",
        "--snapshot",
        &snapshot,
        "--trail",
        &trail,
        "--case",
        "t1",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["key"]["key_pairs"][0]["name"], "deploy-2024");
    let instances = v["blast_radius"]["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 3);
    // reach: the two web servers are open to the internet on SSH.
    let ssh: Vec<&Value> = instances
        .iter()
        .filter(|i| i["exposure"]["ssh_from_internet"] == true)
        .collect();
    assert_eq!(ssh.len(), 2);
    assert!(!v["timeline"].as_array().unwrap().is_empty());
    let steps = v["plan"]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["id"], "record-state:us-east-1");
    assert_eq!(steps.last().unwrap()["phase"], "host");
    assert!(
        steps
            .iter()
            .any(|s| s["id"] == "delete-key-pair:us-east-1/deploy-2024")
    );
    // No key material in any form.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("PRIVATE KEY"));

    let out = run(&[
        "respond",
        "key",
        "deploy-2024",
        "--snapshot",
        &snapshot,
        "--case",
        "t1",
        "--format",
        "jsonl",
    ]);
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["record"], "key");
    assert_eq!(
        lines.iter().filter(|l| l["record"] == "instance").count(),
        3
    );
    assert_eq!(
        lines.iter().filter(|l| l["record"] == "step").count(),
        steps.len()
    );

    let out = run(&[
        "respond",
        "key",
        "deploy-2024",
        "--snapshot",
        &snapshot,
        "--case",
        "t1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("BLAST RADIUS: 3 instance(s)"), "{text}");
    assert!(text.contains("CONTAINMENT PLAN (case t1)"));
}

#[test]
fn instance_and_errors() {
    let snapshot = example("snapshot");
    let out = run(&[
        "respond",
        "instance",
        "i-0a1b2c3d4e5f60003",
        "--snapshot",
        &snapshot,
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("key").is_none());
    let steps = v["plan"]["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .all(|s| s["action"]["type"] != "delete-key-pair")
    );

    let out = run(&["respond", "key", "no-such-key", "--snapshot", &snapshot]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-key"));
    let out = run(&[
        "respond",
        "instance",
        "i-0000000000000000f",
        "--snapshot",
        &snapshot,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("i-0000000000000000f"));

    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let j = journal.to_str().unwrap();
    let out = run(&["respond", "status", "--journal", j]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no runs"));
    let out = run(&["respond", "status", "nope", "--journal", j]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run nope"));
}
