//! SARIF 2.1.0, the format GitHub code scanning and most CI dashboards read: the run's tool names
//! one rule per check judged (its summary, its documentation as help, its severity as the default
//! level); each failed check is a result on the Dockerfile lines its evidence points at (the
//! heaviest one for a check that weighs bytes, as the GitHub annotations do), and each scan
//! finding a result of rule `scan` at its line: the check's level when it blocks a failed check,
//! `note` when it does not. A failed check's results carry its own evidence, one line each as the
//! terminal shows it, in the property bag `evidence` (the intruder's moves, the files found, …).
//!
//! What must hold: the document validates against the published SARIF 2.1.0 schema
//! (tests/schemas); results carry stable fingerprints (the check, or the advisory with its
//! package and version), so a dashboard follows one problem across runs; a check that passed or
//! was skipped is a rule without results.
use serde_json::{json, Value};

use super::github::annotated_lines;
use super::human::evidence_line;
use super::{CheckReport, Report};
use crate::checks::{Evidence, Severity, Status};

const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF log of `report`; `dockerfile` is the built file's path as the repository sees it.
pub(crate) fn render(report: &Report, dockerfile: Option<&str>) -> String {
    let file = dockerfile.map(|path| path.strip_prefix("./").unwrap_or(path));
    let rules: Vec<Value> = report.checks.iter().map(rule).collect();
    let results: Vec<Value> = report.checks.iter().flat_map(|check| results(check, file)).collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "shipshape", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("JSON values serialize") + "\n"
}

/// A check as a rule: what it asks, its documentation, and its level by default.
fn rule(check: &CheckReport) -> Value {
    let meta = check.id.meta();
    json!({
        "id": meta.id,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.lead()},
        "help": {"text": meta.doc, "markdown": meta.doc},
        "defaultConfiguration": {"level": level(check.severity)},
        "properties": {"tags": ["container", "security"]},
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "warning",
        _ => "error",
    }
}

/// A failed check's results on its lines (one without a line when it names none), and a result
/// per finding of the check.
fn results(check: &CheckReport, file: Option<&str>) -> Vec<Value> {
    let failed = matches!(check.status, Status::Fail | Status::Error);
    let mut results: Vec<Value> = check.evidence.iter().filter(|e| e.finding.is_some()).map(|e| finding_result(check, e, failed, file)).collect();
    if failed {
        let message = match &check.hint {
            Some(hint) => format!("{} — {hint}", check.summary),
            None => check.summary.clone(),
        };
        let lines = annotated_lines(check);
        let fingerprint = json!({"shipshape/check": check.id.as_str()});
        let mut own = if lines.is_empty() {
            vec![result(check.id.as_str(), level(check.severity), &message, file, None, fingerprint)]
        } else {
            lines.into_iter().map(|line| result(check.id.as_str(), level(check.severity), &message, file, Some(line), fingerprint.clone())).collect()
        };
        let evidence: Vec<String> = check.evidence.iter().filter(|e| e.finding.is_none()).map(evidence_line).collect();
        if !evidence.is_empty() {
            own.iter_mut().for_each(|result| result["properties"] = json!({"evidence": evidence}));
        }
        results.extend(own);
    }
    results
}

fn finding_result(check: &CheckReport, evidence: &Evidence, failed: bool, file: Option<&str>) -> Value {
    let finding = evidence.finding.as_deref().expect("only findings are passed here");
    let blocks = failed && finding.disposition.blocks();
    let at = &finding.finding;
    let fingerprint = json!({"shipshape/finding": format!("{}/{}@{}", at.id, at.advisory_package, at.installed)});
    let message = format!("{} — {}", evidence.message, finding.advice);
    result(check.id.as_str(), if blocks { level(check.severity) } else { "note" }, &message, file, evidence.dockerfile_line, fingerprint)
}

/// One result of `rule` at `line` of `file` (no location without a file; the file alone without
/// a line).
fn result(rule: &str, level: &str, message: &str, file: Option<&str>, line: Option<usize>, fingerprints: Value) -> Value {
    let mut result = json!({"ruleId": rule, "level": level, "message": {"text": message}, "partialFingerprints": fingerprints});
    if let Some(file) = file {
        let mut physical = json!({"artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"}});
        if let Some(line) = line {
            physical["region"] = json!({"startLine": line});
        }
        result["locations"] = json!([{"physicalLocation": physical}]);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{finding_evidence, scan_report};
    use crate::report::Shown;

    fn validator() -> jsonschema::Validator {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/schemas/sarif-2.1.0.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).expect("the SARIF schema is valid")
    }

    fn assert_valid(log: &Value) {
        let errors: Vec<String> = validator().iter_errors(log).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}\n{log:#}", errors.join("\n"));
    }

    #[test]
    fn a_failed_scan_is_a_valid_log_with_a_result_per_finding_at_its_line() {
        let evidence = vec![finding_evidence(Shown::Failing, Some(10)), finding_evidence(Shown::NoFix, Some(3)), finding_evidence(Shown::Failing, None)];
        let log: Value = serde_json::from_str(&render(&scan_report(Status::Fail, evidence), Some("./exercises/08/Dockerfile"))).unwrap();
        assert_valid(&log);
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "scan");
        let results = run["results"].as_array().unwrap();
        let levels: Vec<&str> = results.iter().map(|r| r["level"].as_str().unwrap()).collect();
        assert_eq!(levels, ["error", "note", "error", "error"], "three findings, then the failed check itself");
        let first = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!((first["artifactLocation"]["uri"].as_str(), first["region"]["startLine"].as_u64()), (Some("exercises/08/Dockerfile"), Some(10)));
        assert!(results[2].get("locations").unwrap()[0]["physicalLocation"].get("region").is_none(), "no line: the file alone");
        assert_eq!(results[0]["partialFingerprints"]["shipshape/finding"], "DEBIAN-CVE-2023-45853/zlib@1:1.2.13.dfsg-1");
    }

    #[test]
    fn a_passed_check_is_a_rule_without_results_and_no_file_means_no_location() {
        let log: Value = serde_json::from_str(&render(&scan_report(Status::Pass, Vec::new()), None)).unwrap();
        assert_valid(&log);
        assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
        let failed: Value = serde_json::from_str(&render(&scan_report(Status::Fail, Vec::new()), None)).unwrap();
        assert_valid(&failed);
        assert!(failed["runs"][0]["results"][0].get("locations").is_none());
    }

    #[test]
    fn a_failed_checks_own_evidence_rides_in_its_results_property_bag() {
        let evidence = vec![Evidence::note("shell: worked (run a shell command) — 200: /bin/sh"), finding_evidence(Shown::Failing, Some(10))];
        let log: Value = serde_json::from_str(&render(&scan_report(Status::Fail, evidence), None)).unwrap();
        assert_valid(&log);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert!(results[0].get("properties").is_none(), "a finding's result carries no evidence bag");
        assert_eq!(results[1]["properties"]["evidence"], json!(["shell: worked (run a shell command) — 200: /bin/sh"]));
    }
}
