//! `builds`: the Dockerfile builds. On failure: the failing instruction, its line, the log's end,
//! and a hint that names the cause where the builder's words show it (a syntax error, a feature
//! the legacy builder lacks, a base image not on the machine, the time limit). A Dockerfile that
//! does not parse fails at the learner's line and column, with what to write instead.
//!
//! What must hold: the hint never points at a log there is not.
use super::{no_settings, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::docker::engine::Builder;
use crate::dockerfile::ParseError;
use crate::record::{BuildRecord, Stopped};

pub(super) struct Builds;

pub(super) static META: CheckMeta = CheckMeta {
    id: "builds",
    summary: "The Dockerfile builds",
    severity: Severity::Error,
    needs: Needs::Build,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/builds.md"),
};

impl Check for Builds {
    type Settings = ();

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<(), String> {
        no_settings(table)
    }

    fn judge(&self, input: &Input<'_>, _settings: &()) -> Outcome {
        let Some(build) = input.build else { return Outcome::skipped("nothing was built") };
        if build.image_id.is_some() {
            return Outcome::pass(passed(build));
        }
        if let Some(Stopped::Unparsed(error)) = &build.stopped {
            return unparsed(error, build);
        }
        let error = build.error.as_deref().unwrap_or("the builder gave no reason");
        let mut evidence = Vec::new();
        let summary = match (build.failed_line, &build.failed_instruction) {
            (Some(line), Some(instruction)) => {
                evidence.push(Evidence::at_line(error, line, instruction));
                format!("the build failed at line {line}: {instruction}")
            }
            _ => {
                evidence.push(Evidence::note(error));
                "the build failed".to_string()
            }
        };
        evidence.extend(build.log_tail.iter().map(|line| Evidence::note(format!("log: {line}"))));
        Outcome::fail(summary, evidence, hint(build, error))
    }
}

/// The failure of a Dockerfile that does not parse: where, what is wrong, what to write instead.
fn unparsed(error: &ParseError, build: &BuildRecord) -> Outcome {
    let summary = format!("the Dockerfile does not parse at line {}, column {}", error.line, error.column);
    let evidence = match &build.failed_instruction {
        Some(instruction) => Evidence::at_line(&error.message, error.line, instruction),
        None => Evidence::note(&error.message),
    };
    Outcome::fail(summary, vec![evidence], format!("{}, then check again", error.fix))
}

/// `built in 1.2 s with BuildKit (5 of 6 steps from the build cache)`.
fn passed(build: &BuildRecord) -> String {
    let with = build.builder.map(|b| format!(" with {}", b.name())).unwrap_or_default();
    let cached = if build.steps > 0 { format!(" ({} of {} steps from the build cache)", build.cached_steps, build.steps) } else { String::new() };
    format!("built in {:.1} s{with}{cached}", build.seconds)
}

/// What to do, from what the builder said.
fn hint(build: &BuildRecord, error: &str) -> &'static str {
    let says = |words: &[&str]| words.iter().any(|w| error.contains(w));
    // What the kernel made of a step's limits shows in the step's own output, not the error.
    let logged = |words: &[&str]| says(words) || build.log_tail.iter().any(|line| words.iter().any(|w| line.contains(w)));
    if build.builder == Some(Builder::Legacy) && says(&["BuildKit", "--mount", "--link", "--chmod", "<<"]) {
        return "this Dockerfile needs BuildKit (secret or cache mounts, heredocs, COPY --link or --chmod), which this \
                engine lacks: use Docker Engine 23 or later (scripts/setup installs 26), or do without those features";
    }
    if says(&["target stage", "which has no name"]) {
        return "the stage to ship is not one the build can stop at: name a stage of this Dockerfile as the target \
                (the exercise's `target`, or check --target), or name the stage with `FROM … AS NAME`";
    }
    if says(&["parse error", "unknown flag", "unknown instruction", "unsupported mount", "not a valid"]) {
        return "the Dockerfile's syntax is wrong where the message says: fix that line (Docker's Dockerfile reference \
                lists every instruction and flag), then check again";
    }
    if says(&["failed to resolve source metadata", "pull access denied", "manifest unknown", "repository does not exist", "not one of the course's images"]) {
        return "a base image is not on this machine, and nothing can be pulled here: spell it as the exercise does, \
                or map it to a local image with --image-map (see README: Working offline)";
    }
    if logged(&["exit code: 153", "File size limit exceeded", "File too large"]) {
        return "a build step wrote a file larger than the grader allows (1 GiB): a build that writes that much \
                fills the machine's disk; write less, or generate the data when the app runs";
    }
    if logged(&["No space left on device", "no space left on device"]) {
        return "a build step filled the disk the grader gives builds: a build that writes that much fills the machine's \
                disk; write less, or generate the data when the app runs";
    }
    // busybox sh, dash (Debian's /bin/sh) and bash each say it their own way.
    if logged(&["can't fork", "Cannot fork", "fork: Resource temporarily unavailable", "fork: retry"]) {
        return "a build step started more processes than this machine allows for builds: start fewer at once \
                (make -j2, not an unbounded loop of background jobs)";
    }
    if says(&["Shipshape reads of a built image"]) {
        return "the image is far larger than any image this course ships: make the named step write less (or leave \
                its output in a build stage), then check again";
    }
    if says(&["fetches from the network"]) {
        return "builds here are offline: put the file in the exercise folder and COPY it, or fetch it in the app at run \
                time, not in the Dockerfile";
    }
    if says(&["took longer than"]) {
        return "the build ran out of time: a step that waits for the network waits forever here (builds are offline), \
                and a long compile may need the cache: keep dependency steps before the source is copied";
    }
    if says(&["secret"]) && says(&["not found", "no build secret"]) {
        return "the build asks for a secret the exercise does not provide: use the secret id the exercise names";
    }
    if build.log_tail.is_empty() {
        return "the builder's message above says what failed: fix that line, then check again";
    }
    "read the log lines above: the failing command's own error is usually the last one it printed; \
     fix that step, then check again"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(builder: Builder, error: &str) -> &'static str {
        let build = BuildRecord { builder: Some(builder), error: Some(error.into()), ..BuildRecord::default() };
        hint(&build, error)
    }

    #[test]
    fn a_step_stopped_by_a_limit_is_named_from_its_log() {
        let shells = ["sh: can't fork: Resource temporarily unavailable", "/bin/sh: 0: Cannot fork", "bash: fork: retry: Resource temporarily unavailable"];
        for said in shells {
            let build = BuildRecord { builder: Some(Builder::BuildKit), log_tail: vec![said.to_string()], ..BuildRecord::default() };
            assert!(hint(&build, "exit code: 2").contains("more processes"), "{said}");
        }
    }

    #[test]
    fn the_hint_names_the_cause_the_builder_gave() {
        assert!(failed(Builder::Legacy, "the --mount option requires BuildKit").contains("needs BuildKit"));
        assert!(failed(Builder::BuildKit, "dockerfile parse error on line 2: unknown flag: frm").contains("syntax"));
        assert!(failed(Builder::BuildKit, "x: failed to resolve source metadata for docker.io/library/x").contains("--image-map"));
        assert!(failed(Builder::BuildKit, "the target stage `nosuch` is not a stage of this Dockerfile").contains("target"));
        assert!(failed(Builder::BuildKit, "the build took longer than 600 s and was stopped").contains("out of time"));
        assert!(failed(Builder::BuildKit, "process \"/bin/sh -c dd if=/dev/zero of=/f\" did not complete successfully: exit code: 153").contains("larger than"));
        assert!(failed(Builder::BuildKit, "process \"/bin/sh -c make\" did not complete successfully: exit code: 2").contains("builder's message"));
    }

    #[test]
    fn the_log_is_pointed_at_only_when_there_is_one() {
        let log_tail = vec!["/bin/sh: 1: make: not found".to_string()];
        let build = BuildRecord { builder: Some(Builder::BuildKit), log_tail, ..BuildRecord::default() };
        assert!(hint(&build, "exit code: 127").contains("log lines above"));
    }

    #[test]
    fn a_dockerfile_that_does_not_parse_fails_at_its_line_with_what_to_write() {
        let error = crate::dockerfile::Dockerfile::parse("FROM node:20\nUSR node\n").unwrap_err();
        let build = BuildRecord {
            error: Some(error.to_string()),
            failed_instruction: Some("USR node".into()),
            stopped: Some(Stopped::Unparsed(error)),
            ..BuildRecord::default()
        };
        let outcome = Builds.judge(&Input { build: Some(&build), ..Input::default() }, &());
        assert_eq!(outcome.summary, "the Dockerfile does not parse at line 2, column 1");
        assert_eq!(outcome.evidence, [Evidence::at_line("unknown instruction `USR`: did you mean USER?", 2, "USR node")]);
        assert_eq!(outcome.hint.as_deref(), Some("write `USER node`, then check again"));
    }
}
