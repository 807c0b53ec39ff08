//! Software bills of materials: what an image ships, from the same inventory the scan matches
//! ([`crate::scan::inventory`]), written as CycloneDX 1.6 JSON ([`cyclonedx`]) or SPDX 2.3 JSON
//! ([`spdx`]). Each component carries its package URL ([`purl`]), the licenses its metadata
//! states ([`license`]), the file it was read from, and the layer and Dockerfile line that added
//! it.
//!
//! What must hold: a document is made from facts only (no daemon here), so an SBOM of a build, a
//! daemon image or an archive are made the same way; components come in a stable order (by
//! ecosystem, name, version, location); every document validates against its format's published
//! JSON schema (tests/schemas, tested on real images). The creation time is now, or
//! `SOURCE_DATE_EPOCH` when set (reproducible builds' convention).
mod cyclonedx;
mod license;
mod purl;
mod spdx;

use crate::attribution::{Origin, Origins};
use crate::dockerfile::Dockerfile;
use crate::image::ImageFacts;
use crate::scan::inventory::{self, OsRelease, Package};

/// The formats an SBOM is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    #[default]
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// What an SBOM describes: one image and the packages it ships.
#[derive(Debug)]
pub(crate) struct Sbom {
    /// What the image is called: the exercise, the reference or the archive's file name.
    pub name: String,
    /// The image id (`sha256:…`).
    pub image_id: String,
    pub os: Option<OsRelease>,
    pub components: Vec<Component>,
    /// When the document is made, RFC 3339 in UTC.
    pub created: String,
}

/// One package the image ships.
#[derive(Debug)]
pub(crate) struct Component {
    pub package: Package,
    pub purl: String,
    /// The layer that added the file the package was read from, and its Dockerfile line.
    pub origin: Origin,
}

impl Sbom {
    /// The SBOM of `image` (built from `dockerfile`, when it was), called `name`.
    pub(crate) fn of(name: &str, image: &ImageFacts, dockerfile: Option<&Dockerfile>) -> Sbom {
        let inventory = inventory::inventory(&image.filesystem);
        let origins = Origins::new(image, dockerfile);
        let mut packages = inventory.packages;
        packages.sort_by(|a, b| (&a.ecosystem, &a.name, &a.version, &a.location).cmp(&(&b.ecosystem, &b.name, &b.version, &b.location)));
        let components = packages
            .into_iter()
            .map(|package| Component { purl: purl::of(&package, inventory.os.as_ref()), origin: origins.of_layer(package.layer), package })
            .collect();
        Sbom { name: name.to_string(), image_id: image.id.clone(), os: inventory.os, components, created: created_now() }
    }

    /// The document in `format`, as pretty JSON with a final newline.
    pub(crate) fn render(&self, format: SbomFormat) -> String {
        let document = match format {
            SbomFormat::Cyclonedx => cyclonedx::document(self),
            SbomFormat::Spdx => spdx::document(self),
        };
        serde_json::to_string_pretty(&document).expect("JSON values serialize") + "\n"
    }
}

impl Component {
    /// Where the component came from, in words: `layer 4, Dockerfile line 10: RUN npm ci …`.
    fn provenance(&self) -> String {
        let origin = &self.origin;
        let line = origin.line.map(|line| format!(", Dockerfile line {line}")).unwrap_or_default();
        let instruction = origin.instruction.as_deref().map(|i| format!(": {i}")).unwrap_or_default();
        format!("layer {}{line}{instruction} (read from /{})", origin.layer, self.package.location)
    }
}

/// Now, or `SOURCE_DATE_EPOCH`, as RFC 3339 in UTC to the second.
fn created_now() -> String {
    let from_env = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|epoch| epoch.trim().parse::<i64>().ok());
    let seconds = from_env.unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64));
    chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// This tool, as both formats name their creator.
fn tool_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
