//! `trailhound validate-digests s3://...` against a real moto server on loopback, and the same
//! bucket checked by the real `aws cloudtrail validate-logs`: every line it prints, we print.
//!
//! moto has no CloudTrail ListPublicKeys, so our runs pass the key with `--public-key` and the
//! aws CLI's key lookup is replaced by one returning our key (the rest of validate-logs runs as
//! shipped: listing, GetObject with metadata, hashing, RSA verification). Needs the Python test
//! bed (scripts/testbed.sh) and openssl.
#![cfg(feature = "aws")]

use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use integrity::fixture::{Fixture, WrittenDigest, gz};

fn venv_bin(name: &str) -> PathBuf {
    let python = std::env::var("TRAILHOUND_TESTBED_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/trailhound/testbed-venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let bin = Path::new(&python).parent().unwrap().join(name);
    assert!(
        bin.exists(),
        "{} is missing: run `bash scripts/testbed.sh` (or scripts/test.sh) first",
        bin.display()
    );
    bin
}

struct Moto {
    child: Child,
    url: String,
    home: tempfile::TempDir,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let home = tempfile::tempdir().unwrap();
        let child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("HOME", home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            home,
        }
    }

    /// A command with dummy credentials and every AWS call sent to this server.
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }

    fn python(&self, script: &str, args: &[&str]) -> Output {
        self.command(&venv_bin("python"))
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Puts a folder into a new bucket, each digest with the metadata its sidecar holds.
const UPLOAD: &str = r#"
import json, os, sys, boto3
root, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3")
s3.create_bucket(Bucket=bucket)
for folder, _, files in os.walk(root):
    for name in files:
        if name.endswith(".metadata.json"):
            continue
        path = os.path.join(folder, name)
        key = os.path.relpath(path, root).replace(os.sep, "/")
        meta = {}
        if os.path.exists(path + ".metadata.json"):
            meta = json.load(open(path + ".metadata.json"))["Metadata"]
        with open(path, "rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body.read(), Metadata=meta)
"#;

/// The aws CLI's validate-logs, with only its ListPublicKeys call replaced.
const VALIDATE_LOGS: &str = r#"
import base64, sys
from awscli.customizations.cloudtrail import validation
fingerprint, der = sys.argv[1], sys.argv[2]
value = base64.b64encode(open(der, "rb").read()).decode()
validation.PublicKeyProvider.get_public_keys = lambda self, start, end: {
    fingerprint: {"Fingerprint": fingerprint, "Value": value}
}
from awscli.clidriver import create_clidriver
sys.exit(create_clidriver().main(sys.argv[3:]))
"#;

struct Key {
    private: PathBuf,
    public_pem: PathBuf,
    public_der: PathBuf,
    fingerprint: String,
}

fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("validate-digests-moto-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let private = dir.join("private.pem");
        let public_pem = dir.join("public.pem");
        let public_der = dir.join("public.der");
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
            s(&public_der),
        ]);
        Key {
            fingerprint: integrity::keys::fingerprint(&std::fs::read(&public_der).unwrap()),
            private,
            public_pem,
            public_der,
        }
    })
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().unwrap();
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
    child.wait_with_output().unwrap().stdout
}

/// The per-file and gap lines of a validate-logs style output, either tool's.
fn verdict_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| {
            l.starts_with("Digest file\t")
                || l.starts_with("Log file\t")
                || l.starts_with("(backfill) ")
                || l.starts_with("No log files were delivered")
        })
        .map(str::to_string)
        .collect()
}

const START: &str = "2024-05-01T00:00:00Z";
const END: &str = "2024-06-01T00:00:00Z";

struct Case {
    name: &'static str,
    tweak: fn(&mut Fixture),
    tamper: fn(&Path, &[WrittenDigest]),
    /// Lines our output must hold (beyond agreeing with validate-logs).
    expect: fn(&[WrittenDigest]) -> Vec<String>,
    exit: i32,
}

fn bucket_line(kind: &str, key: &str, verdict: &str) -> String {
    format!("{kind} file\ts3://BUCKET/{key}\t{verdict}")
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "clean",
            tweak: |_| {},
            tamper: |_, _| {},
            expect: |d| vec![bucket_line("Digest", &d[2].key, "valid")],
            exit: 0,
        },
        Case {
            name: "modified-log",
            tweak: |_| {},
            tamper: |dir, d| {
                std::fs::write(dir.join(&d[1].logs[0]), gz(br#"{"Records": []}"#)).unwrap()
            },
            expect: |d| {
                vec![bucket_line(
                    "Log",
                    &d[1].logs[0],
                    "INVALID: hash value doesn't match",
                )]
            },
            exit: 2,
        },
        Case {
            name: "deleted-log",
            tweak: |_| {},
            tamper: |dir, d| std::fs::remove_file(dir.join(&d[0].logs[1])).unwrap(),
            expect: |d| vec![bucket_line("Log", &d[0].logs[1], "INVALID: not found")],
            exit: 2,
        },
        Case {
            name: "deleted-digest",
            tweak: |_| {},
            tamper: |dir, d| std::fs::remove_file(dir.join(&d[1].key)).unwrap(),
            expect: |d| {
                vec![
                    bucket_line("Digest", &d[1].key, "INVALID: not found"),
                    bucket_line("Digest", &d[0].key, "valid"),
                    bucket_line("Log", &d[1].logs[0], "EXTRA: listed in no digest"),
                ]
            },
            exit: 2,
        },
        Case {
            name: "corrupted-signature",
            tweak: |_| {},
            tamper: |dir, d| {
                let sidecar = dir.join(format!("{}.metadata.json", d[1].key));
                let text = std::fs::read_to_string(&sidecar).unwrap();
                let sig = &d[1].signature;
                let flipped = format!(
                    "{}{}",
                    if sig.starts_with('0') { "1" } else { "0" },
                    &sig[1..]
                );
                std::fs::write(&sidecar, text.replace(sig.as_str(), &flipped)).unwrap();
            },
            expect: |d| {
                vec![bucket_line(
                    "Digest",
                    &d[1].key,
                    "INVALID: signature verification failed",
                )]
            },
            exit: 2,
        },
        Case {
            name: "modified-digest",
            tweak: |_| {},
            tamper: |dir, d| {
                let path = dir.join(&d[2].key);
                let json = integrity::digest::gunzip(&std::fs::read(&path).unwrap())
                    .unwrap()
                    .value;
                let text = String::from_utf8(json)
                    .unwrap()
                    .replace("SHA-256", "SHA-256 ");
                std::fs::write(&path, gz(text.as_bytes())).unwrap();
            },
            expect: |d| {
                vec![
                    bucket_line(
                        "Digest",
                        &d[2].key,
                        "INVALID: signature verification failed",
                    ),
                    bucket_line("Digest", &d[1].key, "valid"),
                ]
            },
            exit: 2,
        },
        Case {
            name: "unknown-key",
            tweak: |f| f.fingerprint = "0123456789abcdef0123456789abcdef".into(),
            tamper: |_, _| {},
            expect: |d| {
                vec![bucket_line(
                    "Digest",
                    &d[2].key,
                    "INVALID: public key not found in region us-east-1 for fingerprint 0123456789abcdef0123456789abcdef",
                )]
            },
            exit: 2,
        },
        Case {
            name: "gap",
            tweak: |f| {
                f.hours = 4;
                f.skipped = vec![1];
            },
            tamper: |_, _| {},
            expect: |_| {
                vec!["No log files were delivered by CloudTrail between 2024-05-01T01:01:31Z and 2024-05-01T02:01:31Z".into()]
            },
            // The hour without a digest had log files: extra.
            exit: 2,
        },
        Case {
            name: "moved-digest",
            tweak: |_| {},
            tamper: |dir, d| {
                let moved = d[2].key.replace("T030131Z", "T030500Z");
                std::fs::rename(dir.join(&d[2].key), dir.join(&moved)).unwrap();
                std::fs::rename(
                    dir.join(format!("{}.metadata.json", d[2].key)),
                    dir.join(format!("{moved}.metadata.json")),
                )
                .unwrap();
            },
            expect: |d| {
                vec![bucket_line(
                    "Digest",
                    &d[2].key.replace("T030131Z", "T030500Z"),
                    "INVALID: has been moved from its original location",
                )]
            },
            exit: 2,
        },
    ]
}

#[test]
fn live_verdicts_match_aws_cloudtrail_validate_logs() {
    let moto = Moto::start();
    for case in cases() {
        let bucket = format!("digests-{}", case.name);
        let dir = tempfile::tempdir().unwrap();
        let mut fixture = Fixture::new(&bucket, &key().fingerprint);
        (case.tweak)(&mut fixture);
        let digests = fixture.write(dir.path(), &mut sign).unwrap();
        (case.tamper)(dir.path(), &digests);
        let up = moto.python(UPLOAD, &[s(dir.path()), &bucket]);
        assert!(
            up.status.success(),
            "{}",
            String::from_utf8_lossy(&up.stderr)
        );

        let ours = moto
            .command(Path::new(env!("CARGO_BIN_EXE_trailhound")))
            .args(["validate-digests", &format!("s3://{bucket}"), "--verbose"])
            .args([
                "--public-key",
                s(&key().public_pem),
                "--since",
                START,
                "--until",
                END,
            ])
            .output()
            .unwrap();
        let our_text = String::from_utf8_lossy(&ours.stdout).into_owned();
        assert_eq!(
            ours.status.code(),
            Some(case.exit),
            "{}: {our_text}{}",
            case.name,
            String::from_utf8_lossy(&ours.stderr)
        );
        let our_lines = verdict_lines(&our_text);
        for line in (case.expect)(&digests) {
            let line = line.replace("BUCKET", &bucket);
            assert!(
                our_lines.contains(&line),
                "{}: no {line:?} in\n{our_text}",
                case.name
            );
        }

        let theirs = moto.python(
            VALIDATE_LOGS,
            &[
                &key().fingerprint,
                s(&key().public_der),
                "cloudtrail",
                "validate-logs",
                "--trail-arn",
                "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
                "--s3-bucket",
                &bucket,
                "--start-time",
                START,
                "--end-time",
                END,
                "--verbose",
            ],
        );
        let their_text = format!(
            "{}{}",
            String::from_utf8_lossy(&theirs.stdout),
            String::from_utf8_lossy(&theirs.stderr)
        );
        let their_lines = verdict_lines(&their_text);
        assert!(
            !their_lines.is_empty(),
            "{}: validate-logs said\n{their_text}",
            case.name
        );
        // Ours, without what validate-logs does not look for.
        let comparable: BTreeSet<String> = our_lines
            .iter()
            .filter(|l| !l.contains("\tEXTRA: "))
            .cloned()
            .collect();
        assert_eq!(
            comparable, their_lines,
            "{}: ours\n{our_text}\nvalidate-logs\n{their_text}",
            case.name
        );
        // validate-logs exits 1 on anything invalid; we exit 2 (and also on extra files).
        let their_invalid = theirs.status.code() != Some(0);
        let our_invalid_without_extras = comparable.iter().any(|l| l.contains("\tINVALID"));
        assert_eq!(their_invalid, our_invalid_without_extras, "{}", case.name);
    }
}

/// One HTTP request as the stand-in saw it.
#[derive(Clone, Debug, Default)]
struct Seen {
    target: String,
    authorization: String,
    body: serde_json::Value,
}

/// A CloudTrail stand-in on loopback answering every request with `(status, body)` (moto has no
/// ListPublicKeys); it records what it was asked.
fn cloudtrail_stand_in(
    status: u16,
    body: String,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Seen>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = Seen::default();
            let mut length = 0usize;
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let Some((name, value)) = line.trim_end().split_once(':') else {
                    continue;
                };
                let value = value.trim().to_string();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap_or(0),
                    "x-amz-target" => request.target = value,
                    "authorization" => request.authorization = value,
                    _ => {}
                }
            }
            let mut bytes = vec![0; length];
            let _ = reader.read_exact(&mut bytes);
            request.body = serde_json::from_slice(&bytes).unwrap_or_default();
            log.lock().unwrap().push(request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

fn base64(bytes: &[u8]) -> String {
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
            out.push(if i <= chunk.len() {
                T[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn live_keys_come_from_list_public_keys_in_the_digests_region() {
    let moto = Moto::start();
    let bucket = "digests-listed-keys";
    let dir = tempfile::tempdir().unwrap();
    let mut fixture = Fixture::new(bucket, &key().fingerprint);
    fixture.region = "eu-west-1".into();
    fixture.home_region = "eu-west-1".into();
    fixture.write(dir.path(), &mut sign).unwrap();
    let up = moto.python(UPLOAD, &[s(dir.path()), bucket]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );

    let listing = |fingerprint: &str| {
        serde_json::json!({"PublicKeyList": [{
            "Value": base64(&std::fs::read(&key().public_der).unwrap()),
            "ValidityStartTime": 1714000000.0,
            "ValidityEndTime": 1716000000.0,
            "Fingerprint": fingerprint,
        }]})
        .to_string()
    };
    let run = |stand_in: &str| {
        moto.command(Path::new(env!("CARGO_BIN_EXE_trailhound")))
            .env("AWS_ENDPOINT_URL_CLOUDTRAIL", stand_in)
            .args(["validate-digests", &format!("s3://{bucket}/")])
            .args(["--since", START, "--until", END])
            .output()
            .unwrap()
    };

    let (url, seen) = cloudtrail_stand_in(200, listing(&key().fingerprint));
    let out = run(&url);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("3/3 digest files valid"), "{text}");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].target.ends_with("ListPublicKeys"),
        "{requests:?}"
    );
    // Asked in the region the digests come from, for the requested span up to now.
    assert!(
        requests[0].authorization.contains("/eu-west-1/cloudtrail/"),
        "{requests:?}"
    );
    assert_eq!(requests[0].body["StartTime"].as_f64(), Some(1714521600.0));
    assert!(requests[0].body["EndTime"].as_f64().unwrap() >= 1717200000.0);

    // Listed under another fingerprint: the digests' key is not among them.
    let (url, _) = cloudtrail_stand_in(200, listing("00000000000000000000000000000000"));
    let out = run(&url);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(
            "INVALID: public key not found in region eu-west-1 for fingerprint {}",
            key().fingerprint
        )),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Refused: a clear error naming the call and the way around it.
    let (url, _) = cloudtrail_stand_in(
        400,
        r#"{"__type": "AccessDeniedException", "message": "not allowed"}"#.into(),
    );
    let out = run(&url);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ListPublicKeys in eu-west-1") && err.contains("--public-key"),
        "{err}"
    );
}
