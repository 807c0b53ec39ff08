//! GitHub Actions annotations for the class: each student's failing checks on the lines of that
//! student's Dockerfile (as `check --format github` makes them), then a summary line per student.
//!
//! What must hold: every line is a command Shipshape wrote, its text escaped as the runner expects,
//! or a plain line that starts with Shipshape's own words (`student …`), its text
//! [`escape::visible`], so no student can forge a command (`::` at the start of a line).
use super::{Class, Standing};
use crate::escape;
use crate::report::github::{annotation, annotations};

pub(crate) fn render(class: &Class) -> String {
    let mut out = String::new();
    for grade in &class.grades {
        let dockerfile = Some(grade.dockerfile.as_str());
        out += &match grade.status {
            Standing::Error => annotation("error", dockerfile, None, "grade", grade.message.as_deref().unwrap_or("could not be judged")),
            _ => annotations(&grade.report, dockerfile),
        };
        let student = escape::visible(&grade.student);
        out += &format!("student {student}: {}, {}/{} points\n", grade.status.as_str(), grade.report.points.earned, grade.report.points.possible);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::grade::submission::Submission;
    use crate::grade::Grade;

    #[test]
    fn a_student_cannot_forge_a_workflow_command() {
        let spec = crate::spec::Spec::parse("[checks.builds]\n").unwrap();
        let exercise = crate::exercise::Exercise { dir: "ex".into(), name: "ex".into(), spec };
        let submission = Submission {
            student: "  ::error file=x::forged".into(),
            dir: "class/x".into(),
            dockerfile: "class/x/Dockerfile".into(),
            fingerprint: String::new(),
        };
        let error = Error::new("cannot copy a\n::warning::forged\r\nfrom the submission");
        let class = Class::new(&exercise, vec![Grade::error(&submission, &error, &exercise)]);
        let out = render(&class);
        assert_eq!(out.lines().count(), 2, "{out}");
        let commands: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with("::")).collect();
        assert_eq!(commands.len(), 1, "only Shipshape's own annotation: {out}");
        assert!(commands[0].starts_with("::error file=class/  %3A%3Aerror file=x%3A%3Aforged/Dockerfile,title=grade::"), "{out}");
        assert!(out.ends_with("\nstudent   ::error file=x::forged: error, 0/1 points\n"), "{out}");
    }
}
