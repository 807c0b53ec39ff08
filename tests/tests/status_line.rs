//! The live status line after the build (issue 12): on a terminal, `check` says what it is doing
//! while the learner waits — reading the layers with a count and bytes, running the image,
//! scanning — and clears the line before the report; in a pipe (CI, `--format json > file`) it
//! prints none of it.
//!
//! What must hold: the terminal is a real pseudo-terminal (`script`, from util-linux, which every
//! Debian has), and the layer cache is bypassed (`--no-cache`) so the layers are really read.
use std::process::Command;

use shipshape_course_tests::*;

/// The starter of exercise 08: it builds, runs and scans, so every phase shows.
const EXERCISE: &str = "exercises/08-scan-node-deps";

fn check_args() -> Vec<String> {
    let map = image_map().display().to_string();
    ["check", EXERCISE, "--no-cache", "--image-map", &map].iter().map(ToString::to_string).collect()
}

/// What a terminal showed: every redraw of the line as a line of its own, colours removed.
fn screen(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw).replace('\r', "\n");
    let mut plain = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte (a letter)
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        plain.push(c);
    }
    plain
}

#[test]
fn a_terminal_sees_each_phase_then_the_report_and_a_pipe_sees_none() {
    let Some(_docker) = docker_lock() else { return };
    let command_line = std::iter::once(shipshape_bin().display().to_string()).chain(check_args()).collect::<Vec<_>>().join(" ");
    let cache = std::env::temp_dir().join(format!("shipshape-test-cache-{}", std::process::id()));
    let on_terminal = Command::new("script")
        .args(["-qefc", &command_line, "/dev/null"])
        .current_dir(root())
        .env("SHIPSHAPE_DB_DIR", test_db())
        .env("SHIPSHAPE_CACHE_DIR", &cache)
        .output()
        .expect("script (util-linux) runs");
    let shown = screen(&on_terminal.stdout);
    assert_eq!(on_terminal.status.code(), Some(1), "the starter fails its scan\n{shown}");
    for phase in ["Reading layers 1/", "Running the image to see that it starts", "Scanning for known vulnerabilities"] {
        assert!(shown.contains(phase), "no `{phase}` on the terminal:\n{shown}");
    }
    assert!(shown.contains(" MB of "), "the bytes read are shown against the image's size:\n{shown}");
    let last_phase = shown.rfind("Scanning for known vulnerabilities").unwrap();
    let report = shown.find("FAIL scan").expect("the report is shown");
    assert!(last_phase < report, "the status line is gone before the report:\n{shown}");

    let args = check_args();
    let piped = shipshape(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(piped.status.code(), Some(1), "{}", stderr(&piped));
    for text in [stdout(&piped), stderr(&piped)] {
        assert!(!text.contains("Reading layer") && !text.contains("Scanning for"), "no status line in a pipe:\n{text}");
    }
}
