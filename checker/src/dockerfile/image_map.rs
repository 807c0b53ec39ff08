//! The image map: public image references → local ones (stand-ins, or a room's mirror). The text
//! the builder gets is made in [`super::for_builder`], which looks references up here.
//!
//! What must hold: keys and lookups are compared in one normal form ([`ImageRef::short`]: Docker
//! Hub's `docker.io/library/` dropped, `:latest` added), so `node` and
//! `docker.io/library/node:latest` are one key.
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::image_ref::ImageRef;
use crate::error::{Context, Error, Result};

#[derive(Debug, Default, Clone)]
pub(crate) struct ImageMap {
    images: BTreeMap<String, String>,
    /// The file it was read from (named when an image is missing from it).
    source: Option<std::path::PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    images: BTreeMap<String, String>,
}

impl ImageMap {
    pub(crate) fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .context(|| format!("cannot read the image map {}", path.display()))
            .map_err(|e| e.action("pass --image-map a TOML file with an [images] table (see tests/images/image-map.toml)"))?;
        let raw: RawMap = toml::from_str(&text).map_err(|e| {
            Error::new(format!("the image map {} is malformed", path.display()))
                .because(e)
                .action("write it as [images] followed by lines like \"node:20\" = \"mirror.local/node:20\"")
        })?;
        Ok(ImageMap { images: raw.images.into_iter().map(|(k, v)| (normalize(&k), v)).collect(), source: Some(path.to_path_buf()) })
    }

    /// The file the map was read from, if any.
    pub(crate) fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// What the builder is to use for `reference` (build arguments filled in): its local image
    /// when the map has one, else the reference itself.
    pub(crate) fn resolve<'a>(&'a self, reference: &'a str) -> &'a str {
        self.lookup(reference).unwrap_or(reference)
    }

    /// What the builder is to use for `reference` when the map has it: the target, carrying the
    /// reference's digest when the target is in a registry ([`ImageRef::names_a_pullable_registry`]),
    /// so the build pulls exactly that manifest from it; a local image's name as it is (a local
    /// name has no registry digest to resolve).
    pub(crate) fn builder_reference(&self, reference: &str) -> Option<String> {
        let target = self.lookup(reference)?;
        let parsed = ImageRef::parse(target);
        let digest = ImageRef::parse(reference).digest.filter(|_| parsed.names_a_pullable_registry() && parsed.digest.is_none());
        Some(match digest {
            Some(digest) => format!("{target}@{digest}"),
            None => target.to_string(),
        })
    }

    /// Whether the builder pulls `reference` from a registry (the map's target is in one, or the
    /// reference itself when the map has no entry) rather than finding it in the daemon.
    pub(crate) fn pulled_from_registry(&self, reference: &str) -> bool {
        ImageRef::parse(self.resolve(reference)).names_a_pullable_registry()
    }

    /// The local images the map points at.
    pub(crate) fn targets(&self) -> impl Iterator<Item = &str> {
        self.images.values().map(String::as_str)
    }

    /// The public references the map sends to the local image `target`, in their normal form.
    pub(crate) fn sources_of(&self, target: &str) -> Vec<&str> {
        self.images.iter().filter(|(_, local)| *local == target).map(|(public, _)| public.as_str()).collect()
    }

    /// The local reference for `reference`, trying it as written, then without its digest.
    pub(crate) fn lookup(&self, reference: &str) -> Option<&str> {
        let parsed = ImageRef::parse(reference);
        let exact = self.images.get(&parsed.short());
        // Without the digest only when a tag is left: `node@sha256:…` is not `node:latest`.
        let tagged = || parsed.tag.and_then(|_| self.images.get(&parsed.without_digest().short()));
        exact.or_else(tagged).map(String::as_str)
    }
}

/// `docker.io/library/node:20` → `node:20`; a reference without a tag or digest gets `:latest`.
fn normalize(reference: &str) -> String {
    ImageRef::parse(reference).short()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::dockerfile) fn map(pairs: &[(&str, &str)]) -> ImageMap {
        ImageMap { images: pairs.iter().map(|(k, v)| (normalize(k), v.to_string())).collect(), source: None }
    }

    #[test]
    fn looks_up_in_normal_form_then_without_the_digest() {
        let map = map(&[("node:20", "local/node:20"), ("busybox", "local/busybox")]);
        assert_eq!(map.lookup("docker.io/library/node:20"), Some("local/node:20"));
        assert_eq!(map.lookup("busybox:latest"), Some("local/busybox"));
        assert_eq!(map.lookup("node:20@sha256:aaaa"), Some("local/node:20"));
        assert_eq!(map.lookup("node:22"), None);
    }

    #[test]
    fn a_target_in_a_registry_carries_the_digest_a_local_name_does_not() {
        let map = map(&[("gcc:14", "127.0.0.1:5000/shipshape.test/gcc:trixie"), ("node:24", "shipshape.test/node:trixie")]);
        let hex = "a".repeat(64);
        assert_eq!(map.builder_reference(&format!("gcc:14@sha256:{hex}")), Some(format!("127.0.0.1:5000/shipshape.test/gcc:trixie@sha256:{hex}")));
        assert_eq!(map.builder_reference("gcc:14").as_deref(), Some("127.0.0.1:5000/shipshape.test/gcc:trixie"));
        assert_eq!(map.builder_reference(&format!("node:24@sha256:{hex}")).as_deref(), Some("shipshape.test/node:trixie"));
        assert!(map.pulled_from_registry("gcc:14") && map.pulled_from_registry("localhost/x:1"));
        assert!(!map.pulled_from_registry("node:24") && !map.pulled_from_registry("python:3.13"));
    }
}
