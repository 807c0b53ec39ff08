//! The subset of the OSV schema (<https://ossf.github.io/osv-schema/>) that Shipshape reads: a
//! record's id, times, aliases, text, severity and affected packages with their ranges.
//!
//! What must hold: unknown fields are ignored (OSV evolves), but a record that is not JSON, has no
//! `id`, has a `modified` that is not an RFC 3339 time, or has an event that is not an object with
//! exactly one of `introduced`, `fixed`, `last_affected`, `limit` is an error naming where it came
//! from. Nothing here decides what is supported; that is the database's job.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// One OSV record (one `*.json` file of OSV's exports).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Record {
    pub id: String,
    /// When the record last changed (RFC 3339, UTC): the newer of two records with one id wins.
    pub modified: String,
    /// Set when the advisory was retracted.
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub aliases: Vec<String>,
    /// The records this one was derived from (Debian's `DEBIAN-CVE-…` name their CVE here).
    #[serde(default, deserialize_with = "nullable")]
    pub upstream: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Vec<Severity>,
    #[serde(default, deserialize_with = "nullable")]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// A severity score: `type` is `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, …; `score` the vector.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Severity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// One affected package of a record.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Vec<Severity>,
    #[serde(default, deserialize_with = "nullable")]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    #[serde(default, deserialize_with = "nullable")]
    pub versions: Vec<String>,
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Package {
    /// The OSV ecosystem name (`Debian:12`, `npm`, `Ubuntu:22.04`, …), supported or not.
    pub ecosystem: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

/// How a range's versions are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    /// The ecosystem's own version order (dpkg, apk, PEP 440, …).
    Ecosystem,
    /// Semantic versioning 2.0.
    Semver,
    /// Commit hashes: nothing a package version can be compared with.
    Git,
    /// A range type newer than this schema.
    #[serde(other)]
    Other,
}

/// One boundary of a range: `{"introduced": "0"}`, `{"fixed": "1.2.6"}`, ….
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// Parses one record; `origin` (a path, or `archive.zip: entry.json`) names it in errors.
pub(crate) fn parse(bytes: &[u8], origin: &str) -> Result<Record> {
    let invalid = || Error::new(format!("{origin} is not a valid OSV record"));
    let record: Record = serde_json::from_slice(bytes).map_err(|e| invalid().because(e))?;
    if record.id.trim().is_empty() {
        return Err(invalid().because("its `id` is empty"));
    }
    modified_time(&record.modified).ok_or_else(|| invalid().because(format!("`modified` ({}) is not an RFC 3339 time", record.modified)))?;
    Ok(record)
}

/// A record's `modified` as a time, for deciding which of two versions of a record is newer.
pub(crate) fn modified_time(modified: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(modified).ok().map(|time| time.with_timezone(&Utc))
}

impl Record {
    /// The advisory's own severity word: GitHub's `database_specific.severity` (`HIGH`,
    /// `MODERATE`, …) or Debian's `urgency`, as written.
    pub(crate) fn label(&self) -> Option<String> {
        label_in(&self.database_specific)
    }
}

impl Affected {
    /// A per-package severity word (`ecosystem_specific` or `database_specific` `severity` /
    /// `urgency`), as written.
    pub(crate) fn label(&self) -> Option<String> {
        label_in(&self.ecosystem_specific).or_else(|| label_in(&self.database_specific))
    }
}

fn label_in(specific: &Option<Value>) -> Option<String> {
    let specific = specific.as_ref()?;
    ["severity", "urgency"].iter().find_map(|key| specific.get(key)?.as_str()).map(str::to_string)
}

/// `null` reads as the empty list, as an absent field does.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    Option::<Vec<T>>::deserialize(deserializer).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMIST: &str = r#"{
        "schema_version": "1.6.0", "id": "GHSA-xvch-5gv4-984h", "modified": "2024-02-07T23:37:50.736Z",
        "aliases": ["CVE-2021-44906"], "summary": "Prototype Pollution in minimist",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{"package": {"ecosystem": "npm", "name": "minimist", "purl": "pkg:npm/minimist"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.2.4"}]}]}],
        "database_specific": {"severity": "CRITICAL", "github_reviewed": true}
    }"#;

    #[test]
    fn reads_a_github_advisory() {
        let record = parse(MINIMIST.as_bytes(), "minimist.json").unwrap();
        assert_eq!(record.id, "GHSA-xvch-5gv4-984h");
        assert_eq!(record.aliases, ["CVE-2021-44906"]);
        assert_eq!(record.label().as_deref(), Some("CRITICAL"));
        let range = &record.affected[0].ranges[0];
        assert_eq!(range.kind, RangeKind::Semver);
        assert_eq!(range.events, [Event::Introduced("0".into()), Event::Fixed("0.2.4".into())]);
    }

    #[test]
    fn rejects_events_that_are_not_one_known_key() {
        for event in [r#""0""#, r#"{"introduced": "0", "fixed": "1"}"#, r#"{"unknown": "1"}"#] {
            let json = MINIMIST.replace(r#"{"introduced": "0"}"#, event);
            let error = parse(json.as_bytes(), "bad.json").unwrap_err().to_string();
            assert!(error.contains("bad.json is not a valid OSV record"), "{error}");
        }
    }

    #[test]
    fn tolerates_nulls_and_unknown_fields() {
        let json = r#"{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "aliases": null, "new_field": [1]}"#;
        assert!(parse(json.as_bytes(), "x.json").unwrap().aliases.is_empty());
    }
}
