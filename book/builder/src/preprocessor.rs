//! The `shipshape` mdBook preprocessor, run in-process: it expands the Shipshape directives in
//! every chapter.
//!
//! - `{{#shipshape-exercise NAME}}`: the exercise in `<exercises>/NAME/` (see `exercise`).
//! - `{{#shipshape-check ID}}`: the documentation of check ID, whole (see `checks`).
//! - `{{#shipshape-schedule}}`: the instructor tracks, laid out on their days (see `schedule`).
//! - `{{#shipshape-report NAME}}`: what `shipshape check` prints on the starter of exercise NAME
//!   (`{{#shipshape-report NAME solution}}`: on its reference solution), run by the real checker
//!   during the build (see `transcript`).
//! - `{{#shipshape-speaker-notes}}`: every chapter's speaker notes, collected (see
//!   `speaker_notes`).
//! - `{{#shipshape-date +N}}`: the date N days after the build, for examples' expiry dates (see
//!   `date`).
//! - `{{#shipshape-support}}`: the support windows of the course's base images, from the
//!   checker's support table (see `support`).
//!
//! Its settings come from `[preprocessor.shipshape]` in book.toml: `exercises` and `checks`, the
//! folders of the exercises and of the check documentation, relative to the book; the image map
//! the reports' builds go through comes from the command line.
//!
//! Must hold: an escaped `\{{#shipshape-...}}` is left alone (mdBook's `links`, which runs next,
//! drops the backslash); an unknown directive, exercise or check fails the build with the
//! chapter and the directive named, and every failure in the book is reported at once.

use crate::directive::{report_target, single_name, DIRECTIVE};
use crate::schedule::Outline;
use crate::settings::{self, Settings};
use crate::speaker_notes::Notes;
use crate::transcript::Reports;
use crate::{checks, date, exercise, schedule, support};
use anyhow::{bail, Result};
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::path::{Path, PathBuf};

/// What directives need to know about the whole book, gathered before any is expanded.
#[derive(Default)]
struct Whole {
    /// The ids of the check pages, in SUMMARY.md order.
    order: Vec<String>,
    /// The chapters that take time, with their exercises.
    outline: Outline,
    /// The chapters' speaker notes.
    notes: Notes,
}

/// The preprocessor, registered with `MDBook::with_preprocessor`.
pub(crate) struct Shipshape {
    settings: Settings,
    reports: Reports,
}

impl Shipshape {
    /// The preprocessor, whose reports build through `image_map` when given.
    pub(crate) fn new(settings: Settings, image_map: Option<PathBuf>) -> Self {
        Shipshape { settings, reports: Reports::new(image_map) }
    }

    /// `content` of `chapter` with its directives expanded, or one message per failed directive.
    fn expand(&self, content: &str, chapter: &Path, book: &Whole) -> Result<String, Vec<String>> {
        let mut out = String::with_capacity(content.len());
        let mut failures = Vec::new();
        let mut copied = 0;
        for caps in DIRECTIVE.captures_iter(content) {
            let (Some(whole), None) = (caps.get(0), caps.get(1)) else {
                continue; // escaped
            };
            out.push_str(&content[copied..whole.start()]);
            copied = whole.end();
            match self.directive(&caps[2], &caps[3], chapter, book) {
                Ok(expansion) => out.push_str(&expansion),
                Err(error) => failures.push(format!("in `{}`, `{}`: {error:#}", chapter.display(), whole.as_str())),
            }
        }
        out.push_str(&content[copied..]);
        if failures.is_empty() {
            Ok(out)
        } else {
            Err(failures)
        }
    }

    fn directive(&self, kind: &str, args: &str, chapter: &Path, book: &Whole) -> Result<String> {
        match kind {
            "exercise" => exercise::render(single_name(args)?, chapter, &self.settings, &book.order),
            "check" => checks::doc(&self.settings.checks, single_name(args)?),
            "schedule" if args.trim().is_empty() => schedule::render(&book.outline, self.settings.schedule.as_ref(), &self.settings.exercises, chapter),
            "speaker-notes" if args.trim().is_empty() => book.notes.render(),
            "report" => {
                let (name, variant) = report_target(args)?;
                self.reports.render(&self.settings.exercises, name, variant)
            }
            "date" => date::render(args, shipshape::clock::today()),
            "support" if args.trim().is_empty() => Ok(support::render(shipshape::support::SupportTable::course())),
            "schedule" | "speaker-notes" | "support" => bail!("it takes no argument, and got `{}`", args.trim()),
            _ => bail!(
                "there is no directive `shipshape-{kind}`: use `shipshape-exercise`, \
                 `shipshape-check`, `shipshape-schedule`, `shipshape-speaker-notes`, `shipshape-report`, \
                 `shipshape-date` or `shipshape-support`"
            ),
        }
    }
}

impl Preprocessor for Shipshape {
    fn name(&self) -> &str {
        settings::NAME
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let whole = Whole { order: checks::page_order(&book), outline: Outline::of(&book), notes: Notes::of(&book) };
        let mut failures = Vec::new();
        book.for_each_chapter_mut(|chapter| {
            let Some(path) = chapter.path.as_deref() else {
                return;
            };
            match self.expand(&chapter.content, path, &whole) {
                Ok(expanded) => chapter.content = expanded,
                Err(mut errors) => failures.append(&mut errors),
            }
        });
        if failures.is_empty() {
            Ok(book)
        } else {
            bail!("{} Shipshape directive(s) could not be expanded:\n- {}", failures.len(), failures.join("\n- "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shipshape() -> Shipshape {
        let missing = PathBuf::from("/nonexistent");
        Shipshape::new(Settings { exercises: missing.clone(), checks: missing, schedule: None }, None)
    }

    #[test]
    fn escaped_directives_and_other_text_pass_through() {
        let text = "a \\{{#shipshape-check size}} b {{#include x.md}}";
        assert_eq!(shipshape().expand(text, Path::new("c.md"), &Whole::default()).unwrap(), text);
    }

    #[test]
    fn bad_directives_are_named_with_their_chapter() {
        let text = "{{#shipshape-chek size}} {{#shipshape-check ../etc}} {{#shipshape-exercise}} \
                    {{#shipshape-schedule today}} {{#shipshape-report}}";
        let failures = shipshape().expand(text, Path::new("c.md"), &Whole::default()).unwrap_err();
        assert_eq!(failures.len(), 5);
        assert!(failures[0].starts_with("in `c.md`, `{{#shipshape-chek size}}`: there is no directive"));
        assert!(failures[1].contains("`../etc` is not a name"));
        assert!(failures[2].contains("exactly one name"));
        assert!(failures[3].contains("takes no argument, and got `today`"));
        assert!(failures[4].contains("an exercise's name, then `starter` or `solution`"));
    }
}
