//! Every exercise holds its promise: the starter builds and runs but fails exactly the checks its
//! spec lists in `starter-fails`; the reference solution passes every check; and `grade` gives a
//! submission nothing of the reference (its whole `solution/` folder stays out of the copy).
use shipshape_course_tests::*;

fn starter_fails(exercise: &std::path::Path) -> Vec<String> {
    let spec: toml::Table = toml::from_str(&std::fs::read_to_string(exercise.join("exercise.toml")).unwrap()).unwrap();
    let mut ids: Vec<String> = spec["exercise"]["starter-fails"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

fn check(exercise: &std::path::Path, solution: bool) -> (i32, serde_json::Value) {
    let dir = exercise.display().to_string();
    let map = image_map().display().to_string();
    let mut args = vec!["check", dir.as_str(), "--image-map", map.as_str(), "--format", "json"];
    if solution {
        args.push("--solution");
    }
    let output = shipshape(&args);
    (output.status.code().unwrap_or(-1), report(&output))
}

#[test]
fn every_starter_fails_exactly_what_it_should() {
    let Some(_docker) = docker_lock() else { return };
    for exercise in exercises() {
        let (code, report) = check(&exercise, false);
        let mut failed = ids_with_status(&report, "fail");
        failed.sort();
        assert_eq!(failed, starter_fails(&exercise), "{}: {report:#}", exercise.display());
        assert!(ids_with_status(&report, "error").is_empty(), "{}: {report:#}", exercise.display());
        assert!(ids_with_status(&report, "pass").contains(&"builds".to_string()), "{}: the starter must build", exercise.display());
        assert_eq!(code, 1, "{}: a failing starter exits 1", exercise.display());
    }
}

#[test]
fn every_solution_passes_every_check() {
    let Some(_docker) = docker_lock() else { return };
    for exercise in exercises() {
        let (code, report) = check(&exercise, true);
        let not_passing: Vec<_> = statuses(&report).into_iter().filter(|(_, s)| s != "pass").collect();
        assert!(not_passing.is_empty(), "{}: {not_passing:?}\n{report:#}", exercise.display());
        assert_eq!(code, 0);
        assert_eq!(report["passed"], true);
    }
}

/// Exercise 08's reference reads its upgraded manifests from `solution/`, which only the reference
/// has: handed in as it is, it must not build in `grade`, where that folder is left out.
#[test]
fn the_reference_handed_in_as_it_is_cannot_use_what_only_the_reference_has() {
    let Some(_docker) = docker_lock() else { return };
    let exercise = exercises().into_iter().find(|e| e.ends_with("08-scan-node-deps")).expect("exercise 08");
    let reference = std::fs::read_to_string(exercise.join("solution/Dockerfile")).unwrap();
    let class = Scratch::new("reference-verbatim", &[("class/ref/Dockerfile", &reference)]);
    let (map, dir) = (image_map().display().to_string(), exercise.display().to_string());
    let output = shipshape(&["grade", &class.path("class"), "--exercise", &dir, "--image-map", &map, "--out-dir", &class.path("out"), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let class: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let grade = &class["students"][0];
    assert_eq!((grade["student"].as_str(), grade["status"].as_str()), (Some("ref"), Some("fail")), "{grade:#}");
    let builds = grade["checks"].as_array().unwrap().iter().find(|c| c["id"] == "builds").unwrap();
    assert_eq!(builds["status"], "fail", "{builds:#}");
    assert!(builds["summary"].as_str().unwrap().contains("COPY solution/package.json"), "it fails where it reaches for the reference: {builds:#}");
}

/// Exercise 08's starter is blocked by its own dependencies' findings at HIGH or above, which have
/// a fix; those below HIGH are listed, not blocking; its current base (Debian 13) brings none.
#[test]
fn exercise_08_lists_what_blocks_and_what_does_not() {
    let Some(_docker) = docker_lock() else { return };
    let exercise = exercises().into_iter().find(|e| e.ends_with("08-scan-node-deps")).expect("exercise 08");
    let (_, report) = check(&exercise, false);
    let scan = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "scan").unwrap();
    let summary = scan["summary"].as_str().unwrap();
    assert!(summary.starts_with("2 block (HIGH or above with a fix): 1 CRITICAL, 1 HIGH; 2 not blocking: 2 MEDIUM below HIGH; "), "{summary}");
    let listed: Vec<(&str, &str, &str)> = scan["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["finding"]["disposition"].as_str().unwrap(), e["finding"]["id"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(listed.len(), report["scan"]["findings"].as_u64().unwrap() as usize, "every finding is listed: {listed:#?}");
    let blocking: Vec<&str> = listed.iter().take(2).map(|(shown, id, _)| if *shown == "failing" { *id } else { "" }).collect();
    assert_eq!(blocking, ["GHSA-xvch-5gv4-984h", "GHSA-35jh-r3h4-6jhm"], "minimist and lodash block, first: {listed:#?}");
    let medium = listed.iter().find(|(_, id, _)| *id == "GHSA-29mw-wpgm-hmr9").expect("lodash's MEDIUM finding");
    assert_eq!(medium.0, "below-limit");
    assert!(medium.2.starts_with("not blocking: below HIGH · MEDIUM GHSA-29mw-wpgm-hmr9 in lodash 4.17.20"), "{medium:?}");
    assert!(listed.iter().all(|(_, id, _)| id.starts_with("GHSA-")), "the base brings no finding: {listed:#?}");
}

/// Exercise 03 is not exercise 02 again: Tidewatch's answer, carried over with Beacon's C files
/// copied in, stops at the build, on the name `needs_cgo.go` leaves undefined to say why (the
/// same answer with cgo on, on the static base, is `runs_hints`' missing loader).
#[test]
fn exercise_02s_static_build_does_not_compile_beacon() {
    let Some(_docker) = docker_lock() else { return };
    let exercise = exercises().into_iter().find(|e| e.ends_with("03-go-distroless")).expect("exercise 03");
    let tidewatch = std::fs::read_to_string(root().join("exercises/02-smaller-base/solution/Dockerfile")).unwrap();
    assert!(tidewatch.contains("CGO_ENABLED=0 go build") && tidewatch.contains("COPY *.go ./"), "exercise 02's answer changed:\n{tidewatch}");
    let carried = tidewatch.replace("tidewatch", "beacon").replace("COPY *.go ./", "COPY *.go *.c *.h ./");
    let scratch = Scratch::new("ex02-answer-on-ex03", &[("Dockerfile", &carried)]);
    let (map, dir) = (image_map().display().to_string(), exercise.display().to_string());
    let output = shipshape(&["check", &dir, "--dockerfile", &scratch.path("Dockerfile"), "--image-map", &map, "--format", "json"]);
    let report = report(&output);
    let builds = check_of(&report, "builds");
    assert_eq!(builds["status"], "fail", "{report:#}");
    let log = builds["evidence"].as_array().unwrap().iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join("\n");
    assert!(log.contains("undefined: beaconNeedsCgoDoNotBuildWithCGO_ENABLED0"), "{builds:#}");
}

#[test]
fn the_course_has_the_exercises_the_issue_names() {
    let names: Vec<String> = exercises().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(names.len() >= 2, "{names:?}");
    for exercise in exercises() {
        for file in ["exercise.toml", "Dockerfile", "hints.md", "solution/Dockerfile", "README.md"] {
            assert!(exercise.join(file).is_file(), "{} lacks {file}", exercise.display());
        }
        let hints = std::fs::read_to_string(exercise.join("hints.md")).unwrap();
        let sections: Vec<&str> = hints.lines().filter(|l| l.starts_with("## ")).collect();
        assert_eq!(sections, ["## What is wrong", "## Where", "## How"], "{}", exercise.display());
    }
}
