//! `shipshape watch [EXERCISE]`: checks an exercise, then checks it again on every save of its
//! files (or on Enter with `--manual`), clearing the screen each time; once every check passes
//! it offers the next exercise not done (`n` then Enter). Without EXERCISE: the first not done.
//!
//! What must hold: every check is a child `shipshape check EXERCISE` process (so its result is
//! recorded in the learner's progress like any other check), and at most one runs at a time. A
//! check in flight is cancelled the way Ctrl-C cancels one: SIGINT, after which the child's
//! janitor removes its containers and images before it exits. That happens on a new save, on
//! Ctrl-C and on quitting; watch waits for it, and never leaves a child behind. Saves are
//! debounced: a check starts [`DEBOUNCE`] after the last of a burst of changes.
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use colored::Colorize;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::process::{Child, Command};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::time::{sleep_until, Instant};

use super::runtime;
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
    /// The exercise: its folder name, a prefix only it has (such as `01`), or its path
    /// (default: the first exercise not done).
    exercise: Option<String>,
    /// Re-check when Enter is pressed instead of on every save (for file systems that send no
    /// change notifications, such as some network and VM shares).
    #[arg(long)]
    manual: bool,
    /// TOML file mapping public images to local ones (also $SHIPSHAPE_IMAGE_MAP).
    #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
    image_map: Option<PathBuf>,
    #[command(flatten)]
    course: CourseArg,
}

/// What the learner did.
enum Input {
    /// A file of the exercise changed.
    Saved,
    /// A line typed on standard input.
    Line(String),
    /// Standard input ended (Ctrl-D).
    Closed,
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
        read_lines(inputs.clone());
        let mut watch = Watch { course, exercise: first.clone(), image_map, manual: args.manual, inputs, watcher: None, check: None, passed: false };
        watch.run(first, received).await
    })
}

struct Watch {
    course: Course,
    exercise: Exercise,
    image_map: Option<PathBuf>,
    manual: bool,
    /// Where the file watcher sends its news.
    inputs: UnboundedSender<Input>,
    /// Keeps the change notifications for the exercise's folder coming (none with --manual).
    watcher: Option<RecommendedWatcher>,
    /// The check in flight.
    check: Option<Child>,
    /// The last check that finished passed: `n` moves on.
    passed: bool,
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
                status = finished(&mut self.check) => {
                    self.check = None;
                    self.report(status);
                }
                () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    due = None;
                    self.start().await?;
                }
                input = received.recv() => match input.unwrap_or(Input::Closed) {
                    Input::Saved => due = Some(Instant::now() + DEBOUNCE),
                    Input::Line(line) => match line.trim() {
                        "q" => break,
                        "n" if self.passed => self.move_on().await?,
                        _ => due = Some(Instant::now()),
                    },
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

    /// Watches `exercise` from now on, and checks it.
    async fn switch_to(&mut self, exercise: Exercise) -> Result<()> {
        self.cancel().await;
        self.watcher = None;
        if !self.manual {
            self.watcher = Some(watch_files(&exercise.dir, self.inputs.clone())?);
        }
        self.exercise = exercise;
        self.start().await
    }

    /// Cancels the check in flight, if any, and starts a new one.
    async fn start(&mut self) -> Result<()> {
        self.cancel().await;
        self.passed = false;
        if std::io::stdout().is_terminal() {
            print!("\x1b[2J\x1b[H");
        }
        println!("{} {} — {}", "Checking".bold(), self.exercise.name, self.exercise.spec.exercise.title);
        self.check = Some(spawn_check(&self.exercise.dir, self.image_map.as_deref())?);
        Ok(())
    }

    /// Stops the check in flight with SIGINT, as Ctrl-C would, and waits while it cleans up.
    async fn cancel(&mut self) {
        let Some(mut child) = self.check.take() else { return };
        if let Some(pid) = child.id().and_then(|id| rustix::process::Pid::from_raw(i32::try_from(id).ok()?)) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
        if tokio::time::timeout(CLEANUP_GRACE, child.wait()).await.is_err() {
            eprintln!("warning: the cancelled check did not stop within {} s and was killed", CLEANUP_GRACE.as_secs());
            let _ = child.kill().await;
        }
    }

    async fn move_on(&mut self) -> Result<()> {
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

    /// What the finished check means, and what the learner can do now.
    fn report(&mut self, status: std::io::Result<ExitStatus>) {
        let name = &self.exercise.name;
        match status.as_ref().map(|s| s.code().and_then(|code| u8::try_from(code).ok())) {
            Ok(Some(EXIT_PASSED)) => {
                self.passed = true;
                println!("{} every check passes.", format!("{name} is done:").green().bold());
                match self.next() {
                    Ok(Some(next)) => println!("Next up: {} — {}. Press n then Enter to move on.", next.name, next.spec.exercise.title),
                    Ok(None) => println!("That was the last one: every exercise is done. Well shipped!"),
                    Err(error) => eprintln!("{error}"),
                }
            }
            Ok(Some(EXIT_FAILED)) => println!("Not there yet: fix what failed above. Stuck? `shipshape hint {name}`"),
            Ok(Some(_)) => println!("The check could not run: see the error above."),
            Ok(None) => println!("The check was stopped."),
            Err(e) => println!("Lost track of the check: {e}"),
        }
        if self.manual {
            println!("{}", "Press Enter to check again; q then Enter, or Ctrl-D, to stop.".dimmed());
        } else {
            println!("{}", format!("Watching {} — save to check again, Enter to check now, Ctrl-C to stop.", shown(&self.exercise.dir)).dimmed());
        }
    }
}

/// Runs `shipshape check DIR` as a child that writes straight to this terminal.
fn spawn_check(dir: &Path, image_map: Option<&Path>) -> Result<Child> {
    let me = std::env::current_exe().context(|| "cannot find the shipshape program to run the check".into())?;
    let mut command = Command::new(me);
    command.arg("check").arg(dir).stdin(Stdio::null());
    if let Some(map) = image_map {
        command.arg("--image-map").arg(map);
    }
    command.spawn().context(|| "cannot start `shipshape check`".into())
}

/// The exit status of the check in flight; never, when there is none.
async fn finished(check: &mut Option<Child>) -> std::io::Result<ExitStatus> {
    match check {
        Some(child) => child.wait().await,
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

/// Forwards standard input's lines, then its end, from a thread of its own (reads block).
fn read_lines(inputs: UnboundedSender<Input>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if inputs.send(Input::Line(line)).is_err() {
                return;
            }
        }
        let _ = inputs.send(Input::Closed);
    });
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
