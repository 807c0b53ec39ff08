//! `shipshape images`: the images a course's exercises name (`FROM` and `COPY --from=<image>` in
//! each exercise's Dockerfile and reference solution), listed, pulled, saved to one archive and
//! loaded from it — for a room whose Wi-Fi cannot carry a class's worth of pulls.
//!
//! What must hold: nothing is ever tagged with a public name on this machine. A pull through a
//! mirror keeps the mirror's name and prints (or writes) the image map that points the course's
//! public names at it. Progress goes to stderr; results (the map, the archive's size, what
//! arrived) to stdout.
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use bollard::models::CreateImageInfo;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use super::runtime;
use crate::course::{Course, CourseArg, EXERCISES_DIR};
use crate::docker::{self, images};
use crate::dockerfile::image_map::ImageMap;
use crate::dockerfile::image_ref::ImageRef;
use crate::error::{Context, Error, Result, EXIT_PASSED};
use crate::exercise::{Exercise, SPEC_FILE};
use crate::stop::StopSignals;
use crate::units::{count, format_size};

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Every image the course's exercises name, and whether the daemon has it.
    List {
        #[command(flatten)]
        course: CourseArg,
        /// TOML file mapping public images to local ones (also $SHIPSHAPE_IMAGE_MAP).
        #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
        image_map: Option<PathBuf>,
    },
    /// Pull every image the course names (needs the registry, or a mirror of it).
    Pull {
        #[command(flatten)]
        course: CourseArg,
        /// Pull HOST:PORT/<repository>:<tag> from this mirror instead (Docker Hub's official
        /// images as HOST:PORT/library/NAME, others as HOST:PORT/<registry>/<path>), keep that
        /// name, and print the image map pointing the public names at it.
        #[arg(long, value_name = "HOST:PORT", value_parser = parse_mirror)]
        registry_mirror: Option<String>,
        /// Also write that image map to FILE (for --image-map or $SHIPSHAPE_IMAGE_MAP).
        #[arg(long, value_name = "FILE", requires = "registry_mirror")]
        write_map: Option<PathBuf>,
    },
    /// Write every image the course names into one archive (for a USB stick).
    Save {
        /// The archive to write (a `docker save` tar).
        file: PathBuf,
        #[command(flatten)]
        course: CourseArg,
        /// Save the local images this map names instead (also $SHIPSHAPE_IMAGE_MAP).
        #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
        image_map: Option<PathBuf>,
    },
    /// Load an archive written by `shipshape images save` into the daemon.
    Load {
        /// The archive to read.
        file: PathBuf,
    },
}

/// Public (as written) image reference → the exercises that name it.
type CourseImages = BTreeMap<String, BTreeSet<String>>;

pub(super) fn run(args: Args) -> Result<u8> {
    match args.action {
        Action::List { course, image_map } => list(&course_images(&course)?, load_map(image_map.as_deref())?.as_ref()),
        Action::Pull { course, registry_mirror, write_map } => pull(&course_images(&course)?, registry_mirror.as_deref(), write_map.as_deref()),
        Action::Save { file, course, image_map } => save(&file, &course_images(&course)?, load_map(image_map.as_deref())?.as_ref()),
        Action::Load { file } => load(&file),
    }
}

fn load_map(path: Option<&Path>) -> Result<Option<ImageMap>> {
    path.map(ImageMap::load).transpose()
}

/// What the daemon is asked for: the map's local name, or the reference itself.
fn local_name<'a>(map: Option<&'a ImageMap>, reference: &'a str) -> &'a str {
    map.and_then(|m| m.lookup(reference)).unwrap_or(reference)
}

fn list(images: &CourseImages, map: Option<&ImageMap>) -> Result<u8> {
    let ids = with_docker(|docker| async move {
        let mut ids = Vec::new();
        for reference in images.keys() {
            ids.push(images::image_id(&docker, local_name(map, reference)).await?);
        }
        Ok(ids)
    })?;
    let width = images.keys().map(String::len).max().unwrap_or(0);
    for ((reference, users), id) in images.iter().zip(&ids) {
        let state = if id.is_some() { "present" } else { "missing" };
        let local = match map.map(|m| m.lookup(reference)) {
            None => String::new(),
            Some(Some(local)) => format!("as {local}  "),
            Some(None) => "(not in the map)  ".into(),
        };
        println!("{reference:<width$}  {state}  {local}used by {}", users.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    let present = ids.iter().flatten().count();
    println!("{present} of {} images present", ids.len());
    if present < ids.len() {
        println!("fetch the missing ones with `shipshape images pull`, or `shipshape images load FILE` from an archive");
    }
    Ok(EXIT_PASSED)
}

fn pull(images: &CourseImages, mirror: Option<&str>, write_map: Option<&Path>) -> Result<u8> {
    let sources: BTreeMap<&str, String> = images.keys().map(|r| (r.as_str(), mirror.map_or_else(|| r.clone(), |m| mirror_reference(m, r)))).collect();
    let (pulled, failures) = with_docker(|docker| async move {
        let (mut pulled, mut failures) = (BTreeMap::new(), Vec::new());
        for (public, source) in &sources {
            let mut progress = PullProgress::new(source);
            let outcome = images::pull(&docker, source, |info| progress.update(info)).await;
            progress.finish(outcome.is_ok());
            match outcome {
                Ok(()) => {
                    pulled.insert(public.to_string(), source.clone());
                }
                Err(cause) => failures.push(format!("{source}: {cause}")),
            }
        }
        Ok((pulled, failures))
    })?;
    if mirror.is_some() {
        write_image_map(&pulled, write_map)?;
    }
    if failures.is_empty() {
        eprintln!("pulled {}", count(pulled.len(), "image"));
        return Ok(EXIT_PASSED);
    }
    Err(pull_failed(failures, images.len(), mirror))
}

fn pull_failed(failures: Vec<String>, total: usize, mirror: Option<&str>) -> Error {
    let action = match mirror {
        Some(mirror) => format!(
            "check that the mirror holds those names (`curl http://{mirror}/v2/_catalog`) and that the daemon reaches it \
             (a mirror outside 127.0.0.0/8 without TLS must be in the daemon's insecure-registries)"
        ),
        None => "without the internet, pull through the room's mirror (--registry-mirror HOST:PORT), or load an archive \
                 another machine made with `shipshape images save` (`shipshape images load FILE`)"
            .into(),
    };
    let error = Error::new(format!("{} of {total} images could not be pulled", failures.len()));
    failures.into_iter().fold(error, |error, failure| error.because(failure)).action(action)
}

/// Prints the image map for what was pulled through the mirror, and writes it when asked.
fn write_image_map(pulled: &BTreeMap<String, String>, file: Option<&Path>) -> Result<()> {
    let text = image_map_toml(pulled)?;
    print!("{text}");
    let Some(file) = file else { return Ok(()) };
    std::fs::write(file, &text).context(|| format!("cannot write the image map {}", file.display()))?;
    eprintln!("wrote the image map to {}", file.display());
    Ok(())
}

fn image_map_toml(pulled: &BTreeMap<String, String>) -> Result<String> {
    #[derive(serde::Serialize)]
    struct Raw<'a> {
        images: &'a BTreeMap<String, String>,
    }
    let table = toml::to_string(&Raw { images: pulled }).context(|| "cannot write the image map as TOML".into())?;
    Ok(format!("# The course's public images → the copies pulled from the room's mirror (`shipshape images pull`).\n{table}"))
}

fn save(file: &Path, images: &CourseImages, map: Option<&ImageMap>) -> Result<u8> {
    if file.is_dir() {
        return Err(Error::new(format!("{} is a folder", file.display())).action("name the archive to write, for example images.tar"));
    }
    let names: Vec<String> = images.keys().map(|r| local_name(map, r).to_string()).collect::<BTreeSet<_>>().into_iter().collect();
    if names.is_empty() {
        return Err(Error::new("the course names no image to save").action("check that --course points at the right course"));
    }
    let names = &names;
    let size = with_docker(|docker| async move {
        let missing = missing(&docker, names).await?;
        if !missing.is_empty() {
            return Err(Error::new(format!("{} of the {} images to save are not in the daemon", missing.len(), names.len()))
                .because(missing.join(", "))
                .action("pull them first (`shipshape images pull`), or pass the --image-map that names their local copies"));
        }
        let meter = ByteMeter::new();
        let size = images::save(&docker, names, file, |bytes| meter.show(bytes)).await;
        meter.finish();
        size
    })?;
    println!("saved {} to {}: {}", count(names.len(), "image"), file.display(), format_size(size));
    for name in names {
        println!("  {name}");
    }
    Ok(EXIT_PASSED)
}

async fn missing(docker: &bollard::Docker, names: &[String]) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for name in names {
        if images::image_id(docker, name).await?.is_none() {
            missing.push(name.clone());
        }
    }
    Ok(missing)
}

fn load(file: &Path) -> Result<u8> {
    if !file.is_file() {
        return Err(Error::new(format!("there is no archive {}", file.display())).action("pass the file `shipshape images save` wrote"));
    }
    let arrived = with_docker(|docker| async move {
        let mut arrived = Vec::new();
        for name in images::load(&docker, file).await? {
            let id = images::image_id(&docker, &name).await?.unwrap_or_default();
            arrived.push((name, id));
        }
        Ok(arrived)
    })?;
    if arrived.is_empty() {
        return Err(Error::new(format!("{} holds no image", file.display())).action("pass the file `shipshape images save` wrote"));
    }
    println!("loaded {} from {}:", count(arrived.len(), "image"), file.display());
    for (name, id) in &arrived {
        println!("  {name}  {}", short_id(id));
    }
    Ok(EXIT_PASSED)
}

/// `sha256:0123456789abcdef...` → `0123456789ab`, as `docker images` prints ids.
fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.get(..12).unwrap_or(hex)
}

/// Connects, then runs `work` until it finishes or a signal stops it (dropping a save's
/// half-written file on the way out).
fn with_docker<T, F, Fut>(work: F) -> Result<T>
where
    F: FnOnce(bollard::Docker) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    runtime()?.block_on(async move {
        let mut stop = StopSignals::listen()?;
        let docker = docker::connect().await?;
        tokio::select! {
            outcome = work(docker) => outcome,
            () = stop.received() => Err(Error::new("interrupted").action("nothing half-written was kept; run the command again when ready")),
        }
    })
}

/// Every image the course's exercises name, with the exercises naming it.
fn course_images(course: &CourseArg) -> Result<CourseImages> {
    let course = Course::find(course.dir.as_deref())?;
    if course.exercises.is_empty() {
        return Err(Error::new(format!("{} holds no exercise", course.root.join(EXERCISES_DIR).display()))
            .action(format!("pass --course a course whose {EXERCISES_DIR}/ has folders with an {SPEC_FILE}")));
    }
    let mut images = CourseImages::new();
    for exercise in &course.exercises {
        for dockerfile in [exercise.dockerfile(false), exercise.dockerfile(true)] {
            if dockerfile.is_file() {
                for image in dockerfile_images(exercise, &dockerfile)? {
                    images.entry(image).or_default().insert(exercise.name.clone());
                }
            }
        }
    }
    Ok(images)
}

fn dockerfile_images(exercise: &Exercise, path: &Path) -> Result<Vec<String>> {
    exercise
        .base_images(path)
        .map_err(|cause| Error::new(format!("cannot tell which images {} names", path.display())).because(cause).action("fix that Dockerfile, then try again"))
}

/// `HOST:PORT` (or `HOST`), the way a registry is named inside an image reference.
fn parse_mirror(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.contains("://") || text.contains('/') || text.contains(char::is_whitespace) {
        return Err(format!("`{text}` is not HOST:PORT (write the mirror as 192.168.1.10:5000, without http:// or a path)"));
    }
    Ok(text.to_string())
}

/// Where a mirror keeps `reference`: Docker Hub's images under their Hub path (`node:20` →
/// `MIRROR/library/node:20`, as a pull-through cache serves them), other registries' under
/// their host (`gcr.io/distroless/static` → `MIRROR/gcr.io/distroless/static:latest`).
fn mirror_reference(mirror: &str, reference: &str) -> String {
    let parsed = ImageRef::parse(reference);
    let pin = match parsed.digest {
        Some(digest) => format!("@{digest}"),
        None => format!(":{}", parsed.tag.unwrap_or("latest")),
    };
    format!("{mirror}/{}{pin}", parsed.repository())
}

/// One pull's progress on stderr: one line redrawn on a terminal (an indicatif bar, as builds
/// show theirs), a line per finished layer otherwise, then the daemon's verdict ("Downloaded newer
/// image for ...").
struct PullProgress {
    /// Layer id → (bytes downloaded, bytes in all).
    layers: BTreeMap<String, (u64, u64)>,
    done: BTreeSet<String>,
    verdict: Option<String>,
    /// The redrawn line; `None` when stderr is not a terminal.
    line: Option<ProgressBar>,
}

impl PullProgress {
    fn new(image: &str) -> Self {
        eprintln!("pulling {image}");
        PullProgress { layers: BTreeMap::new(), done: BTreeSet::new(), verdict: None, line: progress_line() }
    }

    fn update(&mut self, info: &CreateImageInfo) {
        let Some(status) = &info.status else { return };
        let Some(id) = info.id.as_ref().filter(|_| !status.starts_with("Pulling from")) else {
            self.verdict = status.strip_prefix("Status: ").map(str::to_string).or(self.verdict.take());
            return;
        };
        let layer = self.layers.entry(id.clone()).or_default();
        match (status.as_str(), &info.progress_detail) {
            ("Downloading", Some(detail)) => *layer = (detail.current.unwrap_or(0).max(0) as u64, detail.total.unwrap_or(0).max(0) as u64),
            ("Download complete" | "Pull complete", _) => layer.0 = layer.1,
            _ => {}
        }
        let finished = matches!(status.as_str(), "Pull complete" | "Already exists") && self.done.insert(id.clone());
        if let Some(line) = &self.line {
            let (current, total) = self.layers.values().fold((0, 0), |(c, t), (lc, lt)| (c + lc, t + lt));
            line.set_message(format!("{} of {} layers, {} of {}", self.done.len(), self.layers.len(), format_size(current), format_size(total)));
        } else if finished {
            eprintln!("  layer {id}: {} ({} of {} layers)", status.to_lowercase(), self.done.len(), self.layers.len());
        }
    }

    fn finish(&self, pulled: bool) {
        end(self.line.as_ref());
        match (pulled, &self.verdict) {
            (false, _) => eprintln!("  failed (why follows below)"),
            (true, Some(verdict)) => eprintln!("  {verdict}"),
            (true, None) => eprintln!("  pulled"),
        }
    }
}

/// The bytes a save has written, redrawn on a terminal (silent otherwise).
struct ByteMeter {
    line: Option<ProgressBar>,
}

impl ByteMeter {
    fn new() -> Self {
        ByteMeter { line: progress_line() }
    }

    fn show(&self, bytes: u64) {
        if let Some(line) = &self.line {
            line.set_message(format!("{} written", format_size(bytes)));
        }
    }

    fn finish(&self) {
        end(self.line.as_ref());
    }
}

/// A line of progress on stderr, indented under what it is about and redrawn by indicatif (which
/// limits how often); `None` when stderr is not a terminal.
fn progress_line() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let style = ProgressStyle::with_template("  {wide_msg}").unwrap_or_else(|_| ProgressStyle::default_spinner());
    Some(ProgressBar::new_spinner().with_style(style))
}

/// Leaves the line's last state on screen, or nothing when it never showed anything.
fn end(line: Option<&ProgressBar>) {
    match line {
        Some(line) if line.message().is_empty() => line.finish_and_clear(),
        Some(line) => line.finish(),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_names_keep_the_registry_or_the_hub_path() {
        let m = "127.0.0.1:5000";
        assert_eq!(mirror_reference(m, "node:20-bookworm"), "127.0.0.1:5000/library/node:20-bookworm");
        assert_eq!(mirror_reference(m, "docker.io/library/node:20"), "127.0.0.1:5000/library/node:20");
        assert_eq!(mirror_reference(m, "bitnami/redis"), "127.0.0.1:5000/bitnami/redis:latest");
        assert_eq!(mirror_reference(m, "gcr.io/distroless/static-debian12:nonroot"), "127.0.0.1:5000/gcr.io/distroless/static-debian12:nonroot");
        assert_eq!(mirror_reference(m, "shipshape.test/busybox:latest"), "127.0.0.1:5000/shipshape.test/busybox:latest");
        assert_eq!(mirror_reference(m, "localhost:5001/x/y"), "127.0.0.1:5000/localhost:5001/x/y:latest");
        assert_eq!(mirror_reference(m, "node:20@sha256:abcd"), "127.0.0.1:5000/library/node@sha256:abcd");
    }

    #[test]
    fn a_mirror_is_host_and_port_only() {
        assert_eq!(parse_mirror(" 10.0.0.5:5000 ").as_deref(), Ok("10.0.0.5:5000"));
        assert!(parse_mirror("http://10.0.0.5:5000").is_err());
        assert!(parse_mirror("10.0.0.5:5000/library").is_err());
        assert!(parse_mirror("").is_err());
    }

    #[test]
    fn the_written_map_reads_back() {
        let pulled = BTreeMap::from([("node:20".to_string(), "127.0.0.1:5000/library/node:20".to_string())]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.toml");
        std::fs::write(&path, image_map_toml(&pulled).unwrap()).unwrap();
        assert_eq!(ImageMap::load(&path).unwrap().lookup("docker.io/library/node:20"), Some("127.0.0.1:5000/library/node:20"));
    }

    #[test]
    fn short_ids_are_twelve_hex_digits() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id(""), "");
        assert_eq!(short_id("sha256:aéééééé"), "aéééééé", "no panic inside a character");
    }
}
