//! An exercise folder: `exercise.toml` (the spec and metadata), the learner's Dockerfile, the app,
//! `hints.md`, and the reference solution. Like rustlings' exercises, the folder is the unit.
//!
//! What must hold: the reference's own files (its Dockerfile, and a triage file the spec names
//! that its folder holds) are read only when the reference is judged.
use std::path::{Path, PathBuf};

use crate::dockerfile::Dockerfile;
use crate::error::{Error, Result};
use crate::spec::Spec;

/// The spec's file name in an exercise folder.
pub const SPEC_FILE: &str = "exercise.toml";

#[derive(Debug, Clone)]
pub(crate) struct Exercise {
    pub dir: PathBuf,
    /// The folder's name (`01-node-multistage`).
    pub name: String,
    pub spec: Spec,
}

impl Exercise {
    pub(crate) fn open(dir: &Path) -> Result<Exercise> {
        if !dir.is_dir() {
            return Err(Error::new(format!("there is no exercise folder {}", dir.display()))
                .action("pass the path of an exercise folder, for example exercises/01-node-multistage"));
        }
        let spec_path = dir.join(SPEC_FILE);
        if !spec_path.is_file() {
            return Err(Error::new(format!("{} has no {SPEC_FILE}", dir.display()))
                .action("pass an exercise folder (one with an exercise.toml), or judge an image with --image REF --spec FILE"));
        }
        let spec = Spec::load(&spec_path)?;
        let name = dir.canonicalize().ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).unwrap_or_else(|| dir.display().to_string());
        Ok(Exercise { dir: dir.to_path_buf(), name, spec })
    }

    /// The learner's Dockerfile, or the reference solution's.
    pub(crate) fn dockerfile(&self, solution: bool) -> PathBuf {
        let meta = &self.spec.exercise;
        self.dir.join(if solution { &meta.solution } else { &meta.dockerfile })
    }

    /// Judging the reference: a triage file the spec's `scan` names (`ignore-file`, `vex-file`)
    /// is read from the reference's folder when that folder holds it, as the learner's is read
    /// from the exercise folder; the learner's folder never holds the reference's triage.
    pub(crate) fn use_reference_triage(&mut self) {
        let reference = self.dockerfile(true);
        let Some(folder) = reference.parent().map(Path::to_path_buf) else { return };
        let Some(settings) = self.spec.scan_mut() else { return };
        for file in [&mut settings.ignore_file, &mut settings.vex_file].into_iter().flatten() {
            let there = folder.join(&*file);
            if there.is_file() {
                *file = std::path::absolute(&there).unwrap_or(there);
            }
        }
    }

    pub(crate) fn context_dir(&self) -> PathBuf {
        self.dir.join(&self.spec.exercise.context)
    }

    /// The images a Dockerfile of this exercise needs from outside (`FROM`, `COPY --from`,
    /// `RUN --mount=…,from=`; its own stages and `scratch` left out), in file order, with the
    /// exercise's build arguments filled in as the build fills them. `doctor` and `images` list
    /// these. The error says why the file, or a reference in it, cannot be read.
    pub(crate) fn base_images(&self, dockerfile: &Path) -> Result<Vec<String>, String> {
        let text = std::fs::read_to_string(dockerfile).map_err(|e| e.to_string())?;
        let parsed = Dockerfile::parse(&text).map_err(|e| e.to_string())?.with_build_args(&self.spec.exercise.build_args);
        let line = |image: &crate::dockerfile::ExternalImage<'_>, why: String| format!("line {}: `{}`: {why}", image.instruction.line, image.reference.written);
        parsed.external_images().into_iter().map(|image| image.expanded.clone().map_err(|why| line(&image, why))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_images(dockerfile: &str, spec: &str) -> Result<Vec<String>, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SPEC_FILE), spec).unwrap();
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
        let exercise = Exercise::open(dir.path()).unwrap();
        exercise.base_images(&exercise.dockerfile(false))
    }

    #[test]
    fn base_images_leave_out_stages_and_scratch_and_fill_in_build_arguments() {
        let text = "ARG V=20\nARG OS=bookworm\nFROM node:${V}-$OS AS Build\nRUN make\nFROM scratch AS empty\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\nCOPY --from=busybox:1.36 /bin/busybox /busybox\n";
        let spec = "[exercise]\nbuild-args = { V = \"22\" }\n";
        assert_eq!(base_images(text, spec).unwrap(), ["node:22-bookworm", "gcr.io/distroless/static-debian12:nonroot", "busybox:1.36"]);
    }

    #[test]
    fn the_reference_is_judged_with_the_triage_in_its_own_folder() {
        let dir = tempfile::tempdir().unwrap();
        let spec = "[checks.scan]\nignore-file = \"accepted-risk.toml\"\nvex-file = \"triage.openvex.json\"\n";
        std::fs::write(dir.path().join(SPEC_FILE), spec).unwrap();
        std::fs::create_dir(dir.path().join("solution")).unwrap();
        std::fs::write(dir.path().join("solution/accepted-risk.toml"), "").unwrap();
        let mut exercise = Exercise::open(dir.path()).unwrap();
        exercise.use_reference_triage();
        let scan = exercise.spec.scan().unwrap();
        let reference = std::path::absolute(dir.path().join("solution/accepted-risk.toml")).unwrap();
        assert_eq!(scan.ignore_file.as_deref(), Some(reference.as_path()), "the reference's own ignore file");
        assert_eq!(scan.vex_file.as_deref(), Some(Path::new("triage.openvex.json")), "one the reference lacks stays the learner's");
    }

    #[test]
    fn an_argument_without_a_value_is_an_error_naming_the_line() {
        let error = base_images("ARG BASE\nFROM $BASE\n", "").unwrap_err();
        assert!(error.contains("line 2") && error.contains("`$BASE`") && error.contains("BASE has no value"), "{error}");
    }
}
