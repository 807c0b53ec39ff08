//! `{{#shipshape-schedule}}`: a half-day and a full-day plan for the course, built from the
//! minutes of each chapter (its `<!-- minutes: N -->` comment, see `minutes`) and of each exercise
//! it holds (`minutes` in exercise.toml), in book order, with a running clock and breaks.
//!
//! Must hold: a chapter and its exercises are one block that no break and no end of day splits; a
//! format takes blocks in order while they fit in its time without its breaks, and names the rest
//! as not covered; a break goes at the block boundary nearest its planned time, and one planned
//! after the last block is dropped; chapters of 0 minutes (reference pages) are left out; an
//! exercise without `minutes` fails the directive, named.

use crate::{directive, exercise, markdown, minutes};
use anyhow::{anyhow, bail, Result};
use mdbook_preprocessor::book::Book;
use std::path::{Path, PathBuf};

/// The clock time the day starts at, in minutes after midnight.
const START: u32 = 9 * 60;

/// A way to run the course: its length on the clock and the breaks it plans.
struct Format {
    title: &'static str,
    length: u32,
    breaks: &'static [Break],
}

/// A break and when it is planned, in minutes after the start.
struct Break {
    name: &'static str,
    at: u32,
    minutes: u32,
}

const FORMATS: [Format; 2] = [
    Format { title: "Half day (about 3.5 hours)", length: 210, breaks: &[Break { name: "Break", at: 100, minutes: 15 }] },
    Format {
        title: "Full day (about 7 hours)",
        length: 420,
        breaks: &[
            Break { name: "Coffee break", at: 90, minutes: 15 },
            Break { name: "Lunch", at: 195, minutes: 45 },
            Break { name: "Coffee break", at: 330, minutes: 15 },
        ],
    },
];

/// A chapter that takes time, gathered from the book before its directives are expanded.
#[derive(Debug)]
struct Lesson {
    title: String,
    path: PathBuf,
    minutes: u32,
    exercises: Vec<String>,
}

/// The course in book order: each chapter that takes time, with the exercises it holds.
#[derive(Debug, Default)]
pub(crate) struct Outline {
    lessons: Vec<Lesson>,
}

impl Outline {
    /// The outline of `book`, not yet preprocessed.
    pub(crate) fn of(book: &Book) -> Outline {
        let lessons = minutes::timed(book)
            .filter_map(|chapter| {
                Some(Lesson {
                    title: chapter.name.clone(),
                    path: chapter.path.clone()?,
                    minutes: minutes::of(&chapter.content).filter(|&m| m > 0)?,
                    exercises: directive::exercise_names(&chapter.content),
                })
            })
            .collect();
        Outline { lessons }
    }
}

/// One row of a schedule that takes time: a chapter or an exercise, as Markdown.
struct Item {
    label: String,
    minutes: u32,
}

/// A chapter followed by its exercises: scheduled whole or not at all.
struct Block {
    items: Vec<Item>,
}

impl Block {
    fn minutes(&self) -> u32 {
        self.items.iter().map(|item| item.minutes).sum()
    }
}

/// A row of a planned day: an item or a break, and the minute after the start it begins at.
enum Row<'a> {
    Item(&'a Item),
    Break(&'a Break),
}

/// A planned day: its rows, when it ends, and how many blocks it covers.
struct Plan<'a> {
    rows: Vec<(u32, Row<'a>)>,
    end: u32,
    covered: usize,
}

/// The schedules for the directive in `chapter`, with the exercises in the folder `exercises`.
pub(crate) fn render(outline: &Outline, exercises: &Path, chapter: &Path) -> Result<String> {
    let root = markdown::path_to_root(chapter);
    let blocks = outline.lessons.iter().map(|lesson| block(lesson, exercises, &root)).collect::<Result<Vec<_>>>()?;
    if blocks.is_empty() {
        bail!("no chapter has minutes to schedule: start the course's chapters with `<!-- minutes: N -->`, N above 0");
    }
    let total: u32 = blocks.iter().map(Block::minutes).sum();
    let exercise_count: usize = outline.lessons.iter().map(|l| l.exercises.len()).sum();
    let intro = format!(
        "The whole course is {} of teaching and exercises: {} chapters and {exercise_count} \
         exercises, breaks not counted. Each chapter and its exercises stay together; what does \
         not fit is listed under the table.",
        duration(total),
        blocks.len()
    );
    let days = FORMATS.iter().map(|format| day(format, &blocks, &outline.lessons, &root));
    Ok(std::iter::once(intro).chain(days).collect::<Vec<_>>().join("\n\n"))
}

/// `lesson` and its exercises as rows, the chapter linked from `root`.
fn block(lesson: &Lesson, exercises: &Path, root: &str) -> Result<Block> {
    let chapter = Item { label: link(lesson, root), minutes: lesson.minutes };
    let mut items = vec![chapter];
    for name in &lesson.exercises {
        let about = exercise::about(exercises, name)?;
        let minutes = about.minutes.ok_or_else(|| {
            anyhow!(
                "exercise `{name}` (in `{}`) has no `minutes` in the `[exercise]` table of its \
                 exercise.toml: the schedule needs to know how long it takes",
                lesson.path.display()
            )
        })?;
        items.push(Item { label: format!("Exercise: *{}*", about.title), minutes });
    }
    Ok(Block { items })
}

/// The section of one format: heading, the timed table, the time it leaves, and what it leaves
/// out.
fn day(format: &Format, blocks: &[Block], lessons: &[Lesson], root: &str) -> String {
    let plan = plan(format, blocks);
    let mut parts = vec![format!("### {}", format.title), table(&plan)];
    parts.extend(slack(format, &plan));
    parts.extend(left_out(&blocks[plan.covered..], &lessons[plan.covered..], root));
    parts.join("\n\n")
}

/// The timed table of a plan, closed by its end time.
fn table(plan: &Plan<'_>) -> String {
    let rows: Vec<String> = plan.rows.iter().map(|(at, row)| table_row(*at, row)).collect();
    format!("| Time | Session | Minutes |\n| --- | --- | ---: |\n{}\n| {} | *End* | |", rows.join("\n"), clock(plan.end))
}

/// A note on the time a plan leaves before the day's end, if it leaves any.
fn slack(format: &Format, plan: &Plan<'_>) -> Option<String> {
    (plan.end < format.length).then(|| {
        format!(
            "The plan ends at {}, {} before the day's end at {}: room for questions and overruns.",
            clock(plan.end),
            duration(format.length - plan.end),
            clock(format.length)
        )
    })
}

/// A note naming the chapters a plan leaves out (`blocks` and their `lessons`), if any.
fn left_out(blocks: &[Block], lessons: &[Lesson], root: &str) -> Option<String> {
    let links: Vec<String> = lessons.iter().map(|lesson| link(lesson, root)).collect();
    let minutes: u32 = blocks.iter().map(Block::minutes).sum();
    (!links.is_empty()).then(|| {
        format!(
            "Not covered in this format ({} with their exercises): {}. Teach them on another \
             day, or hand them out as reading.",
            duration(minutes),
            links.join(", ")
        )
    })
}

/// The rows of `format`: the blocks that fit, in order, with its breaks at the nearest boundary.
fn plan<'a>(format: &'a Format, blocks: &'a [Block]) -> Plan<'a> {
    let breaks: u32 = format.breaks.iter().map(|b| b.minutes).sum();
    let covered = fitting(blocks, format.length.saturating_sub(breaks));
    let mut pending = format.breaks.iter().peekable();
    let (mut rows, mut elapsed) = (Vec::new(), 0);
    for block in &blocks[..covered] {
        while let Some(pause) = pending.next_if(|b| b.at <= elapsed + block.minutes() / 2) {
            rows.push((elapsed, Row::Break(pause)));
            elapsed += pause.minutes;
        }
        for item in &block.items {
            rows.push((elapsed, Row::Item(item)));
            elapsed += item.minutes;
        }
    }
    Plan { rows, end: elapsed, covered }
}

/// How many blocks, from the first, fit in `budget` minutes.
fn fitting(blocks: &[Block], budget: u32) -> usize {
    let mut total = 0;
    blocks
        .iter()
        .take_while(|block| {
            total += block.minutes();
            total <= budget
        })
        .count()
}

fn table_row(at: u32, row: &Row<'_>) -> String {
    let (label, minutes) = match row {
        Row::Item(item) => (item.label.clone(), item.minutes),
        Row::Break(pause) => (format!("*{}*", pause.name), pause.minutes),
    };
    format!("| {} | {} | {minutes} |", clock(at), markdown::table_cell(&label))
}

/// The chapter as a Markdown link from the directive's page, whose way to the root is `root`.
fn link(lesson: &Lesson, root: &str) -> String {
    format!("[{}]({root}{})", lesson.title, lesson.path.display())
}

/// The clock time `minutes` after the start, as `HH:MM`.
fn clock(minutes: u32) -> String {
    let at = START + minutes;
    format!("{:02}:{:02}", at / 60 % 24, at % 60)
}

/// `minutes` in words: "45 minutes", "2 h 05".
fn duration(minutes: u32) -> String {
    match minutes {
        0..60 => format!("{minutes} minutes"),
        _ => format!("{} h {:02}", minutes / 60, minutes % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(minutes: &[&[u32]]) -> Vec<Block> {
        minutes.iter().enumerate().map(|(n, items)| Block { items: items.iter().map(|&m| Item { label: format!("c{n}"), minutes: m }).collect() }).collect()
    }

    fn layout(plan: &Plan<'_>) -> Vec<(u32, String)> {
        plan.rows
            .iter()
            .map(|(at, row)| match row {
                Row::Item(item) => (*at, item.label.clone()),
                Row::Break(pause) => (*at, pause.name.to_string()),
            })
            .collect()
    }

    #[test]
    fn blocks_fit_in_order_and_breaks_go_to_the_nearest_boundary() {
        // Half day: 195 minutes to teach, a break planned at 100.
        let course = blocks(&[&[40, 25], &[30], &[60], &[50], &[10]]);
        let plan = plan(&FORMATS[0], &course);
        assert_eq!(plan.covered, 3, "65 + 30 + 60 = 155 fits, + 50 does not");
        assert_eq!(layout(&plan), [(0, "c0"), (40, "c0"), (65, "c1"), (95, "Break"), (110, "c2")].map(|(at, label)| (at, label.to_string())));
        assert_eq!(plan.end, 170);
    }

    #[test]
    fn a_break_planned_after_the_last_block_is_dropped() {
        let course = blocks(&[&[20], &[20]]);
        let plan = plan(&FORMATS[1], &course);
        assert_eq!(plan.covered, 2);
        assert_eq!(plan.end, 40);
        assert!(plan.rows.iter().all(|(_, row)| matches!(row, Row::Item(_))));
    }

    #[test]
    fn clock_and_durations_read_naturally() {
        assert_eq!(clock(0), "09:00");
        assert_eq!(clock(195), "12:15");
        assert_eq!(duration(45), "45 minutes");
        assert_eq!(duration(425), "7 h 05");
    }
}
