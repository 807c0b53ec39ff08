//! JUnit XML: one test suite per report, one test case per check, so CI systems show each check.
//! Grading puts one suite per student in a single document ([`suite`], [`error_suite`], [`document`]).
//!
//! What must hold: names, messages and details show their control characters
//! [`escape::visible`] (quick-junit would drop them silently, and XML cannot hold most of them).
use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::checks::Status;
use crate::escape;

pub(crate) fn render(report: &Report) -> String {
    let name = report.exercise.clone().unwrap_or_else(|| "image".into());
    document([suite(&name, report)])
}

/// The suite `name`: one test case per check of `report`.
pub(crate) fn suite(name: &str, report: &Report) -> TestSuite {
    let name = escape::visible(name);
    let mut suite = TestSuite::new(&name);
    for check in &report.checks {
        let status = match check.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Skipped => TestCaseStatus::skipped(),
            Status::Fail => non_success(NonSuccessKind::Failure, &check.summary),
            Status::Error => non_success(NonSuccessKind::Error, &check.summary),
        };
        let mut case = TestCase::new(check.id.as_str(), status);
        case.set_classname(format!("shipshape.{name}"));
        let mut details: Vec<String> = check
            .evidence
            .iter()
            .map(|e| {
                let place = e.dockerfile_line.map(|l| format!(" (Dockerfile:{l})")).unwrap_or_default();
                format!("{}{place}", escape::visible(&e.message))
            })
            .collect();
        if let Some(hint) = &check.hint {
            details.push(format!("hint: {}", escape::visible(hint)));
        }
        if !details.is_empty() {
            case.set_system_out(details.join("\n"));
        }
        suite.add_test_case(case);
    }
    suite
}

/// The suite `name` with one erroring case `case`: something that could not be judged at all.
pub(crate) fn error_suite(name: &str, case: &str, message: &str) -> TestSuite {
    let name = escape::visible(name);
    let mut suite = TestSuite::new(&name);
    let mut test = TestCase::new(case, non_success(NonSuccessKind::Error, message));
    test.set_classname(format!("shipshape.{name}"));
    suite.add_test_case(test);
    suite
}

/// The XML document holding `suites`.
pub(crate) fn document(suites: impl IntoIterator<Item = TestSuite>) -> String {
    let mut junit = JunitReport::new("shipshape");
    junit.add_test_suites(suites);
    junit.to_string().unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->"))
}

fn non_success(kind: NonSuccessKind, message: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_message(escape::visible(message));
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_show_in_names_and_messages() {
        let xml = document([error_suite("eve\u{1b}[31m", "grade", "no\nDockerfile\r\u{7}")]);
        assert!(xml.contains("<testsuite name=\"eve\\u{1b}[31m\""), "{xml}");
        assert!(xml.contains("message=\"no\\nDockerfile\\r\\u{7}\""), "{xml}");
        assert!(!xml.chars().any(|c| c.is_control() && c != '\n'), "{xml:?}");
    }
}
