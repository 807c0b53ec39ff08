//! The compact form a record takes in the database: what matching and reporting need, nothing
//! more (no details text, no references, no commit ranges).
//!
//! What must hold: a stored record has at least one affected entry, and every affected entry is of
//! an ecosystem Shipshape scans; the same OSV record always compacts to the same value, so the
//! database's content hash depends only on the records.
use serde::{Deserialize, Serialize};

use crate::scan::ecosystem::Ecosystem;
pub use crate::scan::osv::Event;
use crate::scan::osv::{self, Record};
pub(crate) use crate::scan::osv::{RangeKind, Severity};

/// Longest summary kept when a record has none and it is taken from its details.
const SUMMARY_CHARS: usize = 200;

/// A record as stored: everything the matcher and the report need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecord {
    pub id: String,
    /// OSV's `modified`, as written (RFC 3339).
    pub modified: String,
    pub aliases: Vec<String>,
    /// The records this one derives from (e.g. the CVE of a `DEBIAN-CVE-…` record).
    pub upstream: Vec<String>,
    /// The summary, or else the first line of the details (shortened).
    pub summary: String,
    /// CVSS (and other) vectors of the whole record.
    pub severity: Vec<Severity>,
    /// The advisory's own severity word (`HIGH`, `MODERATE`, Debian's `urgency`), as written.
    pub label: Option<String>,
    pub affected: Vec<StoredAffected>,
}

/// One affected package of a stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAffected {
    #[serde(with = "ecosystem_name")]
    pub ecosystem: Ecosystem,
    /// The package name as OSV writes it (Debian: the source package).
    pub package: String,
    /// Only `ECOSYSTEM` and `SEMVER` ranges: commit ranges cannot match a package version.
    pub ranges: Vec<StoredRange>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
    /// Per-package vectors, when OSV gives them (they override the record's).
    pub severity: Vec<Severity>,
    /// A per-package severity word (`ecosystem_specific.urgency`, …), as written.
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRange {
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

/// What compacting one OSV record gave.
pub(super) struct Compacted {
    /// `None` when no affected entry is of a supported ecosystem.
    pub record: Option<StoredRecord>,
    /// The OSV ecosystem names of the affected entries left out (`(none)` without a package).
    pub skipped: Vec<String>,
}

/// Keeps a record's supported affected entries and the fields matching needs.
pub(super) fn compact(record: Record) -> Compacted {
    let label = record.label();
    let summary = summary(&record);
    let mut skipped = Vec::new();
    let affected: Vec<StoredAffected> =
        record.affected.into_iter().filter_map(|affected| compact_affected(affected).map_err(|ecosystem| skipped.push(ecosystem)).ok()).collect();
    let record = (!affected.is_empty()).then_some(StoredRecord {
        id: record.id,
        modified: record.modified,
        aliases: record.aliases,
        upstream: record.upstream,
        summary,
        severity: record.severity,
        label,
        affected,
    });
    Compacted { record, skipped }
}

/// The stored entry, or the ecosystem name it was skipped for.
fn compact_affected(affected: osv::Affected) -> Result<StoredAffected, String> {
    let label = affected.label();
    let package = affected.package.ok_or_else(|| "(none)".to_string())?;
    let ecosystem = Ecosystem::parse(&package.ecosystem).map_err(|_| package.ecosystem)?;
    let ranges = affected
        .ranges
        .into_iter()
        .filter(|range| matches!(range.kind, RangeKind::Ecosystem | RangeKind::Semver))
        .map(|range| StoredRange { kind: range.kind, events: range.events })
        .collect();
    Ok(StoredAffected { ecosystem, package: package.name, ranges, versions: affected.versions, severity: affected.severity, label })
}

fn summary(record: &Record) -> String {
    let text = record.summary.as_deref().filter(|s| !s.trim().is_empty()).or(record.details.as_deref()).unwrap_or("");
    let line = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("");
    match line.char_indices().nth(SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// Stores an [`Ecosystem`] as its OSV name.
mod ecosystem_name {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    use crate::scan::ecosystem::Ecosystem;

    pub(super) fn serialize<S: Serializer>(ecosystem: &Ecosystem, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&ecosystem.osv_name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Ecosystem, D::Error> {
        let name = <&str>::deserialize(deserializer)?;
        Ecosystem::parse(name).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Record {
        osv::parse(json.as_bytes(), "test.json").unwrap()
    }

    #[test]
    fn keeps_supported_entries_and_names_the_others() {
        let compacted = compact(record(
            r#"{"id": "DEBIAN-CVE-2023-45853", "modified": "2024-09-18T03:21:05Z", "upstream": ["CVE-2023-45853"],
                "details": "\nMiniZip in zlib through 1.3 has an integer overflow.\nMore.",
                "affected": [
                  {"package": {"ecosystem": "Debian:12", "name": "zlib"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}, {"type": "GIT", "events": [{"introduced": "abc"}]}],
                   "ecosystem_specific": {"urgency": "not yet assigned"}},
                  {"package": {"ecosystem": "Ubuntu:22.04", "name": "zlib"}}]}"#,
        ));
        let stored = compacted.record.unwrap();
        assert_eq!(stored.summary, "MiniZip in zlib through 1.3 has an integer overflow.");
        assert_eq!(stored.affected.len(), 1);
        assert_eq!(stored.affected[0].ecosystem, Ecosystem::Debian("12".into()));
        assert_eq!(stored.affected[0].ranges.len(), 1);
        assert_eq!(stored.affected[0].label.as_deref(), Some("not yet assigned"));
        assert_eq!(compacted.skipped, ["Ubuntu:22.04"]);
    }

    #[test]
    fn a_record_without_supported_entries_is_not_kept() {
        let compacted =
            compact(record(r#"{"id": "RUSTSEC-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "crates.io", "name": "x"}}]}"#));
        assert!(compacted.record.is_none());
        assert_eq!(compacted.skipped, ["crates.io"]);
    }

    #[test]
    fn long_details_are_cut_on_a_character() {
        let details = "é".repeat(SUMMARY_CHARS + 10);
        let compacted = compact(record(&format!(
            r#"{{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "details": "{details}", "affected": [{{"package": {{"ecosystem": "npm", "name": "x"}}}}]}}"#
        )));
        assert_eq!(compacted.record.unwrap().summary.chars().count(), SUMMARY_CHARS + 1);
    }
}
