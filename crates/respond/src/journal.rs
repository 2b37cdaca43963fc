//! The SQLite journal of containment runs: the plan of each run, every step's status, its state
//! before it ran (the basis of rollback) and its result, and every status change with its time.
//!
//! A step is written `running` (with its before-state) before the call and `done`/`failed` after
//! it, each in its own transaction, so a run killed at any point leaves a journal that says
//! exactly which steps finished and which one was in flight.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use crate::plan::Plan;

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Running,
    Done,
    Failed,
    RolledBack,
    /// Instructions for a person, or an optional step not chosen: never executed.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::RolledBack => "rolled_back",
            Status::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "pending" => Status::Pending,
            "running" => Status::Running,
            "done" => Status::Done,
            "failed" => Status::Failed,
            "rolled_back" => Status::RolledBack,
            "skipped" => Status::Skipped,
            _ => return None,
        })
    }

    /// The allowed transitions. `running → running` is the re-attempt after a crash; `failed →
    /// running` a retry on resume; `failed`/`running → rolled_back` undoes a partial effect.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Pending, Running)
                | (Pending, Skipped)
                | (Running, Running)
                | (Running, Done)
                | (Running, Failed)
                | (Running, RolledBack)
                | (Failed, Running)
                | (Failed, RolledBack)
                | (Done, RolledBack)
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("journal {0}: {1}")]
    Io(String, std::io::Error),
    #[error("no run {0} in the journal (see `trailhound respond status` for the runs it holds)")]
    NoRun(String),
    #[error("run {0} already exists in the journal: resume it, or pick another --case")]
    RunExists(String),
    #[error("run {run}: step {index} cannot go from {from} to {to}")]
    Transition {
        run: String,
        index: usize,
        from: &'static str,
        to: &'static str,
    },
    #[error("run {0}: the stored plan is unreadable: {1}")]
    BadPlan(String, serde_json::Error),
}

/// One step's row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepRecord {
    pub index: usize,
    pub step_id: String,
    pub status: Status,
    pub before: Option<Value>,
    pub result: Option<Value>,
    pub error: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// How many times the step was started (1 for a step that ran once).
    pub attempts: u32,
}

/// One status change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub index: usize,
    pub at: String,
    pub from: String,
    pub to: String,
}

/// A run's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    pub id: String,
    pub created: String,
    pub target: String,
}

pub struct Journal {
    conn: Connection,
    path: String,
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// `$XDG_STATE_HOME/trailhound/respond.sqlite`, else `~/.local/state/trailhound/respond.sqlite`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state"))
        })?;
    Some(base.join("trailhound").join("respond.sqlite"))
}

impl Journal {
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| JournalError::Io(shown.clone(), e))?;
        }
        let conn = Connection::open(path).map_err(|source| JournalError::Sqlite {
            path: shown.clone(),
            source,
        })?;
        let j = Journal { conn, path: shown };
        j.init()?;
        Ok(j)
    }

    /// A journal in memory (tests, dry runs).
    pub fn in_memory() -> Result<Journal, JournalError> {
        let conn = Connection::open_in_memory().map_err(|source| JournalError::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        let j = Journal {
            conn,
            path: ":memory:".into(),
        };
        j.init()?;
        Ok(j)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
        |source| JournalError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn init(&self) -> Result<(), JournalError> {
        self.conn
            .execute_batch(
                "PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS runs (
                     id TEXT PRIMARY KEY,
                     created TEXT NOT NULL,
                     target TEXT NOT NULL,
                     plan TEXT NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS steps (
                     run_id TEXT NOT NULL REFERENCES runs(id),
                     idx INTEGER NOT NULL,
                     step_id TEXT NOT NULL,
                     status TEXT NOT NULL,
                     before_state TEXT,
                     result TEXT,
                     error TEXT,
                     started_at TEXT,
                     finished_at TEXT,
                     attempts INTEGER NOT NULL DEFAULT 0,
                     PRIMARY KEY (run_id, idx)
                 );
                 CREATE TABLE IF NOT EXISTS transitions (
                     run_id TEXT NOT NULL REFERENCES runs(id),
                     idx INTEGER NOT NULL,
                     at TEXT NOT NULL,
                     from_status TEXT NOT NULL,
                     to_status TEXT NOT NULL
                 );",
            )
            .map_err(self.err())
    }

    /// Stores a new run with every step pending.
    pub fn create_run(&mut self, id: &str, plan: &Plan) -> Result<(), JournalError> {
        let plan_json =
            serde_json::to_string(plan).map_err(|e| JournalError::BadPlan(id.into(), e))?;
        let target = serde_json::to_string(&plan.target).unwrap_or_default();
        let path = self.path.clone();
        let err = |source| JournalError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let exists: Option<String> = tx
            .query_row("SELECT id FROM runs WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(err)?;
        if exists.is_some() {
            return Err(JournalError::RunExists(id.to_string()));
        }
        tx.execute(
            "INSERT INTO runs (id, created, target, plan) VALUES (?1, ?2, ?3, ?4)",
            params![id, now(), target, plan_json],
        )
        .map_err(err)?;
        for s in &plan.steps {
            tx.execute(
                "INSERT INTO steps (run_id, idx, step_id, status) VALUES (?1, ?2, ?3, 'pending')",
                params![id, s.index as i64, s.id],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    pub fn runs(&self) -> Result<Vec<RunInfo>, JournalError> {
        let mut st = self
            .conn
            .prepare("SELECT id, created, target FROM runs ORDER BY created, id")
            .map_err(self.err())?;
        let rows = st
            .query_map([], |r| {
                Ok(RunInfo {
                    id: r.get(0)?,
                    created: r.get(1)?,
                    target: r.get(2)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err())
    }

    pub fn plan(&self, run: &str) -> Result<Plan, JournalError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT plan FROM runs WHERE id = ?1", [run], |r| r.get(0))
            .optional()
            .map_err(self.err())?;
        let text = text.ok_or_else(|| JournalError::NoRun(run.to_string()))?;
        serde_json::from_str(&text).map_err(|e| JournalError::BadPlan(run.to_string(), e))
    }

    pub fn steps(&self, run: &str) -> Result<Vec<StepRecord>, JournalError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT idx, step_id, status, before_state, result, error, started_at, finished_at, attempts
                 FROM steps WHERE run_id = ?1 ORDER BY idx",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([run], |r| {
                let json = |v: Option<String>| v.and_then(|t| serde_json::from_str(&t).ok());
                Ok(StepRecord {
                    index: r.get::<_, i64>(0)? as usize,
                    step_id: r.get(1)?,
                    status: Status::parse(&r.get::<_, String>(2)?).unwrap_or(Status::Failed),
                    before: json(r.get(3)?),
                    result: json(r.get(4)?),
                    error: r.get(5)?,
                    started_at: r.get(6)?,
                    finished_at: r.get(7)?,
                    attempts: r.get::<_, i64>(8)? as u32,
                })
            })
            .map_err(self.err())?;
        let out = rows.collect::<Result<Vec<_>, _>>().map_err(self.err())?;
        if out.is_empty() {
            self.plan(run)?;
        }
        Ok(out)
    }

    pub fn step(&self, run: &str, index: usize) -> Result<StepRecord, JournalError> {
        self.steps(run)?
            .into_iter()
            .find(|s| s.index == index)
            .ok_or_else(|| JournalError::NoRun(format!("{run} step {index}")))
    }

    pub fn transitions(&self, run: &str) -> Result<Vec<Transition>, JournalError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT idx, at, from_status, to_status FROM transitions WHERE run_id = ?1 ORDER BY rowid",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([run], |r| {
                Ok(Transition {
                    index: r.get::<_, i64>(0)? as usize,
                    at: r.get(1)?,
                    from: r.get(2)?,
                    to: r.get(3)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err())
    }

    /// Moves a step to `to`, checking the transition; `before` is stored only if none is stored
    /// yet (the first capture is the true original state), `result`/`error` replace what was there.
    fn set(
        &mut self,
        run: &str,
        index: usize,
        to: Status,
        before: Option<&Value>,
        result: Option<&Value>,
        error: Option<&str>,
    ) -> Result<(), JournalError> {
        let path = self.path.clone();
        let err = |source| JournalError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let from: Option<String> = tx
            .query_row(
                "SELECT status FROM steps WHERE run_id = ?1 AND idx = ?2",
                params![run, index as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        let from = from.ok_or_else(|| JournalError::NoRun(format!("{run} step {index}")))?;
        let from = Status::parse(&from).unwrap_or(Status::Failed);
        if !from.can_become(to) {
            return Err(JournalError::Transition {
                run: run.to_string(),
                index,
                from: from.as_str(),
                to: to.as_str(),
            });
        }
        let at = now();
        let before_text = before.filter(|v| !v.is_null()).map(|v| v.to_string());
        let result_text = result.map(|v| v.to_string());
        match to {
            Status::Running => tx.execute(
                "UPDATE steps SET status = 'running', before_state = COALESCE(before_state, ?3),
                     started_at = ?4, finished_at = NULL, error = NULL, attempts = attempts + 1
                 WHERE run_id = ?1 AND idx = ?2",
                params![run, index as i64, before_text, at],
            ),
            _ => tx.execute(
                "UPDATE steps SET status = ?3, result = COALESCE(?4, result), error = ?5, finished_at = ?6
                 WHERE run_id = ?1 AND idx = ?2",
                params![run, index as i64, to.as_str(), result_text, error, at],
            ),
        }
        .map_err(err)?;
        tx.execute(
            "INSERT INTO transitions (run_id, idx, at, from_status, to_status) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run, index as i64, at, from.as_str(), to.as_str()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    pub fn start(&mut self, run: &str, index: usize, before: &Value) -> Result<(), JournalError> {
        self.set(run, index, Status::Running, Some(before), None, None)
    }

    pub fn finish(&mut self, run: &str, index: usize, result: &Value) -> Result<(), JournalError> {
        self.set(run, index, Status::Done, None, Some(result), None)
    }

    pub fn fail(&mut self, run: &str, index: usize, error: &str) -> Result<(), JournalError> {
        self.set(run, index, Status::Failed, None, None, Some(error))
    }

    pub fn skip(&mut self, run: &str, index: usize, why: &str) -> Result<(), JournalError> {
        self.set(
            run,
            index,
            Status::Skipped,
            None,
            Some(&Value::String(why.to_string())),
            None,
        )
    }

    pub fn rolled_back(
        &mut self,
        run: &str,
        index: usize,
        result: &Value,
    ) -> Result<(), JournalError> {
        // The step's own result stays; the undo's result goes to the error column's neighbour.
        let path = self.path.clone();
        self.set(run, index, Status::RolledBack, None, None, None)?;
        self.conn
            .execute(
                "UPDATE steps SET result = json_object('applied', json(COALESCE(result, 'null')), 'undo', json(?3))
                 WHERE run_id = ?1 AND idx = ?2",
                params![run, index as i64, result.to_string()],
            )
            .map_err(|source| JournalError::Sqlite { path, source })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Plan, PlanOptions, Target};
    use serde_json::json;

    fn plan(n: usize) -> Plan {
        let mut p = Plan {
            target: Target::Instance {
                instance_id: "i-1".into(),
            },
            options: PlanOptions::default(),
            steps: Vec::new(),
            notes: Vec::new(),
        };
        for i in 1..=n {
            p.steps.push(crate::plan::Step {
                index: i,
                id: format!("s{i}"),
                phase: crate::plan::Phase::Protect,
                title: String::new(),
                action: crate::plan::Action::StopInstance {
                    region: "r".into(),
                    instance_id: "i-1".into(),
                },
                why: String::new(),
                risk: String::new(),
                reversible: true,
                execution: crate::plan::Execution::Automatic,
                dry_run: crate::plan::DryRun::Ec2,
                cli: Vec::new(),
                rollback: Vec::new(),
            });
        }
        p
    }

    #[test]
    fn transitions_are_checked() {
        use Status::*;
        assert!(Pending.can_become(Running));
        assert!(Running.can_become(Done));
        assert!(Running.can_become(Running));
        assert!(Done.can_become(RolledBack));
        assert!(
            !Pending.can_become(Done),
            "a step cannot finish without starting"
        );
        assert!(
            !Done.can_become(Running),
            "a finished step is never repeated"
        );
        assert!(!RolledBack.can_become(Running));
        assert!(!Skipped.can_become(Running));
        assert!(!Done.can_become(Failed));
    }

    #[test]
    fn step_lifecycle_is_stored() {
        let mut j = Journal::in_memory().unwrap();
        j.create_run("r1", &plan(3)).unwrap();
        assert!(matches!(
            j.create_run("r1", &plan(1)),
            Err(JournalError::RunExists(_))
        ));
        j.start("r1", 1, &json!({"groups": ["sg-1"]})).unwrap();
        j.finish("r1", 1, &json!({"ok": true})).unwrap();
        // A second start after a crash keeps the first before-state.
        j.start("r1", 2, &json!({"v": "original"})).unwrap();
        j.start("r1", 2, &json!({"v": "changed"})).unwrap();
        j.fail("r1", 2, "boom").unwrap();
        let s = j.steps("r1").unwrap();
        assert_eq!(s[0].status, Status::Done);
        assert_eq!(s[0].before, Some(json!({"groups": ["sg-1"]})));
        assert_eq!(s[0].result, Some(json!({"ok": true})));
        assert_eq!(s[1].status, Status::Failed);
        assert_eq!(s[1].before, Some(json!({"v": "original"})));
        assert_eq!(s[1].attempts, 2);
        assert_eq!(s[1].error.as_deref(), Some("boom"));
        assert_eq!(s[2].status, Status::Pending);
        let err = j.finish("r1", 3, &json!(null)).unwrap_err();
        assert!(
            err.to_string().contains("cannot go from pending to done"),
            "{err}"
        );
        j.rolled_back("r1", 1, &json!({"restored": true})).unwrap();
        let s = j.step("r1", 1).unwrap();
        assert_eq!(s.status, Status::RolledBack);
        assert_eq!(
            s.result,
            Some(json!({"applied": {"ok": true}, "undo": {"restored": true}}))
        );
        let t = j.transitions("r1").unwrap();
        assert_eq!(t.len(), 6);
        assert_eq!(
            (t[0].from.as_str(), t[0].to.as_str()),
            ("pending", "running")
        );
        assert!(matches!(j.steps("nope"), Err(JournalError::NoRun(_))));
        assert_eq!(j.plan("r1").unwrap(), plan(3));
    }

    #[test]
    fn survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/trailhound/respond.sqlite");
        {
            let mut j = Journal::open(&path).unwrap();
            j.create_run("r", &plan(2)).unwrap();
            j.start("r", 1, &json!(1)).unwrap();
        }
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.steps("r").unwrap()[0].status, Status::Running);
        assert_eq!(j.runs().unwrap()[0].id, "r");
    }
}
