//! The preprocessor's settings, `[preprocessor.shipshape]` in book.toml: the folders of the
//! exercises and of the check documentation, relative to the book, and the instructor tracks
//! (`[preprocessor.shipshape.schedule]`, see `schedule::Tracks`).
//!
//! Must hold: both folders exist once read (paths are made absolute and canonical); tracks that
//! do not read as `Tracks` fail here, with book.toml's message.

use crate::schedule::Tracks;
use anyhow::{Context, Result};
use mdbook_preprocessor::config::Config;
use std::path::{Path, PathBuf};

/// The preprocessor's name, and its table in book.toml.
pub(crate) const NAME: &str = "shipshape";

/// Where the directives find their sources, as absolute paths.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The exercises folder: one folder per exercise.
    pub exercises: PathBuf,
    /// The check documentation folder: one `<id>.md` per check.
    pub checks: PathBuf,
    /// The instructor tracks the schedule lays out, if the book has a schedule.
    pub schedule: Option<Tracks>,
}

impl Settings {
    /// Reads `[preprocessor.shipshape]` from the config of the book in `root`.
    pub(crate) fn from_config(root: &Path, config: &Config) -> Result<Self> {
        let schedule =
            config.get(&format!("preprocessor.{NAME}.schedule")).context("book.toml's `[preprocessor.shipshape.schedule]` is not a list of tracks")?;
        Ok(Settings {
            exercises: folder(root, config, "exercises", "the exercises")?,
            checks: folder(root, config, "checks", "the check documentation")?,
            schedule,
        })
    }
}

/// The folder book.toml names in `[preprocessor.shipshape] <key>`, resolved against `root`.
fn folder(root: &Path, config: &Config, key: &str, what: &str) -> Result<PathBuf> {
    let name = format!("preprocessor.{NAME}.{key}");
    let relative: PathBuf = config.get(&name)?.with_context(|| {
        format!(
            "book.toml has no `{key}` in `[preprocessor.{NAME}]`: set it to the folder of {what}, \
             relative to the book"
        )
    })?;
    let path = root.join(&relative);
    path.canonicalize().with_context(|| format!("book.toml sets `{name}` to `{}`, but there is no folder `{}`", relative.display(), path.display()))
}
