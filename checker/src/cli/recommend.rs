//! `shipshape recommend IMAGE | --archive FILE | EXERCISE`: the async edge of the base-image
//! advisor ([`crate::recommend`]). It finds the current base (an exercise's final `FROM`, through
//! the image map; for an image or archive, the candidate whose layers begin the image's), reads
//! and scans every candidate the room has (the image map's targets, and the images of a
//! configured registry that this machine holds) through the pipeline, then hands the facts to the
//! pure ranking and prints it.
//!
//! What must hold: nothing is pulled, built or run (an exercise's Dockerfile is only read); every
//! image is read under a janitor swept on every path out; one image known by several names is one
//! candidate; a candidate that is not on this machine is listed as not compared, with why.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bollard::Docker;

use super::check::{fact_options, with_daemon};
use super::ScanFlags;
use crate::course::Course;
use crate::docker;
use crate::dockerfile::image_map::ImageMap;
use crate::dockerfile::{Dockerfile, Named};
use crate::error::{Error, Result, EXIT_PASSED};
use crate::exercise::Exercise;
use crate::pipeline::{self, Daemon, FactOptions, Judgement, Source};
use crate::recommend::facts::{BaseFacts, Support};
use crate::recommend::rank::{self, Baseline, Skipped, Subject};
use crate::recommend::render;
use crate::registry::Registry;
use crate::spec::Spec;
use crate::support::SupportTable;

/// What `recommend` asks of every image it reads: a scan, and the two checks whose verdicts say
/// whether it has a shell or a package manager.
const FACTS_SPEC: &str = "[checks.scan]\n[checks.no-shell]\n[checks.no-package-manager]\n";

#[derive(clap::Args)]
pub(super) struct Args {
    /// An exercise (its folder, number or name: its Dockerfile's final FROM is the base), or an
    /// image the daemon has (its base is the candidate whose layers begin it).
    #[arg(required_unless_present = "archive", conflicts_with = "archive")]
    target: Option<String>,
    /// A `docker save` or OCI-layout archive whose base to compare.
    #[arg(long)]
    archive: Option<PathBuf>,
    /// For an exercise: its reference solution's Dockerfile instead of the starter.
    #[arg(long)]
    solution: bool,
    /// TOML file mapping public images to local ones: its targets are the candidates (also
    /// $SHIPSHAPE_IMAGE_MAP; default: the course's own).
    #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
    image_map: Option<PathBuf>,
    /// A registry on HOST:PORT (the room's, e.g. 127.0.0.1:5000) whose images, where this machine
    /// has them, are candidates too.
    #[arg(long, env = "SHIPSHAPE_REGISTRY", value_name = "HOST:PORT")]
    registry: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Output,
    /// The vulnerability database folder (default: $SHIPSHAPE_DB_DIR or the user cache).
    #[arg(long, env = "SHIPSHAPE_DB_DIR")]
    db_dir: Option<PathBuf>,
    /// Read every layer again instead of using the layer cache.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Clone, Copy, Default, clap::ValueEnum)]
pub(super) enum Output {
    #[default]
    Human,
    Json,
}

/// What to find the base of.
enum Target {
    /// An exercise's Dockerfile: the base its shipping stage starts from, as written, its line,
    /// and the words of the stage's `ENTRYPOINT` and `CMD`.
    Dockerfile {
        shown: String,
        reference: String,
        line: usize,
        command: Vec<String>,
    },
    Image(String),
    Archive(PathBuf),
}

pub(super) fn run(args: Args) -> Result<u8> {
    let here = std::env::current_dir().unwrap_or_default();
    let (target, map) = resolve(&args, &here)?;
    let candidates = candidate_names(&map, args.registry.as_deref())?;
    let options = fact_options(&ScanFlags { db_dir: args.db_dir.clone(), ..ScanFlags::default() }, args.no_cache);
    let today = crate::clock::today();
    let spec = Spec::parse(FACTS_SPEC)?;
    let gathered = with_daemon(move |docker, janitor| async move {
        let daemon = Daemon { docker: &docker, janitor: &janitor };
        gather(daemon, &target, candidates, &map, &spec, &options, today).await
    })?;
    let recommendation = rank::recommend(gathered.subject, gathered.candidates, gathered.baseline, gathered.skipped, today);
    match args.format {
        Output::Human => print!("{}", render::human(&recommendation)),
        Output::Json => print!("{}", render::json(&recommendation)),
    }
    Ok(EXIT_PASSED)
}

/// The target, and the image map whose targets are the candidates: an exercise's course's, or the
/// one around the current folder.
fn resolve(args: &Args, here: &Path) -> Result<(Target, ImageMap)> {
    let nearest_course = || Course::find(None).ok().map(|course| course.root);
    let map_at = |root: Option<PathBuf>| -> Result<ImageMap> {
        crate::course::image_map_path(args.image_map.as_deref(), root.as_deref()).as_deref().map(ImageMap::load).transpose().map(Option::unwrap_or_default)
    };
    if let Some(archive) = &args.archive {
        return Ok((Target::Archive(archive.clone()), map_at(nearest_course())?));
    }
    let wanted = args.target.as_deref().expect("clap requires a target or --archive");
    let Ok(dir) = crate::course::exercise_dir(Path::new(wanted), here) else {
        return Ok((Target::Image(wanted.to_string()), map_at(nearest_course())?));
    };
    let exercise = Exercise::open(&dir)?;
    let path = exercise.dockerfile(args.solution);
    let map = crate::course::image_map_for(args.image_map.as_deref(), &dir)?;
    Ok((shipped_base(&exercise, &path)?, map))
}

/// The base the shipping stage of the exercise's Dockerfile at `path` starts from.
fn shipped_base(exercise: &Exercise, path: &Path) -> Result<Target> {
    let shown = crate::course::shown(path);
    let text = std::fs::read_to_string(path).map_err(|e| Error::new(format!("cannot read the Dockerfile {shown}")).because(e))?;
    let meta = &exercise.spec.exercise;
    let unusable = |why: String| {
        Error::new(format!("cannot tell the base of {shown}")).because(why).action("fix the Dockerfile (`shipshape check` says how), then run this again")
    };
    let dockerfile = Dockerfile::parse(&text)
        .map_err(|e| unusable(e.to_string()))?
        .with_build_args(&meta.build_args)
        .with_target(meta.target.as_deref())
        .map_err(unusable)?;
    let (line, named) = dockerfile.shipped_base();
    match named {
        Named::Image(Ok(reference)) => Ok(Target::Dockerfile { shown, reference, line, command: command_words(&dockerfile) }),
        Named::Image(Err(why)) => Err(unusable(why)),
        Named::Scratch | Named::Stage(_) => Err(Error::new(format!("{shown} ships a stage built FROM scratch: there is no base to replace"))
            .action("nothing to do: scratch is as small as a base gets")),
    }
}

/// The words of the `ENTRYPOINT` and `CMD` lines the shipping stage runs (its own and those of the
/// stages it is built `FROM`), without brackets, quotes and commas: enough to name a runtime.
fn command_words(dockerfile: &Dockerfile) -> Vec<String> {
    let stages = dockerfile.ancestry(dockerfile.shipped_stage().index);
    let lines = stages.iter().flat_map(|stage| dockerfile.stage_instructions(stage.index)).filter(|i| i.keyword == "CMD" || i.keyword == "ENTRYPOINT");
    lines
        .flat_map(|i| i.text.split(|c: char| c.is_whitespace() || "[]\",".contains(c)).skip(1).filter(|w| !w.is_empty()).map(String::from).collect::<Vec<_>>())
        .collect()
}

/// The candidates' names: the image map's targets, and the images of `registry` when one is
/// configured (it must answer).
fn candidate_names(map: &ImageMap, registry: Option<&str>) -> Result<Vec<String>> {
    let mut names: Vec<String> = map.targets().map(String::from).collect();
    if let Some(host) = registry {
        names.extend(Registry::new(host).references()?);
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// What the edge gathered for the ranking.
struct Gathered {
    subject: Subject,
    candidates: Vec<BaseFacts>,
    baseline: Baseline,
    skipped: Vec<Skipped>,
}

async fn gather(
    daemon: Daemon<'_>,
    target: &Target,
    mut names: Vec<String>,
    map: &ImageMap,
    spec: &Spec,
    options: &FactOptions,
    today: chrono::NaiveDate,
) -> Result<Gathered> {
    if let Target::Dockerfile { reference, .. } = target {
        names.push(map.resolve(reference).to_string());
    }
    let (ids, skipped) = group_by_id(daemon.docker, names).await?;
    let mut candidates = Vec::new();
    for (id, local) in ids {
        let judgement = judge(daemon, &id, spec, options).await?;
        let public: Vec<String> = local.iter().flat_map(|name| map.sources_of(name)).map(String::from).collect();
        let support = support_of(&public, &local, today);
        candidates.extend(BaseFacts::of(&judgement, local, public, support));
    }
    let (subject, baseline) = match target {
        Target::Dockerfile { shown, reference, line, command } => {
            let local = map.resolve(reference);
            let index = candidates.iter().position(|c| c.local.iter().any(|name| name == local)).expect("the base was judged, or its absence is an error");
            let found_by = format!("from the final stage's FROM (line {line})");
            (Subject { name: shown.clone(), base: Some(reference.clone()), found_by, command: command.clone() }, Baseline::Candidate(index))
        }
        Target::Image(reference) => {
            let image = facts_of_subject(judge(daemon, reference, spec, options).await?, reference)?;
            baseline_of(reference.clone(), image, &candidates)
        }
        Target::Archive(path) => {
            let judgement = pipeline::judge(Source::Archive { path, spec, options }).await?;
            baseline_of(path.display().to_string(), facts_of_subject(judgement, &path.display().to_string())?, &candidates)
        }
    };
    Ok(Gathered { subject, candidates, baseline, skipped })
}

/// The image's facts as a baseline (its name, no support known).
fn facts_of_subject(judgement: Judgement, name: &str) -> Result<BaseFacts> {
    BaseFacts::of(&judgement, vec![name.to_string()], Vec::new(), None).ok_or_else(|| Error::new(format!("{name} could not be read")))
}

/// The candidate whose layers begin the image's (the most of them), or else the image itself.
fn baseline_of(name: String, image: BaseFacts, candidates: &[BaseFacts]) -> (Subject, Baseline) {
    let begins = |c: &&BaseFacts| !c.diff_ids.is_empty() && image.diff_ids.starts_with(&c.diff_ids);
    match candidates.iter().enumerate().filter(|(_, c)| begins(c)).max_by_key(|(_, c)| c.diff_ids.len()) {
        Some((index, base)) => {
            let layers = match base.diff_ids.len() {
                1 => "layer is".to_string(),
                n => format!("{n} layers are"),
            };
            let found_by = format!("whose {layers} the first of the image's {}", image.diff_ids.len());
            (Subject { name, base: Some(base.name.clone()), found_by, command: image.command }, Baseline::Candidate(index))
        }
        None => {
            let found_by = "its base is none of the candidates (no candidate's layers begin it), so each is compared with the image itself".to_string();
            (Subject { name, base: None, found_by, command: image.command.clone() }, Baseline::Image(Box::new(image)))
        }
    }
}

/// The candidates by image id, each with every name it goes by; the names the daemon does not
/// have, as not compared.
async fn group_by_id(docker: &Docker, names: Vec<String>) -> Result<(BTreeMap<String, Vec<String>>, Vec<Skipped>)> {
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for name in names {
        match docker.inspect_image(&name).await {
            Ok(inspected) => {
                let names = ids.entry(inspected.id.unwrap_or_else(|| name.clone())).or_default();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            Err(e) if docker::is_not_found(&e) => {
                skipped.push(Skipped { name, why: "not on this machine (load or pull it, then compare again)".into() });
            }
            Err(e) => return Err(docker::failure(format!("cannot inspect image {name}"), e)),
        }
    }
    Ok((ids, skipped))
}

async fn judge(daemon: Daemon<'_>, reference: &str, spec: &Spec, options: &FactOptions) -> Result<Judgement> {
    pipeline::judge(Source::Image { daemon, reference, spec, options }).await
}

/// The support window of the first of its names the table knows: a public reference, else a
/// local one (a mirror keeps the repository path).
fn support_of(public: &[String], local: &[String], today: chrono::NaiveDate) -> Option<Support> {
    let table = SupportTable::course();
    public.iter().chain(local).find_map(|name| table.window(name)).map(|window| Support::of(&window, today))
}
