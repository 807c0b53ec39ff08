//! `shipshape list` (and `l` in `watch`): every exercise of the course in order, with its title and
//! state (not started, failing, done), the overall progress, and what to do next.
//!
//! What must hold: the states are the ones `shipshape check` recorded (see [`crate::progress`]);
//! listing changes nothing; it exits 0 whenever the course and its state file can be read.
use std::fmt::Write;

use colored::Colorize;

use crate::course::{Course, CourseArg};
use crate::error::{Result, EXIT_PASSED};
use crate::progress::{Progress, State};

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    course: CourseArg,
}

pub(super) fn run(args: Args) -> Result<u8> {
    let course = Course::find(args.course.dir.as_deref())?;
    let progress = Progress::load(&course.root)?;
    print!("{}", render(&course, &progress));
    Ok(EXIT_PASSED)
}

/// The list as `list` prints it (and `watch` on `l`).
pub(super) fn render(course: &Course, progress: &Progress) -> String {
    let mut out = format!("{}: {}/{} done\n\n", crate::course::shown(&course.root).bold(), progress.done(course), course.exercises.len());
    let name_width = course.exercises.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let state_width = State::NotStarted.to_string().len();
    for exercise in &course.exercises {
        let state = progress.state(&exercise.name);
        let _ = writeln!(out, "  {:name_width$}  {}  {}", exercise.name, paint(state, state_width), exercise.spec.exercise.title);
    }
    out.push('\n');
    out.push_str(&match progress.next_to_do(course, None) {
        Some(next) => format!("Next: {} — `shipshape watch {}` re-checks it on every save\n", next.name, next.name),
        None if course.exercises.is_empty() => "This course has no exercises yet.\n".to_string(),
        None => "Every exercise is done. Well shipped!\n".to_string(),
    });
    out
}

/// The state, padded before colouring so the columns line up with or without colour.
fn paint(state: State, width: usize) -> colored::ColoredString {
    let text = format!("{:width$}", state.to_string());
    match state {
        State::Done => text.green(),
        State::Failing => text.red(),
        State::NotStarted => text.dimmed(),
    }
}
