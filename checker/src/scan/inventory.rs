//! The inventory: which packages an image ships, read from the final filesystem's captured files
//! (the same single pass as every other check): Debian packages from the dpkg status file and
//! distroless' `status.d/`, Alpine's apk database, npm packages from `node_modules` manifests and
//! lockfiles, Python distributions from `*.dist-info/METADATA` (and `*.egg-info`), Go modules from
//! Go binaries. Each
//! package remembers the file it was read from and the layer that wrote that file.
//!
//! What must hold: only what is installed counts (dpkg entries not in state `installed`, npm
//! lockfile entries marked `dev`, files deleted by a later layer are left out); a file that does
//! not parse is reported in `problems`, never silently dropped.
use std::collections::{BTreeMap, BTreeSet};

use super::ecosystem::Ecosystem;
use super::licenses;
use crate::image::capture::Analyzer;
use crate::image::gobuild::GoBuild;
use crate::image::FileSystem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// Debian: the source package and its version, which advisories name.
    pub source: Option<(String, String)>,
    /// The file the package was read from (no leading `/`).
    pub location: String,
    /// The layer that wrote that file.
    pub layer: usize,
    /// What its metadata says its license is ([`super::licenses`]).
    pub licenses: Vec<String>,
    /// The architecture it was built for, where its database says (`amd64`, `all`).
    pub arch: Option<String>,
}

impl Package {
    /// The name and version advisories are written against (the source, for Debian).
    pub(crate) fn advisory_name(&self) -> (&str, &str) {
        match &self.source {
            Some((name, version)) => (name, version),
            None => (&self.name, &self.version),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OsRelease {
    /// `debian`, `alpine`, ...
    pub id: String,
    /// The distributions it derives from, space-separated (`debian` for Ubuntu).
    pub id_like: String,
    pub version_id: String,
    pub pretty_name: String,
}

impl OsRelease {
    /// Whether the OS is `distribution` or derives from it.
    pub(crate) fn is(&self, distribution: &str) -> bool {
        self.id == distribution || self.id_like.split_whitespace().any(|like| like == distribution)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Inventory {
    pub os: Option<OsRelease>,
    pub packages: Vec<Package>,
    /// Files that should have listed packages but did not parse.
    pub problems: Vec<String>,
}

/// The files the OS is named in.
pub(crate) static OS_RELEASE: Analyzer = Analyzer { name: "os-release", version: 1, wants: |path| OS_RELEASE_FILES.contains(&path).then_some(WHOLE) };

/// Where the OS is named, the first one found winning (as os-release(5) reads them).
const OS_RELEASE_FILES: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

/// One package analyzer: the files it captures and how it reads packages from them, given the
/// OS's ecosystem when the image names one.
struct PackageAnalyzer {
    capture: Analyzer,
    parse: fn(&str, Option<Ecosystem>) -> Result<Vec<Package>, String>,
}

/// A file read whole (a package database, a lockfile).
const WHOLE: u64 = 32 << 20;
/// A package's own manifest.
const MANIFEST: u64 = 1 << 20;

static DPKG: PackageAnalyzer = PackageAnalyzer {
    capture: Analyzer {
        name: "dpkg",
        version: 2,
        wants: |path| match path {
            "var/lib/dpkg/status" => Some(WHOLE),
            _ => path.starts_with("var/lib/dpkg/status.d/").then_some(MANIFEST),
        },
    },
    parse: |text, os| debian_packages(text, os.unwrap_or(Ecosystem::Debian(String::new()))),
};

static APK: PackageAnalyzer = PackageAnalyzer {
    capture: Analyzer { name: "apk", version: 2, wants: |path| (path == "lib/apk/db/installed").then_some(WHOLE) },
    parse: |text, os| alpine_packages(text, os.unwrap_or(Ecosystem::Alpine(String::new()))),
};

static NPM_MANIFEST: PackageAnalyzer = PackageAnalyzer {
    capture: Analyzer { name: "npm-manifest", version: 2, wants: |path| (is_node_module_manifest(path) && !is_debian_managed(path)).then_some(MANIFEST) },
    parse: |text, _| node_manifest(text).map(|p| vec![p]),
};

static NPM_LOCKFILE: PackageAnalyzer = PackageAnalyzer {
    capture: Analyzer {
        name: "npm-lockfile",
        version: 3,
        wants: |path| {
            (path.ends_with("package-lock.json") && !path.contains("node_modules/") && !is_debian_managed(path) && !is_vendored(path)).then_some(WHOLE)
        },
    },
    parse: |text, _| npm_lockfile(text),
};

/// A distribution's headers come first; its long description is not needed. Installers write them
/// to `*.dist-info/METADATA`; older ones to `*.egg-info/PKG-INFO`, or to a `*.egg-info` file.
static PYTHON_METADATA: PackageAnalyzer = PackageAnalyzer {
    capture: Analyzer { name: "python-metadata", version: 3, wants: |path| (is_python_metadata(path) && !is_debian_managed(path)).then_some(16 << 10) },
    parse: |text, _| python_metadata(text).map(|p| vec![p]),
};

static PACKAGE_ANALYZERS: [&PackageAnalyzer; 5] = [&DPKG, &APK, &NPM_MANIFEST, &NPM_LOCKFILE, &PYTHON_METADATA];

/// What the inventory reads: the OS's name, every package analyzer's files, and Debian's
/// copyright files (the licenses its database does not hold).
pub(crate) fn analyzers() -> impl Iterator<Item = &'static Analyzer> {
    [&OS_RELEASE, &licenses::DPKG_COPYRIGHT].into_iter().chain(PACKAGE_ANALYZERS.iter().map(|analyzer| &analyzer.capture))
}

/// Where a Python distribution's name and version are written.
pub(super) fn is_python_metadata(path: &str) -> bool {
    path.ends_with(".dist-info/METADATA") || path.ends_with(".egg-info/PKG-INFO") || path.ends_with(".egg-info")
}

/// Debian packages JavaScript and Python libraries itself: dpkg's database speaks for them.
pub(super) fn is_debian_managed(path: &str) -> bool {
    path.starts_with("usr/share/nodejs/") || path.starts_with("usr/lib/nodejs/") || path.contains("/dist-packages/")
}

/// Inside a `vendor/` or `testdata/` folder: another project's source copied in (Go's toolchain
/// carries x/telemetry's `package-lock.json` in `src/cmd/vendor/`), whose lockfile lists that
/// project's own tooling, not anything installed in the image.
fn is_vendored(path: &str) -> bool {
    path.split('/').any(|folder| folder == "vendor" || folder == "testdata")
}

/// `…/node_modules/name/package.json` or `…/node_modules/@scope/name/package.json`.
fn is_node_module_manifest(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/package.json") else { return false };
    let mut parts = dir.rsplit('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(name), Some("node_modules"), _) => !name.starts_with('@'),
        (Some(_), Some(scope), Some("node_modules")) => scope.starts_with('@'),
        _ => false,
    }
}

pub(crate) fn inventory(fs: &FileSystem) -> Inventory {
    let os = OS_RELEASE_FILES.iter().find_map(|p| fs.content(p)).map(parse_os_release);
    let mut inventory = Inventory { os, ..Inventory::default() };
    let os_ecosystem = inventory.os.as_ref().and_then(os_ecosystem);
    for (path, layer, bytes) in fs.captured_files() {
        let Some(analyzer) = PACKAGE_ANALYZERS.iter().find(|a| (a.capture.wants)(path).is_some()) else { continue };
        match (analyzer.parse)(&String::from_utf8_lossy(bytes), os_ecosystem.clone()) {
            Ok(packages) => inventory.packages.extend(packages.into_iter().map(|mut p| {
                p.location = path.to_string();
                p.layer = layer;
                p
            })),
            Err(problem) => inventory.problems.push(format!("/{path}: {problem}")),
        }
    }
    for (path, layer, build) in fs.go_binaries() {
        inventory.packages.extend(go_modules(build).into_iter().map(|mut p| {
            p.location = path.to_string();
            p.layer = layer;
            p
        }));
    }
    dedupe_npm(&mut inventory.packages);
    add_debian_licenses(fs, &mut inventory.packages);
    inventory
}

/// Debian keeps each package's licenses in its copyright file, not in dpkg's database.
fn add_debian_licenses(fs: &FileSystem, packages: &mut [Package]) {
    for package in packages.iter_mut().filter(|p| matches!(p.ecosystem, Ecosystem::Debian(_))) {
        if let Some(text) = fs.content(&licenses::debian_copyright_path(&package.name)) {
            package.licenses = licenses::debian_copyright(&String::from_utf8_lossy(text));
        }
    }
}

fn package(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
    Package {
        ecosystem,
        name: name.to_string(),
        version: version.to_string(),
        source: None,
        location: String::new(),
        layer: 0,
        licenses: Vec::new(),
        arch: None,
    }
}

fn parse_os_release(bytes: &[u8]) -> OsRelease {
    let text = String::from_utf8_lossy(bytes);
    let field = |key: &str| {
        text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=')).map(|v| v.trim().trim_matches('"').trim_matches('\'').to_string()).unwrap_or_default()
    };
    OsRelease { id: field("ID"), id_like: field("ID_LIKE"), version_id: field("VERSION_ID"), pretty_name: field("PRETTY_NAME") }
}

/// The OSV ecosystem of the OS: `Debian:12`, `Alpine:v3.18`.
fn os_ecosystem(os: &OsRelease) -> Option<Ecosystem> {
    match os.id.as_str() {
        "debian" => Some(Ecosystem::Debian(os.version_id.split('.').next()?.to_string())),
        "alpine" => {
            let mut parts = os.version_id.split('.');
            Some(Ecosystem::Alpine(format!("v{}.{}", parts.next()?, parts.next()?)))
        }
        _ => None,
    }
}

/// RFC 822-style paragraphs (dpkg status, control files); continuation lines are dropped.
pub(super) fn paragraphs(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut all = Vec::new();
    let mut current = BTreeMap::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                all.push(std::mem::take(&mut current));
            }
        } else if !line.starts_with([' ', '\t']) {
            if let Some((key, value)) = line.split_once(':') {
                current.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
    }
    if !current.is_empty() {
        all.push(current);
    }
    all
}

fn debian_packages(text: &str, ecosystem: Ecosystem) -> Result<Vec<Package>, String> {
    let mut packages = Vec::new();
    for fields in paragraphs(text) {
        // Status is "want flag state"; distroless' status.d entries have none and are installed.
        let installed = fields.get("status").is_none_or(|s| s.split_whitespace().nth(2) == Some("installed"));
        let (Some(name), Some(version)) = (fields.get("package"), fields.get("version")) else { continue };
        if !installed {
            continue;
        }
        let mut found = package(ecosystem.clone(), name, version);
        // "Source: util-linux (2.38.1-5)" or "Source: acl"; absent means the same as the binary.
        let (source, source_version) = match fields.get("source") {
            Some(source) => match source.split_once(' ') {
                Some((name, version)) => (name.to_string(), version.trim().trim_matches(['(', ')']).to_string()),
                None => (source.clone(), version.clone()),
            },
            None => (name.clone(), version.clone()),
        };
        found.source = Some((source, source_version));
        found.arch = fields.get("architecture").cloned();
        packages.push(found);
    }
    if packages.is_empty() && !text.trim().is_empty() && !text.contains("Package:") {
        return Err("not a dpkg status file".into());
    }
    Ok(packages)
}

fn alpine_packages(text: &str, ecosystem: Ecosystem) -> Result<Vec<Package>, String> {
    let mut packages = Vec::new();
    for block in text.split("\n\n") {
        let field = |key: &str| block.lines().find_map(|l| l.strip_prefix(key)).map(str::to_string);
        if let (Some(name), Some(version)) = (field("P:"), field("V:")) {
            let mut found = package(ecosystem.clone(), &name, &version);
            found.source = Some((field("o:").unwrap_or(name), version));
            found.arch = field("A:");
            found.licenses = field("L:").into_iter().collect();
            packages.push(found);
        }
    }
    Ok(packages)
}

fn node_manifest(text: &str) -> Result<Package, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
    match (json["name"].as_str(), json["version"].as_str()) {
        (Some(name), Some(version)) => Ok(Package { licenses: licenses::npm(&json), ..package(Ecosystem::Npm, name, version) }),
        _ => Err("a package.json without a name and version".into()),
    }
}

/// npm lockfiles v2/v3 (`packages`) and v1 (`dependencies`), without dev dependencies.
fn npm_lockfile(text: &str) -> Result<Vec<Package>, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
    let mut packages = Vec::new();
    if let Some(entries) = json["packages"].as_object() {
        for (key, entry) in entries {
            let Some(name) = key.rsplit_once("node_modules/").map(|(_, name)| name) else { continue };
            if let (Some(version), false) = (entry["version"].as_str(), entry["dev"].as_bool().unwrap_or(false)) {
                let locked = package(Ecosystem::Npm, entry["name"].as_str().unwrap_or(name), version);
                packages.push(Package { licenses: licenses::npm(entry), ..locked });
            }
        }
    } else if let Some(dependencies) = json["dependencies"].as_object() {
        lockfile_v1(dependencies, &mut packages);
    }
    Ok(packages)
}

fn lockfile_v1(dependencies: &serde_json::Map<String, serde_json::Value>, packages: &mut Vec<Package>) {
    for (name, entry) in dependencies {
        if let (Some(version), false) = (entry["version"].as_str(), entry["dev"].as_bool().unwrap_or(false)) {
            packages.push(package(Ecosystem::Npm, name, version));
        }
        if let Some(nested) = entry["dependencies"].as_object() {
            lockfile_v1(nested, packages);
        }
    }
}

fn python_metadata(text: &str) -> Result<Package, String> {
    let headers = text.split("\n\n").next().unwrap_or_default();
    let field = |key: &str| headers.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
    match (field("Name:"), field("Version:")) {
        (Some(name), Some(version)) => Ok(Package { licenses: licenses::python(headers), ..package(Ecosystem::PyPI, name, version) }),
        _ => Err("METADATA without Name and Version".into()),
    }
}

/// The Go standard library (as OSV's `stdlib`) and every dependency module.
fn go_modules(build: &GoBuild) -> Vec<Package> {
    let stdlib = build.go_version.strip_prefix("go").map(|v| package(Ecosystem::Go, "stdlib", v));
    let deps = build.deps.iter().map(|m| package(Ecosystem::Go, &m.path, m.version.trim_start_matches('v')));
    stdlib.into_iter().chain(deps).collect()
}

/// A package in `node_modules` and the lockfile that lists it is one package: the installed
/// manifest speaks for it, the lockfile only for what `node_modules` does not show.
fn dedupe_npm(packages: &mut Vec<Package>) {
    let is_locked = |p: &Package| p.ecosystem == Ecosystem::Npm && p.location.ends_with("package-lock.json");
    let installed: BTreeSet<(String, String)> =
        packages.iter().filter(|p| p.ecosystem == Ecosystem::Npm && !is_locked(p)).map(|p| (p.name.clone(), p.version.clone())).collect();
    let mut locked = BTreeSet::new();
    packages.retain(|p| !is_locked(p) || (!installed.contains(&(p.name.clone(), p.version.clone())) && locked.insert((p.name.clone(), p.version.clone()))));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/../../shared/fixtures/dpkg/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
    }

    fn names(packages: &[Package]) -> Vec<&str> {
        packages.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn reads_dpkg_status_files_like_osv_scalibr() {
        let debian = || Ecosystem::Debian("12".into());
        let valid = debian_packages(&fixture("valid"), debian()).unwrap();
        assert_eq!(valid.len(), 7);
        let util = valid.iter().find(|p| p.name == "util-linux-extra").unwrap();
        assert_eq!(util.version, "2.38.1-5+b1");
        assert_eq!(util.source, Some(("util-linux".into(), "2.38.1-5".into())));
        assert_eq!(valid.iter().find(|p| p.name == "libacl1").unwrap().source, Some(("acl".into(), "2.3.1-3".into())));
        assert_eq!(names(&debian_packages(&fixture("single"), debian()).unwrap()), ["acl"]);
        assert_eq!(names(&debian_packages(&fixture("trailingnewlines"), debian()).unwrap()), ["acl"]);
        assert_eq!(names(&debian_packages(&fixture("nopackage"), debian()).unwrap()), ["foo", "bar"]);
        assert_eq!(names(&debian_packages(&fixture("noversion"), debian()).unwrap()), ["foo", "bar"]);
        assert_eq!(
            names(&debian_packages(&fixture("statusfield"), debian()).unwrap()),
            ["wantinstall_installed", "wantdeinstall_installed", "wantpurge_installed", "wantnostatus"]
        );
        assert!(debian_packages(&fixture("empty"), debian()).unwrap().is_empty());
        assert!(debian_packages(&fixture("invalid"), debian()).is_err());
        assert_eq!(names(&debian_packages(&fixture("status.d/foo"), debian()).unwrap()), ["foo"]);
    }

    #[test]
    fn reads_npm_python_and_alpine() {
        assert_eq!(node_manifest(r#"{"name": "minimist", "version": "1.2.5"}"#).unwrap().version, "1.2.5");
        assert!(node_manifest("{").is_err());
        let lock = r#"{"lockfileVersion": 3, "packages": {"": {"name": "app"}, "node_modules/a": {"version": "1.0.0"}, "node_modules/b": {"version": "2.0.0", "dev": true}, "node_modules/a/node_modules/@s/c": {"version": "3.0.0"}}}"#;
        let locked = npm_lockfile(lock).unwrap();
        assert_eq!(names(&locked), ["a", "@s/c"]);
        let metadata = "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\nlong description Name: nope";
        assert_eq!(python_metadata(metadata).unwrap().name, "requests");
        assert_eq!(python_metadata("Metadata-Version: 1.1\nName: legacy\nVersion: 0.9\n").unwrap().version, "0.9", "PKG-INFO");
        let apk = "P:musl\nV:1.2.4-r2\no:musl\n\nP:busybox-binsh\nV:1.36.1-r5\no:busybox\n";
        let alpine = alpine_packages(apk, Ecosystem::Alpine("v3.18".into())).unwrap();
        assert_eq!(alpine[1].source, Some(("busybox".into(), "1.36.1-r5".into())));
    }

    #[test]
    fn node_module_manifests_are_captured_app_manifests_are_not() {
        let wanted = |path: &str| (NPM_MANIFEST.capture.wants)(path).is_some();
        assert!(wanted("app/node_modules/minimist/package.json"));
        assert!(wanted("app/node_modules/@types/node/package.json"));
        assert!(wanted("app/node_modules/a/node_modules/b/package.json"));
        assert!(!wanted("app/package.json"));
        assert!(!wanted("app/node_modules/@types/package.json"));
        assert!(!wanted("app/node_modules/a/lib/package.json"));
        assert!(!wanted("usr/share/nodejs/node_modules/x/package.json"), "Debian's own: dpkg speaks for it");
    }

    #[test]
    fn an_apps_lockfile_is_captured_a_vendored_projects_is_not() {
        let wanted = |path: &str| (NPM_LOCKFILE.capture.wants)(path).is_some();
        assert!(wanted("app/package-lock.json"));
        assert!(wanted("srv/www/vendorama/package-lock.json"));
        assert!(!wanted("usr/local/go/src/cmd/vendor/golang.org/x/telemetry/package-lock.json"), "Go's toolchain, golang:1.27");
        assert!(!wanted("app/testdata/fixture/package-lock.json"));
        assert!(!wanted("app/node_modules/a/package-lock.json"));
    }

    #[test]
    fn each_file_has_one_package_analyzer() {
        let files = [
            "var/lib/dpkg/status",
            "var/lib/dpkg/status.d/foo",
            "lib/apk/db/installed",
            "app/node_modules/a/package.json",
            "app/package-lock.json",
            "usr/lib/python3/site-packages/x.dist-info/METADATA",
            "usr/lib/python3/site-packages/y.egg-info/PKG-INFO",
            "usr/lib/python3/site-packages/z-1.0.egg-info",
        ];
        for file in files {
            let claims = PACKAGE_ANALYZERS.iter().filter(|a| (a.capture.wants)(file).is_some()).count();
            assert_eq!(claims, 1, "{file}");
        }
    }

    #[test]
    fn os_release_names_the_ecosystem() {
        let debian = parse_os_release(b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n");
        assert_eq!(os_ecosystem(&debian), Some(Ecosystem::Debian("12".into())));
        assert!(debian.is("debian"));
        let ubuntu = parse_os_release(b"ID=ubuntu\nID_LIKE=debian\n");
        assert!(ubuntu.is("debian") && !ubuntu.is("alpine"));
        let alpine = parse_os_release(b"ID=alpine\nVERSION_ID=3.18.4\n");
        assert_eq!(os_ecosystem(&alpine), Some(Ecosystem::Alpine("v3.18".into())));
    }
}
