//! Reads the entries of a zip archive (OSV's `all.zip`) with one deflate decoder and one pair of
//! buffers for the whole archive.
//!
//! Why not the zip crate's own reader: it makes a decoder per entry, and with the zlib-rs backend
//! each decoder's window is an aligned allocation freed between long-lived small ones (the
//! records kept); on glibc that fragmented the heap to 4.3 GB peak for the 204,600 records of a
//! generated npm export, against 0.47 GB with one decoder reset per entry.
//!
//! What must hold: an entry is refused once its bytes pass the caller's limit, compressed or
//! inflated, before more is held; its CRC-32 is checked as the zip crate's reader checks it; only
//! stored and deflated entries are read, anything else is an error naming its method.
use std::io::{self, Read};

use flate2::{Decompress, FlushDecompress, Status};
use zip::read::ZipFile;
use zip::CompressionMethod;

/// Bytes the decoder is given room for at a time.
const STEP: usize = 1 << 16;

/// The decoder and buffers, reused from entry to entry.
pub(super) struct Inflater {
    decoder: Decompress,
    compressed: Vec<u8>,
    inflated: Vec<u8>,
    limit: u64,
}

impl Inflater {
    /// An inflater that refuses entries of more than `limit` bytes.
    pub(super) fn new(limit: u64) -> Inflater {
        Inflater { decoder: Decompress::new(false), compressed: Vec::new(), inflated: Vec::new(), limit }
    }

    /// The bytes of `entry`, opened raw (`ZipArchive::by_index_raw`), inflated and checked.
    pub(super) fn entry<R: Read>(&mut self, entry: &mut ZipFile<'_, R>) -> io::Result<&[u8]> {
        self.compressed.clear();
        self.inflated.clear();
        entry.take(self.limit + 1).read_to_end(&mut self.compressed)?;
        self.refuse_beyond_limit(self.compressed.len())?;
        match entry.compression() {
            CompressionMethod::Stored => std::mem::swap(&mut self.compressed, &mut self.inflated),
            CompressionMethod::Deflated => self.inflate()?,
            other => return Err(invalid(format!("compressed with {other}, which OSV's archives do not use"))),
        }
        if crc32fast::hash(&self.inflated) != entry.crc32() {
            return Err(invalid("its checksum does not match: the archive is damaged".into()));
        }
        Ok(&self.inflated)
    }

    fn inflate(&mut self) -> io::Result<()> {
        self.decoder.reset(false);
        loop {
            self.refuse_beyond_limit(self.inflated.len())?;
            self.inflated.reserve(STEP);
            let read = self.decoder.total_in() as usize;
            let status = self.decoder.decompress_vec(&self.compressed[read..], &mut self.inflated, FlushDecompress::Finish).map_err(io::Error::other)?;
            match status {
                Status::StreamEnd => return Ok(()),
                Status::BufError if self.decoder.total_in() as usize == self.compressed.len() => {
                    return Err(invalid("its deflate stream ends early: the archive is truncated".into()))
                }
                Status::Ok | Status::BufError => {}
            }
        }
    }

    fn refuse_beyond_limit(&self, bytes: usize) -> io::Result<()> {
        if bytes as u64 > self.limit {
            return Err(too_big(self.limit));
        }
        Ok(())
    }
}

/// The error for a record of more than `limit` bytes.
pub(super) fn too_big(limit: u64) -> io::Error {
    invalid(format!("bigger than {} MiB: not an OSV record", limit >> 20))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    /// A zip archive of `(name, bytes, method)` entries.
    fn archive(entries: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes, method) in entries {
            writer.start_file(*name, SimpleFileOptions::default().compression_method(*method)).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    /// Each entry's bytes, or what was wrong with it.
    fn read_all(zip: Vec<u8>, limit: u64) -> Vec<Result<Vec<u8>, String>> {
        let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        let mut inflater = Inflater::new(limit);
        (0..archive.len()).map(|index| inflater.entry(&mut archive.by_index_raw(index).unwrap()).map(<[u8]>::to_vec).map_err(|e| e.to_string())).collect()
    }

    #[test]
    fn entries_come_out_as_they_went_in_whichever_way_stored_with_one_decoder() {
        let big: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let zip = archive(&[
            ("a.json", b"{\"id\": \"A\"}", CompressionMethod::Deflated),
            ("big.json", &big, CompressionMethod::Deflated),
            ("stored.json", b"{\"id\": \"S\"}", CompressionMethod::Stored),
            ("empty.json", b"", CompressionMethod::Deflated),
        ]);
        let read = read_all(zip, 32 << 20);
        assert_eq!(read, [Ok(b"{\"id\": \"A\"}".to_vec()), Ok(big), Ok(b"{\"id\": \"S\"}".to_vec()), Ok(Vec::new())]);
    }

    #[test]
    fn an_entry_past_the_limit_is_refused_compressed_or_not() {
        let zeros = vec![0u8; 5 << 20];
        let zip = archive(&[("zeros.json", &zeros, CompressionMethod::Deflated), ("small.json", b"{}", CompressionMethod::Deflated)]);
        let read = read_all(zip, 1 << 20);
        assert_eq!(read[0], Err("bigger than 1 MiB: not an OSV record".to_string()), "5 MiB of zeros deflate to a few kB");
        assert_eq!(read[1], Ok(b"{}".to_vec()), "the next entry reads");
    }

    #[test]
    fn a_damaged_entry_fails_its_checksum() {
        let record = b"{\"id\": \"GHSA-xxxx\", \"summary\": \"a record long enough to be worth compressing twice over\"}";
        let mut zip = archive(&[("r.json", record, CompressionMethod::Stored)]);
        let at = zip.windows(record.len()).position(|w| w == record).unwrap();
        zip[at + 10] ^= 0x20;
        assert_eq!(read_all(zip, 1 << 20)[0], Err("its checksum does not match: the archive is damaged".to_string()));
    }
}
