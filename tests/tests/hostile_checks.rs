//! Submissions built to fool the checks (issue 11), each built on the real daemon and judged.
//! Where the verdict is about what the runtime does, the image is also run (a `runs` probe that
//! prints `id`), so that the check is held to the runtime's own answer, not to a reading of the
//! files.
use shipshape_course_tests::*;

/// The daemon's USER lookup is judged against the runtime: the probe prints the ids it ran with.
fn judge_user(name: &str, passwd: &str, user: &str, expected_id: &str) -> serde_json::Value {
    let dockerfile = format!("FROM busybox:1.36\nRUN printf '{passwd}' > /etc/passwd\nUSER {user}\n");
    let spec = format!("[checks.builds]\n[checks.non-root]\n[checks.runs]\ncommand = {{ args = [\"id\"], output = \"{expected_id}\" }}\n");
    judge_dockerfile(name, &dockerfile, &spec)
}

fn summary(report: &serde_json::Value, id: &str) -> String {
    check_of(report, id)["summary"].as_str().unwrap().to_string()
}

#[test]
fn a_root_entry_indented_before_the_real_one_runs_as_root_and_is_judged_so() {
    let Some(_docker) = docker_lock() else { return };
    let report = judge_user("passwd-indented", "  app:x:0:0::/:/sbin/nologin\\napp:x:1000:1000::/:/sbin/nologin\\n", "app", "uid=0");
    assert_eq!(check_of(&report, "runs")["status"], "pass", "the runtime runs it as uid 0: {report:#}");
    let non_root = check_of(&report, "non-root");
    assert_eq!(non_root["status"], "fail", "{non_root:#}");
    assert!(summary(&report, "non-root").contains("runs as root (uid 0)"), "{non_root:#}");
    let passwd = non_root["evidence"].as_array().unwrap().iter().find(|e| e["path"] == "etc/passwd").expect("the passwd line is evidence");
    assert!(passwd["message"].as_str().unwrap().contains("line 1"), "{passwd:#}");
    assert_eq!(passwd["dockerfile_line"], 2, "{passwd:#}");
}

#[test]
fn a_uid_past_32_bits_wraps_to_root_and_is_judged_so() {
    let Some(_docker) = docker_lock() else { return };
    let report = judge_user("passwd-wrap", "app:x:4294967296:0::/:/sbin/nologin\\n", "app", "uid=0");
    assert_eq!(check_of(&report, "runs")["status"], "pass", "the runtime runs it as uid 0: {report:#}");
    assert_eq!(check_of(&report, "non-root")["status"], "fail");
    assert!(summary(&report, "non-root").contains("uid 4294967296, which the runtime cuts to 32 bits"), "{report:#}");
}

#[test]
fn an_honest_entry_passes_and_an_out_of_range_uid_is_refused_as_the_runtime_refuses_it() {
    let Some(_docker) = docker_lock() else { return };
    let honest = judge_user("passwd-honest", "root:x:0:0::/root:/bin/sh\\napp:x:1000:1000::/:/sbin/nologin\\n", "app", "uid=1000");
    assert_eq!(check_of(&honest, "runs")["status"], "pass", "{honest:#}");
    assert_eq!(check_of(&honest, "non-root")["status"], "pass", "{honest:#}");
    assert!(summary(&honest, "non-root").contains("uid 1000"), "{honest:#}");
    let refused = judge_user("passwd-range", "root:x:0:0::/root:/bin/sh\\n", "4294967296", "uid=");
    assert_eq!(check_of(&refused, "runs")["status"], "fail", "the container cannot start: {refused:#}");
    assert_eq!(check_of(&refused, "non-root")["status"], "fail");
    assert!(summary(&refused, "non-root").contains("refuses to start"), "{refused:#}");
}

/// The machine's static busybox (scripts/setup installs busybox-static).
fn busybox() -> Vec<u8> {
    std::fs::read("/bin/busybox").expect("/bin/busybox (busybox-static, which scripts/setup installs)")
}

/// `bytes` with every `BusyBox v` overwritten, as a learner would patch the version banner.
fn without_banner(bytes: &[u8]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    let banner = b"BusyBox v";
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(banner.len()).position(|window| window == banner) {
        bytes[at + found..at + found + banner.len()].copy_from_slice(b"Toolkit v");
        at += found + banner.len();
    }
    bytes
}

#[test]
fn busybox_hidden_in_etc_and_doc_patched_padded_or_setuid_is_still_a_shell() {
    let Some(_docker) = docker_lock() else { return };
    let patched = without_banner(&busybox());
    let mut padded = busybox();
    padded.resize(17 << 20, 0);
    let dockerfile = "FROM busybox:1.36 AS tools\n\
                      FROM gcr.io/distroless/static-debian12:nonroot\n\
                      COPY --from=tools /bin/busybox /etc/busybox\n\
                      COPY --from=tools /bin/busybox /usr/share/doc/busybox/examples\n\
                      COPY patched /usr/local/bin/healthcheck\n\
                      COPY padded /opt/data.bin\n\
                      COPY --chmod=4755 patched /usr/local/bin/helper\n";
    let files: [(&str, &[u8]); 2] = [("patched", &patched), ("padded", &padded)];
    let report = judge_dockerfile_with("hidden-busybox", dockerfile, "[checks.builds]\n[checks.no-shell]\n[checks.no-setuid]\n", &files);
    let no_shell = check_of(&report, "no-shell");
    assert_eq!(no_shell["status"], "fail", "{no_shell:#}");
    let paths: Vec<&str> = no_shell["evidence"].as_array().unwrap().iter().filter_map(|e| e["path"].as_str()).collect();
    for path in ["etc/busybox", "usr/share/doc/busybox/examples", "usr/local/bin/healthcheck", "opt/data.bin", "usr/local/bin/helper"] {
        assert!(paths.contains(&path), "{path} is a shell: {no_shell:#}");
    }
    let no_setuid = check_of(&report, "no-setuid");
    assert_eq!(no_setuid["status"], "fail", "{no_setuid:#}");
    let evidence = &no_setuid["evidence"][0];
    assert_eq!(evidence["path"], "usr/local/bin/helper", "{no_setuid:#}");
    assert!(evidence["message"].as_str().unwrap().contains("setuid root (mode 4755)"), "{evidence:#}");
    assert_eq!(evidence["dockerfile_line"], 7, "{evidence:#}");
}

#[test]
fn a_setuid_root_program_that_is_no_shell_fails_no_setuid_only() {
    let Some(_docker) = docker_lock() else { return };
    let tool = std::fs::read("/bin/true").expect("/bin/true");
    let dockerfile = "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --chmod=4755 tool /usr/local/bin/tool\n";
    let report = judge_dockerfile_with("setuid-tool", dockerfile, "[checks.builds]\n[checks.no-shell]\n[checks.no-setuid]\n", &[("tool", &tool)]);
    assert_eq!(check_of(&report, "no-shell")["status"], "pass", "{report:#}");
    assert_eq!(check_of(&report, "no-setuid")["status"], "fail", "{report:#}");
    let plain =
        judge_dockerfile_with("plain-tool", &dockerfile.replace("--chmod=4755", "--chmod=755"), "[checks.builds]\n[checks.no-setuid]\n", &[("tool", &tool)]);
    assert_eq!(check_of(&plain, "no-setuid")["status"], "pass", "{plain:#}");
}

#[test]
fn a_deleted_or_edited_dpkg_database_makes_the_scan_unknown_not_clean() {
    let Some(_docker) = docker_lock() else { return };
    let spec = "[checks.builds]\n[checks.scan]\n";
    let deleted = judge_dockerfile("dpkg-deleted", "FROM debian:bookworm-slim\nRUN rm /var/lib/dpkg/status\n", spec);
    let scan = check_of(&deleted, "scan");
    assert_eq!(scan["status"], "fail", "{scan:#}");
    let text = summary(&deleted, "scan");
    assert!(text.starts_with("unknown: the image holds Debian packages without their database"), "{scan:#}");
    assert!(text.contains("of what it can see: nothing blocks (HIGH or above); no findings; 0 packages scanned"), "the scan itself saw nothing: {scan:#}");
    assert_eq!(scan["evidence"][0]["path"], "var/lib/dpkg/status", "{scan:#}");
    assert_eq!(scan["evidence"][0]["dockerfile_line"], 2, "{scan:#}");
    assert!(scan["evidence"][0]["message"].as_str().unwrap().contains("was deleted"), "{scan:#}");

    let edited = judge_dockerfile("dpkg-edited", "FROM debian:bookworm-slim\nRUN sed -i '/^Package: libc6$/,/^$/d' /var/lib/dpkg/status\n", spec);
    let scan = check_of(&edited, "scan");
    assert_eq!(scan["status"], "fail", "{scan:#}");
    assert!(summary(&edited, "scan").contains("Debian packages missing from their database"), "{scan:#}");
    assert!(scan["evidence"][0]["message"].as_str().unwrap().contains("libc6"), "{scan:#}");
}

#[test]
fn npm_packages_without_their_manifest_make_the_scan_unknown() {
    let Some(_docker) = docker_lock() else { return };
    let dockerfile = "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY index.js /app/node_modules/minimist/index.js\n";
    let report = judge_dockerfile_with("npm-bare", dockerfile, "[checks.builds]\n[checks.scan]\n", &[("index.js", b"module.exports = {};\n")]);
    let scan = check_of(&report, "scan");
    assert_eq!(scan["status"], "fail", "{scan:#}");
    assert!(summary(&report, "scan").contains("npm packages without their package.json"), "{scan:#}");
    assert_eq!(scan["evidence"][0]["path"], "app/node_modules/minimist", "{scan:#}");
}
