//! The room's registry (`--registry HOST:PORT`, `$SHIPSHAPE_REGISTRY`), over the Distribution
//! API in plain HTTP, as Docker talks to a loopback registry: the images it lists (`recommend`'s
//! candidates) and whether it serves a manifest by digest (the facts `pinned-base` verifies
//! digests by, [`DigestRecord`]).
//!
//! What must hold: only the configured host is asked, and only with `GET`/`HEAD`; a registry that
//! does not answer is said so, never taken as "not there"; which repository a reference is asked
//! under is decided here, once: the image map's target when it names this registry, else the
//! target's repository as a mirror keeps it (`shipshape.test/gcc`, `library/node`).
use std::collections::BTreeMap;
use std::time::Duration;

use crate::dockerfile::image_map::ImageMap;
use crate::dockerfile::image_ref::ImageRef;
use crate::dockerfile::Dockerfile;
use crate::error::{Error, Result};

/// How long the registry may take to answer one request.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The manifest types a lookup by digest accepts (without them a registry may answer 404 for a
/// manifest it has in another type).
const MANIFEST_TYPES: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json";

/// A registry on `host` (`HOST:PORT`).
pub(crate) struct Registry {
    host: String,
    agent: ureq::Agent,
}

/// What the room's registry said about the digests a Dockerfile pins: the facts `pinned-base`
/// judges them by.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DigestRecord {
    /// The registry asked (`HOST:PORT`).
    pub registry: String,
    /// By pinned reference (build arguments filled in), what the registry answered.
    pub answers: BTreeMap<String, DigestAnswer>,
}

/// The registry's answer about one pinned reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DigestAnswer {
    /// It serves the manifest in `repository`.
    Found { repository: String },
    /// It answered that `repository` has no such manifest.
    Missing { repository: String },
    /// It did not answer (why, in the client's words).
    Unanswered(String),
}

#[derive(serde::Deserialize)]
struct Catalog {
    repositories: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Tags {
    tags: Option<Vec<String>>,
}

impl Registry {
    pub(crate) fn new(host: &str) -> Self {
        let agent = ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).http_status_as_error(false).build().new_agent();
        Registry { host: host.to_string(), agent }
    }

    /// Every `host/repository:tag` the registry lists (the catalog, then each repository's tags).
    pub(crate) fn references(&self) -> Result<Vec<String>> {
        let host = &self.host;
        let unreadable = |e: serde_json::Error| Error::new(format!("the registry {host} answered something that is not a listing")).because(e);
        let catalog: Catalog = serde_json::from_slice(&self.listing("_catalog")?).map_err(unreadable)?;
        let mut references = Vec::new();
        for repository in catalog.repositories {
            let tags: Tags = serde_json::from_slice(&self.listing(&format!("{repository}/tags/list"))?).map_err(unreadable)?;
            references.extend(tags.tags.unwrap_or_default().into_iter().map(|tag| format!("{host}/{repository}:{tag}")));
        }
        Ok(references)
    }

    /// The body of `GET /v2/{path}`, which must succeed.
    fn listing(&self, path: &str) -> Result<Vec<u8>> {
        let url = format!("http://{}/v2/{path}", self.host);
        let failed = |cause: String| {
            Error::new(format!("the registry {} did not list its images ({url})", self.host))
                .because(cause)
                .action("start it (`scripts/registry start`), or leave out --registry / $SHIPSHAPE_REGISTRY")
        };
        let response = self.agent.get(&url).call().map_err(|e| failed(e.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("it answered {}", response.status())));
        }
        response.into_body().read_to_vec().map_err(|e| failed(e.to_string()))
    }

    /// What the registry says about the manifest `digest` in `repository` (`HEAD
    /// /v2/<repository>/manifests/<digest>`).
    fn answer(&self, repository: String, digest: &str) -> DigestAnswer {
        let url = format!("http://{}/v2/{repository}/manifests/{digest}", self.host);
        match self.agent.head(&url).header("Accept", MANIFEST_TYPES).call() {
            Ok(response) if response.status().is_success() => DigestAnswer::Found { repository },
            Ok(response) if response.status() == 404 => DigestAnswer::Missing { repository },
            Ok(response) => DigestAnswer::Unanswered(format!("{url} answered {}", response.status())),
            Err(e) => DigestAnswer::Unanswered(format!("{url}: {e}")),
        }
    }

    /// The repository the registry would keep `reference` under, the image map applied: the
    /// target's path when the target names this registry, else its repository as a mirror
    /// keeps it.
    fn repository_of(&self, reference: &str, map: &ImageMap) -> String {
        let target = ImageRef::parse(map.resolve(reference));
        match target.registry {
            Some(registry) if registry == self.host => target.path.to_string(),
            _ => target.repository(),
        }
    }

    /// The registry's answer for every reference of `dockerfile` pinned by a `sha256:` digest
    /// (build arguments filled in). Blocking: one `HEAD` per pinned reference.
    pub(crate) fn record_digests(&self, dockerfile: &Dockerfile, map: &ImageMap) -> DigestRecord {
        let mut answers = BTreeMap::new();
        for image in dockerfile.external_images() {
            let Ok(reference) = image.expanded else { continue };
            let Some(digest) = ImageRef::parse(&reference).digest.filter(|d| d.starts_with("sha256:")).map(String::from) else { continue };
            let answer = self.answer(self.repository_of(&reference, map), &digest);
            answers.insert(reference, answer);
        }
        DigestRecord { registry: self.host.clone(), answers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> ImageMap {
        let file = std::env::temp_dir().join(format!("shipshape-registry-map-{}.toml", std::process::id()));
        std::fs::write(&file, "[images]\n\"gcc:14\" = \"127.0.0.1:5000/shipshape.test/gcc:trixie\"\n\"node:24\" = \"shipshape.test/node:trixie\"\n").unwrap();
        let map = ImageMap::load(&file).unwrap();
        std::fs::remove_file(file).unwrap();
        map
    }

    #[test]
    fn asks_under_the_map_target_in_this_registry_else_as_a_mirror_keeps_it() {
        let registry = Registry::new("127.0.0.1:5000");
        let map = map();
        assert_eq!(registry.repository_of("gcc:14@sha256:ab", &map), "shipshape.test/gcc");
        assert_eq!(registry.repository_of("node:24@sha256:ab", &map), "shipshape.test/node");
        assert_eq!(registry.repository_of("python:3.13@sha256:ab", &map), "library/python");
        assert_eq!(registry.repository_of("127.0.0.1:5000/team/app:1@sha256:ab", &map), "team/app");
    }

    #[test]
    fn a_registry_that_does_not_answer_is_said_so() {
        // A port nothing listens on: the loopback refuses at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        drop(listener);
        let dockerfile = Dockerfile::parse(&format!("FROM scratch\nCOPY --from=busybox@sha256:{} /a /a\n", "a".repeat(64))).unwrap();
        let record = Registry::new(&host).record_digests(&dockerfile, &ImageMap::default());
        assert_eq!(record.registry, host);
        let answers: Vec<_> = record.answers.values().collect();
        assert!(matches!(answers[..], [DigestAnswer::Unanswered(_)]), "{answers:?}");
    }
}
