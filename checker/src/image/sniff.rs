//! Content sniffing: is this file an ELF binary, which dynamic loader does it need, is that binary
//! a shell whatever its name, and which Go modules does a Go binary embed?
//!
//! Reads only what it needs: four bytes decide whether a file is ELF. Every ELF file, whatever its
//! size, is scanned in one streaming pass for the strings builds of a shell carry (several per
//! shell, so that patching one, such as a version banner, does not hide it); while that pass goes
//! by, the bytes where Go keeps its build information (the start of the first writable segment,
//! found from the program headers) are kept. The loader an executable names (PT_INTERP) is read
//! from the first bytes alone. Memory stays bounded: one search buffer and that
//! window, never the file.
//!
//! What must hold: each signature is a string only that shell's binary carries (checked against
//! the ELF files of the course's images and of a Debian system: no other binary holds one); a
//! string that scripts also hold, such as `ZSH_VERSION`, which shell integrations embed, is not a
//! signature.
use std::io::{self, Read};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

use super::elf;
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
    /// The dynamic loader an ELF executable needs (`/lib64/ld-linux-x86-64.so.2`), when it names one.
    pub interpreter: Option<String>,
}

/// Strings that each shell's binary carries, whatever it is called on disk, several per shell.
/// In priority order: a binary that carries strings of several shells is the first of them
/// (busybox carries the messages of its ash, which dash shares; `ash` stands for either when
/// nothing more telling is left).
const SIGNATURES: [(&str, &str); 35] = [
    ("BusyBox v1.", "busybox"),
    ("BusyBox is copyrighted by many authors", "busybox"),
    ("BusyBox is a multi-call binary", "busybox"),
    ("Usage: busybox [function", "busybox"),
    ("link to busybox for each", "busybox"),
    ("built-in shell (ash)", "busybox"),
    ("GNU bash, version", "bash"),
    ("-ilrsD or -c command or -O shopt_option", "bash"),
    ("BASH_EXECUTION_STRING", "bash"),
    ("Use the `bashbug' command", "bash"),
    ("Version information for this Bash", "bash"),
    ("zsh: sure you want to delete", "zsh"),
    ("zwc file has wrong version (zsh-", "zsh"),
    ("functions will use zsh style autoloading", "zsh"),
    ("show zsh version number", "zsh"),
    ("@(#)MIRBSD KSH", "mksh"),
    ("Use 'exit' to leave mksh", "mksh"),
    ("can't revoke; new shell is potentially insecure", "mksh"),
    ("@(#)$Id: Version AJM", "ksh93"),
    ("Shell, the standard command language interpreter", "ksh93"),
    ("posh_builtin_getopts", "posh"),
    ("Use `exit' to leave ksh", "ksh"),
    ("Yet another shell, version", "yash"),
    ("Try `man yash' for details.", "yash"),
    ("$YASH_LOADPATH", "yash"),
    ("See the tcsh(1) manual page", "tcsh"),
    ("Tcsh thinks your terminal", "tcsh"),
    ("fish scripts require an interpreter directive", "fish"),
    ("contains fish universal variable definitions", "fish"),
    ("sh: turning off NDELAY mode", "dash"),
    ("Usage: kill [-s sigspec | -signum | -sigspec]", "dash"),
    ("Maximum function recursion depth (%d) reached", "dash"),
    ("can't access tty; job control turned off", "ash"),
    ("job %s not created under job control", "ash"),
    ("EOF in backquote substitution", "ash"),
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
    let window = elf::writable_segment_offset(&head);
    let interpreter = elf::interpreter(&head);
    let mut tap = Tap { inner: content, position: head.len() as u64, window, kept: Vec::new() };
    tap.keep(&head, 0);
    let class = shell_in(io::Cursor::new(&head).chain(&mut tap))?;
    Ok(Sniffed { class, go: gobuild::parse(&tap.kept), interpreter })
}

/// How much of a file is searched at a time.
const SCAN_BUFFER: usize = 64 * 1024;

/// Classifies by the shell signatures in the stream, reading it to its end: the shell of the
/// first signature (in priority order) found anywhere. Whole buffers are searched, not a byte
/// stream, so that the matcher's SIMD prefilter applies (a stream search steps its automaton byte
/// by byte, several times slower); each buffer keeps the previous one's last bytes for a
/// signature split between two reads.
fn shell_in(mut stream: impl Read) -> io::Result<ContentClass> {
    // A signature can straddle two reads by one byte less than the longest.
    let overlap = SIGNATURES.iter().map(|(signature, _)| signature.len()).max().unwrap_or(1) - 1;
    let mut buffer = vec![0; overlap + SCAN_BUFFER];
    let (mut carried, mut best) = (0, None::<usize>);
    let settled = |best: Option<usize>| best.is_some_and(|found| SIGNATURES[found].1 == SIGNATURES[0].1);
    loop {
        let read = match stream.read(&mut buffer[carried..]) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            read => read?,
        };
        if read == 0 {
            return Ok(best.map_or(ContentClass::Elf, |found| ContentClass::Shell(SIGNATURES[found].1)));
        }
        let filled = carried + read;
        if !settled(best) {
            best = matcher().find_iter(&buffer[..filled]).map(|found| found.pattern().as_usize()).chain(best).min();
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
    fn every_signature_names_its_shell_and_the_first_shell_in_priority_wins() {
        for (signature, shell) in SIGNATURES {
            let bytes = [b"\x7fELF padding ".as_slice(), signature.as_bytes(), b" more"].concat();
            assert_eq!(class(&bytes), ContentClass::Shell(shell), "{signature}");
        }
        let both = b"\x7fELF can't access tty; job control turned off ... built-in shell (ash)";
        assert_eq!(class(both), ContentClass::Shell("busybox"), "busybox's ash messages, then a busybox string");
        assert_eq!(class(b"\x7fELF EOF in backquote substitution sh: turning off NDELAY mode"), ContentClass::Shell("dash"));
    }

    #[test]
    fn strings_that_other_programs_carry_are_no_signature() {
        // A tool that detects busybox (Google Cloud SDK's local-extract) and a shell integration.
        assert_eq!(class(b"\x7fELF ...=BusyBox v[\\d.]+ not a function"), ContentClass::Elf);
        assert_eq!(class(b"\x7fELF if [ -n \"$ZSH_VERSION\" ]; then"), ContentClass::Elf);
    }

    /// `bytes` with every occurrence of each of `strings` overwritten by as many `x`.
    fn patched(bytes: &[u8], strings: &[&str]) -> Vec<u8> {
        let mut bytes = bytes.to_vec();
        for string in strings {
            let needle = string.as_bytes();
            let mut at = 0;
            while let Some(found) = bytes[at..].windows(needle.len()).position(|window| window == needle) {
                let start = at + found;
                bytes[start..start + needle.len()].fill(b'x');
                at = start + needle.len();
            }
        }
        bytes
    }

    fn signatures_of(shell: &str) -> Vec<&'static str> {
        SIGNATURES.iter().filter(|(_, of)| *of == shell).map(|(signature, _)| *signature).collect()
    }

    #[test]
    fn the_real_busybox_on_this_machine_is_a_shell_however_it_is_patched_or_padded() {
        let Ok(bytes) = std::fs::read("/bin/busybox") else { return };
        assert_eq!(class(&bytes), ContentClass::Shell("busybox"));
        let busybox = signatures_of("busybox");
        for signature in &busybox {
            assert_eq!(class(&patched(&bytes, &[signature])), ContentClass::Shell("busybox"), "{signature} patched");
        }
        assert_eq!(class(&patched(&bytes, &busybox)), ContentClass::Shell("ash"), "its ash gives it away");
        let mut padded = bytes.clone();
        padded.resize(17 << 20, 0);
        assert_eq!(class(&padded), ContentClass::Shell("busybox"), "past 16 MB");
        let mut tail = b"\x7fELF".to_vec();
        tail.resize(40 << 20, 0);
        tail.extend_from_slice(b"Usage: busybox [function");
        assert_eq!(class(&tail), ContentClass::Shell("busybox"), "a signature 40 MB in");
    }

    #[test]
    fn the_real_dash_on_this_machine_is_a_shell_with_its_version_string_patched() {
        let Ok(bytes) = std::fs::read("/bin/dash") else { return };
        assert_eq!(class(&bytes), ContentClass::Shell("dash"));
        assert_eq!(class(&patched(&bytes, &["sh: turning off NDELAY mode"])), ContentClass::Shell("dash"));
        assert_eq!(class(&patched(&bytes, &signatures_of("dash"))), ContentClass::Shell("ash"));
    }

    #[test]
    fn the_real_bash_on_this_machine_is_a_shell_with_its_version_string_patched() {
        let Ok(bytes) = std::fs::read("/bin/bash") else { return };
        assert_eq!(class(&bytes), ContentClass::Shell("bash"));
        assert_eq!(class(&patched(&bytes, &["GNU bash, version"])), ContentClass::Shell("bash"));
    }
}
