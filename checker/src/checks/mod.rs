//! The check registry and the contract every check keeps.
//!
//! A check is a small unit that owns its stable id, a one-line summary, its default severity and
//! its documentation (`checker/docs/checks/ID.md`, printed by `shipshape explain ID` and included
//! in the book). It judges an [`Input`] (facts already collected) with pure, synchronous code:
//! checks never touch Docker, so they run the same on a daemon's image, an archive or a fixture.
//!
//! What must hold: ids never change once published (the snapshot test in this module pins them);
//! every check has a doc file with the four sections; a check never panics on odd facts.
mod builds;
mod contents;
mod multi_stage;
pub(crate) mod no_secrets;
mod non_root;
mod pinned_base;
mod runs;
pub(crate) mod scan;
mod size;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::attribution::{Origin, Origins};
use crate::dockerfile::Dockerfile;
use crate::image::ImageFacts;
use crate::record::{BuildRecord, ProbeRecord, ScanRecord};
use crate::spec::{Requirement, Spec};

pub(crate) use runs::probe_plan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// A failure fails the verdict (exit code 1).
    Error,
    /// A failure is reported but does not fail the verdict.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Pass,
    Fail,
    /// The check could not judge (its settings or facts were unusable).
    Error,
    /// The check did not apply (no image because the build failed, no daemon to run it, ...).
    Skipped,
}

/// What a check needs before it can judge; without it the check is skipped, saying why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// The outcome of a build (not available when judging an existing image or archive).
    Build,
    /// The learner's Dockerfile.
    Dockerfile,
    /// The image's facts.
    Image,
    /// The outcome of running the image.
    Probe,
    /// The outcome of scanning the image.
    Scan,
}

#[derive(Debug)]
pub(crate) struct CheckMeta {
    pub id: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    pub needs: Needs,
    /// The documentation, with sections What it checks / Why it matters / Failing example / Use instead.
    pub doc: &'static str,
}

/// One piece of evidence: a message, and where it points (file, layer, instruction, line).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Evidence {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_line: Option<usize>,
    /// A vulnerability finding, for the `scan` check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<Box<scan::FindingReport>>,
}

impl Evidence {
    pub(crate) fn note(message: impl Into<String>) -> Self {
        Evidence { message: message.into(), ..Evidence::default() }
    }

    /// Evidence about something a layer put in the image.
    pub(crate) fn from_layer(message: impl Into<String>, path: Option<&str>, origin: Origin) -> Self {
        Evidence {
            message: message.into(),
            path: path.map(str::to_string),
            layer: Some(origin.layer),
            instruction: origin.instruction,
            dockerfile_line: origin.line,
            ..Evidence::default()
        }
    }

    /// Evidence about a line of the learner's Dockerfile.
    pub(crate) fn at_line(message: impl Into<String>, line: usize, instruction: &str) -> Self {
        Evidence { message: message.into(), instruction: Some(instruction.into()), dockerfile_line: Some(line), ..Evidence::default() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub hint: Option<String>,
}

impl Outcome {
    pub(crate) fn pass(summary: impl Into<String>) -> Self {
        Outcome { status: Status::Pass, summary: summary.into(), evidence: Vec::new(), hint: None }
    }

    pub(crate) fn fail(summary: impl Into<String>, evidence: Vec<Evidence>, hint: impl Into<String>) -> Self {
        Outcome { status: Status::Fail, summary: summary.into(), evidence, hint: Some(hint.into()) }
    }

    pub(crate) fn error(summary: impl Into<String>) -> Self {
        Outcome { status: Status::Error, summary: summary.into(), evidence: Vec::new(), hint: None }
    }

    pub(crate) fn skipped(summary: impl Into<String>) -> Self {
        Outcome { status: Status::Skipped, summary: summary.into(), evidence: Vec::new(), hint: None }
    }

    pub(crate) fn with_evidence(mut self, evidence: Vec<Evidence>) -> Self {
        self.evidence = evidence;
        self
    }
}

/// The facts a check may judge. Absent facts make the checks that need them skip.
#[derive(Default)]
pub(crate) struct Input<'a> {
    pub dockerfile: Option<&'a Dockerfile>,
    pub build: Option<&'a BuildRecord>,
    pub image: Option<&'a ImageFacts>,
    pub probe: Option<&'a ProbeRecord>,
    pub scan: Option<&'a ScanRecord>,
    pub origins: Option<&'a Origins>,
}

impl Input<'_> {
    pub(crate) fn origin(&self, layer: usize) -> Origin {
        self.origins.map(|o| o.of_layer(layer)).unwrap_or(Origin { layer, ..Origin::default() })
    }
}

pub(crate) trait Check: Sync {
    fn meta(&self) -> &CheckMeta;

    /// Validates this check's settings (the spec's `[checks.ID]` table without the common keys);
    /// by default a check takes none.
    fn validate(&self, settings: &toml::Table) -> Result<(), String> {
        no_settings(settings)
    }

    /// Judges the facts. Only called when the facts in [`CheckMeta::needs`] are present.
    fn judge(&self, input: &Input<'_>, settings: &toml::Table) -> Outcome;
}

/// Every check, in the order reports list them.
pub(crate) fn registry() -> &'static [&'static dyn Check] {
    static REGISTRY: [&dyn Check; 11] = [
        &builds::Builds,
        &size::Size,
        &non_root::NonRoot,
        &contents::NO_SHELL,
        &contents::NO_PACKAGE_MANAGER,
        &contents::NO_BUILD_TOOLS,
        &multi_stage::MultiStage,
        &runs::Runs,
        &scan::Scan,
        &no_secrets::NoSecrets,
        &pinned_base::PinnedBase,
    ];
    &REGISTRY
}

pub(crate) fn find(id: &str) -> Option<&'static dyn Check> {
    registry().iter().copied().find(|c| c.meta().id == id)
}

/// Parses a check's settings into its typed form; unknown keys are errors.
pub(crate) fn settings<T: DeserializeOwned>(table: &toml::Table) -> Result<T, String> {
    T::deserialize(toml::Value::Table(table.clone())).map_err(|e| e.message().to_string())
}

/// `validate` for checks that take no settings of their own.
fn no_settings(table: &toml::Table) -> Result<(), String> {
    match table.keys().next() {
        Some(key) => Err(format!("unknown setting `{key}` (this check has none)")),
        None => Ok(()),
    }
}

/// The verdict of one required check.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub id: &'static str,
    pub severity: Severity,
    pub weight: u32,
    pub outcome: Outcome,
}

/// Judges every requirement of the spec, in registry order.
pub(crate) fn judge_all(spec: &Spec, input: &Input<'_>) -> Vec<Verdict> {
    spec.requirements.iter().map(|requirement| judge_one(requirement, input)).collect()
}

fn judge_one(requirement: &Requirement, input: &Input<'_>) -> Verdict {
    let meta = requirement.check.meta();
    let outcome = match missing(meta.needs, input) {
        Some(reason) => Outcome::skipped(reason),
        None => requirement.check.judge(input, &requirement.settings),
    };
    Verdict { id: meta.id, severity: requirement.severity, weight: requirement.weight, outcome }
}

fn missing(needs: Needs, input: &Input<'_>) -> Option<&'static str> {
    match needs {
        Needs::Build if input.build.is_none() => Some("nothing was built: an existing image was judged"),
        Needs::Dockerfile if input.dockerfile.is_none() && input.build.is_some() => Some("the Dockerfile could not be built as written: see builds"),
        Needs::Dockerfile if input.dockerfile.is_none() => Some("no Dockerfile to judge: an existing image was judged"),
        Needs::Image | Needs::Probe | Needs::Scan if input.image.is_none() => Some("no image: the build failed"),
        Needs::Probe if input.probe.is_none() => Some("the image was not run (an archive is judged without a daemon)"),
        Needs::Scan if input.scan.is_none() => Some("the image was not scanned"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids are a public contract (specs, CI configs and graders name them): this list changes only
    /// by adding.
    #[test]
    fn check_ids_are_stable() {
        let ids: Vec<&str> = registry().iter().map(|c| c.meta().id).collect();
        assert_eq!(
            ids,
            ["builds", "size", "non-root", "no-shell", "no-package-manager", "no-build-tools", "multi-stage", "runs", "scan", "no-secrets", "pinned-base"]
        );
    }

    #[test]
    fn every_check_is_documented_in_four_sections() {
        for check in registry() {
            let meta = check.meta();
            assert!(meta.doc.starts_with(&format!("# `{}`", meta.id)), "{} doc title", meta.id);
            for section in ["## What it checks", "## Why it matters", "## Failing example", "## Use instead"] {
                assert!(meta.doc.contains(section), "{} lacks {section}", meta.id);
            }
        }
    }
}
