//! The learner's commands end to end through the real binary: `list`, `hint`, `watch` and
//! `doctor` on a fixture course made in a temporary folder: two tiny exercises that build offline
//! from the distroless stand-in through the image map (tests/images/image-map.toml), judged by
//! `[checks.builds]` and `[checks.non-root]` on the real Docker daemon. A build secret the machine
//! lacks stops `check` only, never `list` or `hint`.
//!
//! What must hold: a test that needs the daemon skips, saying so, when `docker info` fails, unless
//! SHIPSHAPE_REQUIRE_DOCKER=1 (then it fails). Every fixture Dockerfile labels its image with a
//! value unique to the test, and each Docker test asserts that nothing so labelled is left behind
//! (a label of our own, because other test runs may share the daemon).
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use shipshape_test_support::docker_ready;
use tempfile::TempDir;

/// The stand-in the fixture exercises build from (through the image map).
const STAND_IN: &str = "shipshape.test/distroless/static-debian12:nonroot";
/// How long one step of a Docker test may take (builds are small, but the daemon may be busy).
const PATIENCE: Duration = Duration::from_secs(180);

fn image_map() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/images/image-map.toml")
}

fn dockerfile(label: &str, user: &str) -> String {
    format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL shipshape.fixture={label}\nUSER {user}\n")
}

const SPEC: &str = "[checks.builds]\n[checks.non-root]\n";
const HINTS: &str = "# Hints for 01-static\n\n## What is wrong\n\nThe image runs as root.\n\n## Where\n\nThe last line: `USER root`.\n\n## How\n\nUse the nonroot user by number: `USER 65532`.\n";

/// A course in a temporary folder: `01-static` (runs as root, so `non-root` fails; hints; a
/// solution), `02-second` (passes; no hints), and `notes/`, which is not an exercise.
struct Course {
    dir: TempDir,
    label: String,
}

impl Course {
    fn new(test: &str) -> Course {
        let dir = tempfile::tempdir().unwrap();
        let label = format!("learner-{test}-{}", std::process::id());
        let course = Course { dir, label };
        course.write("exercises/01-static/exercise.toml", &format!("[exercise]\ntitle = \"Static: a tiny distroless image\"\n{SPEC}"));
        course.write("exercises/01-static/Dockerfile", &dockerfile(&course.label, "root"));
        course.write("exercises/01-static/solution/Dockerfile", &dockerfile(&course.label, "65532"));
        course.write("exercises/01-static/hints.md", HINTS);
        course.write("exercises/02-second/exercise.toml", &format!("[exercise]\ntitle = \"Second: already fine\"\n{SPEC}"));
        course.write("exercises/02-second/Dockerfile", &dockerfile(&course.label, "65532"));
        course.write("exercises/notes/README.md", "not an exercise\n");
        course
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.root().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `shipshape ARGS` run from `relative` inside the course, without colour.
    fn command(&self, relative: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shipshape"));
        command.current_dir(self.root().join(relative)).args(args).env("NO_COLOR", "1").env_remove("SHIPSHAPE_IMAGE_MAP");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(".", args).stdin(Stdio::null()).output().unwrap()
    }

    fn check(&self, exercise: &str, extra: &[&str]) -> Output {
        let map = image_map();
        let mut args = vec!["check", exercise, "--image-map", map.to_str().unwrap()];
        args.extend(extra);
        self.run(&args)
    }

    /// Fails the test if a container or image with this course's label is still there.
    fn assert_clean(&self) {
        let filter = format!("label=shipshape.fixture={}", self.label);
        let containers = text(&Command::new("docker").args(["ps", "-aq", "--filter", &filter]).output().unwrap().stdout);
        let images = text(&Command::new("docker").args(["images", "-aq", "--filter", &filter]).output().unwrap().stdout);
        assert!(containers.trim().is_empty() && images.trim().is_empty(), "left behind: containers [{containers}] images [{images}]");
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn transcript(output: &Output) -> String {
    format!("exit {:?}\n--- stdout\n{}--- stderr\n{}", output.status.code(), text(&output.stdout), text(&output.stderr))
}

/// The line of `list` for an exercise, spaces squeezed: `01-static failing Static: …`.
fn list_line(output: &Output, exercise: &str) -> String {
    let stdout = text(&output.stdout);
    let line = stdout.lines().find(|l| l.trim_start().starts_with(exercise)).unwrap_or_else(|| panic!("{exercise} not listed:\n{stdout}"));
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn list_shows_the_state_each_check_recorded() {
    if !docker_ready(&[STAND_IN]) {
        return;
    }
    let course = Course::new("list");
    let listed = course.run(&["list"]);
    assert_eq!(listed.status.code(), Some(0), "{}", transcript(&listed));
    let stdout = text(&listed.stdout);
    assert!(stdout.contains(": 0/2 done"), "{stdout}");
    assert_eq!(list_line(&listed, "01-static"), "01-static not started Static: a tiny distroless image");
    assert_eq!(list_line(&listed, "02-second"), "02-second not started Second: already fine");
    assert!(!stdout.contains("notes"), "a folder without exercise.toml is not an exercise:\n{stdout}");
    assert!(stdout.contains("Next: 01-static"), "{stdout}");

    let failed = course.check("exercises/01-static", &[]);
    assert_eq!(failed.status.code(), Some(1), "{}", transcript(&failed));
    assert_eq!(list_line(&course.run(&["list"]), "01-static"), "01-static failing Static: a tiny distroless image");

    let solution = course.check("exercises/01-static", &["--solution"]);
    assert_eq!(solution.status.code(), Some(0), "{}", transcript(&solution));
    assert!(list_line(&course.run(&["list"]), "01-static").contains("failing"), "checking the solution is not the learner's progress");

    // By number, as `hint` and `watch` take it.
    let passed = course.check("2", &[]);
    assert_eq!(passed.status.code(), Some(0), "{}", transcript(&passed));
    let listed = course.run(&["list"]);
    assert!(text(&listed.stdout).contains(": 1/2 done"), "{}", transcript(&listed));
    assert_eq!(list_line(&listed, "02-second"), "02-second done Second: already fine");

    course.write("exercises/01-static/Dockerfile", &dockerfile(&course.label, "65532"));
    assert_eq!(course.check("exercises/01-static", &[]).status.code(), Some(0));
    // From inside an exercise folder, the course is found above it; the state survived each run.
    let listed = course.command("exercises/01-static", &["list"]).output().unwrap();
    let stdout = text(&listed.stdout);
    assert!(stdout.contains(": 2/2 done") && stdout.contains("Every exercise is done"), "{stdout}");
    let state = std::fs::read_to_string(course.root().join(".shipshape/progress.toml")).unwrap();
    assert!(state.contains("[exercises.01-static]\nstate = \"done\""), "{state}");
    course.assert_clean();
}

#[test]
fn list_outside_a_course_says_where_to_run_it() {
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_shipshape")).current_dir(empty.path()).arg("list").output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("no course here") && stderr.contains("--course DIR"), "{stderr}");
}

#[test]
fn hints_come_in_order_then_point_to_the_solution_and_can_start_over() {
    let course = Course::new("hint");
    let hint = |args: &[&str]| {
        let output = course.run(args);
        assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
        text(&output.stdout)
    };
    // No exercise named: the current one, the first not done, named as it is chosen.
    let first = hint(&["hint"]);
    assert!(
        first.starts_with("01-static is the current exercise (the first not done).\nHint 1/3 for 01-static: What is wrong\n\nThe image runs as root.\n"),
        "{first}"
    );
    assert!(first.contains("2 more"), "{first}");
    let second = hint(&["hint", "01"]);
    assert!(second.starts_with("Hint 2/3 for 01-static: Where\n\nThe last line: `USER root`.\n"), "{second}");
    let third = hint(&["hint", "exercises/01-static"]);
    assert!(third.starts_with("Hint 3/3 for 01-static: How\n\nUse the nonroot user by number: `USER 65532`.\n"), "{third}");
    assert!(third.contains("That was the last hint"), "{third}");
    for _ in 0..2 {
        let after = hint(&["hint", "01-static"]);
        assert!(after.contains("no more hints for 01-static"), "{after}");
        assert!(after.contains("`shipshape check exercises/01-static --solution`"), "{after}");
    }
    let state = std::fs::read_to_string(course.root().join(".shipshape/progress.toml")).unwrap();
    assert!(state.contains("hints-shown = 3"), "{state}");

    let reset = hint(&["hint", "01-static", "--reset"]);
    assert!(reset.contains("start over"), "{reset}");
    assert!(hint(&["hint", "01-static"]).starts_with("Hint 1/3 for 01-static: What is wrong"));

    let none = course.run(&["hint", "02-second"]);
    assert_eq!(none.status.code(), Some(2), "{}", transcript(&none));
    assert!(text(&none.stderr).contains("02-second has no hints"), "{}", transcript(&none));
    let unknown = course.run(&["hint", "07"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("name one of: 01-static, 02-second"), "{}", transcript(&unknown));
}

#[test]
fn a_build_secret_from_an_unset_variable_stops_check_but_not_list_or_hint() {
    let course = Course::new("unset-secret");
    let variable = format!("SHIPSHAPE_TEST_UNSET_SECRET_{}", std::process::id());
    let spec = format!("[exercise]\ntitle = \"Static: a tiny distroless image\"\nsecrets = {{ token = {{ env = \"{variable}\" }} }}\n{SPEC}");
    course.write("exercises/01-static/exercise.toml", &spec);
    let listed = course.run(&["list"]);
    assert_eq!(listed.status.code(), Some(0), "{}", transcript(&listed));
    assert_eq!(list_line(&listed, "01-static"), "01-static not started Static: a tiny distroless image");
    let hint = course.run(&["hint", "01-static"]);
    assert_eq!(hint.status.code(), Some(0), "{}", transcript(&hint));
    assert!(text(&hint.stdout).starts_with("Hint 1/3 for 01-static"), "{}", transcript(&hint));
    if !docker_ready(&[STAND_IN]) {
        return;
    }
    let checked = course.check("exercises/01-static", &[]);
    assert_eq!(checked.status.code(), Some(2), "a secret the build needs is missing: {}", transcript(&checked));
    let stderr = text(&checked.stderr);
    assert!(stderr.contains(&format!("the build secret `token` comes from the environment variable {variable}, which is not set")), "{stderr}");
    assert!(stderr.contains(&format!("set {variable} before running Shipshape")), "it says what to do: {stderr}");
    assert!(list_line(&course.run(&["list"]), "01-static").contains("not started"), "a check that could not run records nothing");
    course.assert_clean();
}

/// A vulnerability database for doctor to find, imported from the course's test records.
fn database(into: &Path) {
    let records = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vulndb");
    let output = Command::new(env!("CARGO_BIN_EXE_shipshape")).arg("db").arg("import").arg(records).arg("--db-dir").arg(into).output().unwrap();
    assert!(output.status.success(), "{}", transcript(&output));
}

#[test]
fn doctor_finds_the_engine_the_images_and_the_database() {
    if !docker_ready(&[STAND_IN]) {
        return;
    }
    let course = Course::new("doctor");
    let db = tempfile::tempdir().unwrap();
    database(db.path());
    let map = image_map();
    let doctor_on = |today: &str| {
        course
            .command(".", &["doctor", "--image-map", map.to_str().unwrap()])
            .env("SHIPSHAPE_DB_DIR", db.path())
            .env("SHIPSHAPE_TODAY", today)
            .output()
            .unwrap()
    };
    let doctor = || doctor_on("2026-12-06");
    let output = doctor();
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("ok    Docker engine ") && lines[0].contains(" answers, API 1."), "{stdout}");
    assert!(lines[0].contains("(negotiated"), "{stdout}");
    assert!(lines[1].starts_with("ok    builder: BuildKit"), "{stdout}");
    assert!(lines[2].starts_with("ok    storage driver "), "{stdout}");
    assert!(lines[3].contains("free disk in "), "{stdout}");
    assert!(!stdout.contains("skip"), "{stdout}");
    assert!(
        lines.contains(
            &"ok    image gcr.io/distroless/static-debian12:nonroot (mapped to shipshape.test/distroless/static-debian12:nonroot) for 01-static, 02-second"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("ok    vulnerability database ") && stdout.contains(" days old)"), "{stdout}");
    let ended = "warn  base gcr.io/distroless/static-debian12:nonroot for 01-static, 02-second: past its end of life by 119 days \
                 (distroless Debian 12 static, base and cc images ended 2026-08-09) → move the course to a supported base";
    assert!(stdout.contains(ended), "{stdout}");
    let before = text(&doctor_on("2025-06-01").stdout);
    assert!(!before.contains("warn "), "supported then: {before}");
    // Only the disk can need doing on a machine set up for the tests.
    let todo: Vec<&&str> = lines.iter().filter(|l| l.starts_with("todo")).collect();
    assert!(todo.iter().all(|l| l.contains("free disk")), "{stdout}");
    let expected = if todo.is_empty() { 0 } else { 1 };
    assert_eq!(output.status.code(), Some(expected), "{}", transcript(&output));
    assert_eq!(stdout.lines().last(), Some(if todo.is_empty() { "Everything is ready." } else { "1 thing needs doing: see the line marked todo." }));

    course.write("exercises/03-missing/exercise.toml", SPEC);
    course.write("exercises/03-missing/Dockerfile", "FROM shipshape.test/not-there:1 AS build\nFROM build\n");
    let output = doctor();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    assert!(stdout.contains("todo  image shipshape.test/not-there:1 for 03-missing: not in the daemon → `docker pull shipshape.test/not-there:1`"), "{stdout}");
    assert!(!stdout.contains("skip"), "an exercise without a reference solution needs nothing: {stdout}");
}

#[test]
fn doctor_without_a_daemon_says_what_to_do() {
    let course = Course::new("doctor-nowhere");
    let db = tempfile::tempdir().unwrap();
    let output = course.command(".", &["doctor"]).env("DOCKER_HOST", "unix:///nonexistent/docker.sock").env("SHIPSHAPE_DB_DIR", db.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("todo  Docker engine: cannot reach the Docker daemon at unix:///nonexistent/docker.sock"), "{stdout}");
    assert!(lines[0].contains("→ start the daemon"), "{stdout}");
    assert_eq!(lines[1], "skip  storage driver, free disk and base images: they need the Docker engine");
    assert!(
        lines[2].starts_with("todo  vulnerability database: no vulnerability database in ") && lines[2].contains("→ run `shipshape db update`"),
        "{stdout}"
    );
    assert_eq!(lines[3], "2 things need doing: see the lines marked todo.");
}

#[test]
fn doctor_cannot_run_with_a_broken_image_map() {
    let course = Course::new("doctor-map");
    course.write("map.toml", "images = 3\n");
    let output = course.run(&["doctor", "--image-map", "map.toml"]);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert!(text(&output.stderr).contains("the image map map.toml is malformed"), "{}", transcript(&output));
    assert!(output.stdout.is_empty());
}

/// A running `shipshape watch`: its stdout and stderr, line by line, as they come.
struct Watch {
    child: Child,
    lines: Receiver<String>,
    seen: String,
}

impl Watch {
    fn start(course: &Course, args: &[&str], stdin: Stdio) -> Watch {
        let map = image_map();
        let mut command = course.command(".", &["watch", "--image-map", map.to_str().unwrap()]);
        command.args(args).stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let (sender, lines) = channel();
        let streams: [Box<dyn Read + Send>; 2] = [Box::new(child.stdout.take().unwrap()), Box::new(child.stderr.take().unwrap())];
        for stream in streams {
            let sender = sender.clone();
            std::thread::spawn(move || BufReader::new(stream).lines().map_while(Result::ok).try_for_each(|line| sender.send(line)));
        }
        Watch { child, lines, seen: String::new() }
    }

    /// Waits for a line containing `needle`, and returns everything seen up to it since the last wait.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut since = String::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    since.push_str(&line);
                    since.push('\n');
                    if line.contains(needle) {
                        return since;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no line with {needle:?} from watch; it said:\n{}", self.seen);
    }

    fn send(&mut self, text: &str) {
        self.child.stdin.as_mut().unwrap().write_all(text.as_bytes()).unwrap();
    }

    /// Waits for watch to exit; its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("watch did not exit; it said:\n{}", self.seen);
    }

    fn interrupt(&self) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    }
}

#[test]
fn watch_manual_checks_on_enter_and_moves_on_to_the_next_exercise() {
    if !docker_ready(&[STAND_IN]) {
        return;
    }
    let course = Course::new("watch-manual");
    let mut watch = Watch::start(&course, &["01-static", "--manual"], Stdio::piped());
    let first = watch.wait_for("Press Enter to check again");
    assert!(first.contains("Checking 01-static — Static: a tiny distroless image"), "{first}");
    assert!(first.contains("✘ FAIL non-root") && first.contains("FAILED 01-static: 1/2 points"), "{first}");
    assert!(first.contains("Stuck? h then Enter shows a hint."), "{first}");
    assert!(first.contains("0/2 done"), "{first}");
    watch.send("h\n");
    let hint = watch.wait_for("press h then Enter again when you need the next");
    assert!(hint.contains("Hint 1/3 for 01-static: What is wrong"), "a hint, not a check: {hint}");
    assert!(!hint.contains("Checking"), "{hint}");

    course.write("exercises/01-static/Dockerfile", &dockerfile(&course.label, "65532"));
    watch.send("\n");
    let second = watch.wait_for("Press Enter to check again");
    assert!(second.contains("✔ pass non-root") && second.contains("PASSED 01-static: 2/2 points"), "{second}");
    assert!(second.contains("01-static is done: every check passes."), "{second}");
    assert!(second.contains("Next up: 02-second — Second: already fine. Press n then Enter to move on."), "{second}");
    assert!(second.contains("Reference solution: exercises/01-static/solution/Dockerfile") && second.contains("1/2 done"), "{second}");

    watch.send("n\n");
    let third = watch.wait_for("Press Enter to check again");
    assert!(third.contains("Checking 02-second") && third.contains("PASSED 02-second: 2/2 points"), "{third}");
    assert!(third.contains("every exercise is done"), "{third}");

    drop(watch.child.stdin.take());
    watch.wait_for("Stopped watching.");
    assert_eq!(watch.exit_code(), Some(0), "{}", watch.seen);
    let listed = text(&course.run(&["list"]).stdout);
    assert!(listed.contains(": 2/2 done"), "watch's checks count as progress:\n{listed}");
    course.assert_clean();
}

#[test]
fn watch_rechecks_on_save_and_stops_cleanly_on_ctrl_c() {
    if !docker_ready(&[STAND_IN]) {
        return;
    }
    let course = Course::new("watch-save");
    // No exercise named: the first one not done.
    let mut watch = Watch::start(&course, &[], Stdio::null());
    let first = watch.wait_for("save to check again");
    assert!(first.contains("FAILED 01-static: 1/2 points"), "{first}");
    assert!(first.contains("Watching exercises/01-static — save to check again, Enter to check now, Ctrl-C to stop."), "{first}");

    course.write("exercises/01-static/Dockerfile", &dockerfile(&course.label, "65532"));
    let second = watch.wait_for("save to check again");
    assert!(second.contains("Checking 01-static") && second.contains("PASSED 01-static: 2/2 points"), "{second}");

    // A touch is a save too.
    let touched = Command::new("touch").arg(course.root().join("exercises/01-static/Dockerfile")).status().unwrap();
    assert!(touched.success());
    let third = watch.wait_for("save to check again");
    assert!(third.contains("Checking 01-static") && third.contains("PASSED 01-static"), "{third}");

    watch.interrupt();
    watch.wait_for("Stopped watching.");
    assert_eq!(watch.exit_code(), Some(0), "{}", watch.seen);
    course.assert_clean();
}

#[test]
fn watch_with_everything_done_says_so() {
    let course = Course::new("watch-done");
    course.write(".shipshape/progress.toml", "[exercises.01-static]\nstate = \"done\"\n[exercises.02-second]\nstate = \"done\"\n");
    let output = course.run(&["watch", "--manual"]);
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    assert_eq!(text(&output.stdout), "Every exercise is done. Well shipped!\n");
}

#[test]
fn watch_cancels_the_check_in_flight_when_a_file_is_saved_again() {
    if !docker_ready(&[STAND_IN]) {
        return;
    }
    let course = Course::new("watch-cancel");
    // A step that sleeps, with new text at every save so that the build cache cannot answer it:
    // a check long enough to be caught in flight.
    let slow = |save: u32| {
        let step = format!("FROM busybox:latest AS slow\nRUN sleep 3 && echo {save} > /saved\n");
        course.write("exercises/01-static/Dockerfile", &(step + &dockerfile(&course.label, "65532") + "COPY --from=slow /saved /saved\n"));
    };
    slow(0);
    let mut watch = Watch::start(&course, &["01"], Stdio::null());
    watch.wait_for("save to check again");
    slow(1);
    watch.wait_for("Checking 01-static");
    std::thread::sleep(Duration::from_millis(500));
    slow(2);
    let cancelled = watch.wait_for("Checking 01-static");
    assert!(cancelled.contains("error: interrupted"), "the first check was not cancelled:\n{cancelled}");
    assert!(!cancelled.contains("PASSED"), "{cancelled}");
    let last = watch.wait_for("save to check again");
    assert!(last.contains("PASSED 01-static: 2/2 points"), "{last}");
    watch.interrupt();
    assert_eq!(watch.exit_code(), Some(0), "{}", watch.seen);
    std::thread::sleep(Duration::from_secs(3));
    course.assert_clean();
}
