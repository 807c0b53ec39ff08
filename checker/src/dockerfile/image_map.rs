//! The image map: public image references → local ones (stand-ins, or a room's mirror).
//!
//! What must hold: only the image references in `FROM` and `COPY --from=<image>` change, byte for
//! byte in place, so every line keeps its number; references to build stages are never rewritten.
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::Dockerfile;
use crate::error::{Context, Error, Result};

#[derive(Debug, Default, Clone)]
pub struct ImageMap {
    images: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    images: BTreeMap<String, String>,
}

impl ImageMap {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .context(|| format!("cannot read the image map {}", path.display()))
            .map_err(|e| e.action("pass --image-map a TOML file with an [images] table (see tests/images/image-map.toml)"))?;
        let raw: RawMap = toml::from_str(&text).map_err(|e| {
            Error::new(format!("the image map {} is malformed", path.display()))
                .because(e)
                .action("write it as [images] followed by lines like \"node:20\" = \"mirror.local/node:20\"")
        })?;
        Ok(ImageMap { images: raw.images.into_iter().map(|(k, v)| (normalize(&k), v)).collect() })
    }

    /// The local reference for `reference`, trying it as written, then without its digest.
    pub fn lookup(&self, reference: &str) -> Option<&str> {
        let normalized = normalize(reference);
        let without_digest = normalized.split('@').next().unwrap_or(&normalized).to_string();
        self.images.get(&normalized).or_else(|| self.images.get(&without_digest)).map(String::as_str)
    }

    /// The local references this map points at (for `doctor` and the test set-up).
    pub fn targets(&self) -> impl Iterator<Item = &str> {
        self.images.values().map(String::as_str)
    }

    /// The Dockerfile text with mapped images replaced; stage references stay as they are.
    pub fn rewrite(&self, dockerfile: &Dockerfile) -> String {
        let mut edits: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
        for instruction in &dockerfile.instructions {
            let stage = instruction.stage.unwrap_or(0);
            if let Some((image, span)) = &instruction.from_image {
                if dockerfile.stage_named(image, stage).is_none() {
                    if let Some(local) = self.lookup(image) {
                        edits.push((span.clone(), local));
                    }
                }
            }
            if let Some(source) = &instruction.copy_from {
                if dockerfile.stage_named(source, stage).is_none() {
                    if let Some(local) = self.lookup(source) {
                        if let Some(at) = find_flag_value(&dockerfile.text, instruction, source) {
                            edits.push((at..at + source.len(), local));
                        }
                    }
                }
            }
        }
        let mut text = dockerfile.text.clone();
        edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
        for (span, local) in edits {
            text.replace_range(span, local);
        }
        text
    }
}

/// Byte offset of `value` in `--from=value` within the instruction's first line.
fn find_flag_value(text: &str, instruction: &super::Instruction, value: &str) -> Option<usize> {
    let line_start: usize = text.split_inclusive('\n').take(instruction.line - 1).map(str::len).sum();
    let line_end = text[line_start..].find('\n').map_or(text.len(), |n| line_start + n);
    let needle = format!("--from={value}");
    text[line_start..line_end].find(&needle).map(|at| line_start + at + "--from=".len())
}

/// `docker.io/library/node:20` → `node:20`; a reference without a tag or digest gets `:latest`.
fn normalize(reference: &str) -> String {
    let reference = reference.trim();
    let short = reference.strip_prefix("docker.io/").unwrap_or(reference);
    let short = short.strip_prefix("library/").unwrap_or(short);
    let name_end = short.find('@').unwrap_or(short.len());
    let last_segment = short[..name_end].rsplit('/').next().unwrap_or("");
    if last_segment.contains(':') || short.contains('@') {
        short.to_string()
    } else {
        format!("{short}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> ImageMap {
        let raw = [("node:20", "local/node:20"), ("gcr.io/distroless/static-debian12:nonroot", "local/static:nonroot"), ("busybox", "local/busybox")];
        ImageMap { images: raw.iter().map(|(k, v)| (normalize(k), v.to_string())).collect() }
    }

    #[test]
    fn rewrites_from_and_copy_from_but_not_stage_names() {
        let text = "FROM docker.io/library/node:20 AS build\nRUN make\nFROM gcr.io/distroless/static-debian12:nonroot@sha256:aaaa\nCOPY --from=build /a /a\nCOPY --from=busybox:latest /bin/busybox /busybox\n";
        let file = Dockerfile::parse(text).unwrap();
        let rewritten = map().rewrite(&file);
        assert_eq!(
            rewritten,
            "FROM local/node:20 AS build\nRUN make\nFROM local/static:nonroot\nCOPY --from=build /a /a\nCOPY --from=local/busybox /bin/busybox /busybox\n"
        );
        assert_eq!(rewritten.lines().count(), text.lines().count());
    }

    #[test]
    fn unmapped_images_stay() {
        let file = Dockerfile::parse("FROM alpine:3.20\n").unwrap();
        assert_eq!(map().rewrite(&file), "FROM alpine:3.20\n");
    }
}
