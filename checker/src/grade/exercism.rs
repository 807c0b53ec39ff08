//! An Exercism-style `results.json` (test-runner interface, version 2) for one submission: the
//! overall status, the error when it could not be judged, and one test per check.
use serde::Serialize;

use super::{Grade, Standing};
use crate::checks::Status;
use crate::report::evidence_line;

#[derive(Serialize)]
struct Results<'a> {
    version: u32,
    status: &'static str,
    /// Only for `error`: why the submission could not be judged.
    message: Option<&'a str>,
    tests: Vec<Test<'a>>,
}

#[derive(Serialize)]
struct Test<'a> {
    name: &'a str,
    status: &'static str,
    message: String,
}

pub(crate) fn render(grade: &Grade) -> String {
    let tests = grade
        .report
        .checks
        .iter()
        .map(|check| {
            let lines = check.evidence.iter().map(evidence_line);
            let message = std::iter::once(check.summary.clone()).chain(lines).collect::<Vec<_>>().join("\n");
            Test { name: check.id.as_str(), status: test_status(check.status), message }
        })
        .collect();
    let message = if grade.status == Standing::Error { grade.message.as_deref() } else { None };
    let results = Results { version: 2, status: grade.status.as_str(), message, tests };
    serde_json::to_string_pretty(&results).expect("results serialize") + "\n"
}

/// Exercism knows pass, fail and error; a check that could not run (skipped) is an error there.
fn test_status(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error | Status::Skipped => "error",
    }
}
