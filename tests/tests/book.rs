//! The course book as people get it: the figures it publishes still match what the checker
//! measures today, and the built book works in a real browser (an exercise page shows its
//! requirements table, and the client-side search finds a check by its id).
//!
//! What must hold: only the measurement test needs the Docker daemon (`docker_lock`: it skips
//! without one unless SHIPSHAPE_REQUIRE_DOCKER=1). The browser test needs Debian's `chromium`
//! (`apt-get install -y chromium`) and skips without it, except under SHIPSHAPE_REQUIRE_DOCKER=1,
//! CI's switch for "everything must be there", where it fails. It builds the book into a temporary
//! folder, serves it from 127.0.0.1 with a server thread of its own, drives headless Chromium
//! with a fresh profile per run, and keeps a screenshot of the exercise page in
//! target/test-output/book-exercise.png.
use shipshape_course_tests::*;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
    let Some(chromium) = chromium() else { return };
    let html = Scratch::new("book-html", &[]);
    let built = Command::new(book_bin()).args(["build", "--dest"]).arg(&html.dir).output().expect("shipshape-book runs");
    assert!(built.status.success(), "the book does not build: {}", stderr(&built));
    let page = format!("{}/{EXERCISE_PAGE}", serve(html.dir.clone()));

    let dom = headless(&chromium, &["--dump-dom"], &page);
    let table = element_after(&dom, r#"id="requirements""#, "<table", "</table>");
    assert!(table.contains(&format!(r#"href="checks/{CHECK}.html""#)), "the requirements table links {CHECK}:\n{table}");

    let dom = headless(&chromium, &["--dump-dom"], &format!("{page}?search={CHECK}"));
    let results = element_after(&dom, r#"id="mdbook-searchresults""#, "", "</ul>");
    assert!(results.contains(&format!(r#"href="checks/{CHECK}.html?"#)), "searching `{CHECK}` finds its check page:\n{results}");

    let screenshot = root().join("target/test-output/book-exercise.png");
    std::fs::create_dir_all(screenshot.parent().unwrap()).expect("create target/test-output");
    let _ = std::fs::remove_file(&screenshot);
    headless(&chromium, &["--window-size=1280,3200", &format!("--screenshot={}", screenshot.display())], &page);
    let png = std::fs::read(&screenshot).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "no screenshot in {}", screenshot.display());
}

/// Debian's `chromium` on PATH; `None` (skip) when it is missing and not required.
fn chromium() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).map(|dir| dir.join("chromium")).find(|path| path.is_file());
    let required = std::env::var("SHIPSHAPE_REQUIRE_DOCKER").is_ok_and(|v| v == "1");
    if found.is_none() {
        assert!(!required, "SHIPSHAPE_REQUIRE_DOCKER=1 but there is no `chromium` on PATH: apt-get install -y chromium");
        eprintln!("skipping: no `chromium` on PATH (apt-get install -y chromium)");
    }
    found
}

/// Runs headless Chromium with `args` on `url`, with a fresh profile, and returns its stdout.
fn headless(chromium: &Path, args: &[&str], url: &str) -> String {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let run = Scratch::new(&format!("chromium-{}", RUN.fetch_add(1, Ordering::Relaxed)), &[("out.html", ""), ("err.txt", "")]);
    let file = |name: &str| std::fs::OpenOptions::new().write(true).open(run.dir.join(name)).expect("open output file");
    let mut child = Command::new(chromium)
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", run.path("profile")))
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
    let read = |name: &str| std::fs::read_to_string(run.dir.join(name)).unwrap_or_default();
    assert!(status.success(), "chromium failed on {url} ({status}): {}", read("err.txt"));
    read("out.html")
}

/// The text from the first `start` after `marker` in `html` up to and including the next `end`.
fn element_after<'a>(html: &'a str, marker: &str, start: &str, end: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("the page has no {marker}:\n{html}"));
    let from = at + html[at..].find(start).unwrap_or_else(|| panic!("nothing like {start} after {marker}"));
    let to = from + html[from..].find(end).unwrap_or_else(|| panic!("{start} after {marker} does not end")) + end.len();
    &html[from..to]
}

/// Serves the files under `dir` on a free port of 127.0.0.1 for as long as the test runs, and
/// returns the base URL.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port on 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().expect("the listener's address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || answer(stream, &dir));
        }
    });
    base
}

/// Answers one HTTP/1.1 GET with the file it names, or 404; then closes the connection.
fn answer(mut stream: TcpStream, dir: &Path) {
    let mut reader = BufReader::new(&stream);
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
    let (status, kind, body) = match file_for(dir, path) {
        Some(file) => ("200 OK", content_type(&file), std::fs::read(&file).unwrap_or_default()),
        None => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
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
