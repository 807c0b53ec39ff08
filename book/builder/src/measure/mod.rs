//! `measure`: runs the real `shipshape` checker over every exercise's starter and reference
//! solution and publishes the figures in the book: `measurements.md`, the chart
//! `figures/sizes.svg` and the raw `figures/measurements.json`. With `--check` it publishes
//! nothing: it measures, writes the fresh figures to a temporary file, and compares them with the
//! published ones.
//!
//! Must hold: the published page and chart are exactly what the published figures render to, so
//! `--check` also reports a page or chart edited by hand or left stale; nothing under the book's
//! source folder is written in `--check` mode, nor anything at all when a measurement fails.

mod chart;
mod figures;
mod page;
mod runner;

use crate::checker::{Checker, Variant};
use crate::{driver, exercise};
use anyhow::{Context, Result};
use figures::{Exercise, Figures, Setup};
use std::path::{Path, PathBuf};

/// The published files, relative to the book's source folder.
const PAGE: &str = "measurements.md";
const FIGURES: &str = "figures/measurements.json";
const CHART: &str = "figures/sizes.svg";

/// What `measure` was asked to do.
pub(crate) struct Options {
    /// The book's folder, the one holding book.toml.
    pub book: PathBuf,
    /// The image map the builds go through, as given on the command line.
    pub image_map: Option<PathBuf>,
    /// Compare with the published figures instead of publishing.
    pub check: bool,
}

/// How a measurement ended.
pub(crate) enum Outcome {
    /// The figures were written into this source folder.
    Published(PathBuf),
    /// `--check`: the published figures still hold, for this many exercises.
    Holds(usize),
    /// `--check`: they no longer do; the fresh figures are in `fresh`.
    Drifted { lines: Vec<String>, fresh: PathBuf },
}

pub(crate) fn run(options: &Options) -> Result<Outcome> {
    let (src, settings) = driver::sources(&options.book)?;
    let published = match options.check {
        true => Some(Figures::read(&src.join(FIGURES))?),
        false => None,
    };
    let fresh = measure(&settings.exercises, options.image_map.as_deref())?;
    match published {
        Some(published) => compare(&src, &published, &fresh),
        None => publish(&src, &fresh).map(|()| Outcome::Published(src)),
    }
}

/// Measures every exercise in `exercises`, building through `image_map` when given.
fn measure(exercises: &Path, image_map: Option<&Path>) -> Result<Figures> {
    let checker = Checker::start(image_map)?;
    let database = runner::database(&checker)?;
    let measured = exercise::listing(exercises).iter().map(|name| measure_exercise(&checker, exercises, name)).collect::<Result<Vec<_>>>()?;
    Ok(Figures {
        setup: Setup {
            date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            image_map: image_map.map(|map| map.display().to_string()),
            database,
        },
        exercises: measured,
    })
}

fn measure_exercise(checker: &Checker, exercises: &Path, name: &str) -> Result<Exercise> {
    let about = exercise::about(exercises, name)?;
    let dir = exercises.join(name);
    Ok(Exercise {
        name: name.to_string(),
        title: about.title,
        chapter: about.chapter,
        starter: sample(checker, &dir, Variant::Starter)?,
        solution: sample(checker, &dir, Variant::Solution)?,
    })
}

/// Measures one variant of the exercise in `dir`, and says so on stderr.
fn sample(checker: &Checker, dir: &Path, variant: Variant) -> Result<figures::Sample> {
    let sample = runner::measure(checker, dir, variant)?;
    let findings = sample.findings.map_or(String::new(), |f| format!(", {} findings", f.total()));
    eprintln!("measure: {} {}: {}{findings}", dir.file_name().unwrap_or_default().to_string_lossy(), variant.name(), figures::size(sample.size));
    Ok(sample)
}

/// Writes the figures, the chart and the page into the source folder `src`.
fn publish(src: &Path, figures: &Figures) -> Result<()> {
    let files = std::iter::once((FIGURES, figures.to_json())).chain(rendered(figures));
    for (file, content) in files {
        let path = src.join(file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        std::fs::write(&path, content).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(())
}

/// The files rendered from `figures`, with their contents: the chart and the page.
fn rendered(figures: &Figures) -> [(&'static str, String); 2] {
    [(CHART, chart::render(figures)), (PAGE, page::render(figures))]
}

/// Compares `fresh` with the `published` figures and with the files in `src`.
fn compare(src: &Path, published: &Figures, fresh: &Figures) -> Result<Outcome> {
    let mut lines = figures::drift(published, fresh);
    for (file, expected) in rendered(published) {
        if std::fs::read_to_string(src.join(file)).ok().as_deref() != Some(expected.as_str()) {
            lines.push(format!("`{file}` is not what `{FIGURES}` renders to: it was edited by hand or is stale"));
        }
    }
    if lines.is_empty() {
        return Ok(Outcome::Holds(fresh.exercises.len()));
    }
    let file = tempfile::Builder::new().prefix("measurements-").suffix(".json").tempfile().context("cannot create a temporary file for the fresh figures")?;
    std::fs::write(file.path(), fresh.to_json()).with_context(|| format!("cannot write `{}`", file.path().display()))?;
    let (_, fresh_path) = file.keep().context("cannot keep the fresh figures' temporary file")?;
    Ok(Outcome::Drifted { lines, fresh: fresh_path })
}
