//! Python package versions: PEP 440, with pre-PEP 440 ("legacy") versions kept orderable.
//!
//! The `pep440_rs` crate owns PEP 440 parsing, normalisation (`1.0a1 == 1.0.0a1`,
//! `1.0-post1`, `1.2b3.DEV4`) and order (epochs, dev < pre < release < post, local versions).
//! What it rejects is a legacy version, ordered as `packaging` did before 22.0
//! (`LegacyVersion`): below every PEP 440 version, and among themselves by setuptools' old
//! part-wise key. Only empty text and characters no version uses are errors.
use std::str::FromStr;

use super::{check_text, split_while};

/// Legacy versions sort below PEP 440 ones.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum PyVersion {
    Legacy(Vec<String>),
    Pep440(pep440_rs::Version),
}

pub(super) fn parse(text: &str) -> Result<PyVersion, String> {
    check_text("version", text, "._-+!")?;
    Ok(match pep440_rs::Version::from_str(text) {
        Ok(version) => PyVersion::Pep440(version),
        Err(_) => PyVersion::Legacy(legacy_key(text)),
    })
}

/// `packaging`'s `_legacy_cmpkey` parts: numbers zero-padded to eight digits, words marked
/// with `*` (pre-release words sort before `*final`), trailing zeros of each number series
/// dropped.
fn legacy_key(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut parts: Vec<String> = Vec::new();
    let all = legacy_tokens(&lower).filter_map(legacy_part).chain(["*final".to_string()]);
    for part in all {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|last| last == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|last| last == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// The pieces `re.split(r"(\d+|[a-z]+|\.|-)", text)` yields: digit runs, letter runs, single
/// `.` and `-`, and runs of anything else.
fn legacy_tokens(mut text: &str) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        let (token, rest) = match text.chars().next()? {
            '.' | '-' => text.split_at(1),
            c if c.is_ascii_digit() => split_while(text, |c| c.is_ascii_digit()),
            c if c.is_ascii_lowercase() => split_while(text, |c| c.is_ascii_lowercase()),
            _ => split_while(text, |c| !c.is_ascii_alphanumeric() && c != '.' && c != '-'),
        };
        text = rest;
        Some(token)
    })
}

fn legacy_part(token: &str) -> Option<String> {
    let token = match token {
        "." => return None,
        "pre" | "preview" | "rc" => "c",
        "-" => "final-",
        "dev" => "@",
        other => other,
    };
    Some(if token.starts_with(|c: char| c.is_ascii_digit()) { format!("{token:0>8}") } else { format!("*{token}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python(text: &str) -> PyVersion {
        parse(text).unwrap()
    }

    #[test]
    fn normalises_like_pep_440() {
        assert_eq!(python("1.0a1"), python("1.0.0a1"));
        assert_eq!(python("1.0-post1"), python("1.0.post1"));
        assert_eq!(python("v1.0"), python("1.0"));
        assert!(python("1.0.dev0") < python("1.0a0"));
        assert!(python("1!0.1") > python("2.0"));
    }

    #[test]
    fn legacy_versions_sort_below_pep_440_and_by_setuptools_parts() {
        assert!(matches!(python("0.1-bulbasaur"), PyVersion::Legacy(_)));
        assert!(python("2.0-foo") < python("0.1"));
        assert_eq!(legacy_key("1.0-rc1"), ["00000001", "*c", "00000001", "*final"]);
    }
}
