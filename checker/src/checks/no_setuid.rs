//! `no-setuid`: no executable in the final image is setuid root or setgid root. Running such a
//! file makes any process root (or gives it group root), whatever `USER` says, unless the
//! container is started with no-new-privileges.
//!
//! What must hold: only regular files that survive in the final filesystem count, and hard links
//! to them (with the target's bits, as the kernel sees one inode); setuid counts when the owner is
//! uid 0 and some execute bit is set, setgid when the group is gid 0 and the group may execute
//! (setgid without it marks mandatory locking, not privilege).
use super::{no_settings, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::image::filesystem::Node;
use crate::image::FileSystem;
use crate::units::count;

pub(super) struct NoSetuid;

pub(super) static META: CheckMeta = CheckMeta {
    id: "no-setuid",
    summary: "No setuid-root or setgid-root executables in the final image",
    severity: Severity::Error,
    needs: Needs::Image,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/no-setuid.md"),
};

/// A failure lists this many files, then counts the rest.
const EVIDENCE_SHOWN: usize = 12;

const SETUID: u32 = 0o4000;
const SETGID: u32 = 0o2000;

/// One privileged file and the names it goes by.
struct Privileged<'a> {
    /// The file itself (a hard link's target).
    file: &'a str,
    /// `setuid root`, `setgid root` or both.
    what: &'static str,
    mode: u32,
    layer: usize,
    /// Every path that is this file, the file's own first.
    names: Vec<&'a str>,
}

/// What the bits of a file give whoever runs it, if root.
fn privilege(node: &Node) -> Option<&'static str> {
    let setuid = node.mode & SETUID != 0 && node.uid == 0 && node.mode & 0o111 != 0;
    let setgid = node.mode & SETGID != 0 && node.gid == 0 && node.mode & 0o010 != 0;
    match (setuid, setgid) {
        (true, true) => Some("setuid and setgid root"),
        (true, false) => Some("setuid root"),
        (false, true) => Some("setgid root"),
        (false, false) => None,
    }
}

/// Every setuid-root or setgid-root file, with its hard links, in path order.
fn privileged(fs: &FileSystem) -> Vec<Privileged<'_>> {
    let mut found: Vec<Privileged<'_>> = Vec::new();
    for (path, node) in fs.iter() {
        if !node.is_file() {
            continue;
        }
        let file = node.file_path(path);
        let inode = fs.get(file).unwrap_or(node);
        let Some(what) = privilege(inode) else { continue };
        match found.iter_mut().find(|p| p.file == file) {
            Some(known) if path == file => known.names.insert(0, path),
            Some(known) => known.names.push(path),
            None => found.push(Privileged { file, what, mode: inode.mode, layer: inode.layer, names: vec![path] }),
        }
    }
    found
}

fn evidence(file: &Privileged<'_>, input: &Input<'_>) -> Evidence {
    let mut message = format!("/{} is {} (mode {:o})", file.names[0], file.what, file.mode & 0o7777);
    let others: Vec<String> = file.names[1..].iter().map(|name| format!("/{name}")).collect();
    if !others.is_empty() {
        let more = if others.len() > 3 { ", …" } else { "" };
        message.push_str(&format!("; also as {}: {}{more}", count(others.len(), "other name"), others[..others.len().min(3)].join(", ")));
    }
    Evidence::from_layer(message, Some(file.names[0]), input.origin(file.layer))
}

impl Check for NoSetuid {
    type Settings = ();

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<(), String> {
        no_settings(table)
    }

    fn judge(&self, input: &Input<'_>, _settings: &()) -> Outcome {
        let Some(image) = input.image else { return Outcome::skipped("no image") };
        let found = privileged(&image.filesystem);
        if found.is_empty() {
            return Outcome::pass("no setuid-root or setgid-root executables");
        }
        let mut evidence: Vec<Evidence> = found.iter().take(EVIDENCE_SHOWN).map(|file| evidence(file, input)).collect();
        if found.len() > EVIDENCE_SHOWN {
            evidence.push(Evidence::note(format!("… and {} more", found.len() - EVIDENCE_SHOWN)));
        }
        let names: Vec<String> = found.iter().take(4).map(|file| format!("/{}", file.names[0])).collect();
        let more = if found.len() > 4 { ", …" } else { "" };
        Outcome::fail(
            format!("{}: {}{more}", count(found.len(), "setuid-root or setgid-root executable"), names.join(", ")),
            evidence,
            "ship on a base without them (distroless, scratch), or clear the bits where a stage can still run \
             commands (`chmod u-s,g-s FILE`) before the files reach the final image",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::LayerEntry;
    use crate::image::{ContentClass, EntryKind, LayerFacts};

    fn entry(path: &str, kind: EntryKind, mode: u32, uid: u64, gid: u64) -> LayerEntry {
        LayerEntry { path: path.into(), kind, size: 1, mode, uid, gid, content: ContentClass::Data }
    }

    fn found(entries: Vec<LayerEntry>) -> Vec<(String, &'static str, Vec<String>)> {
        let fs = FileSystem::merge(&[LayerFacts { entries, ..LayerFacts::default() }]);
        privileged(&fs).into_iter().map(|p| (p.file.to_string(), p.what, p.names.iter().map(|n| n.to_string()).collect())).collect()
    }

    #[test]
    fn setuid_and_setgid_root_executables_are_found_with_their_hard_links() {
        let found = found(vec![
            entry("bin/busybox", EntryKind::File, 0o4755, 0, 0),
            entry("bin/ash", EntryKind::Hardlink("bin/busybox".into()), 0o755, 0, 0),
            entry("usr/bin/wall", EntryKind::File, 0o2755, 0, 0),
            entry("usr/bin/chage", EntryKind::File, 0o2755, 0, 42),
            entry("usr/bin/mine", EntryKind::File, 0o4755, 1000, 1000),
            entry("usr/bin/not-executable", EntryKind::File, 0o4644, 0, 0),
            entry("usr/bin/locking", EntryKind::File, 0o2745, 0, 0),
            entry("usr/bin/plain", EntryKind::File, 0o755, 0, 0),
            entry("var/mail", EntryKind::Dir, 0o2775, 0, 0),
        ]);
        assert_eq!(
            found,
            [
                ("bin/busybox".to_string(), "setuid root", vec!["bin/busybox".to_string(), "bin/ash".to_string()]),
                ("usr/bin/wall".to_string(), "setgid root", vec!["usr/bin/wall".to_string()]),
            ]
        );
    }
}
