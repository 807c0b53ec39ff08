//! What a package's own metadata says its license is, as it says it: an SPDX expression where the
//! ecosystem writes one (npm's `license`, Python's `License-Expression`, apk's `L:`), a name
//! otherwise (Debian's machine-readable copyright files, Python's older `License:` and
//! classifiers). The SBOM decides which of them are SPDX (see [`crate::sbom`]).
//!
//! What must hold: nothing is guessed from file contents or names; a package whose metadata says
//! nothing has no license, and each license is listed once, in the order the metadata gives.

/// The analyzer of Debian's copyright files (`/usr/share/doc/PACKAGE/copyright`). Their `License:`
/// short names come in the first paragraphs; the full texts after them are not needed.
pub(crate) static DPKG_COPYRIGHT: crate::image::capture::Analyzer =
    crate::image::capture::Analyzer { name: "dpkg-copyright", version: 1, wants: |path| is_debian_copyright(path).then_some(64 << 10) };

fn is_debian_copyright(path: &str) -> bool {
    path.strip_prefix("usr/share/doc/").and_then(|rest| rest.strip_suffix("/copyright")).is_some_and(|package| !package.contains('/'))
}

/// Where a Debian package's copyright file is.
pub(crate) fn debian_copyright_path(package: &str) -> String {
    format!("usr/share/doc/{package}/copyright")
}

/// The `License:` short names of a machine-readable (DEP-5) copyright file; none for a free-form one.
pub(crate) fn debian_copyright(text: &str) -> Vec<String> {
    if !text.starts_with("Format:") {
        return Vec::new();
    }
    unique(text.lines().filter_map(|line| line.strip_prefix("License:")).map(str::trim))
}

/// npm's `license` (an SPDX expression, or `{ "type": … }` in old manifests), or the older
/// `licenses: [{ "type": … }]`.
pub(crate) fn npm(manifest: &serde_json::Value) -> Vec<String> {
    let named = |value: &serde_json::Value| value.as_str().or_else(|| value["type"].as_str()).map(str::to_string);
    match manifest.get("license") {
        Some(license) => named(license).into_iter().collect(),
        None => manifest["licenses"].as_array().into_iter().flatten().filter_map(named).collect(),
    }
}

/// Python's core metadata: `License-Expression` (PEP 639) when present, else a one-line
/// `License:`, else the `License ::` classifiers' last part (`MIT License`).
pub(crate) fn python(headers: &str) -> Vec<String> {
    let fields = |key: &'static str| headers.lines().filter_map(move |line| line.strip_prefix(key)).map(str::trim);
    if let Some(expression) = fields("License-Expression:").next() {
        return vec![expression.to_string()];
    }
    let short = fields("License:").filter(|license| !license.is_empty() && license.len() <= 80 && *license != "UNKNOWN");
    let classifiers = fields("Classifier:").filter_map(|c| c.strip_prefix("License ::")).filter_map(|c| c.rsplit("::").next()).map(str::trim);
    unique(short.chain(classifiers).filter(|license| *license != "OSI Approved"))
}

fn unique<'a>(licenses: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for license in licenses.filter(|license| !license.is_empty()) {
        if !seen.iter().any(|known| known == license) {
            seen.push(license.to_string());
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_copyright_files_give_their_short_names_once() {
        let dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: zlib\n\nFiles: *\nCopyright: 1995 Jean-loup Gailly\nLicense: Zlib\n\nFiles: debian/*\nLicense: Zlib\n\nFiles: contrib/*\nLicense: GPL-2+ or Artistic\n\nLicense: Zlib\n This software is provided 'as-is'\n";
        assert_eq!(debian_copyright(dep5), ["Zlib", "GPL-2+ or Artistic"]);
        assert_eq!(debian_copyright("This is Debian's prepackaged version of foo.\nLicense: see below\n"), Vec::<String>::new());
        assert!(is_debian_copyright("usr/share/doc/libc6/copyright"));
        assert!(!is_debian_copyright("usr/share/doc/libc6/examples/copyright"));
        assert_eq!(debian_copyright_path("zlib1g"), "usr/share/doc/zlib1g/copyright");
    }

    #[test]
    fn npm_and_python_say_it_their_ways() {
        assert_eq!(npm(&serde_json::json!({"license": "(MIT OR Apache-2.0)"})), ["(MIT OR Apache-2.0)"]);
        assert_eq!(npm(&serde_json::json!({"license": {"type": "BSD"}})), ["BSD"]);
        assert_eq!(npm(&serde_json::json!({"licenses": [{"type": "MIT"}, {"type": "GPL-2.0"}]})), ["MIT", "GPL-2.0"]);
        assert_eq!(npm(&serde_json::json!({"name": "x"})), Vec::<String>::new());
        assert_eq!(python("Name: a\nLicense-Expression: MIT OR Apache-2.0\nLicense: MIT\n"), ["MIT OR Apache-2.0"]);
        assert_eq!(python("Name: a\nLicense: BSD\nClassifier: License :: OSI Approved :: BSD License\n"), ["BSD", "BSD License"]);
        assert_eq!(python("Name: a\nLicense: UNKNOWN\n"), Vec::<String>::new());
    }
}
