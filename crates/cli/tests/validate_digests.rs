//! `trailhound validate-digests` on folders: a signed chain made with our own openssl key, as is
//! and tampered with; output formats, exit codes and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use integrity::fixture::{Fixture, WrittenDigest, gz};
use serde_json::Value;

struct Key {
    private: PathBuf,
    public_pem: PathBuf,
    fingerprint: String,
}

fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("validate-digests-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let private = dir.join("private.pem");
        let public_pem = dir.join("public.pem");
        let der = dir.join("public.der");
        openssl(&["genrsa", "-out", s(&private), "2048"]);
        openssl(&["rsa", "-in", s(&private), "-pubout", "-out", s(&public_pem)]);
        openssl(&[
            "rsa",
            "-in",
            s(&private),
            "-RSAPublicKey_out",
            "-outform",
            "DER",
            "-out",
            s(&der),
        ]);
        Key {
            fingerprint: integrity::keys::fingerprint(&std::fs::read(&der).unwrap()),
            private,
            public_pem,
        }
    })
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sign(message: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", s(&key().private)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(message).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn chain() -> (tempfile::TempDir, Vec<WrittenDigest>) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new("trail-bucket", &key().fingerprint);
    let digests = fixture.write(dir.path(), &mut sign).unwrap();
    (dir, digests)
}

fn trailhound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .output()
        .unwrap()
}

fn validate(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "validate-digests",
        s(dir),
        "--public-key",
        s(&key().public_pem),
        "--until",
        "2024-06-01T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    trailhound(&args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_valid_chain_exits_0_with_the_validate_logs_summary() {
    let (dir, _) = chain();
    let out = validate(dir.path(), &["--bucket", "trail-bucket"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("Results found for 2024-05-01T00:01:31Z to 2024-05-01T03:01:31Z:"),
        "{text}"
    );
    assert!(
        text.contains("\n3/3 digest files valid\n6/6 log files valid\n"),
        "{text}"
    );
    // Not verbose: no per-file lines when all is well.
    assert!(!text.contains("\tvalid"), "{text}");
    let verbose = stdout(&validate(dir.path(), &["-v"]));
    assert_eq!(verbose.matches("\tvalid\n").count(), 9, "{verbose}");
}

#[test]
fn tampering_exits_2_and_names_each_file() {
    let (dir, digests) = chain();
    let modified = &digests[2].logs[0];
    std::fs::write(dir.path().join(modified), gz(br#"{"Records": []}"#)).unwrap();
    let deleted = &digests[0].logs[1];
    std::fs::remove_file(dir.path().join(deleted)).unwrap();
    std::fs::remove_file(dir.path().join(&digests[1].key)).unwrap();
    let out = validate(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    for line in [
        format!("Log file\ts3://trail-bucket/{modified}\tINVALID: hash value doesn't match"),
        format!("Log file\ts3://trail-bucket/{deleted}\tINVALID: not found"),
        format!(
            "Digest file\ts3://trail-bucket/{}\tINVALID: not found",
            digests[1].key
        ),
        format!(
            "Log file\ts3://trail-bucket/{}\tEXTRA: listed in no digest",
            digests[1].logs[0]
        ),
        "2/3 digest files valid, 1/3 digest files INVALID".to_string(),
        "2/4 log files valid, 2/4 log files INVALID".to_string(),
        "2 log files present but listed in no digest".to_string(),
    ] {
        assert!(text.contains(&line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn json_and_jsonl_carry_every_verdict() {
    let (dir, digests) = chain();
    std::fs::remove_file(dir.path().join(&digests[0].logs[0])).unwrap();
    let out = validate(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["counts"]["digests_valid"], 3);
    assert_eq!(report["counts"]["logs_invalid"], 1);
    assert_eq!(report["entries"].as_array().unwrap().len(), 9);
    assert_eq!(report["chains"][0], "111122223333/us-east-1/main");

    let out = validate(dir.path(), &["--format", "jsonl"]);
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 9);
    let missing = lines.iter().find(|l| l["verdict"] == "not_found").unwrap();
    assert_eq!(missing["subject"], "log");
    assert_eq!(
        missing["id"],
        format!("log:s3://trail-bucket/{}", digests[0].logs[0])
    );
    assert!(
        missing["path"]
            .as_str()
            .unwrap()
            .ends_with(&digests[0].logs[0])
    );
    // The summary goes to stderr, so stdout stays one record per line.
    assert!(stderr(&out).contains("5/6 log files valid, 1/6 log files INVALID"));

    let out = validate(dir.path(), &["--format", "csv"]);
    let text = stdout(&out);
    assert!(text.starts_with("id,subject,backfill,chain,uri,verdict,message,detail\n"));
    assert_eq!(text.lines().count(), 10);
}

#[test]
fn since_and_until_bound_the_walk() {
    let (dir, _) = chain();
    let out = trailhound(&[
        "validate-digests",
        s(dir.path()),
        "--public-key",
        s(&key().public_pem),
        "--since",
        "2024-05-01T02:30:00Z",
        "--until",
        "2024-05-01T02:45:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("1/1 digest files valid"),
        "{}",
        stdout(&out)
    );
    let bad = validate(dir.path(), &["--since", "2024-07-01"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--since must be at or before --until"));
}

#[test]
fn offline_needs_keys_and_says_how_to_get_them() {
    let (dir, _) = chain();
    let out = trailhound(&["validate-digests", s(dir.path())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("list-public-keys"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn key_files_in_other_forms_and_bad_ones() {
    let (dir, _) = chain();
    // The JSON `aws cloudtrail list-public-keys` prints (base64 PKCS#1 DER and its fingerprint).
    let der = std::fs::read(dir.path().join("..").join("unused")).ok();
    assert!(der.is_none());
    let keys_dir = tempfile::tempdir().unwrap();
    let der_path = keys_dir.path().join("public.der");
    openssl(&[
        "rsa",
        "-in",
        s(&key().private),
        "-RSAPublicKey_out",
        "-outform",
        "DER",
        "-out",
        s(&der_path),
    ]);
    let value = base64_std(&std::fs::read(&der_path).unwrap());
    let listing = keys_dir.path().join("keys.json");
    std::fs::write(
        &listing,
        format!(r#"{{"PublicKeyList": [{{"Value": "{value}", "ValidityStartTime": "2024-04-01T00:00:00+00:00", "ValidityEndTime": "2024-06-01T00:00:00+00:00", "Fingerprint": "{}"}}]}}"#, key().fingerprint),
    )
    .unwrap();
    let out = trailhound(&[
        "validate-digests",
        s(dir.path()),
        "--public-key",
        s(&listing),
        "--until",
        "2024-06-01",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // DER as is.
    let out = trailhound(&[
        "validate-digests",
        s(dir.path()),
        "--public-key",
        s(&der_path),
        "--until",
        "2024-06-01",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // A private key is refused without being echoed.
    let out = trailhound(&[
        "validate-digests",
        s(dir.path()),
        "--public-key",
        s(&key().private),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("private key") && err.contains("private.pem"),
        "{err}"
    );
    let secret = std::fs::read_to_string(&key().private).unwrap();
    let body_line = secret.lines().nth(1).unwrap();
    assert!(!err.contains(body_line));

    let junk = keys_dir.path().join("junk.txt");
    std::fs::write(&junk, "hello there").unwrap();
    let out = trailhound(&["validate-digests", s(dir.path()), "--public-key", s(&junk)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("junk.txt"), "{}", stderr(&out));
}

fn base64_std(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn a_missing_folder_and_an_empty_one() {
    let out = validate(Path::new("/nonexistent/trail"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/trail"),
        "{}",
        stderr(&out)
    );
    let empty = tempfile::tempdir().unwrap();
    let out = validate(empty.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("No digests found"),
        "{}",
        stdout(&out)
    );
}
