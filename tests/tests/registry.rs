//! The room's registry (`scripts/registry`, which setup starts and fills) on the real daemon: every
//! stand-in has a real manifest digest there, the one it was pushed as; `repin` moves a digest the
//! registry lacks to the tag's and keeps one it has; `pinned-base` verifies pinned digests there, in `check` and in `grade`
//! (a digest it lacks fails, naming the reference and the registry) and says when it did not; and
//! the instructor's tag mutation: once a tag moves, a build pinned by digest keeps its base and an
//! unpinned one takes the new image; and chapter 10's signing walk-through (cosign, offline).
//!
//! What must hold: nothing but 127.0.0.1 is talked to; the moved tag is restored and every image
//! the tests built is removed, whatever happens. The registry deletes nothing, so the signing
//! walk-through's own repository (`shipshape.test/signing-demo`, its tag and signatures) stays
//! there, used by nothing else.
use std::process::{Command, Output};

use shipshape_course_tests::*;
use shipshape_test_support::skip_or_fail;

const REGISTRY: &str = "127.0.0.1:5000";
/// The tag the mutation test moves: no exercise builds from it through the registry, so a check
/// running beside this test never sees it moved.
const MOVED: &str = "shipshape.test/debian:trixie-slim";
/// Where the instructor moves it to.
const ELSEWHERE: &str = "shipshape.test/debian:bookworm-slim";

fn registry_script(args: &[&str]) -> Output {
    Command::new(root().join("scripts/registry")).args(args).output().expect("scripts/registry runs")
}

/// The digest the registry serves for the stand-in tag `image`.
fn digest(image: &str) -> String {
    let output = registry_script(&["digest", image]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_string()
}

/// The daemon answers (the lock held), and so does the room's registry; otherwise skips (or fails
/// under CI).
fn registry_ready() -> Option<DockerTest> {
    let docker = docker_lock()?;
    if registry_script(&["digest", "shipshape.test/busybox:latest"]).status.success() {
        return Some(docker);
    }
    skip_or_fail(&format!("the room's registry does not answer on {REGISTRY} with the stand-ins (run scripts/setup)"));
    None
}

fn is_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn every_stand_in_has_the_manifest_digest_it_was_pushed_as() {
    let Some(_docker) = registry_ready() else { return };
    let listed = stdout(&docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"]));
    let stand_ins: Vec<&str> = listed.lines().filter(|name| name.starts_with("shipshape.test/") && !name.starts_with("shipshape.test/run/")).collect();
    assert!(stand_ins.len() >= 30, "the stand-ins are there: {stand_ins:?}");
    for image in stand_ins {
        let served = digest(image);
        assert!(is_digest(&served), "{image}: {served}");
        let (repository, _) = image.rsplit_once(':').unwrap();
        let pushed = stdout(&docker(&["image", "inspect", "--format", "{{join .RepoDigests \"\\n\"}}", image]));
        assert!(pushed.lines().any(|line| line == format!("{REGISTRY}/{repository}@{served}")), "{image} was pushed as {served}: {pushed}");
    }
}

#[test]
fn repin_moves_a_digest_the_registry_lacks_and_keeps_one_it_has() {
    let Some(_docker) = registry_ready() else { return };
    let current = digest("shipshape.test/gcc:trixie");
    let absent = format!("sha256:{}", "0".repeat(64));
    let text = |gcc: &str| format!("FROM gcc:14-trixie@{gcc} AS build\nFROM gcc:14@{gcc}\nFROM python:3.13@{absent}\n");
    let scratch = Scratch::new("repin", &[("Dockerfile", &text(&absent))]);
    let repinned = registry_script(&["repin", &scratch.path("Dockerfile")]);
    assert!(repinned.status.success(), "{}", stderr(&repinned));
    let written = std::fs::read_to_string(scratch.path("Dockerfile")).unwrap();
    assert_eq!(written, text(&current), "both gcc references re-pinned; python:3.13 is not in the registry's part of the map");
    assert!(stderr(&repinned).contains(&format!("gcc:14-trixie re-pinned to this room's {current}")), "{}", stderr(&repinned));
    let again = registry_script(&["repin", &scratch.path("Dockerfile")]);
    assert_eq!((std::fs::read_to_string(scratch.path("Dockerfile")).unwrap(), stderr(&again)), (written, String::new()), "a digest the registry has stays");
}

/// `check 09 --image-map <course map> ARGS --format json`, with no registry from the environment.
fn check_pinning(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let (exercise, map) = (root().join("exercises/09-pinning").display().to_string(), image_map().display().to_string());
    let mut all = vec!["check", exercise.as_str(), "--image-map", map.as_str(), "--format", "json"];
    all.extend(args);
    let output =
        Command::new(shipshape_bin()).current_dir(root()).args(&all).env_remove("SHIPSHAPE_REGISTRY").env("SHIPSHAPE_DB_DIR", test_db()).output().unwrap();
    (output.status.code(), report(&output))
}

/// Exercise 09's solution; the same with the digest it pins its distroless base to replaced by
/// one no registry has; and that digest. The pin is read from the solution, not asked of the
/// registry's tag: the registry keeps every manifest, so after the stand-ins are rebuilt the tag
/// serves a newer digest while the solution's still resolves.
fn solution_and_forgery() -> (String, String, String) {
    let solution = std::fs::read_to_string(root().join("exercises/09-pinning/solution/Dockerfile")).unwrap();
    let marker = "gcr.io/distroless/static-debian13:nonroot@";
    let at = solution.find(marker).expect("the solution pins its distroless base") + marker.len();
    let pinned = &solution[at..at + "sha256:".len() + 64];
    assert!(is_digest(pinned), "{pinned}");
    let absent = format!("sha256:{}", "e".repeat(64));
    let forged = solution.replace(pinned, &absent);
    (solution, forged, absent)
}

#[test]
fn pinned_base_verifies_the_digests_in_the_registry_and_says_when_it_did_not() {
    let Some(_docker) = registry_ready() else { return };
    let (code, verified) = check_pinning(&["--solution", "--registry", REGISTRY]);
    assert_eq!(code, Some(0), "{verified:#}");
    assert_eq!(check_of(&verified, "pinned-base")["summary"], format!("2 external images, all pinned by digest, each found in the registry {REGISTRY}"));

    let (_, unverified) = check_pinning(&["--solution"]);
    let summary = check_of(&unverified, "pinned-base")["summary"].as_str().unwrap().to_string();
    assert!(summary.ends_with("(format only: the digests were not verified, no registry was configured)"), "{summary}");

    let (_, forged, absent) = solution_and_forgery();
    let forged = Scratch::new("forged-digest", &[("Dockerfile", &forged)]);
    let (code, failed) = check_pinning(&["--dockerfile", &forged.path("Dockerfile"), "--registry", REGISTRY]);
    assert_eq!(code, Some(1), "{failed:#}");
    let verdict = check_of(&failed, "pinned-base");
    assert_eq!(
        (verdict["status"].as_str(), verdict["summary"].as_str()),
        (Some("fail"), Some(format!("1 of 2 pinned digests not found in the registry {REGISTRY}").as_str()))
    );
    let message = verdict["evidence"][0]["message"].as_str().unwrap();
    let expected = format!(
        "gcr.io/distroless/static-debian13:nonroot@{absent}: the registry {REGISTRY} has no manifest {absent} in shipshape.test/distroless/static-debian13"
    );
    assert!(message.starts_with(&expected), "{message}");
    assert_eq!(check_of(&failed, "builds")["status"], "fail", "the build cannot pull a digest the registry lacks: {failed:#}");
}

/// `grade` takes the room's registry as `check` does: a class whose one student pins what the
/// registry serves and whose other pins a digest it lacks gets one `pinned-base` pass, verified
/// there, and one failure naming the reference; the class run goes on.
#[test]
fn grade_verifies_each_submissions_digests_in_the_registry() {
    let Some(_docker) = registry_ready() else { return };
    let (solution, forged, _) = solution_and_forgery();
    let class = Scratch::new("grade-registry", &[("class/pins/Dockerfile", &solution), ("class/forges/Dockerfile", &forged)]);
    let (exercise, map) = (root().join("exercises/09-pinning").display().to_string(), image_map().display().to_string());
    let args = [
        "grade",
        &class.path("class"),
        "--exercise",
        &exercise,
        "--image-map",
        &map,
        "--registry",
        REGISTRY,
        "--out-dir",
        &class.path("out"),
        "--format",
        "json",
    ];
    let output = Command::new(shipshape_bin()).current_dir(root()).args(args).env("SHIPSHAPE_DB_DIR", test_db()).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "one submission fails: {}", stderr(&output));
    let graded: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pinned_base = |student: &str| {
        let grade = graded["students"].as_array().unwrap().iter().find(|g| g["student"] == student).expect("graded");
        grade["checks"].as_array().unwrap().iter().find(|c| c["id"] == "pinned-base").cloned().expect("pinned-base judged")
    };
    let (pins, forges) = (pinned_base("pins"), pinned_base("forges"));
    assert_eq!(pins["status"], "pass", "{pins:#}");
    assert!(pins["summary"].as_str().unwrap().ends_with(&format!("each found in the registry {REGISTRY}")), "{pins:#}");
    assert_eq!(forges["status"], "fail", "{forges:#}");
    assert_eq!(forges["summary"], format!("1 of 2 pinned digests not found in the registry {REGISTRY}"));
}

/// Puts the moved tag back and removes the images the test built, however the test ends.
struct Restore {
    built: Vec<String>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let restored = registry_script(&["restore-tag", MOVED]);
        for image in &self.built {
            docker(&["image", "rm", "-f", image]);
        }
        if !std::thread::panicking() {
            assert!(restored.status.success(), "{}", stderr(&restored));
        }
    }
}

/// The first layer's diff id of `image`: the base it was built on.
fn base_layer(image: &str) -> String {
    let output = docker(&["image", "inspect", "--format", "{{index .RootFS.Layers 0}}", image]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_string()
}

/// Builds `FROM <from>` with the docker CLI, offline, as `shipshape.test/tag-mutation:<name>-<nonce>`.
fn build_from(from: &str, name: &str, restore: &mut Restore) -> String {
    let tag = format!("shipshape.test/tag-mutation:{name}-{}", nonce());
    restore.built.push(tag.clone());
    let scratch = Scratch::new(&format!("tag-mutation-{name}"), &[("Dockerfile", &format!("FROM {from}\nLABEL shipshape.test.tag-mutation={name}\n"))]);
    let built = docker(&["build", "-q", "--network", "none", "-t", &tag, &scratch.path("")]);
    assert!(built.status.success(), "docker build FROM {from}: {}", stderr(&built));
    tag
}

#[test]
fn when_the_tag_moves_the_pinned_build_keeps_its_base_and_the_unpinned_one_does_not() {
    let Some(_docker) = registry_ready() else { return };
    let (original, original_layer, elsewhere_layer) = (digest(MOVED), base_layer(MOVED), base_layer(ELSEWHERE));
    assert_ne!(original_layer, elsewhere_layer, "the tag moves to a different image");
    let unpinned = format!("{REGISTRY}/{MOVED}");
    let pinned = format!("{unpinned}@{original}");
    let mut restore = Restore { built: Vec::new() };
    let before = build_from(&unpinned, "before", &mut restore);
    assert_eq!(base_layer(&before), original_layer);

    let moved = registry_script(&["move-tag", MOVED, ELSEWHERE]);
    assert!(moved.status.success(), "{}", stderr(&moved));
    assert_ne!(digest(MOVED), original, "the registry's tag names another manifest now");
    let pinned_after = build_from(&pinned, "pinned", &mut restore);
    let unpinned_after = build_from(&unpinned, "unpinned", &mut restore);
    assert_eq!(base_layer(&pinned_after), original_layer, "the digest still names the image it named");
    assert_eq!(base_layer(&unpinned_after), elsewhere_layer, "the tag names the moved image");

    drop(restore);
    assert_eq!(digest(MOVED), original, "the tag is restored");
    let id = |image: &str| stdout(&docker(&["image", "inspect", "--format", "{{.Id}}", image]));
    assert_eq!(id(&unpinned), id(MOVED), "the daemon's name for it too");
}

/// What `book/src/demos/sign-and-verify.sh` printed, its one digest written `sha256:…` as the
/// chapter writes it.
fn without_digest(printed: &str) -> String {
    printed
        .lines()
        .map(|line| match line.split_once("@sha256:") {
            Some((name, _)) => format!("{name}@sha256:…\n"),
            None => format!("{line}\n"),
        })
        .collect()
}

/// The transcript chapter 10 shows under "It prints:".
fn chapter_10s_transcript() -> String {
    let chapter = std::fs::read_to_string(root().join("book/src/10-ci-gating.md")).unwrap();
    let (_, after) = chapter.split_once("It prints:\n\n```text\n").expect("chapter 10 shows what the signing script prints");
    after.split_once("```").unwrap().0.to_string()
}

/// Chapter 10's walk-through, run as the book includes it: cosign (Debian 13's, which setup
/// installs) signs a stand-in's digest in the room's registry with a key pair of its own,
/// verifies it, and refuses the tag once it names an image nobody signed. Every address but the
/// loopback is unreachable (proxies at a closed port), and it prints exactly what the chapter shows.
#[test]
fn chapter_10s_signing_walk_through_runs_offline_and_prints_what_the_book_shows() {
    let Some(_docker) = registry_ready() else { return };
    if !Command::new("cosign").arg("version").output().is_ok_and(|output| output.status.success()) {
        skip_or_fail("cosign is not installed: run scripts/setup (it installs Debian 13's cosign)");
        return;
    }
    let closed = "http://127.0.0.1:9";
    let output = Command::new("bash")
        .arg(root().join("book/src/demos/sign-and-verify.sh"))
        .envs([("HTTPS_PROXY", closed), ("HTTP_PROXY", closed), ("NO_PROXY", "127.0.0.1")])
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    assert_eq!(without_digest(&stdout(&output)), chapter_10s_transcript());
    assert!(!docker(&["image", "inspect", &format!("{REGISTRY}/shipshape.test/signing-demo:release")]).status.success(), "the script removes its tag");
}
