//! Go build information: the Go version and module versions a Go binary embeds (what
//! `go version -m` prints), read from the few bytes where the linker puts them.
//!
//! What must hold: only Go 1.18+ binaries (inline strings) are read; anything else, or any byte
//! that does not fit the format, gives `None` rather than a guess.

/// Bytes kept from the start of the first writable segment: the build information sits there.
pub(crate) const WINDOW: usize = 128 * 1024;

const MAGIC: &[u8] = b"\xff Go buildinf:";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct GoModule {
    pub path: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct GoBuild {
    /// `go1.22.1`.
    pub go_version: String,
    /// The main module (its version is usually `(devel)`).
    pub main: Option<GoModule>,
    /// Dependencies, replacements applied.
    pub deps: Vec<GoModule>,
}

/// Parses the build information from the window's bytes (the magic sits 16-byte aligned).
pub(crate) fn parse(window: &[u8]) -> Option<GoBuild> {
    let start = (0..window.len().saturating_sub(32)).step_by(16).find(|&at| window[at..].starts_with(MAGIC))?;
    let blob = &window[start..];
    let flags = *blob.get(15)?;
    if flags & 2 == 0 {
        return None; // pre-1.18 layout: pointers into the binary
    }
    let (go_version, rest) = varint_string(&blob[32..])?;
    let (modinfo, _) = varint_string(rest)?;
    let modinfo = strip_sentinels(modinfo);
    let mut build = GoBuild { go_version: String::from_utf8(go_version.to_vec()).ok()?, main: None, deps: Vec::new() };
    for line in String::from_utf8_lossy(modinfo).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["mod", path, version, ..] => build.main = Some(GoModule { path: path.to_string(), version: version.to_string() }),
            ["dep", path, version, ..] => build.deps.push(GoModule { path: path.to_string(), version: version.to_string() }),
            ["=>", path, version, ..] => {
                if let Some(last) = build.deps.last_mut() {
                    *last = GoModule { path: path.to_string(), version: version.to_string() };
                }
            }
            _ => {}
        }
    }
    Some(build)
}

/// A uvarint length and that many bytes; the rest after them.
fn varint_string(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (mut length, mut shift, mut used) = (0usize, 0u32, 0usize);
    for byte in bytes.iter().take(10) {
        used += 1;
        length |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            let end = used.checked_add(length)?;
            return Some((bytes.get(used..end)?, &bytes[end..]));
        }
        shift += 7;
    }
    None
}

/// The module information is wrapped in 16-byte sentinels.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        modinfo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut bytes = vec![0u8; 48];
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&[8, 2]);
        bytes.resize(48 + 32, 0);
        for text in [version.as_bytes(), modinfo.as_bytes()] {
            let mut length = text.len();
            while length >= 0x80 {
                bytes.push((length as u8) | 0x80);
                length >>= 7;
            }
            bytes.push(length as u8);
            bytes.extend_from_slice(text);
        }
        bytes
    }

    #[test]
    fn reads_modules_and_replacements() {
        let modinfo = "0123456789abcdefpath\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.7\th1:x\n=>\tgolang.org/x/text\tv0.3.8\th1:y\n\n0123456789abcdef";
        let build = parse(&blob("go1.19.8", modinfo)).unwrap();
        assert_eq!(build.go_version, "go1.19.8");
        assert_eq!(build.main.unwrap().path, "example.com/app");
        assert_eq!(build.deps, [GoModule { path: "golang.org/x/text".into(), version: "v0.3.8".into() }]);
    }

    #[test]
    fn odd_bytes_give_none() {
        assert_eq!(parse(b"nothing here"), None);
        let mut truncated = blob("go1.19.8", "x");
        truncated.truncate(90);
        assert_eq!(parse(&truncated), None);
    }
}
