//! `shipshape grade` end to end against the real daemon: a fixture class (passing, failing,
//! not building, a symbolic link out of the submission, no Dockerfile) graded side by side; the
//! files it writes and every output format; resuming; Ctrl-C; two daemons, one killed mid-run;
//! a build secret that is not set, which stops the run; the HTML report opened in headless
//! Chromium; hostile submissions (FIFOs, devices, sockets and sparse giants as Dockerfiles,
//! names that are not UTF-8, formulas or workflow commands, forged `shipshape.*` labels); and the
//! limits on what a build leaves: an image past `--max-image-size` never read, a build that fills
//! the daemon's own filesystem failing alone, a submission's images gone as soon as it is graded.
//!
//! What must hold: a test that needs the daemon (or Chromium) skips, saying so, unless
//! SHIPSHAPE_REQUIRE_DOCKER=1 (then it fails). Every fixture Dockerfile labels what it builds with
//! `grade.test=<marker>` right after FROM, so "nothing left behind" is checked on exactly this
//! test's images and containers (intermediate ones included), whatever else the daemon runs.
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use shipshape_test_support::{a_process_mentions, assert_nothing_labelled, docker, docker_ready, students, Chromium};
use tempfile::TempDir;

const BUSYBOX: &str = "shipshape.test/busybox:latest";
const DISTROLESS: [&str; 2] = ["shipshape.test/distroless/static-debian12:nonroot", "shipshape.test/distroless/static-debian12:latest"];
const MAIN_HOST: &str = "unix:///var/run/docker.sock";

const SPEC: &str = r#"[exercise]
title = "Tiny: a static file on distroless"
[checks.builds]
weight = 2
[checks.size]
max = "5 MB"
[checks.non-root]
[checks.no-shell]
weight = 2
[checks.no-package-manager]
"#;

fn image_map() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/images/image-map.toml")
}

/// Docker tests one at a time (timings and the second daemon stay predictable); None = skip.
fn docker_test() -> Option<MutexGuard<'static, ()>> {
    static LOCK: Mutex<()> = Mutex::new(());
    let stand_ins: Vec<&str> = [BUSYBOX].iter().chain(&DISTROLESS).copied().collect();
    docker_ready(&stand_ins).then(|| LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A unique marker for this test's images and containers.
fn marker(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{name}-{}-{nanos}", std::process::id())
}

/// The fixture exercise and class, and the out-dir, in one temporary folder.
struct Fixture {
    dir: TempDir,
    marker: String,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let fixture = Fixture { dir: TempDir::new().unwrap(), marker: marker(name) };
        fixture.write("exercise/exercise.toml", SPEC);
        fixture.write("exercise/hello.txt", "hello\n");
        fixture.write("exercise/Dockerfile", "FROM busybox:1.36\nCOPY hello.txt /hello.txt\n");
        fixture.write("exercise/solution/Dockerfile", "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY hello.txt /hello.txt\nUSER 65532\n");
        fixture
    }

    /// The classic fixture class: two pass (one also hands in a spec of its own, which must not
    /// count), one fails two checks, one does not build, one links out, one has no Dockerfile.
    fn class(name: &str) -> Fixture {
        let fixture = Fixture::new(name);
        let m = fixture.marker.clone();
        fixture.write(
            "class/alice/Dockerfile",
            &format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={m}\nCOPY hello.txt /hello.txt\nUSER 65532\n"),
        );
        fixture.write(
            "class/bob/Dockerfile",
            &format!(
                "FROM gcr.io/distroless/static-debian12\nLABEL grade.test={m}\nCOPY --from=busybox:1.36 /bin/busybox /bin/sh\nCOPY hello.txt /hello.txt\n"
            ),
        );
        fixture.write("class/carol/Dockerfile", &format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={m}\nCOPY missing.txt /\n"));
        fixture.write("class/dave/notes.txt", "see alice\n");
        std::os::unix::fs::symlink("../alice/Dockerfile", fixture.path("class/dave/Dockerfile")).unwrap();
        fixture.write("class/erin/README.md", "I forgot the Dockerfile\n");
        fixture.write(
            "class/frank/Dockerfile",
            &format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={m}\nCOPY hello.txt /hello.txt\nUSER 65532\n"),
        );
        fixture.write("class/frank/exercise.toml", "[checks.builds]\n");
        fixture
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn write(&self, relative: &str, content: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// `shipshape grade class --exercise exercise --out-dir out` plus `extra`.
    fn command(&self, extra: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shipshape"));
        command
            .current_dir(self.dir.path())
            .args(["grade", "class", "--exercise", "exercise", "--out-dir", "out", "--image-map"])
            .arg(image_map())
            .args(extra)
            .env("NO_COLOR", "1")
            .env("SHIPSHAPE_CACHE_DIR", self.path("cache"))
            .env_remove("DOCKER_HOST");
        command
    }

    fn grade(&self, extra: &[&str]) -> Output {
        self.command(extra).output().expect("shipshape runs")
    }

    fn json(&self, relative: &str) -> Value {
        let bytes = std::fs::read(self.path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{relative} is not JSON: {e}"))
    }

    /// Asserts that nothing this fixture built is left: no image or container with its marker.
    fn assert_nothing_left(&self) {
        assert_nothing_labelled(&format!("grade.test={}", self.marker));
    }
}

fn summary(grade: &Value) -> (String, u64, u64) {
    (grade["status"].as_str().unwrap().to_string(), grade["points"]["earned"].as_u64().unwrap(), grade["points"]["possible"].as_u64().unwrap())
}

/// The grade's entry for check `id` (`null` when the grade has none).
fn check_of<'a>(grade: &'a Value, id: &str) -> &'a Value {
    grade["checks"].as_array().and_then(|checks| checks.iter().find(|c| c["id"] == id)).unwrap_or(&Value::Null)
}

fn check_status(grade: &Value, id: &str) -> String {
    check_of(grade, id)["status"].as_str().unwrap_or_default().to_string()
}

#[test]
fn grades_a_class_writes_every_output_and_resumes() {
    let Some(_docker) = docker_test() else { return };
    let fixture = Fixture::class("class");
    let output = fixture.grade(&["--jobs", "3", "--format", "json", "--output", "class.json"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "some submissions fail; stderr:\n{stderr}");
    let class = fixture.json("class.json");
    let grades = students(&class);
    let expected =
        [("alice", ("pass", 7)), ("bob", ("fail", 4)), ("carol", ("fail", 0)), ("dave", ("error", 0)), ("erin", ("error", 0)), ("frank", ("pass", 7))];
    for (student, (status, earned)) in expected {
        assert_eq!(summary(&grades[student]), (status.to_string(), earned, 7), "{student}: {}", grades[student]);
    }
    assert_eq!((check_status(&grades["bob"], "non-root"), check_status(&grades["bob"], "no-shell")), ("fail".into(), "fail".into()));
    assert_eq!(check_status(&grades["carol"], "builds"), "fail");
    assert!(grades["dave"]["message"].as_str().unwrap().contains("points outside the submission"), "{}", grades["dave"]);
    assert!(grades["erin"]["message"].as_str().unwrap().contains("has no Dockerfile"), "{}", grades["erin"]);
    assert_eq!(grades["alice"]["endpoint"], MAIN_HOST);
    assert_eq!(class["totals"], serde_json::json!({"submissions": 6, "pass": 2, "fail": 2, "error": 2}));

    // Exercism's results.json per student, written as each finished.
    for (student, (status, _)) in expected {
        let results = fixture.json(&format!("out/{student}/results.json"));
        assert_eq!((results["version"].as_u64(), results["status"].as_str()), (Some(2), Some(status)), "{student}");
    }
    let bob = fixture.json("out/bob/results.json");
    let shell = bob["tests"].as_array().unwrap().iter().find(|t| t["name"] == "no-shell").unwrap();
    assert_eq!(shell["status"], "fail");
    assert!(shell["message"].as_str().unwrap().contains("Dockerfile:3"), "evidence in the message: {shell}");
    assert!(fixture.json("out/erin/results.json")["message"].as_str().unwrap().contains("has no Dockerfile"));
    fixture.assert_nothing_left();

    // A re-run grades nothing again, and renders every other format from the stored grades.
    let again = fixture.grade(&["--format", "csv"]);
    let again_err = text(&again.stderr);
    assert!(again_err.contains("resuming: 6 submissions already graded") && !again_err.contains("grading "), "{again_err}");
    let mut reader = csv::Reader::from_reader(&again.stdout[..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    assert_eq!(rows.len(), 4 * 5 + 2, "a row per student and check; one per unjudged submission");
    let bob_shell = rows.iter().find(|r| &r[0] == "bob" && &r[7] == "no-shell").expect("bob's no-shell row");
    assert_eq!((&bob_shell[8], &bob_shell[10]), ("fail", "2"));
    assert!(bob_shell[12].contains("/bin/sh"), "evidence: {bob_shell:?}");

    let junit = text(&fixture.grade(&["--format", "junit"]).stdout);
    assert!(junit.starts_with("<?xml") && junit.trim_end().ends_with("</testsuites>"), "{junit}");
    assert_eq!(junit.matches("<testsuite ").count(), 6, "one suite per student:\n{junit}");
    assert!(junit.contains("<testsuite name=\"dave\"") && junit.contains("<error message=\"the symbolic link"), "{junit}");

    let github = text(&fixture.grade(&["--format", "github"]).stdout);
    assert!(github.contains("::error file=class/bob/Dockerfile,line=3,title=no-shell::1 shell found"), "{github}");
    assert!(github.contains("::error file=class/carol/Dockerfile,line=3,title=builds::"), "{github}");
    assert!(github.contains("::error file=class/erin/Dockerfile,title=grade::the submission has no Dockerfile"), "{github}");

    // `check --format github` annotates the same way, for a learner's own workflow.
    let check = Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .current_dir(fixture.dir.path())
        .args(["check", "exercise", "--dockerfile", "class/bob/Dockerfile", "--format", "github", "--image-map"])
        .arg(image_map())
        .env("SHIPSHAPE_CACHE_DIR", fixture.path("cache"))
        .output()
        .unwrap();
    let annotations = text(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    assert!(annotations.contains("::error file=class/bob/Dockerfile,line=3,title=no-shell::1 shell found"), "{annotations}");
    assert!(annotations.trim_end().ends_with("shipshape exercise: failed, 4/7 points"), "{annotations}");

    let table = text(&fixture.grade(&[]).stdout);
    assert!(
        table.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["bob", "FAIL", "4/7", "pass", "pass", "FAIL", "FAIL", "pass", "3.9", "MB"]),
        "{table}"
    );

    // A changed submission is graded again; the others are kept. --restart grades all again.
    fixture.write(
        "class/carol/Dockerfile",
        &format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={}\nCOPY hello.txt /\nUSER 65532\n", fixture.marker),
    );
    let fixed = fixture.grade(&["--format", "json"]);
    let fixed_err = text(&fixed.stderr);
    assert!(fixed_err.contains("resuming: 5 submissions") && fixed_err.contains("grading carol") && !fixed_err.contains("grading alice"), "{fixed_err}");
    assert_eq!(summary(&students(&serde_json::from_slice(&fixed.stdout).unwrap())["carol"]), ("pass".into(), 7, 7));
    let restarted = text(&fixture.grade(&["--restart"]).stderr);
    assert!(!restarted.contains("resuming") && restarted.contains("grading alice") && restarted.contains("[6/6]"), "{restarted}");
    fixture.assert_nothing_left();
}

#[test]
fn a_build_secret_that_is_not_set_stops_the_run_before_any_submission() {
    let fixture = Fixture::new("unset-secret");
    let variable = format!("SHIPSHAPE_TEST_UNSET_SECRET_{}", std::process::id());
    fixture.write("exercise/exercise.toml", &SPEC.replace("[exercise]\n", &format!("[exercise]\nsecrets = {{ token = {{ env = \"{variable}\" }} }}\n")));
    fixture.write("class/alice/Dockerfile", "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY hello.txt /hello.txt\n");
    let output = fixture.grade(&[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "the run itself cannot go on: {stderr}");
    assert!(stderr.contains(&format!("the build secret `token` comes from the environment variable {variable}, which is not set")), "{stderr}");
    assert!(stderr.contains(&format!("set {variable} before running Shipshape")), "{stderr}");
    assert!(!stderr.contains("grading alice") && !fixture.path("out").exists(), "no submission was graded: {stderr}");
}

#[test]
fn html_report_renders_offline_in_headless_chromium() {
    let Some(_docker) = docker_test() else { return };
    let Some(chromium) = Chromium::find() else { return };
    let fixture = Fixture::class("html");
    let output = fixture.grade(&["--format", "html", "--output", "report.html"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let html = std::fs::read_to_string(fixture.path("report.html")).unwrap();
    for external in ["http://", "https://", "src=", "<link"] {
        let uses = html.matches(external).count() - html.matches("http://www.w3.org/2000/svg").count() * usize::from(external == "http://");
        assert_eq!(uses, 0, "the report must not load `{external}`");
    }

    let url = format!("file://{}", fixture.path("report.html").display());
    let dom = chromium.headless(&["--dump-dom"], &url);
    assert!(dom.contains("data-ready=\"yes\""), "the inline script ran:\n{dom}");
    assert!(dom.contains("<svg id=\"size-chart\""), "the chart is there");
    assert_eq!(dom.matches("<circle class=\"dot\"").count(), 3, "one dot per image (alice, bob, frank)");
    assert_eq!(dom.matches("<tr class=\"student\"").count(), 6, "a row per student");
    assert_eq!(dom.matches("<details class=\"detail\"").count(), 6, "a detail per student");
    assert_eq!(dom.matches("<tr class=\"rate\"").count(), 5, "a pass rate per check");

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("grade");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("class-report.png");
    let _ = std::fs::remove_file(&shot);
    chromium.headless(&["--window-size=1200,1600", &format!("--screenshot={}", shot.display())], &url);
    assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000), "a screenshot at {}", shot.display());
    fixture.assert_nothing_left();
}

/// A class whose every build sleeps in a RUN step, then passes.
fn slow_class(name: &str, students: usize, seconds: u32) -> Fixture {
    let fixture = Fixture::new(name);
    write_slow_class(&fixture, students, seconds, 0);
    fixture
}

/// Writes the class's Dockerfiles for grading round `round`: each round's slow step differs, so
/// it misses the build cache that earlier rounds filled.
fn write_slow_class(fixture: &Fixture, students: usize, seconds: u32, round: u32) {
    for n in 0..students {
        let dockerfile = format!(
            "FROM busybox:1.36 AS build\nLABEL grade.test={m}\nRUN sleep {seconds} && echo {n} {m} {round} > /n.txt\n\
             FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={m}\nCOPY --from=build /n.txt /n.txt\nUSER 65532\n",
            m = fixture.marker
        );
        fixture.write(&format!("class/student{n:02}/Dockerfile"), &dockerfile);
    }
}

/// The child's standard error, line by line, as it comes.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Reads lines until one matches, keeping all of them in `seen`.
fn wait_for(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, within: Duration, matches: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) => {
                let found = matches(&line);
                seen.push(line);
                if found {
                    return;
                }
            }
            Err(_) => break,
        }
    }
    panic!("no matching line within {within:?}; stderr so far:\n{}", seen.join("\n"));
}

fn wait_with_timeout(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("shipshape grade did not finish within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn ctrl_c_mid_run_leaves_nothing_behind() {
    let Some(_docker) = docker_test() else { return };
    let fixture = slow_class("interrupt", 4, 60);
    let mut child = fixture.command(&["--jobs", "2"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let lines = stderr_lines(&mut child);
    let mut seen = Vec::new();
    wait_for(&lines, &mut seen, Duration::from_secs(60), |l| l.starts_with("grading student"));
    // Wait until a build is in its RUN step: a process whose command line names the marker.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !a_process_mentions(&fixture.marker) {
        assert!(Instant::now() < deadline, "no build started: {}", seen.join("\n"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let started = Instant::now();
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let status = wait_with_timeout(&mut child, Duration::from_secs(50));
    seen.extend(lines.try_iter());
    assert_eq!(status.code(), Some(2), "{}", seen.join("\n"));
    assert!(seen.iter().any(|l| l.contains("error: interrupted")), "{}", seen.join("\n"));
    assert!(started.elapsed() < Duration::from_secs(50), "it stopped without waiting for the builds");
    assert!(!fixture.path("out/student00/results.json").exists(), "nothing was graded");
    fixture.assert_nothing_left();
}

/// A second dockerd on its own socket and folders, stopped and removed on drop.
struct SecondDaemon {
    base: String,
    host: String,
    daemon: Child,
}

impl SecondDaemon {
    fn start() -> SecondDaemon {
        SecondDaemon::start_in(format!("/tmp/ssg{}", std::process::id()))
    }

    /// A second daemon whose data root is a filesystem of its own, `size` large (an ext4 file
    /// system in a file, loop-mounted), as `SHIPSHAPE_ENGINE_DISK` makes for `scripts/engine`.
    fn start_on_disk(size: &str) -> SecondDaemon {
        let base = format!("/tmp/ssd{}", std::process::id());
        let (disk, root) = (format!("{base}-disk.img"), format!("{base}-root"));
        std::fs::create_dir_all(&root).unwrap();
        for command in [vec!["fallocate", "-l", size, &disk], vec!["mkfs.ext4", "-q", "-F", &disk], vec!["mount", "-o", "loop", &disk, &root]] {
            let output = Command::new(command[0]).args(&command[1..]).output().unwrap_or_else(|e| panic!("{}: {e}", command[0]));
            assert!(output.status.success(), "{command:?}: {}", text(&output.stderr));
        }
        SecondDaemon::start_in(base)
    }

    fn start_in(base: String) -> SecondDaemon {
        let host = format!("unix://{base}.sock");
        let log = std::fs::File::create(format!("{base}.log")).unwrap();
        let daemon = Command::new("dockerd")
            .args(["--bridge=none", "--iptables=false", "--ip-masq=false", "--host", &host])
            .args(["--data-root", &format!("{base}-root"), "--exec-root", &format!("{base}-exec"), "--pidfile", &format!("{base}.pid")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("dockerd starts");
        let second = SecondDaemon { base, host, daemon };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !second.docker(&["info"]).status.success() {
            assert!(
                Instant::now() < deadline,
                "the second dockerd did not come up: {}",
                std::fs::read_to_string(format!("{}.log", second.base)).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        second
    }

    fn docker(&self, args: &[&str]) -> Output {
        Command::new("docker").arg("-H").arg(&self.host).args(args).output().expect("the docker CLI runs")
    }

    /// `docker save IMAGES | docker -H second load`.
    fn load(&self, images: &[&str]) {
        let mut save = Command::new("docker").arg("save").args(images).stdout(Stdio::piped()).spawn().unwrap();
        let load = Command::new("docker").arg("-H").arg(&self.host).arg("load").stdin(save.stdout.take().unwrap()).output().unwrap();
        assert!(save.wait().unwrap().success() && load.status.success(), "loading into the second daemon: {}", text(&load.stderr));
    }

    /// SIGKILL: the daemon dies mid-run, as a crashed machine's would.
    fn kill(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

impl Drop for SecondDaemon {
    fn drop(&mut self) {
        if self.daemon.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill").args(["-TERM", &self.daemon.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while self.daemon.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
            }
            self.kill();
        }
        // What a killed daemon leaves: container shims (and their containers), then mounts.
        let exec_root = format!("{}-exec", self.base);
        for pid in processes_mentioning(&exec_root).into_iter().flat_map(with_descendants) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        let root = format!("{}-root", self.base);
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let mut ours: Vec<&str> =
            mounts.lines().filter_map(|l| l.split_whitespace().nth(1)).filter(|m| m.starts_with(&root) || m.starts_with(&exec_root)).collect();
        ours.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for mount in ours {
            let _ = Command::new("umount").args(["-l", mount]).status();
        }
        for path in [root, exec_root] {
            let _ = std::fs::remove_dir_all(path);
        }
        for suffix in [".sock", ".pid", ".log", "-disk.img"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.base));
        }
    }
}

/// Processes whose command line mentions `needle` (a path unique to this test).
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| text(&c).contains(needle)))
        .collect()
}

/// `pid` and every process below it.
fn with_descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(|e| {
                    let child: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
                    let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
                    let parent = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
                    Some((child, parent))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut all = vec![pid];
    let mut index = 0;
    while index < all.len() {
        let parent = all[index];
        all.extend(parents.iter().filter(|(_, p)| *p == parent).map(|(c, _)| *c));
        index += 1;
    }
    all
}

#[test]
fn two_daemons_share_the_class_and_one_dying_moves_its_work() {
    let Some(_docker) = docker_test() else { return };
    let mut second = SecondDaemon::start();
    second.load(&[BUSYBOX, DISTROLESS[0]]);
    let main = format!("{MAIN_HOST}#jobs=1");
    let other = format!("{}#jobs=1", second.host);
    let fixture = slow_class("two", 6, 3);

    let output = fixture.grade(&["--jobs", "2", "--docker-host", &main, "--docker-host", &other, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let grades = students(&serde_json::from_slice(&output.stdout).unwrap());
    let used: BTreeSet<&str> = grades.values().map(|g| g["endpoint"].as_str().unwrap()).collect();
    assert_eq!(used, BTreeSet::from([MAIN_HOST, second.host.as_str()]), "both endpoints graded");
    assert!(grades.values().all(|g| summary(g) == ("pass".into(), 7, 7)), "{grades:?}");
    assert!(second.docker(&["images", "-aq", "--filter", &format!("label=grade.test={}", fixture.marker)]).stdout.is_empty(), "swept on the second daemon too");

    // Again from scratch, with builds the cache cannot answer; the second daemon dies in the
    // middle of one.
    write_slow_class(&fixture, 6, 3, 1);
    let mut child = fixture
        .command(&["--restart", "--jobs", "2", "--docker-host", &main, "--docker-host", &other, "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child);
    let mut seen = Vec::new();
    let on_second = format!(" on {}", second.host);
    wait_for(&lines, &mut seen, Duration::from_secs(60), |l| l.starts_with("grading") && l.ends_with(&on_second));
    std::thread::sleep(Duration::from_secs(1));
    second.kill();
    let status = wait_with_timeout(&mut child, Duration::from_secs(180));
    seen.extend(lines.try_iter());
    let stdout = child.stdout.take().map(|mut out| {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut bytes).unwrap();
        bytes
    });
    assert_eq!(status.code(), Some(0), "{}", seen.join("\n"));
    let grades = students(&serde_json::from_slice(&stdout.unwrap()).unwrap());
    assert_eq!(grades.len(), 6);
    assert!(grades.values().all(|g| summary(g) == ("pass".into(), 7, 7)), "every submission still graded: {grades:?}");
    let moved: Vec<&Value> = grades.values().filter(|g| g["moved_from"].as_array().is_some_and(|m| !m.is_empty())).collect();
    assert!(!moved.is_empty(), "a submission moved: {grades:?}\n{}", seen.join("\n"));
    assert!(moved.iter().all(|g| g["endpoint"] == MAIN_HOST && g["moved_from"][0] == second.host.as_str()));
    assert!(seen.iter().any(|l| l.contains("stopped answering")), "{}", seen.join("\n"));
    fixture.assert_nothing_left();
}

/// What a hostile class hands in besides honest work: a Dockerfile that is a FIFO, a socket, a
/// 3 GB sparse file or (as root) a character device; folder names that differ only in bytes that
/// are not UTF-8; names that are spreadsheet formulas, workflow commands or terminal escapes.
#[test]
fn hostile_files_and_names_are_refused_or_escaped_and_the_run_finishes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let Some(_docker) = docker_test() else { return };
    let fixture = Fixture::new("hostile");
    let m = fixture.marker.clone();
    let passing = format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={m}\nCOPY hello.txt /hello.txt\nUSER 65532\n");
    let failing =
        format!("FROM gcr.io/distroless/static-debian12\nLABEL grade.test={m}\nCOPY --from=busybox:1.36 /bin/busybox /bin/sh\nCOPY hello.txt /hello.txt\n");
    let folder = |name: &[u8]| {
        let dir = fixture.path("class").join(OsStr::from_bytes(name));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    };
    let mallory = b"mallory\n::error::forged \x1b[31m";
    for (name, dockerfile) in [(&b"alice"[..], &passing), (b"caf\xe9", &passing), (b"caf\xe8", &failing), (b"=1+1", &passing), (mallory, &passing)] {
        std::fs::write(folder(name).join("Dockerfile"), dockerfile).unwrap();
    }
    assert!(Command::new("mkfifo").arg(folder(b"fifo").join("Dockerfile")).status().unwrap().success());
    let _socket = std::os::unix::net::UnixListener::bind(folder(b"socket").join("Dockerfile")).unwrap();
    std::fs::File::create(folder(b"sparse").join("Dockerfile")).unwrap().set_len(3_000_000_000).unwrap();
    let device = Command::new("mknod").arg(folder(b"zero").join("Dockerfile")).args(["c", "1", "5"]).status().is_ok_and(|s| s.success());

    let mut child =
        fixture.command(&["--jobs", "3", "--format", "json", "--output", "class.json"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let lines = stderr_lines(&mut child);
    let status = wait_with_timeout(&mut child, Duration::from_secs(300));
    let progress: Vec<String> = lines.try_iter().collect();
    assert_eq!(status.code(), Some(1), "{}", progress.join("\n"));
    let grades = students(&fixture.json("class.json"));
    let mallory_id = "mallory%0A::error::forged %1B[31m";
    for (student, expected) in [("alice", ("pass", 7)), ("caf%E9", ("pass", 7)), ("caf%E8", ("fail", 4)), ("=1+1", ("pass", 7)), (mallory_id, ("pass", 7))] {
        assert_eq!(summary(&grades[student]), (expected.0.to_string(), expected.1, 7), "{student}: {}", grades[student]);
    }
    // Four submissions build the same image side by side: each gets an image of its own, so one
    // grade removing its image cannot pull it from under another's export.
    let honest = ["alice", "caf%E9", "=1+1", mallory_id];
    let images: std::collections::HashSet<&str> = honest.iter().filter_map(|student| grades[*student]["image"]["id"].as_str()).collect();
    assert_eq!(images.len(), honest.len(), "{grades:?}");
    let refused = [
        ("fifo", "Dockerfile in the submission is a FIFO (named pipe), not a regular file"),
        ("socket", "Dockerfile in the submission is a socket, not a regular file"),
        ("sparse", "the submission's learner files are over the 200 MB limit: Dockerfile is 3 GB"),
        ("zero", "Dockerfile in the submission is a character device, not a regular file"),
    ];
    for (student, message) in refused.iter().filter(|(student, _)| device || *student != "zero") {
        assert_eq!(grades[*student]["status"], "error", "{student}: {}", grades[*student]);
        assert!(grades[*student]["message"].as_str().unwrap().contains(message), "{student}: {}", grades[*student]);
    }
    assert_eq!(grades.len(), 8 + usize::from(device));
    // Two names that differ only in a byte that is not UTF-8 keep their own results.
    assert_eq!(fixture.json("out/caf%E9/grade.json")["status"], "pass");
    assert_eq!(fixture.json("out/caf%E8/results.json")["status"], "fail");
    assert!(fixture.path(&format!("out/{mallory_id}/grade.json")).is_file());
    // The progress lines carry no raw control character and forge no workflow command.
    assert_eq!(progress.iter().filter(|l| l.starts_with('[')).count(), grades.len(), "{}", progress.join("\n"));
    assert!(progress.iter().all(|l| !l.contains('\x1b') && !l.trim_start().starts_with("::")), "{}", progress.join("\n"));

    // Every other output, from the stored grades.
    let csv_text = text(&fixture.grade(&["--format", "csv"]).stdout);
    assert!(csv_text.lines().all(|l| l.starts_with('"')), "every cell quoted:\n{csv_text}");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv_text.as_bytes()).records().map(|r| r.unwrap()).collect();
    assert!(rows.iter().any(|r| &r[0] == "'=1+1"), "{csv_text}");
    let formulas: Vec<&str> = rows.iter().flat_map(|r| r.iter()).filter(|cell| cell.starts_with(['=', '+', '-', '@', '\t', '\r'])).collect();
    assert!(formulas.is_empty(), "cells a spreadsheet would run: {formulas:?}");
    assert!(!csv_text.contains('\x1b'), "{csv_text}");

    let github = text(&fixture.grade(&["--format", "github"]).stdout);
    for line in github.lines().filter(|l| l.trim_start().starts_with("::")) {
        assert!(line.starts_with("::error file=class/") || line.starts_with("::warning file=class/"), "a forged command: {line}\n{github}");
    }
    assert!(github.contains("::error file=class/fifo/Dockerfile,title=grade::Dockerfile in the submission is a FIFO"), "{github}");
    assert!(github.contains(&format!("student {mallory_id}: pass, 7/7 points")), "{github}");
    assert!(!github.contains('\x1b'), "{github}");

    let table = text(&fixture.grade(&[]).stdout);
    assert!(!table.contains('\x1b') && table.contains(mallory_id), "{table}");
    assert_eq!(table.lines().filter(|l| l.contains("mallory")).count(), 1, "one row, no forged line:\n{table}");

    let junit = text(&fixture.grade(&["--format", "junit"]).stdout);
    assert!(!junit.chars().any(|c| c.is_control() && c != '\n'), "{junit:?}");
    assert_eq!(junit.matches("<testsuite ").count(), grades.len(), "{junit}");

    let html = text(&fixture.grade(&["--format", "html"]).stdout);
    assert!(!html.contains('\x1b') && html.contains("mallory%0A::error::forged %1B[31m"), "the name shown as its id");
    fixture.assert_nothing_left();
}

/// Labels a submission's Dockerfile sets — Shipshape's own, forged, in a builder stage or the
/// final one — do not change what the janitor removes: with either builder, nothing is left.
#[test]
fn forged_shipshape_labels_leave_nothing_behind() {
    let Some(_docker) = docker_test() else { return };
    let fixture = Fixture::new("forged");
    let m = fixture.marker.clone();
    let forged = format!("grade.test={m} shipshape=1 shipshape.owner=\"elsewhere/0b00/1/1\" shipshape.run=\"forged-{m}\"");
    let dockerfile = format!(
        "FROM busybox:1.36 AS build\nLABEL {forged}\nRUN echo {m} > /marker\n\
         FROM gcr.io/distroless/static-debian12:nonroot\nLABEL {forged}\nCOPY --from=build /marker /marker\nCOPY hello.txt /hello.txt\nUSER 65532\n"
    );
    fixture.write("class/forger/Dockerfile", &dockerfile);
    fixture.write(
        "class/honest/Dockerfile",
        &format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={m}\nCOPY hello.txt /hello.txt\nUSER 65532\n"),
    );
    for builder in ["legacy", "buildkit"] {
        let output = fixture.grade(&["--restart", "--builder", builder, "--format", "json"]);
        assert_eq!(output.status.code(), Some(0), "{builder}: {}", text(&output.stderr));
        let grades = students(&serde_json::from_slice(&output.stdout).unwrap());
        assert!(grades.values().all(|g| summary(g) == ("pass".into(), 7, 7)), "{builder}: {grades:?}");
        fixture.assert_nothing_left();

        let check = Command::new(env!("CARGO_BIN_EXE_shipshape"))
            .current_dir(fixture.dir.path())
            .args(["check", "exercise", "--dockerfile", "class/forger/Dockerfile", "--format", "json", "--builder", builder, "--image-map"])
            .arg(image_map())
            .env("SHIPSHAPE_CACHE_DIR", fixture.path("cache"))
            .output()
            .unwrap();
        assert_eq!(check.status.code(), Some(0), "{builder}: {}", text(&check.stderr));
        let said = text(&check.stdout);
        assert!(!said.contains(".shipshape.Dockerfile"), "{said}");
        fixture.assert_nothing_left();
    }
}

/// A built image past `--max-image-size` is judged from the daemon's answer alone: `builds` fails
/// at the step that added the most, and not a byte of the image is read (the layer cache, which
/// every read image fills, stays empty), whichever builder built it.
#[test]
fn an_image_past_the_size_budget_fails_builds_at_its_largest_step_unread() {
    let Some(_docker) = docker_test() else { return };
    let fixture = Fixture::new("budget");
    let m = fixture.marker.clone();
    fixture.write(
        "class/hoarder/Dockerfile",
        &format!("FROM busybox:1.36\nLABEL grade.test={m}\nRUN dd if=/dev/zero of=/ballast bs=1M count=30\nCOPY hello.txt /hello.txt\n"),
    );
    for builder in ["buildkit", "legacy"] {
        let output = fixture.grade(&["--restart", "--builder", builder, "--format", "json", "--max-image-size", "20 MB"]);
        assert_eq!(output.status.code(), Some(1), "{builder}: {}", text(&output.stderr));
        let grade = students(&serde_json::from_slice(&output.stdout).unwrap())["hoarder"].clone();
        let builds = check_of(&grade, "builds");
        assert_eq!(builds["status"], "fail", "{builder}: {grade:#}");
        assert_eq!(builds["evidence"][0]["dockerfile_line"], 3, "{builder}: {grade:#}");
        let message = builds["evidence"][0]["message"].as_str().unwrap();
        assert!(message.contains("over the 20 MB Shipshape reads of a built image; its largest step added 31"), "{builder}: {message}");
        assert!(builds["hint"].as_str().unwrap().contains("far larger than any image this course ships"), "{builder}: {grade:#}");
        let read: Vec<_> = std::fs::read_dir(fixture.path("cache/layers")).map(|dir| dir.collect()).unwrap_or_default();
        assert!(read.is_empty(), "{builder}: the image was read: {read:?}");
        fixture.assert_nothing_left();
    }
}

/// The daemon's BuildKit takes no storage quota per build here (overlay2's needs XFS project
/// quotas, which this kernel lacks), so the disk budget is the data root's own filesystem
/// (`scripts/engine` with `SHIPSHAPE_ENGINE_DISK`): a step that writes past it is stopped by the
/// kernel (ENOSPC), fails its own `builds` with a hint that says so, and the submission graded
/// after it builds, because the failed step's writes are gone with it.
#[test]
fn a_build_that_fills_the_daemons_disk_fails_alone_and_the_next_one_builds() {
    let Some(_docker) = docker_test() else { return };
    let second = SecondDaemon::start_on_disk("2G");
    second.load(&[BUSYBOX, DISTROLESS[0]]);
    let fixture = Fixture::new("disk");
    let m = fixture.marker.clone();
    fixture.write(
        "class/filler/Dockerfile",
        &format!(
            "FROM busybox:1.36\nLABEL grade.test={m}\nRUN for i in 1 2 3; do dd if=/dev/zero of=/fill$i bs=1M count=900 || exit 1; done\nCOPY hello.txt /hello.txt\n"
        ),
    );
    fixture.write(
        "class/honest/Dockerfile",
        &format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={m}\nCOPY hello.txt /hello.txt\nUSER 65532\n"),
    );
    let output = fixture.grade(&["--jobs", "1", "--docker-host", &second.host, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let grades = students(&serde_json::from_slice(&output.stdout).unwrap());
    let builds = check_of(&grades["filler"], "builds");
    assert_eq!((builds["status"].as_str(), builds["evidence"][0]["dockerfile_line"].as_u64()), (Some("fail"), Some(3)), "{builds:#}");
    assert!(builds["hint"].as_str().unwrap().contains("filled the disk"), "{builds:#}");
    assert_eq!(summary(&grades["honest"]), ("pass".into(), 7, 7), "{:#}", grades["honest"]);
    let left = second.docker(&["images", "-aq", "--filter", &format!("label=grade.test={m}")]);
    assert!(left.stdout.is_empty(), "left on the second daemon: {}", text(&left.stdout));
}

/// A submission's images are gone as soon as its grade is written, not when the class is done:
/// while the second submission still builds, nothing the first built is left, with either builder.
#[test]
fn a_graded_submissions_images_go_before_the_next_one_is_done() {
    let Some(_docker) = docker_test() else { return };
    let fixture = Fixture::new("prompt");
    let m = fixture.marker.clone();
    fixture.write(
        "class/alice/Dockerfile",
        &format!("FROM gcr.io/distroless/static-debian12:nonroot\nLABEL grade.test={m} who=alice-{m}\nCOPY hello.txt /hello.txt\nUSER 65532\n"),
    );
    for builder in ["legacy", "buildkit"] {
        fixture.write(
            "class/bob/Dockerfile",
            &format!("FROM busybox:1.36\nLABEL grade.test={m}\nRUN echo {builder}-{m} && sleep 15\nCOPY hello.txt /hello.txt\n"),
        );
        let mut child = fixture.command(&["--restart", "--jobs", "1", "--builder", builder]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let lines = stderr_lines(&mut child);
        let mut seen = Vec::new();
        wait_for(&lines, &mut seen, Duration::from_secs(120), |l| l.starts_with("[1/2] alice"));
        let alices = text(&docker(&["images", "-aq", "--filter", &format!("label=who=alice-{m}")]).stdout);
        let bob_building = child.try_wait().unwrap().is_none();
        assert!(alices.trim().is_empty() && bob_building, "{builder}: alice's images while bob builds: {alices:?} (bob still building: {bob_building})");
        wait_with_timeout(&mut child, Duration::from_secs(120));
        fixture.assert_nothing_left();
    }
}
