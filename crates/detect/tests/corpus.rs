//! The SigmaHQ CloudTrail rules (current and old aggregation syntax) over the whole public
//! CloudTrail corpus, through the full pipeline; the findings are snapshotted.

use std::path::Path;

use detect::{DetectOptions, detect};
use trail::ScanOptions;

fn shared(rel: &str) -> std::path::PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    assert!(
        p.exists(),
        "the shared corpus is expected at {}",
        p.display()
    );
    p
}

#[test]
fn sigmahq_rules_over_the_public_corpus() {
    let loaded = rules::RulesetBuilder::default()
        .with_dir(&shared("corpus/sigma/rules"))
        .with_dir(&shared("corpus/sigma/unsupported-aggregation"))
        .build()
        .expect("the SigmaHQ rules compile");
    let found = trail::discover(&[shared("corpus/cloudtrail").to_str().unwrap()]);
    let opts = DetectOptions {
        scan: ScanOptions::default(),
        phase_done: None,
        sort_memory: 1 << 20,
        enricher: None,
    };
    let detection = detect(&found.sources, &loaded.ruleset, &opts).unwrap();
    assert!(
        !detection.report.skipped_anything(),
        "{:?}",
        detection.report.problems
    );
    let lines: Vec<String> = detection
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?} {} {}",
                f.severity,
                f.rule_id,
                f.outcome,
                f.event_time,
                f.event_ids.join(",")
            )
        })
        .collect();
    // Every finding names events that exist, and each id is unique.
    let mut ids: Vec<&str> = detection.findings.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), detection.findings.len());
    insta::assert_snapshot!(lines.join("\n"));
}

/// The prefilter (typed-field gates, the light object), the parallel single-event path and the
/// projected, time-ordered correlation path never change what fires: every finding equals what the
/// engine's plain `run` gives on every fully parsed record in time order.
#[test]
fn pipeline_is_exact_against_plain_evaluation() {
    let loaded = rules::RulesetBuilder::default()
        .with_builtin()
        .with_dir(&shared("corpus/sigma/rules"))
        .with_dir(&shared("corpus/sigma/unsupported-aggregation"))
        .build()
        .expect("rules compile");
    let rs = &loaded.ruleset;
    let found = trail::discover(&[shared("corpus/cloudtrail").to_str().unwrap()]);
    let opts = DetectOptions {
        scan: ScanOptions::default(),
        phase_done: None,
        sort_memory: 1 << 16,
        enricher: None,
    };
    let detection = detect(&found.sources, rs, &opts).unwrap();
    let mut fast: Vec<(String, Vec<String>)> = detection
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.event_ids.clone()))
        .collect();
    let mut records: Vec<(i128, String, serde_json::Value)> = Vec::new();
    let report = trail::scan(
        &found.sources,
        &ScanOptions::default(),
        |rec, raw, time| {
            let v: serde_json::Value = serde_json::from_str(raw.get()).unwrap();
            Ok(Some((
                time.as_nanosecond(),
                rec.event_id.as_deref().unwrap_or_default().to_string(),
                v,
            )))
        },
        |r| records.push(r),
    );
    assert!(!report.skipped_anything());
    records.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let values: Vec<serde_json::Value> = records.into_iter().map(|r| r.2).collect();
    let mut plain: Vec<(String, Vec<String>)> = rs
        .run(&values)
        .into_iter()
        .map(|(rule, ids)| (rs.rules()[rule].rule_id.clone(), ids))
        .collect();
    fast.sort();
    plain.sort();
    assert!(plain.len() > 100, "{}", plain.len());
    assert_eq!(fast, plain);
}

/// The built-in pack over the whole public corpus: which rule fired on which events.
#[test]
fn builtin_pack_over_the_public_corpus() {
    let loaded = rules::RulesetBuilder::default()
        .with_builtin()
        .build()
        .expect("the pack compiles");
    assert!(loaded.skipped.is_empty());
    let found = trail::discover(&[shared("corpus/cloudtrail").to_str().unwrap()]);
    let opts = DetectOptions {
        scan: ScanOptions::default(),
        phase_done: None,
        sort_memory: 1 << 20,
        enricher: None,
    };
    let detection = detect(&found.sources, &loaded.ruleset, &opts).unwrap();
    let lines: Vec<String> = detection
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?} {} {} {}",
                f.severity,
                f.rule_id,
                f.outcome,
                f.event_time,
                f.event_name,
                f.event_ids.join(",")
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}
