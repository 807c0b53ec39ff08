//! `shipshape recommend` on the real daemon, over the stand-ins the image map names: an
//! exercise's base found by its final FROM, an image's by its layers; candidates ranked by the
//! runtime they carry, their support window on an injected day (`SHIPSHAPE_TODAY`, before and
//! after an end of life), their vulnerabilities and their tools; text and JSON.
//!
//! What must hold: recommend builds, runs and pulls nothing, and leaves nothing behind.
use serde_json::Value;
use shipshape_course_tests::*;

/// Runs `recommend ARGS --image-map <stand-ins' map>` on `today`, as JSON.
fn recommend(args: &[&str], today: &str) -> Value {
    let map = image_map().display().to_string();
    let mut all = vec!["recommend"];
    all.extend(args);
    all.extend(["--image-map", &map, "--format", "json"]);
    let output = shipshape_with_env(&all, &[("SHIPSHAPE_TODAY", today)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)))
}

fn names(recommendation: &Value) -> Vec<&str> {
    recommendation["candidates"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect()
}

fn candidate<'a>(recommendation: &'a Value, name: &str) -> &'a Value {
    recommendation["candidates"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no candidate {name}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect()
}

#[test]
fn the_node_starter_is_pointed_at_the_distroless_node_base_with_reasons() {
    let Some(_docker) = docker_lock() else { return };
    let recommendation = recommend(&["exercises/01-node-multistage"], "2026-12-06");
    assert_eq!(recommendation["schema_version"], 1);
    assert_eq!(recommendation["base"], "node:20-bookworm");
    assert_eq!(recommendation["base_found_by"], "from the final stage's FROM (line 3)");
    let ranked = names(&recommendation);
    assert_eq!(ranked[0], "gcr.io/distroless/nodejs20-debian12:nonroot", "{ranked:?}");
    let node_bases = ["gcr.io/distroless/nodejs20-debian12:nonroot", "node:20-bookworm-slim", "node:20-bookworm"];
    assert_eq!(&ranked[..3], node_bases, "every base with node comes before every one without");
    let pick = &recommendation["candidates"][0];
    assert_eq!((pick["shell"].as_bool(), pick["package_manager"].as_bool(), pick["libc"].as_str()), (Some(false), Some(false), Some("glibc")));
    assert_eq!(pick["support"]["ended"], true, "distroless ended its Debian 12 language images: {pick:#}");
    let reasons = strings(&pick["reasons"]);
    assert!(reasons.contains(&"no shell") && reasons.contains(&"no package manager"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("smaller (")), "{reasons:?}");
    let changes = strings(&pick["changes"]);
    assert!(changes.iter().any(|c| c.starts_with("node is at /nodejs/bin/node (was /usr/bin/node)")), "{changes:?}");
    assert!(changes.iter().any(|c| c.starts_with("no shell: RUN steps")), "{changes:?}");
    let current = candidate(&recommendation, "node:20-bookworm");
    assert_eq!((current["current"].as_bool(), current["support"]["summary"].as_str()), (Some(true), Some("Node.js 20 ended 2026-04-30")));
    let static_base = candidate(&recommendation, "gcr.io/distroless/static-debian12:nonroot");
    assert!(strings(&static_base["changes"]).contains(&"no node: the app would have to bring its own"));
    let one_image_many_names = candidate(&recommendation, "debian:bookworm-slim");
    assert_eq!(one_image_many_names["local"].as_array().unwrap().len(), 2, "bookworm and bookworm-slim stand-ins are one image: {one_image_many_names:#}");
}

#[test]
fn the_same_python_starter_is_advised_differently_before_and_after_distroless_ended_its_base() {
    let Some(_docker) = docker_lock() else { return };
    let before = recommend(&["04-python-distroless"], "2025-06-01");
    assert_eq!(before["base"], "python:3.11-slim-bookworm");
    assert!(names(&before)[0].starts_with("gcr.io/distroless/python3-debian12"), "still supported then: {:?}", names(&before));
    assert_eq!(before["candidates"][0]["support"]["ended"], false);
    let after = recommend(&["04-python-distroless"], "2026-12-06");
    let pick = &after["candidates"][0];
    assert_eq!((pick["name"].as_str(), pick["current"].as_bool()), (Some("python:3.11-slim-bookworm"), Some(true)), "{:?}", names(&after));
    let distroless = after["candidates"].as_array().unwrap().iter().find(|c| c["name"].as_str().unwrap().starts_with("gcr.io/distroless/python3")).unwrap();
    assert!(strings(&distroless["reasons"])[0].starts_with("past its end of life (distroless Debian 12 language images"), "{distroless:#}");
}

#[test]
fn an_images_base_is_found_by_its_layers_and_the_text_says_what_to_do() {
    let Some(_docker) = docker_lock() else { return };
    let image = ForeignImage::build(&format!("recommend-{}", nonce()));
    let map = image_map().display().to_string();
    let output = shipshape_with_env(&["recommend", &image.reference, "--image-map", &map], &[("SHIPSHAPE_TODAY", "2026-12-06")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with(&format!("{}: its base is busybox:latest, whose 1 layer(s) begin the image's 2.\n", image.reference)), "{text}");
    assert!(text.contains("Support windows as of 2026-12-06."), "{text}");
    assert!(text.contains("   Base ") && text.contains("Vulns C/H/M/L") && text.contains("* the current base"), "{text}");
    assert!(text.contains("\nRecommended: ") || text.contains("\nKeep busybox:latest: no base this room has does better."), "{text}");
}
