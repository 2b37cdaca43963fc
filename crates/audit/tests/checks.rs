//! Every built-in check compiles and passes its own test cases; the configuration is validated.

use audit::{Check, Config, builtin_checks, validate_config};

#[test]
fn every_builtin_check_compiles_and_passes_its_tests() {
    let checks = builtin_checks().unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert!(checks.len() >= 40, "only {} checks", checks.len());
    let thresholds = Config::defaults().threshold_values();
    let failures: Vec<String> = checks
        .iter()
        .flat_map(|c| c.self_test(&thresholds))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The smallest valid check: one positive and one negative test.
const MINIMAL_CHECK: &str = r#"
id = "x"
title = "t"
severity = "low"
resource = "instance"
where = "state == 'running'"
message = "{id}"
rationale = "r"
remediation = "r"
[[tests]]
name = "a"
expect = true
resource = { state = "running" }
[[tests]]
name = "b"
expect = false
resource = { state = "stopped" }
"#;

#[test]
fn a_check_with_a_typo_in_a_fact_does_not_compile() {
    let thresholds = Config::defaults().threshold_values();
    let text = &MINIMAL_CHECK.replace("state ==", "stat ==");
    let err = Check::compile("x.toml", text, &thresholds).unwrap_err();
    assert!(err.to_string().contains("no fact \"stat\""), "{err}");
    let fixed = text.replace("stat ==", "state ==");
    let check = Check::compile("x.toml", &fixed, &thresholds).unwrap();
    assert!(check.self_test(&thresholds).is_empty());
    // A wrong expectation is reported by the self test.
    let wrong = fixed.replace(
        "resource = { state = \"running\" }",
        "resource = { state = \"paused\" }",
    );
    let check = Check::compile("x.toml", &wrong, &thresholds).unwrap();
    assert_eq!(check.self_test(&thresholds).len(), 1);
    // Unknown thresholds, kinds, ids not matching the file, and checks without a negative test fail.
    let bad = fixed.replace("state == 'running'", "launch_age_days > $nope");
    assert!(
        Check::compile("x.toml", &bad, &thresholds)
            .unwrap_err()
            .to_string()
            .contains("unknown threshold $nope")
    );
    assert!(
        Check::compile(
            "x.toml",
            &fixed.replace("\"instance\"", "\"bucket\""),
            &thresholds
        )
        .is_err()
    );
    assert!(
        Check::compile("y.toml", &fixed, &thresholds)
            .unwrap_err()
            .to_string()
            .contains("file name")
    );
    let only_positive = fixed.replace("expect = false", "expect = true").replace(
        "resource = { state = \"stopped\" }",
        "resource = { state = \"running\" }",
    );
    assert!(
        Check::compile("x.toml", &only_positive, &thresholds)
            .unwrap_err()
            .to_string()
            .contains("at least one test")
    );
}

#[test]
fn configuration_overrides_and_validation() {
    let checks = builtin_checks().unwrap();
    let config = Config::with_overrides(
        "[thresholds]\naccess_key_max_age_days = 30\n[checks]\ndisable = [\"ec2-sg-unused\"]\n[severity]\n\"ec2-instance-public-ip\" = \"high\"\n",
    )
    .unwrap();
    assert_eq!(config.threshold_values()["access_key_max_age_days"], 30);
    assert_eq!(config.threshold_values()["key_pair_max_age_days"], 365);
    validate_config(&config, &checks).unwrap();
    assert!(Config::with_overrides("[thresholds]\nnope = 1\n").is_err());
    assert!(Config::with_overrides("[thresholds]\naccess_key_max_age_days = \"x\"\n").is_err());
    assert!(Config::with_overrides("[other]\n").is_err());
    let bad = Config::with_overrides("[checks]\ndisable = [\"no-such-check\"]\n").unwrap();
    assert!(validate_config(&bad, &checks).is_err());
    let bad = Config::with_overrides("[severity]\n\"ec2-sg-unused\" = \"huge\"\n").unwrap();
    assert!(validate_config(&bad, &checks).is_err());
}

#[test]
fn the_generated_reference_is_current() {
    let checks = builtin_checks().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/audit-checks.md");
    let want = audit::reference_markdown(&checks);
    if std::env::var_os("TRAILHOUND_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/audit-checks.md is stale: run `trailhound gen-docs` (or TRAILHOUND_UPDATE_DOCS=1 cargo test -p audit)"
    );
}

#[test]
fn remediation_placeholders_are_filled_and_other_braces_kept() {
    let thresholds = Config::defaults().threshold_values();
    let text = &MINIMAL_CHECK.replace(
        "remediation = \"r\"",
        r#"remediation = "aws ec2 modify-instance-metadata-options --instance-id {id} --cli-input-json '{\"HttpTokens\":\"required\"}' {HttpTokens=required} in {region}""#,
    );
    let check = Check::compile("x.toml", text, &thresholds).unwrap();
    assert_eq!(check.remediation_placeholders(), ["id", "region"]);
    // The facts a placeholder reads are built for the check.
    assert!(check.fact_names().contains(&"region".to_string()));
    let facts = serde_json::json!({"id": "i-0abc", "region": "eu-west-1", "state": "running"});
    assert_eq!(
        check.render_remediation(&facts),
        "aws ec2 modify-instance-metadata-options --instance-id i-0abc --cli-input-json '{\"HttpTokens\":\"required\"}' {HttpTokens=required} in eu-west-1"
    );
    // A lowercase placeholder that names no fact is a compile error, not a literal left in the text.
    let typo = text.replace("{region}", "{regoin}");
    assert!(
        Check::compile("x.toml", &typo, &thresholds)
            .unwrap_err()
            .to_string()
            .contains("remediation names {regoin}")
    );
}

#[test]
fn builtin_findings_carry_filled_remediations() {
    let checks = builtin_checks().unwrap();
    let mut filled = 0;
    for c in &checks {
        for t in c.tests.iter().filter(|t| t.expect) {
            let text = c.render_remediation(&t.resource);
            for p in c.remediation_placeholders() {
                assert!(
                    !text.contains(&format!("{{{p}}}")),
                    "{}: {{{p}}} left in {text:?}",
                    c.id
                );
                filled += 1;
            }
        }
    }
    assert!(filled > 30, "{filled} placeholders filled");
}
