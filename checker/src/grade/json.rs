//! The class as one JSON document: the exercise, its checks with their weights, the totals, and
//! every student's grade (the same object as `<out-dir>/<student>/grade.json`). The schema is in
//! docs/grading.md.
use serde::Serialize;

use super::{Class, ClassCheck, Grade, Standing};

/// Bump when a field is renamed or removed.
pub(crate) const CLASS_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    exercise: &'a str,
    title: &'a str,
    checks: &'a [ClassCheck],
    totals: Totals,
    students: &'a [Grade],
}

#[derive(Serialize)]
struct Totals {
    submissions: usize,
    pass: usize,
    fail: usize,
    error: usize,
}

pub(crate) fn render(class: &Class) -> String {
    let totals =
        Totals { submissions: class.grades.len(), pass: class.count(Standing::Pass), fail: class.count(Standing::Fail), error: class.count(Standing::Error) };
    let document = Document {
        schema_version: CLASS_SCHEMA_VERSION,
        exercise: &class.exercise,
        title: &class.title,
        checks: &class.checks,
        totals,
        students: &class.grades,
    };
    serde_json::to_string_pretty(&document).expect("the class serializes") + "\n"
}
