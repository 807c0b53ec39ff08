//! `pinned-base`: every image the Dockerfile starts from or copies from is pinned by digest, judged
//! with build arguments filled in (a digest may come from an `ARG`).
use crate::dockerfile::image_ref::ImageRef;

use super::{no_settings, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};

pub(super) struct PinnedBase;

pub(super) static META: CheckMeta = CheckMeta {
    id: "pinned-base",
    summary: "Every external base image is pinned by digest",
    severity: Severity::Error,
    needs: Needs::Dockerfile,
    doc: include_str!("../../docs/checks/pinned-base.md"),
};

/// `name:tag@sha256:<64 hex>` (or without the tag).
pub(super) fn is_pinned(reference: &str) -> bool {
    let digest = ImageRef::parse(reference).digest.and_then(|digest| digest.strip_prefix("sha256:"));
    digest.is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Check for PinnedBase {
    type Settings = ();

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<(), String> {
        no_settings(table)
    }

    fn judge(&self, input: &Input<'_>, _settings: &()) -> Outcome {
        let Some(dockerfile) = input.dockerfile else { return Outcome::skipped("no Dockerfile") };
        let mut external = 0;
        let mut unpinned = Vec::new();
        for image in dockerfile.external_images() {
            external += 1;
            let written = &image.reference.written;
            let judged = image.expanded.as_deref().unwrap_or(written);
            if !is_pinned(judged) {
                let shown = if judged == written { written.clone() } else { format!("{written} ({judged})") };
                unpinned.push(Evidence::at_line(
                    format!("{shown} is a tag: what it names can change under you"),
                    image.instruction.line,
                    &image.instruction.text,
                ));
            }
        }
        if unpinned.is_empty() {
            return Outcome::pass(format!("{external} external image(s), all pinned by digest"));
        }
        Outcome::fail(
            format!("{} of {external} external image(s) not pinned by digest", unpinned.len()),
            unpinned,
            "append the digest and keep the tag for people: FROM node:20-bookworm@sha256:<digest>; find it with \
             `docker buildx imagetools inspect IMAGE` or `docker inspect --format '{{index .RepoDigests 0}}' IMAGE`, \
             and let Renovate or Dependabot move it",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_must_be_whole() {
        let hex = "a".repeat(64);
        assert!(is_pinned(&format!("node:20@sha256:{hex}")));
        assert!(is_pinned(&format!("gcr.io/distroless/static-debian12@sha256:{hex}")));
        assert!(!is_pinned("node:20"));
        assert!(!is_pinned("node@sha256:abc"));
        assert!(!is_pinned(&format!("node@sha256:{}", "z".repeat(64))));
    }

    #[test]
    fn judges_references_with_build_arguments_filled_in() {
        let hex = "a".repeat(64);
        let text = format!("ARG DIGEST=sha256:{hex}\nARG V=20\nFROM node:20@${{DIGEST}} AS build\nFROM node:$V\nCOPY --from=build /a /a\n");
        let dockerfile = crate::dockerfile::Dockerfile::parse(&text).unwrap();
        let outcome = PinnedBase.judge(&Input { dockerfile: Some(&dockerfile), ..Input::default() }, &());
        assert_eq!(outcome.summary, "1 of 2 external image(s) not pinned by digest");
        assert_eq!(outcome.evidence[0].message, "node:$V (node:20) is a tag: what it names can change under you");
        assert_eq!(outcome.evidence[0].dockerfile_line, Some(4));
    }
}
