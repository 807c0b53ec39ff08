//! The opened database: records loaded once, looked up by (ecosystem, package name).
//!
//! What must hold: a database that is missing, empty, damaged or of another format is an error
//! telling how to get a good one — never an empty list of vulnerabilities, which would make every
//! scan pass. Package names compare as each ecosystem does: PyPI by its PEP 503 normal form
//! (lowercase, runs of `-`, `_`, `.` as one `-`), every other ecosystem exactly (npm and Go are
//! case-sensitive; Debian is looked up by source package).
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::record::{StoredAffected, StoredRecord};
use super::store::{self, Meta};
use crate::error::{Error, Result};
use crate::scan::ecosystem::Ecosystem;

const SECONDS_PER_DAY: i64 = 86_400;

pub struct Database {
    dir: PathBuf,
    meta: Meta,
    records: Vec<StoredRecord>,
    /// Per ecosystem and package key, the (record, affected entry) positions.
    by_package: HashMap<Ecosystem, HashMap<String, Vec<(usize, usize)>>>,
}

/// What `shipshape db info` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub dir: PathBuf,
    pub format: u32,
    pub records: usize,
    /// Records per OSV ecosystem name.
    pub ecosystems: BTreeMap<String, u64>,
    /// When the last import or update wrote the database (seconds since the Unix epoch).
    pub written_at: i64,
    pub hash: String,
}

impl Database {
    /// Opens the database in `dir`.
    pub fn open(dir: &Path) -> Result<Database> {
        let Some(stored) = store::read(dir)? else {
            return Err(Error::new(format!("no vulnerability database in {}", dir.display()))
                .action("run `shipshape db update` (online) or `shipshape db import FILE|DIR` (offline)"));
        };
        if stored.records.is_empty() {
            return Err(Error::new(format!("the vulnerability database in {} is empty", dir.display()))
                .because("an empty database would make every scan pass")
                .action("run `shipshape db update` (online) or `shipshape db import FILE|DIR` (offline) with records for Debian, Alpine, npm, PyPI or Go"));
        }
        let by_package = index(&stored.records);
        Ok(Database { dir: dir.to_path_buf(), meta: stored.meta, records: stored.records, by_package })
    }

    /// Every affected entry naming `package` in `ecosystem`, with its record.
    pub fn affected<'a>(&'a self, ecosystem: &Ecosystem, package: &str) -> impl Iterator<Item = (&'a StoredRecord, &'a StoredAffected)> + 'a {
        let positions = self.by_package.get(ecosystem).and_then(|packages| packages.get(package_key(ecosystem, package).as_ref()));
        positions.into_iter().flatten().map(|&(record, affected)| {
            let record = &self.records[record];
            (record, &record.affected[affected])
        })
    }

    /// The content hash (`sha256:…`): the same records give the same hash.
    pub fn hash(&self) -> &str {
        &self.meta.hash
    }

    pub fn info(&self) -> Info {
        Info {
            dir: self.dir.clone(),
            format: store::FORMAT_VERSION,
            records: self.records.len(),
            ecosystems: self.meta.counts.clone(),
            written_at: self.meta.written_at,
            hash: self.meta.hash.clone(),
        }
    }
}

impl Info {
    /// Whole days since the database was written (0 for a clock set before it).
    pub(crate) fn age_days(&self) -> i64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        (now.saturating_sub(self.written_at) / SECONDS_PER_DAY).max(0)
    }

    /// When the database was written, as RFC 3339 in UTC.
    pub(crate) fn written_at_rfc3339(&self) -> String {
        chrono::DateTime::from_timestamp(self.written_at, 0)
            .map_or_else(|| self.written_at.to_string(), |time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }
}

fn index(records: &[StoredRecord]) -> HashMap<Ecosystem, HashMap<String, Vec<(usize, usize)>>> {
    let mut by_package: HashMap<Ecosystem, HashMap<String, Vec<(usize, usize)>>> = HashMap::new();
    for (r, record) in records.iter().enumerate() {
        for (a, affected) in record.affected.iter().enumerate() {
            let key = package_key(&affected.ecosystem, &affected.package).into_owned();
            by_package.entry(affected.ecosystem.clone()).or_default().entry(key).or_default().push((r, a));
        }
    }
    by_package
}

/// The form a package name is compared in, per ecosystem.
pub(crate) fn package_key<'a>(ecosystem: &Ecosystem, name: &'a str) -> Cow<'a, str> {
    match ecosystem {
        Ecosystem::PyPI => Cow::Owned(pep503(name)),
        _ => Cow::Borrowed(name),
    }
}

/// PEP 503's normal form: lowercase, each run of `-`, `_`, `.` as one `-`.
fn pep503(name: &str) -> String {
    let mut normal = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normal.ends_with('-') {
                normal.push('-');
            }
        } else {
            normal.extend(c.to_lowercase());
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_are_normalised_and_others_kept() {
        assert_eq!(pep503("Foo.Bar__baz-_.qux"), "foo-bar-baz-qux");
        assert_eq!(package_key(&Ecosystem::PyPI, "Django_REST.framework"), "django-rest-framework");
        assert_eq!(package_key(&Ecosystem::Npm, "JSONStream"), "JSONStream");
    }
}
