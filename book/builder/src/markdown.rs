//! Markdown text helpers for generated pages: code spans and fences (the `shipshape` library's,
//! which the checks' descriptions use too) and table cells that stay intact whatever text they
//! hold, HTML escaping, and heading-aware edits (split into sections, drop a section, shift
//! heading levels).
//!
//! Must hold: headings are found by a real Markdown parser, so a `#` line inside a code block is
//! never taken for a heading, and edits keep every byte outside the headings they touch.

use mdbook_markdown::pulldown_cmark::{Event, Tag, TagEnd};
use mdbook_markdown::{new_cmark_parser, MarkdownOptions};
use std::ops::Range;
use std::path::Path;

/// Code spans and fences, as the checks' descriptions write them too.
pub(crate) use shipshape::markdown::{code_span, fenced};

/// A heading: its level (1 to 6), its plain text and where it is in the source.
#[derive(Debug)]
pub(crate) struct Heading {
    pub level: usize,
    pub title: String,
    range: Range<usize>,
}

/// A heading and the text under it, up to the next heading of the same or a higher level.
#[derive(Debug)]
pub(crate) struct Section<'a> {
    pub heading: Heading,
    pub body: &'a str,
    whole: Range<usize>,
}

/// `text` made safe for one cell of a Markdown table: one line, pipes escaped.
pub(crate) fn table_cell(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")
}

/// `text` made safe as HTML text (`&`, `<` and `>`), through html-escape, the crate the
/// workspace escapes HTML with.
pub(crate) fn escape_html(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// The relative path from a chapter (`a/b.md`) up to the book's source root (`../`).
pub(crate) fn path_to_root(chapter: &Path) -> String {
    "../".repeat(chapter.components().count().saturating_sub(1))
}

/// Every heading in `md`, in order.
pub(crate) fn headings(md: &str) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut open: Option<(usize, Range<usize>, String)> = None;
    for (event, range) in new_cmark_parser(md, &MarkdownOptions::default()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                open = Some((level as usize, range, String::new()));
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, _, title)) = open.as_mut() {
                    title.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, range, title)) = open.take() {
                    found.push(Heading { level, title: title.trim().to_string(), range });
                }
            }
            _ => {}
        }
    }
    found
}

/// The text before the first heading of `level`, and the sections at that level.
pub(crate) fn sections(md: &str, level: usize) -> (&str, Vec<Section<'_>>) {
    let all = headings(md);
    let mut sections = Vec::new();
    for (index, heading) in all.iter().enumerate().filter(|(_, h)| h.level == level) {
        let end = all[index + 1..].iter().find(|next| next.level <= level).map_or(md.len(), |next| next.range.start);
        let body = md[heading.range.end..end].trim_matches('\n');
        let whole = heading.range.start..end;
        let heading = Heading { level, title: heading.title.clone(), range: heading.range.clone() };
        sections.push(Section { heading, body, whole });
    }
    let preamble_end = sections.first().map_or(md.len(), |s| s.whole.start);
    (md[..preamble_end].trim(), sections)
}

/// `md` without its first heading if that is a level-1 title, and the title's text.
pub(crate) fn take_title(md: &str) -> (Option<String>, String) {
    match headings(md).into_iter().next() {
        Some(first) if first.level == 1 => {
            let rest = format!("{}{}", &md[..first.range.start], &md[first.range.end..]);
            (Some(first.title), rest.trim().to_string())
        }
        _ => (None, md.trim().to_string()),
    }
}

/// `md` without the sections at `level` whose title is one of `titles`.
pub(crate) fn drop_sections(md: &str, level: usize, titles: &[&str]) -> String {
    let (_, sections) = sections(md, level);
    let cuts = sections.into_iter().filter(|s| titles.contains(&s.heading.title.as_str())).map(|s| (s.whole, String::new())).collect();
    replace_ranges(md, cuts)
}

/// The body of the section at `level` titled `title`, if `md` has one.
pub(crate) fn section_body<'a>(md: &'a str, level: usize, title: &str) -> Option<&'a str> {
    sections(md, level).1.into_iter().find(|s| s.heading.title == title).map(|s| s.body)
}

/// `md` without its tables.
pub(crate) fn drop_tables(md: &str) -> String {
    let tables = new_cmark_parser(md, &MarkdownOptions::default())
        .into_offset_iter()
        .filter(|(event, _)| matches!(event, Event::Start(Tag::Table(_))))
        .map(|(_, range)| (range, String::new()))
        .collect();
    replace_ranges(md, tables).trim().to_string()
}

/// `md` with every heading `by` levels deeper (at most level 6), rewritten in ATX form.
pub(crate) fn demote(md: &str, by: usize) -> String {
    let edits = headings(md)
        .into_iter()
        .map(|h| {
            let source = &md[h.range.clone()];
            let text = match source.trim_start().strip_prefix('#') {
                // ATX: keep everything after the hashes (text, closing hashes, attributes).
                Some(_) => source.trim_start().trim_start_matches('#').trim_start().to_string(),
                // Setext: the text is the first line; the underline goes.
                None => format!("{}\n", source.lines().next().unwrap_or("").trim()),
            };
            let hashes = "#".repeat((h.level + by).min(6));
            (h.range, format!("{hashes} {text}"))
        })
        .collect();
    replace_ranges(md, edits)
}

/// `md` with each range replaced; the ranges must not overlap.
fn replace_ranges(md: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = md.to_string();
    for (range, replacement) in edits {
        out.replace_range(range, &replacement);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Title\n\nIntro.\n\n## Goal\n\nDo it.\n\n```sh\n# not a heading\n```\n\n\
                       ## Requirements\n\n| a |\n| - |\n\n### Detail\n\nx\n\n## Check your work\n\nrun\n";

    #[test]
    fn table_cells_are_one_line_without_bare_pipes() {
        assert_eq!(table_cell("a | b\n  c"), "a \\| b c");
    }

    #[test]
    fn headings_ignore_code_blocks() {
        let titles: Vec<_> = headings(DOC).into_iter().map(|h| (h.level, h.title)).collect();
        assert_eq!(titles, [(1, "Title"), (2, "Goal"), (2, "Requirements"), (3, "Detail"), (2, "Check your work")].map(|(l, t)| (l, t.to_string())));
    }

    #[test]
    fn sections_split_at_their_level() {
        let (preamble, sections) = sections(DOC, 2);
        assert_eq!(preamble, "# Title\n\nIntro.");
        assert_eq!(sections.len(), 3);
        assert_eq!(sections[1].heading.title, "Requirements");
        assert_eq!(sections[1].body, "| a |\n| - |\n\n### Detail\n\nx");
    }

    #[test]
    fn title_removal_section_drop_and_demotion() {
        let (title, rest) = take_title(DOC);
        assert_eq!(title.as_deref(), Some("Title"));
        let kept = drop_sections(&rest, 2, &["Requirements", "Check your work"]);
        assert_eq!(kept, "Intro.\n\n## Goal\n\nDo it.\n\n```sh\n# not a heading\n```\n\n");
        assert_eq!(demote("## Goal\n\nSub\n---\n", 2), "#### Goal\n\n#### Sub\n");
        assert_eq!(demote("##### Deep", 3), "###### Deep");
    }

    #[test]
    fn a_section_body_without_its_tables() {
        let body = section_body(DOC, 2, "Requirements").unwrap();
        assert_eq!(drop_tables(body), "### Detail\n\nx");
        assert_eq!(section_body(DOC, 2, "Missing"), None);
    }

    #[test]
    fn path_to_root_climbs_one_folder_per_level() {
        assert_eq!(path_to_root(Path::new("05-distroless.md")), "");
        assert_eq!(path_to_root(Path::new("checks/size.md")), "../");
    }
}
