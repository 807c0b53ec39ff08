//! Judging archives without a daemon: dive's own test image (with dive's published figures), and
//! OCI-layout archives with gzip layers made by skopeo from the stand-ins.
use shipshape_course_tests::*;

const SPEC: &str =
    "[checks.size]\nmax = \"100 MB\"\n[checks.non-root]\n[checks.no-shell]\n[checks.no-package-manager]\n[checks.no-build-tools]\n[checks.runs]\nhttp = {}\n";

#[test]
fn dive_test_image_matches_dives_figures() {
    let spec = Scratch::new("dive", &[("spec.toml", SPEC)]);
    let archive = fixture("dive/test-docker-image.tar").display().to_string();
    // No daemon is needed: point DOCKER_HOST nowhere to prove it.
    let output = shipshape_with_env(
        &["check", "--archive", &archive, "--spec", &spec.path("spec.toml"), "--format", "json"],
        &[("DOCKER_HOST", "unix:///nonexistent.sock")],
    );
    let report = report(&output);
    // PROVENANCE.md: busybox base plus 13 layers; dive's test asserts size 1220598 bytes.
    assert_eq!(report["image"]["layers"], 14);
    assert_eq!(report["image"]["size"], 1_220_598);
    let statuses = statuses(&report);
    let expect =
        [("size", "pass"), ("non-root", "fail"), ("no-shell", "fail"), ("no-package-manager", "fail"), ("no-build-tools", "pass"), ("runs", "skipped")];
    assert_eq!(statuses, expect.map(|(a, b)| (a.to_string(), b.to_string())));
    // The busybox base layer is where the shell comes from, with the instruction that added it.
    let shell = &report["checks"][2]["evidence"][0];
    assert_eq!(shell["layer"], 0);
    assert!(shell["instruction"].as_str().unwrap().starts_with("ADD file:"), "{shell:#}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_gzipped_docker_save_reads_the_same() {
    let bytes = std::fs::read(fixture("dive/test-docker-image.tar")).unwrap();
    let dir = Scratch::new("gz", &[("spec.toml", SPEC)]);
    std::fs::write(dir.dir.join("image.tar.gz"), flate(&bytes)).unwrap();
    let report = report(&shipshape(&["check", "--archive", &dir.path("image.tar.gz"), "--spec", &dir.path("spec.toml"), "--format", "json"]));
    assert_eq!(report["image"]["size"], 1_220_598);
}

/// gzip through the system's gzip (no compression crate needed in the tests).
fn flate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child =
        std::process::Command::new("gzip").arg("-c").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().expect("gzip");
    let mut stdin = child.stdin.take().unwrap();
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap().stdout;
    writer.join().unwrap().unwrap();
    output
}

#[test]
fn oci_archives_with_gzip_layers_judge_like_the_daemon_image() {
    let Some(_docker) = docker_lock() else { return };
    let image = "shipshape.test/node:bookworm-slim";
    let dir = Scratch::new("oci", &[("spec.toml", SPEC)]);
    let archive = dir.path("image.oci.tar");
    oci_archive(image, &archive, &["--dest-compress", "--dest-compress-format", "gzip"]);
    let layers = std::process::Command::new("tar").args(["-tvf", &archive]).output().unwrap();
    assert!(String::from_utf8_lossy(&layers.stdout).contains("blobs/sha256/"), "an OCI layout");

    let from_archive = report(&shipshape(&["check", "--archive", &archive, "--spec", &dir.path("spec.toml"), "--format", "json"]));
    let from_daemon = report(&shipshape(&["check", "--image", image, "--spec", &dir.path("spec.toml"), "--format", "json"]));
    assert_eq!(from_archive["image"]["size"], from_daemon["image"]["size"]);
    assert_eq!(from_archive["image"]["layers"], from_daemon["image"]["layers"]);
    let verdicts = |r: &serde_json::Value| statuses(r).into_iter().filter(|(id, _)| id != "runs").collect::<Vec<_>>();
    assert_eq!(verdicts(&from_archive), verdicts(&from_daemon));
    // Debian's npm brings node-gyp, as the real slim image's npm does.
    let failing = ["size", "non-root", "no-shell", "no-package-manager", "no-build-tools"];
    assert_eq!(ids_with_status(&from_archive, "fail"), failing.map(String::from));
    let inspect = docker(&["image", "inspect", "--format", "{{.Size}}", image]);
    assert_eq!(stdout(&inspect).trim(), from_daemon["image"]["size"].to_string(), "Size as docker reports it");
}
