//! Traces each layer back to the instruction that made it and, when the learner's Dockerfile is
//! known, to its line there, in the learner's own words.
//!
//! The shipping stage's instructions (the last stage's, or the target's), after those of the
//! stages it is built `FROM`, are aligned with the tail of the image history by keyword, as a
//! longest common subsequence anchored at the end: the base image's own history comes first and
//! matches nothing, builders may add entries (a build label) or skip some (BuildKit does not
//! record `ARG`). The entries before the first one traced came with the base image, and are laid
//! at the `FROM` line that names it.
//!
//! What must hold: a traced layer quotes the Dockerfile's instruction as written (never the
//! builder's `COPY dir:…` form); the history's words are used only where no line is known; a
//! base image's layer is told apart from the learner's ([`Origin::learner_line`]).
use crate::dockerfile::{Dockerfile, Instruction, Named};
use crate::image::config::HistoryEntry;
use crate::image::ImageFacts;

/// Where a layer came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Origin {
    pub layer: usize,
    /// The instruction: as the Dockerfile writes it when `line` is known (`COPY . .`, or the
    /// base image's `FROM`), else as the history records it (`RUN apt-get install -y gcc`).
    pub instruction: Option<String>,
    /// Its line in the learner's Dockerfile: the instruction that made the layer, or the `FROM`
    /// line that names the base image the layer came with.
    pub line: Option<usize>,
    /// The layer came with the base image, so `line` is a `FROM`.
    pub from_base: bool,
}

impl Origin {
    /// The line of the learner's own instruction that made the layer (none for a base layer).
    pub(crate) fn learner_line(&self) -> Option<usize> {
        self.line.filter(|_| !self.from_base)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Origins {
    /// Per layer, in rootfs order.
    layers: Vec<Origin>,
    /// Per history entry, the line of the learner's instruction that produced it.
    history_lines: Vec<Option<usize>>,
}

impl Origins {
    pub(crate) fn new(image: &ImageFacts, dockerfile: Option<&Dockerfile>) -> Self {
        let traced = dockerfile.map(|d| trace(&image.history, d)).unwrap_or_default();
        let layers = (0..image.layers.len())
            .map(|index| {
                let by_history = || Origin { layer: index, instruction: image.layer_instruction(index), ..Origin::default() };
                let entry = image.layers[index].history.and_then(|h| traced.get(h).copied().flatten());
                entry.map_or_else(by_history, |made| made.origin(index))
            })
            .collect();
        Origins { layers, history_lines: learner_lines(&traced) }
    }

    /// The line of the learner's instruction that made a history entry (layers and empty
    /// entries such as ENV alike; none for the base image's entries).
    pub(crate) fn history_line(&self, index: usize) -> Option<usize> {
        self.history_lines.get(index).copied().flatten()
    }

    pub(crate) fn of_layer(&self, layer: usize) -> Origin {
        self.layers.get(layer).cloned().unwrap_or(Origin { layer, ..Origin::default() })
    }
}

/// What made a history entry: one of the learner's instructions, or the base image its `FROM`
/// names.
#[derive(Debug, Clone, Copy)]
enum Made<'a> {
    Step(&'a Instruction),
    Base(&'a Instruction),
}

impl Made<'_> {
    fn learner_line(self) -> Option<usize> {
        match self {
            Made::Step(instruction) => Some(instruction.line),
            Made::Base(_) => None,
        }
    }

    fn origin(self, layer: usize) -> Origin {
        let (Made::Step(instruction) | Made::Base(instruction)) = self;
        Origin { layer, instruction: Some(instruction.text.clone()), line: Some(instruction.line), from_base: matches!(self, Made::Base(_)) }
    }
}

/// The instructions that make the shipped image: the shipping stage's, after those of the stages
/// it is built `FROM` (the builder's `FROM` lines themselves make no history).
fn shipped_chain(dockerfile: &Dockerfile) -> Vec<&Instruction> {
    let ancestry = dockerfile.ancestry(dockerfile.shipped_stage().index);
    ancestry.iter().rev().flat_map(|stage| dockerfile.stage_instructions(stage.index).filter(|i| i.keyword != "FROM")).collect()
}

/// The `FROM` line that names the shipped image's base image (none when the chain starts
/// `FROM scratch`).
fn base_from(dockerfile: &Dockerfile) -> Option<&Instruction> {
    let root = *dockerfile.ancestry(dockerfile.shipped_stage().index).last()?;
    if matches!(dockerfile.names(&root.base, root.index), Named::Scratch) {
        return None;
    }
    dockerfile.stage_instructions(root.index).find(|i| i.keyword == "FROM")
}

/// For each entry of an image's history (oldest first), what made it: the learner's instruction
/// it is aligned with, or the base image for the entries before the first one aligned.
fn trace<'a>(history: &[HistoryEntry], dockerfile: &'a Dockerfile) -> Vec<Option<Made<'a>>> {
    let chain = shipped_chain(dockerfile);
    let keywords: Vec<String> = history.iter().map(|h| h.keyword()).collect();
    let instructions: Vec<&str> = chain.iter().map(|i| i.keyword.as_str()).collect();
    let mut made: Vec<Option<Made<'a>>> = vec![None; history.len()];
    for (h, i) in align_from_end(&keywords, &instructions) {
        made[h] = Some(Made::Step(chain[i]));
    }
    if let Some(from) = base_from(dockerfile) {
        let first_step = made.iter().position(Option::is_some).unwrap_or(made.len());
        made[..first_step].fill(Some(Made::Base(from)));
    }
    made
}

/// For each entry of an image's history (oldest first), the line of the learner's instruction
/// that produced it.
pub(crate) fn history_lines(history: &[HistoryEntry], dockerfile: &Dockerfile) -> Vec<Option<usize>> {
    learner_lines(&trace(history, dockerfile))
}

fn learner_lines(traced: &[Option<Made<'_>>]) -> Vec<Option<usize>> {
    traced.iter().map(|made| made.and_then(Made::learner_line)).collect()
}

/// Longest common subsequence of two keyword sequences, preferring matches nearest the end.
/// Returns matched index pairs `(a, b)`.
fn align_from_end<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    // best[i][j]: LCS length of a[..i] and b[..j].
    let mut best = vec![vec![0u32; m + 1]; n + 1];
    for i in 1..=n {
        for j in 1..=m {
            best[i][j] = if a[i - 1].as_ref() == b[j - 1].as_ref() { best[i - 1][j - 1] + 1 } else { best[i - 1][j].max(best[i][j - 1]) };
        }
    }
    let (mut i, mut j, mut pairs) = (n, m, Vec::new());
    while i > 0 && j > 0 {
        if a[i - 1].as_ref() == b[j - 1].as_ref() {
            pairs.push((i - 1, j - 1));
            i -= 1;
            j -= 1;
        } else if best[i - 1][j] >= best[i][j - 1] {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    pairs
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::image::LayerFacts;

    /// An image with this history (`created_by`, and whether the entry made a layer of `bytes`).
    pub(crate) fn image(history: &[(&str, Option<u64>)]) -> ImageFacts {
        let entries: Vec<String> =
            history.iter().map(|(created_by, bytes)| format!("{{\"created_by\": {created_by:?}, \"empty_layer\": {}}}", bytes.is_none())).collect();
        let config = format!("{{\"history\": [{}]}}", entries.join(","));
        let layers = history.iter().filter_map(|(_, bytes)| *bytes).map(|size| LayerFacts { size, ..LayerFacts::default() }).collect();
        ImageFacts::assemble("sha256:test".into(), config.as_bytes(), layers).unwrap()
    }

    /// The legacy builder's history of `FROM golang` + [`GO_STARTER`]: the base's two layers and
    /// its `CMD`, then the starter's steps in the builder's words (`COPY dir:…`).
    pub(crate) const LEGACY_HISTORY: [(&str, Option<u64>); 6] = [
        ("/bin/sh -c #(nop) ADD file:5a6b in / ", Some(117_000_000)),
        ("/bin/sh -c apt-get update && apt-get install -y gcc", Some(668_000_000)),
        ("/bin/sh -c #(nop)  CMD [\"bash\"]", None),
        ("/bin/sh -c #(nop) WORKDIR /src", None),
        ("/bin/sh -c #(nop) COPY dir:a35c8f04d9e6b1c7a35c8f04d9e6b1c7a35c8f04d9e6b1c7a35c8f04d9e6b1c7 in . ", Some(9_500)),
        ("/bin/sh -c go build -o /usr/local/bin/beacon .", Some(7_100_000)),
    ];

    pub(crate) const GO_STARTER: &str = "# Beacon\nFROM golang:1.22-bookworm\n\nWORKDIR /src\nCOPY . .\nRUN go build -o /usr/local/bin/beacon .\n";

    #[test]
    fn a_base_layer_is_laid_at_its_from_line_and_a_step_quotes_the_dockerfile() {
        let dockerfile = Dockerfile::parse(GO_STARTER).unwrap();
        let origins = Origins::new(&image(&LEGACY_HISTORY), Some(&dockerfile));
        for layer in [0, 1] {
            let base = origins.of_layer(layer);
            assert_eq!((base.line, base.instruction.as_deref(), base.from_base), (Some(2), Some("FROM golang:1.22-bookworm"), true));
            assert_eq!(base.learner_line(), None);
        }
        let copy = origins.of_layer(2);
        assert_eq!((copy.line, copy.instruction.as_deref(), copy.from_base), (Some(5), Some("COPY . ."), false), "not the builder's `COPY dir:…`");
        assert_eq!(copy.learner_line(), Some(5));
        assert_eq!(origins.of_layer(3).instruction.as_deref(), Some("RUN go build -o /usr/local/bin/beacon ."));
        assert_eq!((0..6).map(|entry| origins.history_line(entry)).collect::<Vec<_>>(), [None, None, None, Some(4), Some(5), Some(6)]);
    }

    #[test]
    fn without_a_dockerfile_or_from_scratch_no_layer_is_the_base_images() {
        let origins = Origins::new(&image(&LEGACY_HISTORY), None);
        let copy = origins.of_layer(2);
        assert_eq!((copy.line, copy.from_base), (None, false));
        assert!(copy.instruction.unwrap().starts_with("COPY dir:a35c"), "the history's words when no line is known");
        let scratch = Dockerfile::parse("FROM scratch\nCOPY app /app\n").unwrap();
        let origins = Origins::new(&image(&[("COPY app /app # buildkit", Some(3))]), Some(&scratch));
        assert_eq!(origins.of_layer(0), Origin { layer: 0, instruction: Some("COPY app /app".into()), line: Some(2), from_base: false });
    }

    #[test]
    fn the_base_is_named_by_the_first_stage_the_shipped_one_is_built_from() {
        let text = "FROM ruby:3 AS base\nWORKDIR /rails\nFROM base\nCOPY . .\n";
        let dockerfile = Dockerfile::parse(text).unwrap();
        let history = [("ADD file:x in /", Some(80)), ("WORKDIR /rails", Some(0)), ("COPY . . # buildkit", Some(2))];
        let origins = Origins::new(&image(&history), Some(&dockerfile));
        assert_eq!(
            (0..3).map(|layer| (origins.of_layer(layer).line, origins.of_layer(layer).from_base)).collect::<Vec<_>>(),
            [(Some(1), true), (Some(2), false), (Some(4), false)]
        );
    }

    #[test]
    fn aligns_the_tail_and_skips_extras_on_both_sides() {
        let history = ["ADD", "CMD", "WORKDIR", "COPY", "RUN", "LABEL"];
        let stage = ["ARG", "WORKDIR", "COPY", "RUN"];
        let mut pairs = align_from_end(&history, &stage);
        pairs.sort();
        assert_eq!(pairs, [(2, 1), (3, 2), (4, 3)]);
    }

    #[test]
    fn the_shipped_chain_follows_the_target_through_its_parent_stages() {
        let text =
            "FROM ruby:3 AS base\nWORKDIR /rails\nFROM base AS build\nRUN make\nFROM base AS app\nCOPY --from=build /a /a\nFROM app AS test\nRUN rake test\n";
        let lines = |target| {
            let dockerfile = Dockerfile::parse(text).unwrap().with_target(target).unwrap();
            shipped_chain(&dockerfile).iter().map(|i| i.line).collect::<Vec<_>>()
        };
        assert_eq!(lines(None), [2, 6, 8]);
        assert_eq!(lines(Some("app")), [2, 6]);
    }
}
