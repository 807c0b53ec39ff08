//! `no-secrets`: a value used during the build (a token passed as a build argument) appears
//! nowhere in the final image: not in any layer's files (deleted ones included), not in the
//! config, not in the history.
//!
//! What must hold: evidence never prints a secret; it names where it is and masks the value.
use serde::Deserialize;

use super::{deserialize, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::image::secrets::SecretSearch;
use crate::units::count;

pub(crate) struct NoSecrets;

pub(super) static META: CheckMeta = CheckMeta {
    id: "no-secrets",
    summary: "No build secret anywhere in the image: layers, config or history",
    severity: Severity::Error,
    needs: Needs::Image,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/no-secrets.md"),
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default)]
    values: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// The secret values: the spec's, or else the exercise's build-arg values.
    pub values: Vec<String>,
    /// Whether the build secrets' values are sought too: when the spec lists no values of its own
    /// and the exercise has build secrets.
    pub build_secrets: bool,
}

impl Settings {
    /// Every value sought, given the build secrets' values (as text): the exercise's are sorted
    /// and without duplicates.
    pub(crate) fn sought(&self, build_secrets: &[String]) -> Vec<String> {
        if !self.build_secrets {
            return self.values.clone();
        }
        let mut values: Vec<String> = self.values.iter().chain(build_secrets).cloned().collect();
        values.sort();
        values.dedup();
        values
    }
}

impl Check for NoSecrets {
    type Settings = Settings;

    fn settings(&self, table: &toml::Table, exercise: &ExerciseDefaults) -> Result<Settings, String> {
        let raw: RawSettings = deserialize(table)?;
        let (values, build_secrets) = match raw.values {
            Some(values) => (values, false),
            None => (exercise.build_arg_values.clone(), exercise.build_secrets),
        };
        if !build_secrets && values.iter().all(String::is_empty) {
            return Err("give the secret values to look for (values = [\"…\"]), or [exercise] build-args or secrets".into());
        }
        Ok(Settings { values, build_secrets })
    }

    // No `asks`: the documentation's lead stands in, so the words never name a secret value.

    fn judge(&self, input: &Input<'_>, settings: &Settings) -> Outcome {
        let Some(image) = input.image else { return Outcome::skipped("no image") };
        let values = &settings.sought(input.build_secrets);
        let Some(search) = SecretSearch::new(values) else { return Outcome::error("no secret values to look for") };
        let mask = |text: &str| values.iter().filter(|v| !v.is_empty()).fold(text.to_string(), |t, v| t.replace(v.as_str(), "[secret]"));
        let mut evidence: Vec<Evidence> = Vec::new();
        for (index, layer) in image.layers.iter().enumerate() {
            for path in &layer.facts.secrets {
                let gone = if image.filesystem.get(path).is_none() { " (deleted by a later layer, but still shipped in this one)" } else { "" };
                evidence.push(Evidence::from_layer(format!("/{path} holds a secret{gone}"), Some(path), input.origin(index)));
            }
        }
        let config = &image.config;
        let fields = config
            .env
            .iter()
            .map(|e| ("Env", e.as_str()))
            .chain(config.labels.iter().map(|(_, v)| ("Labels", v.as_str())))
            .chain(config.cmd.iter().map(|c| ("Cmd", c.as_str())))
            .chain(config.entrypoint.iter().map(|c| ("Entrypoint", c.as_str())));
        for (field, text) in fields.filter(|(_, text)| search.found_in(text)) {
            evidence.push(Evidence::note(format!("the image config's {field} holds a secret: {}", mask(text))));
        }
        for (index, entry) in image.history.iter().enumerate().filter(|(_, h)| search.found_in(&h.created_by)) {
            let line = input.origins.and_then(|o| o.history_line(index));
            let message = format!("the history records a secret (docker history shows it to anyone): {}", mask(&entry.instruction()));
            evidence.push(Evidence { message, dockerfile_line: line, ..Evidence::default() });
        }
        if evidence.is_empty() {
            return Outcome::pass(format!("{} found nowhere: layers, config and history are clean", count(values.len(), "secret value")));
        }
        Outcome::fail(
            format!("a build secret is in the image, in {}", count(evidence.len(), "place")),
            evidence,
            "never pass a secret through ENV, and not through ARG in the final stage (the history records build \
             arguments): use it only in a builder stage and copy the result, or better, a BuildKit secret mount \
             (RUN --mount=type=secret) that never lands in a layer",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_without_naming_a_secret() {
        let exercise = ExerciseDefaults { build_arg_values: vec!["s3cr3t-t0ken".into()], build_secrets: true };
        let settings = crate::checks::Settings::parse(crate::checks::CheckId::NoSecrets, &toml::Table::new(), &exercise).unwrap();
        assert_eq!(settings.asks(), "A secret used during the build appears nowhere in the final image.");
    }
}
