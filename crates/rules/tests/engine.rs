//! One test per modifier, condition form and field-path behaviour, each with matching and
//! non-matching events.

use std::collections::HashMap;

use rules::RulesetBuilder;
use serde_json::{Value, json};

fn rule(detection: &str) -> String {
    format!(
        "title: t\nid: r1\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n{}\nlevel: high\n",
        detection
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect::<String>()
    )
}

fn build_with(
    detection: &str,
    placeholders: HashMap<String, Vec<String>>,
) -> Result<rules::Ruleset, String> {
    let mut b = RulesetBuilder::default().placeholders(placeholders);
    b.add_source("test.yml", &rule(detection));
    b.build().map(|l| l.ruleset).map_err(|e| {
        e.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn hits(detection: &str, event: Value) -> bool {
    let rs = build_with(detection, HashMap::new()).unwrap_or_else(|e| panic!("{e}"));
    !rs.matches(&event).is_empty()
}

fn error(detection: &str) -> String {
    build_with(detection, HashMap::new()).expect_err("must not compile")
}

#[test]
fn equality_is_case_insensitive_and_exact() {
    let d = "sel:\n  eventName: CreateKeyPair\ncondition: sel";
    assert!(hits(d, json!({"eventName": "CreateKeyPair"})));
    assert!(hits(d, json!({"eventName": "createkeypair"})));
    assert!(!hits(d, json!({"eventName": "CreateKeyPairs"})));
    assert!(!hits(d, json!({"other": "CreateKeyPair"})));
}

#[test]
fn cased_is_case_sensitive() {
    let d = "sel:\n  eventName|cased: CreateKeyPair\ncondition: sel";
    assert!(hits(d, json!({"eventName": "CreateKeyPair"})));
    assert!(!hits(d, json!({"eventName": "createkeypair"})));
}

#[test]
fn contains_startswith_endswith() {
    let c = "sel:\n  userAgent|contains: Boto3\ncondition: sel";
    assert!(hits(c, json!({"userAgent": "aws-cli boto3/1.2"})));
    assert!(!hits(c, json!({"userAgent": "aws-cli"})));
    let s = "sel:\n  eventName|startswith: Delete\ncondition: sel";
    assert!(hits(s, json!({"eventName": "DeleteTrail"})));
    assert!(!hits(s, json!({"eventName": "UndeleteTrail"})));
    let e = "sel:\n  eventName|endswith: Trail\ncondition: sel";
    assert!(hits(e, json!({"eventName": "DeleteTrail"})));
    assert!(!hits(e, json!({"eventName": "TrailDelete"})));
}

#[test]
fn value_lists_are_or_and_all_makes_them_and() {
    let or = "sel:\n  eventName:\n    - A\n    - B\ncondition: sel";
    assert!(hits(or, json!({"eventName": "b"})));
    assert!(!hits(or, json!({"eventName": "c"})));
    let all = "sel:\n  userAgent|contains|all:\n    - aws\n    - cli\ncondition: sel";
    assert!(hits(all, json!({"userAgent": "aws-cli/2"})));
    assert!(!hits(all, json!({"userAgent": "aws-sdk"})));
}

#[test]
fn long_contains_lists_use_one_automaton_and_stay_exact() {
    let d = "sel:\n  userAgent|contains:\n    - Kali\n    - Parrot\n    - Pentoo\n    - TruffleHog\ncondition: sel";
    assert!(hits(d, json!({"userAgent": "x TRUFFLEHOG y"})));
    assert!(hits(d, json!({"userAgent": "linux kali"})));
    assert!(!hits(d, json!({"userAgent": "ubuntu"})));
    let cased =
        "sel:\n  userAgent|contains|cased:\n    - Kali\n    - Parrot\n    - Pentoo\ncondition: sel";
    assert!(hits(cased, json!({"userAgent": "Kali"})));
    assert!(!hits(cased, json!({"userAgent": "kali"})));
}

#[test]
fn wildcards_and_escapes() {
    let d = "sel:\n  eventName: 'List*'\ncondition: sel";
    assert!(hits(d, json!({"eventName": "ListBuckets"})));
    assert!(!hits(d, json!({"eventName": "GetList"})));
    let q = "sel:\n  eventName: 'Get?ey'\ncondition: sel";
    assert!(hits(q, json!({"eventName": "GetKey"})));
    assert!(!hits(q, json!({"eventName": "GetKKey"})));
    let esc = "sel:\n  a: 'x\\*y'\ncondition: sel";
    assert!(hits(esc, json!({"a": "x*y"})));
    assert!(!hits(esc, json!({"a": "xzy"})));
}

#[test]
fn regex_with_flags() {
    let d = "sel:\n  userIdentity.arn|re: '^arn:aws:sts::\\d+:assumed-role/'\ncondition: sel";
    assert!(hits(
        d,
        json!({"userIdentity": {"arn": "arn:aws:sts::123:assumed-role/x"}})
    ));
    assert!(
        !hits(
            d,
            json!({"userIdentity": {"arn": "ARN:AWS:STS::123:assumed-role/x"}})
        ),
        "re is case-sensitive"
    );
    let i = "sel:\n  a|re|i: '^abc$'\ncondition: sel";
    assert!(hits(i, json!({"a": "ABC"})));
    assert!(!hits(i, json!({"a": "ABCD"})));
    let m = "sel:\n  a|re|m: '^b$'\ncondition: sel";
    assert!(hits(m, json!({"a": "a\nb\nc"})));
    assert!(!hits(
        "sel:\n  a|re: '^b$'\ncondition: sel",
        json!({"a": "a\nb\nc"})
    ));
    let s = "sel:\n  a|re|s: 'a.c'\ncondition: sel";
    assert!(hits(s, json!({"a": "a\nc"})));
    assert!(!hits(
        "sel:\n  a|re: 'a.c'\ncondition: sel",
        json!({"a": "a\nc"})
    ));
    assert!(error("sel:\n  a|re: '(?<=x)y'\ncondition: sel").contains("regex"));
}

#[test]
fn cidr_v4_and_v6() {
    let d = "sel:\n  sourceIPAddress|cidr:\n    - 10.0.0.0/8\n    - 2001:db8::/32\ncondition: sel";
    assert!(hits(d, json!({"sourceIPAddress": "10.1.2.3"})));
    assert!(hits(d, json!({"sourceIPAddress": "2001:db8::1"})));
    assert!(!hits(d, json!({"sourceIPAddress": "11.1.2.3"})));
    assert!(!hits(d, json!({"sourceIPAddress": "AWS Internal"})));
    assert!(error("sel:\n  a|cidr: nope\ncondition: sel").contains("CIDR"));
}

#[test]
fn numeric_comparisons() {
    for (m, yes, no) in [("lt", 1, 2), ("lte", 2, 3), ("gt", 3, 2), ("gte", 2, 1)] {
        let d = format!("sel:\n  requestParameters.httpPutResponseHopLimit|{m}: 2\ncondition: sel");
        assert!(
            hits(
                &d,
                json!({"requestParameters": {"httpPutResponseHopLimit": yes}})
            ),
            "{m} {yes}"
        );
        assert!(
            !hits(
                &d,
                json!({"requestParameters": {"httpPutResponseHopLimit": no}})
            ),
            "{m} {no}"
        );
    }
    assert!(
        hits("sel:\n  n|gt: 2\ncondition: sel", json!({"n": "5"})),
        "numeric strings compare as numbers"
    );
    assert!(!hits(
        "sel:\n  n|gt: 2\ncondition: sel",
        json!({"n": "five"})
    ));
}

#[test]
fn exists_and_null() {
    let e = "sel:\n  errorCode|exists: true\ncondition: sel";
    assert!(hits(e, json!({"errorCode": "AccessDenied"})));
    assert!(!hits(e, json!({"eventName": "x"})));
    let ne = "sel:\n  errorCode|exists: false\ncondition: sel";
    assert!(hits(ne, json!({"eventName": "x"})));
    assert!(!hits(ne, json!({"errorCode": "AccessDenied"})));
    let n = "sel:\n  errorCode: null\ncondition: sel";
    assert!(hits(n, json!({"eventName": "x"})));
    assert!(hits(n, json!({"errorCode": null})));
    assert!(!hits(n, json!({"errorCode": "AccessDenied"})));
}

#[test]
fn fieldref_with_modes() {
    let d = "sel:\n  userIdentity.userName|fieldref: requestParameters.userName\ncondition: sel";
    assert!(hits(
        d,
        json!({"userIdentity": {"userName": "Bob"}, "requestParameters": {"userName": "bob"}})
    ));
    assert!(!hits(
        d,
        json!({"userIdentity": {"userName": "bob"}, "requestParameters": {"userName": "alice"}})
    ));
    assert!(!hits(d, json!({"userIdentity": {"userName": "bob"}})));
    let c =
        "sel:\n  userIdentity.arn|fieldref|endswith: requestParameters.userName\ncondition: sel";
    assert!(hits(
        c,
        json!({"userIdentity": {"arn": "arn:aws:iam::1:user/bob"}, "requestParameters": {"userName": "bob"}})
    ));
    assert!(!hits(
        c,
        json!({"userIdentity": {"arn": "arn:aws:iam::1:user/bob"}, "requestParameters": {"userName": "alice"}})
    ));
    let cased = "sel:\n  a|fieldref|cased: b\ncondition: sel";
    assert!(!hits(cased, json!({"a": "X", "b": "x"})));
    assert!(hits(cased, json!({"a": "x", "b": "x"})));
}

#[test]
fn base64_and_base64offset() {
    // "ssh-rsa" -> c3NoLXJzYQ==
    let d = "sel:\n  a|base64: ssh-rsa\ncondition: sel";
    assert!(hits(d, json!({"a": "c3NoLXJzYQ=="})));
    assert!(
        !hits(d, json!({"a": "C3NOLXJZYQ=="})),
        "base64 text is case-sensitive"
    );
    let o = "sel:\n  a|base64offset|contains: /bin/bash\ncondition: sel";
    // base64 of "#!/bin/bash -c x", "x /bin/bash", and "ab/bin/bash" cover the three offsets.
    for plain in [
        "#!/bin/bash -c x",
        "x /bin/bash",
        "ab/bin/bash",
        "/bin/bash",
    ] {
        use base64::Engine as _;
        let enc = base64::engine::general_purpose::STANDARD.encode(plain);
        assert!(hits(o, json!({"a": enc})), "{plain} -> {enc}");
    }
    assert!(!hits(o, json!({"a": "L2Jpbi9zaA=="})), "/bin/sh");
    assert!(error("sel:\n  a|base64: 'x*'\ncondition: sel").contains("wildcards"));
}

#[test]
fn utf16_variants_with_base64() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let le: Vec<u8> = "ab".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = "ab".encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert!(hits(
        "sel:\n  a|wide|base64: ab\ncondition: sel",
        json!({"a": b64(&le)})
    ));
    assert!(hits(
        "sel:\n  a|utf16le|base64: ab\ncondition: sel",
        json!({"a": b64(&le)})
    ));
    assert!(hits(
        "sel:\n  a|utf16be|base64: ab\ncondition: sel",
        json!({"a": b64(&be)})
    ));
    assert!(!hits(
        "sel:\n  a|utf16be|base64: ab\ncondition: sel",
        json!({"a": b64(&le)})
    ));
    let mut bom = vec![0xff, 0xfe];
    bom.extend(&le);
    assert!(hits(
        "sel:\n  a|utf16|base64: ab\ncondition: sel",
        json!({"a": b64(&bom)})
    ));
    assert!(hits(
        "sel:\n  a|wide: ab\ncondition: sel",
        json!({"a": "a\u{0}b\u{0}"})
    ));
}

#[test]
fn windash_covers_every_dash() {
    let d = "sel:\n  cmd|windash|contains: ' -enc '\ncondition: sel";
    for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        assert!(hits(d, json!({"cmd": format!("x {dash}enc y")})), "{dash}");
    }
    assert!(!hits(d, json!({"cmd": "x +enc y"})));
}

#[test]
fn expand_uses_placeholder_values() {
    let d = "sel:\n  userIdentity.userName|expand: '%admins%'\ncondition: sel";
    let ph = HashMap::from([(
        "admins".to_string(),
        vec!["alice".to_string(), "bob".to_string()],
    )]);
    let rs = build_with(d, ph).expect("compiles");
    assert!(
        !rs.matches(&json!({"userIdentity": {"userName": "Bob"}}))
            .is_empty()
    );
    assert!(
        rs.matches(&json!({"userIdentity": {"userName": "carol"}}))
            .is_empty()
    );
    let e = build_with(d, HashMap::new()).expect_err("no values");
    assert!(e.contains("%admins%"), "{e}");
}

#[test]
fn keywords_search_every_value() {
    let d = "keywords:\n  - trufflehog\ncondition: keywords";
    assert!(hits(d, json!({"a": {"b": ["x", "TruffleHog v3"]}})));
    assert!(!hits(d, json!({"a": {"b": ["x", "y"]}})));
}

#[test]
fn conditions_and_or_not_parentheses() {
    let d = "a:\n  x: 1\nb:\n  y: 2\nc:\n  z: 3\ncondition: a and (b or c) and not (b and c)";
    assert!(hits(d, json!({"x": 1, "y": 2})));
    assert!(hits(d, json!({"x": 1, "z": 3})));
    assert!(!hits(d, json!({"x": 1, "y": 2, "z": 3})));
    assert!(!hits(d, json!({"y": 2})));
    // not binds tighter than and, and binds tighter than or
    let p = "a:\n  x: 1\nb:\n  y: 2\nc:\n  z: 3\ncondition: a or b and not c";
    assert!(hits(p, json!({"x": 1, "z": 3})));
    assert!(!hits(p, json!({"y": 2, "z": 3})));
}

#[test]
fn one_of_all_of_them() {
    let base = "sel_a:\n  x: 1\nsel_b:\n  y: 2\n_hidden:\n  w: 9\n";
    let one = format!("{base}condition: 1 of sel_*");
    assert!(hits(&one, json!({"y": 2})));
    assert!(!hits(&one, json!({"w": 9})));
    let all = format!("{base}condition: all of sel_*");
    assert!(hits(&all, json!({"x": 1, "y": 2})));
    assert!(!hits(&all, json!({"x": 1})));
    let them = format!("{base}condition: all of them");
    assert!(
        hits(&them, json!({"x": 1, "y": 2})),
        "`them` leaves out names starting with _"
    );
    let one_them = format!("{base}condition: 1 of them");
    assert!(hits(&one_them, json!({"x": 1})));
    assert!(!hits(&one_them, json!({"w": 9})));
    assert!(error(&format!("{base}condition: 1 of nope_*")).contains("matches no selection"));
}

#[test]
fn list_of_maps_is_or() {
    let d = "sel:\n  - eventSource: ssm.amazonaws.com\n  - eventName: RegisterManagedInstance\ncondition: sel";
    assert!(hits(d, json!({"eventSource": "ssm.amazonaws.com"})));
    assert!(hits(d, json!({"eventName": "RegisterManagedInstance"})));
    assert!(!hits(d, json!({"eventName": "x"})));
}

#[test]
fn dotted_paths_traverse_arrays() {
    let d = "sel:\n  requestParameters.ipPermissions.items.ipRanges.items.cidrIp|endswith: /0\ncondition: sel";
    let ev = |cidr: &str| {
        json!({"requestParameters": {"ipPermissions": {"items": [
            {"ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}},
            {"ipRanges": {"items": [{"cidrIp": "10.0.0.0/16"}, {"cidrIp": cidr}]}}
        ]}}})
    };
    assert!(hits(d, ev("x.x.x.x/0")));
    assert!(!hits(d, ev("1.2.3.4/32")));
}

#[test]
fn objects_match_as_json_text() {
    let d = "sel:\n  requestParameters|contains: '\"cidrIp\":\"0.0.0.0/0\"'\ncondition: sel";
    assert!(hits(
        d,
        json!({"requestParameters": {"x": {"cidrIp": "0.0.0.0/0"}}})
    ));
    assert!(!hits(
        d,
        json!({"requestParameters": {"x": {"cidrIp": "10.0.0.0/8"}}})
    ));
}

#[test]
fn numbers_and_booleans_compare_as_text() {
    assert!(hits("sel:\n  a: 22\ncondition: sel", json!({"a": 22})));
    assert!(hits("sel:\n  a: 22\ncondition: sel", json!({"a": "22"})));
    assert!(!hits("sel:\n  a: 22\ncondition: sel", json!({"a": 220})));
    assert!(hits(
        "sel:\n  a: false\ncondition: sel",
        json!({"a": false})
    ));
    assert!(!hits(
        "sel:\n  a: false\ncondition: sel",
        json!({"a": true})
    ));
}

#[test]
fn errors_name_the_construct() {
    assert!(
        error("sel:\n  a|frobnicate: 1\ncondition: sel")
            .contains("unsupported modifier `frobnicate`")
    );
    assert!(error("sel:\n  a: 1\ncondition: sel and nope").contains("unknown selection `nope`"));
    assert!(error("sel:\n  a: 1\ncondition: (sel").contains("missing `)`"));
    assert!(error("sel:\n  a: 1").contains("no `condition`"));
    assert!(error("sel:\n  a|re|cidr: 1\ncondition: sel").contains("cannot be combined"));
    let e = error("sel:\n  a: 1\ncondition: sel | max(x) > 3");
    assert!(e.starts_with("test.yml (rule r1)"), "{e}");
    assert!(e.contains("unsupported aggregation"), "{e}");
}

#[test]
fn other_logsources_are_reported_not_dropped() {
    let mut b = RulesetBuilder::default();
    b.add_source("win.yml", "title: w\nid: w1\nlogsource: {product: windows, category: process_creation}\ndetection: {sel: {a: 1}, condition: sel}\n");
    let loaded = b.build().expect("skips are not errors");
    assert_eq!(loaded.skipped.len(), 1);
    assert_eq!(loaded.skipped[0].file, "win.yml");
    assert!(loaded.skipped[0].reason.contains("windows"));
}

#[test]
fn dispatch_prefilter() {
    let mut b = RulesetBuilder::default();
    b.add_source(
        "a.yml",
        &rule("sel:\n  eventName: [CreateKeyPair, DeleteKeyPair]\ncondition: sel"),
    );
    let rs = b.build().expect("compiles").ruleset;
    assert!(rs.may_match(Some("ec2.amazonaws.com"), Some("deletekeypair")));
    assert!(!rs.may_match(Some("ec2.amazonaws.com"), Some("DescribeInstances")));
    assert!(!rs.may_match(None, None));
    let mut b = RulesetBuilder::default();
    b.add_source(
        "a.yml",
        &rule("sel:\n  eventSource: ec2.amazonaws.com\ncondition: sel"),
    );
    let rs = b.build().expect("compiles").ruleset;
    assert!(rs.may_match(Some("ec2.amazonaws.com"), Some("Anything")));
    assert!(!rs.may_match(Some("iam.amazonaws.com"), Some("Anything")));
    let mut b = RulesetBuilder::default();
    b.add_source(
        "a.yml",
        &rule("sel:\n  eventName: x\nf:\n  userAgent: y\ncondition: sel or f"),
    );
    let rs = b.build().expect("compiles").ruleset;
    assert!(
        rs.may_match(Some("any"), Some("any")),
        "an OR with an unpinned branch applies to everything"
    );
}

#[test]
fn rule_tests_harness_reports_failures_by_rule_and_test() {
    let text = "title: t\nname: my-rule\nid: 1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: DeleteKeyPair}\n  condition: sel\ntrailhound:\n  kb: DeleteKeyPair\n  tests:\n    - name: deleted\n      expect: match\n      events: [{eventName: DeleteKeyPair, eventID: a}]\n    - name: wrongly expected\n      expect: no_match\n      events: [{eventName: DeleteKeyPair, eventID: b}]\n";
    let mut b = RulesetBuilder::default();
    b.add_source("k.yml", text);
    let rs = b.build().expect("compiles").ruleset;
    let report = rs.run_rule_tests(true);
    assert_eq!(report.ran, 2);
    assert_eq!(
        report.failures,
        vec![
            "k.yml (my-rule): test `wrongly expected` expected no match but the rule fired"
                .to_string()
        ]
    );
    let only_match = text.split("    - name: wrongly").next().expect("prefix");
    let mut b = RulesetBuilder::default();
    b.add_source("k.yml", only_match);
    let report = b.build().expect("compiles").ruleset.run_rule_tests(true);
    assert_eq!(report.failures.len(), 1);
    assert!(
        report.failures[0].contains("needs at least one `match` and one `no_match`"),
        "{:?}",
        report.failures
    );
}

#[test]
fn docs_describe_every_modifier() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/engine.md"))
        .expect("docs/engine.md");
    for m in rules::compile::MODIFIERS {
        let shown = [format!("`{m}`"), format!("|{m}"), format!("`{m}` flags")];
        assert!(
            shown.iter().any(|s| doc.contains(s.as_str()))
                || (m.len() == 1 && doc.contains("`i`, `m`, `s`")),
            "docs/engine.md does not describe modifier `{m}`"
        );
    }
    for t in [
        "event_count",
        "value_count",
        "temporal",
        "temporal_ordered",
        "first_seen",
    ] {
        assert!(
            doc.contains(&format!("`{t}`")),
            "docs/engine.md does not describe correlation `{t}`"
        );
    }
}

#[test]
fn unicode_case_folding_is_consistent() {
    let d = "sel:\n  a|contains: 'ΟΔΟΣ'\ncondition: sel";
    assert!(hits(d, json!({"a": "η οδος"})));
    assert!(hits(d, json!({"a": "Η ΟΔΟΣ"})));
    assert!(!hits(d, json!({"a": "η οδο"})));
}

#[test]
fn needs_list_every_field_read_including_fieldref_targets() {
    let rs = build_with(
        "sel:\n  eventName: X\n  userIdentity.arn|fieldref: requestParameters.userName\ncondition: sel",
        HashMap::new(),
    )
    .expect("compiles");
    let needs = &rs.rules()[0].needs;
    let fields: Vec<&str> = needs.fields.iter().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "eventName",
            "requestParameters.userName",
            "userIdentity.arn"
        ]
    );
    assert_eq!(
        needs
            .modifiers
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["fieldref"]
    );
    assert!(!needs.keywords);
}

#[test]
fn neq_with_strings_numbers_and_fieldref() {
    let d = "sel:\n  eventName: RunInstances\n  userIdentity.type|neq:\n    - Root\n    - AWSService\ncondition: sel";
    assert!(hits(
        d,
        json!({"eventName": "RunInstances", "userIdentity": {"type": "IAMUser"}})
    ));
    assert!(!hits(
        d,
        json!({"eventName": "RunInstances", "userIdentity": {"type": "root"}})
    ));
    assert!(!hits(
        d,
        json!({"eventName": "RunInstances", "userIdentity": {"type": "AWSService"}})
    ));
    assert!(
        !hits(d, json!({"eventName": "RunInstances"})),
        "an absent field is not 'different'"
    );
    let n = "sel:\n  port|neq: 22\ncondition: sel";
    assert!(hits(n, json!({"port": 2222})));
    assert!(!hits(n, json!({"port": 22})));
    let r =
        "sel:\n  userIdentity.userName|fieldref|neq: requestParameters.userName\ncondition: sel";
    assert!(hits(
        r,
        json!({"userIdentity": {"userName": "alice"}, "requestParameters": {"userName": "bob"}})
    ));
    assert!(!hits(
        r,
        json!({"userIdentity": {"userName": "bob"}, "requestParameters": {"userName": "Bob"}})
    ));
}

#[test]
fn time_modifiers_read_parts_of_the_timestamp() {
    let ev = json!({"eventTime": "2024-12-30T03:07:00Z"});
    for (m, v) in [
        ("minute", 7),
        ("hour", 3),
        ("day", 30),
        ("week", 1),
        ("month", 12),
        ("year", 2024),
    ] {
        assert!(
            hits(
                &format!("sel:\n  eventTime|{m}: {v}\ncondition: sel"),
                ev.clone()
            ),
            "{m} {v}"
        );
        assert!(
            !hits(
                &format!("sel:\n  eventTime|{m}: {}\ncondition: sel", v + 1),
                ev.clone()
            ),
            "{m} {}",
            v + 1
        );
    }
    let night = "sel:\n  eventTime|hour|lt: 6\ncondition: sel";
    assert!(hits(night, ev.clone()));
    assert!(!hits(night, json!({"eventTime": "2024-12-30T13:07:00Z"})));
    assert!(!hits(night, json!({"eventTime": "not a time"})));
}

#[test]
fn invalid_yaml_and_unsupported_documents_name_the_file() {
    let mut b = RulesetBuilder::default();
    b.add_source("bad.yml", "title: [unclosed\n");
    b.add_source("filter.yml", "title: f\nid: f1\nfilter:\n  rules: [x]\n  selection: {a: 1}\n  condition: not selection\n");
    b.add_source(
        "nodet.yml",
        "title: nodet\nid: n1\nlogsource: {product: aws, service: cloudtrail}\n",
    );
    let errs: Vec<String> = b
        .build()
        .expect_err("invalid")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs[0].starts_with("bad.yml: invalid YAML"), "{errs:?}");
    assert!(
        errs[1].starts_with("filter.yml (rule f1): Sigma filter documents"),
        "{errs:?}"
    );
    assert!(
        errs[2].starts_with("nodet.yml (rule n1): no `detection`"),
        "{errs:?}"
    );
}

#[test]
fn unquoted_yaml_words_keep_their_yaml_type() {
    // As with PyYAML (pySigma), an unquoted `No`/`yes` may be a YAML boolean: quote such values.
    let quoted = "sel:\n  additionalEventData.MFAUsed: 'No'\ncondition: sel";
    assert!(hits(
        quoted,
        json!({"additionalEventData": {"MFAUsed": "No"}})
    ));
    assert!(!hits(
        quoted,
        json!({"additionalEventData": {"MFAUsed": "Yes"}})
    ));
}

/// `fields` (dotted path → string) as the nested JSON object they describe.
fn nested(fields: &[(&str, &str)]) -> Value {
    let mut root = json!({});
    for (path, v) in fields {
        let mut at = &mut root;
        for seg in path.split('.') {
            at = at
                .as_object_mut()
                .expect("paths do not overlap with leaves")
                .entry(seg)
                .or_insert(json!({}));
        }
        *at = json!(v);
    }
    root
}

#[test]
fn string_documents_are_judged_like_the_json_objects_they_stand_for() {
    let detections = [
        "sel:\n  eventName: RunInstances\ncondition: sel",
        "sel:\n  userIdentity.arn|contains: ':assumed-role/'\ncondition: sel",
        "sel:\n  userIdentity.arn|re: '/i-[0-9a-f]{8,17}$'\ncondition: sel",
        "sel:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: not sel",
        "sel:\n  eventVersion|gte: 1.08\ncondition: sel",
        "sel:\n  eventTime|minute: 7\ncondition: sel",
        "sel:\n  errorCode: null\ncondition: sel",
        "sel:\n  errorCode|exists: true\ncondition: sel",
        "sel:\n  errorCode|exists: false\ncondition: sel",
        "sel:\n  userIdentity.userName|fieldref: userIdentity.principalId\ncondition: sel",
        "sel:\n  userIdentity.arn|fieldref|endswith: userIdentity.userName\ncondition: sel",
        "sel:\n  userIdentity.userName|fieldref|cased: userIdentity.principalId\ncondition: sel",
        "sel1:\n  eventName|startswith: Run\nsel2:\n  awsRegion: us-east-1\ncondition: 1 of sel* and not sel2",
        "sel:\n  eventName: '*Instances'\nfilter:\n  userAgent|contains: console\ncondition: sel and not filter",
    ];
    let events: [&[(&str, &str)]; 5] = [
        &[
            ("eventName", "RunInstances"),
            ("eventTime", "2024-12-30T03:07:00Z"),
            ("eventVersion", "1.09"),
            ("awsRegion", "eu-west-1"),
            ("sourceIPAddress", "203.0.113.9"),
            (
                "userIdentity.arn",
                "arn:aws:sts::1:assumed-role/web/i-0abc12345678",
            ),
            ("userIdentity.userName", "Bob"),
            ("userIdentity.principalId", "bob"),
        ],
        &[
            ("eventName", "TerminateInstances"),
            ("eventTime", "2024-12-30T03:08:00Z"),
            ("eventVersion", "1.05"),
            ("awsRegion", "us-east-1"),
            ("sourceIPAddress", "10.1.2.3"),
            ("errorCode", "AccessDenied"),
            ("userAgent", "AWS Internal console"),
            ("userIdentity.arn", "arn:aws:iam::1:user/alice"),
            ("userIdentity.userName", "alice"),
            ("userIdentity.principalId", "alice"),
        ],
        &[("eventName", "DescribeInstances"), ("errorCode", "")],
        &[("eventVersion", "not a number"), ("eventTime", "yesterday")],
        &[],
    ];
    let mut judged = 0;
    for d in detections {
        let rs = build_with(d, HashMap::new()).unwrap_or_else(|e| panic!("{d}: {e}"));
        for fields in events {
            let get = |p: &rules::ir::FieldPath| {
                fields
                    .iter()
                    .find(|(path, _)| *path == p.text)
                    .map(|(_, v)| *v)
            };
            let name = get(&rules::ir::FieldPath::new("eventName"));
            let source = get(&rules::ir::FieldPath::new("eventSource"));
            let on_strings = rs.matches_strings(name, source, &get, |_| true);
            let on_json = rs.matches(&nested(fields));
            assert_eq!(on_strings, on_json, "{d} on {fields:?}");
            judged += usize::from(!on_json.is_empty());
        }
    }
    // Both answers occur, so the comparison is not between two empty lists.
    assert!(
        judged > 10 && judged < detections.len() * events.len(),
        "{judged}"
    );
}
