//! Reading a submission's files, which anyone could have made: only regular files are opened,
//! their size is checked before a byte is read, and a link is never followed.
//!
//! What must hold: nothing here blocks or reads without bound, whatever a path holds — a FIFO (it
//! would block the open), a device (`/dev/zero` never ends), a socket, a sparse file of gigabytes —
//! and nothing is opened but a regular file; a file that changes between the look and the open is
//! refused. A refusal names the problem ([`Refusal`]), for the student's `error` grade.
use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use rustix::fs::{Mode, OFlags};

use crate::units::format_size;

/// Why a submission's file was not read.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not a regular file: what it is instead (`a FIFO (named pipe)`, `a socket`, …).
    NotRegular(&'static str),
    /// Bigger than the limit: its size and the limit.
    TooBig {
        size: u64,
        limit: u64,
    },
    Io(io::Error),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotRegular(kind) => write!(f, "is {kind}, not a regular file"),
            Refusal::TooBig { size, limit } => write!(f, "is {}, over the {} limit", format_size(*size), format_size(*limit)),
            Refusal::Io(cause) => write!(f, "cannot be read: {cause}"),
        }
    }
}

impl From<io::Error> for Refusal {
    fn from(cause: io::Error) -> Self {
        Refusal::Io(cause)
    }
}

/// What an entry that is not a regular file, a folder or a link is, in words.
pub(crate) fn kind(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

/// The regular file at `path`, opened for reading, with its metadata, if it holds at most `limit`
/// bytes. Looked at first without opening it (a FIFO's open would block, a device's may act),
/// then opened without following a link and without blocking, and looked at again through the
/// handle: a file swapped in between is refused.
pub(crate) fn open_regular(path: &Path, limit: u64) -> Result<(File, Metadata), Refusal> {
    let before = fs::symlink_metadata(path)?;
    check(&before, limit)?;
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let file = File::from(rustix::fs::open(path, flags, Mode::empty()).map_err(io::Error::from)?);
    let opened = file.metadata()?;
    check(&opened, limit)?;
    if (opened.dev(), opened.ino()) != (before.dev(), before.ino()) {
        return Err(Refusal::Io(io::Error::other("it changed while it was being read")));
    }
    Ok((file, opened))
}

fn check(meta: &Metadata, limit: u64) -> Result<(), Refusal> {
    if !meta.is_file() {
        return Err(Refusal::NotRegular(kind(meta)));
    }
    if meta.len() > limit {
        return Err(Refusal::TooBig { size: meta.len(), limit });
    }
    Ok(())
}

/// Copies what [`open_regular`] opened into `writer`, at most `limit` bytes (a file that grows
/// after the look is cut there, and refused).
pub(crate) fn copy_regular(path: &Path, limit: u64, writer: &mut impl io::Write) -> Result<Metadata, Refusal> {
    let (file, meta) = open_regular(path, limit)?;
    let copied = io::copy(&mut file.take(limit.saturating_add(1)), writer)?;
    if copied > limit {
        return Err(Refusal::TooBig { size: copied, limit });
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;
    use std::process::Command;
    use std::time::{Duration, Instant};

    fn refusal(path: &Path, limit: u64) -> String {
        let started = Instant::now();
        let outcome = copy_regular(path, limit, &mut Vec::new());
        assert!(started.elapsed() < Duration::from_secs(2), "{} took {:?}", path.display(), started.elapsed());
        outcome.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::TempDir::new().unwrap();
        let plain = dir.path().join("Dockerfile");
        fs::write(&plain, "FROM scratch\n").unwrap();
        let mut read = Vec::new();
        copy_regular(&plain, 100, &mut read).unwrap();
        assert_eq!(read, b"FROM scratch\n");

        let fifo = dir.path().join("fifo");
        assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(refusal(&fifo, 100), "is a FIFO (named pipe), not a regular file");

        let socket = dir.path().join("socket");
        let _listener = UnixListener::bind(&socket).unwrap();
        assert_eq!(refusal(&socket, 100), "is a socket, not a regular file");

        let sparse = dir.path().join("sparse");
        File::create(&sparse).unwrap().set_len(3_000_000_000).unwrap();
        assert_eq!(refusal(&sparse, 200_000_000), "is 3 GB, over the 200 MB limit");

        assert_eq!(refusal(Path::new("/dev/zero"), 100), "is a character device, not a regular file");

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&plain, &link).unwrap();
        assert_eq!(refusal(&link, 100), "is a symbolic link, not a regular file");
    }
}
