//! The learner's progress through a course, kept in `<course>/.shipshape/progress.toml`: for each
//! exercise, the result of the last `shipshape check` of the learner's Dockerfile and how many
//! hints `shipshape hint` has shown.
//!
//! What must hold: the file is small TOML a person can read (and delete to start over); it is
//! replaced whole (a temporary file renamed over it), so a crash never leaves half of it; a
//! missing file is a fresh start; an unreadable one is an error that says how to start over.
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::course::Course;
use crate::error::{Context, Error, Result};
use crate::pipeline::Judgement;
use crate::report::Report;

/// Where the state file lives, under the course's root.
const STATE_DIR: &str = ".shipshape";
const STATE_FILE: &str = "progress.toml";

/// Where an exercise stands, by its last check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum State {
    #[default]
    NotStarted,
    Failing,
    Done,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::NotStarted => "not started",
            State::Failing => "failing",
            State::Done => "done",
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    #[serde(default, skip_serializing_if = "is_not_started")]
    state: State,
    #[serde(default, skip_serializing_if = "is_zero")]
    hints_shown: usize,
}

fn is_not_started(state: &State) -> bool {
    *state == State::NotStarted
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    #[serde(default)]
    exercises: BTreeMap<String, Entry>,
}

/// The progress of one course, loaded from and saved to its state file.
#[derive(Debug)]
pub(crate) struct Progress {
    path: PathBuf,
    file: StateFile,
}

impl Progress {
    /// Loads the course's progress; a course nobody has worked on yet has none.
    pub(crate) fn load(course_root: &Path) -> Result<Progress> {
        let path = course_root.join(STATE_DIR).join(STATE_FILE);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| unreadable(&path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile::default(),
            Err(e) => return Err(unreadable(&path, e)),
        };
        Ok(Progress { path, file })
    }

    pub(crate) fn state(&self, exercise: &str) -> State {
        self.file.exercises.get(exercise).map(|e| e.state).unwrap_or_default()
    }

    pub(crate) fn hints_shown(&self, exercise: &str) -> usize {
        self.file.exercises.get(exercise).map_or(0, |e| e.hints_shown)
    }

    pub(crate) fn set_hints_shown(&mut self, exercise: &str, count: usize) {
        self.file.exercises.entry(exercise.to_string()).or_default().hints_shown = count;
    }

    pub(crate) fn record(&mut self, exercise: &str, passed: bool) {
        self.file.exercises.entry(exercise.to_string()).or_default().state = if passed { State::Done } else { State::Failing };
    }

    /// How many of the course's exercises are done.
    pub(crate) fn done(&self, course: &Course) -> usize {
        course.exercises.iter().filter(|e| self.state(&e.name) == State::Done).count()
    }

    /// The first exercise of the course, in order, that is not done, other than `except`.
    pub(crate) fn next_to_do<'a>(&self, course: &'a Course, except: Option<&str>) -> Option<&'a crate::exercise::Exercise> {
        course.exercises.iter().find(|e| Some(e.name.as_str()) != except && self.state(&e.name) != State::Done)
    }

    /// Writes the whole file anew (through a temporary file renamed over the old one).
    pub(crate) fn save(&self) -> Result<()> {
        let dir = self.path.parent().expect("the state file sits in the state folder");
        let cannot = |e: std::io::Error| {
            Error::new(format!("cannot save your progress in {}", self.path.display())).because(e).action("check that the course folder is writable")
        };
        std::fs::create_dir_all(dir).map_err(cannot)?;
        let text = toml::to_string(&self.file).context(|| "cannot write the progress as TOML".into())?;
        let mut temporary = tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
        temporary.write_all(text.as_bytes()).map_err(cannot)?;
        temporary.persist(&self.path).map_err(|e| cannot(e.error))?;
        Ok(())
    }
}

fn unreadable(path: &Path, cause: impl fmt::Display) -> Error {
    Error::new(format!("cannot read your progress from {}", path.display()))
        .because(cause)
        .action(format!("fix the file, or delete it to start the course's progress over (`rm {}`)", path.display()))
}

/// The hook of `shipshape check EXERCISE` (the learner's own Dockerfile): records whether it
/// passed, when the exercise belongs to a course. A failure to record is a warning on stderr,
/// never a reason to change the check's outcome.
pub(crate) fn record_check(exercise_dir: &Path, judgement: &Judgement) {
    let Some((root, name)) = Course::locate(exercise_dir) else { return };
    let passed = Report::new(judgement).passed;
    let saved = Progress::load(&root).and_then(|mut progress| {
        progress.record(&name, passed);
        progress.save()
    });
    if let Err(error) = saved {
        eprintln!("warning: this result was not recorded in your progress:\n{error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_survives_a_reload_and_a_fresh_course_has_none() {
        let root = tempfile::tempdir().unwrap();
        let mut progress = Progress::load(root.path()).unwrap();
        assert_eq!(progress.state("01-a"), State::NotStarted);
        progress.record("01-a", false);
        progress.set_hints_shown("01-a", 2);
        progress.record("02-b", true);
        progress.save().unwrap();
        let again = Progress::load(root.path()).unwrap();
        assert_eq!((again.state("01-a"), again.hints_shown("01-a")), (State::Failing, 2));
        assert_eq!((again.state("02-b"), again.hints_shown("02-b")), (State::Done, 0));
        let text = std::fs::read_to_string(root.path().join(".shipshape/progress.toml")).unwrap();
        assert_eq!(text, "[exercises.01-a]\nstate = \"failing\"\nhints-shown = 2\n\n[exercises.02-b]\nstate = \"done\"\n");
    }

    #[test]
    fn a_damaged_file_is_an_error_that_says_how_to_start_over() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join(STATE_DIR)).unwrap();
        std::fs::write(root.path().join(".shipshape/progress.toml"), "[exercises.x]\nstate = \"half\"\n").unwrap();
        let message = Progress::load(root.path()).unwrap_err().to_string();
        assert!(message.contains("cannot read your progress"), "{message}");
        assert!(message.contains("delete it to start"), "{message}");
    }
}
