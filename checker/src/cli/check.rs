//! `shipshape check` and `shipshape scan`: resolve what to judge, run the pipeline under a
//! janitor that cleans up on every path (success, failure, Ctrl-C, a panic inside the pipeline),
//! render, pick the exit code.
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{runtime, CheckArgs, Format, ScanArgs, ScanFlags};
use crate::checks::{self, scan::Scanner};
use crate::docker::engine::BuilderChoice;
use crate::docker::{
    self,
    cleanup::{self, Janitor},
};
use crate::error::{Error, Result, EXIT_FAILED, EXIT_PASSED};
use crate::exercise::Exercise;
use crate::image::cache::LayerCache;
use crate::pipeline::{self, BuildOptions, Daemon, FactOptions, Judgement, MissingBase, Source};
use crate::report::{self, Report};
use crate::spec::Spec;
use crate::status_line::StatusLine;
use crate::stop::StopSignals;

/// Build contexts bigger than this are refused.
pub(super) const CONTEXT_LIMIT: u64 = 200_000_000;

pub(super) fn run(args: CheckArgs) -> Result<u8> {
    let options = FactOptions { compressed_size: args.compressed_size, ..fact_options(&args.scan, args.no_cache) };
    let mut judged_dockerfile = None;
    let judgement = match (&args.archive, &args.image, &args.exercise) {
        (Some(archive), _, _) => judge_archive(archive, &load_spec(args.spec.as_deref(), &args.scan)?, &options)?,
        (_, Some(reference), _) => judge_in_daemon(reference.clone(), load_spec(args.spec.as_deref(), &args.scan)?, options)?,
        (_, _, Some(wanted)) => {
            let here = std::env::current_dir().unwrap_or_default();
            let dir = &crate::course::exercise_dir(wanted, &here)?;
            let mut exercise = Exercise::open(dir)?;
            if args.solution {
                exercise.use_reference_triage();
            }
            apply_scan_flags(&mut exercise.spec, &args.scan)?;
            if let Some(target) = &args.target {
                exercise.spec.exercise.target = Some(target.clone());
            }
            let dockerfile = args.dockerfile.clone().unwrap_or_else(|| exercise.dockerfile(args.solution));
            judged_dockerfile = Some(dockerfile.clone());
            let build =
                BuildFlags { image_map: args.image_map.clone(), registry: args.registry.clone(), builder: args.builder, build_timeout: args.build_timeout };
            let judgement = build_and_judge(exercise, dockerfile, &build, options)?;
            if !args.solution && args.dockerfile.is_none() {
                crate::progress::record_check(dir, &judgement);
            }
            judgement
        }
        _ => unreachable!("clap requires an exercise, --image or --archive"),
    };
    if let Some(path) = &args.sbom {
        super::sbom::write(&judgement, &sbom_name(&args), args.sbom_format, Some(path))?;
    }
    finish(&judgement, args.format, judged_dockerfile.as_deref())
}

/// What the SBOM calls the image: the exercise, the reference or the archive.
fn sbom_name(args: &CheckArgs) -> String {
    let named = args.exercise.as_deref().or(args.archive.as_deref()).map(|path| path.display().to_string());
    named.or_else(|| args.image.clone()).unwrap_or_default()
}

/// How a build is run, from the command line.
pub(super) struct BuildFlags {
    pub image_map: Option<PathBuf>,
    /// The room's registry, where `pinned-base` verifies digests.
    pub registry: Option<String>,
    pub builder: BuilderChoice,
    pub build_timeout: u64,
}

/// Builds `dockerfile` in the exercise's folder and judges the image by the exercise's spec; a
/// Dockerfile that cannot go to a builder is judged without connecting to the daemon.
pub(super) fn build_and_judge(exercise: Exercise, dockerfile: PathBuf, build: &BuildFlags, facts: FactOptions) -> Result<Judgement> {
    let options = BuildOptions {
        image_map: crate::course::image_map_for(build.image_map.as_deref(), &exercise.dir)?,
        docker_host: docker::default_host(),
        builder: build.builder,
        cache_namespace: None,
        missing_base: MissingBase::Error,
        course_images: None,
        registry: build.registry.clone(),
        limits: docker::build::Limits { timeout: Duration::from_secs(build.build_timeout), ..Default::default() },
        context_limit: CONTEXT_LIMIT,
        facts,
    };
    if let Some(judgement) = pipeline::judge_unbuildable(&exercise, &dockerfile)? {
        return Ok(judgement);
    }
    with_daemon(move |docker, janitor| async move {
        let daemon = Daemon { docker: &docker, janitor: &janitor };
        pipeline::judge(Source::Build { daemon, exercise: &exercise, dockerfile: &dockerfile, options: &options }).await
    })
}

/// `shipshape scan`: a spec of just `[checks.scan]`, with the command line's policy.
pub(super) fn scan(args: ScanArgs) -> Result<u8> {
    let mut spec = Spec::parse("[checks.scan]\n")?;
    apply_scan_flags(&mut spec, &args.scan)?;
    let options = fact_options(&args.scan, args.no_cache);
    let judgement = match (&args.archive, &args.image) {
        (Some(archive), _) => judge_archive(archive, &spec, &options)?,
        (_, Some(reference)) => judge_in_daemon(reference.clone(), spec, options)?,
        _ => unreachable!("clap requires an image or --archive"),
    };
    finish(&judgement, args.format, None)
}

pub(super) fn fact_options(flags: &ScanFlags, no_cache: bool) -> FactOptions {
    let cache = if no_cache { LayerCache::disabled() } else { LayerCache::open() };
    FactOptions { cache, db_dir: flags.db_dir.clone(), status: StatusLine::on_terminal(), compressed_size: false }
}

/// Judges an archive file without a daemon: nothing is connected to, nothing is made.
pub(super) fn judge_archive(path: &Path, spec: &Spec, options: &FactOptions) -> Result<Judgement> {
    runtime()?.block_on(pipeline::judge(Source::Archive { path, spec, options }))
}

pub(super) fn judge_in_daemon(reference: String, spec: Spec, options: FactOptions) -> Result<Judgement> {
    with_daemon(move |docker, janitor| async move {
        let daemon = Daemon { docker: &docker, janitor: &janitor };
        pipeline::judge(Source::Image { daemon, reference: &reference, spec: &spec, options: &options }).await
    })
}

fn load_spec(path: Option<&Path>, flags: &ScanFlags) -> Result<Spec> {
    let mut spec = Spec::load(path.expect("clap requires --spec"))?;
    apply_scan_flags(&mut spec, flags)?;
    Ok(spec)
}

/// The command line's scan policy overrides the spec's `[checks.scan]` settings; an ignore file
/// given on the command line is relative to where the command runs.
pub(super) fn apply_scan_flags(spec: &mut Spec, flags: &ScanFlags) -> Result<()> {
    let Some(settings) = spec.scan_mut() else { return Ok(()) };
    let invalid = |e: String| Error::new(format!("the scan options are not valid: {e}")).action("see `shipshape explain scan`");
    // The policy first, then the scanner: the order the spec's settings are read in.
    if let Some(fail_on) = &flags.fail_on {
        settings.policy.fail_on = checks::scan::fail_on(fail_on).map_err(invalid)?;
    }
    if flags.ignore_unfixed {
        settings.policy.ignore_unfixed = true;
    }
    if let Some(scanner) = &flags.scanner {
        settings.scanner = Scanner::parse(scanner).map_err(invalid)?;
    }
    if let Some(file) = &flags.ignore_file {
        settings.ignore_file = Some(given_file(file)?);
    }
    if let Some(file) = &flags.vex_file {
        settings.vex_file = Some(given_file(file)?);
    }
    Ok(())
}

/// A triage file named on the command line, made absolute: it must exist, even where a spec that
/// names both files lets either be missing (a typed name is never silently skipped).
fn given_file(file: &Path) -> Result<PathBuf> {
    if !file.exists() {
        return Err(Error::new(format!("there is no file {}", file.display()))
            .action("give the path of the ignore file or VEX document, relative to where the command runs"));
    }
    Ok(std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf()))
}

/// Renders the report; `dockerfile` (what was built, if anything) is where annotations point.
fn finish(judgement: &Judgement, format: Format, dockerfile: Option<&Path>) -> Result<u8> {
    let report = Report::new(judgement);
    print!("{}", render(&report, format, dockerfile));
    Ok(if report.passed { EXIT_PASSED } else { EXIT_FAILED })
}

fn render(report: &Report, format: Format, dockerfile: Option<&Path>) -> String {
    match format {
        Format::Human => report::human(report),
        Format::Json => report.json() + "\n",
        Format::Junit => report::junit(report),
        Format::Github => report::github(report, dockerfile.map(|p| p.display().to_string()).as_deref()),
        Format::Sarif => report::sarif(report, dockerfile.map(|p| p.display().to_string()).as_deref()),
    }
}

/// Connects, runs `work` as its own task with a janitor, and sweeps whatever happens to it:
/// it finishes, fails, panics, or a signal stops it (Ctrl-C, SIGTERM, SIGHUP).
pub(super) fn with_daemon<T, F, Fut>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(bollard::Docker, Arc<Janitor>) -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
{
    runtime()?.block_on(async move {
        let mut stop = StopSignals::listen()?;
        let docker = docker::connect().await?;
        cleanup::sweep_abandoned(&docker).await;
        let janitor = Arc::new(Janitor::new(docker.clone()));
        let mut task = tokio::spawn(work(docker, janitor.clone()));
        let outcome = tokio::select! {
            joined = &mut task => joined.unwrap_or_else(|e| Err(Error::new("the check crashed").because(e).action("please report this as a bug"))),
            () = stop.received() => {
                janitor.cut_short();
                task.abort();
                let _ = task.await;
                Err(Error::new("interrupted").action("the containers and images this run made were removed; run the check again when ready"))
            }
        };
        janitor.sweep().await;
        outcome
    })
}
