//! The public corpus: all 57 SigmaHQ CloudTrail rules and the 8 old-syntax aggregation rules
//! load and run, and the rules' hits over the public CloudTrail records are snapshotted.

use std::path::{Path, PathBuf};

use rules::{CorrelationType, RuleKind, RulesetBuilder};
use serde_json::Value;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn sigma(dir: &str) -> rules::Loaded {
    let path = Path::new(SHARED).join("sigma").join(dir);
    assert!(path.is_dir(), "corpus folder {} is missing", path.display());
    RulesetBuilder::default()
        .with_dir(&path)
        .build()
        .unwrap_or_else(|errs| {
            panic!(
                "corpus {dir} must load: {}",
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable corpus") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Every record of the public CloudTrail corpus: `{"Records":[...]}`, bare arrays, single
/// objects. Returns (file, record) in file order.
pub fn corpus_events() -> Vec<(String, Value)> {
    let mut files = Vec::new();
    walk(&Path::new(SHARED).join("cloudtrail"), &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let rel = file
            .strip_prefix(SHARED)
            .expect("under corpus")
            .display()
            .to_string();
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            // JSON lines
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{rel}: {e}"));
                out.push((rel.clone(), v));
            }
            continue;
        };
        match v {
            Value::Object(mut m) if m.contains_key("Records") => match m.remove("Records") {
                Some(Value::Array(items)) => {
                    out.extend(items.into_iter().map(|r| (rel.clone(), r)))
                }
                _ => panic!("{rel}: Records is not a list"),
            },
            Value::Array(items) => out.extend(items.into_iter().map(|r| (rel.clone(), r))),
            v => out.push((rel.clone(), v)),
        }
    }
    out
}

#[test]
fn all_57_sigmahq_rules_load_as_single_event_rules() {
    let loaded = sigma("rules");
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    let rules = loaded.ruleset.rules();
    let emitting: Vec<_> = rules.iter().filter(|r| r.emits).collect();
    assert_eq!(emitting.len(), 57);
    assert!(emitting.iter().all(|r| r.kind == RuleKind::Detection));
    assert_eq!(loaded.ruleset.correlations().len(), 0);
}

#[test]
fn all_8_old_aggregation_rules_load_as_correlations_or_rules() {
    let loaded = sigma("unsupported-aggregation");
    let rs = &loaded.ruleset;
    let emitting: Vec<_> = rs.rules().iter().filter(|r| r.emits).collect();
    assert_eq!(emitting.len(), 8);
    let kind_of = |id: &str| {
        rs.rules()
            .iter()
            .find(|r| r.rule_id == id)
            .map(|r| r.kind.clone())
            .expect(id)
    };
    let corr = |c| RuleKind::Correlation { correlation: c };
    // selection | count() > 10
    assert_eq!(
        kind_of("26ff4080-194e-47e7-9889-ef7602efed0c"),
        corr(CorrelationType::EventCount)
    );
    // selection | count() by sourceIPAddress > 5
    assert_eq!(
        kind_of("91f6a16c-ef71-437a-99ac-0b070e3ad221"),
        corr(CorrelationType::EventCount)
    );
    let macie = rs
        .correlations()
        .iter()
        .find(|c| rs.rules()[c.rule].rule_id.starts_with("91f6a16c"))
        .expect("macie");
    assert_eq!(
        macie
            .group_by
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["sourceIPAddress"]
    );
    assert_eq!(macie.condition.gt, Some(5.0));
    assert_eq!(macie.timespan_ms, Some(600_000));
    // selection1 | near selection2
    assert_eq!(
        kind_of("d914951b-52c8-485f-875e-86abab710c0b"),
        corr(CorrelationType::Temporal)
    );
    // selection1 and selection2 with a timeframe but no aggregation: a plain rule, with a note
    let ses = rs
        .rules()
        .iter()
        .find(|r| r.rule_id == "60b84424-a724-4502-bd0d-cc676e1bc90e")
        .expect("ses rule");
    assert_eq!(ses.kind, RuleKind::Detection);
    assert!(!ses.notes.is_empty());
    let correlations = rs
        .rules()
        .iter()
        .filter(|r| r.emits && matches!(r.kind, RuleKind::Correlation { .. }))
        .count();
    assert_eq!(correlations, 7);
    assert_eq!(rs.correlations().len(), 7);
}

#[test]
fn corpus_rules_over_public_cloudtrail_records() {
    let events = corpus_events();
    assert!(
        events.len() > 100,
        "expected the public corpus, got {} records",
        events.len()
    );
    let mut snapshot = Vec::new();
    for dir in ["rules", "unsupported-aggregation"] {
        let loaded = sigma(dir);
        let rs = &loaded.ruleset;
        let mut sorted: Vec<&Value> = events.iter().map(|(_, v)| v).collect();
        sorted.sort_by(|a, b| {
            a.get("eventTime")
                .and_then(Value::as_str)
                .cmp(&b.get("eventTime").and_then(Value::as_str))
        });
        let owned: Vec<Value> = sorted.into_iter().cloned().collect();
        let mut hits: Vec<String> = rs
            .run(&owned)
            .into_iter()
            .map(|(rule, ids)| format!("{dir} | {} | {}", rs.rules()[rule].title, ids.join(",")))
            .collect();
        hits.sort();
        snapshot.extend(hits);
    }
    assert!(!snapshot.is_empty());
    insta::assert_yaml_snapshot!(snapshot);
}
