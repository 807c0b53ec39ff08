//! `{{#shipshape-schedule}}`: the instructor tracks (a half day, a full day, two days, …), each a
//! chosen list of the course's chapters and exercises laid out on its days, with a running clock
//! and breaks. The tracks are data, `[preprocessor.shipshape.schedule]` in book.toml (see
//! `Tracks`); the minutes come from each chapter's `<!-- minutes: N -->` comment (see `minutes`)
//! and each exercise's `minutes` in exercise.toml.
//!
//! Must hold: a track is chosen, never truncated: it names the chapters it teaches (every timed
//! chapter when it names none) and, among their exercises, those it does (all when it names
//! none); every chapter of `core` is in every track; a named chapter or exercise the course does
//! not hold, or an exercise of a chapter the track leaves out, fails the directive; a track whose
//! choice does not fit its days (breaks aside) fails the directive, named, with the minutes over.
//! A chapter and its chosen exercises are one block that no break and no end of day splits; blocks
//! go in book order, filling each day before the next; a break goes at the block boundary nearest
//! its planned time, one break at most per boundary (a later one waits for the next), and one
//! planned after a day's last block is dropped; chapters of 0 minutes
//! (reference pages) are never scheduled; an exercise without `minutes` fails the directive, named.

use crate::{directive, exercise, markdown, minutes};
use anyhow::{anyhow, bail, Result};
use mdbook_preprocessor::book::Book;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The clock time each day starts at, in minutes after midnight.
const START: u32 = 9 * 60;

/// The tracks book.toml offers: `[preprocessor.shipshape.schedule]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tracks {
    /// The chapters every track must teach (paths in SUMMARY.md).
    core: Vec<PathBuf>,
    /// The tracks, in the order the guide shows them.
    tracks: Vec<Track>,
}

/// One way to run the course.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Track {
    title: String,
    /// Its days, in order.
    days: Vec<DayKind>,
    /// The chapters it teaches; every timed chapter when absent.
    chapters: Option<Vec<PathBuf>>,
    /// The exercises it does, among its chapters'; all of them when absent.
    exercises: Option<Vec<String>>,
}

/// The length of a day, with the breaks it plans.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum DayKind {
    Half,
    Full,
}

impl DayKind {
    fn shape(self) -> &'static Day {
        match self {
            DayKind::Half => &HALF_DAY,
            DayKind::Full => &FULL_DAY,
        }
    }
}

/// A day on the clock: its length and the breaks it plans.
struct Day {
    length: u32,
    breaks: &'static [Break],
}

impl Day {
    /// The minutes left to teach once its breaks are taken.
    fn budget(&self) -> u32 {
        self.length.saturating_sub(self.breaks.iter().map(|b| b.minutes).sum())
    }
}

/// A break and when it is planned, in minutes after the start.
struct Break {
    name: &'static str,
    at: u32,
    minutes: u32,
}

const HALF_DAY: Day = Day { length: 240, breaks: &[Break { name: "Break", at: 110, minutes: 15 }] };
const FULL_DAY: Day = Day {
    length: 420,
    breaks: &[
        Break { name: "Coffee break", at: 90, minutes: 15 },
        Break { name: "Lunch", at: 195, minutes: 45 },
        Break { name: "Coffee break", at: 330, minutes: 15 },
    ],
};

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

/// A chapter followed by its chosen exercises: scheduled whole or not at all.
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

/// What a track teaches: its lessons in book order, each with the exercises it does.
struct Choice<'a> {
    lessons: Vec<(&'a Lesson, Vec<&'a str>)>,
}

/// The tracks of `tracks` for the directive in `chapter`, with the exercises in `exercises`.
pub(crate) fn render(outline: &Outline, tracks: Option<&Tracks>, exercises: &Path, chapter: &Path) -> Result<String> {
    let tracks = tracks.ok_or_else(|| anyhow!("book.toml has no `[preprocessor.shipshape.schedule]`: give it `core` chapters and the `tracks` to lay out"))?;
    if outline.lessons.is_empty() {
        bail!("no chapter has minutes to schedule: start the course's chapters with `<!-- minutes: N -->`, N above 0");
    }
    let root = markdown::path_to_root(chapter);
    let whole = Choice::all(outline);
    let total: u32 = blocks(&whole, exercises, &root)?.iter().map(Block::minutes).sum();
    let exercise_count: usize = outline.lessons.iter().map(|l| l.exercises.len()).sum();
    let core: Vec<String> = tracks.core.iter().map(|path| lesson(outline, path).map(|l| link(l, &root))).collect::<Result<_>>()?;
    let intro = format!(
        "The whole course is {} of teaching and exercises: {} chapters and {exercise_count} \
         exercises, breaks not counted. Each track below is a choice, not the course cut short: \
         every one teaches {}. A chapter and its exercises stay together.",
        duration(total),
        outline.lessons.len(),
        core.join(", ")
    );
    let mut parts = vec![intro];
    for track in &tracks.tracks {
        let choice = Choice::of(track, outline, &tracks.core).map_err(|e| anyhow!("track \"{}\": {e:#}", track.title))?;
        parts.push(track_section(track, &choice, outline, exercises, &root).map_err(|e| anyhow!("track \"{}\": {e:#}", track.title))?);
    }
    Ok(parts.join("\n\n"))
}

impl<'a> Choice<'a> {
    /// Every timed chapter with all its exercises.
    fn all(outline: &'a Outline) -> Choice<'a> {
        Choice { lessons: outline.lessons.iter().map(|l| (l, l.exercises.iter().map(String::as_str).collect())).collect() }
    }

    /// What `track` chooses from `outline`, in book order, checked against the course and `core`.
    fn of(track: &'a Track, outline: &'a Outline, core: &[PathBuf]) -> Result<Choice<'a>> {
        let chapters: Vec<&Path> = match &track.chapters {
            Some(paths) => paths.iter().map(|p| lesson(outline, p).map(|l| l.path.as_path())).collect::<Result<_>>()?,
            None => outline.lessons.iter().map(|l| l.path.as_path()).collect(),
        };
        let missing: Vec<String> = core.iter().filter(|c| !chapters.contains(&c.as_path())).map(|c| format!("`{}`", c.display())).collect();
        if !missing.is_empty() {
            bail!("it leaves out {}, which every track must teach (`core`)", missing.join(", "));
        }
        let mut wanted: Option<BTreeSet<&str>> = track.exercises.as_ref().map(|names| names.iter().map(String::as_str).collect());
        let mut lessons = Vec::new();
        for lesson in outline.lessons.iter().filter(|l| chapters.contains(&l.path.as_path())) {
            let chosen = lesson.exercises.iter().map(String::as_str).filter(|name| wanted.as_mut().is_none_or(|w| w.remove(name))).collect();
            lessons.push((lesson, chosen));
        }
        if let Some(left) = wanted.filter(|w| !w.is_empty()) {
            let names: Vec<String> = left.iter().map(|n| format!("`{n}`")).collect();
            bail!("it names exercise(s) {} that none of its chapters holds", names.join(", "));
        }
        Ok(Choice { lessons })
    }
}

/// The timed chapter at `path`, or why there is none.
fn lesson<'a>(outline: &'a Outline, path: &Path) -> Result<&'a Lesson> {
    outline.lessons.iter().find(|l| l.path == path).ok_or_else(|| {
        let known: Vec<String> = outline.lessons.iter().map(|l| l.path.display().to_string()).collect();
        anyhow!("there is no timed chapter `{}` (chapters: {})", path.display(), known.join(", "))
    })
}

/// The blocks of `choice`, chapters linked from `root`.
fn blocks(choice: &Choice<'_>, exercises: &Path, root: &str) -> Result<Vec<Block>> {
    choice.lessons.iter().map(|(lesson, chosen)| block(lesson, chosen, exercises, root)).collect()
}

/// `lesson` and its `chosen` exercises as rows, the chapter linked from `root`.
fn block(lesson: &Lesson, chosen: &[&str], exercises: &Path, root: &str) -> Result<Block> {
    let chapter = Item { label: link(lesson, root), minutes: lesson.minutes };
    let mut items = vec![chapter];
    for name in chosen {
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

/// The section of one track: its heading, one timed table per day, and what it leaves out.
fn track_section(track: &Track, choice: &Choice<'_>, outline: &Outline, exercises: &Path, root: &str) -> Result<String> {
    let blocks = blocks(choice, exercises, root)?;
    let mut parts = vec![format!("### {}", track.title)];
    let mut next = 0;
    for (n, kind) in track.days.iter().enumerate() {
        let day = kind.shape();
        let plan = plan(day, &blocks[next..]);
        next += plan.covered;
        if track.days.len() > 1 {
            parts.push(format!("**Day {}**", n + 1));
        }
        parts.push(table(&plan));
        parts.extend(slack(day, &plan));
    }
    if next < blocks.len() {
        let over: u32 = blocks[next..].iter().map(Block::minutes).sum();
        let left: Vec<String> = choice.lessons[next..].iter().map(|(l, _)| format!("`{}`", l.path.display())).collect();
        bail!("its choice does not fit its days: {} left over ({}); choose less, or give it another day", duration(over), left.join(", "));
    }
    parts.extend(left_out(choice, outline, exercises, root)?);
    Ok(parts.join("\n\n"))
}

/// The timed table of a plan, closed by its end time.
fn table(plan: &Plan<'_>) -> String {
    let rows: Vec<String> = plan.rows.iter().map(|(at, row)| table_row(*at, row)).collect();
    format!("| Time | Session | Minutes |\n| --- | --- | ---: |\n{}\n| {} | *End* | |", rows.join("\n"), clock(plan.end))
}

/// A note on the time a plan leaves before the day's end, if it leaves any.
fn slack(day: &Day, plan: &Plan<'_>) -> Option<String> {
    (plan.end < day.length).then(|| {
        format!(
            "The plan ends at {}, {} before the day's end at {}: room for questions and overruns.",
            clock(plan.end),
            duration(day.length - plan.end),
            clock(day.length)
        )
    })
}

/// A note naming the chapters and exercises `choice` leaves out of the course, if any.
fn left_out(choice: &Choice<'_>, outline: &Outline, exercises: &Path, root: &str) -> Result<Option<String>> {
    let mut chapters = Vec::new();
    let mut skipped = Vec::new();
    for lesson in &outline.lessons {
        match choice.lessons.iter().find(|(l, _)| std::ptr::eq(*l, lesson)) {
            None => chapters.push(link(lesson, root)),
            Some((_, chosen)) => {
                for name in lesson.exercises.iter().filter(|name| !chosen.contains(&name.as_str())) {
                    skipped.push(format!("*{}*", exercise::about(exercises, name)?.title));
                }
            }
        }
    }
    let mut notes = Vec::new();
    if !chapters.is_empty() {
        notes.push(format!("Not taught in this track: {}.", chapters.join(", ")));
    }
    if !skipped.is_empty() {
        notes.push(format!("Exercises left for later: {}.", skipped.join(", ")));
    }
    Ok((!notes.is_empty()).then(|| format!("{} Hand them out as reading or homework, or teach them on another day.", notes.join(" "))))
}

/// The rows of `day`: the blocks that fit, from the first, with its breaks at the nearest
/// boundary.
fn plan<'a>(day: &'a Day, blocks: &'a [Block]) -> Plan<'a> {
    let covered = fitting(blocks, day.budget());
    let mut pending = day.breaks.iter().peekable();
    let (mut rows, mut elapsed) = (Vec::new(), 0);
    for block in &blocks[..covered] {
        if let Some(pause) = pending.next_if(|b| b.at <= elapsed + block.minutes() / 2) {
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

    fn outline(lessons: &[(&str, &[&str])]) -> Outline {
        let lessons = lessons
            .iter()
            .map(|(path, exercises)| Lesson {
                title: path.to_string(),
                path: PathBuf::from(path),
                minutes: 10,
                exercises: exercises.iter().map(|e| e.to_string()).collect(),
            })
            .collect();
        Outline { lessons }
    }

    fn track(chapters: Option<&[&str]>, exercises: Option<&[&str]>) -> Track {
        Track {
            title: "t".into(),
            days: vec![DayKind::Half],
            chapters: chapters.map(|c| c.iter().map(PathBuf::from).collect()),
            exercises: exercises.map(|e| e.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn chosen(choice: &Choice<'_>) -> Vec<(String, Vec<String>)> {
        choice.lessons.iter().map(|(l, ex)| (l.path.display().to_string(), ex.iter().map(|e| e.to_string()).collect())).collect()
    }

    #[test]
    fn blocks_fit_in_order_and_breaks_go_to_the_nearest_boundary() {
        // Half day: 225 minutes to teach, a break planned at 110.
        let course = blocks(&[&[40, 25], &[30], &[60], &[70], &[10]]);
        let plan = plan(&HALF_DAY, &course);
        assert_eq!(plan.covered, 4, "65 + 30 + 60 + 70 = 225 fits, + 10 does not");
        assert_eq!(layout(&plan), [(0, "c0"), (40, "c0"), (65, "c1"), (95, "Break"), (110, "c2"), (170, "c3")].map(|(at, label)| (at, label.to_string())));
        assert_eq!(plan.end, 240);
    }

    #[test]
    fn breaks_never_follow_each_other() {
        // Full day: lunch planned at 195 and a coffee break at 330, both due before a long block.
        let course = blocks(&[&[90], &[100], &[140]]);
        let plan = plan(&FULL_DAY, &course);
        let names: Vec<String> = layout(&plan).into_iter().map(|(_, label)| label).collect();
        assert_eq!(names, ["c0", "Coffee break", "c1", "Lunch", "c2"]);
    }

    #[test]
    fn a_break_planned_after_the_last_block_is_dropped() {
        let course = blocks(&[&[20], &[20]]);
        let plan = plan(&FULL_DAY, &course);
        assert_eq!(plan.covered, 2);
        assert_eq!(plan.end, 40);
        assert!(plan.rows.iter().all(|(_, row)| matches!(row, Row::Item(_))));
    }

    #[test]
    fn a_track_is_a_choice_in_book_order() {
        let course = outline(&[("a.md", &["x"]), ("b.md", &["y", "z"]), ("c.md", &[])]);
        let t = track(Some(&["c.md", "b.md"]), Some(&["z"]));
        let choice = Choice::of(&t, &course, &[PathBuf::from("b.md")]).unwrap();
        assert_eq!(chosen(&choice), [("b.md".to_string(), vec!["z".to_string()]), ("c.md".to_string(), vec![])]);
        let everything = track(None, None);
        assert_eq!(Choice::of(&everything, &course, &[]).unwrap().lessons.len(), 3);
    }

    #[test]
    fn a_track_must_hold_the_core_and_only_what_the_course_has() {
        let course = outline(&[("a.md", &["x"]), ("b.md", &["y"])]);
        let core = [PathBuf::from("b.md")];
        let error = |t: Track| Choice::of(&t, &course, &core).err().expect("refused").to_string();
        assert!(error(track(Some(&["a.md"]), None)).contains("it leaves out `b.md`, which every track must teach"));
        assert!(error(track(Some(&["b.md", "nope.md"]), None)).contains("there is no timed chapter `nope.md` (chapters: a.md, b.md)"));
        assert!(error(track(Some(&["b.md"]), Some(&["x"]))).contains("exercise(s) `x` that none of its chapters holds"));
    }

    #[test]
    fn a_choice_fills_each_day_and_must_fit_them_all() {
        let mut course = outline(&[("a.md", &[]), ("b.md", &[]), ("c.md", &[])]);
        for (lesson, minutes) in course.lessons.iter_mut().zip([200, 100, 100]) {
            lesson.minutes = minutes;
        }
        let render = |days: Vec<DayKind>| {
            let t = Track { days, ..track(None, None) };
            let choice = Choice::of(&t, &course, &[]).unwrap();
            track_section(&t, &choice, &course, Path::new("/nonexistent"), "")
        };
        let two = render(vec![DayKind::Half, DayKind::Half]).unwrap();
        assert!(two.contains("**Day 1**") && two.contains("**Day 2**"), "{two}");
        assert!(two.contains("| 09:00 | [b.md](b.md) | 100 |\n| 10:40 | *Break* | 15 |\n| 10:55 | [c.md](c.md) | 100 |"), "b and c share day 2: {two}");
        let error = render(vec![DayKind::Half]).unwrap_err().to_string();
        assert!(error.contains("its choice does not fit its days: 3 h 20 left over (`b.md`, `c.md`)"), "{error}");
    }

    #[test]
    fn clock_and_durations_read_naturally() {
        assert_eq!(clock(0), "09:00");
        assert_eq!(clock(195), "12:15");
        assert_eq!(duration(45), "45 minutes");
        assert_eq!(duration(425), "7 h 05");
    }
}
