//! `scan`: no known vulnerability at or above the spec's severity in what the image ships, by
//! Shipshape's own engine over the pinned database (or Trivy's report), each finding traced to
//! the layer and Dockerfile line that brought its package, with advice on how to lose it. An
//! image that plainly holds packages whose records were removed (the scan's blind spots,
//! [`crate::scan::blind_spots`], found when the image is scanned) is unknown, which fails: no
//! scanner can vouch for what it cannot see.
use std::cmp::Reverse;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{deserialize, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity as CheckSeverity};
use crate::attribution::Origin;
use crate::markdown::code_span;
use crate::record::ScanRecord;
use crate::scan::blind_spots::BlindSpot;
use crate::scan::cvss::Severity;
use crate::scan::matcher::Finding;
use crate::scan::policy::{Disposition, IgnoreEntry, Policy};

pub(crate) struct Scan;

pub(super) static META: CheckMeta = CheckMeta {
    id: "scan",
    summary: "No known vulnerability at or above the limit in what the image ships",
    severity: CheckSeverity::Error,
    needs: Needs::Scan,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/scan.md"),
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    /// The lowest severity that fails: LOW, MEDIUM, HIGH (default) or CRITICAL.
    #[serde(default = "default_fail_on")]
    fail_on: String,
    /// Findings without a fixed version do not count.
    #[serde(default)]
    ignore_unfixed: bool,
    /// An ignore file, relative to the spec's folder.
    #[serde(default)]
    ignore_file: Option<String>,
    /// An OpenVEX document, relative to the spec's folder.
    #[serde(default)]
    vex_file: Option<String>,
    /// `shipshape` (default) or `trivy`.
    #[serde(default)]
    scanner: Option<String>,
}

fn default_fail_on() -> String {
    "HIGH".into()
}

/// The `scan` check's settings, validated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub policy: Policy,
    /// An ignore file, relative to the spec's folder (or absolute, from the command line).
    pub ignore_file: Option<PathBuf>,
    /// An OpenVEX document whose statements triage findings, as the ignore file's path is given.
    pub vex_file: Option<PathBuf>,
    pub scanner: Scanner,
}

/// Which engine scans the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scanner {
    /// Shipshape's own engine over the pinned database (the default).
    Shipshape,
    /// Trivy on PATH.
    Trivy,
}

const SCANNERS: [Scanner; 2] = [Scanner::Shipshape, Scanner::Trivy];

impl Scanner {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scanner::Shipshape => "shipshape",
            Scanner::Trivy => "trivy",
        }
    }

    /// `shipshape` or `trivy`.
    pub(crate) fn parse(name: &str) -> Result<Scanner, String> {
        SCANNERS.into_iter().find(|s| s.as_str() == name).ok_or_else(|| {
            let names: Vec<&str> = SCANNERS.iter().map(|s| s.as_str()).collect();
            format!("scanner must be one of {}, not `{name}`", names.join(", "))
        })
    }
}

/// The lowest severity that fails: LOW, MEDIUM, HIGH or CRITICAL.
pub(crate) fn fail_on(label: &str) -> Result<Severity, String> {
    let fail_on = Severity::parse(label)?;
    if fail_on == Severity::Unknown {
        return Err("fail-on must be LOW, MEDIUM, HIGH or CRITICAL".into());
    }
    Ok(fail_on)
}

/// A finding as the report shows it: the facts, what the policy made of it, and advice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingReport {
    #[serde(flatten)]
    pub finding: Finding,
    pub disposition: Shown,
    /// The ignore entry that covers the finding, or covered it until it expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<IgnoreNote>,
    pub advice: String,
}

/// What the policy made of a finding: whether it blocks the scan, and if not, why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shown {
    /// Blocking: at or above the spec's limit, and not ignored.
    Failing,
    /// Blocking: its ignore entry has expired, so it counts again.
    ExpiredIgnore,
    /// Not blocking: no fixed version exists and the spec lets unfixed findings through.
    NoFix,
    /// Not blocking: below the spec's limit.
    BelowLimit,
    /// Not blocking: an ignore entry covers it.
    Ignored,
}

impl Shown {
    fn of(disposition: &Disposition<'_>) -> Shown {
        match disposition {
            Disposition::Failing => Shown::Failing,
            Disposition::Expired(_) => Shown::ExpiredIgnore,
            Disposition::Unfixed => Shown::NoFix,
            Disposition::Below => Shown::BelowLimit,
            Disposition::Ignored(_) => Shown::Ignored,
        }
    }

    /// Whether the finding fails the scan.
    pub fn blocks(self) -> bool {
        matches!(self, Shown::Failing | Shown::ExpiredIgnore)
    }
}

/// An ignore entry as the report shows it: why, and the last day it ignores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoreNote {
    pub reason: String,
    /// The last day the entry ignores; absent when it ignores for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<chrono::NaiveDate>,
    /// The VEX statement that silenced the finding; absent for the ignore file's entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

impl Check for Scan {
    type Settings = Settings;

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<Settings, String> {
        let raw: RawSettings = deserialize(table)?;
        let policy = Policy { fail_on: fail_on(&raw.fail_on)?, ignore_unfixed: raw.ignore_unfixed };
        let scanner = raw.scanner.as_deref().map_or(Ok(Scanner::Shipshape), Scanner::parse)?;
        Ok(Settings { policy, ignore_file: raw.ignore_file.map(PathBuf::from), vex_file: raw.vex_file.map(PathBuf::from), scanner })
    }

    /// The threshold, whether unfixed findings count, and the ignore file (the scanner is the
    /// machine's business, not the learner's).
    fn asks(&self, settings: &Settings) -> Option<String> {
        let unfixed = if settings.policy.ignore_unfixed { " with a fix available" } else { "" };
        let files: Vec<String> = [&settings.ignore_file, &settings.vex_file].into_iter().flatten().map(|file| code_span(&file.display().to_string())).collect();
        let ignores = match files.as_slice() {
            [] => String::new(),
            [file] => format!(" Findings listed in {file} do not count."),
            both => format!(" Findings listed in {} do not count.", both.join(" or ")),
        };
        Some(format!("No known vulnerability{unfixed} of severity {} or above in what the image ships.{ignores}", settings.policy.fail_on.as_str()))
    }

    fn judge(&self, input: &Input<'_>, settings: &Settings) -> Outcome {
        let Some(scan) = input.scan else { return Outcome::skipped("the image was not scanned") };
        let policy = settings.policy;
        let mut judged: Vec<(&Finding, Disposition<'_>)> = scan.findings.iter().map(|f| (f, policy.judge(f, &scan.ignores, scan.today))).collect();
        judged.sort_by_key(|(f, d)| (!Shown::of(d).blocks(), Reverse(f.severity)));
        let blocking = judged.iter().filter(|(_, d)| Shown::of(d).blocks()).count();
        let evidence: Vec<Evidence> = judged.iter().map(|(f, d)| finding_evidence(f, d, policy, input.origin(f.layer))).collect();
        let summary = summary(scan, &judged, blocking, policy);
        if !scan.blind_spots.is_empty() {
            return unknown(&scan.blind_spots, &summary, evidence, input);
        }
        if blocking == 0 {
            return Outcome::pass(summary).with_evidence(evidence);
        }
        Outcome::fail(
            summary,
            evidence,
            "fewer packages, fewer CVEs: ship the app on a distroless or slim base, keep compilers and package \
             managers in the builder stage, and rebuild on updated bases; a finding without a fix only goes away \
             with its package",
        )
    }
}

/// The outcome for an image that holds packages the scan cannot see: unknown, a failure, with
/// the evidence of each blind spot before the findings.
fn unknown(unseen: &[BlindSpot], summary: &str, findings: Vec<Evidence>, input: &Input<'_>) -> Outcome {
    let mut evidence: Vec<Evidence> = unseen
        .iter()
        .map(|spot| match spot.layer {
            Some(layer) => Evidence::from_layer(&spot.message, spot.path.as_deref(), input.origin(layer)),
            None => Evidence { path: spot.path.clone(), ..Evidence::note(&spot.message) },
        })
        .collect();
    evidence.extend(findings);
    let what: Vec<&str> = unseen.iter().map(|spot| spot.what).collect();
    Outcome::fail(
        format!("unknown: the image holds {} that the scan cannot see; of what it can see: {summary}", what.join(" and ")),
        evidence,
        "keep the package records the image was built with (/var/lib/dpkg/status, /lib/apk/db/installed, each \
         package's package.json and *.dist-info): deleting them hides packages from scanners, not from attackers; \
         to ship fewer packages, remove them with their package manager or start from a smaller base",
    )
}

/// What blocks (or that nothing does) and against which limit, then what does not block and
/// why, then what was scanned: `nothing blocks (HIGH or above with a fix); 3 not blocking: 2
/// CRITICAL without a fix, 1 MEDIUM below HIGH; 20 packages scanned; database sha256:…`.
fn summary(scan: &ScanRecord, judged: &[(&Finding, Disposition<'_>)], blocking: usize, policy: Policy) -> String {
    let with_fix = if policy.ignore_unfixed { " with a fix" } else { "" };
    let limit = format!("{} or above{with_fix}", policy.fail_on.as_str());
    let blocks = match blocking {
        0 => format!("nothing blocks ({limit})"),
        n => format!("{n} {} ({limit}): {}", if n == 1 { "blocks" } else { "block" }, tally(judged, |shown| shown.blocks(), "").join(", ")),
    };
    let below = format!("below {}", policy.fail_on.as_str());
    let reasons = [(Shown::NoFix, "without a fix"), (Shown::BelowLimit, below.as_str()), (Shown::Ignored, "ignored")];
    let not_blocking: Vec<String> = reasons.iter().flat_map(|&(shown, why)| tally(judged, |s| s == shown, why)).collect();
    let rest = match judged.len() - blocking {
        0 if blocking == 0 => "; no findings".to_string(),
        0 => String::new(),
        n => format!("; {n} not blocking: {}", not_blocking.join(", ")),
    };
    let scanned = match &scan.database {
        Some(db) => format!("{} packages scanned; database {} ({} records, {} days old)", scan.packages, short_hash(&db.hash), db.records, db.age_days),
        None => format!("scanner {}", scan.scanner),
    };
    format!("{blocks}{rest}; {scanned}")
}

/// `2 CRITICAL{why}`, one per severity (highest first) among the findings whose status `counts`.
fn tally(judged: &[(&Finding, Disposition<'_>)], counts: impl Fn(Shown) -> bool, why: &str) -> Vec<String> {
    let severities = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Unknown];
    let suffix = if why.is_empty() { String::new() } else { format!(" {why}") };
    severities
        .into_iter()
        .filter_map(|severity| {
            let n = judged.iter().filter(|(f, d)| f.severity == severity && counts(Shown::of(d))).count();
            (n > 0).then(|| format!("{n} {}{suffix}", severity.as_str()))
        })
        .collect()
}

fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min("sha256:".len() + 12)]
}

fn finding_evidence(finding: &Finding, disposition: &Disposition<'_>, policy: Policy, origin: Origin) -> Evidence {
    let fix = finding.fixed.as_deref().map_or("no fix yet".to_string(), |v| format!("fixed in {v}"));
    let packages = if finding.packages == [finding.advisory_package.clone()] { String::new() } else { format!(" [{}]", finding.packages.join(", ")) };
    let advice = advice(finding, &origin);
    let message = format!(
        "{} · {} {} in {} {}{packages}, {fix}: {} → {advice}",
        status(disposition, policy),
        finding.severity.as_str(),
        finding.id,
        finding.advisory_package,
        finding.installed,
        finding.summary
    );
    let ignore = match disposition {
        Disposition::Ignored(entry) | Disposition::Expired(entry) => {
            Some(IgnoreNote { reason: entry.reason.clone(), expires: entry.expires, statement: entry.source.clone() })
        }
        _ => None,
    };
    let mut evidence = Evidence::from_layer(message, Some(&finding.location), origin);
    evidence.finding = Some(Box::new(FindingReport { finding: finding.clone(), disposition: Shown::of(disposition), ignore, advice }));
    evidence
}

/// Whether the finding blocks, and if not, why not, in words.
fn status(disposition: &Disposition<'_>, policy: Policy) -> String {
    let day = |entry: &IgnoreEntry, word: &str| entry.expires.map(|d| format!(" {word} {d}")).unwrap_or_default();
    match disposition {
        Disposition::Failing => "blocking".into(),
        Disposition::Expired(entry) => format!("blocking: its {} expired{}", written_in(entry), day(entry, "on")),
        Disposition::Unfixed => "not blocking: no fix".into(),
        Disposition::Below => format!("not blocking: below {}", policy.fail_on.as_str()),
        Disposition::Ignored(entry) => match &entry.source {
            Some(statement) => format!("ignored{} by {statement}: {}", day(entry, "until"), entry.reason),
            None => format!("ignored{} ({})", day(entry, "until"), entry.reason),
        },
    }
}

/// What an entry is, in words: an ignore entry, or the VEX statement that made it.
fn written_in(entry: &IgnoreEntry) -> String {
    entry.source.clone().unwrap_or_else(|| "ignore entry".to_string())
}

/// How to lose the finding, from where its package came from.
fn advice(finding: &Finding, origin: &Origin) -> String {
    let package = &finding.advisory_package;
    match (origin.learner_line(), &finding.fixed) {
        (None, Some(fixed)) => {
            format!("{package} comes with the base image: rebuild on a base that ships {fixed} or later (its updated tag, or a supported release if this one has ended), or on a smaller one without it")
        }
        (None, None) => format!("{package} comes with the base image and has no fix: switch to a base without it (distroless, slim)"),
        (Some(line), Some(fixed)) => format!("{package} was added at Dockerfile:{line}: upgrade it to {fixed}, or install it only in the builder stage"),
        (Some(line), None) => format!("{package} was added at Dockerfile:{line} and has no fix: drop it, or install it only in the builder stage"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::checks::Status;
    use crate::record::DatabaseSummary;

    fn finding(id: &str, severity: Severity, fixed: Option<&str>) -> Finding {
        Finding {
            id: id.into(),
            aliases: Vec::new(),
            ecosystem: "Debian:12".into(),
            packages: vec!["zlib".into()],
            advisory_package: "zlib".into(),
            installed: "1:1.2.13.dfsg-1".into(),
            fixed: fixed.map(str::to_string),
            severity,
            score: None,
            summary: "a flaw".into(),
            location: "var/lib/dpkg/status".into(),
            layer: 0,
        }
    }

    fn ignore(id: &str, expires: &str) -> IgnoreEntry {
        IgnoreEntry {
            id: id.into(),
            reason: "not reachable".into(),
            expires: NaiveDate::parse_from_str(expires, "%Y-%m-%d").ok(),
            source: None,
            packages: Vec::new(),
        }
    }

    /// Judges `findings` at HIGH on 2026-12-06, with these ignores, unfixed ones let through or not.
    fn judge(findings: Vec<Finding>, ignores: Vec<IgnoreEntry>, ignore_unfixed: bool) -> Outcome {
        let database = DatabaseSummary { hash: "sha256:0123456789abcdef".into(), records: 23, written_at: "2026-12-06T00:00:00Z".into(), age_days: 0 };
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let record =
            ScanRecord { scanner: "shipshape".into(), database: Some(database), os: None, packages: 20, findings, blind_spots: Vec::new(), ignores, today };
        let settings = Settings { policy: Policy { fail_on: Severity::High, ignore_unfixed }, ignore_file: None, vex_file: None, scanner: Scanner::Shipshape };
        Scan.judge(&Input { scan: Some(&record), ..Input::default() }, &settings)
    }

    /// Each listed finding's status and id, in the order listed.
    fn listed(outcome: &Outcome) -> Vec<(Shown, String)> {
        outcome.evidence.iter().map(|e| e.finding.as_ref().expect("a finding")).map(|f| (f.disposition, f.finding.id.clone())).collect()
    }

    const SCANNED: &str = "20 packages scanned; database sha256:0123456789ab (23 records, 0 days old)";

    #[test]
    fn a_pass_says_nothing_blocks_and_lists_what_does_not() {
        let findings = vec![finding("M", Severity::Medium, Some("2")), finding("C1", Severity::Critical, None), finding("C2", Severity::Critical, None)];
        let outcome = judge(findings, Vec::new(), true);
        assert_eq!(outcome.status, Status::Pass);
        assert_eq!(
            outcome.summary,
            format!("nothing blocks (HIGH or above with a fix); 3 not blocking: 2 CRITICAL without a fix, 1 MEDIUM below HIGH; {SCANNED}")
        );
        assert_eq!(listed(&outcome), [(Shown::NoFix, "C1".into()), (Shown::NoFix, "C2".into()), (Shown::BelowLimit, "M".into())]);
        assert!(outcome.evidence[0].message.starts_with("not blocking: no fix · CRITICAL C1 in zlib"), "{}", outcome.evidence[0].message);
        assert!(outcome.evidence[2].message.starts_with("not blocking: below HIGH · MEDIUM M in zlib 1:1.2.13.dfsg-1, fixed in 2:"));
        let clean = judge(Vec::new(), Vec::new(), false);
        assert_eq!((clean.status, clean.summary), (Status::Pass, format!("nothing blocks (HIGH or above); no findings; {SCANNED}")));
    }

    #[test]
    fn a_failure_counts_what_blocks_then_what_does_not_and_why() {
        let findings = vec![
            finding("L", Severity::Low, None),
            finding("H-ignored", Severity::High, Some("2")),
            finding("H-expired", Severity::High, Some("2")),
            finding("C", Severity::Critical, None),
        ];
        let ignores = vec![ignore("H-ignored", "2027-01-31"), ignore("H-expired", "2026-12-05")];
        let outcome = judge(findings, ignores, false);
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.summary, format!("2 block (HIGH or above): 1 CRITICAL, 1 HIGH; 2 not blocking: 1 LOW below HIGH, 1 HIGH ignored; {SCANNED}"));
        let statuses = [Shown::Failing, Shown::ExpiredIgnore, Shown::Ignored, Shown::BelowLimit];
        assert_eq!(listed(&outcome).iter().map(|(s, _)| *s).collect::<Vec<_>>(), statuses, "blocking first, then by severity");
        let messages: Vec<&str> = outcome.evidence.iter().map(|e| e.message.as_str()).collect();
        assert!(messages[0].starts_with("blocking · CRITICAL C in zlib 1:1.2.13.dfsg-1, no fix yet: a flaw → zlib comes with the base image"), "{messages:?}");
        assert!(messages[1].starts_with("blocking: its ignore entry expired on 2026-12-05 · HIGH H-expired"), "{messages:?}");
        assert!(messages[2].starts_with("ignored until 2027-01-31 (not reachable) · HIGH H-ignored"), "{messages:?}");
        let ignored = outcome.evidence[2].finding.as_ref().unwrap().ignore.clone();
        assert_eq!(ignored, Some(IgnoreNote { reason: "not reachable".into(), expires: NaiveDate::from_ymd_opt(2027, 1, 31), statement: None }));
        let one = judge(vec![finding("C", Severity::Critical, Some("2"))], Vec::new(), true);
        assert_eq!(one.summary, format!("1 blocks (HIGH or above with a fix): 1 CRITICAL; {SCANNED}"));
    }

    #[test]
    fn the_summary_never_contradicts_the_verdict() {
        let severities = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];
        for ignore_unfixed in [false, true] {
            for (i, severity) in severities.into_iter().enumerate() {
                for fixed in [None, Some("2")] {
                    let outcome =
                        judge(vec![finding("X", severity, fixed), finding("Y", severities[3 - i], None)], vec![ignore("Y", "2027-01-01")], ignore_unfixed);
                    let nothing_blocks = outcome.summary.starts_with("nothing blocks");
                    assert_eq!(nothing_blocks, outcome.status == Status::Pass, "{}", outcome.summary);
                    let blocking = listed(&outcome).iter().filter(|(s, _)| s.blocks()).count();
                    assert_eq!(blocking == 0, nothing_blocks, "{}", outcome.summary);
                }
            }
        }
    }

    #[test]
    fn advice_follows_where_the_package_came_from_and_whether_it_has_a_fix() {
        let base = Origin { layer: 0, instruction: Some("FROM node:20-trixie".into()), line: Some(3), from_base: true };
        let own = Origin { layer: 2, instruction: Some("RUN npm ci".into()), line: Some(9), from_base: false };
        let fixed = finding("GHSA-8qq5-rm4j-mr97", Severity::High, Some("7.5.3"));
        let unfixed = finding("DEBIAN-CVE-2023-45853", Severity::Critical, None);
        let from_base = advice(&fixed, &base);
        assert!(from_base.starts_with("zlib comes with the base image: rebuild on a base that ships 7.5.3 or later"), "{from_base}");
        assert!(from_base.contains("a supported release if this one has ended"), "an ended release gets no updated tag: {from_base}");
        assert!(advice(&unfixed, &base).contains("has no fix: switch to a base without it"));
        assert_eq!(advice(&fixed, &own), "zlib was added at Dockerfile:9: upgrade it to 7.5.3, or install it only in the builder stage");
        assert_eq!(advice(&unfixed, &own), "zlib was added at Dockerfile:9 and has no fix: drop it, or install it only in the builder stage");
    }

    fn asks(toml: &str) -> String {
        Scan.asks(&Scan.settings(&toml::from_str(toml).unwrap(), &ExerciseDefaults::default()).unwrap()).unwrap()
    }

    #[test]
    fn asks_for_the_threshold_with_its_defaults() {
        assert_eq!(asks(""), "No known vulnerability of severity HIGH or above in what the image ships.");
        assert_eq!(asks("scanner = \"trivy\"\nfail-on = \"medium\""), "No known vulnerability of severity MEDIUM or above in what the image ships.");
        assert_eq!(
            asks("fail-on = \"CRITICAL\"\nignore-unfixed = true\nignore-file = \".shipshape-ignore.toml\""),
            "No known vulnerability with a fix available of severity CRITICAL or above in what the image ships. \
             Findings listed in `.shipshape-ignore.toml` do not count."
        );
    }
}
