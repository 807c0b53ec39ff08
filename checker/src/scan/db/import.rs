//! Importing OSV records from files, folders and zip archives into the database.
//!
//! Sources: a `*.json` file is one record; a folder is searched recursively for `*.json` files and
//! `*.zip` archives (in name order, symbolic links to folders not followed); a zip archive (OSV's
//! bulk `all.zip`) holds one record per `*.json` entry. A file is taken for a zip by its first
//! bytes, not its name.
//!
//! What must hold: records merge by id and a newer `modified` replaces an older one (on a tie the
//! later import wins); a withdrawn record removes an older version of itself; affected entries of
//! ecosystems Shipshape does not scan are skipped and counted, and so is a record left with none.
//! Any malformed record or unreadable archive stops the import before anything is written, with
//! an error naming the file or entry.
use std::collections::BTreeMap;
use std::fmt::Display;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use super::inflate::{too_big, Inflater};
use super::record::{compact, StoredAffected, StoredRecord};
use super::store;
use crate::error::{Context, Error, Result};
use crate::scan::osv;

/// A record bigger than this is refused (OSV's largest are a few hundred kilobytes).
const MAX_RECORD_BYTES: u64 = 32 << 20;

/// What an import or update did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Records read from the sources.
    pub read: usize,
    /// Records new to the database.
    pub added: usize,
    /// Records that replaced an older version of themselves.
    pub replaced: usize,
    /// Records ignored because the database already had them, or a newer version.
    pub unchanged: usize,
    /// Withdrawn records read (they remove their older versions).
    pub withdrawn: usize,
    /// Records with no affected entry of a supported ecosystem.
    pub skipped_records: usize,
    /// Affected entries skipped, by OSV ecosystem name.
    pub skipped_entries: BTreeMap<String, usize>,
    /// Why the previous database was discarded, when it could not be read.
    pub discarded: Option<String>,
    /// What the database holds afterwards.
    pub meta: Option<store::Meta>,
    /// Records in the database afterwards.
    pub total: usize,
}

/// Imports `paths` into the database in `dir`, merging with what it holds.
pub fn import(dir: &Path, paths: &[PathBuf]) -> Result<ImportReport> {
    let mut merge = Merge::existing(dir);
    for path in paths {
        merge.path(path)?;
    }
    merge.save(dir)
}

/// Records merged by id, and the counts of what happened to them.
pub(super) struct Merge {
    records: BTreeMap<String, StoredRecord>,
    report: ImportReport,
}

impl Merge {
    /// Starts from the database in `dir`; one that cannot be read is discarded, and reported.
    pub(super) fn existing(dir: &Path) -> Merge {
        let (records, discarded) = match store::read(dir) {
            Ok(records) => (records.unwrap_or_default(), None),
            Err(error) => (Vec::new(), Some(error.to_string())),
        };
        Merge { records: records.into_iter().map(|r| (r.id.clone(), r)).collect(), report: ImportReport { discarded, ..Default::default() } }
    }

    /// Drops every record held that has an affected entry `drop` matches.
    pub(super) fn drop_records(&mut self, drop: impl Fn(&StoredAffected) -> bool) {
        self.records.retain(|_, record| !record.affected.iter().any(&drop));
    }

    fn path(&mut self, path: &Path) -> Result<()> {
        let metadata = std::fs::metadata(path).context(|| format!("cannot read {}", path.display()))?;
        if metadata.is_dir() {
            return self.folder(path);
        }
        let mut file = File::open(path).context(|| format!("cannot read {}", path.display()))?;
        if is_zip(&mut file).context(|| format!("cannot read {}", path.display()))? {
            self.zip(file, &path.display().to_string())
        } else {
            self.json(&mut file, &path.display().to_string())
        }
    }

    fn folder(&mut self, dir: &Path) -> Result<()> {
        let cannot_list = || format!("cannot list {}", dir.display());
        let mut entries =
            std::fs::read_dir(dir).context(cannot_list)?.map(|entry| entry.map(|e| e.path())).collect::<Result<Vec<_>, _>>().context(cannot_list)?;
        entries.sort();
        for entry in entries {
            let kind = std::fs::symlink_metadata(&entry).context(|| format!("cannot read {}", entry.display()))?;
            let extension = entry.extension().and_then(|e| e.to_str());
            if kind.is_dir() {
                self.folder(&entry)?;
            } else if matches!(extension, Some("json" | "zip")) {
                self.path(&entry)?;
            }
        }
        Ok(())
    }

    /// Reads every `*.json` entry of a zip archive; `origin` names it in errors.
    pub(super) fn zip(&mut self, file: impl Read + Seek, origin: &str) -> Result<()> {
        let mut archive = zip::ZipArchive::new(file).map_err(|e| damaged(origin, e))?;
        let mut inflater = Inflater::new(MAX_RECORD_BYTES);
        for index in 0..archive.len() {
            let mut entry = archive.by_index_raw(index).map_err(|e| damaged(origin, e))?;
            if entry.is_dir() || !entry.name().ends_with(".json") {
                continue;
            }
            let name = format!("{origin}: {}", entry.name());
            let bytes = inflater.entry(&mut entry).map_err(|e| damaged(origin, format!("{name}: {e}")))?;
            self.add(osv::parse(bytes, &name)?);
        }
        Ok(())
    }

    fn json(&mut self, file: &mut File, origin: &str) -> Result<()> {
        let bytes = read_record(file).context(|| format!("cannot read {origin}"))?;
        self.add(osv::parse(&bytes, origin)?);
        Ok(())
    }

    fn add(&mut self, record: osv::Record) {
        self.report.read += 1;
        if record.withdrawn.is_some() {
            self.report.withdrawn += 1;
            if self.records.get(&record.id).is_some_and(|held| !is_older(&record.modified, &held.modified)) {
                self.records.remove(&record.id);
            }
            return;
        }
        let compacted = compact(record);
        for ecosystem in compacted.skipped {
            *self.report.skipped_entries.entry(ecosystem).or_default() += 1;
        }
        let Some(record) = compacted.record else {
            self.report.skipped_records += 1;
            return;
        };
        match self.records.get(&record.id) {
            None => self.report.added += 1,
            Some(held) if *held == record || is_older(&record.modified, &held.modified) => {
                self.report.unchanged += 1;
                return;
            }
            Some(_) => self.report.replaced += 1,
        }
        self.records.insert(record.id.clone(), record);
    }

    /// Writes the merged records as the database in `dir`.
    pub(super) fn save(self, dir: &Path) -> Result<ImportReport> {
        let records: Vec<StoredRecord> = self.records.into_values().collect();
        let meta = store::write(dir, &records)?;
        Ok(ImportReport { meta: Some(meta), total: records.len(), ..self.report })
    }
}

/// Whether `modified` is strictly older than `held` (both RFC 3339).
fn is_older(modified: &str, held: &str) -> bool {
    osv::modified_time(modified) < osv::modified_time(held)
}

/// Whether a file starts like a zip archive (a local file header or an empty archive's end record).
fn is_zip(file: &mut File) -> std::io::Result<bool> {
    let mut magic = Vec::with_capacity(4);
    file.take(4).read_to_end(&mut magic)?;
    file.rewind()?;
    Ok(matches!(&magic[..], b"PK\x03\x04" | b"PK\x05\x06"))
}

/// Reads one record's bytes, refusing more than [`MAX_RECORD_BYTES`].
fn read_record(source: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    source.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err(too_big(MAX_RECORD_BYTES));
    }
    Ok(bytes)
}

fn damaged(origin: &str, cause: impl Display) -> Error {
    Error::new(format!("{origin} is not a readable zip archive"))
        .because(cause)
        .action("it is truncated or damaged: fetch it again; the database was left as it was")
}
