//! `shipshape recommend` on the real daemon, over the stand-ins the image map names: an
//! exercise's base found by its final FROM, an image's by its layers; candidates ranked by the
//! runtime they carry, their support window on an injected day (`SHIPSHAPE_TODAY`, before and
//! after an end of life), their vulnerabilities and their tools; text and JSON. The nginx
//! scenario's old base is pointed at the current nginx stand-in (issue 14's "done when").
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
    assert_eq!(recommendation["base"], "node:24-trixie");
    assert_eq!(recommendation["base_found_by"], "from the final stage's FROM (line 3)");
    let ranked = names(&recommendation);
    let node_bases = ["gcr.io/distroless/nodejs24-debian13:nonroot", "gcr.io/distroless/nodejs24-debian13:latest", "node:24-trixie-slim", "node:24-trixie"];
    assert_eq!(&ranked[..4], node_bases, "the supported bases with node come first, the smallest non-root one on top");
    let pick = &recommendation["candidates"][0];
    assert_eq!((pick["shell"].as_bool(), pick["package_manager"].as_bool(), pick["libc"].as_str()), (Some(false), Some(false), Some("glibc")));
    assert_eq!(pick["support"]["ended"], false, "{pick:#}");
    let reasons = strings(&pick["reasons"]);
    assert!(reasons.contains(&"no shell") && reasons.contains(&"no package manager"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("smaller (")), "{reasons:?}");
    let changes = strings(&pick["changes"]);
    assert!(changes.iter().any(|c| c.starts_with("node is at /nodejs/bin/node (was /usr/local/bin/node)")), "{changes:?}");
    assert!(changes.iter().any(|c| c.starts_with("runs as 65532 (was root)")), "{changes:?}");
    assert!(changes.iter().any(|c| c.starts_with("no shell: RUN steps")), "{changes:?}");
    let current = candidate(&recommendation, "node:24-trixie");
    assert_eq!((current["current"].as_bool(), current["support"]["summary"].as_str()), (Some(true), Some("Node.js 24 supported until 2028-04-30")));
    let old = candidate(&recommendation, "node:20-bookworm");
    assert_eq!(old["support"]["summary"], "Node.js 20 ended 2026-04-30");
    let position = |name: &str| ranked.iter().position(|n| *n == name).unwrap();
    assert!(
        position("node:24-trixie") < position("gcr.io/distroless/nodejs20-debian12:nonroot"),
        "an ended base ranks below every supported one with node: {ranked:?}"
    );
    let static_base = candidate(&recommendation, "gcr.io/distroless/static-debian13:nonroot");
    assert!(strings(&static_base["changes"]).contains(&"no node: the app would have to bring its own"));
    let one_image_many_names = candidate(&recommendation, "debian:bookworm-slim");
    assert_eq!(one_image_many_names["local"].as_array().unwrap().len(), 2, "bookworm and bookworm-slim stand-ins are one image: {one_image_many_names:#}");
}

#[test]
fn the_nginx_scenario_is_pointed_at_the_current_nginx_and_the_old_ones_end_of_life_counts_once_past() {
    let Some(_docker) = docker_lock() else { return };
    let reasons = |recommendation: &Value| strings(&recommendation["candidates"][0]["reasons"]).iter().map(|r| r.to_string()).collect::<Vec<_>>();
    let before = recommend(&["11-nginx-cves"], "2024-01-01");
    assert_eq!(before["base"], "nginx:1.25-bookworm");
    assert_eq!(names(&before)[..2], ["nginx:1.26-trixie", "nginx:1.25-bookworm"], "the bases with nginx come first");
    assert!(!reasons(&before).iter().any(|r| r.contains("the current base is not")), "still supported then: {:?}", reasons(&before));
    let after = recommend(&["11-nginx-cves"], "2026-12-06");
    assert_eq!(names(&after)[0], "nginx:1.26-trixie");
    let why = reasons(&after);
    assert!(why[0].starts_with("still supported (") && why[0].ends_with("the current base is not (nginx 1.25 (mainline) ended 2024-04-23)"), "{why:?}");
    assert!(why.iter().any(|r| r.ends_with("fewer known vulnerabilities (3; the current base has 12)")), "{why:?}");
    assert_eq!(candidate(&after, "nginx:1.25-bookworm")["current"], true);
}

#[test]
fn an_images_base_is_found_by_its_layers_and_the_text_says_what_to_do() {
    let Some(_docker) = docker_lock() else { return };
    let image = ForeignImage::build(&format!("recommend-{}", nonce()));
    let map = image_map().display().to_string();
    let output = shipshape_with_env(&["recommend", &image.reference, "--image-map", &map], &[("SHIPSHAPE_TODAY", "2026-12-06")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with(&format!("{}: its base is busybox:latest, whose layer is the first of the image's 2.\n", image.reference)), "{text}");
    assert!(text.contains("Support windows as of 2026-12-06."), "{text}");
    assert!(text.contains("   Base ") && text.contains("Vulns C/H/M/L") && text.contains("* the current base"), "{text}");
    assert!(text.contains("\nRecommended: ") || text.contains("\nKeep busybox:latest: no base this room has does better."), "{text}");
}
