//! Runs every built-in pack rule's own tests (`trailhound.tests`): each test's events go, in
//! order, through the whole engine (single-event rules and correlations). A failure names the
//! file, the rule and the test. Every emitting pack rule needs at least one `match` and one
//! `no_match` test.

use rules::RulesetBuilder;

#[test]
fn every_pack_rule_passes_its_own_tests() {
    let loaded = RulesetBuilder::default()
        .with_builtin()
        .build()
        .unwrap_or_else(|errs| {
            panic!(
                "the built-in pack must compile:\n{}",
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
    assert!(
        loaded.skipped.is_empty(),
        "pack rules must all be aws/cloudtrail: {:?}",
        loaded.skipped
    );
    let report = loaded.ruleset.run_rule_tests(true);
    let (ran, failures) = (report.ran, report.failures);
    assert!(
        failures.is_empty(),
        "{} of {ran} pack tests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn pack_rules_carry_the_agreed_metadata() {
    let loaded = RulesetBuilder::default()
        .with_builtin()
        .build()
        .expect("pack compiles");
    let mut problems = Vec::new();
    for rule in loaded.ruleset.rules().iter().filter(|r| r.emits) {
        let slug_ok = rule.name.as_deref().is_some_and(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
        if !slug_ok {
            problems.push(format!("{}: `name` must be a lowercase slug", rule.file));
        }
        if rule.uuid.is_none() {
            problems.push(format!("{}: missing `id`", rule.file));
        }
        if rule.attack.is_empty() {
            problems.push(format!(
                "{} ({}): no ATT&CK technique tag",
                rule.file, rule.rule_id
            ));
        }
        if rule.kb.is_none() {
            problems.push(format!(
                "{} ({}): no `trailhound.kb`",
                rule.file, rule.rule_id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
