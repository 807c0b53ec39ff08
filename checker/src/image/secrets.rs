//! Searching file contents for secret values as layers stream by: every byte of every regular
//! file of every layer, deleted ones included (a file deleted by a later layer still ships).
//!
//! What must hold: a value split across two reads is still found (the last bytes of each read
//! are kept for the next); the search only runs when the spec names values, since it costs a
//! pass over every byte.
use std::io::{self, Read};

use aho_corasick::{AhoCorasick, MatchKind};

/// The secret values to look for.
#[derive(Debug, Clone)]
pub(crate) struct SecretSearch {
    matcher: AhoCorasick,
    longest: usize,
}

impl SecretSearch {
    /// `None` when there is nothing to look for.
    pub(crate) fn new(values: &[String]) -> Option<SecretSearch> {
        let values: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        let longest = values.iter().map(|v| v.len()).max()?;
        // Leftmost-first lets the matcher use its SIMD prefilter (standard semantics can't).
        let matcher = AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(&values).ok()?;
        Some(SecretSearch { matcher, longest })
    }

    /// Whether `text` holds one of the values.
    pub(crate) fn found_in(&self, text: &str) -> bool {
        self.matcher.is_match(text)
    }
}

/// Passes a stream through while looking for the values in it.
pub(crate) struct Searching<'a, R> {
    inner: R,
    search: &'a SecretSearch,
    /// The last bytes seen, so that a value split across reads is found.
    tail: Vec<u8>,
    pub found: bool,
}

impl<'a, R: Read> Searching<'a, R> {
    pub(crate) fn new(inner: R, search: &'a SecretSearch) -> Self {
        Searching { inner, search, tail: Vec::new(), found: false }
    }

    /// Reads whatever the consumer left unread, still searching.
    pub(crate) fn finish(&mut self) -> io::Result<bool> {
        io::copy(self, &mut io::sink())?;
        Ok(self.found)
    }
}

impl<R: Read> Read for Searching<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if !self.found && n > 0 {
            self.tail.extend_from_slice(&buf[..n]);
            self.found = self.search.matcher.is_match(&self.tail[..]);
            let keep = self.search.longest.saturating_sub(1).min(self.tail.len());
            self.tail.drain(..self.tail.len() - keep);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_across_read_boundaries() {
        let search = SecretSearch::new(&["tok-1234".into()]).unwrap();
        let text = b"aaaaaaaaaaaaaaaaaaaaaaaaaaatok-1234bbbbbbbbb".to_vec();
        for chunk in 1..8 {
            let mut reader = Searching::new(Chunked { bytes: &text, chunk }, &search);
            assert!(reader.finish().unwrap(), "chunk size {chunk}");
        }
        let mut clean = Searching::new(&b"tok-123 tok-12345"[..], &search);
        assert!(clean.finish().unwrap(), "a longer string holding the value counts");
        let mut none = Searching::new(&b"tok-123"[..], &search);
        assert!(!none.finish().unwrap());
        assert!(SecretSearch::new(&[String::new()]).is_none());
    }

    struct Chunked<'a> {
        bytes: &'a [u8],
        chunk: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }
}
