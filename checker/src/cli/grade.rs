//! `shipshape grade`: grade a folder of submissions (one subfolder per student) against an
//! exercise on one or more Docker endpoints, resume where the last run stopped, render the class.
//!
//! Exit codes: 0 every submission passed; 1 one failed or could not be judged (its grade says
//! why); 2 the run itself failed (bad arguments, no endpoint, interrupted, out-dir unwritable).
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;

use super::check::{apply_scan_flags, CONTEXT_LIMIT};
use super::{parallel_runtime, ScanFlags};
use crate::docker::build::Limits;
use crate::docker::engine::BuilderChoice;
use crate::dockerfile::image_map::ImageMap;
use crate::dockerfile::reach::CourseImages;
use crate::error::{Error, Result};
use crate::escape;
use crate::exercise::Exercise;
use crate::grade::endpoints::{Pool, Target};
use crate::grade::scheduler::Grader;
use crate::grade::store::{write_whole, Store};
use crate::grade::submission::{discover, learner_paths, Submission};
use crate::grade::{self, Class, Grade};
use crate::image::cache::LayerCache;
use crate::pipeline::{BuildOptions, FactOptions, MissingBase};
use crate::status_line::StatusLine;
use crate::units::{count, parse_size};

#[derive(clap::Args)]
pub(super) struct Args {
    /// The folder of submissions: one subfolder per student, named after the student.
    submissions: PathBuf,
    /// The instructor's exercise folder: the spec, the tests and every file a learner may not change.
    #[arg(long)]
    exercise: PathBuf,
    /// Submissions graded at once (also each endpoint's limit unless it says #jobs=N).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: u16,
    /// TOML file mapping public images to local ones (also $SHIPSHAPE_IMAGE_MAP).
    #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
    image_map: Option<PathBuf>,
    /// The room's registry on HOST:PORT (e.g. 127.0.0.1:5000): `pinned-base` verifies there that
    /// every digest a submission pins exists (without it, only their form is checked).
    #[arg(long, env = "SHIPSHAPE_REGISTRY", value_name = "HOST:PORT")]
    registry: Option<String>,
    /// A Docker endpoint in DOCKER_HOST syntax, optionally `URL#jobs=N`; repeat it to spread the
    /// class over several (default: $DOCKER_HOST, else the local socket).
    #[arg(long = "docker-host", value_name = "URL")]
    docker_hosts: Vec<String>,
    /// Output format of the class report.
    #[arg(long, value_enum, default_value_t = GradeFormat::Table)]
    format: GradeFormat,
    /// Write the class report to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Where each submission's results.json and grade.json, and the run state, are written.
    #[arg(long, default_value = "shipshape-grades")]
    out_dir: PathBuf,
    /// Seconds a build may take before it is stopped (and fails).
    #[arg(long, default_value_t = 300)]
    build_timeout: u64,
    /// Memory a build may use, like "1 GB" (at most 2 GB).
    #[arg(long, default_value = "2 GB")]
    build_memory: String,
    /// CPUs a build may use, like 1.5.
    #[arg(long, default_value_t = 2.0)]
    build_cpus: f64,
    /// The largest built image that is read and judged, like "4 GB": a larger one fails `builds`
    /// without being read.
    #[arg(long, default_value = "4 GB")]
    max_image_size: String,
    /// Which builder builds: BuildKit where the engine has it, else the legacy one (auto).
    #[arg(long, value_enum, env = "SHIPSHAPE_BUILDER", default_value_t)]
    builder: BuilderChoice,
    /// Skip submissions an earlier run already graded, unchanged since (the default).
    #[arg(long, overrides_with = "restart")]
    resume: bool,
    /// Grade every submission again, forgetting earlier runs.
    #[arg(long, overrides_with = "resume")]
    restart: bool,
    #[command(flatten)]
    scan: ScanFlags,
}

#[derive(Clone, Copy, ValueEnum)]
enum GradeFormat {
    Table,
    Csv,
    Json,
    Junit,
    Github,
    Html,
}

pub(super) fn run(args: Args) -> Result<u8> {
    let mut exercise = Exercise::open(&args.exercise)?;
    apply_scan_flags(&mut exercise.spec, &args.scan)?;
    // Every build is served the exercise's secrets: one that cannot be read stops the run here,
    // before any submission is graded, instead of failing each of them (each build reads them again).
    exercise.spec.read_secrets()?;
    let learner = learner_paths(&exercise)?;
    let targets = targets(&args)?;
    let options = build_options(&args, &exercise)?;
    // The map loaded (in build_options), so it reads; its text is part of every fingerprint.
    let map_text = args.image_map.as_deref().and_then(|path| std::fs::read(path).ok()).unwrap_or_default();
    let submissions = discover(&args.submissions, &exercise, &learner, &map_text, Some(&args.out_dir), options.context_limit)?;
    if submissions.is_empty() {
        return Err(Error::new(format!("{} holds no submissions", args.submissions.display())).action("pass a folder with one subfolder per student"));
    }
    let mut store = Store::open(&args.out_dir, &exercise.name, args.restart && !args.resume)?;
    let (mut grades, todo): (Vec<Grade>, Vec<Submission>) = partition(&store, submissions);
    if !grades.is_empty() {
        eprintln!("resuming: {} already graded in {} (--restart grades them again)", count(grades.len(), "submission"), args.out_dir.display());
    }
    let total = grades.len() + todo.len();
    if !todo.is_empty() {
        let finished = parallel_runtime()?.block_on(async {
            let pool = Pool::connect(&targets).await?;
            let grader = Arc::new(Grader::new(exercise.clone(), learner, options, pool, usize::from(args.jobs)));
            grader
                .run(todo, |grade| {
                    grades.push(grade.clone());
                    eprintln!("[{}/{total}] {}", grades.len(), progress(grade));
                    store.record(grade)
                })
                .await
        })?;
        if !finished.ungraded.is_empty() {
            return Err(Error::new(format!("{} not graded: every Docker endpoint stopped answering", count(finished.ungraded.len(), "submission")))
                .because(finished.ungraded.join(", "))
                .action("start a daemon and run the same command again: the graded submissions are kept"));
        }
    }
    let class = Class::new(&exercise, grades);
    emit(&render(&class, args.format), args.output.as_deref())?;
    Ok(class.exit_code())
}

/// The endpoints: each --docker-host, else $DOCKER_HOST, else the local socket.
fn targets(args: &Args) -> Result<Vec<Target>> {
    let jobs = usize::from(args.jobs);
    if args.docker_hosts.is_empty() {
        let host = std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
        return Ok(vec![Target::parse(&host, jobs)?]);
    }
    args.docker_hosts.iter().map(|host| Target::parse(host, jobs)).collect()
}

fn build_options(args: &Args, exercise: &Exercise) -> Result<BuildOptions> {
    let memory = parse_size(&args.build_memory).ok().and_then(|bytes| i32::try_from(bytes).ok()).filter(|bytes| *bytes >= 6_000_000);
    let memory =
        memory.ok_or_else(|| Error::new(format!("--build-memory {} is not a size from 6 MB to 2 GB", args.build_memory)).action("write it like \"1 GB\""))?;
    if !(0.01..=256.0).contains(&args.build_cpus) {
        return Err(Error::new(format!("--build-cpus {} is not from 0.01 to 256", args.build_cpus)).action("write it like 1.5"));
    }
    let image_bytes = parse_size(&args.max_image_size)
        .map_err(|problem| Error::new(format!("--max-image-size {}: {problem}", args.max_image_size)).action("write it like \"4 GB\""))?;
    let limits = Limits {
        timeout: Duration::from_secs(args.build_timeout),
        memory_bytes: memory,
        cpu_quota: (args.build_cpus * 100_000.0) as i32,
        image_bytes,
        spinner: false,
        ..Limits::default()
    };
    let image_map = args.image_map.as_deref().map(ImageMap::load).transpose()?.unwrap_or_default();
    let course_images = Some(course_images(exercise, &image_map));
    Ok(BuildOptions {
        image_map,
        docker_host: crate::docker::default_host(),
        builder: args.builder,
        cache_namespace: None,
        missing_base: MissingBase::FailsBuild,
        course_images,
        registry: args.registry.clone(),
        limits,
        context_limit: CONTEXT_LIMIT,
        facts: FactOptions { cache: LayerCache::open(), db_dir: args.scan.db_dir.clone(), status: StatusLine::default(), compressed_size: false },
    })
}

/// What a submission may build on: the image map's local images, and the bases of the exercise's
/// starter and reference Dockerfiles.
fn course_images(exercise: &Exercise, image_map: &ImageMap) -> CourseImages {
    let bases: Vec<String> = [false, true].into_iter().flat_map(|solution| exercise.base_images(&exercise.dockerfile(solution)).unwrap_or_default()).collect();
    CourseImages::new(image_map, bases.iter().map(String::as_str))
}

/// The grades earlier runs left for unchanged submissions, and the submissions still to grade.
fn partition(store: &Store, submissions: Vec<Submission>) -> (Vec<Grade>, Vec<Submission>) {
    let mut done = Vec::new();
    let mut todo = Vec::new();
    for submission in submissions {
        match store.previous(&submission) {
            Some(grade) => done.push(grade),
            None => todo.push(submission),
        }
    }
    (done, todo)
}

fn progress(grade: &Grade) -> String {
    let place = grade.endpoint.as_deref().map(|e| format!(" on {e}")).unwrap_or_default();
    let why = grade.message.as_deref().map(|m| format!(": {}", escape::visible(m))).unwrap_or_default();
    format!(
        "{}: {} {}/{} points ({:.1} s{place}){why}",
        escape::visible(&grade.student),
        grade.status.as_str(),
        grade.report.points.earned,
        grade.report.points.possible,
        grade.seconds
    )
}

fn render(class: &Class, format: GradeFormat) -> String {
    match format {
        GradeFormat::Table => grade::table::render(class),
        GradeFormat::Csv => grade::csv::render(class),
        GradeFormat::Json => grade::json::render(class),
        GradeFormat::Junit => grade::junit::render(class),
        GradeFormat::Github => grade::github::render(class),
        GradeFormat::Html => grade::html::render(class),
    }
}

fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(path) => write_whole(path, text),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
