//! JUnit XML for the class: one test suite per student (a test case per check, as `check` makes
//! them), or one erroring case when the submission could not be judged.
use super::{Class, Standing};
use crate::report::junit::{document, error_suite, suite};

pub(crate) fn render(class: &Class) -> String {
    document(class.grades.iter().map(|grade| match grade.status {
        Standing::Error => error_suite(&grade.student, "grade", grade.message.as_deref().unwrap_or("could not be judged")),
        _ => suite(&grade.student, &grade.report),
    }))
}
