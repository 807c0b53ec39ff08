//! `shipshape watch [EXERCISE]`: checks an exercise, then checks it again on every save of its
//! files (or only when asked, with `--manual`), as rustlings does. Keys act without Enter when
//! standard input is a terminal (`h` the next hint, `l` the list, `r` re-check now, `n` the next
//! exercise once this one passes, `q` quit), and as lines (the letter then Enter) when it is not.
//! After each verdict: how many exercises are done, the keys, and once the exercise passes, where
//! its reference solution is. Without EXERCISE: the first not done.
//!
//! What must hold: every check is a child `shipshape check EXERCISE` process (so its result is
//! recorded in the learner's progress like any other check), and at most one runs at a time. A
//! check in flight is cancelled the way Ctrl-C cancels one: SIGINT, after which the child's
//! janitor removes its containers and images before it exits. That happens on a new save, on `r`,
//! on moving on, on Ctrl-C and on quitting; watch waits for it, and never leaves a child behind.
//! Saves are debounced: a check starts [`DEBOUNCE`] after the last of a burst of changes. The
//! child's report (its stdout, in colour when watch's own output is) is held until the child
//! ends, so the last verdict stays on screen, marked stale, until the next is ready; a check that
//! cannot run (exit 2) shows its error and leaves the last verdict standing. The child's stderr
//! (build progress, errors) reaches the terminal as it comes. Hints and the list come from the
//! same code as `shipshape hint` and `shipshape list`, in this process. The terminal is left as
//! watch found it ([`input`]).
mod input;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use colored::Colorize;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};

use self::input::{Action, Input, Keys};
use super::{hint, list, runtime};
use crate::course::{shown, Course, CourseArg};
use crate::dockerfile::image_map::ImageMap;
use crate::error::{Context, Error, Result, EXIT_FAILED, EXIT_PASSED};
use crate::exercise::Exercise;
use crate::progress::Progress;
use crate::stop::StopSignals;

/// A check starts this long after the last change of a burst (editors write several times).
const DEBOUNCE: Duration = Duration::from_millis(300);
/// How long a cancelled check may take to clean up before it is killed outright.
const CLEANUP_GRACE: Duration = Duration::from_secs(60);

#[derive(clap::Args)]
pub(super) struct Args {
    /// The exercise: its folder name, its number (`1` or `01`), a prefix only it has, or its path
    /// (default: the first exercise not done).
    exercise: Option<String>,
    /// Re-check only when asked (`r`, or Enter) instead of on every save (for file systems that
    /// send no change notifications, such as some network and VM shares).
    #[arg(long)]
    manual: bool,
    /// TOML file mapping public images to local ones (also $SHIPSHAPE_IMAGE_MAP).
    #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
    image_map: Option<PathBuf>,
    #[command(flatten)]
    course: CourseArg,
}

pub(super) fn run(args: Args) -> Result<u8> {
    let course = Course::find(args.course.dir.as_deref())?;
    let first = match &args.exercise {
        Some(wanted) => course.exercise(wanted)?.clone(),
        None => match Progress::load(&course.root)?.next_to_do(&course, None) {
            Some(exercise) => exercise.clone(),
            None => {
                println!("Every exercise is done. Well shipped!");
                return Ok(EXIT_PASSED);
            }
        },
    };
    let image_map = match crate::course::image_map_path(args.image_map.as_deref(), Some(&course.root)) {
        Some(path) => {
            ImageMap::load(&path)?;
            Some(std::path::absolute(&path).unwrap_or(path))
        }
        None => None,
    };
    runtime()?.block_on(async move {
        let (inputs, received) = unbounded_channel();
        // Held until watch ends, however it ends: the terminal's settings go back then.
        let (keys, _terminal) = input::listen(inputs.clone());
        let on_terminal = std::io::stdout().is_terminal();
        let mut watch =
            Watch { course, exercise: first.clone(), image_map, manual: args.manual, keys, on_terminal, inputs, watcher: None, check: None, last: None };
        watch.run(first, received).await
    })
}

struct Watch {
    course: Course,
    exercise: Exercise,
    image_map: Option<PathBuf>,
    manual: bool,
    keys: Keys,
    /// Standard output is a terminal: each verdict replaces the screen.
    on_terminal: bool,
    /// Where the file watcher sends its news.
    inputs: UnboundedSender<Input>,
    /// Keeps the change notifications for the exercise's folder coming (none with --manual).
    watcher: Option<RecommendedWatcher>,
    /// The check in flight.
    check: Option<Check>,
    /// The last verdict on the exercise being watched: stale while the next check runs.
    last: Option<Verdict>,
}

/// A check in flight: the child, and the report it writes, read as it comes.
struct Check {
    child: Child,
    report: JoinHandle<Vec<u8>>,
}

/// What a check that ran said.
struct Verdict {
    /// The child's report, as it printed it.
    report: Vec<u8>,
    passed: bool,
    /// When it was ready (local time).
    at: String,
}

/// Why the exercise is checked again.
#[derive(Clone, Copy)]
enum Why {
    Saved,
    Asked,
}

impl Watch {
    async fn run(&mut self, first: Exercise, mut received: UnboundedReceiver<Input>) -> Result<u8> {
        let mut stop = StopSignals::listen()?;
        self.switch_to(first).await?;
        let mut due: Option<Instant> = None;
        loop {
            tokio::select! {
                // A signal first: the check that Ctrl-C also interrupted is not worth a report.
                biased;
                () = stop.received() => break,
                status = finished(&mut self.check) => self.conclude(status).await,
                () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    due = None;
                    self.start(Why::Saved).await?;
                }
                input = received.recv() => match input.unwrap_or(Input::Closed) {
                    Input::Saved => due = Some(Instant::now() + DEBOUNCE),
                    Input::Do(Action::Quit) => break,
                    Input::Do(action) => self.act(action).await?,
                    Input::Closed if self.manual => break,
                    // Without a terminal (or after Ctrl-D), saves still trigger checks.
                    Input::Closed => {}
                },
            }
        }
        self.cancel().await;
        println!("Stopped watching.");
        Ok(EXIT_PASSED)
    }

    async fn act(&mut self, action: Action) -> Result<()> {
        match action {
            Action::Recheck => self.start(Why::Asked).await?,
            Action::Next => self.move_on().await?,
            Action::Hint => self.hint(),
            Action::List => self.list(),
            // The loop stops on it.
            Action::Quit => {}
        }
        Ok(())
    }

    /// Watches `exercise` from now on, and checks it.
    async fn switch_to(&mut self, exercise: Exercise) -> Result<()> {
        self.cancel().await;
        self.watcher = None;
        if !self.manual {
            self.watcher = Some(watch_files(&exercise.dir, self.inputs.clone())?);
        }
        self.exercise = exercise;
        self.last = None;
        self.start(Why::Asked).await
    }

    /// Cancels the check in flight, if any, and starts a new one below the last verdict, marked
    /// stale (on a terminal, the screen shows just that; elsewhere the verdict is above already).
    async fn start(&mut self, why: Why) -> Result<()> {
        self.cancel().await;
        self.clear_screen();
        println!("{} {} — {}", "Checking".bold(), self.exercise.name, self.exercise.spec.exercise.title);
        if let Some(last) = &self.last {
            let why = match why {
                Why::Saved => "after a save",
                Why::Asked => "on request",
            };
            let place = if self.on_terminal { "below" } else { "above" };
            println!("{}", format!("↻ re-checking {why} — the verdict {place} is from {}", last.at).dimmed());
            if self.on_terminal {
                self.show(last);
            }
        }
        let _ = std::io::stdout().flush();
        self.check = Some(spawn_check(&self.exercise.dir, self.image_map.as_deref())?);
        Ok(())
    }

    /// Stops the check in flight with SIGINT, as Ctrl-C would, and waits while it cleans up.
    async fn cancel(&mut self) {
        let Some(Check { mut child, .. }) = self.check.take() else { return };
        if let Some(pid) = child.id().and_then(|id| rustix::process::Pid::from_raw(i32::try_from(id).ok()?)) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
        if tokio::time::timeout(CLEANUP_GRACE, child.wait()).await.is_err() {
            eprintln!("warning: the cancelled check did not stop within {} s and was killed", CLEANUP_GRACE.as_secs());
            let _ = child.kill().await;
        }
    }

    /// The next exercise, once this one has passed.
    async fn move_on(&mut self) -> Result<()> {
        if !self.last.as_ref().is_some_and(|last| last.passed) {
            println!("{} has not passed yet: {} moves on once it does.", self.exercise.name, self.keys.press("n"));
            return Ok(());
        }
        match self.next()? {
            Some(next) => self.switch_to(next).await,
            None => {
                println!("Every exercise is done. Well shipped!");
                Ok(())
            }
        }
    }

    /// The next exercise not done, after the one being watched.
    fn next(&self) -> Result<Option<Exercise>> {
        Ok(Progress::load(&self.course.root)?.next_to_do(&self.course, Some(&self.exercise.name)).cloned())
    }

    /// The next hint for the exercise, as `shipshape hint` gives it and counts it.
    fn hint(&self) {
        match hint::next_hint(&self.course, &self.exercise, &format!("press {}", self.keys.press("h"))) {
            Ok(text) => print!("\n{text}"),
            Err(error) => eprintln!("{error}"),
        }
    }

    /// The course's exercises with their states, as `shipshape list` shows them.
    fn list(&self) {
        match Progress::load(&self.course.root) {
            Ok(progress) => print!("\n{}", list::render(&self.course, &progress)),
            Err(error) => eprintln!("{error}"),
        }
    }

    /// What the finished check means: a verdict replaces the last one; a check that could not run
    /// leaves it standing.
    async fn conclude(&mut self, status: std::io::Result<ExitStatus>) {
        let Some(check) = self.check.take() else { return };
        let report = check.report.await.unwrap_or_default();
        match status.as_ref().map(|s| s.code().and_then(|code| u8::try_from(code).ok())) {
            Ok(Some(code @ (EXIT_PASSED | EXIT_FAILED))) => {
                let verdict = Verdict { report, passed: code == EXIT_PASSED, at: chrono::Local::now().format("%H:%M:%S").to_string() };
                self.clear_screen();
                if self.on_terminal {
                    println!("{} {} — {}", "Checked".bold(), self.exercise.name, self.exercise.spec.exercise.title);
                }
                self.show(&verdict);
                if verdict.passed {
                    self.after_pass();
                }
                self.last = Some(verdict);
            }
            Ok(Some(_)) => {
                let _ = std::io::stdout().write_all(&report);
                println!("The check could not run: see the error above.");
                if let Some(last) = &self.last {
                    println!("{}", format!("The last verdict, from {}, stands until a check runs.", last.at).dimmed());
                }
            }
            Ok(None) => println!("The check was stopped."),
            Err(e) => println!("Lost track of the check: {e}"),
        }
        self.footer();
    }

    /// A verdict: the report, then what it means.
    fn show(&self, verdict: &Verdict) {
        let _ = std::io::stdout().write_all(&verdict.report);
        if verdict.passed {
            println!("{} every check passes.", format!("{} is done:", self.exercise.name).green().bold());
        } else {
            println!("Not there yet: fix what failed above. Stuck? {} shows a hint.", self.keys.press("h"));
        }
    }

    /// Where the reference solution is, and what comes next.
    fn after_pass(&self) {
        let solution = self.exercise.dockerfile(true);
        if solution.is_file() {
            println!("Reference solution: {}", shown(&solution));
            println!("Compare it with yours: the same checks can pass in more than one way.");
        }
        match self.next() {
            Ok(Some(next)) => println!("Next up: {} — {}. Press {} to move on.", next.name, next.spec.exercise.title, self.keys.press("n")),
            Ok(None) => println!("That was the last one: every exercise is done. Well shipped!"),
            Err(error) => eprintln!("{error}"),
        }
    }

    /// The course's progress and the keys, under every verdict.
    fn footer(&self) {
        match Progress::load(&self.course.root) {
            Ok(progress) => println!("{}", format!("{}/{} done", progress.done(&self.course), self.course.exercises.len()).bold()),
            Err(error) => eprintln!("{error}"),
        }
        println!("{}", self.legend().dimmed());
    }

    fn legend(&self) -> String {
        let watching = shown(&self.exercise.dir);
        match (self.keys, self.manual) {
            (Keys::Single, false) => format!("Watching {watching} — save to check again. Keys: h hint · n next · l list · r re-check · q quit"),
            (Keys::Single, true) => "Keys: r re-check · h hint · n next · l list · q quit".to_string(),
            (Keys::Lines, false) => {
                format!("Watching {watching} — save to check again, Enter to check now, Ctrl-C to stop. Or h, n, l, q then Enter: hint, next, list, quit.")
            }
            (Keys::Lines, true) => "Press Enter to check again; q then Enter, or Ctrl-D, to stop. Or h, n, l then Enter: hint, next, list.".to_string(),
        }
    }

    fn clear_screen(&self) {
        if self.on_terminal {
            print!("\x1b[2J\x1b[H");
        }
    }
}

/// Runs `shipshape check DIR` as a child whose report (stdout) is read as it comes, coloured when
/// this process colours its own, and whose stderr goes straight to the terminal.
fn spawn_check(dir: &Path, image_map: Option<&Path>) -> Result<Check> {
    let me = std::env::current_exe().context(|| "cannot find the shipshape program to run the check".into())?;
    let mut command = Command::new(me);
    command.arg("check").arg(dir).stdin(Stdio::null()).stdout(Stdio::piped());
    if let Some(map) = image_map {
        command.arg("--image-map").arg(map);
    }
    if colored::control::SHOULD_COLORIZE.should_colorize() {
        command.env("CLICOLOR_FORCE", "1");
    }
    let mut child = command.spawn().context(|| "cannot start `shipshape check`".into())?;
    let mut stdout = child.stdout.take().expect("the child's stdout is piped");
    let report = tokio::spawn(async move {
        let mut report = Vec::new();
        let _ = stdout.read_to_end(&mut report).await;
        report
    });
    Ok(Check { child, report })
}

/// The exit status of the check in flight; never, when there is none.
async fn finished(check: &mut Option<Check>) -> std::io::Result<ExitStatus> {
    match check {
        Some(check) => check.child.wait().await,
        None => std::future::pending().await,
    }
}

fn watch_files(dir: &Path, inputs: UnboundedSender<Input>) -> Result<RecommendedWatcher> {
    let cannot = |e: notify::Error| {
        Error::new(format!("cannot watch {} for changes", shown(dir))).because(e).action("run `shipshape watch --manual` and press Enter to check again")
    };
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // An error may mean lost notifications: a check too many beats a save missed.
        if event.as_ref().map_or(true, is_save) {
            let _ = inputs.send(Input::Saved);
        }
    })
    .map_err(cannot)?;
    watcher.watch(dir, RecursiveMode::Recursive).map_err(cannot)?;
    Ok(watcher)
}

/// A change worth a check: not a mere open or read, nor an editor's scratch file.
fn is_save(event: &notify::Event) -> bool {
    let changes = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    };
    changes && event.paths.iter().any(|path| !is_scratch(path))
}

/// Editors' swap, backup and probe files (`.x.swp`, `x~`, vim's `4913`), and hidden files.
fn is_scratch(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    name.starts_with('.') || name.ends_with('~') || name == "4913"
}

#[cfg(test)]
mod tests {
    use notify::event::{CreateKind, DataChange, MetadataKind, ModifyKind};

    use super::*;

    fn event(kind: EventKind, path: &str) -> notify::Event {
        notify::Event::new(kind).add_path(PathBuf::from(path))
    }

    #[test]
    fn saves_count_but_opens_and_scratch_files_do_not() {
        assert!(is_save(&event(EventKind::Modify(ModifyKind::Data(DataChange::Any)), "/e/Dockerfile")));
        assert!(is_save(&event(EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)), "/e/Dockerfile")));
        assert!(is_save(&event(EventKind::Access(AccessKind::Close(AccessMode::Write)), "/e/main.go")));
        assert!(is_save(&event(EventKind::Create(CreateKind::File), "/e/src/new.js")));
        assert!(!is_save(&event(EventKind::Access(AccessKind::Open(AccessMode::Any)), "/e/Dockerfile")));
        assert!(!is_save(&event(EventKind::Modify(ModifyKind::Any), "/e/.Dockerfile.swp")));
        assert!(!is_save(&event(EventKind::Create(CreateKind::File), "/e/4913")));
        assert!(!is_save(&event(EventKind::Modify(ModifyKind::Any), "/e/Dockerfile~")));
    }
}
