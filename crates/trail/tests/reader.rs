//! The reader on every shape CloudTrail data comes in, and on every kind of bad input, with exact counts.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use trail::{DecodeOptions, FileOutcome, Ignored, ScanOptions, Source, Where, scan};

fn event(id: &str, time: &str, name: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"{time}","eventSource":"ec2.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","eventID":"{id}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}}}}"#
    )
}

fn ev(n: u32) -> String {
    event(
        &format!("00000000-0000-0000-0000-{n:012}"),
        &format!("2024-05-01T10:00:{:02}Z", n % 60),
        "RunInstances",
    )
}

/// Decodes bytes and returns the outcome plus the eventIDs seen, in order.
fn decode(bytes: &[u8]) -> (FileOutcome, Vec<String>) {
    decode_with(bytes, &DecodeOptions::default())
}

fn decode_with(bytes: &[u8], opts: &DecodeOptions) -> (FileOutcome, Vec<String>) {
    let mut ids = Vec::new();
    let outcome = trail::decode::decode_bytes("test.json", bytes, opts, &mut |rec, _raw, _t| {
        ids.push(rec.event_id.as_deref().unwrap_or("-").to_string());
        Ok(())
    });
    (outcome, ids)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn batch(n: u32) -> String {
    let records: Vec<String> = (0..n).map(ev).collect();
    format!("{{\"Records\":[{}]}}", records.join(","))
}

#[test]
fn records_batch() {
    let (out, ids) = decode(batch(3).as_bytes());
    assert_eq!(
        (out.records, out.skipped_records, out.problems.len()),
        (3, 0, 0)
    );
    assert_eq!(ids[2], "00000000-0000-0000-0000-000000000002");
}

#[test]
fn records_batch_pretty_printed_with_other_keys_first() {
    let text = format!(
        "{{\n  \"Version\": 1,\n  \"Records\": [\n {},\n {}\n ]\n}}\n",
        ev(1),
        ev(2)
    );
    let (out, ids) = decode(text.as_bytes());
    assert_eq!((out.records, out.problems.len()), (2, 0));
    assert_eq!(ids.len(), 2);
}

#[test]
fn bare_array_single_object_and_json_lines() {
    let (out, _) = decode(format!("[{},{}]", ev(1), ev(2)).as_bytes());
    assert_eq!((out.records, out.problems.len()), (2, 0));
    let (out, _) = decode(ev(1).as_bytes());
    assert_eq!((out.records, out.problems.len()), (1, 0));
    let lines = format!("{}\n{}\n\n{}\n", ev(1), ev(2), ev(3));
    let (out, _) = decode(lines.as_bytes());
    assert_eq!((out.records, out.problems.len()), (3, 0));
}

#[test]
fn json_lines_of_batches_and_arrays() {
    let text = format!("{}\n[{}]\n", batch(2), ev(9));
    let (out, _) = decode(text.as_bytes());
    assert_eq!((out.records, out.problems.len()), (3, 0));
}

#[test]
fn gzip_is_known_by_magic_not_name() {
    let (out, _) = decode(&gzip(batch(4).as_bytes()));
    assert_eq!((out.records, out.problems.len()), (4, 0));
}

#[test]
fn concatenated_gzip_members_are_all_read() {
    let mut bytes = gzip(format!("{}\n", ev(1)).as_bytes());
    bytes.extend(gzip(format!("{}\n", ev(2)).as_bytes()));
    let (out, _) = decode(&bytes);
    assert_eq!(out.records, 2);
}

#[test]
fn truncated_gzip_keeps_records_before_the_cut() {
    let lines: String = (0..2000).map(|n| ev(n) + "\n").collect();
    let gz = gzip(lines.as_bytes());
    let (out, ids) = decode(&gz[..gz.len() / 2]);
    assert!(
        out.records > 0 && out.records < 2000,
        "read {}",
        out.records
    );
    assert_eq!(ids.len() as u64, out.records);
    assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
    assert!(
        out.problems[0].message.contains("gzip stream is truncated"),
        "{}",
        out.problems[0]
    );
}

#[test]
fn invalid_json_line_is_skipped_and_named() {
    let text = format!("{}\n{{\"eventTime\": oops}}\n{}\n", ev(1), ev(2));
    let (out, _) = decode(text.as_bytes());
    assert_eq!((out.records, out.skipped_records), (2, 1));
    assert_eq!(out.problems.len(), 1);
    assert_eq!(out.problems[0].at, Where::Line(2));
    assert!(
        out.problems[0]
            .to_string()
            .starts_with("test.json: line 2: invalid JSON")
    );
}

#[test]
fn invalid_json_inside_a_batch_keeps_earlier_records() {
    let text = format!("{{\"Records\":[{},{},{{\"eventName\": ]}}", ev(1), ev(2));
    let (out, _) = decode(text.as_bytes());
    assert_eq!(out.records, 2);
    assert_eq!(out.problems.len(), 1);
    assert!(matches!(out.problems[0].at, Where::LineColumn(1, _)));
    assert!(
        out.problems[0]
            .message
            .contains("2 records before it were read")
    );
}

#[test]
fn invalid_utf8_is_reported_and_the_records_kept() {
    let mut bytes = format!("{}\n", ev(1)).into_bytes();
    let bad = ev(2).replace("alice", "al\u{1}ce").into_bytes();
    let pos = bad.iter().position(|&b| b == 1).unwrap();
    let mut bad = bad;
    bad[pos] = 0xFF;
    bytes.extend(bad);
    let (out, _) = decode(&bytes);
    assert_eq!(out.records, 2);
    assert_eq!(out.problems.len(), 1);
    assert!(matches!(out.problems[0].at, Where::Byte(_)));
    assert!(
        out.problems[0]
            .message
            .contains("invalid UTF-8 (1 invalid sequences")
    );
}

#[test]
fn records_without_time_or_name_are_skipped_by_index() {
    let no_time = ev(2).replace("\"eventTime\":\"2024-05-01T10:00:02Z\",", "");
    let no_name = ev(3).replace("\"eventName\":\"RunInstances\",", "");
    let bad_time = ev(4).replace("2024-05-01T10:00:04Z", "yesterday");
    let text = format!(
        "{{\"Records\":[{},{no_time},{no_name},{bad_time},{}]}}",
        ev(1),
        ev(5)
    );
    let (out, _) = decode(text.as_bytes());
    assert_eq!((out.records, out.skipped_records), (2, 3));
    let at: Vec<_> = out.problems.iter().map(|p| p.at.clone()).collect();
    assert_eq!(
        at,
        vec![Where::Record(1), Where::Record(2), Where::Record(3)]
    );
    assert!(out.problems[0].message.contains("no eventTime"));
    assert!(out.problems[1].message.contains("no eventName"));
    assert!(out.problems[2].message.contains("not an RFC 3339"));
}

#[test]
fn huge_record_is_skipped_not_fatal() {
    let big = ev(2).replace("alice", &"a".repeat(100 << 20));
    let text = format!("[{},{big},{}]", ev(1), ev(3));
    let (out, _) = decode(text.as_bytes());
    assert_eq!((out.records, out.skipped_records), (2, 1));
    assert_eq!(out.problems[0].at, Where::Record(1));
    assert!(out.problems[0].message.contains("over the limit"));
}

#[test]
fn empty_and_blank_files_are_errors() {
    for bytes in [&b""[..], b"  \n\t "] {
        let (out, _) = decode(bytes);
        assert_eq!((out.records, out.problems.len()), (0, 1));
        assert_eq!(out.problems[0].message, "empty file");
    }
    let (out, _) = decode(&gzip(b""));
    assert_eq!(out.problems[0].message, "empty file");
}

#[test]
fn wrong_kind_of_file_named_explicitly_is_an_error() {
    let (out, _) = decode(b"\x89PNG\r\n\x1a\n binary");
    assert_eq!(out.problems.len(), 1);
    assert!(out.problems[0].message.starts_with("not CloudTrail JSON"));
}

#[test]
fn unknown_fields_are_kept_in_the_raw_record() {
    let text = ev(1).replace(
        "\"eventVersion\"",
        "\"someNewField\":{\"x\":[1,2]},\"eventVersion\"",
    );
    let mut raws = Vec::new();
    trail::decode::decode_bytes(
        "t",
        text.as_bytes(),
        &DecodeOptions::default(),
        &mut |_, raw, _| {
            raws.push(raw.get().to_string());
            Ok(())
        },
    );
    assert_eq!(raws.len(), 1);
    assert!(raws[0].contains("someNewField"));
}

#[test]
fn oversized_input_is_streamed_with_the_same_result() {
    let small = DecodeOptions {
        max_in_memory: 64,
        ..DecodeOptions::default()
    };
    for text in [
        batch(50),
        format!("[{}]", (0..50).map(ev).collect::<Vec<_>>().join(",")),
        (0..50).map(|n| ev(n) + "\n").collect(),
    ] {
        let (in_memory, ids_a) = decode(text.as_bytes());
        let (streamed, ids_b) = decode_with(text.as_bytes(), &small);
        assert_eq!(in_memory.records, 50);
        assert_eq!(streamed.records, 50, "{:?}", streamed.problems);
        assert_eq!(ids_a, ids_b);
    }
    let text = format!("{}\nnot json\n{}\n", ev(1), ev(2));
    let (streamed, _) = decode_with(text.as_bytes(), &small);
    assert_eq!((streamed.records, streamed.skipped_records), (2, 1));
    assert_eq!(streamed.problems[0].at, Where::Line(2));
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn s3_layout_tree_with_digests_org_trails_and_strays() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("AWSLogs");
    let day = base.join("111122223333/CloudTrail/us-east-1/2024/05/01");
    write(
        &day.join("111122223333_CloudTrail_us-east-1_20240501T1000Z_a.json.gz"),
        &gzip(batch(3).as_bytes()),
    );
    // The same records again (at-least-once delivery) and one more, in an organization trail path.
    let org = base.join("o-abc123/111122223333/CloudTrail/eu-west-1/2024/05/01");
    write(&org.join("b.json.gz"), &gzip(batch(4).as_bytes()));
    write(
        &base.join("111122223333/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz"),
        &gzip(br#"{"awsAccountId":"111122223333","digestStartTime":"2024-05-01T10:00:00Z","logFiles":[]}"#),
    );
    // A digest outside the usual folder is known by its content.
    write(
        &base.join("stray-digest.json"),
        br#"{"digestStartTime":"x","logFiles":[]}"#,
    );
    write(&base.join("notes.txt"), b"hello");
    write(&base.join("other.json"), br#"{"foo": 1}"#);

    let found = trail::discover(&[dir.path().to_str().unwrap()]);
    assert_eq!(found.ignored_digests, 1);
    assert_eq!(found.sources.len(), 5);
    assert!(found.problems.is_empty());
    let mut n = 0;
    let report = scan(
        &found.sources,
        &ScanOptions::default(),
        |_, _, _| Ok(Some(())),
        |()| n += 1,
    );
    assert_eq!(report.records, 7);
    assert_eq!(report.duplicates, 3);
    assert_eq!(report.matched, 4);
    assert_eq!(n, 4);
    assert_eq!(report.ignored_digests, 1);
    assert_eq!(report.ignored_other, 2);
    assert!(!report.skipped_anything(), "{:?}", report.problems);
}

#[test]
fn unreadable_paths_are_problems_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("ok.json"), batch(2).as_bytes());
    let missing = dir.path().join("missing.json");
    let found = trail::discover(&[dir.path().to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(found.sources.len(), 1);
    assert_eq!(found.problems.len(), 1);
    assert!(
        found.problems[0]
            .to_string()
            .contains("missing.json: cannot read")
    );
    let report = scan(
        &found.sources,
        &ScanOptions::default(),
        |_, _, _| Ok(Some(())),
        |()| {},
    );
    assert_eq!(report.records, 2);
}

#[test]
fn duplicates_can_be_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.json"), batch(2).as_bytes());
    write(&dir.path().join("b.json"), batch(2).as_bytes());
    let sources = vec![
        Source::file(dir.path().join("a.json")),
        Source::file(dir.path().join("b.json")),
    ];
    let keep = ScanOptions {
        keep_duplicates: true,
        ..Default::default()
    };
    let report = scan(&sources, &keep, |_, _, _| Ok(Some(())), |()| {});
    assert_eq!((report.matched, report.duplicates), (4, 0));
    let report = scan(
        &sources,
        &ScanOptions::default(),
        |_, _, _| Ok(Some(())),
        |()| {},
    );
    assert_eq!((report.matched, report.duplicates), (2, 2));
}

#[test]
fn ignored_kinds_only_apply_to_walked_files() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.json");
    write(&other, br#"{"foo": 1}"#);
    let report = scan(
        &[Source::file(&other)],
        &ScanOptions::default(),
        |_, _, _| Ok(Some(())),
        |()| {},
    );
    assert!(report.skipped_anything());
    let walked = Source::File {
        path: other,
        walked: true,
    };
    let report = scan(
        &[walked],
        &ScanOptions::default(),
        |_, _, _| Ok(Some(())),
        |()| {},
    );
    assert!(!report.skipped_anything());
    assert_eq!(report.ignored_other, 1);
    let _ = Ignored::Digest;
}

/// Every file of the public corpus, with the record counts each dataset holds.
#[test]
fn public_corpus_exact_counts() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/cloudtrail");
    assert!(
        corpus.is_dir(),
        "the shared corpus is expected at {}",
        corpus.display()
    );
    let expected = [
        // (folder, files, records, unique eventIDs + records without one)
        ("aws-docs", 3, 44, 32),
        ("invictus-ir", 55, 2900, 2900),
        ("stratus-red-team", 35, 310, 310),
        ("traildiscover", 584, 563, 314),
    ];
    for (folder, files, records, unique) in expected {
        let found = trail::discover(&[corpus.join(folder).to_str().unwrap()]);
        assert_eq!(found.sources.len(), files, "{folder}");
        let report = scan(
            &found.sources,
            &ScanOptions::default(),
            |_, _, _| Ok(Some(())),
            |()| {},
        );
        assert_eq!(report.records, records, "{folder}: {:?}", report.problems);
        assert_eq!(report.matched, unique, "{folder}");
        assert_eq!(report.records - report.duplicates, unique, "{folder}");
        // Files that hold no records are not errors; nothing in the corpus is skipped.
        assert!(
            !report.skipped_anything(),
            "{folder}: {:?}",
            report.problems
        );
    }
}

#[test]
fn records_nested_deeper_than_a_tree_can_hold_are_skipped_and_named() {
    let deep = ev(2).replace(
        "\"recipientAccountId\"",
        &format!(
            "\"requestParameters\":{{\"x\":{}1{}}},\"recipientAccountId\"",
            "[".repeat(200),
            "]".repeat(200)
        ),
    );
    // As deep as rules can read, with brackets in strings that do not nest.
    let just_fits = ev(3).replace(
        "\"recipientAccountId\"",
        &format!(
            "\"requestParameters\":{{\"x\":{}\"[[{{\"{}}},\"recipientAccountId\"",
            "[".repeat(trail::decode::MAX_NESTING - 2),
            "]".repeat(trail::decode::MAX_NESTING - 2)
        ),
    );
    assert!(serde_json::from_str::<serde_json::Value>(&just_fits).is_ok());
    assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
    let text = format!("{{\"Records\":[{},{deep},{just_fits}]}}", ev(1));
    let (out, ids) = decode(text.as_bytes());
    assert_eq!((out.records, out.skipped_records), (2, 1));
    assert_eq!(ids.len(), 2);
    assert_eq!(out.problems.len(), 1);
    assert_eq!(out.problems[0].at, Where::Record(1));
    assert!(
        out.problems[0].message.contains("deeper than 127 levels"),
        "{}",
        out.problems[0].message
    );

    // Depth counts from each record, not from a batch object around it (JSON lines of batches).
    let lines = format!(
        "{{\"Records\":[{},{just_fits}]}}\n{{\"Records\":[{deep},{}]}}\n",
        ev(1),
        ev(4)
    );
    let (out, ids) = decode(lines.as_bytes());
    assert_eq!(
        (out.records, out.skipped_records),
        (3, 1),
        "{:?}",
        out.problems
    );
    assert_eq!(ids.len(), 3);
}

#[test]
fn a_record_the_consumer_refuses_is_reported_and_counted_as_skipped() {
    let text = batch(3);
    let mut kept = Vec::new();
    let out = trail::decode::decode_bytes(
        "t.json",
        text.as_bytes(),
        &DecodeOptions::default(),
        &mut |rec, _, _| {
            let id = rec.event_id.as_deref().unwrap_or_default();
            if id.ends_with('1') {
                return Err("cannot use this one".to_string());
            }
            kept.push(id.to_string());
            Ok(())
        },
    );
    assert_eq!(kept.len(), 2);
    assert_eq!((out.records, out.skipped_records), (2, 1));
    assert_eq!(out.problems.len(), 1);
    assert_eq!(out.problems[0].at, Where::Record(1));
    assert_eq!(out.problems[0].message, "cannot use this one");
}
