//! `size`: the image is at most the spec's limit; the biggest layers and what made them.
use serde::Deserialize;

use super::{deserialize, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::units::{deserialize_size, format_size};

pub(super) struct Size;

pub(super) static META: CheckMeta = CheckMeta {
    id: "size",
    summary: "The image is no bigger than the limit",
    severity: Severity::Error,
    needs: Needs::Image,
    doc: include_str!("../../docs/checks/size.md"),
};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// The limit, as "150 MB" or a number of bytes.
    #[serde(deserialize_with = "deserialize_size")]
    pub max: u64,
}

/// How many of the biggest layers a failure lists.
const LAYERS_SHOWN: usize = 3;

impl Check for Size {
    type Settings = Settings;

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<Settings, String> {
        deserialize(table)
    }

    /// The limit as reports print it (`20 MB`).
    fn asks(&self, limit: &Settings) -> Option<String> {
        Some(format!("The image is at most {}.", format_size(limit.max)))
    }

    fn judge(&self, input: &Input<'_>, limit: &Settings) -> Outcome {
        let Some(image) = input.image else { return Outcome::skipped("no image") };
        let size = image.size();
        let summary = format!("{} (limit {})", format_size(size), format_size(limit.max));
        let mut layers: Vec<usize> = (0..image.layers.len()).collect();
        layers.sort_by_key(|&i| std::cmp::Reverse(image.layers[i].facts.size));
        let evidence: Vec<Evidence> = layers
            .iter()
            .take(LAYERS_SHOWN)
            .filter(|&&i| image.layers[i].facts.size > 0)
            .map(|&i| Evidence::from_layer(format!("layer {i} adds {}", format_size(image.layers[i].facts.size)), None, input.origin(i)))
            .collect();
        if size <= limit.max {
            return Outcome::pass(summary);
        }
        Outcome::fail(
            format!("the image is {summary}"),
            evidence,
            "start the final stage from a smaller base (slim, distroless or scratch) and copy in only what \
             the app needs from a builder stage; files deleted in a later layer still ship",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asks(toml: &str) -> String {
        Size.asks(&Size.settings(&toml::from_str(toml).unwrap(), &ExerciseDefaults::default()).unwrap()).unwrap()
    }

    #[test]
    fn asks_for_the_limit_as_reports_print_it() {
        assert_eq!(asks(r#"max = "20 MB""#), "The image is at most 20 MB.");
        assert_eq!(asks(r#"max = "150MB""#), "The image is at most 150 MB.");
        assert_eq!(asks(r#"max = "1.5 kB""#), "The image is at most 1.5 kB.");
    }

    #[test]
    fn a_limit_without_its_unit_is_refused() {
        for toml in ["max = 20", r#"max = "20""#] {
            let error = Size.settings(&toml::from_str(toml).unwrap(), &ExerciseDefaults::default()).unwrap_err();
            assert!(error.contains(r#"the size 20 has no unit: write it as "20 MB""#), "{error}");
        }
    }
}
