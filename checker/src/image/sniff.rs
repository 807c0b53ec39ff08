//! Content sniffing: is this file an ELF binary, is that binary a shell whatever its name, and
//! which Go modules does a Go binary embed?
//!
//! Reads only what it needs: four bytes decide whether a file is ELF. ELF files up to
//! [`SHELL_SCAN_LIMIT`] bytes are scanned in one streaming pass for the strings every build of a
//! shell carries; while that pass goes by, the bytes where Go keeps its build information (the
//! start of the first writable segment, found from the program headers) are kept. Bigger ELF
//! files are skipped up to that offset and read no further.
use std::io::{self, Read};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

use super::gobuild::{self, GoBuild};

/// What a regular file's bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ContentClass {
    /// Not an ELF binary (text, data, scripts, empty files).
    #[default]
    Data,
    /// An ELF binary that is not a known shell.
    Elf,
    /// An ELF binary that is a shell; the name is the shell it was recognised as.
    Shell(&'static str),
}

/// How a [`ContentClass`] is stored (the layer cache): the shell by name.
#[derive(Serialize, Deserialize)]
enum StoredClass {
    Data,
    Elf,
    Shell(String),
}

impl From<ContentClass> for StoredClass {
    fn from(class: ContentClass) -> Self {
        match class {
            ContentClass::Data => StoredClass::Data,
            ContentClass::Elf => StoredClass::Elf,
            ContentClass::Shell(name) => StoredClass::Shell(name.to_string()),
        }
    }
}

impl serde::Serialize for ContentClass {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredClass::from(*self).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for ContentClass {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        StoredClass::deserialize(deserializer)?.try_into().map_err(serde::de::Error::custom)
    }
}

impl TryFrom<StoredClass> for ContentClass {
    type Error = String;

    fn try_from(stored: StoredClass) -> Result<Self, String> {
        match stored {
            StoredClass::Data => Ok(ContentClass::Data),
            StoredClass::Elf => Ok(ContentClass::Elf),
            StoredClass::Shell(name) => SIGNATURES
                .iter()
                .find(|(_, shell)| *shell == name)
                .map(|(_, shell)| ContentClass::Shell(shell))
                .ok_or_else(|| format!("unknown shell `{name}`")),
        }
    }
}

/// What sniffing a file found.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sniffed {
    pub class: ContentClass,
    /// The build information of a Go binary.
    pub go: Option<GoBuild>,
}

/// Statically linked shells are about 2 MB; nothing bigger is scanned for shell strings.
pub(crate) const SHELL_SCAN_LIMIT: u64 = 16 << 20;

/// Strings that each shell's binary carries, whatever it is called on disk.
const SIGNATURES: [(&str, &str); 6] = [
    ("BusyBox v", "busybox"),
    ("GNU bash, version", "bash"),
    ("sh: turning off NDELAY mode", "dash"),
    ("@(#)MIRBSD KSH", "mksh"),
    ("@(#)$Id: Version AJM", "ksh93"),
    ("ZSH_VERSION", "zsh"),
];

/// The ELF file header plus room for the program headers of ordinary binaries.
const HEADER_BYTES: usize = 4096;

fn matcher() -> &'static AhoCorasick {
    static MATCHER: OnceLock<AhoCorasick> = OnceLock::new();
    // Leftmost-first, so the matcher may use its SIMD (Teddy) prefilter: standard semantics can't.
    MATCHER.get_or_init(|| {
        AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(SIGNATURES.iter().map(|(pattern, _)| pattern)).expect("fixed patterns")
    })
}

/// Sniffs a regular file of `size` bytes from its content stream.
pub(crate) fn sniff(content: &mut impl Read, size: u64) -> io::Result<Sniffed> {
    let mut head = Vec::with_capacity(HEADER_BYTES.min(size as usize));
    content.take(HEADER_BYTES as u64).read_to_end(&mut head)?;
    if !head.starts_with(b"\x7fELF") {
        return Ok(Sniffed::default());
    }
    let window = gobuild::window_offset(&head);
    let mut tap = Tap { inner: content, position: head.len() as u64, window, kept: Vec::new() };
    tap.keep(&head, 0);
    let class = if size <= SHELL_SCAN_LIMIT {
        shell_in(io::Cursor::new(&head).chain(&mut tap))?
    } else {
        tap.skip_to_window()?;
        ContentClass::Elf
    };
    Ok(Sniffed { class, go: gobuild::parse(&tap.kept) })
}

/// How much of a file is searched at a time.
const SCAN_BUFFER: usize = 64 * 1024;

/// Classifies by the first shell signature in the stream, reading it to its end. Whole buffers
/// are searched, not a byte stream, so that the matcher's SIMD prefilter applies (a stream search
/// steps its automaton byte by byte, several times slower); each buffer keeps the previous one's
/// last bytes for a signature split between two reads.
fn shell_in(mut stream: impl Read) -> io::Result<ContentClass> {
    // A signature can straddle two reads by one byte less than the longest.
    let overlap = SIGNATURES.iter().map(|(signature, _)| signature.len()).max().unwrap_or(1) - 1;
    let mut buffer = vec![0; overlap + SCAN_BUFFER];
    let (mut carried, mut class) = (0, ContentClass::Elf);
    loop {
        let read = match stream.read(&mut buffer[carried..]) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            read => read?,
        };
        if read == 0 {
            return Ok(class);
        }
        let filled = carried + read;
        if class == ContentClass::Elf {
            if let Some(found) = matcher().find(&buffer[..filled]) {
                class = ContentClass::Shell(SIGNATURES[found.pattern().as_usize()].1);
            }
        }
        carried = overlap.min(filled);
        buffer.copy_within(filled - carried..filled, 0);
    }
}

/// Passes a stream through while keeping the bytes of one window (Go's build information).
struct Tap<'a, R> {
    inner: &'a mut R,
    position: u64,
    window: Option<u64>,
    kept: Vec<u8>,
}

impl<R: Read> Tap<'_, R> {
    fn keep(&mut self, bytes: &[u8], at: u64) {
        let Some(start) = self.window else { return };
        let end = start + gobuild::WINDOW as u64;
        let from = start.max(at);
        let to = end.min(at + bytes.len() as u64);
        if from < to {
            self.kept.extend_from_slice(&bytes[(from - at) as usize..(to - at) as usize]);
        }
    }

    /// Skips to the window and reads it, for files too big to scan whole.
    fn skip_to_window(&mut self) -> io::Result<()> {
        let Some(start) = self.window else { return Ok(()) };
        if start > self.position {
            let skipped = io::copy(&mut (&mut *self.inner).take(start - self.position), &mut io::sink())?;
            self.position += skipped;
        }
        let mut window = Vec::with_capacity(gobuild::WINDOW);
        (&mut *self.inner).take(gobuild::WINDOW as u64).read_to_end(&mut window)?;
        self.keep(&window, self.position);
        self.position += window.len() as u64;
        Ok(())
    }
}

impl<R: Read> Read for Tap<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let at = self.position;
        self.keep(&buf[..n], at);
        self.position += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(bytes: &[u8]) -> ContentClass {
        sniff(&mut &bytes[..], bytes.len() as u64).unwrap().class
    }

    #[test]
    fn recognises_a_shell_by_its_strings_not_its_name() {
        assert_eq!(class(b"\x7fELF....padding BusyBox v1.36.1 more"), ContentClass::Shell("busybox"));
        assert_eq!(class(b"\x7fELF GNU bash, version %s"), ContentClass::Shell("bash"));
        assert_eq!(class(b"\x7fELF just a program"), ContentClass::Elf);
        assert_eq!(class(b"#!/bin/sh\necho BusyBox v1"), ContentClass::Data);
        assert_eq!(class(b"ab"), ContentClass::Data);
        let mut long = b"\x7fELF".to_vec();
        long.resize(10_000, b'x');
        long.extend_from_slice(b"GNU bash, version");
        assert_eq!(class(&long), ContentClass::Shell("bash"), "a signature past the header");
    }

    /// Hands out a few bytes per read, as a tar entry or a socket may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(7);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_signature_split_between_reads_and_buffers_is_found() {
        for offset in [SCAN_BUFFER - 5, SCAN_BUFFER + 3, 3 * SCAN_BUFFER - 9] {
            let mut bytes = b"\x7fELF".to_vec();
            bytes.resize(offset, 0);
            bytes.extend_from_slice(b"@(#)MIRBSD KSH R59");
            bytes.resize(bytes.len() + 100, 0);
            let sniffed = sniff(&mut Trickle(&bytes), bytes.len() as u64).unwrap();
            assert_eq!(sniffed.class, ContentClass::Shell("mksh"), "signature at {offset}");
        }
    }

    #[test]
    fn the_real_busybox_on_this_machine_is_a_shell() {
        let Ok(bytes) = std::fs::read("/bin/busybox") else { return };
        assert_eq!(class(&bytes), ContentClass::Shell("busybox"));
    }
}
