//! How one entry reads: terminal text at 80 columns and Markdown, as snapshots, plus the same
//! entry with a finding's values filled in.

use kb::placeholder::Values;
use kb::render;

fn entry() -> &'static kb::Entry {
    kb::get("CreateKeyPair").expect("the example entry exists")
}

#[test]
fn text_at_80_columns() {
    insta::assert_snapshot!(render::text(entry(), 80));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render::markdown(entry(), None));
}

#[test]
fn filled_for_a_finding() {
    let values: Values = [
        ("key_name", vec!["backup-key", "ops-key"]),
        ("region", vec!["eu-west-1"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    let filled = entry().filled(&values);
    assert_eq!(
        filled.remediation.cli,
        [
            "aws ec2 describe-key-pairs --key-names backup-key --include-public-key --region eu-west-1",
            "aws ec2 describe-key-pairs --key-names ops-key --include-public-key --region eu-west-1",
            "aws ec2 describe-instances --filters Name=key-name,Values=backup-key --region eu-west-1",
            "aws ec2 describe-instances --filters Name=key-name,Values=ops-key --region eu-west-1",
            "aws ec2 delete-key-pair --key-name backup-key --region eu-west-1",
            "aws ec2 delete-key-pair --key-name ops-key --region eu-west-1",
        ]
    );
    // One snippet per key, each complete.
    assert_eq!(filled.remediation.boto3.matches("import boto3").count(), 2);
    assert!(filled.remediation.console[0].contains("find backup-key, ops-key,"));
    // {principal} and {trail} have no value: left for the reader to fill.
    assert!(filled.investigate.commands[0].contains("'{principal}'"));
    assert!(!render::text(&filled, 80).contains("{key_name}"));
}
