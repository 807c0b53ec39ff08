//! Files pulled into chapters by `{{#include}}`, `{{#rustdoc_include}}` and `{{#playground}}`.
//! mdBook only logs a file it cannot read and leaves the directive in the page; this check makes
//! it fail the build instead.
//!
//! Must hold: directives are found the way mdBook's `links` preprocessor finds them (the same
//! pattern, so escaped `\{{#include ...}}` is skipped), paths resolve the way it resolves them
//! (relative to the including file, `:lines` or `:anchor` stripped), and includes inside included
//! files are followed to mdBook's depth limit.

use anyhow::{bail, Result};
use mdbook_preprocessor::book::Book;
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

/// mdBook's own pattern: an escaped directive, or `{{#TYPE ARGUMENTS}}`.
static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\\{\{\#.*\}\}|\{\{\s*\#([a-zA-Z0-9_]+)\s+([^}]+)\}\}").expect("the include pattern is valid"));

/// The directives that read a file (`playpen` is the old name of `playground`).
const FILE_DIRECTIVES: [&str; 4] = ["include", "rustdoc_include", "playground", "playpen"];

/// How deep mdBook follows includes inside included files.
const MAX_DEPTH: usize = 10;

/// Fails when a chapter of `book` (read from `src`, not yet preprocessed) includes a file that
/// cannot be read.
pub(crate) fn check(book: &Book, src: &Path) -> Result<()> {
    let mut missing = Vec::new();
    for chapter in book.chapters() {
        if let Some(source) = chapter.source_path.as_deref() {
            let dir = src.join(source).parent().unwrap_or(src).to_path_buf();
            scan(&chapter.content, &dir, source, 0, &mut missing);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    bail!("{} include(s) cannot be read:\n- {}", missing.len(), missing.join("\n- "))
}

/// Checks the includes in `content`, a file in `dir`, on behalf of `chapter`.
fn scan(content: &str, dir: &Path, chapter: &Path, depth: usize, missing: &mut Vec<String>) {
    for caps in DIRECTIVE.captures_iter(content) {
        let (Some(whole), Some(kind), Some(args)) = (caps.get(0), caps.get(1), caps.get(2)) else {
            continue; // escaped
        };
        if !FILE_DIRECTIVES.contains(&kind.as_str()) {
            continue;
        }
        let file = args.as_str().split_whitespace().next().unwrap_or_default();
        let path = dir.join(file.split(':').next().unwrap_or_default());
        match std::fs::read_to_string(&path) {
            Ok(included) if depth < MAX_DEPTH => {
                let parent = path.parent().unwrap_or(dir);
                scan(&included, parent, chapter, depth + 1, missing);
            }
            Ok(_) => {}
            Err(error) => missing.push(format!("in `{}`, `{}`: cannot read `{}`: {error}", chapter.display(), whole.as_str(), path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_named_and_escapes_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("a.md"), "{{#include b.md:3:5}}").expect("write a.md");
        let text = "{{#include a.md}} {{#title T}} {{#shipshape-check size}} \\{{#include nope.md}}";
        let mut missing = Vec::new();
        scan(text, dir.path(), Path::new("c.md"), 0, &mut missing);
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(missing[0].starts_with("in `c.md`, `{{#include b.md:3:5}}`: cannot read `"));
    }
}
