//! Speaker notes, written once beside the chapter they belong to and collected in the
//! instructor guide. A chapter keeps its notes in one collapsed block (as Comprehensive Rust
//! does), which the reader opens on the page:
//!
//! ```html
//! <details class="speaker-notes">
//! <summary>Speaker notes</summary>
//!
//! - what to show, what to ask …
//!
//! </details>
//! ```
//!
//! `{{#shipshape-speaker-notes}}` puts every chapter's notes, in book order, under the chapter's
//! number and title, from that same text: there is no second copy to fall out of step.
//!
//! Must hold: a chapter holds at most one notes block, opened and closed exactly as above, or the
//! directive fails naming the chapter; the notes keep their Markdown as written, so their links
//! must resolve from the guide as from the chapter (both sit at the book's root; the link check
//! fails the build otherwise).

use anyhow::{bail, Result};
use mdbook_preprocessor::book::Book;
use regex::Regex;
use std::path::PathBuf;
use std::sync::LazyLock;

/// The opening of a notes block.
const OPENING: &str = r#"<details class="speaker-notes">"#;

/// A whole notes block: its opening, its summary, the notes and the closing tag.
static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)<details class="speaker-notes">\s*<summary>Speaker notes</summary>\n(.*?)</details>"#).expect("the notes pattern is valid")
});

/// A chapter that holds notes, as read before any directive is expanded.
#[derive(Debug)]
struct Source {
    heading: String,
    path: PathBuf,
    content: String,
}

/// Every chapter that holds a notes block, in book order.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    sources: Vec<Source>,
}

impl Notes {
    /// The chapters of `book` (not yet preprocessed) that hold notes.
    pub(crate) fn of(book: &Book) -> Notes {
        let sources = book
            .chapters()
            .filter(|chapter| chapter.content.contains(OPENING))
            .filter_map(|chapter| {
                let number = chapter.number.as_ref().map(|n| format!("{n} ")).unwrap_or_default();
                Some(Source { heading: format!("{number}{}", chapter.name), path: chapter.path.clone()?, content: chapter.content.clone() })
            })
            .collect();
        Notes { sources }
    }

    /// The directive's expansion: each chapter's notes under its heading.
    pub(crate) fn render(&self) -> Result<String> {
        if self.sources.is_empty() {
            bail!("no chapter holds speaker notes: add a `{OPENING}` block to the chapters");
        }
        let sections = self.sources.iter().map(|source| Ok(format!("### {}\n\n{}", source.heading, notes(source)?.trim()))).collect::<Result<Vec<_>>>()?;
        Ok(sections.join("\n\n"))
    }
}

/// The notes of `source`, or why its block is not one.
fn notes(source: &Source) -> Result<&str> {
    let blocks: Vec<&str> = BLOCK.captures_iter(&source.content).map(|caps| caps.get(1).map_or("", |m| m.as_str())).collect();
    let openings = source.content.matches(OPENING).count();
    match blocks[..] {
        [one] if openings == 1 => Ok(one),
        _ if openings > 1 => bail!("`{}` has {openings} speaker-notes blocks: keep one per chapter", source.path.display()),
        _ => bail!(
            "`{}` opens a speaker-notes block that is not `{OPENING}`, `<summary>Speaker notes</summary>` on its own line, \
             the notes, then `</details>`",
            source.path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(content: &str) -> Source {
        Source { heading: "1. A".into(), path: PathBuf::from("a.md"), content: content.into() }
    }

    #[test]
    fn the_block_gives_its_notes_as_written() {
        let chapter = "# A\n\ntext\n\n<details class=\"speaker-notes\">\n<summary>Speaker notes</summary>\n\n- ask [why](b.md)\n\n</details>\n\n## Exercises\n";
        assert_eq!(notes(&source(chapter)).unwrap().trim(), "- ask [why](b.md)");
        let notes = Notes { sources: vec![source(chapter)] };
        assert_eq!(notes.render().unwrap(), "### 1. A\n\n- ask [why](b.md)");
    }

    #[test]
    fn a_broken_or_second_block_is_named() {
        let unclosed = "<details class=\"speaker-notes\">\n<summary>Speaker notes</summary>\n- x\n";
        assert!(notes(&source(unclosed)).unwrap_err().to_string().contains("`a.md` opens a speaker-notes block that is not"));
        let block = "<details class=\"speaker-notes\">\n<summary>Speaker notes</summary>\n- x\n</details>\n";
        assert!(notes(&source(&block.repeat(2))).unwrap_err().to_string().contains("`a.md` has 2 speaker-notes blocks"));
        assert!(Notes::default().render().unwrap_err().to_string().contains("no chapter holds speaker notes"));
    }
}
