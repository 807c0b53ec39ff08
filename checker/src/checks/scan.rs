//! `scan`: no known vulnerability at or above the spec's severity in what the image ships, by
//! Shipshape's own engine over the pinned database (or Trivy's report), each finding traced to
//! the layer and Dockerfile line that brought its package, with advice on how to lose it.
use serde::{Deserialize, Serialize};

use super::{settings, Check, CheckMeta, Evidence, Input, Needs, Outcome, Severity as CheckSeverity};
use crate::attribution::Origin;
use crate::record::ScanRecord;
use crate::scan::cvss::Severity;
use crate::scan::matcher::Finding;
use crate::scan::policy::{Disposition, Policy};

pub(crate) struct Scan;

static META: CheckMeta = CheckMeta {
    id: "scan",
    summary: "No known vulnerability at or above the limit in what the image ships",
    severity: CheckSeverity::Error,
    needs: Needs::Scan,
    doc: include_str!("../../docs/checks/scan.md"),
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Settings {
    /// The lowest severity that fails: LOW, MEDIUM, HIGH (default) or CRITICAL.
    #[serde(default = "default_fail_on")]
    pub fail_on: String,
    /// Findings without a fixed version do not count.
    #[serde(default)]
    pub ignore_unfixed: bool,
    /// An ignore file, relative to the spec's folder.
    #[serde(default)]
    pub ignore_file: Option<String>,
    /// `shipshape` (default) or `trivy`.
    #[serde(default)]
    pub scanner: Option<String>,
}

fn default_fail_on() -> String {
    "HIGH".into()
}

pub(crate) const SCANNERS: [&str; 2] = ["shipshape", "trivy"];

impl Settings {
    pub(crate) fn policy(&self) -> Result<Policy, String> {
        let fail_on = Severity::parse(&self.fail_on)?;
        if fail_on == Severity::Unknown {
            return Err("fail-on must be LOW, MEDIUM, HIGH or CRITICAL".into());
        }
        Ok(Policy { fail_on, ignore_unfixed: self.ignore_unfixed })
    }

    pub(crate) fn scanner(&self) -> &str {
        self.scanner.as_deref().unwrap_or("shipshape")
    }
}

/// A finding as the report shows it: the facts, what the policy made of it, and advice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FindingReport {
    #[serde(flatten)]
    pub finding: Finding,
    /// `failing`, `expired-ignore`, `below-threshold`, `unfixed-ignored` or `ignored`.
    pub disposition: &'static str,
    pub advice: String,
}

/// Failing findings listed in full; the rest are counted.
const SHOWN: usize = 25;

impl Check for Scan {
    fn meta(&self) -> &CheckMeta {
        &META
    }

    fn validate(&self, table: &toml::Table) -> Result<(), String> {
        let settings: Settings = settings(table)?;
        settings.policy()?;
        if !SCANNERS.contains(&settings.scanner()) {
            return Err(format!("scanner must be one of {}, not `{}`", SCANNERS.join(", "), settings.scanner()));
        }
        Ok(())
    }

    fn judge(&self, input: &Input<'_>, table: &toml::Table) -> Outcome {
        let (Some(scan), Ok(policy)) = (input.scan, settings::<Settings>(table).and_then(|s| s.policy())) else {
            return Outcome::error("the scan settings are unreadable");
        };
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
    let disposition = if expired.is_empty() { "failing" } else { "expired-ignore" };
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
