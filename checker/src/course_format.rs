//! The course format as the book reads it: an exercise's `exercise.toml`, loaded and validated by
//! the same code as `shipshape check` ([`Exercise::open`], so [`crate::spec::Spec::load`]), with
//! its `[exercise]` table typed ([`ExerciseMeta`]) and each required check described in words by
//! the check itself ([`crate::checks::Check::asks`]). `hints` and `markdown` are the rest of what
//! the book shares with the checker.
//!
//! What must hold: this is the book's only way into a spec, so the book and the checker can never
//! read one differently: no TOML and no copy of a default outside the checker; a spec the checker
//! rejects is an error here too, with the checker's message. The surface stays read-only and
//! small: what the book's exercise pages, schedule and measurements need.
use std::path::Path;

use crate::checks::Requirement;
use crate::exercise::Exercise;

pub use crate::exercise::SPEC_FILE;
pub use crate::spec::{ExerciseMeta, SecretSource};

/// An exercise folder's spec, validated.
#[derive(Debug)]
pub struct ExerciseSpec {
    exercise: Exercise,
}

impl ExerciseSpec {
    /// Opens the exercise in `dir` as `shipshape check` does. The error is the checker's own
    /// message (what is wrong, naming the file; why; what to do), without its `error: ` prefix.
    pub fn open(dir: &Path) -> Result<ExerciseSpec, String> {
        Exercise::open(dir).map(|exercise| ExerciseSpec { exercise }).map_err(|error| error.explained())
    }

    /// The `[exercise]` table: title, chapter, minutes, Dockerfiles and the rest.
    pub fn meta(&self) -> &ExerciseMeta {
        &self.exercise.spec.exercise
    }

    /// The required checks, in registry order (the order reports and the book's check pages
    /// list checks in).
    pub fn requirements(&self) -> impl Iterator<Item = RequiredCheck<'_>> {
        self.exercise.spec.requirements().map(|requirement| RequiredCheck { requirement })
    }
}

/// One check the spec requires.
#[derive(Debug, Clone, Copy)]
pub struct RequiredCheck<'a> {
    requirement: &'a Requirement,
}

impl<'a> RequiredCheck<'a> {
    /// The check's stable id (`no-shell`).
    pub fn id(&self) -> &'static str {
        self.requirement.id().as_str()
    }

    /// Why the exercise asks for it, when the spec says.
    pub fn why(&self) -> Option<&'a str> {
        self.requirement.why.as_deref()
    }

    /// What it asks, in a sentence or two of Markdown: the check's words for its settings, then
    /// a severity and a weight other than the defaults.
    pub fn asks(&self) -> String {
        self.requirement.asks()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(spec: &str) -> Result<ExerciseSpec, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SPEC_FILE), spec).unwrap();
        ExerciseSpec::open(dir.path())
    }

    #[test]
    fn reads_the_typed_spec_with_its_defaults() {
        let spec = open("[exercise]\ntitle = \"T\"\nminutes = 5\n[checks.scan]\nwhy = \"gate\"\n[checks.size]\nmax = \"20 MB\"\nweight = 2\n").unwrap();
        let meta = spec.meta();
        assert_eq!((meta.title.as_str(), meta.chapter.as_deref(), meta.minutes), ("T", None, Some(5)));
        assert_eq!((meta.dockerfile.as_str(), meta.solution.as_str()), ("Dockerfile", "solution/Dockerfile"));
        let rows: Vec<(&str, String, Option<&str>)> = spec.requirements().map(|r| (r.id(), r.asks(), r.why())).collect();
        assert_eq!(
            rows,
            [
                ("size", "The image is at most 20 MB. Worth 2 points.".to_string(), None),
                ("scan", "No known vulnerability of severity HIGH or above in what the image ships.".to_string(), Some("gate")),
            ]
        );
    }

    #[test]
    fn a_spec_the_checker_rejects_is_an_error_naming_the_file() {
        let error = open("[exercise]\nminutes = -5\n").unwrap_err();
        assert!(error.starts_with("the spec ") && error.contains("exercise.toml is not valid") && error.contains("minutes"), "{error}");
    }
}
