//! Where alerts go: standard output, a file (JSON lines, appended), an HTTP webhook (JSON POST
//! with retries and backoff), or anything else that implements [`Sink`] (the CLI adds SNS).
//!
//! Every alert carries its finding id; the file sink can tell from the file itself which alerts
//! already reached it, the webhook sends the id as `Idempotency-Key`. See `docs/watch.md` for
//! what each sink guarantees when the watcher is killed in the middle of a delivery.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Duration;

/// One alert on its way to a sink.
#[derive(Clone, Debug)]
pub struct Alert<'a> {
    pub finding_id: &'a str,
    /// The finding as one line of JSON.
    pub json: &'a str,
    /// Attempts journaled before this one (1 or more after a failure or a crash).
    pub attempt: u32,
    /// An earlier attempt was cut off: the sink may already have this alert.
    pub maybe_delivered: bool,
}

/// What went wrong with a delivery.
#[derive(Debug)]
pub enum SinkError {
    /// Worth trying again later (network, 5xx, throttling). `maybe_delivered`: the request may
    /// have reached the sink before it failed (no response), so the next attempt says so.
    Retry {
        message: String,
        maybe_delivered: bool,
    },
    /// The sink refused this alert itself (e.g. HTTP 400): trying again would not help.
    Rejected(String),
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkError::Retry { message, .. } => write!(f, "{message} (will retry)"),
            SinkError::Rejected(m) => write!(f, "{m} (rejected; not retried)"),
        }
    }
}

/// A destination for alerts.
pub trait Sink {
    /// The name the state database files deliveries under, e.g. `file:/var/log/alerts.jsonl`.
    fn name(&self) -> String;

    /// Before pending alerts are (re)sent: which of them the sink already holds, read from the
    /// sink itself, and the sink's new confirmed offset. `offset` is where the output ended
    /// after the last journaled delivery. Sinks that cannot tell return nothing.
    fn recover(&mut self, _offset: Option<u64>, _pending: &[&str]) -> io::Result<Recovered> {
        Ok(Recovered::default())
    }

    /// Delivers one alert; `Ok` carries the sink's new offset, if it keeps one.
    fn deliver(&mut self, alert: &Alert<'_>) -> Result<Option<u64>, SinkError>;
}

/// What [`Sink::recover`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Finding ids (among the pending ones) the sink already has.
    pub present: Vec<String>,
    /// The offset after them.
    pub offset: Option<u64>,
}

fn retry(message: String) -> SinkError {
    SinkError::Retry {
        message,
        maybe_delivered: false,
    }
}

/// JSON lines on standard output.
pub struct StdoutSink;

impl Sink for StdoutSink {
    fn name(&self) -> String {
        "stdout".into()
    }

    fn deliver(&mut self, alert: &Alert<'_>) -> Result<Option<u64>, SinkError> {
        let mut out = io::stdout().lock();
        let mut line = Vec::with_capacity(alert.json.len() + 1);
        line.extend_from_slice(alert.json.as_bytes());
        line.push(b'\n');
        out.write_all(&line)
            .and_then(|()| out.flush())
            .map_err(|e| retry(format!("stdout: {e}")))?;
        Ok(None)
    }
}

/// JSON lines appended to a file, each written whole and synced before it is journaled.
pub struct FileSink {
    path: PathBuf,
}

impl FileSink {
    pub fn new(path: impl Into<PathBuf>) -> FileSink {
        FileSink { path: path.into() }
    }
}

/// The `id` of a finding's JSON line, if it has one.
fn line_id(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    serde_json::from_slice::<Id>(line).ok().map(|i| i.id)
}

impl Sink for FileSink {
    fn name(&self) -> String {
        format!("file:{}", self.path.display())
    }

    /// Reads what follows the confirmed offset: complete lines are alerts that were written but
    /// not journaled; a last line without its newline is a write cut off by a crash, and is cut
    /// away so the alert is written again whole. A file shorter than the offset was rotated or
    /// truncated: it is read from the start.
    fn recover(&mut self, offset: Option<u64>, pending: &[&str]) -> io::Result<Recovered> {
        let mut file = match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Recovered {
                    present: Vec::new(),
                    offset: Some(0),
                });
            }
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let start = offset.filter(|&o| o <= len).unwrap_or(0);
        file.seek(SeekFrom::Start(start))?;
        let mut reader = BufReader::new((&mut file).take(len - start));
        let mut present = Vec::new();
        let mut pos = start;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                // Torn write: drop it.
                drop(reader);
                file.set_len(pos)?;
                file.sync_data()?;
                return Ok(Recovered {
                    present,
                    offset: Some(pos),
                });
            }
            pos += n as u64;
            if let Some(id) = line_id(&line)
                && pending.contains(&id.as_str())
            {
                present.push(id);
            }
        }
        Ok(Recovered {
            present,
            offset: Some(pos),
        })
    }

    fn deliver(&mut self, alert: &Alert<'_>) -> Result<Option<u64>, SinkError> {
        let fail = |e: io::Error| retry(format!("{}: {e}", self.path.display()));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut file: File = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(fail)?;
        let mut line = Vec::with_capacity(alert.json.len() + 1);
        line.extend_from_slice(alert.json.as_bytes());
        line.push(b'\n');
        // One write of the whole line: a crash leaves it whole or torn at the end, never
        // interleaved; recovery cuts a torn end away.
        file.write_all(&line).map_err(fail)?;
        file.sync_data().map_err(fail)?;
        let len = file.metadata().map_err(fail)?.len();
        Ok(Some(len))
    }
}

/// Retry settings for the webhook.
#[derive(Clone, Debug)]
pub struct Backoff {
    /// Attempts per delivery within one pass (later passes try again).
    pub attempts: u32,
    /// Wait before the second attempt; doubled each time, up to `max`.
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempts: 5,
            first: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The wait before attempt `n` (0-based; no wait before the first).
    pub fn delay(&self, n: u32) -> Duration {
        if n == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(n - 1).unwrap_or(u32::MAX);
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// A JSON POST per alert. Headers: `Idempotency-Key` and `Trailhound-Finding-Id` (the finding id),
/// `Trailhound-Attempt`, and `Trailhound-Possible-Duplicate: true` when an earlier attempt may
/// have reached the receiver (cut off by a crash or a lost response).
pub struct WebhookSink {
    url: String,
    agent: ureq::Agent,
    backoff: Backoff,
    headers: Vec<(String, String)>,
}

impl WebhookSink {
    /// `headers`: extra headers sent with every POST (e.g. an Authorization header); their
    /// values are never printed.
    pub fn new(
        url: &str,
        backoff: Backoff,
        headers: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            url.starts_with("https://") || url.starts_with("http://"),
            "webhook {url:?}: give an http:// or https:// URL"
        );
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Ok(WebhookSink {
            url: url.to_string(),
            agent: ureq::Agent::new_with_config(config),
            backoff,
            headers,
        })
    }

    /// The URL without any user:password part, for names and messages.
    fn shown_url(&self) -> String {
        let Some((scheme, rest)) = self.url.split_once("://") else {
            return self.url.clone();
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = authority.rsplit('@').next().unwrap_or(authority);
        format!("{scheme}://{host}{path}")
    }

    fn post_once(&self, alert: &Alert<'_>, attempt: u32, maybe: bool) -> Result<(), SinkError> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", alert.finding_id)
            .header("Trailhound-Finding-Id", alert.finding_id)
            .header("Trailhound-Attempt", attempt.to_string());
        if maybe {
            req = req.header("Trailhound-Possible-Duplicate", "true");
        }
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let shown = self.shown_url();
        match req.send(alert.json.as_bytes()) {
            Ok(resp) => match resp.status().as_u16() {
                200..=299 => Ok(()),
                // Timeouts and throttling: the receiver asks to be asked again.
                status @ (408 | 425 | 429) => Err(retry(format!("{shown}: HTTP {status}"))),
                status @ 400..=499 => Err(SinkError::Rejected(format!("{shown}: HTTP {status}"))),
                status => Err(retry(format!("{shown}: HTTP {status}"))),
            },
            Err(e) => {
                // Without a connection nothing was sent; after one, the receiver may have read
                // the request before the answer was lost.
                let unsent = match &e {
                    ureq::Error::HostNotFound
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::BadUri(_)
                    | ureq::Error::Tls(_) => true,
                    ureq::Error::Io(io) => io.kind() == std::io::ErrorKind::ConnectionRefused,
                    _ => false,
                };
                Err(SinkError::Retry {
                    message: format!("{shown}: {e}"),
                    maybe_delivered: !unsent,
                })
            }
        }
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> String {
        format!("webhook:{}", self.shown_url())
    }

    fn deliver(&mut self, alert: &Alert<'_>) -> Result<Option<u64>, SinkError> {
        let mut maybe = alert.maybe_delivered;
        let mut last = retry("no attempt made".into());
        for n in 0..self.backoff.attempts.max(1) {
            std::thread::sleep(self.backoff.delay(n));
            match self.post_once(alert, alert.attempt + n, maybe) {
                Ok(()) => return Ok(None),
                Err(SinkError::Retry {
                    message,
                    maybe_delivered,
                }) => {
                    maybe |= maybe_delivered;
                    last = SinkError::Retry {
                        message,
                        maybe_delivered: maybe,
                    };
                }
                Err(rejected) => return Err(rejected),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert<'a>(id: &'a str, json: &'a str) -> Alert<'a> {
        Alert {
            finding_id: id,
            json,
            attempt: 1,
            maybe_delivered: false,
        }
    }

    #[test]
    fn file_recovery_finds_unjournaled_lines_and_cuts_a_torn_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let mut sink = FileSink::new(&path);
        let off1 = sink
            .deliver(&alert("TH-1", r#"{"id":"TH-1"}"#))
            .unwrap()
            .unwrap();
        sink.deliver(&alert("TH-2", r#"{"id":"TH-2"}"#)).unwrap();
        // A crash in the middle of the third write.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"id":"TH-3","sto"#).unwrap();
        let rec = sink.recover(Some(off1), &["TH-2", "TH-3"]).unwrap();
        assert_eq!(rec.present, ["TH-2"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"id\":\"TH-1\"}\n{\"id\":\"TH-2\"}\n");
        assert_eq!(rec.offset, Some(text.len() as u64));
        // Rotated away: read from the start of the new file.
        std::fs::write(&path, "{\"id\":\"TH-9\"}\n").unwrap();
        let rec = sink.recover(Some(1000), &["TH-9"]).unwrap();
        assert_eq!(rec.present, ["TH-9"]);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(sink.recover(Some(5), &["TH-9"]).unwrap().offset, Some(0));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            attempts: 10,
            first: Duration::from_millis(100),
            max: Duration::from_millis(500),
        };
        let waits: Vec<u128> = (0..6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(waits, [0, 100, 200, 400, 500, 500]);
        assert_eq!(b.delay(80), Duration::from_millis(500));
    }

    #[test]
    fn webhook_names_hide_credentials() {
        let s = WebhookSink::new(
            "https://user:secret@hooks.example.com/x",
            Backoff::default(),
            vec![],
        )
        .unwrap();
        assert_eq!(s.name(), "webhook:https://hooks.example.com/x");
        assert!(WebhookSink::new("ftp://x", Backoff::default(), vec![]).is_err());
    }
}
