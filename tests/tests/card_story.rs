//! The card's story, measured: one Node app (exercise 01, Harbour master) carried from the full
//! image to slim to distroless, each step built and judged by the real checker, and the sizes the
//! chapter on base images publishes beside the card's 800 → 120 → 70 MB.
//!
//! What must hold: the chapter's table has a row per step whose size and compressed size are each
//! within ±[`TOLERANCE_PERCENT`] of what the checker measures today (the measurements page's
//! tolerance: Debian's packages move between point releases); a drift fails with the rows to
//! publish instead. Needs the Docker daemon and the stand-ins (`docker_lock`).
use shipshape_course_tests::*;

/// The chapter that tells the story, and the heading its table follows.
const CHAPTER: &str = "book/src/04-bases.md";
const HEADING: &str = "## The card's story, measured";
/// The exercise whose app is carried, and each step's Dockerfile in it, by the row's first cell.
const EXERCISE: &str = "exercises/01-node-multistage";
const STEPS: [(&str, &str); 3] = [("Full", "Dockerfile"), ("Slim", "story/slim.Dockerfile"), ("Distroless", "solution/Dockerfile")];
const TOLERANCE_PERCENT: f64 = 10.0;

/// Builds and judges one step; its (size, compressed size).
fn measure(dockerfile: &str) -> (u64, u64) {
    let (exercise, map) = (root().join(EXERCISE), image_map());
    let dockerfile = exercise.join(dockerfile);
    let output = shipshape(&[
        "check",
        &exercise.to_string_lossy(),
        "--dockerfile",
        &dockerfile.to_string_lossy(),
        "--image-map",
        &map.to_string_lossy(),
        "--format",
        "json",
    ]);
    let report = report(&output);
    let image = &report["image"];
    match (image["size"].as_u64(), image["compressed_size"].as_u64()) {
        (Some(size), Some(compressed)) => (size, compressed),
        _ => panic!("{} was not built and measured: {report:#}\n{}", dockerfile.display(), stderr(&output)),
    }
}

/// `691 MB` → 691 000 000 (the chapter writes its sizes in MB).
fn megabytes(cell: &str) -> Option<u64> {
    let number: f64 = cell.trim().strip_suffix("MB")?.trim().parse().ok()?;
    Some((number * 1e6).round() as u64)
}

/// `691 MB`, `48.5 MB`, `6.40 MB`: as the measurements page writes sizes.
fn written(bytes: u64) -> String {
    match bytes as f64 / 1e6 {
        m if m >= 100.0 => format!("{m:.0} MB"),
        m if m >= 10.0 => format!("{m:.1} MB"),
        m => format!("{m:.2} MB"),
    }
}

/// The (size, compressed size) the chapter publishes for the step whose row starts with `step`.
fn published(chapter: &str, step: &str) -> Option<(u64, u64)> {
    let table = chapter.split_once(HEADING)?.1;
    let row = table.lines().find(|line| line.starts_with(&format!("| {step} |")))?;
    let cells: Vec<&str> = row.trim_matches('|').split('|').collect();
    Some((megabytes(cells.get(3)?)?, megabytes(cells.get(4)?)?))
}

fn within(published: u64, measured: u64) -> bool {
    ((measured as f64 - published as f64) / published.max(1) as f64 * 100.0).abs() <= TOLERANCE_PERCENT
}

#[test]
fn the_chapter_publishes_what_the_checker_measures_for_each_step() {
    let Some(_docker) = docker_lock() else { return };
    let chapter = std::fs::read_to_string(root().join(CHAPTER)).expect("the chapter on base images");
    let mut drifts = Vec::new();
    for (step, dockerfile) in STEPS {
        let (size, compressed) = measure(dockerfile);
        let holds = published(&chapter, step).is_some_and(|(p_size, p_compressed)| within(p_size, size) && within(p_compressed, compressed));
        if !holds {
            drifts.push(format!("{step} ({dockerfile}): measured {} and {} compressed", written(size), written(compressed)));
        }
    }
    assert!(drifts.is_empty(), "{CHAPTER}'s table under `{HEADING}` no longer holds (±{TOLERANCE_PERCENT} %):\n{}", drifts.join("\n"));
}

#[test]
fn sizes_are_read_and_written_as_the_chapter_writes_them() {
    assert_eq!(megabytes(" 691 MB "), Some(691_000_000));
    assert_eq!(megabytes("48.5 MB"), Some(48_500_000));
    assert_eq!(megabytes("48.5 kB"), None);
    assert_eq!((written(690_826_566), written(48_512_000), written(6_400_000)), ("691 MB".into(), "48.5 MB".into(), "6.40 MB".into()));
    let chapter = format!("{HEADING}\n\n| Step | Base | Card | Size | Compressed |\n| --- | --- | --- | --- | --- |\n| Slim | `node:24-trixie-slim` | 120 MB | 318 MB | 110 MB |\n");
    assert_eq!(published(&chapter, "Slim"), Some((318_000_000, 110_000_000)));
    assert!(within(100, 110) && !within(100, 111));
}
