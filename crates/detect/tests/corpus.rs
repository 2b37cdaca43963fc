//! The SigmaHQ CloudTrail rules (current and old aggregation syntax) over the whole public
//! CloudTrail corpus, through the full pipeline; the findings are snapshotted.

use std::path::Path;

use detect::{DetectOptions, detect};
use trail::ScanOptions;

fn shared(rel: &str) -> std::path::PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel);
    assert!(p.exists(), "the shared corpus is expected at {}", p.display());
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
    let opts = DetectOptions { scan: ScanOptions::default(), sort_memory: 1 << 20, enricher: None };
    let detection = detect(&found.sources, &loaded.ruleset, &opts).unwrap();
    assert!(!detection.report.skipped_anything(), "{:?}", detection.report.problems);
    let lines: Vec<String> = detection
        .findings
        .iter()
        .map(|f| format!("{} {} {:?} {} {}", f.severity, f.rule_id, f.outcome, f.event_time, f.event_ids.join(",")))
        .collect();
    // Every finding names events that exist, and each id is unique.
    let mut ids: Vec<&str> = detection.findings.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), detection.findings.len());
    insta::assert_snapshot!(lines.join("\n"));
}
