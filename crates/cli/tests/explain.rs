//! `trailhound explain` end to end: one event as text, Markdown and JSON; the list; findings from a
//! real `detect` run with their values filled in; typos and bad input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    run_with_stdin(args, "")
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn incident() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/incident/trail")
        .to_string_lossy()
        .into_owned()
}

/// `detect --format jsonl` over the bundled incident.
fn incident_findings() -> String {
    let out = run(&["detect", &incident(), "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().count() >= 5, "the incident has findings");
    text
}

#[test]
fn text_is_wrapped_to_the_width_and_keeps_commands_whole() {
    let out = run(&["explain", "createkeypair", "--width", "60"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("CreateKeyPair  (ec2, ec2.amazonaws.com, severity low)\n"));
    for section in [
        "What it means",
        "When it is routine",
        "Risks",
        "Investigate",
        "Remediation",
        "Prevention",
    ] {
        assert!(
            text.contains(&format!("\n{section}\n")),
            "section {section}"
        );
    }
    let mut in_code = false;
    for line in text.lines() {
        // The boto3 snippet and policies are code: indented 4+ and never wrapped.
        if line == "  boto3" || line == "  Service control policy" {
            in_code = true;
        } else if !line.starts_with("    ") && !line.is_empty() {
            in_code = false;
        }
        let command = line.trim_start().starts_with("$ ");
        if !in_code && !command {
            assert!(line.chars().count() <= 60, "wrapped past 60: {line:?}");
        }
    }
    assert!(text.contains(
        "    $ aws ec2 describe-instances --filters Name=key-name,Values={key_name} --region {region}\n"
    ));
}

#[test]
fn markdown_and_json() {
    let out = run(&["explain", "StopLogging", "--format", "md"]);
    assert_eq!(out.status.code(), Some(0));
    let md = stdout(&out);
    assert!(md.starts_with("# StopLogging\n"));
    assert!(md.contains("## Remediation\n\n### Console\n\n1. "));
    assert!(
        md.contains("```sh\naws cloudtrail start-logging --name {trail_name} --region {region}\n")
    );
    assert!(md.contains("[T1562.008](https://attack.mitre.org/techniques/T1562/008/)"));

    let out = run(&["explain", "StopLogging", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let entry: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entry["event"], "StopLogging");
    assert_eq!(entry["severity"], "critical");
    assert!(!entry["remediation"]["cli"].as_array().unwrap().is_empty());
    assert!(
        entry["prevention"]["scp"]
            .as_str()
            .unwrap()
            .contains("cloudtrail:StopLogging")
    );
}

#[test]
fn typos_get_suggestions_and_exit_2() {
    let out = run(&["explain", "CreatKeyPair"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("no entry for \"CreatKeyPair\"; did you mean CreateKeyPair"),
        "{}",
        stderr(&out)
    );
    let out = run(&["explain", "Qqqqqqqqqqqqqqqq"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("trailhound explain --list"));
    // An event is required unless --list or --finding is given.
    assert_eq!(run(&["explain"]).status.code(), Some(2));
}

#[test]
fn list_with_service_filter() {
    let out = run(&["explain", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("EVENT "));
    let create = text
        .lines()
        .find(|l| l.starts_with("CreateKeyPair "))
        .expect("CreateKeyPair listed");
    let columns: Vec<&str> = create.split_whitespace().take(3).collect();
    assert_eq!(columns, ["CreateKeyPair", "ec2", "low"]);
    assert!(text.lines().any(|l| l.starts_with("UploadSSHPublicKey ")));

    let out = run(&["explain", "--list", "--service", "iam", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rows.iter().any(|r| r["event"] == "UploadSSHPublicKey"));
    assert!(rows.iter().all(|r| r["service"] == "iam"), "{rows:?}");

    let out = run(&["explain", "--list", "--format", "md"]);
    assert!(
        stdout(&out).starts_with("| Event | Service | Severity | Summary |\n|---|---|---|---|\n")
    );

    let out = run(&["explain", "--list", "--service", "s3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown service \"s3\""));
}

#[test]
fn findings_from_detect_are_explained_with_their_values() {
    let findings = incident_findings();
    let count = findings.lines().count();
    let out = run_with_stdin(
        &[
            "explain",
            "--finding",
            "-",
            "--trail",
            "logs/",
            "--width",
            "100",
        ],
        &findings,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.matches("\nFinding TH-").count() + usize::from(text.starts_with("Finding TH-")),
        count
    );
    // The SSH key upload names the user and the key: the remediation acts on exactly them.
    assert!(text.contains(
        "$ aws iam update-ssh-public-key --user-name bob --ssh-public-key-id APKAATTACKER00000001 --status Inactive"
    ), "{text}");
    assert!(text.contains("UserName=\"bob\", SSHPublicKeyId=\"APKAATTACKER00000001\""));
    // StopLogging: the trail's name from the finding, {trail} from --trail.
    assert!(
        text.contains("$ aws cloudtrail start-logging --name org-audit-trail --region us-east-1")
    );
    assert!(text.contains(
        "$ trailhound events logs/ --principal 'arn:aws:iam::111122223333:user/ci-deployer'"
    ));

    let out = run_with_stdin(
        &["explain", "--finding", "-", "--format", "json"],
        &findings,
    );
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), count);
    for row in &rows {
        assert_eq!(row["finding"]["kb"], row["entry"]["event"]);
        assert_eq!(row["values"]["account"][0], "111122223333");
    }

    let out = run_with_stdin(&["explain", "--finding", "-", "--format", "md"], &findings);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).matches("> **Finding** `TH-").count(), count);
}

#[test]
fn several_values_make_one_command_each_and_missing_ones_stay_visible() {
    let finding = serde_json::json!({
        "id": "TH-0000000000000001", "rule_id": "test", "severity": "high", "kb": "CreateKeyPair",
        "event_name": "CreateKeyPair", "event_time": "2024-05-04T02:00:00Z",
        "account": "111122223333", "region": "eu-west-1",
        "resources": {"key_names": ["key-a", "key-b"]},
    });
    let out = run_with_stdin(&["explain", "--finding", "-"], &format!("{finding}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for key in ["key-a", "key-b"] {
        assert!(
            text.contains(&format!(
                "$ aws ec2 delete-key-pair --key-name {key} --region eu-west-1\n"
            )),
            "{text}"
        );
    }
    // Prose lists both; the investigation's {trail} has no value and stays as is.
    assert!(text.contains("find key-a, key-b,"));
    assert!(text.contains("$ trailhound events {trail} "));
    assert!(
        text.contains("Not in the finding: {principal} {trail}"),
        "{text}"
    );
}

#[test]
fn bad_lines_are_named_and_the_rest_explained() {
    let findings = incident_findings();
    let mut lines: Vec<&str> = findings.lines().collect();
    let good = lines.len();
    lines.insert(1, "{not json");
    lines.insert(3, "[1, 2]");
    lines.push(r#"{"id": "TH-x", "kb": "CreatKeyPair"}"#);
    lines.push(r#"{"id": "TH-y", "rule_id": "sigma-rule", "kb": null}"#);
    let input = lines.join("\n");
    let out = run_with_stdin(&["explain", "--finding", "-"], &input);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("error: stdin:2: not a finding (invalid JSON"),
        "{err}"
    );
    assert!(
        err.contains("error: stdin:4: not a finding (expected a JSON object"),
        "{err}"
    );
    assert!(err.contains(&format!("error: stdin:{}: finding TH-x: the knowledge base has no entry for \"CreatKeyPair\"; did you mean CreateKeyPair", good + 3)), "{err}");
    assert!(
        err.contains("finding TH-y (sigma-rule) names no KB entry"),
        "{err}"
    );
    assert!(err.contains("3 line(s) of stdin skipped"), "{err}");
    assert_eq!(stdout(&out).matches("Finding TH-").count(), good);

    let out = run(&["explain", "--finding", "/nonexistent/findings.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot open findings file /nonexistent/findings.jsonl"));
}

#[test]
fn gen_docs_check_passes_on_the_committed_docs_and_fails_on_a_stale_page() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let out = run(&["gen-docs", "--check", "--out", docs.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "docs/ is stale; run `trailhound gen-docs`:\n{}",
        stderr(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let out = run(&["gen-docs", "--out", out_dir]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("rules/README.md").is_file());
    assert!(dir.path().join("kb/README.md").is_file());
    let page = dir.path().join("kb/ec2/CreateKeyPair.md");
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(text.contains("[ec2-keypair-created](../../rules/ec2-keypair-created.md)"));
    let rule = std::fs::read_to_string(dir.path().join("rules/ec2-keypair-created.md")).unwrap();
    assert!(rule.contains("[CreateKeyPair](../kb/ec2/CreateKeyPair.md)"));
    assert!(rule.contains("| key pair created | match | CreateKeyPair |"));
    assert_eq!(
        run(&["gen-docs", "--check", "--out", out_dir])
            .status
            .code(),
        Some(0)
    );

    std::fs::write(&page, "edited by hand\n").unwrap();
    std::fs::write(dir.path().join("kb/ec2/Gone.md"), "old\n").unwrap();
    std::fs::remove_file(dir.path().join("rules/README.md")).unwrap();
    let out = run(&["gen-docs", "--check", "--out", out_dir]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("stale: ") && err.contains("CreateKeyPair.md"),
        "{err}"
    );
    assert!(
        err.contains("left over: ") && err.contains("Gone.md"),
        "{err}"
    );
    assert!(
        err.contains("missing: ") && err.contains("rules/README.md"),
        "{err}"
    );

    // Writing again repairs all three.
    assert_eq!(run(&["gen-docs", "--out", out_dir]).status.code(), Some(0));
    assert_eq!(
        run(&["gen-docs", "--check", "--out", out_dir])
            .status
            .code(),
        Some(0)
    );
    assert!(!dir.path().join("kb/ec2/Gone.md").exists());
}
