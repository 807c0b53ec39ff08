//! Reads an image from one pass over an archive stream: `docker save` output (legacy or OCI) as the
//! daemon streams it, a saved file (optionally gzipped), or an OCI-layout archive (`skopeo copy
//! ... oci-archive:`) with gzip layers.
//!
//! What must hold: the stream is read once, front to back, and no layer is held in memory or
//! written to disk. Layers arrive in whatever order the archive lists them; each is reduced to its
//! [`LayerFacts`] on the spot and put in rootfs order once the manifest (which may come last) is read.
use std::collections::HashMap;
use std::io::{BufReader, Read};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::cache::LayerCache;
use super::capture::Captures;
use super::compressed::Gzipped;
use super::layer::{self, normalize, peek, LayerFacts};
use super::secrets::SecretSearch;
use super::ImageFacts;
use crate::status_line::StatusLine;

/// Metadata blobs (manifests, configs) are small; anything bigger that is not a layer is skipped.
const METADATA_LIMIT: u64 = 64 << 20;

/// Reads the image from an archive stream. `wanted` picks one image by tag when the archive holds
/// several (`docker save a b`); otherwise the first is read.
///
/// Layers the cache already holds (OCI archives name layer blobs by digest) are passed over
/// unparsed; every layer read and the config go into the cache afterwards.
pub(crate) fn read_archive(stream: impl Read, wanted: Option<&str>, plan: &ReadPlan) -> Result<ImageFacts, String> {
    let stream = Counted { inner: stream, status: &plan.status };
    let (head, stream) = peek(stream, 2).map_err(|e| format!("cannot read the archive: {e}"))?;
    let buffered = BufReader::with_capacity(1 << 16, stream);
    if head.is_empty() {
        return Err("the archive is empty".into());
    }
    let contents = if head.starts_with(&[0x1f, 0x8b]) { scan(flate2::bufread::MultiGzDecoder::new(buffered), plan)? } else { scan(buffered, plan)? };
    contents.assemble(wanted, plan)
}

/// How to read an image: the files the analyzers want kept, the layer cache to use and fill (its
/// entries made for these analyzers), secret values to search every file for, whether to measure
/// what a registry stores (each plain layer gzipped as it streams: a CPU cost of about as much as
/// the read itself, so only when asked), and the status line that shows the bytes and layers read.
/// A search needs every byte, so it never takes layers from the cache.
#[derive(Debug, Clone)]
pub(crate) struct ReadPlan {
    pub captures: Captures,
    pub cache: LayerCache,
    /// Where layers' compressed sizes are kept: the cache even when a search for secrets turns
    /// the facts cache off (`--no-cache` turns both off).
    pub sizes: LayerCache,
    pub secrets: Option<SecretSearch>,
    /// Whether every layer's compressed size is wanted.
    pub compressed: bool,
    pub status: StatusLine,
}

impl ReadPlan {
    pub(crate) fn new(captures: Captures, cache: LayerCache, secrets: Option<SecretSearch>, compressed: bool, status: StatusLine) -> ReadPlan {
        let sizes = cache.clone();
        let cache = if secrets.is_some() { LayerCache::disabled() } else { cache.for_captures(&captures) };
        ReadPlan { captures, cache, sizes, secrets, compressed, status }
    }

    /// The cached facts of the layer with this diff ID, with its compressed size when the plan
    /// wants it; `None` (read the layer) when either is not cached.
    pub(crate) fn cached_layer(&self, diff_id: &str) -> Option<LayerFacts> {
        let facts = self.cache.layer(diff_id)?;
        let compressed_size = if self.compressed { Some(self.sizes.compressed_size(diff_id)?) } else { None };
        Some(LayerFacts { compressed_size, ..facts })
    }
}

/// Counts the bytes read through it on the status line.
struct Counted<'a, R> {
    inner: R,
    status: &'a StatusLine,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.status.read_bytes(read as u64);
        Ok(read)
    }
}

/// What one pass over the outer tar leaves: layer facts and metadata blobs by archive path.
#[derive(Default)]
struct Contents {
    layers: HashMap<String, LayerFacts>,
    blobs: HashMap<String, Vec<u8>>,
    /// Archive paths that are links to other archive paths (docker save deduplicates layers so).
    aliases: HashMap<String, String>,
    /// Layers taken from the cache instead of being read.
    cached: usize,
}

/// What the tar reader said, unless it quotes the file's own bytes (random bytes given as an
/// archive would otherwise be echoed to the terminal).
fn tar_problem(error: &std::io::Error) -> String {
    let said = error.to_string();
    let plain = said.len() <= 120 && said.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if plain {
        said
    } else {
        "its bytes are not a tar archive's, as `docker save` and OCI archives are".to_string()
    }
}

fn scan(stream: impl Read, plan: &ReadPlan) -> Result<Contents, String> {
    let mut archive = tar::Archive::new(stream);
    let mut contents = Contents::default();
    let not_an_archive = |e: std::io::Error| format!("not a readable image archive ({})", tar_problem(&e));
    for entry in archive.entries().map_err(not_an_archive)? {
        let entry = entry.map_err(not_an_archive)?;
        let path = normalize(&String::from_utf8_lossy(&entry.path_bytes()));
        let size = entry.size();
        match entry.header().entry_type() {
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry.link_name_bytes().map(|t| String::from_utf8_lossy(&t).into_owned()).unwrap_or_default();
                let target = if entry.header().entry_type() == tar::EntryType::Symlink { join_relative(&path, &target) } else { normalize(&target) };
                contents.aliases.insert(path, target);
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if let Some(facts) = blob_digest(&path).and_then(|digest| plan.cached_layer(&digest)) {
                    contents.layers.insert(path, facts);
                    contents.cached += 1;
                    plan.status.read_layer();
                    continue; // the tar reader skips the unread bytes
                }
                let (head, mut reader) = peek(entry, 512).map_err(not_an_archive)?;
                if looks_like_layer(&head) {
                    let facts = read_layer(reader, &head, size, blob_digest(&path).as_deref(), plan).map_err(|e| format!("layer {path} is unreadable: {e}"))?;
                    contents.layers.insert(path, facts);
                    plan.status.read_layer();
                } else if size <= METADATA_LIMIT {
                    let mut bytes = Vec::with_capacity(size as usize);
                    reader.read_to_end(&mut bytes).map_err(not_an_archive)?;
                    contents.blobs.insert(path, bytes);
                }
            }
            _ => {}
        }
    }
    Ok(contents)
}

/// Reads one layer of `size` bytes in the archive, whose first bytes are `head`, and, when the
/// plan wants it, what a registry would store for it: a layer the archive holds compressed is
/// stored as it is, a plain tar is gzipped as it streams to the parser (unless its size is known
/// already by `diff_id`).
fn read_layer(reader: impl Read, head: &[u8], size: u64, diff_id: Option<&str>, plan: &ReadPlan) -> std::io::Result<LayerFacts> {
    if !plan.compressed {
        return layer::read_layer(reader, &plan.captures, plan.secrets.as_ref());
    }
    let known = diff_id.and_then(|diff_id| plan.sizes.compressed_size(diff_id)).or((!is_plain_tar(head)).then_some(size));
    if let Some(compressed_size) = known {
        let facts = layer::read_layer(reader, &plan.captures, plan.secrets.as_ref())?;
        return Ok(LayerFacts { compressed_size: Some(compressed_size), ..facts });
    }
    let mut gzipped = Gzipped::new(reader);
    let facts = layer::read_layer(&mut gzipped, &plan.captures, plan.secrets.as_ref())?;
    Ok(LayerFacts { compressed_size: Some(gzipped.finish()?), ..facts })
}

/// `blobs/sha256/abc…` → `sha256:abc…`: an OCI blob is named by its digest (for a layer
/// stored uncompressed, its diff ID).
fn blob_digest(path: &str) -> Option<String> {
    let (algorithm, hex) = path.strip_prefix("blobs/")?.split_once('/')?;
    Some(format!("{algorithm}:{hex}"))
}

/// A layer is a tar (ustar magic at 257, or an empty tar's zero block) or compressed.
fn looks_like_layer(head: &[u8]) -> bool {
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let zstd = head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    gzip || zstd || is_plain_tar(head)
}

fn is_plain_tar(head: &[u8]) -> bool {
    head.len() >= 512 && (&head[257..262] == b"ustar" || head[..512].iter().all(|b| *b == 0))
}

/// `abc/layer.tar` linking to `../def/layer.tar` → `def/layer.tar`.
fn join_relative(from: &str, target: &str) -> String {
    if target.starts_with('/') {
        return normalize(target);
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifest {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OciIndex {
    manifests: Vec<OciDescriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OciDescriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    platform: Option<OciPlatform>,
}

#[derive(Deserialize)]
struct OciPlatform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OciManifest {
    config: OciDescriptor,
    layers: Vec<OciDescriptor>,
}

impl Contents {
    fn assemble(mut self, wanted: Option<&str>, plan: &ReadPlan) -> Result<ImageFacts, String> {
        let (config_path, layer_paths) = if self.blobs.contains_key("manifest.json") {
            self.docker_manifest(wanted)?
        } else if self.blobs.contains_key("index.json") {
            self.oci_manifest()?
        } else {
            return Err("the archive has neither manifest.json (docker save) nor index.json (OCI layout)".into());
        };
        let config = self.blob(&config_path)?.to_vec();
        let layers = self.take_layers(&layer_paths)?;
        let id = format!("sha256:{:x}", Sha256::digest(&config));
        let mut facts = ImageFacts::assemble(id, &config, layers)?;
        facts.cached_layers = self.cached;
        remember(&facts, &config, plan);
        Ok(facts)
    }

    fn docker_manifest(&self, wanted: Option<&str>) -> Result<(String, Vec<String>), String> {
        let manifests: Vec<DockerManifest> = serde_json::from_slice(self.blob("manifest.json")?).map_err(|e| format!("manifest.json is malformed: {e}"))?;
        let chosen = match wanted {
            Some(tag) => manifests.iter().find(|m| m.repo_tags.iter().flatten().any(|t| t == tag)).or(manifests.first()),
            None => manifests.first(),
        };
        let manifest = chosen.ok_or("manifest.json lists no image")?;
        Ok((normalize(&manifest.config), manifest.layers.iter().map(|l| normalize(l)).collect()))
    }

    fn oci_manifest(&self) -> Result<(String, Vec<String>), String> {
        let mut index: OciIndex = parse_json(self.blob("index.json")?, "index.json")?;
        loop {
            let descriptor = pick_platform(&index.manifests).ok_or("index.json lists no manifest")?;
            let path = blob_path(&descriptor.digest)?;
            let bytes = self.blob(&path)?;
            if descriptor.media_type.contains("index") || descriptor.media_type.contains("manifest.list") {
                index = parse_json(bytes, &path)?;
                continue;
            }
            let manifest: OciManifest = parse_json(bytes, &path)?;
            let layers = manifest.layers.iter().map(|l| blob_path(&l.digest)).collect::<Result<_, _>>()?;
            return Ok((blob_path(&manifest.config.digest)?, layers));
        }
    }

    fn resolve(&self, path: &str) -> String {
        let mut path = path.to_string();
        for _ in 0..8 {
            match self.aliases.get(&path) {
                Some(target) => path = target.clone(),
                None => break,
            }
        }
        path
    }

    fn blob(&self, path: &str) -> Result<&[u8], String> {
        self.blobs.get(&self.resolve(path)).map(Vec::as_slice).ok_or_else(|| format!("the archive is incomplete: {path} is missing"))
    }

    /// Takes the layers in order; a layer listed twice (identical layers) is copied for its
    /// earlier uses and moved for its last.
    fn take_layers(&mut self, paths: &[String]) -> Result<Vec<LayerFacts>, String> {
        let resolved: Vec<String> = paths.iter().map(|p| self.resolve(p)).collect();
        let mut layers = Vec::with_capacity(resolved.len());
        for (index, path) in resolved.iter().enumerate() {
            let used_again = resolved[index + 1..].contains(path);
            let facts = if used_again { self.layers.get(path).cloned() } else { self.layers.remove(path) };
            layers.push(facts.ok_or_else(|| format!("the archive is incomplete: layer {} is missing", paths[index]))?);
        }
        Ok(layers)
    }
}

/// Puts the config, every layer and every layer's compressed size when measured (by the diff ID
/// the config gives it) into the cache. A layer the archive held compressed is kept at its blob's
/// size: what a registry stores for it.
fn remember(facts: &ImageFacts, config: &[u8], plan: &ReadPlan) {
    if facts.config.diff_ids.len() != facts.layers.len() {
        return;
    }
    plan.cache.store_config(&facts.id, config);
    for (diff_id, layer) in facts.config.diff_ids.iter().zip(&facts.layers) {
        if !plan.cache.has_layer(diff_id) {
            plan.cache.store_layer(diff_id, &layer.facts);
        }
        let unknown = || plan.sizes.compressed_size(diff_id).is_none();
        if let Some(size) = layer.facts.compressed_size.filter(|_| unknown()) {
            plan.sizes.store_compressed_size(diff_id, size);
        }
    }
}

fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8], name: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{name} is malformed: {e}"))
}

/// `sha256:abc` → `blobs/sha256/abc`.
fn blob_path(digest: &str) -> Result<String, String> {
    let (algorithm, hex) = digest.split_once(':').ok_or_else(|| format!("`{digest}` is not a digest"))?;
    Ok(format!("blobs/{algorithm}/{hex}"))
}

/// The linux/amd64 entry of an index when there is one, else the first.
fn pick_platform(manifests: &[OciDescriptor]) -> Option<&OciDescriptor> {
    let native = |d: &&OciDescriptor| d.platform.as_ref().is_some_and(|p| p.os == "linux" && p.architecture == "amd64");
    manifests.iter().find(native).or(manifests.first())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;
    use crate::status_line::StatusLine;

    /// dive's test image (`docker save` of 2018: `manifest.json` and `ID/layer.tar` entries).
    const DIVE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/dive/test-docker-image.tar");

    /// A plan that measures compressed sizes.
    fn plan(cache: LayerCache) -> ReadPlan {
        ReadPlan::new(Captures::new([]), cache, None, true, StatusLine::default())
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// Whether `measured` is `expected` within 0.1 % (or 16 bytes): deflate's output depends a
    /// little on how its input is fed, and the layers stream in chunks.
    fn about(measured: u64, expected: u64) -> bool {
        measured.abs_diff(expected) <= (expected / 1000).max(16)
    }

    /// Each `layer.tar` of the archive at `path`, by its archive path.
    fn layer_tars(path: &str) -> HashMap<String, Vec<u8>> {
        let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
        let mut layers = HashMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().display().to_string();
            if name.ends_with("layer.tar") {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                layers.insert(name, bytes);
            }
        }
        layers
    }

    #[test]
    fn each_layer_counts_what_gzip_makes_of_its_whole_tar_as_docker_push_sends_it() {
        let Ok(file) = std::fs::File::open(DIVE) else { return eprintln!("skipped: no dive fixture at {DIVE}") };
        let facts = read_archive(file, None, &plan(LayerCache::disabled())).unwrap();
        let tars = layer_tars(DIVE);
        let manifest: Vec<DockerManifest> = {
            let mut archive = tar::Archive::new(std::fs::File::open(DIVE).unwrap());
            let mut entry = archive.entries().unwrap().map(Result::unwrap).find(|e| e.path().unwrap().to_str() == Some("manifest.json")).unwrap();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            serde_json::from_str(&text).unwrap()
        };
        let expected: Vec<u64> = manifest[0].layers.iter().map(|path| gzip(&tars[path]).len() as u64).collect();
        let measured: Vec<u64> = facts.layers.iter().map(|layer| layer.facts.compressed_size.unwrap()).collect();
        assert_eq!(measured.len(), expected.len());
        for (measured, expected) in measured.iter().zip(&expected) {
            assert!(about(*measured, *expected), "{measured} bytes compressed, {expected} expected");
        }
        assert!(facts.compressed_size().unwrap() < facts.size(), "{:?} compressed, {} not", facts.compressed_size(), facts.size());

        let mut gzipped_archive = Vec::new();
        std::fs::File::open(DIVE).unwrap().read_to_end(&mut gzipped_archive).unwrap();
        let from_gzip = read_archive(&gzip(&gzipped_archive)[..], None, &plan(LayerCache::disabled())).unwrap();
        assert_eq!(from_gzip.compressed_size(), facts.compressed_size(), "a saved archive gzipped as a whole still has plain layers");
    }

    #[test]
    fn the_compressed_size_is_cached_beside_the_layer_and_given_only_to_a_plan_that_wants_it() {
        let Ok(file) = std::fs::File::open(DIVE) else { return eprintln!("skipped: no dive fixture at {DIVE}") };
        let dir = tempfile::tempdir().unwrap();
        let read = read_archive(file, None, &plan(LayerCache::at(dir.path()))).unwrap();
        let cached =
            |plan: ReadPlan| read.config.diff_ids.iter().map(|diff_id| plan.cached_layer(diff_id).expect("cached").compressed_size).collect::<Vec<_>>();
        assert_eq!(cached(plan(LayerCache::at(dir.path()))), read.layers.iter().map(|layer| layer.facts.compressed_size).collect::<Vec<_>>());
        let not_wanted = ReadPlan::new(Captures::new([]), LayerCache::at(dir.path()), None, false, StatusLine::default());
        assert!(cached(not_wanted).iter().all(Option::is_none));
    }

    #[test]
    fn a_read_not_asked_for_the_compressed_size_neither_measures_nor_stores_it() {
        let Ok(file) = std::fs::File::open(DIVE) else { return eprintln!("skipped: no dive fixture at {DIVE}") };
        let dir = tempfile::tempdir().unwrap();
        let plain = ReadPlan::new(Captures::new([]), LayerCache::at(dir.path()), None, false, StatusLine::default());
        let read = read_archive(file, None, &plain).unwrap();
        assert_eq!(read.compressed_size(), None);
        assert!(read.config.diff_ids.iter().all(|diff_id| plain.sizes.compressed_size(diff_id).is_none()));
        assert!(
            read.config.diff_ids.iter().all(|diff_id| plan(LayerCache::at(dir.path())).cached_layer(diff_id).is_none()),
            "a plan that wants the size reads the layer again"
        );
    }

    /// A one-layer tar holding `hello.txt`.
    fn hello_layer() -> Vec<u8> {
        let mut layer = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(5);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        layer.append_data(&mut header, "hello.txt", &b"hello"[..]).unwrap();
        layer.into_inner().unwrap()
    }

    /// An OCI archive of one image whose one layer is `layer`, stored in the archive as `blob`.
    fn oci_archive(layer: &[u8], blob: &[u8]) -> Vec<u8> {
        let digest = |bytes: &[u8]| format!("{:x}", Sha256::digest(bytes));
        let config = format!(r#"{{"rootfs": {{"type": "layers", "diff_ids": ["sha256:{}"]}}, "history": [{{"created_by": "COPY"}}]}}"#, digest(layer));
        let manifest = format!(
            r#"{{"config": {{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:{}"}}, "layers": [{{"digest": "sha256:{}"}}]}}"#,
            digest(config.as_bytes()),
            digest(blob)
        );
        let index =
            format!(r#"{{"manifests": [{{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:{}"}}]}}"#, digest(manifest.as_bytes()));
        let mut archive = tar::Builder::new(Vec::new());
        for (path, bytes) in [
            ("index.json".to_string(), index.as_bytes()),
            (format!("blobs/sha256/{}", digest(manifest.as_bytes())), manifest.as_bytes()),
            (format!("blobs/sha256/{}", digest(config.as_bytes())), config.as_bytes()),
            (format!("blobs/sha256/{}", digest(blob)), blob),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            archive.append_data(&mut header, path, bytes).unwrap();
        }
        archive.into_inner().unwrap()
    }

    #[test]
    fn a_layer_the_archive_holds_gzipped_is_stored_as_it_is() {
        let (layer, blob) = (hello_layer(), gzip(&hello_layer()));
        let facts = read_archive(&oci_archive(&layer, &blob)[..], None, &plan(LayerCache::disabled())).unwrap();
        assert_eq!((facts.size(), facts.compressed_size()), (5, Some(blob.len() as u64)));
    }

    #[test]
    fn a_search_for_secrets_reads_every_layer_again_but_compresses_none_twice() {
        let dir = tempfile::tempdir().unwrap();
        let layer = hello_layer();
        let archive = oci_archive(&layer, &layer);
        let searching = || ReadPlan::new(Captures::new([]), LayerCache::at(dir.path()), SecretSearch::new(&["s3cret".into()]), true, StatusLine::default());
        let first = read_archive(&archive[..], None, &searching()).unwrap();
        assert_eq!(first.compressed_size(), Some(gzip(&layer).len() as u64));
        let diff_id = format!("sha256:{:x}", Sha256::digest(&layer));
        assert!(searching().cache.layer(&diff_id).is_none(), "a search for secrets keeps no layer facts");
        LayerCache::at(dir.path()).store_compressed_size(&diff_id, 42);
        assert_eq!(read_archive(&archive[..], None, &searching()).unwrap().compressed_size(), Some(42), "the kept size is used, not a new compression");
    }

    #[test]
    fn the_tar_readers_words_are_kept_unless_they_quote_the_files_bytes() {
        assert_eq!(tar_problem(&std::io::Error::other("unexpected EOF during skip")), "unexpected EOF during skip");
        let quoting = std::io::Error::other("numeric field did not have utf-8 text: \u{fffd}\u{fffd}\u{7} when getting cksum");
        assert_eq!(tar_problem(&quoting), "its bytes are not a tar archive's, as `docker save` and OCI archives are");
    }
}
