//! The one reader of image references (`[registry/]path[:tag][@digest]`), as Docker splits them:
//! the first path segment is a registry when it has a `.` or a `:` or is `localhost`, and a colon
//! after the last `/` starts the tag. The image map's keys and lookups and `shipshape images`'
//! mirror names read references through [`ImageRef::parse`]. (A local parser rather than
//! oci-spec's `distribution::Reference`: that one validates, refusing a digest shorter than 32
//! hex digits or a name with a build argument, and the map must still look those up.)
//!
//! What must hold: parsing never fails and never validates (a reference with a build argument or a
//! short test digest still splits); `docker.io` and `index.docker.io` are both Docker Hub, whose
//! official images live under `library/`.

/// A reference split into its parts; each borrows from the text parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// The registry host (and port) as written, when the reference names one.
    pub(crate) registry: Option<&'a str>,
    /// The repository path within the registry, as written (`node`, `library/node`, `distroless/static`).
    pub(crate) path: &'a str,
    pub(crate) tag: Option<&'a str>,
    /// `sha256:<hex>`, without the `@`.
    pub(crate) digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Splits `reference` (surrounding whitespace ignored).
    pub(crate) fn parse(reference: &'a str) -> ImageRef<'a> {
        let reference = reference.trim();
        let (name, digest) = match reference.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (reference, None),
        };
        let last_slash = name.rfind('/').map_or(0, |at| at + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(colon) => (&name[..last_slash + colon], Some(&name[last_slash + colon + 1..])),
            None => (name, None),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => (Some(first), path),
            _ => (None, name),
        };
        ImageRef { registry, path, tag, digest }
    }

    /// Whether the image lives on Docker Hub (no registry named, or Docker Hub's own name).
    pub(crate) fn on_docker_hub(&self) -> bool {
        self.registry.is_none_or(|registry| registry == "docker.io" || registry == "index.docker.io")
    }

    /// The repository as a registry serves it: Docker Hub's official images under `library/`
    /// (`node` → `library/node`), other registries' with their host (`gcr.io/distroless/static`).
    pub(crate) fn repository(&self) -> String {
        match self.registry {
            Some(registry) if !self.on_docker_hub() => format!("{registry}/{}", self.path),
            _ if !self.path.contains('/') => format!("library/{}", self.path),
            _ => self.path.to_string(),
        }
    }

    /// The short normal form: Docker Hub's registry and `library/` dropped, `:latest` added when
    /// there is neither tag nor digest (`docker.io/library/node` → `node:latest`).
    pub(crate) fn short(&self) -> String {
        let name = match self.registry {
            Some(registry) if !self.on_docker_hub() => format!("{registry}/{}", self.path),
            _ => self.path.strip_prefix("library/").unwrap_or(self.path).to_string(),
        };
        match (self.tag, self.digest) {
            (None, None) => format!("{name}:latest"),
            (tag, digest) => format!("{name}{}{}", tag.map(|t| format!(":{t}")).unwrap_or_default(), digest.map(|d| format!("@{d}")).unwrap_or_default()),
        }
    }

    /// Whether the reference names a registry a build can pull from: a host with a port
    /// (`127.0.0.1:5000/…`, a room's mirror) or `localhost`. A name like `shipshape.test/node`
    /// reads as a registry to Docker too, but the course's stand-ins under it are local images.
    pub(crate) fn names_a_pullable_registry(&self) -> bool {
        self.registry.is_some_and(|registry| registry.contains(':') || registry == "localhost" || registry.starts_with("localhost:"))
    }

    /// The same reference without its digest.
    pub(crate) fn without_digest(self) -> ImageRef<'a> {
        ImageRef { digest: None, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_registry_path_tag_and_digest() {
        let parsed = ImageRef::parse("localhost:5001/x/y:1@sha256:ab");
        assert_eq!(parsed, ImageRef { registry: Some("localhost:5001"), path: "x/y", tag: Some("1"), digest: Some("sha256:ab") });
        assert_eq!(ImageRef::parse("node"), ImageRef { registry: None, path: "node", tag: None, digest: None });
        assert_eq!(ImageRef::parse("bitnami/redis:7").registry, None, "a first segment without . or : is a path");
        assert_eq!(ImageRef::parse("localhost/x").registry, Some("localhost"));
        assert_eq!(ImageRef::parse("$BASE").path, "$BASE", "never fails");
    }

    #[test]
    fn the_short_form_drops_docker_hub_and_adds_latest() {
        for (written, short) in [
            ("docker.io/library/node:20", "node:20"),
            ("index.docker.io/library/node", "node:latest"),
            ("library/node", "node:latest"),
            ("docker.io/bitnami/redis", "bitnami/redis:latest"),
            ("node:20@sha256:aa", "node:20@sha256:aa"),
            ("node@sha256:aa", "node@sha256:aa"),
            (" gcr.io/distroless/static ", "gcr.io/distroless/static:latest"),
            ("localhost:5000/x", "localhost:5000/x:latest"),
        ] {
            assert_eq!(ImageRef::parse(written).short(), short, "{written}");
        }
    }
}
