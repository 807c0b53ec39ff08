//! The final filesystem: every layer applied in order, whiteouts and opaque directories honoured,
//! each path remembering the layer that last wrote it.
//!
//! What must hold: a path deleted by a later layer is absent; a path's `layer` is the index of the
//! topmost layer that wrote it; captured contents are those of the version that survives.
use std::collections::{BTreeMap, VecDeque};

use super::gobuild::GoBuild;
use super::layer::{Captured, EntryKind, LayerFacts};
use super::sniff::ContentClass;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: EntryKind,
    /// Permission bits with the setuid, setgid and sticky bits.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Index of the layer that last wrote this path.
    pub layer: usize,
    pub content: ContentClass,
}

impl Node {
    /// A regular file, or a hard link to one.
    pub(crate) fn is_file(&self) -> bool {
        matches!(self.kind, EntryKind::File | EntryKind::Hardlink(_))
    }

    pub(crate) fn is_executable_file(&self) -> bool {
        self.is_file() && self.mode & 0o111 != 0
    }

    /// The path of the file this node at `path` is: a hard link's target, else `path` itself.
    pub(crate) fn file_path<'a>(&'a self, path: &'a str) -> &'a str {
        match &self.kind {
            EntryKind::Hardlink(target) => target,
            _ => path,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct FileSystem {
    nodes: BTreeMap<String, Node>,
    /// Captured bytes by path, with the layer that wrote them.
    captured: BTreeMap<String, (usize, Vec<u8>)>,
    /// Go binaries' build information by path, with the layer that wrote them.
    go: BTreeMap<String, (usize, GoBuild)>,
    /// The dynamic loader each dynamically linked executable needs, by path.
    interpreters: BTreeMap<String, String>,
}

/// Symbolic links followed before a path is declared a loop.
const MAX_LINK_HOPS: usize = 40;

impl FileSystem {
    /// Applies the layers in order. Within a layer, deletions apply to the layers below only, so
    /// they are applied before the layer's own entries.
    pub(crate) fn merge(layers: &[LayerFacts]) -> Self {
        let mut fs = FileSystem::default();
        for (index, layer) in layers.iter().enumerate() {
            for entry in &layer.entries {
                match entry.kind {
                    EntryKind::Whiteout => fs.remove_tree(&entry.path, true),
                    EntryKind::OpaqueDir => fs.remove_tree(&entry.path, false),
                    _ => {}
                }
            }
            for entry in &layer.entries {
                if matches!(entry.kind, EntryKind::Whiteout | EntryKind::OpaqueDir) {
                    continue;
                }
                let replaces_dir = fs.nodes.get(&entry.path).is_some_and(|n| n.kind == EntryKind::Dir);
                if replaces_dir && entry.kind != EntryKind::Dir {
                    fs.remove_tree(&entry.path, false);
                }
                fs.forget_content(&entry.path);
                let node = Node { kind: entry.kind.clone(), mode: entry.mode, uid: entry.uid, gid: entry.gid, layer: index, content: entry.content };
                fs.nodes.insert(entry.path.clone(), node);
            }
            for (path, captured) in &layer.captured {
                match captured {
                    Captured::Bytes(bytes) => fs.captured.insert(path.clone(), (index, bytes.clone())).map(drop),
                    Captured::Go(build) => fs.go.insert(path.clone(), (index, build.clone())).map(drop),
                    Captured::Interpreter(loader) => fs.interpreters.insert(path.clone(), loader.clone()).map(drop),
                };
            }
        }
        fs
    }

    /// Removes everything under `path`, and `path` itself when `itself`.
    fn remove_tree(&mut self, path: &str, itself: bool) {
        let prefix = if path.is_empty() { String::new() } else { format!("{path}/") };
        let doomed: Vec<String> = self.nodes.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(k, _)| k.clone()).collect();
        for key in doomed {
            self.nodes.remove(&key);
            self.forget_content(&key);
        }
        if itself {
            self.nodes.remove(path);
            self.forget_content(path);
        }
    }

    /// Drops what was kept of the file at `path`, which is deleted or replaced.
    fn forget_content(&mut self, path: &str) {
        self.captured.remove(path);
        self.go.remove(path);
        self.interpreters.remove(path);
    }

    pub(crate) fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(path, node)| (path.as_str(), node))
    }

    /// The bytes of a captured file (see [`crate::image::capture`]) as the final image has it.
    pub(crate) fn content(&self, path: &str) -> Option<&[u8]> {
        self.captured.get(path).map(|(_, bytes)| bytes.as_slice())
    }

    /// Every captured file's bytes with the index of the layer that wrote it.
    pub(crate) fn captured_files(&self) -> impl Iterator<Item = (&str, usize, &[u8])> {
        self.captured.iter().map(|(path, (layer, bytes))| (path.as_str(), *layer, bytes.as_slice()))
    }

    /// The dynamic loader the executable at `path` (a regular file, or a hard link to one) needs;
    /// `None` for a static executable or anything else.
    pub(crate) fn interpreter(&self, path: &str) -> Option<&str> {
        self.interpreters.get(self.nodes.get(path)?.file_path(path)).map(String::as_str)
    }

    /// Every Go binary's build information with the index of the layer that wrote it.
    pub(crate) fn go_binaries(&self) -> impl Iterator<Item = (&str, usize, &GoBuild)> {
        self.go.iter().map(|(path, (layer, build))| (path.as_str(), *layer, build))
    }

    /// Follows symbolic links (in the leaf and in parent directories) from `path`, relative to the
    /// image root, and returns the path reached and its node; `None` for dangling links and loops.
    pub(crate) fn resolve(&self, path: &str) -> Option<(String, &Node)> {
        let mut pending: VecDeque<String> = components(path).collect();
        let mut current: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(component) = pending.pop_front() {
            if component == ".." {
                current.pop();
                continue;
            }
            current.push(component);
            let here = current.join("/");
            let Some(node) = self.nodes.get(&here) else {
                if pending.is_empty() {
                    return None;
                }
                continue; // a parent directory the layers never listed
            };
            if let EntryKind::Symlink(target) = &node.kind {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                current.pop();
                if target.starts_with('/') {
                    current.clear();
                }
                let mut expanded: VecDeque<String> = components(target).collect();
                expanded.extend(pending);
                pending = expanded;
            }
        }
        let here = current.join("/");
        self.nodes.get(&here).map(|node| (here, node))
    }
}

fn components(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split('/').filter(|c| !c.is_empty() && *c != ".").map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::LayerEntry;

    fn entry(path: &str, kind: EntryKind) -> LayerEntry {
        LayerEntry { path: path.into(), kind, size: 1, mode: 0o755, uid: 0, gid: 0, content: ContentClass::Data }
    }

    fn layer(entries: Vec<LayerEntry>) -> LayerFacts {
        LayerFacts { entries, ..Default::default() }
    }

    #[test]
    fn later_layers_delete_and_hide() {
        let fs = FileSystem::merge(&[
            layer(vec![
                entry("bin", EntryKind::Dir),
                entry("bin/sh", EntryKind::File),
                entry("etc/keep", EntryKind::File),
                entry("var/cache/a", EntryKind::File),
            ]),
            layer(vec![entry("bin/sh", EntryKind::Whiteout), entry("var/cache", EntryKind::OpaqueDir), entry("var/cache/b", EntryKind::File)]),
        ]);
        assert!(fs.get("bin/sh").is_none());
        assert!(fs.get("var/cache/a").is_none());
        assert_eq!(fs.get("var/cache/b").unwrap().layer, 1);
        assert_eq!(fs.get("etc/keep").unwrap().layer, 0);
    }

    #[test]
    fn resolves_links_through_parent_directories() {
        let fs = FileSystem::merge(&[layer(vec![
            entry("bin", EntryKind::Symlink("usr/bin".into())),
            entry("usr/bin/busybox", EntryKind::File),
            entry("usr/local/bin/x", EntryKind::Symlink("/bin/busybox".into())),
            entry("loop", EntryKind::Symlink("loop".into())),
            entry("dangling", EntryKind::Symlink("/nowhere".into())),
        ])]);
        assert_eq!(fs.resolve("usr/local/bin/x").unwrap().0, "usr/bin/busybox");
        assert!(fs.resolve("loop").is_none());
        assert!(fs.resolve("dangling").is_none());
    }
}
