//! `shipshape hint EXERCISE`: the next hint from the exercise's `hints.md` (its `## ` sections in
//! order: What is wrong, Where, How), remembering how many were shown; after the last, it points
//! to the reference solution. `--reset` starts the hints over.
//!
//! What must hold: the count lives in the course's state file ([`crate::progress`]) and only
//! grows by one per hint actually printed; an exercise without hints is an error that says
//! where else to look, never an empty hint.
use std::fmt::Write;

use colored::Colorize;

use crate::course::{shown, Course, CourseArg};
use crate::error::{Error, Result, EXIT_PASSED};
use crate::exercise::Exercise;
use crate::hints::{self, Hint};
use crate::progress::Progress;

#[derive(clap::Args)]
pub(super) struct Args {
    /// The exercise: its folder name, a prefix only it has (such as `01`), or its path.
    exercise: String,
    /// Start the hints over from the first.
    #[arg(long)]
    reset: bool,
    #[command(flatten)]
    course: CourseArg,
}

pub(super) fn run(args: Args) -> Result<u8> {
    let course = Course::find(args.course.dir.as_deref())?;
    let exercise = course.exercise(&args.exercise)?;
    let mut progress = Progress::load(&course.root)?;
    if args.reset {
        progress.set_hints_shown(&exercise.name, 0);
        progress.save()?;
        println!("The hints for {} start over: `shipshape hint {}` shows the first one.", exercise.name, exercise.name);
        return Ok(EXIT_PASSED);
    }
    let hints = read_hints(exercise)?;
    let shown_before = progress.hints_shown(&exercise.name);
    match hints.get(shown_before) {
        Some(hint) => {
            print!("{}", render(exercise, hint, shown_before + 1, hints.len()));
            progress.set_hints_shown(&exercise.name, shown_before + 1);
            progress.save()?;
        }
        None => print!("{}", no_more(exercise, hints.len())),
    }
    Ok(EXIT_PASSED)
}

fn read_hints(exercise: &Exercise) -> Result<Vec<Hint>> {
    let path = exercise.dir.join(hints::FILE);
    let no_hints = |problem: String| {
        Error::new(format!("{} has no hints: {problem}", exercise.name))
            .action(format!("read its README.md, or compare with the reference solution: {}", solution_command(exercise)))
    };
    let text = std::fs::read_to_string(&path).map_err(|e| no_hints(format!("cannot read {}: {e}", shown(&path))))?;
    let hints = hints::parse(&text).hints;
    if hints.is_empty() {
        return Err(no_hints(format!("{} has no `## ` sections", shown(&path))));
    }
    Ok(hints)
}

fn render(exercise: &Exercise, hint: &Hint, number: usize, total: usize) -> String {
    let mut out = format!("{} {}\n\n{}\n\n", format!("Hint {number}/{total} for {}:", exercise.name).bold(), hint.title.bold(), hint.body);
    let _ = match total - number {
        0 => writeln!(out, "That was the last hint. Still stuck? `shipshape hint {}` once more points to the solution.", exercise.name),
        left => writeln!(out, "{left} more: run `shipshape hint {}` again when you need the next.", exercise.name),
    };
    out
}

fn no_more(exercise: &Exercise, total: usize) -> String {
    format!(
        "There are no more hints for {name}: you have seen all {total}.\n\
         Compare with the reference solution: {solution}\n\
         (its Dockerfile is {file}). `shipshape hint {name} --reset` starts the hints over.\n",
        name = exercise.name,
        solution = solution_command(exercise),
        file = shown(&exercise.dockerfile(true)),
    )
}

fn solution_command(exercise: &Exercise) -> String {
    format!("`shipshape check {} --solution`", shown(&exercise.dir))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_course_exercise_with_hints_has_the_three_in_order() {
        let exercises = Path::new(env!("CARGO_MANIFEST_DIR")).join("../exercises");
        for entry in std::fs::read_dir(exercises).unwrap() {
            let Ok(text) = std::fs::read_to_string(entry.unwrap().path().join(hints::FILE)) else { continue };
            let titles: Vec<String> = hints::parse(&text).hints.into_iter().map(|h| h.title).collect();
            assert_eq!(titles, ["What is wrong", "Where", "How"], "{text}");
        }
    }
}
