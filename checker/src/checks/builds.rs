//! `builds`: the Dockerfile builds. On failure: the failing instruction, its line, the log's end.
use super::{Check, CheckMeta, Evidence, Input, Needs, Outcome, Severity};

pub struct Builds;

static META: CheckMeta = CheckMeta {
    id: "builds",
    summary: "The Dockerfile builds",
    severity: Severity::Error,
    needs: Needs::Build,
    doc: include_str!("../../docs/checks/builds.md"),
};

impl Check for Builds {
    fn meta(&self) -> &CheckMeta {
        &META
    }

    fn judge(&self, input: &Input<'_>, _settings: &toml::Table) -> Outcome {
        let Some(build) = input.build else { return Outcome::skipped("nothing was built") };
        if build.image_id.is_some() {
            return Outcome::pass(format!("built in {:.1} s", build.seconds));
        }
        let error = build.error.as_deref().unwrap_or("the builder gave no reason");
        let mut evidence = Vec::new();
        let summary = match (build.failed_line, &build.failed_instruction) {
            (Some(line), Some(instruction)) => {
                evidence.push(Evidence::at_line(error, line, instruction));
                format!("the build failed at line {line}: {instruction}")
            }
            _ => {
                evidence.push(Evidence::note(error));
                "the build failed".to_string()
            }
        };
        evidence.extend(build.log_tail.iter().map(|line| Evidence::note(format!("log: {line}"))));
        Outcome::fail(
            summary,
            evidence,
            "read the log lines above: the failing command's own error is usually the last one it printed; \
             fix that step, then check again",
        )
    }
}
