//! The check registry and the contract every check keeps.
//!
//! A check is a small unit that owns its stable id, a one-line summary, its default severity and
//! its documentation (`checker/docs/checks/ID.md`, printed by `shipshape explain ID` and included
//! in the book). It reads its settings from the spec once, says in words what it asks with them
//! (the book's requirements tables print that, as ripgrep's flags carry their own docs), and
//! judges an [`Input`] (facts already collected) with pure, synchronous code: checks never touch
//! Docker, so they run the same on a daemon's image, an archive or a fixture.
//!
//! What must hold: ids never change once published (the snapshot test in this module pins them);
//! every check has a doc file with the four sections; a check never panics on odd facts.
mod builds;
mod contents;
pub(crate) mod intruder;
mod multi_stage;
pub(crate) mod no_secrets;
mod no_setuid;
mod non_root;
mod pinned_base;
mod runs;
mod runtime_user;
pub(crate) mod scan;
mod size;
mod supported_base;

use std::fmt;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::attribution::{Origin, Origins};
use crate::dockerfile::Dockerfile;
use crate::image::ImageFacts;
use crate::record::{BuildRecord, ProbePlan, ProbeRecord, ScanRecord, Stopped};

/// A check's stable id, as specs, reports and `shipshape explain` spell it (`no-shell`). The
/// variants are in registry order: the order reports list checks in, and `Ord` follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    Builds,
    Size,
    NonRoot,
    NoShell,
    NoPackageManager,
    NoBuildTools,
    MultiStage,
    Runs,
    Scan,
    NoSecrets,
    PinnedBase,
    NoSetuid,
    SupportedBase,
    Intruder,
}

impl CheckId {
    /// Every check, in the order reports list them.
    pub(crate) const ALL: [CheckId; 14] = [
        CheckId::Builds,
        CheckId::Size,
        CheckId::NonRoot,
        CheckId::NoShell,
        CheckId::NoPackageManager,
        CheckId::NoBuildTools,
        CheckId::MultiStage,
        CheckId::Runs,
        CheckId::Scan,
        CheckId::NoSecrets,
        CheckId::PinnedBase,
        CheckId::NoSetuid,
        CheckId::SupportedBase,
        CheckId::Intruder,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        self.meta().id
    }

    pub(crate) fn meta(self) -> &'static CheckMeta {
        match self {
            CheckId::Builds => &builds::META,
            CheckId::Size => &size::META,
            CheckId::NonRoot => &non_root::META,
            CheckId::NoShell => &contents::NO_SHELL.meta,
            CheckId::NoPackageManager => &contents::NO_PACKAGE_MANAGER.meta,
            CheckId::NoBuildTools => &contents::NO_BUILD_TOOLS.meta,
            CheckId::MultiStage => &multi_stage::META,
            CheckId::Runs => &runs::META,
            CheckId::Scan => &scan::META,
            CheckId::NoSecrets => &no_secrets::META,
            CheckId::PinnedBase => &pinned_base::META,
            CheckId::NoSetuid => &no_setuid::META,
            CheckId::SupportedBase => &supported_base::META,
            CheckId::Intruder => &intruder::META,
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An id that names no check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCheck;

impl FromStr for CheckId {
    type Err = UnknownCheck;

    fn from_str(id: &str) -> Result<CheckId, UnknownCheck> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == id).ok_or(UnknownCheck)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failure fails the verdict (exit code 1).
    Error,
    /// A failure is reported but does not fail the verdict.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
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
    /// The id as text; [`CheckId::as_str`] reads it, so each check spells its id once.
    pub id: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    pub needs: Needs,
    /// Whether a passing verdict's evidence is itself what the learner reads (the intruder's
    /// moves, each blocked): the terminal report lists it on a pass too. Other checks' evidence
    /// explains a failure, and is listed only then (scan findings are listed always, each one).
    pub lists_on_pass: bool,
    /// The documentation, with sections What it checks / Why it matters / Failing example / Use instead.
    pub doc: &'static str,
}

impl CheckMeta {
    /// The documentation's first paragraph, under its title: what the check asks, in a sentence
    /// or two. Checks whose settings change nothing worth saying describe themselves with it.
    pub(crate) fn lead(&self) -> &'static str {
        self.doc.split("\n\n").nth(1).unwrap_or_default().trim()
    }
}

/// One piece of evidence: a message, and where it points (file, layer, instruction, line).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_line: Option<usize>,
    /// The bytes what it points at added to the image, for `size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
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
    /// What the room's registry said about the digests the Dockerfile pins, when one was asked.
    pub digests: Option<&'a crate::registry::DigestRecord>,
    /// The build secrets' values as text, read for this run when it needed them.
    pub build_secrets: &'a [String],
    /// The day the run judges on ([`crate::clock::today`]): support windows end against it.
    pub today: chrono::NaiveDate,
}

impl Input<'_> {
    pub(crate) fn origin(&self, layer: usize) -> Origin {
        self.origins.map(|o| o.of_layer(layer)).unwrap_or(Origin { layer, ..Origin::default() })
    }
}

/// What every check provides besides its [`CheckMeta`]: its typed settings, read once from the
/// spec, what it asks with them in words, and a judgement over the facts with them.
pub(crate) trait Check: Sync {
    /// The settings, validated and with their defaults filled in.
    type Settings;

    /// Reads this check's settings (the spec's `[checks.ID]` table without the common keys);
    /// `exercise` gives the defaults a check takes from the exercise.
    fn settings(&self, table: &toml::Table, exercise: &ExerciseDefaults) -> Result<Self::Settings, String>;

    /// What the check asks with these settings, in a sentence or two of Markdown (the book's
    /// requirements table prints it), when its settings say more than [`CheckMeta::lead`], which
    /// stands in otherwise.
    fn asks(&self, _settings: &Self::Settings) -> Option<String> {
        None
    }

    /// Judges the facts. Only called when the facts in [`CheckMeta::needs`] are present.
    fn judge(&self, input: &Input<'_>, settings: &Self::Settings) -> Outcome;
}

/// What a check's settings may default to from the rest of the spec.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExerciseDefaults {
    /// The build-arg values, sorted and without duplicates.
    pub build_arg_values: Vec<String>,
    /// Whether the exercise has build secrets, whose values a run reads when it needs them (they
    /// come to the checks in [`Input::build_secrets`]).
    pub build_secrets: bool,
}

/// The files the checks read from an image's filesystem (beyond every file's metadata).
pub(crate) fn analyzers() -> impl Iterator<Item = &'static crate::image::capture::Analyzer> {
    [&non_root::ACCOUNTS].into_iter()
}

/// One required check's typed settings: the variant says which check it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Settings {
    Builds,
    Size(size::Settings),
    NonRoot,
    NoShell(contents::Settings),
    NoPackageManager(contents::Settings),
    NoBuildTools(contents::Settings),
    MultiStage,
    Runs(ProbePlan),
    Scan(scan::Settings),
    NoSecrets(no_secrets::Settings),
    PinnedBase,
    NoSetuid,
    SupportedBase,
    Intruder(intruder::Settings),
}

impl Settings {
    /// Reads check `id`'s settings.
    pub(crate) fn parse(id: CheckId, table: &toml::Table, exercise: &ExerciseDefaults) -> Result<Settings, String> {
        Ok(match id {
            CheckId::Builds => builds::Builds.settings(table, exercise).map(|()| Settings::Builds)?,
            CheckId::Size => Settings::Size(size::Size.settings(table, exercise)?),
            CheckId::NonRoot => non_root::NonRoot.settings(table, exercise).map(|()| Settings::NonRoot)?,
            CheckId::NoShell => Settings::NoShell(contents::NO_SHELL.settings(table, exercise)?),
            CheckId::NoPackageManager => Settings::NoPackageManager(contents::NO_PACKAGE_MANAGER.settings(table, exercise)?),
            CheckId::NoBuildTools => Settings::NoBuildTools(contents::NO_BUILD_TOOLS.settings(table, exercise)?),
            CheckId::MultiStage => multi_stage::MultiStage.settings(table, exercise).map(|()| Settings::MultiStage)?,
            CheckId::Runs => Settings::Runs(runs::Runs.settings(table, exercise)?),
            CheckId::Scan => Settings::Scan(scan::Scan.settings(table, exercise)?),
            CheckId::NoSecrets => Settings::NoSecrets(no_secrets::NoSecrets.settings(table, exercise)?),
            CheckId::PinnedBase => pinned_base::PinnedBase.settings(table, exercise).map(|()| Settings::PinnedBase)?,
            CheckId::NoSetuid => no_setuid::NoSetuid.settings(table, exercise).map(|()| Settings::NoSetuid)?,
            CheckId::SupportedBase => supported_base::SupportedBase.settings(table, exercise).map(|()| Settings::SupportedBase)?,
            CheckId::Intruder => Settings::Intruder(intruder::Intruder.settings(table, exercise)?),
        })
    }

    pub(crate) fn id(&self) -> CheckId {
        match self {
            Settings::Builds => CheckId::Builds,
            Settings::Size(_) => CheckId::Size,
            Settings::NonRoot => CheckId::NonRoot,
            Settings::NoShell(_) => CheckId::NoShell,
            Settings::NoPackageManager(_) => CheckId::NoPackageManager,
            Settings::NoBuildTools(_) => CheckId::NoBuildTools,
            Settings::MultiStage => CheckId::MultiStage,
            Settings::Runs(_) => CheckId::Runs,
            Settings::Scan(_) => CheckId::Scan,
            Settings::NoSecrets(_) => CheckId::NoSecrets,
            Settings::PinnedBase => CheckId::PinnedBase,
            Settings::NoSetuid => CheckId::NoSetuid,
            Settings::SupportedBase => CheckId::SupportedBase,
            Settings::Intruder(_) => CheckId::Intruder,
        }
    }

    /// What the check these settings belong to asks with them ([`Check::asks`]).
    fn asks(&self) -> String {
        let words = match self {
            Settings::Builds => builds::Builds.asks(&()),
            Settings::Size(settings) => size::Size.asks(settings),
            Settings::NonRoot => non_root::NonRoot.asks(&()),
            Settings::NoShell(settings) => contents::NO_SHELL.asks(settings),
            Settings::NoPackageManager(settings) => contents::NO_PACKAGE_MANAGER.asks(settings),
            Settings::NoBuildTools(settings) => contents::NO_BUILD_TOOLS.asks(settings),
            Settings::MultiStage => multi_stage::MultiStage.asks(&()),
            Settings::Runs(plan) => runs::Runs.asks(plan),
            Settings::Scan(settings) => scan::Scan.asks(settings),
            Settings::NoSecrets(settings) => no_secrets::NoSecrets.asks(settings),
            Settings::PinnedBase => pinned_base::PinnedBase.asks(&()),
            Settings::NoSetuid => no_setuid::NoSetuid.asks(&()),
            Settings::SupportedBase => supported_base::SupportedBase.asks(&()),
            Settings::Intruder(settings) => intruder::Intruder.asks(settings),
        };
        words.unwrap_or_else(|| self.id().meta().lead().to_string())
    }

    /// Judges the facts with the check these settings belong to.
    fn judge(&self, input: &Input<'_>) -> Outcome {
        match self {
            Settings::Builds => builds::Builds.judge(input, &()),
            Settings::Size(settings) => size::Size.judge(input, settings),
            Settings::NonRoot => non_root::NonRoot.judge(input, &()),
            Settings::NoShell(settings) => contents::NO_SHELL.judge(input, settings),
            Settings::NoPackageManager(settings) => contents::NO_PACKAGE_MANAGER.judge(input, settings),
            Settings::NoBuildTools(settings) => contents::NO_BUILD_TOOLS.judge(input, settings),
            Settings::MultiStage => multi_stage::MultiStage.judge(input, &()),
            Settings::Runs(plan) => runs::Runs.judge(input, plan),
            Settings::Scan(settings) => scan::Scan.judge(input, settings),
            Settings::NoSecrets(settings) => no_secrets::NoSecrets.judge(input, settings),
            Settings::PinnedBase => pinned_base::PinnedBase.judge(input, &()),
            Settings::NoSetuid => no_setuid::NoSetuid.judge(input, &()),
            Settings::SupportedBase => supported_base::SupportedBase.judge(input, &()),
            Settings::Intruder(settings) => intruder::Intruder.judge(input, settings),
        }
    }
}

/// Parses a check's settings table into its serde form; unknown keys are errors.
fn deserialize<T: DeserializeOwned>(table: &toml::Table) -> Result<T, String> {
    T::deserialize(toml::Value::Table(table.clone())).map_err(|e| e.message().to_string())
}

/// `settings` for checks that take no settings of their own.
fn no_settings(table: &toml::Table) -> Result<(), String> {
    match table.keys().next() {
        Some(key) => Err(format!("unknown setting `{key}` (this check has none)")),
        None => Ok(()),
    }
}

/// One required check and how the spec configures it.
#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    pub severity: Severity,
    /// Points for grading (default 1).
    pub weight: u32,
    /// Why the exercise asks for it (shown in the book's requirements table).
    pub why: Option<String>,
    /// The check's own settings, read by the check when the spec loaded; they say which check it is.
    pub settings: Settings,
}

impl Requirement {
    pub(crate) fn id(&self) -> CheckId {
        self.settings.id()
    }

    /// What this requirement asks, in Markdown: the check's own words for its settings
    /// ([`Check::asks`]), then a severity and a weight other than the defaults.
    pub(crate) fn asks(&self) -> String {
        let severity = (self.severity == Severity::Warning).then(|| "A warning: reported, but it does not fail the verdict.".to_string());
        let weight = (self.weight != 1).then(|| format!("Worth {} points.", self.weight));
        std::iter::once(self.settings.asks()).chain(severity).chain(weight).collect::<Vec<_>>().join(" ")
    }
}

/// The verdict of one required check.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub id: CheckId,
    pub severity: Severity,
    pub weight: u32,
    pub outcome: Outcome,
}

/// Judges every requirement (the spec's, in registry order).
pub(crate) fn judge_all<'a>(requirements: impl Iterator<Item = &'a Requirement>, input: &Input<'_>) -> Vec<Verdict> {
    requirements.map(|requirement| judge_one(requirement, input)).collect()
}

fn judge_one(requirement: &Requirement, input: &Input<'_>) -> Verdict {
    let id = requirement.id();
    let outcome = match missing(id.meta().needs, input) {
        Some(reason) => Outcome::skipped(reason),
        None => requirement.settings.judge(input),
    };
    Verdict { id, severity: requirement.severity, weight: requirement.weight, outcome }
}

/// Why a check that `needs` a fact cannot judge without it, in the words its skip gives: the true
/// reason, from the build's record when there was a build.
fn missing(needs: Needs, input: &Input<'_>) -> Option<String> {
    let no_image = || input.build.map_or("nothing was built", why_no_image);
    match needs {
        Needs::Build if input.build.is_none() => Some("nothing was built: an existing image was judged".into()),
        Needs::Dockerfile if input.dockerfile.is_none() && input.build.is_some() => Some(format!("{} (see builds)", no_image())),
        Needs::Dockerfile if input.dockerfile.is_none() => Some("no Dockerfile to judge: an existing image was judged".into()),
        Needs::Image | Needs::Probe | Needs::Scan if input.image.is_none() => Some(format!("no image: {} (see builds)", no_image())),
        Needs::Probe if input.probe.is_none() => Some("the image was not run (an archive is judged without a daemon)".into()),
        Needs::Scan if input.scan.is_none() => Some("the image was not scanned".into()),
        _ => None,
    }
}

/// Why `build` made no image.
fn why_no_image(build: &BuildRecord) -> &'static str {
    match build.stopped {
        Some(Stopped::Unparsed(_)) => "the Dockerfile does not parse",
        Some(Stopped::NoSuchTarget) => "the stage to ship is not one this Dockerfile can stop at",
        Some(Stopped::Refused) => "the build was refused before it ran",
        None => "the build failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids are a public contract (specs, CI configs and graders name them): this list changes only
    /// by adding.
    #[test]
    fn check_ids_are_stable() {
        let ids: Vec<&str> = CheckId::ALL.iter().map(|c| c.meta().id).collect();
        assert_eq!(
            ids,
            [
                "builds",
                "size",
                "non-root",
                "no-shell",
                "no-package-manager",
                "no-build-tools",
                "multi-stage",
                "runs",
                "scan",
                "no-secrets",
                "pinned-base",
                "no-setuid",
                "supported-base",
                "intruder"
            ]
        );
        for id in CheckId::ALL {
            assert_eq!(id.to_string().parse(), Ok(id));
            assert_eq!(serde_json::to_value(id).unwrap(), id.as_str(), "serde spells {id} as the registry does");
        }
        assert!(CheckId::ALL.windows(2).all(|pair| pair[0] < pair[1]), "Ord is registry order");
        assert_eq!("no-shel".parse::<CheckId>(), Err(UnknownCheck));
    }

    #[test]
    fn every_check_leads_its_documentation_with_one_paragraph() {
        assert_eq!(CheckId::NonRoot.meta().lead(), "The container runs as a user other than root.");
        for id in CheckId::ALL {
            let lead = id.meta().lead();
            assert!(lead.ends_with('.') && !lead.starts_with('#') && !lead.contains("\n\n"), "{id}: {lead:?}");
        }
    }

    #[test]
    fn a_requirement_adds_a_severity_and_a_weight_other_than_the_defaults() {
        let requirement = |severity, weight| Requirement { severity, weight, why: None, settings: Settings::NonRoot };
        assert_eq!(requirement(Severity::Error, 1).asks(), "The container runs as a user other than root.");
        assert_eq!(
            requirement(Severity::Warning, 3).asks(),
            "The container runs as a user other than root. A warning: reported, but it does not fail the verdict. Worth 3 points."
        );
        assert_eq!(requirement(Severity::Error, 0).asks(), "The container runs as a user other than root. Worth 0 points.");
    }

    #[test]
    fn the_spec_reference_names_every_check() {
        let spec = include_str!("../../docs/spec.md");
        let missing: Vec<&str> = CheckId::ALL.iter().map(|id| id.as_str()).filter(|id| !spec.contains(&format!("`{id}`"))).collect();
        assert!(missing.is_empty(), "checker/docs/spec.md does not name {missing:?} in its [checks.<id>] list");
    }

    #[test]
    fn every_check_is_documented_in_four_sections() {
        for id in CheckId::ALL {
            let meta = id.meta();
            assert!(meta.doc.starts_with(&format!("# `{}`", meta.id)), "{} doc title", meta.id);
            for section in ["## What it checks", "## Why it matters", "## Failing example", "## Use instead"] {
                assert!(meta.doc.contains(section), "{} lacks {section}", meta.id);
            }
        }
    }
}
