//! `supported-base`: the stage that ships starts from a base whose support has not ended, by the
//! course's support table ([`crate::support`]) on today's date ([`crate::clock`]), judged on the
//! Dockerfile as written (build arguments filled in), through the stages it is built `FROM`.
//!
//! What must hold: only the base the shipping stage inherits counts (a build stage on an old
//! toolchain ships nothing of it); `scratch` and a base the table does not know pass, saying so;
//! a failure points at the `FROM` line and names each component that ended, with its date.
use super::{no_settings, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::dockerfile::Named;
use crate::support::SupportTable;

pub(super) struct SupportedBase;

pub(super) static META: CheckMeta = CheckMeta {
    id: "supported-base",
    summary: "The final stage's base is still supported",
    severity: Severity::Error,
    needs: Needs::Dockerfile,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/supported-base.md"),
};

impl Check for SupportedBase {
    type Settings = ();

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<(), String> {
        no_settings(table)
    }

    fn judge(&self, input: &Input<'_>, _settings: &()) -> Outcome {
        let Some(dockerfile) = input.dockerfile else { return Outcome::skipped("no Dockerfile") };
        let (line, named) = dockerfile.shipped_base();
        let reference = match named {
            Named::Scratch => return Outcome::pass("the final stage starts from scratch: no base whose support could end"),
            Named::Image(Ok(reference)) => reference,
            Named::Image(Err(why)) => return Outcome::error(format!("cannot tell the final stage's base: {why}")),
            Named::Stage(_) => unreachable!("the root of a stage's ancestry is built from no stage"),
        };
        let table = SupportTable::course();
        let Some(window) = table.window(&reference) else {
            return Outcome::pass(format!("{reference}: the support table has no dates for it, so no end is known"));
        };
        let ended: Vec<_> = window.components.iter().filter(|c| c.until < input.today).collect();
        if ended.is_empty() {
            return Outcome::pass(format!("{reference}: {}", window.describe(input.today)));
        }
        let text = dockerfile.instruction_at(line).map(|i| i.text.as_str()).unwrap_or_default();
        let evidence = ended
            .iter()
            .map(|c| {
                let days = (input.today - c.until).num_days();
                Evidence::at_line(format!("{reference} carries {}, whose support ended {} ({days} days ago)", c.name, c.until), line, text)
            })
            .collect();
        Outcome::fail(format!("the final stage's base {reference} is past its end of life"), evidence, hint(table, &reference, input.today))
    }
}

fn hint(table: &SupportTable, reference: &str, today: chrono::NaiveDate) -> String {
    let supported = table.supported_tags_of(reference, today);
    let instead = match supported.as_slice() {
        [] => String::new(),
        tags => format!(" such as {}", tags.iter().take(3).map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")),
    };
    format!(
        "move the final stage to a base that is still supported{instead}: its distribution and runtime get security fixes; \
         `shipshape recommend` compares the bases this room has"
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::checks::Status;
    use crate::dockerfile::Dockerfile;

    fn judge(text: &str, today: &str) -> Outcome {
        let dockerfile = Dockerfile::parse(text).unwrap();
        let today = NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap();
        SupportedBase.judge(&Input { dockerfile: Some(&dockerfile), today, ..Input::default() }, &())
    }

    const NODE_20: &str = "FROM node:20-bookworm AS build\nRUN npm ci\nFROM node:20-bookworm-slim\nCOPY --from=build /app /app\n";

    #[test]
    fn a_base_past_its_end_fails_at_its_from_line() {
        let outcome = judge(NODE_20, "2026-12-06");
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.summary, "the final stage's base node:20-bookworm-slim is past its end of life");
        assert_eq!(outcome.evidence.len(), 1, "Debian 12 is still in LTS: {:?}", outcome.evidence);
        assert_eq!(outcome.evidence[0].message, "node:20-bookworm-slim carries Node.js 20, whose support ended 2026-04-30 (220 days ago)");
        assert_eq!(outcome.evidence[0].dockerfile_line, Some(3));
        assert!(outcome.hint.unwrap().contains("`node:24`"));
    }

    #[test]
    fn the_same_base_before_its_end_passes() {
        let outcome = judge(NODE_20, "2026-01-15");
        assert_eq!(outcome.status, Status::Pass);
        assert_eq!(outcome.summary, "node:20-bookworm-slim: Node.js 20 supported until 2026-04-30");
    }

    #[test]
    fn the_base_is_inherited_through_stages_and_build_arguments() {
        let text = "ARG V=12\nFROM gcr.io/distroless/static-debian${V}:nonroot AS base\nFROM golang:1.27 AS build\nFROM base\n";
        let outcome = judge(text, "2026-12-06");
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.evidence[0].dockerfile_line, Some(2));
        assert!(outcome.evidence[0].message.contains("distroless Debian 12 static"), "{:?}", outcome.evidence);
        assert_eq!(judge("FROM golang:1.22 AS build\nFROM scratch\n", "2026-12-06").status, Status::Pass, "the build stage ships nothing");
        assert!(judge("FROM example.com/own:1\n", "2026-12-06").summary.contains("no dates for it"));
    }
}
