//! The scan policy: the severity that fails a scan, whether findings without a fix count, and the
//! ignore file — ids with a reason and an expiry date, after which they no longer ignore.
//!
//! What must hold: an ignore entry without a reason or with a malformed date is an error, not a
//! silent ignore; an expired entry ignores nothing and is reported as expired; the verdict depends
//! only on the findings, the settings, the entries and `today` (so a grade can be reproduced).
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::cvss::Severity;
use super::matcher::Finding;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct IgnoreEntry {
    /// An advisory id or alias (`CVE-2023-45853`, `DEBIAN-CVE-2023-45853`, `GHSA-…`).
    pub id: String,
    pub reason: String,
    /// The last day the entry ignores; `None` ignores for good.
    pub expires: Option<NaiveDate>,
    /// Where the entry was written, when not in the ignore file: the VEX statement that made it.
    pub source: Option<String>,
    /// The packages it is limited to (by name, binary or source); empty: any package.
    pub packages: Vec<String>,
}

impl IgnoreEntry {
    /// Whether the entry speaks of `finding`: its advisory (by id or alias), in a package it names.
    fn covers(&self, finding: &Finding) -> bool {
        let advisory = self.id == finding.id || finding.aliases.contains(&self.id);
        let package = |name: &String| *name == finding.advisory_package || finding.packages.contains(name);
        advisory && (self.packages.is_empty() || self.packages.iter().any(package))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    ignore: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    reason: String,
    #[serde(default)]
    expires: Option<toml::Value>,
}

/// Reads an ignore file: `[[ignore]]` tables with `id`, `reason` and optionally `expires = 2026-12-31`.
pub(crate) fn load_ignore_file(path: &Path) -> Result<Vec<IgnoreEntry>> {
    let bad = |cause: String| {
        Error::new(format!("the ignore file {} is not valid", path.display()))
            .because(cause)
            .action("write entries as [[ignore]] with id = \"CVE-…\", reason = \"why it does not apply\", expires = 2026-12-31")
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let raw: RawFile = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
    raw.ignore
        .into_iter()
        .map(|entry| {
            if entry.reason.trim().is_empty() {
                return Err(bad(format!("the entry for {} gives no reason", entry.id)));
            }
            let expires = entry.expires.map(|value| parse_date(&value)).transpose().map_err(|e| bad(format!("{}: {e}", entry.id)))?;
            Ok(IgnoreEntry { id: entry.id, reason: entry.reason, expires, source: None, packages: Vec::new() })
        })
        .collect()
}

pub(super) fn parse_date(value: &toml::Value) -> std::result::Result<NaiveDate, String> {
    let text = match value {
        toml::Value::Datetime(date) => date.to_string(),
        toml::Value::String(text) => text.clone(),
        other => return Err(format!("expires must be a date like 2026-12-31, not {other}")),
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| format!("expires = {text} is not a date like 2026-12-31"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Findings at or above this severity fail the scan.
    pub fail_on: Severity,
    /// Findings without a fixed version do not count.
    pub ignore_unfixed: bool,
}

/// What the policy made of each finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition<'a> {
    /// At or above the threshold: fails the scan.
    Failing,
    /// Below the threshold.
    Below,
    /// No fix exists and the policy ignores unfixed findings.
    Unfixed,
    /// An ignore entry covers it.
    Ignored(&'a IgnoreEntry),
    /// An ignore entry covered it until it expired; it counts again.
    Expired(&'a IgnoreEntry),
}

impl Policy {
    pub(crate) fn judge<'a>(&self, finding: &Finding, ignores: &'a [IgnoreEntry], today: NaiveDate) -> Disposition<'a> {
        let entry = ignores.iter().find(|e| e.covers(finding));
        if let Some(entry) = entry {
            if entry.expires.is_none_or(|last| today <= last) {
                return Disposition::Ignored(entry);
            }
        }
        let counted = match entry {
            Some(entry) => Disposition::Expired(entry),
            None => Disposition::Failing,
        };
        if self.ignore_unfixed && finding.fixed.is_none() {
            Disposition::Unfixed
        } else if finding.severity >= self.fail_on {
            counted
        } else {
            Disposition::Below
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, severity: Severity, fixed: Option<&str>) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec![id.replace("DEBIAN-", "")],
            ecosystem: "Debian:12".into(),
            packages: vec!["zlib1g".into()],
            advisory_package: "zlib".into(),
            installed: "1:1.2.13.dfsg-1".into(),
            fixed: fixed.map(str::to_string),
            severity,
            score: None,
            summary: String::new(),
            location: String::new(),
            layer: 0,
        }
    }

    #[test]
    fn thresholds_unfixed_and_expiry() {
        let policy = Policy { fail_on: Severity::High, ignore_unfixed: false };
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let critical = finding("DEBIAN-CVE-2023-45853", Severity::Critical, None);
        assert_eq!(policy.judge(&critical, &[], day("2026-11-26")), Disposition::Failing);
        assert_eq!(policy.judge(&finding("X", Severity::Medium, None), &[], day("2026-11-26")), Disposition::Below);
        let lenient = Policy { ignore_unfixed: true, ..policy };
        assert_eq!(lenient.judge(&critical, &[], day("2026-11-26")), Disposition::Unfixed);
        let entry =
            IgnoreEntry { id: "CVE-2023-45853".into(), reason: "minizip unused".into(), expires: Some(day("2026-12-31")), source: None, packages: Vec::new() };
        let entries = [entry.clone()];
        assert_eq!(policy.judge(&critical, &entries, day("2026-12-31")), Disposition::Ignored(&entry));
        assert_eq!(policy.judge(&critical, &entries, day("2027-01-01")), Disposition::Expired(&entry));
        let elsewhere = IgnoreEntry { packages: vec!["libxml2".into()], ..entry.clone() };
        assert_eq!(policy.judge(&critical, &[elsewhere], day("2026-12-31")), Disposition::Failing, "limited to another package");
        let here = IgnoreEntry { packages: vec!["zlib1g".into()], ..entry.clone() };
        assert_eq!(policy.judge(&critical, std::slice::from_ref(&here), day("2026-12-31")), Disposition::Ignored(&here));
    }

    #[test]
    fn ignore_files_are_strict() {
        let dir = std::env::temp_dir().join(format!("shipshape-ignore-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |text: &str| {
            let path = dir.join("ignore.toml");
            std::fs::write(&path, text).unwrap();
            load_ignore_file(&path)
        };
        let good = write("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = 2026-12-31\n[[ignore]]\nid = \"CVE-2\"\nreason = \"r\"\n").unwrap();
        assert_eq!(good[0].expires, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(good[1].expires, None);
        assert!(write("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"31/12/2026\"\n").unwrap_err().to_string().contains("not a date"));
        assert!(write("[[ignore]]\nid = \"CVE-1\"\nreason = \"\"\n").unwrap_err().to_string().contains("no reason"));
        assert!(write("[[ignore]]\nid = \"CVE-1\"\n").is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
