//! `shipshape hint [EXERCISE]` (and `h` in `watch`): the next hint from the exercise's `hints.md`
//! (its `## ` sections in order: What is wrong, Where, How), remembering how many were shown;
//! after the last, it points to the reference solution. `--reset` starts the hints over. Without
//! EXERCISE: the current one, the first not done (as `watch` picks it), named as it is chosen.
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
    /// The exercise: its folder name, its number (`1` or `01`), a prefix only it has, or its path
    /// (default: the first exercise not done).
    exercise: Option<String>,
    /// Start the hints over from the first.
    #[arg(long)]
    reset: bool,
    #[command(flatten)]
    course: CourseArg,
}

pub(super) fn run(args: Args) -> Result<u8> {
    let course = Course::find(args.course.dir.as_deref())?;
    let exercise = match &args.exercise {
        Some(wanted) => course.exercise(wanted)?,
        None => match Progress::load(&course.root)?.next_to_do(&course, None) {
            Some(current) => {
                println!("{}", format!("{} is the current exercise (the first not done).", current.name).dimmed());
                current
            }
            None => {
                println!("Every exercise is done: name one to see its hints, such as `shipshape hint 1`.");
                return Ok(EXIT_PASSED);
            }
        },
    };
    if args.reset {
        let mut progress = Progress::load(&course.root)?;
        progress.set_hints_shown(&exercise.name, 0);
        progress.save()?;
        println!("The hints for {} start over: `shipshape hint {}` shows the first one.", exercise.name, exercise.name);
        return Ok(EXIT_PASSED);
    }
    print!("{}", next_hint(&course, exercise, &format!("run `shipshape hint {}`", exercise.name))?);
    Ok(EXIT_PASSED)
}

/// The next hint for `exercise`, counted as shown in the course's progress, or after the last
/// where the solution is. `ask` says how to ask for another (`run `shipshape hint 01``, `press h`).
pub(super) fn next_hint(course: &Course, exercise: &Exercise, ask: &str) -> Result<String> {
    let hints = read_hints(exercise)?;
    let mut progress = Progress::load(&course.root)?;
    let shown_before = progress.hints_shown(&exercise.name);
    let Some(hint) = hints.get(shown_before) else { return Ok(no_more(exercise, hints.len())) };
    progress.set_hints_shown(&exercise.name, shown_before + 1);
    progress.save()?;
    Ok(render(exercise, hint, shown_before + 1, hints.len(), ask))
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

fn render(exercise: &Exercise, hint: &Hint, number: usize, total: usize, ask: &str) -> String {
    let mut out = format!("{} {}\n\n{}\n\n", format!("Hint {number}/{total} for {}:", exercise.name).bold(), hint.title.bold(), hint.body);
    let _ = match total - number {
        0 => writeln!(out, "That was the last hint. If you are still stuck, {ask} once more: it points to the solution."),
        left => writeln!(out, "{left} more: {ask} again when you need the next."),
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
