//! `shipshape check`: resolve what to judge, run the pipeline under a janitor that cleans up on
//! every path (success, failure, Ctrl-C, a panic inside the pipeline), render, pick the exit code.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{runtime, CheckArgs, Format};
use crate::docker::{self, cleanup::Janitor};
use crate::dockerfile::image_map::ImageMap;
use crate::error::{Error, Result, EXIT_FAILED, EXIT_PASSED};
use crate::exercise::Exercise;
use crate::pipeline::{self, BuildOptions, Judgement};
use crate::report::{self, Report};
use crate::spec::Spec;

/// Build contexts bigger than this are refused.
const CONTEXT_LIMIT: u64 = 200_000_000;

pub fn run(args: CheckArgs) -> Result<u8> {
    let judgement = match (&args.archive, &args.image, &args.exercise) {
        (Some(archive), _, _) => pipeline::judge_archive(archive, &Spec::load(args.spec.as_deref().expect("clap requires --spec"))?)?,
        (_, Some(reference), _) => {
            let spec = Spec::load(args.spec.as_deref().expect("clap requires --spec"))?;
            let reference = reference.clone();
            with_daemon(move |docker, janitor| async move { pipeline::judge_image(&docker, &janitor, &reference, &spec).await })?
        }
        (_, _, Some(dir)) => {
            let exercise = Exercise::open(dir)?;
            let dockerfile = args.dockerfile.clone().unwrap_or_else(|| exercise.dockerfile(args.solution));
            let options = BuildOptions {
                image_map: args.image_map.as_deref().map(ImageMap::load).transpose()?.unwrap_or_default(),
                limits: docker::build::Limits { timeout: Duration::from_secs(args.build_timeout), ..Default::default() },
                context_limit: CONTEXT_LIMIT,
            };
            with_daemon(move |docker, janitor| async move { pipeline::judge_build(&docker, &janitor, &exercise, &dockerfile, &options).await })?
        }
        _ => unreachable!("clap requires an exercise, --image or --archive"),
    };
    let report = Report::new(judgement.exercise.clone(), judgement.image.as_ref(), &judgement.verdicts);
    print!("{}", render(&report, args.format));
    Ok(if report.passed { EXIT_PASSED } else { EXIT_FAILED })
}

fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Human => report::human(report),
        Format::Json => report.json() + "\n",
        Format::Junit => report::junit(report),
    }
}

/// Connects, runs `work` as its own task with a janitor, and sweeps whatever happens to it:
/// it finishes, fails, panics, or the user presses Ctrl-C.
fn with_daemon<F, Fut>(work: F) -> Result<Judgement>
where
    F: FnOnce(bollard::Docker, Arc<Janitor>) -> Fut,
    Fut: Future<Output = Result<Judgement>> + Send + 'static,
{
    runtime()?.block_on(async move {
        let docker = docker::connect().await?;
        let janitor = Arc::new(Janitor::new(docker.clone()));
        let mut task = tokio::spawn(work(docker, janitor.clone()));
        let outcome = tokio::select! {
            joined = &mut task => joined.unwrap_or_else(|e| Err(Error::new("the check crashed").because(e).action("please report this as a bug"))),
            _ = tokio::signal::ctrl_c() => {
                task.abort();
                let _ = task.await;
                Err(Error::new("interrupted").action("the containers and images this run made were removed; run the check again when ready"))
            }
        };
        janitor.sweep().await;
        outcome
    })
}
