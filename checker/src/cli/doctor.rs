//! `shipshape doctor`: checks the set-up a course needs, one line per item, each `ok` or what to
//! do: the Docker engine and its (negotiated) API version, whether builds get BuildKit, the storage driver, the free disk in
//! the daemon's data root, every base image the course's Dockerfiles build from (through the
//! image map when one is given), each of those bases whose support ends within
//! [`SUPPORT_HORIZON_DAYS`] or has ended (by the course's support table, [`crate::support`]), and
//! the vulnerability database with its age.
//!
//! What must hold: doctor only looks (it creates, pulls and removes nothing); it exits 0 when
//! every item is ok, 1 when something needs doing (an unreachable engine included: saying so is
//! its job), and 2 only when it cannot run at all (an unreadable image map or `--course`).
//! Items it cannot judge from here (the disk of a remote daemon) are `skip` and do not count; a
//! base near or past its end of life is a `warn`, which does not count either: the course's
//! author moves it, not the learner.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use colored::Colorize;

use super::runtime;
use crate::course::{shown, Course, CourseArg};
use crate::docker;
use crate::docker::engine::Engine;
use crate::dockerfile::image_map::ImageMap;
use crate::error::{Error, Result, EXIT_FAILED, EXIT_PASSED};
use crate::scan::db::{self, Database};
use crate::support::{Standing, SupportTable};
use crate::units::format_size;

/// Less free disk than this in the daemon's data root is worth a warning: a course's images and
/// builds take several gigabytes.
const LOW_DISK: u64 = 5_000_000_000;
/// A course base whose support ends within this many days is worth a warning.
const SUPPORT_HORIZON_DAYS: i64 = 180;
/// How long the engine may take to answer before doctor gives up on it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(clap::Args)]
pub(super) struct Args {
    /// TOML file mapping public images to local ones: check the mapped images instead (also
    /// $SHIPSHAPE_IMAGE_MAP).
    #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
    image_map: Option<PathBuf>,
    #[command(flatten)]
    course: CourseArg,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    /// Something needs doing; the line says what.
    Todo,
    /// Not judged from here; the line says why.
    Skip,
    /// Worth knowing, but nothing this machine can fix; the line says why.
    Warn,
}

struct Item {
    status: Status,
    text: String,
}

impl Item {
    fn new(status: Status, text: impl Into<String>) -> Item {
        Item { status, text: text.into() }
    }

    fn render(&self) -> String {
        let mark = match self.status {
            Status::Ok => "ok  ".green(),
            Status::Todo => "todo".red().bold(),
            Status::Skip => "skip".dimmed(),
            Status::Warn => "warn".yellow().bold(),
        };
        format!("{mark}  {}", self.text)
    }
}

pub(super) fn run(args: Args) -> Result<u8> {
    let course = match &args.course.dir {
        Some(dir) => Ok(Course::open(dir)?),
        None => Course::find(None),
    };
    let root = course.as_ref().ok().map(|course| course.root.as_path());
    let map = crate::course::image_map_path(args.image_map.as_deref(), root).as_deref().map(ImageMap::load).transpose()?.unwrap_or_default();
    let items = runtime()?.block_on(examine(&course, &map));
    for item in &items {
        println!("{}", item.render());
    }
    let todo = items.iter().filter(|i| i.status == Status::Todo).count();
    match todo {
        0 => println!("Everything is ready."),
        1 => println!("1 thing needs doing: see the line marked todo."),
        n => println!("{n} things need doing: see the lines marked todo."),
    }
    Ok(if todo == 0 { EXIT_PASSED } else { EXIT_FAILED })
}

async fn examine(course: &Result<Course>, map: &ImageMap) -> Vec<Item> {
    let mut items = Vec::new();
    match connect().await {
        Ok(docker) => {
            items.push(engine(&docker).await);
            items.push(builder(&docker).await);
            items.extend(storage(&docker).await);
            items.extend(base_images(&docker, course, map).await);
        }
        Err(error) => {
            items.push(Item::new(Status::Todo, format!("Docker engine: {}", one_line(&error))));
            items.push(Item::new(Status::Skip, "storage driver, free disk and base images: they need the Docker engine"));
            if let Err(error) = course {
                items.push(Item::new(Status::Todo, format!("course: {}", one_line(error))));
            }
        }
    }
    items.push(database());
    items
}

async fn connect() -> Result<Docker> {
    tokio::time::timeout(CONNECT_TIMEOUT, docker::connect()).await.unwrap_or_else(|_| {
        Err(Error::new(format!("the Docker daemon did not answer within {} s", CONNECT_TIMEOUT.as_secs()))
            .action("check DOCKER_HOST and that the daemon is running (`docker info`)"))
    })
}

async fn engine(docker: &Docker) -> Item {
    let negotiated = docker.client_version();
    match docker.version().await {
        Ok(version) => {
            let engine = version.version.unwrap_or_else(|| "(version unknown)".into());
            let speaks = match (version.min_api_version, version.api_version) {
                (Some(min), Some(max)) => format!("; the engine speaks {min} to {max}"),
                _ => String::new(),
            };
            Item::new(Status::Ok, format!("Docker engine {engine} answers, API {negotiated} (negotiated{speaks})"))
        }
        Err(e) => Item::new(Status::Todo, format!("Docker engine: it answered a ping but not `version`: {e} → check the daemon with `docker version`")),
    }
}

/// Whether builds get BuildKit (secret and cache mounts, heredocs, a build cache across runs).
async fn builder(docker: &Docker) -> Item {
    match Engine::inspect(docker, &docker::default_host()).await.map(|engine| engine.buildkit) {
        Ok(Ok(())) => Item::new(Status::Ok, "builder: BuildKit (secret and cache mounts, heredocs, COPY --link)"),
        Ok(Err(why)) => Item::new(
            Status::Todo,
            format!("builder: the legacy builder only ({why}) → Dockerfiles with secret or cache mounts or heredocs will not build; use Docker Engine 23 or later (scripts/setup installs 26)"),
        ),
        Err(error) => Item::new(Status::Todo, format!("builder: {}", one_line(&error))),
    }
}

/// The storage driver and the free disk in the daemon's data root, from `docker info`.
async fn storage(docker: &Docker) -> Vec<Item> {
    let info = match docker.info().await {
        Ok(info) => info,
        Err(e) => return vec![Item::new(Status::Todo, format!("storage: the engine did not answer `info`: {e} → check the daemon with `docker info`"))],
    };
    let driver = info.driver.unwrap_or_default();
    let driver_item = match driver.as_str() {
        "vfs" => Item::new(
            Status::Todo,
            "storage driver vfs copies every layer in full, so builds are slow and fill the disk → set \"storage-driver\": \"overlay2\" in /etc/docker/daemon.json and restart the daemon",
        ),
        "" => Item::new(Status::Skip, "storage driver: the engine did not say which"),
        _ => Item::new(Status::Ok, format!("storage driver {driver}")),
    };
    let disk_item = match info.docker_root_dir {
        Some(root) => free_disk(Path::new(&root)),
        None => Item::new(Status::Skip, "free disk: the engine did not say where its data root is"),
    };
    vec![driver_item, disk_item]
}

/// Free disk where the daemon keeps images, measured here: only a local daemon's data root is
/// this machine's.
fn free_disk(root: &Path) -> Item {
    let local = std::env::var("DOCKER_HOST").map_or(true, |host| host.is_empty() || host.starts_with("unix://"));
    let measured = if local { rustix::fs::statvfs(root).map_err(|e| e.to_string()) } else { Err("the daemon is not on this machine".to_string()) };
    match measured {
        Ok(stats) => {
            let free = stats.f_bavail.saturating_mul(stats.f_frsize);
            let text = format!("free disk in {}: {}", root.display(), format_size(free));
            if free < LOW_DISK {
                Item::new(
                    Status::Todo,
                    format!("{text}, less than {} → free some (`docker system prune` removes unused images and build cache)", format_size(LOW_DISK)),
                )
            } else {
                Item::new(Status::Ok, text)
            }
        }
        Err(why) => Item::new(
            Status::Skip,
            format!("free disk in {}: cannot measure it from here ({why}); check it with `df -h` on the daemon's machine", root.display()),
        ),
    }
}

/// One line per base image the course's Dockerfiles (the learner's and the solution's) build
/// from, present or not in the daemon (its mapped stand-in when the map has one).
async fn base_images(docker: &Docker, course: &Result<Course>, map: &ImageMap) -> Vec<Item> {
    let course = match course {
        Ok(course) => course,
        Err(error) => return vec![Item::new(Status::Todo, format!("course: {}", one_line(error)))],
    };
    let (needed, mut items) = needed_images(course);
    if needed.is_empty() {
        items.push(Item::new(Status::Skip, format!("base images: the course in {} names none", shown(&course.root))));
    }
    for (image, exercises) in &needed {
        items.push(image_item(docker, image, exercises, map).await);
    }
    let today = crate::clock::today();
    items.extend(needed.iter().filter_map(|(image, exercises)| support_item(image, exercises, today)));
    items
}

/// A warning when the base `image` ends its support within [`SUPPORT_HORIZON_DAYS`] of `today`
/// or has ended; nothing when it is supported longer or the table does not know it.
fn support_item(image: &str, exercises: &BTreeSet<String>, today: chrono::NaiveDate) -> Option<Item> {
    let window = SupportTable::course().window(image)?;
    let when = match window.standing(today, SUPPORT_HORIZON_DAYS) {
        Standing::Supported => return None,
        Standing::EndsSoon(days) => format!("its support ends in {days} days"),
        Standing::Ended(days) => format!("past its end of life by {days} days"),
    };
    Some(Item::new(
        Status::Warn,
        format!(
            "base {image} for {}: {when} ({}) → move the course to a supported base (`shipshape recommend EXERCISE` compares them)",
            join(exercises),
            window.describe(today)
        ),
    ))
}

/// Every image an exercise's Dockerfiles need from outside, build arguments filled in (as
/// `images list` has them), with the exercises that need it; and a `skip` line per Dockerfile
/// whose images cannot be told. An exercise without a reference solution is no reason to skip.
fn needed_images(course: &Course) -> (BTreeMap<String, BTreeSet<String>>, Vec<Item>) {
    let mut needed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for exercise in &course.exercises {
        let written = [exercise.dockerfile(false), exercise.dockerfile(true)].into_iter().filter(|path| path.exists());
        for path in written {
            match exercise.base_images(&path) {
                Ok(images) => {
                    for image in images {
                        needed.entry(image).or_default().insert(exercise.name.clone());
                    }
                }
                Err(why) => skipped.push(Item::new(Status::Skip, format!("base images of {}: cannot tell them ({why})", shown(&path)))),
            }
        }
    }
    (needed, skipped)
}

async fn image_item(docker: &Docker, image: &str, exercises: &BTreeSet<String>, map: &ImageMap) -> Item {
    let local = map.lookup(image);
    let what = match local {
        Some(local) => format!("image {image} (mapped to {local}) for {}", join(exercises)),
        None => format!("image {image} for {}", join(exercises)),
    };
    match docker.inspect_image(local.unwrap_or(image)).await {
        Ok(_) => Item::new(Status::Ok, what),
        Err(e) if docker::is_not_found(&e) => Item::new(Status::Todo, format!("{what}: not in the daemon → {}", how_to_get(image, local))),
        Err(e) => Item::new(Status::Todo, format!("{what}: cannot inspect it: {e} → check the daemon with `docker info`")),
    }
}

fn how_to_get(image: &str, local: Option<&str>) -> String {
    match local {
        Some(local) => format!("build or load {local} (`docker load -i FILE`; the stand-ins: `tests/images/build-images`)"),
        None => format!("`docker pull {image}` where a registry is reachable, `docker load -i FILE` from the course's images, or pass --image-map FILE"),
    }
}

fn join(names: &BTreeSet<String>) -> String {
    names.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

fn database() -> Item {
    match db::default_dir().and_then(|dir| Database::open(&dir)).map_err(|error| crate::course::with_database_fix(error, None)) {
        Ok(database) => {
            let info = database.info();
            let age = match info.age_days() {
                1 => "1 day old".to_string(),
                days => format!("{days} days old"),
            };
            Item::new(
                Status::Ok,
                format!("vulnerability database {}: {} records, written {} ({age})", shown(&info.dir), info.records, info.written_at_rfc3339()),
            )
        }
        Err(error) => Item::new(Status::Todo, format!("vulnerability database: {}", one_line(&error))),
    }
}

/// An error on one line: the message, its causes after colons, and `→` before what to do.
fn one_line(error: &Error) -> String {
    let text = error.to_string();
    let mut lines = text.lines();
    let mut out = lines.next().unwrap_or_default().trim_start_matches("error: ").to_string();
    for line in lines {
        match line.trim().strip_prefix("caused by: ") {
            Some(cause) => out.push_str(&format!(": {cause}")),
            None => out.push_str(&format!(" → {}", line.trim())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_near_or_past_its_end_is_a_warning() {
        let exercises = BTreeSet::from(["01-a".to_string()]);
        let day = |text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        let past = support_item("node:20-bookworm", &exercises, day("2026-12-06")).unwrap();
        assert!(past.status == Status::Warn);
        assert!(past.text.starts_with("base node:20-bookworm for 01-a: past its end of life by 220 days (Node.js 20 ended 2026-04-30)"), "{}", past.text);
        let soon = support_item("node:20-bookworm", &exercises, day("2026-03-01")).unwrap();
        assert!(soon.text.contains("its support ends in 60 days"), "{}", soon.text);
        assert!(support_item("node:20-bookworm", &exercises, day("2025-06-01")).is_none());
        assert!(support_item("node:24-trixie", &exercises, day("2026-12-06")).is_none());
        assert!(support_item("busybox:1.36", &exercises, day("2026-12-06")).is_none(), "no dates known");
    }

    #[test]
    fn an_error_fits_on_one_line() {
        let error = Error::new("no database").because("not found").action("import one");
        assert_eq!(one_line(&error), "no database: not found → import one");
    }
}
