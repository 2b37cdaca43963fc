//! `trailhound events` end to end, on the bundled incident and on broken input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
}

fn incident() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/trail")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn jsonl_is_sorted_by_time_then_id_and_complete() {
    let out = run(&["events", incident().to_str().unwrap(), "--format", "jsonl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 383);
    let keys: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["eventTime"].as_str().unwrap().to_string(),
                v["eventID"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("354 files, 383 records (0 duplicates dropped), 383 matched"),
        "{stderr}"
    );
}

#[test]
fn filters_narrow_to_the_intrusion() {
    let path = incident();
    let out = run(&[
        "events",
        path.to_str().unwrap(),
        "--format",
        "csv",
        "--source-ip",
        "198.51.100.0/24",
        "--event-name",
        "*KeyPair*",
        "--event-name",
        "RunInstances",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let lines = stdout_lines(&out);
    assert_eq!(
        lines[0],
        "time,account,region,principal,source_ip,event,error,parameter,event_id"
    );
    let events: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(5).unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "DescribeKeyPairs",
            "ImportKeyPair",
            "RunInstances",
            "DeleteKeyPair"
        ]
    );
    assert!(lines[2].contains("keyName=backup-key"));

    let out = run(&[
        "events",
        path.to_str().unwrap(),
        "--errors-only",
        "--format",
        "jsonl",
    ]);
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains("\"errorCode\":\"AccessDenied\""));

    let out = run(&[
        "events",
        path.to_str().unwrap(),
        "--principal",
        "arn:aws:sts::*:assumed-role/web-app-role/*",
        "--since",
        "2024-05-04T02:00:00Z",
        "--until",
        "2024-05-04T03:00:00Z",
        "--count-by",
        "sourceIPAddress",
        "--format",
        "jsonl",
    ]);
    let lines = stdout_lines(&out);
    assert_eq!(
        lines,
        [
            r#"{"count":3,"field":"sourceIPAddress","value":"198.51.100.77"}"#,
            r#"{"count":1,"field":"sourceIPAddress","value":"3.85.10.21"}"#
        ]
    );
}

#[test]
fn count_by_nested_field_in_a_table() {
    let out = run(&[
        "events",
        incident().to_str().unwrap(),
        "--count-by",
        "requestParameters.keyName",
        "--format",
        "table",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap().trim(),
        "COUNT  requestParameters.keyName"
    );
    assert_eq!(lines.next().unwrap().trim(), "381  (missing)");
    assert_eq!(lines.next().unwrap().trim(), "2  backup-key");
}

#[test]
fn stdin_and_gzip_by_content() {
    let file =
        std::fs::read_dir(incident().join("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/04"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| !std::fs::read(p).unwrap().is_empty())
            .unwrap();
    let mut child = bin()
        .args(["events", "-", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&file).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!stdout_lines(&out).is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 files"));
}

#[test]
fn bad_input_is_named_counted_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"Records":[{"eventTime":"2024-05-01T00:00:00Z","eventName":"RunInstances","eventID":"e1"}]}"#;
    std::fs::write(dir.path().join("good.json"), good).unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"eventTime\":\"2024-05-01T00:00:00Z\",\"eventName\":\"X\"\n",
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(good.replace("e1", "e2").as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(dir.path().join("cut.json.gz"), &gz[..gz.len() - 12]).unwrap();
    let out = run(&["events", dir.path().to_str().unwrap(), "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.json: line 1: invalid JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("cut.json.gz"), "{stderr}");
    assert!(stderr.contains("SKIPPED input"), "{stderr}");
    let lines = stdout_lines(&out);
    assert!(lines.iter().any(|l| l.contains("\"e1\"")));

    let out = run(&["events", dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope: cannot read"));
}

#[test]
fn bad_filters_are_usage_errors_that_say_what_to_do() {
    let out = run(&[
        "events",
        incident().to_str().unwrap(),
        "--since",
        "last tuesday",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("relative age like 7d"));
}

#[test]
fn completions_are_printed() {
    let out = run(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trailhound"));
}
