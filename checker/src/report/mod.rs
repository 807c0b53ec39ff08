//! One report model for every output: the verdicts of a run with the image's summary, rendered as
//! human text, JSON (schema in docs/report-schema.md), JUnit XML or GitHub Actions annotations.
//! A grade holds one (`grade::Grade`), and the book's measurements read it back from JSON, so the
//! model is serialisable both ways and is the library's public report type.
//!
//! What must hold: `passed` is true exactly when no check of severity `error` failed or errored;
//! the JSON field names are a published contract (bump [`SCHEMA_VERSION`] to change them); what
//! [`Report::json`] writes, [`Report::from_json`] reads back unchanged.
pub(crate) mod github;
mod human;
pub(crate) mod junit;
mod sarif;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checks::Verdict;
use crate::pipeline::Judgement;
use crate::record::{BuildRecord, ScanRecord};

pub use crate::checks::scan::{FindingReport, IgnoreNote, Shown};
pub use crate::checks::{CheckId, Evidence, Severity, Status, UnknownCheck};
pub use crate::docker::engine::Builder;
pub use crate::record::DatabaseSummary;
pub use crate::scan::cvss::Severity as FindingSeverity;
pub use crate::scan::matcher::Finding;

pub(crate) use github::render as github;
pub(crate) use human::{evidence_line, render as human};
pub(crate) use junit::render as junit;
pub(crate) use sarif::render as sarif;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    pub scanner: String,
    /// The database's content hash and age: the same hash, the same grade.
    pub database: Option<DatabaseSummary>,
    pub os: Option<String>,
    pub packages: usize,
    pub findings: usize,
    /// Findings by severity (`CRITICAL` … `UNKNOWN`), ignored ones included.
    pub by_severity: BTreeMap<String, usize>,
}

impl ScanSummary {
    fn of(scan: &ScanRecord) -> Self {
        let mut by_severity = BTreeMap::new();
        for finding in &scan.findings {
            *by_severity.entry(finding.severity.as_str().to_string()).or_insert(0) += 1;
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildSummary {
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageSummary {
    pub id: String,
    pub size: u64,
    /// What a registry stores of the image (every layer gzipped, as `docker push` sends it);
    /// absent from reports written before Shipshape measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    pub user: String,
    pub layers: usize,
    /// Layers judged from the layer cache rather than read from the image.
    pub cached_layers: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub id: CheckId,
    pub status: Status,
    pub severity: Severity,
    /// The points the check is worth (the spec's `weight`).
    pub weight: u32,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub hint: Option<String>,
    /// The check's page, relative to the course book's root.
    pub doc: String,
}

#[derive(Debug, Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
pub struct Points {
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
                compressed_size: i.compressed_size(),
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

    /// A report for a run that judged nothing: no checks, no image, `possible` points at stake.
    pub(crate) fn unjudged(exercise: &str, possible: u32) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            exercise: Some(exercise.to_string()),
            image: None,
            scan: None,
            build: None,
            checks: Vec::new(),
            passed: false,
            points: Points { earned: 0, possible },
        }
    }

    pub(crate) fn check(&self, id: CheckId) -> Option<&CheckReport> {
        self.checks.iter().find(|c| c.id == id)
    }

    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serializes")
    }

    /// Reads a report [`Report::json`] wrote (`shipshape check --format json`).
    pub fn from_json(text: &str) -> serde_json::Result<Report> {
        serde_json::from_str(text)
    }
}

fn check_report(verdict: &Verdict) -> CheckReport {
    CheckReport {
        id: verdict.id,
        status: verdict.outcome.status,
        severity: verdict.severity,
        weight: verdict.weight,
        summary: verdict.outcome.summary.clone(),
        evidence: verdict.outcome.evidence.clone(),
        hint: verdict.outcome.hint.clone(),
        doc: format!("checks/{}.html", verdict.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A piece of scan evidence: a finding with this status, from this Dockerfile line.
    pub(super) fn finding_evidence(disposition: Shown, line: Option<usize>) -> Evidence {
        let message = format!("{disposition:?} · CRITICAL DEBIAN-CVE-2023-45853 in zlib");
        Evidence { finding: Some(Box::new(FindingReport { disposition, ..finding() })), layer: Some(0), dockerfile_line: line, ..Evidence::note(message) }
    }

    /// A report with one check, `scan`, of this status and evidence.
    pub(super) fn scan_report(status: Status, evidence: Vec<Evidence>) -> Report {
        let mut report = report();
        report.checks[0].status = status;
        report.checks[0].evidence = evidence;
        report
    }

    fn finding() -> FindingReport {
        let finding = Finding {
            id: "DEBIAN-CVE-2023-45853".into(),
            aliases: vec!["CVE-2023-45853".into()],
            ecosystem: "Debian:12".into(),
            packages: vec!["zlib1g".into()],
            advisory_package: "zlib".into(),
            installed: "1:1.2.13.dfsg-1".into(),
            fixed: None,
            severity: FindingSeverity::Critical,
            score: Some(9.8),
            summary: "integer overflow in zipOpenNewFileInZip4_6".into(),
            location: "var/lib/dpkg/status".into(),
            layer: 0,
        };
        let ignore = Some(IgnoreNote { reason: "minizip is not used".into(), expires: chrono::NaiveDate::from_ymd_opt(2026, 12, 1), statement: None });
        FindingReport { finding, disposition: Shown::ExpiredIgnore, ignore, advice: "switch to a base without it".into() }
    }

    fn report() -> Report {
        let evidence = finding_evidence(Shown::ExpiredIgnore, None);
        let check = CheckReport {
            id: CheckId::Scan,
            status: Status::Fail,
            severity: Severity::Error,
            weight: 2,
            summary: "1 blocks (HIGH or above): 1 CRITICAL".into(),
            evidence: vec![evidence, Evidence::note("… and 3 more")],
            hint: Some("rebuild on an updated base".into()),
            doc: "checks/scan.html".into(),
        };
        let database = DatabaseSummary { hash: "sha256:ab".into(), records: 23, written_at: "2026-12-05T00:00:00Z".into(), age_days: 0 };
        Report {
            image: Some(ImageSummary {
                id: "sha256:cd".into(),
                size: 6_366_085,
                compressed_size: Some(2_901_412),
                user: "65532".into(),
                layers: 2,
                cached_layers: 1,
            }),
            scan: Some(ScanSummary {
                scanner: "shipshape".into(),
                database: Some(database),
                os: Some("debian 12".into()),
                packages: 20,
                findings: 1,
                by_severity: BTreeMap::from([("CRITICAL".to_string(), 1)]),
            }),
            build: Some(BuildSummary { builder: Some(Builder::BuildKit), seconds: 1.5, steps: 4, cached_steps: 3, notes: vec!["a note".into()] }),
            checks: vec![check],
            points: Points { earned: 0, possible: 2 },
            ..Report::unjudged("02-go-distroless", 2)
        }
    }

    #[test]
    fn what_json_writes_from_json_reads_back_unchanged() {
        let report = report();
        assert_eq!(Report::from_json(&report.json()).unwrap(), report);
        let statuses = [Shown::Failing, Shown::NoFix, Shown::BelowLimit, Shown::Ignored].map(|s| finding_evidence(s, Some(3)));
        let listed = scan_report(Status::Pass, statuses.to_vec());
        assert_eq!(Report::from_json(&listed.json()).unwrap(), listed);
        let empty = Report::unjudged("01", 3);
        assert_eq!(Report::from_json(&empty.json()).unwrap(), empty);
    }

    #[test]
    fn the_json_field_names_are_the_published_ones() {
        let value: serde_json::Value = serde_json::from_str(&report().json()).unwrap();
        let check = &value["checks"][0];
        assert_eq!((check["id"].as_str(), check["weight"].as_u64(), check["doc"].as_str()), (Some("scan"), Some(2), Some("checks/scan.html")));
        let finding = &check["evidence"][0]["finding"];
        assert_eq!(
            (finding["disposition"].as_str(), finding["severity"].as_str(), finding["id"].as_str()),
            (Some("expired-ignore"), Some("CRITICAL"), Some("DEBIAN-CVE-2023-45853"))
        );
        assert_eq!((finding["ignore"]["reason"].as_str(), finding["ignore"]["expires"].as_str()), (Some("minizip is not used"), Some("2026-12-01")));
        assert_eq!(check["evidence"][1].as_object().unwrap().len(), 1, "a note is only its message");
        assert_eq!(value["build"]["builder"].as_str(), Some("buildkit"));
        assert_eq!((value["image"]["size"].as_u64(), value["image"]["compressed_size"].as_u64()), (Some(6_366_085), Some(2_901_412)));
    }

    #[test]
    fn a_report_from_before_the_compressed_size_still_reads() {
        let mut value: serde_json::Value = serde_json::from_str(&report().json()).unwrap();
        value["image"].as_object_mut().unwrap().remove("compressed_size");
        let read = Report::from_json(&value.to_string()).unwrap();
        assert_eq!(read.image.unwrap().compressed_size, None);
    }
}
