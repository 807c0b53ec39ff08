//! `shipshape watch` as a learner meets it, in a terminal: the real binary in a pseudo-terminal
//! (expectrl), on a scratch course of two tiny exercises that build `FROM busybox:1.36`, which the
//! image map (tests/images/image-map.toml) turns into the stand-in, so each check takes seconds.
//! `01-tiny` runs as root, so `non-root` fails until the learner adds `USER 65534`.
//!
//! What must hold: keys act without Enter (`h` the hints in order, as `shipshape hint` counts
//! them; `l` the list; `r` a re-check; `n` only once the exercise passed; `q` quits, a check in
//! flight too); every verdict is followed by `x/2 done` and the keys; a pass names the reference
//! solution; after a save the last verdict stays, marked stale, until the new one replaces it; a
//! check that cannot run (a FROM the map lacks: exit 2) shows its error and leaves the last
//! verdict and the recorded progress as they were. Quitting, by `q`, Ctrl-C or a signal, leaves
//! the terminal's settings as they were, no `shipshape` process and nothing on the daemon (no
//! container or image, see [`docker_lock`], and no run tag of a process that is gone).
use std::process::Command;
use std::time::Duration;

use expectrl::session::OsSession;
use expectrl::{Expect, Regex, Session};
use shipshape_course_tests::*;

/// How long watch may take to say something expected (a check of a tiny image, a busy daemon).
const PATIENCE: Duration = Duration::from_secs(180);

const HINTS: &str = "# Hints for 01-tiny\n\n## What is wrong\n\nIt runs as root.\n\n## Where\n\nThere is no USER line.\n\n## How\n\nAdd `USER 65534`.\n";

/// The exercises' spec: a build, and a user other than root.
fn spec(title: &str) -> String {
    format!("[exercise]\ntitle = \"{title}\"\n[checks.builds]\n[checks.non-root]\n")
}

/// A busybox image with a step of its own (so the build cache cannot answer it), as `user` if any.
fn dockerfile(from: &str, user: Option<&str>) -> String {
    let user = user.map(|user| format!("USER {user}\n")).unwrap_or_default();
    format!("FROM {from}\nRUN echo '{}' > /nonce\n{user}", nonce())
}

fn course(name: &str) -> Scratch {
    let failing = dockerfile("busybox:1.36", None);
    let passing = dockerfile("busybox:1.36", Some("65534"));
    Scratch::new(
        name,
        &[
            ("exercises/01-tiny/exercise.toml", &spec("Tiny")),
            ("exercises/01-tiny/Dockerfile", &failing),
            ("exercises/01-tiny/hints.md", HINTS),
            ("exercises/01-tiny/solution/Dockerfile", &passing),
            ("exercises/02-next/exercise.toml", &spec("Next")),
            ("exercises/02-next/Dockerfile", &passing),
        ],
    )
}

/// `shipshape watch` in a pseudo-terminal, from the course's folder, inside a shell that prints
/// the terminal's settings before and after it, and its exit code.
struct Tty {
    session: OsSession,
    seen: String,
}

impl Tty {
    fn watch(course: &Scratch, args: &[&str]) -> Tty {
        // The shell outlives a Ctrl-C that reaches it (a trap, not an ignored signal, which
        // watch would inherit), to say how watch ended; echo on, as in a learner's terminal.
        let script = "trap true INT; stty echo; echo SETTINGS; stty -a; echo END; \"$0\" \"$@\"; echo \"watch exited $?\"; echo SETTINGS; stty -a; echo END";
        let mut command = Command::new("sh");
        command.current_dir(&course.dir).args(["-c", script]).arg(shipshape_bin()).arg("watch").args(args);
        command.arg("--image-map").arg(image_map()).env("NO_COLOR", "1").env_remove("SHIPSHAPE_IMAGE_MAP");
        command.env("SHIPSHAPE_CACHE_DIR", std::env::temp_dir().join(format!("shipshape-test-cache-{}", std::process::id())));
        let mut session = Session::spawn(command).expect("a pseudo-terminal");
        session.set_expect_timeout(Some(PATIENCE));
        Tty { session, seen: String::new() }
    }

    /// Waits for `needle` (a regular expression); returns what came before it since the last wait.
    fn until(&mut self, needle: &str) -> String {
        match self.session.expect(Regex(needle)) {
            Ok(found) => {
                let before = String::from_utf8_lossy(found.before()).into_owned();
                self.seen.push_str(&before);
                found.matches().for_each(|m| self.seen.push_str(&String::from_utf8_lossy(m)));
                before
            }
            Err(e) => panic!("watch never said {needle:?} ({e}); it said:\n{}", self.seen),
        }
    }

    /// A key, without Enter.
    fn press(&mut self, key: &str) {
        self.session.send(key).expect("the terminal takes keys");
    }

    /// The terminal's settings as `stty -a` prints them.
    fn settings(&mut self) -> String {
        self.until("SETTINGS");
        self.until("END")
    }

    /// Waits for watch to end; its exit code, as the shell saw it.
    fn exit_code(&mut self) -> String {
        self.until("Stopped watching\\.");
        match self.session.expect(Regex("watch exited (\\d+)\r?\n")) {
            Ok(found) => String::from_utf8_lossy(found.get(1).unwrap_or_default()).into_owned(),
            Err(e) => panic!("watch did not end ({e}); it said:\n{}", self.seen),
        }
    }
}

/// Nothing of the run is left: no `shipshape` process names the course, and no run tag made
/// since `tags_before` belongs to a process that is gone (a check's janitor removes its own).
fn assert_nothing_left(course: &Scratch, tags_before: &[String]) {
    assert!(!a_process_mentions(&course.path("exercises")), "a check outlived watch");
    let left: Vec<String> = run_tags()
        .into_iter()
        .filter(|tag| !tags_before.contains(tag) && tag_pid(tag).is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()))
        .collect();
    assert!(left.is_empty(), "run tags left behind: {left:?}");
}

fn progress(course: &Scratch) -> String {
    std::fs::read_to_string(course.dir.join(".shipshape/progress.toml")).unwrap_or_default()
}

#[test]
fn keys_act_without_enter_and_q_quits_leaving_nothing() {
    let Some(_docker) = docker_lock() else { return };
    let tags_before = run_tags();
    let course = course("watch-keys");
    let mut tty = Tty::watch(&course, &["1"]);
    let settings = tty.settings();

    let first = tty.until("0/2 done");
    assert!(first.contains("Checking 01-tiny — Tiny") && first.contains("FAILED 01-tiny"), "{first}");
    assert!(first.contains("Not there yet: fix what failed above. Stuck? h shows a hint."), "{first}");
    let legend = tty.until("q quit");
    assert!(legend.contains("Watching exercises/01-tiny — save to check again. Keys: h hint · n next · l list · r re-check"), "{legend}");

    tty.press("h");
    let hint = tty.until("press h again when you need the next");
    assert!(hint.contains("Hint 1/3 for 01-tiny: What is wrong") && hint.contains("It runs as root."), "{hint}");
    tty.press("h");
    let hint = tty.until("press h again when you need the next");
    assert!(hint.contains("Hint 2/3 for 01-tiny: Where") && hint.contains("There is no USER line."), "{hint}");
    assert!(progress(&course).contains("hints-shown = 2"), "watch's hints count as `shipshape hint`'s do:\n{}", progress(&course));

    tty.press("n");
    tty.until("01-tiny has not passed yet: n moves on once it does\\.");
    tty.press("l");
    tty.until("0/2 done\\s+01-tiny\\s+failing\\s+Tiny\\s+02-next\\s+not started\\s+Next");

    tty.press("r");
    let again = tty.until("re-checking on request — the verdict below is from \\d\\d:\\d\\d:\\d\\d");
    assert!(again.contains("Checking 01-tiny"), "{again}");
    let recheck = tty.until("0/2 done");
    assert!(recheck.contains("FAILED 01-tiny"), "the last verdict, stale, then the new one: {recheck}");
    tty.until("q quit");

    // `q` while a check is in flight: it is cancelled, and watch waits for it to clean up.
    tty.press("r");
    tty.until("re-checking on request");
    tty.press("q");
    assert_eq!(tty.exit_code(), "0", "{}", tty.seen);
    assert_eq!(tty.settings(), settings, "the terminal is left as watch found it");
    assert_nothing_left(&course, &tags_before);
}

#[test]
fn a_save_keeps_the_last_verdict_until_the_next_and_a_check_that_cannot_run_keeps_it() {
    let Some(_docker) = docker_lock() else { return };
    let tags_before = run_tags();
    let course = course("watch-stale");
    let dockerfile_path = course.dir.join("exercises/01-tiny/Dockerfile");
    let mut tty = Tty::watch(&course, &["01"]);
    let settings = tty.settings();
    tty.until("0/2 done");
    tty.until("q quit");

    std::fs::write(&dockerfile_path, dockerfile("busybox:1.36", Some("65534"))).unwrap();
    tty.until("Checking 01-tiny — Tiny");
    tty.until("↻ re-checking after a save — the verdict below is from \\d\\d:\\d\\d:\\d\\d");
    let stale = tty.until("Checked 01-tiny");
    assert!(stale.contains("FAILED 01-tiny"), "the last verdict stays while the check runs: {stale}");
    let passed = tty.until("1/2 done");
    assert!(passed.contains("PASSED 01-tiny") && passed.contains("01-tiny is done: every check passes."), "{passed}");
    assert!(passed.contains("Reference solution: exercises/01-tiny/solution/Dockerfile"), "{passed}");
    assert!(passed.contains("Compare it with yours"), "{passed}");
    assert!(passed.contains("Next up: 02-next — Next. Press n to move on."), "{passed}");
    tty.until("q quit");

    // A FROM that is neither on the daemon nor in the image map: `check` exits 2.
    std::fs::write(&dockerfile_path, dockerfile("busybox:0-not-mapped", Some("65534"))).unwrap();
    tty.until("↻ re-checking after a save");
    let could_not = tty.until("The check could not run: see the error above\\.");
    assert!(could_not.contains("PASSED 01-tiny"), "the last verdict is on screen: {could_not}");
    assert!(could_not.contains("busybox:0-not-mapped") && could_not.contains("image map"), "the error names the image and the map: {could_not}");
    let standing = tty.until("1/2 done");
    assert!(standing.contains("The last verdict, from "), "{standing}");
    assert!(progress(&course).contains("[exercises.01-tiny]\nstate = \"done\""), "exit 2 is no verdict:\n{}", progress(&course));

    tty.press("n");
    let next = tty.until("2/2 done");
    assert!(next.contains("Checking 02-next — Next") && next.contains("PASSED 02-next"), "{next}");
    assert!(next.contains("That was the last one"), "{next}");
    tty.until("q quit");

    tty.press("\u{3}");
    assert_eq!(tty.exit_code(), "0", "{}", tty.seen);
    assert_eq!(tty.settings(), settings, "Ctrl-C leaves the terminal as watch found it");
    assert_nothing_left(&course, &tags_before);
}

#[test]
fn a_signal_while_watch_waits_for_a_key_leaves_the_terminal_as_it_was() {
    let Some(_docker) = docker_lock() else { return };
    let tags_before = run_tags();
    let course = course("watch-signal");
    let mut tty = Tty::watch(&course, &["02"]);
    let settings = tty.settings();
    tty.until("1/2 done");
    // The terminal is raw now, while watch waits for a key: SIGTERM must not leave it so.
    tty.until("q quit");
    let shell = tty.session.get_process().pid().as_raw().to_string();
    let watch = Command::new("pgrep").args(["-P", &shell]).output().expect("pgrep runs");
    let watch = String::from_utf8_lossy(&watch.stdout).trim().to_string();
    assert!(!watch.is_empty() && !watch.contains('\n'), "one watch under the shell: {watch:?}");
    assert!(Command::new("kill").args(["-TERM", &watch]).status().expect("kill runs").success());
    assert_eq!(tty.exit_code(), "0", "{}", tty.seen);
    assert_eq!(tty.settings(), settings, "a signal leaves the terminal as watch found it");
    assert_nothing_left(&course, &tags_before);
}
