//! ELF program headers, read from a file's first bytes: where the first writable segment starts
//! (Go keeps its build information there) and which dynamic loader the file asks for (PT_INTERP).
//!
//! What must hold: only little-endian files are read (the platforms the course runs on); a header
//! or string that lies outside the bytes given, or does not fit the format, gives `None` rather
//! than a guess.

/// `PT_LOAD`: a segment mapped into memory.
const LOAD: u64 = 1;
/// `PT_INTERP`: the path of the program interpreter (the dynamic loader).
const INTERP: u64 = 3;
/// `PF_W`: the segment is writable.
const WRITABLE: u64 = 2;

/// One program header, as much of it as Shipshape reads.
struct ProgramHeader {
    kind: u64,
    flags: u64,
    offset: u64,
    file_size: u64,
}

/// The program headers that lie within `head`, the first bytes of an ELF file.
fn program_headers(head: &[u8]) -> Option<Vec<ProgramHeader>> {
    let is64 = *head.get(4)? == 2;
    if *head.get(5)? != 1 {
        return None; // big-endian: not a platform the course runs on
    }
    let (phoff, phentsize, phnum) =
        if is64 { (le(head, 32, 8)?, le(head, 54, 2)?, le(head, 56, 2)?) } else { (le(head, 28, 4)?, le(head, 42, 2)?, le(head, 44, 2)?) };
    let header = |i: u64| {
        let at = usize::try_from(phoff.checked_add(i.checked_mul(phentsize)?)?).ok()?;
        let kind = le(head, at, 4)?;
        Some(if is64 {
            ProgramHeader { kind, flags: le(head, at + 4, 4)?, offset: le(head, at + 8, 8)?, file_size: le(head, at + 32, 8)? }
        } else {
            ProgramHeader { kind, flags: le(head, at + 24, 4)?, offset: le(head, at + 4, 4)?, file_size: le(head, at + 16, 4)? }
        })
    };
    Some((0..phnum).filter_map(header).collect())
}

/// The file offset of the first writable `PT_LOAD` segment.
pub(crate) fn writable_segment_offset(head: &[u8]) -> Option<u64> {
    program_headers(head)?.into_iter().filter(|h| h.kind == LOAD && h.flags & WRITABLE != 0).map(|h| h.offset).min()
}

/// The dynamic loader a dynamically linked executable names (`/lib64/ld-linux-x86-64.so.2`);
/// `None` for a static one.
pub(crate) fn interpreter(head: &[u8]) -> Option<String> {
    let header = program_headers(head)?.into_iter().find(|h| h.kind == INTERP)?;
    let start = usize::try_from(header.offset).ok()?;
    let bytes = head.get(start..start.checked_add(usize::try_from(header.file_size).ok()?)?)?;
    let path = bytes.split(|b| *b == 0).next()?;
    String::from_utf8(path.to_vec()).ok().filter(|path| path.starts_with('/'))
}

/// A little-endian unsigned integer of `width` bytes at `at`.
fn le(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
    let slice = bytes.get(at..at.checked_add(width)?)?;
    Some(slice.iter().rev().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-bit little-endian ELF header with `headers` (type, flags, offset, size) at 64.
    fn elf64(headers: &[(u32, u32, u64, u64)], tail: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0u8; 64];
        bytes[..6].copy_from_slice(b"\x7fELF\x02\x01");
        bytes[32..40].copy_from_slice(&64u64.to_le_bytes());
        bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
        bytes[56..58].copy_from_slice(&(headers.len() as u16).to_le_bytes());
        for (kind, flags, offset, size) in headers {
            let mut header = vec![0u8; 56];
            header[..4].copy_from_slice(&kind.to_le_bytes());
            header[4..8].copy_from_slice(&flags.to_le_bytes());
            header[8..16].copy_from_slice(&offset.to_le_bytes());
            header[32..40].copy_from_slice(&size.to_le_bytes());
            bytes.extend(header);
        }
        bytes.extend_from_slice(tail);
        bytes
    }

    #[test]
    fn names_the_loader_of_a_dynamic_executable_and_none_of_a_static_one() {
        let loader = b"/lib64/ld-linux-x86-64.so.2\0";
        let dynamic = elf64(&[(3, 4, 64 + 2 * 56, loader.len() as u64), (1, 6, 4096, 10)], loader);
        assert_eq!(interpreter(&dynamic).as_deref(), Some("/lib64/ld-linux-x86-64.so.2"));
        assert_eq!(writable_segment_offset(&dynamic), Some(4096));
        let fixed = elf64(&[(1, 5, 0, 10), (1, 6, 8192, 10)], b"");
        assert_eq!(interpreter(&fixed), None);
        assert_eq!(writable_segment_offset(&fixed), Some(8192));
        assert_eq!(writable_segment_offset(b"\x7fELF"), None, "a header cut short");
        let beyond = elf64(&[(3, 4, 9000, 28)], b"");
        assert_eq!(interpreter(&beyond), None, "a loader path past the bytes read is not guessed");
    }

    #[test]
    fn the_real_loaders_on_this_machine_are_found() {
        let Ok(bytes) = std::fs::read("/bin/ls") else { return };
        let named = interpreter(&bytes[..bytes.len().min(4096)]).expect("/bin/ls is dynamically linked");
        assert!(named.contains("ld-"), "{named}");
        if let Ok(busybox) = std::fs::read("/bin/busybox") {
            assert_eq!(interpreter(&busybox[..4096]), None, "busybox is static");
        }
    }
}
