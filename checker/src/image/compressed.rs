//! The size a registry stores for a layer: its tar gzip-compressed at the default level, as
//! `docker push` sends it, counted while the layer streams past on its way to the parser.
//!
//! What must hold: every byte of the layer's tar goes through the encoder once and in order,
//! the padding the tar reader leaves unread included ([`Gzipped::finish`] drains it), and nothing
//! but the count is kept. The encoder runs on a thread of its own, fed in chunks, so that on a
//! machine with a spare core the compression costs a cold read little wall time, and in chunks of
//! one size, so that the count depends only on the bytes (deflate's output depends a little on how
//! its input is fed). A layer the
//! archive already holds compressed is not compressed again: its blob's size is what a registry
//! stores.
use std::io::{self, Read, Write};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use flate2::write::GzEncoder;
use flate2::Compression;

/// Bytes gathered before they go to the encoder's thread as one chunk.
const CHUNK: usize = 1 << 16;
/// Chunks queued for the encoder: the reader runs at most this far ahead of it.
const QUEUED: usize = 64;

/// A reader that passes a layer's bytes through unchanged and gzips a copy of them on a thread of
/// its own, counting the compressed bytes.
pub(crate) struct Gzipped<R> {
    inner: R,
    pending: Vec<u8>,
    chunks: Option<SyncSender<Vec<u8>>>,
    encoder: Option<JoinHandle<io::Result<u64>>>,
}

impl<R: Read> Gzipped<R> {
    pub(crate) fn new(inner: R) -> Gzipped<R> {
        let (chunks, received) = sync_channel::<Vec<u8>>(QUEUED);
        let encoder = std::thread::spawn(move || {
            let mut encoder = GzEncoder::new(Counter(0), Compression::default());
            for chunk in received {
                encoder.write_all(&chunk)?;
            }
            Ok(encoder.finish()?.0)
        });
        Gzipped { inner, pending: Vec::with_capacity(CHUNK), chunks: Some(chunks), encoder: Some(encoder) }
    }

    /// Reads the rest of the stream (what the tar reader left: end blocks, padding) and returns
    /// the size of the whole stream gzip-compressed.
    pub(crate) fn finish(mut self) -> io::Result<u64> {
        io::copy(&mut self, &mut io::sink())?;
        self.send(true)?;
        self.chunks = None; // the encoder's thread ends when its queue is closed
        let encoder = self.encoder.take().expect("the encoder is joined once");
        encoder.join().map_err(|_| io::Error::other("the gzip encoder stopped unexpectedly"))?
    }

    /// Sends what is pending, in chunks of [`CHUNK`] bytes while there are that many (all of it
    /// when `all`): deflate's output depends a little on how its input is fed, so the count
    /// depends only on the bytes, never on how the reads happened to fall.
    fn send(&mut self, all: bool) -> io::Result<()> {
        while self.pending.len() >= CHUNK || (all && !self.pending.is_empty()) {
            let rest = self.pending.split_off(self.pending.len().min(CHUNK));
            let chunk = std::mem::replace(&mut self.pending, rest);
            self.send_chunk(chunk)?;
        }
        Ok(())
    }

    fn send_chunk(&self, chunk: Vec<u8>) -> io::Result<()> {
        let sent = self.chunks.as_ref().map(|chunks| chunks.send(chunk));
        sent.unwrap_or(Ok(())).map_err(|_| io::Error::other("the gzip encoder stopped unexpectedly"))
    }
}

impl<R: Read> Read for Gzipped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.pending.extend_from_slice(&buf[..read]);
        self.send(false)?;
        Ok(read)
    }
}

/// Counts what is written to it.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn counts_what_gzip_makes_of_every_byte_even_those_left_unread() {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8 ^ (i / 977) as u8).collect();
        let mut reader = Gzipped::new(&bytes[..]);
        let mut head = vec![0; 70_000];
        reader.read_exact(&mut head).unwrap();
        assert_eq!(head, bytes[..70_000], "the bytes pass through unchanged");
        // Deflate's output depends a little on how its input is fed (here in chunks): a few bytes.
        let (counted, whole) = (reader.finish().unwrap(), gzip(&bytes).len() as u64);
        assert!(counted.abs_diff(whole) <= 16, "the rest is drained and counted: {counted} bytes, {whole} in one piece");
    }

    #[test]
    fn an_empty_stream_is_a_gzip_header_and_trailer() {
        assert_eq!(Gzipped::new(&b""[..]).finish().unwrap(), gzip(b"").len() as u64);
    }
}
