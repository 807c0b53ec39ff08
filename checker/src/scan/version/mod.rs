//! Version ordering for each [`VersionScheme`]: a parsed [`Version`] orders by its own
//! ecosystem's rules, never by text.
//!
//! What must hold: every vector in `shared/fixtures/versions/` (osv-scalibr's ordering test
//! data) holds in both directions; `Ord` and `Eq` agree (`1.0` and `1.0.0` are equal under
//! PEP 440 and compare `Equal`); the order is total, so sorting never panics; unparseable input
//! is an `Err` naming the text and scheme, never a panic. Versions of different schemes never
//! meet in practice; if they do, they order by scheme.
mod apk;
mod dpkg;
mod pep440;
mod semver;

use super::ecosystem::VersionScheme;
use std::cmp::Ordering;

/// A parsed version that orders by its scheme's rules.
#[derive(Clone, Debug)]
pub(crate) struct Version {
    text: String,
    key: Key,
}

/// The parsed form each scheme orders by; variants order by scheme when schemes differ.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Dpkg(debversion::Version),
    Apk(apk::ApkVersion),
    SemVer(semver::SemVer),
    Pep440(pep440::PyVersion),
}

impl Version {
    /// Parses `text` by `scheme`'s rules.
    pub(crate) fn parse(scheme: VersionScheme, text: &str) -> Result<Version, String> {
        let key = match scheme {
            VersionScheme::Dpkg => dpkg::parse(text).map(Key::Dpkg),
            VersionScheme::Apk => apk::parse(text).map(Key::Apk),
            VersionScheme::SemVer => semver::parse(text).map(Key::SemVer),
            VersionScheme::Pep440 => pep440::parse(text).map(Key::Pep440),
        }
        .map_err(|reason| format!("`{text}` is not a valid {} version: {reason}", scheme_name(scheme)))?;
        Ok(Version { text: text.to_string(), key })
    }

    /// The original text.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// Compares two version texts by `scheme`'s rules.
#[cfg(test)]
pub(crate) fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, String> {
    Ok(Version::parse(scheme, a)?.cmp(&Version::parse(scheme, b)?))
}

fn scheme_name(scheme: VersionScheme) -> &'static str {
    match scheme {
        VersionScheme::Dpkg => "Debian (dpkg)",
        VersionScheme::Apk => "Alpine (apk)",
        VersionScheme::SemVer => "semantic",
        VersionScheme::Pep440 => "PEP 440",
    }
}

/// A run of ASCII digits ordered by numeric value, of any length (`007` equals `7`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Number(String);

impl Number {
    /// `digits` must be ASCII digits only (may be empty, which is zero).
    fn new(digits: &str) -> Number {
        Number(digits.trim_start_matches('0').to_string())
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        // Without leading zeros, a longer run is a larger number.
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.cmp(&other.0))
    }
}

/// Requires `text` to be non-empty and made of ASCII letters, digits and the given punctuation.
fn check_text(what: &str, text: &str, punctuation: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    match text.chars().find(|&c| !c.is_ascii_alphanumeric() && !punctuation.contains(c)) {
        Some(c) => Err(format!("`{c}` is not allowed in the {what}")),
        None => Ok(()),
    }
}

/// Splits `text` after its longest prefix whose characters satisfy `keep`.
fn split_while(text: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    text.split_at(text.find(|c| !keep(c)).unwrap_or(text.len()))
}

/// Splits off `text`'s leading ASCII digits.
fn split_digits(text: &str) -> (&str, &str) {
    split_while(text, |c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/versions/");

    /// Checks every comparison line of a fixture file in both directions; returns how many.
    ///
    /// Blank lines and lines starting with `#` or `//` are comments; every other line must be
    /// `a <op> b` with `<`, `=` or `>`, or the test fails naming it.
    fn check_fixture(scheme: VersionScheme, file: &str) -> usize {
        let path = Path::new(FIXTURES).join(file);
        assert!(path.is_file(), "fixture {} is missing", path.display());
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let mut checked = 0;
        let mut failures = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
                continue;
            }
            checked += 1;
            if let Err(problem) = check_line(scheme, line) {
                failures.push(format!("{file}:{}: `{line}`: {problem}", index + 1));
            }
        }
        assert!(failures.is_empty(), "{} of {checked} comparisons failed:\n{}", failures.len(), failures.join("\n"));
        assert!(checked > 0, "{file} holds no comparisons");
        println!("{file}: {checked} comparisons hold both ways");
        checked
    }

    fn check_line(scheme: VersionScheme, line: &str) -> Result<(), String> {
        let [a, op, b] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            return Err("expected `a <op> b`".into());
        };
        let expected = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => return Err(format!("unknown operator `{op}`")),
        };
        let forward = compare(scheme, a, b)?;
        let backward = compare(scheme, b, a)?;
        if forward == expected && backward == expected.reverse() {
            Ok(())
        } else {
            Err(format!("got a {forward:?} b and b {backward:?} a"))
        }
    }

    #[test]
    fn a_wrong_vector_is_reported_not_skipped() {
        assert!(check_line(VersionScheme::SemVer, "1.0.0 > 2.0.0").is_err());
        assert!(check_line(VersionScheme::SemVer, "1.0.0 = 1.0.1").is_err());
        assert!(check_line(VersionScheme::SemVer, "1.0.0 <= 2.0.0").is_err());
        assert!(check_line(VersionScheme::SemVer, "1.0.0 <").is_err());
        assert!(check_line(VersionScheme::SemVer, "1.0.0 < not-a-version").is_err());
    }

    /// Sorting is only sound for a total order (since Rust 1.81 `sort` may panic otherwise):
    /// sort every version a fixture names, including the malformed ones, and check that no
    /// pair is out of order.
    #[test]
    fn orders_are_total_over_the_fixture_versions() {
        let files = [
            (VersionScheme::Dpkg, "debian-versions.txt"),
            (VersionScheme::Dpkg, "debian-versions-generated.txt"),
            (VersionScheme::Apk, "alpine-versions.txt"),
            (VersionScheme::SemVer, "semver-versions.txt"),
            (VersionScheme::Pep440, "pypi-versions.txt"),
        ];
        for (scheme, file) in files {
            let text = std::fs::read_to_string(Path::new(FIXTURES).join(file)).expect(file);
            let mut versions: Vec<Version> = text
                .lines()
                .filter(|line| !line.starts_with('#') && !line.starts_with("//"))
                .flat_map(str::split_whitespace)
                .filter(|word| !matches!(*word, "<" | "=" | ">"))
                .take(1500)
                .map(|word| Version::parse(scheme, word).expect(word))
                .collect();
            versions.sort();
            for (i, low) in versions.iter().enumerate() {
                for high in &versions[i + 1..] {
                    assert!(low <= high, "{file}: {} sorted before {}", low.as_str(), high.as_str());
                }
            }
        }
    }

    #[test]
    fn debian_vectors_hold() {
        check_fixture(VersionScheme::Dpkg, "debian-versions.txt");
    }

    #[test]
    fn debian_generated_vectors_hold() {
        check_fixture(VersionScheme::Dpkg, "debian-versions-generated.txt");
    }

    #[test]
    fn alpine_vectors_hold() {
        check_fixture(VersionScheme::Apk, "alpine-versions.txt");
    }

    #[test]
    fn semver_vectors_hold() {
        check_fixture(VersionScheme::SemVer, "semver-versions.txt");
    }

    #[test]
    fn pypi_vectors_hold() {
        check_fixture(VersionScheme::Pep440, "pypi-versions.txt");
    }

    #[test]
    fn garbage_is_an_error_in_every_scheme() {
        let schemes = [VersionScheme::Dpkg, VersionScheme::Apk, VersionScheme::SemVer, VersionScheme::Pep440];
        for scheme in schemes {
            for garbage in ["", "1.0:", "not a version!", " 1.0", "1.0\n", "1.0 beta", "1.0/2"] {
                let error = Version::parse(scheme, garbage).expect_err(garbage);
                assert!(error.contains(scheme_name(scheme)), "{error}");
                assert!(error.contains(&format!("`{garbage}`")), "{error}");
            }
        }
    }

    #[test]
    fn bare_words_are_an_error_where_the_scheme_needs_a_number() {
        // apk accepts a bare letter (`a < b` is a vector) and PyPI's legacy versions may be
        // bare words (`-class.-jw.util.version.version-pre` is a vector), so only dpkg and
        // semantic versions reject `v`.
        for scheme in [VersionScheme::Dpkg, VersionScheme::SemVer] {
            for garbage in ["v", "=", "latest", "-1"] {
                assert!(Version::parse(scheme, garbage).is_err(), "{scheme:?} {garbage}");
            }
        }
    }

    #[test]
    fn as_str_keeps_the_original_text() {
        let version = Version::parse(VersionScheme::Pep440, "1.0-POST1").unwrap();
        assert_eq!(version.as_str(), "1.0-POST1");
        assert_eq!(version, Version::parse(VersionScheme::Pep440, "1.0.0.post1").unwrap());
    }

    #[test]
    fn different_schemes_order_by_scheme_without_panicking() {
        let dpkg = Version::parse(VersionScheme::Dpkg, "1.0").unwrap();
        let semver = Version::parse(VersionScheme::SemVer, "1.0").unwrap();
        assert_ne!(dpkg, semver);
        assert_eq!(dpkg.cmp(&semver), semver.cmp(&dpkg).reverse());
    }

    #[test]
    fn numbers_order_by_value_at_any_length() {
        assert_eq!(Number::new("007"), Number::new("7"));
        assert!(Number::new("10") > Number::new("9"));
        assert!(Number::new("99999999999999999999999") > Number::new("18446744073709551615"));
        assert!(Number::new("").is_zero() && Number::new("000").is_zero());
    }
}
