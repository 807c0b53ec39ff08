//! The `runs` check's HTTP probe against hostile apps, on the real daemon: the app has a network
//! namespace of its own, so the grading host's loopback, interfaces and ports are out of its reach
//! and out of the way of other probes; what it prints is bounded; and the probe's client (its image
//! and container) goes with the run on every path.
use std::process::Output;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use shipshape_course_tests::*;
use shipshape_test_support::{serve_counted, skip_or_fail};

/// An exercise whose image is busybox running `script` (with `$PORT` and `$HOST` from the probe),
/// and whose `runs` check GETs `/` within `seconds`, wanting `body` in the answer.
fn exercise(name: &str, script: &str, body: &str, seconds: u64) -> Scratch {
    let spec = format!("[checks.builds]\n[checks.runs]\nhttp = {{ path = \"/\", body = \"{body}\" }}\ntimeout-seconds = {seconds}\n");
    let dockerfile = format!("FROM busybox:1.36\nCMD [\"sh\", \"-c\", {}]\n", serde_json::Value::from(script));
    Scratch::new(name, &[("exercise.toml", &spec), ("Dockerfile", &dockerfile)])
}

/// A shell line that serves `/tmp/w/index.html`, written by `page` (commands printing the page).
fn serving(page: &str) -> String {
    format!("mkdir -p /tmp/w && ({page}) > /tmp/w/index.html; exec httpd -f -p $HOST:$PORT -h /tmp/w")
}

fn check(dir: &Scratch, format: &str) -> Output {
    shipshape(&["check", &dir.path(""), "--image-map", &image_map().display().to_string(), "--format", format])
}

fn runs(report: &serde_json::Value) -> &serde_json::Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "runs").unwrap_or_else(|| panic!("no runs in {report:#}"))
}

#[test]
fn an_app_cannot_read_a_server_on_the_hosts_loopback() {
    let Some(_docker) = docker_lock() else { return };
    const SECRET: &str = "host-secret-5d1c9a";
    let (base, asked) = serve_counted(SECRET.to_string());
    let port = base.rsplit(':').next().unwrap();
    // The app fetches the host's server, prints what it got and serves it; the spec wants a text
    // it never serves, so the report shows the app's output as evidence.
    let fetch = format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 127.0.0.1 {port} 2>&1; echo fetch-done");
    let dir = exercise("host-loopback", &format!("{fetch}; {}", serving(&fetch)), "never-served", 15);
    let json = check(&dir, "json");
    let report = report(&json);
    assert_eq!(runs(&report)["status"], "fail", "{report:#}");
    assert!(report.to_string().contains("fetch-done"), "the app's output is in the report, so a secret would be: {report:#}");
    let human = check(&dir, "human");
    for (format, output) in [("json", &json), ("human", &human)] {
        let everything = stdout(output) + &stderr(output);
        assert!(!everything.contains(SECRET), "the host's secret reached the {format} output:\n{everything}");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 0, "the app reached the host's loopback");
}

#[test]
fn an_app_sees_only_its_own_loopback_and_hostname() {
    let Some(_docker) = docker_lock() else { return };
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    let page = format!(
        "[ \"$(ls /sys/class/net)\" = lo ] && [ \"$(grep -c : /proc/net/dev)\" = 1 ] && echo only-lo; \
         [ \"$(hostname)\" != {host:?} ] && echo own-hostname"
    );
    let report = report(&check(&exercise("interfaces", &serving(&page), "only-lo\\nown-hostname", 15), "json"));
    assert_eq!(runs(&report)["status"], "pass", "the app saw more than its own loopback, or the host's name: {report:#}");
}

#[test]
fn probes_side_by_side_need_no_network_of_the_grading_host() {
    let Some(_docker) = docker_lock() else { return };
    // Each `shipshape` runs in a network namespace of its own with nothing in it, not even a
    // loopback that is up: no port of the host is used, so none can be taken from it, and two
    // apps on the same port do not meet.
    if !std::process::Command::new("unshare").args(["--net", "true"]).status().is_ok_and(|s| s.success()) {
        skip_or_fail("`unshare --net` cannot make a network namespace here (it needs root)");
        return;
    }
    let dirs: Vec<Scratch> =
        ["a", "b"].map(|name| exercise(&format!("side-by-side-{name}"), &serving(&format!("echo app-{name}")), &format!("app-{name}"), 30)).into();
    let map = image_map().display().to_string();
    let children: Vec<_> = dirs
        .iter()
        .map(|dir| spawn_shipshape_through(&["unshare", "--net"], &["check", &dir.path(""), "--image-map", &map, "--format", "json"], &[]))
        .collect();
    for child in children {
        let report = report(&child.wait_with_output().unwrap());
        assert_eq!(runs(&report)["status"], "pass", "{report:#}");
    }
}

#[test]
fn a_long_answer_comes_back_whole_up_to_the_bytes_kept() {
    let Some(_docker) = docker_lock() else { return };
    // 50 kB, a marker, then 100 kB more: the marker sits across the daemon's 16 kB log chunks.
    let page = "head -c 50000 /dev/zero | tr '\\0' x; echo end-marker; head -c 100000 /dev/zero | tr '\\0' y";
    let report = report(&check(&exercise("long-answer", &serving(page), "xxxxend-marker", 15), "json"));
    assert_eq!(runs(&report)["status"], "pass", "{report:#}");
}

/// The probe's container of the `shipshape` process `pid` (its client's, or the app's), once it runs.
fn container_of(pid: u32, client: bool) -> String {
    let started = Instant::now();
    loop {
        let listed = stdout(&docker(&["ps", "--filter", "label=shipshape.owner", "--format", "{{.ID}} {{.Label \"shipshape.owner\"}} {{.Command}}"]));
        let found = listed.lines().find(|line| line.split('/').nth(2) == Some(&pid.to_string()) && line.contains("shipshape-probe") == client);
        if let Some(found) = found {
            return found.split(' ').next().unwrap().to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the probe's container never ran");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn inspect(id: &str, format: &str) -> String {
    stdout(&docker(&["inspect", "--format", format, id])).trim().to_string()
}

#[test]
fn an_app_printing_without_end_keeps_a_bounded_log_and_is_removed() {
    let Some(_docker) = docker_lock() else { return };
    let dir = exercise("endless-output", "yes 'a line that the app prints again and again and again'", "never", 12);
    let map = image_map().display().to_string();
    let child = spawn_shipshape(&["check", &dir.path(""), "--image-map", &map, "--format", "json"], &[]);
    let app = container_of(child.id(), false);
    std::thread::sleep(Duration::from_secs(6));
    let logged = docker(&["logs", &app]);
    let kept = logged.stdout.len() + logged.stderr.len();
    let output = child.wait_with_output().unwrap();
    assert!((100_000..3_000_000).contains(&kept), "the app's log holds {kept} bytes after 6 s of printing");
    let report = report(&output);
    let runs = runs(&report);
    assert_eq!(runs["status"], "fail", "{runs:#}");
    assert!(runs.to_string().contains("a line that the app prints again"), "{runs:#}");
    assert!(runs.to_string().len() < 10_000, "the evidence is the last lines only: {runs:#}");
    assert!(!docker(&["inspect", &app]).status.success(), "the app's container is still there");
}

#[test]
fn the_client_joins_the_apps_namespace_hardened_and_an_interrupt_leaves_neither() {
    let Some(_docker) = docker_lock() else { return };
    let dir = exercise("interrupted-probe", "sleep 600", "never", 120);
    let map = image_map().display().to_string();
    let child = spawn_shipshape(&["check", &dir.path(""), "--image-map", &map], &[]);
    let (app, client) = (container_of(child.id(), false), container_of(child.id(), true));
    let app_id = inspect(&app, "{{.Id}}");
    assert_eq!(inspect(&app, "{{.HostConfig.NetworkMode}} {{json .HostConfig.PortBindings}} {{.HostConfig.PidsLimit}}"), "none null 256");
    assert_eq!(inspect(&app, "{{.HostConfig.LogConfig.Type}} {{json .HostConfig.LogConfig.Config}}"), r#"json-file {"max-file":"2","max-size":"1m"}"#);
    assert_eq!(
        inspect(&client, "{{.HostConfig.NetworkMode}} {{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{.HostConfig.PidsLimit}}"),
        format!("container:{app_id} 65534:65534 true [ALL] [no-new-privileges] 8")
    );
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    // The Docker lock, dropped, asserts that no container, image (the client's included) or run tag is left.
}

#[test]
fn what_a_killed_http_probe_leaves_is_collected_by_the_next_run() {
    let Some(_docker) = docker_lock() else { return };
    let dir = exercise("killed-probe", "sleep 600", "never", 120);
    let map = image_map().display().to_string();
    let mut child = spawn_shipshape(&["check", &dir.path(""), "--image-map", &map], &[]);
    let left = [container_of(child.id(), false), container_of(child.id(), true)];
    let client_image = inspect(&left[1], "{{.Config.Image}}");
    child.kill().unwrap(); // SIGKILL: no sweep of its own
    child.wait().unwrap();
    let spec = Scratch::new("killed-probe-next", &[("spec.toml", "[checks.no-shell]\n")]);
    let next = shipshape(&["check", "--image", "shipshape.test/busybox:latest", "--spec", &spec.path("spec.toml")]);
    assert!(stderr(&next).contains("left by an interrupted Shipshape run"), "{}", stderr(&next));
    for gone in left.iter().chain([&client_image]) {
        assert!(!docker(&["inspect", gone]).status.success(), "{gone} is still there");
    }
}
