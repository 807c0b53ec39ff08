//! The published figures (`book/src/figures/measurements.json`): what was measured for each
//! exercise, on what, and how a fresh measurement is compared with them.
//!
//! Must hold: sizes agree within ±[`SIZE_TOLERANCE_PERCENT`] (Debian's packages move between
//! point releases); finding counts agree exactly, and are compared only for the same database
//! hash (a different hash is a drift of its own); an exercise measured but not published, or
//! published but gone, is a drift; every drift is reported at once, one line each.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How far a size may move, in percent of the published size, before the figures are stale.
pub(super) const SIZE_TOLERANCE_PERCENT: f64 = 10.0;

/// Everything the measurements page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Figures {
    pub setup: Setup,
    pub exercises: Vec<Exercise>,
}

/// What the figures were measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Setup {
    /// The day of the measurement, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The machine's logical CPU cores.
    pub cores: usize,
    /// The image map the builds went through, as given on the command line; none: public images.
    pub image_map: Option<String>,
    pub database: Database,
}

/// The vulnerability database the scans matched against, as `shipshape db info` describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Database {
    /// `sha256:…` over its records: the same hash, the same findings.
    pub hash: String,
    pub records: u64,
}

/// One exercise: its starter Dockerfile and its reference solution, measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Exercise {
    /// The exercise's folder name, such as `03-go-distroless`.
    pub name: String,
    pub title: String,
    /// The chapter the exercise belongs to (a file stem), when its exercise.toml names one.
    pub chapter: Option<String>,
    pub starter: Sample,
    pub solution: Sample,
}

/// One measured image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Sample {
    /// Bytes of regular files over all layers (the JSON report's `image.size`).
    pub size: u64,
    /// Scan findings by severity, when the exercise has a `scan` check.
    pub findings: Option<Findings>,
}

/// Scan findings by severity: every match no ignore entry covers, whatever the exercise's policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Findings {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub unknown: u64,
}

impl Findings {
    /// The counts, most severe first, with the severities as the checker names them.
    pub(super) fn counts(&self) -> [(&'static str, u64); 5] {
        [("CRITICAL", self.critical), ("HIGH", self.high), ("MEDIUM", self.medium), ("LOW", self.low), ("UNKNOWN", self.unknown)]
    }

    pub(super) fn total(&self) -> u64 {
        self.counts().iter().map(|(_, count)| count).sum()
    }

    /// Adds `count` findings of `severity` (as the checker names it); `None` for an unknown name.
    pub(super) fn add(&mut self, severity: &str, count: u64) -> Option<()> {
        let slot = match severity {
            "CRITICAL" => &mut self.critical,
            "HIGH" => &mut self.high,
            "MEDIUM" => &mut self.medium,
            "LOW" => &mut self.low,
            "UNKNOWN" => &mut self.unknown,
            _ => return None,
        };
        *slot += count;
        Some(())
    }
}

impl Figures {
    pub(super) fn read(path: &Path) -> Result<Figures> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "there are no published figures to compare with: cannot read `{}` (publish them \
                 first with `cargo run -p shipshape-book -- measure`)",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("`{}` is not a measurements file", path.display()))
    }

    pub(super) fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the figures serialize") + "\n"
    }
}

/// A size for people: `658 MB`, `12.3 MB`, `1.88 MB`, `640 kB` (decimal units, as the checker).
pub(super) fn size(bytes: u64) -> String {
    let megabytes = bytes as f64 / 1e6;
    match megabytes {
        m if m >= 1000.0 => format!("{:.2} GB", m / 1000.0),
        m if m >= 100.0 => format!("{m:.0} MB"),
        m if m >= 10.0 => format!("{m:.1} MB"),
        m if m >= 1.0 => format!("{m:.2} MB"),
        _ => format!("{:.0} kB", bytes as f64 / 1e3),
    }
}

/// Every way `fresh` differs from `published` beyond the tolerance, one line each.
pub(super) fn drift(published: &Figures, fresh: &Figures) -> Vec<String> {
    let (old_db, new_db) = (&published.setup.database, &fresh.setup.database);
    let same_database = old_db.hash == new_db.hash;
    let mut lines = Vec::new();
    if !same_database {
        lines.push(format!(
            "the database is {} ({} records), the figures were published with {} ({} records): \
             finding counts only compare for the same database",
            new_db.hash, new_db.records, old_db.hash, old_db.records
        ));
    }
    for old in &published.exercises {
        match fresh.exercises.iter().find(|new| new.name == old.name) {
            Some(new) => exercise_drift(old, new, same_database, &mut lines),
            None => lines.push(format!("`{}` is published but was not measured (no such exercise any more)", old.name)),
        }
    }
    for new in &fresh.exercises {
        if !published.exercises.iter().any(|old| old.name == new.name) {
            lines.push(format!("`{}` was measured but is not published (a new exercise)", new.name));
        }
    }
    lines
}

fn exercise_drift(old: &Exercise, new: &Exercise, same_database: bool, lines: &mut Vec<String>) {
    let pairs = [("starter", &old.starter, &new.starter), ("solution", &old.solution, &new.solution)];
    for (variant, old_sample, new_sample) in pairs {
        let what = format!("`{}` {variant}", old.name);
        lines.extend(size_drift(&what, old_sample.size, new_sample.size));
        if same_database {
            lines.extend(findings_drift(&what, old_sample.findings, new_sample.findings));
        }
    }
}

fn size_drift(what: &str, published: u64, measured: u64) -> Option<String> {
    let change = (measured as f64 - published as f64) / published.max(1) as f64 * 100.0;
    (change.abs() > SIZE_TOLERANCE_PERCENT)
        .then(|| format!("{what}: size {} published, {} measured ({change:+.1} %, tolerance ±{SIZE_TOLERANCE_PERCENT} %)", size(published), size(measured)))
}

fn findings_drift(what: &str, published: Option<Findings>, measured: Option<Findings>) -> Vec<String> {
    match (published, measured) {
        (Some(old), Some(new)) => old
            .counts()
            .into_iter()
            .zip(new.counts())
            .filter(|((_, before), (_, now))| before != now)
            .map(|((severity, before), (_, now))| format!("{what}: {severity} findings {before} published, {now} measured"))
            .collect(),
        (None, Some(_)) => vec![format!("{what}: has a scan check now, and no findings were published")],
        (Some(_), None) => vec![format!("{what}: findings were published, and it has no scan check any more")],
        (None, None) => Vec::new(),
    }
}

#[cfg(test)]
impl Figures {
    /// Figures of `exercises`, measured on a made-up day with a 23-record database `hash`.
    pub(crate) fn for_tests(hash: &str, exercises: Vec<Exercise>) -> Figures {
        let database = Database { hash: hash.into(), records: 23 };
        Figures { setup: Setup { date: "2026-01-01".into(), cores: 2, image_map: None, database }, exercises }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(hash: &str, exercises: &[(&str, u64, Option<u64>)]) -> Figures {
        let sample = |size, high: Option<u64>| Sample { size, findings: high.map(|high| Findings { high, ..Findings::default() }) };
        Figures::for_tests(
            hash,
            exercises
                .iter()
                .map(|&(name, size, high)| Exercise {
                    name: name.into(),
                    title: name.into(),
                    chapter: None,
                    starter: sample(size, high),
                    solution: sample(size / 10, high.map(|_| 0)),
                })
                .collect(),
        )
    }

    #[test]
    fn sizes_within_the_tolerance_and_equal_counts_hold() {
        let published = figures("sha256:a", &[("01-a", 1_000_000, Some(4))]);
        let fresh = figures("sha256:a", &[("01-a", 1_099_000, Some(4))]);
        assert_eq!(drift(&published, &fresh), Vec::<String>::new());
    }

    #[test]
    fn each_drift_is_one_line() {
        let published = figures("sha256:a", &[("01-a", 1_000_000, Some(4)), ("02-b", 5, None)]);
        let fresh = figures("sha256:a", &[("01-a", 1_200_000, Some(3)), ("03-c", 5, None)]);
        assert_eq!(
            drift(&published, &fresh),
            [
                "`01-a` starter: size 1.00 MB published, 1.20 MB measured (+20.0 %, tolerance ±10 %)",
                "`01-a` starter: HIGH findings 4 published, 3 measured",
                "`01-a` solution: size 100 kB published, 120 kB measured (+20.0 %, tolerance ±10 %)",
                "`02-b` is published but was not measured (no such exercise any more)",
                "`03-c` was measured but is not published (a new exercise)",
            ]
        );
    }

    #[test]
    fn another_database_is_a_drift_and_its_counts_are_not_compared() {
        let published = figures("sha256:a", &[("01-a", 1_000_000, Some(4))]);
        let fresh = figures("sha256:b", &[("01-a", 1_000_000, Some(9))]);
        let lines = drift(&published, &fresh);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("the database is sha256:b (23 records)"));
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(658_190_000), "658 MB");
        assert_eq!(size(12_340_000), "12.3 MB");
        assert_eq!(size(1_880_000), "1.88 MB");
        assert_eq!(size(640_000), "640 kB");
        assert_eq!(size(1_230_000_000), "1.23 GB");
    }
}
