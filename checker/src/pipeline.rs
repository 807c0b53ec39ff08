//! The one-way pipeline: collect facts (build, save, probe) → judge them → a [`Judgement`].
//!
//! What must hold: checks see facts only; the Docker work happens here and in [`crate::docker`],
//! under the caller's janitor, which the caller sweeps on every path out.
use std::path::Path;

use bollard::Docker;

use crate::attribution::Origins;
use crate::checks::{self, Input, Verdict};
use crate::docker::{self, build::Limits, cleanup::Janitor};
use crate::dockerfile::{image_map::ImageMap, Dockerfile};
use crate::error::{Error, Result};
use crate::exercise::Exercise;
use crate::image::archive::read_archive;
use crate::image::ImageFacts;
use crate::record::{BuildRecord, ProbeRecord};
use crate::spec::Spec;

/// Everything judged in one run.
#[derive(Debug)]
pub struct Judgement {
    pub exercise: Option<String>,
    pub image: Option<ImageFacts>,
    pub verdicts: Vec<Verdict>,
}

/// Settings of a build-and-judge run.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub image_map: ImageMap,
    pub limits: Limits,
    /// Largest build context accepted, in bytes.
    pub context_limit: u64,
}

/// Builds `dockerfile_path` in the exercise's context and judges the result.
pub async fn judge_build(docker: &Docker, janitor: &Janitor, exercise: &Exercise, dockerfile_path: &Path, options: &BuildOptions) -> Result<Judgement> {
    let text = std::fs::read_to_string(dockerfile_path).map_err(|e| {
        Error::new(format!("cannot read the Dockerfile {}", dockerfile_path.display()))
            .because(e)
            .action("check the path, or pass --dockerfile FILE")
    })?;
    let (dockerfile, build) = match Dockerfile::parse(&text) {
        Ok(dockerfile) => {
            let context = docker::context::pack(&exercise.context_dir(), &options.image_map.rewrite(&dockerfile), options.context_limit)?;
            let build = docker::build::build(docker, janitor, context, &dockerfile, &options.limits).await?;
            (Some(dockerfile), build)
        }
        Err(problem) => (None, BuildRecord { error: Some(format!("the Dockerfile does not parse: {problem}")), ..BuildRecord::default() }),
    };
    let image = match &build.image_id {
        Some(id) => Some(docker::save::image_facts(docker, id).await?),
        None => None,
    };
    let probe = match (&image, &build.image_id) {
        (Some(facts), Some(id)) => probe_if_required(docker, janitor, &exercise.spec, id, facts).await?,
        _ => None,
    };
    let verdicts = judge(&exercise.spec, dockerfile.as_ref(), Some(&build), image.as_ref(), probe.as_ref());
    Ok(Judgement { exercise: Some(exercise.name.clone()), image, verdicts })
}

/// Judges an image the daemon already has.
pub async fn judge_image(docker: &Docker, janitor: &Janitor, reference: &str, spec: &Spec) -> Result<Judgement> {
    let inspected = docker.inspect_image(reference).await.map_err(|e| {
        if docker::is_not_found(&e) {
            Error::new(format!("image {reference} is not in the daemon")).action("build or load it first, or check the name with `docker images`")
        } else {
            docker::failure(format!("cannot inspect image {reference}"), e)
        }
    })?;
    let id = inspected.id.unwrap_or_else(|| reference.to_string());
    let image = docker::save::image_facts(docker, &id).await?;
    let probe = probe_if_required(docker, janitor, spec, &id, &image).await?;
    let verdicts = judge(spec, None, None, Some(&image), probe.as_ref());
    Ok(Judgement { exercise: None, image: Some(image), verdicts })
}

/// Judges a `docker save` or OCI-layout archive without a daemon (the image is not run).
pub fn judge_archive(path: &Path, spec: &Spec) -> Result<Judgement> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::new(format!("cannot open the archive {}", path.display())).because(e).action("check the path to the `docker save` or OCI archive")
    })?;
    let image = read_archive(file, None).map_err(|cause| {
        Error::new(format!("cannot read the archive {}", path.display()))
            .because(cause)
            .action("make it again with `docker save IMAGE -o FILE` or `skopeo copy docker-daemon:IMAGE oci-archive:FILE`")
    })?;
    let verdicts = judge(spec, None, None, Some(&image), None);
    Ok(Judgement { exercise: None, image: Some(image), verdicts })
}

async fn probe_if_required(docker: &Docker, janitor: &Janitor, spec: &Spec, id: &str, image: &ImageFacts) -> Result<Option<ProbeRecord>> {
    let Some(requirement) = spec.requirement("runs") else { return Ok(None) };
    // The spec was validated when it loaded, so its plan parses.
    let plan = checks::probe_plan(&requirement.settings).map_err(|e| Error::new(format!("[checks.runs]: {e}")))?;
    docker::probe::probe(docker, janitor, id, &image.config.user, &plan).await.map(Some)
}

fn judge(spec: &Spec, dockerfile: Option<&Dockerfile>, build: Option<&BuildRecord>, image: Option<&ImageFacts>, probe: Option<&ProbeRecord>) -> Vec<Verdict> {
    let origins = image.map(|i| Origins::new(i, dockerfile));
    let input = Input { dockerfile, build, image, probe, origins: origins.as_ref() };
    checks::judge_all(spec, &input)
}
