//! Matching a realistic CloudTrail stream (the public corpus records, in time order) against
//! the 57 SigmaHQ CloudTrail rules: the dispatch prefilter alone, full single-event matching,
//! and matching plus correlation (the 8 old-syntax aggregation rules).
//!
//! Run: `cargo bench -p rules --bench match_corpus`

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rules::{Correlator, RulesetBuilder};
use serde_json::Value;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("corpus folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn events() -> Vec<Value> {
    let mut files = Vec::new();
    walk(&Path::new(SHARED).join("cloudtrail"), &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(mut m)) if m.contains_key("Records") => {
                if let Some(Value::Array(items)) = m.remove("Records") {
                    out.extend(items);
                }
            }
            Ok(Value::Array(items)) => out.extend(items),
            Ok(v) => out.push(v),
            Err(_) => out.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok())),
        }
    }
    out.sort_by(|a, b| {
        a.get("eventTime")
            .and_then(Value::as_str)
            .cmp(&b.get("eventTime").and_then(Value::as_str))
    });
    out
}

fn bench(c: &mut Criterion) {
    let events = events();
    let load = |dir: &str| {
        RulesetBuilder::default()
            .with_dir(&Path::new(SHARED).join("sigma").join(dir))
            .build()
            .expect("corpus rules compile")
            .ruleset
    };
    let rules57 = load("rules");
    let old8 = load("unsupported-aggregation");
    let mut group = c.benchmark_group("corpus_stream");
    group.throughput(Throughput::Elements(events.len() as u64));
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("prefilter_57_rules", |b| {
        b.iter(|| {
            events
                .iter()
                .filter(|e| {
                    rules57.may_match(
                        e.get("eventSource").and_then(Value::as_str),
                        e.get("eventName").and_then(Value::as_str),
                    )
                })
                .count()
        })
    });
    group.bench_function("match_57_rules", |b| {
        b.iter(|| {
            events
                .iter()
                .map(|e| rules57.matches(e).len())
                .sum::<usize>()
        })
    });
    group.bench_function("match_and_correlate_8_old_syntax_rules", |b| {
        b.iter(|| {
            let mut correlator = Correlator::new(&old8);
            let mut n = 0;
            for e in &events {
                let hits = old8.matches(e);
                n += correlator.feed(e, &hits).len();
            }
            n + correlator.finish().len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
