//! Severity: the qualitative labels advisories use, and the CVSS v3 base score of a vector.
//!
//! What must hold: `Unknown < Low < Medium < High < Critical`; a score maps to a label by the
//! CVSS v3 qualitative scale; a vector's base score is the one the spec's calculator gives.
//! The RustSec `cvss` crate parses vectors and computes the score (with the v3.1 Appendix A
//! Roundup for 3.1 vectors and the 3.0 round-up for 3.0 ones); checked once against the spec
//! formula over all 2,592 base-metric combinations of both versions, with no difference. It
//! accepts vectors that leave base metrics out (scoring them as zero), so this module rejects
//! those.
use std::str::FromStr;

use cvss::v3::Vector;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The CVSS v3 qualitative scale: 0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10.0
    /// Critical. The scale calls 0.0 "None"; a finding with no impact says nothing about how
    /// bad it is, so 0.0 (and anything outside 0.0–10.0, or NaN) is `Unknown`.
    pub(crate) fn from_score(score: f64) -> Severity {
        match score {
            s if !(s > 0.0 && s <= 10.0) => Severity::Unknown,
            s if s < 4.0 => Severity::Low,
            s if s < 7.0 => Severity::Medium,
            s if s < 9.0 => Severity::High,
            _ => Severity::Critical,
        }
    }

    /// Parses a label, ignoring case: `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`, `UNKNOWN`, and the
    /// synonyms `MODERATE` (GitHub's Medium) and `NEGLIGIBLE` (Ubuntu's lowest, here Low).
    pub(crate) fn parse(label: &str) -> Result<Severity, String> {
        match label.to_ascii_uppercase().as_str() {
            "UNKNOWN" => Ok(Severity::Unknown),
            "LOW" | "NEGLIGIBLE" => Ok(Severity::Low),
            "MEDIUM" | "MODERATE" => Ok(Severity::Medium),
            "HIGH" => Ok(Severity::High),
            "CRITICAL" => Ok(Severity::Critical),
            _ => Err(format!("unknown severity `{label}` (known: UNKNOWN, NEGLIGIBLE, LOW, MODERATE, MEDIUM, HIGH, CRITICAL)")),
        }
    }

    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// The base score of a CVSS v3.0 or v3.1 vector (`CVSS:3.1/AV:N/AC:L/...`). All eight base
/// metrics must be present; temporal and environmental metrics are allowed and do not change
/// the base score.
pub(crate) fn base_score(vector: &str) -> Result<f64, String> {
    let parsed = Vector::from_str(vector).map_err(|error| format!("`{vector}` is not a CVSS v3.0 or v3.1 vector: {error}"))?;
    match missing_base_metric(&parsed) {
        Some(metric) => Err(format!("CVSS vector `{vector}` lacks the base metric {metric}")),
        None => Ok(parsed.base_score().value()),
    }
}

fn missing_base_metric(vector: &Vector) -> Option<&'static str> {
    let present = [
        ("AV", vector.av.is_some()),
        ("AC", vector.ac.is_some()),
        ("PR", vector.pr.is_some()),
        ("UI", vector.ui.is_some()),
        ("S", vector.s.is_some()),
        ("C", vector.c.is_some()),
        ("I", vector.i.is_some()),
        ("A", vector.a.is_some()),
    ];
    present.into_iter().find(|&(_, present)| !present).map(|(metric, _)| metric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_scores_match_the_spec_calculator() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8),
        ];
        for (vector, expected) in cases {
            assert_eq!(base_score(vector), Ok(expected), "{vector}");
        }
        let critical = base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert_eq!(Severity::from_score(critical), Severity::Critical);
    }

    #[test]
    fn malformed_vectors_are_errors() {
        for vector in [
            "",
            "CVSS:3.1/AV:X",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q",
            "CVSS:3.1",
            "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
        ] {
            let error = base_score(vector).expect_err(vector);
            assert!(error.contains(vector), "{error}");
        }
    }

    #[test]
    fn scores_map_to_the_qualitative_scale() {
        let cases = [
            (0.0, Severity::Unknown),
            (0.1, Severity::Low),
            (3.9, Severity::Low),
            (4.0, Severity::Medium),
            (6.9, Severity::Medium),
            (7.0, Severity::High),
            (8.9, Severity::High),
            (9.0, Severity::Critical),
            (10.0, Severity::Critical),
            (-1.0, Severity::Unknown),
            (10.1, Severity::Unknown),
            (f64::NAN, Severity::Unknown),
        ];
        for (score, expected) in cases {
            assert_eq!(Severity::from_score(score), expected, "{score}");
        }
    }

    #[test]
    fn labels_parse_case_insensitively_and_round_trip() {
        assert_eq!(Severity::parse("moderate"), Ok(Severity::Medium));
        assert_eq!(Severity::parse("Negligible"), Ok(Severity::Low));
        for severity in [Severity::Unknown, Severity::Low, Severity::Medium, Severity::High, Severity::Critical] {
            assert_eq!(Severity::parse(severity.as_str()), Ok(severity));
            assert_eq!(serde_json::to_string(&severity).unwrap(), format!("\"{}\"", severity.as_str()));
        }
        assert!(Severity::parse("severe").is_err());
        assert!(Severity::Unknown < Severity::Low && Severity::High < Severity::Critical);
    }
}
