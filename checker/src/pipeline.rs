//! The one-way pipeline: one [`judge`] over a [`Source`] (a build, an image in the daemon, or an
//! archive file). The source yields the image's facts (build, save or read, probe) and what it
//! can also offer; then the scan, then the checks → a [`Judgement`].
//!
//! What must hold: checks see facts only; the Docker work happens here and in [`crate::docker`],
//! in the source's daemon and under its janitor, which the caller sweeps on every path out; an
//! archive needs no daemon at all, and neither does a Dockerfile that cannot go to a builder (it
//! does not parse, or names no stage to ship: [`judge_unbuildable`] judges it, `builds` failing).
//! Facts a spec does not ask for are not collected (no probe without `runs`, no intruder's moves
//! without `intruder`, no scan without
//! `scan`), and the build secrets are read only when the source builds or `no-secrets` seeks
//! them. A scan's database is opened before anything is built, so a missing one stops the run at
//! once.
use std::path::{Path, PathBuf};

use bollard::Docker;

use crate::attribution::Origins;
use crate::checks::{self, scan::Scanner, CheckId, Input, Verdict};
use crate::docker::build::{BuildInput, Limits};
use crate::docker::engine::{Builder, BuilderChoice, Engine};
use crate::docker::{self, cleanup::Janitor};
use crate::dockerfile::reach::{self, CourseImages};
use crate::dockerfile::{image_map::ImageMap, Dockerfile, ParseError};
use crate::error::{Error, Result};
use crate::exercise::Exercise;
use crate::image::archive::{read_archive, ReadPlan};
use crate::image::cache::LayerCache;
use crate::image::capture::Captures;
use crate::image::secrets::SecretSearch;
use crate::image::ImageFacts;
use crate::record::{BuildRecord, DatabaseSummary, ProbeRecord, ScanRecord, Stopped};
use crate::registry::{DigestRecord, Registry};
use crate::scan::{self, db::Database};
use crate::spec::{BuildSecrets, Spec};
use crate::status_line::StatusLine;
use crate::units::count;

/// Everything judged in one run.
#[derive(Debug)]
pub(crate) struct Judgement {
    pub exercise: Option<String>,
    pub image: Option<ImageFacts>,
    pub scan: Option<ScanRecord>,
    /// How the image was built, when it was.
    pub build: Option<BuildRecord>,
    /// The Dockerfile it was built from, when it was (layers trace back to its lines).
    pub dockerfile: Option<Dockerfile>,
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
    /// The room's registry (`HOST:PORT`): when set, and the spec requires `pinned-base`, every
    /// digest the Dockerfile pins is looked up there.
    pub registry: Option<String>,
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
/// (default: the user's cache folder); and where the run says what it is doing.
#[derive(Debug, Clone, Default)]
pub(crate) struct FactOptions {
    pub cache: LayerCache,
    pub db_dir: Option<PathBuf>,
    /// Where the phases after the build show (hidden by default: `grade` builds side by side).
    pub status: StatusLine,
    /// Measure what a registry stores of the image even when no check needs it (`--compressed-size`).
    pub compressed_size: bool,
}

/// A Docker daemon a run works in, and the janitor that removes what the run makes there (the
/// caller sweeps it on every path out).
#[derive(Clone, Copy)]
pub(crate) struct Daemon<'a> {
    pub docker: &'a Docker,
    pub janitor: &'a Janitor,
}

/// What a run judges, with the spec and the settings it is judged by. Each source yields the
/// image's facts, and says what it can also offer: a build offers the Dockerfile and its record;
/// a build or a daemon image can be probed, and Trivy reaches it in the daemon; an archive, read
/// without a daemon, offers neither.
pub(crate) enum Source<'a> {
    /// Builds `dockerfile` in the exercise's context, and judges the result by the exercise's spec.
    Build { daemon: Daemon<'a>, exercise: &'a Exercise, dockerfile: &'a Path, options: &'a BuildOptions },
    /// An image the daemon already has, by id or reference.
    Image { daemon: Daemon<'a>, reference: &'a str, spec: &'a Spec, options: &'a FactOptions },
    /// A `docker save` or OCI-layout archive file.
    Archive { path: &'a Path, spec: &'a Spec, options: &'a FactOptions },
}

/// Judges what `source` yields: gathers its facts, scans them when the spec asks for it, and
/// judges every requirement.
pub(crate) async fn judge(source: Source<'_>) -> Result<Judgement> {
    let status = &source.fact_options().status;
    let _cleared = Cleared(status);
    let spec = source.spec();
    let database = open_database_if_required(spec, source.fact_options(), source.exercise_dir())?;
    let secrets = source.read_secrets()?;
    let plan = read_plan(spec, source.fact_options(), &secrets);
    let gathered = source.gather(&secrets, &plan).await?;
    let scan = match &gathered.image {
        Some(image) => scan_if_required(spec, image, database.as_ref(), source.trivy_target(gathered.daemon_id.as_deref()), status)?,
        None => None,
    };
    Ok(gathered.judged(spec, scan, &secrets.texts()))
}

/// Takes the status line off the screen however [`judge`] ends, before its result is printed.
struct Cleared<'a>(&'a StatusLine);

impl Drop for Cleared<'_> {
    fn drop(&mut self) {
        self.0.clear();
    }
}

/// The judgement of an exercise whose Dockerfile cannot go to a builder (it does not parse, or
/// names no stage to ship), made without a daemon; `None` when it can be built.
pub(crate) fn judge_unbuildable(exercise: &Exercise, dockerfile: &Path) -> Result<Option<Judgement>> {
    let Err(build) = prepare(exercise, dockerfile)? else { return Ok(None) };
    let gathered = Gathered { exercise: Some(exercise.name.clone()), build: Some(build), ..Gathered::default() };
    Ok(Some(gathered.judged(&exercise.spec, None, &[])))
}

impl<'a> Source<'a> {
    fn spec(&self) -> &'a Spec {
        match self {
            Source::Build { exercise, .. } => &exercise.spec,
            Source::Image { spec, .. } | Source::Archive { spec, .. } => spec,
        }
    }

    fn fact_options(&self) -> &'a FactOptions {
        match self {
            Source::Build { options, .. } => &options.facts,
            Source::Image { options, .. } | Source::Archive { options, .. } => options,
        }
    }

    /// The exercise folder built, if any.
    fn exercise_dir(&self) -> Option<&'a Path> {
        match self {
            Source::Build { exercise, .. } => Some(&exercise.dir),
            Source::Image { .. } | Source::Archive { .. } => None,
        }
    }

    /// The build secrets' values, read when this run needs them: a build is served every one,
    /// and `no-secrets` seeks them unless the spec lists values of its own. Otherwise none is
    /// read, so that a secret that is not there stops nothing else.
    fn read_secrets(&self) -> Result<BuildSecrets> {
        let spec = self.spec();
        match self {
            Source::Build { .. } => spec.read_secrets(),
            Source::Image { .. } | Source::Archive { .. } if spec.seeks_build_secrets() => spec.read_secrets(),
            Source::Image { .. } | Source::Archive { .. } => Ok(BuildSecrets::default()),
        }
    }

    /// The image's facts, read as `plan` says, and what this source offers besides.
    async fn gather(&self, secrets: &BuildSecrets, plan: &ReadPlan) -> Result<Gathered> {
        match *self {
            Source::Build { daemon, exercise, dockerfile, options } => gather_build(daemon, exercise, dockerfile, options, secrets, plan).await,
            Source::Image { daemon, reference, spec, .. } => {
                let id = image_id(daemon.docker, reference).await?;
                Gathered::default().read_in_daemon(daemon, id, spec, plan).await
            }
            Source::Archive { path, .. } => Ok(Gathered { image: Some(read_archive_file(path, plan)?), ..Gathered::default() }),
        }
    }

    /// How Trivy reaches the image: an archive as its file, any other image by its id in the
    /// daemon (`daemon_id`, which a build or an image always has once it yields facts).
    fn trivy_target(&self, daemon_id: Option<&str>) -> (String, Option<&'a Path>) {
        match self {
            Source::Archive { path, .. } => (path.display().to_string(), Some(path)),
            Source::Build { .. } | Source::Image { .. } => {
                (daemon_id.expect("a build's or an image's facts are read by its id in the daemon").to_string(), None)
            }
        }
    }
}

/// What a source yields before the checks run: always the image's facts (unless a build failed),
/// and what the source can also offer.
#[derive(Default)]
struct Gathered {
    exercise: Option<String>,
    dockerfile: Option<Dockerfile>,
    build: Option<BuildRecord>,
    image: Option<ImageFacts>,
    probe: Option<ProbeRecord>,
    /// The image's id in the daemon, for a build or an image: where it was read and probed.
    daemon_id: Option<String>,
    /// The registry's answers about the Dockerfile's pinned digests, when they were asked.
    digests: Option<DigestRecord>,
}

impl Gathered {
    /// The facts of the image `id` in the daemon, and its probe when the spec requires one.
    async fn read_in_daemon(mut self, daemon: Daemon<'_>, id: String, spec: &Spec, plan: &ReadPlan) -> Result<Gathered> {
        let image = docker::save::image_facts(daemon.docker, &id, plan).await?;
        self.probe = probe_if_required(daemon, spec, &id, &image, &plan.status).await?;
        self.image = Some(image);
        self.daemon_id = Some(id);
        Ok(self)
    }

    /// Every requirement of the spec judged over what was gathered and scanned.
    fn judged(self, spec: &Spec, scan: Option<ScanRecord>, build_secrets: &[String]) -> Judgement {
        let verdicts = judge_all(spec, &self, scan.as_ref(), build_secrets);
        Judgement { exercise: self.exercise, image: self.image, scan, build: self.build, dockerfile: self.dockerfile, verdicts }
    }
}

/// Builds `dockerfile_path` in the exercise's context, serving it `secrets`, and reads the image it
/// made. A Dockerfile that does not parse, or names no such target, is a failed build.
async fn gather_build(
    daemon: Daemon<'_>,
    exercise: &Exercise,
    dockerfile_path: &Path,
    options: &BuildOptions,
    secrets: &BuildSecrets,
    plan: &ReadPlan,
) -> Result<Gathered> {
    let (dockerfile, build) = match prepare(exercise, dockerfile_path)? {
        Ok(dockerfile) => {
            let build = build(daemon, exercise, &dockerfile, options, secrets).await?;
            (Some(dockerfile), build)
        }
        Err(unbuildable) => (None, unbuildable),
    };
    let digests = match &dockerfile {
        Some(dockerfile) => record_digests_if_required(&exercise.spec, dockerfile, options).await?,
        None => None,
    };
    let mut gathered = Gathered { exercise: Some(exercise.name.clone()), dockerfile, digests, ..Gathered::default() };
    if let Some(id) = &build.image_id {
        gathered = gathered.read_in_daemon(daemon, id.clone(), &exercise.spec, plan).await?;
    }
    gathered.build = Some(build);
    Ok(gathered)
}

/// The room's registry's answers about the digests `dockerfile` pins, when a registry is
/// configured and the spec requires `pinned-base` (one `HEAD` per pinned reference, off the
/// async threads).
async fn record_digests_if_required(spec: &Spec, dockerfile: &Dockerfile, options: &BuildOptions) -> Result<Option<DigestRecord>> {
    let Some(host) = options.registry.clone() else { return Ok(None) };
    if spec.requirement(CheckId::PinnedBase).is_none() {
        return Ok(None);
    }
    let (dockerfile, map) = (dockerfile.clone(), options.image_map.clone());
    let record = tokio::task::spawn_blocking(move || Registry::new(&host).record_digests(&dockerfile, &map))
        .await
        .map_err(|e| Error::new("the registry lookup stopped").because(e))?;
    Ok(Some(record))
}

/// Builds the exercise's context with the Dockerfile as the builder is to see it: images mapped,
/// and for the legacy builder every stage labelled with the run.
async fn build(daemon: Daemon<'_>, exercise: &Exercise, dockerfile: &Dockerfile, options: &BuildOptions, secrets: &BuildSecrets) -> Result<BuildRecord> {
    let Daemon { docker, janitor } = daemon;
    if let Some(refused) = reach::refusal(dockerfile, &options.image_map, options.course_images.as_ref()) {
        return Ok(BuildRecord::refused_at(refused.reason, refused.instruction));
    }
    if let Some(missing) = missing_base(docker, dockerfile, options).await? {
        return Ok(missing);
    }
    let (builder, note) = Engine::inspect(docker, &options.docker_host).await?.builder(options.builder)?;
    let mapped = dockerfile.for_builder(&options.image_map);
    let sent = match builder {
        Builder::BuildKit => mapped.text,
        Builder::Legacy => docker::build::legacy::labelled_dockerfile(&mapped.text, dockerfile, &janitor.labels()),
    };
    let spec = &exercise.spec;
    let input = BuildInput {
        docker_host: &options.docker_host,
        context: docker::context::pack(&exercise.context_dir(), &sent, options.context_limit)?,
        dockerfile,
        build_args: &spec.exercise.build_args,
        target: dockerfile.target(),
        secrets: &secrets.0,
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
        if options.image_map.pulled_from_registry(expanded) {
            continue; // the builder pulls it from the room's registry, and says so if it cannot
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
            MissingBase::FailsBuild => {
                Ok(Some(BuildRecord::refused_at(format!("the base image {expanded} is not one of the course's images: {map}"), external.instruction)))
            }
        };
    }
    Ok(None)
}

/// The Dockerfile at `path` as the exercise builds it (its build arguments and target), or the
/// failed build of one that cannot go to a builder: it does not parse, or names no stage to ship.
fn prepare(exercise: &Exercise, path: &Path) -> Result<std::result::Result<Dockerfile, BuildRecord>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::new(format!("cannot read the Dockerfile {}", path.display())).because(e).action("check the path, or pass --dockerfile FILE"))?;
    let meta = &exercise.spec.exercise;
    let parsed = match Dockerfile::parse(&text) {
        Ok(parsed) => parsed,
        Err(error) => return Ok(Err(unparsed(&text, error))),
    };
    Ok(parsed.with_build_args(&meta.build_args).with_target(meta.target.as_deref()).map_err(|problem| no_such_target(&text, problem)))
}

/// The failed build of a Dockerfile that does not parse, at the line the error names.
fn unparsed(text: &str, error: ParseError) -> BuildRecord {
    BuildRecord {
        error: Some(format!("the Dockerfile does not parse: {error}")),
        failed_line: Some(error.line),
        failed_instruction: source_line(text, Some(error.line)),
        stopped: Some(Stopped::Unparsed(error)),
        ..BuildRecord::default()
    }
}

/// The failed build of a Dockerfile whose stage to ship is not one it can stop at, at the line the
/// problem names, if any.
fn no_such_target(text: &str, problem: String) -> BuildRecord {
    let line = docker::build::line_named(&problem);
    BuildRecord {
        error: Some(problem),
        failed_line: line,
        failed_instruction: source_line(text, line),
        stopped: Some(Stopped::NoSuchTarget),
        ..BuildRecord::default()
    }
}

/// Line `line` (1-based) of `text`, trimmed.
fn source_line(text: &str, line: Option<usize>) -> Option<String> {
    line.and_then(|n| text.lines().nth(n.checked_sub(1)?)).map(|l| l.trim().to_string())
}

/// The id of the image `reference` names in the daemon.
async fn image_id(docker: &Docker, reference: &str) -> Result<String> {
    let inspected = docker.inspect_image(reference).await.map_err(|e| {
        if docker::is_not_found(&e) {
            Error::new(format!("image {reference} is not in the daemon")).action("build or load it first, or check the name with `docker images`")
        } else {
            docker::failure(format!("cannot inspect image {reference}"), e)
        }
    })?;
    Ok(inspected.id.unwrap_or_else(|| reference.to_string()))
}

/// Reads a `docker save` or OCI-layout archive without a daemon.
fn read_archive_file(path: &Path, plan: &ReadPlan) -> Result<ImageFacts> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::new(format!("cannot open the archive {}", path.display())).because(e).action("check the path to the `docker save` or OCI archive")
    })?;
    plan.status.reading(None, file.metadata().ok().map(|m| m.len()));
    read_archive(file, None, plan).map_err(|cause| {
        Error::new(format!("cannot read the archive {}", path.display()))
            .because(cause)
            .action("make it again with `docker save IMAGE -o FILE` or `skopeo copy docker-daemon:IMAGE oci-archive:FILE`")
    })
}

/// How to read the image: every analyzer's files kept (the checks' and the scan's, whether or not
/// this spec scans, so one cached read of a layer serves every spec), the values `no-secrets`
/// seeks searched for, and the compressed size measured when the spec or the caller wants it.
fn read_plan(spec: &Spec, options: &FactOptions, secrets: &BuildSecrets) -> ReadPlan {
    let captures = Captures::new(checks::analyzers().chain(scan::inventory::analyzers()));
    let secrets = SecretSearch::new(&spec.secret_values(secrets));
    let compressed = options.compressed_size || spec.needs_compressed_size();
    ReadPlan::new(captures, options.cache.clone(), secrets, compressed, options.status.clone())
}

async fn probe_if_required(daemon: Daemon<'_>, spec: &Spec, id: &str, image: &ImageFacts, status: &StatusLine) -> Result<Option<ProbeRecord>> {
    let Some(plan) = spec.probe_plan() else { return Ok(None) };
    let intruder = spec.intruder_probe();
    status.phase(match intruder {
        Some(_) => "Running the image and trying an intruder's moves through the app",
        None => "Running the image to see that it starts",
    });
    docker::probe::probe(daemon.docker, daemon.janitor, id, &image.config.user, plan, intruder.as_ref()).await.map(Some)
}

/// The pinned database Shipshape's own scanner needs, opened before anything is built or read,
/// so that a learner without one learns it at once, with the course's fix.
fn open_database_if_required(spec: &Spec, options: &FactOptions, exercise_dir: Option<&Path>) -> Result<Option<Database>> {
    if spec.scan().is_none_or(|settings| settings.scanner == Scanner::Trivy) {
        return Ok(None);
    }
    let dir = match &options.db_dir {
        Some(dir) => dir.clone(),
        None => scan::db::default_dir()?,
    };
    Database::open(&dir).map(Some).map_err(|error| crate::course::with_database_fix(error, exercise_dir))
}

/// Scans with the scanner the spec names: Shipshape's own engine over the pinned `database`, or
/// Trivy, which reaches the image as `trivy_target` says. Its findings, the ignore entries and
/// today's date are what the `scan` check judges.
fn scan_if_required(
    spec: &Spec,
    image: &ImageFacts,
    database: Option<&Database>,
    trivy_target: (String, Option<&Path>),
    status: &StatusLine,
) -> Result<Option<ScanRecord>> {
    let Some(settings) = spec.scan() else { return Ok(None) };
    status.phase(&format!("Scanning for known vulnerabilities ({})", settings.scanner.as_str()));
    let in_folder = |file: &Option<PathBuf>| file.as_ref().map(|file| spec.base_dir.join(file));
    let ignores = scan::triage::load(in_folder(&settings.ignore_file).as_deref(), in_folder(&settings.vex_file).as_deref())?;
    let inventory = scan::inventory::inventory(&image.filesystem);
    let os = inventory.os.as_ref().map(|os| os.pretty_name.clone()).filter(|name| !name.is_empty());
    let mut record = ScanRecord {
        scanner: settings.scanner.as_str().to_string(),
        database: None,
        os,
        packages: inventory.packages.len(),
        findings: Vec::new(),
        blind_spots: scan::blind_spots::find(image, &inventory),
        ignores,
        today: crate::clock::today(),
    };
    if settings.scanner == Scanner::Trivy {
        let (reference, archive) = trivy_target;
        record.findings = scan::trivy::scan(&reference, archive, &image.config.diff_ids)?;
        return Ok(Some(record));
    }
    let database = database.expect("the database is opened before the run whenever Shipshape's scanner scans");
    let matches = scan::matcher::find(&inventory, database);
    if let Some(damage) = database.damage() {
        return Err(Error::new("the scan could not read every record it needed from the vulnerability database").because(damage));
    }
    if let Some(problem) = matches.problems.first() {
        return Err(Error::new("the scan cannot compare some versions, so it cannot say whether they are affected")
            .because(problem)
            .because(format!("{} in all", count(matches.problems.len(), "such problem")))
            .action("check the database records named above (`shipshape db info`), or re-import a correct copy"));
    }
    let info = database.info();
    record.database =
        Some(DatabaseSummary { hash: info.hash.clone(), records: info.records, written_at: info.written_at_rfc3339(), age_days: info.age_days() });
    record.findings = matches.findings;
    Ok(Some(record))
}

/// Judges every requirement of the spec over what was gathered and scanned.
fn judge_all(spec: &Spec, gathered: &Gathered, scan: Option<&ScanRecord>, build_secrets: &[String]) -> Vec<Verdict> {
    let (dockerfile, image) = (gathered.dockerfile.as_ref(), gathered.image.as_ref());
    let origins = image.map(|i| Origins::new(i, dockerfile));
    let input = Input {
        dockerfile,
        build: gathered.build.as_ref(),
        image,
        probe: gathered.probe.as_ref(),
        scan,
        origins: origins.as_ref(),
        digests: gathered.digests.as_ref(),
        build_secrets,
        today: crate::clock::today(),
    };
    checks::judge_all(spec.requirements(), &input)
}
