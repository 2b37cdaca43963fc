//! A hand-computed expectation table for the 57 SigmaHQ CloudTrail rules (in place of a
//! differential test against `rsigma`: rsigma-eval 0.23 pulls tree-sitter, chrono, pest and 49
//! more crates, one of them needing rustc 1.97, too heavy for this workspace).
//! Each row is an event and exactly the rule titles that must fire on it, worked out by hand
//! from the rules' YAML.

use std::path::Path;

use rules::RulesetBuilder;
use serde_json::{Value, json};

const RULES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/sigma/rules"
);

fn user(arn: &str) -> Value {
    json!({"type": "IAMUser", "arn": arn, "userName": arn.rsplit('/').next().unwrap()})
}

fn role() -> Value {
    json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/ops/alice",
           "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "ops"}}})
}

fn instance_role() -> Value {
    json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc",
           "sessionContext": {"sessionIssuer": {"type": "Role"}}})
}

#[test]
fn hand_computed_expectations() {
    let rs = RulesetBuilder::default()
        .with_dir(Path::new(RULES))
        .build()
        .expect("57 rules load")
        .ruleset;
    let alice = user("arn:aws:iam::111122223333:user/alice");
    let table: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "import key pair by an IAM user",
            json!({"eventSource": "ec2.amazonaws.com", "eventName": "ImportKeyPair", "userIdentity": alice}),
            vec!["AWS Key Pair Import Activity"],
        ),
        (
            "import key pair, event name in another case still matches",
            json!({"eventSource": "EC2.amazonaws.com", "eventName": "importkeypair", "userIdentity": alice}),
            vec!["AWS Key Pair Import Activity"],
        ),
        (
            "create key pair matches none",
            json!({"eventSource": "ec2.amazonaws.com", "eventName": "CreateKeyPair", "userIdentity": alice}),
            vec![],
        ),
        (
            "any call by an assumed role is 'AssumeRole Misuse'",
            json!({"eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "userIdentity": role()}),
            vec!["AWS STS AssumeRole Misuse"],
        ),
        (
            "instance credentials outside SSM: IMDS rule plus AssumeRole misuse",
            json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "sourceIPAddress": "203.0.113.9", "userIdentity": instance_role()}),
            vec![
                "AWS STS AssumeRole Misuse",
                "Malicious Usage Of IMDS Credentials Outside Of AWS Infrastructure",
            ],
        ),
        (
            "instance credentials from AWS Internal are filtered out of the IMDS rule",
            json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "sourceIPAddress": "AWS Internal", "userIdentity": instance_role()}),
            vec!["AWS STS AssumeRole Misuse"],
        ),
        (
            "ListBuckets by a user; by a role it is filtered",
            json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "userIdentity": alice}),
            vec!["Potential Bucket Enumeration on AWS"],
        ),
        (
            "ListBuckets by a role",
            json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "userIdentity": role()}),
            vec!["AWS STS AssumeRole Misuse"],
        ),
        (
            "root console login without MFA",
            json!({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn",
                "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
                "additionalEventData": {"MFAUsed": "No"}, "responseElements": {"ConsoleLogin": "Success"}}),
            vec![
                "AWS Root Credentials",
                "AWS Successful Console Login Without MFA",
            ],
        ),
        (
            "root service event is excluded",
            json!({"eventSource": "signin.amazonaws.com", "eventName": "Something", "eventType": "AwsServiceEvent",
                "userIdentity": {"type": "Root"}}),
            vec![],
        ),
        (
            "console login with MFA",
            json!({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "userIdentity": alice,
                "additionalEventData": {"MFAUsed": "Yes"}, "responseElements": {"ConsoleLogin": "Success"}}),
            vec![],
        ),
        (
            "user-data change",
            json!({"eventSource": "ec2.amazonaws.com", "eventName": "ModifyInstanceAttribute", "userIdentity": alice,
                "requestParameters": {"instanceId": "i-1", "attribute": "userData"}}),
            vec!["AWS EC2 Startup Shell Script Change"],
        ),
        (
            "other instance attribute",
            json!({"eventSource": "ec2.amazonaws.com", "eventName": "ModifyInstanceAttribute", "userIdentity": alice,
                "requestParameters": {"instanceId": "i-1", "attribute": "instanceType"}}),
            vec![],
        ),
        (
            "flow logs deleted without an error code",
            json!({"eventSource": "ec2.amazonaws.com", "eventName": "DeleteFlowLogs", "userIdentity": alice}),
            vec!["AWS VPC Flow Logs Deleted"],
        ),
        (
            "flow logs deletion that failed",
            json!({"eventSource": "ec2.amazonaws.com", "eventName": "DeleteFlowLogs", "errorCode": "AccessDenied", "userIdentity": alice}),
            vec![],
        ),
        (
            "StopLogging",
            json!({"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "userIdentity": alice}),
            vec!["AWS CloudTrail Important Change"],
        ),
        (
            "TruffleHog user agent: exact match for one rule, contains for the STS one",
            json!({"eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "userAgent": "TruffleHog", "userIdentity": alice}),
            vec![
                "AWS STS GetCallerIdentity Enumeration Via TruffleHog",
                "PUA - AWS TruffleHog Execution",
            ],
        ),
        (
            "TruffleHog with a version: only the contains rule",
            json!({"eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "userAgent": "TruffleHog/3.0", "userIdentity": alice}),
            vec!["AWS STS GetCallerIdentity Enumeration Via TruffleHog"],
        ),
        (
            "UpdateLoginProfile on another user",
            json!({"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile", "userIdentity": alice,
                "requestParameters": {"userName": "bob"}}),
            vec!["AWS User Login Profile Was Modified"],
        ),
        (
            "UpdateLoginProfile where the arn equals the target field (fieldref filter)",
            json!({"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile",
                "userIdentity": {"type": "IAMUser", "arn": "bob"}, "requestParameters": {"userName": "bob"}}),
            vec![],
        ),
        (
            "CreateAccessKey: the rule's filter is the literal text 'responseElements.accessKey.userName'",
            json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "userIdentity": alice,
                "responseElements": {"accessKey": {"userName": "bob"}}}),
            vec!["AWS IAM Backdoor Users Keys"],
        ),
        (
            "GetSigninToken from the console user agent is filtered",
            json!({"eventSource": "signin.amazonaws.com", "eventName": "GetSigninToken", "userIdentity": alice,
                "userAgent": "Jersey/${project.version}"}),
            vec![],
        ),
        (
            "GetSigninToken from elsewhere",
            json!({"eventSource": "signin.amazonaws.com", "eventName": "GetSigninToken", "userIdentity": alice, "userAgent": "python"}),
            vec!["AWS Console GetSigninToken Potential Abuse"],
        ),
    ];
    let mut wrong = Vec::new();
    for (what, event, expected) in &table {
        let mut got: Vec<&str> = rs
            .matches(event)
            .iter()
            .map(|m| rs.rules()[m.rule].title.as_str())
            .collect();
        got.sort_unstable();
        let mut want = expected.clone();
        want.sort_unstable();
        if got != want {
            wrong.push(format!("{what}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
