//! Loading, checking and rendering the book through `mdbook-driver`, with the Shipshape
//! preprocessor registered in-process.
//!
//! Must hold: `build` renders only a book that passed every check of `check` (includes and minutes
//! in the sources, directives, a page per documented check, internal links in the expanded
//! chapters), so a broken book never overwrites a good build with a half-rendered one.

use crate::preprocessor::Shipshape;
use crate::settings::Settings;
use crate::{checks, includes, links, minutes};
use anyhow::{Context, Result};
use mdbook_driver::MDBook;
use mdbook_html::HtmlHandlebars;
use mdbook_markdown::MarkdownOptions;
use mdbook_preprocessor::config::Config;
use std::path::{Path, PathBuf};

/// The course book: this crate lives in `book/builder`, the book one folder up.
pub(crate) const DEFAULT_BOOK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Runs every check on the book at `root` without writing anything; its reports build through
/// `image_map` when given.
pub(crate) fn check(root: &Path, image_map: Option<&Path>) -> Result<()> {
    let (book, settings) = load(root, image_map)?;
    verify(&book, &settings)
}

/// Checks the book at `root`, then renders it to HTML in `dest` (or the book's `build-dir`); its
/// reports build through `image_map` when given. Returns the folder the HTML went to.
pub(crate) fn build(root: &Path, dest: Option<&Path>, image_map: Option<&Path>) -> Result<PathBuf> {
    let (mut book, settings) = load(root, image_map)?;
    if let Some(dest) = dest {
        book.config.build.build_dir = std::path::absolute(dest).with_context(|| format!("cannot use `{}` as the destination", dest.display()))?;
    }
    verify(&book, &settings)?;
    book.build().context("mdBook could not render the book")?;
    let out = book.build_dir_for("html");
    Ok(out.canonicalize().unwrap_or(out))
}

/// The source folder of the book at `root`, and where its directives find their sources, from
/// its book.toml alone (the chapters need not be complete).
pub(crate) fn sources(root: &Path) -> Result<(PathBuf, Settings)> {
    let root = root.canonicalize().with_context(|| format!("there is no book folder `{}`", root.display()))?;
    let toml = root.join("book.toml");
    let config = Config::from_disk(&toml).with_context(|| format!("cannot read the book's `{}`", toml.display()))?;
    let settings = Settings::from_config(&root, &config)?;
    Ok((root.join(&config.book.src), settings))
}

/// Loads the book and registers the Shipshape preprocessor, configured from its book.toml and
/// `image_map`.
fn load(root: &Path, image_map: Option<&Path>) -> Result<(MDBook, Settings)> {
    let root = root.canonicalize().with_context(|| format!("there is no book folder `{}`", root.display()))?;
    let mut book = MDBook::load(&root).with_context(|| format!("cannot load the book in `{}`", root.display()))?;
    let settings = Settings::from_config(&root, &book.config)?;
    book.with_preprocessor(Shipshape::new(settings.clone(), image_map.map(Path::to_path_buf)));
    Ok((book, settings))
}

/// Every check, in the order a reader would fix them: includes and minutes in the sources first,
/// then the expanded book's directives, check pages and links.
fn verify(book: &MDBook, settings: &Settings) -> Result<()> {
    let src = book.source_dir();
    includes::check(&book.book, &src)?;
    minutes::check(&book.book)?;
    let (expanded, _) = book.preprocess_book(&HtmlHandlebars::new())?;
    checks::require_pages(&settings.checks, &expanded)?;
    links::check(&expanded, &src, &markdown_options(book))
}

/// The Markdown options the HTML renderer uses, so heading ids are computed the same way.
fn markdown_options(book: &MDBook) -> MarkdownOptions {
    let html = book.config.html_config().unwrap_or_default();
    let mut options = MarkdownOptions::default();
    options.smart_punctuation = html.smart_punctuation;
    options.definition_lists = html.definition_lists;
    options.admonitions = html.admonitions;
    options
}
