//! Grading a class: every student's submission of one exercise, built and judged side by side on
//! one or more Docker endpoints, each grade written as it finishes, the class rendered at the end.
//!
//! Data flows one way: [`submission`] finds the students and lays each one's learner files over a
//! clean copy of the exercise; [`scheduler`] grades them on the [`endpoints`]; [`store`] keeps each
//! [`Grade`] as it comes so that a re-run resumes; the outputs ([`table`], [`csv`], [`json`],
//! [`junit`], [`exercism`], [`github`], [`html`]) render the [`Class`].
//!
//! What must hold: the spec and the tests come from the instructor's exercise, never from a
//! submission; a submission's problem is that submission's `error` grade, never the run's; every
//! container and image a grading run makes is removed, whatever the path out; every output shows
//! a submission's text only through [`crate::escape`].
pub(crate) mod csv;
pub(crate) mod endpoints;
pub(crate) mod exercism;
pub(crate) mod files;
pub(crate) mod github;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod scheduler;
pub(crate) mod store;
pub(crate) mod submission;
pub(crate) mod table;

use serde::{Deserialize, Serialize};

use crate::checks::{CheckId, Status};
use crate::error::{Error, EXIT_FAILED, EXIT_PASSED};
use crate::exercise::Exercise;
use crate::report::{CheckReport, Report};
use submission::Submission;

/// A submission's standing: it passed, it failed a check, or it could not be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Standing {
    Pass,
    Fail,
    Error,
}

impl Standing {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Standing::Pass => "pass",
            Standing::Fail => "fail",
            Standing::Error => "error",
        }
    }
}

/// One student's grade: the run's report with who it is for and how it went, stored as
/// `<out-dir>/<student>/grade.json`. The report's fields sit at the grade's top level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Grade {
    /// The student's id ([`crate::escape::student_id`]): also the folder in the out-dir.
    pub student: String,
    pub status: Standing,
    /// Why the submission could not be judged (status `error`); null otherwise.
    pub message: Option<String>,
    /// What `shipshape check` would have reported; no checks and no image when it was not judged.
    #[serde(flatten)]
    pub report: Report,
    /// The student's Dockerfile, as the path the run was given with the student's id for the
    /// folder's name (annotations point there).
    pub dockerfile: String,
    /// The Docker endpoint that judged it (null when it never reached one).
    pub endpoint: Option<String>,
    /// Endpoints that failed while judging it, before it moved to `endpoint`.
    pub moved_from: Vec<String>,
    pub seconds: f64,
    /// What was graded (the exercise, the learner files, the image map): a re-run regrades a
    /// submission whose fingerprint changed.
    pub fingerprint: String,
}

impl Grade {
    /// The grade of a submission that was judged.
    pub(crate) fn judged(submission: &Submission, report: Report) -> Grade {
        let status = if report.passed { Standing::Pass } else { Standing::Fail };
        Grade { status, ..Grade::blank(submission, report) }
    }

    /// The grade of a submission that could not be judged: `error`, no points.
    pub(crate) fn error(submission: &Submission, error: &Error, exercise: &Exercise) -> Grade {
        let possible = exercise.spec.requirements().map(|r| r.weight).sum();
        let report = Report::unjudged(&exercise.name, possible);
        Grade { message: Some(reason(error)), ..Grade::blank(submission, report) }
    }

    fn blank(submission: &Submission, report: Report) -> Grade {
        Grade {
            student: submission.student.clone(),
            status: Standing::Error,
            message: None,
            report,
            dockerfile: submission.shown_dockerfile(),
            endpoint: None,
            moved_from: Vec::new(),
            seconds: 0.0,
            fingerprint: submission.fingerprint.clone(),
        }
    }

    pub(crate) fn check(&self, id: CheckId) -> Option<&CheckReport> {
        self.report.check(id)
    }
}

/// An error as one line of text for a grade: its message and causes, without the `error:` prefix.
fn reason(error: &Error) -> String {
    let text = error.to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// A check the exercise requires, and the points it is worth.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClassCheck {
    pub id: CheckId,
    pub weight: u32,
}

/// Every grade of one exercise, by student name.
#[derive(Debug, Clone)]
pub(crate) struct Class {
    pub exercise: String,
    pub title: String,
    pub checks: Vec<ClassCheck>,
    /// The spec's `[checks.size] max`, in bytes.
    pub size_limit: Option<u64>,
    pub grades: Vec<Grade>,
}

impl Class {
    pub(crate) fn new(exercise: &Exercise, mut grades: Vec<Grade>) -> Class {
        grades.sort_by(|a, b| a.student.cmp(&b.student));
        let checks = exercise.spec.requirements().map(|r| ClassCheck { id: r.id(), weight: r.weight }).collect();
        let size_limit = exercise.spec.size_limit();
        Class { exercise: exercise.name.clone(), title: exercise.spec.exercise.title.clone(), checks, size_limit, grades }
    }

    pub(crate) fn count(&self, status: Standing) -> usize {
        self.grades.iter().filter(|g| g.status == status).count()
    }

    /// How many submissions passed check `id`, out of all of them.
    pub(crate) fn passed(&self, id: CheckId) -> usize {
        self.grades.iter().filter(|g| g.check(id).is_some_and(|c| c.status == Status::Pass)).count()
    }

    /// 0 when every submission passed, 1 when one failed or could not be judged.
    pub(crate) fn exit_code(&self) -> u8 {
        if self.grades.iter().all(|g| g.status == Standing::Pass) {
            EXIT_PASSED
        } else {
            EXIT_FAILED
        }
    }
}

/// The word a unit enum serializes to (`pass`, `warning`, ...).
pub(crate) fn word<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// A short mark for a check's status, as the table and the HTML report show it.
pub(crate) fn mark(status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Pass) => "pass",
        Some(Status::Fail) => "FAIL",
        Some(Status::Error) => "ERROR",
        Some(Status::Skipped) => "skip",
        None => "-",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Evidence, Severity};

    #[test]
    fn a_grade_keeps_its_report_at_its_top_level_and_reads_back_whole() {
        let submission =
            Submission { student: "alice".into(), dir: "class/alice".into(), dockerfile: "class/alice/Dockerfile".into(), fingerprint: "9f".into() };
        let mut report = Report::unjudged("02-go-distroless", 1);
        report.passed = true;
        report.points.earned = 1;
        report.checks.push(CheckReport {
            id: CheckId::NoShell,
            status: Status::Pass,
            severity: Severity::Error,
            weight: 1,
            summary: "no shell".into(),
            evidence: vec![Evidence::note("looked at 3 files")],
            hint: None,
            doc: "checks/no-shell.html".into(),
        });
        let grade = Grade::judged(&submission, report);
        let json = serde_json::to_value(&grade).unwrap();
        assert_eq!((json["status"].as_str(), json["points"]["earned"].as_u64(), json["checks"][0]["weight"].as_u64()), (Some("pass"), Some(1), Some(1)));
        assert!(json.get("report").is_none(), "the report's fields are the grade's own");
        let back: Grade = serde_json::from_value(json).unwrap();
        assert_eq!((back.report, back.student, back.status), (grade.report, grade.student, grade.status));
    }
}
