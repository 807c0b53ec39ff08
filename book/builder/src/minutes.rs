//! The `<!-- minutes: N -->` comment each chapter starts with: how long the chapter takes to
//! teach, its exercises not included (those have `minutes` in their exercise.toml). The schedule
//! of the instructor guide adds them up (see `schedule`).
//!
//! Must hold: every chapter in SUMMARY.md starts with the comment (0 for a page that is not
//! taught, such as the instructor guide), except the check reference pages, which hold only a
//! directive; a chapter without it fails the build, and every such chapter is named at once.

use crate::checks;
use anyhow::{bail, Result};
use mdbook_preprocessor::book::{Book, Chapter};
use regex::Regex;
use std::sync::LazyLock;

/// The comment, at the very start of the chapter (blank lines before it allowed).
static COMMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*<!--\s*minutes:\s*(\d{1,4})\s*-->").expect("the minutes pattern is valid"));

/// The minutes a chapter's `content` starts with, if it starts with the comment.
pub(crate) fn of(content: &str) -> Option<u32> {
    COMMENT.captures(content)?[1].parse().ok()
}

/// The chapters that must carry minutes: every chapter with a file, except the check pages.
pub(crate) fn timed(book: &Book) -> impl Iterator<Item = &Chapter> {
    book.chapters().filter(|chapter| chapter.path.as_deref().is_some_and(|path| !checks::is_page(path)))
}

/// Fails when a chapter of `book` (not yet preprocessed) does not start with its minutes.
pub(crate) fn check(book: &Book) -> Result<()> {
    let missing: Vec<String> =
        timed(book).filter(|chapter| of(&chapter.content).is_none()).filter_map(|chapter| Some(format!("`{}`", chapter.path.as_deref()?.display()))).collect();
    if missing.is_empty() {
        return Ok(());
    }
    bail!(
        "{} chapter(s) do not start with a minutes comment: {}. Make `<!-- minutes: N -->` the \
         first line of each, N being the minutes it takes to teach without its exercises (0 for \
         a page that is not taught); the instructor guide's schedule is built from them",
        missing.len(),
        missing.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comment_must_open_the_chapter() {
        assert_eq!(of("<!-- minutes: 25 -->\n# Anatomy"), Some(25));
        assert_eq!(of("\n<!--minutes:0-->"), Some(0));
        assert_eq!(of("# Anatomy\n<!-- minutes: 25 -->"), None);
        assert_eq!(of("<!-- minutes: soon -->"), None);
        assert_eq!(of("<!-- duration: 5 -->"), None);
    }
}
