//! The database on disk: one file, `index.bin`, in the database folder.
//!
//! Layout: the 16-byte magic `shipshape-osvdb\n`, the format version (u32, little-endian), the
//! header's length (u32) and the header ([`Meta`], the directory's and the body's lengths and
//! the directory's CRC-32, encoded with postcard), then the [`directory`](super::directory) and
//! the body: the records sorted by id, encoded with postcard as one sequence, each record's bytes
//! where the directory says, with their CRC-32. The content hash is the sha256 of the body, so the
//! same records give the same hash whatever order they were imported in (the same hash as format
//! 1 gave). Opening reads the header and streams through the directory once, checking the file's
//! length and the directory's CRC-32, and keeps only the header in memory; a lookup searches the directory
//! in the file and reads the records it needs and checks each one's CRC-32; reading
//! every record (to merge an import) checks the content hash. So a truncated or damaged file is
//! refused, never half-read, and a scan reads only the records of the packages it looks up.
//!
//! What must hold: the file is replaced atomically (a temporary file in the same folder, synced,
//! then renamed over it), so a reader sees the old database or the new one, never a mix; an
//! opened [`Index`] keeps its file open, so a later replacement does not change what it reads.
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::directory::{self, Directory, Posting, Span};
use super::record::StoredRecord;
use crate::error::{Context, Error, Result};

/// Bumped whenever the layout, [`Meta`] or the encoding of [`StoredRecord`] changes.
pub(crate) const FORMAT_VERSION: u32 = 2;
const MAGIC: &[u8; 16] = b"shipshape-osvdb\n";
const FILE_NAME: &str = "index.bin";
/// Magic, version and the header's length.
const PREAMBLE_BYTES: usize = 16 + 4 + 4;

/// What the database says about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// When the last import or update wrote the database (seconds since the Unix epoch).
    pub written_at: i64,
    /// `sha256:` and the hex digest of the encoded records.
    pub hash: String,
    /// Records per OSV ecosystem name (a record affecting two ecosystems counts in both).
    pub counts: BTreeMap<String, u64>,
    /// Records in all.
    pub records: u64,
}

/// The header after the preamble: what the file holds and how to check it.
#[derive(Serialize, Deserialize)]
struct Header {
    meta: Meta,
    directory_bytes: u64,
    body_bytes: u64,
    /// CRC-32 (IEEE) of the directory.
    crc32: u32,
}

/// An opened, checked index: its meta in memory, its directory and records read on demand.
pub(crate) struct Index {
    pub(super) meta: Meta,
    pub(super) directory: Directory,
    file: File,
    path: PathBuf,
    body_start: u64,
    body_bytes: u64,
}

pub fn index_path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Writes `records` (sorted by id) as the database in `dir`, replacing what was there.
pub(crate) fn write(dir: &Path, records: &[StoredRecord]) -> Result<Meta> {
    let cannot_encode = || "cannot encode the vulnerability database".to_string();
    let (body, spans) = encode_body(records).context(cannot_encode)?;
    let directory = directory::encode(records, &spans);
    let meta = Meta { written_at: now(), hash: hash(&body), counts: counts(records), records: records.len() as u64 };
    let header = Header { meta: meta.clone(), directory_bytes: directory.len() as u64, body_bytes: body.len() as u64, crc32: crc32fast::hash(&directory) };
    let header = postcard::to_stdvec(&header).context(cannot_encode)?;
    let header_len = u32::try_from(header.len()).context(cannot_encode)?.to_le_bytes();
    let cannot_write = || format!("cannot write the vulnerability database in {}", dir.display());
    std::fs::create_dir_all(dir).context(cannot_write)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".index-");
    // Readable by everyone (umask permitting), as a cache file is: an index prepared for a
    // classroom in a shared folder serves every learner.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut file = builder.tempfile_in(dir).context(cannot_write)?;
    for part in [&MAGIC[..], &FORMAT_VERSION.to_le_bytes(), &header_len, &header, &directory, &body] {
        file.write_all(part).context(cannot_write)?;
    }
    file.as_file().sync_all().context(cannot_write)?;
    file.persist(index_path(dir)).map_err(|e| e.error).context(cannot_write)?;
    Ok(meta)
}

/// The records encoded as one postcard sequence (a varint count, then each record), and where
/// each record's bytes are in it.
fn encode_body(records: &[StoredRecord]) -> postcard::Result<(Vec<u8>, Vec<Span>)> {
    let mut body = postcard::to_stdvec(&records.len())?;
    let mut spans = Vec::with_capacity(records.len());
    for record in records {
        let start = body.len();
        body = postcard::to_extend(record, body)?;
        let len = u32::try_from(body.len() - start).map_err(|_| postcard::Error::SerializeBufferFull)?;
        spans.push(Span { offset: start as u64, len, crc32: crc32fast::hash(&body[start..]) });
    }
    Ok((body, spans))
}

/// Opens and checks the database in `dir`: `None` when there is none; an error when it cannot be
/// used.
pub(crate) fn open(dir: &Path) -> Result<Option<Index>> {
    let path = index_path(dir);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::new(format!("cannot read the vulnerability database {}", path.display())).because(e)),
    };
    check(file, &path).map(Some).map_err(|cause| unusable(&path, cause))
}

/// Reads the records of the database in `dir`, all of them: `None` when there is none; an error
/// when it cannot be used.
pub(crate) fn read(dir: &Path) -> Result<Option<Vec<StoredRecord>>> {
    let Some(index) = open(dir)? else { return Ok(None) };
    let mut body = vec![0; usize::try_from(index.body_bytes).unwrap_or(usize::MAX)];
    index.file.read_exact_at(&mut body, index.body_start).map_err(|e| unusable(&index.path, e.to_string()))?;
    if hash(&body) != index.meta.hash {
        return Err(unusable(&index.path, "it is truncated or damaged (its content hash does not match)"));
    }
    let records = postcard::from_bytes(&body).map_err(|e| unusable(&index.path, format!("its records are damaged ({e})")))?;
    Ok(Some(records))
}

impl Index {
    /// The error for a directory that cannot be read after it was opened.
    pub(super) fn unusable(&self, cause: std::io::Error) -> Error {
        unusable(&self.path, cause)
    }

    /// The record a posting points at; an error when it cannot be read or decoded.
    pub(super) fn record(&self, posting: Posting) -> Result<StoredRecord> {
        let damaged = |cause: String| unusable(&self.path, cause);
        let span = posting.span;
        if span.offset.saturating_add(u64::from(span.len)) > self.body_bytes {
            return Err(damaged("its directory points outside its records".into()));
        }
        let mut bytes = vec![0; span.len as usize];
        self.file.read_exact_at(&mut bytes, self.body_start + span.offset).map_err(|e| damaged(e.to_string()))?;
        if crc32fast::hash(&bytes) != span.crc32 {
            return Err(damaged("a record is damaged (its checksum does not match)".into()));
        }
        let record: StoredRecord = postcard::from_bytes(&bytes).map_err(|e| damaged(format!("a record is damaged ({e})")))?;
        if record.affected.len() <= posting.affected as usize {
            return Err(damaged("its directory names an entry a record does not have".into()));
        }
        Ok(record)
    }
}

fn unusable(path: &Path, cause: impl std::fmt::Display) -> Error {
    Error::new(format!("the vulnerability database {} cannot be used", path.display()))
        .because(cause)
        .action("re-import it: `shipshape db update` (online) or `shipshape db import FILE|DIR` (offline)")
}

/// Checks the preamble, the file's length and the directory (its CRC-32 and its sections).
fn check(mut file: File, path: &Path) -> Result<Index, String> {
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    let mut preamble = [0; PREAMBLE_BYTES];
    file.read_exact(&mut preamble).map_err(|_| "it is not a Shipshape vulnerability database".to_string())?;
    let rest = preamble.strip_prefix(&MAGIC[..]).ok_or("it is not a Shipshape vulnerability database")?;
    let (version, rest) = rest.split_first_chunk::<4>().ok_or("it is truncated")?;
    let version = u32::from_le_bytes(*version);
    if version != FORMAT_VERSION {
        return Err(format!("it has format {version}, and this shipshape reads format {FORMAT_VERSION}"));
    }
    let header_len = u32::from_le_bytes(rest.try_into().map_err(|_| "it is truncated")?) as u64;
    if PREAMBLE_BYTES as u64 + header_len > size {
        return Err("it is truncated".into());
    }
    let mut header = vec![0; header_len as usize];
    file.read_exact(&mut header).map_err(|e| e.to_string())?;
    let header: Header = postcard::from_bytes(&header).map_err(|e| format!("its header is damaged ({e})"))?;
    let body_start = PREAMBLE_BYTES as u64 + header_len + header.directory_bytes;
    if body_start.checked_add(header.body_bytes) != Some(size) {
        return Err("it is truncated or damaged (its length does not match its header)".into());
    }
    let directory_start = PREAMBLE_BYTES as u64 + header_len;
    let directory = Directory::open(file.try_clone().map_err(|e| e.to_string())?, directory_start, header.directory_bytes, header.crc32)?;
    Ok(Index { meta: header.meta, directory, file, path: path.to_path_buf(), body_start, body_bytes: header.body_bytes })
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
        assert_eq!(read(dir.path()).unwrap().unwrap(), [record("A-1"), record("A-2")]);
        let opened = open(dir.path()).unwrap().unwrap();
        assert_eq!(opened.meta.hash, meta.hash);
        assert_eq!(opened.meta.counts["npm"], 2);

        let bytes = std::fs::read(index_path(dir.path())).unwrap();
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let other_format = [&bytes[..16], &(FORMAT_VERSION + 1).to_le_bytes()[..], &bytes[20..]].concat();
        for damaged in [&bytes[..bytes.len() - 3], &bytes[..10], &other_format, &flipped] {
            std::fs::write(index_path(dir.path()), damaged).unwrap();
            let error = read(dir.path()).err().unwrap().to_string();
            assert!(error.contains("cannot be used") && error.contains("re-import"), "{error}");
        }
    }

    #[test]
    fn the_body_is_the_records_as_one_sequence_and_each_record_is_where_its_span_says() {
        let records = [record("A-1"), record("A-2"), record("B-1")];
        let (body, spans) = encode_body(&records).unwrap();
        assert_eq!(body, postcard::to_stdvec(&records[..]).unwrap(), "the content hash is that of format 1");
        for (record, span) in records.iter().zip(spans) {
            let bytes = &body[span.offset as usize..][..span.len as usize];
            assert_eq!(crc32fast::hash(bytes), span.crc32);
            assert_eq!(&postcard::from_bytes::<StoredRecord>(bytes).unwrap(), record);
        }
    }

    #[test]
    fn a_damaged_record_is_refused_when_a_lookup_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[record("A-1")]).unwrap();
        let mut bytes = std::fs::read(index_path(dir.path())).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(index_path(dir.path()), bytes).unwrap();
        let index = open(dir.path()).unwrap().expect("the header and the directory are whole");
        let key = index.directory.find(&Ecosystem::Npm, "p").unwrap().unwrap();
        let posting = index.directory.postings(key).unwrap()[0];
        let error = index.record(posting).unwrap_err().to_string();
        assert!(error.contains("checksum does not match") && error.contains("re-import"), "{error}");
    }
}
