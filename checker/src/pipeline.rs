//! The one-way pipeline: collect facts (build, save, probe, scan) → judge them → a [`Judgement`].
//!
//! What must hold: checks see facts only; the Docker work happens here and in [`crate::docker`],
//! under the caller's janitor, which the caller sweeps on every path out. Facts a spec does not
//! ask for are not collected (no probe without `runs`, no scan without `scan`).
use std::path::{Path, PathBuf};

use bollard::Docker;

use crate::attribution::Origins;
use crate::checks::{self, scan::Scanner, Input, Verdict};
use crate::docker::build::{BuildInput, Limits};
use crate::docker::engine::{Builder, BuilderChoice, Engine};
use crate::docker::{self, cleanup::Janitor};
use crate::dockerfile::reach::{self, CourseImages};
use crate::dockerfile::{image_map::ImageMap, Dockerfile};
use crate::error::{Error, Result};
use crate::exercise::Exercise;
use crate::image::archive::{read_archive, ReadPlan};
use crate::image::cache::LayerCache;
use crate::image::capture::Captures;
use crate::image::secrets::SecretSearch;
use crate::image::ImageFacts;
use crate::record::{BuildRecord, DatabaseSummary, ProbeRecord, ScanRecord};
use crate::scan::{self, db::Database};
use crate::spec::Spec;

/// Everything judged in one run.
#[derive(Debug)]
pub(crate) struct Judgement {
    pub exercise: Option<String>,
    pub image: Option<ImageFacts>,
    pub scan: Option<ScanRecord>,
    /// How the image was built, when it was.
    pub build: Option<BuildRecord>,
    pub verdicts: Vec<Verdict>,
}

/// Settings of a build-and-judge run.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildOptions {
    pub image_map: ImageMap,
    /// The daemon, in DOCKER_HOST syntax (BuildKit builds open connections of their own to it).
    pub docker_host: String,
    pub builder: BuilderChoice,
    /// Namespaces the build's cache mounts (see [`docker::build::BuildInput::cache_namespace`]).
    pub cache_namespace: Option<String>,
    pub missing_base: MissingBase,
    /// While grading: the images a submission may name (anything else fails `builds`).
    pub course_images: Option<CourseImages>,
    pub limits: Limits,
    /// Largest build context accepted, in bytes.
    pub context_limit: u64,
    pub facts: FactOptions,
}

/// What a base image that is nowhere on the machine means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum MissingBase {
    /// A usage error (`check`): the learner's machine lacks it, and the image map is the fix.
    #[default]
    Error,
    /// The submission's `builds` fails (`grade`): it used a base outside the course's images.
    FailsBuild,
}

/// Where facts come from besides the image: the layer cache, and the scan's database folder
/// (default: the user's cache folder).
#[derive(Debug, Clone, Default)]
pub(crate) struct FactOptions {
    pub cache: LayerCache,
    pub db_dir: Option<PathBuf>,
}

/// The image being judged, as the scanner needs to reach it.
enum Target {
    /// An image in the daemon, by id or reference.
    Daemon(String),
    /// An archive file.
    Archive(PathBuf),
}

/// Builds `dockerfile_path` in the exercise's context and judges the result.
pub(crate) async fn judge_build(docker: &Docker, janitor: &Janitor, exercise: &Exercise, dockerfile_path: &Path, options: &BuildOptions) -> Result<Judgement> {
    let text = std::fs::read_to_string(dockerfile_path).map_err(|e| {
        Error::new(format!("cannot read the Dockerfile {}", dockerfile_path.display())).because(e).action("check the path, or pass --dockerfile FILE")
    })?;
    let meta = &exercise.spec.exercise;
    let parsed = Dockerfile::parse(&text).map_err(|problem| format!("the Dockerfile does not parse: {problem}"));
    let (dockerfile, build) = match parsed.and_then(|d| d.with_build_args(&meta.build_args).with_target(meta.target.as_deref())) {
        Ok(dockerfile) => {
            let build = build(docker, janitor, exercise, &dockerfile, options).await?;
            (Some(dockerfile), build)
        }
        Err(problem) => (None, unparsed(&text, problem)),
    };
    let mut gathered = Gathered { exercise: Some(exercise.name.clone()), dockerfile, ..Gathered::default() };
    if let Some(id) = &build.image_id {
        gathered.read_in_daemon(docker, janitor, id, &exercise.spec, &options.facts).await?;
    }
    gathered.build = Some(build);
    conclude(&exercise.spec, gathered, &options.facts)
}

/// Builds the exercise's context with the Dockerfile as the builder is to see it: images mapped,
/// and for the legacy builder every stage labelled with the run.
async fn build(docker: &Docker, janitor: &Janitor, exercise: &Exercise, dockerfile: &Dockerfile, options: &BuildOptions) -> Result<BuildRecord> {
    if let Some(refused) = reach::refusal(dockerfile, &options.image_map, options.course_images.as_ref()) {
        let (line, instruction) = (refused.instruction.line, refused.instruction.text.clone());
        return Ok(BuildRecord { error: Some(refused.reason), failed_line: Some(line), failed_instruction: Some(instruction), ..BuildRecord::default() });
    }
    if let Some(missing) = missing_base(docker, dockerfile, options).await? {
        return Ok(missing);
    }
    let (builder, note) = Engine::inspect(docker, &options.docker_host).await?.builder(options.builder)?;
    let mapped = dockerfile.for_builder(&options.image_map);
    let sent = match builder {
        Builder::BuildKit => mapped.text,
        Builder::Legacy => docker::build::legacy::labelled_dockerfile(&mapped.text, dockerfile, &janitor.build_labels()),
    };
    let spec = &exercise.spec;
    let input = BuildInput {
        docker_host: &options.docker_host,
        context: docker::context::pack(&exercise.context_dir(), &sent, options.context_limit)?,
        dockerfile,
        build_args: &spec.exercise.build_args,
        target: dockerfile.target(),
        secrets: &spec.secrets.0,
        cache_namespace: options.cache_namespace.as_deref(),
    };
    let mut record = docker::build::build(docker, janitor, builder, input, &options.limits).await?;
    record.notes.extend(mapped.notes);
    record.notes.extend(note);
    Ok(record)
}

/// The first image the build needs that the daemon does not have (nothing can be pulled): an
/// error or a failed build, as `options` says; `None` when every one is there.
async fn missing_base(docker: &Docker, dockerfile: &Dockerfile, options: &BuildOptions) -> Result<Option<BuildRecord>> {
    let needed = dockerfile.needed_stages();
    for external in dockerfile.external_images() {
        let Ok(expanded) = &external.expanded else { continue }; // the builder says which argument is unset
        if !external.instruction.stage.is_some_and(|s| needed.contains(&s)) {
            continue;
        }
        let local = options.image_map.resolve(expanded);
        match docker.inspect_image(local).await {
            Ok(_) => continue,
            Err(e) if !docker::is_not_found(&e) => return Err(docker::failure(format!("cannot inspect image {local}"), e)),
            Err(_) => {}
        }
        let map = match options.image_map.source() {
            Some(path) => format!("the image map {} has no entry for it", path.display()),
            None => "no image map was given (--image-map FILE, or SHIPSHAPE_IMAGE_MAP)".to_string(),
        };
        let line = external.instruction.line;
        return match options.missing_base {
            MissingBase::Error => {
                Err(Error::new(format!("the base image {expanded} (Dockerfile line {line}) is not on this machine, and nothing can be pulled"))
                    .because(map)
                    .action(format!(
                    "add it to the image map (\"{expanded}\" = \"a local image\"), or load it (`shipshape images load FILE`, `docker load`), then check again"
                )))
            }
            MissingBase::FailsBuild => Ok(Some(BuildRecord {
                error: Some(format!("the base image {expanded} is not one of the course's images: {map}")),
                failed_line: Some(line),
                failed_instruction: Some(external.instruction.text.clone()),
                ..BuildRecord::default()
            })),
        };
    }
    Ok(None)
}

/// The verdict on a Dockerfile that cannot go to the builder (it does not parse, or names no
/// such target): the line the problem names.
fn unparsed(text: &str, problem: String) -> BuildRecord {
    let line = docker::build::line_named(&problem);
    BuildRecord {
        error: Some(problem),
        failed_line: line,
        failed_instruction: line.and_then(|n| text.lines().nth(n - 1)).map(|l| l.trim().to_string()),
        ..BuildRecord::default()
    }
}

/// Judges an image the daemon already has.
pub(crate) async fn judge_image(docker: &Docker, janitor: &Janitor, reference: &str, spec: &Spec, options: &FactOptions) -> Result<Judgement> {
    let inspected = docker.inspect_image(reference).await.map_err(|e| {
        if docker::is_not_found(&e) {
            Error::new(format!("image {reference} is not in the daemon")).action("build or load it first, or check the name with `docker images`")
        } else {
            docker::failure(format!("cannot inspect image {reference}"), e)
        }
    })?;
    let id = inspected.id.unwrap_or_else(|| reference.to_string());
    let mut gathered = Gathered::default();
    gathered.read_in_daemon(docker, janitor, &id, spec, options).await?;
    conclude(spec, gathered, options)
}

/// Judges a `docker save` or OCI-layout archive without a daemon (the image is not run).
pub(crate) fn judge_archive(path: &Path, spec: &Spec, options: &FactOptions) -> Result<Judgement> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::new(format!("cannot open the archive {}", path.display())).because(e).action("check the path to the `docker save` or OCI archive")
    })?;
    let image = read_archive(file, None, &read_plan(spec, options)).map_err(|cause| {
        Error::new(format!("cannot read the archive {}", path.display()))
            .because(cause)
            .action("make it again with `docker save IMAGE -o FILE` or `skopeo copy docker-daemon:IMAGE oci-archive:FILE`")
    })?;
    let gathered = Gathered { image: Some(image), scanned_at: Some(Target::Archive(path.to_path_buf())), ..Gathered::default() };
    conclude(spec, gathered, options)
}

/// What a source of the image yields before the checks run: always the image's facts (unless a
/// build failed), and what the source can also offer — a build offers the Dockerfile and its
/// record; a build or a daemon image can be probed, and Trivy can reach it in the daemon; an
/// archive offers neither.
#[derive(Default)]
struct Gathered {
    exercise: Option<String>,
    dockerfile: Option<Dockerfile>,
    build: Option<BuildRecord>,
    image: Option<ImageFacts>,
    probe: Option<ProbeRecord>,
    /// Where the scanner reaches the image.
    scanned_at: Option<Target>,
}

impl Gathered {
    /// The facts of the image `id` in the daemon, and its probe when the spec requires one.
    async fn read_in_daemon(&mut self, docker: &Docker, janitor: &Janitor, id: &str, spec: &Spec, options: &FactOptions) -> Result<()> {
        let image = docker::save::image_facts(docker, id, &read_plan(spec, options)).await?;
        self.probe = probe_if_required(docker, janitor, spec, id, &image).await?;
        self.image = Some(image);
        self.scanned_at = Some(Target::Daemon(id.to_string()));
        Ok(())
    }
}

/// Scans what was gathered when the spec asks for it, and judges every requirement.
fn conclude(spec: &Spec, gathered: Gathered, options: &FactOptions) -> Result<Judgement> {
    let scan = match (&gathered.image, &gathered.scanned_at) {
        (Some(image), Some(target)) => scan_if_required(spec, image, target, options)?,
        _ => None,
    };
    let verdicts = judge(spec, gathered.dockerfile.as_ref(), gathered.build.as_ref(), gathered.image.as_ref(), gathered.probe.as_ref(), scan.as_ref());
    Ok(Judgement { exercise: gathered.exercise, image: gathered.image, scan, build: gathered.build, verdicts })
}

/// How to read the image: every analyzer's files kept (the checks' and the scan's, whether or not
/// this spec scans, so one cached read of a layer serves every spec), and the spec's secret values
/// searched for.
fn read_plan(spec: &Spec, options: &FactOptions) -> ReadPlan {
    let captures = Captures::new(checks::analyzers().chain(scan::inventory::analyzers()));
    ReadPlan::new(captures, options.cache.clone(), SecretSearch::new(spec.secret_values()))
}

async fn probe_if_required(docker: &Docker, janitor: &Janitor, spec: &Spec, id: &str, image: &ImageFacts) -> Result<Option<ProbeRecord>> {
    let Some(plan) = spec.probe_plan() else { return Ok(None) };
    docker::probe::probe(docker, janitor, id, &image.config.user, plan).await.map(Some)
}

/// Scans with the scanner the spec names: Shipshape's own engine over the pinned database, or
/// Trivy. Its findings, the ignore entries and today's date are what the `scan` check judges.
fn scan_if_required(spec: &Spec, image: &ImageFacts, target: &Target, options: &FactOptions) -> Result<Option<ScanRecord>> {
    let Some(settings) = spec.scan() else { return Ok(None) };
    let ignores = match &settings.ignore_file {
        Some(file) => scan::policy::load_ignore_file(&spec.base_dir.join(file))?,
        None => Vec::new(),
    };
    let inventory = scan::inventory::inventory(&image.filesystem);
    let os = inventory.os.as_ref().map(|os| os.pretty_name.clone()).filter(|name| !name.is_empty());
    let mut record = ScanRecord {
        scanner: settings.scanner.as_str().to_string(),
        database: None,
        os,
        packages: inventory.packages.len(),
        findings: Vec::new(),
        ignores,
        today: scan::policy::today(),
    };
    if settings.scanner == Scanner::Trivy {
        let (reference, archive) = match target {
            Target::Daemon(id) => (id.clone(), None),
            Target::Archive(path) => (path.display().to_string(), Some(path.as_path())),
        };
        record.findings = scan::trivy::scan(&reference, archive, &image.config.diff_ids)?;
        return Ok(Some(record));
    }
    let dir = match &options.db_dir {
        Some(dir) => dir.clone(),
        None => scan::db::default_dir()?,
    };
    let database = Database::open(&dir)?;
    let matches = scan::matcher::find(&inventory, &database);
    if let Some(problem) = matches.problems.first() {
        return Err(Error::new("the scan cannot compare some versions, so it cannot say whether they are affected")
            .because(problem)
            .because(format!("{} such problem(s) in all", matches.problems.len()))
            .action("check the database records named above (`shipshape db info`), or re-import a correct copy"));
    }
    let info = database.info();
    record.database =
        Some(DatabaseSummary { hash: info.hash.clone(), records: info.records, written_at: info.written_at_rfc3339(), age_days: info.age_days() });
    record.findings = matches.findings;
    Ok(Some(record))
}

fn judge(
    spec: &Spec,
    dockerfile: Option<&Dockerfile>,
    build: Option<&BuildRecord>,
    image: Option<&ImageFacts>,
    probe: Option<&ProbeRecord>,
    scan: Option<&ScanRecord>,
) -> Vec<Verdict> {
    let origins = image.map(|i| Origins::new(i, dockerfile));
    let input = Input { dockerfile, build, image, probe, scan, origins: origins.as_ref() };
    checks::judge_all(spec.requirements(), &input)
}
