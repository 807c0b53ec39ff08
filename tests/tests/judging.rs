//! The checks judged against real images built on the real daemon: the cases that are easy to
//! get wrong (renamed shells, deleted files, users mapped to root, USER in a builder stage), and
//! where the evidence points, in the learner's words: what the base image brought at its `FROM`
//! line, each step quoted from the Dockerfile whatever the builder recorded, busybox by its name.
use shipshape_course_tests::*;

#[test]
fn a_renamed_busybox_is_still_a_shell_and_is_traced_to_its_line() {
    let Some(_docker) = docker_lock() else { return };
    let dockerfile =
        "FROM busybox:1.36 AS tools\n\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=tools /bin/busybox /usr/local/bin/healthcheck\n";
    let report = judge_dockerfile("renamed", dockerfile, "[checks.builds]\n[checks.no-shell]\n[checks.multi-stage]\n[checks.non-root]\n");
    let no_shell = check_of(&report, "no-shell");
    assert_eq!(no_shell["status"], "fail");
    let evidence = &no_shell["evidence"][0];
    assert_eq!(evidence["path"], "usr/local/bin/healthcheck");
    assert!(evidence["message"].as_str().unwrap().contains("busybox under the name `healthcheck`"), "{evidence:#}");
    assert_eq!(evidence["dockerfile_line"], 4, "{evidence:#}");
    assert!(evidence["instruction"].as_str().unwrap().starts_with("COPY"), "{evidence:#}");
    assert_eq!(check_of(&report, "multi-stage")["status"], "pass");
    assert_eq!(check_of(&report, "non-root")["status"], "pass");
}

#[test]
fn a_file_deleted_by_a_later_layer_is_gone_but_still_weighs() {
    let Some(_docker) = docker_lock() else { return };
    let dockerfile = "FROM busybox:1.36 AS tools\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=tools /bin/busybox /tmp/busybox\nUSER 0\nRUN [\"/tmp/busybox\", \"rm\", \"/tmp/busybox\"]\nUSER 65532\n";
    let report = judge_dockerfile("whiteout", dockerfile, "[checks.builds]\n[checks.no-shell]\n[checks.size]\nmax = \"3 MB\"\n");
    assert_eq!(check_of(&report, "no-shell")["status"], "pass", "{report:#}");
    let size = check_of(&report, "size");
    assert_eq!(size["status"], "fail", "the deleted busybox still ships in its layer: {size:#}");
    assert_eq!(size["evidence"][0]["dockerfile_line"], 3, "{size:#}");
}

#[test]
fn a_user_name_that_passwd_maps_to_uid_0_is_root() {
    let Some(_docker) = docker_lock() else { return };
    let dockerfile = "FROM busybox:1.36\nRUN echo 'toor:x:0:0:toor:/root:/bin/sh' >> /etc/passwd\nUSER toor\n";
    let report =
        judge_dockerfile("toor", dockerfile, "[checks.builds]\n[checks.non-root]\n[checks.runs]\ncommand = { args = [\"id\", \"-u\"], output = \"0\" }\n");
    let non_root = check_of(&report, "non-root");
    assert_eq!(non_root["status"], "fail");
    assert!(non_root["summary"].as_str().unwrap().contains("uid 0"), "{non_root:#}");
    assert_eq!(non_root["evidence"][0]["dockerfile_line"], 3);
    assert_eq!(check_of(&report, "runs")["status"], "pass", "the command probe ran as toor: {report:#}");
}

#[test]
fn a_user_set_only_in_a_builder_stage_does_not_count() {
    let Some(_docker) = docker_lock() else { return };
    let dockerfile = "FROM busybox:1.36 AS build\nUSER 1000\nFROM busybox:1.36\nCOPY --from=build /bin/busybox /opt/tool\n";
    let report = judge_dockerfile("builder-user", dockerfile, "[checks.builds]\n[checks.non-root]\n");
    assert_eq!(check_of(&report, "non-root")["status"], "fail");
    assert!(check_of(&report, "non-root")["summary"].as_str().unwrap().contains("no USER"));
}

#[test]
fn a_numeric_uid_passes_without_a_passwd_entry_and_a_missing_name_fails() {
    let Some(_docker) = docker_lock() else { return };
    let numeric = judge_dockerfile("numeric", "FROM gcr.io/distroless/static-debian12\nUSER 4242:4242\n", "[checks.builds]\n[checks.non-root]\n");
    assert_eq!(check_of(&numeric, "non-root")["status"], "pass");
    assert!(check_of(&numeric, "non-root")["summary"].as_str().unwrap().contains("uid 4242"));
    let ghost = judge_dockerfile("ghost", "FROM gcr.io/distroless/static-debian12\nUSER ghost\n", "[checks.builds]\n[checks.non-root]\n");
    assert_eq!(check_of(&ghost, "non-root")["status"], "fail");
    assert!(check_of(&ghost, "non-root")["summary"].as_str().unwrap().contains("not in the image's /etc/passwd"));
}

#[test]
fn a_command_probe_runs_read_only_without_capabilities() {
    let Some(_docker) = docker_lock() else { return };
    let spec = "[checks.builds]\n[checks.runs]\ncommand = { args = [\"touch\", \"/etc/written\"], exit-code = 0 }\n";
    let report = judge_dockerfile("read-only", "FROM busybox:1.36\n", spec);
    let runs = check_of(&report, "runs");
    assert_eq!(runs["status"], "fail", "the root filesystem is read-only: {runs:#}");
    assert!(runs["summary"].as_str().unwrap().contains("exited 1"), "{runs:#}");
    let tmp = judge_dockerfile("tmp-writable", "FROM busybox:1.36\n", &spec.replace("/etc/written", "/tmp/written"));
    assert_eq!(check_of(&tmp, "runs")["status"], "pass", "/tmp is writable: {tmp:#}");
}

#[test]
fn a_final_stage_built_from_a_builder_that_installs_tools_is_not_multi_stage() {
    let Some(_docker) = docker_lock() else { return };
    let dockerfile = "FROM busybox:1.36 AS build\nRUN echo built > /artifact && mkdir -p /usr/local/bin && cp /bin/busybox /usr/local/bin/make\n\
                      FROM build\nCOPY --from=build /artifact /artifact2\n";
    let report = judge_dockerfile("from-builder", dockerfile, "[checks.builds]\n[checks.multi-stage]\n");
    let multi = check_of(&report, "multi-stage");
    assert_eq!(multi["status"], "fail");
    assert!(multi["summary"].as_str().unwrap().contains("built FROM the stage `build`, whose stages install build tools"), "{multi:#}");
    assert!(multi["evidence"].to_string().contains("usr/local/bin/make"), "{multi:#}");
}

#[test]
fn a_build_secret_is_found_in_layers_and_history_and_never_printed() {
    let Some(_docker) = docker_lock() else { return };
    let token = "shipshape-test-token-7d1e";
    let spec = format!("[exercise]\nbuild-args = {{ TOKEN = \"{token}\" }}\n[checks.builds]\n[checks.no-secrets]\n");
    let leaky = "FROM busybox:1.36\nARG TOKEN\nRUN echo \"$TOKEN\" > /tmp/token\nRUN rm /tmp/token\n";
    let report = judge_dockerfile("leaky-secret", leaky, &spec);
    let leak = check_of(&report, "no-secrets");
    assert_eq!(leak["status"], "fail", "{report:#}");
    let messages: Vec<&str> = leak["evidence"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.contains("/tmp/token holds a secret (deleted by a later layer")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("history records a secret")), "{messages:?}");
    let file_evidence = leak["evidence"].as_array().unwrap().iter().find(|e| e["path"] == "tmp/token").unwrap();
    assert_eq!(file_evidence["dockerfile_line"], 3);
    assert!(!report.to_string().contains(token), "the report must not print the secret");

    let careful =
        "FROM busybox:1.36 AS build\nARG TOKEN\nRUN echo \"$TOKEN\" | wc -c > /artifact\n\nFROM busybox:1.36\nCOPY --from=build /artifact /artifact\n";
    let report = judge_dockerfile("careful-secret", careful, &spec);
    assert_eq!(check_of(&report, "no-secrets")["status"], "pass", "{report:#}");
}

#[test]
fn base_images_pinned_by_digest_pass_and_tags_fail() {
    let Some(_docker) = docker_lock() else { return };
    let digest = "a".repeat(64);
    let pinned = format!(
        "FROM busybox:1.36@sha256:{digest} AS tools\nFROM gcr.io/distroless/static-debian12:nonroot@sha256:{digest}\nCOPY --from=tools /bin/busybox /bb\n"
    );
    let report = judge_dockerfile("pinned", &pinned, "[checks.builds]\n[checks.pinned-base]\n");
    assert_eq!(check_of(&report, "pinned-base")["status"], "pass", "{report:#}");
    let tagged = "FROM busybox:1.36 AS tools\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=busybox:1.36 /bin/busybox /bb\n";
    let report = judge_dockerfile("tagged", tagged, "[checks.builds]\n[checks.pinned-base]\n");
    let pinned_base = check_of(&report, "pinned-base");
    assert_eq!(pinned_base["status"], "fail");
    let lines: Vec<i64> = pinned_base["evidence"].as_array().unwrap().iter().map(|e| e["dockerfile_line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 3]);
}

/// `shipshape check` of a scratch exercise (the stand-in images, and `extra` arguments), its
/// output in `format`.
fn check_scratch(dir: &Scratch, format: &str, extra: &[&str]) -> String {
    let map = image_map().display().to_string();
    let path = dir.path("");
    let output = shipshape(&[&["check", path.as_str(), "--image-map", &map, "--format", format], extra].concat());
    assert_eq!(output.status.code(), Some(1), "{}{}", stdout(&output), stderr(&output));
    stdout(&output)
}

#[test]
fn what_the_base_image_brings_points_at_its_from_line_and_busybox_is_named_busybox() {
    let Some(_docker) = docker_lock() else { return };
    let spec = "[checks.builds]\n[checks.no-shell]\n[checks.size]\nmax = \"1 MB\"\n";
    let dir = Scratch::new("from-line", &[("exercise.toml", spec), ("Dockerfile", "# tools\nFROM busybox:1.36\nCOPY app /app\n"), ("app", "app\n")]);
    let report: serde_json::Value = serde_json::from_str(&check_scratch(&dir, "json", &[])).unwrap();
    let shell = &check_of(&report, "no-shell")["evidence"][0];
    assert_eq!((shell["dockerfile_line"].as_u64(), shell["instruction"].as_str()), (Some(2), Some("FROM busybox:1.36")), "{shell:#}");
    let message = shell["message"].as_str().unwrap();
    assert!(message.starts_with("busybox (a shell and ") && message.contains(" at /bin/busybox, linked as /bin/"), "{message}");
    assert!(message.contains("/bin/sh"), "the names that make it a shell come first: {message}");
    assert_eq!(check_of(&report, "no-shell")["summary"], "1 shell found (shell): /bin/busybox");

    let human = check_scratch(&dir, "human", &[]);
    assert!(human.contains("at /bin/busybox, linked as /bin/"), "{human}");
    assert!(human.contains("  [layer 0 · Dockerfile:2 · FROM busybox:1.36]"), "{human}");
    assert!(human.contains("the base image adds "), "{human}");
    let github = check_scratch(&dir, "github", &[]);
    for check in ["no-shell", "size"] {
        let annotated: Vec<&str> = github.lines().filter(|l| l.contains(&format!(",title={check}::"))).collect();
        assert_eq!(annotated.len(), 1, "{github}");
        assert!(annotated[0].starts_with(&format!("::error file={},line=2,", dir.path("Dockerfile"))), "{github}");
    }
}

#[test]
fn the_legacy_builders_copy_of_a_directory_is_quoted_as_the_dockerfile_writes_it() {
    let Some(_docker) = docker_lock() else { return };
    let spec = "[checks.builds]\n[checks.size]\nmax = \"1 MB\"\n";
    let dockerfile = "FROM busybox:1.36\nCOPY static /srv/static\nCOPY app /app\n";
    let files = [("exercise.toml", spec), ("Dockerfile", dockerfile), ("static/a.txt", "a\n"), ("static/b.txt", "b\n"), ("app", "app\n")];
    let dir = Scratch::new("legacy-copy", &files);
    let report: serde_json::Value = serde_json::from_str(&check_scratch(&dir, "json", &["--builder", "legacy"])).unwrap();
    assert_eq!(report["build"]["builder"], "legacy", "{report:#}");
    let evidence = check_of(&report, "size")["evidence"].as_array().unwrap().clone();
    let quoted: Vec<(u64, &str)> = evidence.iter().map(|e| (e["dockerfile_line"].as_u64().unwrap(), e["instruction"].as_str().unwrap())).collect();
    assert_eq!(quoted, [(1, "FROM busybox:1.36"), (2, "COPY static /srv/static"), (3, "COPY app /app")], "{evidence:#?}");
}

#[test]
fn a_starter_too_big_for_its_base_is_annotated_on_its_from_line() {
    let Some(_docker) = docker_lock() else { return };
    let exercise = exercises().into_iter().find(|e| e.ends_with("03-go-distroless")).expect("exercise 03");
    let text = std::fs::read_to_string(exercise.join("Dockerfile")).unwrap();
    let from = 1 + text.lines().position(|line| line.starts_with("FROM ")).expect("a FROM line");
    let (path, map) = (exercise.display().to_string(), image_map().display().to_string());
    let github = stdout(&shipshape(&["check", &path, "--image-map", &map, "--format", "github"]));
    let size: Vec<&str> = github.lines().filter(|l| l.contains(",title=size::")).collect();
    assert_eq!(size.len(), 1, "one annotation, on the line that added the most: {github}");
    assert!(size[0].contains(&format!("/Dockerfile,line={from},title=size::")), "{github}");
}
