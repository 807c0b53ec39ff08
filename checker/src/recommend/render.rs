//! `recommend`'s output: a table of the candidates, best first, then the pick with its reasons
//! and what moving to it asks (text), or the whole [`Recommendation`] (JSON, documented in
//! `checker/docs/recommend.md`).
//!
//! What must hold: names that came from a registry or the daemon reach the terminal only through
//! [`crate::escape::visible`]; the JSON carries every fact the text shows.
use super::facts::BaseFacts;
use super::rank::{Ranked, Recommendation};
use crate::escape::visible;
use crate::units::format_size;

/// The version of the JSON's shape: it changes when a field is renamed or removed.
const SCHEMA_VERSION: u32 = 1;

/// The recommendation as JSON.
pub(crate) fn json(recommendation: &Recommendation) -> String {
    let mut value = serde_json::to_value(recommendation).expect("a recommendation is plain data");
    value["schema_version"] = SCHEMA_VERSION.into();
    serde_json::to_string_pretty(&value).expect("a JSON value prints") + "\n"
}

/// The recommendation as text.
pub(crate) fn human(recommendation: &Recommendation) -> String {
    let mut out = match &recommendation.base {
        Some(base) => format!("{}: its base is {}, {}.\n", visible(&recommendation.subject), visible(base), recommendation.base_found_by),
        None => format!("{}: {}.\n", visible(&recommendation.subject), recommendation.base_found_by),
    };
    out.push_str(&format!("Support windows as of {}.\n\n", recommendation.today));
    out.push_str(&table(&recommendation.candidates));
    match recommendation.pick() {
        Some(pick) if pick.current => out.push_str(&format!("\nKeep {}: no base this room has does better.\n", visible(&pick.base.name))),
        Some(pick) => out.push_str(&pick_text(pick)),
        None => out.push_str("\nNo candidate base could be compared.\n"),
    }
    if !recommendation.skipped.is_empty() {
        out.push_str("\nNot compared:\n");
        for skipped in &recommendation.skipped {
            out.push_str(&format!("  - {}: {}\n", visible(&skipped.name), skipped.why));
        }
    }
    out
}

fn pick_text(pick: &Ranked) -> String {
    let local = pick.base.local.first().filter(|local| **local != pick.base.name).map(|local| format!(" (here: {})", visible(local))).unwrap_or_default();
    let mut out = format!("\nRecommended: {}{local}\n  Why:\n", visible(&pick.base.name));
    for reason in &pick.reasons {
        out.push_str(&format!("    - {reason}\n"));
    }
    if !pick.changes.is_empty() {
        out.push_str("  What you would change:\n");
        for change in &pick.changes {
            out.push_str(&format!("    - {change}\n"));
        }
    }
    out
}

const HEADERS: [&str; 8] = ["Base", "Size", "Vulns C/H/M/L", "Shell", "Pkg mgr", "libc", "User", "Support"];

fn table(candidates: &[Ranked]) -> String {
    let rows: Vec<[String; 8]> = candidates.iter().map(|r| row(&r.base)).collect();
    let widths: Vec<usize> = (0..HEADERS.len()).map(|i| rows.iter().map(|row| row[i].chars().count()).chain([HEADERS[i].len()]).max().unwrap_or(0)).collect();
    let line = |mark: &str, cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        format!("{mark} {}\n", padded.join("  ").trim_end())
    };
    let mut out = line("   ", &HEADERS.map(String::from));
    for (place, (ranked, cells)) in candidates.iter().zip(&rows).enumerate() {
        let mark = if ranked.current { format!("{:>2}*", place + 1) } else { format!("{:>2} ", place + 1) };
        out.push_str(&line(&mark, cells));
    }
    if candidates.iter().any(|r| r.current) {
        out.push_str("  * the current base\n");
    }
    out
}

fn row(base: &BaseFacts) -> [String; 8] {
    let f = &base.findings;
    let vulns = format!("{}/{}/{}/{} ({} fixable)", f.critical.total, f.high.total, f.medium.total, f.low.total, f.fixable());
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let support = base.support.as_ref().map_or_else(|| "unknown".to_string(), |s| s.summary.clone());
    [
        visible(&base.name),
        format_size(base.size),
        vulns,
        yes_no(base.shell),
        yes_no(base.package_manager),
        base.libc.as_str().into(),
        visible(base.user_shown()),
        support,
    ]
}
