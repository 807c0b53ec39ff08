//! What the workspace's test suites share: whether the Docker daemon (and the stand-in images a
//! test builds from) is there, what a test left on it, a class report's grades, a tiny HTTP/1.1
//! server on 127.0.0.1 (one that counts who asked it, too), and headless Chromium. The
//! checker's own integration tests (checker/tests) and the course's end-to-end tests (tests/) use
//! it as a dev-dependency.
//!
//! What must hold: a test that needs something the machine lacks (the daemon, a stand-in image,
//! Chromium) skips, saying why, only when SHIPSHAPE_REQUIRE_DOCKER is unset; with
//! SHIPSHAPE_REQUIRE_DOCKER=1 (CI's switch for "everything must be there") it fails instead. The
//! server and the browser talk to nothing but 127.0.0.1, and every browser run has a fresh profile.
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// True under SHIPSHAPE_REQUIRE_DOCKER=1: a missing daemon, stand-in image or browser is a failure.
pub fn required() -> bool {
    std::env::var("SHIPSHAPE_REQUIRE_DOCKER").is_ok_and(|v| v == "1")
}

/// Says why a test skips; under SHIPSHAPE_REQUIRE_DOCKER=1 fails it instead.
pub fn skip_or_fail(problem: &str) {
    assert!(!required(), "SHIPSHAPE_REQUIRE_DOCKER=1 but {problem}");
    eprintln!("skipping: {problem} (set SHIPSHAPE_REQUIRE_DOCKER=1 to make this a failure)");
}

/// Runs the docker CLI against the default daemon.
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().expect("the docker CLI runs")
}

/// Whether the daemon answers `docker info`.
pub fn daemon_answers() -> bool {
    Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]).output().is_ok_and(|o| o.status.success())
}

/// The id of the image `reference` names on the daemon, if it has it.
pub fn image_id(reference: &str) -> Option<String> {
    let output = docker(&["image", "inspect", "--format", "{{.Id}}", reference]);
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Why a Docker test cannot run here: no daemon, or a missing stand-in image among `stand_ins`.
pub fn docker_problem(stand_ins: &[&str]) -> Option<String> {
    if !daemon_answers() {
        return Some("no Docker daemon answers (`docker info` fails)".to_string());
    }
    let missing: Vec<&str> = stand_ins.iter().copied().filter(|image| image_id(image).is_none()).collect();
    (!missing.is_empty()).then(|| format!("stand-in images {missing:?} are missing (run scripts/setup, or `sudo tests/images/build-images`)"))
}

/// True when the daemon answers and has every image of `stand_ins`; otherwise skips (saying why)
/// or, under SHIPSHAPE_REQUIRE_DOCKER=1, fails.
pub fn docker_ready(stand_ins: &[&str]) -> bool {
    let Some(problem) = docker_problem(stand_ins) else { return true };
    skip_or_fail(&problem);
    false
}

/// True when a process on this host has `text` in its command line, arguments joined by spaces:
/// how a test sees a build step run (BuildKit's steps are processes of the daemon's, not containers).
pub fn a_process_mentions(text: &str) -> bool {
    let processes = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    let command_lines = processes.filter_map(|p| std::fs::read(p.path().join("cmdline")).ok());
    command_lines.map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " ")).any(|cmdline| cmdline.contains(text))
}

/// Asserts that no container or image carrying `label` (`KEY=VALUE`, a test's own marker) is left
/// on the daemon; a build the client hung up on is cancelled by the daemon a moment later, so this
/// looks again for up to 30 s before it fails.
pub fn assert_nothing_labelled(label: &str) {
    let filter = format!("label={label}");
    let listed = |kind: &str| String::from_utf8_lossy(&docker(&[kind, "-aq", "--filter", &filter]).stdout).into_owned();
    let mut left = String::new();
    for _ in 0..30 {
        left = listed("ps") + &listed("images");
        if left.trim().is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!("left behind (labelled {label}): {left}");
}

// --- a class report ---

/// `student → grade` from `shipshape grade --format json`'s document.
pub fn students(class: &Value) -> std::collections::BTreeMap<String, Value> {
    let grades = class["students"].as_array().unwrap_or_else(|| panic!("no students in {class:#}"));
    grades.iter().map(|grade| (grade["student"].as_str().expect("a student's id").to_string(), grade.clone())).collect()
}

// --- a tiny HTTP server on 127.0.0.1 ---

/// What the test server answers to one GET.
pub struct Response {
    /// The status line's code and reason, like `200 OK`.
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Serves HTTP/1.1 GETs on a free port of 127.0.0.1, each connection on a thread of its own and
/// answered by `respond` (given the request's path, query and fragment cut off), then closed.
/// Stops accepting after `max_requests` connections if given, else runs as long as the test.
/// Returns the base URL, `http://127.0.0.1:PORT`.
pub fn serve(max_requests: Option<usize>, respond: impl Fn(&str) -> Response + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port on 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().expect("the listener's address"));
    let respond = Arc::new(respond);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max_requests.unwrap_or(usize::MAX)).flatten() {
            let respond = Arc::clone(&respond);
            std::thread::spawn(move || answer(stream, &*respond));
        }
    });
    base
}

/// A server on the host's loopback that answers every GET with `body` (a secret a submission must
/// never reach) and counts the connections it answered. Returns its base URL and the count.
pub fn serve_counted(body: String) -> (String, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let base = serve(None, move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Response { status: "200 OK", content_type: "text/plain", body: body.clone().into_bytes() }
    });
    (base, asked)
}

/// Serves the files under `dir` (a folder's index.html for the folder, 404 for anything else or
/// outside `dir`) for as long as the test runs; returns the base URL.
pub fn serve_dir(dir: PathBuf) -> String {
    serve(None, move |path| match file_for(&dir, path) {
        Some(file) => Response { status: "200 OK", content_type: content_type(&file), body: std::fs::read(&file).unwrap_or_default() },
        None => Response { status: "404 Not Found", content_type: "text/plain", body: b"not found".to_vec() },
    })
}

/// Answers one HTTP/1.1 GET with what `respond` makes of its path; then closes the connection.
fn answer(mut stream: TcpStream, respond: &dyn Fn(&str) -> Response) {
    let Ok(read) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read);
    let mut request = String::new();
    let mut header = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let target = request.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let Response { status, content_type, body } = respond(path);
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body)).and_then(|()| stream.flush());
}

/// The file a URL path names under `dir` (a folder's index.html); never outside `dir`.
fn file_for(dir: &Path, path: &str) -> Option<PathBuf> {
    let relative = path.trim_start_matches('/');
    if relative.split('/').any(|part| part == "..") {
        return None;
    }
    let file = dir.join(relative);
    let file = if file.is_dir() { file.join("index.html") } else { file };
    file.is_file().then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|ext| ext.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        _ => "application/octet-stream",
    }
}

// --- headless Chromium ---

/// Flags for a quiet, reproducible headless Chromium that talks to nothing but the test server.
const CHROMIUM_FLAGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--virtual-time-budget=5000",
    "--hide-scrollbars",
];
/// How long one Chromium run may take before the test gives up on it.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(120);

/// Debian's `chromium` (or `chromium-browser`).
pub struct Chromium {
    path: PathBuf,
}

impl Chromium {
    /// The browser on PATH; `None` (skip) when it is missing, a failure under
    /// SHIPSHAPE_REQUIRE_DOCKER=1.
    pub fn find() -> Option<Chromium> {
        let dirs: Vec<PathBuf> = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect();
        let found = ["chromium", "chromium-browser"].iter().find_map(|name| dirs.iter().map(|dir| dir.join(name)).find(|path| path.is_file()));
        if found.is_none() {
            skip_or_fail("there is no `chromium` on PATH (scripts/setup installs it: apt-get install -y chromium)");
        }
        found.map(|path| Chromium { path })
    }

    /// Runs headless Chromium with `args` on `url`, with a fresh profile, and returns its stdout
    /// (what `--dump-dom` prints). Fails the test when it fails or takes too long.
    pub fn headless(&self, args: &[&str], url: &str) -> String {
        let run = tempfile::tempdir().expect("a folder for the browser run");
        // Files, not pipes: a helper process Chromium leaves behind cannot hold the test up.
        let file = |name: &str| std::fs::File::create(run.path().join(name)).expect("create output file");
        let mut child = Command::new(&self.path)
            .args(CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", run.path().join("profile").display()))
            .args(args)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(file("out.html"))
            .stderr(file("err.txt"))
            .spawn()
            .expect("chromium starts");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for chromium") {
                break status;
            }
            if started.elapsed() > CHROMIUM_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium took over {CHROMIUM_TIMEOUT:?} on {url}");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let read = |name: &str| std::fs::read_to_string(run.path().join(name)).unwrap_or_default();
        assert!(status.success(), "chromium failed on {url} ({status}): {}", read("err.txt"));
        read("out.html")
    }
}
