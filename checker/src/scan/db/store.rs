//! The database on disk: one file, `index.bin`, in the database folder.
//!
//! Layout: the 16-byte magic `shipshape-osvdb\n`, the format version (u32, little-endian), then
//! the [`Meta`] and the records sorted by id, each encoded with postcard. The content hash is the
//! sha256 of the records' bytes, so the same records give the same hash whatever order they were
//! imported in, and loading verifies it: a truncated or damaged file is refused, never half-read.
//!
//! What must hold: the file is replaced atomically (a temporary file in the same folder, synced,
//! then renamed over it), so a reader sees the old database or the new one, never a mix.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::record::StoredRecord;
use crate::error::{Context, Error, Result};

/// Bumped whenever the encoding of [`Meta`] or [`StoredRecord`] changes.
pub(crate) const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 16] = b"shipshape-osvdb\n";
const FILE_NAME: &str = "index.bin";

/// What the database says about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// When the last import or update wrote the database (seconds since the Unix epoch).
    pub written_at: i64,
    /// `sha256:` and the hex digest of the encoded records.
    pub hash: String,
    /// Records per OSV ecosystem name (a record affecting two ecosystems counts in both).
    pub counts: BTreeMap<String, u64>,
}

/// A database as read from disk.
pub(crate) struct Stored {
    pub meta: Meta,
    pub records: Vec<StoredRecord>,
}

pub fn index_path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Writes `records` (sorted by id) as the database in `dir`, replacing what was there.
pub(crate) fn write(dir: &Path, records: &[StoredRecord]) -> Result<Meta> {
    let body = postcard::to_stdvec(records).context(|| "cannot encode the vulnerability database".into())?;
    let meta = Meta { written_at: now(), hash: hash(&body), counts: counts(records) };
    let header = postcard::to_stdvec(&meta).context(|| "cannot encode the vulnerability database".into())?;
    let cannot_write = || format!("cannot write the vulnerability database in {}", dir.display());
    std::fs::create_dir_all(dir).context(cannot_write)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".index-");
    // Readable by everyone (umask permitting), as a cache file is: an index prepared for a
    // classroom in a shared folder serves every learner.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut file = builder.tempfile_in(dir).context(cannot_write)?;
    for part in [&MAGIC[..], &FORMAT_VERSION.to_le_bytes(), &header, &body] {
        file.write_all(part).context(cannot_write)?;
    }
    file.as_file().sync_all().context(cannot_write)?;
    file.persist(index_path(dir)).map_err(|e| e.error).context(cannot_write)?;
    Ok(meta)
}

/// Reads the database in `dir`: `None` when there is none; an error when it cannot be used.
pub(crate) fn read(dir: &Path) -> Result<Option<Stored>> {
    let path = index_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::new(format!("cannot read the vulnerability database {}", path.display())).because(e)),
    };
    decode(&bytes).map(Some).map_err(|cause| {
        Error::new(format!("the vulnerability database {} cannot be used", path.display()))
            .because(cause)
            .action("re-import it: `shipshape db update` (online) or `shipshape db import FILE|DIR` (offline)")
    })
}

fn decode(bytes: &[u8]) -> Result<Stored, String> {
    let rest = bytes.strip_prefix(&MAGIC[..]).ok_or("it is not a Shipshape vulnerability database")?;
    let (version, rest) = rest.split_first_chunk::<4>().ok_or("it is truncated")?;
    let version = u32::from_le_bytes(*version);
    if version != FORMAT_VERSION {
        return Err(format!("it has format {version}, and this shipshape reads format {FORMAT_VERSION}"));
    }
    let (meta, body): (Meta, _) = postcard::take_from_bytes(rest).map_err(|e| format!("its header is damaged ({e})"))?;
    if hash(body) != meta.hash {
        return Err("it is truncated or damaged (its content hash does not match)".into());
    }
    let records = postcard::from_bytes(body).map_err(|e| format!("its records are damaged ({e})"))?;
    Ok(Stored { meta, records })
}

fn hash(body: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(body))
}

fn counts(records: &[StoredRecord]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for record in records {
        let mut names: Vec<String> = record.affected.iter().map(|a| a.ecosystem.osv_name()).collect();
        names.sort();
        names.dedup();
        for name in names {
            *counts.entry(name).or_default() += 1;
        }
    }
    counts
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs().try_into().unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::db::record::StoredAffected;
    use crate::scan::ecosystem::Ecosystem;

    fn record(id: &str) -> StoredRecord {
        StoredRecord {
            id: id.into(),
            modified: "2024-01-01T00:00:00Z".into(),
            aliases: vec![],
            upstream: vec![],
            summary: "s".into(),
            severity: vec![],
            label: None,
            affected: vec![StoredAffected { ecosystem: Ecosystem::Npm, package: "p".into(), ranges: vec![], versions: vec![], severity: vec![], label: None }],
        }
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        let meta = write(dir.path(), &[record("A-1"), record("A-2")]).unwrap();
        let stored = read(dir.path()).unwrap().unwrap();
        assert_eq!(stored.records, [record("A-1"), record("A-2")]);
        assert_eq!(stored.meta.hash, meta.hash);
        assert_eq!(stored.meta.counts["npm"], 2);

        let bytes = std::fs::read(index_path(dir.path())).unwrap();
        for damaged in [&bytes[..bytes.len() - 3], &bytes[..10], &[&bytes[..16], &2u32.to_le_bytes()[..], &bytes[20..]].concat()] {
            std::fs::write(index_path(dir.path()), damaged).unwrap();
            let error = read(dir.path()).err().unwrap().to_string();
            assert!(error.contains("cannot be used") && error.contains("re-import"), "{error}");
        }
    }
}
