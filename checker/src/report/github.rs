//! GitHub Actions workflow commands: an `::error` (or `::warning`) annotation per failing check on
//! the Dockerfile line its evidence points at, so the failure shows in the pull request's diff.
//!
//! What must hold: the text is escaped as the runner expects ([`escape::github_data`] and
//! [`escape::github_property`]), so a message can never end the command early or forge another
//! one; the plain verdict line starts with `shipshape`, never with `::`.
use std::collections::BTreeSet;

use super::Report;
use crate::checks::{Severity, Status};
use crate::escape;

/// The annotations, then one plain line with the verdict (the runner shows it in the log).
pub(crate) fn render(report: &Report, dockerfile: Option<&str>) -> String {
    let verdict = if report.passed { "passed" } else { "failed" };
    let name = report.exercise.as_deref().map(|e| format!(" {}", escape::visible(e))).unwrap_or_default();
    format!("{}shipshape{name}: {verdict}, {}/{} points\n", annotations(report, dockerfile), report.points.earned, report.points.possible)
}

/// One annotation per failing check and Dockerfile line (one without a line when the evidence
/// names none). `dockerfile` is the path as the workflow sees it, relative to the repository.
pub(crate) fn annotations(report: &Report, dockerfile: Option<&str>) -> String {
    let mut out = String::new();
    for check in report.checks.iter().filter(|c| matches!(c.status, Status::Fail | Status::Error)) {
        let level = if check.severity == Severity::Warning { "warning" } else { "error" };
        let lines: BTreeSet<usize> = check.evidence.iter().filter_map(|e| e.dockerfile_line).collect();
        if lines.is_empty() {
            out += &annotation(level, dockerfile, None, check.id.as_str(), &check.summary);
        }
        for line in lines {
            out += &annotation(level, dockerfile, Some(line), check.id.as_str(), &check.summary);
        }
    }
    out
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

    #[test]
    fn escapes_what_would_end_or_forge_a_command() {
        let line = annotation("error", Some("./a,b:c/Dockerfile"), Some(4), "no-shell", "50% done\n::error::forged\r\x1b[2J");
        assert_eq!(line, "::error file=a%2Cb%3Ac/Dockerfile,line=4,title=no-shell::50%25 done%0A::error::forged%0D\\u{1b}[2J\n");
        assert_eq!(line.lines().count(), 1);
    }
}
