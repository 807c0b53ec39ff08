//! The layer cache: what reading a layer found ([`LayerFacts`]), stored on disk by the layer's
//! digest (diff ID), each layer's compressed size beside them, and image configs by image ID, so that an image whose layers were all read
//! before is judged without streaming it again.
//!
//! What must hold: entries are content-addressed (a diff ID names exactly one layer content; an
//! image ID is the digest of its config, checked on load), so an entry is either right or
//! unusable. Every entry carries a magic, a format version, the fingerprint of the analyzers a
//! layer was read for (what it captured) and a checksum; an entry that fails any of them is
//! ignored and rebuilt, never trusted. A cache that cannot be written only costs
//! speed: nothing fails because of it.
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::capture::Captures;
use super::layer::LayerFacts;

const MAGIC: &[u8; 16] = b"shipshape-layer\n";
/// Bump when [`LayerFacts`] or what sniffing finds changes: old entries are then rebuilt. What the analyzers capture has
/// versions of its own ([`Captures::fingerprint`]), which key the layer entries too.
pub(crate) const FORMAT_VERSION: u32 = 7;

/// The cache, or none at all (`--no-cache`, or no usable folder).
#[derive(Debug, Clone, Default)]
pub(crate) struct LayerCache {
    dir: Option<PathBuf>,
    /// The analyzers' fingerprint the layer entries were made for.
    captures: [u8; 8],
}

impl LayerCache {
    /// The cache in `$SHIPSHAPE_CACHE_DIR`, else `$XDG_CACHE_HOME/shipshape`, else
    /// `~/.cache/shipshape` (in `layers/`, `compressed/` and `configs/` below it).
    pub(crate) fn open() -> LayerCache {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let root = var("SHIPSHAPE_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("shipshape")))
            .or_else(|| var("HOME").map(|d| d.join(".cache/shipshape")));
        LayerCache { dir: root, captures: [0; 8] }
    }

    /// The same cache, its layer entries those made for these analyzers.
    pub(crate) fn for_captures(self, captures: &Captures) -> LayerCache {
        LayerCache { captures: captures.fingerprint(), ..self }
    }

    #[cfg(test)]
    pub(crate) fn at(dir: &Path) -> LayerCache {
        LayerCache { dir: Some(dir.to_path_buf()), captures: [0; 8] }
    }

    pub(crate) fn disabled() -> LayerCache {
        LayerCache { dir: None, captures: [0; 8] }
    }

    fn file(&self, kind: &str, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        let valid = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.dir.as_ref().map(|d| d.join(kind).join(hex)))?
    }

    /// The facts of the layer with this diff ID, if cached and intact.
    pub(crate) fn layer(&self, diff_id: &str) -> Option<LayerFacts> {
        let bytes = read_entry(&self.file("layers", diff_id)?, &self.captures)?;
        postcard::from_bytes(&bytes).ok()
    }

    /// Whether an entry exists for the layer (without reading it; a broken one is replaced the
    /// next time it is read).
    pub(crate) fn has_layer(&self, diff_id: &str) -> bool {
        self.file("layers", diff_id).is_some_and(|path| path.exists())
    }

    pub(crate) fn store_layer(&self, diff_id: &str, facts: &LayerFacts) {
        if let (Some(path), Ok(bytes)) = (self.file("layers", diff_id), postcard::to_stdvec(facts)) {
            write_entry(&path, &self.captures, &bytes);
        }
    }

    /// What a registry stores for the layer with this diff ID (its tar gzip-compressed), if
    /// known. Kept apart from the layer's facts and whatever they were captured for, so that a
    /// read which cannot use those (a search for secrets reads every layer again) still need not
    /// compress the layer again.
    pub(crate) fn compressed_size(&self, diff_id: &str) -> Option<u64> {
        let bytes = read_entry(&self.file("compressed", diff_id)?, &[0; 8])?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    pub(crate) fn store_compressed_size(&self, diff_id: &str, size: u64) {
        if let Some(path) = self.file("compressed", diff_id) {
            write_entry(&path, &[0; 8], &size.to_le_bytes());
        }
    }

    /// The config of the image with this ID, if cached and its digest is the ID.
    pub(crate) fn config(&self, image_id: &str) -> Option<Vec<u8>> {
        let bytes = read_entry(&self.file("configs", image_id)?, &[0; 8])?;
        (format!("sha256:{:x}", Sha256::digest(&bytes)) == image_id).then_some(bytes)
    }

    pub(crate) fn store_config(&self, image_id: &str, config: &[u8]) {
        if let Some(path) = self.file("configs", image_id) {
            write_entry(&path, &[0; 8], config);
        }
    }
}

/// Magic, version, the analyzers' fingerprint, checksum, payload; `None` for anything else (and
/// the broken or outdated file is removed).
fn read_entry(path: &Path, captures: &[u8; 8]) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let payload = (|| {
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        let (version, rest) = rest.split_first_chunk::<4>()?;
        let (made_for, rest) = rest.split_first_chunk::<8>()?;
        let (checksum, payload) = rest.split_first_chunk::<32>()?;
        let current = u32::from_le_bytes(*version) == FORMAT_VERSION && made_for == captures;
        (current && Sha256::digest(payload).as_slice() == checksum).then(|| payload.to_vec())
    })();
    if payload.is_none() {
        let _ = std::fs::remove_file(path);
    }
    payload
}

/// Writes an entry atomically (a temporary file renamed into place); failures are ignored.
fn write_entry(path: &Path, captures: &[u8; 8], payload: &[u8]) {
    let Some(dir) = path.parent() else { return };
    let written = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(MAGIC)?;
        file.write_all(&FORMAT_VERSION.to_le_bytes())?;
        file.write_all(captures)?;
        file.write_all(&Sha256::digest(payload))?;
        file.write_all(payload)?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    })();
    if let Err(e) = written {
        eprintln!("warning: the layer cache in {} is not writable ({e}); judging goes on without it", dir.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::capture::Analyzer;
    use crate::image::layer::{EntryKind, LayerEntry};
    use crate::image::ContentClass;

    const DIFF_ID: &str = "sha256:78c1b9419976227e05be9d243b7fa583bea44a5258e52018b2af4cdfe23d148d";

    fn facts() -> LayerFacts {
        let entry = LayerEntry { path: "bin/sh".into(), kind: EntryKind::File, size: 9, mode: 0o755, uid: 0, gid: 0, content: ContentClass::Shell("dash") };
        LayerFacts { entries: vec![entry], size: 9, ..LayerFacts::default() }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("shipshape-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn hit_miss_and_corrupt_entries() {
        let dir = scratch("unit");
        let cache = LayerCache::at(&dir);
        assert!(cache.layer(DIFF_ID).is_none(), "miss");
        cache.store_layer(DIFF_ID, &facts());
        let hit = cache.layer(DIFF_ID).expect("hit");
        assert_eq!(hit.entries[0].content, ContentClass::Shell("dash"));
        let file = dir.join("layers").join(DIFF_ID.trim_start_matches("sha256:"));
        let mut bytes = std::fs::read(&file).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&file, &bytes).unwrap();
        assert!(cache.layer(DIFF_ID).is_none(), "a corrupt entry is not trusted");
        assert!(!file.exists(), "and is removed, to be rebuilt");
        std::fs::write(&file, b"shipshape-layer\n\x00\x00\x00\x00").unwrap();
        assert!(cache.layer(DIFF_ID).is_none(), "an old format is not trusted");
        cache.store_layer(DIFF_ID, &facts());
        static OTHER: Analyzer = Analyzer { name: "other", version: 1, wants: |_| None };
        let for_other = LayerCache::at(&dir).for_captures(&Captures::new([&OTHER]));
        assert!(for_other.layer(DIFF_ID).is_none(), "a layer read for other analyzers is read again");
        assert!(LayerCache::disabled().layer(DIFF_ID).is_none());
        assert!(cache.layer("../../etc/passwd").is_none(), "only digests name entries");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn configs_must_match_their_id() {
        let dir = scratch("config");
        let cache = LayerCache::at(&dir);
        let config = br#"{"config":{}}"#;
        let id = format!("sha256:{:x}", Sha256::digest(config));
        cache.store_config(&id, config);
        assert_eq!(cache.config(&id).as_deref(), Some(config.as_slice()));
        cache.store_config(DIFF_ID, config);
        assert!(cache.config(DIFF_ID).is_none(), "a config under another id is not trusted");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
