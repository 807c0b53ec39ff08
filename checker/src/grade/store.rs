//! The out-dir, written as submissions finish so that a re-run resumes: `<student>/results.json`
//! (Exercism's format), `<student>/grade.json` (the whole grade) and the run state
//! `.shipshape-grade.json` (who is done, with the fingerprint of what was graded).
//!
//! What must hold: every file is written whole (to a temporary name, then renamed), so a run
//! stopped at any point leaves only complete files; a grade is reused only when its submission,
//! the exercise and the image map are unchanged (same fingerprint); an unreadable state is
//! reported and the run starts over, never a panic.
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::submission::Submission;
use super::{exercism, Grade, Standing};
use crate::error::{Error, Result};

const STATE_FILE: &str = ".shipshape-grade.json";
const STATE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct State {
    version: u32,
    exercise: String,
    students: BTreeMap<String, Done>,
}

#[derive(Serialize, Deserialize)]
struct Done {
    status: Standing,
    fingerprint: String,
}

pub(crate) struct Store {
    dir: PathBuf,
    state: State,
}

impl Store {
    /// Opens (or makes) the out-dir; `restart` forgets what earlier runs graded.
    pub(crate) fn open(dir: &Path, exercise: &str, restart: bool) -> Result<Store> {
        fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
        let fresh = State { version: STATE_VERSION, exercise: exercise.to_string(), students: BTreeMap::new() };
        let state = match fs::read(dir.join(STATE_FILE)) {
            Ok(_) if restart => fresh,
            Ok(bytes) => match serde_json::from_slice::<State>(&bytes) {
                Ok(state) if state.version == STATE_VERSION && state.exercise == exercise => state,
                Ok(_) => fresh,
                Err(e) => {
                    eprintln!("warning: {} is unreadable ({e}); grading every submission again", dir.join(STATE_FILE).display());
                    fresh
                }
            },
            Err(_) => fresh,
        };
        Ok(Store { dir: dir.to_path_buf(), state })
    }

    /// The grade an earlier run gave this very submission, if any.
    pub(crate) fn previous(&self, submission: &Submission) -> Option<Grade> {
        let done = self.state.students.get(&submission.student)?;
        if done.fingerprint != submission.fingerprint {
            return None;
        }
        let bytes = fs::read(self.dir.join(&submission.student).join("grade.json")).ok()?;
        serde_json::from_slice::<Grade>(&bytes).ok().filter(|g| g.fingerprint == submission.fingerprint)
    }

    /// Writes a grade's files, then the state that names it done.
    pub(crate) fn record(&mut self, grade: &Grade) -> Result<()> {
        let folder = self.dir.join(&grade.student);
        fs::create_dir_all(&folder).map_err(|e| write_error(&folder, e))?;
        write_whole(&folder.join("results.json"), &exercism::render(grade))?;
        write_whole(&folder.join("grade.json"), &(serde_json::to_string_pretty(grade).expect("a grade serializes") + "\n"))?;
        self.state.students.insert(grade.student.clone(), Done { status: grade.status, fingerprint: grade.fingerprint.clone() });
        write_whole(&self.dir.join(STATE_FILE), &serde_json::to_string_pretty(&self.state).expect("the state serializes"))
    }
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
pub(crate) fn write_whole(path: &Path, text: &str) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.partial"));
    fs::write(&temporary, text).and_then(|()| fs::rename(&temporary, path)).map_err(|e| write_error(path, e))
}

fn write_error(path: &Path, cause: std::io::Error) -> Error {
    Error::new(format!("cannot write {}", path.display())).because(cause).action("pass --out-dir a folder you can write to")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Points;

    fn submission(fingerprint: &str) -> Submission {
        Submission { student: "alice".into(), dir: "class/alice".into(), dockerfile: "class/alice/Dockerfile".into(), fingerprint: fingerprint.into() }
    }

    fn grade(fingerprint: &str) -> Grade {
        let spec = crate::spec::Spec::parse("[checks.builds]\nweight = 3\n").unwrap();
        let exercise = crate::exercise::Exercise { dir: "exercises/01".into(), name: "01".into(), spec };
        let mut grade = Grade::error(&submission(fingerprint), &Error::new("no Dockerfile"), &exercise);
        grade.endpoint = Some("unix:///x.sock".into());
        grade
    }

    #[test]
    fn a_recorded_grade_is_reused_until_its_fingerprint_changes() {
        let dir = tempfile::TempDir::new().unwrap();
        let mut store = Store::open(dir.path(), "ex", false).unwrap();
        store.record(&grade("f1")).unwrap();
        let store = Store::open(dir.path(), "ex", false).unwrap();
        let again = store.previous(&submission("f1")).expect("resumed");
        assert_eq!((again.status, again.report.points, again.message.as_deref()), (Standing::Error, Points { earned: 0, possible: 3 }, Some("no Dockerfile")));
        assert!(store.previous(&submission("f2")).is_none(), "changed submission");
        assert!(Store::open(dir.path(), "ex", true).unwrap().previous(&submission("f1")).is_none(), "--restart");
        assert!(Store::open(dir.path(), "other", false).unwrap().previous(&submission("f1")).is_none(), "another exercise");
        let results: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("alice/results.json")).unwrap()).unwrap();
        assert_eq!(results["status"], "error");
    }

    #[test]
    fn a_corrupt_state_starts_over() {
        let dir = tempfile::TempDir::new().unwrap();
        fs::write(dir.path().join(STATE_FILE), "{not json").unwrap();
        assert!(Store::open(dir.path(), "ex", false).unwrap().previous(&submission("f1")).is_none());
    }
}
