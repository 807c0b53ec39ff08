//! The index file's directory: for each (ecosystem, package key), where its records are in the
//! file, so that a scan reads only the records of the packages an image holds.
//!
//! Layout (little-endian, fixed width, searched in place without being decoded): the number of
//! keys and of postings (u32 each); one 16-byte entry per key, sorted by key bytes (where the key
//! is in the key text, and where its postings start and how many there are); one 20-byte posting
//! per affected entry (the record's offset and length in the body, u64 and u32, the CRC-32 of its
//! bytes and the entry's index in the record, u32 each); then the key text. A key is the ecosystem's OSV name, a NUL and the
//! package key ([`package_key`]).
//!
//! What must hold: a key's postings are in the order of the records (by id) and of the entries in
//! each record, as the records are stored, so that lookups list them as a full decode would; a
//! directory that does not add up (an entry or posting outside its sections) is refused on
//! reading, never searched.
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::record::StoredRecord;
use crate::scan::ecosystem::Ecosystem;

const COUNTS_BYTES: usize = 8;
const KEY_BYTES: usize = 16;
const POSTING_BYTES: usize = 20;
/// How much of the directory one read takes when it is checked: a whole number of key entries,
/// after the counts.
const CHUNK_BYTES: u64 = 4096 * KEY_BYTES as u64;

/// Where one affected entry is: its record's bytes in the body, and the entry's index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Posting {
    pub span: Span,
    pub affected: u32,
}

/// Where a record's bytes are in the body, and their CRC-32 (IEEE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub offset: u64,
    pub len: u32,
    pub crc32: u32,
}

/// A directory in the index file, checked when opened and searched in place: only the few
/// entries a binary search visits and the postings of the keys found are ever read, so a
/// directory of hundreds of thousands of keys costs no memory.
pub(super) struct Directory {
    file: File,
    /// Where the directory starts in the file, and its length.
    start: u64,
    len: u64,
    keys: usize,
    postings: usize,
}

/// Encodes the directory of `records`, whose encoded bytes lie at `spans` in the body.
pub(super) fn encode(records: &[StoredRecord], spans: &[Span]) -> Vec<u8> {
    let mut by_key: BTreeMap<Vec<u8>, Vec<Posting>> = BTreeMap::new();
    for (record, &span) in records.iter().zip(spans) {
        for (index, affected) in record.affected.iter().enumerate() {
            let posting = Posting { span, affected: u32::try_from(index).expect("fewer than 2^32 entries in a record") };
            by_key.entry(key(&affected.ecosystem, &affected.package)).or_default().push(posting);
        }
    }
    let postings: usize = by_key.values().map(Vec::len).sum();
    let mut bytes = Vec::with_capacity(COUNTS_BYTES + by_key.len() * KEY_BYTES + postings * POSTING_BYTES);
    bytes.extend(u32_le(by_key.len()));
    bytes.extend(u32_le(postings));
    let (mut text_at, mut posting_at) = (0, 0);
    for (key, postings) in &by_key {
        for field in [text_at, key.len(), posting_at, postings.len()] {
            bytes.extend(u32_le(field));
        }
        text_at += key.len();
        posting_at += postings.len();
    }
    for posting in by_key.values().flatten() {
        bytes.extend(posting.span.offset.to_le_bytes());
        bytes.extend(posting.span.len.to_le_bytes());
        bytes.extend(posting.span.crc32.to_le_bytes());
        bytes.extend(posting.affected.to_le_bytes());
    }
    for key in by_key.keys() {
        bytes.extend(key);
    }
    bytes
}

impl Directory {
    /// Checks the directory at `start..start + len` of `file` in one streamed pass (its CRC-32
    /// against `crc32`, and that its sections add up), keeping only where it is.
    pub(super) fn open(file: File, start: u64, len: u64, crc32: u32) -> Result<Directory, String> {
        let damaged = || "its directory is damaged".to_string();
        let mut counts = [0; COUNTS_BYTES];
        file.read_exact_at(&mut counts, start).map_err(|_| damaged())?;
        let (keys, postings) = (read_u32(&counts, 0).ok_or_else(damaged)?, read_u32(&counts, 4).ok_or_else(damaged)?);
        let directory = Directory { file, start, len, keys, postings };
        let text = directory.text_start().ok_or_else(damaged)?;
        let mut checksum = crc32fast::Hasher::new();
        checksum.update(&counts);
        let text_len = len - text as u64;
        let fits = |entry: Entry| entry.text.end as u64 <= text_len && entry.postings.end <= postings;
        let mut at = COUNTS_BYTES as u64;
        while at < len {
            let chunk = directory.read_at(at, CHUNK_BYTES.min(len - at) as usize).map_err(|e| e.to_string())?;
            checksum.update(&chunk);
            let entries = directory.entries_in(at, chunk.len());
            if !entries.clone().all(|k| fits(directory.entry_from(&chunk, at, k))) {
                return Err(damaged());
            }
            at += chunk.len() as u64;
        }
        (checksum.finalize() == crc32).then_some(directory).ok_or_else(|| "it is damaged (its directory's checksum does not match)".to_string())
    }

    /// The index of the key of `package` in `ecosystem`, if any record names it.
    pub(super) fn find(&self, ecosystem: &Ecosystem, package: &str) -> io::Result<Option<usize>> {
        let wanted = key(ecosystem, package);
        let text = self.text_start().expect("checked when opened") as u64;
        let (mut low, mut high) = (0, self.keys);
        while low < high {
            let middle = low + (high - low) / 2;
            let entry = self.entry(middle)?;
            let key_text = self.read_at(text + entry.text.start as u64, entry.text.len())?;
            match key_text.as_slice().cmp(wanted.as_slice()) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Ok(Some(middle)),
            }
        }
        Ok(None)
    }

    /// The postings of the key at `index`, in record order.
    pub(super) fn postings(&self, index: usize) -> io::Result<Vec<Posting>> {
        let range = self.entry(index)?.postings;
        let first = (COUNTS_BYTES + self.keys * KEY_BYTES + range.start * POSTING_BYTES) as u64;
        let bytes = self.read_at(first, range.len() * POSTING_BYTES)?;
        Ok(bytes.chunks_exact(POSTING_BYTES).map(posting).collect())
    }

    fn text_start(&self) -> Option<usize> {
        let start = COUNTS_BYTES.checked_add(self.keys.checked_mul(KEY_BYTES)?)?.checked_add(self.postings.checked_mul(POSTING_BYTES)?)?;
        (start as u64 <= self.len).then_some(start)
    }

    fn entry(&self, index: usize) -> io::Result<Entry> {
        let at = (COUNTS_BYTES + index * KEY_BYTES) as u64;
        Ok(entry(&self.read_at(at, KEY_BYTES)?))
    }

    /// The key entries that lie whole in `len` bytes read at `at` (the chunks are multiples of
    /// [`KEY_BYTES`], and the key table starts right after the counts, so none is cut).
    fn entries_in(&self, at: u64, len: usize) -> std::ops::Range<usize> {
        let table_end = (COUNTS_BYTES + self.keys * KEY_BYTES) as u64;
        let first = ((at - COUNTS_BYTES as u64) / KEY_BYTES as u64) as usize;
        let end = (at + len as u64).min(table_end).saturating_sub(COUNTS_BYTES as u64) / KEY_BYTES as u64;
        first..(end as usize).max(first)
    }

    fn entry_from(&self, chunk: &[u8], at: u64, index: usize) -> Entry {
        let offset = (COUNTS_BYTES + index * KEY_BYTES) as u64 - at;
        entry(&chunk[offset as usize..][..KEY_BYTES])
    }

    fn read_at(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        if at + len as u64 > self.len {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the directory points outside itself"));
        }
        let mut bytes = vec![0; len];
        self.file.read_exact_at(&mut bytes, self.start + at)?;
        Ok(bytes)
    }
}

/// A key's 16-byte entry: where its text is in the key text, and where its postings are.
fn entry(bytes: &[u8]) -> Entry {
    let field = |n: usize| read_u32(bytes, 4 * n).expect("a whole entry");
    Entry { text: field(0)..field(0).saturating_add(field(1)), postings: field(2)..field(2).saturating_add(field(3)) }
}

/// A 20-byte posting.
fn posting(bytes: &[u8]) -> Posting {
    let field = |from: usize| u32::from_le_bytes(bytes[from..from + 4].try_into().expect("four bytes"));
    let offset = u64::from_le_bytes(bytes[..8].try_into().expect("eight bytes"));
    Posting { span: Span { offset, len: field(8), crc32: field(12) }, affected: field(16) }
}

struct Entry {
    text: std::ops::Range<usize>,
    postings: std::ops::Range<usize>,
}

/// A key's bytes: the ecosystem's OSV name, a NUL, the package key.
fn key(ecosystem: &Ecosystem, package: &str) -> Vec<u8> {
    [ecosystem.osv_name().as_bytes(), b"\0", package_key(ecosystem, package).as_bytes()].concat()
}

fn read_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let field = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(field.try_into().ok()?) as usize)
}

fn u32_le(value: usize) -> [u8; 4] {
    u32::try_from(value).expect("a directory field below 2^32").to_le_bytes()
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
    use crate::scan::db::record::StoredAffected;

    fn record(id: &str, packages: &[(Ecosystem, &str)]) -> StoredRecord {
        let affected = packages
            .iter()
            .map(|(ecosystem, package)| StoredAffected {
                ecosystem: ecosystem.clone(),
                package: (*package).into(),
                ranges: vec![],
                versions: vec![],
                severity: vec![],
                label: None,
            })
            .collect();
        StoredRecord {
            id: id.into(),
            modified: "2024-01-01T00:00:00Z".into(),
            aliases: vec![],
            upstream: vec![],
            summary: String::new(),
            severity: vec![],
            label: None,
            affected,
        }
    }

    /// The directory `bytes`, written after a few bytes of something else, as in the index file.
    fn opened(bytes: &[u8]) -> Result<Directory, String> {
        opened_expecting(bytes, crc32fast::hash(bytes))
    }

    fn opened_expecting(bytes: &[u8], crc32: u32) -> Result<Directory, String> {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &[&b"head"[..], bytes, b"tail"].concat()).unwrap();
        Directory::open(file, 4, bytes.len() as u64, crc32)
    }

    #[test]
    fn a_directory_larger_than_one_read_is_checked_and_searched_whole() {
        let names: Vec<String> = (0..9000).map(|n| format!("package-{n:05}")).collect();
        let records: Vec<StoredRecord> = names.iter().map(|name| record(name, &[(Ecosystem::Npm, name)])).collect();
        let spans: Vec<Span> = (0..records.len() as u64).map(|n| Span { offset: n, len: 1, crc32: 0 }).collect();
        let directory = opened(&encode(&records, &spans)).unwrap();
        for (n, name) in names.iter().enumerate().step_by(997) {
            let key = directory.find(&Ecosystem::Npm, name).unwrap().expect("every key is found");
            assert_eq!(directory.postings(key).unwrap()[0].span.offset, n as u64);
        }
        assert_eq!(directory.find(&Ecosystem::Npm, "package-9").unwrap(), None);
    }

    #[test]
    fn finds_each_key_with_its_postings_in_record_order() {
        let debian = Ecosystem::Debian("12".into());
        let records = [
            record("A", &[(Ecosystem::Npm, "lodash"), (Ecosystem::Npm, "lodash-es"), (Ecosystem::Npm, "lodash")]),
            record("B", &[(debian.clone(), "zlib"), (Ecosystem::PyPI, "Django_REST.framework")]),
            record("C", &[(Ecosystem::Npm, "lodash")]),
        ];
        let spans = [(1, 10), (11, 20), (31, 5)].map(|(offset, len)| Span { offset, len, crc32: len * 7 });
        let directory = opened(&encode(&records, &spans)).unwrap();
        assert_eq!(directory.keys, 4);
        let postings = |ecosystem: &Ecosystem, name: &str| -> Vec<(u64, u32, u32)> {
            let postings = directory.find(ecosystem, name).unwrap().map(|k| directory.postings(k).unwrap()).unwrap_or_default();
            assert!(postings.iter().all(|p| p.span.crc32 == p.span.len * 7));
            postings.iter().map(|p| (p.span.offset, p.span.len, p.affected)).collect()
        };
        assert_eq!(postings(&Ecosystem::Npm, "lodash"), [(1, 10, 0), (1, 10, 2), (31, 5, 0)]);
        assert_eq!(postings(&Ecosystem::Npm, "lodash-es"), [(1, 10, 1)]);
        assert_eq!(postings(&debian, "zlib"), [(11, 20, 0)]);
        assert_eq!(postings(&Ecosystem::PyPI, "django-rest_framework"), [(11, 20, 1)], "PyPI names in PEP 503 form");
        assert!(postings(&Ecosystem::Npm, "Lodash").is_empty(), "npm names are case-sensitive");
        assert!(postings(&Ecosystem::Debian("11".into()), "zlib").is_empty());
        assert!(postings(&Ecosystem::Go, "zzz").is_empty());
    }

    #[test]
    fn a_directory_that_does_not_add_up_is_refused() {
        let bytes = encode(&[record("A", &[(Ecosystem::Npm, "lodash")])], &[Span { offset: 0, len: 3, crc32: 0 }]);
        for damaged in [&bytes[..3], &bytes[..bytes.len() - 1], &[&u32_le(9)[..], &bytes[4..]].concat()] {
            assert!(opened(damaged).is_err());
        }
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(opened_expecting(&flipped, crc32fast::hash(&bytes)).is_err_and(|e| e.contains("checksum")));
    }

    #[test]
    fn pypi_names_are_normalised_and_others_kept() {
        assert_eq!(pep503("Foo.Bar__baz-_.qux"), "foo-bar-baz-qux");
        assert_eq!(package_key(&Ecosystem::PyPI, "Django_REST.framework"), "django-rest-framework");
        assert_eq!(package_key(&Ecosystem::Npm, "JSONStream"), "JSONStream");
    }
}
