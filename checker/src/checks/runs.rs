//! `runs`: the app still works when run the hardened way — as the image's own user, read-only root
//! filesystem, every capability dropped, no network but loopback — probed by HTTP or by a command.
mod command;

use serde::Deserialize;

use super::{deserialize, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::markdown::code_span;
use crate::record::{ProbePlan, ProbeRecord};

pub(super) struct Runs;

pub(super) static META: CheckMeta = CheckMeta {
    id: "runs",
    summary: "The app still runs, hardened, and answers as the spec says",
    severity: Severity::Error,
    needs: Needs::Probe,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/runs.md"),
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Settings {
    #[serde(default)]
    http: Option<HttpSettings>,
    #[serde(default)]
    command: Option<CommandSettings>,
    /// How long the app may take to answer (HTTP) or to finish (command).
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct HttpSettings {
    #[serde(default = "default_path")]
    path: String,
    #[serde(default = "default_status")]
    status: u16,
    /// Text the response body must contain.
    #[serde(default)]
    body: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CommandSettings {
    /// Replaces the image's CMD (the ENTRYPOINT stays); absent keeps the CMD.
    #[serde(default)]
    args: Option<Vec<String>>,
    #[serde(default)]
    exit_code: i64,
    /// Text the combined output must contain.
    #[serde(default)]
    output: Option<String>,
}

fn default_timeout() -> u64 {
    30
}
fn default_path() -> String {
    "/".into()
}
fn default_status() -> u16 {
    200
}

/// How the edge should try the image, from this check's settings.
fn probe_plan(table: &toml::Table) -> Result<ProbePlan, String> {
    let settings: Settings = deserialize(table)?;
    let timeout_seconds = settings.timeout_seconds.clamp(1, 600);
    match (settings.http, settings.command) {
        (Some(http), None) => {
            if !http.path.starts_with('/') {
                return Err(format!("http.path must start with `/`, not `{}`", http.path));
            }
            Ok(ProbePlan::Http { path: http.path, status: http.status, body: http.body, timeout_seconds })
        }
        (None, Some(command)) => Ok(ProbePlan::Command { args: command.args, exit_code: command.exit_code, output: command.output, timeout_seconds }),
        _ => Err("give exactly one of `http = { path = \"/\", status = 200 }` or `command = { args = [...], exit-code = 0 }`".into()),
    }
}

const HINT: &str = "the container runs as the image's own user with a read-only root filesystem (only /tmp \
                    is writable), no capabilities and only loopback networking: listen on $PORT (and \
                    $HOST), write nowhere but /tmp, and use exec-form CMD so no shell is needed";

impl Check for Runs {
    /// The settings are the plan: how the edge tries the image.
    type Settings = ProbePlan;

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<ProbePlan, String> {
        probe_plan(table)
    }

    /// The hardened run, the probe and what it must answer, and the time it has.
    fn asks(&self, plan: &ProbePlan) -> Option<String> {
        let (probe, timeout_seconds) = match plan {
            ProbePlan::Http { path, status, body, timeout_seconds } => {
                (format!(", {} answers {status}{}", code_span(&format!("GET {path}")), containing("", body.as_deref())), timeout_seconds)
            }
            ProbePlan::Command { args, exit_code, output, timeout_seconds } => {
                let run = match args {
                    Some(args) => format!(" with arguments {}, it", code_span(&args.join(" "))),
                    None => ", the image's command".to_string(),
                };
                (format!("{run} exits {exit_code}{}", containing(" with output", output.as_deref())), timeout_seconds)
            }
        };
        Some(format!("Run read-only and without capabilities{probe} within {timeout_seconds} s."))
    }

    fn judge(&self, input: &Input<'_>, plan: &ProbePlan) -> Outcome {
        let Some(record) = input.probe else { return Outcome::skipped("the image was not run") };
        let (summary, problems) = match &record.failure {
            Some(failure) => (format!("the app did not answer: {failure}"), vec![failure.clone()]),
            None => {
                let problems = expectation_problems(plan, record);
                if problems.is_empty() {
                    return Outcome::pass(match plan {
                        ProbePlan::Http { path, status, .. } => format!("GET {path} answered {status} as user `{}`", shown_user(record)),
                        ProbePlan::Command { exit_code, .. } => format!("the command exited {exit_code} as user `{}`", shown_user(record)),
                    });
                }
                (problems.join("; "), problems)
            }
        };
        let mut evidence: Vec<Evidence> = problems.into_iter().map(Evidence::note).collect();
        let hint = match input.image {
            Some(image) => {
                let command = command::Effective::of(image, plan);
                evidence.push(Evidence::note(format!("command: {}", command.shown())));
                command::diagnosis(image, &command).unwrap_or_else(|| HINT.to_string())
            }
            None => HINT.to_string(),
        };
        evidence.extend(output_evidence(record));
        Outcome::fail(summary, evidence, hint)
    }
}

/// " containing `TEXT`" after `lead`, when there is a text to contain; else nothing.
fn containing(lead: &str, text: Option<&str>) -> String {
    match text {
        Some(text) => format!("{lead} containing {}", code_span(text)),
        None => String::new(),
    }
}

fn shown_user(record: &ProbeRecord) -> &str {
    if record.user.is_empty() {
        "root"
    } else {
        &record.user
    }
}

fn expectation_problems(plan: &ProbePlan, record: &ProbeRecord) -> Vec<String> {
    let mut problems = Vec::new();
    let (expected_text, got_text) = match plan {
        ProbePlan::Http { path, status, body, .. } => {
            if record.status != Some(*status) {
                problems.push(format!("GET {path} answered {} instead of {status}", record.status.map_or("nothing".into(), |s| s.to_string())));
            }
            (body, record.body.as_deref().unwrap_or_default())
        }
        ProbePlan::Command { exit_code, output, .. } => {
            if record.exit_code != Some(*exit_code) {
                problems.push(format!("the command exited {} instead of {exit_code}", record.exit_code.map_or("without a code".into(), |c| c.to_string())));
            }
            (output, record.output.as_str())
        }
    };
    if let Some(expected) = expected_text {
        if !got_text.contains(expected.as_str()) {
            problems.push(format!("the answer does not contain `{expected}`"));
        }
    }
    problems
}

/// The last lines the container printed.
fn output_evidence(record: &ProbeRecord) -> Vec<Evidence> {
    let lines: Vec<&str> = record.output.lines().collect();
    lines[lines.len().saturating_sub(10)..].iter().map(|l| Evidence::note(format!("output: {l}"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn exactly_one_probe_kind() {
        assert!(probe_plan(&table("")).is_err());
        assert!(probe_plan(&table("http = {}\ncommand = {}")).is_err());
        assert_eq!(
            probe_plan(&table("http = { path = \"/health\" }")).unwrap(),
            ProbePlan::Http { path: "/health".into(), status: 200, body: None, timeout_seconds: 30 }
        );
        assert!(probe_plan(&table("http = { path = \"health\" }")).is_err());
    }

    #[test]
    fn asks_for_the_hardened_run_and_the_answer() {
        let asks = |text: &str| Runs.asks(&probe_plan(&table(text)).unwrap()).unwrap();
        assert_eq!(
            asks("http = { path = \"/\", status = 200, body = \"Beacon is lit\" }\ntimeout-seconds = 30"),
            "Run read-only and without capabilities, `GET /` answers 200 containing `Beacon is lit` within 30 s."
        );
        assert_eq!(asks("http = {}"), "Run read-only and without capabilities, `GET /` answers 200 within 30 s.");
        assert_eq!(
            asks("command = { args = [\"--version\"], output = \"v1\" }\ntimeout-seconds = 5"),
            "Run read-only and without capabilities with arguments `--version`, it exits 0 with output containing `v1` within 5 s."
        );
        assert_eq!(asks("command = { exit-code = 3 }"), "Run read-only and without capabilities, the image's command exits 3 within 30 s.");
    }

    #[test]
    fn judges_the_answer_against_the_plan() {
        let plan = ProbePlan::Http { path: "/".into(), status: 200, body: Some("hello".into()), timeout_seconds: 5 };
        let good = ProbeRecord { status: Some(200), body: Some("hello world".into()), ..Default::default() };
        let bad = ProbeRecord { status: Some(500), body: Some("oops".into()), ..Default::default() };
        assert!(expectation_problems(&plan, &good).is_empty());
        assert_eq!(expectation_problems(&plan, &bad).len(), 2);
    }
}
