//! Links in the expanded book: every internal link must resolve, and every external one must be
//! a well-formed URL (nothing is fetched: the check works offline).
//!
//! A link is any Markdown link or image, and any `href`/`src` in raw HTML, in every chapter after
//! the directives and includes are expanded. An internal link resolves when its path, relative to
//! its chapter, is a chapter in SUMMARY.md (`.md`, or its `.html`), a generated page, or a file in
//! the source folder; and when its `#fragment`, on a chapter, is the id of a heading there.
//!
//! Must hold: heading ids are computed as mdBook's HTML renderer computes them (plain text of the
//! heading, lowercased, spaces to `-`, other punctuation dropped, `-1`, `-2`... for repeats, an
//! explicit `{#id}` kept), with the renderer's Markdown options; every broken link in the book is
//! reported at once, each with its chapter.

use anyhow::{bail, Result};
use mdbook_markdown::pulldown_cmark::{Event, LinkType, Tag, TagEnd};
use mdbook_markdown::{new_cmark_parser, MarkdownOptions};
use mdbook_preprocessor::book::Book;
use regex::Regex;
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

/// Pages the HTML renderer writes besides the chapters.
const GENERATED_PAGES: [&str; 1] = ["print.html"];

/// A URL scheme, as mdBook recognizes one (`https:`, `mailto:`...).
static SCHEME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-zA-Z][a-zA-Z0-9+.-]*:").expect("the scheme pattern is valid"));

/// An `href`, `src` or `id` attribute in raw HTML, with its quoted value.
static ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)(?:^|\s)(href|src|id)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("the attribute pattern is valid"));

/// What a chapter offers to links (its ids) and what it links to.
#[derive(Debug, Default)]
struct Page {
    ids: HashSet<String>,
    links: Vec<String>,
}

/// Fails when a link in `book` (expanded, with sources in `src`) is broken.
pub(crate) fn check(book: &Book, src: &Path, options: &MarkdownOptions) -> Result<()> {
    let pages: Vec<(&Path, Page)> = book.chapters().filter_map(|chapter| Some((chapter.path.as_deref()?, parse(&chapter.content, options)))).collect();
    let mut broken = Vec::new();
    for (chapter, page) in &pages {
        for link in &page.links {
            if let Err(problem) = resolve(link, chapter, &pages, src) {
                broken.push(format!("in `{}`, link `{link}`: {problem}", chapter.display()));
            }
        }
    }
    if broken.is_empty() {
        return Ok(());
    }
    bail!("{} broken link(s):\n- {}", broken.len(), broken.join("\n- "))
}

/// The ids and links of one chapter's Markdown.
fn parse(content: &str, options: &MarkdownOptions) -> Page {
    let mut page = Page::default();
    let mut generated = HashSet::new();
    let mut heading: Option<(Option<String>, String)> = None;
    for event in new_cmark_parser(content, options) {
        match event {
            Event::Start(Tag::Heading { id, .. }) => {
                heading = Some((id.map(|id| id.to_string()), String::new()));
            }
            Event::Start(Tag::DefinitionListTitle) => heading = Some((None, String::new())),
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, plain)) = heading.as_mut() {
                    plain.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_) | TagEnd::DefinitionListTitle) => {
                if let Some((explicit, plain)) = heading.take() {
                    let id = explicit.unwrap_or_else(|| unique(&id_from_text(&plain), &mut generated));
                    page.ids.insert(id);
                }
            }
            Event::Start(Tag::Link { link_type, dest_url, .. }) if link_type != LinkType::Email => {
                page.links.push(dest_url.to_string());
            }
            Event::Start(Tag::Image { dest_url, .. }) => page.links.push(dest_url.to_string()),
            Event::Html(html) | Event::InlineHtml(html) => {
                for caps in ATTRIBUTE.captures_iter(&html) {
                    let value = caps.get(2).or(caps.get(3)).map_or("", |m| m.as_str()).to_string();
                    if caps[1].eq_ignore_ascii_case("id") {
                        page.ids.insert(value);
                    } else {
                        page.links.push(value);
                    }
                }
            }
            _ => {}
        }
    }
    page
}

/// Why `link`, in chapter `from`, does not resolve.
fn resolve(link: &str, from: &Path, pages: &[(&Path, Page)], src: &Path) -> Result<(), String> {
    let lower = link.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || link.starts_with("//") {
        return well_formed(link);
    }
    if SCHEME.is_match(link) {
        return Ok(()); // mailto:, tel:... nothing to check offline
    }
    if link.starts_with('/') {
        return Err("an absolute path breaks when the book is served from a sub-folder: \
                    make it relative to this page"
            .to_string());
    }
    let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
    let path = path.split('?').next().unwrap_or_default();
    let target = match path {
        "" => from.to_path_buf(),
        _ => join(from, path).ok_or("it points outside the book")?,
    };
    let shown = target.display();
    let chapter = match target.extension().and_then(|ext| ext.to_str()) {
        Some("md") => Some(target.clone()),
        Some("html") => Some(target.with_extension("md")),
        _ => None,
    };
    let page = chapter.and_then(|chapter| pages.iter().find(|(path, _)| *path == chapter));
    match page.map(|(_, page)| page) {
        Some(page) if fragment.is_empty() || page.ids.contains(fragment) => Ok(()),
        Some(_) => Err(format!("`{shown}` has no heading or element with the id `{fragment}`")),
        None if target.extension().is_some_and(|ext| ext == "md") => Err(format!("there is no chapter `{shown}` in SUMMARY.md")),
        None if src.join(&target).is_file() || GENERATED_PAGES.contains(&target.to_str().unwrap_or_default()) => Ok(()),
        None => Err(format!("there is no chapter, page or file `{shown}` in the book")),
    }
}

/// An external link: it must parse as a URL with a host.
fn well_formed(link: &str) -> Result<(), String> {
    let absolute = if link.starts_with("//") { format!("https:{link}") } else { link.to_string() };
    match url::Url::parse(&absolute) {
        Ok(url) if url.host_str().is_some_and(|host| !host.is_empty()) => Ok(()),
        Ok(_) => Err("the URL has no host".to_string()),
        Err(error) => Err(format!("not a well-formed URL ({error})")),
    }
}

/// `relative`, seen from chapter `from`, as a path from the source root; `None` above the root.
fn join(from: &Path, relative: &str) -> Option<PathBuf> {
    let joined = from.parent().unwrap_or(Path::new("")).join(relative);
    let mut parts = Vec::new();
    for component in joined.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop()?;
            }
            _ => {}
        }
    }
    Some(parts.iter().collect())
}

/// A heading's id from its plain text, as mdBook's HTML renderer makes it.
fn id_from_text(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
            c if c.is_whitespace() => Some('-'),
            _ => None,
        })
        .collect()
}

/// `id`, or `id-1`, `id-2`... whichever is not yet in `used`.
fn unique(id: &str, used: &mut HashSet<String>) -> String {
    let mut candidate = id.to_string();
    let mut suffix = 0;
    while used.contains(&candidate) {
        suffix += 1;
        candidate = format!("{id}-{suffix}");
    }
    used.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAPTER: &str = concat!(
        "# Why size matters\n\n## `COPY --from` and --target\n\n## Why size matters\n\n",
        "## Pinned {#pins}\n\n<a id=\"raw\"></a>\n\n[ok](#why-size-matters-1) [b](other.md#nope) ",
        "<a href='x/y.png'>i</a> <john@example.org> [e](https://example.com/a) ",
        "[bad](<https://exa mple.com>)\n",
    );

    fn page() -> Page {
        parse(CHAPTER, &MarkdownOptions::default())
    }

    #[test]
    fn ids_match_the_html_renderer() {
        let mut ids: Vec<_> = page().ids.into_iter().collect();
        ids.sort();
        assert_eq!(ids, ["copy---from-and-target", "pins", "raw", "why-size-matters", "why-size-matters-1"]);
    }

    #[test]
    fn links_come_from_markdown_and_raw_html() {
        assert_eq!(page().links, ["#why-size-matters-1", "other.md#nope", "x/y.png", "https://example.com/a", "https://exa mple.com"]);
    }

    #[test]
    fn resolution_names_the_problem() {
        let other = parse("# Other\n", &MarkdownOptions::default());
        let pages = [(Path::new("a/this.md"), page()), (Path::new("a/other.md"), other)];
        let src = Path::new("/nonexistent");
        let from = Path::new("a/this.md");
        let ok = ["#raw", "other.md", "other.html#other", "../a/other.md", "mailto:x@y.z", "https://example.com"];
        for link in ok {
            assert_eq!(resolve(link, from, &pages, src), Ok(()), "{link}");
        }
        let broken = [
            ("other.md#nope", "`a/other.md` has no heading or element with the id `nope`"),
            ("gone.md", "there is no chapter `a/gone.md` in SUMMARY.md"),
            ("x/y.png", "there is no chapter, page or file `a/x/y.png` in the book"),
            ("../../up.md", "it points outside the book"),
        ];
        for (link, problem) in broken {
            assert_eq!(resolve(link, from, &pages, src), Err(problem.to_string()), "{link}");
        }
        assert!(resolve("https://exa mple.com", from, &pages, src).unwrap_err().starts_with("not a well-formed URL"));
        assert!(resolve("/abs.md", from, &pages, src).unwrap_err().starts_with("an absolute path"));
    }
}
