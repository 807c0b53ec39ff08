//! GitHub Actions workflow commands: an `::error` (or `::warning`) annotation per failing check on
//! the Dockerfile line its evidence points at, so the failure shows in the pull request's diff.
//! A check whose evidence weighs bytes (`size`) is annotated once, on the line that added the
//! most. Each scan finding traced to a Dockerfile line gets an annotation of its own there: the
//! check's level when it blocks a failing check, `::notice` when it does not block.
//!
//! What must hold: the text is escaped as the runner expects ([`escape::github_data`] and
//! [`escape::github_property`]), so a message can never end the command early or forge another
//! one; the plain verdict line starts with `shipshape`, never with `::`.
use std::collections::BTreeSet;

use super::{CheckReport, Report};
use crate::checks::{Severity, Status};
use crate::escape;

/// The annotations, then one plain line with the verdict (the runner shows it in the log).
pub(crate) fn render(report: &Report, dockerfile: Option<&str>) -> String {
    let verdict = if report.passed { "passed" } else { "failed" };
    let name = report.exercise.as_deref().map(|e| format!(" {}", escape::visible(e))).unwrap_or_default();
    format!("{}shipshape{name}: {verdict}, {}/{} points\n", annotations(report, dockerfile), report.points.earned, report.points.possible)
}

/// One annotation per failing check and Dockerfile line (one without a line when the evidence
/// names none; only the heaviest line when the evidence weighs bytes), and one per finding with
/// a line. `dockerfile` is the path as the workflow sees
/// it, relative to the repository.
pub(crate) fn annotations(report: &Report, dockerfile: Option<&str>) -> String {
    let mut out = String::new();
    for check in &report.checks {
        let failed = matches!(check.status, Status::Fail | Status::Error);
        let level = if check.severity == Severity::Warning { "warning" } else { "error" };
        let blocking_annotated = finding_annotations(&mut out, check, failed, level, dockerfile);
        if !failed {
            continue;
        }
        let lines = annotated_lines(check);
        if lines.is_empty() && !blocking_annotated {
            out += &annotation(level, dockerfile, None, check.id.as_str(), &check.summary);
        }
        for line in lines {
            out += &annotation(level, dockerfile, Some(line), check.id.as_str(), &check.summary);
        }
    }
    out
}

/// The Dockerfile lines a failed check's own evidence (not its findings) points at: the one that
/// added the most bytes when the evidence weighs them, else all of them.
pub(super) fn annotated_lines(check: &CheckReport) -> BTreeSet<usize> {
    let located = || check.evidence.iter().filter(|e| e.finding.is_none()).filter(|e| e.dockerfile_line.is_some());
    match located().filter(|e| e.bytes.is_some()).max_by_key(|e| e.bytes) {
        Some(heaviest) => heaviest.dockerfile_line.into_iter().collect(),
        None => located().filter_map(|e| e.dockerfile_line).collect(),
    }
}

/// One annotation per finding of `check` traced to a Dockerfile line: at `level` when it blocks
/// a failed check, a notice otherwise. Whether any blocking one was annotated.
fn finding_annotations(out: &mut String, check: &CheckReport, failed: bool, level: &str, dockerfile: Option<&str>) -> bool {
    let mut blocking = false;
    for evidence in &check.evidence {
        let (Some(finding), Some(line)) = (&evidence.finding, evidence.dockerfile_line) else { continue };
        let blocks = failed && finding.disposition.blocks();
        blocking |= blocks;
        let title = format!("{} {}", check.id, finding.finding.id);
        *out += &annotation(if blocks { level } else { "notice" }, dockerfile, Some(line), &title, &evidence.message);
    }
    blocking
}

/// `::level file=F,line=N,title=T::message`, newline-terminated.
pub(crate) fn annotation(level: &str, file: Option<&str>, line: Option<usize>, title: &str, message: &str) -> String {
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", escape::github_property(file.strip_prefix("./").unwrap_or(file))));
    }
    if let Some(line) = line {
        properties.push(format!("line={line}"));
    }
    properties.push(format!("title={}", escape::github_property(title)));
    format!("::{level} {}::{}\n", properties.join(","), escape::github_data(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{CheckId, Evidence};
    use crate::report::tests::{finding_evidence, scan_report};
    use crate::report::Shown;

    #[test]
    fn escapes_what_would_end_or_forge_a_command() {
        let line = annotation("error", Some("./a,b:c/Dockerfile"), Some(4), "no-shell", "50% done\n::error::forged\r\x1b[2J");
        assert_eq!(line, "::error file=a%2Cb%3Ac/Dockerfile,line=4,title=no-shell::50%25 done%0A::error::forged%0D\\u{1b}[2J\n");
        assert_eq!(line.lines().count(), 1);
    }

    #[test]
    fn a_check_that_weighs_bytes_is_annotated_once_on_the_heaviest_line() {
        let share = |line, bytes| Evidence { dockerfile_line: Some(line), bytes: Some(bytes), ..Evidence::note("adds") };
        let mut report = scan_report(Status::Fail, vec![share(9, 7_100_000), share(3, 785_000_000), share(6, 9_500)]);
        report.checks[0].id = CheckId::Size;
        let annotated = annotations(&report, Some("Dockerfile"));
        assert!(annotated.starts_with("::error file=Dockerfile,line=3,title=size::"), "{annotated}");
        assert_eq!(annotated.lines().count(), 1, "{annotated}");
        report.checks[0].evidence.iter_mut().for_each(|e| e.bytes = None);
        assert_eq!(annotations(&report, None).lines().count(), 3, "other evidence: one annotation per line");
    }

    #[test]
    fn findings_are_annotated_on_their_line_as_errors_when_they_block_and_notices_otherwise() {
        let evidence = vec![finding_evidence(Shown::Failing, Some(10)), finding_evidence(Shown::NoFix, Some(10)), finding_evidence(Shown::Failing, None)];
        let failed = annotations(&scan_report(Status::Fail, evidence), Some("Dockerfile"));
        let heads: Vec<&str> = failed.lines().map(|l| l.split("::").nth(1).unwrap()).collect();
        assert_eq!(
            heads,
            ["error file=Dockerfile,line=10,title=scan DEBIAN-CVE-2023-45853", "notice file=Dockerfile,line=10,title=scan DEBIAN-CVE-2023-45853"]
        );
        assert!(failed.starts_with("::error file=Dockerfile,line=10,title=scan DEBIAN-CVE-2023-45853::Failing · CRITICAL"), "{failed}");
        let base_only = annotations(&scan_report(Status::Fail, vec![finding_evidence(Shown::Failing, None)]), None);
        assert_eq!(base_only, "::error title=scan::1 blocks (HIGH or above): 1 CRITICAL\n", "a failure from the base alone still shows");
        let passed = annotations(&scan_report(Status::Pass, vec![finding_evidence(Shown::BelowLimit, Some(4))]), None);
        assert!(passed.starts_with("::notice line=4,title=scan DEBIAN-CVE-2023-45853::BelowLimit"), "{passed}");
    }
}
