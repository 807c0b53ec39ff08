//! The course a learner works through: the folder that holds `exercises/`, and its exercises in
//! order. `list`, `hint`, `watch` and `doctor` find it here, and `check` uses it to find an
//! exercise named by number or name, and to tell whether the exercise it judged belongs to a
//! course (so its result counts as progress).
//!
//! What must hold: an exercise is a folder directly under `<root>/exercises` that has an
//! `exercise.toml`; exercises come in their folder names' order; `root` is canonical, so the
//! course found from the current folder and the one found from an exercise folder are the same.
//! `check`, `hint` and `watch` name exercises the same way ([`Course::exercise`]); `check` also
//! judges any folder it is given, in a course or not.
use std::path::{Path, PathBuf};

use crate::dockerfile::image_map::ImageMap;
use crate::error::{Context, Error, Result};
use crate::exercise::{Exercise, SPEC_FILE};

/// The folder, under a course's root, that holds one folder per exercise.
pub(crate) const EXERCISES_DIR: &str = "exercises";
/// This machine's image map for the course, under its root (`scripts/setup` links it to the
/// stand-ins' map): what the learner's commands use when neither `--image-map` nor
/// `$SHIPSHAPE_IMAGE_MAP` names one.
pub(crate) const LOCAL_IMAGE_MAP: &str = ".shipshape/image-map.toml";
/// The course's own vulnerability database (OSV records), under its root.
pub(crate) const COURSE_DATABASE: &str = "tests/vulndb";

/// `--course DIR`, shared by the learner's commands.
#[derive(clap::Args)]
pub(crate) struct CourseArg {
    /// The course folder (the one holding exercises/); default: the nearest one at or above the
    /// current folder.
    #[arg(long = "course", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug)]
pub(crate) struct Course {
    /// The canonical course folder.
    pub root: PathBuf,
    pub exercises: Vec<Exercise>,
}

impl Course {
    /// The course at `dir`, or else the nearest folder at or above the current one that has an
    /// `exercises/` folder.
    pub(crate) fn find(dir: Option<&Path>) -> Result<Course> {
        match dir {
            Some(dir) => Course::open(dir),
            None => Course::open(&nearest_root()?),
        }
    }

    pub(crate) fn open(dir: &Path) -> Result<Course> {
        let root = dir.canonicalize().map_err(|e| {
            Error::new(format!("there is no course folder {}", dir.display())).because(e).action("pass --course the folder that holds exercises/")
        })?;
        let listing = std::fs::read_dir(root.join(EXERCISES_DIR)).map_err(|e| {
            Error::new(format!("{} has no readable {EXERCISES_DIR}/ folder", root.display()))
                .because(e)
                .action("pass --course the folder that holds exercises/, or run the command inside it")
        })?;
        let mut dirs = Vec::new();
        for entry in listing {
            let path = entry.context(|| format!("cannot list {}", root.join(EXERCISES_DIR).display()))?.path();
            if path.join(SPEC_FILE).is_file() {
                dirs.push(path);
            }
        }
        dirs.sort();
        let exercises = dirs.iter().map(|dir| Exercise::open(dir)).collect::<Result<_>>()?;
        Ok(Course { root, exercises })
    }

    /// The course an exercise folder sits in (`<root>/exercises/<name>`), and the exercise's name.
    pub(crate) fn locate(exercise_dir: &Path) -> Option<(PathBuf, String)> {
        let dir = exercise_dir.canonicalize().ok()?;
        let exercises = dir.parent()?;
        if exercises.file_name()? != EXERCISES_DIR {
            return None;
        }
        Some((exercises.parent()?.to_path_buf(), dir.file_name()?.to_string_lossy().into_owned()))
    }

    /// An exercise as the learner names it to `check`, `hint` and `watch`: its path, its folder
    /// name, its number (`1` or `01` for `01-…`), or a prefix of its name only it has.
    pub(crate) fn exercise(&self, wanted: &str) -> Result<&Exercise> {
        let by_path = Path::new(wanted).canonicalize().ok();
        let exact = |e: &&Exercise| by_path.as_deref() == e.dir.canonicalize().ok().as_deref() || e.name == wanted;
        if let Some(exercise) = self.exercises.iter().find(exact) {
            return Ok(exercise);
        }
        let by_number: Vec<&Exercise> = self.exercises.iter().filter(|e| number(wanted).is_some_and(|n| number(&e.name) == Some(n))).collect();
        let matches = match by_number.as_slice() {
            [] => self.exercises.iter().filter(|e| e.name.starts_with(wanted)).collect(),
            _ => by_number,
        };
        match matches.as_slice() {
            [only] => Ok(only),
            [] => Err(Error::new(format!("the course in {} has no exercise `{wanted}`", self.root.display()))
                .action(format!("name one of: {}", self.names().join(", ")))),
            several => Err(Error::new(format!("`{wanted}` could be {}", several.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(" or ")))
                .action("give more of the exercise's name")),
        }
    }

    fn names(&self) -> Vec<&str> {
        self.exercises.iter().map(|e| e.name.as_str()).collect()
    }
}

/// The number a name starts with (`7` for `07-go-static`, and for `07` itself).
fn number(name: &str) -> Option<u32> {
    let digits = name.find(|c: char| !c.is_ascii_digit()).map_or(name, |end| &name[..end]);
    digits.parse().ok()
}

/// The exercise folder `check` judges: `wanted` itself when it is a folder (in a course or not),
/// else the exercise that [`Course::exercise`] names so in the course at or above `here`.
pub(crate) fn exercise_dir(wanted: &Path, here: &Path) -> Result<PathBuf> {
    if wanted.is_dir() {
        return Ok(wanted.to_path_buf());
    }
    let no_folder = || {
        Error::new(format!("there is no exercise folder {}", wanted.display()))
            .action("pass the path of an exercise folder, or inside a course its name or number (`shipshape check 01`)")
    };
    // A name is one word: `exercises/07` is a folder that is not there.
    let name = wanted.to_str().filter(|_| wanted.components().count() == 1);
    let (Some(root), Some(name)) = (root_at_or_above(here), name) else { return Err(no_folder()) };
    Ok(Course::open(&root)?.exercise(name)?.dir.clone())
}

/// The image map a learner's command uses: `named` (`--image-map` or `$SHIPSHAPE_IMAGE_MAP`), else
/// the course's [`LOCAL_IMAGE_MAP`] when the course at `root` has one, else none.
pub(crate) fn image_map_path(named: Option<&Path>, root: Option<&Path>) -> Option<PathBuf> {
    named.map(Path::to_path_buf).or_else(|| root.map(|root| root.join(LOCAL_IMAGE_MAP)).filter(|path| path.exists()))
}

/// The image map for an exercise folder's course, as [`image_map_path`] finds it.
pub(crate) fn image_map_for(named: Option<&Path>, exercise_dir: &Path) -> Result<ImageMap> {
    let root = Course::locate(exercise_dir).map(|(root, _)| root);
    image_map_path(named, root.as_deref()).as_deref().map(ImageMap::load).transpose().map(Option::unwrap_or_default)
}

/// `error` (no usable vulnerability database) with the one command that fixes it offline: importing
/// the course's own database, from the course `exercise_dir` sits in or else the one around the
/// current folder, when that course has one.
pub(crate) fn with_database_fix(error: Error, exercise_dir: Option<&Path>) -> Error {
    let root = exercise_dir.and_then(Course::locate).map(|(root, _)| root).or_else(|| nearest_root().ok());
    match root.map(|root| root.join(COURSE_DATABASE)).filter(|records| records.is_dir()) {
        Some(records) => error.action(format!("import the course's own database, offline: `shipshape db import {}`", shown(&records))),
        None => error,
    }
}

/// The nearest folder at or above the current one that has an `exercises/` folder.
fn nearest_root() -> Result<PathBuf> {
    let here = std::env::current_dir().context(|| "cannot tell the current folder".into())?;
    root_at_or_above(&here).ok_or_else(|| {
        Error::new(format!("no course here: neither {} nor a folder above it has an {EXERCISES_DIR}/ folder", here.display()))
            .action("run the command inside the course (the folder that holds exercises/), or pass --course DIR")
    })
}

/// The nearest folder at or above `here` that has an `exercises/` folder.
fn root_at_or_above(here: &Path) -> Option<PathBuf> {
    here.ancestors().find(|dir| dir.join(EXERCISES_DIR).is_dir()).map(Path::to_path_buf)
}

/// A path as the learner would type it: relative to the current folder when it is inside it.
pub(crate) fn shown(path: &Path) -> String {
    let here = std::env::current_dir().ok().and_then(|here| here.canonicalize().ok());
    let relative = here.as_deref().and_then(|here| path.strip_prefix(here).ok()).filter(|p| !p.as_os_str().is_empty());
    relative.unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course(names: &[&str]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for name in names {
            let dir = root.path().join(EXERCISES_DIR).join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(SPEC_FILE), format!("[exercise]\ntitle = \"{name}\"\n[checks.builds]\n")).unwrap();
        }
        std::fs::create_dir_all(root.path().join(EXERCISES_DIR).join("notes")).unwrap();
        root
    }

    #[test]
    fn exercises_come_in_name_order_and_other_folders_do_not_count() {
        let root = course(&["02-b", "01-a", "10-c"]);
        let course = Course::open(root.path()).unwrap();
        assert_eq!(course.names(), ["01-a", "02-b", "10-c"]);
        assert_eq!(Course::locate(&root.path().join("exercises/02-b")), Some((course.root.clone(), "02-b".to_string())));
        assert_eq!(Course::locate(root.path()), None);
    }

    #[test]
    fn an_exercise_is_found_by_name_prefix_or_path() {
        let root = course(&["01-a", "02-b", "021-c"]);
        let course = Course::open(root.path()).unwrap();
        assert_eq!(course.exercise("01-a").unwrap().name, "01-a");
        assert_eq!(course.exercise("01").unwrap().name, "01-a");
        assert_eq!(course.exercise("02-b").unwrap().name, "02-b");
        let path = root.path().join("exercises/021-c");
        assert_eq!(course.exercise(&path.display().to_string()).unwrap().name, "021-c");
        assert!(course.exercise("9").unwrap_err().to_string().contains("01-a, 02-b, 021-c"));
    }

    #[test]
    fn a_number_names_the_exercise_it_starts_with_before_any_prefix() {
        let root = course(&["01-a", "02-b", "021-c", "10-d"]);
        let course = Course::open(root.path()).unwrap();
        assert_eq!(course.exercise("1").unwrap().name, "01-a", "not 10-d, whose name starts with 1");
        assert_eq!(course.exercise("01").unwrap().name, "01-a");
        assert_eq!(course.exercise("2").unwrap().name, "02-b");
        assert_eq!(course.exercise("02").unwrap().name, "02-b", "not 021-c: that is exercise 21");
        assert_eq!(course.exercise("021").unwrap().name, "021-c");
        assert_eq!(course.exercise("10").unwrap().name, "10-d");
        assert_eq!(course.exercise("02-").unwrap().name, "02-b", "not a number: a prefix");
        assert!(course.exercise("0").unwrap_err().to_string().contains("could be 01-a or 02-b or 021-c"), "no exercise 0: a prefix");
        assert!(course.exercise("3").unwrap_err().to_string().contains("name one of"));
    }

    #[test]
    fn check_takes_any_folder_and_else_a_name_of_the_course_around() {
        let root = course(&["01-a", "02-b"]);
        let outside = tempfile::tempdir().unwrap();
        let not_a_folder = |wanted: &str, here: &Path| exercise_dir(Path::new(wanted), here).unwrap_err().to_string();
        assert_eq!(exercise_dir(outside.path(), root.path()).unwrap(), outside.path(), "a folder outside any course is judged as it is");
        let second = exercise_dir(Path::new("2"), &root.path().join("exercises/01-a")).unwrap();
        assert_eq!(second.canonicalize().unwrap(), root.path().join("exercises/02-b").canonicalize().unwrap(), "by number, from inside the course");
        assert!(exercise_dir(Path::new("01-a"), root.path()).unwrap().ends_with("exercises/01-a"));
        assert!(not_a_folder("01", outside.path()).contains("there is no exercise folder 01"), "no course around: no names");
        assert!(not_a_folder("07", root.path()).contains("has no exercise `07`"));
        assert!(not_a_folder("exercises/07", root.path()).contains("there is no exercise folder exercises/07"), "a path is not a name");
    }
}
