//! What a Dockerfile reaches beyond its build context, decided before anything is built: a remote
//! `ADD` source (an `http(s)://`, `git://` or `git@` address), which the daemon would fetch from
//! the host's network whatever the build's network mode, and, while grading, an image that is not
//! one of the course's.
//!
//! What must hold: this is pure (no daemon), so a refusal never depends on what happens to be on
//! the machine; an `ADD` source is judged as written and with the Dockerfile's global build
//! arguments filled in, and a source built from a variable is refused when any `ARG` of the file
//! holds an address; in `grade`, every image a `FROM`, `COPY --from` or `RUN --mount=…,from=`
//! names, in any stage, must be one the course allows once the image map has rewritten it.
use std::collections::BTreeSet;

use super::image_map::ImageMap;
use super::image_ref::ImageRef;
use super::{Dockerfile, Instruction};

/// Why the build is refused, and the instruction that made it so.
#[derive(Debug)]
pub(crate) struct Refusal<'a> {
    pub instruction: &'a Instruction,
    pub reason: String,
}

/// The images a graded submission may name, in [`ImageRef::short`] form: the image map's local
/// images and the exercise's own bases (starter and reference), as the map rewrites them.
#[derive(Debug, Clone, Default)]
pub(crate) struct CourseImages {
    allowed: BTreeSet<String>,
}

impl CourseImages {
    pub(crate) fn new<'a>(image_map: &ImageMap, bases: impl IntoIterator<Item = &'a str>) -> Self {
        let mapped = bases.into_iter().map(|base| image_map.resolve(base));
        CourseImages { allowed: image_map.targets().chain(mapped).map(|image| ImageRef::parse(image).short()).collect() }
    }

    fn allows(&self, image: &str) -> bool {
        self.allowed.contains(&ImageRef::parse(image).short())
    }
}

/// The first thing the Dockerfile would reach outside its context, if any: a remote `ADD`
/// source, or (with `course`, while grading) an image the course does not offer.
pub(crate) fn refusal<'a>(dockerfile: &'a Dockerfile, image_map: &ImageMap, course: Option<&CourseImages>) -> Option<Refusal<'a>> {
    remote_add(dockerfile).or_else(|| course.and_then(|course| foreign_image(dockerfile, image_map, course)))
}

fn remote_add(dockerfile: &Dockerfile) -> Option<Refusal<'_>> {
    let addresses_in_args = dockerfile.instructions.iter().filter(|i| i.keyword == "ARG").any(|i| looks_remote(&i.text));
    dockerfile.instructions.iter().find_map(|instruction| {
        let source = instruction.add_sources.iter().find(|source| {
            let expanded = dockerfile.args.expand(source).unwrap_or_default();
            looks_remote(source) || looks_remote(&expanded) || (source.contains('$') && addresses_in_args)
        })?;
        let reason = format!(
            "ADD {source} fetches from the network, and builds here are offline: nothing outside the build context can be \
             reached (remote ADD sources are refused)"
        );
        Some(Refusal { instruction, reason })
    })
}

fn foreign_image<'a>(dockerfile: &'a Dockerfile, image_map: &ImageMap, course: &CourseImages) -> Option<Refusal<'a>> {
    dockerfile.external_images().into_iter().find_map(|external| {
        let written = &external.reference.written;
        let image = external.expanded.as_deref().unwrap_or(written);
        let local = image_map.resolve(image);
        (!course.allows(local)).then(|| Refusal {
            instruction: external.instruction,
            reason: format!("the image {image} is not one of the course's images: a submission may only build on the images the exercise offers"),
        })
    })
}

/// An address the daemon would fetch: a URL with a scheme, or a Git SSH address.
fn looks_remote(text: &str) -> bool {
    text.contains("://") || text.trim_start().starts_with("git@")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str, course: Option<&CourseImages>) -> Option<(usize, String)> {
        let dockerfile = Dockerfile::parse(text).unwrap();
        refusal(&dockerfile, &ImageMap::default(), course).map(|r| (r.instruction.line, r.reason))
    }

    #[test]
    fn remote_add_sources_are_refused_at_their_line() {
        for source in ["http://127.0.0.1:9999/secret.txt", "https://example.com/a.tgz", "git@github.com:a/b.git", "git://host/repo"] {
            let (line, reason) = refused(&format!("FROM busybox\nRUN true\nADD {source} /s\n"), None).unwrap_or_else(|| panic!("{source}"));
            assert_eq!(line, 3, "{source}");
            assert!(reason.contains(source) && reason.contains("offline"), "{reason}");
        }
    }

    #[test]
    fn an_address_behind_a_build_argument_is_refused_too() {
        assert!(refused("ARG URL=http://127.0.0.1:9999/s\nFROM busybox\nADD $URL /s\n", None).is_some());
        assert!(refused("FROM busybox\nARG U=https://h/x\nADD ${U} /s\n", None).is_some());
    }

    #[test]
    fn local_sources_and_here_documents_pass() {
        assert_eq!(refused("FROM busybox\nARG D=app\nADD $D/x.tar /x\nADD a.tar.gz /\nADD <<EOF /f\nhttp://not-a-source\nEOF\n", None), None);
    }

    #[test]
    fn while_grading_only_the_courses_images_may_be_named() {
        let course = CourseImages::new(&ImageMap::default(), ["busybox:1.36", "gcr.io/distroless/static-debian12:nonroot"]);
        let honest = "FROM busybox:1.36 AS build\nRUN true\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /a /a\nFROM scratch\n";
        assert_eq!(refused(honest, Some(&course)), None);
        let (line, reason) = refused("FROM busybox:1.36\nCOPY --from=sha256:0123456789abcdef /app /app\n", Some(&course)).unwrap();
        assert_eq!(line, 2);
        assert!(reason.contains("not one of the course's images"), "{reason}");
        assert_eq!(refused("FROM busybox:1.36\nRUN --mount=from=solution:latest,target=/s cp /s/x /x\n", Some(&course)).map(|r| r.0), Some(2));
        assert!(refused("FROM busybox:1.36\nCOPY --from=sha256:0123456789abcdef /app /app\n", None).is_none(), "check allows what the machine has");
    }
}
