//! Submissions: one folder per student. A submission is graded on a clean copy of the exercise
//! with only the spec's `learner-files` laid over it from the student's folder.
//!
//! What must hold: nothing else of a submission reaches the build (not its spec, not its tests);
//! nothing of the reference solution is in the copy (the whole folder that holds the spec's
//! `solution` stays out: whatever only the reference uses lives there); a symbolic link in a
//! submission is refused when it leaves the submission or points at anything but the student's
//! own learner files, and links are copied as links, never followed; only regular files are read,
//! their size checked first ([`files`]), so discovery never blocks or reads without bound; each
//! student is known by an id that no other folder name can give ([`escape::student_id`]); a
//! submission's problem is an [`Error`] for that student alone.
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use super::files::{self, copy_regular};
use crate::error::{Error, Result};
use crate::escape;
use crate::exercise::Exercise;

/// Folders never copied or fingerprinted (version control, build output).
const SKIPPED: [&str; 2] = [".git", "target"];

/// One student's folder.
#[derive(Debug, Clone)]
pub(crate) struct Submission {
    /// The folder's name as an id ([`escape::student_id`]): the student's name in every output and
    /// the student's folder in the out-dir.
    pub student: String,
    pub dir: PathBuf,
    /// The student's Dockerfile (it may be missing: that is the student's error).
    pub dockerfile: PathBuf,
    /// Hex SHA-256 of the exercise, the learner files and `extra` (the image map).
    pub fingerprint: String,
}

/// The spec's learner files as relative paths; anything else (absolute, `..`) is the spec's error.
pub(crate) fn learner_paths(exercise: &Exercise) -> Result<Vec<PathBuf>> {
    exercise
        .spec
        .exercise
        .learner_files
        .iter()
        .map(|file| {
            let path = Path::new(file);
            let plain = path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
            let path = normal(path);
            if plain && !path.as_os_str().is_empty() {
                Ok(path)
            } else {
                Err(Error::new(format!("learner-files entry `{file}` is not a path inside the exercise"))
                    .action("list paths relative to the exercise folder, without `..`, in [exercise] learner-files"))
            }
        })
        .collect()
}

/// `path` without its `.` components.
fn normal(path: &Path) -> PathBuf {
    path.components().filter(|c| !matches!(c, Component::CurDir)).collect()
}

/// Every student folder in `root`, by name. Hidden entries, plain files and `skip` (the out-dir,
/// when it lies inside) are not submissions. Learner files over `limit` bytes, and anything but
/// regular files, are fingerprinted by what they are, never read.
pub(crate) fn discover(root: &Path, exercise: &Exercise, learner: &[PathBuf], extra: &[u8], skip: Option<&Path>, limit: u64) -> Result<Vec<Submission>> {
    let unreadable = |e: io::Error| {
        Error::new(format!("cannot read the submissions folder {}", root.display())).because(e).action("pass a folder that holds one subfolder per student")
    };
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(root).map_err(unreadable)?.collect::<io::Result<_>>().map_err(unreadable)?;
    entries.sort_by_key(|e| e.file_name());
    let skip = skip.and_then(|s| s.canonicalize().ok());
    let exercise_hash =
        tree_hash(&exercise.dir, u64::MAX).map_err(|e| Error::new(format!("cannot read the exercise {}", exercise.dir.display())).because(e))?;
    let mut submissions = Vec::new();
    for entry in entries {
        let dir = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir() || t.is_symlink());
        if entry.file_name().as_bytes().starts_with(b".") || !is_dir || skip.is_some() && dir.canonicalize().ok() == skip {
            continue;
        }
        let mut hasher = Sha256::new();
        hasher.update(&exercise_hash);
        hasher.update(extra);
        if dir.is_symlink() {
            // Refused when graded: its target is never read.
            hash_entry(&mut hasher, root, Path::new(&entry.file_name()), limit);
        } else {
            for path in learner {
                hash_entry(&mut hasher, &dir, path, limit);
            }
        }
        let fingerprint = format!("{:x}", hasher.finalize());
        let dockerfile = dir.join(&exercise.spec.exercise.dockerfile);
        submissions.push(Submission { student: escape::student_id(&entry.file_name()), dir, dockerfile, fingerprint });
    }
    Ok(submissions)
}

impl Submission {
    /// The student's Dockerfile as outputs show it: under the student's id, not the raw name.
    pub(crate) fn shown_dockerfile(&self) -> String {
        let root = self.dir.parent().unwrap_or(Path::new(""));
        let inside = self.dockerfile.strip_prefix(&self.dir).unwrap_or(Path::new("Dockerfile"));
        root.join(&self.student).join(inside).display().to_string()
    }
}

/// A clean copy of the exercise with one student's learner files over it; removed on drop.
pub(crate) struct Overlay {
    _dir: TempDir,
    /// The copy, with the instructor's spec.
    pub exercise: Exercise,
}

impl Overlay {
    /// Lays `submission` over a copy of `exercise`. Learner files bigger than `limit` bytes in all
    /// are refused before they are copied.
    pub(crate) fn new(exercise: &Exercise, submission: &Submission, learner: &[PathBuf], limit: u64) -> Result<Overlay> {
        let dir = tempfile::Builder::new().prefix("shipshape-grade-").tempdir().map_err(|e| copy_error(&exercise.dir, e))?;
        copy_exercise(&exercise.dir, dir.path(), Path::new(""), &reference(exercise)).map_err(|e| copy_error(&exercise.dir, e))?;
        if submission.dir.is_symlink() {
            return Err(Error::new(format!("the submission {} is a symbolic link", submission.dir.display()))
                .action("hand in a real folder: a submission may only use its own files"));
        }
        let mut layer = Layer { root: &submission.dir, target: dir.path(), learner, copied: 0, limit };
        let dockerfile = normal(Path::new(&exercise.spec.exercise.dockerfile));
        for path in learner {
            layer.lay(path, *path == dockerfile)?;
        }
        let exercise = Exercise { dir: dir.path().to_path_buf(), name: exercise.name.clone(), spec: exercise.spec.clone() };
        Ok(Overlay { _dir: dir, exercise })
    }

    /// The Dockerfile to build: the student's, in the copy.
    pub(crate) fn dockerfile(&self) -> PathBuf {
        self.exercise.dockerfile(false)
    }
}

/// What the grading copy leaves out as the reference's: the folder that holds the spec's
/// `solution` (`solution/` by default), which holds everything only the reference uses; the
/// solution file alone when it lies at the top of the exercise.
fn reference(exercise: &Exercise) -> PathBuf {
    let solution = normal(Path::new(&exercise.spec.exercise.solution));
    let mut top = solution.components();
    match (top.next(), top.next()) {
        (Some(folder), Some(_)) => PathBuf::from(folder.as_os_str()),
        _ => solution,
    }
}

fn copy_error(dir: &Path, cause: io::Error) -> Error {
    Error::new(format!("cannot make a grading copy of {}", dir.display()))
        .because(cause)
        .action("check the exercise folder is readable and the temporary folder has space")
}

/// Copies the instructor's tree as it is (links as links), without `reference`.
fn copy_exercise(from: &Path, to: &Path, relative: &Path, reference: &Path) -> io::Result<()> {
    for entry in sorted_entries(&from.join(relative))? {
        let name = entry.file_name();
        let path = relative.join(&name);
        if SKIPPED.iter().any(|s| name == *s) || path == reference {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path())?, to.join(&path))?;
        } else if kind.is_dir() {
            fs::create_dir(to.join(&path))?;
            copy_exercise(from, to, &path, reference)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), to.join(&path))?;
        }
    }
    Ok(())
}

/// Lays a student's learner files into the grading copy.
struct Layer<'a> {
    root: &'a Path,
    target: &'a Path,
    learner: &'a [PathBuf],
    copied: u64,
    limit: u64,
}

impl Layer<'_> {
    /// Lays learner path `path`; a missing one keeps the exercise's copy, unless it is the
    /// Dockerfile.
    fn lay(&mut self, path: &Path, is_dockerfile: bool) -> Result<()> {
        self.refuse_linked_folders(path)?;
        let source = self.root.join(path);
        let Ok(meta) = fs::symlink_metadata(&source) else {
            if is_dockerfile {
                return Err(
                    Error::new(format!("the submission has no {}", path.display())).action("hand in the Dockerfile at the top of the submission folder")
                );
            }
            return Ok(());
        };
        let target = self.target.join(path);
        if let Ok(existing) = fs::symlink_metadata(&target) {
            let removed = if existing.is_dir() { fs::remove_dir_all(&target) } else { fs::remove_file(&target) };
            removed.map_err(|e| self.io(path, e))?;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| self.io(path, e))?;
        }
        self.copy(path, &meta)
    }

    fn copy(&mut self, path: &Path, meta: &fs::Metadata) -> Result<()> {
        let (source, target) = (self.root.join(path), self.target.join(path));
        if meta.is_symlink() {
            let link = self.allowed_link(path)?;
            return std::os::unix::fs::symlink(link, &target).map_err(|e| self.io(path, e));
        }
        if meta.is_dir() {
            fs::create_dir(&target).map_err(|e| self.io(path, e))?;
            for entry in sorted_entries(&source).map_err(|e| self.io(path, e))? {
                let child = path.join(entry.file_name());
                let meta = fs::symlink_metadata(entry.path()).map_err(|e| self.io(&child, e))?;
                self.copy(&child, &meta)?;
            }
            return Ok(());
        }
        let left = self.limit - self.copied;
        let mut written = fs::OpenOptions::new().write(true).create_new(true).open(&target).map_err(|e| self.io(path, e))?;
        let copied = copy_regular(&source, left, &mut written).map_err(|refusal| self.refused(path, &refusal))?;
        self.copied += copied.len();
        fs::set_permissions(&target, copied.permissions()).map_err(|e| self.io(path, e))
    }

    /// A learner file that is not a regular file, or is over what is left of the limit.
    fn refused(&self, path: &Path, refusal: &files::Refusal) -> Error {
        match refusal {
            files::Refusal::TooBig { size, .. } => Error::new(format!(
                "the submission's learner files are over the {} limit: {} is {}",
                crate::units::format_size(self.limit),
                path.display(),
                crate::units::format_size(*size)
            ))
            .action("remove large files (build output, archives) from the submission"),
            _ => Error::new(format!("{} in the submission {refusal}", path.display())).action("hand in plain files and folders"),
        }
    }

    /// A learner path's folders must be real folders: a linked folder would be followed.
    fn refuse_linked_folders(&self, path: &Path) -> Result<()> {
        let mut folder = PathBuf::new();
        for component in path.parent().into_iter().flat_map(Path::components) {
            folder.push(component);
            if self.root.join(&folder).is_symlink() {
                return Err(Error::new(format!("{} in the submission is a symbolic link", folder.display()))
                    .action("hand in a real folder: a submission may only use its own files"));
            }
        }
        Ok(())
    }

    /// The text of the link at `path`, if it may be copied: relative, and resolving inside the
    /// submission to one of the student's own learner files (else, in the grading copy, it would
    /// reach the instructor's files).
    fn allowed_link(&self, path: &Path) -> Result<PathBuf> {
        let link = fs::read_link(self.root.join(path)).map_err(|e| self.io(path, e))?;
        let refuse = |why: &str| {
            Err(Error::new(format!("the symbolic link {} {why}", path.display()))
                .action("replace it with a copy of the file: a submission may only use its own files"))
        };
        let Some(resolved) = resolve(path.parent().unwrap_or(Path::new("")), &link) else { return refuse("points outside the submission") };
        if link.is_absolute() {
            return refuse("points outside the submission");
        }
        let canonical_root = self.root.canonicalize().map_err(|e| self.io(path, e))?;
        if self.root.join(path).canonicalize().is_ok_and(|real| !real.starts_with(&canonical_root)) {
            return refuse("points outside the submission");
        }
        if !self.learner.iter().any(|l| resolved.starts_with(l)) {
            return refuse(&format!("points to {}, which is not one of the files a learner hands in", resolved.display()));
        }
        Ok(link)
    }

    fn io(&self, path: &Path, cause: io::Error) -> Error {
        Error::new(format!("cannot copy {} from the submission", path.display())).because(cause).action("check the submission's files are readable")
    }
}

/// `link` read from folder `from` (both relative to a root), lexically; None when it climbs out.
fn resolve(from: &Path, link: &Path) -> Option<PathBuf> {
    let mut resolved = PathBuf::new();
    for component in from.join(link).components() {
        match component {
            Component::Normal(part) => resolved.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !resolved.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(resolved)
}

fn sorted_entries(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)?.collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    Ok(entries)
}

/// SHA-256 over a tree: every entry's path, kind and content (a link's text, never its target).
fn tree_hash(root: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut hasher = Sha256::new();
    for entry in sorted_entries(root)? {
        let name = entry.file_name();
        if !SKIPPED.iter().any(|s| name == *s) {
            hash_entry(&mut hasher, root, Path::new(&name), limit);
        }
    }
    Ok(hasher.finalize().to_vec())
}

/// Feeds one entry (file content, link text, folder listing, or "missing") to `hasher`, names as
/// their bytes. A file [`files::open_regular`] refuses (over `limit` bytes, a FIFO, a device, a
/// socket) is fed as the refusal, unread.
fn hash_entry(hasher: &mut Sha256, root: &Path, path: &Path, limit: u64) {
    let full = root.join(path);
    hasher.update(path.as_os_str().as_bytes());
    hasher.update([0]);
    match fs::symlink_metadata(&full) {
        Ok(meta) if meta.is_symlink() => {
            hasher.update(b"link\0");
            hasher.update(fs::read_link(&full).unwrap_or_default().as_os_str().as_bytes());
        }
        Ok(meta) if meta.is_dir() => {
            hasher.update(b"dir\0");
            hasher.update(tree_hash(&full, limit).unwrap_or_default());
        }
        Ok(_) => {
            hasher.update(b"file\0");
            if let Err(refusal) = copy_regular(&full, limit, hasher) {
                hasher.update(format!("\0refused: {refusal}").as_bytes());
            }
        }
        Err(_) => hasher.update(b"missing\0"),
    }
    hasher.update([0]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(dir: &Path, path: &str, text: &str) {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn exercise(dir: &Path, learner: &str) -> Exercise {
        write(dir, "exercise.toml", &format!("[exercise]\nlearner-files = {learner}\n[checks.builds]\n"));
        write(dir, "Dockerfile", "FROM starter\n");
        write(dir, "app.txt", "instructor app\n");
        write(dir, "solution/Dockerfile", "FROM solution\n");
        write(dir, "solution/package.json", "{\"reference\": true}\n");
        Exercise::open(dir).unwrap()
    }

    fn overlay(exercise: &Exercise, student: &Path) -> Result<Overlay> {
        let learner = learner_paths(exercise).unwrap();
        let submission = discover(student.parent().unwrap(), exercise, &learner, b"", None, 1 << 20).unwrap().into_iter().find(|s| s.dir == student).unwrap();
        Overlay::new(exercise, &submission, &learner, 1 << 20)
    }

    #[test]
    fn only_learner_files_come_from_the_submission() {
        let (ex, class) = (TempDir::new().unwrap(), TempDir::new().unwrap());
        let exercise = exercise(ex.path(), r#"["Dockerfile", "conf/"]"#);
        let alice = class.path().join("alice");
        write(&alice, "Dockerfile", "FROM alice\n");
        write(&alice, "exercise.toml", "[checks.size]\nmax = \"100 TB\"\n");
        write(&alice, "app.txt", "alice's app\n");
        write(&alice, "conf/a.conf", "a\n");
        symlink("a.conf", alice.join("conf/b.conf")).unwrap();
        let copy = overlay(&exercise, &alice).unwrap();
        let read = |p: &str| fs::read_to_string(copy.exercise.dir.join(p)).unwrap();
        assert_eq!(read("Dockerfile"), "FROM alice\n");
        assert_eq!(read("app.txt"), "instructor app\n");
        assert!(read("exercise.toml").contains("learner-files"));
        assert_eq!(read("conf/b.conf"), "a\n");
        assert!(copy.exercise.dir.join("conf/b.conf").is_symlink());
        assert!(!copy.exercise.dir.join("solution").exists(), "the whole reference stays out");
    }

    #[test]
    fn the_reference_is_its_folder_or_a_file_at_the_top() {
        let ex = TempDir::new().unwrap();
        let mut exercise = exercise(ex.path(), r#"["Dockerfile"]"#);
        assert_eq!(reference(&exercise), Path::new("solution"));
        exercise.spec.exercise.solution = "./reference/deep/Dockerfile".into();
        assert_eq!(reference(&exercise), Path::new("reference"));
        exercise.spec.exercise.solution = "Dockerfile.solution".into();
        assert_eq!(reference(&exercise), Path::new("Dockerfile.solution"));
    }

    /// The error grading `student` in `class` gives, within a second (nothing blocks).
    fn refused(exercise: &Exercise, class: &Path, student: &str) -> String {
        let started = std::time::Instant::now();
        let message = overlay(exercise, &class.join(student)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{student} took {:?}", started.elapsed());
        message
    }

    #[test]
    fn only_regular_files_are_read_and_within_the_limit() {
        let (ex, class) = (TempDir::new().unwrap(), TempDir::new().unwrap());
        let exercise = exercise(ex.path(), r#"["Dockerfile", "conf/"]"#);
        let folder = |student: &str| {
            let dir = class.path().join(student);
            fs::create_dir_all(&dir).unwrap();
            dir
        };
        let fifo = folder("fifo").join("Dockerfile");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let _socket = std::os::unix::net::UnixListener::bind(folder("socket").join("Dockerfile")).unwrap();
        fs::File::create(folder("sparse").join("Dockerfile")).unwrap().set_len(3_000_000_000).unwrap();
        write(&folder("nested"), "Dockerfile", "FROM x\n");
        write(&folder("nested"), "conf/a.conf", "a\n");
        assert!(std::process::Command::new("mkfifo").arg(folder("nested").join("conf/pipe")).status().unwrap().success());
        let device = std::process::Command::new("mknod").arg(folder("zero").join("Dockerfile")).args(["c", "1", "5"]).status().is_ok_and(|s| s.success());

        let started = std::time::Instant::now();
        let learner = learner_paths(&exercise).unwrap();
        let found = discover(class.path(), &exercise, &learner, b"", None, 1 << 20).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "discovery read what it must not: {:?}", started.elapsed());
        assert_eq!(found.len(), 4 + usize::from(device));

        assert_eq!(
            refused(&exercise, class.path(), "fifo"),
            "error: Dockerfile in the submission is a FIFO (named pipe), not a regular file\nhand in plain files and folders"
        );
        assert!(refused(&exercise, class.path(), "socket").contains("Dockerfile in the submission is a socket, not a regular file"));
        assert!(refused(&exercise, class.path(), "sparse").contains("the submission's learner files are over the 1 MB limit: Dockerfile is 3 GB"));
        assert!(refused(&exercise, class.path(), "nested").contains("conf/pipe in the submission is a FIFO (named pipe), not a regular file"));
        if device {
            assert!(refused(&exercise, class.path(), "zero").contains("Dockerfile in the submission is a character device, not a regular file"));
        }
    }

    #[test]
    fn folder_names_that_differ_only_in_invalid_utf8_stay_apart() {
        use std::ffi::OsStr;
        let (ex, class) = (TempDir::new().unwrap(), TempDir::new().unwrap());
        let exercise = exercise(ex.path(), r#"["Dockerfile"]"#);
        for (name, from) in
            [(&b"caf\xe9"[..], "FROM e9\n"), (&b"caf\xe8"[..], "FROM e8\n"), (&b"caf%E9"[..], "FROM percent\n"), (&b"bob\n\x1b[31m"[..], "FROM bob\n")]
        {
            write(&class.path().join(OsStr::from_bytes(name)), "Dockerfile", from);
        }
        let learner = learner_paths(&exercise).unwrap();
        let found = discover(class.path(), &exercise, &learner, b"", None, 1 << 20).unwrap();
        let students: Vec<&str> = found.iter().map(|s| s.student.as_str()).collect();
        assert_eq!(students, ["bob%0A%1B[31m", "caf%25E9", "caf%E8", "caf%E9"]);
        let e9 = found.iter().find(|s| s.student == "caf%E9").unwrap();
        assert_eq!(fs::read_to_string(&e9.dockerfile).unwrap(), "FROM e9\n", "the id names the folder it came from");
        assert_eq!(e9.shown_dockerfile(), format!("{}/caf%E9/Dockerfile", class.path().display()));
        let prints: std::collections::BTreeSet<&str> = found.iter().map(|s| s.fingerprint.as_str()).collect();
        assert_eq!(prints.len(), 4);
    }

    #[test]
    fn escaping_links_and_missing_dockerfiles_are_the_students_errors() {
        let (ex, class) = (TempDir::new().unwrap(), TempDir::new().unwrap());
        let exercise = exercise(ex.path(), r#"["Dockerfile", "notes.txt"]"#);
        let message = |student: &str| overlay(&exercise, &class.path().join(student)).err().map(|e| e.to_string()).unwrap_or_default();
        write(&class.path().join("bob"), "Dockerfile.real", "FROM x\n");
        symlink("../alice/Dockerfile", class.path().join("bob/Dockerfile")).unwrap();
        assert!(message("bob").contains("the symbolic link Dockerfile points outside the submission"), "{}", message("bob"));
        write(&class.path().join("carol"), "Dockerfile", "FROM x\n");
        symlink("/etc/passwd", class.path().join("carol/notes.txt")).unwrap();
        assert!(message("carol").contains("points outside"), "{}", message("carol"));
        write(&class.path().join("dave"), "notes.txt", "hi\n");
        symlink("solution/Dockerfile", class.path().join("dave/Dockerfile")).unwrap();
        assert!(message("dave").contains("not one of the files a learner hands in"), "{}", message("dave"));
        write(&class.path().join("erin"), "README", "no Dockerfile\n");
        assert!(message("erin").contains("the submission has no Dockerfile"), "{}", message("erin"));
        write(&class.path().join("frank"), "Dockerfile", "FROM x\n");
        symlink("Dockerfile", class.path().join("frank/notes.txt")).unwrap();
        assert!(overlay(&exercise, &class.path().join("frank")).is_ok(), "a link to the student's own learner file is fine");
    }

    #[test]
    fn fingerprints_change_with_the_learner_files_only() {
        let (ex, class) = (TempDir::new().unwrap(), TempDir::new().unwrap());
        let exercise = exercise(ex.path(), r#"["Dockerfile"]"#);
        write(&class.path().join("alice"), "Dockerfile", "FROM a\n");
        let learner = learner_paths(&exercise).unwrap();
        let print = || discover(class.path(), &exercise, &learner, b"", None, 1 << 20).unwrap()[0].fingerprint.clone();
        let first = print();
        write(&class.path().join("alice"), "other.txt", "ignored\n");
        assert_eq!(print(), first);
        write(&class.path().join("alice"), "Dockerfile", "FROM b\n");
        assert_ne!(print(), first);
        write(ex.path(), "app.txt", "changed\n");
        assert_ne!(print(), first);
    }

    #[test]
    fn learner_paths_stay_inside() {
        let ex = TempDir::new().unwrap();
        assert!(learner_paths(&exercise(ex.path(), r#"["../x"]"#)).is_err());
        assert!(learner_paths(&exercise(ex.path(), r#"["/etc/passwd"]"#)).is_err());
        assert!(learner_paths(&exercise(ex.path(), r#"["."]"#)).is_err());
        assert_eq!(learner_paths(&exercise(ex.path(), r#"["./Dockerfile", "src/"]"#)).unwrap().len(), 2);
    }
}
