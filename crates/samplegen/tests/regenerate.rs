//! The checked-in sample incident is exactly what the generator writes: regenerate and compare.

use std::path::{Path, PathBuf};
use std::process::Command;

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn bundled_incident_is_reproducible() {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident");
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_trailhound-samplegen"))
        .args(["incident", "--out"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let want = files(&bundled);
    let got = files(dir.path());
    assert_eq!(
        got, want,
        "file lists differ: run `cargo run -p samplegen -- incident`"
    );
    for f in &want {
        let a = std::fs::read(bundled.join(f)).unwrap();
        let b = std::fs::read(dir.path().join(f)).unwrap();
        assert!(
            a == b,
            "{} differs: run `cargo run -p samplegen -- incident`",
            f.display()
        );
    }
}

#[test]
fn scale_corpus_is_deterministic_and_readable() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        let status = Command::new(env!("CARGO_BIN_EXE_trailhound-samplegen"))
            .args(["scale", "--gib", "0.01", "--out"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let list = files(a.path());
    assert_eq!(list, files(b.path()));
    assert!(list.len() >= 4, "{list:?}");
    for f in &list {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap()
        );
    }
}
