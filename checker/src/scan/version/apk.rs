//! Alpine versions, `number{.number}{letter}{_suffix{number}}{~hash}{-r#}`, ordered like apk.
//!
//! The fields compare in order: the numbers (the first by value; later ones by value unless
//! they have a leading zero, which apk compares as text, so `1.02 < 1.1`; more numbers win),
//! the letter (none first), the suffixes (`_alpha < _beta < _pre < _rc` < none <
//! `_cvs < _svn < _git < _hg < _p`), the `-rN` revision. The commit hash is ignored.
//!
//! apk tolerates malformed versions (`apk version -t` still orders them), and so does this
//! module, following osv-scalibr: whatever cannot be parsed is kept as a leftover, a version
//! with a leftover sorts below the same version without one, and leftovers before the
//! revision compare as text (`0..1..0 < 0..1..1`); a malformed revision (`1-ruff`) is just
//! "not clean". Only empty text and characters apk never uses are errors.
use super::{check_text, split_digits, split_while, Number};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ApkVersion {
    /// Absent when the text does not start with a digit (`.1`, `a`).
    first: Option<Number>,
    /// The numbers after the first, each after a `.`.
    more: Vec<Fraction>,
    letter: Option<char>,
    /// Ends with a [`SuffixKind::Release`] marker, so that a missing suffix sorts as a release.
    suffixes: Vec<Suffix>,
    revision: Number,
    /// Nothing was left unparsed.
    clean: bool,
    /// What was left unparsed before any revision.
    leftover: String,
}

/// A number after a `.`. With a leading zero apk compares it as text, below any number without
/// one; the two rules together are a total order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fraction {
    LeadingZero(String),
    Plain(Number),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Suffix {
    kind: SuffixKind,
    number: Number,
}

/// In apk's order; `Release` stands for "no suffix".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SuffixKind {
    Alpha,
    Beta,
    Pre,
    Rc,
    Release,
    Cvs,
    Svn,
    Git,
    Hg,
    P,
}

/// Longer names first where one is a prefix of another (`pre` before `p`).
const SUFFIXES: [(&str, SuffixKind); 9] = [
    ("alpha", SuffixKind::Alpha),
    ("beta", SuffixKind::Beta),
    ("pre", SuffixKind::Pre),
    ("rc", SuffixKind::Rc),
    ("cvs", SuffixKind::Cvs),
    ("svn", SuffixKind::Svn),
    ("git", SuffixKind::Git),
    ("hg", SuffixKind::Hg),
    ("p", SuffixKind::P),
];

pub(super) fn parse(text: &str) -> Result<ApkVersion, String> {
    check_text("version", text, "._~-")?;
    let (first, rest) = split_digits(text);
    let (more, rest) = if first.is_empty() { (Vec::new(), rest) } else { parse_fractions(rest) };
    let (letter, rest) = parse_letter(rest);
    let (suffixes, rest) = parse_suffixes(rest);
    let (revision, clean, leftover) = parse_tail(skip_hash(rest));
    Ok(ApkVersion { first: (!first.is_empty()).then(|| Number::new(first)), more, letter, suffixes, revision, clean, leftover: leftover.to_string() })
}

fn parse_fractions(mut text: &str) -> (Vec<Fraction>, &str) {
    let mut fractions = Vec::new();
    while let Some((digits, rest)) = text.strip_prefix('.').map(split_digits) {
        if digits.is_empty() {
            break;
        }
        fractions.push(if digits.starts_with('0') { Fraction::LeadingZero(digits.to_string()) } else { Fraction::Plain(Number::new(digits)) });
        text = rest;
    }
    (fractions, text)
}

fn parse_letter(text: &str) -> (Option<char>, &str) {
    match text.chars().next() {
        Some(c) if c.is_ascii_lowercase() => (Some(c), &text[1..]),
        _ => (None, text),
    }
}

fn parse_suffixes(mut text: &str) -> (Vec<Suffix>, &str) {
    let mut suffixes = Vec::new();
    while let Some((suffix, rest)) = text.strip_prefix('_').and_then(parse_suffix) {
        suffixes.push(suffix);
        text = rest;
    }
    suffixes.push(Suffix { kind: SuffixKind::Release, number: Number::new("") });
    (suffixes, text)
}

fn parse_suffix(text: &str) -> Option<(Suffix, &str)> {
    let (name, kind) = SUFFIXES.iter().find(|(name, _)| text.starts_with(name))?;
    let (digits, rest) = split_digits(&text[name.len()..]);
    Some((Suffix { kind: *kind, number: Number::new(digits) }, rest))
}

/// Skips a `~hash` of lower-case hex digits.
fn skip_hash(text: &str) -> &str {
    let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    match text.strip_prefix('~').map(|after| split_while(after, hex)) {
        Some((hash, rest)) if !hash.is_empty() => rest,
        _ => text,
    }
}

/// Returns the revision, whether the text was clean, and any leftover before a revision.
fn parse_tail(text: &str) -> (Number, bool, &str) {
    let zero = Number::new("");
    if text.is_empty() {
        return (zero, true, "");
    }
    let Some(revision) = text.strip_prefix('-') else {
        return (zero, false, text);
    };
    match revision.strip_prefix('r').map(split_digits) {
        Some((digits, rest)) => (Number::new(digits), rest.is_empty(), ""),
        None => (zero, false, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apk(text: &str) -> ApkVersion {
        parse(text).unwrap()
    }

    #[test]
    fn suffixes_order_around_the_release() {
        let ordered = ["1.2_alpha", "1.2_beta2", "1.2_pre", "1.2_rc1", "1.2", "1.2_cvs", "1.2_svn", "1.2_git", "1.2_hg", "1.2_p1"];
        for pair in ordered.windows(2) {
            assert!(apk(pair[0]) < apk(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn more_numbers_win_and_leading_zeros_compare_as_text() {
        assert!(apk("1") < apk("1.0"));
        assert!(apk("1.02") < apk("1.1"));
        assert!(apk("1.1") < apk("1.10"));
        assert_eq!(apk("1.0~abc123-r1"), apk("1.0-r1"));
    }
}
