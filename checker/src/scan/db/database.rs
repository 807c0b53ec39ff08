//! The opened database: its header in memory; a lookup by (ecosystem, package name) searches the
//! directory in the file and reads and decodes that package's records, and nothing is kept
//! between lookups (the caller keeps what it needs), so memory follows the image, not the
//! database's size.
//!
//! What must hold: a database that is missing, empty, damaged or of another format is an error
//! telling how to get a good one — never an empty list of vulnerabilities, which would make every
//! scan pass; a record that cannot be read after opening is kept in [`Database::damage`], which
//! the scan turns into an error. Package names compare as each ecosystem does: PyPI by its PEP 503
//! normal form (lowercase, runs of `-`, `_`, `.` as one `-`), every other ecosystem exactly (npm
//! and Go are case-sensitive; Debian is looked up by source package). A lookup lists the entries a full
//! decode would, in the same order (records by id, then each record's entries), each with its
//! record cut to that entry.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::directory::Posting;
use super::record::StoredRecord;
use super::store::{self, Index};
use crate::error::{Error, Result};
use crate::scan::ecosystem::Ecosystem;

const SECONDS_PER_DAY: i64 = 86_400;

pub struct Database {
    dir: PathBuf,
    index: Index,
    /// The first record that could not be read, if any.
    damage: OnceLock<String>,
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
    /// Opens the database in `dir`, checking it whole.
    pub fn open(dir: &Path) -> Result<Database> {
        let Some(index) = store::open(dir)? else {
            return Err(Error::new(format!("no vulnerability database in {}", dir.display()))
                .action("run `shipshape db update` (online) or `shipshape db import FILE|DIR` (offline)"));
        };
        if index.meta.records == 0 {
            return Err(Error::new(format!("the vulnerability database in {} is empty", dir.display()))
                .because("an empty database would make every scan pass")
                .action("run `shipshape db update` (online) or `shipshape db import FILE|DIR` (offline) with records for Debian, Alpine, npm, PyPI or Go"));
        }
        Ok(Database { dir: dir.to_path_buf(), index, damage: OnceLock::new() })
    }

    /// The records with an affected entry naming `package` in `ecosystem`, one per such entry,
    /// each cut to that entry alone (`affected[0]`: the scan needs no other). A lookup that cannot
    /// read the directory or a record leaves it out and keeps the cause as the damage.
    pub fn affected(&self, ecosystem: &Ecosystem, package: &str) -> Vec<StoredRecord> {
        let directory = &self.index.directory;
        match directory.find(ecosystem, package).and_then(|key| key.map(|key| directory.postings(key)).transpose()) {
            Ok(postings) => postings.map(|postings| self.read(postings)).unwrap_or_default(),
            Err(error) => {
                self.keep_damage(self.index.unusable(error));
                Vec::new()
            }
        }
    }

    /// Why a record could not be read, when one could not: the lookups that needed it found
    /// nothing, so a scan must not be trusted.
    pub fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }

    /// The content hash (`sha256:…`): the same records give the same hash.
    pub fn hash(&self) -> &str {
        &self.index.meta.hash
    }

    pub fn info(&self) -> Info {
        let meta = &self.index.meta;
        Info {
            dir: self.dir.clone(),
            format: store::FORMAT_VERSION,
            records: usize::try_from(meta.records).unwrap_or(usize::MAX),
            ecosystems: meta.counts.clone(),
            written_at: meta.written_at,
            hash: meta.hash.clone(),
        }
    }

    /// Reads the records `postings` point at, each cut to the entry naming it; one that cannot be
    /// read is left out and kept as the damage.
    fn read(&self, postings: Vec<Posting>) -> Vec<StoredRecord> {
        let mut records = Vec::new();
        for posting in postings {
            match self.index.record(posting) {
                Ok(mut record) => {
                    record.affected = vec![record.affected.swap_remove(posting.affected as usize)];
                    records.push(record);
                }
                Err(error) => self.keep_damage(error),
            }
        }
        records
    }

    fn keep_damage(&self, error: Error) {
        let _ = self.damage.set(error.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::db::{import, store::index_path};

    #[test]
    fn a_record_that_cannot_be_read_is_kept_as_the_damage() {
        let (sources, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let record = r#"{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "p"}}]}"#;
        std::fs::write(sources.path().join("x.json"), record).unwrap();
        import(dir.path(), &[sources.path().join("x.json")]).unwrap();
        let whole = Database::open(dir.path()).unwrap();
        assert_eq!((whole.affected(&Ecosystem::Npm, "p").len(), whole.damage()), (1, None));

        let mut bytes = std::fs::read(index_path(dir.path())).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(index_path(dir.path()), bytes).unwrap();
        let damaged = Database::open(dir.path()).unwrap();
        assert_eq!(damaged.affected(&Ecosystem::Npm, "p").len(), 0);
        assert!(damaged.damage().is_some_and(|d| d.contains("checksum does not match")), "{:?}", damaged.damage());
    }
}
