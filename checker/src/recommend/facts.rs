//! What `recommend` knows about one base image, as plain data: its names, size, findings by
//! severity (and how many have a fix), whether it has a shell or a package manager (by the
//! `no-shell` and `no-package-manager` checks' own judgement), its C library, default user,
//! language runtimes and support window.
//!
//! What must hold: every fact comes from the image's facts, its scan and the checks' verdicts,
//! read once; a runtime is an executable file by its name (`node`, `python3.11`, `nginx`,
//! `java`), followed through links; the C library is told by the dynamic loader the image holds.
use chrono::NaiveDate;
use serde::Serialize;

use crate::checks::{CheckId, Status};
use crate::image::{EntryKind, ImageFacts};
use crate::pipeline::Judgement;
use crate::scan::cvss::Severity;
use crate::support::Window;

/// One candidate base (or the image itself, when its base is none of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct BaseFacts {
    /// The name a learner writes in `FROM`: a public reference the image map sends to it, else
    /// its local name.
    pub name: String,
    /// Every name this machine has for it (the image map's targets, the registry's references).
    pub local: Vec<String>,
    /// The public references the image map sends to it.
    pub public: Vec<String>,
    /// Bytes, as `docker image inspect` counts them.
    pub size: u64,
    pub findings: Findings,
    pub shell: bool,
    pub package_manager: bool,
    pub libc: Libc,
    /// The user a container runs as; empty is root.
    pub user: String,
    pub runtimes: Vec<Runtime>,
    /// What a container runs by default: the entrypoint, then the command.
    pub command: Vec<String>,
    pub support: Option<Support>,
    /// The layers' diff ids, base first.
    #[serde(skip)]
    pub diff_ids: Vec<String>,
}

/// Findings of one severity: how many, and how many have a fixed version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Count {
    pub total: usize,
    pub fixable: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Findings {
    pub critical: Count,
    pub high: Count,
    pub medium: Count,
    pub low: Count,
    pub unknown: Count,
}

impl Findings {
    fn add(&mut self, severity: Severity, fixable: bool) {
        let count = match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Unknown => &mut self.unknown,
        };
        count.total += 1;
        count.fixable += usize::from(fixable);
    }

    pub(crate) fn total(&self) -> usize {
        self.all().iter().map(|c| c.total).sum()
    }

    pub(crate) fn fixable(&self) -> usize {
        self.all().iter().map(|c| c.fixable).sum()
    }

    /// The totals from critical down: what the ranking compares.
    pub(crate) fn weight(&self) -> [usize; 5] {
        self.all().map(|c| c.total)
    }

    fn all(&self) -> [Count; 5] {
        [self.critical, self.high, self.medium, self.low, self.unknown]
    }
}

/// The C library programs in the image link against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Libc {
    Glibc,
    Musl,
    /// No dynamic loader: only static programs run.
    None,
}

impl Libc {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
            Libc::None => "none",
        }
    }
}

/// A language runtime or server the image carries, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Runtime {
    /// `node`, `python3`, `nginx`, `java`.
    pub name: String,
    /// The first path it was found at (`/usr/local/bin/node`).
    pub path: String,
}

/// The image's support window on the day of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Support {
    pub until: NaiveDate,
    /// `Node.js 20 ended 2026-04-30`.
    pub summary: String,
    pub ended: bool,
    pub estimated: bool,
}

impl Support {
    pub(crate) fn of(window: &Window<'_>, today: NaiveDate) -> Support {
        Support { until: window.until(), summary: window.describe(today), ended: window.until() < today, estimated: window.first_to_end().estimated }
    }
}

/// Whether an executable's file name is a runtime's.
type FileNameMatches = fn(&str) -> bool;

/// The runtimes `recommend` looks for, by the names of their executables.
const RUNTIMES: [(&str, FileNameMatches); 4] = [
    ("node", |name| name == "node"),
    ("python3", |name| name == "python3" || name.strip_prefix("python3.").is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))),
    ("nginx", |name| name == "nginx"),
    ("java", |name| name == "java"),
];

impl BaseFacts {
    /// The facts of a judged image (scanned, with the `no-shell` and `no-package-manager`
    /// verdicts) known by `local` names and `public` references.
    pub(crate) fn of(judgement: &Judgement, local: Vec<String>, public: Vec<String>, support: Option<Support>) -> Option<BaseFacts> {
        let image = judgement.image.as_ref()?;
        let mut findings = Findings::default();
        for finding in judgement.scan.iter().flat_map(|scan| &scan.findings) {
            findings.add(finding.severity, finding.fixed.is_some());
        }
        let failed = |id: CheckId| judgement.verdicts.iter().any(|v| v.id == id && v.outcome.status == Status::Fail);
        let name = public.iter().max_by_key(|p| p.len()).or(local.first()).cloned().unwrap_or_else(|| image.id.clone());
        Some(BaseFacts {
            name,
            local,
            public,
            size: image.size(),
            findings,
            shell: failed(CheckId::NoShell),
            package_manager: failed(CheckId::NoPackageManager),
            libc: libc(image),
            user: image.config.user.clone(),
            runtimes: runtimes(image),
            command: image.config.entrypoint.iter().chain(&image.config.cmd).cloned().collect(),
            support,
            diff_ids: image.config.diff_ids.clone(),
        })
    }

    /// The user, as the learner reads it.
    pub(crate) fn user_shown(&self) -> &str {
        if self.user.is_empty() {
            "root"
        } else {
            &self.user
        }
    }

    pub(crate) fn runtime(&self, name: &str) -> Option<&Runtime> {
        self.runtimes.iter().find(|r| r.name == name)
    }

    /// Its runtimes that `words` (a command) start or name, by their file names.
    pub(crate) fn runtimes_named<'a>(&'a self, words: &[String]) -> Vec<&'a Runtime> {
        let named: Vec<&str> = words.iter().filter_map(|word| runtime_called(word.rsplit('/').next().unwrap_or(word))).collect();
        self.runtimes.iter().filter(|r| named.contains(&r.name.as_str())).collect()
    }
}

/// The runtime an executable's file name is (`python3.11` → `python3`).
fn runtime_called(name: &str) -> Option<&'static str> {
    RUNTIMES.iter().find(|(_, matches)| matches(name)).map(|(runtime, _)| *runtime)
}

/// glibc's loader is `ld-linux*.so.*`, musl's `ld-musl-*.so.1` (wherever a merged `/usr` puts
/// it); without either, nothing dynamically linked can run.
fn libc(image: &ImageFacts) -> Libc {
    let names = image.filesystem.iter().filter(|(path, _)| path.contains("lib")).filter_map(|(path, _)| path.rsplit('/').next());
    let mut found = Libc::None;
    for name in names {
        if name.starts_with("ld-musl-") {
            return Libc::Musl;
        }
        if name.starts_with("ld-linux") {
            found = Libc::Glibc;
        }
    }
    found
}

/// Each runtime of [`RUNTIMES`] at the first path (in path order) whose name matches and that is
/// an executable file or a link to one.
fn runtimes(image: &ImageFacts) -> Vec<Runtime> {
    let fs = &image.filesystem;
    RUNTIMES
        .iter()
        .filter_map(|(runtime, matches)| {
            let path = fs.iter().find(|(path, node)| {
                let name = path.rsplit('/').next().unwrap_or(path);
                let executable = match node.kind {
                    EntryKind::Symlink(_) => fs.resolve(path).is_some_and(|(_, target)| target.is_executable_file()),
                    _ => node.is_executable_file(),
                };
                matches(name) && executable && !path.starts_with("usr/share/") && !path.starts_with("etc/")
            })?;
            Some(Runtime { name: (*runtime).to_string(), path: format!("/{}", path.0) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::{LayerEntry, LayerFacts};
    use crate::image::ContentClass;

    fn entry(path: &str, kind: EntryKind, mode: u32) -> LayerEntry {
        LayerEntry { path: path.into(), kind, size: 1, mode, uid: 0, gid: 0, content: ContentClass::Data }
    }

    fn image(entries: Vec<LayerEntry>) -> ImageFacts {
        let config = br#"{"config":{"User":"65532"},"rootfs":{"diff_ids":["sha256:a"]},"history":[{"created_by":"x"}]}"#;
        ImageFacts::assemble("sha256:i".into(), config, vec![LayerFacts { entries, ..LayerFacts::default() }]).unwrap()
    }

    #[test]
    fn runtimes_and_libc_come_from_the_files() {
        let distroless = image(vec![
            entry("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", EntryKind::File, 0o755),
            entry("nodejs/bin/node", EntryKind::File, 0o755),
            entry("usr/bin/python3", EntryKind::Symlink("python3.11".into()), 0o777),
            entry("usr/bin/python3.11", EntryKind::File, 0o755),
            entry("usr/share/doc/nginx", EntryKind::File, 0o644),
        ]);
        assert_eq!(libc(&distroless), Libc::Glibc);
        let found = runtimes(&distroless);
        let found: Vec<(&str, &str)> = found.iter().map(|r| (r.name.as_str(), r.path.as_str())).collect();
        assert_eq!(found, [("node", "/nodejs/bin/node"), ("python3", "/usr/bin/python3")]);
        assert_eq!(libc(&image(vec![entry("lib/ld-musl-x86_64.so.1", EntryKind::File, 0o755)])), Libc::Musl);
        assert_eq!(libc(&image(vec![entry("app", EntryKind::File, 0o755)])), Libc::None);
    }

    #[test]
    fn a_command_names_its_runtime_by_file_name() {
        let runtimes = vec![Runtime { name: "node".into(), path: "/usr/bin/node".into() }, Runtime { name: "python3".into(), path: "/usr/bin/python3".into() }];
        let base = BaseFacts { runtimes, ..crate::recommend::rank::tests::plain("node") };
        let named =
            |words: &[&str]| base.runtimes_named(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>()).iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(named(&["node", "dist/server.js"]), ["node"]);
        assert_eq!(named(&["/usr/bin/python3.11", "-m", "app"]), ["python3"]);
        assert!(named(&["/app"]).is_empty());
    }

    #[test]
    fn findings_count_by_severity_and_fix() {
        let mut findings = Findings::default();
        findings.add(Severity::High, true);
        findings.add(Severity::High, false);
        findings.add(Severity::Low, false);
        assert_eq!(findings.high, Count { total: 2, fixable: 1 });
        assert_eq!((findings.total(), findings.fixable()), (3, 1));
        assert_eq!(findings.weight(), [0, 2, 0, 1, 0]);
    }
}
