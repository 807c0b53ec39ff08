//! `multi-stage`: a builder stage exists and the final stage copies artifacts from it.
use super::{Check, CheckMeta, Evidence, Input, Needs, Outcome, Severity};

pub struct MultiStage;

static META: CheckMeta = CheckMeta {
    id: "multi-stage",
    summary: "A builder stage makes the artifacts; the final stage copies them",
    severity: Severity::Error,
    needs: Needs::Dockerfile,
    doc: include_str!("../../docs/checks/multi-stage.md"),
};

impl Check for MultiStage {
    fn meta(&self) -> &CheckMeta {
        &META
    }

    fn judge(&self, input: &Input<'_>, _settings: &toml::Table) -> Outcome {
        let Some(dockerfile) = input.dockerfile else { return Outcome::skipped("no Dockerfile") };
        let last = dockerfile.shipped_stage();
        let from = Evidence::at_line(format!("the final stage starts here, from {}", last.base), last.line, &format!("FROM {}", last.base));
        if dockerfile.stages.len() < 2 {
            return Outcome::fail(
                "the Dockerfile has a single stage: build tools and sources ship in the image",
                vec![from],
                "add a builder stage (FROM ... AS build) that compiles or installs, then start a new final \
                 stage and COPY --from=build only the artifacts",
            );
        }
        if let Some(parent) = dockerfile.stage_named(&last.base, last.index) {
            return Outcome::fail(
                format!("the final stage is built FROM the stage `{}`, so it ships everything that stage installed", parent.name.as_deref().unwrap_or("0")),
                vec![from],
                "start the final stage from a small base image instead, and COPY --from the builder what it needs",
            );
        }
        let copies: Vec<Evidence> = dockerfile
            .stage_instructions(last.index)
            .filter(|i| i.copy_from.iter().any(|source| dockerfile.stage_named(&source.written, last.index).is_some()))
            .map(|i| Evidence::at_line("copies an artifact from a builder stage", i.line, &i.text))
            .collect();
        if copies.is_empty() {
            return Outcome::fail(
                "the final stage copies nothing from a builder stage",
                vec![from],
                "COPY --from=<builder stage> the built artifacts into the final stage instead of building there",
            );
        }
        Outcome::pass(format!("{} stages; the final stage copies from a builder", dockerfile.stages.len())).with_evidence(copies)
    }
}
