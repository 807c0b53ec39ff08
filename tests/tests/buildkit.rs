//! Issue 9 end to end: BuildKit builds through the Engine API with Shipshape's own session, on
//! the real daemon, with the real binary. Build secrets (a file and an environment variable),
//! cache mounts across runs, heredocs, `COPY --link`/`--chmod`, `--platform=$BUILDPLATFORM`,
//! `# syntax=` set aside, a byte-order mark and CRLF, learner mistakes as verdicts with the
//! learner's own line, `ARG` in `FROM` before the image map, `--target` and the spec's `target`,
//! `multi-stage` on the shipping stage, the legacy builder, the build cache across runs, and
//! grading's cache-mount isolation.
//!
//! What must hold: every build is a tiny exercise in its own temporary folder on the stand-ins
//! (busybox where it can be); each value a test looks for is unique to the run (a nonce), so a
//! build cache or cache mount left by an earlier run can neither fake a pass nor hide a failure;
//! after every test nothing is left: no container or image labelled by a run, no image tagged
//! under `shipshape.test/run/` by a run of the test ([`docker_lock`]), and no cache mount the test
//! made itself.
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use serde_json::Value;
use shipshape_course_tests::*;

/// A value no earlier run used: it goes into step text, cache-mount ids and secrets.
fn nonce() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// `shipshape check DIR --image-map … --format json EXTRA…` with `env`.
fn check_with_env(dir: &Scratch, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let map = image_map().display().to_string();
    let path = dir.path("");
    let mut args = vec!["check", path.as_str(), "--image-map", map.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let output = shipshape_with_env(&args, env);
    assert_no_internal_name(&output);
    output
}

fn check(dir: &Scratch, extra: &[&str]) -> Output {
    check_with_env(dir, extra, &[])
}

/// The JSON report, after asserting the exit code.
fn verdict(output: &Output, code: i32) -> Value {
    let report = report(output);
    assert_eq!(output.status.code(), Some(code), "exit code; stderr:\n{}\nreport:\n{report:#}", stderr(output));
    report
}

fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    check_of(report, id)["status"].as_str().unwrap()
}

/// Every evidence message of a check, one a line.
fn messages(check: &Value) -> String {
    check["evidence"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap_or_default().to_string() + "\n").collect()
}

/// Shipshape sends the learner's file under an internal name; it must never show.
fn assert_no_internal_name(output: &Output) {
    let text = stdout(output) + &stderr(output);
    assert!(!text.contains(".shipshape.Dockerfile"), "the internal Dockerfile name shows:\n{text}");
}

/// The build section's step counts.
fn steps(report: &Value) -> (u64, u64) {
    (report["build"]["cached_steps"].as_u64().unwrap(), report["build"]["steps"].as_u64().unwrap())
}

/// `sha256sum` of `bytes`, by the host's coreutils.
fn sha256(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum is installed");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    String::from_utf8(output.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// The daemon's build-cache records (`docker system df -v`): `(ID, Description)`.
fn build_cache() -> Vec<(String, String)> {
    let listed = docker(&["system", "df", "-v", "--format", "{{json .BuildCache}}"]);
    assert!(listed.status.success(), "docker system df: {}", stderr(&listed));
    let records: Value = serde_json::from_slice(&listed.stdout).unwrap_or(Value::Null);
    records
        .as_array()
        .map(|records| {
            records.iter().map(|r| (r["ID"].as_str().unwrap_or_default().to_string(), r["Description"].as_str().unwrap_or_default().to_string())).collect()
        })
        .unwrap_or_default()
}

/// Removes the build-cache records (cache mounts) whose description holds `needle`: the cache
/// mounts a test made with `check`, which Shipshape rightly keeps (they are the learner's).
fn remove_cache_mounts(needle: &str) {
    for (id, _) in build_cache().into_iter().filter(|(_, description)| description.contains(needle)) {
        docker(&["builder", "prune", "-af", "--filter", &format!("id={id}")]);
    }
}

/// Removes the test's own cache mounts on drop, whether the test passed or not.
struct CacheMounts(String);

impl Drop for CacheMounts {
    fn drop(&mut self) {
        remove_cache_mounts(&self.0);
    }
}

/// `[checks.runs]` with a command probe whose output must contain `output`.
fn runs_probe(args: &[&str], output: &str) -> String {
    let args: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
    format!("[checks.runs]\ncommand = {{ args = [{}], output = {output:?} }}\n", args.join(", "))
}

// 1. Build secrets.

#[test]
fn secret_mounts_read_a_file_and_an_env_secret_and_leave_nothing_while_a_build_arg_leaks() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let file_secret = format!("file-secret-{n}\n");
    let env_secret = format!("env-secret-{n}-x");
    let expected = format!("f={} e={}", sha256(file_secret.as_bytes()), sha256(env_secret.as_bytes()));
    // The step proves it read both secrets by writing their hashes into the image (a hash is not
    // the secret), in the stage that ships.
    // (BuildKit's cache key does not cover a secret's value: the nonce in the step makes it run.)
    let dockerfile = format!(
        "FROM busybox:latest\nRUN --mount=type=secret,id=ftok --mount=type=secret,id=etok true {n} && \\\n    echo \"f=$(sha256sum < /run/secrets/ftok | cut -d' ' -f1) e=$(sha256sum < /run/secrets/etok | cut -d' ' -f1)\" > /hashes\n"
    );
    let spec = format!(
        "[exercise]\nsecrets = {{ ftok = {{ file = \"token.txt\" }}, etok = {{ env = \"SHIPSHAPE_TEST_ETOK\" }} }}\n[checks.builds]\n[checks.no-secrets]\n{}",
        runs_probe(&["cat", "/hashes"], &expected)
    );
    let dir = Scratch::new("bk-secret-mount", &[("exercise.toml", &spec), ("Dockerfile", &dockerfile), ("token.txt", &file_secret)]);
    let output = check_with_env(&dir, &[], &[("SHIPSHAPE_TEST_ETOK", &env_secret)]);
    let report = verdict(&output, 0);
    assert_eq!(report["build"]["builder"], "buildkit", "{report:#}");
    assert_eq!(status(&report, "builds"), "pass", "{report:#}");
    assert_eq!(status(&report, "runs"), "pass", "the step read both secrets (their hashes are in the image): {report:#}");
    let no_secrets = check_of(&report, "no-secrets");
    assert_eq!(no_secrets["status"], "pass", "{report:#}");
    assert!(no_secrets["summary"].as_str().unwrap().contains("2 secret values found nowhere"), "both secrets were sought: {no_secrets:#}");
    let text = stdout(&output) + &stderr(&output);
    for secret in [file_secret.trim_end(), env_secret.as_str()] {
        assert!(!text.contains(secret), "the report prints the secret {secret}:\n{text}");
    }

    // The same token as a build argument used in the stage that ships: the history records it.
    let token = file_secret.trim_end();
    let spec = format!("[exercise]\nbuild-args = {{ TOKEN = \"{token}\" }}\n[checks.builds]\n[checks.no-secrets]\n");
    let leaky = "FROM busybox:latest\nARG TOKEN\nRUN echo \"$TOKEN\" | wc -c > /token-length\n";
    let dir = Scratch::new("bk-secret-arg", &[("exercise.toml", &spec), ("Dockerfile", leaky)]);
    let output = check(&dir, &[]);
    let report = verdict(&output, 1);
    assert_eq!(status(&report, "builds"), "pass", "{report:#}");
    let no_secrets = check_of(&report, "no-secrets");
    assert_eq!(no_secrets["status"], "fail", "a build argument in the final stage is in the history: {report:#}");
    assert!(messages(no_secrets).contains("history records a secret"), "{no_secrets:#}");
    assert!(no_secrets["evidence"].as_array().unwrap().iter().any(|e| e["dockerfile_line"] == 3), "{no_secrets:#}");
    let text = stdout(&output) + &stderr(&output);
    assert!(!text.contains(token), "the report prints the secret:\n{text}");
}

// 2. Cache mounts, heredocs, COPY --link/--chmod, --platform.

#[test]
fn a_cache_mount_persists_across_checks_and_unchanged_steps_come_from_the_cache() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let _mounts = CacheMounts(format!("persist-{n}"));
    let dockerfile = format!(
        "FROM busybox:latest\nRUN echo stable-a-{n} > /stable-a\nRUN echo stable-b-{n} > /stable-b\nCOPY round.txt /round.txt\n\
         RUN --mount=type=cache,target=/c,id=persist-{n} sh -c 'if [ -f /c/log ]; then echo \"seen=$(cat /c/log)\"; else echo seen=none; fi > /seen; cat /round.txt >> /c/log'\n"
    );
    let spec = |seen: &str| format!("[checks.builds]\n{}", runs_probe(&["cat", "/seen"], seen));
    let dir = Scratch::new("bk-cache-mount", &[("exercise.toml", &spec("seen=none")), ("Dockerfile", &dockerfile), ("round.txt", "round-1\n")]);

    let first = verdict(&check(&dir, &[]), 0);
    assert_eq!(status(&first, "runs"), "pass", "the first run found the cache mount empty: {first:#}");
    let (cached, all) = steps(&first);
    assert_eq!(all, 4, "the steps built: three RUN and a COPY (FROM is not built): {first:#}");
    assert_eq!(cached, 0, "nothing can be cached on the first run: {first:#}");

    // Only round.txt changes: its COPY and the RUN after it run again, and that RUN finds what the
    // first run wrote into the cache mount.
    std::fs::write(dir.dir.join("round.txt"), "round-2\n").unwrap();
    std::fs::write(dir.dir.join("exercise.toml"), spec("seen=round-1")).unwrap();
    let second = verdict(&check(&dir, &[]), 0);
    assert_eq!(status(&second, "runs"), "pass", "the second run reads what the first wrote into the cache mount: {second:#}");
    let (cached, all) = steps(&second);
    assert_eq!(all, 4, "{second:#}");
    assert!(cached >= 2, "the two unchanged RUN steps are cache hits: {second:#}");
    assert!(cached <= all - 2, "the changed COPY and the RUN after it ran again: {second:#}");
    assert!(check_of(&second, "builds")["summary"].as_str().unwrap().contains(&format!("{cached} of {all} steps from the build cache")), "{second:#}");
}

#[test]
fn heredocs_copy_link_chmod_and_build_platform_build() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let dockerfile = format!(
        "FROM --platform=$BUILDPLATFORM busybox:latest AS build\n\
         RUN <<EOF\necho heredoc-run-{n} > /h1\necho second-line >> /h1\nEOF\n\
         COPY <<EOF /h2\nheredoc-copy-{n}\nEOF\n\n\
         FROM busybox:latest\n\
         COPY --link --from=build /h1 /h2 /\n\
         COPY --chmod=755 tool.sh /tool.sh\n\
         COPY --link --chmod=755 tool.sh /linked-tool.sh\n\
         USER 1000\n"
    );
    let expected = format!("heredoc-run-{n}\nsecond-line\nheredoc-copy-{n}\n755 755\ntool ran\n");
    let spec = format!(
        "[checks.builds]\n[checks.non-root]\n{}",
        runs_probe(&["sh", "-c", "cat /h1 /h2; echo $(stat -c %a /tool.sh /linked-tool.sh); /linked-tool.sh"], &expected)
    );
    let dir = Scratch::new("bk-heredocs", &[("exercise.toml", &spec), ("Dockerfile", &dockerfile), ("tool.sh", "#!/bin/sh\necho tool ran\n")]);
    std::fs::set_permissions(dir.dir.join("tool.sh"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let report = verdict(&check(&dir, &[]), 0);
    assert_eq!(report["build"]["builder"], "buildkit");
    assert_eq!(status(&report, "builds"), "pass", "{report:#}");
    assert_eq!(status(&report, "runs"), "pass", "heredoc contents, mode 755 on a 0644 file, and the script runs: {report:#}");
    assert_eq!(status(&report, "non-root"), "pass", "{report:#}");
    assert!(steps(&report).1 >= 5, "{report:#}");
}

// 3. `# syntax=`, byte-order mark and CRLF.

#[test]
fn a_syntax_directive_is_set_aside_with_one_note_and_lines_keep_their_numbers() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let dockerfile = format!("# syntax=docker/dockerfile:1\nFROM busybox:latest\nRUN echo syntax-{n} > /syntax\n");
    let spec = format!("[checks.builds]\n{}", runs_probe(&["cat", "/syntax"], &format!("syntax-{n}")));
    let dir = Scratch::new("bk-syntax", &[("exercise.toml", &spec), ("Dockerfile", &dockerfile)]);
    let report = verdict(&check(&dir, &[]), 0);
    assert_eq!(status(&report, "builds"), "pass", "built offline: {report:#}");
    assert_eq!(status(&report, "runs"), "pass", "{report:#}");
    let notes = report["build"]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "one line about the directive: {report:#}");
    assert!(notes[0].as_str().unwrap().contains("# syntax=docker/dockerfile:1"), "{report:#}");

    let failing = format!("# syntax=docker/dockerfile:1.7\nFROM busybox:latest\nRUN echo ok-{n}\nRUN echo syntax-fail-{n} >&2 && exit 5\n");
    let dir = Scratch::new("bk-syntax-fail", &[("exercise.toml", "[checks.builds]\n"), ("Dockerfile", &failing)]);
    let report = verdict(&check(&dir, &[]), 1);
    let builds = check_of(&report, "builds");
    assert_eq!(builds["evidence"][0]["dockerfile_line"], 4, "the line as written, directive counted: {builds:#}");
    assert!(messages(builds).contains(&format!("syntax-fail-{n}")), "{builds:#}");
    assert_eq!(report["build"]["notes"].as_array().unwrap().len(), 1, "{report:#}");
}

#[test]
fn a_dockerfile_with_a_byte_order_mark_and_crlf_builds_and_fails_at_the_right_line() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let dockerfile = format!("\u{feff}FROM busybox:latest\r\nRUN echo bom-{n} > /bom\r\nUSER 1000\r\n");
    let spec = format!("[checks.builds]\n[checks.non-root]\n{}", runs_probe(&["cat", "/bom"], &format!("bom-{n}")));
    let dir = Scratch::new("bk-bom", &[("exercise.toml", &spec), ("Dockerfile", &dockerfile)]);
    let report = verdict(&check(&dir, &[]), 0);
    assert_eq!(status(&report, "builds"), "pass", "the mapped FROM survives the byte-order mark: {report:#}");
    assert_eq!(status(&report, "runs"), "pass", "{report:#}");
    assert_eq!(status(&report, "non-root"), "pass", "USER 1000 read through CRLF: {report:#}");
    assert_eq!(check_of(&report, "non-root")["evidence"][0]["dockerfile_line"], 3, "{report:#}");

    let failing = format!("\u{feff}# a comment\r\nFROM busybox:latest\r\nRUN echo one \\\r\n    two-{n}\r\n\r\nRUN echo bom-fail-{n} >&2 && exit 4\r\n");
    let dir = Scratch::new("bk-bom-fail", &[("exercise.toml", "[checks.builds]\n"), ("Dockerfile", &failing)]);
    let report = verdict(&check(&dir, &[]), 1);
    let builds = check_of(&report, "builds");
    assert_eq!(builds["status"], "fail");
    assert_eq!(builds["evidence"][0]["dockerfile_line"], 6, "{builds:#}");
    assert!(builds["summary"].as_str().unwrap().contains("line 6"), "{builds:#}");
    assert!(messages(builds).contains(&format!("bom-fail-{n}")), "{builds:#}");
}

// 4. Learner mistakes are verdicts; an unreachable daemon is not.

#[test]
fn learner_mistakes_fail_builds_at_the_learners_line() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let stages = format!(
        "FROM busybox:latest AS base\nRUN echo base-{n}\n\nFROM base AS build\nRUN echo one-{n}\nRUN echo boom-{n} >&2 && exit 7\n\nFROM busybox:latest\nCOPY --from=build /bin/sh /x\n"
    );
    // (what, Dockerfile, spec, line, in the message, in the hint)
    let cases = [
        (
            "unknown instruction",
            "FROM busybox:latest\nRUN echo ok\nRUNN echo typo\n".to_string(),
            "[checks.builds]\n",
            3,
            "did you mean RUN?",
            "write `RUN echo typo`",
        ),
        ("unknown flag", "FROM busybox:latest AS x\nCOPY a.txt /a\nCOPY --frm=x a.txt /b\n".to_string(), "[checks.builds]\n", 3, "frm", "syntax"),
        ("failing RUN in a named stage", stages.clone(), "[checks.builds]\n", 6, "exit code: 7", "log lines"),
        (
            "secret the exercise does not provide",
            "FROM busybox:latest\nRUN echo ok\nRUN --mount=type=secret,id=nope,required=true cat /run/secrets/nope\n".to_string(),
            "[checks.builds]\n",
            3,
            "nope",
            "secret the exercise does not provide",
        ),
    ];
    for (what, dockerfile, spec, line, message, hint) in cases {
        let dir = Scratch::new("bk-mistake", &[("exercise.toml", spec), ("Dockerfile", &dockerfile), ("a.txt", "a\n")]);
        let output = check(&dir, &[]);
        let report = verdict(&output, 1);
        let builds = check_of(&report, "builds");
        assert_eq!(builds["status"], "fail", "{what}: {report:#}");
        assert_eq!(builds["evidence"][0]["dockerfile_line"], line, "{what}: {builds:#}");
        assert!(builds["summary"].as_str().unwrap().contains(&format!("line {line}")), "{what}: {builds:#}");
        assert!(messages(builds).contains(message), "{what}: {builds:#}");
        assert!(builds["hint"].as_str().unwrap_or_default().contains(hint), "{what}: the hint names the cause: {builds:#}");
        if what == "failing RUN in a named stage" {
            assert!(messages(builds).contains(&format!("log: boom-{n}")), "{what}: the step's own output: {builds:#}");
        }
    }

    // A target that names no stage: a verdict naming the stages there are.
    let dir = Scratch::new("bk-mistake-target", &[("exercise.toml", "[checks.builds]\n"), ("Dockerfile", &stages)]);
    let output = check(&dir, &["--target", "nosuch"]);
    let report = verdict(&output, 1);
    let builds = check_of(&report, "builds");
    assert_eq!(builds["status"], "fail", "{report:#}");
    let said = messages(builds);
    assert!(said.contains("`nosuch`") && said.contains("`base` (line 1)") && said.contains("`build` (line 4)"), "{builds:#}");
    let hint = builds["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("stage") || hint.contains("target"), "the hint names the cause (the target), not a build log there is none of: {builds:#}");
}

#[test]
fn an_unreachable_daemon_is_exit_2() {
    let n = nonce();
    let dockerfile = format!("FROM busybox:latest\nRUN --mount=type=cache,target=/c echo {n}\n");
    let dir = Scratch::new("bk-no-daemon", &[("exercise.toml", "[checks.builds]\n"), ("Dockerfile", &dockerfile)]);
    let output = check_with_env(&dir, &[], &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: ") && err.contains("cannot reach the Docker daemon"), "{err}");
    assert!(stdout(&output).trim().is_empty(), "no report when nothing was judged: {}", stdout(&output));
}

// 5. ARG in FROM.

#[test]
fn an_arg_in_from_is_filled_in_before_the_image_map_and_build_args_override_it() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let dockerfile = format!("ARG BASE=busybox:latest\nFROM ${{BASE}}\nRUN echo based-{n} > /based\n");
    let probe = |output: &str| runs_probe(&["sh", "-c", "cat /based; cat /etc/debian_version 2>/dev/null || echo no-debian"], output);
    let spec = |args: &str, output: &str| format!("[exercise]\nbuild-args = {{ {args} }}\n[checks.builds]\n{}", probe(output));

    let dir = Scratch::new("bk-arg-from", &[("exercise.toml", &spec("", &format!("based-{n}\nno-debian"))), ("Dockerfile", &dockerfile)]);
    let report = verdict(&check(&dir, &[]), 0);
    assert_eq!(status(&report, "builds"), "pass", "the default maps onto the busybox stand-in: {report:#}");
    assert_eq!(status(&report, "runs"), "pass", "busybox has no /etc/debian_version: {report:#}");
    assert!(report["image"]["size"].as_u64().unwrap() < 10_000_000, "{report:#}");

    let dir = Scratch::new(
        "bk-arg-from-override",
        &[("exercise.toml", &spec("BASE = \"debian:bookworm\"", &format!("based-{n}\n12."))), ("Dockerfile", &dockerfile)],
    );
    let report = verdict(&check(&dir, &[]), 0);
    assert_eq!(status(&report, "builds"), "pass", "the build-arg maps onto the Debian stand-in: {report:#}");
    assert_eq!(status(&report, "runs"), "pass", "the Debian stand-in has /etc/debian_version 12.x: {report:#}");
    assert!(report["image"]["size"].as_u64().unwrap() > 50_000_000, "{report:#}");
}

// 6. Which stage ships; multi-stage on it.

/// The Fly/Rails shape on stand-ins: a shared `base`, a `build` stage that takes a compiler from
/// the gcc stand-in, `final` FROM base copying from build, and a `test` stage last.
fn shipping_shape(n: &str, compiler_in_base: bool) -> String {
    let compiler = "COPY --from=gcc:12 /usr/bin/gcc-12 /usr/local/bin/gcc\n";
    let (in_base, in_build) = if compiler_in_base { (compiler, "") } else { ("", compiler) };
    format!(
        "FROM busybox:latest AS base\nWORKDIR /app\n{in_base}RUN echo runtime-{n} > /app/runtime.txt\n\n\
         FROM base AS build\n{in_build}RUN echo artifact-{n} > /app/artifact\n\n\
         FROM base AS final\nCOPY --from=build /app/artifact /app/artifact\nUSER 1000\n\n\
         FROM build AS test\nRUN echo testing-{n}\n"
    )
}

const SHIPPING_SPEC: &str = "[checks.builds]\n[checks.non-root]\n[checks.no-build-tools]\n[checks.multi-stage]\n";

#[test]
fn the_target_stage_ships_and_is_judged() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let dockerfile = shipping_shape(&n, false);
    let probe = runs_probe(&["cat", "/app/artifact"], &format!("artifact-{n}"));

    // Without a target the last stage, `test`, ships: root, the compiler, built FROM build.
    let dir = Scratch::new("bk-target-none", &[("exercise.toml", SHIPPING_SPEC), ("Dockerfile", &dockerfile)]);
    let report = verdict(&check(&dir, &[]), 1);
    assert_eq!(status(&report, "builds"), "pass", "{report:#}");
    assert_eq!(status(&report, "non-root"), "fail", "{report:#}");
    assert_eq!(status(&report, "no-build-tools"), "fail", "{report:#}");
    assert_eq!(status(&report, "multi-stage"), "fail", "{report:#}");

    // --target final, then the spec's target: the shipping stage is built and judged.
    let spec_with_target = format!("[exercise]\ntarget = \"final\"\n{SHIPPING_SPEC}{probe}");
    let with_flag = Scratch::new("bk-target-flag", &[("exercise.toml", &format!("{SHIPPING_SPEC}{probe}")), ("Dockerfile", &dockerfile)]);
    let in_spec = Scratch::new("bk-target-spec", &[("exercise.toml", &spec_with_target), ("Dockerfile", &dockerfile)]);
    for (how, dir, extra) in [("--target final", &with_flag, &["--target", "final"][..]), ("target = \"final\"", &in_spec, &[][..])] {
        let report = verdict(&check(dir, extra), 0);
        assert_eq!(status(&report, "runs"), "pass", "{how}: {report:#}");
        let non_root = check_of(&report, "non-root");
        assert_eq!(non_root["status"], "pass", "{how}: the target stage's USER: {report:#}");
        assert_eq!(non_root["evidence"][0]["dockerfile_line"], 11, "{how}: {non_root:#}");
        assert_eq!(status(&report, "no-build-tools"), "pass", "{how}: the compiler stayed in build: {report:#}");
        let multi = check_of(&report, "multi-stage");
        assert_eq!(multi["status"], "pass", "{how}: {report:#}");
        assert!(multi["summary"].as_str().unwrap().contains("the target stage `final` copies from a builder"), "{how}: {multi:#}");
        assert!(messages(multi).contains("built FROM the stage `base`, which installs no build tools"), "{how}: {multi:#}");
        assert!(multi["evidence"].as_array().unwrap().iter().any(|e| e["dockerfile_line"] == 10), "{how}: {multi:#}");
    }

    // --target overrides the spec's key.
    let report = verdict(&check(&in_spec, &["--target", "test"]), 1);
    assert_eq!(status(&report, "non-root"), "fail", "--target test ships the test stage: {report:#}");
}

#[test]
fn a_shared_base_stage_that_installs_a_compiler_fails_multi_stage() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let dockerfile = shipping_shape(&n, true);
    let dir = Scratch::new("bk-base-compiler", &[("exercise.toml", &format!("[exercise]\ntarget = \"final\"\n{SHIPPING_SPEC}")), ("Dockerfile", &dockerfile)]);
    let report = verdict(&check(&dir, &[]), 1);
    assert_eq!(status(&report, "builds"), "pass", "{report:#}");
    assert_eq!(status(&report, "non-root"), "pass", "{report:#}");
    assert_eq!(status(&report, "no-build-tools"), "fail", "{report:#}");
    let multi = check_of(&report, "multi-stage");
    assert_eq!(multi["status"], "fail", "the final stage inherits the base stage's compiler: {report:#}");
    assert!(multi["summary"].as_str().unwrap().contains("built FROM the stage `base`"), "{multi:#}");
    let line = multi["evidence"].as_array().unwrap().iter().find(|e| e["message"].as_str().unwrap().contains("put build tools in the image"));
    assert_eq!(line.map(|e| &e["dockerfile_line"]), Some(&Value::from(3)), "the base stage's line that put gcc there: {multi:#}");
}

// 7. The legacy builder.

#[test]
fn the_legacy_builder_builds_plain_files_and_names_buildkit_for_mounts() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let plain = format!("FROM busybox:latest\nRUN echo legacy-{n} > /legacy\nUSER 1000\n");
    let spec = format!("[checks.builds]\n[checks.non-root]\n{}", runs_probe(&["cat", "/legacy"], &format!("legacy-{n}")));
    let dir = Scratch::new("bk-legacy", &[("exercise.toml", &spec), ("Dockerfile", &plain)]);
    let report = verdict(&check(&dir, &["--builder", "legacy"]), 0);
    assert_eq!(report["build"]["builder"], "legacy", "{report:#}");
    assert_eq!(status(&report, "builds"), "pass", "{report:#}");
    assert!(check_of(&report, "builds")["summary"].as_str().unwrap().contains("legacy builder"), "{report:#}");
    assert_eq!(status(&report, "runs"), "pass", "{report:#}");
    assert_eq!(status(&report, "non-root"), "pass", "{report:#}");

    // The same choice through SHIPSHAPE_BUILDER, and a file that needs BuildKit.
    let mounts = format!("FROM busybox:latest\nRUN echo ok-{n}\nRUN --mount=type=secret,id=tok cat /run/secrets/tok\n");
    let spec = "[exercise]\nsecrets = { tok = { file = \"tok.txt\" } }\n[checks.builds]\n";
    let dir = Scratch::new("bk-legacy-mount", &[("exercise.toml", spec), ("Dockerfile", &mounts), ("tok.txt", &format!("tok-{n}\n"))]);
    let output = check_with_env(&dir, &[], &[("SHIPSHAPE_BUILDER", "legacy")]);
    let report = verdict(&output, 1);
    assert_eq!(report["build"]["builder"], "legacy", "{report:#}");
    let builds = check_of(&report, "builds");
    assert_eq!(builds["status"], "fail", "{report:#}");
    assert_eq!(builds["evidence"][0]["dockerfile_line"], 3, "{builds:#}");
    assert!(builds["hint"].as_str().unwrap().contains("needs BuildKit"), "{builds:#}");
    let said = messages(builds);
    assert!(
        !said.contains("shipshape.run") && !said.contains("shipshape.owner") && !said.contains("LABEL shipshape"),
        "Shipshape's own inserted instructions are never shown (issue 9): {builds:#}"
    );
}

// 8. The build cache across runs.

#[test]
fn an_unchanged_exercise_is_answered_from_the_build_cache_and_the_layer_cache() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let dockerfile = format!("FROM busybox:latest\nRUN echo cached-{n} > /cached\nCOPY hello.txt /hello.txt\nUSER 1000\n");
    let spec =
        format!("[checks.builds]\n[checks.non-root]\n[checks.no-shell]\n{}", runs_probe(&["cat", "/cached", "/hello.txt"], &format!("cached-{n}\nhello-{n}")));
    let dir = Scratch::new("bk-build-cache", &[("exercise.toml", &spec), ("Dockerfile", &dockerfile), ("hello.txt", &format!("hello-{n}\n"))]);

    let first = verdict(&check(&dir, &[]), 1);
    assert_eq!(run_tags_left(), Vec::<String>::new(), "the run's tag is removed when it ends");
    assert!(first["image"]["cached_layers"].as_u64().unwrap() < first["image"]["layers"].as_u64().unwrap(), "new layers are read: {first:#}");
    let (cached, all) = steps(&first);
    assert!(cached < all, "{first:#}");

    let second = verdict(&check(&dir, &[]), 1);
    assert_eq!(run_tags_left(), Vec::<String>::new(), "the run's tag is removed when it ends");
    assert_eq!(second["image"]["id"], first["image"]["id"], "the same build, the same image");
    assert_eq!(statuses(&second), statuses(&first));
    assert_eq!(status(&second, "runs"), "pass", "{second:#}");
    assert_eq!(second["image"]["cached_layers"], second["image"]["layers"], "layers already judged are not read again: {second:#}");
    let (cached, all) = steps(&second);
    assert!(all > 0, "{second:#}");
    assert_eq!(cached, all, "every step of an unchanged file comes from the build cache: {second:#}");
}

// 9. Grading isolates cache mounts.

/// `shipshape grade SUBMISSIONS --exercise EXERCISE --jobs 1 --format json`: the class report.
fn grade(dir: &Scratch) -> (Output, Value) {
    let map = image_map().display().to_string();
    let output = shipshape(&[
        "grade",
        &dir.path("class"),
        "--exercise",
        &dir.path("exercise"),
        "--jobs",
        "1",
        "--image-map",
        &map,
        "--format",
        "json",
        "--out-dir",
        &dir.path("out"),
    ]);
    assert_no_internal_name(&output);
    let class = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not a class report ({e}):\n{}\n{}", stdout(&output), stderr(&output)));
    let err = stderr(&output);
    let (a, b) = (err.find("grading a-planter").expect("a-planter graded"), err.find("grading b-reader").expect("b-reader graded"));
    assert!(a < b, "A is graded first: {err}");
    (output, class)
}

fn student<'a>(class: &'a Value, name: &str) -> &'a Value {
    class["students"].as_array().unwrap().iter().find(|s| s["student"] == name).unwrap_or_else(|| panic!("no {name} in {class:#}"))
}

/// The `runs` check of a student's grade.
fn student_runs<'a>(class: &'a Value, name: &str) -> &'a Value {
    let grade = student(class, name);
    grade["checks"].as_array().unwrap().iter().find(|c| c["id"] == "runs").unwrap_or_else(|| panic!("no runs in {grade:#}"))
}

/// What a reader step writes: what the cache mount held, or `seen=none`.
const READ: &str = "if [ -f /c/m ]; then echo \"seen=$(cat /c/m)\"; else echo seen=none; fi > /seen";

/// The exercise: the probe asks that nothing planted was seen.
fn grading_exercise(name: &str, class: &[(&str, &str)]) -> Scratch {
    let spec = format!("[checks.builds]\n{}", runs_probe(&["cat", "/seen"], "seen=none"));
    let mut files: Vec<(String, String)> =
        vec![("exercise/exercise.toml".into(), spec), ("exercise/Dockerfile".into(), "FROM busybox:latest\nRUN echo seen=none > /seen\n".into())];
    files.extend(class.iter().map(|(student, dockerfile)| (format!("class/{student}/Dockerfile"), dockerfile.to_string())));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    Scratch::new(name, &files)
}

/// No build-cache record of a grading namespace for the cache-mount id `id` is left.
fn assert_no_namespaced_mounts(id: &str) {
    let left: Vec<String> =
        build_cache().into_iter().filter(|(_, d)| d.contains("shipshape-grade=") && d.contains(id)).map(|(i, d)| format!("{i}: {d}")).collect();
    assert!(left.is_empty(), "the grading run's cache mounts are left:\n{}", left.join("\n"));
}

#[test]
fn grading_gives_each_submission_its_own_cache_mounts_and_removes_them() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let id = format!("shared-{n}");
    let _mounts = CacheMounts(id.clone());
    // A plants a marker in the cache mount and reads it back (its own builds share its mounts);
    // B, with the same mount id, copies whatever the mount holds into its image.
    let planter = |salt: &str| {
        format!(
            "FROM busybox:latest\nRUN --mount=type=cache,target=/c,id={id} sh -c 'true {salt}; echo planted > /c/m'\n\
             RUN --mount=type=cache,target=/c,id={id} sh -c 'true {salt}; {READ}'\n"
        )
    };
    let reader = |salt: &str| format!("FROM busybox:latest\nRUN --mount=type=cache,target=/c,id={id} sh -c 'true {salt}; {READ}'\n");
    let grade_salt = format!("grade-{n}");
    let dir = grading_exercise("bk-grade-mounts", &[("a-planter", &planter(&grade_salt)), ("b-reader", &reader(&grade_salt))]);
    let (output, class) = grade(&dir);
    assert_eq!(output.status.code(), Some(1), "A fails its probe (it saw its own marker): {}", stderr(&output));
    let a = student_runs(&class, "a-planter");
    assert_eq!(a["status"], "fail", "A's own later step reads what it planted: {a:#}");
    assert!(messages(a).contains("seen=planted"), "{a:#}");
    let b = student_runs(&class, "b-reader");
    assert_eq!(b["status"], "pass", "B must not see what A planted in the mount `{id}`: {b:#}");
    assert_eq!(student(&class, "b-reader")["status"], "pass", "{class:#}");
    assert_no_namespaced_mounts(&id);

    // Without grading's namespaces (two plain checks, in the same order), the same mount id is
    // one mount: B sees A's marker. This is what grading must prevent.
    let control_salt = format!("control-{n}");
    let spec = format!("[checks.builds]\n{}", runs_probe(&["cat", "/seen"], "seen=planted"));
    let a = Scratch::new("bk-grade-control-a", &[("exercise.toml", &spec), ("Dockerfile", &planter(&control_salt))]);
    let b = Scratch::new("bk-grade-control-b", &[("exercise.toml", &spec), ("Dockerfile", &reader(&control_salt))]);
    verdict(&check(&a, &[]), 0);
    let report = verdict(&check(&b, &[]), 0);
    assert_eq!(status(&report, "runs"), "pass", "without namespaces B reads A's marker, so the grade above proves isolation: {report:#}");
}

#[test]
fn grading_does_not_hand_a_submission_a_cached_step_that_read_another_submissions_cache_mount() {
    let Some(_docker) = docker_lock() else { return };
    let n = nonce();
    let id = format!("shared-{n}");
    let _mounts = CacheMounts(id.clone());
    // A plants in one stage while another stage, after a pause, reads the mount: A's reader step
    // sees A's marker. B's Dockerfile is exactly A's reader stage; if B's build takes that step
    // from the build cache, B's image holds what A planted.
    let read = format!("RUN --mount=type=cache,target=/c,id={id} sh -c 'true {n}; sleep 4; {READ}'\n");
    let planter = format!(
        "FROM busybox:latest AS planter\nRUN --mount=type=cache,target=/c,id={id} sh -c 'echo planted > /c/m; echo {n} > /planted'\n\n\
         FROM busybox:latest AS reader\n{read}\n\
         FROM busybox:latest\nCOPY --from=planter /planted /planted\nCOPY --from=reader /seen /seen\n"
    );
    let reader = format!("FROM busybox:latest\n{read}");
    let dir = grading_exercise("bk-grade-cached-step", &[("a-planter", &planter), ("b-reader", &reader)]);
    let (_, class) = grade(&dir);
    let a = student_runs(&class, "a-planter");
    assert!(messages(a).contains("seen=planted"), "the premise: A's reader stage saw A's marker: {a:#}");
    let b = student_runs(&class, "b-reader");
    assert_eq!(b["status"], "pass", "B's image must not hold what A planted in the mount `{id}` (here through A's cached step): {b:#}");
    assert_no_namespaced_mounts(&id);
}
