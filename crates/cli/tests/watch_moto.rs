//! S3, SQS, SNS and LookupEvents sources and `trailhound watch` against a real moto server on
//! loopback (and, for LookupEvents, which moto does not implement, a CloudTrail stand-in written
//! here). Needs the Python test bed (scripts/testbed.sh).
#![cfg(feature = "aws")]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Moto {
    child: Child,
    url: String,
    home: tempfile::TempDir,
}

impl Moto {
    fn start() -> Moto {
        let port = free_port();
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

    /// A command with dummy credentials and every AWS call sent to `endpoint`.
    fn command_at(&self, program: &Path, endpoint: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }

    fn trailhound(&self) -> Command {
        self.command_at(Path::new(env!("CARGO_BIN_EXE_trailhound")), &self.url)
    }

    fn aws(&self, args: &[&str]) -> Value {
        let out = self
            .command_at(&venv_bin("aws"), &self.url)
            // Some services of the aws CLI (SQS) ignore AWS_ENDPOINT_URL.
            .args(["--endpoint-url", &self.url])
            .args(args)
            .args(["--output", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // `aws s3 ...` prints text, the API commands JSON.
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    fn upload(&self, dir: &Path, target: &str) {
        self.aws(&[
            "s3",
            "cp",
            "--recursive",
            "--only-show-errors",
            dir.to_str().unwrap(),
            target,
        ]);
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn incident() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/trail")
}

/// Every file under `dir`, in name order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The incident's log files in delivery order (the timestamp in CloudTrail's file names).
fn incident_files_in_time_order() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = files_under(&incident())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/CloudTrail/"))
        .collect();
    let stamp = |p: &PathBuf| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.split('_').nth(3).unwrap_or_default().to_string()
    };
    files.sort_by_key(|p| (stamp(p), p.clone()));
    files
}

fn local_detect(args: &[&str], inputs: &[&Path]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .args(inputs)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0),
        "local {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn ids_of_jsonl(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The intrusion (its 19 records, 2024-05-04 02:00-02:45) replayed `count` times, two hours
/// apart, with fresh eventIDs: each replay split into two gzipped files named as CloudTrail names
/// them, so name order is delivery order.
fn episodes(count: usize) -> Vec<(String, Vec<u8>)> {
    let out = local_detect(
        &[
            "events",
            "--format",
            "jsonl",
            "--since",
            "2024-05-04T01:55:00Z",
            "--until",
            "2024-05-04T03:00:00Z",
        ],
        &[&incident()],
    );
    let records: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 19);
    let mut files = Vec::new();
    for k in 0..count {
        let shift = jiff::SignedDuration::from_hours(2 * k as i64);
        let replay: Vec<Value> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut r = r.clone();
                let t: jiff::Timestamp = r["eventTime"].as_str().unwrap().parse().unwrap();
                r["eventTime"] = Value::from(t.checked_add(shift).unwrap().to_string());
                r["eventID"] = Value::from(format!("{k:08x}-0000-4000-8000-{i:012x}"));
                r
            })
            .collect();
        for (part, chunk) in [&replay[..10], &replay[10..]].into_iter().enumerate() {
            let last: jiff::Timestamp = chunk.last().unwrap()["eventTime"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            let stamp = jiff::fmt::strtime::format("%Y%m%dT%H%MZ", last).unwrap();
            let name = format!("111122223333_CloudTrail_eu-west-1_{stamp}_ep{k:03}p{part}.json.gz");
            let body = serde_json::json!({ "Records": chunk }).to_string();
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(body.as_bytes()).unwrap();
            files.push((name, gz.finish().unwrap()));
        }
    }
    files
}

fn today_folder() -> String {
    let d = jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    format!("{:04}/{:02}/{:02}", d.year(), d.month(), d.day())
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 server on loopback: one request per connection.

#[derive(Clone, Debug)]
struct Request {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if line.is_empty() {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request { headers, body })
}

fn serve(handler: impl Fn(&Request) -> (u16, String) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let handler = handler.clone();
            std::thread::spawn(move || {
                if let Some(req) = read_request(&mut stream) {
                    let (status, body) = handler(&req);
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
            });
        }
    });
    url
}

// ---------------------------------------------------------------------------------------------

#[test]
fn detect_and_events_over_s3_equal_the_same_files_read_locally() {
    let moto = Moto::start();
    moto.aws(&["s3", "mb", "s3://trail"]);
    moto.upload(&incident(), "s3://trail/");
    // An organization trail under a prefix, and a digest that must not be read as logs.
    let org = tempfile::tempdir().unwrap();
    let org_root = org.path().join("audit/AWSLogs/o-abc123def4");
    for f in incident_files_in_time_order() {
        let rel = f.strip_prefix(incident().join("AWSLogs")).unwrap();
        let dest = org_root.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, dest).unwrap();
    }
    let digest = org_root.join(
        "111122223333/CloudTrail-Digest/eu-west-1/2024/05/02/111122223333_CloudTrail-Digest_eu-west-1_t_eu-west-1_20240502T0900Z.json.gz",
    );
    std::fs::create_dir_all(digest.parent().unwrap()).unwrap();
    std::fs::write(&digest, b"not a log file").unwrap();
    moto.aws(&["s3", "mb", "s3://org-trail"]);
    moto.upload(org.path(), "s3://org-trail/");

    let local = local_detect(&["detect", "--format", "jsonl"], &[&incident()]);
    assert!(
        ids_of_jsonl(&local.stdout).len() > 10,
        "the incident has findings"
    );
    for url in ["s3://trail", "s3://trail/AWSLogs/", "s3://org-trail/audit/"] {
        let out = moto
            .trailhound()
            .args(["detect", "--format", "jsonl", url])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&local.stdout),
            "detect {url}"
        );
    }

    // A time range lists only its day folders and still finds every record in range.
    let range = [
        "--since",
        "2024-05-02T09:00:00Z",
        "--until",
        "2024-05-03T12:00:00Z",
    ];
    let mut args = vec!["detect", "--format", "jsonl"];
    args.extend(range);
    let local_range = local_detect(&args, &[&incident()]);
    args.push("s3://org-trail/audit/");
    let remote_range = moto.trailhound().args(&args).output().unwrap();
    assert_eq!(remote_range.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&remote_range.stdout),
        String::from_utf8_lossy(&local_range.stdout)
    );
    let mut events = vec!["events", "--format", "jsonl"];
    events.extend(range);
    let local_events = local_detect(&events, &[&incident()]);
    events.push("s3://trail");
    let remote_events = moto.trailhound().args(&events).output().unwrap();
    assert_eq!(remote_events.status.code(), Some(0));
    assert!(!local_events.stdout.is_empty());
    assert_eq!(remote_events.stdout, local_events.stdout);

    // An account or region not in the bucket lists nothing.
    let none = moto
        .trailhound()
        .args([
            "events",
            "--format",
            "jsonl",
            "--region",
            "ap-south-1",
            "s3://trail",
        ])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(0));
    assert!(none.stdout.is_empty());

    // A damaged object: named in the error, the rest read, exit 2.
    let bad = tempfile::tempdir().unwrap();
    let day = bad
        .path()
        .join("AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/02");
    std::fs::create_dir_all(&day).unwrap();
    let first = incident_files_in_time_order()[0].clone();
    std::fs::copy(&first, day.join("good.json.gz")).unwrap();
    let gz = std::fs::read(&first).unwrap();
    std::fs::write(day.join("cut.json.gz"), &gz[..gz.len() / 2]).unwrap();
    moto.aws(&["s3", "mb", "s3://damaged"]);
    moto.upload(bad.path(), "s3://damaged/");
    let out = moto
        .trailhound()
        .args(["events", "--format", "jsonl", "s3://damaged"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "s3://damaged/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/02/cut.json.gz"
        ),
        "{stderr}"
    );
    assert!(!out.stdout.is_empty(), "the good object is still read");

    // A bucket that does not exist: a clear error.
    let out = moto
        .trailhound()
        .args(["events", "s3://no-such-bucket/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NoSuchBucket"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the webhook receiver saw.
#[derive(Default)]
struct Hooks {
    /// POSTs answered with 500 on purpose.
    refused: usize,
    /// Accepted POSTs in arrival order: (finding id, possible-duplicate header).
    accepted: Vec<(String, bool)>,
}

fn webhook_receiver(fail_first: usize) -> (String, Arc<Mutex<Hooks>>) {
    let hooks = Arc::new(Mutex::new(Hooks::default()));
    let seen = hooks.clone();
    let url = serve(move |req| {
        let mut h = seen.lock().unwrap();
        if h.refused < fail_first {
            h.refused += 1;
            return (500, "{}".into());
        }
        let body: Value = serde_json::from_slice(&req.body).expect("webhook body is JSON");
        let id = body["id"].as_str().unwrap().to_string();
        assert_eq!(req.headers.get("idempotency-key"), Some(&id));
        let maybe = req
            .headers
            .get("trailhound-possible-duplicate")
            .is_some_and(|v| v == "true");
        h.accepted.push((id, maybe));
        drop(h);
        // A slow receiver: a kill often lands while a POST is in flight.
        std::thread::sleep(Duration::from_millis(15));
        (200, "{}".into())
    });
    (format!("{url}/alerts"), hooks)
}

/// A deterministic xorshift generator: the kill points are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn status(moto: &Moto, state: &Path) -> Value {
    let out = moto
        .trailhound()
        .args([
            "watch",
            "s3://live/",
            "--status",
            "--status-format",
            "json",
            "--state",
        ])
        .arg(state)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn watch_killed_twenty_times_delivers_every_alert_exactly_once() {
    let moto = Moto::start();
    moto.aws(&["s3", "mb", "s3://live"]);
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state/watch.db");
    let sink_file = work.path().join("alerts.jsonl");
    let (hook_url, hooks) = webhook_receiver(3);

    // Thirty replays of the intrusion, two hours apart, each delivered as two files (so
    // correlations span files and passes), arrive in 20 groups in delivery order, into today's
    // folder (where CloudTrail puts a file delivered now).
    let files = episodes(30);
    let all = work.path().join("all");
    let today = today_folder();
    let mut groups: Vec<PathBuf> = Vec::new();
    let per_group = files.len().div_ceil(20);
    for (i, chunk) in files.chunks(per_group).enumerate() {
        let group = work.path().join(format!("group{i:02}"));
        for (name, gz) in chunk {
            let rel = format!("AWSLogs/111122223333/CloudTrail/eu-west-1/{today}/{name}");
            for root in [&group, &all] {
                let dest = root.join(&rel);
                std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                std::fs::write(&dest, gz).unwrap();
            }
        }
        groups.push(group);
    }
    assert_eq!(groups.len(), 20);
    let expected: BTreeSet<String> =
        ids_of_jsonl(&local_detect(&["detect", "--format", "jsonl"], &[&all]).stdout)
            .into_iter()
            .collect();
    assert!(expected.len() > 300, "{}", expected.len());

    let watcher = |once: bool| {
        let mut cmd = moto.trailhound();
        cmd.args([
            "watch",
            "s3://live/",
            "--interval",
            "200ms",
            "--batch",
            "7",
            "--webhook-attempts",
            "2",
            "--webhook-backoff",
            "20ms",
            "--webhook",
            &hook_url,
            "--file",
        ])
        .arg(&sink_file)
        .arg("--state")
        .arg(&state)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        if once {
            cmd.arg("--once");
        }
        cmd
    };

    let mut rng = Rng(0x5eed_2024_0503);
    let (mut kills, mut recovered_rounds) = (0, 0);
    for group in &groups {
        let mut child = watcher(false).spawn().unwrap();
        // Files land while the watcher runs.
        std::thread::sleep(Duration::from_millis(rng.below(400)));
        moto.upload(group, "s3://live/");
        std::thread::sleep(Duration::from_millis(100 + rng.below(2500)));
        child.kill().unwrap(); // SIGKILL
        let out = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        recovered_rounds += usize::from(said.contains("already at their sink"));
        kills += 1;
    }
    assert_eq!(kills, 20);
    let mid = status(&moto, &state);
    assert!(
        mid["objects"].as_u64().unwrap() > 0,
        "the watcher made progress between kills: {mid}"
    );

    // A last run drains the rest and exits.
    let out = watcher(true).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    // The file: every expected alert exactly once, nothing else.
    let lines = ids_of_jsonl(&std::fs::read(&sink_file).unwrap());
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &lines {
        *counts.entry(id).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "repeated in the file: {repeated:?}");
    let got: BTreeSet<String> = lines.iter().cloned().collect();
    assert_eq!(got, expected, "file sink vs detect over the same files");

    // The webhook: refused three times first; every alert accepted; a second POST of an alert
    // only after a crash cut the first one off, and always flagged as a possible duplicate.
    let h = hooks.lock().unwrap();
    assert_eq!(h.refused, 3);
    let mut first_seen: BTreeSet<&str> = BTreeSet::new();
    let mut repeats = 0;
    for (id, maybe) in &h.accepted {
        if !first_seen.insert(id) {
            repeats += 1;
            assert!(
                *maybe,
                "{id} was sent again without the possible-duplicate flag"
            );
        }
    }
    assert!(repeats <= kills, "{repeats} repeats for {kills} kills");
    let hooked: BTreeSet<String> = first_seen.iter().map(|s| s.to_string()).collect();
    assert_eq!(hooked, expected, "webhook vs detect over the same files");
    eprintln!(
        "watch crash test: {} alerts, {} kills, {} webhook repeats (all flagged), {} restarts found alerts already in the file",
        expected.len(),
        kills,
        repeats,
        recovered_rounds
    );

    // The counters agree.
    let s = status(&moto, &state);
    assert_eq!(s["objects"].as_u64(), Some(files.len() as u64), "{s}");
    assert_eq!(s["findings"].as_u64(), Some(expected.len() as u64), "{s}");
    for sink in s["sinks"].as_array().unwrap() {
        assert_eq!(sink["pending"].as_u64(), Some(0), "{sink}");
        assert_eq!(sink["done"].as_u64(), Some(expected.len() as u64), "{sink}");
    }

    // Nothing new: a further pass alerts on nothing.
    let before = std::fs::read(&sink_file).unwrap();
    let out = watcher(true).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(&sink_file).unwrap(), before);
}

#[test]
fn sqs_notifications_drive_watch_and_sns_gets_each_alert_once() {
    let moto = Moto::start();
    moto.aws(&["s3", "mb", "s3://notified"]);
    let queue_url = moto.aws(&["sqs", "create-queue", "--queue-name", "trail-events"])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let queue_arn = moto.aws(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &queue_url,
        "--attribute-names",
        "QueueArn",
    ])["Attributes"]["QueueArn"]
        .as_str()
        .unwrap()
        .to_string();
    let config = serde_json::json!({
        "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
    });
    moto.aws(&[
        "s3api",
        "put-bucket-notification-configuration",
        "--bucket",
        "notified",
        "--notification-configuration",
        &config.to_string(),
    ]);
    // Alerts go to an SNS topic that a queue subscribes to.
    let topic = moto.aws(&["sns", "create-topic", "--name", "secops"])["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    let sub_url = moto.aws(&["sqs", "create-queue", "--queue-name", "secops-inbox"])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let sub_arn = moto.aws(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &sub_url,
        "--attribute-names",
        "QueueArn",
    ])["Attributes"]["QueueArn"]
        .as_str()
        .unwrap()
        .to_string();
    moto.aws(&[
        "sns",
        "subscribe",
        "--topic-arn",
        &topic,
        "--protocol",
        "sqs",
        "--notification-endpoint",
        &sub_arn,
    ]);

    // The incident's files arrive (one notification each); a digest arrives too and is ignored.
    let upload = tempfile::tempdir().unwrap();
    for f in incident_files_in_time_order() {
        let dest = upload.path().join(f.strip_prefix(incident()).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap();
    }
    let expected: BTreeSet<String> =
        ids_of_jsonl(&local_detect(&["detect", "--format", "jsonl"], &[upload.path()]).stdout)
            .into_iter()
            .collect();
    assert!(!expected.is_empty());
    let digest_dir = upload
        .path()
        .join("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/05/03");
    std::fs::create_dir_all(&digest_dir).unwrap();
    std::fs::write(digest_dir.join("d.json.gz"), b"digest").unwrap();
    moto.upload(upload.path(), "s3://notified/");

    let work = tempfile::tempdir().unwrap();
    let sink_file = work.path().join("alerts.jsonl");
    let run = || {
        moto.trailhound()
            .args([
                "watch",
                "sqs://trail-events",
                "--once",
                "--sns",
                &topic,
                "--file",
            ])
            .arg(&sink_file)
            .arg("--state")
            .arg(work.path().join("q.db"))
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: BTreeSet<String> = ids_of_jsonl(&std::fs::read(&sink_file).unwrap())
        .into_iter()
        .collect();
    assert_eq!(got, expected);

    // Every notification was deleted after processing.
    let attrs = moto.aws(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &queue_url,
        "--attribute-names",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
    ]);
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "0");
    assert_eq!(
        attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "0"
    );

    // SNS: one message per alert, carrying the finding id as an attribute.
    let mut published: Vec<String> = Vec::new();
    loop {
        let got = moto.aws(&[
            "sqs",
            "receive-message",
            "--queue-url",
            &sub_url,
            "--max-number-of-messages",
            "10",
            "--wait-time-seconds",
            "1",
        ]);
        let Some(msgs) = got["Messages"].as_array().filter(|m| !m.is_empty()) else {
            break;
        };
        for m in msgs {
            let envelope: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
            let finding: Value =
                serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
            let id = finding["id"].as_str().unwrap().to_string();
            assert_eq!(
                envelope["MessageAttributes"]["finding_id"]["Value"],
                id.as_str()
            );
            assert!(
                envelope["Subject"]
                    .as_str()
                    .unwrap()
                    .starts_with("trailhound ")
            );
            published.push(id);
            moto.aws(&[
                "sqs",
                "delete-message",
                "--queue-url",
                &sub_url,
                "--receipt-handle",
                m["ReceiptHandle"].as_str().unwrap(),
            ]);
        }
    }
    published.sort();
    let expected_sorted: Vec<String> = expected.iter().cloned().collect();
    assert_eq!(published, expected_sorted);

    // The counters, as a person reads them.
    let status = moto
        .trailhound()
        .args(["watch", "sqs://trail-events", "--status", "--state"])
        .arg(work.path().join("q.db"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("source:          sqs://trail-events"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "objects:         {} (0 with problems)",
            incident_files_in_time_order().len()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("alerts:          {}", expected.len())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "sink sns:{topic}: {} delivered, 0 pending",
            expected.len()
        )),
        "{text}"
    );

    // The same objects announced again (a redelivered notification) change nothing.
    moto.upload(upload.path(), "s3://notified/");
    let before = std::fs::read(&sink_file).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(&sink_file).unwrap(), before);
}

/// LookupEvents pages, as CloudTrail answers them: 50 events a page, a NextToken to go on.
fn lookup_stand_in(records: Vec<String>) -> (String, Arc<Mutex<Vec<Value>>>) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let url = serve(move |req| {
        let target = req.headers.get("x-amz-target").cloned().unwrap_or_default();
        assert!(target.ends_with("LookupEvents"), "{target}");
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        seen.lock().unwrap().push(body.clone());
        let start: usize = body["NextToken"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let page: Vec<Value> = records
            .iter()
            .skip(start)
            .take(50)
            .map(|r| {
                let v: Value = serde_json::from_str(r).unwrap();
                serde_json::json!({
                    "EventId": v["eventID"],
                    "EventName": v["eventName"],
                    "CloudTrailEvent": r,
                })
            })
            .collect();
        let mut answer = serde_json::json!({ "Events": page });
        if start + 50 < records.len() {
            answer["NextToken"] = Value::from((start + 50).to_string());
        }
        (200, answer.to_string())
    });
    (url, requests)
}

#[test]
fn lookup_events_feed_the_same_detection_as_files() {
    // The incident's records, newest first as LookupEvents returns them.
    let day = incident();
    let local_events = local_detect(&["events", "--format", "jsonl"], &[&day]);
    let mut records: Vec<String> = String::from_utf8(local_events.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    records.reverse();
    assert!(records.len() > 100, "several pages");
    let (url, requests) = lookup_stand_in(records.clone());
    let moto = Moto::start();
    let run = |args: &[&str]| {
        moto.command_at(Path::new(env!("CARGO_BIN_EXE_trailhound")), &url)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["events", "--format", "jsonl", "lookup://eu-west-1"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout, local_events.stdout,
        "sorted back into time order"
    );
    let pages = requests.lock().unwrap().len();
    assert_eq!(pages, records.len().div_ceil(50));

    let local = local_detect(&["detect", "--format", "jsonl"], &[&day]);
    let out = run(&["detect", "--format", "jsonl", "lookup://eu-west-1"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, local.stdout);

    // --since/--until become the API's time range; one plain --event-name its lookup attribute.
    requests.lock().unwrap().clear();
    let out = run(&[
        "events",
        "--since",
        "2024-05-03T10:00:00Z",
        "--until",
        "2024-05-03T11:00:00Z",
        "--event-name",
        "RunInstances",
        "lookup://eu-west-1",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let first = requests.lock().unwrap()[0].clone();
    assert_eq!(first["StartTime"].as_f64(), Some(1714730400.0), "{first}");
    assert_eq!(first["EndTime"].as_f64(), Some(1714734000.0), "{first}");
    assert_eq!(first["LookupAttributes"][0]["AttributeKey"], "EventName");
    assert_eq!(
        first["LookupAttributes"][0]["AttributeValue"],
        "RunInstances"
    );

    // moto 5.2.5 does not implement LookupEvents: the call fails with a clear error, exit 2.
    let out = moto
        .trailhound()
        .args(["events", "lookup://us-east-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("LookupEvents in us-east-1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A queue is the watcher's: detect refuses it instead of taking its messages.
    let out = moto
        .trailhound()
        .args(["detect", "sqs://q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("trailhound watch sqs://q"));
}
