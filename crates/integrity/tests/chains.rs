//! Signed digest chains made with RSA keys of our own (openssl signs, an implementation apart from
//! the one that verifies), then tampered with one way at a time; each test asserts the exact
//! verdicts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use integrity::fixture::{Fixture, WrittenDigest, gz};
use integrity::{DirStore, KeyRing, Options, Report, Subject, Verdict, validate};
use jiff::Timestamp;

/// An RSA key pair made by `openssl genrsa`, kept for the test run.
struct TestKey {
    private: PathBuf,
    public_pem: PathBuf,
    fingerprint: String,
}

fn test_key(name: &str) -> &'static TestKey {
    static A: OnceLock<TestKey> = OnceLock::new();
    static B: OnceLock<TestKey> = OnceLock::new();
    let cell = if name == "a" { &A } else { &B };
    cell.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("integrity-key-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let private = dir.join("private.pem");
        let public_pem = dir.join("public.pem");
        let der = dir.join("public.der");
        openssl(&["genrsa", "-out", path(&private), "2048"]);
        openssl(&[
            "rsa",
            "-in",
            path(&private),
            "-pubout",
            "-out",
            path(&public_pem),
        ]);
        openssl(&[
            "rsa",
            "-in",
            path(&private),
            "-RSAPublicKey_out",
            "-outform",
            "DER",
            "-out",
            path(&der),
        ]);
        // CloudTrail lists PKCS#1 DER and fingerprints it with MD5.
        let fingerprint = integrity::keys::fingerprint(&std::fs::read(&der).unwrap());
        TestKey {
            private,
            public_pem,
            fingerprint,
        }
    })
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .expect("openssl is installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs with `openssl dgst -sha256 -sign` (RSA PKCS#1 v1.5).
fn signer(key: &TestKey) -> impl FnMut(&[u8]) -> Vec<u8> {
    let private = key.private.clone();
    move |message: &[u8]| {
        use std::io::Write;
        let mut child = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign", path(&private)])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(message).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        out.stdout
    }
}

fn ring(keys: &[&TestKey]) -> KeyRing {
    let mut ring = KeyRing::new();
    for k in keys {
        ring.add_file(&k.public_pem).unwrap();
    }
    ring
}

fn until() -> Timestamp {
    "2024-06-01T00:00:00Z".parse().unwrap()
}

fn options() -> Options {
    Options {
        since: None,
        until: until(),
        extras: true,
    }
}

/// A default fixture (3 hours, 2 logs each) signed by key a, written into a fresh folder.
fn written(tweak: impl FnOnce(&mut Fixture)) -> (tempfile::TempDir, Vec<WrittenDigest>) {
    let key = test_key("a");
    let mut fixture = Fixture::new("trail-bucket", &key.fingerprint);
    tweak(&mut fixture);
    let dir = tempfile::tempdir().unwrap();
    let digests = fixture.write(dir.path(), &mut signer(key)).unwrap();
    (dir, digests)
}

fn run(dir: &Path, keys: &KeyRing, options: &Options) -> Report {
    let store = DirStore::open(dir, Some("trail-bucket".into()), "").unwrap();
    validate(&store, keys, options)
}

/// `(subject, key, verdict)` of every line, in order.
fn verdicts(report: &Report) -> Vec<(Subject, String, Verdict)> {
    report
        .entries
        .iter()
        .map(|e| {
            let key = e
                .uri
                .strip_prefix("s3://trail-bucket/")
                .unwrap_or(&e.uri)
                .to_string();
            (e.subject, key, e.verdict)
        })
        .collect()
}

fn verdict_of(report: &Report, key: &str) -> Vec<Verdict> {
    report
        .entries
        .iter()
        .filter(|e| e.uri.ends_with(key))
        .map(|e| e.verdict)
        .collect()
}

/// The lines of an untouched chain: newest digest first, each followed by its logs.
fn all_valid(digests: &[WrittenDigest]) -> Vec<(Subject, String, Verdict)> {
    let mut out = Vec::new();
    for d in digests.iter().rev() {
        out.push((Subject::Digest, d.key.clone(), Verdict::Valid));
        for l in &d.logs {
            out.push((Subject::Log, l.clone(), Verdict::Valid));
        }
    }
    out
}

fn relog(dir: &Path, key: &str, body: &[u8]) {
    std::fs::write(dir.join(key), gz(body)).unwrap();
}

#[test]
fn an_untouched_chain_is_valid() {
    let (dir, digests) = written(|_| {});
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(verdicts(&report), all_valid(&digests));
    assert!(report.is_clean(), "{:#?}", report.entries);
    assert_eq!(report.counts.digests_valid, 3);
    assert_eq!(report.counts.logs_valid, 6);
    assert_eq!(report.chains, ["111122223333/us-east-1/main"]);
    assert_eq!(
        report.summary_lines(),
        [
            "Results requested for the earliest digest to 2024-06-01T00:00:00Z",
            "Results found for 2024-05-01T00:01:31Z to 2024-05-01T03:01:31Z:",
            "",
            "3/3 digest files valid",
            "6/6 log files valid",
        ]
    );
    let first = &report.entries[0];
    assert_eq!(
        first.line(),
        format!("Digest file\ts3://trail-bucket/{}\tvalid", digests[2].key)
    );
    assert_eq!(
        first.id,
        format!("digest:s3://trail-bucket/{}", digests[2].key)
    );
}

#[test]
fn a_modified_log_file_fails_its_hash() {
    let (dir, digests) = written(|_| {});
    let target = &digests[1].logs[0];
    relog(dir.path(), target, br#"{"Records": []}"#);
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    let mut expected = all_valid(&digests);
    for line in &mut expected {
        if &line.1 == target {
            line.2 = Verdict::HashMismatch;
        }
    }
    assert_eq!(verdicts(&report), expected);
    assert!(!report.is_clean());
    let line = report
        .entries
        .iter()
        .find(|e| e.uri.ends_with(target.as_str()))
        .unwrap();
    assert_eq!(
        line.line(),
        format!("Log file\ts3://trail-bucket/{target}\tINVALID: hash value doesn't match")
    );
    assert_eq!(
        report.summary_lines()[4],
        "5/6 log files valid, 1/6 log files INVALID"
    );
}

#[test]
fn recompressing_a_log_file_keeps_it_valid() {
    // The hash is over the uncompressed content: a different gzip of the same bytes is fine.
    let (dir, digests) = written(|_| {});
    let target = &digests[0].logs[1];
    let original = std::fs::read(dir.path().join(target)).unwrap();
    let body = integrity::digest::gunzip(&original).unwrap().value;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut e, &body).unwrap();
    let again = e.finish().unwrap();
    std::fs::write(dir.path().join(target), &again).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert!(report.is_clean());
}

#[test]
fn a_deleted_log_file_is_not_found() {
    let (dir, digests) = written(|_| {});
    let target = &digests[2].logs[1];
    std::fs::remove_file(dir.path().join(target)).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(verdict_of(&report, target), [Verdict::NotFound]);
    assert_eq!(report.counts.logs_invalid, 1);
    assert_eq!(report.counts.logs_valid, 5);
}

#[test]
fn appended_gzip_members_are_caught() {
    // validate-logs hashes only the first gzip member; a second one, forged events inside, is
    // read by trailhound's own reader and by zcat.
    let (dir, digests) = written(|_| {});
    let target = &digests[0].logs[0];
    let mut bytes = std::fs::read(dir.path().join(target)).unwrap();
    bytes.extend(gz(br#"{"Records": [{"eventName": "Forged"}]}"#));
    std::fs::write(dir.path().join(target), bytes).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(verdict_of(&report, target), [Verdict::TrailingData]);
    assert!(!report.is_clean());
}

#[test]
fn an_extra_log_file_is_reported() {
    let (dir, digests) = written(|_| {});
    let fixture = Fixture::new("trail-bucket", "x");
    // Inside the covered hours, and a planted file with no CloudTrail name in the same folder.
    let t: Timestamp = "2024-05-01T01:20:00Z".parse().unwrap();
    let extra = fixture.log_key(t, 777);
    relog(
        dir.path(),
        &extra,
        br#"{"Records": [{"eventName": "Forged"}]}"#,
    );
    let folder = Path::new(&extra).parent().unwrap().join("notes.json.gz");
    std::fs::write(dir.path().join(&folder), gz(b"{}")).unwrap();
    // In the last hour the digests cover: may belong to the next digest, so not reported.
    let late = fixture.log_key("2024-05-01T02:50:00Z".parse().unwrap(), 778);
    relog(dir.path(), &late, b"{}");
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    let got = verdicts(&report);
    assert_eq!(got[..9], all_valid(&digests)[..]);
    let mut extras = got[9..].to_vec();
    extras.sort_by(|a, b| a.1.cmp(&b.1));
    let mut want = vec![
        (Subject::Log, extra.clone(), Verdict::Extra),
        (
            Subject::Log,
            folder.to_str().unwrap().to_string(),
            Verdict::Extra,
        ),
    ];
    want.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(extras, want);
    assert_eq!(report.counts.extra_logs, 2);
    assert!(
        report
            .summary_lines()
            .contains(&"2 log files present but listed in no digest".to_string())
    );
    assert!(!report.is_clean());

    let without = run(
        dir.path(),
        &ring(&[test_key("a")]),
        &Options {
            extras: false,
            ..options()
        },
    );
    assert!(without.is_clean());
}

#[test]
fn a_deleted_digest_in_the_middle_is_not_found_and_its_logs_are_extra() {
    let (dir, digests) = written(|_| {});
    std::fs::remove_file(dir.path().join(&digests[1].key)).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    let mut expected = vec![(Subject::Digest, digests[2].key.clone(), Verdict::Valid)];
    expected.extend(
        digests[2]
            .logs
            .iter()
            .map(|l| (Subject::Log, l.clone(), Verdict::Valid)),
    );
    expected.push((Subject::Digest, digests[1].key.clone(), Verdict::NotFound));
    expected.push((Subject::Digest, digests[0].key.clone(), Verdict::Valid));
    expected.extend(
        digests[0]
            .logs
            .iter()
            .map(|l| (Subject::Log, l.clone(), Verdict::Valid)),
    );
    expected.extend(
        digests[1]
            .logs
            .iter()
            .map(|l| (Subject::Log, l.clone(), Verdict::Extra)),
    );
    assert_eq!(verdicts(&report), expected);
    assert_eq!(
        report.entries[3].line(),
        format!(
            "Digest file\ts3://trail-bucket/{}\tINVALID: not found",
            digests[1].key
        )
    );
    assert_eq!(
        report.summary_lines()[3],
        "2/3 digest files valid, 1/3 digest files INVALID"
    );
}

#[test]
fn the_newest_digest_deleted_is_not_noticed_as_validate_logs_would_not() {
    // validate-logs starts at the newest digest listed: removing the head of the chain leaves
    // a shorter, valid chain. Its log files are still caught as extra.
    let (dir, digests) = written(|f| f.hours = 4);
    std::fs::remove_file(dir.path().join(&digests[3].key)).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(report.counts.digests_valid, 3);
    assert_eq!(report.counts.digests_invalid, 0);
    // Delivered in what is now the last covered hour: left alone.
    assert_eq!(report.counts.extra_logs, 0);
}

#[test]
fn a_modified_digest_fails_its_signature() {
    let (dir, digests) = written(|_| {});
    let path = dir.path().join(&digests[1].key);
    let json = integrity::digest::gunzip(&std::fs::read(&path).unwrap())
        .unwrap()
        .value;
    // Drop a log file from its list, as someone hiding a log file would.
    let mut value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    value["logFiles"].as_array_mut().unwrap().pop();
    std::fs::write(&path, gz(&serde_json::to_vec(&value).unwrap())).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    let mut expected = vec![(Subject::Digest, digests[2].key.clone(), Verdict::Valid)];
    expected.extend(
        digests[2]
            .logs
            .iter()
            .map(|l| (Subject::Log, l.clone(), Verdict::Valid)),
    );
    expected.push((
        Subject::Digest,
        digests[1].key.clone(),
        Verdict::SignatureFailed,
    ));
    expected.push((Subject::Digest, digests[0].key.clone(), Verdict::Valid));
    expected.extend(
        digests[0]
            .logs
            .iter()
            .map(|l| (Subject::Log, l.clone(), Verdict::Valid)),
    );
    // The log file the edited digest no longer lists is now in no digest.
    expected.push((Subject::Log, digests[1].logs[1].clone(), Verdict::Extra));
    assert_eq!(verdicts(&report), expected);
    assert_eq!(
        report.entries[3].message,
        "INVALID: signature verification failed"
    );
}

#[test]
fn a_corrupted_signature_fails() {
    let (dir, digests) = written(|_| {});
    let sidecar = dir.path().join(format!("{}.metadata.json", digests[1].key));
    let text = std::fs::read_to_string(&sidecar).unwrap();
    let sig = &digests[1].signature;
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    std::fs::write(&sidecar, text.replace(sig.as_str(), &flipped)).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    // The metadata is what is checked, as validate-logs does, even though the next digest
    // records the right signature.
    assert_eq!(
        verdict_of(&report, &digests[1].key),
        [Verdict::SignatureFailed]
    );
    assert_eq!(verdict_of(&report, &digests[0].key), [Verdict::Valid]);
    assert_eq!(verdict_of(&report, &digests[2].key), [Verdict::Valid]);
    // Its log files are referenced by a parsed digest: unverified, not extra.
    assert_eq!(report.counts.extra_logs, 0);
    assert_eq!(report.counts.logs_valid, 4);

    // Not hex at all.
    std::fs::write(&sidecar, text.replace(sig.as_str(), "zz")).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(
        verdict_of(&report, &digests[1].key),
        [Verdict::SignatureFailed]
    );

    // Metadata without a signature: what validate-logs calls a failed verification.
    std::fs::write(&sidecar, r#"{"Metadata": {}}"#).unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(
        verdict_of(&report, &digests[1].key),
        [Verdict::SignatureFailed]
    );
}

#[test]
fn the_wrong_key_fails_every_signature() {
    // Signed with b, but naming a's fingerprint, and a is the key given.
    let key_b = test_key("b");
    let mut fixture = Fixture::new("trail-bucket", &test_key("a").fingerprint);
    let dir = tempfile::tempdir().unwrap();
    let digests = fixture_write(&mut fixture, dir.path(), key_b);
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    let expected: Vec<_> = digests
        .iter()
        .rev()
        .map(|d| (Subject::Digest, d.key.clone(), Verdict::SignatureFailed))
        .chain(digests.iter().flat_map(|d| {
            d.logs
                .iter()
                .map(|l| (Subject::Log, l.clone(), Verdict::Extra))
        }))
        .collect();
    let mut got = verdicts(&report);
    let extras = got.split_off(3);
    assert_eq!(got, expected[..3]);
    // Unverified digests still name their log files: none is extra.
    assert!(extras.is_empty(), "{extras:?}");
    assert_eq!(report.found, None);
    assert!(
        report
            .summary_lines()
            .contains(&"No valid digests found in range".to_string())
    );
}

fn fixture_write(fixture: &mut Fixture, dir: &Path, key: &TestKey) -> Vec<WrittenDigest> {
    fixture.write(dir, &mut signer(key)).unwrap()
}

#[test]
fn an_unknown_key_is_reported_with_its_fingerprint() {
    let key_b = test_key("b");
    let mut fixture = Fixture::new("trail-bucket", &key_b.fingerprint);
    let dir = tempfile::tempdir().unwrap();
    let digests = fixture_write(&mut fixture, dir.path(), key_b);
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(
        verdict_of(&report, &digests[2].key),
        [Verdict::PublicKeyNotFound]
    );
    assert_eq!(
        report.entries[0].message,
        format!(
            "INVALID: public key not found in region us-east-1 for fingerprint {}",
            key_b.fingerprint
        )
    );
    assert_eq!(report.counts.digests_invalid, 3);
    // With both keys it is valid.
    let report = run(dir.path(), &ring(&[test_key("a"), key_b]), &options());
    assert!(report.is_clean());
}

#[test]
fn a_listed_key_that_does_not_load() {
    let (dir, digests) = written(|_| {});
    let mut keys = KeyRing::new();
    keys.add_listed(b"not a key", &test_key("a").fingerprint);
    let report = run(dir.path(), &keys, &options());
    assert_eq!(
        verdict_of(&report, &digests[2].key),
        [Verdict::KeyUnloadable]
    );
    assert_eq!(
        report.entries[0].message,
        format!(
            "INVALID: Unable to load PKCS #1 key with fingerprint {}",
            test_key("a").fingerprint
        )
    );
}

#[test]
fn a_chain_restart_is_a_gap() {
    // No digest for the second hour (validation off): the third starts a new chain.
    let (dir, digests) = written(|f| {
        f.hours = 4;
        f.skipped = vec![1];
    });
    assert_eq!(digests.len(), 3);
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    let gaps: Vec<_> = report
        .entries
        .iter()
        .filter(|e| e.subject == Subject::Chain)
        .collect();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].verdict, Verdict::Gap);
    assert_eq!(
        gaps[0].message,
        "No log files were delivered by CloudTrail between 2024-05-01T01:01:31Z and 2024-05-01T02:01:31Z"
    );
    assert_eq!(report.counts.digests_valid, 3);
    // The hour without a digest had log files: nothing vouches for them.
    assert_eq!(report.counts.extra_logs, 2);
    assert!(
        report
            .summary_lines()
            .contains(&"1 gap in the digest chain".to_string())
    );
    // The gap after the newest (an older chain's end) alone does not fail a run.
    let report = run(
        dir.path(),
        &ring(&[test_key("a")]),
        &Options {
            extras: false,
            ..options()
        },
    );
    assert!(report.is_clean());
}

#[test]
fn a_wrong_previous_hash_is_a_broken_link() {
    let (dir, digests) = written(|f| f.bad_previous_hash = vec![2]);
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    // Every signature holds; the link from the newest to the middle digest does not.
    assert_eq!(report.counts.digests_valid, 3);
    assert_eq!(report.counts.link_mismatches, 1);
    let link = report
        .entries
        .iter()
        .find(|e| e.verdict == Verdict::PreviousHashMismatch)
        .unwrap();
    assert!(link.message.contains(&digests[1].key), "{}", link.message);
    assert!(!report.is_clean());
}

#[test]
fn offline_without_sidecars_only_the_newest_lacks_a_signature() {
    let (dir, digests) = written(|f| f.sidecars = false);
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(
        verdict_of(&report, &digests[2].key),
        [Verdict::SignatureMissing]
    );
    // The older ones are verified with the signature their successor records.
    assert_eq!(verdict_of(&report, &digests[1].key), [Verdict::Valid]);
    assert_eq!(verdict_of(&report, &digests[0].key), [Verdict::Valid]);
    assert_eq!(report.counts.logs_valid, 4);
    assert_eq!(report.entries[0].message, "INVALID: no signature to verify");
}

#[test]
fn a_moved_digest_is_invalid() {
    let (dir, digests) = written(|_| {});
    // The newest digest copied under another trail name's key... of the same chain's folder.
    let original = &digests[2].key;
    let moved = original.replace("T030131Z", "T030500Z");
    std::fs::rename(dir.path().join(original), dir.path().join(&moved)).unwrap();
    std::fs::rename(
        dir.path().join(format!("{original}.metadata.json")),
        dir.path().join(format!("{moved}.metadata.json")),
    )
    .unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(verdict_of(&report, &moved), [Verdict::Moved]);
    assert_eq!(
        report.entries[0].message,
        "INVALID: has been moved from its original location"
    );
    assert_eq!(verdict_of(&report, &digests[1].key), [Verdict::Valid]);

    // The folder said to be another bucket: every digest names trail-bucket.
    let store = DirStore::open(dir.path(), Some("other-bucket".into()), "").unwrap();
    let report = validate(&store, &ring(&[test_key("a")]), &options());
    assert!(report.entries.iter().all(|e| e.subject != Subject::Digest
        || e.verdict == Verdict::Moved
        || e.verdict == Verdict::NotFound));
}

#[test]
fn a_digest_that_is_not_gzip_is_invalid_format() {
    let (dir, digests) = written(|_| {});
    std::fs::write(dir.path().join(&digests[0].key), b"{}").unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert_eq!(
        verdict_of(&report, &digests[0].key),
        [Verdict::InvalidFormat]
    );
    assert_eq!(report.counts.digests_valid, 2);
}

#[test]
fn since_stops_at_the_digest_covering_it() {
    let (dir, digests) = written(|_| {});
    let report = run(
        dir.path(),
        &ring(&[test_key("a")]),
        &Options {
            since: Some("2024-05-01T01:30:00Z".parse().unwrap()),
            until: "2024-05-01T02:30:00Z".parse().unwrap(),
            extras: true,
        },
    );
    let digest_lines: Vec<_> = verdicts(&report)
        .into_iter()
        .filter(|l| l.0 == Subject::Digest)
        .collect();
    assert_eq!(
        digest_lines,
        [
            (Subject::Digest, digests[2].key.clone(), Verdict::Valid),
            (Subject::Digest, digests[1].key.clone(), Verdict::Valid),
        ]
    );
    assert_eq!(
        report.summary_lines()[..2],
        [
            "Results requested for 2024-05-01T01:30:00Z to 2024-05-01T02:30:00Z",
            "Results found for 2024-05-01T01:30:00Z to 2024-05-01T02:30:00Z:",
        ]
    );
    assert!(report.is_clean());
}

#[test]
fn backfill_digests_form_their_own_chain() {
    let (dir, _) = written(|_| {});
    let key = test_key("a");
    let mut backfill = Fixture::new("trail-bucket", &key.fingerprint);
    backfill.backfill = true;
    backfill.hours = 1;
    backfill.first_start = "2024-05-01T00:31:00Z".parse().unwrap();
    let written_backfill = backfill.write(dir.path(), &mut signer(key)).unwrap();
    let report = run(dir.path(), &ring(&[key]), &options());
    assert_eq!(report.counts.digests_valid, 3);
    assert_eq!(report.counts.backfill_digests_valid, 1);
    let line = report.entries.iter().find(|e| e.backfill).unwrap().line();
    assert_eq!(
        line,
        format!(
            "(backfill) Digest file\ts3://trail-bucket/{}\tvalid",
            written_backfill[0].key
        )
    );
    assert!(
        report
            .summary_lines()
            .contains(&"1/1 backfill digest files valid".to_string())
    );

    // A backfill digest's metadata must carry its generation time.
    let sidecar = dir
        .path()
        .join(format!("{}.metadata.json", written_backfill[0].key));
    let text = std::fs::read_to_string(&sidecar).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut meta = v["Metadata"].clone();
    meta.as_object_mut()
        .unwrap()
        .remove("backfill-generation-timestamp");
    std::fs::write(
        &sidecar,
        serde_json::to_vec(&serde_json::json!({"Metadata": meta})).unwrap(),
    )
    .unwrap();
    let report = run(dir.path(), &ring(&[key]), &options());
    assert_eq!(
        verdict_of(&report, &written_backfill[0].key),
        [Verdict::InvalidFormat]
    );
}

#[test]
fn a_prefix_and_a_folder_synced_without_it() {
    // s3://trail-bucket/team/ synced into a folder: --prefix team maps it back.
    let (dir, digests) = written(|f| f.prefix = "team/".into());
    let inner = dir.path().join("team");
    let store = DirStore::open(&inner, Some("trail-bucket".into()), "team").unwrap();
    let report = validate(&store, &ring(&[test_key("a")]), &options());
    assert_eq!(report.counts.digests_valid, 3, "{:#?}", report.entries);
    assert_eq!(verdicts(&report), all_valid(&digests));
    // Without it the keys do not match what the digests say.
    let store = DirStore::open(&inner, Some("trail-bucket".into()), "").unwrap();
    let report = validate(&store, &ring(&[test_key("a")]), &options());
    assert_eq!(report.counts.digests_valid, 0);
}

#[test]
fn nothing_to_validate_is_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path(), &ring(&[test_key("a")]), &options());
    assert!(!report.is_clean());
    assert_eq!(report.summary_lines()[1], "No digests found");
}

#[test]
fn every_chain_in_the_folder_is_walked() {
    // A multi-region trail (home us-east-1) delivering from two regions, and an organization
    // trail's member account, side by side.
    let key = test_key("a");
    let dir = tempfile::tempdir().unwrap();
    let mut east = Fixture::new("trail-bucket", &key.fingerprint);
    east.hours = 2;
    let mut west = east.clone();
    west.region = "eu-west-1".into();
    let mut member = east.clone();
    member.organization = Some("o-abc123def4".into());
    member.account = "444455556666".into();
    member.trail = "org-trail".into();
    let mut written = Vec::new();
    for f in [&east, &west, &member] {
        written.extend(f.write(dir.path(), &mut signer(key)).unwrap());
    }
    // Tamper with the member account's log only.
    std::fs::remove_file(dir.path().join(&written[4].logs[0])).unwrap();
    let report = run(dir.path(), &ring(&[key]), &options());
    assert_eq!(
        report.chains,
        [
            "111122223333/eu-west-1/main (home us-east-1)",
            "111122223333/us-east-1/main",
            "o-abc123def4/444455556666/us-east-1/org-trail",
        ]
    );
    assert_eq!(report.counts.digests_valid, 6);
    assert_eq!(report.counts.logs_valid, 11);
    assert_eq!(
        verdict_of(&report, &written[4].logs[0]),
        [Verdict::NotFound]
    );
    assert!(
        written[4]
            .key
            .contains("AWSLogs/o-abc123def4/444455556666/CloudTrail-Digest/")
    );
    assert_eq!(report.counts.extra_logs, 0);
}
