//! End-to-end tests of the `shipshape-book` command: the course book builds with its generated
//! exercise and check pages and its schedule, and a broken link, a missing include, a chapter
//! without minutes, an unknown directive, a spec the checker rejects, a required check without
//! a page or a report the checker cannot make fails with exit code 2 and a message naming the
//! chapter or file and the culprit. A report shows the checker's output made stable. `measure`
//! publishes its figures and `measure --check` compares them. Both run here against stand-in
//! `shipshape` scripts (the real one, with Docker, runs in tests/tests/book.rs of the workspace).
//!
//! Must hold: the course book is only read (its HTML goes to a temporary folder); failure cases
//! run on a temporary copy of `tests/fixtures/tiny-book`, never on the fixture itself.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-book");
/// The stand-in `shipshape` the books' reports run (see the script's header).
const STAND_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stand-in-shipshape");

/// `shipshape-book ARGS`, its reports made by the stand-in checker.
fn shipshape_book(args: &[&str]) -> Output {
    shipshape_book_command(args).output().expect("shipshape-book runs")
}

fn shipshape_book_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shipshape-book"));
    command.args(args).env("SHIPSHAPE_BIN", STAND_IN).env_remove("STAND_IN_CANNOT_JUDGE");
    command
}

/// A temporary copy of the tiny fixture book.
fn tiny_book() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(Path::new(FIXTURE), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create folder");
    for entry in fs::read_dir(from).expect("read fixture folder") {
        let path = entry.expect("fixture entry").path();
        let target = to.join(path.file_name().expect("file name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copy fixture file");
        }
    }
}

/// Appends `text` to chapter `chapter` of the book in `book`.
fn append(book: &Path, chapter: &str, text: &str) {
    let path = book.join("src").join(chapter);
    let content = fs::read_to_string(&path).expect("read chapter");
    fs::write(&path, format!("{content}\n{text}\n")).expect("write chapter");
}

/// Replaces `from` with `to` in the file `relative` of the book in `book`.
fn edit(book: &Path, relative: &str, from: &str, to: &str) {
    let path = book.join(relative);
    let content = fs::read_to_string(&path).expect("read file");
    assert!(content.contains(from), "{relative} holds {from:?}");
    fs::write(&path, content.replace(from, to)).expect("write file");
}

/// Runs `check` on `book` and returns its stderr, asserting exit code 2.
fn check_fails(book: &Path) -> String {
    let out = shipshape_book(&["check", "--book", book.to_str().expect("UTF-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "expected a failure, stderr: {stderr}");
    stderr
}

/// A stand-in for `shipshape` that reports the sizes in $STARTER_SIZE and $SOLUTION_SIZE and two
/// HIGH findings, the way the real one's JSON report does.
const FAKE_SHIPSHAPE: &str = r#"#!/bin/sh
case "$1 $2" in
  "db import") exit 0 ;;
  "db info") echo '{"hash": "sha256:feed", "records": 3}' ;;
  *)
    size=$STARTER_SIZE
    case "$*" in *--solution*) size=$SOLUTION_SIZE ;; esac
    cat <<EOF
{"schema_version": 1, "exercise": "01-tiny",
 "image": {"id": "sha256:ab", "size": $size, "user": "65532", "layers": 2, "cached_layers": 0},
 "scan": {"scanner": "shipshape", "database": null, "os": null, "packages": 5, "findings": 2, "by_severity": {"HIGH": 2}},
 "checks": [{"id": "scan", "status": "fail", "severity": "error", "weight": 1, "summary": "2 at or above HIGH",
             "evidence": [], "hint": null, "doc": "checks/scan.html"}],
 "passed": false, "points": {"earned": 0, "possible": 1}}
EOF
    exit 1 ;;
esac
"#;

/// Runs `measure ARGS` on `book` with the stand-in checker reporting these sizes.
fn measure(book: &Path, args: &[&str], starter: u64, solution: u64) -> Output {
    let fake = book.join("fake-shipshape");
    fs::write(&fake, FAKE_SHIPSHAPE).expect("write the stand-in checker");
    fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("make the stand-in executable");
    Command::new(env!("CARGO_BIN_EXE_shipshape-book"))
        .args(["measure", "--book", book.to_str().expect("UTF-8 path")])
        .args(args)
        .env("SHIPSHAPE_BIN", &fake)
        .env("STARTER_SIZE", starter.to_string())
        .env("SOLUTION_SIZE", solution.to_string())
        .output()
        .expect("shipshape-book runs")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn the_course_book_builds_with_exercise_and_check_pages() {
    let dest = tempfile::tempdir().expect("temp dir");
    let out = shipshape_book(&["build", "--dest", dest.path().to_str().expect("UTF-8 path")]);
    assert!(out.status.success(), "build failed: {}", String::from_utf8_lossy(&out.stderr));

    let distroless = read(&dest.path().join("05-distroless.html"));
    let table_start = distroless.find("<table>").expect("the exercise page has a table");
    let table = &distroless[table_start..];
    assert!(table.contains(r#"<a href="checks/no-shell.html"><code>no-shell</code></a>"#));
    assert!(table.contains("The image is at most 40 MB."));
    assert!(distroless.contains("<summary>Hint 1: What is wrong</summary>"));
    assert!(distroless.contains("<summary>Reference solution</summary>"));

    let start = read(&dest.path().join("00-getting-started.html"));
    assert!(start.contains("$ shipshape check exercises/01-node-multistage\n"), "the first page runs the first exercise's starter: {start}");

    let no_shell = read(&dest.path().join("checks/no-shell.html"));
    assert!(no_shell.contains("What it checks"));
    let has_search = fs::read_dir(dest.path()).expect("list the build").any(|e| e.expect("entry").file_name().to_string_lossy().starts_with("searchindex"));
    assert!(has_search, "the built book has a search index");
}

#[test]
fn the_tiny_book_checks_out_and_builds() {
    let book = tiny_book();
    let path = book.path().to_str().expect("UTF-8 path");
    let out = shipshape_book(&["check", "--book", path]);
    assert!(out.status.success(), "check failed: {}", String::from_utf8_lossy(&out.stderr));
    let out = shipshape_book(&["build", "--book", path]);
    assert!(out.status.success(), "build failed: {}", String::from_utf8_lossy(&out.stderr));
    let task = read(&book.path().join("out/task.html"));
    assert!(task.contains("The app needs nothing else."), "README prose kept");
    assert!(!task.contains("<td>no shell</td>"), "README's own table replaced");
    let intro = read(&book.path().join("out/intro.html"));
    let report = "<code class=\"language-console\">$ shipshape check exercises/01-tiny\n\
                  image … · 5 MB · 2 layers · user 65532\n\
                  ✔ pass builds     built in … s with BuildKit (… of 2 steps from the build cache)\n\
                  ✘ FAIL no-shell   1 shell found (shell): /bin/sh\n\
                  \x20        /bin/sh (shell)  [layer 1 · exercises/01-tiny/Dockerfile:2]\n\
                  FAILED 01-tiny: 1/2 points\n\
                  $ echo $?\n\
                  1\n\
                  </code>";
    assert!(intro.contains(report), "the report, without colours, ids, times, cache hits or folders: {intro}");
    for cell in ["<td>09:00</td>", r#"<a href="task.html">Task</a>"#, "<td>09:10</td>", "Exercise: <em>Tiny task</em>", "<td>09:15</td>"] {
        assert!(intro.contains(cell), "the schedule has {cell}: {intro}");
    }
    assert!(intro.contains("<li>Ask who has seen a shell in a production image.</li>"), "the guide collects the notes: {intro}");
    assert!(task.contains("<details class=\"speaker-notes\">\n<summary>Speaker notes</summary>"), "the chapter keeps them, collapsed: {task}");
}

#[test]
fn the_course_tracks_are_chosen_and_each_teaches_the_core() {
    let dest = tempfile::tempdir().expect("temp dir");
    let out = shipshape_book(&["build", "--dest", dest.path().to_str().expect("UTF-8 path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let guide = read(&dest.path().join("instructor-guide.html"));
    let half = section(&guide, "Half day (about 4 hours)", "Full day (about 7 hours)");
    let full = section(&guide, "Full day (about 7 hours)", "Two days");
    let two = section(&guide, "Two days", "Speaker notes");
    for chapter in ["03-multi-stage", "04-bases", "05-distroless", "06-non-root", "09-scanning"] {
        for (name, track) in [("half day", half), ("full day", full), ("two days", two)] {
            assert!(track.contains(&format!(r#"<td><a href="{chapter}.html">"#)), "the {name} teaches {chapter}: {track}");
        }
    }
    for chapter in ["10-ci-gating", "11-pinning", "12-debugging-cves"] {
        assert!(full.contains(&format!(r#"<td><a href="{chapter}.html">"#)), "the full day teaches {chapter}: {full}");
    }
    assert!(full.contains("Exercise: <em>"), "{full}");
    assert!(half.contains("Not taught in this track:"), "{half}");
    assert!(two.contains("<strong>Day 2</strong>") && !two.contains("Exercises left for later"), "two days do every exercise: {two}");
    assert!(guide.contains("<em>Lunch</em>"));

    let notes = section(&guide, "Speaker notes", "Room set-up for bad Wi-Fi");
    assert!(notes.contains("6. Non-root users"), "the guide collects every chapter's notes: {notes}");
    let chapter = read(&dest.path().join("06-non-root.html"));
    assert!(chapter.contains(r#"<details class="speaker-notes">"#), "the chapter keeps its notes, collapsed");
    assert!(chapter.contains("Numbers, not names") && notes.contains("Numbers, not names"), "one text in both places");
}

/// The part of `html` from the heading that holds `from` up to the next one that holds `to`.
fn section<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    let start = html.find(from).unwrap_or_else(|| panic!("no {from:?} in the page"));
    let end = start + html[start..].find(to).unwrap_or_else(|| panic!("no {to:?} after {from:?}"));
    &html[start..end]
}

#[test]
fn a_track_that_leaves_out_a_core_chapter_fails_naming_it() {
    let book = tiny_book();
    edit(book.path(), "book.toml", "days = [\"half\"]\n", "days = [\"half\"]\nchapters = []\n");
    let stderr = check_fails(book.path());
    assert!(stderr.contains("track \"Half day\": it leaves out `task.md`, which every track must teach (`core`)"), "{stderr}");
}

#[test]
fn a_chapter_without_minutes_fails_naming_it() {
    let book = tiny_book();
    edit(book.path(), "src/task.md", "<!-- minutes: 10 -->\n", "");
    let stderr = check_fails(book.path());
    assert!(stderr.contains("1 chapter(s) do not start with a minutes comment: `task.md`"), "{stderr}");
}

#[test]
fn an_exercise_without_minutes_fails_the_schedule() {
    let book = tiny_book();
    edit(book.path(), "exercises/01-tiny/exercise.toml", "minutes = 5\n", "");
    let stderr = check_fails(book.path());
    assert!(
        stderr.contains(
            "in `intro.md`, `{{#shipshape-schedule}}`: exercise `01-tiny` (in `task.md`) has no \
             `minutes`"
        ),
        "{stderr}"
    );
}

#[test]
fn a_spec_the_checker_rejects_fails_with_the_checkers_message() {
    let book = tiny_book();
    edit(book.path(), "exercises/01-tiny/exercise.toml", "minutes = 5\n", "minutes = 5\nminits = 3\n");
    let stderr = check_fails(book.path());
    assert!(stderr.contains("01-tiny/exercise.toml is not valid"), "{stderr}");
    assert!(stderr.contains("caused by: unknown field `minits`"), "{stderr}");
}

#[test]
fn a_required_check_without_a_page_fails_naming_the_spec() {
    let book = tiny_book();
    edit(book.path(), "exercises/01-tiny/exercise.toml", "[checks.no-shell]\n", "[checks.size]\nmax = \"20 MB\"\n\n[checks.no-shell]\n");
    let stderr = check_fails(book.path());
    assert!(stderr.contains("in `task.md`, `{{#shipshape-exercise 01-tiny}}`"), "{stderr}");
    assert!(stderr.contains("it requires `[checks.size]`, but the book has no check page `checks/size.md` (checks: no-shell)"), "{stderr}");
}

#[test]
fn a_broken_link_fails_naming_the_chapter_and_link() {
    let book = tiny_book();
    append(book.path(), "intro.md", "[gone](nowhere.md) and [off](task.md#no-such-heading)");
    let stderr = check_fails(book.path());
    assert!(stderr.contains("2 broken link(s)"), "{stderr}");
    assert!(stderr.contains("in `intro.md`, link `nowhere.md`: there is no chapter `nowhere.md` in SUMMARY.md"), "{stderr}");
    assert!(stderr.contains("link `task.md#no-such-heading`"), "{stderr}");
}

#[test]
fn a_broken_link_also_stops_build_before_writing() {
    let book = tiny_book();
    append(book.path(), "task.md", "<a href=\"missing.html\">raw</a>");
    let out = shipshape_book(&["build", "--book", book.path().to_str().expect("UTF-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("link `missing.html`"));
    assert!(!book.path().join("out").exists(), "nothing rendered");
}

#[test]
fn a_missing_include_fails_naming_the_file() {
    let book = tiny_book();
    append(book.path(), "task.md", "{{#include parts/missing.md}}");
    let stderr = check_fails(book.path());
    assert!(stderr.contains("in `task.md`, `{{#include parts/missing.md}}`: cannot read"), "{stderr}");
}

#[test]
fn an_unknown_exercise_fails_naming_chapter_and_directive() {
    let book = tiny_book();
    append(book.path(), "intro.md", "{{#shipshape-exercise 99-nope}}");
    let stderr = check_fails(book.path());
    assert!(stderr.contains("in `intro.md`, `{{#shipshape-exercise 99-nope}}`: there is no exercise `99-nope`"), "{stderr}");
    assert!(stderr.contains("(exercises: 01-tiny)"), "{stderr}");
}

#[test]
fn an_unknown_check_fails_naming_chapter_and_directive() {
    let book = tiny_book();
    append(book.path(), "intro.md", "{{#shipshape-check no-shel}}");
    let stderr = check_fails(book.path());
    assert!(stderr.contains("in `intro.md`, `{{#shipshape-check no-shel}}`: there is no check `no-shel`"), "{stderr}");
}

#[test]
fn a_report_the_checker_cannot_make_fails_with_the_checkers_message() {
    let book = tiny_book();
    let out = shipshape_book_command(&["check", "--book", book.path().to_str().expect("UTF-8 path")])
        .env("STAND_IN_CANNOT_JUDGE", "1")
        .output()
        .expect("shipshape-book runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "in `intro.md`, `{{#shipshape-report 01-tiny}}`: cannot show the report of its starter: \
             `shipshape check` could not judge the starter of `exercises/01-tiny`"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("the Docker daemon does not answer"), "{stderr}");
}

#[test]
fn measure_publishes_and_check_compares_within_the_tolerance() {
    let book = tiny_book();
    let out = measure(book.path(), &[], 100_000_000, 5_000_000);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = read(&book.path().join("src/measurements.md"));
    assert!(page.starts_with("<!-- minutes: 0 -->\n"), "{page}");
    assert!(page.contains("| Image size | 100 MB | 5.00 MB | −95.0 % (20× smaller) |"), "{page}");
    assert!(page.contains("| HIGH findings | 2 | 2 | 0 |"), "{page}");
    assert!(page.contains("`sha256:feed`"), "{page}");
    assert!(read(&book.path().join("src/figures/sizes.svg")).starts_with("<svg"));

    let out = measure(book.path(), &["--check"], 105_000_000, 5_000_000);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("hold for all 1 exercises"));

    let out = measure(book.path(), &["--check"], 115_000_000, 5_000_000);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("- `01-tiny` starter: size 100 MB published, 115 MB measured (+15.0 %, tolerance ±10 %)"), "{stderr}");
    assert!(page == read(&book.path().join("src/measurements.md")), "--check writes nothing");
}

#[test]
fn measure_check_names_a_page_edited_by_hand() {
    let book = tiny_book();
    assert!(measure(book.path(), &[], 100_000_000, 5_000_000).status.success());
    edit(book.path(), "src/measurements.md", "100 MB", "80 MB");
    let out = measure(book.path(), &["--check"], 100_000_000, 5_000_000);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`measurements.md` is not what `figures/measurements.json` renders to"), "{stderr}");
}
