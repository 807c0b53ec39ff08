//! Which files' bytes a read keeps. Each analyzer that parses files of an image — the accounts
//! `non-root` reads, the package databases and manifests the scan reads — owns what it wants
//! (which paths, and how many bytes of each) and a version it bumps when that or its parsing
//! changes, as trivy's analyzers do. The read keeps a file when any analyzer wants it, and the
//! layer cache's entries are keyed by the analyzers' versions, so a changed analyzer never reads
//! an old layer's captures.
//!
//! What must hold: `wants` depends on the path alone (a layer is read once, front to back, before
//! anything is parsed); an analyzer's name is unique.
use sha2::{Digest, Sha256};

/// One analyzer's claim on an image's files.
#[derive(Debug)]
pub(crate) struct Analyzer {
    pub name: &'static str,
    /// Bump when `wants` or the parsing of what it captures changes.
    pub version: u32,
    /// How many bytes of the file at `path` (normalized, no leading `/`) it reads; `None`: none.
    pub wants: fn(&str) -> Option<u64>,
}

/// Every analyzer a read serves.
#[derive(Debug, Clone)]
pub(crate) struct Captures {
    analyzers: Vec<&'static Analyzer>,
}

impl Captures {
    pub(crate) fn new(analyzers: impl IntoIterator<Item = &'static Analyzer>) -> Captures {
        Captures { analyzers: analyzers.into_iter().collect() }
    }

    /// How many bytes of the file to keep: the most any analyzer wants.
    pub(crate) fn limit(&self, path: &str) -> Option<u64> {
        self.analyzers.iter().filter_map(|analyzer| (analyzer.wants)(path)).max()
    }

    /// A digest of every analyzer's name and version, in name order: what a cached read of a
    /// layer was made for.
    pub(crate) fn fingerprint(&self) -> [u8; 8] {
        let mut named: Vec<(&str, u32)> = self.analyzers.iter().map(|a| (a.name, a.version)).collect();
        named.sort_unstable();
        let mut hasher = Sha256::new();
        for (name, version) in named {
            hasher.update(name.as_bytes());
            hasher.update(version.to_le_bytes());
        }
        hasher.finalize()[..8].try_into().expect("a SHA-256 digest has 8 bytes to spare")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SMALL: Analyzer = Analyzer { name: "small", version: 1, wants: |path| (path == "etc/a").then_some(10) };
    static BIG: Analyzer = Analyzer { name: "big", version: 1, wants: |path| path.starts_with("etc/").then_some(100) };
    static BIG_V2: Analyzer = Analyzer { name: "big", version: 2, wants: |path| path.starts_with("etc/").then_some(100) };

    #[test]
    fn the_most_any_analyzer_wants_is_kept() {
        let captures = Captures::new([&SMALL, &BIG]);
        assert_eq!(captures.limit("etc/a"), Some(100));
        assert_eq!(captures.limit("usr/a"), None);
    }

    #[test]
    fn the_fingerprint_follows_names_and_versions_not_order() {
        assert_eq!(Captures::new([&SMALL, &BIG]).fingerprint(), Captures::new([&BIG, &SMALL]).fingerprint());
        assert_ne!(Captures::new([&SMALL, &BIG]).fingerprint(), Captures::new([&SMALL, &BIG_V2]).fingerprint());
    }
}
