//! GitHub Actions annotations for the class: each student's failing checks on the lines of that
//! student's Dockerfile (as `check --format github` makes them), then a summary line per student.
use super::{Class, Standing};
use crate::report::github::{annotation, annotations};

pub(crate) fn render(class: &Class) -> String {
    let mut out = String::new();
    for grade in &class.grades {
        let dockerfile = Some(grade.dockerfile.as_str());
        out += &match grade.status {
            Standing::Error => annotation("error", dockerfile, None, "grade", grade.message.as_deref().unwrap_or("could not be judged")),
            _ => annotations(&grade.report, dockerfile),
        };
        out += &format!("{}: {}, {}/{} points\n", grade.student, grade.status.as_str(), grade.report.points.earned, grade.report.points.possible);
    }
    out
}
