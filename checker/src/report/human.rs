//! The terminal rendering: one line per check, evidence and hint under failures, a verdict line.
//! A check that passes still lists its scan findings (none of them blocks) and the evidence of a
//! check whose evidence is the measurement (`CheckMeta::lists_on_pass`: the intruder's moves),
//! and a finding that
//! does not block is dimmed; past [`FINDINGS_SHOWN`] findings the rest are counted, not listed.
//! Colour only on a terminal and never with NO_COLOR (the caller decides; `colored` obeys).
//!
//! What must hold: what the image and the build said (the user, file names in evidence, log
//! lines) is shown [`escape::visible`], so it cannot add lines, colour or move the cursor.
use std::fmt::Write;

use colored::{ColoredString, Colorize};

use super::Report;
use crate::checks::{Evidence, Status};
use crate::escape;
use crate::units::{count, format_size};

pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    if let Some(image) = &report.image {
        let user = if image.user.is_empty() { "root (no USER)".to_string() } else { escape::visible(&image.user) };
        let compressed = image.compressed_size.map(|bytes| format!(" ({} compressed)", format_size(bytes))).unwrap_or_default();
        let _ = writeln!(out, "image {} · {}{compressed} · {} · user {}", short_id(&image.id), format_size(image.size), count(image.layers, "layer"), user);
    }
    for note in report.build.iter().flat_map(|b| &b.notes) {
        let _ = writeln!(out, "{} {}", "note:".dimmed(), escape::visible(note));
    }
    let width = report.checks.iter().map(|c| c.id.as_str().len()).max().unwrap_or(0);
    for check in &report.checks {
        let mark = match check.status {
            Status::Pass => "✔ pass".green(),
            Status::Fail => "✘ FAIL".red().bold(),
            Status::Error => "! ERROR".red(),
            Status::Skipped => "- skip".dimmed(),
        };
        let _ = writeln!(out, "{mark} {:width$}  {}", check.id.as_str().bold(), escape::visible(&check.summary));
        let failed = matches!(check.status, Status::Fail | Status::Error);
        let always = check.id.meta().lists_on_pass;
        let listed = check.evidence.iter().filter(|e| failed || always || e.finding.is_some());
        list_evidence(&mut out, listed);
        if failed {
            if let Some(hint) = &check.hint {
                let _ = writeln!(out, "         {} {}", "hint:".yellow(), escape::visible(hint));
            }
            let _ = writeln!(out, "         {} shipshape explain {}", "more:".dimmed(), check.id);
        }
    }
    let points = report.points;
    let verdict = if report.passed { "PASSED".green().bold() } else { "FAILED".red().bold() };
    let name = report.exercise.as_deref().map(|e| format!(" {e}")).unwrap_or_default();
    let _ = writeln!(out, "{verdict}{name}: {}/{} points", points.earned, points.possible);
    out
}

/// Findings listed in full under a check; JSON lists them all.
const FINDINGS_SHOWN: usize = 20;

/// Each piece of evidence on its line, findings past [`FINDINGS_SHOWN`] counted instead.
fn list_evidence<'a>(out: &mut String, evidence: impl Iterator<Item = &'a Evidence>) {
    let mut findings = 0;
    for item in evidence {
        findings += usize::from(item.finding.is_some());
        if item.finding.is_none() || findings <= FINDINGS_SHOWN {
            let _ = writeln!(out, "         {}", styled(item));
        }
    }
    if findings > FINDINGS_SHOWN {
        let _ = writeln!(out, "         {}", format!("… and {} more findings (--format json lists them all)", findings - FINDINGS_SHOWN).dimmed());
    }
}

/// The evidence's line, dimmed when it is a finding that does not block.
fn styled(evidence: &Evidence) -> ColoredString {
    let line = escape::visible(&evidence_line(evidence));
    match &evidence.finding {
        Some(finding) if !finding.disposition.blocks() => line.dimmed(),
        _ => line.normal(),
    }
}

/// One piece of evidence on one line: the message, then where it came from in brackets.
pub(crate) fn evidence_line(evidence: &Evidence) -> String {
    let mut line = evidence.message.clone();
    let mut origin = Vec::new();
    if let Some(layer) = evidence.layer {
        origin.push(format!("layer {layer}"));
    }
    if let Some(dockerfile_line) = evidence.dockerfile_line {
        origin.push(format!("Dockerfile:{dockerfile_line}"));
    }
    if let Some(instruction) = &evidence.instruction {
        let shown: String = instruction.chars().take(80).collect();
        let ellipsis = if instruction.chars().count() > 80 { "…" } else { "" };
        origin.push(format!("{shown}{ellipsis}"));
    }
    if !origin.is_empty() {
        let _ = write!(line, "  [{}]", origin.join(" · "));
    }
    line
}

fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{finding_evidence, scan_report};
    use crate::report::Shown;

    #[test]
    fn findings_that_do_not_block_are_dimmed_and_listed_on_a_pass() {
        let blocking = finding_evidence(Shown::Failing, None);
        assert!(!styled(&blocking).style.contains(colored::Styles::Dimmed));
        for shown in [Shown::NoFix, Shown::BelowLimit, Shown::Ignored] {
            assert!(styled(&finding_evidence(shown, None)).style.contains(colored::Styles::Dimmed), "{shown:?}");
        }
        let text = render(&scan_report(Status::Pass, vec![finding_evidence(Shown::NoFix, Some(4)), Evidence::note("not a finding")]));
        assert!(text.contains("NoFix · CRITICAL DEBIAN-CVE-2023-45853 in zlib  [layer 0 · Dockerfile:4]"), "{text}");
        assert!(!text.contains("not a finding"), "a pass lists its findings only: {text}");
    }

    #[test]
    fn a_long_list_of_findings_counts_the_rest() {
        let many = vec![finding_evidence(Shown::BelowLimit, None); FINDINGS_SHOWN + 3];
        let text = render(&scan_report(Status::Fail, many));
        assert_eq!(text.matches("BelowLimit · CRITICAL").count(), FINDINGS_SHOWN, "{text}");
        assert!(text.contains("… and 3 more findings (--format json lists them all)"), "{text}");
    }

    #[test]
    fn the_image_line_gives_the_size_and_what_a_registry_stores_when_known() {
        let first_line = |report: &Report| strip_ansi_escapes::strip_str(render(report)).lines().next().unwrap_or_default().to_string();
        let mut report = scan_report(Status::Pass, Vec::new());
        assert_eq!(first_line(&report), "image cd · 6.4 MB (2.9 MB compressed) · 2 layers · user 65532");
        report.image.as_mut().unwrap().compressed_size = None;
        assert_eq!(first_line(&report), "image cd · 6.4 MB · 2 layers · user 65532", "not measured");
        report.image.as_mut().unwrap().layers = 1;
        assert_eq!(first_line(&report), "image cd · 6.4 MB · 1 layer · user 65532");
    }
}
