//! What the inventory cannot see: packages an image plainly ships whose records were removed, so
//! that a scan of the records would find nothing to report. Deleting `/var/lib/dpkg/status` hides
//! every Debian package from a scanner, not from an attacker; the scan's verdict on such an image
//! is unknown, never clean.
//!
//! What must hold: only sound evidence counts, what a package manager always leaves and nothing
//! else makes. Debian: `/etc/debian_version`, os-release naming Debian, dpkg's per-package file
//! lists and checksums, `/usr/share/doc/*/copyright`; a package with a file list or checksums
//! that the database does not mention at all (in any state) is hidden. Alpine:
//! `/etc/alpine-release`, os-release naming Alpine, apk's other files. npm: a package folder in
//! `node_modules` without the `package.json` npm always installs (npm never publishes a nested
//! `node_modules`, so no package carries one as a fixture). Python: a `site-packages` folder with
//! code but no distribution's metadata at all, or a `*.dist-info` or `*.egg-info` folder without
//! its metadata file. Debian's own JavaScript and Python (`/usr/share/nodejs`, `dist-packages`)
//! are dpkg's to speak for.
use std::collections::{BTreeMap, BTreeSet};

use super::ecosystem::Ecosystem;
use super::inventory::{self, is_debian_managed, is_python_metadata, Inventory};
use crate::image::{EntryKind, FileSystem, ImageFacts};
use crate::units::count;

/// Packages the image holds that the scan cannot see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlindSpot {
    /// What is unseen, in a few words: `Debian packages without their database`.
    pub what: &'static str,
    /// The evidence, and what is missing.
    pub message: String,
    /// The file the evidence points at (no leading `/`), and the layer that wrote or deleted it.
    pub path: Option<String>,
    pub layer: Option<usize>,
}

const DPKG_STATUS: &str = "var/lib/dpkg/status";
/// Distroless keeps one file per package here instead of the status file.
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d";
const DPKG_INFO: &str = "var/lib/dpkg/info/";
const APK_INSTALLED: &str = "lib/apk/db/installed";

/// A blind spot lists this many names, then counts the rest.
const NAMES_SHOWN: usize = 5;

/// Every blind spot of a scan of `image`, whose inventory is `inventory`.
pub(crate) fn find(image: &ImageFacts, inventory: &Inventory) -> Vec<BlindSpot> {
    [debian(image, inventory), alpine(image, inventory), npm(&image.filesystem), python(&image.filesystem)].into_iter().flatten().collect()
}

fn debian(image: &ImageFacts, inventory: &Inventory) -> Option<BlindSpot> {
    let fs = &image.filesystem;
    let installed = inventory.packages.iter().any(|p| matches!(p.ecosystem, Ecosystem::Debian(_)));
    if !installed {
        let signs = debian_signs(fs, inventory);
        let database = if fs.get(DPKG_STATUS_D).is_some() { DPKG_STATUS_D } else { DPKG_STATUS };
        return (!signs.is_empty()).then(|| missing_database("Debian packages without their database", &signs, database, image));
    }
    let hidden = hidden_dpkg_packages(fs);
    let (first, _) = hidden.first_key_value()?;
    let names: Vec<&str> = hidden.keys().map(String::as_str).collect();
    Some(BlindSpot {
        what: "Debian packages missing from their database",
        message: format!("dpkg's records hold files of {} the database does not mention: {}", count(names.len(), "package"), shown(&names)),
        path: Some(hidden[first].clone()),
        layer: fs.get(DPKG_STATUS).map(|node| node.layer),
    })
}

/// What says the image is a Debian system, whatever its database says.
fn debian_signs(fs: &FileSystem, inventory: &Inventory) -> Vec<String> {
    let mut signs = Vec::new();
    if fs.get("etc/debian_version").is_some() {
        signs.push("/etc/debian_version".to_string());
    }
    if inventory.os.as_ref().is_some_and(|os| os.is("debian")) {
        signs.push("os-release names Debian".to_string());
    }
    let lists = fs.iter().filter(|(path, node)| node.is_file() && dpkg_record_of(path).is_some()).count();
    if lists > 0 {
        signs.push(count(lists, "per-package dpkg record"));
    }
    let copyrights = fs.iter().filter(|(path, _)| path.strip_prefix("usr/share/doc/").is_some_and(|rest| rest.split('/').nth(1) == Some("copyright"))).count();
    if copyrights > 0 {
        signs.push(format!("{} in /usr/share/doc", count(copyrights, "package copyright file")));
    }
    signs
}

/// The package a file of dpkg's own per-package records belongs to: `info/NAME[:ARCH].list`,
/// `info/NAME[:ARCH].md5sums`, or distroless' `status.d/NAME.md5sums`.
fn dpkg_record_of(path: &str) -> Option<&str> {
    let stem = match path.strip_prefix(DPKG_INFO) {
        Some(file) => file.strip_suffix(".list").or_else(|| file.strip_suffix(".md5sums"))?,
        None => in_status_d(path)?.strip_suffix(".md5sums")?,
    };
    let name = stem.split(':').next().unwrap_or(stem);
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// The name of a file in distroless' `status.d/`.
fn in_status_d(path: &str) -> Option<&str> {
    path.strip_prefix(DPKG_STATUS_D)?.strip_prefix('/')
}

/// Packages dpkg keeps records of but its database does not mention, with one record file each.
fn hidden_dpkg_packages(fs: &FileSystem) -> BTreeMap<String, String> {
    let mut mentioned: BTreeSet<String> = BTreeSet::new();
    for (path, _, bytes) in fs.captured_files().filter(|(path, _, _)| *path == DPKG_STATUS || in_status_d(path).is_some()) {
        mentioned.extend(inventory::paragraphs(&String::from_utf8_lossy(bytes)).into_iter().filter_map(|fields| fields.get("package").cloned()));
        mentioned.extend(in_status_d(path).map(str::to_string));
    }
    let mut hidden = BTreeMap::new();
    for (path, _) in fs.iter().filter(|(_, node)| node.is_file()) {
        if let Some(name) = dpkg_record_of(path).filter(|name| !mentioned.contains(*name)) {
            hidden.entry(name.to_string()).or_insert_with(|| path.to_string());
        }
    }
    hidden
}

fn alpine(image: &ImageFacts, inventory: &Inventory) -> Option<BlindSpot> {
    let fs = &image.filesystem;
    if inventory.packages.iter().any(|p| matches!(p.ecosystem, Ecosystem::Alpine(_))) {
        return None;
    }
    let mut signs = Vec::new();
    if fs.get("etc/alpine-release").is_some() {
        signs.push("/etc/alpine-release".to_string());
    }
    if inventory.os.as_ref().is_some_and(|os| os.is("alpine")) {
        signs.push("os-release names Alpine".to_string());
    }
    let apk_files = fs.iter().filter(|(path, node)| node.is_file() && (path.starts_with("lib/apk/db/") || path.starts_with("etc/apk/"))).count();
    if apk_files > 0 {
        signs.push(format!("{} in /lib/apk/db and /etc/apk", count(apk_files, "apk file")));
    }
    (!signs.is_empty()).then(|| missing_database("Alpine packages without their database", &signs, APK_INSTALLED, image))
}

/// A blind spot for a whole database: missing (and where it was deleted) or empty.
fn missing_database(what: &'static str, signs: &[String], database: &str, image: &ImageFacts) -> BlindSpot {
    let signs = signs.join(", ");
    let (state, layer) = match image.filesystem.get(database) {
        Some(node) => ("records no installed package", Some(node.layer)),
        None => match deleted_by(image, database) {
            Some(layer) => ("was deleted", Some(layer)),
            None => ("is missing", None),
        },
    };
    BlindSpot { what, message: format!("the image's files are plainly there ({signs}) but /{database} {state}"), path: Some(database.to_string()), layer }
}

/// The topmost layer whose whiteout or opaque directory removed `path`.
fn deleted_by(image: &ImageFacts, path: &str) -> Option<usize> {
    let covers = |dir: &str| dir.is_empty() || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'));
    image.layers.iter().enumerate().rev().find_map(|(index, layer)| {
        layer
            .facts
            .entries
            .iter()
            .any(|entry| match entry.kind {
                EntryKind::Whiteout => entry.path == path || covers(&entry.path),
                EntryKind::OpaqueDir => covers(&entry.path),
                _ => false,
            })
            .then_some(index)
    })
}

fn npm(fs: &FileSystem) -> Option<BlindSpot> {
    let mut bare: BTreeMap<String, usize> = BTreeMap::new();
    for (path, node) in fs.iter().filter(|(path, node)| node.is_file() && !is_debian_managed(path)) {
        let Some(folder) = npm_package_folder(path) else { continue };
        if !bare.contains_key(&folder) && fs.get(&format!("{folder}/package.json")).is_none() {
            bare.insert(folder, node.layer);
        }
    }
    let (first, layer) = bare.first_key_value()?;
    let folders: Vec<String> = bare.keys().map(|folder| format!("/{folder}")).collect();
    Some(BlindSpot {
        what: "npm packages without their package.json",
        message: format!("{} in node_modules without the package.json npm installs: {}", count(folders.len(), "package folder"), shown(&folders)),
        path: Some(first.clone()),
        layer: Some(*layer),
    })
}

/// The package folder a file in `node_modules` lies in (`…/node_modules/name` or
/// `…/node_modules/@scope/name`), by its innermost `node_modules`; none for npm's own dot folders
/// and files (`.bin`, `.package-lock.json`).
fn npm_package_folder(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let at = parts.iter().rposition(|part| *part == "node_modules")?;
    let name = parts.get(at + 1)?;
    if name.starts_with('.') {
        return None;
    }
    let end = if name.starts_with('@') { at + 3 } else { at + 2 };
    (parts.len() > end).then(|| parts[..end].join("/"))
}

fn python(fs: &FileSystem) -> Option<BlindSpot> {
    let mut folders: BTreeMap<String, SitePackages> = BTreeMap::new();
    let mut unlabelled: BTreeMap<String, usize> = BTreeMap::new();
    for (path, node) in fs.iter().filter(|(path, node)| node.is_file() && !is_debian_managed(path)) {
        if let Some(dir) = metadata_dir(path).filter(|dir| !has_metadata_file(fs, dir)) {
            unlabelled.entry(dir.to_string()).or_insert(node.layer);
        }
        let parts: Vec<&str> = path.split('/').collect();
        let Some(at) = parts.iter().position(|part| *part == "site-packages") else { continue };
        let Some(child) = parts.get(at + 1) else { continue };
        let folder = folders.entry(parts[..=at].join("/")).or_default();
        if child.ends_with(".dist-info") || child.ends_with(".egg-info") {
            folder.has_metadata = true;
        } else if is_code(child, parts.last().copied().unwrap_or_default()) && folder.code.is_none() {
            folder.code = Some(node.layer);
        }
    }
    if let Some((dir, layer)) = unlabelled.first_key_value() {
        let dirs: Vec<String> = unlabelled.keys().map(|dir| format!("/{dir}")).collect();
        return Some(BlindSpot {
            what: "Python distributions without their metadata",
            message: format!("{} without its METADATA or PKG-INFO: {}", count(dirs.len(), "distribution folder"), shown(&dirs)),
            path: Some(dir.clone()),
            layer: Some(*layer),
        });
    }
    let (dir, layer) = folders.iter().find_map(|(dir, folder)| folder.code.filter(|_| !folder.has_metadata).map(|layer| (dir, layer)))?;
    Some(BlindSpot {
        what: "Python packages without their metadata",
        message: format!("/{dir} holds Python code but not one distribution's metadata (*.dist-info)"),
        path: Some(dir.clone()),
        layer: Some(layer),
    })
}

/// What one `site-packages` folder holds.
#[derive(Default)]
struct SitePackages {
    has_metadata: bool,
    /// The layer of the first code file found in it.
    code: Option<usize>,
}

/// A `*.dist-info` or `*.egg-info` folder the file lies in.
fn metadata_dir(path: &str) -> Option<&str> {
    let (dir, _) = path.rsplit_once('/')?;
    (dir.ends_with(".dist-info") || dir.ends_with(".egg-info")).then_some(dir)
}

/// Whether a metadata folder holds its own file: `METADATA` for `*.dist-info`, `PKG-INFO` for
/// `*.egg-info` (the pairs [`is_python_metadata`] accepts).
fn has_metadata_file(fs: &FileSystem, dir: &str) -> bool {
    ["METADATA", "PKG-INFO"].iter().map(|file| format!("{dir}/{file}")).any(|path| is_python_metadata(&path) && fs.get(&path).is_some())
}

/// Whether a file under `site-packages/child` is code Python imports: a module or an extension.
fn is_code(child: &str, file: &str) -> bool {
    child != "__pycache__" && !child.starts_with('.') && (file.ends_with(".py") || file.ends_with(".so"))
}

fn shown(names: &[impl AsRef<str>]) -> String {
    let listed: Vec<&str> = names.iter().take(NAMES_SHOWN).map(AsRef::as_ref).collect();
    let more = if names.len() > NAMES_SHOWN { format!(" and {} more", names.len() - NAMES_SHOWN) } else { String::new() };
    format!("{}{more}", listed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::{Captured, LayerEntry};
    use crate::image::{ContentClass, LayerFacts};

    /// A layer that writes `files` (capturing the bytes of those that have some) and deletes `deleted`.
    fn layer(files: &[(&str, &str)], deleted: &[&str]) -> LayerFacts {
        let entry = |path: &str, kind| LayerEntry { path: path.into(), kind, size: 1, mode: 0o644, uid: 0, gid: 0, content: ContentClass::Data };
        let mut facts = LayerFacts::default();
        for (path, bytes) in files {
            facts.entries.push(entry(path, EntryKind::File));
            if !bytes.is_empty() {
                facts.captured.push((path.to_string(), Captured::Bytes(bytes.as_bytes().to_vec())));
            }
        }
        facts.entries.extend(deleted.iter().map(|path| entry(path, EntryKind::Whiteout)));
        facts
    }

    fn spots(layers: Vec<LayerFacts>) -> Vec<BlindSpot> {
        let image = ImageFacts::assemble("sha256:test".into(), b"{}", layers).unwrap();
        find(&image, &inventory::inventory(&image.filesystem))
    }

    const STATUS: &str = "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n\n\
                          Package: e2fsprogs\nStatus: deinstall ok config-files\nVersion: 1.47.0-2\n";

    fn debian() -> LayerFacts {
        layer(
            &[
                ("etc/debian_version", ""),
                ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
                ("var/lib/dpkg/status", STATUS),
                ("var/lib/dpkg/info/libc6:amd64.list", ""),
                ("var/lib/dpkg/info/libc6:amd64.md5sums", ""),
                ("var/lib/dpkg/info/e2fsprogs.list", ""),
                ("usr/share/doc/libc6/copyright", ""),
            ],
            &[],
        )
    }

    #[test]
    fn an_intact_debian_image_has_no_blind_spot() {
        assert_eq!(spots(vec![debian()]), []);
    }

    #[test]
    fn a_deleted_or_emptied_dpkg_database_is_a_blind_spot_traced_to_its_layer() {
        let deleted = spots(vec![debian(), layer(&[], &["var/lib/dpkg/status"])]);
        assert_eq!(deleted.len(), 1);
        assert_eq!(deleted[0].what, "Debian packages without their database");
        assert!(deleted[0].message.contains("/var/lib/dpkg/status was deleted"), "{}", deleted[0].message);
        assert!(deleted[0].message.contains("/etc/debian_version, os-release names Debian, 3 per-package dpkg records"), "{}", deleted[0].message);
        assert_eq!((deleted[0].path.as_deref(), deleted[0].layer), (Some("var/lib/dpkg/status"), Some(1)));
        let whole_folder = spots(vec![debian(), layer(&[], &["var/lib/dpkg"])]);
        assert_eq!(whole_folder[0].layer, Some(1), "a deleted parent folder deletes the database");
        let emptied = spots(vec![debian(), layer(&[("var/lib/dpkg/status", "\n")], &[])]);
        assert!(emptied[0].message.contains("records no installed package"), "{}", emptied[0].message);
        assert_eq!(emptied[0].layer, Some(1));
    }

    #[test]
    fn a_package_cut_out_of_the_database_is_a_blind_spot() {
        let edited = STATUS.replace("Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n\n", "");
        let edited = format!("Package: base-files\nStatus: install ok installed\nVersion: 12.4\n\n{edited}");
        let found = spots(vec![debian(), layer(&[("var/lib/dpkg/status", &edited)], &[])]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].what, "Debian packages missing from their database");
        assert!(found[0].message.contains("1 package the database does not mention: libc6"), "{}", found[0].message);
        assert_eq!(found[0].path.as_deref(), Some("var/lib/dpkg/info/libc6:amd64.list"));
    }

    #[test]
    fn distroless_status_d_counts_as_the_database() {
        let distroless = || layer(&[("etc/debian_version", ""), ("var/lib/dpkg/status.d/base-files", "Package: base-files\nVersion: 12.4\n")], &[]);
        assert_eq!(spots(vec![distroless()]), []);
        let without = spots(vec![distroless(), layer(&[], &["var/lib/dpkg/status.d/base-files"])]);
        assert_eq!(without[0].what, "Debian packages without their database");
        let checksums_only = spots(vec![distroless(), layer(&[("var/lib/dpkg/status.d/tzdata.md5sums", "")], &[])]);
        assert!(checksums_only[0].message.contains(": tzdata"), "{:?}", checksums_only);
    }

    #[test]
    fn an_image_with_no_sign_of_a_distribution_has_no_blind_spot() {
        assert_eq!(spots(vec![layer(&[("app", ""), ("etc/passwd", "")], &[])]), []);
    }

    #[test]
    fn alpine_without_its_apk_database() {
        let alpine = || layer(&[("etc/alpine-release", ""), ("lib/apk/db/installed", "P:musl\nV:1.2.4-r2\n"), ("lib/apk/db/triggers", "")], &[]);
        assert_eq!(spots(vec![alpine()]), []);
        let deleted = spots(vec![alpine(), layer(&[], &["lib/apk/db/installed"])]);
        assert_eq!(deleted[0].what, "Alpine packages without their database");
        assert!(deleted[0].message.contains("/etc/alpine-release, 1 apk file in /lib/apk/db and /etc/apk"), "{}", deleted[0].message);
        assert_eq!(deleted[0].layer, Some(1));
    }

    #[test]
    fn npm_package_folders_without_their_manifest() {
        let files = [
            ("app/node_modules/a/package.json", r#"{"name": "a", "version": "1.0.0"}"#),
            ("app/node_modules/a/index.js", ""),
            ("app/node_modules/a/node_modules/b/index.js", ""),
            ("app/node_modules/@s/c/lib/index.js", ""),
            ("app/node_modules/.bin/a", ""),
            ("app/node_modules/.package-lock.json", ""),
            ("usr/share/nodejs/d/index.js", ""),
        ];
        let found = spots(vec![layer(&files, &[])]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].what, "npm packages without their package.json");
        assert!(
            found[0].message.ends_with(
                "2 package folders in node_modules without the package.json npm installs: /app/node_modules/@s/c, /app/node_modules/a/node_modules/b"
            ),
            "{}",
            found[0].message
        );
        assert_eq!(npm_package_folder("app/node_modules/@s/c"), None, "a file, not a folder");
    }

    #[test]
    fn python_code_without_distribution_metadata() {
        let site = "usr/local/lib/python3.11/site-packages";
        let files = |names: &[&str]| -> Vec<(String, &'static str)> { names.iter().map(|name| (format!("{site}/{name}"), "")).collect() };
        let layer_of = |files: &[(String, &'static str)]| {
            let files: Vec<(&str, &str)> = files.iter().map(|(path, bytes)| (path.as_str(), *bytes)).collect();
            layer(&files, &[])
        };
        let mut intact = files(&["requests/__init__.py", "README.txt"]);
        intact.push((format!("{site}/requests-2.31.0.dist-info/METADATA"), "Name: requests\nVersion: 2.31.0\n"));
        assert_eq!(spots(vec![layer_of(&intact)]), []);
        assert_eq!(spots(vec![layer_of(&files(&["README.txt", "distutils-precedence.pth"]))]), [], "no code, nothing hidden");
        let bare = spots(vec![layer_of(&files(&["requests/__init__.py", "_speedups.cpython-311-x86_64-linux-gnu.so"]))]);
        assert_eq!(bare[0].what, "Python packages without their metadata");
        assert_eq!(bare[0].path.as_deref(), Some(site));
        let gutted = spots(vec![layer_of(&files(&["requests/__init__.py", "requests-2.31.0.dist-info/RECORD"]))]);
        assert_eq!(gutted[0].what, "Python distributions without their metadata");
        assert!(gutted[0].message.contains("requests-2.31.0.dist-info"), "{}", gutted[0].message);
        let renamed = spots(vec![layer_of(&files(&["requests/__init__.py", "requests-2.31.0.egg-info/METADATA"]))]);
        assert_eq!(renamed[0].what, "Python distributions without their metadata", "an egg-info needs PKG-INFO");
        let debian = layer(&[("usr/lib/python3/dist-packages/apt/__init__.py", "")], &[]);
        assert_eq!(spots(vec![debian]), [], "dpkg speaks for dist-packages");
    }
}
