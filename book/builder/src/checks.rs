//! The checks' documentation and the book's check pages.
//!
//! A check's documentation is `<checks folder>/<id>.md` (`checker/docs/checks`: the same text
//! `shipshape explain ID` prints); its page in the book is `checks/<id>.md`, listed in SUMMARY.md
//! under "Check reference" and holding just `{{#shipshape-check <id>}}`.
//!
//! Must hold: every documented check has a page, so the `doc` field of a report
//! (`checks/<id>.html`) resolves; the book's check pages, in SUMMARY.md order (the checker's
//! registry order), are the list of checks an exercise may require.

use anyhow::{bail, Context, Result};
use mdbook_preprocessor::book::Book;
use std::path::Path;

/// The folder of the check pages, relative to the book's source root.
const PAGE_DIR: &str = "checks";

/// The page of check `id`, relative to the book's source root.
pub(crate) fn page(id: &str) -> String {
    format!("{PAGE_DIR}/{id}.md")
}

/// The documentation of check `id`, whole, its `# ` heading included.
pub(crate) fn doc(dir: &Path, id: &str) -> Result<String> {
    let path = dir.join(format!("{id}.md"));
    if !path.is_file() {
        bail!("there is no check `{id}`: no `{id}.md` in `{}` (documented checks: {})", dir.display(), documented(dir)?.join(", "));
    }
    std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// The ids of the book's check pages, in SUMMARY.md order.
pub(crate) fn page_order(book: &Book) -> Vec<String> {
    book.chapters().filter_map(|chapter| chapter.path.as_deref()).filter(|path| is_page(path)).filter_map(md_stem).collect()
}

/// Whether the chapter at `path` (relative to the source root) is a check page.
pub(crate) fn is_page(path: &Path) -> bool {
    path.parent() == Some(Path::new(PAGE_DIR))
}

/// Fails unless every check documented in `dir` has its page in the book.
pub(crate) fn require_pages(dir: &Path, book: &Book) -> Result<()> {
    let pages = page_order(book);
    let missing: Vec<String> = documented(dir)?.into_iter().filter(|id| !pages.contains(id)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let entries: Vec<String> = missing.iter().map(|id| format!("`- [{id}]({})`", page(id))).collect();
    bail!(
        "the book has no page for the documented check(s) {}, so a report's `doc` link to them \
         would be broken: add {} under \"Check reference\" in SUMMARY.md, each page holding just \
         the shipshape-check directive for its id",
        missing.join(", "),
        entries.join(" and ")
    )
}

/// The ids of the checks documented in `dir`, sorted.
fn documented(dir: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list the check documentation in `{}`", dir.display()))?;
    let mut ids: Vec<String> = entries.filter_map(|entry| md_stem(&entry.ok()?.path())).collect();
    ids.sort();
    Ok(ids)
}

/// The id a Markdown file stands for: its name without `.md`; `None` for other files.
fn md_stem(path: &Path) -> Option<String> {
    if path.extension()? != "md" {
        return None;
    }
    path.file_stem()?.to_str().map(String::from)
}
