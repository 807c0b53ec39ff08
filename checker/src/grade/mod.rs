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
//! container and image a grading run makes is removed, whatever the path out.
pub(crate) mod csv;
pub(crate) mod endpoints;
pub(crate) mod exercism;
pub(crate) mod github;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod scheduler;
pub(crate) mod store;
pub(crate) mod submission;
pub(crate) mod table;

use serde::{Deserialize, Serialize};

use crate::checks::{Evidence, Severity, Status};
use crate::error::{Error, EXIT_FAILED, EXIT_PASSED};
use crate::exercise::Exercise;
use crate::report::{CheckReport, ImageSummary, Points, Report, SCHEMA_VERSION};
use crate::spec::Spec;
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

/// One student's grade: what every output renders, stored as `<out-dir>/<student>/grade.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Grade {
    pub student: String,
    pub status: Standing,
    /// Why the submission could not be judged (status `error`); null otherwise.
    pub message: Option<String>,
    pub points: Points,
    /// Null when nothing was built.
    pub image: Option<ImageSummary>,
    pub checks: Vec<CheckGrade>,
    /// The student's Dockerfile, as the path the run was given (annotations point there).
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

/// One check of a grade: the report's entry plus the points it is worth.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CheckGrade {
    pub id: String,
    pub status: Status,
    pub severity: Severity,
    pub weight: u32,
    pub summary: String,
    pub evidence: Vec<EvidenceGrade>,
    pub hint: Option<String>,
}

/// A piece of evidence as the JSON report has it; fields the grade does not read (a scan
/// finding) are kept as they were.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EvidenceGrade {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile_line: Option<usize>,
    #[serde(flatten)]
    pub more: serde_json::Map<String, serde_json::Value>,
}

impl EvidenceGrade {
    fn of(evidence: &Evidence) -> EvidenceGrade {
        let value = serde_json::to_value(evidence).expect("evidence serializes");
        serde_json::from_value(value).expect("the report's evidence has a message")
    }

    /// The evidence as the report model has it (for the renderers shared with `check`).
    pub(crate) fn evidence(&self) -> Evidence {
        Evidence {
            message: self.message.clone(),
            path: self.path.clone(),
            layer: self.layer,
            instruction: self.instruction.clone(),
            dockerfile_line: self.dockerfile_line,
            finding: None,
        }
    }
}

impl Grade {
    /// The grade of a submission that was judged.
    pub(crate) fn judged(submission: &Submission, report: &Report, spec: &Spec) -> Grade {
        let weight = |id: &str| id.parse().ok().and_then(|id| spec.requirement(id)).map_or(1, |r| r.weight);
        let checks = report
            .checks
            .iter()
            .map(|c| CheckGrade {
                id: c.id.clone(),
                status: c.status,
                severity: c.severity,
                weight: weight(&c.id),
                summary: c.summary.clone(),
                evidence: c.evidence.iter().map(EvidenceGrade::of).collect(),
                hint: c.hint.clone(),
            })
            .collect();
        let status = if report.passed { Standing::Pass } else { Standing::Fail };
        let image = report.image.clone();
        Grade { status, message: None, points: report.points, image, checks, ..Grade::blank(submission) }
    }

    /// The grade of a submission that could not be judged: `error`, no points.
    pub(crate) fn error(submission: &Submission, error: &Error, spec: &Spec) -> Grade {
        let possible = spec.requirements().map(|r| r.weight).sum();
        Grade { message: Some(reason(error)), points: Points { earned: 0, possible }, ..Grade::blank(submission) }
    }

    fn blank(submission: &Submission) -> Grade {
        Grade {
            student: submission.student.clone(),
            status: Standing::Error,
            message: None,
            points: Points { earned: 0, possible: 0 },
            image: None,
            checks: Vec::new(),
            dockerfile: submission.dockerfile.display().to_string(),
            endpoint: None,
            moved_from: Vec::new(),
            seconds: 0.0,
            fingerprint: submission.fingerprint.clone(),
        }
    }

    /// The grade as a check's report, for the renderers `check` uses too (JUnit, annotations).
    pub(crate) fn report(&self, exercise: &str) -> Report {
        let checks = self
            .checks
            .iter()
            .map(|c| CheckReport {
                id: c.id.clone(),
                status: c.status,
                severity: c.severity,
                summary: c.summary.clone(),
                evidence: c.evidence.iter().map(EvidenceGrade::evidence).collect(),
                hint: c.hint.clone(),
                doc: format!("checks/{}.html", c.id),
            })
            .collect();
        Report {
            schema_version: SCHEMA_VERSION,
            exercise: Some(exercise.to_string()),
            image: self.image.clone(),
            scan: None,
            build: None,
            checks,
            passed: self.status == Standing::Pass,
            points: self.points,
        }
    }

    pub(crate) fn check(&self, id: &str) -> Option<&CheckGrade> {
        self.checks.iter().find(|c| c.id == id)
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
    pub id: String,
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
        let checks = exercise.spec.requirements().map(|r| ClassCheck { id: r.id().to_string(), weight: r.weight }).collect();
        let size_limit = exercise.spec.size_limit();
        Class { exercise: exercise.name.clone(), title: exercise.spec.exercise.title.clone(), checks, size_limit, grades }
    }

    pub(crate) fn count(&self, status: Standing) -> usize {
        self.grades.iter().filter(|g| g.status == status).count()
    }

    /// How many submissions passed check `id`, out of all of them.
    pub(crate) fn passed(&self, id: &str) -> usize {
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
