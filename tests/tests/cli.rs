//! The CLI contract other tools rely on: exit codes, `explain`, and a clear one-paragraph error
//! (exit 2, no panic) for every kind of bad input.
use shipshape_course_tests::*;

const SPEC: &str = "[checks.size]\nmax = \"50 MB\"\n[checks.non-root]\n[checks.no-shell]\n";

fn assert_clear_error(output: &std::process::Output, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "exit code; stderr:\n{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected `{needle}` in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn explain_prints_the_documentation_and_lists_checks() {
    let output = shipshape(&["explain", "no-shell"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.starts_with("# `no-shell`"), "{text}");
    for section in ["## What it checks", "## Why it matters", "## Failing example", "## Use instead"] {
        assert!(text.contains(section), "{section}");
    }
    let list = stdout(&shipshape(&["explain"]));
    for id in ["builds", "size", "non-root", "no-shell", "no-package-manager", "no-build-tools", "multi-stage", "runs"] {
        assert!(list.lines().any(|l| l.starts_with(id)), "{id} missing from:\n{list}");
    }
}

#[test]
fn unknown_check_id_is_a_usage_error() {
    assert_clear_error(&shipshape(&["explain", "no-shel"]), "no-shell");
}

#[test]
fn missing_exercise_and_missing_spec_are_errors() {
    assert_clear_error(&shipshape(&["check", "exercises/does-not-exist"]), "there is no exercise folder");
    let empty = Scratch::new("no-spec", &[("Dockerfile", "FROM scratch\n")]);
    assert_clear_error(&shipshape(&["check", &empty.path("")]), "exercise.toml");
}

#[test]
fn malformed_specs_name_the_problem() {
    let cases = [
        ("[checks.no-shel]\n", "unknown check `no-shel`"),
        ("[checks.size]\nmaxx = \"1 MB\"\n", "maxx"),
        ("[checks.size]\nmax = \"huge\"\n", "huge"),
        ("[exercise]\ntitel = \"x\"\n", "titel"),
        ("[checks.runs]\n", "exactly one of"),
        ("[checks\n", "exercise.toml"),
    ];
    for (spec, needle) in cases {
        let dir = Scratch::new("bad-spec", &[("exercise.toml", spec), ("Dockerfile", "FROM scratch\n")]);
        assert_clear_error(&shipshape(&["check", &dir.path("")]), needle);
    }
}

#[test]
fn a_missing_dockerfile_is_an_error() {
    let dir = Scratch::new("no-dockerfile", &[("exercise.toml", SPEC)]);
    assert_clear_error(&shipshape(&["check", &dir.path("")]), "cannot read the Dockerfile");
}

#[test]
fn an_unreachable_daemon_says_how_to_start_one() {
    let dir = Scratch::new("no-daemon", &[("exercise.toml", SPEC), ("Dockerfile", "FROM scratch\n")]);
    let output = shipshape_with_env(&["check", &dir.path("")], &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
    assert_clear_error(&output, "cannot reach the Docker daemon at unix:///nonexistent/docker.sock");
    assert!(stderr(&output).contains("dockerd"), "{}", stderr(&output));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(shipshape(&["check"]).status.code(), Some(2));
    assert_eq!(shipshape(&["check", "--image", "x"]).status.code(), Some(2), "--image needs --spec");
    assert_eq!(shipshape(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn corrupt_and_missing_archives_are_errors() {
    let spec = Scratch::new("archive-spec", &[("spec.toml", SPEC), ("corrupt.tar", "this is not a tar archive at all"), ("empty.tar", "")]);
    assert_clear_error(&shipshape(&["check", "--archive", &spec.path("missing.tar"), "--spec", &spec.path("spec.toml")]), "cannot open the archive");
    assert_clear_error(&shipshape(&["check", "--archive", &spec.path("corrupt.tar"), "--spec", &spec.path("spec.toml")]), "cannot read the archive");
    assert_clear_error(&shipshape(&["check", "--archive", &spec.path("empty.tar"), "--spec", &spec.path("spec.toml")]), "empty");
    // A real archive cut in half.
    let bytes = std::fs::read(fixture("dive/test-docker-image.tar")).unwrap();
    std::fs::write(spec.dir.join("truncated.tar"), &bytes[..bytes.len() / 2]).unwrap();
    assert_clear_error(&shipshape(&["check", "--archive", &spec.path("truncated.tar"), "--spec", &spec.path("spec.toml")]), "cannot read the archive");
}

#[test]
fn an_unset_build_secret_stops_an_archive_check_only_when_no_secrets_seeks_it() {
    let variable = format!("SHIPSHAPE_TEST_UNSET_SECRET_{}", std::process::id());
    let secrets = format!("[exercise]\nsecrets = {{ token = {{ env = \"{variable}\" }} }}\n");
    let dir = Scratch::new(
        "unset-secret",
        &[("plain.toml", &format!("{secrets}[checks.non-root]\n")), ("seeking.toml", &format!("{secrets}[checks.non-root]\n[checks.no-secrets]\n"))],
    );
    let archive = fixture("dive/test-docker-image.tar").display().to_string();
    let plain = shipshape(&["check", "--archive", &archive, "--spec", &dir.path("plain.toml"), "--format", "json"]);
    assert_eq!(report(&plain)["checks"][0]["id"], "non-root", "judged without reading the secret: {}", stderr(&plain));
    let seeking = shipshape(&["check", "--archive", &archive, "--spec", &dir.path("seeking.toml")]);
    assert_clear_error(&seeking, &format!("the build secret `token` comes from the environment variable {variable}, which is not set"));
    assert!(stderr(&seeking).contains(&format!("set {variable} before running Shipshape")), "{}", stderr(&seeking));
}

#[test]
fn an_image_that_is_not_there_is_an_error() {
    let Some(_docker) = docker_lock() else { return };
    let spec = Scratch::new("no-image", &[("spec.toml", SPEC)]);
    assert_clear_error(&shipshape(&["check", "--image", "shipshape.test/nothing:here", "--spec", &spec.path("spec.toml")]), "is not in the daemon");
}

#[test]
fn a_failing_build_is_a_failed_check_with_its_line_and_leaves_nothing() {
    let Some(_docker) = docker_lock() else { return };
    let dockerfile = "FROM debian:bookworm-slim\n\nRUN echo compiling\nRUN echo 'fatal: missing header foo.h' >&2 && exit 3\nUSER 1000\n";
    let spec = "[checks.builds]\n[checks.non-root]\n[checks.multi-stage]\n";
    let dir = Scratch::new("failing-build", &[("exercise.toml", spec), ("Dockerfile", dockerfile)]);
    let output = shipshape(&["check", &dir.path(""), "--image-map", &image_map().display().to_string(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = report(&output);
    let builds = &report["checks"][0];
    assert_eq!(builds["status"], "fail");
    assert_eq!(builds["evidence"][0]["dockerfile_line"], 4, "{builds:#}");
    assert!(builds["summary"].as_str().unwrap().contains("line 4"), "{builds:#}");
    let log: String = builds["evidence"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_string()).collect();
    assert!(log.contains("missing header foo.h"), "{log}");
    assert_eq!(report["checks"][1]["status"], "skipped", "no image, nothing to judge");
    assert_eq!(report["checks"][2]["status"], "fail", "the Dockerfile is still judged");
}

/// A Dockerfile that does not parse fails `builds` at the learner's line, as a linter says it, with
/// what to write instead; every other check is skipped for that reason (not "an existing image
/// was judged", nor a log there is none of), and no daemon is needed: DOCKER_HOST leads nowhere.
#[test]
fn a_dockerfile_that_does_not_parse_fails_builds_at_its_line_without_a_daemon() {
    let spec = "[checks.builds]\n[checks.non-root]\n[checks.multi-stage]\n[checks.pinned-base]\n";
    // (Dockerfile, line, column, message, hint)
    let cases = [
        ("FROM node:20-bookworm AS build\nUSR node\n", 2, 1, "unknown instruction `USR`: did you mean USER?", "write `USER node`, then check again"),
        (
            "FROM golang:1.22-bookworm AS\nRUN go build\n",
            1,
            27,
            "the stage name is missing: `AS` must be followed by the stage's name",
            "name the stage, as in `FROM golang:1.22-bookworm AS build`, or drop `AS`, then check again",
        ),
        (
            "FROM golang:1.22-bookworm\nWORKDIR /src\nRUN [\"go\", \"build\"\n",
            3,
            5,
            "RUN's exec-form array has no closing `]`, so Docker would run it as a shell command",
            "write `RUN [\"go\", \"build\"]`, then check again",
        ),
    ];
    let nowhere = [("DOCKER_HOST", "unix:///nonexistent/docker.sock")];
    for (dockerfile, line, column, message, hint) in cases {
        let dir = Scratch::new("unparsable", &[("exercise.toml", spec), ("Dockerfile", dockerfile)]);
        let human = shipshape_with_env(&["check", &dir.path("")], &nowhere);
        let text = stdout(&human);
        assert_eq!(human.status.code(), Some(1), "a failed verdict, not an error:\n{text}{}", stderr(&human));
        assert!(text.contains("✘ FAIL builds") && text.contains(&format!("the Dockerfile does not parse at line {line}, column {column}")), "{text}");
        assert!(text.contains(&format!("{message}  [Dockerfile:{line} · ")), "{text}");
        assert!(text.contains(&format!("hint: {hint}")), "{text}");
        for id in ["non-root", "multi-stage", "pinned-base"] {
            let skip = text.lines().find(|l| l.starts_with(&format!("- skip {id} "))).unwrap_or_else(|| panic!("{id} is not skipped:\n{text}"));
            assert!(skip.contains("the Dockerfile does not parse (see builds)"), "{skip}");
        }
        assert!(!text.contains("an existing image was judged") && !text.contains("log lines"), "{text}");

        let json = shipshape_with_env(&["check", &dir.path(""), "--format", "json"], &nowhere);
        assert_eq!(json.status.code(), Some(1), "{}", stderr(&json));
        let report = report(&json);
        let builds = check_of(&report, "builds");
        assert_eq!(builds["status"], "fail", "{report:#}");
        assert_eq!(builds["summary"], format!("the Dockerfile does not parse at line {line}, column {column}"), "{report:#}");
        assert_eq!(builds["evidence"][0]["dockerfile_line"], line, "{report:#}");
        assert_eq!(builds["evidence"][0]["message"], message, "{report:#}");
        assert_eq!(builds["hint"], hint, "{report:#}");
        assert_eq!(ids_with_status(&report, "skipped"), ["non-root", "multi-stage", "pinned-base"], "{report:#}");
        for check in report["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "skipped") {
            let why = check["summary"].as_str().unwrap();
            assert!(why.contains("the Dockerfile does not parse") && !why.contains("existing image"), "{report:#}");
        }
    }
}

#[test]
fn judging_an_existing_image_by_reference() {
    let Some(_docker) = docker_lock() else { return };
    let spec = Scratch::new(
        "by-ref",
        &[(
            "spec.toml",
            "[checks.non-root]\n[checks.no-shell]\n[checks.builds]\n[checks.multi-stage]\n[checks.runs]\ncommand = { args = [\"/nope\"], exit-code = 0 }\n",
        )],
    );
    let output = shipshape(&["check", "--image", "shipshape.test/distroless/static-debian12:nonroot", "--spec", &spec.path("spec.toml"), "--format", "json"]);
    let report = report(&output);
    let statuses = statuses(&report);
    assert_eq!(
        statuses,
        [("builds", "skipped"), ("non-root", "pass"), ("no-shell", "pass"), ("multi-stage", "skipped"), ("runs", "fail")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(report["image"]["user"], "65532");
    assert_eq!(output.status.code(), Some(1));
}

/// Starts `shipshape check` on the scratch exercise and returns once a process runs `command`
/// (the build's step, or the probe's).
fn check_until_running(dir: &Scratch, command: &str) -> (std::process::Child, std::time::Instant) {
    let map = image_map().display().to_string();
    let child = spawn_shipshape(&["check", &dir.path(""), "--image-map", &map], &[]);
    let started = std::time::Instant::now();
    while !a_process_mentions(command) {
        assert!(started.elapsed().as_secs() < 60, "`{command}` never started");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    (child, started)
}

#[test]
fn ctrl_c_or_sigterm_during_a_build_stops_it_and_leaves_nothing() {
    let Some(_docker) = docker_lock() else { return };
    for (signal, seconds) in [("INT", 117), ("TERM", 118)] {
        let step = format!("sleep {seconds}");
        let dockerfile = format!("FROM debian:bookworm-slim\nRUN {step}\n");
        let dir = Scratch::new(&format!("interrupted-{signal}"), &[("exercise.toml", "[checks.builds]\n"), ("Dockerfile", &dockerfile)]);
        let (child, started) = check_until_running(&dir, &step);
        std::process::Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(2), "SIG{signal}: {}", stderr(&output));
        assert!(stderr(&output).contains("interrupted"), "SIG{signal}: {}", stderr(&output));
        assert!(started.elapsed().as_secs() < 60, "SIG{signal}: the build was stopped, not waited for");
        // The step is stopped with the build (the daemon cancels it with the request); the run's
        // tags and containers are checked when the Docker lock is dropped.
        let stopped = std::time::Instant::now();
        while a_process_mentions(&step) {
            assert!(stopped.elapsed().as_secs() < 20, "SIG{signal}: the build's step still runs");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

#[test]
fn what_a_killed_run_leaves_is_collected_by_the_next_run() {
    let Some(_docker) = docker_lock() else { return };
    // Killed while its probe runs: the probe's container and the run's image tag are left.
    let spec = "[checks.builds]\n[checks.runs]\ncommand = { args = [\"sleep\", \"119\"] }\n";
    let dir = Scratch::new("killed", &[("exercise.toml", spec), ("Dockerfile", "FROM busybox:1.36\nRUN echo kept > /kept\n")]);
    let (mut child, _) = check_until_running(&dir, "sleep 119");
    let pid = child.id();
    child.kill().unwrap(); // SIGKILL: no sweep of its own
    child.wait().unwrap();
    let owned_by_it = || {
        let format = "{{.ID}} {{.Label \"shipshape.owner\"}}";
        let containers = stdout(&docker(&["ps", "-a", "--filter", "label=shipshape.owner", "--format", format]));
        let mut left: Vec<String> = containers.lines().filter(|line| line.split('/').nth(2) == Some(&pid.to_string())).map(str::to_string).collect();
        left.extend(run_tags_of(&[pid]));
        left
    };
    let left = owned_by_it();
    assert!(
        left.iter().any(|l| l.starts_with(RUN_REPOSITORY)) && left.len() > 1,
        "the killed run left no container and no tag, so this proves nothing: {left:?}"
    );

    let spec = Scratch::new("killed-next", &[("spec.toml", "[checks.no-shell]\n")]);
    let next = shipshape(&["check", "--image", "shipshape.test/busybox:latest", "--spec", &spec.path("spec.toml")]);
    assert!(stderr(&next).contains(&format!("left by an interrupted Shipshape run (process {pid},")), "{}", stderr(&next));
    assert_eq!(owned_by_it(), Vec::<String>::new(), "the next run left them: {left:?}");
    assert!(!a_process_mentions("sleep 119"), "the killed probe still runs");
}

/// An image whose `LABEL`s claim a live run's id and a dead owner of this host (what a submission's
/// Dockerfile can write) does not make the next run's collection touch the live run.
#[test]
fn forged_labels_never_make_the_next_run_collect_a_live_run() {
    let Some(_docker) = docker_lock() else { return };
    let spec = "[checks.builds]\n[checks.runs]\ncommand = { args = [\"sleep\", \"123\"] }\n";
    let dir = Scratch::new("live", &[("exercise.toml", spec), ("Dockerfile", "FROM busybox:1.36\nRUN echo live > /live\n")]);
    let (child, _) = check_until_running(&dir, "sleep 123");
    let format = "{{.ID}} {{.Label \"shipshape.run\"}} {{.Label \"shipshape.owner\"}}";
    let listed = stdout(&docker(&["ps", "-a", "--filter", "label=shipshape.owner", "--format", format]));
    let (container, run) = listed
        .lines()
        .filter_map(|line| line.split_once(' ').and_then(|(id, rest)| rest.split_once(' ').map(|(run, owner)| (id, run, owner))))
        .find(|(_, _, owner)| owner.split('/').nth(2) == Some(child.id().to_string().as_str()))
        .map(|(id, run, _)| (id.to_string(), run.to_string()))
        .unwrap_or_else(|| panic!("the live run's probe container: {listed}"));

    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let forged =
        format!("FROM shipshape.test/busybox:latest\nLABEL shipshape=1 shipshape.run=\"{run}\" shipshape.owner=\"{}/an-earlier-boot/1/1\"\n", host.trim());
    let forged_dir = Scratch::new("forged-image", &[("Dockerfile", &forged)]);
    let built = std::process::Command::new("docker").args(["build", "-q", &forged_dir.path("")]).output().unwrap();
    assert!(built.status.success(), "{}", stderr(&built));
    let forged_image = stdout(&built).trim().to_string();

    let spec = Scratch::new("forged-next", &[("spec.toml", "[checks.no-shell]\n")]);
    let next = shipshape(&["check", "--image", "shipshape.test/busybox:latest", "--spec", &spec.path("spec.toml")]);
    let _ = docker(&["rmi", "-f", &forged_image]);
    let alive = docker(&["inspect", "--format", "{{.State.Running}}", &container]);
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(stdout(&alive).trim(), "true", "the live run's probe container was removed: {}", stderr(&next));
    assert_eq!(output.status.code(), Some(2), "the live run was interrupted by us, not broken: {}", stderr(&output));
}
