//! `no-shell`, `no-package-manager`, `no-build-tools`: executables that do not belong in a final
//! image, found in the final filesystem by name (in any directory but those of helper scripts,
//! through symbolic and hard links) and, for shells, by content: a renamed busybox or bash is
//! still a shell, in every directory (`/etc` and `/usr/share/doc` too) and whatever its size or
//! mode.
//!
//! A file found under several names (hard links, symbolic links to it) is one finding, led by the
//! name the learner knows it by: busybox as `busybox` at `/bin/busybox`, whichever of its hard
//! links the layer stored as the file.
//!
//! What must hold: only what survives in the final filesystem counts (whiteouts already applied);
//! a name matches only an executable file or a link that resolves to one, so documentation or a
//! completion script called `bash` never does.
use std::collections::BTreeSet;

use serde::Deserialize;

use super::{deserialize, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::image::filesystem::Node;
use crate::image::{ContentClass, EntryKind, FileSystem};
use crate::markdown::code_span;
use crate::units::count;

/// A group of executables that do one job, allowed or refused together (`allow = ["npm"]`).
pub(super) struct Family {
    pub name: &'static str,
    /// Whether a file name (not a path) belongs to this family.
    pub matches: fn(&str) -> bool,
}

pub(super) struct ForbiddenExecutables {
    pub(super) meta: CheckMeta,
    families: &'static [Family],
    /// Also flag binaries whose content is a shell, whatever their name.
    by_content: bool,
    /// What one and several found executables are called, for the summary.
    noun: (&'static str, &'static str),
    hint: &'static str,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// Families this exercise allows, by name (each one of the check's families).
    #[serde(default)]
    pub allow: Vec<String>,
}

/// Where executables named like a tool are helper scripts (`/etc/cron.daily/dpkg`), not the tool;
/// a file whose content is a shell counts there too.
const NOT_PROGRAMS: [&str; 2] = ["etc/", "usr/share/doc/"];

/// A failure lists this many files, then counts the rest.
const EVIDENCE_SHOWN: usize = 12;

fn one_of(names: &'static [&'static str]) -> impl Fn(&str) -> bool {
    move |name| names.contains(&name)
}

/// `x86_64-linux-gnu-gcc-12` → `gcc`: drops a target-triple prefix and a version suffix.
fn tool_stem(name: &str) -> &str {
    let name = match name.rfind("-linux-gnu-").or_else(|| name.rfind("-linux-musl-")) {
        Some(at) => name[at..].splitn(4, '-').nth(3).unwrap_or(name),
        None => name,
    };
    match name.rsplit_once('-') {
        Some((stem, version)) if !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.') => stem,
        _ => name,
    }
}

pub(super) static NO_SHELL: ForbiddenExecutables = ForbiddenExecutables {
    meta: CheckMeta {
        id: "no-shell",
        summary: "No shell in the final image",
        severity: Severity::Error,
        needs: Needs::Image,
        lists_on_pass: false,
        doc: include_str!("../../docs/checks/no-shell.md"),
    },
    families: &[Family {
        name: "shell",
        matches: |name| {
            one_of(&["sh", "bash", "rbash", "dash", "ash", "zsh", "ksh", "mksh", "lksh", "ksh93", "posh", "busybox", "yash", "tcsh", "csh", "fish"])(name)
        },
    }],
    by_content: true,
    noun: ("shell", "shells"),
    hint: "start the final stage from a distroless or scratch base and copy in only your app; use exec-form \
           CMD/ENTRYPOINT ([\"/app\"]) so nothing needs a shell at runtime",
};

pub(super) static NO_PACKAGE_MANAGER: ForbiddenExecutables = ForbiddenExecutables {
    meta: CheckMeta {
        id: "no-package-manager",
        summary: "No package manager in the final image",
        severity: Severity::Error,
        needs: Needs::Image,
        lists_on_pass: false,
        doc: include_str!("../../docs/checks/no-package-manager.md"),
    },
    families: &[
        Family { name: "apt", matches: |n| one_of(&["apt", "apt-get", "aptitude"])(n) },
        Family { name: "dpkg", matches: |n| n == "dpkg" },
        Family { name: "apk", matches: |n| n == "apk" },
        Family { name: "yum", matches: |n| n == "yum" },
        Family { name: "dnf", matches: |n| one_of(&["dnf", "dnf-3", "microdnf"])(n) },
        Family { name: "rpm", matches: |n| n == "rpm" },
        Family { name: "zypper", matches: |n| n == "zypper" },
        Family { name: "pip", matches: |n| n.strip_prefix("pip").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.')) },
        Family { name: "npm", matches: |n| one_of(&["npm", "npx"])(n) },
        Family { name: "yarn", matches: |n| one_of(&["yarn", "yarnpkg"])(n) },
        Family { name: "pnpm", matches: |n| one_of(&["pnpm", "pnpx"])(n) },
        Family { name: "corepack", matches: |n| n == "corepack" },
    ],
    by_content: false,
    noun: ("package manager", "package managers"),
    hint: "install packages in a builder stage and copy the result into a final stage whose base has no \
           package manager (distroless, scratch); on Debian bases, `apt-get` in the final stage means the \
           tools stay in the image",
};

pub(super) static NO_BUILD_TOOLS: ForbiddenExecutables = ForbiddenExecutables {
    meta: CheckMeta {
        id: "no-build-tools",
        summary: "No compilers or build tools in the final image",
        severity: Severity::Error,
        needs: Needs::Image,
        lists_on_pass: false,
        doc: include_str!("../../docs/checks/no-build-tools.md"),
    },
    families: &[
        Family { name: "gcc", matches: |n| one_of(&["gcc", "cc", "g++", "c++", "cpp", "c89", "c99"])(tool_stem(n)) },
        Family { name: "clang", matches: |n| one_of(&["clang", "clang++", "clang-cpp"])(tool_stem(n)) },
        Family { name: "binutils", matches: |n| one_of(&["ld", "ld.bfd", "ld.gold", "as"])(tool_stem(n)) },
        Family { name: "make", matches: |n| one_of(&["make", "gmake", "cmake", "ninja"])(n) },
        Family { name: "go", matches: |n| n == "go" },
        Family { name: "rust", matches: |n| one_of(&["rustc", "cargo"])(n) },
        Family { name: "java", matches: |n| one_of(&["javac", "mvn", "gradle"])(n) },
        Family { name: "typescript", matches: |n| one_of(&["tsc"])(n) },
        Family { name: "node-gyp", matches: |n| n == "node-gyp" },
    ],
    by_content: false,
    noun: ("build tool", "build tools"),
    hint: "compile in a builder stage (FROM ... AS build) and COPY --from=build only the output into the \
           final stage; for Node, prune dev dependencies (npm ci --omit=dev) before copying node_modules",
};

/// One executable found: where, what it is, and what leads there.
pub(super) struct Found {
    pub(super) path: String,
    /// The file it is in the end: itself, a hard link's target, a symbolic link's resolution.
    pub(super) file: String,
    pub(super) family: &'static str,
    description: String,
    pub(super) layer: usize,
    /// The shell the file is, by content (`busybox` under any of its names).
    shell: Option<&'static str>,
}

impl Found {
    fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// The names one file goes by (busybox has hundreds of links).
struct Group<'a> {
    first: &'a Found,
    names: Vec<&'a Found>,
}

fn group<'a>(check: &ForbiddenExecutables, found: &'a [Found]) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    for hit in found {
        match groups.iter_mut().find(|g| g.first.file == hit.file) {
            Some(group) => group.names.push(hit),
            None => groups.push(Group { first: hit, names: vec![hit] }),
        }
    }
    for group in &mut groups {
        group.first = leading_name(&group.names);
        // The names that say what the file is (`sh`, `ash`) before its other links (`[`, `ls`).
        group.names.sort_by_key(|f| check.family_of(f.name()).is_none());
    }
    groups
}

/// The name a learner knows the file by: its own (`busybox`, whatever the layer called the file
/// its hard links share), else the file itself, else the first name found.
fn leading_name<'a>(names: &[&'a Found]) -> &'a Found {
    let own_name = names.iter().find(|f| f.shell == Some(f.name()));
    let the_file = names.iter().find(|f| f.path == f.file);
    own_name.or(the_file).copied().unwrap_or(names[0])
}

impl ForbiddenExecutables {
    pub(super) fn family_of(&self, name: &str) -> Option<&'static str> {
        self.families.iter().find(|f| (f.matches)(name)).map(|f| f.name)
    }

    pub(super) fn find(&self, fs: &FileSystem) -> Vec<Found> {
        let mut found = Vec::new();
        for (path, node) in fs.iter() {
            let name = path.rsplit('/').next().unwrap_or(path);
            if let Some(hit) = self.by_name(fs, path, name, node).or_else(|| self.by_content(path, name, node)) {
                found.push(hit);
            }
        }
        found
    }

    /// A file named like one of the families, outside the directories of helper scripts.
    fn by_name(&self, fs: &FileSystem, path: &str, name: &str, node: &Node) -> Option<Found> {
        if NOT_PROGRAMS.iter().any(|dir| path.starts_with(dir)) {
            return None;
        }
        let family = self.family_of(name)?;
        let (file, description, content) = match &node.kind {
            _ if node.is_executable_file() => (node.file_path(path).to_string(), format!("/{path}"), node.content),
            EntryKind::Symlink(_) => {
                let (target, target_node) = fs.resolve(path)?;
                if !target_node.is_executable_file() {
                    return None;
                }
                let description = format!("/{path} → /{target}");
                (target, description, target_node.content)
            }
            _ => return None,
        };
        let shell = match content {
            ContentClass::Shell(shell) => Some(shell),
            _ => None,
        };
        Some(Found { path: path.to_string(), file, family, description, layer: node.layer, shell })
    }

    /// A file whose content is a shell, in any directory, whatever its name and mode.
    fn by_content(&self, path: &str, name: &str, node: &Node) -> Option<Found> {
        let ContentClass::Shell(shell) = node.content else { return None };
        if !self.by_content {
            return None;
        }
        let file = node.file_path(path).to_string();
        let description = format!("/{path} is {shell} under the name `{name}`");
        Some(Found { path: path.to_string(), file, family: self.families.first()?.name, description, layer: node.layer, shell: Some(shell) })
    }
}

/// What a group is, in the learner's words, and how its other names are introduced:
/// `busybox (a shell and 268 other applets) at /bin/busybox` for the multi-call binary under
/// many names, else its leading name and family.
fn what_it_is(group: &Group<'_>, others: usize) -> (String, String) {
    match group.first.shell {
        Some("busybox") if others > 0 => (format!("busybox (a shell and {}) at /{}", count(others, "other applet"), group.first.path), ", linked as".into()),
        _ => (format!("{} ({})", group.first.description, group.first.family), format!("; also as {}:", count(others, "other name"))),
    }
}

fn group_evidence(group: &Group<'_>, input: &Input<'_>) -> Evidence {
    let others: Vec<String> = group.names.iter().filter(|f| f.path != group.first.path).map(|f| format!("/{}", f.path)).collect();
    let (mut message, also) = what_it_is(group, others.len());
    if !others.is_empty() {
        let shown = others.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        let more = if others.len() > 3 { ", …" } else { "" };
        message.push_str(&format!("{also} {shown}{more}"));
    }
    Evidence::from_layer(message, Some(&group.first.path), input.origin(group.first.layer))
}

impl Check for ForbiddenExecutables {
    type Settings = Settings;

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<Settings, String> {
        let settings: Settings = deserialize(table)?;
        match settings.allow.iter().find(|name| !self.families.iter().any(|f| &f.name == name)) {
            Some(unknown) => {
                let known: Vec<&str> = self.families.iter().map(|f| f.name).collect();
                Err(format!("cannot allow `{unknown}`: known names are {}", known.join(", ")))
            }
            None => Ok(settings),
        }
    }

    /// The documentation's lead, then the families this exercise allows (the lead alone, when it
    /// allows none).
    fn asks(&self, settings: &Settings) -> Option<String> {
        if settings.allow.is_empty() {
            return None;
        }
        let allowed: Vec<String> = settings.allow.iter().map(|family| code_span(family)).collect();
        Some(format!("{} Allowed here: {}.", self.meta.lead(), allowed.join(", ")))
    }

    fn judge(&self, input: &Input<'_>, settings: &Settings) -> Outcome {
        let Some(image) = input.image else { return Outcome::skipped("no image") };
        let found: Vec<Found> = self.find(&image.filesystem).into_iter().filter(|f| !settings.allow.iter().any(|a| a == f.family)).collect();
        if found.is_empty() {
            let allowed = if settings.allow.is_empty() { String::new() } else { format!(" (allowed: {})", settings.allow.join(", ")) };
            return Outcome::pass(format!("no {} found{allowed}", self.noun.1));
        }
        let groups = group(self, &found);
        let families: BTreeSet<&str> = found.iter().map(|f| f.family).collect();
        let mut evidence: Vec<Evidence> = groups.iter().take(EVIDENCE_SHOWN).map(|g| group_evidence(g, input)).collect();
        if groups.len() > EVIDENCE_SHOWN {
            evidence.push(Evidence::note(format!("… and {} more", groups.len() - EVIDENCE_SHOWN)));
        }
        let names: Vec<String> = groups.iter().take(4).map(|g| format!("/{}", g.first.path)).collect();
        let more = if groups.len() > 4 { ", …" } else { "" };
        let families = families.into_iter().collect::<Vec<_>>().join(", ");
        let noun = if groups.len() == 1 { self.noun.0 } else { self.noun.1 };
        Outcome::fail(format!("{} {noun} found ({families}): {}{more}", groups.len(), names.join(", ")), evidence, self.hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::LayerEntry;
    use crate::image::{ImageFacts, LayerFacts};

    #[test]
    fn asks_with_the_families_the_exercise_allows() {
        let asks = |check: &ForbiddenExecutables, toml: &str| {
            crate::checks::Settings::parse(check.meta.id.parse().unwrap(), &toml::from_str(toml).unwrap(), &ExerciseDefaults::default()).unwrap().asks()
        };
        assert_eq!(asks(&NO_SHELL, ""), "The final image contains no shell, under its own name or any other.");
        assert_eq!(asks(&NO_SHELL, r#"allow = ["shell"]"#), "The final image contains no shell, under its own name or any other. Allowed here: `shell`.");
        assert_eq!(
            asks(&NO_PACKAGE_MANAGER, r#"allow = ["npm", "pip"]"#),
            "The final image contains no package manager, for the system or for a language. Allowed here: `npm`, `pip`."
        );
    }

    #[test]
    fn busybox_is_named_busybox_whatever_name_its_file_has_in_the_layer() {
        let link = |path: &str| LayerEntry {
            path: path.into(),
            kind: EntryKind::Hardlink("bin/mkdosfs".into()),
            size: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            content: ContentClass::Shell("busybox"),
        };
        let busybox = LayerEntry { path: "bin/mkdosfs".into(), kind: EntryKind::File, size: 1_982_256, ..link("") };
        let entries = vec![link("bin/["), link("bin/acpid"), busybox, link("bin/ash"), link("bin/busybox"), link("bin/ls"), link("bin/sh")];
        let image = ImageFacts::assemble("sha256:test".into(), b"{}", vec![LayerFacts { entries, ..LayerFacts::default() }]).unwrap();
        let outcome = NO_SHELL.judge(&Input { image: Some(&image), ..Input::default() }, &Settings::default());
        assert_eq!(outcome.summary, "1 shell found (shell): /bin/busybox");
        assert_eq!(outcome.evidence[0].message, "busybox (a shell and 6 other applets) at /bin/busybox, linked as /bin/ash, /bin/sh, /bin/[, …");
        assert_eq!(outcome.evidence[0].path.as_deref(), Some("bin/busybox"));
    }

    #[test]
    fn tool_names_match_through_triples_and_versions() {
        assert_eq!(tool_stem("x86_64-linux-gnu-gcc-12"), "gcc");
        assert_eq!(tool_stem("gcc-12"), "gcc");
        assert_eq!(tool_stem("c++"), "c++");
        assert_eq!(tool_stem("x86_64-linux-gnu-ld.bfd"), "ld.bfd");
        assert_eq!(NO_BUILD_TOOLS.family_of("x86_64-linux-gnu-g++-12"), Some("gcc"));
        assert_eq!(NO_BUILD_TOOLS.family_of("gcc-ar-12"), None);
        assert_eq!(NO_PACKAGE_MANAGER.family_of("pip3.11"), Some("pip"));
        assert_eq!(NO_PACKAGE_MANAGER.family_of("pipx"), None);
        assert_eq!(NO_SHELL.family_of("dash"), Some("shell"));
        assert_eq!(NO_SHELL.family_of("bashbug"), None);
    }

    #[test]
    fn a_shell_by_content_counts_in_every_directory_and_mode_a_helper_script_by_name_does_not() {
        let file = |path: &str, mode, content| LayerEntry { path: path.into(), kind: EntryKind::File, size: 1, mode, uid: 0, gid: 0, content };
        let entries = vec![
            file("etc/busybox", 0o755, ContentClass::Shell("busybox")),
            file("usr/share/doc/x/notes", 0o644, ContentClass::Shell("dash")),
            file("etc/cron.daily/dpkg", 0o755, ContentClass::Data),
            file("etc/sh", 0o755, ContentClass::Data),
            file("usr/bin/app", 0o755, ContentClass::Elf),
        ];
        let fs = FileSystem::merge(&[LayerFacts { entries, ..LayerFacts::default() }]);
        let shells: Vec<String> = NO_SHELL.find(&fs).into_iter().map(|found| found.path).collect();
        assert_eq!(shells, ["etc/busybox", "usr/share/doc/x/notes"]);
        assert!(NO_PACKAGE_MANAGER.find(&fs).is_empty(), "/etc/cron.daily/dpkg is a helper script");
    }
}
