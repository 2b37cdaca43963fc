//! The watcher's engine over the bundled incident: files fed in passes of any size give exactly
//! the findings of one batch `detect` over all of them (correlations across passes included), each
//! alerted once; a restart alerts nothing again; a sink that already holds an alert is not sent it
//! twice.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use watch::{Engine, EngineOptions, FileSink, Input, Sink, StateDb, deliver_pending};

fn incident_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/trail");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains("/CloudTrail/") {
                files.push(p);
            }
        }
    }
    // Delivery order: the timestamp in CloudTrail's file names.
    let stamp = |p: &PathBuf| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.split('_').nth(3).unwrap_or_default().to_string()
    };
    files.sort_by_key(|p| (stamp(p), p.clone()));
    files
}

fn ruleset() -> rules::Ruleset {
    rules::RulesetBuilder::default()
        .with_builtin()
        .build()
        .unwrap_or_else(|e| panic!("{e:?}"))
        .ruleset
}

fn batch_ids(files: &[PathBuf], ruleset: &rules::Ruleset) -> BTreeSet<String> {
    let sources: Vec<trail::Source> = files.iter().map(trail::Source::file).collect();
    let opts = detect::DetectOptions {
        scan: trail::ScanOptions::default(),
        phase_done: None,
        sort_memory: 64 << 20,
        enricher: None,
    };
    detect::detect(&sources, ruleset, &opts)
        .unwrap()
        .findings
        .into_iter()
        .map(|f| f.id)
        .collect()
}

fn input(path: &Path) -> Input {
    Input {
        id: path.display().to_string(),
        bytes: Arc::from(std::fs::read(path).unwrap()),
        appeared_ms: None,
    }
}

#[test]
fn passes_of_any_size_alert_exactly_what_batch_detection_finds() {
    let files = incident_files();
    assert!(files.len() > 300);
    let ruleset = ruleset();
    let expected = batch_ids(&files, &ruleset);
    assert!(expected.len() > 10, "{}", expected.len());
    let engine = Engine::new(&ruleset, None, EngineOptions::default());
    let sinks = vec!["file:x".to_string()];
    for per_pass in [1, 7, 60, files.len()] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut alerted: Vec<String> = Vec::new();
        let mut db = StateDb::open(&path, "test").unwrap();
        for (n, chunk) in files.chunks(per_pass).enumerate() {
            // A restart every tenth pass: a fresh engine and a reopened state.
            if n % 10 == 9 {
                drop(db);
                db = StateDb::open(&path, "test").unwrap();
            }
            let inputs: Vec<Input> = chunk.iter().map(|p| input(p)).collect();
            let report = engine.process(&mut db, &inputs, &sinks, 0).unwrap();
            assert!(report.problems.is_empty(), "{:?}", report.problems);
            alerted.extend(report.new_alerts);
        }
        let unique: BTreeSet<String> = alerted.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            alerted.len(),
            "an id alerted twice ({per_pass} per pass)"
        );
        assert_eq!(unique, expected, "{per_pass} files per pass");
        let status = db.status(0).unwrap();
        assert_eq!(status.objects, files.len() as u64);
        assert_eq!(status.findings, expected.len() as u64);
        assert_eq!(db.pending("file:x").unwrap().len(), expected.len());

        // The same files again (at-least-once input): nothing new.
        let inputs: Vec<Input> = files[..20].iter().map(|p| input(p)).collect();
        let again = engine.process(&mut db, &inputs, &sinks, 0).unwrap();
        assert!(again.new_alerts.is_empty());
    }
}

#[test]
fn the_window_is_pruned_behind_the_newest_event() {
    let files = incident_files();
    let ruleset = ruleset();
    // A short lateness: the incident spans four days, the pack's longest chain a few hours.
    let engine = Engine::new(
        &ruleset,
        None,
        EngineOptions {
            lateness_ms: 60_000,
            ..EngineOptions::default()
        },
    );
    let retention = engine
        .retention_ms()
        .expect("the built-in pack has timespans");
    let dir = tempfile::tempdir().unwrap();
    let mut db = StateDb::open(&dir.path().join("s.db"), "t").unwrap();
    let mut biggest = 0;
    for chunk in files.chunks(10) {
        let inputs: Vec<Input> = chunk.iter().map(|p| input(p)).collect();
        let report = engine.process(&mut db, &inputs, &[], 0).unwrap();
        biggest = biggest.max(report.window_events);
    }
    let window = db.window().unwrap();
    let newest = db.watermark_ms().unwrap().unwrap();
    let status = db.status(0).unwrap();
    assert!(window.len() < biggest, "{} vs {biggest}", window.len());
    // Everything left is within the retention of the newest event, or pinned (first_seen).
    let old = window
        .iter()
        .filter(|e| e.time_ms < newest - retention)
        .count() as u64;
    assert!(
        old <= status.pinned_events,
        "{old} old, {} pinned",
        status.pinned_events
    );
    assert!(status.pinned_events > 0, "first_seen events are kept");
}

#[test]
fn alerts_already_in_the_file_are_journaled_not_written_again() {
    let files = incident_files();
    let ruleset = ruleset();
    let engine = Engine::new(&ruleset, None, EngineOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("alerts.jsonl");
    let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(FileSink::new(&out))];
    let names: Vec<String> = sinks.iter().map(|s| s.name()).collect();
    let mut db = StateDb::open(&dir.path().join("s.db"), "t").unwrap();
    let inputs: Vec<Input> = files.iter().map(|p| input(p)).collect();
    let report = engine.process(&mut db, &inputs, &names, 0).unwrap();
    assert!(report.new_alerts.len() > 3);
    // A crash after the first two alerts were written, before they were journaled, with the
    // third cut off halfway.
    let pending = db.pending(&names[0]).unwrap();
    let mut text = String::new();
    for p in &pending[..2] {
        text.push_str(&p.json);
        text.push('\n');
    }
    text.push_str(&pending[2].json[..20]);
    std::fs::write(&out, &text).unwrap();
    db.sending(&pending[2].finding_id, &names[0]).unwrap();

    let d = deliver_pending(&mut db, &mut sinks, || 0).unwrap();
    assert_eq!(d.recovered, 2);
    assert_eq!(d.delivered, pending.len() - 2);
    let written: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let ids: Vec<String> = pending.iter().map(|p| p.finding_id.clone()).collect();
    assert_eq!(written, ids, "each alert once, in order");
    assert!(db.pending(&names[0]).unwrap().is_empty());
    // Nothing left: another round writes nothing.
    let d = deliver_pending(&mut db, &mut sinks, || 0).unwrap();
    assert_eq!((d.delivered, d.recovered), (0, 0));
}

#[test]
fn a_record_rules_cannot_read_is_a_problem_of_its_input() {
    let ruleset = ruleset();
    let engine = Engine::new(&ruleset, None, EngineOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let mut db = StateDb::open(&dir.path().join("state.db"), "test").unwrap();
    // 1e400 is JSON the reader passes, but no JSON tree holds it as a number.
    let text = r#"{"Records":[{"eventVersion":"1.08","eventID":"11111111-0000-0000-0000-000000000009","eventTime":"2024-05-04T02:10:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateKeyPair","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"requestParameters":{"keyName":"k","big":1e400}}]}"#;
    let inputs = vec![Input {
        id: "s3://b/bad.json".into(),
        bytes: Arc::from(text.as_bytes()),
        appeared_ms: None,
    }];
    let report = engine
        .process(&mut db, &inputs, &["file:x".to_string()], 0)
        .unwrap();
    assert_eq!(report.records, 0);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].file, "s3://b/bad.json");
    assert!(
        report.problems[0]
            .message
            .contains("rules cannot read this record")
    );
}
