//! Semantic versions as npm and Go write them: an optional `v` or `=`, dot-separated numbers,
//! an optional `-pre.release` and an optional `+build`.
//!
//! Ordered by semver 2.0.0 §11: numbers by value, a pre-release below its release, pre-release
//! identifiers numeric-by-value below alphanumeric-by-ASCII, a longer identifier list above
//! its prefix; build metadata is ignored. Go pseudo-versions
//! (`v0.0.0-20210101000000-abcdef123456`) are ordinary pre-releases.
//!
//! Hand-written rather than the `semver` crate because OSV data and the fixtures need more
//! than strict semver: numbers beyond `u64` and fewer or more than three of them
//! (`999999999999999999999999999991`, `1.1.3.4.5`). Missing numbers count as zero, so
//! `1.2 = 1.2.0`, and further numbers extend the release (`1.1.3.4 > 1.1.3`; osv-scalibr
//! instead folds them into the pre-release, but no vector depends on it).
use super::{check_text, split_while, Number};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SemVer {
    /// Without trailing zeros, so that the shorter of two lists reads as zero-padded.
    numbers: Vec<Number>,
    stage: Stage,
}

/// A pre-release sorts below the release.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Pre(Vec<Identifier>),
    Release,
}

/// Numeric identifiers sort below alphanumeric ones.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Identifier {
    Numeric(Number),
    Alphanumeric(String),
}

pub(super) fn parse(text: &str) -> Result<SemVer, String> {
    let unprefixed = text.strip_prefix(['v', '=']).unwrap_or(text);
    let (numbers, rest) = split_while(unprefixed, |c| c.is_ascii_digit() || c == '.');
    let (pre, build) = match rest.split_once('+') {
        Some((pre, build)) => (pre, Some(build)),
        None => (rest, None),
    };
    if let Some(build) = build {
        identifiers("build identifier", build)?;
    }
    let stage = match pre {
        "" => Stage::Release,
        _ => match pre.strip_prefix('-') {
            Some(pre) => Stage::Pre(identifiers("pre-release identifier", pre)?.into_iter().map(Identifier::new).collect()),
            None => return Err(format!("`{pre}` follows the version numbers")),
        },
    };
    Ok(SemVer { numbers: parse_numbers(numbers)?, stage })
}

/// Dot-separated digit runs; trailing zeros dropped.
fn parse_numbers(text: &str) -> Result<Vec<Number>, String> {
    if text.is_empty() {
        return Err("it does not start with a number".into());
    }
    if text.split('.').any(str::is_empty) {
        return Err(format!("`{text}` has an empty number"));
    }
    let mut numbers: Vec<Number> = text.split('.').map(Number::new).collect();
    while numbers.last().is_some_and(Number::is_zero) {
        numbers.pop();
    }
    Ok(numbers)
}

/// Dot-separated, non-empty identifiers of ASCII letters, digits and `-`.
fn identifiers<'a>(part: &str, text: &'a str) -> Result<Vec<&'a str>, String> {
    let identifiers: Vec<&str> = text.split('.').collect();
    for identifier in &identifiers {
        check_text(part, identifier, "-")?;
    }
    Ok(identifiers)
}

impl Identifier {
    fn new(id: &str) -> Identifier {
        if id.chars().all(|c| c.is_ascii_digit()) {
            Identifier::Numeric(Number::new(id))
        } else {
            Identifier::Alphanumeric(id.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn semver(text: &str) -> SemVer {
        parse(text).unwrap()
    }

    #[test]
    fn go_versions_and_pseudo_versions_order() {
        assert!(semver("v0.0.0-20210101000000-abcdef123456") < semver("v0.0.0"));
        assert!(semver("v1.2.4-0.20210101000000-abcdef123456") > semver("v1.2.3"));
        assert!(semver("v1.2.4-0.20210101000000-abcdef123456") < semver("v1.2.4"));
        assert_eq!(semver("v2.0.0+incompatible"), semver("2.0.0"));
    }

    #[test]
    fn missing_numbers_are_zero() {
        assert_eq!(semver("1.2"), semver("=1.2.0"));
        assert!(semver("1.1.3.4") > semver("1.1.3"));
    }

    #[test]
    fn rejects_malformed_versions() {
        for bad in ["", "v", "1..2", "1.2.", "1.2.3-", "1.2.3+", "1.2.3-a..b", "1.2.3_4", "1.2.3-a+b+c", "x1.0"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
