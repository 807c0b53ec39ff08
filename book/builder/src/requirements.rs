//! The requirements table of an exercise page, from its spec as the `shipshape` library reads it:
//! one row per required check, with the check's id linking to its page, what the check asks in
//! its own words (`RequiredCheck::asks`: its settings, such as "The image is at most 20 MB.", or
//! else the lead of its documentation), and the exercise's `why`.
//!
//! Must hold: rows come in registry order (the order reports list checks in, and the book's check
//! pages); a check the book has no page for is an error. No setting is read or defaulted here.

use crate::{checks, markdown};
use anyhow::{bail, Result};
use shipshape::course_format::{ExerciseSpec, RequiredCheck};

/// The Markdown table for the checks `spec` requires, given the book's check pages in order, with
/// links relative to `root`.
pub(crate) fn table(spec: &ExerciseSpec, pages: &[String], root: &str) -> Result<String> {
    let rows = spec.requirements().map(|required| row(&required, pages, root)).collect::<Result<Vec<_>>>()?;
    Ok(format!("| Check | What it asks | Why |\n| --- | --- | --- |\n{}", rows.concat()))
}

/// One row of the table: the check's link, what it asks, and why the exercise asks for it.
fn row(required: &RequiredCheck<'_>, pages: &[String], root: &str) -> Result<String> {
    let id = required.id();
    if !pages.iter().any(|page| page == id) {
        bail!("it requires `[checks.{id}]`, but the book has no check page `{}` (checks: {})", checks::page(id), pages.join(", "));
    }
    let link = format!("[{}]({root}{})", markdown::code_span(id), checks::page(id));
    let cells = [link, required.asks(), required.why().unwrap_or_default().to_string()].map(|cell| markdown::table_cell(&cell));
    Ok(format!("| {} |\n", cells.join(" | ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec of an exercise folder holding `text` as its exercise.toml.
    fn spec(text: &str) -> ExerciseSpec {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(shipshape::course_format::SPEC_FILE), text).expect("write the spec");
        ExerciseSpec::open(dir.path()).expect("the spec is valid")
    }

    #[test]
    fn rows_in_registry_order_with_links_words_and_why() {
        let spec = spec("[checks.no-shell]\nallow = [\"shell\"]\n[checks.size]\nmax = \"20 MB\"\nwhy = \"Pulls | scans.\"\n");
        let pages = ["size", "no-shell"].map(String::from);
        assert_eq!(
            table(&spec, &pages, "../").unwrap(),
            "| Check | What it asks | Why |\n| --- | --- | --- |\n\
             | [`size`](../checks/size.md) | The image is at most 20 MB. | Pulls \\| scans. |\n\
             | [`no-shell`](../checks/no-shell.md) | The final image contains no shell, under its own name or any other. Allowed here: `shell`. |  |\n"
        );
    }

    #[test]
    fn a_check_without_a_page_is_an_error() {
        let error = table(&spec("[checks.size]\nmax = \"1 kB\"\n"), &["no-shell".to_string()], "").unwrap_err().to_string();
        assert_eq!(error, "it requires `[checks.size]`, but the book has no check page `checks/size.md` (checks: no-shell)");
    }
}
