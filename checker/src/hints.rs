//! An exercise's `hints.md`, as the course format defines it: each `## ` section is one hint (its
//! heading the hint's title, its text the hint), in file order; text before the first one (a
//! title, an introduction) is no hint. `shipshape hint` and the book's exercise pages both read
//! hints through [`parse`], so they always agree on where a hint starts and ends.
//!
//! What must hold: headings are found by a Markdown parser, so a `## ` line inside a code block is
//! part of a hint, never the start of one; a hint ends at the next heading of level 1 or 2.
use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// The file's name in an exercise folder.
pub const FILE: &str = "hints.md";

/// One hint: a `## ` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub title: String,
    /// The section's Markdown, trimmed.
    pub body: String,
}

/// A hints file: what comes before the first hint, and the hints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hints {
    pub preamble: String,
    pub hints: Vec<Hint>,
}

/// A heading of level 1 or 2: whether it is level 2, its plain text, where it is.
struct Heading {
    is_hint: bool,
    title: String,
    range: Range<usize>,
}

pub fn parse(md: &str) -> Hints {
    let headings = headings(md);
    let mut hints = Vec::new();
    for (index, heading) in headings.iter().enumerate().filter(|(_, h)| h.is_hint) {
        let end = headings.get(index + 1).map_or(md.len(), |next| next.range.start);
        hints.push(Hint { title: heading.title.clone(), body: md[heading.range.end..end].trim().to_string() });
    }
    let first = headings.iter().find(|h| h.is_hint).map_or(md.len(), |h| h.range.start);
    Hints { preamble: md[..first].trim().to_string(), hints }
}

/// The headings of level 1 and 2, in order, with their text (code spans included).
fn headings(md: &str) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut open: Option<Heading> = None;
    for (event, range) in Parser::new(md).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level: level @ (HeadingLevel::H1 | HeadingLevel::H2), .. }) => {
                open = Some(Heading { is_hint: level == HeadingLevel::H2, title: String::new(), range });
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some(heading) = open.as_mut() {
                    heading.title.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut heading) = open.take() {
                    heading.title = heading.title.trim().to_string();
                    found.push(heading);
                }
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_come_in_file_order_without_the_title() {
        let hints = parse("# Hints\nintro\n## What is wrong\n\nIt is big.\n\n## Where\nLine 1.\n## How\n- Use\n  distroless.\n");
        assert_eq!(hints.preamble, "# Hints\nintro");
        let titles: Vec<&str> = hints.hints.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(titles, ["What is wrong", "Where", "How"]);
        assert_eq!(hints.hints[0].body, "It is big.");
        assert_eq!(hints.hints[2].body, "- Use\n  distroless.");
    }

    #[test]
    fn a_heading_inside_a_code_block_is_part_of_the_hint() {
        let hints = parse("## Look at `FROM`\n\n```sh\n## not a hint\n```\n\n### Detail\n\nx\n\n## Next\ny\n");
        assert_eq!(hints.hints.len(), 2);
        assert_eq!(hints.hints[0].title, "Look at FROM");
        assert_eq!(hints.hints[0].body, "```sh\n## not a hint\n```\n\n### Detail\n\nx");
        assert_eq!(hints.hints[1].body, "y");
    }
}
