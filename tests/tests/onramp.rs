//! The learner's on-ramp (issue 12), with the real binary: a course's commands find what
//! `scripts/setup` leaves for them without a flag — the machine's image map for the course
//! (`<course>/.shipshape/image-map.toml`) — and a check that needs the vulnerability database
//! stops before any build when there is none, naming the course's own database to import.
//!
//! What must hold: `SHIPSHAPE_IMAGE_MAP` is removed from every run here, so the course's file is
//! the only image map there is.
use shipshape_course_tests::*;

/// `check` of the scratch course's one exercise, with no image map named anywhere.
fn check_scratch(course: &Scratch) -> std::process::Output {
    let mut command = std::process::Command::new(shipshape_bin());
    command.args(["check", &course.path("exercises/01-tiny"), "--format", "json"]).env_remove("SHIPSHAPE_IMAGE_MAP");
    command.output().expect("shipshape runs")
}

#[test]
fn the_course_image_map_left_by_setup_is_used_without_a_flag() {
    let Some(_docker) = docker_lock() else { return };
    let nonce = format!("{}-{:?}", std::process::id(), std::time::SystemTime::now());
    let dockerfile = format!("FROM busybox:1.36\nRUN echo '{nonce}' > /nonce\n");
    let course = Scratch::new("onramp-map", &[("exercises/01-tiny/exercise.toml", "[checks.builds]\n"), ("exercises/01-tiny/Dockerfile", &dockerfile)]);

    let without = check_scratch(&course);
    assert_eq!(without.status.code(), Some(2), "no map, no busybox:1.36 here: a usage error\n{}", stderr(&without));
    assert!(stderr(&without).contains("image map"), "{}", stderr(&without));

    std::fs::create_dir_all(course.dir.join(".shipshape")).unwrap();
    std::fs::copy(image_map(), course.dir.join(".shipshape/image-map.toml")).unwrap();
    let with = check_scratch(&course);
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    assert_eq!(check_of(&report(&with), "builds")["status"], "pass");
}

#[test]
fn a_scan_without_a_database_stops_before_the_build_and_names_the_courses_database() {
    let Some(_docker) = docker_lock() else { return };
    let empty = Scratch::new("onramp-no-db", &[]);
    let exercise = root().join("exercises/08-scan-node-deps");
    let map = image_map();
    let output = shipshape(&["check", exercise.to_str().unwrap(), "--solution", "--image-map", map.to_str().unwrap(), "--db-dir", &empty.path("db")]);
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("no vulnerability database in"), "{said}");
    assert!(said.contains("`shipshape db import tests/vulndb`"), "the course's own database, as typed from the course folder: {said}");
    assert!(stdout(&output).is_empty() && !said.to_lowercase().contains("built"), "nothing was built: {said}");
}
