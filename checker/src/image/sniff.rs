//! Content sniffing: is this file an ELF binary, and is that binary a shell whatever its name?
//!
//! Reads only what it needs: four bytes decide whether a file is ELF; only ELF files up to
//! [`SHELL_SCAN_LIMIT`] bytes are scanned further, in one streaming pass, for the strings every
//! build of a shell carries.
use std::io::{self, Read};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

/// What a regular file's bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentClass {
    /// Not an ELF binary (text, data, scripts, empty files).
    #[default]
    Data,
    /// An ELF binary that is not a known shell.
    Elf,
    /// An ELF binary that is a shell; the name is the shell it was recognised as.
    Shell(&'static str),
}

/// Statically linked shells are about 2 MB; nothing bigger is scanned.
pub const SHELL_SCAN_LIMIT: u64 = 16 << 20;

/// Strings that each shell's binary carries, whatever it is called on disk.
const SIGNATURES: [(&str, &str); 6] = [
    ("BusyBox v", "busybox"),
    ("GNU bash, version", "bash"),
    ("sh: turning off NDELAY mode", "dash"),
    ("@(#)MIRBSD KSH", "mksh"),
    ("@(#)$Id: Version AJM", "ksh93"),
    ("ZSH_VERSION", "zsh"),
];

fn matcher() -> &'static AhoCorasick {
    static MATCHER: OnceLock<AhoCorasick> = OnceLock::new();
    MATCHER.get_or_init(|| AhoCorasick::new(SIGNATURES.iter().map(|(pattern, _)| pattern)).expect("fixed patterns"))
}

/// Classifies a regular file of `size` bytes from its content stream.
pub fn classify(content: &mut impl Read, size: u64) -> io::Result<ContentClass> {
    let mut magic = [0u8; 4];
    if size < 4 {
        return Ok(ContentClass::Data);
    }
    content.read_exact(&mut magic)?;
    if &magic != b"\x7fELF" {
        return Ok(ContentClass::Data);
    }
    if size > SHELL_SCAN_LIMIT {
        return Ok(ContentClass::Elf);
    }
    for found in matcher().stream_find_iter(content.take(size - 4)) {
        let found = found?;
        return Ok(ContentClass::Shell(SIGNATURES[found.pattern().as_usize()].1));
    }
    Ok(ContentClass::Elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(bytes: &[u8]) -> ContentClass {
        classify(&mut &bytes[..], bytes.len() as u64).unwrap()
    }

    #[test]
    fn recognises_a_shell_by_its_strings_not_its_name() {
        assert_eq!(class(b"\x7fELF....padding BusyBox v1.36.1 more"), ContentClass::Shell("busybox"));
        assert_eq!(class(b"\x7fELF GNU bash, version %s"), ContentClass::Shell("bash"));
        assert_eq!(class(b"\x7fELF just a program"), ContentClass::Elf);
        assert_eq!(class(b"#!/bin/sh\necho BusyBox v1"), ContentClass::Data);
        assert_eq!(class(b"ab"), ContentClass::Data);
    }

    #[test]
    fn the_real_busybox_on_this_machine_is_a_shell() {
        let Ok(bytes) = std::fs::read("/bin/busybox") else { return };
        assert_eq!(class(&bytes), ContentClass::Shell("busybox"));
    }
}
