//! An exercise folder: `exercise.toml` (the spec and metadata), the learner's Dockerfile, the app,
//! `hints.md`, and the reference solution. Like rustlings' exercises, the folder is the unit.
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::spec::Spec;

pub const SPEC_FILE: &str = "exercise.toml";

#[derive(Debug, Clone)]
pub struct Exercise {
    pub dir: PathBuf,
    /// The folder's name (`01-node-multistage`).
    pub name: String,
    pub spec: Spec,
}

impl Exercise {
    pub fn open(dir: &Path) -> Result<Exercise> {
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
    pub fn dockerfile(&self, solution: bool) -> PathBuf {
        let meta = &self.spec.exercise;
        self.dir.join(if solution { &meta.solution } else { &meta.dockerfile })
    }

    pub fn context_dir(&self) -> PathBuf {
        self.dir.join(&self.spec.exercise.context)
    }
}
