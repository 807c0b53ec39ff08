//! Shared support for the course's end-to-end tests: the real `shipshape` binary, the real Docker
//! daemon, the stand-in images and the exercises.
//!
//! What must hold: a test that needs the daemon skips only when SHIPSHAPE_REQUIRE_DOCKER is unset;
//! with it set (CI), a missing daemon or stand-in image fails the test. Docker tests run one at a
//! time (see [`docker_lock`]) so that "nothing left behind" can be asserted after each. What every
//! test suite shares (the daemon check, the HTTP server, Chromium) is in `shipshape-test-support`.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use shipshape_test_support::docker_ready;
pub use shipshape_test_support::{a_process_mentions, docker};

/// A text no earlier run used (the test process and the time): put into a build step, it keeps the
/// build cache from answering the step, so a cached result can neither fake a pass nor hide a failure.
pub fn nonce() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// `../shared/fixtures/...` beside the checkout.
pub fn fixture(relative: &str) -> PathBuf {
    let path = root().join("../shared/fixtures").join(relative);
    assert!(path.exists(), "fixture {} is missing (../shared/fixtures comes with the machine)", path.display());
    path
}

pub fn image_map() -> PathBuf {
    root().join("tests/images/image-map.toml")
}

/// Every exercise folder, in order.
pub fn exercises() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("exercises"))
        .expect("exercises/ exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.join("exercise.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The `shipshape` binary of this workspace, built once per test process with the same profile.
pub fn shipshape_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| std::env::var_os("SHIPSHAPE_BIN").map_or_else(|| workspace_bin("shipshape", "shipshape"), PathBuf::from)).clone()
}

/// A binary of this workspace's `package`, built with the tests' own profile into the target
/// folder cargo uses ($CARGO_TARGET_DIR, else `target/`).
fn workspace_bin(package: &str, bin: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let release = !cfg!(debug_assertions);
    let mut build = Command::new(cargo);
    build.current_dir(root()).args(["build", "--quiet", "-p", package, "--bin", bin]);
    if release {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building {bin} failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), |dir| root().join(dir));
    target.join(if release { "release" } else { "debug" }).join(bin)
}

/// The course's vulnerability database (tests/vulndb: real advisories), imported once per test
/// process into its own folder; every `shipshape` run of the tests uses it.
pub fn test_db() -> PathBuf {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("shipshape-test-db-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let output =
            Command::new(shipshape_bin()).current_dir(root()).args(["db", "import", "tests/vulndb", "--db-dir"]).arg(&dir).output().expect("shipshape runs");
        assert!(output.status.success(), "importing tests/vulndb failed: {}", String::from_utf8_lossy(&output.stderr));
        dir
    })
    .clone()
}

/// Runs `shipshape` with the arguments, from the workspace root.
pub fn shipshape(args: &[&str]) -> Output {
    shipshape_with_env(args, &[])
}

pub fn shipshape_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    spawn_shipshape(args, env).wait_with_output().expect("shipshape runs")
}

/// Starts `shipshape` with the arguments (stdout and stderr piped), recording its process id.
pub fn spawn_shipshape(args: &[&str], env: &[(&str, &str)]) -> Child {
    spawn_shipshape_through(&[], args, env)
}

/// As [`spawn_shipshape`], started by `wrapper` (a command that then executes `shipshape` in its
/// own process, as `unshare --net` does), or directly when `wrapper` is empty.
pub fn spawn_shipshape_through(wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = match wrapper {
        [program, options @ ..] => {
            let mut command = Command::new(program);
            command.args(options).arg(shipshape_bin());
            command
        }
        [] => Command::new(shipshape_bin()),
    };
    let cache = std::env::temp_dir().join(format!("shipshape-test-cache-{}", std::process::id()));
    command.current_dir(root()).args(args).env("NO_COLOR", "1").env("SHIPSHAPE_DB_DIR", test_db()).env("SHIPSHAPE_CACHE_DIR", cache);
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("shipshape runs");
    spawned().lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(child.id());
    child
}

/// The process ids of every `shipshape` this test process ran through [`shipshape_with_env`], in
/// order: what they tagged is theirs (a run's tag names its process, see [`run_tags_of`]).
fn spawned() -> &'static Mutex<Vec<u32>> {
    static SPAWNED: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    &SPAWNED
}

/// Where BuildKit builds are tagged: `shipshape.test/run/HOST/BOOT/PID.START:RUN` (BuildKit
/// images carry no per-run label, so that an unchanged step hits the cache across runs).
pub const RUN_REPOSITORY: &str = "shipshape.test/run/";

/// Builds `dockerfile` as an exercise judged by `spec` (with the stand-in images) and returns the
/// JSON report, whose `builds` check must pass.
pub fn judge_dockerfile(name: &str, dockerfile: &str, spec: &str) -> serde_json::Value {
    judge_dockerfile_with(name, dockerfile, spec, &[])
}

/// [`judge_dockerfile`] with more `files` in the build context.
pub fn judge_dockerfile_with(name: &str, dockerfile: &str, spec: &str, files: &[(&str, &[u8])]) -> serde_json::Value {
    let dir = Scratch::new(name, &[("exercise.toml", spec), ("Dockerfile", dockerfile)]);
    for (path, bytes) in files {
        std::fs::write(dir.dir.join(path), bytes).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    let output = shipshape(&["check", &dir.path(""), "--image-map", &image_map().display().to_string(), "--format", "json"]);
    let report = report(&output);
    assert_eq!(check_of(&report, "builds")["status"], "pass", "{report:#}");
    report
}

/// One check's entry in a JSON report.
pub fn check_of<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"].as_array().expect("checks is a list").iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

/// Every image tag under [`RUN_REPOSITORY`] on the daemon, whoever made it.
pub fn run_tags() -> Vec<String> {
    let listed = stdout(&docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"]));
    listed.lines().filter(|tag| tag.starts_with(RUN_REPOSITORY)).map(str::to_string).collect()
}

/// The process id a run tag names (`…/PID.START:RUN`).
pub fn tag_pid(tag: &str) -> Option<u32> {
    let repository = tag.rsplit_once(':').map_or(tag, |(repository, _)| repository);
    repository.rsplit('/').next()?.split('.').next()?.parse().ok()
}

/// The run tags made by the processes `pids`.
pub fn run_tags_of(pids: &[u32]) -> Vec<String> {
    run_tags().into_iter().filter(|tag| tag_pid(tag).is_some_and(|pid| pids.contains(&pid))).collect()
}

/// The run tags made by every `shipshape` this test process has run: none may outlive its run.
pub fn run_tags_left() -> Vec<String> {
    let pids = spawned().lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    run_tags_of(&pids)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON report a run printed.
pub fn report(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not a JSON report ({e}):\n{}\n{}", stdout(output), stderr(output)))
}

/// `(id, status)` of every check in a JSON report.
pub fn statuses(report: &serde_json::Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .expect("checks is a list")
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

pub fn ids_with_status(report: &serde_json::Value, status: &str) -> Vec<String> {
    statuses(report).into_iter().filter(|(_, s)| s == status).map(|(id, _)| id).collect()
}

/// The stand-in images the image map points at (tests/images/build-images makes them).
fn stand_ins() -> Vec<String> {
    let map: toml::Table = toml::from_str(&std::fs::read_to_string(image_map()).expect("the image map exists")).expect("the image map parses");
    let mut images: Vec<String> = map["images"].as_table().expect("[images]").values().filter_map(|v| v.as_str().map(str::to_string)).collect();
    images.sort();
    images.dedup();
    images
}

/// Holds the Docker lock for one test; `None` means skip (no daemon and not required).
/// On drop, asserts that the test left nothing labelled `shipshape.run` behind: nothing that was not
/// there when it started (a run killed before these tests, e.g. by a reboot, is not theirs); and no
/// image tagged under [`RUN_REPOSITORY`] by a `shipshape` the test ran.
pub struct DockerTest {
    _lock: MutexGuard<'static, ()>,
    before: Vec<String>,
    /// How many `shipshape` processes had run before the test started.
    spawned_before: usize,
}

/// The ids of every container and image labelled with a Shipshape run (every image a build
/// commits carries it, intermediate ones too).
fn labelled() -> Vec<String> {
    let containers = stdout(&docker(&["ps", "-aq", "--filter", "label=shipshape.run"]));
    let images = stdout(&docker(&["images", "-aq", "--filter", "label=shipshape.run"]));
    containers.split_whitespace().chain(images.split_whitespace()).map(str::to_string).collect()
}

/// The ids of the labelled containers and images made by a Shipshape process that is still running
/// on this host and is not one this test process started: another user of the same daemon (a
/// second test run, a learner's `watch`) whose run is under way, not something a test left.
fn live_strangers() -> Vec<String> {
    let ours = spawned().lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let format = "{{.ID}} {{.Label \"shipshape.owner\"}}";
    let listed = stdout(&docker(&["ps", "-a", "--filter", "label=shipshape.run", "--format", format]))
        + &stdout(&docker(&["images", "-a", "--filter", "label=shipshape.run", "--format", format]));
    listed
        .lines()
        .filter_map(|line| {
            let (id, owner) = line.split_once(' ')?;
            let mut parts = owner.split('/');
            let (owner_host, _boot, pid) = (parts.next()?, parts.next()?, parts.next()?.parse::<u32>().ok()?);
            let alive = owner_host == host.trim() && Path::new(&format!("/proc/{pid}")).exists();
            (alive && !ours.contains(&pid) && pid != std::process::id()).then(|| id.to_string())
        })
        .collect()
}

pub fn docker_lock() -> Option<DockerTest> {
    static LOCK: Mutex<()> = Mutex::new(());
    if !docker_ready(&[]) {
        return None;
    }
    for image in stand_ins() {
        let present = docker(&["image", "inspect", "--format", "{{.Id}}", &image]).status.success();
        assert!(present, "stand-in image {image} is missing: run `sudo tests/images/build-images`");
    }
    let lock = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let spawned_before = spawned().lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len();
    Some(DockerTest { _lock: lock, before: labelled(), spawned_before })
}

impl Drop for DockerTest {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let new: Vec<String> = labelled().into_iter().filter(|id| !self.before.contains(id)).collect();
        let strangers = if new.is_empty() { Vec::new() } else { live_strangers() };
        // What a live stranger made, or what is already gone again, is not the test's.
        let left: Vec<String> =
            new.into_iter().filter(|id| !strangers.contains(id) && docker(&["inspect", "--format", "{{.Id}}", id]).status.success()).collect();
        assert!(left.is_empty(), "containers or images left behind: {}", left.join(" "));
        let pids: Vec<u32> = spawned().lock().unwrap_or_else(|poisoned| poisoned.into_inner())[self.spawned_before..].to_vec();
        let tags = run_tags_of(&pids);
        assert!(tags.is_empty(), "images left tagged by the test's runs: {}", tags.join(" "));
    }
}

/// The daemon's PID cap, where `scripts/engine` puts it (cgroup v1 or v2).
pub fn engine_pid_cap() -> Option<u64> {
    ["/sys/fs/cgroup/pids/shipshape/pids.max", "/sys/fs/cgroup/shipshape/pids.max"]
        .iter()
        .find_map(|path| std::fs::read_to_string(Path::new(path)).ok()?.trim().parse().ok())
}

/// An image on the daemon that no exercise offers (an instructor's solution, say), built by the
/// docker CLI (so not by Shipshape) and removed on drop.
pub struct ForeignImage {
    pub reference: String,
}

impl ForeignImage {
    /// `localhost/instructor-solution:MARKER`, busybox with `/answer` holding the marker.
    pub fn build(marker: &str) -> ForeignImage {
        let reference = format!("localhost/instructor-solution:{marker}");
        let dir = Scratch::new(&format!("foreign-{marker}"), &[("Dockerfile", &format!("FROM shipshape.test/busybox:latest\nRUN echo {marker} > /answer\n"))]);
        let built = Command::new("docker").args(["build", "-q", "--network", "none", "-t", &reference, &dir.path("")]).output().expect("docker build runs");
        assert!(built.status.success(), "{}", stderr(&built));
        ForeignImage { reference }
    }
}

impl Drop for ForeignImage {
    fn drop(&mut self) {
        docker(&["image", "rm", "-f", &self.reference]);
    }
}

/// A scratch exercise folder with the given files, removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let dir = std::env::temp_dir().join(format!("shipshape-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (path, content) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        Scratch { dir }
    }

    pub fn path(&self, relative: &str) -> String {
        self.dir.join(relative).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `shipshape-book` binary (the course book's builder and measurer), built once per test
/// process with the same profile.
pub fn book_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| workspace_bin("shipshape-book", "shipshape-book")).clone()
}

/// Writes `image` (in the daemon) as an OCI-layout archive at `archive`, with skopeo and its
/// `options`. Through a `docker save` file: skopeo's own daemon client speaks an API version too
/// old for Docker Engine 25 and later.
pub fn oci_archive(image: &str, archive: &str, options: &[&str]) {
    let saved = format!("{archive}.docker-save.tar");
    let save = Command::new("docker").args(["save", "-o", &saved, image]).output().expect("docker runs");
    assert!(save.status.success(), "docker save {image}: {}", String::from_utf8_lossy(&save.stderr));
    let copied = Command::new("skopeo")
        .args(["copy", "--quiet"])
        .args(options)
        .args([format!("docker-archive:{saved}"), format!("oci-archive:{archive}")])
        .output()
        .expect("skopeo is installed (apt-get install skopeo)");
    let _ = std::fs::remove_file(&saved);
    assert!(copied.status.success(), "skopeo: {}", String::from_utf8_lossy(&copied.stderr));
}
