//! `{{#shipshape-report NAME}}`: the report `shipshape check` prints on the starter of exercise
//! NAME (`{{#shipshape-report NAME solution}}`: on its reference solution), made by the real checker while the book is built (see `checker`: the same binary,
//! daemon, image map and course database as `measure`) and shown as a console block: the command
//! as run from the course folder, its output and its exit code. The image map is the one given
//! (`--image-map` or $SHIPSHAPE_IMAGE_MAP), else the course's own `.shipshape/image-map.toml`
//! when it has one, as `shipshape check` itself would pick. The check runs on a copy of the
//! exercise folder in the checker's own folder, so that it records no progress in the course.
//!
//! Must hold: the block is what the checker printed, with only what changes from one build or
//! machine to the next replaced by `…` (image ids, build times, build-cache hits), colours
//! stripped and the course's and the checker's own folders left out, so the page changes only
//! when the report does. A check that cannot run (no binary, no daemon, no base image, an exit
//! code other than 0 or 1) fails the build with the checker's own words. Each exercise's starter
//! and solution are checked at most once per build, however often the book is preprocessed.

use crate::checker::{Checker, Variant};
use crate::markdown::fenced;
use anyhow::{anyhow, Context, Result};
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, OnceLock};

/// The course's own image map, which `shipshape check` uses when no other is named.
const COURSE_IMAGE_MAP: &str = ".shipshape/image-map.toml";

/// What differs between runs of the same check, and what stands in for it.
static UNSTABLE: LazyLock<[(Regex, &str); 4]> = LazyLock::new(|| {
    let pattern = |re: &str| Regex::new(re).expect("the pattern is valid");
    [
        // Colours and other terminal controls, should any get through NO_COLOR.
        (pattern(r"\x1b\[[0-9;?]*[A-Za-z]"), ""),
        // Image ids and digests, whole or short.
        (pattern(r"\bsha256:[0-9a-f]{64}\b|\b[0-9a-f]{12}\b"), "…"),
        // Times, as `built in 0.3 s`.
        (pattern(r"\b\d+\.\d+ s\b"), "… s"),
        // How many steps came from this machine's build cache.
        (pattern(r"\b\d+ of (\d+) steps? from the build cache"), "… of $1 steps from the build cache"),
    ]
});

/// The reports of one build of the book: the checker, started at the first directive, and each
/// exercise's block once made.
pub(crate) struct Reports {
    image_map: Option<PathBuf>,
    checker: OnceLock<Result<Checker, String>>,
    made: Mutex<BTreeMap<(String, &'static str), String>>,
}

impl Reports {
    /// Reports whose builds go through `image_map` when given.
    pub(crate) fn new(image_map: Option<PathBuf>) -> Self {
        Reports { image_map, checker: OnceLock::new(), made: Mutex::new(BTreeMap::new()) }
    }

    /// The console block of `shipshape check` on `variant` of exercise `name` in `exercises`.
    pub(crate) fn render(&self, exercises: &Path, name: &str, variant: Variant) -> Result<String> {
        let mut made = self.made.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (name.to_string(), variant.name());
        if let Some(block) = made.get(&key) {
            return Ok(block.clone());
        }
        let block = self.make(exercises, name, variant).with_context(|| format!("cannot show the report of its {}", variant.name()))?;
        made.insert(key, block.clone());
        Ok(block)
    }

    fn make(&self, exercises: &Path, name: &str, variant: Variant) -> Result<String> {
        let course = exercises.parent().context("the exercises folder has no parent")?;
        let checker = self.checker.get_or_init(|| {
            let image_map = self.image_map.clone().or_else(|| Some(course.join(COURSE_IMAGE_MAP)).filter(|map| map.exists()));
            Checker::start(image_map.as_deref()).map_err(|error| format!("{error:#}"))
        });
        let checker = checker.as_ref().map_err(|error| anyhow!("{error}"))?;
        let exercise = Path::new(exercises.file_name().context("the exercises folder has no name")?).join(name);
        let copy = checker.folder().join("course");
        copy_dir(&exercises.join(name), &copy.join(&exercise))?;
        let out = checker.check(&copy, &exercise, variant, "human")?;
        let printed = stable(&String::from_utf8_lossy(&out.stdout), &[&copy, checker.folder(), course]);
        let code = out.status.code().unwrap_or_default();
        let flag = match variant {
            Variant::Starter => "",
            Variant::Solution => " --solution",
        };
        Ok(fenced("console", &format!("$ shipshape check {}{flag}\n{}\n$ echo $?\n{code}", exercise.display(), printed.trim_end())))
    }
}

/// Copies the folder `from` to `to`, symbolic links as links.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create `{}`", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot read `{}`", from.display()))? {
        let entry = entry.with_context(|| format!("cannot read `{}`", from.display()))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().with_context(|| format!("cannot read `{}`", source.display()))?;
        let copied = match kind {
            kind if kind.is_dir() => copy_dir(&source, &target),
            kind if kind.is_symlink() => std::fs::read_link(&source).and_then(|link| std::os::unix::fs::symlink(link, &target)).map_err(Into::into),
            _ => std::fs::copy(&source, &target).map(drop).map_err(Into::into),
        };
        copied.with_context(|| format!("cannot copy `{}` to `{}`", source.display(), target.display()))?;
    }
    Ok(())
}

/// `printed` with what changes between runs replaced, and the `folders` (with the `/` after
/// them) left out.
fn stable(printed: &str, folders: &[&Path]) -> String {
    let mut text = printed.to_string();
    for folder in folders {
        text = text.replace(&format!("{}/", folder.display()), "");
    }
    UNSTABLE.iter().fold(text, |text, (pattern, stand_in)| pattern.replace_all(&text, *stand_in).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_changes_between_runs_is_replaced() {
        let printed = "\x1b[1mimage 084dc9312715\x1b[0m · 660 MB · 4 layers\n\
                       ✔ pass builds  built in 12.3 s with BuildKit (2 of 3 steps from the build cache)\n\
                       ✘ FAIL size    the image is 660 MB (limit 180 MB)\n\
                       \x20        from sha256:5fb246409e2be6d65a3a7760dc6c80b5a8ce4f20abe9db12ac5c6126481c02a5 in /course/exercises/01-a/Dockerfile:3\n\
                       \x20        cache /tmp/shipshape-book-x/cache, timeout 30 s\n";
        let expected = "image … · 660 MB · 4 layers\n\
                        ✔ pass builds  built in … s with BuildKit (… of 3 steps from the build cache)\n\
                        ✘ FAIL size    the image is 660 MB (limit 180 MB)\n\
                        \x20        from … in exercises/01-a/Dockerfile:3\n\
                        \x20        cache cache, timeout 30 s\n";
        assert_eq!(stable(printed, &[Path::new("/course"), Path::new("/tmp/shipshape-book-x")]), expected);
    }

    #[test]
    fn a_checker_that_cannot_start_fails_every_report_with_its_reason() {
        let reports = Reports::new(Some(PathBuf::from("/nonexistent/image-map.toml")));
        let error = format!("{:#}", reports.render(Path::new("/nonexistent/exercises"), "01-a", Variant::Starter).unwrap_err());
        assert!(error.contains("cannot show the report of its starter: there is no image map `/nonexistent/image-map.toml`"), "{error}");
    }
}
