//! Grades the submissions: `jobs` at once (a semaphore), each a tokio task that leases an
//! endpoint and judges under a janitor of its own, swept when the submission ends.
//!
//! What must hold: one submission never stops or changes another: its problems, a panic included,
//! become its own `error` grade, and a submission whose endpoint dies moves to another endpoint;
//! Ctrl-C, SIGTERM or SIGHUP ([`StopSignals`]) stops every task and sweeps every janitor still
//! open before returning.
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::endpoints::{Lease, Pool};
use super::submission::{Overlay, Submission};
use super::Grade;
use crate::docker::cache_mounts;
use crate::docker::cleanup::{self, Janitor};
use crate::error::{Error, Result};
use crate::exercise::Exercise;
use crate::pipeline::{self, BuildOptions, Daemon, Source};
use crate::report::Report;
use crate::stop::StopSignals;

/// How long one janitor's sweep may take before the run moves on.
const SWEEP_WITHIN: Duration = Duration::from_secs(120);

/// What every submission is graded with.
pub(crate) struct Grader {
    pub exercise: Exercise,
    pub learner: Vec<PathBuf>,
    pub options: BuildOptions,
    pub pool: Arc<Pool>,
    pub jobs: Semaphore,
    turns: Turns,
    janitors: Janitors,
}

/// Submissions take their job slots in the order they were given (folder order), whichever
/// task the runtime happens to start first: with `--jobs 1` a class is graded in that order.
#[derive(Default)]
struct Turns {
    next: Mutex<usize>,
    changed: Notify,
}

impl Turns {
    /// Waits until it is submission `turn`'s go.
    async fn wait(&self, turn: usize) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if *self.next.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) == turn {
                return;
            }
            notified.await;
        }
    }

    /// Gives the next submission its go.
    fn pass(&self) {
        *self.next.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
        self.changed.notify_waiters();
    }
}

/// The end of a run that was not interrupted.
pub(crate) struct Finished {
    pub grades: Vec<Grade>,
    /// Students left ungraded because every endpoint was retired.
    pub ungraded: Vec<String>,
}

impl Grader {
    pub(crate) fn new(exercise: Exercise, learner: Vec<PathBuf>, options: BuildOptions, pool: Arc<Pool>, jobs: usize) -> Grader {
        Grader { exercise, learner, options, pool, jobs: Semaphore::new(jobs), turns: Turns::default(), janitors: Janitors::default() }
    }

    /// Grades every submission, handing each grade to `done` as it comes (on this task, in the
    /// order they finish). An error from `done`, or a signal, stops the run after the sweep.
    pub(crate) async fn run(self: Arc<Self>, submissions: Vec<Submission>, mut done: impl FnMut(&Grade) -> Result<()>) -> Result<Finished> {
        let mut stop = StopSignals::listen()?;
        let mut tasks = JoinSet::new();
        for (turn, submission) in submissions.into_iter().enumerate() {
            tasks.spawn(self.clone().grade_caught(submission, turn));
        }
        let mut finished = Finished { grades: Vec::new(), ungraded: Vec::new() };
        let stopped = loop {
            let joined = tokio::select! {
                joined = tasks.join_next() => joined,
                () = stop.received() => break Some(interrupted()),
            };
            match joined {
                None => break None,
                Some(Ok(Ok(grade))) => {
                    if let Err(error) = done(&grade) {
                        break Some(error);
                    }
                    finished.grades.push(grade);
                }
                Some(Ok(Err(student))) => finished.ungraded.push(student),
                Some(Err(cancelled)) => break Some(Error::new("a grading task stopped unexpectedly").because(cancelled)),
            }
        };
        let Some(error) = stopped else {
            self.janitors.remove_cache_mounts(&self.pool).await;
            return Ok(finished);
        };
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        self.janitors.sweep_all(&self.pool).await;
        Err(error)
    }

    /// Grades one submission; a panic becomes its error grade (after its janitor's sweep).
    /// `Err(student)` when no endpoint was left to grade it.
    async fn grade_caught(self: Arc<Self>, submission: Submission, turn: usize) -> Result<Grade, String> {
        self.turns.wait(turn).await;
        let permit = self.jobs.acquire().await;
        self.turns.pass();
        let Ok(_permit) = permit else { return Err(submission.student) };
        let started = Instant::now();
        let outcome = AssertUnwindSafe(self.grade(&submission)).catch_unwind().await;
        let mut grade = match outcome {
            Ok(outcome) => outcome?,
            Err(panic) => {
                self.janitors.sweep(&submission.student, &self.pool).await;
                let what = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
                let error = Error::new("the grading of this submission crashed").because(what).action("please report this as a bug");
                Grade::error(&submission, &error, &self.exercise)
            }
        };
        grade.seconds = started.elapsed().as_secs_f64();
        Ok(grade)
    }

    async fn grade(&self, submission: &Submission) -> Result<Grade, String> {
        let overlay = match Overlay::new(&self.exercise, submission, &self.learner, self.options.context_limit) {
            Ok(overlay) => overlay,
            Err(error) => return Ok(Grade::error(submission, &error, &self.exercise)),
        };
        let mut moved_from = Vec::new();
        loop {
            let Some(lease) = self.pool.lease().await else { return Err(submission.student.clone()) };
            let url = lease.endpoint().url.clone();
            eprintln!("grading {} on {url}", submission.student);
            match self.judge(submission, &overlay, &lease).await {
                Some(mut grade) => {
                    grade.endpoint = Some(url);
                    grade.moved_from = moved_from;
                    return Ok(grade);
                }
                None => moved_from.push(url),
            }
        }
    }

    /// One attempt on a leased endpoint, under a janitor swept before it returns. With the
    /// endpoint still answering afterwards, the outcome (an error too) is the submission's; with
    /// it silent, nothing it said is trusted (a build cut off by a dying daemon looks like a
    /// failed one): the endpoint is retired, and None says to try another.
    async fn judge(&self, submission: &Submission, overlay: &Overlay, lease: &Lease) -> Option<Grade> {
        let endpoint = lease.endpoint();
        let janitor = self.janitors.open(&submission.student, lease);
        let options = BuildOptions {
            docker_host: endpoint.url.clone(),
            cache_namespace: Some(cache_mounts::namespace(&self.janitors.run, &janitor.run_id)),
            ..self.options.clone()
        };
        let daemon = Daemon { docker: &endpoint.docker, janitor: &janitor };
        let judged = pipeline::judge(Source::Build { daemon, exercise: &overlay.exercise, dockerfile: &overlay.dockerfile(), options: &options }).await;
        let attempt = match (endpoint.answers().await, judged) {
            (false, judged) => {
                lease.retire(&judged.err().unwrap_or_else(|| Error::new("it does not answer a ping")));
                None
            }
            (true, Ok(judgement)) => Some(Grade::judged(submission, Report::new(&judgement))),
            (true, Err(error)) => Some(Grade::error(submission, &error, &self.exercise)),
        };
        self.janitors.sweep(&submission.student, &self.pool).await;
        attempt
    }
}

fn interrupted() -> Error {
    Error::new("interrupted").action("the containers and images this run made were removed; run the same command again to grade the rest")
}

/// The open janitors, by student, with the endpoint each works on. Each submission's build is its
/// own (a janitor of its own, with its own run id), so everything it made goes when its grade is
/// written; BuildKit's build cache still answers the steps submissions have in common.
struct Janitors {
    open: Mutex<HashMap<String, (Arc<Janitor>, usize)>>,
    /// The grading run's id: it names the run's cache-mount namespaces, removed when it ends.
    run: String,
}

impl Default for Janitors {
    fn default() -> Self {
        Janitors { open: Mutex::default(), run: cleanup::new_run_id() }
    }
}

impl Janitors {
    fn open(&self, student: &str, lease: &Lease) -> Arc<Janitor> {
        let janitor = Arc::new(Janitor::grading(lease.endpoint().docker.clone()));
        self.lock().insert(student.to_string(), (janitor.clone(), lease.index()));
        janitor
    }

    /// Sweeps and closes `student`'s janitor, if one is open. It stays listed until its sweep
    /// ends, so that a Ctrl-C in the middle sweeps it again.
    async fn sweep(&self, student: &str, pool: &Pool) {
        let open = self.lock().get(student).cloned();
        if let Some(open) = open {
            sweep_one(open, pool).await;
            self.lock().remove(student);
        }
    }

    async fn sweep_all(&self, pool: &Pool) {
        let open: Vec<_> = self.lock().drain().map(|(_, open)| open).collect();
        futures_util::future::join_all(open.into_iter().map(|open| sweep_one(open, pool))).await;
        self.remove_cache_mounts(pool).await;
    }

    /// Removes the run's cache mounts on every endpoint still answering.
    async fn remove_cache_mounts(&self, pool: &Pool) {
        let live = (0..pool.endpoints().len()).filter(|index| pool.is_alive(*index));
        futures_util::future::join_all(live.map(|index| cache_mounts::remove_run(&pool.endpoints()[index].docker, &pool.endpoints()[index].url, &self.run)))
            .await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Arc<Janitor>, usize)>> {
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A janitor on a retired endpoint cannot reach its daemon: say what it leaves there instead.
async fn sweep_one((janitor, endpoint): (Arc<Janitor>, usize), pool: &Pool) {
    if !pool.is_alive(endpoint) {
        eprintln!("warning: cannot clean up on a Docker endpoint that stopped answering: remove what is labelled shipshape.run={} there", janitor.run_id);
        return;
    }
    if tokio::time::timeout(SWEEP_WITHIN, janitor.sweep()).await.is_err() {
        eprintln!("warning: cleaning up shipshape.run={} took over {} s and was stopped", janitor.run_id, SWEEP_WITHIN.as_secs());
    }
}
