//! One report model for every output: the verdicts of a run with the image's summary, rendered as
//! human text, JSON (schema in docs/report-schema.md), JUnit XML or GitHub Actions annotations.
//!
//! What must hold: `passed` is true exactly when no check of severity `error` failed or errored;
//! the JSON field names are a published contract (bump [`SCHEMA_VERSION`] to change them).
pub(crate) mod github;
mod human;
pub(crate) mod junit;

use serde::{Deserialize, Serialize};

use crate::checks::{Evidence, Severity, Status, Verdict};
use crate::docker::engine::Builder;
use crate::pipeline::Judgement;
use crate::record::{BuildRecord, DatabaseSummary, ScanRecord};

pub(crate) use github::render as github;
pub(crate) use human::{evidence_line, render as human};
pub(crate) use junit::render as junit;

pub(crate) const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub schema_version: u32,
    /// The exercise folder's name, when an exercise was checked.
    pub exercise: Option<String>,
    pub image: Option<ImageSummary>,
    /// What scanned the image and with which database, when the spec asked for a scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanSummary>,
    /// How the image was built, when Shipshape built it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildSummary>,
    pub checks: Vec<CheckReport>,
    pub passed: bool,
    pub points: Points,
}

#[derive(Debug, Serialize)]
pub(crate) struct ScanSummary {
    pub scanner: String,
    /// The database's content hash and age: the same hash, the same grade.
    pub database: Option<DatabaseSummary>,
    pub os: Option<String>,
    pub packages: usize,
    pub findings: usize,
    /// Findings by severity (`CRITICAL` … `UNKNOWN`), ignored ones included.
    pub by_severity: std::collections::BTreeMap<&'static str, usize>,
}

impl ScanSummary {
    fn of(scan: &ScanRecord) -> Self {
        let mut by_severity = std::collections::BTreeMap::new();
        for finding in &scan.findings {
            *by_severity.entry(finding.severity.as_str()).or_insert(0) += 1;
        }
        ScanSummary {
            scanner: scan.scanner.clone(),
            database: scan.database.clone(),
            os: scan.os.clone(),
            packages: scan.packages,
            findings: scan.findings.len(),
            by_severity,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct BuildSummary {
    /// `buildkit` or `legacy`; absent when the Dockerfile never reached a builder.
    pub builder: Option<Builder>,
    pub seconds: f64,
    /// Dockerfile steps BuildKit ran, and how many came from its build cache.
    pub steps: usize,
    pub cached_steps: usize,
    /// One line each: what the learner should know about how it was built.
    pub notes: Vec<String>,
}

impl BuildSummary {
    fn of(build: &BuildRecord) -> Self {
        BuildSummary { builder: build.builder, seconds: build.seconds, steps: build.steps, cached_steps: build.cached_steps, notes: build.notes.clone() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ImageSummary {
    pub id: String,
    pub size: u64,
    pub user: String,
    pub layers: usize,
    /// Layers judged from the layer cache rather than read from the image.
    pub cached_layers: usize,
}

#[derive(Debug, Serialize)]
pub(crate) struct CheckReport {
    pub id: String,
    pub status: Status,
    pub severity: Severity,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub hint: Option<String>,
    /// The check's page, relative to the course book's root.
    pub doc: String,
}

#[derive(Debug, Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Points {
    pub earned: u32,
    pub possible: u32,
}

impl Report {
    pub(crate) fn new(judgement: &Judgement) -> Report {
        let (exercise, image, verdicts) = (judgement.exercise.clone(), judgement.image.as_ref(), &judgement.verdicts);
        let checks: Vec<CheckReport> = verdicts.iter().map(check_report).collect();
        let passed = verdicts.iter().all(|v| v.severity == Severity::Warning || !matches!(v.outcome.status, Status::Fail | Status::Error));
        let earned = verdicts.iter().filter(|v| v.outcome.status == Status::Pass).map(|v| v.weight).sum();
        let possible = verdicts.iter().map(|v| v.weight).sum();
        Report {
            schema_version: SCHEMA_VERSION,
            exercise,
            image: image.map(|i| ImageSummary {
                id: i.id.clone(),
                size: i.size(),
                user: i.config.user.clone(),
                layers: i.layers.len(),
                cached_layers: i.cached_layers,
            }),
            scan: judgement.scan.as_ref().map(ScanSummary::of),
            build: judgement.build.as_ref().map(BuildSummary::of),
            checks,
            passed,
            points: Points { earned, possible },
        }
    }

    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serializes")
    }
}

fn check_report(verdict: &Verdict) -> CheckReport {
    CheckReport {
        id: verdict.id.to_string(),
        status: verdict.outcome.status,
        severity: verdict.severity,
        summary: verdict.outcome.summary.clone(),
        evidence: verdict.outcome.evidence.clone(),
        hint: verdict.outcome.hint.clone(),
        doc: format!("checks/{}.html", verdict.id),
    }
}
