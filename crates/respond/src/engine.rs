//! Carrying a plan out, resuming it and rolling it back, through a [`StepRunner`] (the AWS SDK
//! one lives in `crates/aws`; tests use fakes). The engine owns the journal discipline: a step is
//! journaled `running` with its before-state before the runner touches anything and `done` or
//! `failed` right after; a failure stops the run.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::journal::{Journal, JournalError, Status};
use crate::plan::{Execution, Plan, Step};

/// Env var: exit abruptly (status 137, as if killed) right after step N is journaled done.
pub const CRASH_HOOK_ENV: &str = "TRAILHOUND_RESPOND_CRASH_AFTER_STEP";

/// Why a call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The caller lacks the permission (UnauthorizedOperation, AccessDenied).
    Denied,
    /// Still throttled after the retries.
    Throttled,
    /// A resource the step needs is gone.
    NotFound,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{message}")]
pub struct StepError {
    pub kind: ErrorKind,
    pub message: String,
}

impl StepError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> StepError {
        StepError {
            kind,
            message: message.into(),
        }
    }
}

/// The outcome of checking a step without changing anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "detail")]
pub enum Check {
    /// EC2 answered DryRunOperation.
    WouldSucceed(String),
    /// EC2 answered UnauthorizedOperation, or a read the simulation needs was denied.
    NotPermitted(String),
    /// No DryRun in the API: preconditions read, the call described.
    Simulated(String),
    /// Read-only step: it ran.
    Read(String),
    /// Something else failed (resource gone, invalid parameter).
    Failed(String),
    /// Not executed by trailhound.
    NotExecuted,
}

/// What a runner sees of the run: its id and the results of steps already done.
#[derive(Clone, Debug, Default)]
pub struct RunContext {
    pub run_id: String,
    pub results: BTreeMap<String, Value>,
}

/// Carries out the actions of a plan. Implementations must make `apply` safe to call again for
/// a step that was `running` when a run died (see [`crate::plan::Action::crash_recovery`]).
pub trait StepRunner {
    /// Reads the state the step is about to change (stored as its before-state).
    fn capture(&mut self, step: &Step, ctx: &RunContext) -> Result<Value, StepError>;
    /// Checks the step without changing anything.
    fn check(&mut self, step: &Step, ctx: &RunContext) -> Check;
    /// Carries the step out and returns what it did.
    fn apply(&mut self, step: &Step, before: &Value, ctx: &RunContext) -> Result<Value, StepError>;
    /// Undoes a step from its before-state and result.
    fn undo(
        &mut self,
        step: &Step,
        before: &Value,
        result: &Value,
        ctx: &RunContext,
    ) -> Result<Value, StepError>;
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "step {index} ({id}) failed: {error}. The journal is consistent: steps before it are done, this one is marked failed. Fix the cause and run `trailhound respond resume {run}`, or undo with `trailhound respond rollback {run}`."
    )]
    Step {
        run: String,
        index: usize,
        id: String,
        error: StepError,
    },
    #[error(
        "undoing step {index} ({id}) failed: {error}. Steps after it are rolled back; run `trailhound respond rollback {run}` again once the cause is fixed."
    )]
    Undo {
        run: String,
        index: usize,
        id: String,
        error: StepError,
    },
}

/// What a run did this time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    /// Steps carried out now.
    pub applied: Vec<usize>,
    /// Steps found `running` (a crash) and completed again.
    pub recovered: Vec<usize>,
    /// Steps already done before, left alone.
    pub already_done: Vec<usize>,
    pub skipped: Vec<usize>,
    pub rolled_back: Vec<usize>,
}

/// Calls `hook(index)` after a step is journaled done. The CLI passes [`crash_hook_from_env`].
pub type AfterStep<'a> = &'a mut dyn FnMut(usize);

/// The test hook: exits with status 137 right after the step the env var names is done.
pub fn crash_hook_from_env() -> impl FnMut(usize) {
    let n: Option<usize> = std::env::var(CRASH_HOOK_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok());
    move |index| {
        if Some(index) == n {
            eprintln!("{CRASH_HOOK_ENV}={index}: exiting abruptly after step {index}");
            std::process::exit(137);
        }
    }
}

fn context(journal: &Journal, run: &str, plan: &Plan) -> Result<RunContext, JournalError> {
    let mut ctx = RunContext {
        run_id: run.to_string(),
        results: BTreeMap::new(),
    };
    for rec in journal.steps(run)? {
        if rec.status == Status::Done
            && let (Some(step), Some(result)) = (plan.steps.get(rec.index - 1), rec.result)
        {
            ctx.results.insert(step.id.clone(), result);
        }
    }
    Ok(ctx)
}

/// Runs (or resumes) a journaled run: done steps are left alone, a step found `running` is
/// carried out again with its first before-state, failed and pending ones run in order. Stops at
/// the first failure.
pub fn execute(
    journal: &mut Journal,
    run: &str,
    runner: &mut dyn StepRunner,
    after_step: AfterStep<'_>,
) -> Result<RunSummary, RunError> {
    let plan = journal.plan(run)?;
    let mut ctx = context(journal, run, &plan)?;
    let mut summary = RunSummary {
        run_id: run.to_string(),
        ..RunSummary::default()
    };
    for step in &plan.steps {
        let rec = journal.step(run, step.index)?;
        match rec.status {
            Status::Done => {
                summary.already_done.push(step.index);
                continue;
            }
            Status::Skipped => {
                summary.skipped.push(step.index);
                continue;
            }
            Status::RolledBack => {
                // A rolled-back run is over; a new plan starts a new run.
                summary.already_done.push(step.index);
                continue;
            }
            Status::Pending | Status::Running | Status::Failed => {}
        }
        if step.execution != Execution::Automatic {
            let why = match step.execution {
                Execution::Instructions => "instructions for a person",
                _ => "optional step not selected",
            };
            journal.skip(run, step.index, why)?;
            summary.skipped.push(step.index);
            continue;
        }
        let crashed = rec.status == Status::Running;
        let before = match rec.before.filter(|b| !b.is_null()) {
            Some(b) => b,
            None => match runner.capture(step, &ctx) {
                Ok(b) => b,
                Err(error) => {
                    // Nothing changed yet: record the attempt and its failure.
                    journal.start(run, step.index, &Value::Null)?;
                    journal.fail(run, step.index, &error.message)?;
                    return Err(RunError::Step {
                        run: run.to_string(),
                        index: step.index,
                        id: step.id.clone(),
                        error,
                    });
                }
            },
        };
        journal.start(run, step.index, &before)?;
        match runner.apply(step, &before, &ctx) {
            Ok(result) => {
                journal.finish(run, step.index, &result)?;
                ctx.results.insert(step.id.clone(), result);
                if crashed {
                    summary.recovered.push(step.index);
                } else {
                    summary.applied.push(step.index);
                }
                after_step(step.index);
            }
            Err(error) => {
                journal.fail(run, step.index, &error.message)?;
                return Err(RunError::Step {
                    run: run.to_string(),
                    index: step.index,
                    id: step.id.clone(),
                    error,
                });
            }
        }
    }
    Ok(summary)
}

/// Undoes the reversible steps that changed something, last first: done steps, and failed or
/// interrupted ones that have a before-state (their effect may be partial).
pub fn rollback(
    journal: &mut Journal,
    run: &str,
    runner: &mut dyn StepRunner,
) -> Result<RunSummary, RunError> {
    let plan = journal.plan(run)?;
    let ctx = context(journal, run, &plan)?;
    let mut summary = RunSummary {
        run_id: run.to_string(),
        ..RunSummary::default()
    };
    let records = journal.steps(run)?;
    for rec in records.iter().rev() {
        let Some(step) = plan.steps.get(rec.index - 1) else {
            continue;
        };
        let touched = match rec.status {
            Status::Done => true,
            Status::Failed | Status::Running => rec.before.as_ref().is_some_and(|b| !b.is_null()),
            _ => false,
        };
        if !touched || !step.reversible || step.execution != Execution::Automatic {
            continue;
        }
        let before = rec.before.clone().unwrap_or(Value::Null);
        let result = rec.result.clone().unwrap_or(Value::Null);
        match runner.undo(step, &before, &result, &ctx) {
            Ok(undo) => {
                journal.rolled_back(run, rec.index, &undo)?;
                summary.rolled_back.push(rec.index);
            }
            Err(error) => {
                return Err(RunError::Undo {
                    run: run.to_string(),
                    index: rec.index,
                    id: step.id.clone(),
                    error,
                });
            }
        }
    }
    Ok(summary)
}

/// Checks every automatic step without changing anything (no journal).
pub fn dry_run(plan: &Plan, runner: &mut dyn StepRunner) -> Vec<(usize, Check)> {
    let ctx = RunContext::default();
    plan.steps
        .iter()
        .map(|s| {
            let c = if s.execution == Execution::Automatic {
                runner.check(s, &ctx)
            } else {
                Check::NotExecuted
            };
            (s.index, c)
        })
        .collect()
}
