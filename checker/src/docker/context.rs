//! The build context: the exercise's files as a tar for the daemon, minus what `.dockerignore`
//! excludes (with Docker's rules), plus the (image-mapped) Dockerfile under a reserved name.
//!
//! What must hold: nothing outside the context directory gets in: a symbolic link that resolves
//! outside it is refused, as is a context bigger than the limit. `.dockerignore` works as Docker's
//! does: `*` stays within a path segment, `**` spans segments, a pattern excludes whatever is under
//! a matching directory, the last matching pattern wins, and `!` patterns bring files back.
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The name the rewritten Dockerfile travels under inside the context.
pub(crate) const DOCKERFILE_NAME: &str = ".shipshape.Dockerfile";

/// Directories never sent (version control, build output of the checker itself).
const SKIPPED: [&str; 2] = [".git", "target"];

/// Packs `dir` and the Dockerfile text into an uncompressed tar, refusing more than `limit` bytes.
pub(crate) fn pack(dir: &Path, dockerfile: &str, limit: u64) -> Result<Vec<u8>> {
    let root = dir
        .canonicalize()
        .map_err(|e| Error::new(format!("cannot read the build context {}", dir.display())).because(e).action("check the exercise folder exists"))?;
    let ignore = DockerIgnore::read(&root)?;
    let mut packer = Packer { root: root.clone(), limit, total: dockerfile.len() as u64, ignore, builder: tar::Builder::new(Vec::new()) };
    packer.builder.follow_symlinks(false);
    packer.add_dir(&root)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    packer.builder.append_data(&mut header, DOCKERFILE_NAME, dockerfile.as_bytes()).map_err(io_error)?;
    packer.builder.into_inner().map_err(io_error)
}

struct Packer {
    root: PathBuf,
    limit: u64,
    total: u64,
    ignore: DockerIgnore,
    builder: tar::Builder<Vec<u8>>,
}

/// The patterns of a `.dockerignore`, in order; `true` marks an exception (`!pattern`).
struct DockerIgnore {
    patterns: Vec<(globset::GlobMatcher, bool)>,
}

impl DockerIgnore {
    fn read(root: &Path) -> Result<DockerIgnore> {
        let text = match std::fs::read_to_string(root.join(".dockerignore")) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_error(e)),
        };
        let mut patterns = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
            let glob = globset::GlobBuilder::new(pattern).literal_separator(true).build().map_err(|e| {
                Error::new(format!("the .dockerignore pattern `{line}` is not valid")).because(e).action("fix or remove that line of .dockerignore")
            })?;
            patterns.push((glob.compile_matcher(), exception));
        }
        Ok(DockerIgnore { patterns })
    }

    /// Whether `relative` (or a directory above it) is excluded: the last pattern matching it
    /// or one of its parents decides.
    fn excludes(&self, relative: &Path) -> bool {
        let mut excluded = false;
        for (pattern, exception) in &self.patterns {
            if relative.ancestors().filter(|p| !p.as_os_str().is_empty()).any(|p| pattern.is_match(p)) {
                excluded = !exception;
            }
        }
        excluded
    }

    /// A directory can be skipped whole when it is excluded and no exception could bring back
    /// anything inside it.
    fn skips_dir(&self, relative: &Path) -> bool {
        self.excludes(relative) && !self.patterns.iter().any(|(_, exception)| *exception)
    }
}

impl Packer {
    fn add_dir(&mut self, dir: &Path) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io_error)?.collect::<std::io::Result<_>>().map_err(io_error)?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name();
            if SKIPPED.iter().any(|s| name == *s) || name == DOCKERFILE_NAME {
                continue;
            }
            let relative = path.strip_prefix(&self.root).expect("walk stays under the root").to_path_buf();
            let kind = entry.file_type().map_err(io_error)?;
            if kind.is_dir() && self.ignore.skips_dir(&relative) || !kind.is_dir() && self.ignore.excludes(&relative) {
                continue;
            }
            if kind.is_symlink() {
                self.refuse_escaping_link(&path, &relative)?;
                self.builder.append_path_with_name(&path, &relative).map_err(io_error)?;
            } else if kind.is_dir() {
                // An excluded directory with exceptions inside is walked, but not sent itself.
                if !self.ignore.excludes(&relative) {
                    self.builder.append_dir(&relative, &path).map_err(io_error)?;
                }
                self.add_dir(&path)?;
            } else if kind.is_file() {
                self.total += entry.metadata().map_err(io_error)?.len();
                if self.total > self.limit {
                    return Err(Error::new(format!("the build context {} is over the {} limit", self.root.display(), crate::units::format_size(self.limit)))
                        .action("remove large files (build output, node_modules, archives) from the exercise folder"));
                }
                self.builder.append_path_with_name(&path, &relative).map_err(io_error)?;
            }
        }
        Ok(())
    }

    fn refuse_escaping_link(&self, path: &Path, relative: &Path) -> Result<()> {
        let inside = path.canonicalize().map(|target| target.starts_with(&self.root)).unwrap_or(true);
        if inside {
            return Ok(());
        }
        Err(Error::new(format!("the symbolic link {} points outside the build context", relative.display()))
            .action("replace it with a copy of the file, or remove it: a submission may only use its own files"))
    }
}

fn io_error(e: std::io::Error) -> Error {
    Error::new("cannot pack the build context").because(e).action("check the exercise folder's files are readable")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("shipshape-context-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/app.js"), "console.log(1)").unwrap();
        dir
    }

    #[test]
    fn packs_files_and_the_dockerfile() {
        let dir = scratch("ok");
        std::os::unix::fs::symlink("src/app.js", dir.join("link.js")).unwrap();
        let tar = pack(&dir, "FROM scratch\n", 1 << 20).unwrap();
        let names: Vec<String> = tar::Archive::new(&tar[..]).entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
        assert_eq!(names, ["link.js", "src", "src/app.js", DOCKERFILE_NAME]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn dockerignore_works_as_dockers_does() {
        let dir = scratch("ignore");
        for file in ["secret.env", "src/keep.js", "src/deep/x.log", "logs/a.log", "logs/keep.log", "node_modules/m/index.js"] {
            std::fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
            std::fs::write(dir.join(file), "x").unwrap();
        }
        std::fs::write(dir.join(".dockerignore"), "# comment\n*.env\n**/*.log\n!logs/keep.log\n/node_modules\n").unwrap();
        let tar = pack(&dir, "FROM scratch\n", 1 << 20).unwrap();
        let mut names: Vec<String> = tar::Archive::new(&tar[..]).entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
        names.sort();
        assert_eq!(names, [".dockerignore", DOCKERFILE_NAME, "logs", "logs/keep.log", "src", "src/app.js", "src/deep", "src/keep.js"]);
        std::fs::write(dir.join(".dockerignore"), "[unclosed\n").unwrap();
        assert!(pack(&dir, "FROM scratch\n", 1 << 20).unwrap_err().to_string().contains(".dockerignore"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn refuses_links_out_and_oversized_contexts() {
        let dir = scratch("bad");
        std::os::unix::fs::symlink("/etc/passwd", dir.join("steal")).unwrap();
        assert!(pack(&dir, "FROM scratch\n", 1 << 20).unwrap_err().to_string().contains("outside the build context"));
        std::fs::remove_file(dir.join("steal")).unwrap();
        assert!(pack(&dir, "FROM scratch\n", 10).unwrap_err().to_string().contains("over the"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
