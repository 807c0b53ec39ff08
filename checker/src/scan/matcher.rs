//! Matching: which database records affect which inventory packages, by each ecosystem's own
//! version order, and how severe each finding is.
//!
//! What must hold: a package is affected when some range of a record's entry for its ecosystem
//! and (Debian: source) package contains its version, or the entry lists the version; a version
//! that does not parse never silently counts as "not affected": it is a problem the caller must
//! surface. Binary packages built from one source share one finding.
use std::cmp::Ordering;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::cvss::{self, Severity};
use super::db::Database;
use super::db::{Event, RangeKind, StoredAffected, StoredRecord};
use super::ecosystem::VersionScheme;
use super::inventory::{Inventory, Package};
use super::version::Version;

/// One advisory affecting one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The advisory id (`DEBIAN-CVE-2023-45853`, `GHSA-…`).
    pub id: String,
    pub aliases: Vec<String>,
    /// The OSV ecosystem (`Debian:12`, `npm`, …).
    pub ecosystem: String,
    /// The installed package(s): several binaries of one Debian source share a finding.
    pub packages: Vec<String>,
    /// The name advisories use (the Debian source package, else the package).
    pub advisory_package: String,
    pub installed: String,
    /// The first version that fixes it, when there is one.
    pub fixed: Option<String>,
    pub severity: Severity,
    /// The CVSS v3 base score the severity came from, if any.
    pub score: Option<f64>,
    pub summary: String,
    /// Where the package was found, and the layer that put it there.
    pub location: String,
    pub layer: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Matches {
    pub findings: Vec<Finding>,
    /// Versions that could not be compared although an advisory names the package.
    pub problems: Vec<String>,
}

pub(crate) fn find(inventory: &Inventory, db: &Database) -> Matches {
    let mut matches = Matches::default();
    // Binary packages built from one source share its records: each is read once.
    let mut read: HashMap<(String, &str), Vec<StoredRecord>> = HashMap::new();
    for package in &inventory.packages {
        let (name, version) = package.advisory_name();
        let records = read.entry((package.ecosystem.osv_name(), name)).or_insert_with(|| db.affected(&package.ecosystem, name));
        for record in records.iter() {
            let affected = &record.affected[0];
            match affects(package.ecosystem.scheme(), version, affected) {
                Ok(Some(fixed)) => add(&mut matches.findings, finding(package, record, affected, fixed)),
                Ok(None) => {}
                Err(problem) => matches.problems.push(format!("{} {name} {version} vs {}: {problem}", package.ecosystem, record.id)),
            }
        }
    }
    matches.findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    matches
}

/// Merges a finding into one for the same advisory and source, else adds it.
fn add(findings: &mut Vec<Finding>, new: Finding) {
    let same = findings
        .iter_mut()
        .find(|f| f.id == new.id && f.advisory_package == new.advisory_package && f.installed == new.installed && f.ecosystem == new.ecosystem);
    match same {
        Some(existing) => {
            for package in new.packages {
                if !existing.packages.contains(&package) {
                    existing.packages.push(package);
                }
            }
        }
        None => findings.push(new),
    }
}

fn finding(package: &Package, record: &StoredRecord, affected: &StoredAffected, fixed: Fixed) -> Finding {
    let (severity, score) = severity(record, affected);
    let (advisory_package, installed) = package.advisory_name();
    Finding {
        id: record.id.clone(),
        aliases: record.aliases.clone(),
        ecosystem: package.ecosystem.osv_name(),
        packages: vec![package.name.clone()],
        advisory_package: advisory_package.to_string(),
        installed: installed.to_string(),
        fixed: fixed.0,
        severity,
        score,
        summary: record.summary.clone(),
        location: package.location.clone(),
        layer: package.layer,
    }
}

/// The fix version of a matching range (`None` inside when unfixed).
struct Fixed(Option<String>);

/// Whether `version` is affected by the entry, and if so the version that fixes it.
fn affects(scheme: VersionScheme, version: &str, affected: &StoredAffected) -> Result<Option<Fixed>, String> {
    let installed = Version::parse(scheme, version)?;
    if affected.versions.iter().any(|listed| Version::parse(scheme, listed).is_ok_and(|v| v == installed)) {
        return Ok(Some(Fixed(first_fix(scheme, &installed, affected)?)));
    }
    for range in affected.ranges.iter().filter(|r| matches!(r.kind, RangeKind::Ecosystem | RangeKind::Semver)) {
        let range_scheme = if range.kind == RangeKind::Semver { VersionScheme::SemVer } else { scheme };
        let installed = Version::parse(range_scheme, version)?;
        if in_range(range_scheme, &installed, &range.events)? {
            return Ok(Some(Fixed(fix_in(range_scheme, &installed, &range.events)?)));
        }
    }
    Ok(None)
}

/// OSV's evaluation: walk the events in version order; `introduced` opens, `fixed` and `limit`
/// close at their version, `last_affected` closes after its version.
fn in_range(scheme: VersionScheme, version: &Version, events: &[Event]) -> Result<bool, String> {
    let mut ordered: Vec<(Option<Version>, &Event)> = Vec::new();
    for event in events {
        let bound = match event {
            Event::Introduced(v) if v == "0" => None,
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => Some(Version::parse(scheme, v)?),
        };
        ordered.push((bound, event));
    }
    ordered.sort_by(|(a, _), (b, _)| match (a, b) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(a), Some(b)) => a.cmp(b),
    });
    let mut affected = false;
    for (bound, event) in ordered {
        let reached = bound.as_ref().is_none_or(|b| version >= b);
        match event {
            Event::Introduced(_) if reached => affected = true,
            Event::Fixed(_) | Event::Limit(_) if reached => affected = false,
            Event::LastAffected(_) if bound.as_ref().is_some_and(|b| version > b) => affected = false,
            _ => {}
        }
    }
    Ok(affected)
}

/// The lowest `fixed` above the installed version.
fn fix_in(scheme: VersionScheme, version: &Version, events: &[Event]) -> Result<Option<String>, String> {
    let mut best: Option<Version> = None;
    for event in events {
        if let Event::Fixed(text) = event {
            let fixed = Version::parse(scheme, text)?;
            if &fixed > version && best.as_ref().is_none_or(|b| &fixed < b) {
                best = Some(fixed);
            }
        }
    }
    Ok(best.map(|v| v.as_str().to_string()))
}

fn first_fix(scheme: VersionScheme, version: &Version, affected: &StoredAffected) -> Result<Option<String>, String> {
    let events: Vec<Event> = affected.ranges.iter().flat_map(|r| r.events.clone()).collect();
    fix_in(scheme, version, &events)
}

/// The highest CVSS v3 score of the package's entry, else of the record; else the advisory's
/// own label; else `Unknown`.
fn severity(record: &StoredRecord, affected: &StoredAffected) -> (Severity, Option<f64>) {
    let best_score =
        |vectors: &[super::db::Severity]| vectors.iter().filter(|s| s.kind == "CVSS_V3").filter_map(|s| cvss::base_score(&s.score).ok()).reduce(f64::max);
    if let Some(score) = best_score(&affected.severity).or_else(|| best_score(&record.severity)) {
        return (Severity::from_score(score), Some(score));
    }
    let label = affected.label.as_deref().or(record.label.as_deref());
    (label.and_then(|l| Severity::parse(l).ok()).unwrap_or(Severity::Unknown), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(list: &[(&str, &str)]) -> Vec<Event> {
        list.iter()
            .map(|(kind, v)| match *kind {
                "introduced" => Event::Introduced(v.to_string()),
                "fixed" => Event::Fixed(v.to_string()),
                "last_affected" => Event::LastAffected(v.to_string()),
                _ => Event::Limit(v.to_string()),
            })
            .collect()
    }

    fn inside(scheme: VersionScheme, version: &str, list: &[(&str, &str)]) -> bool {
        in_range(scheme, &Version::parse(scheme, version).unwrap(), &events(list)).unwrap()
    }

    #[test]
    fn osv_range_semantics() {
        let semver = VersionScheme::SemVer;
        assert!(inside(semver, "1.2.5", &[("introduced", "0"), ("fixed", "1.2.6")]));
        assert!(!inside(semver, "1.2.6", &[("introduced", "0"), ("fixed", "1.2.6")]));
        assert!(inside(semver, "1.3.0", &[("introduced", "0"), ("last_affected", "1.3.0")]));
        assert!(!inside(semver, "1.3.1", &[("introduced", "0"), ("last_affected", "1.3.0")]));
        let two_ranges = [("introduced", "1.0.0"), ("fixed", "1.0.5"), ("introduced", "2.0.0"), ("fixed", "2.0.3")];
        assert!(!inside(semver, "0.9.0", &two_ranges));
        assert!(!inside(semver, "1.5.0", &two_ranges));
        assert!(inside(semver, "2.0.1", &two_ranges));
        let dpkg = VersionScheme::Dpkg;
        assert!(inside(dpkg, "1:1.2.13.dfsg-1", &[("introduced", "0")]), "unfixed: every version");
        assert!(!inside(dpkg, "2.36-9+deb12u4", &[("introduced", "0"), ("fixed", "2.36-9+deb12u3")]));
        assert!(inside(dpkg, "2.36-9+deb12u2", &[("introduced", "0"), ("fixed", "2.36-9+deb12u3")]));
    }

    #[test]
    fn unparsable_versions_are_errors() {
        let version = Version::parse(VersionScheme::SemVer, "1.0.0").unwrap();
        assert!(in_range(VersionScheme::SemVer, &version, &events(&[("introduced", "0"), ("fixed", "not a version!")])).is_err());
    }
}
