//! The support windows of base images, as data: the course's `tests/images/support.toml`
//! (compiled in), read once into a [`SupportTable`] of components (a distribution release, a
//! language runtime, a distroless image family, each with the day its support ends and where that
//! date comes from) and of public image references with the components each carries.
//!
//! `doctor` warns about a course base near or past its end, the `supported-base` check fails a
//! final stage on an ended base, `recommend` weighs each candidate's window, and the book's
//! chapter on bases prints the table (through this public module, so the two never differ).
//!
//! What must hold: the file is validated whole when first read (every image carries known
//! components, no unknown key, dates are dates), and a test reads it, so a shipped binary never
//! meets a table it cannot read; an image's window ends with the first of its components to end;
//! a reference matches by repository path whatever its registry (a mirror keeps the path) and by
//! tag, a missing tag being `latest`, and a digest changes nothing.
use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::dockerfile::image_ref::ImageRef;

/// The course's table, as shipped.
const COURSE_TABLE: &str = include_str!("../../tests/images/support.toml");

static COURSE: LazyLock<SupportTable> = LazyLock::new(|| SupportTable::parse(COURSE_TABLE).expect("tests/images/support.toml is valid (a unit test reads it)"));

/// What kind of thing a component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A distribution release (Debian 12).
    Distribution,
    /// A language runtime or server (Node.js 20, nginx 1.25).
    Runtime,
    /// A family of prebuilt images with its own support policy (distroless).
    Image,
}

/// One thing a base image carries whose support ends on a known day.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Its key in the table (`node-20`).
    pub id: String,
    /// `Node.js 20`.
    pub name: String,
    pub kind: Kind,
    pub released: Option<NaiveDate>,
    /// The last day it gets security fixes.
    pub until: NaiveDate,
    /// Whether `until` is an estimate its project has not fixed yet.
    pub estimated: bool,
    /// What else a reader should know about the window.
    pub note: Option<String>,
    /// Where the dates come from.
    pub source: String,
}

/// Public image references (a repository, and its tags or any tag) and what they carry.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageEntry {
    /// `node`, `gcr.io/distroless/static-debian12`.
    pub repository: String,
    /// The tags that carry these components; empty: every tag.
    pub tags: Vec<String>,
    /// The components' ids.
    pub carries: Vec<String>,
}

/// The support table: components by id, and the images that carry them.
#[derive(Debug, Clone, Default)]
pub struct SupportTable {
    components: BTreeMap<String, Component>,
    images: Vec<ImageEntry>,
}

/// Where a window stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    Supported,
    /// It ends within the warning horizon: this many days are left (0: today is the last).
    EndsSoon(i64),
    /// It ended this many days ago (at least 1).
    Ended(i64),
}

/// The components an image carries: its support ends with the first of them to end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Window<'a> {
    pub components: Vec<&'a Component>,
}

impl Window<'_> {
    /// The component whose support ends first.
    pub(crate) fn first_to_end(&self) -> &Component {
        self.components.iter().min_by_key(|c| c.until).expect("a window carries at least one component")
    }

    /// The last day of support.
    pub(crate) fn until(&self) -> NaiveDate {
        self.first_to_end().until
    }

    /// Where the window stands on `today`, warning `horizon_days` ahead.
    pub(crate) fn standing(&self, today: NaiveDate, horizon_days: i64) -> Standing {
        let left = (self.until() - today).num_days();
        match left {
            left if left < 0 => Standing::Ended(-left),
            left if left <= horizon_days => Standing::EndsSoon(left),
            _ => Standing::Supported,
        }
    }

    /// `Node.js 20 ended 2026-04-30`, `Debian 13 (trixie) until 2030-06-30 (estimated)`: the
    /// first component to end, in words, on `today`.
    pub(crate) fn describe(&self, today: NaiveDate) -> String {
        let first = self.first_to_end();
        let estimated = if first.estimated { " (estimated)" } else { "" };
        let verb = if first.until < today { "ended" } else { "supported until" };
        format!("{} {verb} {}{estimated}", first.name, first.until)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    components: BTreeMap<String, RawComponent>,
    #[serde(default)]
    images: Vec<RawImage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    name: String,
    kind: Kind,
    released: Option<toml::value::Datetime>,
    until: toml::value::Datetime,
    #[serde(default)]
    estimated: bool,
    note: Option<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    repository: String,
    #[serde(default)]
    tags: Vec<String>,
    carries: Vec<String>,
}

impl SupportTable {
    /// The table the course ships (`tests/images/support.toml`).
    pub fn course() -> &'static SupportTable {
        &COURSE
    }

    /// Reads and validates a table.
    pub fn parse(text: &str) -> Result<SupportTable, String> {
        let raw: RawTable = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut components = BTreeMap::new();
        for (id, raw) in raw.components {
            let released = raw.released.map(|date| day(&date)).transpose().map_err(|e| format!("components.{id}.released: {e}"))?;
            let until = day(&raw.until).map_err(|e| format!("components.{id}.until: {e}"))?;
            let component =
                Component { id: id.clone(), name: raw.name, kind: raw.kind, released, until, estimated: raw.estimated, note: raw.note, source: raw.source };
            components.insert(id, component);
        }
        let images = raw.images.into_iter().map(|image| ImageEntry { repository: image.repository, tags: image.tags, carries: image.carries }).collect();
        let table = SupportTable { components, images };
        table.validate()?;
        Ok(table)
    }

    fn validate(&self) -> Result<(), String> {
        for image in &self.images {
            if image.carries.is_empty() {
                return Err(format!("images `{}` carries nothing", image.repository));
            }
            if let Some(unknown) = image.carries.iter().find(|id| !self.components.contains_key(*id)) {
                return Err(format!("images `{}` carries `{unknown}`, which is not one of the components", image.repository));
            }
        }
        Ok(())
    }

    /// Every component, by id.
    pub fn components(&self) -> impl Iterator<Item = &Component> {
        self.components.values()
    }

    /// Every image entry, in the file's order.
    pub fn images(&self) -> &[ImageEntry] {
        &self.images
    }

    /// The components an entry carries, in its order.
    pub fn carried(&self, entry: &ImageEntry) -> Vec<&Component> {
        entry.carries.iter().filter_map(|id| self.components.get(id)).collect()
    }

    /// The window of the image `reference` names, when the table knows it.
    pub(crate) fn window(&self, reference: &str) -> Option<Window<'_>> {
        let wanted = ImageRef::parse(reference);
        let entry = self.images.iter().find(|entry| entry.matches(&wanted))?;
        Some(Window { components: self.carried(entry) })
    }
}

impl SupportTable {
    /// Images of the same repository as `reference` whose support has not ended on `today`, the
    /// longest-supported first, each as its repository and first tag (`node:24`).
    pub(crate) fn supported_tags_of(&self, reference: &str, today: NaiveDate) -> Vec<String> {
        let wanted = ImageRef::parse(reference);
        let mut supported: Vec<(NaiveDate, String)> = self
            .images
            .iter()
            .filter(|entry| path_of(&ImageRef::parse(&entry.repository)) == path_of(&wanted))
            .map(|entry| (Window { components: self.carried(entry) }.until(), entry))
            .filter(|(until, _)| *until >= today)
            .map(|(until, entry)| (until, entry.tags.first().map_or(entry.repository.clone(), |tag| format!("{}:{tag}", entry.repository))))
            .collect();
        supported.sort_by_key(|(until, _)| std::cmp::Reverse(*until));
        supported.into_iter().map(|(_, name)| name).collect()
    }
}

impl ImageEntry {
    fn matches(&self, wanted: &ImageRef<'_>) -> bool {
        let own = ImageRef::parse(&self.repository);
        let tag = wanted.tag.unwrap_or("latest");
        path_of(&own) == path_of(wanted) && (self.tags.is_empty() || self.tags.iter().any(|t| t == tag))
    }
}

/// The repository path without Docker Hub's `library/` and without the registry's host.
fn path_of<'a>(reference: &ImageRef<'a>) -> &'a str {
    reference.path.strip_prefix("library/").unwrap_or(reference.path)
}

fn day(value: &toml::value::Datetime) -> Result<NaiveDate, String> {
    match (value.date, value.time) {
        (Some(date), None) => NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into()).ok_or_else(|| format!("{value} is not a day")),
        _ => Err(format!("{value} is not a date like 2028-06-30")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_course_table_is_valid_and_covers_the_image_map() {
        let table = SupportTable::parse(COURSE_TABLE).unwrap();
        assert!(table.components().count() >= 10);
        let map = include_str!("../../tests/images/image-map.toml");
        let unknown: Vec<&str> = map
            .lines()
            .filter_map(|line| line.strip_prefix('"')?.split('"').next())
            .filter(|reference| !reference.starts_with("busybox") && table.window(reference).is_none())
            .collect();
        assert!(unknown.is_empty(), "the image map's references without a support window: {unknown:?}");
    }

    #[test]
    fn a_window_ends_with_its_first_component_whatever_the_registry_or_digest() {
        let table = SupportTable::course();
        let node = table.window("docker.io/library/node:20-bookworm-slim@sha256:abc").unwrap();
        assert_eq!(node.first_to_end().id, "node-20");
        assert_eq!(node.until(), date("2026-04-30"));
        assert_eq!(table.window("127.0.0.1:5000/node:24-trixie").unwrap().until(), date("2028-04-30"), "a mirror keeps the path");
        assert_eq!(table.window("gcr.io/distroless/static-debian12:nonroot").unwrap().first_to_end().id, "distroless-debian12-static");
        assert_eq!(table.window("node").map(|w| w.until()), None, "node:latest is no version the table knows");
        assert_eq!(table.window("node:19"), None);
    }

    #[test]
    fn standing_counts_days_to_and_past_the_end() {
        let table = SupportTable::course();
        let node = table.window("node:20").unwrap();
        assert_eq!(node.standing(date("2026-04-30"), 90), Standing::EndsSoon(0));
        assert_eq!(node.standing(date("2026-05-01"), 90), Standing::Ended(1));
        assert_eq!(node.standing(date("2025-12-01"), 90), Standing::Supported);
        assert_eq!(node.describe(date("2026-12-06")), "Node.js 20 ended 2026-04-30");
        assert_eq!(table.window("debian:trixie").unwrap().describe(date("2026-12-06")), "Debian 13 (trixie) supported until 2030-06-30 (estimated)");
    }

    #[test]
    fn a_bad_table_is_refused_with_where() {
        let component = "[components.a]\nname = \"A\"\nkind = \"runtime\"\nuntil = 2027-01-01\nsource = \"x\"\n";
        assert!(SupportTable::parse(&format!("{component}[[images]]\nrepository = \"a\"\ncarries = [\"b\"]\n")).unwrap_err().contains("`b`"));
        assert!(SupportTable::parse(&component.replace("2027-01-01", "\"soon\"")).is_err());
        assert!(SupportTable::parse(&component.replace("2027-01-01", "2027-01-01T00:00:00")).unwrap_err().contains("components.a.until"));
        assert!(SupportTable::parse(&format!("{component}colour = 1\n")).is_err());
    }
}
