//! README's first command as a learner sees it (issue 12): `scripts/setup` prints one line as each
//! step starts and one with its duration as it ends, from its own four voices (`setup:`,
//! `engine:`, `build-images:`, `registry:`) and nothing else — no apt, debconf or compiler noise —
//! and ends by saying what to run next.
//!
//! What must hold: two outputs are judged by the same rules. CI's own first run on its clean
//! machine (`.ci/run` keeps it and names it in `SHIPSHAPE_SETUP_LOG`; under CI a missing log
//! fails), and a run made here, as root, with shipshape already built (`SHIPSHAPE_SETUP_BUILT`),
//! which must find everything in place and leave it so.
use std::os::unix::fs::MetadataExt;
use std::process::Command;

use shipshape_course_tests::*;

/// Every line from one of setup's voices; each started step finished with its duration; the last
/// line says what to run next. Returns the problems found.
fn problems(output: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = output.lines().filter(|line| !line.trim().is_empty()).collect();
    for line in &lines {
        if !["setup: ", "engine: ", "build-images: ", "registry: "].iter().any(|voice| line.starts_with(voice)) {
            problems.push(format!("a line that is not setup's own: {line:?}"));
        }
    }
    for started in lines.iter().filter_map(|line| line.strip_prefix("setup: ")?.strip_suffix(" …")) {
        let done = format!("setup: {started}: done in ");
        if !lines.iter().any(|line| line.starts_with(&done) && line.ends_with(" s")) {
            problems.push(format!("the step `{started}` never said how long it took"));
        }
    }
    if !lines.last().is_some_and(|line| line.starts_with("setup: ready: try `shipshape list`")) {
        problems.push(format!("the last line does not say what to run next: {:?}", lines.last()));
    }
    problems
}

#[test]
fn the_rules_catch_noise_and_unfinished_steps() {
    let clean = "setup: packages …\nsetup: packages: done in 0 s\nengine: Docker Engine 26\nsetup: ready: try `shipshape list`, then `shipshape watch`\n";
    assert_eq!(problems(clean), Vec::<String>::new());
    let noisy = clean.replace("engine: Docker Engine 26\n", "E: Can not write log (Is /dev/pts mounted?)\n");
    assert_eq!(problems(&noisy), vec!["a line that is not setup's own: \"E: Can not write log (Is /dev/pts mounted?)\"".to_string()]);
    let unfinished = clean.replace("setup: packages: done in 0 s\n", "");
    assert_eq!(problems(&unfinished), vec!["the step `packages` never said how long it took".to_string()]);
}

#[test]
fn ci_saw_a_clean_setup_on_its_fresh_machine() {
    let Ok(log) = std::env::var("SHIPSHAPE_SETUP_LOG") else {
        assert!(std::env::var_os("CI").is_none(), "under CI, .ci/run names setup's log in SHIPSHAPE_SETUP_LOG");
        eprintln!("no SHIPSHAPE_SETUP_LOG: only CI keeps its first run's output");
        return;
    };
    let output = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("cannot read {log}: {e}"));
    assert_eq!(problems(&output), Vec::<String>::new(), "{output}");
}

#[test]
fn a_second_setup_finds_everything_in_place() {
    let Some(_docker) = docker_lock() else { return };
    if std::fs::metadata("/proc/self").map(|m| m.uid()).ok() != Some(0) {
        eprintln!("not root: scripts/setup would ask for sudo; skipped");
        return;
    }
    let run = Command::new(root().join("scripts/setup")).current_dir(root()).env("SHIPSHAPE_SETUP_BUILT", "1").output().expect("scripts/setup runs");
    let output = format!("{}{}", stdout(&run), stderr(&run));
    assert!(run.status.success(), "{output}");
    assert_eq!(problems(&output), Vec::<String>::new(), "{output}");
    assert!(output.contains("setup: shipshape installed as /usr/local/bin/shipshape"), "{output}");
    let recipes = std::fs::read_dir(root().join("tests/images/recipes"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().extension().is_some_and(|ext| ext == "recipe"))
        .count();
    assert!(output.contains(&format!("build-images: {recipes} up to date (their recipes unchanged)\n")), "every stand-in was there already: {output}");
    assert!(!output.contains(": building "), "nothing was rebuilt: {output}");
}
