//! `shipshape sbom`: the software bill of materials of an exercise's image (built as `check`
//! builds it), of an image the daemon has, or of an archive — and `check --sbom FILE`, which
//! writes the same document beside its report.
//!
//! What must hold: only the image's facts are gathered (an exercise is built and read, never run
//! or scanned); a build that fails is the learner's to fix (exit 1, with what `check` would say),
//! not an SBOM of nothing.
use std::path::{Path, PathBuf};

use super::check::{build_and_judge, fact_options, judge_archive, judge_in_daemon, BuildFlags};
use super::ScanFlags;
use crate::checks::CheckId;
use crate::docker::engine::BuilderChoice;
use crate::error::{Error, Result, EXIT_FAILED, EXIT_PASSED};
use crate::exercise::Exercise;
use crate::pipeline::Judgement;
use crate::sbom::{Sbom, SbomFormat};
use crate::spec::Spec;

#[derive(clap::Args)]
pub(super) struct Args {
    /// The exercise whose Dockerfile is built: its folder, its number or a prefix only it has.
    #[arg(required_unless_present_any = ["image", "archive"], conflicts_with_all = ["image", "archive"])]
    exercise: Option<PathBuf>,
    /// Build the exercise's reference solution instead of its Dockerfile.
    #[arg(long, requires = "exercise")]
    solution: bool,
    /// An image the daemon already has, by reference or id.
    #[arg(long, conflicts_with = "archive")]
    image: Option<String>,
    /// A `docker save` or OCI-layout archive, read without a daemon.
    #[arg(long)]
    archive: Option<PathBuf>,
    /// The document's format.
    #[arg(long, value_enum, default_value_t)]
    format: SbomFormat,
    /// Write the document to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// TOML file mapping public images to local ones (also $SHIPSHAPE_IMAGE_MAP).
    #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
    image_map: Option<PathBuf>,
    /// Which builder builds: BuildKit where the engine has it, else the legacy one (auto).
    #[arg(long, value_enum, env = "SHIPSHAPE_BUILDER", default_value_t)]
    builder: BuilderChoice,
    /// Read every layer again instead of using the layer cache.
    #[arg(long)]
    no_cache: bool,
}

pub(super) fn run(args: Args) -> Result<u8> {
    let facts = fact_options(&ScanFlags::default(), args.no_cache);
    let no_checks = || Spec::parse("");
    let (judgement, name) = match (&args.archive, &args.image, &args.exercise) {
        (Some(archive), _, _) => (judge_archive(archive, &no_checks()?, &facts)?, archive.display().to_string()),
        (_, Some(reference), _) => (judge_in_daemon(reference.clone(), no_checks()?, facts)?, reference.clone()),
        (_, _, Some(wanted)) => {
            let dir = crate::course::exercise_dir(wanted, &std::env::current_dir().unwrap_or_default())?;
            let mut exercise = Exercise::open(&dir)?;
            exercise.spec.retain(&[CheckId::Builds]);
            let dockerfile = exercise.dockerfile(args.solution);
            let build_timeout = crate::docker::build::Limits::default().timeout.as_secs();
            let build = BuildFlags { image_map: args.image_map.clone(), registry: None, builder: args.builder, build_timeout };
            (build_and_judge(exercise, dockerfile, &build, facts)?, dir.display().to_string())
        }
        _ => unreachable!("clap requires an exercise, --image or --archive"),
    };
    if judgement.image.is_none() {
        eprint!("{}", crate::report::human(&crate::report::Report::new(&judgement)));
        eprintln!("No image, so no bill of materials: fix the build above, then run this again.");
        return Ok(EXIT_FAILED);
    }
    write(&judgement, &name, args.format, args.output.as_deref())?;
    Ok(EXIT_PASSED)
}

/// Writes the SBOM of the judged image, called `name`, to `output` (standard output when
/// `None`); nothing when no image was made (the report says why).
pub(super) fn write(judgement: &Judgement, name: &str, format: SbomFormat, output: Option<&Path>) -> Result<()> {
    let Some(image) = &judgement.image else { return Ok(()) };
    let document = Sbom::of(name, image, judgement.dockerfile.as_ref()).render(format);
    match output {
        None => print!("{document}"),
        Some(path) => std::fs::write(path, document).map_err(|e| {
            Error::new(format!("cannot write the bill of materials to {}", path.display())).because(e).action("check that the folder exists and is writable")
        })?,
    }
    Ok(())
}
