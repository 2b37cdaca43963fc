//! The loader: the embedded entries load, and broken files are rejected naming the file.

use kb::{Entry, Kb};

/// A complete, valid entry to break one field at a time.
const GOOD: &str = r#"
event = "CreateKeyPair"
service = "ec2"
event_source = "ec2.amazonaws.com"
severity = "low"
summary = "A key pair was created."
meaning = "EC2 made a key pair."
routine = "Provisioning."
risks = ["An intruder keeps access with {key_name}.", "The private key leaks from CI logs."]
attack = ["T1098.004"]
related_events = []
rules = []

[investigate]
fields = ["requestParameters.keyName"]
steps = ["Look at who did it."]
commands = ["trailhound events {trail} --event-name RunInstances"]

[remediation]
console = ["EC2 console → Key Pairs."]
cli = ["aws ec2 delete-key-pair --key-name {key_name} --region {region}"]
boto3 = '''
import boto3
ec2 = boto3.client("ec2", region_name="{region}")
ec2.delete_key_pair(KeyName="{key_name}")
'''
"#;

const PATH: &str = "entries/ec2/CreateKeyPair.toml";

fn errors_of(path: &str, text: &str) -> Vec<String> {
    match Entry::parse(path, text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn assert_rejected(text: &str, needle: &str) {
    let errors = errors_of(PATH, text);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(PATH) && e.contains(needle)),
        "expected an error containing {needle:?} naming {PATH}, got {errors:#?}"
    );
}

#[test]
fn a_good_entry_loads() {
    let entry = Entry::parse(PATH, GOOD).expect("valid");
    assert_eq!(entry.event, "CreateKeyPair");
    assert_eq!(entry.severity, kb::Severity::Low);
    assert_eq!(entry.file, PATH);
    assert!(entry.prevention.is_none());
}

#[test]
fn unknown_fields_are_rejected_at_every_level() {
    assert_rejected(
        &GOOD.replace("severity = \"low\"", "severity = \"low\"\nseverty = \"x\""),
        "unknown field `severty`",
    );
    assert_rejected(
        &GOOD.replace("[investigate]", "[investigate]\nquery = 'x'"),
        "unknown field `query`",
    );
    assert_rejected(
        &format!("{GOOD}\n[prevention]\nscps = \"{{}}\"\n"),
        "unknown field `scps`",
    );
}

#[test]
fn unknown_placeholders_are_rejected_with_a_suggestion() {
    assert_rejected(
        &GOOD.replace("--key-name {key_name}", "--key-name {keyname}"),
        "unknown placeholder {keyname} (did you mean {key_name}?)",
    );
    assert_rejected(
        &GOOD.replace("Look at who did it.", "Look at {instance}."),
        "investigate.steps: unknown placeholder {instance}",
    );
}

#[test]
fn bad_toml_names_its_file() {
    let errors = errors_of(PATH, "event = \"CreateKeyPair\nservice = ");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with(PATH), "{errors:?}");
    assert!(errors[0].contains("invalid entry"), "{errors:?}");
}

#[test]
fn format_rules_are_enforced() {
    assert_rejected(
        &GOOD.replace("\"T1098.004\"", "\"T1098.4\""),
        "attack id \"T1098.4\" is malformed",
    );
    assert_rejected(
        &GOOD.replace(", \"The private key leaks from CI logs.\"", ""),
        "give at least 2 concrete risks",
    );
    assert_rejected(
        &GOOD.replace("severity = \"low\"", "severity = \"severe\""),
        "unknown variant `severe`",
    );
    assert_rejected(
        &GOOD.replace("service = \"ec2\"", "service = \"iam\""),
        "does not match the folder ec2/",
    );
    assert_rejected(
        &GOOD.replace("event = \"CreateKeyPair\"", "event = \"ImportKeyPair\""),
        "does not match the file name CreateKeyPair.toml",
    );
    assert_rejected(
        &GOOD.replace("cli = [\"aws ec2", "cli = [\"ec2"),
        "one `aws ...` command per string",
    );
    assert_rejected(
        &GOOD.replace("A key pair was created.", &"x".repeat(101)),
        "summary must be one line",
    );
}

#[test]
fn a_broken_file_does_not_hide_the_others() {
    let other = GOOD.replace("CreateKeyPair", "DeleteKeyPair").replace(
        "related_events = []",
        "related_events = [\"CreateKeyPair\", \"Nope\"]",
    );
    let kb = Kb::load([
        ("entries/ec2/DeleteKeyPair.toml", other.as_str()),
        ("entries/ec2/Broken.toml", "event = "),
        (PATH, GOOD),
        (
            "entries/ec2/createkeypair.toml",
            &GOOD.replace("CreateKeyPair", "createkeypair"),
        ),
    ]);
    let events: Vec<&str> = kb.entries().iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["CreateKeyPair", "DeleteKeyPair"]);
    let errors: Vec<String> = kb.errors().iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].starts_with("entries/ec2/Broken.toml: invalid entry"));
    assert!(errors[1].contains("a second entry for createkeypair"));
    let problems: Vec<String> = kb.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        ["entries/ec2/DeleteKeyPair.toml: related event \"Nope\" has no KB entry"]
    );
    assert_eq!(kb.get("deletekeypair").unwrap().event, "DeleteKeyPair");
    assert_eq!(kb.suggest("DeleteKeyPiar"), ["DeleteKeyPair"]);
}

#[test]
fn every_embedded_entry_loads() {
    let kb = Kb::builtin();
    let errors: Vec<String> = kb.errors().iter().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "broken KB entries:\n{}",
        errors.join("\n")
    );
    assert_eq!(kb.entries().len(), kb::builtin_files().len());
    for example in ["CreateKeyPair", "UploadSSHPublicKey", "StopLogging"] {
        assert!(kb::get(example).is_some(), "{example} has an entry");
    }
}

#[test]
fn lookups_ignore_case_and_suggest_on_typos() {
    assert_eq!(kb::get("STOPLOGGING").unwrap().event, "StopLogging");
    assert!(kb::get("StopLoging").is_none());
    assert_eq!(kb::suggest("StopLoging").first(), Some(&"StopLogging"));
    assert!(kb::suggest("zzzzzzzzzzzzzzz").is_empty());
}

/// Every `trailhound: kb: EVENT` of the built-in pack, and every rule an entry lists.
#[test]
fn pack_and_kb_agree() {
    let loaded = rules::RulesetBuilder::default()
        .with_builtin()
        .build()
        .expect("the pack compiles");
    let rules = loaded.ruleset.rules();
    let mut problems = Vec::new();
    for rule in rules {
        if let Some(event) = &rule.kb
            && kb::get(event).is_none_or(|e| e.event != *event)
        {
            problems.push(format!("{}: kb {event} has no KB entry", rule.file));
        }
    }
    for entry in kb::entries() {
        for name in &entry.rules {
            if !rules
                .iter()
                .any(|r| r.name.as_deref() == Some(name.as_str()))
            {
                problems.push(format!("{}: rule {name} is not in the pack", entry.file));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn related_events_all_have_entries() {
    let problems: Vec<String> = Kb::builtin()
        .problems()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
