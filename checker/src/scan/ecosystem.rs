//! Package ecosystems as OSV names them, and the release an OS ecosystem is tied to.
//!
//! What must hold: `Ecosystem::parse(e.osv_name())` round-trips; OSV's `Debian:12` and
//! `Alpine:v3.18` keep their release, because a record for Debian 12 says nothing about Debian 13.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// `Debian:12`: the release number.
    Debian(String),
    /// `Alpine:v3.18`: the release, with its `v`.
    Alpine(String),
    Npm,
    PyPI,
    Go,
}

/// Which version order an ecosystem's versions follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum VersionScheme {
    /// dpkg's rules: epochs, upstream and revision, `~` before everything.
    Dpkg,
    /// apk's rules (`1.2.3_rc1-r0`).
    Apk,
    /// Semantic versioning (npm, Go modules with their leading `v`).
    SemVer,
    /// PEP 440.
    Pep440,
}

impl Ecosystem {
    /// Parses an OSV ecosystem name (`Debian:12`, `Alpine:v3.18`, `npm`, `PyPI`, `Go`).
    pub(crate) fn parse(name: &str) -> Result<Ecosystem, String> {
        let (base, release) = match name.split_once(':') {
            Some((base, release)) => (base, Some(release.to_string())),
            None => (name, None),
        };
        match (base, release) {
            ("Debian", Some(release)) if !release.is_empty() => Ok(Ecosystem::Debian(release)),
            ("Alpine", Some(release)) if !release.is_empty() => Ok(Ecosystem::Alpine(release)),
            ("npm", None) => Ok(Ecosystem::Npm),
            ("PyPI", None) => Ok(Ecosystem::PyPI),
            ("Go", None) => Ok(Ecosystem::Go),
            _ => Err(format!("unknown ecosystem `{name}` (known: Debian:<release>, Alpine:v<release>, npm, PyPI, Go)")),
        }
    }

    pub(crate) fn osv_name(&self) -> String {
        match self {
            Ecosystem::Debian(release) => format!("Debian:{release}"),
            Ecosystem::Alpine(release) => format!("Alpine:{release}"),
            Ecosystem::Npm => "npm".into(),
            Ecosystem::PyPI => "PyPI".into(),
            Ecosystem::Go => "Go".into(),
        }
    }

    /// The name of the folder OSV's bulk download uses (`Debian`, `Alpine`, `npm`, ...).
    pub(crate) fn bulk_name(&self) -> &'static str {
        match self {
            Ecosystem::Debian(_) => "Debian",
            Ecosystem::Alpine(_) => "Alpine",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
        }
    }

    pub(crate) fn scheme(&self) -> VersionScheme {
        match self {
            Ecosystem::Debian(_) => VersionScheme::Dpkg,
            Ecosystem::Alpine(_) => VersionScheme::Apk,
            Ecosystem::Npm | Ecosystem::Go => VersionScheme::SemVer,
            Ecosystem::PyPI => VersionScheme::Pep440,
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.osv_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_names_round_trip() {
        for name in ["Debian:12", "Alpine:v3.18", "npm", "PyPI", "Go"] {
            assert_eq!(Ecosystem::parse(name).unwrap().osv_name(), name);
        }
        assert!(Ecosystem::parse("Debian").is_err());
        assert!(Ecosystem::parse("crates.io").is_err());
    }
}
