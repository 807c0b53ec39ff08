//! One layer read from its tar stream: what it adds, changes and deletes, never its content.
//!
//! What must hold: the reader consumes the stream once, front to back; only the files an analyzer
//! wants ([`Captures`]) keep (a prefix of) their bytes, for it to parse; every regular file, kept or
//! not and whatever its size, keeps its metadata and is sniffed for its [`ContentClass`], for
//! dynamically linked executables the loader they need, and, for Go binaries, their build
//! information (so no path hides a shell: a busybox saved as `/etc/passwd` is still a shell).
use std::collections::HashMap;
use std::io::{self, BufReader, Read};

use super::capture::Captures;
use super::gobuild::GoBuild;
use super::secrets::{Searching, SecretSearch};
use super::sniff::{self, ContentClass, Sniffed};

/// What a layer keeps of a file beyond its metadata.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Captured {
    /// The file's bytes (a prefix, for big files).
    Bytes(Vec<u8>),
    /// A Go binary's build information.
    Go(GoBuild),
    /// The dynamic loader an ELF executable needs.
    Interpreter(String),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum EntryKind {
    File,
    Dir,
    /// A symbolic link and its target as written.
    Symlink(String),
    /// A hard link to another path of the same layer (normalized).
    Hardlink(String),
    /// `.wh.NAME`: deletes NAME (and everything under it) from the layers below.
    Whiteout,
    /// `.wh..wh..opq`: hides everything the layers below put in this directory.
    OpaqueDir,
    /// Devices, FIFOs and the like.
    Other,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct LayerEntry {
    /// Normalized path: no leading `/` or `./`, no trailing `/`.
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    /// Permission bits with the setuid, setgid and sticky bits.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub content: ContentClass,
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct LayerFacts {
    pub entries: Vec<LayerEntry>,
    /// This layer's size as the daemon counts it: bytes of regular files plus the length of each
    /// symbolic link's target (what `lstat` reports), hard links once.
    pub size: u64,
    /// What a registry stores for this layer: its tar gzip-compressed at the default level, as
    /// `docker push` makes it, when the read measured it (set by the archive reader, see
    /// [`super::compressed`]; kept in the cache apart from these facts).
    #[serde(skip)]
    pub compressed_size: Option<u64>,
    /// What this layer's files hold that the checks and the scan read, by path.
    pub captured: Vec<(String, Captured)>,
    /// Files whose bytes hold a secret value (only when the read searched for secrets).
    pub secrets: Vec<String>,
}

/// Normalizes a tar path: `./usr/bin/` → `usr/bin`, `/` → ``.
pub(crate) fn normalize(path: &str) -> String {
    let trimmed = path.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
    if trimmed == "." {
        String::new()
    } else {
        trimmed.to_string()
    }
}

/// A stream whose first bytes were read ahead and are given back first.
pub(crate) type Peeked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Reads the first `n` bytes (fewer only at the end of the stream) and gives them back together
/// with a reader that yields the whole stream again. A stream's first read may be short, so one
/// `fill_buf` is not enough to sniff a format.
pub(crate) fn peek<R: Read>(mut stream: R, n: usize) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = Vec::with_capacity(n);
    (&mut stream).take(n as u64).read_to_end(&mut head)?;
    Ok((head.clone(), io::Cursor::new(head).chain(stream)))
}

/// Reads a layer stream, plain or gzip-compressed; with `secrets`, every file's bytes are also
/// searched for the secret values.
pub(crate) fn read_layer(stream: impl Read, captures: &Captures, secrets: Option<&SecretSearch>) -> io::Result<LayerFacts> {
    let (head, stream) = peek(stream, 4)?;
    let buffered = BufReader::with_capacity(1 << 16, stream);
    if head.starts_with(&[0x1f, 0x8b]) {
        read_tar(flate2::bufread::MultiGzDecoder::new(buffered), captures, secrets)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Err(io::Error::new(io::ErrorKind::Unsupported, "zstd-compressed layers are not supported yet"))
    } else {
        read_tar(buffered, captures, secrets)
    }
}

fn read_tar(stream: impl Read, captures: &Captures, secrets: Option<&SecretSearch>) -> io::Result<LayerFacts> {
    let mut archive = tar::Archive::new(stream);
    let mut facts = LayerFacts::default();
    // Content of this layer's binaries, so that hard links to them inherit it.
    let mut binaries: HashMap<String, ContentClass> = HashMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let header = entry.header();
        let path = normalize(&String::from_utf8_lossy(&entry.path_bytes()));
        let size = header.entry_size()?;
        let mode = header.mode()?;
        let uid = header.uid()?;
        let gid = header.gid()?;
        let link = entry.link_name_bytes().map(|l| String::from_utf8_lossy(&l).into_owned());
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink(link.unwrap_or_default()),
            tar::EntryType::Link => EntryKind::Hardlink(normalize(&link.unwrap_or_default())),
            _ => EntryKind::Other,
        };
        let (path, kind) = whiteout(path, kind);
        if let EntryKind::Symlink(target) = &kind {
            facts.size += target.len() as u64;
        }
        let mut content = ContentClass::Data;
        if kind == EntryKind::File {
            facts.size += size;
            let sniffed = match secrets {
                Some(search) => {
                    let mut searching = Searching::new(&mut entry, search);
                    let sniffed = read_file(&mut searching, &path, size, captures, &mut facts)?;
                    if searching.finish()? {
                        facts.secrets.push(path.clone());
                    }
                    sniffed
                }
                None => read_file(&mut entry, &path, size, captures, &mut facts)?,
            };
            content = sniffed.class;
            if let Some(go) = sniffed.go {
                facts.captured.push((path.clone(), Captured::Go(go)));
            }
            if let Some(interpreter) = sniffed.interpreter {
                facts.captured.push((path.clone(), Captured::Interpreter(interpreter)));
            }
            if content != ContentClass::Data {
                binaries.insert(path.clone(), content);
            }
        } else if let EntryKind::Hardlink(target) = &kind {
            content = binaries.get(target).copied().unwrap_or_default();
        }
        facts.entries.push(LayerEntry { path, kind, size, mode, uid, gid, content });
    }
    Ok(facts)
}

/// Keeps what the checks need of a regular file: its captured bytes, if an analyzer wants them,
/// and what sniffing the whole file finds.
fn read_file(content: &mut impl Read, path: &str, size: u64, captures: &Captures, facts: &mut LayerFacts) -> io::Result<Sniffed> {
    let Some(limit) = captures.limit(path) else { return sniff::sniff(content, size) };
    let mut bytes = Vec::with_capacity(size.min(limit) as usize);
    content.take(limit).read_to_end(&mut bytes)?;
    let sniffed = sniff::sniff(&mut io::Cursor::new(&bytes).chain(content), size)?;
    facts.captured.push((path.to_string(), Captured::Bytes(bytes)));
    Ok(sniffed)
}

/// Turns `dir/.wh.name` into a whiteout of `dir/name` and `dir/.wh..wh..opq` into an opaque `dir`.
fn whiteout(path: String, kind: EntryKind) -> (String, EntryKind) {
    let (parent, name) = match path.rsplit_once('/') {
        Some((parent, name)) => (parent, name),
        None => ("", path.as_str()),
    };
    let join = |name: &str| if parent.is_empty() { name.to_string() } else { format!("{parent}/{name}") };
    if name == ".wh..wh..opq" {
        (parent.to_string(), EntryKind::OpaqueDir)
    } else if let Some(hidden) = name.strip_prefix(".wh.") {
        (join(hidden), EntryKind::Whiteout)
    } else {
        (path, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::capture::Analyzer;

    fn tar_of(files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o755);
            header.set_uid(0);
            header.set_gid(0);
            builder.append_data(&mut header, path, *bytes).unwrap();
        }
        for (path, target) in links {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Link);
            header.set_size(0);
            header.set_mode(0o755);
            header.set_uid(0);
            header.set_gid(0);
            builder.append_link(&mut header, path, target).unwrap();
        }
        builder.into_inner().unwrap()
    }

    /// Captures for an analyzer that reads /etc/passwd.
    fn passwd() -> Captures {
        static PASSWD: Analyzer = Analyzer { name: "passwd", version: 1, wants: |path| (path == "etc/passwd").then_some(1 << 20) };
        Captures::new([&PASSWD])
    }

    #[test]
    fn reads_entries_whiteouts_and_hardlinked_shells() {
        let bytes = tar_of(
            &[("bin/box", b"\x7fELF BusyBox v1.36"), ("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"), ("old/.wh.gone", b""), ("var/.wh..wh..opq", b"")],
            &[("usr/bin/ls", "bin/box")],
        );
        let facts = read_layer(&bytes[..], &passwd(), None).unwrap();
        let kinds: Vec<(&str, &EntryKind, ContentClass)> = facts.entries.iter().map(|e| (e.path.as_str(), &e.kind, e.content)).collect();
        assert_eq!(kinds[0], ("bin/box", &EntryKind::File, ContentClass::Shell("busybox")));
        assert_eq!(kinds[2], ("old/gone", &EntryKind::Whiteout, ContentClass::Data));
        assert_eq!(kinds[3], ("var", &EntryKind::OpaqueDir, ContentClass::Data));
        assert_eq!(kinds[4], ("usr/bin/ls", &EntryKind::Hardlink("bin/box".into()), ContentClass::Shell("busybox")));
        assert_eq!(facts.captured, vec![("etc/passwd".to_string(), Captured::Bytes(b"root:x:0:0::/root:/bin/sh\n".to_vec()))]);
        assert_eq!(facts.size, 18 + 26);
    }

    #[test]
    fn a_captured_file_is_sniffed_too() {
        let busybox = b"\x7fELF BusyBox is copyrighted by many authors";
        let facts = read_layer(&tar_of(&[("etc/passwd", busybox)], &[])[..], &passwd(), None).unwrap();
        assert_eq!(facts.entries[0].content, ContentClass::Shell("busybox"), "a shell saved as /etc/passwd");
        assert_eq!(facts.captured, vec![("etc/passwd".to_string(), Captured::Bytes(busybox.to_vec()))]);
    }

    #[test]
    fn a_truncated_layer_is_an_error_not_a_panic() {
        let bytes = tar_of(&[("a", &[7u8; 3000])], &[]);
        assert!(read_layer(&bytes[..1000], &passwd(), None).is_err());
    }
}
