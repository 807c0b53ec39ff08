//! The text the builder gets: the learner's Dockerfile with mapped images in place of the public
//! ones, and a `# syntax=` directive set aside so the engine's built-in frontend builds it (no
//! frontend image can be pulled offline). The checks judge the file as written, never this text.
//!
//! What must hold: every line keeps its number (a reference is replaced within its line, the
//! directive becomes a comment line among the directives), so the builder's errors and the image
//! history point at the learner's lines; the other parser directives (`escape`, `check`) still
//! apply; references to build stages and `scratch` are never rewritten.
use std::ops::Range;

use super::image_map::ImageMap;
use super::{Dockerfile, Named};

/// What to send the builder, and what the learner should be told about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ForBuilder {
    pub text: String,
    /// One line each, for the report (e.g. that the `# syntax=` line was set aside).
    pub notes: Vec<String>,
}

/// A parser directive line at the top of the file.
struct Directive {
    /// The line, its `\n` excluded.
    line: Range<usize>,
    /// Lower-cased: `syntax`, `escape`, `check`.
    name: String,
}

/// The parser directives BuildKit knows; another `# name=value` line ends the directives.
const DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

impl Dockerfile {
    /// The text to send the builder: image references the map knows replaced by their local
    /// images (looked up as written first, so a key spelled `node:${V}` works, then with build
    /// arguments filled in; a target in a registry keeps the reference's digest, see
    /// [`ImageMap::builder_reference`]), and a `# syntax=` directive set aside.
    pub(crate) fn for_builder(&self, map: &ImageMap) -> ForBuilder {
        let mut text = self.text.clone();
        for (span, local) in self.mapped(map).into_iter().rev() {
            text.replace_range(span, &local);
        }
        let mut notes = Vec::new();
        if let Some((without, line)) = set_aside_syntax(&text) {
            text = without;
            notes.push(format!(
                "the `{line}` line was set aside: the engine's built-in Dockerfile frontend built this file (no frontend image can be pulled offline)"
            ));
        }
        ForBuilder { text, notes }
    }

    /// The spans of image references to replace, in text order, with their local images.
    fn mapped(&self, map: &ImageMap) -> Vec<(Range<usize>, String)> {
        let mut edits = Vec::new();
        for instruction in &self.instructions {
            for reference in instruction.references() {
                let (Some(span), Named::Image(expanded)) = (&reference.span, self.names(&reference.written, instruction.stage.unwrap_or(0))) else {
                    continue;
                };
                let local = map.builder_reference(&reference.written).or_else(|| expanded.ok().and_then(|image| map.builder_reference(&image)));
                edits.extend(local.map(|local| (span.clone(), local)));
            }
        }
        edits.sort_by_key(|(span, _)| span.start);
        edits
    }
}

/// `text` with its `# syntax=` directive turned into a plain comment placed after the other
/// directives (a comment ends the directives, so they must come first), and the line as written.
fn set_aside_syntax(text: &str) -> Option<(String, String)> {
    let directives = directives(text);
    let syntax = directives.iter().find(|d| d.name == "syntax")?;
    let block_end = directives.last()?.line.end;
    let written = text[syntax.line.clone()].trim().to_string();
    let mut out = String::with_capacity(text.len() + 32);
    for directive in directives.iter().filter(|d| d.name != "syntax") {
        out.push_str(&text[directive.line.clone()]);
        out.push('\n');
    }
    out.push_str(&format!("# set aside by Shipshape, the engine's own frontend builds this file: {}", written.trim_start_matches('#').trim()));
    out.push_str(&text[block_end..]);
    Some((out, written))
}

/// The parser directives at the top of `text`, read as BuildKit reads them: each line `#`, spaces,
/// a name (any case), spaces, `=`, a value; the first other line ends them.
fn directives(text: &str) -> Vec<Directive> {
    let mut found = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.strip_suffix('\n').unwrap_or(line);
        let Some(name) = directive_name(content).filter(|name| DIRECTIVES.contains(&name.as_str())) else { break };
        found.push(Directive { line: start..start + content.len(), name });
        start += line.len();
    }
    found
}

/// `# Syntax = x` → `syntax`; `None` when the line is not `#`, name, `=`, value.
fn directive_name(line: &str) -> Option<String> {
    let rest = line.strip_prefix('#')?.trim_start();
    let name_end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
    let (name, rest) = rest.split_at(name_end);
    let value = rest.trim_start().strip_prefix('=')?;
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_alphabetic());
    (starts_with_letter && !value.trim().is_empty()).then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::dockerfile::image_map::tests::map;

    fn stand_ins() -> ImageMap {
        map(&[
            ("node:20-bookworm", "shipshape.test/node:bookworm"),
            ("gcr.io/distroless/static-debian12:nonroot", "local/static:nonroot"),
            ("busybox", "local/busybox"),
            ("node:${LITERAL}", "local/literal"),
        ])
    }

    fn sent(text: &str) -> ForBuilder {
        Dockerfile::parse(text).unwrap().for_builder(&stand_ins())
    }

    #[test]
    fn rewrites_from_and_copy_from_but_not_stage_names() {
        let text = "FROM docker.io/library/node:20-bookworm AS build\nRUN make\nFROM gcr.io/distroless/static-debian12:nonroot@sha256:aaaa\nCOPY --from=build /a /a\nCOPY --from=busybox:latest /bin/busybox /busybox\n";
        let expected = "FROM shipshape.test/node:bookworm AS build\nRUN make\nFROM local/static:nonroot\nCOPY --from=build /a /a\nCOPY --from=local/busybox /bin/busybox /busybox\n";
        assert_eq!(sent(text), ForBuilder { text: expected.into(), notes: Vec::new() });
    }

    #[test]
    fn unmapped_images_stay() {
        assert_eq!(sent("FROM alpine:3.20\n").text, "FROM alpine:3.20\n");
    }

    #[test]
    fn build_arguments_are_filled_in_before_the_lookup() {
        let text = "ARG NODE_VERSION=20\nARG LITERAL=x\nFROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-bookworm AS build\nRUN --mount=type=bind,from=busybox,target=/b \\\n    --mount=from=build,target=/c true\nFROM node:${LITERAL} AS literal\nFROM ${BASE:-gcr.io/distroless/static-debian12}:nonroot\nCOPY --from=build /a /a\n";
        let expected = "ARG NODE_VERSION=20\nARG LITERAL=x\nFROM --platform=$BUILDPLATFORM shipshape.test/node:bookworm AS build\nRUN --mount=type=bind,from=local/busybox,target=/b \\\n    --mount=from=build,target=/c true\nFROM local/literal AS literal\nFROM local/static:nonroot\nCOPY --from=build /a /a\n";
        assert_eq!(sent(text).text, expected);
        let other = Dockerfile::parse(text).unwrap().with_build_args(&BTreeMap::from([("NODE_VERSION".to_string(), "22".to_string())]));
        assert!(
            other.for_builder(&stand_ins()).text.contains("FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-bookworm AS build\n"),
            "node:22 is not mapped"
        );
    }

    #[test]
    fn a_byte_order_mark_or_crlf_does_not_shift_the_rewrite() {
        let text = "\u{feff}# a comment\r\nFROM node:20-bookworm AS build\r\nRUN make\r\nFROM busybox\r\n";
        assert_eq!(sent(text).text, "# a comment\nFROM shipshape.test/node:bookworm AS build\nRUN make\nFROM local/busybox\n");
    }

    #[test]
    fn the_syntax_directive_is_set_aside_and_the_others_still_apply() {
        let text = "# Syntax = docker/dockerfile:1.7\n#escape=`\n\n# syntax=not/a-directive\nFROM busybox\nRUN echo `\n  hi\n";
        let sent = sent(text);
        let expected = "#escape=`\n# set aside by Shipshape, the engine's own frontend builds this file: Syntax = docker/dockerfile:1.7\n\n# syntax=not/a-directive\nFROM local/busybox\nRUN echo `\n  hi\n";
        assert_eq!(sent.text, expected);
        assert_eq!(directives(&sent.text).iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["escape"]);
        assert_eq!(sent.notes.len(), 1);
        assert!(sent.notes[0].starts_with("the `# Syntax = docker/dockerfile:1.7` line was set aside"), "{}", sent.notes[0]);
        assert_eq!(Dockerfile::parse(&sent.text).unwrap().instructions[1].line, 6, "lines keep their numbers");
    }

    #[test]
    fn only_a_directive_at_the_top_is_one() {
        for text in ["FROM busybox\n# syntax=docker/dockerfile:1\n", "# a comment\n# syntax=docker/dockerfile:1\nFROM busybox\n", " # syntax=x\nFROM busybox\n"]
        {
            assert!(sent(text).notes.is_empty(), "{text:?}");
        }
        assert_eq!(directive_name("#syntax=docker/dockerfile:1").as_deref(), Some("syntax"));
        assert_eq!(directive_name("# syntax ="), None);
        assert_eq!(directive_name("# 1x=y"), None);
        assert_eq!(directive_name("# set aside by Shipshape: syntax=x"), None);
    }
}
