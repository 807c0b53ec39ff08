//! Issue 11, containment of builds, end to end on the real daemon with the real binary: a remote
//! `ADD` is refused before the build (the host's loopback server it names is never asked), a
//! graded submission cannot build on an image that is not the course's (an instructor's solution
//! image on the same daemon), a step that writes one file past the grader's file-size limit is
//! stopped, and a step that starts processes without end meets the engine's PID cap (the cgroup
//! parent `scripts/engine start` gives the daemon) instead of the host's limit. Each is the
//! learner's `builds` failure with a hint naming the cause, and nothing is left behind.
//!
//! What must hold: each step text carries a nonce, so the build cache can neither fake a pass nor
//! hide a failure.
use std::sync::atomic::Ordering;

use serde_json::Value;
use shipshape_course_tests::*;
use shipshape_test_support::{serve_counted, skip_or_fail, students};

/// `check` of a one-check exercise with this Dockerfile: its `builds` entry, after exit code 1.
fn failed_build(name: &str, dockerfile: &str) -> Value {
    let dir = Scratch::new(name, &[("exercise.toml", "[checks.builds]\n"), ("Dockerfile", dockerfile)]);
    let map = image_map().display().to_string();
    let output = shipshape(&["check", &dir.path(""), "--image-map", &map, "--format", "json"]);
    let report = report(&output);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{}\nreport:\n{report:#}", stderr(&output));
    report["checks"][0].clone()
}

#[test]
fn a_step_writing_a_file_past_the_limit_is_stopped() {
    let Some(_docker) = docker_lock() else { return };
    let dockerfile = format!("FROM busybox:latest\nRUN echo {} && dd if=/dev/zero of=/big bs=1M count=1100\n", nonce());
    let builds = failed_build("limit-file", &dockerfile);
    assert_eq!((builds["id"].as_str(), builds["status"].as_str()), (Some("builds"), Some("fail")), "{builds:#}");
    assert_eq!(builds["evidence"][0]["dockerfile_line"], 2, "{builds:#}");
    assert!(builds["hint"].as_str().unwrap().contains("larger than the grader allows"), "{builds:#}");
}

#[test]
fn a_step_starting_processes_without_end_meets_the_engines_cap() {
    let Some(_docker) = docker_lock() else { return };
    let Some(cap) = engine_pid_cap() else {
        skip_or_fail("the daemon has no PID cap (start it with scripts/engine start, which sets the cgroup parent /shipshape)");
        return;
    };
    let many = cap + 1000;
    let dockerfile = format!("FROM busybox:latest\nRUN echo {}; i=0; while [ $i -lt {many} ]; do sleep 60 & i=$((i+1)); done; wait\n", nonce());
    let builds = failed_build("limit-pids", &dockerfile);
    assert_eq!(builds["status"].as_str(), Some("fail"), "{builds:#}");
    assert!(builds["hint"].as_str().unwrap().contains("more processes"), "{builds:#}");
}

#[test]
fn a_remote_add_is_refused_before_the_build_and_the_host_is_never_asked() {
    let Some(_docker) = docker_lock() else { return };
    let secret = format!("host-secret-{}", nonce());
    let (base, asked) = serve_counted(secret.clone());
    let dockerfile = format!("FROM busybox:latest\nADD {base}/secret.txt /s\nRUN cat /s\n");
    let dir = Scratch::new("reach-add", &[("exercise.toml", "[checks.builds]\n"), ("Dockerfile", &dockerfile)]);
    let map = image_map().display().to_string();
    let output = shipshape(&["check", &dir.path(""), "--image-map", &map]);
    let text = stdout(&output) + &stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("line 2") && text.contains("offline"), "{text}");
    assert!(!text.contains(&secret), "the host's secret shows:\n{text}");
    assert_eq!(asked.load(Ordering::SeqCst), 0, "the host's server was asked");
}

#[test]
fn a_graded_submission_cannot_build_on_an_image_the_course_does_not_offer() {
    let Some(_docker) = docker_lock() else { return };
    let marker = nonce();
    let foreign = ForeignImage::build(&marker);
    let honest = format!("FROM busybox:1.36\nRUN echo honest {marker} > /a\n");
    let thief = format!("FROM busybox:1.36\nCOPY --from={} /answer /answer\n", foreign.reference);
    let dir = Scratch::new(
        "reach-grade",
        &[
            ("exercise/exercise.toml", "[checks.builds]\n"),
            ("exercise/Dockerfile", "FROM busybox:1.36\nRUN true\n"),
            ("class/honest/Dockerfile", &honest),
            ("class/thief/Dockerfile", &thief),
        ],
    );
    let map = image_map().display().to_string();
    let args = ["grade", &dir.path("class"), "--exercise", &dir.path("exercise"), "--image-map", &map, "--format", "json", "--out-dir", &dir.path("out")];
    let output = shipshape(&args);
    let class: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not a class report ({e}): {}", stderr(&output)));
    let grades = students(&class);
    assert_eq!(grades["honest"]["status"], "pass", "{class:#}");
    let thief = &grades["thief"];
    let builds = &thief["checks"][0];
    assert_eq!((thief["status"].as_str(), builds["status"].as_str()), (Some("fail"), Some("fail")), "{thief:#}");
    assert_eq!(builds["evidence"][0]["dockerfile_line"], 2, "{thief:#}");
    assert!(builds["evidence"][0]["message"].as_str().unwrap().contains("not one of the course's images"), "{thief:#}");
}
