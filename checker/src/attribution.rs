//! Traces each layer back to the instruction that made it and, when the learner's Dockerfile is
//! known, to its line there.
//!
//! The shipping stage's instructions (the last stage's, or the target's), after those of the
//! stages it is built `FROM`, are aligned with the tail of the image history by keyword, as a
//! longest common subsequence anchored at the end: the base image's own history comes first and
//! matches nothing, builders may add entries (a build label) or skip some (BuildKit does not
//! record `ARG`).
use crate::dockerfile::{Dockerfile, Instruction};
use crate::image::config::HistoryEntry;
use crate::image::ImageFacts;

/// Where a layer came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Origin {
    pub layer: usize,
    /// The instruction as the history records it (`RUN apt-get install -y gcc`).
    pub instruction: Option<String>,
    /// Its line in the learner's Dockerfile, when the layer came from it (not from the base image).
    pub line: Option<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct Origins {
    /// Per layer, in rootfs order.
    layers: Vec<Origin>,
    /// Per history entry, the Dockerfile line that produced it.
    history_lines: Vec<Option<usize>>,
}

impl Origins {
    pub(crate) fn new(image: &ImageFacts, dockerfile: Option<&Dockerfile>) -> Self {
        let lines = dockerfile.map(|d| history_lines(&image.history, d)).unwrap_or_default();
        let layers = (0..image.layers.len())
            .map(|index| {
                let history = image.layers[index].history;
                Origin { layer: index, instruction: image.layer_instruction(index), line: history.and_then(|h| lines.get(h).copied().flatten()) }
            })
            .collect();
        Origins { layers, history_lines: lines }
    }

    /// The Dockerfile line of a history entry (layers and empty entries such as ENV alike).
    pub(crate) fn history_line(&self, index: usize) -> Option<usize> {
        self.history_lines.get(index).copied().flatten()
    }

    pub(crate) fn of_layer(&self, layer: usize) -> Origin {
        self.layers.get(layer).cloned().unwrap_or(Origin { layer, ..Origin::default() })
    }
}

/// The instructions that make the shipped image: the shipping stage's, after those of the stages
/// it is built `FROM` (the builder's `FROM` lines themselves make no history).
fn shipped_chain(dockerfile: &Dockerfile) -> Vec<&Instruction> {
    let ancestry = dockerfile.ancestry(dockerfile.shipped_stage().index);
    ancestry.iter().rev().flat_map(|stage| dockerfile.stage_instructions(stage.index).filter(|i| i.keyword != "FROM")).collect()
}

/// For each entry of an image's history (oldest first), the Dockerfile line that produced it.
pub(crate) fn history_lines(history: &[HistoryEntry], dockerfile: &Dockerfile) -> Vec<Option<usize>> {
    let history: Vec<String> = history.iter().map(|h| h.keyword()).collect();
    let chain = shipped_chain(dockerfile);
    let instructions: Vec<&str> = chain.iter().map(|i| i.keyword.as_str()).collect();
    let mut lines = vec![None; history.len()];
    for (h, i) in align_from_end(&history, &instructions) {
        lines[h] = Some(chain[i].line);
    }
    lines
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
mod tests {
    use super::*;

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
