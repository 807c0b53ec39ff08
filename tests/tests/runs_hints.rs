//! The `runs` check explains its failures on real images, from the image's facts: each failure
//! shows the command the runtime started (ENTRYPOINT then CMD), and the three common mistakes on
//! minimal bases get a hint of their own: a shell-form command on an image without a shell, a
//! dynamically linked program whose loader the image lacks, and a CMD that repeats the program the
//! image's ENTRYPOINT already runs. Every Dockerfile carries a nonce, so no build cache answers.
//! The same three mistakes are then made in the course's own reference solutions, checked with
//! the exercise's spec, as a learner would make them (Beacon's cgo binary moved to the static
//! base is exercise 02's answer carried over to exercise 03).
use shipshape_course_tests::*;

/// The spec: the image's own command must exit 0 within 20 s.
const SPEC: &str = "[checks.builds]\n[checks.runs]\ncommand = { exit-code = 0 }\ntimeout-seconds = 20\n";

/// Judges `dockerfile` (with `files` in its context) and returns the failed `runs` entry.
fn failed_runs(name: &str, dockerfile: &str, files: &[(&str, &[u8])]) -> serde_json::Value {
    let report = judge_dockerfile_with(name, dockerfile, SPEC, files);
    let runs = check_of(&report, "runs").clone();
    assert_eq!(runs["status"], "fail", "{report:#}");
    runs
}

/// The evidence notes of a check, one string each.
fn notes(check: &serde_json::Value) -> Vec<String> {
    check["evidence"].as_array().into_iter().flatten().filter_map(|e| e["message"].as_str().map(str::to_string)).collect()
}

fn hint(check: &serde_json::Value) -> &str {
    check["hint"].as_str().unwrap_or_else(|| panic!("no hint in {check:#}"))
}

#[test]
fn a_shell_form_cmd_on_distroless_is_told_the_exec_form() {
    let Some(_docker) = docker_lock() else { return };
    let nonce = nonce();
    let dockerfile = format!("FROM gcr.io/distroless/static-debian12\nCOPY nonce.txt /nonce.txt\nCMD beacon --nonce {nonce}\n");
    let runs = failed_runs("runs-shell-form", &dockerfile, &[("nonce.txt", nonce.as_bytes())]);
    assert!(notes(&runs).contains(&format!("command: [\"/bin/sh\",\"-c\",\"beacon --nonce {nonce}\"]")), "{runs:#}");
    let hint = hint(&runs);
    assert!(hint.starts_with("CMD is in shell form, so the runtime starts `/bin/sh`"), "{hint}");
    assert!(hint.contains("this image has no `/bin/sh`: write it in exec form"), "{hint}");
    assert!(hint.contains(&format!("`CMD [\"beacon\",\"--nonce\",\"{nonce}\"]`")), "{hint}");
}

#[test]
fn a_dynamically_linked_program_on_the_static_base_is_told_its_missing_loader() {
    let Some(_docker) = docker_lock() else { return };
    let nonce = nonce();
    let dockerfile = format!(
        "FROM debian:bookworm AS tools\nRUN echo {nonce} > /nonce.txt\n\
         FROM gcr.io/distroless/static-debian12\nCOPY --from=tools /nonce.txt /nonce.txt\nCOPY --from=tools /usr/bin/ls /app/ls\n\
         CMD [\"/app/ls\", \"/\"]\n"
    );
    let runs = failed_runs("runs-missing-loader", &dockerfile, &[]);
    assert!(notes(&runs).contains(&"command: [\"/app/ls\",\"/\"]".to_string()), "{runs:#}");
    let hint = hint(&runs);
    assert!(hint.starts_with("`/app/ls` is dynamically linked: it needs the loader `/lib64/ld-linux-x86-64.so.2`, which this image does not have"), "{hint}");
    assert!(hint.contains("`CGO_ENABLED=0 go build`") && hint.contains("`gcr.io/distroless/base-debian13`"), "{hint}");
}

#[test]
fn a_cmd_that_repeats_node_on_the_node_distroless_image_is_told_what_to_write() {
    let Some(_docker) = docker_lock() else { return };
    let nonce = nonce();
    let dockerfile = "FROM gcr.io/distroless/nodejs20-debian12:nonroot\nWORKDIR /app\nCOPY server.js ./\nCMD [\"node\", \"server.js\"]\n";
    let script = format!("// {nonce}\nconsole.log('up');\n");
    let runs = failed_runs("runs-swallowed-cmd", dockerfile, &[("server.js", script.as_bytes())]);
    let notes = notes(&runs);
    let command = notes.iter().find(|n| n.starts_with("command: ")).unwrap_or_else(|| panic!("no command in {runs:#}"));
    assert!(command.ends_with("/node\",\"node\",\"server.js\"]"), "{command}");
    let hint = hint(&runs);
    assert!(hint.starts_with("the image's ENTRYPOINT `[\""), "{hint}");
    assert!(hint.contains("already runs `node`, and CMD only gives it arguments"), "{hint}");
    assert!(hint.ends_with("leave the program out and write `CMD [\"server.js\"]`"), "{hint}");
}

/// The failed `runs` entry of `exercise`'s reference solution with `mistake` made in it (the
/// text `from` replaced by `to`), checked by the exercise's own spec in its own context.
fn solution_with_mistake(exercise: &str, from: &str, to: &str) -> serde_json::Value {
    let solution = std::fs::read_to_string(root().join(format!("exercises/{exercise}/solution/Dockerfile"))).unwrap();
    assert!(solution.contains(from), "the solution of {exercise} no longer says `{from}`");
    let scratch = Scratch::new(&format!("runs-{exercise}"), &[("Dockerfile", &solution.replace(from, to))]);
    let map = image_map().display().to_string();
    let output = shipshape(&["check", &format!("exercises/{exercise}"), "--dockerfile", &scratch.path("Dockerfile"), "--image-map", &map, "--format", "json"]);
    let report = report(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let runs = check_of(&report, "runs").clone();
    assert_eq!(runs["status"], "fail", "{report:#}");
    runs
}

#[test]
fn the_course_solutions_with_each_mistake_get_their_own_hint() {
    let Some(_docker) = docker_lock() else { return };
    let shell_form = solution_with_mistake("03-go-distroless", "ENTRYPOINT [\"/beacon\"]", "ENTRYPOINT /beacon");
    assert!(hint(&shell_form).contains("this image has no `/bin/sh`: write it in exec form"), "{shell_form:#}");

    let static_base =
        solution_with_mistake("03-go-distroless", "FROM gcr.io/distroless/base-debian13:nonroot", "FROM gcr.io/distroless/static-debian13:nonroot");
    assert!(notes(&static_base).contains(&"output: exec /beacon: no such file or directory".to_string()), "{static_base:#}");
    assert!(hint(&static_base).starts_with("`/beacon` is dynamically linked: it needs the loader `/lib64/ld-linux-x86-64.so.2`"), "{static_base:#}");

    let swallowed = solution_with_mistake("01-node-multistage", "CMD [\"/app/dist/server.js\"]", "CMD [\"node\", \"/app/dist/server.js\"]");
    assert!(hint(&swallowed).ends_with("leave the program out and write `CMD [\"/app/dist/server.js\"]`"), "{swallowed:#}");
}
