//! scripts/kb_check.py: every entry's aws CLI commands, boto3 snippets and policies against
//! botocore's service models. Needs the Python test bed (`bash scripts/testbed.sh` prints its
//! python; scripts/test.sh exports it as TRAILHOUND_TESTBED_PYTHON).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test bed's python, or None (the test is skipped) unless CI or
/// TRAILHOUND_REQUIRE_TESTBED=1 demand it, where a missing test bed fails the test.
fn testbed_python() -> Option<PathBuf> {
    match std::env::var_os("TRAILHOUND_TESTBED_PYTHON") {
        Some(python) if !python.is_empty() => Some(PathBuf::from(python)),
        _ => {
            let required = ["CI", "TRAILHOUND_REQUIRE_TESTBED"].iter().any(|var| {
                std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
            });
            assert!(
                !required,
                "TRAILHOUND_TESTBED_PYTHON is unset: run `export TRAILHOUND_TESTBED_PYTHON=$(bash scripts/testbed.sh)`"
            );
            eprintln!(
                "skipped: TRAILHOUND_TESTBED_PYTHON is unset (export TRAILHOUND_TESTBED_PYTHON=$(bash scripts/testbed.sh))"
            );
            None
        }
    }
}

fn check(python: &Path, args: &[&str]) -> Output {
    Command::new(python)
        .arg(repo().join("scripts/kb_check.py"))
        .args(args)
        .output()
        .expect("run scripts/kb_check.py")
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_entry_passes_the_checker() {
    let Some(python) = testbed_python() else {
        return;
    };
    let out = check(&python, &[]);
    let problems = lines(&out.stdout);
    assert!(
        out.status.success() && problems.is_empty(),
        "kb_check found {} problem(s):\n{}\n{}",
        problems.len(),
        problems.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains(&format!("{} entries", kb::entries().len())),
        "the checker saw every embedded entry: {summary}"
    );
}

#[test]
fn the_checker_and_the_loader_know_the_same_placeholders() {
    let Some(python) = testbed_python() else {
        return;
    };
    let out = check(&python, &["--list-placeholders"]);
    assert!(out.status.success());
    let listed = lines(&out.stdout);
    let known: Vec<String> = kb::placeholder::PLACEHOLDERS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(listed, known);
}

/// A valid entry (it passes the checker), then copies of it each broken in one way.
const VALID: &str = r#"
event = "CreateKeyPair"
service = "ec2"
event_source = "ec2.amazonaws.com"
severity = "low"
summary = "A key pair was created."
meaning = "EC2 made a key pair."
routine = "Provisioning."
risks = ["An intruder keeps access.", "The private key leaks."]
attack = ["T1098.004"]
related_events = ["CreateKeyPair"]
rules = ["ec2-keypair-created"]

[investigate]
steps = ["Look at who did it."]

[remediation]
console = ["EC2 console → Key Pairs."]
cli = [
  "aws ec2 describe-instances --filters Name=key-name,Values={key_name} --region {region} --query 'Reservations[].Instances[].InstanceId'",
  "aws ec2 modify-instance-attribute --instance-id {instance_id} --disable-api-termination",
  "aws ec2 stop-instances --instance-ids {instance_id} --dry-run --region {region}",
  "aws ec2 create-network-acl-entry --network-acl-id {network_acl_id} --ingress --rule-number 1 --protocol -1 --cidr-block {source_ip}/32 --rule-action deny",
  "aws autoscaling suspend-processes --auto-scaling-group-name {asg_name} --scaling-processes Launch Terminate",
  "aws iam put-role-policy --role-name {role_name} --policy-name deny-old --policy-document '{\"Version\": \"2012-10-17\", \"Statement\": []}'",
]
boto3 = '''
import boto3

ec2 = boto3.client("ec2", region_name="{region}")
for page in ec2.get_paginator("describe_instances").paginate(
    Filters=[{"Name": "key-name", "Values": ["{key_name}"]}]
):
    print(page["Reservations"])
try:
    ec2.delete_key_pair(KeyName="{key_name}")
except ec2.exceptions.ClientError as err:
    print(err)
'''

[prevention]
scp = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["ec2:CreateKeyPair", "ec2:Describe*", "iam:PassRole"], "Resource": "*"}]}'''
"#;

/// (file name, the broken text, what the checker must say about it).
fn broken_entries() -> Vec<(&'static str, String, &'static str)> {
    let as_event =
        |event: &str| VALID.replace("event = \"CreateKeyPair\"", &format!("event = \"{event}\""));
    vec![
        (
            "MadeUpOption",
            as_event("MadeUpOption")
                .replace("--disable-api-termination", "--disable-api-terminator"),
            "--disable-api-terminator is not an option of aws ec2 modify-instance-attribute (did you mean --disable-api-termination",
        ),
        (
            "MissingRequired",
            as_event("MissingRequired").replace("--role-name {role_name} ", ""),
            "aws iam put-role-policy requires --role-name",
        ),
        (
            "MissingBooleanPair",
            as_event("MissingBooleanPair").replace("--ingress ", ""),
            "aws ec2 create-network-acl-entry requires --egress",
        ),
        (
            "NoSuchCommand",
            as_event("NoSuchCommand").replace("aws ec2 stop-instances", "aws ec2 stop-instance"),
            "aws ec2 has no command 'stop-instance' (did you mean stop-instances",
        ),
        (
            "NoSuchMethod",
            as_event("NoSuchMethod").replace("ec2.delete_key_pair(", "ec2.remove_key_pair("),
            "ec2 client has no method remove_key_pair()",
        ),
        (
            "NoSuchParameter",
            as_event("NoSuchParameter").replace("KeyName=\"{key_name}\"", "Name=\"{key_name}\""),
            "DeleteKeyPair has no parameter Name",
        ),
        (
            "NoSuchPaginator",
            as_event("NoSuchPaginator").replace("\"describe_instances\"", "\"describe_instance\""),
            "ec2 has no paginator 'describe_instance'",
        ),
        (
            "NotPython",
            as_event("NotPython").replace("print(err)", "print(err"),
            "remediation.boto3: does not compile",
        ),
        (
            "BadAttack",
            as_event("BadAttack").replace("\"T1098.004\"", "\"T1098.4\""),
            "attack: 'T1098.4' is not an ATT&CK technique id",
        ),
        (
            "UnknownAction",
            as_event("UnknownAction").replace("ec2:CreateKeyPair", "ec2:CreateKeyPairs"),
            "action ec2:CreateKeyPairs is not a ec2 action (did you mean ec2:CreateKeyPair",
        ),
        (
            "WildcardMatchesNothing",
            as_event("WildcardMatchesNothing").replace("ec2:Describe*", "ec2:Descrybe*"),
            "action ec2:Descrybe* matches no ec2 action",
        ),
        (
            "PolicyNotJson",
            as_event("PolicyNotJson").replace("\"Resource\": \"*\"}]}", "\"Resource\": \"*\"}]"),
            "prevention.scp: not JSON",
        ),
        (
            "UnknownRelated",
            as_event("UnknownRelated").replace(
                "related_events = [\"CreateKeyPair\"]",
                "related_events = [\"CreateKeyPairr\"]",
            ),
            "related_events: 'CreateKeyPairr' has no KB entry (did you mean CreateKeyPair",
        ),
        (
            "UnknownRule",
            as_event("UnknownRule").replace("\"ec2-keypair-created\"", "\"ec2-keypair-made\""),
            "rules: 'ec2-keypair-made' is not a rule of the built-in pack",
        ),
        (
            "UnknownPlaceholder",
            as_event("UnknownPlaceholder")
                .replace("--instance-id {instance_id}", "--instance-id {instance}"),
            "unknown placeholder {instance}",
        ),
        (
            "BadShorthand",
            as_event("BadShorthand").replace(
                "Name=key-name,Values={key_name}",
                "Name=key-name,Values=[{key_name}",
            ),
            "the aws CLI rejects it",
        ),
        (
            "Piped",
            as_event("Piped").replace(
                "--dry-run --region {region}",
                "--region {region} | tee out.txt",
            ),
            "one aws command per string",
        ),
        (
            "TooFewRisks",
            as_event("TooFewRisks").replace(", \"The private key leaks.\"", ""),
            "risks: give at least 2 concrete risks",
        ),
        (
            "NoCli",
            {
                let text = as_event("NoCli");
                let start = text.find("cli = [\n").unwrap();
                let end = text.find("boto3 = ").unwrap();
                format!("{}cli = []\n{}", &text[..start], &text[end..])
            },
            "remediation.cli: give at least one aws CLI command",
        ),
    ]
}

#[test]
fn the_checker_catches_each_broken_entry() {
    let Some(python) = testbed_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ec2 = dir.path().join("ec2");
    std::fs::create_dir(&ec2).unwrap();
    std::fs::write(ec2.join("CreateKeyPair.toml"), VALID).unwrap();

    // The valid entry alone passes: what the broken ones report is theirs.
    let entries = dir.path().to_str().unwrap();
    let out = check(&python, &["--entries", entries, "--no-pack-coverage"]);
    assert!(
        out.status.success(),
        "the valid entry fails: {}",
        String::from_utf8_lossy(&out.stdout)
    );

    let cases = broken_entries();
    for (name, text, _) in &cases {
        std::fs::write(ec2.join(format!("{name}.toml")), text).unwrap();
    }
    let out = check(&python, &["--entries", entries, "--no-pack-coverage"]);
    assert_eq!(out.status.code(), Some(1));
    let problems = lines(&out.stdout);
    let mut missed = Vec::new();
    for (name, _, expected) in &cases {
        let file = format!("{name}.toml:");
        if !problems
            .iter()
            .any(|p| p.contains(&file) && p.contains(expected))
        {
            missed.push(format!("{name}: expected {expected:?}"));
        }
    }
    assert!(
        missed.is_empty(),
        "not caught:\n{}\n\nthe checker said:\n{}",
        missed.join("\n"),
        problems.join("\n")
    );
    assert!(
        !problems.iter().any(|p| p.contains("CreateKeyPair.toml:")),
        "the valid entry stays clean: {problems:#?}"
    );
}
