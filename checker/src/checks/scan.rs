//! `scan`: no known vulnerability at or above the spec's severity in what the image ships, by
//! Shipshape's own engine over the pinned database (or Trivy's report), each finding traced to
//! the layer and Dockerfile line that brought its package, with advice on how to lose it. An
//! image that plainly holds packages whose records were removed (the scan's blind spots,
//! [`crate::scan::blind_spots`], found when the image is scanned) is unknown, which fails: no
//! scanner can vouch for what it cannot see.
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{deserialize, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity as CheckSeverity};
use crate::attribution::Origin;
use crate::markdown::code_span;
use crate::record::ScanRecord;
use crate::scan::blind_spots::BlindSpot;
use crate::scan::cvss::Severity;
use crate::scan::matcher::Finding;
use crate::scan::policy::{Disposition, Policy};

pub(crate) struct Scan;

pub(super) static META: CheckMeta = CheckMeta {
    id: "scan",
    summary: "No known vulnerability at or above the limit in what the image ships",
    severity: CheckSeverity::Error,
    needs: Needs::Scan,
    doc: include_str!("../../docs/checks/scan.md"),
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    /// The lowest severity that fails: LOW, MEDIUM, HIGH (default) or CRITICAL.
    #[serde(default = "default_fail_on")]
    fail_on: String,
    /// Findings without a fixed version do not count.
    #[serde(default)]
    ignore_unfixed: bool,
    /// An ignore file, relative to the spec's folder.
    #[serde(default)]
    ignore_file: Option<String>,
    /// `shipshape` (default) or `trivy`.
    #[serde(default)]
    scanner: Option<String>,
}

fn default_fail_on() -> String {
    "HIGH".into()
}

/// The `scan` check's settings, validated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub policy: Policy,
    /// An ignore file, relative to the spec's folder (or absolute, from the command line).
    pub ignore_file: Option<PathBuf>,
    pub scanner: Scanner,
}

/// Which engine scans the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scanner {
    /// Shipshape's own engine over the pinned database (the default).
    Shipshape,
    /// Trivy on PATH.
    Trivy,
}

const SCANNERS: [Scanner; 2] = [Scanner::Shipshape, Scanner::Trivy];

impl Scanner {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scanner::Shipshape => "shipshape",
            Scanner::Trivy => "trivy",
        }
    }

    /// `shipshape` or `trivy`.
    pub(crate) fn parse(name: &str) -> Result<Scanner, String> {
        SCANNERS.into_iter().find(|s| s.as_str() == name).ok_or_else(|| {
            let names: Vec<&str> = SCANNERS.iter().map(|s| s.as_str()).collect();
            format!("scanner must be one of {}, not `{name}`", names.join(", "))
        })
    }
}

/// The lowest severity that fails: LOW, MEDIUM, HIGH or CRITICAL.
pub(crate) fn fail_on(label: &str) -> Result<Severity, String> {
    let fail_on = Severity::parse(label)?;
    if fail_on == Severity::Unknown {
        return Err("fail-on must be LOW, MEDIUM, HIGH or CRITICAL".into());
    }
    Ok(fail_on)
}

/// A finding as the report shows it: the facts, what the policy made of it, and advice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingReport {
    #[serde(flatten)]
    pub finding: Finding,
    pub disposition: Shown,
    pub advice: String,
}

/// Why a finding the report lists in full counts against the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shown {
    /// At or above the spec's limit, and not ignored.
    Failing,
    /// Its ignore entry has expired, so it counts again.
    ExpiredIgnore,
}

/// Failing findings listed in full; the rest are counted.
const SHOWN: usize = 25;

impl Check for Scan {
    type Settings = Settings;

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<Settings, String> {
        let raw: RawSettings = deserialize(table)?;
        let policy = Policy { fail_on: fail_on(&raw.fail_on)?, ignore_unfixed: raw.ignore_unfixed };
        let scanner = raw.scanner.as_deref().map_or(Ok(Scanner::Shipshape), Scanner::parse)?;
        Ok(Settings { policy, ignore_file: raw.ignore_file.map(PathBuf::from), scanner })
    }

    /// The threshold, whether unfixed findings count, and the ignore file (the scanner is the
    /// machine's business, not the learner's).
    fn asks(&self, settings: &Settings) -> Option<String> {
        let unfixed = if settings.policy.ignore_unfixed { " with a fix available" } else { "" };
        let ignores = match &settings.ignore_file {
            Some(file) => format!(" Findings listed in {} do not count.", code_span(&file.display().to_string())),
            None => String::new(),
        };
        Some(format!("No known vulnerability{unfixed} of severity {} or above in what the image ships.{ignores}", settings.policy.fail_on.as_str()))
    }

    fn judge(&self, input: &Input<'_>, settings: &Settings) -> Outcome {
        let Some(scan) = input.scan else { return Outcome::skipped("the image was not scanned") };
        let policy = settings.policy;
        let judged: Vec<(&Finding, Disposition<'_>)> = scan.findings.iter().map(|f| (f, policy.judge(f, &scan.ignores, scan.today))).collect();
        let failing: Vec<&(&Finding, Disposition<'_>)> = judged.iter().filter(|(_, d)| matches!(d, Disposition::Failing | Disposition::Expired(_))).collect();
        let mut evidence: Vec<Evidence> = failing.iter().take(SHOWN).map(|(f, d)| finding_evidence(f, d, input.origin(f.layer))).collect();
        if failing.len() > SHOWN {
            evidence.push(Evidence::note(format!("… and {} more at or above {}", failing.len() - SHOWN, policy.fail_on.as_str())));
        }
        evidence.extend(judged.iter().filter_map(|(f, d)| match d {
            Disposition::Ignored(entry) => {
                Some(Evidence::note(format!("{} ignored: {}{}", f.id, entry.reason, entry.expires.map(|e| format!(" (until {e})")).unwrap_or_default())))
            }
            _ => None,
        }));
        let summary = summary(scan, &judged, failing.len(), policy.fail_on);
        if !scan.blind_spots.is_empty() {
            return unknown(&scan.blind_spots, &summary, evidence, input);
        }
        if failing.is_empty() {
            return Outcome::pass(summary).with_evidence(evidence);
        }
        Outcome::fail(
            summary,
            evidence,
            "fewer packages, fewer CVEs: ship the app on a distroless or slim base, keep compilers and package \
             managers in the builder stage, and rebuild on updated bases; a finding without a fix only goes away \
             with its package",
        )
    }
}

/// The outcome for an image that holds packages the scan cannot see: unknown, a failure, with
/// the evidence of each blind spot before the findings.
fn unknown(unseen: &[BlindSpot], summary: &str, findings: Vec<Evidence>, input: &Input<'_>) -> Outcome {
    let mut evidence: Vec<Evidence> = unseen
        .iter()
        .map(|spot| match spot.layer {
            Some(layer) => Evidence::from_layer(&spot.message, spot.path.as_deref(), input.origin(layer)),
            None => Evidence { path: spot.path.clone(), ..Evidence::note(&spot.message) },
        })
        .collect();
    evidence.extend(findings);
    let what: Vec<&str> = unseen.iter().map(|spot| spot.what).collect();
    Outcome::fail(
        format!("unknown: the image holds {} that the scan cannot see; {summary}", what.join(" and ")),
        evidence,
        "keep the package records the image was built with (/var/lib/dpkg/status, /lib/apk/db/installed, each \
         package's package.json and *.dist-info): deleting them hides packages from scanners, not from attackers; \
         to ship fewer packages, remove them with their package manager or start from a smaller base",
    )
}

fn summary(scan: &ScanRecord, judged: &[(&Finding, Disposition<'_>)], failing: usize, fail_on: Severity) -> String {
    let mut by_severity: Vec<String> = Vec::new();
    for severity in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Unknown] {
        let count = judged.iter().filter(|(f, d)| f.severity == severity && !matches!(d, Disposition::Ignored(_))).count();
        if count > 0 {
            by_severity.push(format!("{count} {}", severity.as_str()));
        }
    }
    let found = if by_severity.is_empty() { "no findings".to_string() } else { by_severity.join(", ") };
    let database = match &scan.database {
        Some(db) => format!("database {} ({} records, {} days old)", short_hash(&db.hash), db.records, db.age_days),
        None => format!("scanner {}", scan.scanner),
    };
    format!("{failing} at or above {}; {found} in {} packages; {database}", fail_on.as_str(), scan.packages)
}

fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min("sha256:".len() + 12)]
}

fn finding_evidence(finding: &Finding, disposition: &Disposition<'_>, origin: Origin) -> Evidence {
    let fix = finding.fixed.as_deref().map_or("no fix yet".to_string(), |v| format!("fixed in {v}"));
    let packages = if finding.packages == [finding.advisory_package.clone()] { String::new() } else { format!(" [{}]", finding.packages.join(", ")) };
    let expired = match disposition {
        Disposition::Expired(entry) => format!(" (its ignore entry expired on {})", entry.expires.map(|d| d.to_string()).unwrap_or_default()),
        _ => String::new(),
    };
    let advice = advice(finding, &origin);
    let message = format!(
        "{} {} in {} {}{packages}, {fix}{expired}: {} → {advice}",
        finding.severity.as_str(),
        finding.id,
        finding.advisory_package,
        finding.installed,
        finding.summary
    );
    let mut evidence = Evidence::from_layer(message, Some(&finding.location), origin);
    let disposition = if expired.is_empty() { Shown::Failing } else { Shown::ExpiredIgnore };
    evidence.finding = Some(Box::new(FindingReport { finding: finding.clone(), disposition, advice }));
    evidence
}

/// How to lose the finding, from where its package came from.
fn advice(finding: &Finding, origin: &Origin) -> String {
    let package = &finding.advisory_package;
    match (origin.line, &finding.fixed) {
        (None, Some(fixed)) => format!("{package} comes with the base image: rebuild on an updated base (it ships {fixed}) or a smaller one without it"),
        (None, None) => format!("{package} comes with the base image and has no fix: switch to a base without it (distroless, slim)"),
        (Some(line), Some(fixed)) => format!("{package} was added at Dockerfile:{line}: upgrade it to {fixed}, or install it only in the builder stage"),
        (Some(line), None) => format!("{package} was added at Dockerfile:{line} and has no fix: drop it, or install it only in the builder stage"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asks(toml: &str) -> String {
        Scan.asks(&Scan.settings(&toml::from_str(toml).unwrap(), &ExerciseDefaults::default()).unwrap()).unwrap()
    }

    #[test]
    fn asks_for_the_threshold_with_its_defaults() {
        assert_eq!(asks(""), "No known vulnerability of severity HIGH or above in what the image ships.");
        assert_eq!(asks("scanner = \"trivy\"\nfail-on = \"medium\""), "No known vulnerability of severity MEDIUM or above in what the image ships.");
        assert_eq!(
            asks("fail-on = \"CRITICAL\"\nignore-unfixed = true\nignore-file = \".shipshape-ignore.toml\""),
            "No known vulnerability with a fix available of severity CRITICAL or above in what the image ships. \
             Findings listed in `.shipshape-ignore.toml` do not count."
        );
    }
}
