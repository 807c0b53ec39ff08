//! The Trivy adapter: runs `trivy image --format json` where Trivy is installed and turns its
//! report into the same findings Shipshape's own matcher gives, so one policy grades both.
//!
//! What must hold: a report is read strictly enough to notice it is not a Trivy report, and
//! leniently enough to read every schema-2 report Trivy writes (a result without
//! `Vulnerabilities` has none); Trivy missing or failing is an error, never an empty pass.
use std::path::Path;
use std::process::Command;

use serde::Deserialize;

use super::cvss::Severity;
use super::matcher::Finding;
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    schema_version: u32,
    #[serde(default)]
    results: Vec<TrivyResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyResult {
    #[serde(default)]
    target: String,
    #[serde(default, rename = "Type")]
    kind: String,
    #[serde(default)]
    vulnerabilities: Option<Vec<Vulnerability>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vulnerability {
    #[serde(rename = "VulnerabilityID")]
    id: String,
    pkg_name: String,
    #[serde(default)]
    pkg_path: Option<String>,
    installed_version: String,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    layer: Option<Layer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Layer {
    #[serde(rename = "DiffID", default)]
    diff_id: Option<String>,
}

/// Parses a Trivy JSON report; `diff_ids` (the image's layers in order) place each finding.
pub(crate) fn parse_report(json: &[u8], diff_ids: &[String]) -> std::result::Result<Vec<Finding>, String> {
    let report: Report = serde_json::from_slice(json).map_err(|e| format!("not a Trivy JSON report: {e}"))?;
    if report.schema_version != 2 {
        return Err(format!("Trivy report schema {} is not supported (Shipshape reads schema 2)", report.schema_version));
    }
    let findings = report
        .results
        .into_iter()
        .flat_map(|result| {
            let (target, kind) = (result.target, result.kind);
            result.vulnerabilities.unwrap_or_default().into_iter().map(move |v| finding(v, &target, &kind, diff_ids))
        })
        .collect();
    Ok(findings)
}

fn finding(vulnerability: Vulnerability, target: &str, kind: &str, diff_ids: &[String]) -> Finding {
    let layer = vulnerability.layer.and_then(|l| l.diff_id).and_then(|d| diff_ids.iter().position(|id| *id == d)).unwrap_or(0);
    let severity = vulnerability.severity.as_deref().and_then(|s| Severity::parse(s).ok()).unwrap_or(Severity::Unknown);
    Finding {
        id: vulnerability.id,
        aliases: Vec::new(),
        ecosystem: kind.to_string(),
        packages: vec![vulnerability.pkg_name.clone()],
        advisory_package: vulnerability.pkg_name,
        installed: vulnerability.installed_version,
        fixed: vulnerability.fixed_version.filter(|f| !f.is_empty()),
        severity,
        score: None,
        summary: vulnerability.title.unwrap_or_default(),
        location: vulnerability.pkg_path.unwrap_or_else(|| target.to_string()),
        layer,
    }
}

/// Runs Trivy on an image in the daemon (or an archive file) and parses its report.
pub(crate) fn scan(image: &str, archive: Option<&Path>, diff_ids: &[String]) -> Result<Vec<Finding>> {
    let mut command = Command::new("trivy");
    command.args(["image", "--format", "json", "--quiet"]);
    match archive {
        Some(path) => command.arg("--input").arg(path),
        None => command.arg(image),
    };
    let output = command.output().map_err(|e| {
        Error::new("cannot run Trivy")
            .because(e)
            .action("install Trivy (https://trivy.dev) and put it on PATH, or scan with Shipshape's own engine (--scanner shipshape)")
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(Error::new(format!("Trivy failed on {image} ({})", output.status))
            .because(last.trim())
            .action("run the same `trivy image` command by hand to see why (its database may need a download), or use --scanner shipshape"));
    }
    parse_report(&output.stdout, diff_ids)
        .map_err(|cause| Error::new("cannot read Trivy's report").because(cause).action("check the installed Trivy writes schema-2 JSON (Trivy 0.20 or later)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../shared/fixtures/trivy/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
    }

    fn counts(findings: &[Finding]) -> Vec<(Severity, usize)> {
        let mut counts: std::collections::BTreeMap<Severity, usize> = Default::default();
        for finding in findings {
            *counts.entry(finding.severity).or_default() += 1;
        }
        counts.into_iter().collect()
    }

    /// Every JSON report in the fixtures loads, with the right counts by severity.
    #[test]
    fn reads_every_real_trivy_report() {
        use Severity::*;
        let expected: [(&str, &[(Severity, usize)]); 12] = [
            ("alpine-39-high-critical.json.golden", &[(Critical, 2)]),
            ("alpine-distroless.json.golden", &[(Medium, 1)]),
            ("cargo.lock.json.golden", &[]),
            ("debian-buster-ignore-unfixed.json.golden", &[(Critical, 1)]),
            ("debian-buster.json.golden", &[(Low, 1), (Critical, 1)]),
            ("distroless-base.json.golden", &[(Low, 2), (Medium, 2)]),
            ("distroless-python27.json.golden", &[(Low, 2), (Medium, 2)]),
            ("dockerfile.json.golden", &[]),
            ("gomod.json.golden", &[(Unknown, 4), (Medium, 1)]),
            ("npm.json.golden", &[(Medium, 1)]),
            ("pip.json.golden", &[(Medium, 1), (High, 1)]),
            ("secrets.json.golden", &[]),
        ];
        let dir = format!("{}/../../shared/fixtures/trivy", env!("CARGO_MANIFEST_DIR"));
        let on_disk = std::fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".json.golden")).count();
        assert_eq!(on_disk, expected.len(), "a new fixture needs its expected counts here");
        for (name, want) in expected {
            let findings = parse_report(&fixture(name), &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(counts(&findings), want.to_vec(), "{name}");
        }
    }

    #[test]
    fn places_findings_in_their_layer() {
        let diff_ids = ["sha256:aaaa".to_string(), "sha256:78c1b9419976227e05be9d243b7fa583bea44a5258e52018b2af4cdfe23d148d".to_string()];
        let findings = parse_report(&fixture("debian-buster.json.golden"), &diff_ids).unwrap();
        assert!(findings.iter().all(|f| f.layer == 1));
        assert_eq!(findings.iter().find(|f| f.id == "CVE-2019-18276").unwrap().packages, ["bash"]);
    }

    #[test]
    fn other_documents_are_errors() {
        assert!(parse_report(b"{}", &[]).is_err());
        assert!(parse_report(b"not json", &[]).is_err());
        assert!(parse_report(br#"{"SchemaVersion": 1, "Results": []}"#, &[]).is_err());
    }
}
