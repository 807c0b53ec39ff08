//! The real `shipshape` checker, as the book runs it: the binary ($SHIPSHAPE_BIN, or built with
//! cargo in release mode), the course database (`tests/vulndb`) imported into a temporary folder,
//! and `shipshape check` on an exercise's starter or reference solution. `measure` reads its JSON
//! reports; the `{{#shipshape-report}}` directive shows its human one (see `transcript`).
//!
//! Must hold: every run uses that database and a fresh layer cache, never the user's, and leaves
//! the course's progress file alone (a starter is checked as `--dockerfile`); the daemon
//! the environment names (as `shipshape` itself finds it), and only the image map it is given; a
//! run that could not judge (exit code other than 0 or 1) is an error naming the exercise and what
//! the checker said. Temporary folders go when the [`Checker`] is dropped.

use anyhow::{bail, Context, Result};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// The workspace root: this crate lives in `book/builder`.
pub(crate) const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
/// The course's vulnerability database: real advisories, pinned in the repository.
const VULNDB: &str = "tests/vulndb";

/// What of an exercise is checked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Variant {
    Starter,
    Solution,
}

impl Variant {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Variant::Starter => "starter",
            Variant::Solution => "solution",
        }
    }
}

/// The starter's file name, as the exercise's spec gives it.
fn starter_file(exercise: &Path) -> Result<String> {
    let spec = shipshape::course_format::ExerciseSpec::open(exercise).map_err(anyhow::Error::msg)?;
    Ok(spec.meta().dockerfile.clone())
}

/// The checker with its own database and cache.
pub(crate) struct Checker {
    bin: PathBuf,
    image_map: Option<PathBuf>,
    scratch: TempDir,
}

impl Checker {
    /// Finds or builds `shipshape` and imports the course database; builds will go through
    /// `image_map` when given.
    pub(crate) fn start(image_map: Option<&Path>) -> Result<Checker> {
        let image_map = image_map.map(|map| map.canonicalize().with_context(|| format!("there is no image map `{}`", map.display()))).transpose()?;
        let scratch = tempfile::Builder::new().prefix("shipshape-book-").tempdir().context("cannot create a temporary folder for the database")?;
        let checker = Checker { bin: binary()?, image_map, scratch };
        checker.run(&["db", "import", VULNDB], "import the course database")?;
        Ok(checker)
    }

    /// The checker's own folder (database and layer cache), which no output should show.
    pub(crate) fn folder(&self) -> &Path {
        self.scratch.path()
    }

    /// `shipshape check EXERCISE` on `variant`, with `--format FORMAT`, run from the folder `from`
    /// (`exercise` may be relative to it). Exit codes 0 and 1 are reports; any other is an error
    /// with the checker's stderr.
    pub(crate) fn check(&self, from: &Path, exercise: &Path, variant: Variant, format: &str) -> Result<Output> {
        let mut command = self.command();
        command.current_dir(from).arg("check").arg(exercise).args(["--format", format]);
        // The starter is named as a Dockerfile, so that the check records nothing in the course's
        // progress file: that file is the learner's.
        match variant {
            Variant::Starter => command.arg("--dockerfile").arg(exercise.join(starter_file(&from.join(exercise))?)),
            Variant::Solution => command.arg("--solution"),
        };
        if let Some(map) = &self.image_map {
            command.arg("--image-map").arg(map);
        }
        let out = command.output().with_context(|| format!("cannot run `{}`", self.bin.display()))?;
        if !matches!(out.status.code(), Some(0 | 1)) {
            bail!("`shipshape check` could not judge the {} of `{}` ({}): {}", variant.name(), exercise.display(), out.status, stderr(&out));
        }
        Ok(out)
    }

    /// Runs `shipshape ARGS`, failing with `purpose` and its stderr unless it exits 0.
    pub(crate) fn run(&self, args: &[&str], purpose: &str) -> Result<Output> {
        let out = self.command().args(args).output().with_context(|| format!("cannot run `{}`", self.bin.display()))?;
        if !out.status.success() {
            bail!("cannot {purpose}: `shipshape {}` failed ({}): {}", args.join(" "), out.status, stderr(&out));
        }
        Ok(out)
    }

    /// `shipshape`, from the workspace root, with this checker's database and cache only.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .current_dir(WORKSPACE)
            .env("NO_COLOR", "1")
            .env("SHIPSHAPE_DB_DIR", self.scratch.path().join("db"))
            .env("SHIPSHAPE_CACHE_DIR", self.scratch.path().join("cache"))
            .env_remove("SHIPSHAPE_IMAGE_MAP");
        command
    }
}

/// $SHIPSHAPE_BIN, or the workspace's `shipshape` built in release mode (a check reads every
/// layer of every image, which a debug build does slowly).
fn binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("SHIPSHAPE_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = ["build", "--release", "--quiet", "-p", "shipshape", "--bin", "shipshape"];
    let status = Command::new(&cargo)
        .current_dir(WORKSPACE)
        .args(args)
        .status()
        .with_context(|| format!("cannot run `{}` to build shipshape", cargo.to_string_lossy()))?;
    if !status.success() {
        bail!("`cargo {}` failed; set SHIPSHAPE_BIN to a built `shipshape` to run it", args.join(" "));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| OsStr::new("target").into());
    Ok(Path::new(WORKSPACE).join(target).join("release/shipshape"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}
