//! One exercise folder (`exercises/<name>/`) rendered as a section of its chapter, so the book
//! and the exercise can never disagree: the task (README.md without its title and without the
//! sections the page generates), the requirements table (from exercise.toml, followed by any
//! prose of the README's own "Requirements" section, its tables dropped), the minutes, the
//! starter Dockerfile, the commands that check it, each hint of hints.md collapsed, and the
//! reference solution collapsed.
//!
//! Must hold: exercise.toml is read only through the `shipshape` library
//! (`shipshape::course_format`), strictly, with the checker's defaults: a missing file, a spec
//! the checker rejects (its message names the file), or an exercise placed in another chapter
//! than its `chapter` key names is an error.

use crate::markdown::{self, code_span, escape_html, fenced};
use crate::requirements;
use crate::settings::Settings;
use anyhow::{bail, Context, Result};
use shipshape::course_format::{ExerciseMeta, ExerciseSpec, SPEC_FILE};
use shipshape::hints;
use std::path::Path;

/// Where learners run commands from: the repository root, which holds `exercises/`.
const EXERCISES_FROM_ROOT: &str = "exercises";
/// The image map for offline classrooms, relative to the repository root.
const IMAGE_MAP: &str = "tests/images/image-map.toml";
/// The level of the exercise's heading: under the chapter's `## Exercises`.
const LEVEL: usize = 3;
/// Sections the page generates itself, so a README section of the same name is left out.
const REQUIREMENTS: &str = "Requirements";
const CHECK_YOUR_WORK: &str = "Check your work";

/// The Markdown for exercise `name`, placed in `chapter` (a path relative to the source root),
/// given the book's check pages in order.
pub(crate) fn render(name: &str, chapter: &Path, settings: &Settings, order: &[String]) -> Result<String> {
    let dir = settings.exercises.join(name);
    let spec = spec(&dir, name, &settings.exercises)?;
    let about = spec.meta();
    require_chapter(about, chapter)?;
    let folder = format!("{EXERCISES_FROM_ROOT}/{name}");
    let dockerfile = &about.dockerfile;
    let (_, readme) = markdown::take_title(&read(&dir, "README.md")?);
    let root = markdown::path_to_root(chapter);
    let requirements = requirements::table(&spec, order, &root).with_context(|| format!("`{}`", dir.join(SPEC_FILE).display()))?;
    let hints = hints(&read(&dir, hints::FILE)?).with_context(|| format!("`{}`", dir.join(hints::FILE).display()))?;
    let solution = read(&dir, &about.solution)?;
    let parts = [
        heading(LEVEL, title(about, name)),
        meta(&folder, about),
        task(&readme),
        heading(LEVEL + 1, REQUIREMENTS),
        requirements,
        requirement_notes(&readme),
        heading(LEVEL + 1, "Starter Dockerfile"),
        format!("Start from {}:", code_span(&format!("{folder}/{dockerfile}"))),
        fenced("dockerfile", &read(&dir, dockerfile)?),
        heading(LEVEL + 1, CHECK_YOUR_WORK),
        commands(&folder),
        heading(LEVEL + 1, "Hints"),
        hints,
        details("Reference solution", &fenced("dockerfile", &solution)),
    ];
    let parts: Vec<String> = parts.into_iter().filter(|part| !part.is_empty()).collect();
    Ok(parts.join("\n\n") + "\n")
}

/// What the schedule and the measurements need of an exercise, from its exercise.toml.
#[derive(Debug)]
pub(crate) struct About {
    /// Its `title`, or else its folder's name.
    pub title: String,
    /// The chapter it belongs to (a file stem such as `05-distroless`), when it names one.
    pub chapter: Option<String>,
    /// About how long it takes, when it says.
    pub minutes: Option<u32>,
}

/// Exercise `name` in the folder of all exercises, `exercises`, as the schedule and the
/// measurements see it.
pub(crate) fn about(exercises: &Path, name: &str) -> Result<About> {
    let spec = spec(&exercises.join(name), name, exercises)?;
    let about = spec.meta();
    Ok(About { title: title(about, name).to_string(), chapter: about.chapter.clone(), minutes: about.minutes })
}

/// The exercise's spec, read and validated by the `shipshape` library; `exercises` is the folder
/// of all exercises.
fn spec(dir: &Path, name: &str, exercises: &Path) -> Result<ExerciseSpec> {
    if !dir.join(SPEC_FILE).is_file() {
        bail!("there is no exercise `{name}`: no `{name}/{SPEC_FILE}` in `{}` (exercises: {})", exercises.display(), listing(exercises).join(", "));
    }
    ExerciseSpec::open(dir).map_err(anyhow::Error::msg)
}

/// The exercise's `title`, or else its folder's name.
fn title<'a>(about: &'a ExerciseMeta, name: &'a str) -> &'a str {
    Some(about.title.as_str()).filter(|title| !title.is_empty()).unwrap_or(name)
}

/// Fails when exercise.toml names another chapter than the one the directive is in.
fn require_chapter(about: &ExerciseMeta, chapter: &Path) -> Result<()> {
    let here = chapter.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    match about.chapter.as_deref() {
        Some(named) if named != here => bail!(
            "its {SPEC_FILE} says `chapter = \"{named}\"`, but the directive is in `{}`: move the \
             directive to `{named}.md` or change the key",
            chapter.display()
        ),
        _ => Ok(()),
    }
}

/// The line under the heading: where the exercise is, and how long it takes.
fn meta(folder: &str, about: &ExerciseMeta) -> String {
    let minutes = match about.minutes {
        Some(minutes) => format!(" About {minutes} minutes."),
        None => String::new(),
    };
    format!("*Exercise folder: {}.{minutes}*", code_span(folder))
}

/// The README's task (its title already taken): without the sections this page generates,
/// headings moved under the exercise's.
fn task(readme: &str) -> String {
    let kept = markdown::drop_sections(readme, 2, &[REQUIREMENTS, CHECK_YOUR_WORK]);
    markdown::demote(kept.trim(), LEVEL - 1)
}

/// The prose of the README's own "Requirements" section, without the table this page generates.
fn requirement_notes(readme: &str) -> String {
    let body = markdown::section_body(readme, 2, REQUIREMENTS).unwrap_or_default();
    markdown::demote(&markdown::drop_tables(body), LEVEL - 1)
}

fn commands(folder: &str) -> String {
    let online = format!("shipshape check {folder}");
    fenced("sh", &format!("{online}\n# offline, with the workshop's local stand-in images:\n{online} --image-map {IMAGE_MAP}"))
}

/// Each hint of hints.md (read as `shipshape hint` reads it) as a collapsed "Hint N: title".
fn hints(md: &str) -> Result<String> {
    let read = hints::parse(md);
    if read.hints.is_empty() {
        bail!("it has no `## ` sections, one per hint (such as `## What is wrong`, `## Where`, `## How`)");
    }
    let collapsed = read.hints.iter().enumerate().map(|(n, hint)| details(&format!("Hint {}: {}", n + 1, hint.title), &hint.body));
    Ok(std::iter::once(read.preamble).filter(|p| !p.is_empty()).chain(collapsed).collect::<Vec<_>>().join("\n\n"))
}

/// A collapsed block: `summary` shown, `body` (Markdown) revealed on click.
fn details(summary: &str, body: &str) -> String {
    format!("<details>\n<summary>{}</summary>\n\n{}\n\n</details>", escape_html(summary), body.trim())
}

fn heading(level: usize, title: &str) -> String {
    format!("{} {title}", "#".repeat(level))
}

fn read(dir: &Path, file: &str) -> Result<String> {
    let path = dir.join(file);
    std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// The exercises in `dir`: its folders that hold an exercise.toml, sorted.
pub(crate) fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join(SPEC_FILE).is_file())
        .filter_map(|entry| entry.file_name().to_str().map(String::from))
        .collect();
    names.sort();
    names
}
