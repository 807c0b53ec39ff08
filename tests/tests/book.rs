//! The course book as people get it: the figures it publishes still match what the checker
//! measures today, its first page shows the report the real checker prints on the first
//! exercise's starter (made while the book is built, with no progress recorded in the course),
//! and the built book works in a real browser (an exercise page shows its requirements table,
//! the client-side search finds a check by its id, a chapter shows its SVG diagram, which
//! Chromium reads as SVG, and its Dockerfile and TOML blocks highlighted).
//!
//! What must hold: every test needs the Docker daemon, since building the book runs the checker
//! (`docker_lock`: they skip without one unless SHIPSHAPE_REQUIRE_DOCKER=1); the book is built
//! through the stand-ins' image map, as the measurements are. The browser test needs Debian's `chromium`
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
/// A chapter with a diagram, a Dockerfile block and a TOML block (in that order), and its diagram.
const DIAGRAM_PAGE: &str = "02-anatomy.html";
const DIAGRAM: &str = "figures/layers.svg";
/// The book's first page, and the exercise whose starter it reports on.
const FIRST_PAGE: &str = "00-getting-started.html";
const FIRST_EXERCISE: &str = "exercises/01-node-multistage";

#[test]
fn the_published_measurements_still_hold() {
    let Some(_docker) = docker_lock() else { return };
    let progress = || std::fs::read(root().join(".shipshape/progress.toml")).ok();
    let before = progress();
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
    assert_eq!(progress(), before, "measuring the starters records no progress in the course");
}

#[test]
fn the_first_page_shows_what_the_checker_says_about_the_first_starter() {
    let Some(_docker) = docker_lock() else { return };
    let progress = || std::fs::read(root().join(".shipshape/progress.toml")).ok();
    let before = progress();
    let html = built_book("book-first-page");
    assert_eq!(progress(), before, "building the book records no progress in the course");
    let page = std::fs::read_to_string(html.dir.join(FIRST_PAGE)).expect("the book has its first page");

    // What the real checker says, judging the starter as a submitted file so that it records no
    // progress either.
    let dockerfile = format!("{FIRST_EXERCISE}/Dockerfile");
    let map = image_map();
    let args = ["check", FIRST_EXERCISE, "--dockerfile", &dockerfile, "--image-map", map.to_str().unwrap(), "--format", "json"];
    let report = report(&shipshape_with_env(&args, &[("SHIPSHAPE_DB_DIR", test_db().to_str().unwrap())]));
    let failed = ids_with_status(&report, "fail");
    assert!(!failed.is_empty(), "the starter fails checks: {report}");
    for id in &failed {
        let summary = escaped(check_of(&report, id)["summary"].as_str().unwrap());
        let shown = page.lines().any(|line| line.contains(&format!("FAIL {id} ")) && line.contains(&summary));
        assert!(shown, "the first page shows `FAIL {id}` with `{summary}`:\n{page}");
    }
    assert!(page.contains(&format!("$ shipshape check {FIRST_EXERCISE}\n")), "the command as run:\n{page}");
    assert!(page.contains("$ echo $?\n1\n"), "the exit code of a failed check:\n{page}");
    assert!(page.contains("image … · "), "no image id that changes with every build:\n{page}");
    assert!(!page.contains(&root().display().to_string()) && !page.contains("/tmp/"), "no folder of this machine:\n{page}");
    for link in [r#"href="01-why.html""#, r#"href="03-multi-stage.html#exercises""#] {
        assert!(page.contains(link), "the first page leads on with {link} (the build checked it resolves)");
    }
}

#[test]
fn the_built_book_shows_requirements_and_finds_checks_in_a_browser() {
    let Some(chromium) = Chromium::find() else { return };
    let Some(_docker) = docker_lock() else { return };
    let html = built_book("book-html");
    let served = serve_dir(html.dir.clone());
    let page = format!("{served}/{EXERCISE_PAGE}");

    let dom = chromium.headless(&["--dump-dom"], &page);
    let table = element_after(&dom, r#"id="requirements""#, "<table", "</table>");
    assert!(table.contains(&format!(r#"href="checks/{CHECK}.html""#)), "the requirements table links {CHECK}:\n{table}");

    let dom = chromium.headless(&["--dump-dom"], &format!("{page}?search={CHECK}"));
    let results = element_after(&dom, r#"id="mdbook-searchresults""#, "", "</ul>");
    assert!(results.contains(&format!(r#"href="checks/{CHECK}.html?"#)), "searching `{CHECK}` finds its check page:\n{results}");

    let dom = chromium.headless(&["--dump-dom"], &format!("{served}/{DIAGRAM_PAGE}"));
    assert!(dom.contains(&format!(r#"src="{DIAGRAM}""#)), "{DIAGRAM_PAGE} shows {DIAGRAM}:\n{dom}");
    let dockerfile = element_after(&dom, r#"class="language-dockerfile"#, "", "</code>");
    assert!(dockerfile.contains(r#"<span class="hljs-keyword">FROM</span>"#), "the Dockerfile block is highlighted:\n{dockerfile}");
    let toml = element_after(&dom, r#"class="language-toml"#, "", "</code>");
    assert!(toml.contains(r#"<span class="hljs-section">[checks.size]</span>"#), "the TOML block after it is highlighted too:\n{toml}");
    assert!(dom.contains(r#"class="clip-button""#), "book.js ran to the end: code blocks have their copy button");
    let svg = chromium.headless(&["--dump-dom"], &format!("{served}/{DIAGRAM}"));
    assert!(
        svg.trim_start().starts_with("<svg") && svg.contains("<title id=\"layers-title\">Layers and whiteouts</title>"),
        "Chromium reads {DIAGRAM} as SVG:\n{svg}"
    );

    let screenshot = root().join("target/test-output/book-exercise.png");
    std::fs::create_dir_all(screenshot.parent().unwrap()).expect("create target/test-output");
    let _ = std::fs::remove_file(&screenshot);
    chromium.headless(&["--window-size=1280,3200", &format!("--screenshot={}", screenshot.display())], &page);
    let png = std::fs::read(&screenshot).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "no screenshot in {}", screenshot.display());
}

/// The book built into a scratch folder called `name`, its reports made by the real checker
/// through the stand-ins' image map.
fn built_book(name: &str) -> Scratch {
    let html = Scratch::new(name, &[]);
    let built = Command::new(book_bin())
        .current_dir(root())
        .args(["build", "--image-map", "tests/images/image-map.toml", "--dest"])
        .arg(&html.dir)
        .env("SHIPSHAPE_BIN", shipshape_bin())
        .output()
        .expect("shipshape-book runs");
    assert!(built.status.success(), "the book does not build: {}", stderr(&built));
    html
}

/// `text` as the HTML of a code block holds it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The text from the first `start` after `marker` in `html` up to and including the next `end`.
fn element_after<'a>(html: &'a str, marker: &str, start: &str, end: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("the page has no {marker}:\n{html}"));
    let from = at + html[at..].find(start).unwrap_or_else(|| panic!("nothing like {start} after {marker}"));
    let to = from + html[from..].find(end).unwrap_or_else(|| panic!("{start} after {marker} does not end")) + end.len();
    &html[from..to]
}
