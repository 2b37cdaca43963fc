//! The checkpoint: one SQLite file (WAL, `synchronous=FULL`) holding what a watcher has done, so a
//! restart after any crash carries on where the last commit left off.
//!
//! * `inputs`: objects (or other inputs) fully processed, by id (`s3://bucket/key`);
//! * `window`: the records that feed correlations, kept for the correlation horizon and replayed
//!   with every pass (see `docs/watch.md`);
//! * `alerts`: the outbox, one row per finding id, written in the same transaction that marks its
//!   inputs done;
//! * `deliveries`: per alert and sink, `pending` → `sending` → `done` (or `rejected`);
//! * `meta`: counters and settings; `sealed`: S3 day folders that can no longer change.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, params};

/// Bumped when the tables change shape; an older file is refused with a clear message.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    id TEXT PRIMARY KEY,
    done_ms INTEGER NOT NULL,
    records INTEGER NOT NULL,
    problems INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS window (
    event_id TEXT PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS window_time ON window (time_ms);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    finding_id TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    finding TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    finding_id TEXT NOT NULL,
    sink TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_ms INTEGER,
    PRIMARY KEY (finding_id, sink)
);
CREATE INDEX IF NOT EXISTS deliveries_open ON deliveries (sink, state);
CREATE TABLE IF NOT EXISTS sink_offsets (sink TEXT PRIMARY KEY, offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sealed (prefix TEXT PRIMARY KEY);
";

/// The state database of one watcher.
pub struct StateDb {
    conn: Connection,
    path: PathBuf,
    /// Held for the life of the watcher: two watchers on one state would deliver twice.
    _lock: Option<std::fs::File>,
}

/// A record kept for correlations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowEvent {
    pub event_id: String,
    pub time_ms: i64,
    /// The record as one line of JSON.
    pub record: String,
}

/// An input fully processed in a pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDone {
    pub id: String,
    pub records: u64,
    pub problems: u64,
    /// When the input appeared (S3 LastModified), for the lag counter.
    pub appeared_ms: Option<i64>,
}

/// A finding to alert on, as the outbox stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAlert {
    pub finding_id: String,
    pub rule_id: String,
    pub severity: String,
    /// The finding as one line of JSON.
    pub json: String,
}

/// Everything one pass changes, committed at once.
#[derive(Clone, Debug, Default)]
pub struct PassCommit {
    pub inputs: Vec<InputDone>,
    pub window_add: Vec<WindowEvent>,
    /// Event ids to keep for good (the events that made a `first_seen` correlation fire).
    pub window_pin: Vec<String>,
    /// Window records older than this (and not pinned) are dropped.
    pub prune_before_ms: Option<i64>,
    pub alerts: Vec<NewAlert>,
    /// The sinks every new alert is to be delivered to.
    pub sinks: Vec<String>,
    /// Records read from the inputs (duplicates included).
    pub records: u64,
    /// The newest eventTime seen in this pass.
    pub newest_event_ms: Option<i64>,
    pub now_ms: i64,
}

/// An alert waiting for one sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub seq: i64,
    pub finding_id: String,
    pub json: String,
    pub attempts: u32,
    /// A previous attempt was cut off (a crash, a timeout after sending): the sink may have it.
    pub maybe_delivered: bool,
}

/// Per-sink delivery counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SinkCounts {
    pub sink: String,
    pub done: u64,
    pub pending: u64,
    pub rejected: u64,
    pub last_error: Option<String>,
}

/// The counters `watch --status` prints.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub source: Option<String>,
    pub passes: u64,
    pub objects: u64,
    pub objects_with_problems: u64,
    pub records: u64,
    pub findings: u64,
    pub window_events: u64,
    pub pinned_events: u64,
    /// Newest eventTime processed (RFC 3339).
    pub newest_event: Option<String>,
    /// Last pass: its end, and how far behind the newest event then was.
    pub last_pass: Option<String>,
    pub event_lag_seconds: Option<i64>,
    /// Seconds from an object appearing to its processing, for the last object of the last pass.
    pub object_lag_seconds: Option<i64>,
    pub sinks: Vec<SinkCounts>,
}

fn ms_text(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_string())
}

impl StateDb {
    /// Where the state of a watcher on `source` lives by default: under `$XDG_STATE_HOME`
    /// (or `~/.local/state`), one file per source.
    pub fn default_path(source: &str) -> anyhow::Result<PathBuf> {
        let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => {
                let home = std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .context("neither XDG_STATE_HOME nor HOME is set: give --state PATH")?;
                PathBuf::from(home).join(".local/state")
            }
        };
        let name: String = source
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Ok(base
            .join("trailhound")
            .join(format!("watch-{}.db", name.trim_matches('_'))))
    }

    /// Opens (creating if needed) the state at `path` for a watcher of `source`, and takes the
    /// lock that keeps a second watcher off it.
    pub fn open(path: &Path, source: &str) -> anyhow::Result<StateDb> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the state folder {}", dir.display()))?;
        }
        let lock_path = path.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another watcher is using {} (stop it, or give this one its own --state)",
                path.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        }
        let mut db = Self::open_unlocked(path)?;
        db._lock = Some(lock);
        match db.meta("source")? {
            None => db.set_meta("source", source)?,
            Some(known) if known == source => {}
            Some(known) => anyhow::bail!(
                "{} is the state of a watcher on {known}, not {source}: give --state a path of its own",
                path.display()
            ),
        }
        Ok(db)
    }

    /// Opens for reading counters (`--status`), without the watcher lock.
    pub fn open_for_status(path: &Path) -> anyhow::Result<StateDb> {
        anyhow::ensure!(
            path.exists(),
            "no watch state at {} (nothing watched yet with this source and --state)",
            path.display()
        );
        Self::open_unlocked(path)
    }

    fn open_unlocked(path: &Path) -> anyhow::Result<StateDb> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the state database {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // WAL + FULL: a commit is on disk when it returns, and readers (--status) never block
        // the watcher.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("{} is not a trailhound watch state", path.display()))?;
        let db = StateDb {
            conn,
            path: path.to_path_buf(),
            _lock: None,
        };
        match db.meta("schema")? {
            None => db.set_meta("schema", &SCHEMA_VERSION.to_string())?,
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => anyhow::bail!(
                "{} has state schema {v}; this trailhound reads {SCHEMA_VERSION} (use a new --state)",
                path.display()
            ),
        }
        Ok(db)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn meta(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn meta_i64(&self, key: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.meta(key)?.and_then(|v| v.parse().ok()))
    }

    /// The ids among `ids` already processed.
    pub fn done(&self, ids: &[String]) -> anyhow::Result<HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM inputs WHERE id = ?1")?;
        let mut out = HashSet::new();
        for id in ids {
            if stmt.exists([id])? {
                out.insert(id.clone());
            }
        }
        Ok(out)
    }

    pub fn is_sealed(&self, prefix: &str) -> anyhow::Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM sealed WHERE prefix = ?1")?
            .exists([prefix])?)
    }

    /// Records that a listing prefix can no longer change (a past day folder, fully processed).
    pub fn seal(&self, prefix: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO sealed (prefix) VALUES (?1)",
            [prefix],
        )?;
        Ok(())
    }

    /// The newest eventTime processed so far.
    pub fn watermark_ms(&self) -> anyhow::Result<Option<i64>> {
        self.meta_i64("newest_event_ms")
    }

    /// The correlation window, oldest first.
    pub fn window(&self) -> anyhow::Result<Vec<WindowEvent>> {
        let mut stmt = self
            .conn
            .prepare("SELECT event_id, time_ms, record FROM window ORDER BY time_ms, event_id")?;
        let rows = stmt.query_map([], |r| {
            Ok(WindowEvent {
                event_id: r.get(0)?,
                time_ms: r.get(1)?,
                record: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Commits a pass: inputs done, window changes, new alerts with a pending delivery per sink,
    /// counters. Returns the ids of the alerts that are new (a finding id already known is not
    /// alerted again).
    pub fn commit_pass(&mut self, pass: &PassCommit) -> anyhow::Result<Vec<String>> {
        let tx = self.conn.transaction()?;
        let mut fresh = Vec::new();
        {
            let mut input = tx.prepare_cached(
                "INSERT OR IGNORE INTO inputs (id, done_ms, records, problems) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for i in &pass.inputs {
                input.execute(params![
                    i.id,
                    pass.now_ms,
                    i.records as i64,
                    i.problems as i64
                ])?;
            }
            let mut add = tx.prepare_cached(
                "INSERT OR IGNORE INTO window (event_id, time_ms, record) VALUES (?1, ?2, ?3)",
            )?;
            for e in &pass.window_add {
                add.execute(params![e.event_id, e.time_ms, e.record])?;
            }
            let mut pin = tx.prepare_cached("UPDATE window SET pinned = 1 WHERE event_id = ?1")?;
            for id in &pass.window_pin {
                pin.execute([id])?;
            }
            if let Some(before) = pass.prune_before_ms {
                tx.execute(
                    "DELETE FROM window WHERE pinned = 0 AND time_ms < ?1",
                    [before],
                )?;
            }
            let mut alert = tx.prepare_cached(
                "INSERT OR IGNORE INTO alerts (finding_id, created_ms, rule_id, severity, finding)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut delivery = tx.prepare_cached(
                "INSERT OR IGNORE INTO deliveries (finding_id, sink, state) VALUES (?1, ?2, 'pending')",
            )?;
            for a in &pass.alerts {
                let added = alert.execute(params![
                    a.finding_id,
                    pass.now_ms,
                    a.rule_id,
                    a.severity,
                    a.json
                ])?;
                if added == 0 {
                    continue;
                }
                for sink in &pass.sinks {
                    delivery.execute(params![a.finding_id, sink])?;
                }
                fresh.push(a.finding_id.clone());
            }
        }
        let get = |key: &str| -> anyhow::Result<i64> {
            Ok(tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0))
        };
        let problems = pass.inputs.iter().filter(|i| i.problems > 0).count() as i64;
        let mut counters: Vec<(&str, i64)> = vec![
            ("passes", get("passes")? + 1),
            ("objects", get("objects")? + pass.inputs.len() as i64),
            (
                "objects_with_problems",
                get("objects_with_problems")? + problems,
            ),
            ("records", get("records")? + pass.records as i64),
            ("findings", get("findings")? + fresh.len() as i64),
            ("last_pass_ms", pass.now_ms),
        ];
        let old_mark = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'newest_event_ms'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .and_then(|v| v.parse::<i64>().ok());
        if let Some(newest) = pass.newest_event_ms.max(old_mark) {
            counters.push(("newest_event_ms", newest));
        }
        if let Some(appeared) = pass.inputs.iter().filter_map(|i| i.appeared_ms).max() {
            counters.push(("object_lag_ms", (pass.now_ms - appeared).max(0)));
        }
        for (key, value) in counters {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(fresh)
    }

    /// Alerts not yet delivered to `sink`, in the order they were found.
    pub fn pending(&self, sink: &str) -> anyhow::Result<Vec<Pending>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.seq, a.finding_id, a.finding, d.attempts, d.state
             FROM deliveries d JOIN alerts a ON a.finding_id = d.finding_id
             WHERE d.sink = ?1 AND d.state IN ('pending', 'sending')
             ORDER BY a.seq",
        )?;
        let rows = stmt.query_map([sink], |r| {
            let state: String = r.get(4)?;
            Ok(Pending {
                seq: r.get(0)?,
                finding_id: r.get(1)?,
                json: r.get(2)?,
                attempts: r.get::<_, i64>(3)? as u32,
                maybe_delivered: state == "sending",
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Journals that a delivery is about to be attempted: if the process dies before
    /// [`StateDb::delivered`], the restart knows the sink may already have the alert.
    pub fn sending(&self, finding_id: &str, sink: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET state = 'sending', attempts = attempts + 1
             WHERE finding_id = ?1 AND sink = ?2",
            params![finding_id, sink],
        )?;
        Ok(())
    }

    /// Journals a delivery confirmed by the sink, with the sink's new offset (file sinks).
    pub fn delivered(
        &mut self,
        finding_id: &str,
        sink: &str,
        offset: Option<u64>,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE deliveries SET state = 'done', done_ms = ?3, last_error = NULL
             WHERE finding_id = ?1 AND sink = ?2",
            params![finding_id, sink, now_ms],
        )?;
        if let Some(offset) = offset {
            set_offset(&tx, sink, offset)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Journals a failed attempt. `retry`: `None` when the sink refused the alert itself
    /// (rejected for good); `Some(maybe_delivered)` to try again in a later round, remembering
    /// whether the sink may have it already.
    pub fn failed(
        &self,
        finding_id: &str,
        sink: &str,
        error: &str,
        retry: Option<bool>,
    ) -> anyhow::Result<()> {
        let state = match retry {
            None => "rejected",
            Some(true) => "sending",
            Some(false) => "pending",
        };
        self.conn.execute(
            "UPDATE deliveries SET state = ?3, last_error = ?4 WHERE finding_id = ?1 AND sink = ?2",
            params![finding_id, sink, state, error],
        )?;
        Ok(())
    }

    /// Where a sink's confirmed output ends (file sinks: the file length after the last
    /// journaled alert).
    pub fn offset(&self, sink: &str) -> anyhow::Result<Option<u64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT offset FROM sink_offsets WHERE sink = ?1",
                [sink],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|o| o.max(0) as u64))
    }

    pub fn set_offset(&mut self, sink: &str, offset: u64) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        set_offset(&tx, sink, offset)?;
        tx.commit()?;
        Ok(())
    }

    /// The counters, for the status line and `--status`.
    pub fn status(&self, now_ms: i64) -> anyhow::Result<Status> {
        let get =
            |k: &str| -> anyhow::Result<u64> { Ok(self.meta_i64(k)?.unwrap_or(0).max(0) as u64) };
        let newest = self.meta_i64("newest_event_ms")?;
        let last_pass = self.meta_i64("last_pass_ms")?;
        let (window_events, pinned_events): (i64, i64) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(pinned), 0) FROM window",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut stmt = self.conn.prepare(
            "SELECT sink,
                    sum(state = 'done'), sum(state IN ('pending', 'sending')), sum(state = 'rejected'),
                    (SELECT last_error FROM deliveries e WHERE e.sink = d.sink AND e.last_error IS NOT NULL
                     ORDER BY rowid DESC LIMIT 1)
             FROM deliveries d GROUP BY sink ORDER BY sink",
        )?;
        let sinks = stmt
            .query_map([], |r| {
                Ok(SinkCounts {
                    sink: r.get(0)?,
                    done: r.get::<_, i64>(1)? as u64,
                    pending: r.get::<_, i64>(2)? as u64,
                    rejected: r.get::<_, i64>(3)? as u64,
                    last_error: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Status {
            source: self.meta("source")?,
            passes: get("passes")?,
            objects: get("objects")?,
            objects_with_problems: get("objects_with_problems")?,
            records: get("records")?,
            findings: get("findings")?,
            window_events: window_events.max(0) as u64,
            pinned_events: pinned_events.max(0) as u64,
            newest_event: newest.and_then(ms_text),
            last_pass: last_pass.and_then(ms_text),
            event_lag_seconds: newest.map(|n| (now_ms - n) / 1000),
            object_lag_seconds: self.meta_i64("object_lag_ms")?.map(|l| l / 1000),
            sinks,
        })
    }
}

fn set_offset(tx: &rusqlite::Transaction<'_>, sink: &str, offset: u64) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO sink_offsets (sink, offset) VALUES (?1, ?2)
         ON CONFLICT (sink) DO UPDATE SET offset = excluded.offset",
        params![sink, offset as i64],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: &str) -> NewAlert {
        NewAlert {
            finding_id: id.into(),
            rule_id: "r".into(),
            severity: "high".into(),
            json: format!("{{\"id\":\"{id}\"}}"),
        }
    }

    #[test]
    fn a_finding_id_is_alerted_once_across_passes_and_reopenings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let sinks = vec!["file:x".to_string(), "stdout".to_string()];
        {
            let mut db = StateDb::open(&path, "s3://b/").unwrap();
            let fresh = db
                .commit_pass(&PassCommit {
                    inputs: vec![InputDone {
                        id: "s3://b/k1".into(),
                        records: 3,
                        problems: 0,
                        appeared_ms: Some(1_000),
                    }],
                    alerts: vec![alert("TH-1"), alert("TH-2")],
                    sinks: sinks.clone(),
                    records: 3,
                    newest_event_ms: Some(500),
                    now_ms: 2_000,
                    ..PassCommit::default()
                })
                .unwrap();
            assert_eq!(fresh, ["TH-1", "TH-2"]);
            assert_eq!(db.pending("stdout").unwrap().len(), 2);
            db.sending("TH-1", "stdout").unwrap();
        }
        let mut db = StateDb::open(&path, "s3://b/").unwrap();
        let pending = db.pending("stdout").unwrap();
        assert!(pending[0].maybe_delivered && pending[0].attempts == 1);
        assert!(!pending[1].maybe_delivered);
        db.delivered("TH-1", "stdout", None, 3_000).unwrap();
        let fresh = db
            .commit_pass(&PassCommit {
                alerts: vec![alert("TH-2"), alert("TH-3")],
                sinks,
                now_ms: 4_000,
                ..PassCommit::default()
            })
            .unwrap();
        assert_eq!(fresh, ["TH-3"]);
        assert_eq!(
            db.done(&["s3://b/k1".into(), "s3://b/k2".into()])
                .unwrap()
                .len(),
            1
        );
        let status = db.status(10_000).unwrap();
        assert_eq!(status.findings, 3);
        assert_eq!((status.objects, status.records, status.passes), (1, 3, 2));
        assert_eq!(status.event_lag_seconds, Some(9));
        assert_eq!(status.object_lag_seconds, Some(1));
        let stdout = status.sinks.iter().find(|s| s.sink == "stdout").unwrap();
        assert_eq!((stdout.done, stdout.pending), (1, 2));
    }

    #[test]
    fn a_second_watcher_and_another_source_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let first = StateDb::open(&path, "s3://b/").unwrap();
        let err = StateDb::open(&path, "s3://b/").err().unwrap().to_string();
        assert!(err.contains("another watcher"), "{err}");
        drop(first);
        let err = StateDb::open(&path, "sqs://q").err().unwrap().to_string();
        assert!(err.contains("not sqs://q"), "{err}");
        assert!(StateDb::open_for_status(&dir.path().join("none.db")).is_err());
    }

    #[test]
    fn the_window_prunes_by_time_but_keeps_pinned_events() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = StateDb::open(&dir.path().join("s.db"), "x").unwrap();
        let ev = |id: &str, t| WindowEvent {
            event_id: id.into(),
            time_ms: t,
            record: "{}".into(),
        };
        db.commit_pass(&PassCommit {
            window_add: vec![ev("a", 10), ev("b", 20), ev("c", 30)],
            window_pin: vec!["a".into()],
            ..PassCommit::default()
        })
        .unwrap();
        db.commit_pass(&PassCommit {
            prune_before_ms: Some(25),
            ..PassCommit::default()
        })
        .unwrap();
        let ids: Vec<String> = db
            .window()
            .unwrap()
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        assert_eq!(ids, ["a", "c"]);
    }

    #[test]
    fn default_paths_follow_xdg_and_name_the_source() {
        let p = StateDb::default_path("s3://bucket/AWSLogs/").unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name, "watch-s3___bucket_AWSLogs.db");
        assert!(p.parent().unwrap().ends_with("trailhound"));
    }
}
