//! `intruder`: the attacker's view, measured. Through the app's own remote-command endpoint, in
//! the hardened container the `runs` probe started, the edge tried each of [`moves::MOVES`] and
//! recorded what the endpoint answered ([`Intrusion`]); this check judges those answers: a move
//! worked when its answer holds the proof only a shell that ran it to the end can print.
//!
//! What must hold: judging is pure (the answers are facts the edge gathered), every move is
//! listed, worked or blocked, with what the endpoint said, pass or fail; an endpoint that did not
//! answer a move makes the check an error, never a pass, since nothing was measured.
mod moves;

use serde::Deserialize;

use super::{deserialize, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::markdown::code_span;
use crate::record::{IntruderProbe, IntruderRequest, Intrusion};
use moves::{Move, MOVES, PROOF};

pub(super) struct Intruder;

pub(super) static META: CheckMeta = CheckMeta {
    id: "intruder",
    summary: "An intruder who runs commands through the app finds nothing to use",
    severity: Severity::Error,
    needs: Needs::Probe,
    lists_on_pass: true,
    doc: include_str!("../../docs/checks/intruder.md"),
};

/// The check's settings: where the app takes a command line, and how long each move may take.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Settings {
    /// The path and query before the command line, which is appended percent-encoded.
    endpoint: String,
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
}

fn default_timeout() -> u64 {
    10
}

impl Settings {
    /// The requests the edge sends, one per move.
    pub(crate) fn probe(&self) -> IntruderProbe {
        let requests =
            MOVES.iter().map(|step| IntruderRequest { move_id: step.id, path: format!("{}{}", self.endpoint, percent_encoded(&step.command())) }).collect();
        IntruderProbe { requests, timeout_seconds: self.timeout_seconds }
    }
}

/// `text` with every byte but URI's unreserved characters as `%XX`.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(byte).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

const HINT: &str = "the endpoint is still a hole, but the image decides what it opens: ship no shell for it to run \
                    (a distroless or scratch final stage, exec-form CMD), run as a non-root uid, and leave no package \
                    manager, compiler or downloader in the image; then remove the endpoint";

/// How a move went.
enum Went<'a> {
    Worked(&'a Intrusion),
    Blocked(&'a Intrusion),
    /// The endpoint never answered it: nothing was measured.
    Unanswered(&'a Intrusion),
}

impl Check for Intruder {
    type Settings = Settings;

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<Settings, String> {
        let mut settings: Settings = deserialize(table)?;
        if !settings.endpoint.starts_with('/') {
            return Err(format!("endpoint must start with `/`, not `{}`", settings.endpoint));
        }
        if settings.endpoint.chars().any(|c| c.is_whitespace() || c.is_control() || c == '#') {
            return Err(format!("endpoint must be a path and query without spaces or `#`, not `{}`", settings.endpoint));
        }
        settings.timeout_seconds = settings.timeout_seconds.clamp(1, 60);
        Ok(settings)
    }

    fn asks(&self, settings: &Settings) -> Option<String> {
        let ids: Vec<String> = MOVES.iter().map(|step| code_span(step.id)).collect();
        Some(format!(
            "Through {}, every intruder move ({}) is blocked in the hardened container, each answered within {} s.",
            code_span(&format!("GET {}<command>", settings.endpoint)),
            ids.join(", "),
            settings.timeout_seconds
        ))
    }

    fn judge(&self, input: &Input<'_>, settings: &Settings) -> Outcome {
        let Some(intrusions) = input.probe.and_then(|probe| probe.intrusions.as_ref()) else {
            return Outcome::skipped("no move was tried: the app did not answer the HTTP probe (see runs)");
        };
        let results: Vec<Went<'_>> = intrusions.iter().map(went).collect();
        let evidence: Vec<Evidence> = results.iter().map(|r| Evidence::note(line(r))).collect();
        let through = format!("GET {}", settings.endpoint);
        if let Some(Went::Unanswered(intrusion)) = results.iter().find(|r| matches!(r, Went::Unanswered(_))) {
            let why = intrusion.failure.as_deref().unwrap_or("no answer");
            return Outcome::error(format!("nothing was measured for move {}: {why}", intrusion.move_id)).with_evidence(evidence);
        }
        let worked: Vec<&str> = results.iter().filter_map(|r| if let Went::Worked(i) = r { Some(i.move_id) } else { None }).collect();
        if worked.is_empty() {
            return Outcome::pass(format!("all {} intruder moves were blocked through {through}", results.len())).with_evidence(evidence);
        }
        Outcome::fail(format!("{} of {} intruder moves worked through {through}: {}", worked.len(), results.len(), worked.join(", ")), evidence, HINT)
    }
}

fn went(intrusion: &Intrusion) -> Went<'_> {
    match intrusion.status {
        None => Went::Unanswered(intrusion),
        Some(_) if intrusion.body.contains(PROOF) => Went::Worked(intrusion),
        Some(_) => Went::Blocked(intrusion),
    }
}

/// The report's line for one move: its id, how it went, its goal and what the endpoint said.
fn line(went: &Went<'_>) -> String {
    let (word, intrusion) = match went {
        Went::Worked(i) => ("worked", i),
        Went::Blocked(i) => ("blocked", i),
        Went::Unanswered(i) => ("no answer", i),
    };
    let goal = MOVES.iter().find(|step| step.id == intrusion.move_id).map_or("", |step: &Move| step.goal);
    let said = match (&intrusion.failure, intrusion.status) {
        (Some(failure), _) => failure.clone(),
        (None, Some(status)) => format!("{status}: {}", excerpt(&intrusion.body)),
        (None, None) => "no answer".into(),
    };
    format!("{}: {word} ({goal}) — {said}", intrusion.move_id)
}

/// What the endpoint printed, on one line, without the proof and at most [`EXCERPT`] characters.
fn excerpt(body: &str) -> String {
    let lines: Vec<&str> = body.lines().map(str::trim).filter(|l| !l.is_empty() && *l != PROOF).collect();
    if lines.is_empty() {
        return "(nothing printed)".into();
    }
    let joined = lines.join(" | ");
    match joined.char_indices().nth(EXCERPT) {
        Some((at, _)) => format!("{}…", &joined[..at]),
        None => joined,
    }
}

/// Characters of an answer a report line shows.
const EXCERPT: usize = 120;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::record::ProbeRecord;

    fn settings(text: &str) -> Result<Settings, String> {
        Intruder.settings(&toml::from_str(text).unwrap(), &ExerciseDefaults::default())
    }

    fn answered(move_id: &'static str, body: &str) -> Intrusion {
        Intrusion { move_id, status: Some(200), body: body.into(), failure: None }
    }

    fn judged(intrusions: Option<Vec<Intrusion>>) -> Outcome {
        let probe = ProbeRecord { intrusions, ..ProbeRecord::default() };
        let input = Input { probe: Some(&probe), ..Input::default() };
        Intruder.judge(&input, &settings("endpoint = \"/debug/exec?cmd=\"").unwrap())
    }

    #[test]
    fn reads_the_endpoint_and_refuses_one_that_is_not_a_path() {
        let read = settings("endpoint = \"/debug/exec?cmd=\"").unwrap();
        assert_eq!(read, Settings { endpoint: "/debug/exec?cmd=".into(), timeout_seconds: 10 });
        assert!(settings("endpoint = \"debug\"").is_err());
        assert!(settings("endpoint = \"/a b\"").is_err());
        assert!(settings("").is_err());
        assert!(settings("endpoint = \"/x\"\nshell = true").is_err());
        assert_eq!(settings("endpoint = \"/x\"\ntimeout-seconds = 900").unwrap().timeout_seconds, 60);
    }

    #[test]
    fn each_move_is_one_request_with_its_command_percent_encoded_after_the_endpoint() {
        let probe = settings("endpoint = \"/debug/exec?cmd=\"").unwrap().probe();
        assert_eq!(probe.requests.len(), MOVES.len());
        let shell = &probe.requests[0];
        assert_eq!(shell.move_id, "shell");
        assert_eq!(shell.path, "/debug/exec?cmd=echo%20%22%240%22%20%26%26%20echo%20intruder-%24%28%286%2A7%29%29");
        assert!(probe.requests.iter().all(|r| r.path.bytes().all(|b| b.is_ascii_graphic())));
    }

    #[test]
    fn asks_for_every_move_blocked_through_the_endpoint() {
        let asks = Intruder.asks(&settings("endpoint = \"/run?c=\"").unwrap()).unwrap();
        assert!(asks.starts_with("Through `GET /run?c=<command>`, every intruder move (`shell`, `root`,"), "{asks}");
        assert!(asks.ends_with("each answered within 10 s."), "{asks}");
    }

    #[test]
    fn a_move_worked_only_when_its_answer_holds_the_proof() {
        let outcome = judged(Some(vec![
            answered("shell", "/bin/sh\nintruder-42\n"),
            answered("root", "uid=0(root) gid=0(root) groups=0(root)\nintruder-42"),
            Intrusion {
                move_id: "compiler", status: Some(500), body: "Command failed: f=; for p in gcc; do …; echo intruder-$((6*7))".into(), failure: None
            },
        ]));
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.summary, "2 of 3 intruder moves worked through GET /debug/exec?cmd=: shell, root");
        let lines: Vec<&str> = outcome.evidence.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(lines[0], "shell: worked (run a shell command) — 200: /bin/sh");
        assert_eq!(lines[1], "root: worked (act as root) — 200: uid=0(root) gid=0(root) groups=0(root)");
        assert!(lines[2].starts_with("compiler: blocked (compile a program) — 500: Command failed"), "{}", lines[2]);
    }

    #[test]
    fn every_move_blocked_passes_and_still_lists_them() {
        let outcome = judged(Some(MOVES.iter().map(|step| answered(step.id, "Error: spawn /bin/sh ENOENT")).collect()));
        assert_eq!(outcome.status, Status::Pass);
        assert_eq!(outcome.summary, "all 10 intruder moves were blocked through GET /debug/exec?cmd=");
        assert_eq!(outcome.evidence.len(), 10);
        assert_eq!(outcome.evidence[3].message, "write-app: blocked (change the app's own files) — 200: Error: spawn /bin/sh ENOENT");
    }

    #[test]
    fn a_move_without_an_answer_measured_nothing() {
        let silent = Intrusion { move_id: "network", failure: Some("the app had exited with code 137".into()), ..Intrusion::default() };
        let outcome = judged(Some(vec![answered("shell", "nope"), silent]));
        assert_eq!(outcome.status, Status::Error);
        assert_eq!(outcome.summary, "nothing was measured for move network: the app had exited with code 137");
        assert_eq!(outcome.evidence[1].message, "network: no answer (reach a network beyond loopback) — the app had exited with code 137");
    }

    #[test]
    fn skipped_when_no_move_was_tried() {
        assert_eq!(judged(None).status, Status::Skipped);
    }

    #[test]
    fn a_long_answer_is_cut_on_a_character() {
        let long = "é".repeat(300);
        let shown = excerpt(&format!("{long}\nintruder-42"));
        assert_eq!(shown.chars().count(), EXCERPT + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(excerpt("\n\nintruder-42\n"), "(nothing printed)");
    }
}
