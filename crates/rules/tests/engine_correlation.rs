//! Correlation rules: event_count, value_count, temporal, temporal_ordered, first_seen,
//! group-by, aliases, timespans, conditions, and the old aggregation syntax.

use rules::RulesetBuilder;
use serde_json::{Value, json};

const BASES: &str = "title: terminate\nname: base-terminate\nid: 11111111-0000-0000-0000-000000000001\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: TerminateInstances}\n  condition: sel\n---\ntitle: stop\nname: base-stop\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: StopInstances}\n  condition: sel\n---\ntitle: start\nname: base-start\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: StartInstances}\n  condition: sel\n";

fn ruleset(correlation: &str) -> rules::Ruleset {
    let mut b = RulesetBuilder::default();
    b.add_source(
        "c.yml",
        &format!("{BASES}---\ntitle: corr\nname: corr\nlevel: high\ncorrelation:\n{correlation}"),
    );
    b.build().unwrap_or_else(|e| panic!("{e:?}")).ruleset
}

fn ev(id: &str, minute: u32, name: &str, user: &str) -> Value {
    json!({
        "eventID": id,
        "eventTime": format!("2024-05-01T10:{minute:02}:00Z"),
        "eventName": name,
        "userIdentity": {"arn": user},
        "requestParameters": {"instanceId": format!("i-{id}")},
    })
}

/// (rule id, event ids) of every emitted finding.
fn run(rs: &rules::Ruleset, events: &[Value]) -> Vec<(String, Vec<String>)> {
    rs.run(events)
        .into_iter()
        .map(|(r, ids)| (rs.rules()[r].rule_id.clone(), ids))
        .collect()
}

fn corr_hits(rs: &rules::Ruleset, events: &[Value]) -> Vec<Vec<String>> {
    run(rs, events)
        .into_iter()
        .filter(|(r, _)| r == "corr")
        .map(|(_, ids)| ids)
        .collect()
}

#[test]
fn event_count_with_group_by_and_timespan() {
    let rs = ruleset(
        "  type: event_count\n  rules: [base-terminate]\n  group-by: [userIdentity.arn]\n  timespan: 10m\n  condition: {gte: 3}\n",
    );
    let a = "arn:a";
    let b = "arn:b";
    // three by a within 10 minutes -> one finding with all three ids
    let evs = [
        ev("1", 0, "TerminateInstances", a),
        ev("2", 1, "TerminateInstances", b),
        ev("3", 2, "TerminateInstances", a),
        ev("4", 9, "TerminateInstances", a),
    ];
    assert_eq!(corr_hits(&rs, &evs), vec![vec!["1", "3", "4"]]);
    // spread beyond 10 minutes -> nothing
    let evs = [
        ev("1", 0, "TerminateInstances", a),
        ev("3", 6, "TerminateInstances", a),
        ev("4", 17, "TerminateInstances", a),
    ];
    assert!(corr_hits(&rs, &evs).is_empty());
    // base rules do not emit on their own (generate defaults to false)
    assert!(run(&rs, &evs).is_empty());
}

#[test]
fn generate_true_keeps_base_findings() {
    let rs = ruleset(
        "  type: event_count\n  rules: [base-terminate]\n  timespan: 10m\n  condition: {gte: 2}\n  generate: true\n",
    );
    let found = run(&rs, &[ev("1", 0, "TerminateInstances", "a")]);
    assert_eq!(
        found,
        vec![("base-terminate".to_string(), vec!["1".to_string()])]
    );
}

#[test]
fn rules_may_be_referenced_by_uuid() {
    let rs = ruleset(
        "  type: event_count\n  rules: [11111111-0000-0000-0000-000000000001]\n  timespan: 10m\n  condition: {gte: 1}\n",
    );
    assert_eq!(
        corr_hits(&rs, &[ev("1", 0, "TerminateInstances", "a")]),
        vec![vec!["1"]]
    );
}

#[test]
fn event_count_upper_bounds_and_ranges_close_windows() {
    let rs = ruleset(
        "  type: event_count\n  rules: [base-terminate]\n  timespan: 10m\n  condition: {gte: 2, lte: 3}\n",
    );
    let t = |id: &str, m| ev(id, m, "TerminateInstances", "a");
    assert_eq!(
        corr_hits(&rs, &[t("1", 0), t("2", 1)]),
        vec![vec!["1", "2"]]
    );
    assert!(
        corr_hits(&rs, &[t("1", 0), t("2", 1), t("3", 2), t("4", 3)]).is_empty(),
        "4 is out of range"
    );
    assert!(corr_hits(&rs, &[t("1", 0)]).is_empty(), "1 is out of range");
    // windows: [0..10] has 1,2 ; the event at minute 30 opens a new window with one event
    assert_eq!(
        corr_hits(&rs, &[t("1", 0), t("2", 1), t("3", 30)]),
        vec![vec!["1", "2"]]
    );
    let eq = ruleset(
        "  type: event_count\n  rules: [base-terminate]\n  timespan: 10m\n  condition: {eq: 1}\n",
    );
    assert_eq!(
        corr_hits(&eq, &[t("1", 0), t("2", 30)]),
        vec![vec!["1"], vec!["2"]]
    );
    let lt = ruleset(
        "  type: event_count\n  rules: [base-terminate]\n  timespan: 10m\n  condition: {lt: 2}\n",
    );
    assert!(corr_hits(&lt, &[t("1", 0), t("2", 5)]).is_empty());
}

#[test]
fn value_count_counts_distinct_values() {
    let rs = ruleset(
        "  type: value_count\n  rules: [base-terminate]\n  group-by: [userIdentity.arn]\n  timespan: 1h\n  condition: {field: requestParameters.instanceId, gt: 2}\n",
    );
    let same = |id: &str, m| {
        let mut e = ev(id, m, "TerminateInstances", "a");
        e["requestParameters"]["instanceId"] = json!("i-same");
        e
    };
    assert!(
        corr_hits(
            &rs,
            &[same("1", 0), same("2", 1), same("3", 2), same("4", 3)]
        )
        .is_empty()
    );
    let t = |id: &str, m| ev(id, m, "TerminateInstances", "a");
    assert_eq!(
        corr_hits(&rs, &[t("1", 0), same("2", 1), t("3", 2)]),
        vec![vec!["1", "2", "3"]]
    );
}

#[test]
fn temporal_any_order_within_timespan() {
    let rs = ruleset(
        "  type: temporal\n  rules: [base-stop, base-start]\n  group-by: [userIdentity.arn]\n  timespan: 5m\n",
    );
    assert_eq!(
        corr_hits(
            &rs,
            &[
                ev("1", 0, "StartInstances", "a"),
                ev("2", 3, "StopInstances", "a")
            ]
        ),
        vec![vec!["1", "2"]]
    );
    assert!(
        corr_hits(
            &rs,
            &[
                ev("1", 0, "StartInstances", "a"),
                ev("2", 3, "StopInstances", "b")
            ]
        )
        .is_empty(),
        "different group"
    );
    assert!(
        corr_hits(
            &rs,
            &[
                ev("1", 0, "StartInstances", "a"),
                ev("2", 9, "StopInstances", "a")
            ]
        )
        .is_empty(),
        "too far apart"
    );
}

#[test]
fn temporal_ordered_requires_the_order() {
    let rs = ruleset(
        "  type: temporal_ordered\n  rules: [base-stop, base-terminate, base-start]\n  group-by: [userIdentity.arn]\n  timespan: 30m\n",
    );
    let good = [
        ev("1", 0, "StopInstances", "a"),
        ev("2", 1, "TerminateInstances", "a"),
        ev("3", 2, "StartInstances", "a"),
    ];
    assert_eq!(corr_hits(&rs, &good), vec![vec!["1", "2", "3"]]);
    let bad = [
        ev("1", 0, "StartInstances", "a"),
        ev("2", 1, "TerminateInstances", "a"),
        ev("3", 2, "StopInstances", "a"),
    ];
    assert!(corr_hits(&rs, &bad).is_empty());
}

#[test]
fn aliases_map_group_fields_per_rule() {
    let rs = ruleset(
        "  type: temporal\n  rules: [base-stop, base-start]\n  group-by: [instance]\n  timespan: 5m\n  aliases:\n    instance:\n      base-stop: requestParameters.instanceId\n      base-start: responseElements.instanceId\n",
    );
    let mut stop = ev("1", 0, "StopInstances", "a");
    stop["requestParameters"]["instanceId"] = json!("i-9");
    let mut start = ev("2", 1, "StartInstances", "b");
    start["responseElements"] = json!({"instanceId": "i-9"});
    assert_eq!(
        corr_hits(&rs, &[stop.clone(), start.clone()]),
        vec![vec!["1", "2"]]
    );
    start["responseElements"]["instanceId"] = json!("i-8");
    assert!(corr_hits(&rs, &[stop, start]).is_empty());
}

#[test]
fn first_seen_fires_once_per_tuple() {
    let rs =
        ruleset("  type: first_seen\n  rules: [base-terminate]\n  group-by: [userIdentity.arn]\n");
    let found = corr_hits(
        &rs,
        &[
            ev("1", 0, "TerminateInstances", "a"),
            ev("2", 1, "TerminateInstances", "a"),
            ev("3", 2, "TerminateInstances", "b"),
        ],
    );
    assert_eq!(found, vec![vec!["1"], vec!["3"]]);
}

#[test]
fn events_without_time_are_counted_not_lost() {
    let rs = ruleset(
        "  type: event_count\n  rules: [base-terminate]\n  timespan: 10m\n  condition: {gte: 1}\n",
    );
    let mut c = rules::Correlator::new(&rs);
    let e = json!({"eventName": "TerminateInstances", "eventID": "x"});
    let hits = rs.matches(&e);
    assert!(c.feed(&e, &hits).is_empty());
    assert_eq!(c.events_without_time, 1);
}

#[test]
fn correlation_errors_name_the_construct() {
    let err = |c: &str| {
        let mut b = RulesetBuilder::default();
        b.add_source(
            "c.yml",
            &format!("{BASES}---\ntitle: corr\nname: corr\ncorrelation:\n{c}"),
        );
        b.build()
            .expect_err("invalid")
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    assert!(
        err("  type: sometimes\n  rules: [base-stop]\n  timespan: 5m\n")
            .contains("unsupported correlation type `sometimes`")
    );
    assert!(
        err("  type: event_count\n  rules: [nope]\n  timespan: 5m\n  condition: {gte: 1}\n")
            .contains("unknown base rule `nope`")
    );
    assert!(
        err("  type: event_count\n  rules: [base-stop]\n  condition: {gte: 1}\n")
            .contains("needs `timespan`")
    );
    assert!(
        err("  type: event_count\n  rules: [base-stop]\n  timespan: 5x\n  condition: {gte: 1}\n")
            .contains("unit")
    );
    assert!(
        err("  type: event_count\n  rules: [base-stop]\n  timespan: 5m\n")
            .contains("needs a condition")
    );
    assert!(
        err("  type: value_count\n  rules: [base-stop]\n  timespan: 5m\n  condition: {gte: 1}\n")
            .contains("condition.field")
    );
    assert!(
        err("  type: event_count\n  rules: [base-stop]\n  timespan: 5m\n  condition: {about: 1}\n")
            .contains("`about`")
    );
}

#[test]
fn old_count_and_near_syntax() {
    let mut b = RulesetBuilder::default();
    b.add_source(
        "old.yml",
        "title: count\nid: old-count\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: TerminateInstances}\n  timeframe: 10m\n  condition: sel | count() by userIdentity.arn > 2\n---\ntitle: near\nid: old-near\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s1: {eventName: StopInstances}\n  s2: {eventName: StartInstances}\n  timeframe: 5m\n  condition: s1 | near s2\n---\ntitle: distinct\nid: old-distinct\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: TerminateInstances}\n  timeframe: 10m\n  condition: sel | count(requestParameters.instanceId) > 1\n",
    );
    let rs = b.build().expect("compiles").ruleset;
    let t = |id: &str, m, u: &str| ev(id, m, "TerminateInstances", u);
    let found = run(
        &rs,
        &[
            t("1", 0, "a"),
            t("2", 1, "b"),
            t("3", 2, "a"),
            t("4", 3, "a"),
        ],
    );
    assert!(
        found.contains(&(
            "old-count".to_string(),
            vec!["1".into(), "3".into(), "4".into()]
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&("old-distinct".to_string(), vec!["1".into(), "2".into()])),
        "{found:?}"
    );
    let found = run(
        &rs,
        &[
            ev("5", 0, "StopInstances", "a"),
            ev("6", 2, "StartInstances", "a"),
        ],
    );
    assert_eq!(
        found,
        vec![(
            "old-near".to_string(),
            vec!["5".to_string(), "6".to_string()]
        )]
    );
    let found = run(
        &rs,
        &[
            ev("5", 0, "StopInstances", "a"),
            ev("6", 20, "StartInstances", "a"),
        ],
    );
    assert!(found.is_empty());
}

#[test]
fn correlations_chain() {
    // The spec's example shape: many failures by one user, then a success by that user.
    let text = "title: failed\nname: failed\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: ConsoleLogin, errorMessage: Failed authentication}\n  condition: sel\n---\ntitle: ok\nname: ok\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: ConsoleLogin, responseElements.ConsoleLogin: Success}\n  condition: sel\n---\ntitle: many failed\nname: many-failed\ncorrelation:\n  type: event_count\n  rules: [failed]\n  group-by: [userIdentity.arn]\n  timespan: 10m\n  condition: {gte: 3}\n---\ntitle: brute force then success\nname: brute-then-success\ncorrelation:\n  type: temporal_ordered\n  rules: [many-failed, ok]\n  group-by: [userIdentity.arn]\n  timespan: 30m\n";
    let mut b = RulesetBuilder::default();
    b.add_source("chain.yml", text);
    let rs = b.build().unwrap_or_else(|e| panic!("{e:?}")).ruleset;
    let fail = |id: &str, m: u32, u: &str| {
        json!({"eventID": id, "eventTime": format!("2024-05-01T10:{m:02}:00Z"), "eventName": "ConsoleLogin",
               "errorMessage": "Failed authentication", "userIdentity": {"arn": u}})
    };
    let ok = |id: &str, m: u32, u: &str| {
        json!({"eventID": id, "eventTime": format!("2024-05-01T10:{m:02}:00Z"), "eventName": "ConsoleLogin",
               "responseElements": {"ConsoleLogin": "Success"}, "userIdentity": {"arn": u}})
    };
    let found = run(
        &rs,
        &[
            fail("1", 0, "a"),
            fail("2", 1, "a"),
            fail("3", 2, "a"),
            ok("4", 3, "a"),
        ],
    );
    assert_eq!(
        found,
        vec![(
            "brute-then-success".to_string(),
            ["1", "2", "3", "4"].map(String::from).to_vec()
        )]
    );
    // success by another user, or too few failures, or success first: nothing
    assert!(
        run(
            &rs,
            &[
                fail("1", 0, "a"),
                fail("2", 1, "a"),
                fail("3", 2, "a"),
                ok("4", 3, "b")
            ]
        )
        .is_empty()
    );
    assert!(
        run(
            &rs,
            &[fail("1", 0, "a"), fail("2", 1, "a"), ok("4", 3, "a")]
        )
        .is_empty()
    );
    assert!(
        run(
            &rs,
            &[
                ok("0", 0, "a"),
                fail("1", 1, "a"),
                fail("2", 2, "a"),
                fail("3", 3, "a")
            ]
        )
        .is_empty()
    );
}

#[test]
fn correlation_cycles_are_errors() {
    let text = "title: a\nname: a\ncorrelation:\n  type: temporal\n  rules: [b, base-stop]\n  timespan: 5m\n---\ntitle: b\nname: b\ncorrelation:\n  type: temporal\n  rules: [a, base-start]\n  timespan: 5m\n";
    let mut b = RulesetBuilder::default();
    b.add_source("c.yml", &format!("{BASES}---\n{text}"));
    let errs = b.build().expect_err("cycle");
    assert!(errs.iter().any(|e| e.message.contains("cycle")), "{errs:?}");
}

/// The agreed pack shape: one multi-document file, the `trailhound:` block on the correlation.
const PACK_STYLE: &str = r#"
title: Key pair imported, then used to launch an instance
id: 6d0c3f0e-7d1b-4a58-9d1c-0d5f1f0b7a01
name: ec2-keypair-imported-then-used
status: experimental
description: A principal imports a key pair and launches an instance with it within the hour.
author: trailhound
date: 2024-05-01
tags: [attack.persistence, attack.t1098.004]
level: high
correlation:
  type: temporal_ordered
  rules: [ec2-import-key-pair-base, ec2-run-instances-with-key-base]
  group-by: [userIdentity.arn, key]
  aliases:
    key:
      ec2-import-key-pair-base: requestParameters.keyName
      ec2-run-instances-with-key-base: requestParameters.keyName
  timespan: 1h
trailhound:
  kb: ImportKeyPair
  tests:
    - name: imported then used by the same principal
      expect: match
      events:
        - {eventTime: "2024-05-01T10:00:00Z", eventID: e1, eventSource: ec2.amazonaws.com, eventName: ImportKeyPair, userIdentity: {arn: "arn:aws:iam::1:user/mallory"}, requestParameters: {keyName: k1}}
        - {eventTime: "2024-05-01T10:20:00Z", eventID: e2, eventSource: ec2.amazonaws.com, eventName: RunInstances, userIdentity: {arn: "arn:aws:iam::1:user/mallory"}, requestParameters: {keyName: k1}}
    - name: another key was used
      expect: no_match
      events:
        - {eventTime: "2024-05-01T10:00:00Z", eventID: e1, eventSource: ec2.amazonaws.com, eventName: ImportKeyPair, userIdentity: {arn: "arn:aws:iam::1:user/mallory"}, requestParameters: {keyName: k1}}
        - {eventTime: "2024-05-01T10:20:00Z", eventID: e2, eventSource: ec2.amazonaws.com, eventName: RunInstances, userIdentity: {arn: "arn:aws:iam::1:user/mallory"}, requestParameters: {keyName: k2}}
---
title: ImportKeyPair (base)
name: ec2-import-key-pair-base
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventSource: ec2.amazonaws.com, eventName: ImportKeyPair}
  condition: sel
---
title: RunInstances with a key (base)
name: ec2-run-instances-with-key-base
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventSource: ec2.amazonaws.com, eventName: RunInstances}
  key:
    requestParameters.keyName|exists: true
  condition: sel and key
"#;

#[test]
fn pack_style_file_runs_its_own_tests() {
    let mut b = RulesetBuilder::default();
    b.add_source("pack/ec2/keypair-imported-then-used.yml", PACK_STYLE);
    let rs = b.build().unwrap_or_else(|e| panic!("{e:?}")).ruleset;
    let emitting: Vec<&str> = rs
        .rules()
        .iter()
        .filter(|r| r.emits)
        .map(|r| r.rule_id.as_str())
        .collect();
    assert_eq!(emitting, ["ec2-keypair-imported-then-used"]);
    let rule = rs.rules().iter().find(|r| r.emits).expect("one");
    assert_eq!(rule.kb.as_deref(), Some("ImportKeyPair"));
    assert_eq!(rule.attack, ["T1098.004"]);
    let report = rs.run_rule_tests(true);
    assert_eq!(report.ran, 2);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}
