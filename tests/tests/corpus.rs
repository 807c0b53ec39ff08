//! The corpus (tests/corpus): real Dockerfiles from public repositories, each with a small offline
//! context, and the verdict each must reach. What must hold: every entry reaches a verdict (exit 0
//! or 1, never 2) and its `builds` check has the outcome its corpus.toml expects; one run reports
//! every entry that does not, in one table. An entry expected to fail must fail at the line its
//! corpus.toml names (`fails-at-line`), not earlier for another reason.
//!
//! The Dockerfiles themselves are not in this repository: they come, byte for byte, from
//! `../shared/fixtures/corpus/<entry>/Dockerfile` (or `$SHIPSHAPE_CORPUS_DOCKERFILES/<entry>/Dockerfile`),
//! and each must match the SHA-256 its corpus.toml records (tests/corpus/README.md says why). Where
//! the shared fixtures have no corpus the test says so and skips, unless SHIPSHAPE_REQUIRE_CORPUS
//! is set.
use std::path::{Path, PathBuf};
use std::process::Command;

use shipshape_course_tests::*;

fn corpus() -> PathBuf {
    root().join("tests/corpus")
}

fn corpus_image_map() -> PathBuf {
    corpus().join("image-map.toml")
}

/// Where the published Dockerfiles are.
fn dockerfiles() -> PathBuf {
    match std::env::var("SHIPSHAPE_CORPUS_DOCKERFILES") {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root().join("../shared/fixtures/corpus"),
    }
}

/// Every entry folder (those with a corpus.toml), in order.
fn entries() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(corpus()).expect("tests/corpus exists").map(|e| e.expect("readable").path()).filter(|p| p.join("corpus.toml").is_file()).collect();
    dirs.sort();
    dirs
}

fn name(entry: &Path) -> String {
    entry.file_name().unwrap().to_string_lossy().into_owned()
}

fn table(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn string<'a>(meta: &'a toml::Table, key: &str) -> Option<&'a str> {
    meta.get(key).and_then(|v| v.as_str())
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What is wrong with one entry's metadata, if anything.
fn metadata_problems(entry: &Path) -> Vec<String> {
    let meta = table(&entry.join("corpus.toml"));
    let mut problems = Vec::new();
    let source = string(&meta, "source").unwrap_or_default();
    if source.split('/').count() != 2 || source.split('/').any(str::is_empty) {
        problems.push(format!("source `{source}` is not owner/repo"));
    }
    if string(&meta, "path").unwrap_or_default().is_empty() {
        problems.push("no path".into());
    }
    if !is_hex(string(&meta, "commit").unwrap_or_default(), 40) {
        problems.push(format!("commit `{}` is not 40 hex digits", string(&meta, "commit").unwrap_or_default()));
    }
    if !is_hex(string(&meta, "sha256").unwrap_or_default(), 64) {
        problems.push("sha256 is not 64 hex digits".into());
    }
    for key in ["licence", "fetched", "adapted", "context"] {
        if string(&meta, key).is_none() {
            problems.push(format!("no `{key}`"));
        }
    }
    match meta.get("builds").and_then(|v| v.as_bool()) {
        None => problems.push("`builds` is not true or false".into()),
        Some(false) if string(&meta, "reason").unwrap_or_default().is_empty() => problems.push("builds = false needs a reason".into()),
        Some(false) if meta.get("fails-at-line").and_then(|v| v.as_integer()).is_none_or(|n| n <= 0) => {
            problems.push("builds = false needs fails-at-line, the Dockerfile line the build must fail at".into())
        }
        Some(true) if meta.contains_key("fails-at-line") => problems.push("fails-at-line on an entry that builds".into()),
        Some(_) => {}
    }
    if entry.join("Dockerfile").exists() {
        problems.push("a Dockerfile is committed beside corpus.toml: the published file comes from the fixtures".into());
    }
    let exercise = table(&entry.join("exercise.toml"));
    let section = exercise.get("exercise").and_then(|v| v.as_table()).cloned().unwrap_or_default();
    if string(&section, "target") != string(&meta, "target") {
        problems.push("exercise.toml and corpus.toml name different targets".into());
    }
    let declared: Vec<String> = section.get("secrets").and_then(|v| v.as_table()).map(|t| t.keys().cloned().collect()).unwrap_or_default();
    let listed: Vec<String> =
        meta.get("secrets").and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
    if declared != listed {
        problems.push(format!("secrets: exercise.toml has {declared:?}, corpus.toml {listed:?}"));
    }
    for (id, source) in section.get("secrets").and_then(|v| v.as_table()).cloned().unwrap_or_default() {
        if let Some(file) = source.get("file").and_then(|v| v.as_str()) {
            if !entry.join(file).is_file() {
                problems.push(format!("secret {id}: {file} is missing"));
            }
        }
    }
    problems
}

#[test]
fn the_corpus_has_enough_entries_and_each_says_where_it_comes_from() {
    let entries = entries();
    assert!(entries.len() >= 15, "the corpus has {} entries, at least 15 are promised", entries.len());
    let mut problems = Vec::new();
    for entry in &entries {
        for problem in metadata_problems(entry) {
            problems.push(format!("{}: {problem}", name(entry)));
        }
    }
    let map = table(&corpus_image_map());
    for (public, local) in map["images"].as_table().expect("[images]") {
        if !local.as_str().is_some_and(|l| l.starts_with("shipshape.test/")) {
            problems.push(format!("image map: {public} must map onto a shipshape.test/ stand-in"));
        }
    }
    assert!(problems.is_empty(), "corpus metadata:\n{}", problems.join("\n"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn sha256(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().expect("sha256sum runs");
    String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

/// One entry as `shipshape check` sees it: the committed context and spec plus the published
/// Dockerfile, in a scratch folder. `Err` when the published file is missing or not the recorded one.
fn assemble(entry: &Path, scratch: &Path) -> Result<(), String> {
    let published = dockerfiles().join(name(entry)).join("Dockerfile");
    if !published.is_file() {
        return Err(format!("no published Dockerfile at {}", published.display()));
    }
    let expected = string(&table(&entry.join("corpus.toml")), "sha256").unwrap_or_default().to_string();
    let actual = sha256(&published);
    if actual != expected {
        return Err(format!("{} has SHA-256 {actual}, corpus.toml records {expected}", published.display()));
    }
    let _ = std::fs::remove_dir_all(scratch);
    copy_dir(entry, scratch);
    std::fs::copy(&published, scratch.join("Dockerfile")).unwrap();
    Ok(())
}

/// The first non-empty line of a text, shortened for the table.
fn first_line(text: &str) -> String {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").chars().take(160).collect()
}

/// Why the `builds` check said what it said: its summary and first evidence message, else stderr.
fn why(report: Option<&serde_json::Value>, stderr: &str) -> String {
    let builds = report.and_then(|r| r["checks"].as_array()).and_then(|checks| checks.iter().find(|c| c["id"] == "builds"));
    let summary = builds.and_then(|c| c["summary"].as_str()).unwrap_or_default();
    let evidence = builds.and_then(|c| c["evidence"][0]["message"].as_str()).unwrap_or_default();
    let text = [first_line(summary), first_line(evidence)].into_iter().filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" | ");
    if text.is_empty() {
        first_line(stderr)
    } else {
        text
    }
}

/// The Dockerfile line a failed build names: the first `builds` evidence that has one.
fn failed_line(report: Option<&serde_json::Value>) -> Option<i64> {
    let builds = report.and_then(|r| r["checks"].as_array()).and_then(|checks| checks.iter().find(|c| c["id"] == "builds"))?;
    builds["evidence"].as_array()?.iter().find_map(|e| e["dockerfile_line"].as_i64())
}

#[test]
fn every_corpus_dockerfile_reaches_the_verdict_it_should() {
    let Some(_docker) = docker_lock() else { return };
    if !dockerfiles().is_dir() {
        let missing = format!(
            "the corpus's published Dockerfiles are missing: expected {} (or set SHIPSHAPE_CORPUS_DOCKERFILES); tests/corpus/README.md says where they come from",
            dockerfiles().display()
        );
        // Fetched files are never committed here: they reach a machine with the shared fixtures.
        assert!(std::env::var_os("SHIPSHAPE_REQUIRE_CORPUS").is_none(), "{missing}");
        eprintln!("skipped: {missing}");
        return;
    }
    let map = corpus_image_map().display().to_string();
    let mut mismatches = Vec::new();
    for entry in entries() {
        let name = name(&entry);
        let meta = table(&entry.join("corpus.toml"));
        let expected_builds = meta["builds"].as_bool().unwrap();
        let fails_at = meta.get("fails-at-line").and_then(|v| v.as_integer());
        let expected = if expected_builds { "pass" } else { "fail" };
        let scratch = std::env::temp_dir().join(format!("shipshape-corpus-{}-{name}", std::process::id()));
        if let Err(problem) = assemble(&entry, &scratch) {
            mismatches.push((name, expected.to_string(), "-".to_string(), "-".to_string(), problem));
            continue;
        }
        let started = std::time::Instant::now();
        let dir = scratch.display().to_string();
        let output = shipshape(&["check", &dir, "--image-map", &map, "--format", "json"]);
        let _ = std::fs::remove_dir_all(&scratch);
        let code = output.status.code().unwrap_or(-1);
        let report: Option<serde_json::Value> = serde_json::from_slice(&output.stdout).ok();
        let builds = report.as_ref().and_then(|r| statuses(r).into_iter().find(|(id, _)| id == "builds").map(|(_, status)| status));
        let got = builds.clone().unwrap_or_else(|| "-".into());
        eprintln!("corpus {name}: exit {code}, builds {got} (expected {expected}) in {:.1} s", started.elapsed().as_secs_f64());
        let problem = if code != 0 && code != 1 {
            Some(format!("exit {code}: {}", first_line(&stderr(&output))))
        } else if report.is_none() {
            Some(format!("no JSON report: {}", first_line(&stderr(&output))))
        } else if builds.as_deref() != Some(expected) {
            Some(format!("builds is {got}: {}", why(report.as_ref(), &stderr(&output))))
        } else if !expected_builds && code != 1 {
            Some(format!("a failed build must exit 1, not {code}"))
        } else if let Some(wanted) = fails_at.filter(|_| failed_line(report.as_ref()) != fails_at) {
            let line = failed_line(report.as_ref()).map_or("no line".to_string(), |n| format!("line {n}"));
            Some(format!("failed at {line}, not line {wanted}: {}", why(report.as_ref(), &stderr(&output))))
        } else {
            None
        };
        if let Some(problem) = problem {
            mismatches.push((name, expected.to_string(), got, code.to_string(), problem));
        }
    }
    if !mismatches.is_empty() {
        let mut text = format!("{} corpus entries did not reach the expected verdict:\n", mismatches.len());
        text.push_str(&format!("{:<30} {:<8} {:<8} {:<5} {}\n", "entry", "expected", "builds", "exit", "why"));
        for (name, expected, got, code, problem) in &mismatches {
            text.push_str(&format!("{name:<30} {expected:<8} {got:<8} {code:<5} {problem}\n"));
        }
        panic!("{text}");
    }
}
