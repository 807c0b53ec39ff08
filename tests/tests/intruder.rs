//! The `intruder` check on the real daemon: an intruder's moves sent through an app's own
//! remote-command endpoint, in the hardened container the `runs` probe starts. Exercise 13's
//! starter gives away a root shell with tools and its reference solution nothing; on a root image
//! with a shell, the moves that would reach past the container (a capability, a setuid program,
//! the app's files, a network) are blocked by the hardened run although the same image, run
//! without its limits, gives them; every output lists the moves; a move the endpoint does not
//! answer measures nothing, which is an error, never a pass. Nothing is left behind (`docker_lock`).
use std::process::Output;

use shipshape_course_tests::*;
use shipshape_test_support::docker;

/// Every move, in report order.
const MOVES: [&str; 10] = ["shell", "root", "read-shadow", "write-app", "package-manager", "compiler", "downloader", "network", "capabilities", "setuid"];
/// The moves the hardened run blocks whatever the image holds.
const RUNTIME_BLOCKS: [&str; 4] = ["write-app", "network", "capabilities", "setuid"];
/// What exercise 13's starter blocks: the hardened run's four, and a downloader, which the
/// stand-in for `node:24-trixie` does not carry (the published image has `curl` and `wget`).
const STARTER_BLOCKS: [&str; 5] = ["write-app", "downloader", "network", "capabilities", "setuid"];

/// A busybox app served by `httpd`, as root, whose CGI `/cgi-bin/exec?COMMAND` runs the decoded
/// query string through `sh` (after `extra`, shell lines run first) and answers with its output.
fn busybox_app(name: &str, extra: &str, timeout_seconds: u64) -> Scratch {
    let spec = format!(
        "[checks.builds]\n[checks.runs]\nhttp = {{ path = \"/\", body = \"ready\" }}\n\
         [checks.intruder]\nendpoint = \"/cgi-bin/exec?\"\ntimeout-seconds = {timeout_seconds}\n"
    );
    let cgi = format!("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\ncmd=$(httpd -d \"$QUERY_STRING\")\n{extra}\nsh -c \"$cmd\" 2>&1\n");
    let dockerfile = "FROM busybox:1.36\nCOPY www/ /www/\nCOPY --chmod=755 exec /www/cgi-bin/exec\n\
                      CMD [\"sh\", \"-c\", \"exec httpd -f -p $HOST:$PORT -h /www\"]\n";
    Scratch::new(name, &[("exercise.toml", &spec), ("Dockerfile", dockerfile), ("exec", &cgi), ("www/index.html", "ready\n")])
}

fn check(args: &[&str], format: &str) -> Output {
    let map = image_map().display().to_string();
    shipshape(&[args, &["--image-map", &map, "--format", format]].concat())
}

fn exercise_13() -> String {
    exercises().into_iter().find(|e| e.ends_with("13-intruder")).expect("exercise 13").display().to_string()
}

/// Each move of the report's `intruder` check with how it went (`worked`, `blocked`, `no answer`)
/// and the whole line.
fn moves(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let lines = check_of(report, "intruder")["evidence"].as_array().unwrap_or_else(|| panic!("no intruder evidence: {report:#}"));
    lines
        .iter()
        .map(|line| {
            let message = line["message"].as_str().unwrap().to_string();
            let (id, rest) = message.split_once(": ").unwrap();
            let went = rest.split(" (").next().unwrap().to_string();
            (id.to_string(), went, message)
        })
        .collect()
}

fn went<'a>(moves: &'a [(String, String, String)], word: &str) -> Vec<&'a str> {
    moves.iter().filter(|(_, went, _)| went == word).map(|(id, _, _)| id.as_str()).collect()
}

#[test]
fn the_starter_gives_an_intruder_a_root_shell_and_tools_and_the_solution_nothing() {
    let Some(_docker) = docker_lock() else { return };
    let dir = exercise_13();
    let starter = report(&check(&["check", &dir, "--dockerfile", &format!("{dir}/Dockerfile")], "json"));
    let intruder = check_of(&starter, "intruder");
    assert_eq!(intruder["status"], "fail", "{starter:#}");
    let moves_of_starter = moves(&starter);
    assert_eq!(moves_of_starter.iter().map(|(id, _, _)| id.as_str()).collect::<Vec<_>>(), MOVES);
    assert_eq!(went(&moves_of_starter, "worked"), ["shell", "root", "read-shadow", "package-manager", "compiler"], "{starter:#}");
    assert_eq!(went(&moves_of_starter, "blocked"), STARTER_BLOCKS, "{starter:#}");
    let line = |id: &str| moves_of_starter.iter().find(|(m, _, _)| m == id).unwrap().2.clone();
    assert!(line("root").contains("uid=0(root)"), "{}", line("root"));
    assert!(line("compiler").contains("/usr/bin/gcc"), "{}", line("compiler"));
    assert!(line("write-app").contains("Read-only file system"), "{}", line("write-app"));

    let solution = check(&["check", &dir, "--solution"], "human");
    let printed = stdout(&solution);
    assert_eq!(solution.status.code(), Some(0), "{printed}{}", stderr(&solution));
    let verdict = printed.lines().find(|l| l.starts_with("✔ pass intruder ")).unwrap_or_else(|| panic!("intruder passes:\n{printed}"));
    assert!(verdict.ends_with("  all 10 intruder moves were blocked through GET /debug/exec?cmd="), "{verdict}");
    for id in MOVES {
        let shown = printed.lines().find(|l| l.trim_start().starts_with(&format!("{id}: blocked ("))).unwrap_or_else(|| panic!("{id} not listed:\n{printed}"));
        assert!(shown.contains("500: spawn /bin/sh ENOENT"), "the endpoint is still there, with no shell behind it: {shown}");
    }
}

#[test]
fn moves_that_would_reach_past_the_container_are_blocked_by_the_hardened_run() {
    let Some(_docker) = docker_lock() else { return };
    // The same image, run without the hardened run's limits (as root, with Docker's default
    // capabilities, a writable root filesystem, no `no-new-privileges`), holds capabilities, may
    // gain privileges through any setuid program, and writes where it likes.
    let unlimited = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "shipshape.test/busybox:latest",
        "sh",
        "-c",
        "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; touch /www-written && echo wrote",
    ]);
    let said = stdout(&unlimited);
    assert!(!said.contains("CapEff:\t0000000000000000") && said.contains("NoNewPrivs:\t0") && said.contains("wrote"), "{said}");

    let app = busybox_app("intruder-escape", "", 10);
    let json = check(&["check", &app.path("")], "json");
    let report = report(&json);
    let moves = moves(&report);
    assert_eq!(went(&moves, "worked")[..2], ["shell", "root"], "a root shell answers: {report:#}");
    for id in RUNTIME_BLOCKS {
        assert!(went(&moves, "blocked").contains(&id), "{id} got past the hardened run: {report:#}");
    }
    let line = |id: &str| moves.iter().find(|(m, _, _)| m == id).unwrap().2.clone();
    assert!(
        line("capabilities").contains("CapEff:\t0000000000000000") || line("capabilities").contains("CapEff: 0000000000000000"),
        "{}",
        line("capabilities")
    );
    assert!(line("setuid").contains("NoNewPrivs:") && line("setuid").contains('1'), "{}", line("setuid"));
    assert!(line("network").contains("(nothing printed)"), "only loopback: {}", line("network"));

    // Every output lists the moves, as the others list their evidence.
    for format in ["human", "junit", "sarif"] {
        let printed = stdout(&check(&["check", &app.path("")], format));
        for id in MOVES {
            assert!(printed.contains(&format!("{id}: ")), "{format} does not list {id}:\n{printed}");
        }
    }
}

#[test]
fn a_move_the_endpoint_does_not_answer_measures_nothing() {
    let Some(_docker) = docker_lock() else { return };
    // The endpoint stalls on one move past the client's try and its deadline.
    let app = busybox_app("intruder-stall", "case \"$cmd\" in *CapEff*) sleep 20;; esac", 1);
    let report = report(&check(&["check", &app.path("")], "json"));
    let intruder = check_of(&report, "intruder");
    assert_eq!(intruder["status"], "error", "{report:#}");
    assert!(intruder["summary"].as_str().unwrap().starts_with("nothing was measured for move capabilities: nothing answered GET"), "{intruder:#}");
    assert_eq!(report["passed"], false);
}
