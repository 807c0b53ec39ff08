//! `size`: the image is at most the spec's limit, and, when the spec sets `max-compressed`, what a
//! registry stores of it (every layer gzipped, as `docker push` sends it) is at most that; where
//! the bytes came from, biggest first.
//!
//! What must hold: the bytes are shared out by the Dockerfile line that made them (the base
//! image's layers all go to its `FROM` line), and each share carries its `bytes`, so a renderer
//! can point at the line that added the most; a failure on the compressed limit shares out the
//! compressed bytes.
use std::collections::BTreeMap;

use serde::Deserialize;

use super::{deserialize, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::attribution::Origin;
use crate::image::{ImageFacts, LayerFacts};
use crate::units::{deserialize_size, format_size};

pub(super) struct Size;

pub(super) static META: CheckMeta = CheckMeta {
    id: "size",
    summary: "The image is no bigger than the limit",
    severity: Severity::Error,
    needs: Needs::Image,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/size.md"),
};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Settings {
    /// The limit, as "150 MB" or a number of bytes.
    #[serde(deserialize_with = "deserialize_size")]
    pub max: u64,
    /// The limit on what a registry stores (the layers gzipped), when the spec sets one.
    #[serde(default, deserialize_with = "deserialize_optional_size")]
    pub max_compressed: Option<u64>,
}

fn deserialize_optional_size<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    deserialize_size(deserializer).map(Some)
}

/// One of the limits: its name in a summary and how each layer is measured for it.
struct Limit {
    /// `` for the size, ` compressed` for what a registry stores.
    kind: &'static str,
    max: u64,
    /// A layer's bytes for this limit; `None` when the read did not measure them.
    of_layer: fn(&LayerFacts) -> Option<u64>,
}

impl Limit {
    fn limits(settings: &Settings) -> impl Iterator<Item = Limit> {
        let size = Limit { kind: "", max: settings.max, of_layer: |layer| Some(layer.size) };
        let compressed = settings.max_compressed.map(|max| Limit { kind: " compressed", max, of_layer: |layer| layer.compressed_size });
        std::iter::once(size).chain(compressed)
    }

    /// The image's bytes for this limit, by layer.
    fn by_layer(&self, image: &ImageFacts) -> Option<Vec<u64>> {
        image.layers.iter().map(|layer| (self.of_layer)(&layer.facts)).collect()
    }
}

/// A limit and what the image measures against it.
struct Measured {
    limit: Limit,
    by_layer: Vec<u64>,
}

impl Measured {
    fn total(&self) -> u64 {
        self.by_layer.iter().sum()
    }

    /// `152 MB (limit 180 MB)`, `48 MB compressed (limit 70 MB)`.
    fn summary(&self) -> String {
        format!("{}{} (limit {})", format_size(self.total()), self.limit.kind, format_size(self.limit.max))
    }
}

/// How many of the biggest shares a failure lists.
const SHARES_SHOWN: usize = 3;

/// The bytes one place added: a Dockerfile line (every layer it made; a `FROM` line, the base
/// image's layers), or a layer no line is known for.
struct Share {
    /// Where its first layer came from (the same line, instruction and base for all of them).
    origin: Origin,
    layers: usize,
    bytes: u64,
}

impl Share {
    /// `the base image adds 785.6 MB in 4 layers`, `this line adds 7.1 MB`, `layer 3 adds 9.4 kB`
    /// (`adds 2.3 MB compressed` with the `kind` of the compressed limit).
    fn evidence(&self, kind: &str) -> Evidence {
        let what = match self.origin.line {
            _ if self.origin.from_base => "the base image".to_string(),
            Some(_) => "this line".to_string(),
            None => format!("layer {}", self.origin.layer),
        };
        let in_layers = if self.layers > 1 { format!(" in {} layers", self.layers) } else { String::new() };
        let mut evidence = Evidence::from_layer(format!("{what} adds {}{kind}{in_layers}", format_size(self.bytes)), None, self.origin.clone());
        evidence.layer = evidence.layer.filter(|_| self.layers == 1);
        evidence.bytes = Some(self.bytes);
        evidence
    }
}

/// The image's bytes by where they came from, biggest first (layers that added nothing left out).
fn shares(input: &Input<'_>, sizes: impl Iterator<Item = u64>) -> Vec<Share> {
    let mut by_place: BTreeMap<Result<usize, usize>, Share> = BTreeMap::new();
    for (layer, bytes) in sizes.enumerate().filter(|(_, bytes)| *bytes > 0) {
        let origin = input.origin(layer);
        // A line, or else the layer itself.
        let place = origin.line.ok_or(layer);
        let share = by_place.entry(place).or_insert(Share { origin, layers: 0, bytes: 0 });
        share.layers += 1;
        share.bytes += bytes;
    }
    let mut shares: Vec<Share> = by_place.into_values().collect();
    shares.sort_by_key(|share| std::cmp::Reverse(share.bytes));
    shares
}

impl Check for Size {
    type Settings = Settings;

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<Settings, String> {
        deserialize(table)
    }

    /// The limits as reports print them (`20 MB`).
    fn asks(&self, limit: &Settings) -> Option<String> {
        let compressed = limit.max_compressed.map(|max| format!(", and at most {} compressed as a registry stores it", format_size(max)));
        Some(format!("The image is at most {}{}.", format_size(limit.max), compressed.unwrap_or_default()))
    }

    fn judge(&self, input: &Input<'_>, settings: &Settings) -> Outcome {
        let Some(image) = input.image else { return Outcome::skipped("no image") };
        let measured: Option<Vec<Measured>> = Limit::limits(settings).map(|limit| Some(Measured { by_layer: limit.by_layer(image)?, limit })).collect();
        let Some(measured) = measured else { return Outcome::error("the image's compressed size was not measured, so `max-compressed` cannot be judged") };
        let summary = measured.iter().map(Measured::summary).collect::<Vec<_>>().join(", ");
        let Some(over) = measured.iter().find(|m| m.total() > m.limit.max) else {
            return Outcome::pass(summary);
        };
        let evidence = shares(input, over.by_layer.iter().copied()).iter().take(SHARES_SHOWN).map(|share| share.evidence(over.limit.kind)).collect();
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
    use crate::attribution::tests::{image, GO_STARTER, LEGACY_HISTORY};
    use crate::attribution::Origins;
    use crate::checks::Status;
    use crate::dockerfile::Dockerfile;

    #[test]
    fn the_bytes_are_laid_at_the_lines_that_added_them_the_base_at_its_from() {
        let (image, dockerfile) = (image(&LEGACY_HISTORY), Dockerfile::parse(GO_STARTER).unwrap());
        let origins = Origins::new(&image, Some(&dockerfile));
        let input = Input { image: Some(&image), dockerfile: Some(&dockerfile), origins: Some(&origins), ..Input::default() };
        let outcome = Size.judge(&input, &Settings { max: 20_000_000, max_compressed: None });
        assert_eq!(outcome.status, Status::Fail);
        let shown: Vec<String> = outcome.evidence.iter().map(|e| format!("{} · {:?} · {:?} · {:?}", e.message, e.layer, e.dockerfile_line, e.bytes)).collect();
        assert_eq!(
            shown,
            [
                "the base image adds 785 MB in 2 layers · None · Some(2) · Some(785000000)",
                "this line adds 7.1 MB · Some(3) · Some(6) · Some(7100000)",
                "this line adds 9.5 kB · Some(2) · Some(5) · Some(9500)",
            ]
        );
        assert_eq!(outcome.evidence[2].instruction.as_deref(), Some("COPY . ."));
        let unattributed = Size.judge(&Input { image: Some(&image), ..Input::default() }, &Settings { max: 20_000_000, max_compressed: None });
        assert_eq!(unattributed.evidence[0].message, "layer 1 adds 668 MB", "without a Dockerfile, layer by layer");
    }

    /// An image of layers of (size, compressed size when measured).
    fn image_of(layers: &[(u64, Option<u64>)]) -> ImageFacts {
        let layers = layers.iter().map(|&(size, compressed_size)| LayerFacts { size, compressed_size, ..LayerFacts::default() }).collect();
        ImageFacts::assemble("sha256:test".into(), b"{}", layers).unwrap()
    }

    #[test]
    fn the_compressed_limit_is_judged_only_when_set_and_on_the_compressed_bytes() {
        let image = image_of(&[(120_000_000, Some(40_000_000)), (32_000_000, Some(9_000_000))]);
        let input = Input { image: Some(&image), ..Input::default() };
        let judge = |max_compressed| Size.judge(&input, &Settings { max: 180_000_000, max_compressed });
        let unset = judge(None);
        assert_eq!((unset.status, unset.summary.as_str()), (Status::Pass, "152 MB (limit 180 MB)"));
        let within = judge(Some(70_000_000));
        assert_eq!((within.status, within.summary.as_str()), (Status::Pass, "152 MB (limit 180 MB), 49 MB compressed (limit 70 MB)"));
        let over = judge(Some(45_000_000));
        assert_eq!((over.status, over.summary.as_str()), (Status::Fail, "the image is 152 MB (limit 180 MB), 49 MB compressed (limit 45 MB)"));
        let shares: Vec<(&str, Option<u64>)> = over.evidence.iter().map(|e| (e.message.as_str(), e.bytes)).collect();
        assert_eq!(shares, [("layer 0 adds 40 MB compressed", Some(40_000_000)), ("layer 1 adds 9 MB compressed", Some(9_000_000))]);
    }

    #[test]
    fn a_compressed_limit_on_an_unmeasured_image_is_an_error_not_a_pass() {
        let image = image_of(&[(120_000_000, Some(40_000_000)), (32_000_000, None)]);
        let input = Input { image: Some(&image), ..Input::default() };
        let outcome = Size.judge(&input, &Settings { max: 180_000_000, max_compressed: Some(70_000_000) });
        assert_eq!(
            (outcome.status, outcome.summary.as_str()),
            (Status::Error, "the image's compressed size was not measured, so `max-compressed` cannot be judged")
        );
        let plain = Size.judge(&input, &Settings { max: 180_000_000, max_compressed: None });
        assert_eq!(plain.status, Status::Pass, "the size alone needs no compressed size");
    }

    fn asks(toml: &str) -> String {
        Size.asks(&Size.settings(&toml::from_str(toml).unwrap(), &ExerciseDefaults::default()).unwrap()).unwrap()
    }

    #[test]
    fn asks_for_the_limit_as_reports_print_it() {
        assert_eq!(asks(r#"max = "20 MB""#), "The image is at most 20 MB.");
        assert_eq!(asks(r#"max = "150MB""#), "The image is at most 150 MB.");
        assert_eq!(asks(r#"max = "1.5 kB""#), "The image is at most 1.5 kB.");
        assert_eq!(asks("max = \"180 MB\"\nmax-compressed = \"70 MB\""), "The image is at most 180 MB, and at most 70 MB compressed as a registry stores it.");
    }

    #[test]
    fn a_limit_without_its_unit_is_refused() {
        for toml in ["max = 20", r#"max = "20""#, "max = \"1 GB\"\nmax-compressed = 20"] {
            let error = Size.settings(&toml::from_str(toml).unwrap(), &ExerciseDefaults::default()).unwrap_err();
            assert!(error.contains(r#"the size 20 has no unit: write it as "20 MB""#), "{error}");
        }
    }
}
