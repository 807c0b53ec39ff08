//! `pinned-base`: every image the Dockerfile starts from or copies from is pinned by digest, judged
//! with build arguments filled in (a digest may come from an `ARG`); and, when the run asked the
//! room's registry ([`Input::digests`], collected at the edge), every digest is one it serves.
//!
//! What must hold: the check never asks anything itself; without a registry's answers the digests
//! pass on their form alone, and the summary says they were not verified.
use crate::dockerfile::image_ref::ImageRef;
use crate::dockerfile::ExternalImage;
use crate::registry::{DigestAnswer, DigestRecord};

use super::{no_settings, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::units::count;

pub(super) struct PinnedBase;

pub(super) static META: CheckMeta = CheckMeta {
    id: "pinned-base",
    summary: "Every external base image is pinned by digest",
    severity: Severity::Error,
    needs: Needs::Dockerfile,
    lists_on_pass: false,
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
        let images = dockerfile.external_images();
        let mut unpinned = Vec::new();
        let mut unverified = Vec::new();
        for image in &images {
            let (shown, judged) = shown_and_judged(image);
            if !is_pinned(judged) {
                unpinned.push(evidence(image, format!("{shown} is a tag: what it names can change under you")));
            } else if let Some(problem) = input.digests.and_then(|record| not_served(record, judged)) {
                unverified.push(evidence(image, format!("{shown}: {problem}")));
            }
        }
        let external = images.len();
        match (unpinned.is_empty(), unverified.is_empty()) {
            (true, true) => Outcome::pass(format!("{}, all pinned by digest{}", count(external, "external image"), verified(input.digests))),
            (false, _) => Outcome::fail(
                format!("{} of {} not pinned by digest", unpinned.len(), count(external, "external image")),
                unpinned.into_iter().chain(unverified).collect(),
                "append the digest and keep the tag for people: FROM node:24-trixie@sha256:<digest>; find it with \
                 `docker buildx imagetools inspect IMAGE` or `docker inspect --format '{{index .RepoDigests 0}}' IMAGE`, \
                 and let Renovate or Dependabot move it",
            ),
            (true, false) => Outcome::fail(
                format!("{} of {} not found in the registry {}", unverified.len(), count(external, "pinned digest"), input.digests.map_or("", |r| &r.registry)),
                unverified,
                "pin a digest the registry serves: `docker buildx imagetools inspect HOST:PORT/REPOSITORY:TAG` prints the tag's \
                 (in this room, `scripts/registry digest shipshape.test/NAME:TAG`)",
            ),
        }
    }
}

/// The reference as the learner wrote it (with its expansion when a build argument changed it),
/// and the one judged: build arguments filled in.
fn shown_and_judged<'a>(image: &'a ExternalImage<'_>) -> (String, &'a str) {
    let written = &image.reference.written;
    let judged = image.expanded.as_deref().unwrap_or(written);
    let shown = if judged == written { written.clone() } else { format!("{written} ({judged})") };
    (shown, judged)
}

fn evidence(image: &ExternalImage<'_>, message: String) -> Evidence {
    Evidence::at_line(message, image.instruction.line, &image.instruction.text)
}

/// Why the registry does not vouch for the pinned `reference`, if it does not.
fn not_served(record: &DigestRecord, reference: &str) -> Option<String> {
    let registry = &record.registry;
    match record.answers.get(reference)? {
        DigestAnswer::Found { .. } => None,
        DigestAnswer::Missing { repository } => {
            let digest = ImageRef::parse(reference).digest.unwrap_or_default().to_string();
            Some(format!("the registry {registry} has no manifest {digest} in {repository}: nothing can be built from this digest here"))
        }
        DigestAnswer::Unanswered(why) => Some(format!("the registry {registry} did not answer, so the digest could not be verified ({why})")),
    }
}

/// How far the digests were verified, for a passing summary.
fn verified(record: Option<&DigestRecord>) -> String {
    match record {
        Some(record) => format!(", each found in the registry {}", record.registry),
        None => " (format only: the digests were not verified, no registry was configured)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::dockerfile::Dockerfile;

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
        assert_eq!(outcome.summary, "1 of 2 external images not pinned by digest");
        assert_eq!(outcome.evidence[0].message, "node:$V (node:20) is a tag: what it names can change under you");
        assert_eq!(outcome.evidence[0].dockerfile_line, Some(4));
    }

    fn pinned_pair() -> (Dockerfile, String, String) {
        let (gcc, distroless) = (format!("gcc:14@sha256:{}", "a".repeat(64)), format!("gcr.io/distroless/static-debian13:nonroot@sha256:{}", "b".repeat(64)));
        let text = format!("FROM {gcc} AS build\nFROM scratch\nCOPY --from={distroless} /usr/share/zoneinfo /usr/share/zoneinfo\n");
        (Dockerfile::parse(&text).unwrap(), gcc, distroless)
    }

    fn judged(dockerfile: &Dockerfile, digests: Option<&DigestRecord>) -> Outcome {
        PinnedBase.judge(&Input { dockerfile: Some(dockerfile), digests, ..Input::default() }, &())
    }

    fn record(answers: [(&String, DigestAnswer); 2]) -> DigestRecord {
        DigestRecord { registry: "127.0.0.1:5000".into(), answers: answers.into_iter().map(|(reference, answer)| (reference.clone(), answer)).collect() }
    }

    #[test]
    fn without_a_registry_the_form_passes_and_the_summary_says_it_was_not_verified() {
        let (dockerfile, ..) = pinned_pair();
        let outcome = judged(&dockerfile, None);
        assert_eq!(outcome.status, Status::Pass);
        assert_eq!(outcome.summary, "2 external images, all pinned by digest (format only: the digests were not verified, no registry was configured)");
    }

    #[test]
    fn digests_the_registry_serves_pass_and_one_it_lacks_fails_naming_reference_and_registry() {
        let (dockerfile, gcc, distroless) = pinned_pair();
        let found = |repository: &str| DigestAnswer::Found { repository: repository.into() };
        let served = record([(&gcc, found("shipshape.test/gcc")), (&distroless, found("shipshape.test/distroless/static-debian13"))]);
        let outcome = judged(&dockerfile, Some(&served));
        assert_eq!(
            (outcome.status, outcome.summary.as_str()),
            (Status::Pass, "2 external images, all pinned by digest, each found in the registry 127.0.0.1:5000")
        );

        let missing = DigestAnswer::Missing { repository: "shipshape.test/distroless/static-debian13".into() };
        let outcome = judged(&dockerfile, Some(&record([(&gcc, found("shipshape.test/gcc")), (&distroless, missing)])));
        assert_eq!((outcome.status, outcome.summary.as_str()), (Status::Fail, "1 of 2 pinned digests not found in the registry 127.0.0.1:5000"));
        let digest = format!("sha256:{}", "b".repeat(64));
        assert_eq!(
            outcome.evidence[0].message,
            format!("{distroless}: the registry 127.0.0.1:5000 has no manifest {digest} in shipshape.test/distroless/static-debian13: nothing can be built from this digest here")
        );
        assert_eq!(outcome.evidence[0].dockerfile_line, Some(3));
    }

    #[test]
    fn a_registry_that_did_not_answer_fails_saying_so_and_a_tag_still_fails_first() {
        let (dockerfile, gcc, distroless) = pinned_pair();
        let silent = record([(&gcc, DigestAnswer::Unanswered("connection refused".into())), (&distroless, DigestAnswer::Found { repository: "x".into() })]);
        let outcome = judged(&dockerfile, Some(&silent));
        assert_eq!(outcome.status, Status::Fail);
        assert!(
            outcome.evidence[0].message.ends_with("the registry 127.0.0.1:5000 did not answer, so the digest could not be verified (connection refused)"),
            "{:?}",
            outcome.evidence
        );

        let tagged = Dockerfile::parse(&format!("FROM node:24\nCOPY --from={gcc} /a /a\n")).unwrap();
        let outcome = judged(
            &tagged,
            Some(&record([
                (&gcc, DigestAnswer::Missing { repository: "shipshape.test/gcc".into() }),
                (&distroless, DigestAnswer::Found { repository: "x".into() }),
            ])),
        );
        assert_eq!(outcome.summary, "1 of 2 external images not pinned by digest");
        assert_eq!(outcome.evidence.len(), 2, "the tag first, then the digest the registry lacks: {:?}", outcome.evidence);
    }
}
