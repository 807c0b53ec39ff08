//! The ranking: pure code over [`BaseFacts`]. Candidates are ordered by, in turn: the runtimes the
//! app needs that they lack (an app's runtime is not optional: the current base's runtimes that
//! the image's command names, else that the base's own command names, else all of them), their
//! support window (supported, unknown, ended), whether their C library differs, their known
//! vulnerabilities from critical down, a shell, a package manager and root as their user, and
//! size. Each candidate says why it is better or worse than the current base, and what the
//! learner would change to move to it.
//!
//! What must hold: the same facts give the same order (ties keep the candidates' order); the
//! current base is ranked like any candidate, so when nothing beats it the recommendation is to
//! keep it.
use chrono::NaiveDate;
use serde::Serialize;

use super::facts::{BaseFacts, Libc, Runtime};
use crate::units::format_size;

/// The outcome of `recommend`: the candidates, best first, with their reasons and changes.
#[derive(Debug, Serialize)]
pub(crate) struct Recommendation {
    /// What was compared: an exercise's Dockerfile, an image or an archive.
    pub subject: String,
    /// The current base as the image names it, when known (`node:20-bookworm`).
    pub base: Option<String>,
    /// How the current base was found.
    pub base_found_by: String,
    /// The day support windows were judged on.
    pub today: NaiveDate,
    /// Best first.
    pub candidates: Vec<Ranked>,
    /// Candidates that could not be compared, and why.
    pub skipped: Vec<Skipped>,
}

/// A candidate in its place.
#[derive(Debug, Serialize)]
pub(crate) struct Ranked {
    #[serde(flatten)]
    pub base: BaseFacts,
    /// Whether it is the current base.
    pub current: bool,
    /// How it compares with the current base.
    pub reasons: Vec<String>,
    /// What moving to it asks of the learner.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Skipped {
    pub name: String,
    pub why: String,
}

/// What the candidates are compared with: the current base (one of them, at `index`), or, when
/// the base is none of them, the image itself.
pub(crate) enum Baseline {
    Candidate(usize),
    Image(Box<BaseFacts>),
}

/// What was compared, and how its base was found.
pub(crate) struct Subject {
    pub name: String,
    pub base: Option<String>,
    pub found_by: String,
    /// The words of the command the image runs (its `ENTRYPOINT` and `CMD`), when known.
    pub command: Vec<String>,
}

/// Ranks `candidates` against the baseline.
pub(crate) fn recommend(subject: Subject, candidates: Vec<BaseFacts>, baseline: Baseline, skipped: Vec<Skipped>, today: NaiveDate) -> Recommendation {
    let (reference, current) = match baseline {
        Baseline::Candidate(index) => (candidates[index].clone(), Some(index)),
        Baseline::Image(image) => (*image, None),
    };
    let needed = needed_runtimes(&reference, &subject.command);
    let mut ranked: Vec<(usize, Ranked)> = candidates
        .into_iter()
        .enumerate()
        .map(|(index, base)| {
            let is_current = current == Some(index);
            let (reasons, changes) =
                if is_current { (vec!["the current base".to_string()], Vec::new()) } else { (reasons(&base, &reference), changes(&base, &reference, &needed)) };
            (index, Ranked { base, current: is_current, reasons, changes })
        })
        .collect();
    ranked.sort_by_key(|(index, r)| (key(&r.base, &reference, &needed), *index));
    Recommendation {
        subject: subject.name,
        base: subject.base,
        base_found_by: subject.found_by,
        today,
        candidates: ranked.into_iter().map(|(_, r)| r).collect(),
        skipped,
    }
}

impl Recommendation {
    /// The best candidate, if any could be compared.
    pub(crate) fn pick(&self) -> Option<&Ranked> {
        self.candidates.first()
    }
}

/// The runtimes of the current base the app needs: those the image's command names, else those
/// the base's own command names, else every one it has.
fn needed_runtimes(reference: &BaseFacts, command: &[String]) -> Vec<Runtime> {
    let named = [reference.runtimes_named(command), reference.runtimes_named(&reference.command)].into_iter().find(|named| !named.is_empty());
    named.map_or_else(|| reference.runtimes.clone(), |named| named.into_iter().cloned().collect())
}

/// Smaller is better; see the module's order.
fn key(candidate: &BaseFacts, reference: &BaseFacts, needed: &[Runtime]) -> (usize, u8, bool, [usize; 5], u8, u64) {
    let lacking = needed.iter().filter(|r| candidate.runtime(&r.name).is_none()).count();
    let support = match &candidate.support {
        Some(support) if !support.ended => 0,
        None => 1,
        Some(_) => 2,
    };
    let libc_differs = candidate.libc != reference.libc;
    let tools = u8::from(candidate.shell) + u8::from(candidate.package_manager) + u8::from(candidate.user_shown() == "root");
    (lacking, support, libc_differs, candidate.findings.weight(), tools, candidate.size)
}

/// How `candidate` compares with the current base, one reason a line.
fn reasons(candidate: &BaseFacts, reference: &BaseFacts) -> Vec<String> {
    let mut reasons = Vec::new();
    match (&candidate.support, &reference.support) {
        (Some(ours), Some(theirs)) if !ours.ended && theirs.ended => {
            reasons.push(format!("still supported ({}), the current base is not ({})", ours.summary, theirs.summary));
        }
        (Some(ours), Some(theirs)) if ours.ended && theirs.ended => reasons.push(format!("past its end of life like the current base ({})", ours.summary)),
        (Some(ours), _) if ours.ended => reasons.push(format!("past its end of life ({})", ours.summary)),
        (Some(ours), _) => reasons.push(ours.summary.clone()),
        (None, _) => reasons.push("no support dates known".to_string()),
    }
    let (ours, theirs) = (&candidate.findings, &reference.findings);
    let fixable = if ours.fixable() > 0 { format!(", {} with a fix", ours.fixable()) } else { String::new() };
    match ours.total().cmp(&theirs.total()) {
        std::cmp::Ordering::Less => reasons.push(format!(
            "{} fewer known vulnerabilities ({}{fixable}; the current base has {})",
            theirs.total() - ours.total(),
            ours.total(),
            theirs.total()
        )),
        std::cmp::Ordering::Greater => reasons.push(format!(
            "{} more known vulnerabilities ({}{fixable}; the current base has {})",
            ours.total() - theirs.total(),
            ours.total(),
            theirs.total()
        )),
        std::cmp::Ordering::Equal => {}
    }
    if reference.shell && !candidate.shell {
        reasons.push("no shell".into());
    }
    if reference.package_manager && !candidate.package_manager {
        reasons.push("no package manager".into());
    }
    match candidate.size.cmp(&reference.size) {
        std::cmp::Ordering::Less => reasons.push(format!(
            "{} smaller ({} instead of {})",
            format_size(reference.size - candidate.size),
            format_size(candidate.size),
            format_size(reference.size)
        )),
        std::cmp::Ordering::Greater => reasons.push(format!(
            "{} larger ({} instead of {})",
            format_size(candidate.size - reference.size),
            format_size(candidate.size),
            format_size(reference.size)
        )),
        std::cmp::Ordering::Equal => {}
    }
    reasons
}

/// What the learner would change to move from the current base to `candidate`.
fn changes(candidate: &BaseFacts, reference: &BaseFacts, needed: &[Runtime]) -> Vec<String> {
    let mut changes = Vec::new();
    for runtime in needed {
        match candidate.runtime(&runtime.name) {
            None => changes.push(format!("no {}: the app would have to bring its own", runtime.name)),
            Some(there) if there.path != runtime.path => {
                changes.push(format!("{} is at {} (was {}): call it by that path, or rely on the base's ENTRYPOINT", runtime.name, there.path, runtime.path));
            }
            Some(_) => {}
        }
    }
    if let Some(change) = libc_change(reference.libc, candidate.libc) {
        changes.push(change);
    }
    if candidate.user_shown() != reference.user_shown() {
        let user = candidate.user_shown();
        changes.push(match user {
            "root" => format!("runs as root (was {}): add a USER line", reference.user_shown()),
            _ => format!("runs as {user} (was {}): what the app writes must belong to that user", reference.user_shown()),
        });
    }
    if reference.shell && !candidate.shell {
        changes.push("no shell: RUN steps after this FROM and shell-form CMD or ENTRYPOINT stop working; use exec form".into());
    }
    if reference.package_manager && !candidate.package_manager {
        changes.push("no package manager: install packages in a build stage and COPY them over".into());
    }
    changes
}

/// What a change of C library asks, when it asks anything.
fn libc_change(from: Libc, to: Libc) -> Option<String> {
    match (from, to) {
        (from, to) if from == to => None,
        (_, Libc::None) => Some(format!("no C library (was {}): only static programs run, e.g. Go built with CGO_ENABLED=0", from.as_str())),
        (Libc::None, _) => None,
        (from, to) => Some(format!("{} instead of {}: native programs and modules must be built for it", to.as_str(), from.as_str())),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::recommend::facts::{Count, Findings, Support};

    /// A base with nothing in particular, called `name`.
    pub(in crate::recommend) fn plain(name: &str) -> BaseFacts {
        base(name, 1, 0, false, None, false)
    }

    fn base(name: &str, size: u64, high: usize, shell: bool, runtime: Option<&str>, ended: bool) -> BaseFacts {
        BaseFacts {
            name: name.into(),
            local: vec![format!("local/{name}")],
            public: vec![name.into()],
            size,
            findings: Findings { high: Count { total: high, fixable: 0 }, ..Findings::default() },
            shell,
            package_manager: shell,
            libc: Libc::Glibc,
            user: if shell { String::new() } else { "65532".into() },
            runtimes: runtime.map(|path| vec![Runtime { name: "node".into(), path: path.into() }]).unwrap_or_default(),
            command: Vec::new(),
            support: Some(Support { until: NaiveDate::MIN, summary: format!("{name} window"), ended, estimated: false }),
            diff_ids: Vec::new(),
        }
    }

    fn subject() -> Subject {
        Subject { name: "01".into(), base: Some("node:20".into()), found_by: "the final FROM".into(), command: vec!["node".into(), "app.js".into()] }
    }

    fn order(recommendation: &Recommendation) -> Vec<&str> {
        recommendation.candidates.iter().map(|r| r.base.name.as_str()).collect()
    }

    #[test]
    fn the_runtime_comes_first_then_support_then_findings_and_tools() {
        let candidates = vec![
            base("node-full", 650, 9, true, Some("/usr/local/bin/node"), true),
            base("static", 2, 0, false, None, false),
            base("node-slim", 350, 3, true, Some("/usr/local/bin/node"), true),
            base("distroless-node", 110, 3, false, Some("/nodejs/bin/node"), true),
            base("node-24", 120, 1, false, Some("/nodejs/bin/node"), false),
        ];
        let recommendation = recommend(subject(), candidates, Baseline::Candidate(0), Vec::new(), NaiveDate::MIN);
        assert_eq!(order(&recommendation), ["node-24", "distroless-node", "node-slim", "node-full", "static"]);
        let pick = recommendation.pick().unwrap();
        assert_eq!(pick.reasons[0], "still supported (node-24 window), the current base is not (node-full window)");
        assert!(pick.reasons.contains(&"8 fewer known vulnerabilities (1; the current base has 9)".to_string()), "{:?}", pick.reasons);
        assert!(pick.reasons.contains(&"no shell".to_string()));
        assert!(pick.changes[0].starts_with("node is at /nodejs/bin/node (was /usr/local/bin/node)"), "{:?}", pick.changes);
        assert!(pick.changes.iter().any(|c| c.starts_with("runs as 65532 (was root)")));
        let current = recommendation.candidates.iter().find(|r| r.current).unwrap();
        assert_eq!((current.base.name.as_str(), current.reasons.as_slice()), ("node-full", ["the current base".to_string()].as_slice()));
        let last = recommendation.candidates.last().unwrap();
        assert_eq!(last.changes[0], "no node: the app would have to bring its own");
    }

    #[test]
    fn only_the_runtime_the_command_runs_is_needed() {
        let python = Runtime { name: "python3".into(), path: "/usr/bin/python3".into() };
        let mut current = base("node-full", 650, 9, true, Some("/usr/local/bin/node"), true);
        current.runtimes.push(python.clone());
        current.command = vec!["node".into()];
        let distroless = base("distroless-node", 110, 3, false, Some("/nodejs/bin/node"), true);
        let mut python_only = base("python", 100, 9, true, None, false);
        python_only.runtimes.push(python);
        let candidates = vec![current, python_only, distroless];
        let by_image = recommend(subject(), candidates.clone(), Baseline::Candidate(0), Vec::new(), NaiveDate::MIN);
        assert_eq!(order(&by_image), ["distroless-node", "node-full", "python"], "the image runs node: python3 is incidental");
        let unknown = Subject { command: vec!["/app".into()], ..subject() };
        let by_base = recommend(unknown, candidates, Baseline::Candidate(0), Vec::new(), NaiveDate::MIN);
        assert_eq!(order(&by_base), ["distroless-node", "node-full", "python"], "the base's own command runs node");
    }

    #[test]
    fn when_nothing_beats_the_current_base_it_is_kept() {
        let candidates = vec![base("old", 100, 5, true, None, true), base("best", 10, 0, false, None, false)];
        let recommendation = recommend(subject(), candidates, Baseline::Candidate(1), Vec::new(), NaiveDate::MIN);
        assert!(recommendation.pick().unwrap().current);
    }

    #[test]
    fn a_change_of_c_library_is_named() {
        assert_eq!(libc_change(Libc::Glibc, Libc::Glibc), None);
        assert_eq!(libc_change(Libc::None, Libc::Glibc), None, "a static program runs anywhere");
        assert!(libc_change(Libc::Glibc, Libc::None).unwrap().starts_with("no C library (was glibc)"));
        assert_eq!(libc_change(Libc::Glibc, Libc::Musl).unwrap(), "musl instead of glibc: native programs and modules must be built for it");
    }
}
