//! `non-root`: the final image's process does not run as root. The uid is the one the container
//! runtime gives it, from the image's `USER`, /etc/passwd and /etc/group read exactly as Docker
//! and runc read them ([`runtime_user`]); where the runtime would refuse to start the container,
//! that is the verdict.
use super::runtime_user::{self, Accounts, Refusal, RunAs};
use super::{no_settings, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::image::capture::Analyzer;

pub(super) struct NonRoot;

pub(super) static META: CheckMeta = CheckMeta {
    id: "non-root",
    summary: "The container runs as a user other than root",
    severity: Severity::Error,
    needs: Needs::Image,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/non-root.md"),
};

const HINT: &str = "add `USER 65532` (or another numeric uid) at the end of the final stage; a numeric uid \
                    also satisfies Kubernetes' runAsNonRoot";

/// The image's accounts, which the runtime reads to turn `USER` into ids.
pub(super) static ACCOUNTS: Analyzer = Analyzer { name: "accounts", version: 1, wants: |path| ACCOUNT_FILES.contains(&path).then_some(32 << 20) };

const ACCOUNT_FILES: [&str; 2] = ["etc/passwd", "etc/group"];

/// How much of a passwd line the evidence quotes.
const QUOTED: usize = 120;

impl Check for NonRoot {
    type Settings = ();

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<(), String> {
        no_settings(table)
    }

    fn judge(&self, input: &Input<'_>, _settings: &()) -> Outcome {
        let Some(image) = input.image else { return Outcome::skipped("no image") };
        let user = image.config.user.as_str();
        let fs = &image.filesystem;
        let accounts = Accounts { passwd: fs.content("etc/passwd"), group: fs.content("etc/group") };
        let mut evidence = user_instruction(input).into_iter().collect::<Vec<_>>();
        let run = match runtime_user::run_as(user, accounts) {
            Ok(run) => run,
            Err(Refusal::NoSuchUser(name)) => {
                return Outcome::fail(
                    format!("USER {name} is not in the image's /etc/passwd, so the container cannot start as it"),
                    evidence,
                    "use a numeric uid (USER 65532), which needs no passwd entry",
                )
            }
            Err(refusal) => {
                return Outcome::fail(
                    format!("the container runtime refuses to start as USER {user}: {refusal}"),
                    evidence,
                    "use a numeric uid from 1 to 2147483647 (USER 65532), and a group the image's /etc/group \
                     has or a numeric one in the same range",
                )
            }
        };
        if run.uid != 0 {
            return Outcome::pass(format!("runs as {user} (uid {}, gid {})", run.uid, run.gid)).with_evidence(evidence);
        }
        if user.is_empty() {
            return Outcome::fail("no USER is set, so the container runs as root", evidence, HINT);
        }
        let layer = fs.get("etc/passwd").map_or(0, |node| node.layer);
        evidence.extend(run.entry.as_ref().map(|entry| {
            let quoted: String = entry.text.chars().take(QUOTED).collect();
            let message = format!("/etc/passwd line {}, the first entry the runtime matches: `{quoted}`", entry.line);
            Evidence::from_layer(message, Some("etc/passwd"), input.origin(layer))
        }));
        Outcome::fail(format!("USER {user} runs as root (uid 0){}", why_root(&run)), evidence, HINT)
    }
}

/// What makes a `USER` that does not say root run as root.
fn why_root(run: &RunAs) -> String {
    match &run.entry {
        Some(entry) if entry.uid != 0 => format!(": /etc/passwd gives it uid {}, which the runtime cuts to 32 bits", entry.uid),
        Some(entry) => format!(": the first /etc/passwd entry that matches, on line {}, has uid 0", entry.line),
        None => String::new(),
    }
}

/// The USER instruction in effect in the stage that ships (its own last one, or the last one of
/// the stage it is built `FROM`), when the Dockerfile is known.
fn user_instruction(input: &Input<'_>) -> Option<Evidence> {
    let dockerfile = input.dockerfile?;
    let ancestry = dockerfile.ancestry(dockerfile.shipped_stage().index);
    let last = ancestry.iter().find_map(|stage| dockerfile.stage_instructions(stage.index).filter(|i| i.keyword == "USER").last())?;
    Some(Evidence::at_line("the USER of the stage that ships", last.line, &last.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_comes_from_the_shipping_stage_or_its_parents() {
        let text = "FROM node:20 AS base\nUSER node\nFROM base AS app\nCOPY . .\nFROM app AS test\nUSER root\n";
        let line = |target| {
            let dockerfile = crate::dockerfile::Dockerfile::parse(text).unwrap().with_target(target).unwrap();
            user_instruction(&Input { dockerfile: Some(&dockerfile), ..Input::default() }).and_then(|e| e.dockerfile_line)
        };
        assert_eq!(line(None), Some(6));
        assert_eq!(line(Some("app")), Some(2));
    }
}
