//! What `measure` reads from the real checker (see `crate::checker`): the database's hash and
//! size, and for each exercise and variant a `shipshape check --format json` report, read as the
//! checker's own [`Report`] type into a [`Sample`].
//!
//! Must hold: a starter or solution that does not build, or scan counts this reader does not
//! know, are an error naming the exercise and what the checker said.

use super::figures::{Database, Findings, Sample};
use crate::checker::{Checker, Variant, WORKSPACE};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use shipshape::report::{CheckId, Report};
use std::collections::BTreeMap;
use std::path::Path;

/// The imported database's hash and size.
pub(super) fn database(checker: &Checker) -> Result<Database> {
    let out = checker.run(&["db", "info", "--format", "json"], "describe the database")?;
    let info: Value = serde_json::from_slice(&out.stdout).context("`shipshape db info --format json` did not print JSON")?;
    match (info["hash"].as_str(), info["records"].as_u64()) {
        (Some(hash), Some(records)) => Ok(Database { hash: hash.to_string(), records }),
        _ => bail!("`shipshape db info --format json` printed no `hash` and `records`: {info}"),
    }
}

/// Builds and judges `exercise`'s `variant`, and reads the image's size and scan findings.
pub(super) fn measure(checker: &Checker, exercise: &Path, variant: Variant) -> Result<Sample> {
    let out = checker.check(Path::new(WORKSPACE), exercise, variant, "json")?;
    let what = format!("the {} of `{}`", variant.name(), exercise.display());
    let text = String::from_utf8_lossy(&out.stdout);
    let report = Report::from_json(&text).with_context(|| format!("`shipshape check` printed no JSON report for {what}"))?;
    sample(&report).with_context(|| format!("cannot measure {what}"))
}

/// The size and findings in a report.
fn sample(report: &Report) -> Result<Sample> {
    let Some(image) = &report.image else {
        let builds = report.checks.iter().find(|check| check.id == CheckId::Builds);
        bail!("it did not build: {}", builds.map_or("no image", |check| check.summary.as_str()));
    };
    let findings = report.scan.as_ref().map(|scan| findings(&scan.by_severity)).transpose()?;
    Ok(Sample { size: image.size, findings })
}

/// Findings by severity from the report's `scan.by_severity`.
fn findings(by_severity: &BTreeMap<String, usize>) -> Result<Findings> {
    let mut findings = Findings::default();
    for (severity, &count) in by_severity {
        findings.add(severity, count as u64).ok_or_else(|| anyhow::anyhow!("unknown severity `{severity}` in scan.by_severity"))?;
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report as `shipshape check --format json` prints it, with `image`, `scan` and `checks`.
    fn report(image: &str, scan: &str, checks: &str) -> Report {
        let text =
            format!(r#"{{ "schema_version": 1, "image": {image}, {scan} "checks": [{checks}], "passed": false, "points": {{ "earned": 0, "possible": 1 }} }}"#);
        Report::from_json(&text).unwrap()
    }

    const IMAGE: &str = r#"{ "id": "sha256:ab", "size": 1880000, "user": "65532", "layers": 2, "cached_layers": 0 }"#;

    fn scan(by_severity: &str) -> String {
        format!(r#""scan": {{ "scanner": "shipshape", "database": null, "os": null, "packages": 3, "findings": 1, "by_severity": {by_severity} }},"#)
    }

    #[test]
    fn findings_come_from_the_scan_counts() {
        let expected = Findings { critical: 4, low: 2, ..Findings::default() };
        assert_eq!(sample(&report(IMAGE, &scan(r#"{ "CRITICAL": 4, "LOW": 2 }"#), "")).unwrap().findings, Some(expected));
        let odd = report(IMAGE, &scan(r#"{ "SEVERE": 1 }"#), "");
        assert!(sample(&odd).unwrap_err().to_string().contains("SEVERE"));
    }

    #[test]
    fn a_report_without_an_image_names_the_build_failure() {
        let builds = r#"{ "id": "builds", "status": "fail", "severity": "error", "weight": 1, "summary": "RUN npm ci failed at Dockerfile:4", "evidence": [], "hint": null, "doc": "checks/builds.html" }"#;
        let error = sample(&report("null", "", builds)).unwrap_err();
        assert_eq!(error.to_string(), "it did not build: RUN npm ci failed at Dockerfile:4");
        let sample = sample(&report(IMAGE, &scan(r#"{ "LOW": 1 }"#), "")).unwrap();
        assert_eq!((sample.size, sample.findings.unwrap().low), (1_880_000, 1));
    }
}
