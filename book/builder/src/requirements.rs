//! The requirements table of an exercise page, generated from the `[checks.<id>]` tables of its
//! exercise.toml: one row per required check, with the check's id linking to its page, what the
//! check asks in words (its settings, such as "The image is at most 20 MB.", or else the first
//! sentence of its documentation), and the exercise's `why`.
//!
//! Must hold: rows follow the book's check pages (the order reports list checks in); a check the
//! book has no page for is an error; settings are read leniently (a missing or odd value falls
//! back to the documentation's wording), because the checker validates specs strictly.

use crate::{checks, markdown};
use anyhow::{bail, Result};
use std::path::Path;
use toml::{Table, Value};

/// What the hardened run of the `runs` check does, in words.
const HARDENED: &str = "Run read-only and without capabilities";

/// The Markdown table for `required` (the `[checks]` table), with links relative to `root`.
pub(crate) fn table(required: &Table, order: &[String], docs: &Path, root: &str) -> Result<String> {
    if let Some(unknown) = required.keys().find(|id| !order.contains(id)) {
        bail!("it requires `[checks.{unknown}]`, but the book has no check page `{}` (checks: {})", checks::page(unknown), order.join(", "));
    }
    let rows = order.iter().filter_map(|id| Some((id, required.get(id)?))).map(|(id, settings)| row(id, settings, docs, root)).collect::<Result<Vec<_>>>()?;
    Ok(format!("| Check | What it asks | Why |\n| --- | --- | --- |\n{}", rows.concat()))
}

/// One row of the table: the check's link, what it asks, and why the exercise asks for it.
fn row(id: &str, settings: &Value, docs: &Path, root: &str) -> Result<String> {
    let settings = settings.as_table().cloned().unwrap_or_default();
    let link = format!("[{}]({root}{})", markdown::code_span(id), checks::page(id));
    let why = settings.get("why").and_then(Value::as_str).unwrap_or_default().to_string();
    let cells = [link, asks(id, &settings, docs)?, why].map(|cell| markdown::table_cell(&cell));
    Ok(format!("| {} |\n", cells.join(" | ")))
}

/// What check `id` asks with these settings, in a sentence or two.
fn asks(id: &str, settings: &Table, docs: &Path) -> Result<String> {
    let main = match id {
        "size" => size(settings),
        "runs" => runs(settings),
        "scan" => Some(scan(settings)),
        _ => None,
    };
    let main = match main {
        Some(words) => words,
        None => checks::summary(docs, id)?,
    };
    let extras = [allowed(settings), severity(settings), weight(settings)];
    Ok(std::iter::once(main).chain(extras.into_iter().flatten()).collect::<Vec<_>>().join(" "))
}

/// `size`: `max`, a size with a unit or a count of bytes.
fn size(settings: &Table) -> Option<String> {
    let max = match settings.get("max")? {
        Value::String(max) => max.clone(),
        Value::Integer(bytes) => format!("{bytes} bytes"),
        _ => return None,
    };
    Some(format!("The image is at most {max}."))
}

/// `runs`: an `http` or a `command` probe, and `timeout-seconds`.
fn runs(settings: &Table) -> Option<String> {
    let probe = match (settings.get("http"), settings.get("command")) {
        (Some(Value::Table(http)), None) => http_probe(http),
        (None, Some(Value::Table(command))) => command_probe(command),
        _ => return None,
    };
    let within = match settings.get("timeout-seconds").and_then(Value::as_integer) {
        Some(seconds) => format!(" within {seconds} s"),
        None => String::new(),
    };
    Some(format!("{HARDENED}{probe}{within}."))
}

/// `scan`: `fail-on` (default HIGH), `ignore-unfixed`, `ignore-file`.
fn scan(settings: &Table) -> String {
    let fail_on = settings.get("fail-on").and_then(Value::as_str).unwrap_or("HIGH");
    let unfixed = match settings.get("ignore-unfixed").and_then(Value::as_bool) {
        Some(true) => " with a fix available",
        _ => "",
    };
    let ignores = match settings.get("ignore-file").and_then(Value::as_str) {
        Some(file) => format!(" Findings listed in {} do not count.", markdown::code_span(file)),
        None => String::new(),
    };
    format!("No known vulnerability{unfixed} of severity {fail_on} or above in what the image ships.{ignores}")
}

fn http_probe(http: &Table) -> String {
    let path = http.get("path").and_then(Value::as_str).unwrap_or("/");
    let status = http.get("status").and_then(Value::as_integer).unwrap_or(200);
    let request = markdown::code_span(&format!("GET {path}"));
    format!(", {request} answers {status}{}", containing(http, "body", ""))
}

fn command_probe(command: &Table) -> String {
    let args: Option<Vec<&str>> = command.get("args").and_then(Value::as_array).map(|args| args.iter().filter_map(Value::as_str).collect());
    let run = match args {
        Some(args) => format!(" with arguments {}, it", markdown::code_span(&args.join(" "))),
        None => ", the image's command".to_string(),
    };
    let code = command.get("exit-code").and_then(Value::as_integer).unwrap_or(0);
    format!("{run} exits {code}{}", containing(command, "output", " with output"))
}

/// "containing `TEXT`" after an optional lead-in, when `key` holds a text; else nothing.
fn containing(table: &Table, key: &str, lead: &str) -> String {
    match table.get(key).and_then(Value::as_str) {
        Some(text) => format!("{lead} containing {}", markdown::code_span(text)),
        None => String::new(),
    }
}

/// `allow`: families the exercise allows (the `no-*` checks).
fn allowed(settings: &Table) -> Option<String> {
    let families: Vec<String> = settings.get("allow")?.as_array()?.iter().filter_map(Value::as_str).map(markdown::code_span).collect();
    (!families.is_empty()).then(|| format!("Allowed here: {}.", families.join(", ")))
}

fn severity(settings: &Table) -> Option<String> {
    (settings.get("severity")?.as_str()? == "warning").then(|| "A warning: reported, but it does not fail the verdict.".to_string())
}

fn weight(settings: &Table) -> Option<String> {
    let points = settings.get("weight")?.as_integer()?;
    (points != 1).then(|| format!("Worth {points} points."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml: &str) -> Table {
        toml.parse().expect("test TOML parses")
    }

    #[test]
    fn size_and_runs_in_words() {
        assert_eq!(size(&settings(r#"max = "20 MB""#)).unwrap(), "The image is at most 20 MB.");
        assert_eq!(size(&settings("max = 1000")).unwrap(), "The image is at most 1000 bytes.");
        let http = r#"http = { path = "/", status = 200, body = "Beacon is lit" }
                      timeout-seconds = 30"#;
        assert_eq!(
            runs(&settings(http)).unwrap(),
            "Run read-only and without capabilities, `GET /` answers 200 containing \
             `Beacon is lit` within 30 s."
        );
        let command = r#"command = { args = ["--version"], output = "v1" }"#;
        assert_eq!(
            runs(&settings(command)).unwrap(),
            "Run read-only and without capabilities with arguments `--version`, it exits 0 \
             with output containing `v1`."
        );
        assert_eq!(runs(&settings("timeout-seconds = 3")), None);
    }

    #[test]
    fn scan_in_words_with_its_defaults() {
        assert_eq!(scan(&Table::new()), "No known vulnerability of severity HIGH or above in what the image ships.");
        let spec = settings(
            r#"fail-on = "CRITICAL"
                               ignore-unfixed = true
                               ignore-file = ".shipshape-ignore.toml""#,
        );
        assert_eq!(
            scan(&spec),
            "No known vulnerability with a fix available of severity CRITICAL or above in what \
             the image ships. Findings listed in `.shipshape-ignore.toml` do not count."
        );
    }

    #[test]
    fn extras_only_when_they_differ_from_the_defaults() {
        let spec = settings(
            r#"allow = ["shell"]
                               severity = "warning"
                               weight = 3"#,
        );
        assert_eq!(allowed(&spec).unwrap(), "Allowed here: `shell`.");
        assert!(severity(&spec).is_some());
        assert_eq!(weight(&spec).unwrap(), "Worth 3 points.");
        let plain = settings("weight = 1");
        assert_eq!((allowed(&plain), severity(&plain), weight(&plain)), (None, None, None));
    }
}
