//! The janitor: remembers every container and image a run creates and removes them all at the
//! end, whatever the path out; and, at the start of a run, collects what runs killed before they
//! could sweep left behind. Removal errors are reported on stderr, never swallowed silently.
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use bollard::models::{ContainerSummary, ImageSummary};
use bollard::query_parameters::{ListContainersOptionsBuilder, ListImagesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder};
use bollard::Docker;

use super::owner::{Owner, OWNER_LABEL, RUN_REPOSITORY};
use super::{is_not_found, RUN_LABEL};

pub(crate) struct Janitor {
    docker: Docker,
    /// Identifies this run in [`RUN_LABEL`].
    pub run_id: String,
    /// The [`RUN_LABEL`] value the run's builds carry: its own id, or one shared by the builds of
    /// a grading run so that identical steps of different submissions are built once.
    build_label: String,
    /// Builds share images with other runs: leave them to the sweep at the end of those runs.
    keeps_images: bool,
    containers: Mutex<Vec<String>>,
    images: Mutex<Vec<String>>,
    /// Tags of BuildKit builds' images (removing the tag removes the image unless something else
    /// still names it: the same image built by another run, or a base image built unchanged).
    tags: Mutex<Vec<String>>,
    cut_short: AtomicBool,
}

/// `PID-NANOS-N`, N counting the janitors of this process (grading makes several side by side).
fn new_run_id() -> String {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}-{}", std::process::id(), MADE.fetch_add(1, Ordering::Relaxed))
}

/// The labels of everything a run makes: Shipshape's, the run's, and (where the OS can say) the
/// process that owns it, so that a later run can collect it if this one is killed.
fn labels(run: &str) -> HashMap<String, String> {
    let mut labels = HashMap::from([(super::LABEL.to_string(), "1".to_string()), (RUN_LABEL.to_string(), run.to_string())]);
    if let Some(owner) = Owner::current() {
        labels.insert(OWNER_LABEL.to_string(), owner.label());
    }
    labels
}

/// How long the daemon gets to finish a cancelled step before the second look.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(1500);
/// Removal passes for chains of images (each pass removes the children of the next).
const PASSES: usize = 8;

impl Janitor {
    /// A fresh run id, for a label several janitors share.
    pub(crate) fn new_label() -> String {
        new_run_id()
    }

    /// A janitor with a run id of its own.
    pub(crate) fn new(docker: Docker) -> Self {
        let run_id = new_run_id();
        Janitor::with(docker, run_id.clone(), run_id, false)
    }

    /// A janitor for one of several builds that share a build cache (grading): the builds carry
    /// `build_label`, so a step that several submissions have in common is built once; it removes
    /// its own containers only, and the images go with [`Janitor::for_label`] when all are done.
    pub(crate) fn sharing(docker: Docker, build_label: &str) -> Self {
        Janitor::with(docker, new_run_id(), build_label.to_string(), true)
    }

    /// A janitor for everything labelled `label` (the end of a grading run).
    pub(crate) fn for_label(docker: Docker, label: &str) -> Self {
        Janitor::with(docker, label.to_string(), label.to_string(), false)
    }

    fn with(docker: Docker, run_id: String, build_label: String, keeps_images: bool) -> Self {
        Janitor {
            docker,
            run_id,
            build_label,
            keeps_images,
            containers: Mutex::default(),
            images: Mutex::default(),
            tags: Mutex::default(),
            cut_short: AtomicBool::new(false),
        }
    }

    /// Labels for the containers this run creates.
    pub(crate) fn labels(&self) -> HashMap<String, String> {
        labels(&self.run_id)
    }

    /// Labels for the images this run's builds create.
    pub(crate) fn build_labels(&self) -> HashMap<String, String> {
        labels(&self.build_label)
    }

    pub(crate) fn container(&self, id: &str) {
        self.containers.lock().expect("janitor lock").push(id.to_string());
    }

    pub(crate) fn image(&self, id: &str) {
        self.images.lock().expect("janitor lock").push(id.to_string());
    }

    /// A new tag for an image this run makes (a BuildKit build's, the probe's client), registered
    /// for removal: under the owner's repository ([`Owner::repository`]), so a later run can
    /// collect it if this one is killed.
    pub(crate) fn image_tag(&self) -> String {
        let mut tags = self.tags.lock().expect("janitor lock");
        let repository = Owner::current().map_or_else(|| format!("{RUN_REPOSITORY}/unowned"), Owner::repository);
        let tag = format!("{repository}:{}-{}", self.run_id, tags.len());
        tags.push(tag.clone());
        tag
    }

    /// A build was cut short (timeout, Ctrl-C): the daemon may still commit the step it was
    /// running after the connection closed, so the sweep waits for it and looks again.
    pub(crate) fn cut_short(&self) {
        self.cut_short.store(true, Ordering::Relaxed);
    }

    /// Removes the containers registered or labelled with this run (a build step's container
    /// inherits the label its stage starts with), then every image registered or labelled.
    pub(crate) async fn sweep(&self) {
        let containers: Vec<String> = std::mem::take(&mut *self.containers.lock().expect("janitor lock"));
        let images: Vec<String> = std::mem::take(&mut *self.images.lock().expect("janitor lock"));
        let tags: Vec<String> = std::mem::take(&mut *self.tags.lock().expect("janitor lock"));
        self.remove_containers(containers).await;
        if !self.keeps_images {
            self.remove_images(images).await;
        }
        untag(&self.docker, &tags).await;
        if self.cut_short.load(Ordering::Relaxed) {
            tokio::time::sleep(SETTLE).await;
            self.remove_containers(Vec::new()).await;
            if !self.keeps_images {
                self.remove_images(Vec::new()).await;
            }
            untag(&self.docker, &tags).await;
        }
    }

    async fn remove_containers(&self, mut containers: Vec<String>) {
        containers.extend(self.labelled_containers().await);
        for id in containers.iter().rev() {
            let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
            if let Err(e) = self.docker.remove_container(id, Some(options)).await {
                if !is_not_found(&e) {
                    eprintln!("warning: could not remove container {id}: {e}");
                }
            }
        }
    }

    /// Removes the images and every image labelled with this run, children before parents:
    /// an image still holding a child (409) is tried again in the next pass.
    async fn remove_images(&self, mut images: Vec<String>) {
        images.extend(self.labelled_images().await);
        for _ in 0..PASSES {
            let mut left = Vec::new();
            for id in images {
                let options = RemoveImageOptionsBuilder::default().force(true).build();
                match self.docker.remove_image(&id, Some(options), None).await {
                    Ok(_) => {}
                    Err(e) if is_not_found(&e) => {}
                    Err(bollard::errors::Error::DockerResponseServerError { status_code: 409, .. }) => left.push(id),
                    Err(e) => eprintln!("warning: could not remove image {id}: {e}"),
                }
            }
            if left.is_empty() {
                return;
            }
            images = left;
        }
        eprintln!("warning: could not remove image(s) {}: they still have child images", images.join(", "));
    }

    async fn labelled_containers(&self) -> Vec<String> {
        containers_labelled(&self.docker, format!("{RUN_LABEL}={}", self.run_id)).await.into_iter().filter_map(|c| c.id).collect()
    }

    async fn labelled_images(&self) -> Vec<String> {
        images_labelled(&self.docker, format!("{RUN_LABEL}={}", self.run_id)).await.into_iter().map(|i| i.id).collect()
    }
}

/// Removes each tag; an image goes with its last tag (its build cache stays, for the next build).
async fn untag(docker: &Docker, tags: &[String]) {
    for tag in tags {
        match docker.remove_image(tag, Some(RemoveImageOptionsBuilder::default().force(true).build()), None).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => eprintln!("warning: could not remove image {tag}: {e}"),
        }
    }
}

/// Every container, stopped ones too, with `label` (`KEY` or `KEY=VALUE`); none when the daemon
/// does not answer (the sweep then has nothing more it could do).
async fn containers_labelled(docker: &Docker, label: String) -> Vec<ContainerSummary> {
    let filters = HashMap::from([("label", vec![label])]);
    docker.list_containers(Some(ListContainersOptionsBuilder::default().all(true).filters(&filters).build())).await.unwrap_or_default()
}

/// Every image, intermediate ones too, with `label`; as [`containers_labelled`].
async fn images_labelled(docker: &Docker, label: String) -> Vec<ImageSummary> {
    let filters = HashMap::from([("label", vec![label])]);
    docker.list_images(Some(ListImagesOptionsBuilder::default().all(true).filters(&filters).build())).await.unwrap_or_default()
}

/// Removes what runs of this host that no longer exist left behind (killed before their sweep:
/// SIGKILL, a reboot), and says so on stderr. Runs of other hosts, and live runs, are left alone.
pub(crate) async fn sweep_abandoned(docker: &Docker, host: &str) {
    let Some(current) = Owner::current() else { return };
    let mut runs: BTreeMap<(String, String), usize> = BTreeMap::new();
    for labels in owned_labels(docker).await {
        if let (Some(run), Some(owner)) = (labels.get(RUN_LABEL), labels.get(OWNER_LABEL)) {
            *runs.entry((run.clone(), owner.clone())).or_default() += 1;
        }
    }
    for ((run, owner), count) in runs {
        let Some(owner) = Owner::parse(&owner).filter(|owner| owner.is_abandoned(current)) else { continue };
        eprintln!("note: removing {count} container(s) and image(s) left by an interrupted Shipshape run (process {}, {RUN_LABEL}={run})", owner.pid);
        Janitor::for_label(docker.clone(), &run).sweep().await;
    }
    let abandoned_tags: Vec<String> =
        run_tags(docker).await.into_iter().filter(|tag| Owner::parse_tag(tag).is_some_and(|(owner, _)| owner.is_abandoned(current))).collect();
    if !abandoned_tags.is_empty() {
        eprintln!("note: removing {} image(s) left by interrupted Shipshape runs ({RUN_REPOSITORY}/…)", abandoned_tags.len());
        untag(docker, &abandoned_tags).await;
    }
    super::cache_mounts::remove_abandoned(docker, host, current).await;
}

/// Every tag under [`RUN_REPOSITORY`].
async fn run_tags(docker: &Docker) -> Vec<String> {
    let images = docker.list_images(Some(ListImagesOptionsBuilder::default().build())).await.unwrap_or_default();
    images.into_iter().flat_map(|image| image.repo_tags).filter(|tag| tag.starts_with(RUN_REPOSITORY)).collect()
}

/// The labels of every container and image that carries an owner.
async fn owned_labels(docker: &Docker) -> Vec<HashMap<String, String>> {
    let (containers, images) = futures_util::join!(containers_labelled(docker, OWNER_LABEL.into()), images_labelled(docker, OWNER_LABEL.into()));
    let containers = containers.into_iter().filter_map(|c| c.labels);
    containers.chain(images.into_iter().map(|i| i.labels)).collect()
}
