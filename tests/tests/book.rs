//! The course book as people get it: the figures it publishes still match what the checker
//! measures today, and the built book works in a real browser (an exercise page shows its
//! requirements table, and the client-side search finds a check by its id).
//!
//! What must hold: only the measurement test needs the Docker daemon (`docker_lock`: it skips
//! without one unless SHIPSHAPE_REQUIRE_DOCKER=1). The browser test needs Debian's `chromium`
//! (`apt-get install -y chromium`) and skips without it, except under SHIPSHAPE_REQUIRE_DOCKER=1,
//! CI's switch for "everything must be there", where it fails. It builds the book into a temporary
//! folder, serves it from 127.0.0.1 and drives headless Chromium with a fresh profile per run (both
//! from shipshape-test-support), and keeps a screenshot of the exercise page in
//! target/test-output/book-exercise.png.
use shipshape_course_tests::*;
use shipshape_test_support::{serve_dir, Chromium};
use std::process::Command;

/// The exercise page the browser test opens, and a check its requirements table lists.
const EXERCISE_PAGE: &str = "05-distroless.html";
const CHECK: &str = "no-shell";

#[test]
fn the_published_measurements_still_hold() {
    let Some(_docker) = docker_lock() else { return };
    let output = Command::new(book_bin())
        .current_dir(root())
        .args(["measure", "--check", "--image-map", "tests/images/image-map.toml"])
        .env("SHIPSHAPE_BIN", shipshape_bin())
        .output()
        .expect("shipshape-book runs");
    assert!(
        output.status.success(),
        "the measurements page no longer matches what the checker measures (exit {:?}):\n{}{}",
        output.status.code(),
        stdout(&output),
        stderr(&output)
    );
}

#[test]
fn the_built_book_shows_requirements_and_finds_checks_in_a_browser() {
    let Some(chromium) = Chromium::find() else { return };
    let html = Scratch::new("book-html", &[]);
    let built = Command::new(book_bin()).args(["build", "--dest"]).arg(&html.dir).output().expect("shipshape-book runs");
    assert!(built.status.success(), "the book does not build: {}", stderr(&built));
    let page = format!("{}/{EXERCISE_PAGE}", serve_dir(html.dir.clone()));

    let dom = chromium.headless(&["--dump-dom"], &page);
    let table = element_after(&dom, r#"id="requirements""#, "<table", "</table>");
    assert!(table.contains(&format!(r#"href="checks/{CHECK}.html""#)), "the requirements table links {CHECK}:\n{table}");

    let dom = chromium.headless(&["--dump-dom"], &format!("{page}?search={CHECK}"));
    let results = element_after(&dom, r#"id="mdbook-searchresults""#, "", "</ul>");
    assert!(results.contains(&format!(r#"href="checks/{CHECK}.html?"#)), "searching `{CHECK}` finds its check page:\n{results}");

    let screenshot = root().join("target/test-output/book-exercise.png");
    std::fs::create_dir_all(screenshot.parent().unwrap()).expect("create target/test-output");
    let _ = std::fs::remove_file(&screenshot);
    chromium.headless(&["--window-size=1280,3200", &format!("--screenshot={}", screenshot.display())], &page);
    let png = std::fs::read(&screenshot).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "no screenshot in {}", screenshot.display());
}

/// The text from the first `start` after `marker` in `html` up to and including the next `end`.
fn element_after<'a>(html: &'a str, marker: &str, start: &str, end: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("the page has no {marker}:\n{html}"));
    let from = at + html[at..].find(start).unwrap_or_else(|| panic!("nothing like {start} after {marker}"));
    let to = from + html[from..].find(end).unwrap_or_else(|| panic!("{start} after {marker} does not end")) + end.len();
    &html[from..to]
}
