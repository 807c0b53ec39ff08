//! The janitor: remembers every container and image a run (a `check`, or one graded submission)
//! creates and removes them all at its end, whatever the path out; and, at the start of a run, collects what runs killed before they
//! could sweep left behind. Removal errors are reported on stderr, never swallowed silently.
//!
//! What must hold: what a run removes rests on what the run itself recorded, never on a label
//! alone, because a submission's Dockerfile can set any label (`LABEL shipshape.run=…`, in any
//! stage): the containers it created or saw started, the images its builds reported (each step of
//! the legacy builder, the final image) and every image built on them (found by parent id, which
//! the daemon sets), the tags it gave BuildKit's images. A container labelled with the run goes
//! only when its image is one of those. A killed run's leftovers ([`sweep_abandoned`]) can only
//! be found by their labels; they are removed one by one, only when the labels of the item and of
//! the first labelled image of its chain (the `LABEL` Shipshape adds right after each `FROM`,
//! which no instruction of the Dockerfile can precede) both name an abandoned run, and never when
//! a live run's tag names the image.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use bollard::models::{ContainerSummary, ImageSummary};
use bollard::query_parameters::{ListContainersOptionsBuilder, ListImagesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder};
use bollard::Docker;

use super::owner::{Owner, OWNER_LABEL, RUN_REPOSITORY};
use super::{is_not_found, BUILD_LABEL, RUN_LABEL};

pub(crate) struct Janitor {
    docker: Docker,
    /// Identifies this run in [`RUN_LABEL`]: every container and legacy-built image it makes.
    pub run_id: String,
    /// Whether this janitor's run is one submission of a grading run ([`Janitor::image_labels`]).
    grading: bool,
    containers: Mutex<Vec<String>>,
    images: Mutex<Vec<String>>,
    /// Tags of BuildKit builds' images (removing the tag removes the image unless something else
    /// still names it: the same image built by another run, or a base image built unchanged).
    tags: Mutex<Vec<String>>,
    cut_short: AtomicBool,
}

/// `PID-NANOS-N`, N counting the janitors of this process (grading makes several side by side).
pub(crate) fn new_run_id() -> String {
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
    /// A janitor with a run id of its own.
    pub(crate) fn new(docker: Docker) -> Self {
        Janitor::with(docker, false)
    }

    /// A janitor for one submission of a grading run: a run id of its own, so that everything
    /// its build makes is its alone and goes when its grade is written.
    pub(crate) fn grading(docker: Docker) -> Self {
        Janitor::with(docker, true)
    }

    fn with(docker: Docker, grading: bool) -> Self {
        Janitor {
            docker,
            run_id: new_run_id(),
            grading,
            containers: Mutex::default(),
            images: Mutex::default(),
            tags: Mutex::default(),
            cut_short: AtomicBool::new(false),
        }
    }

    /// Labels for the containers this run creates, and for every image its legacy builds commit.
    pub(crate) fn labels(&self) -> HashMap<String, String> {
        labels(&self.run_id)
    }

    pub(crate) fn container(&self, id: &str) {
        self.containers.lock().expect("janitor lock").push(id.to_string());
    }

    /// An image one of this run's builds made (full or short id).
    pub(crate) fn image(&self, id: &str) {
        self.images.lock().expect("janitor lock").push(id.to_string());
    }

    #[cfg(test)]
    pub(crate) fn recorded_images(&self) -> Vec<String> {
        self.images.lock().expect("janitor lock").clone()
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

    /// Labels for the final image of this janitor's BuildKit build, when it grades a submission:
    /// the janitor's own run id, so that two submissions that build the same image
    /// still end in two images. Otherwise one image would carry both tags, and the first grade to
    /// remove its tag deletes it while the daemon is still tagging it for the other (the other's
    /// build fails with `failed to get digest … no such file or directory`). BuildKit puts these
    /// labels into the exported config only: every step stays a cache hit. `check` sets none, so
    /// an unchanged image keeps its id and the layer cache's config entry.
    pub(crate) fn image_labels(&self) -> Option<HashMap<String, String>> {
        self.grading.then(|| HashMap::from([(BUILD_LABEL.to_string(), self.run_id.clone())]))
    }

    /// A build was cut short (timeout, Ctrl-C): the daemon may still commit the step it was
    /// running after the connection closed, so the sweep waits for it and looks again.
    pub(crate) fn cut_short(&self) {
        self.cut_short.store(true, Ordering::Relaxed);
    }

    /// Removes the containers this run registered or labelled from one of its images, then its
    /// images and everything built on them, then its tags. A build cut
    /// short gets a second look, for what the daemon committed after the connection closed.
    pub(crate) async fn sweep(&self) {
        let containers: Vec<String> = std::mem::take(&mut *self.containers.lock().expect("janitor lock"));
        let images: Vec<String> = std::mem::take(&mut *self.images.lock().expect("janitor lock"));
        let tags: Vec<String> = std::mem::take(&mut *self.tags.lock().expect("janitor lock"));
        self.sweep_once(containers, &images, &tags).await;
        if self.cut_short.load(Ordering::Relaxed) {
            tokio::time::sleep(SETTLE).await;
            self.sweep_once(Vec::new(), &images, &tags).await;
        }
    }

    async fn sweep_once(&self, mut containers: Vec<String>, images: &[String], tags: &[String]) {
        let listing = Images::list(&self.docker).await;
        let built = listing.built_on(images);
        let mut named = built.clone();
        named.extend(listing.tagged(tags));
        containers.extend(self.labelled_containers(&listing, &named).await);
        remove_containers(&self.docker, &containers).await;
        remove_images(&self.docker, listing.children_first(built)).await;
        untag(&self.docker, tags).await;
    }

    /// The containers labelled with this run, whose image is one of `ours` or carries no run label
    /// (a container inherits its image's labels: only then did the label come from Shipshape, not
    /// from a Dockerfile's `LABEL`).
    async fn labelled_containers(&self, listing: &Images, ours: &HashSet<String>) -> Vec<String> {
        let labelled = containers_labelled(&self.docker, format!("{RUN_LABEL}={}", self.run_id)).await;
        let trusted = |image: &str| ours.contains(image) || !listing.labelled(image);
        labelled.into_iter().filter(|c| c.image_id.as_deref().is_none_or(trusted)).filter_map(|c| c.id).collect()
    }
}

async fn remove_containers(docker: &Docker, containers: &[String]) {
    for id in containers.iter().rev() {
        let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
        if let Err(e) = docker.remove_container(id, Some(options)).await {
            if !is_not_found(&e) {
                eprintln!("warning: could not remove container {id}: {e}");
            }
        }
    }
}

/// Removes the images, children before parents: an image still holding a child (409) is tried
/// again in the next pass.
async fn remove_images(docker: &Docker, mut images: Vec<String>) {
    for _ in 0..PASSES {
        let mut left = Vec::new();
        for id in images {
            let options = RemoveImageOptionsBuilder::default().force(true).build();
            match docker.remove_image(&id, Some(options), None).await {
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

/// Every image on a daemon, intermediate ones too, by full id: the parent ids and tags the daemon
/// set, which no Dockerfile can.
struct Images {
    by_id: HashMap<String, ImageSummary>,
}

impl Images {
    /// The daemon's images; none when it does not answer (the sweep then can do nothing more).
    async fn list(docker: &Docker) -> Images {
        let images = docker.list_images(Some(ListImagesOptionsBuilder::default().all(true).build())).await.unwrap_or_default();
        Images { by_id: images.into_iter().map(|image| (image.id.clone(), image)).collect() }
    }

    /// The full ids of `ids` (full or the 12-digit short ids the legacy builder prints) and of every
    /// image built on one of them.
    fn built_on(&self, ids: &[String]) -> HashSet<String> {
        let hex = |id: &str| id.strip_prefix("sha256:").unwrap_or(id).to_string();
        let wanted: Vec<String> = ids.iter().map(|id| hex(id)).filter(|id| !id.is_empty()).collect();
        let mut found: HashSet<String> = self.by_id.keys().filter(|full| wanted.iter().any(|id| hex(full).starts_with(id.as_str()))).cloned().collect();
        loop {
            let children: Vec<String> =
                self.by_id.values().filter(|image| found.contains(&image.parent_id) && !found.contains(&image.id)).map(|image| image.id.clone()).collect();
            if children.is_empty() {
                return found;
            }
            found.extend(children);
        }
    }

    /// The full ids of the images that carry one of `tags`.
    fn tagged(&self, tags: &[String]) -> Vec<String> {
        self.by_id.values().filter(|image| image.repo_tags.iter().any(|t| tags.contains(t))).map(|image| image.id.clone()).collect()
    }

    /// `ids`, deepest first (an image before the one it was built on).
    fn children_first(&self, ids: HashSet<String>) -> Vec<String> {
        let mut ids: Vec<String> = ids.into_iter().collect();
        ids.sort_by_key(|id| std::cmp::Reverse(self.ancestors(id).count()));
        ids
    }

    /// The images `id` was built on, nearest first.
    fn ancestors<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a ImageSummary> + 'a {
        let mut next = self.by_id.get(id).map(|image| image.parent_id.clone());
        std::iter::from_fn(move || {
            let image = self.by_id.get(next.take()?.as_str())?;
            next = Some(image.parent_id.clone());
            Some(image)
        })
        .take(10_000)
    }

    /// The owner label of the first image of `id`'s chain that carries Shipshape's run label: the
    /// `LABEL` Shipshape adds right after `FROM`, which no Dockerfile instruction can precede.
    fn root_owner(&self, id: &str) -> Option<&str> {
        let chain = self.by_id.get(id).into_iter().chain(self.ancestors(id));
        chain.filter(|image| image.labels.contains_key(RUN_LABEL)).last().and_then(|image| image.labels.get(OWNER_LABEL)).map(String::as_str)
    }

    /// True when image `id` carries a run label (its own, or one a Dockerfile gave it).
    fn labelled(&self, id: &str) -> bool {
        self.by_id.get(id).is_some_and(|image| image.labels.contains_key(RUN_LABEL))
    }

    /// True when a live run's tag (or any tag outside [`RUN_REPOSITORY`]) names image `id`.
    fn tagged_alive(&self, id: &str, current: &Owner) -> bool {
        let tags = self.by_id.get(id).map(|image| image.repo_tags.as_slice()).unwrap_or_default();
        tags.iter().filter(|tag| tag.as_str() != "<none>:<none>").any(|tag| Owner::parse_tag(tag).is_none_or(|(owner, _)| !owner.is_abandoned(current)))
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

/// Removes what runs of this host that no longer exist left behind (killed before their sweep:
/// SIGKILL, a reboot), and says so on stderr. Runs of other hosts, and live runs, are left alone,
/// whatever labels a Dockerfile gave its images.
pub(crate) async fn sweep_abandoned(docker: &Docker) {
    let Some(current) = Owner::current() else { return };
    let images = Images::list(docker).await;
    let abandoned = |owner: Option<&str>| owner.and_then(Owner::parse).is_some_and(|owner| owner.is_abandoned(current));
    let mut runs: BTreeMap<(String, String), (Vec<String>, Vec<String>)> = BTreeMap::new();
    for container in containers_labelled(docker, OWNER_LABEL.into()).await {
        let labels = container.labels.unwrap_or_default();
        let image_owner = container.image_id.as_deref().and_then(|image| images.root_owner(image));
        if let (Some(id), Some(run), Some(owner)) = (container.id, labels.get(RUN_LABEL), labels.get(OWNER_LABEL)) {
            if abandoned(Some(owner)) && (image_owner.is_none() || abandoned(image_owner)) {
                runs.entry((run.clone(), owner.clone())).or_default().0.push(id);
            }
        }
    }
    for image in images.by_id.values() {
        let (Some(run), Some(owner)) = (image.labels.get(RUN_LABEL), image.labels.get(OWNER_LABEL)) else { continue };
        if abandoned(Some(owner)) && abandoned(images.root_owner(&image.id)) && !images.tagged_alive(&image.id, current) {
            runs.entry((run.clone(), owner.clone())).or_default().1.push(image.id.clone());
        }
    }
    for ((run, owner), (containers, left)) in runs {
        let pid = Owner::parse(&owner).map_or(0, |owner| owner.pid);
        eprintln!(
            "note: removing {} container(s) and image(s) left by an interrupted Shipshape run (process {pid}, {RUN_LABEL}={run})",
            containers.len() + left.len()
        );
        remove_containers(docker, &containers).await;
        remove_images(docker, images.children_first(left.into_iter().collect())).await;
    }
    let abandoned_tags: Vec<String> =
        run_tags(docker).await.into_iter().filter(|tag| Owner::parse_tag(tag).is_some_and(|(owner, _)| owner.is_abandoned(current))).collect();
    if !abandoned_tags.is_empty() {
        eprintln!("note: removing {} image(s) left by interrupted Shipshape runs ({RUN_REPOSITORY}/…)", abandoned_tags.len());
        untag(docker, &abandoned_tags).await;
    }
}

/// Every tag under [`RUN_REPOSITORY`].
async fn run_tags(docker: &Docker) -> Vec<String> {
    let images = docker.list_images(Some(ListImagesOptionsBuilder::default().build())).await.unwrap_or_default();
    images.into_iter().flat_map(|image| image.repo_tags).filter(|tag| tag.starts_with(RUN_REPOSITORY)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, parent: &str, labels: &[(&str, &str)], tags: &[&str]) -> ImageSummary {
        ImageSummary {
            id: format!("sha256:{id}"),
            parent_id: if parent.is_empty() { String::new() } else { format!("sha256:{parent}") },
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            repo_tags: tags.iter().map(|t| t.to_string()).collect(),
            ..ImageSummary::default()
        }
    }

    /// A legacy build of a live run: the base, Shipshape's label step, then a builder stage whose
    /// `LABEL` forges another host's owner and another run; and a stranger's image on the base.
    fn daemon() -> Images {
        let ours = [(RUN_LABEL, "r1"), (OWNER_LABEL, "lab/b1/1/1")];
        let forged = [(RUN_LABEL, "forged"), (OWNER_LABEL, "elsewhere/b0/9/9")];
        let images = [
            image("base00000000aa", "", &[], &["shipshape.test/busybox:latest"]),
            image("label0000000aa", "base00000000aa", &ours, &[]),
            image("forged000000aa", "label0000000aa", &forged, &[]),
            image("run000000000aa", "forged000000aa", &forged, &[]),
            image("stranger0000aa", "base00000000aa", &[(RUN_LABEL, "r2")], &[]),
            image("tagged000000aa", "", &forged, &["shipshape.test/run/lab/b1/1.1:r1-0"]),
        ];
        Images { by_id: images.into_iter().map(|i| (i.id.clone(), i)).collect() }
    }

    #[test]
    fn a_run_owns_what_it_recorded_and_what_was_built_on_it_whatever_the_labels() {
        let listing = daemon();
        let built = listing.built_on(&["label0000000".to_string()]);
        let mut owned: Vec<&str> = built.iter().map(String::as_str).collect();
        owned.sort();
        assert_eq!(owned, ["sha256:forged000000aa", "sha256:label0000000aa", "sha256:run000000000aa"], "not the base, not the stranger");
        assert_eq!(listing.children_first(built), ["sha256:run000000000aa", "sha256:forged000000aa", "sha256:label0000000aa"]);
        assert_eq!(listing.tagged(&["shipshape.test/run/lab/b1/1.1:r1-0".into()]), ["sha256:tagged000000aa"]);
        assert!(listing.built_on(&[]).is_empty());
    }

    #[test]
    fn a_chain_is_owned_by_its_first_labelled_image_and_a_live_tag_keeps_an_image() {
        let listing = daemon();
        assert_eq!(listing.root_owner("sha256:run000000000aa"), Some("lab/b1/1/1"), "the forged labels do not count");
        assert_eq!(listing.root_owner("sha256:base00000000aa"), None);
        assert!(listing.labelled("sha256:forged000000aa") && !listing.labelled("sha256:base00000000aa"));
        let Some(current) = Owner::current() else { return };
        let mine = format!("{}:r-0", current.repository());
        let listing = Images { by_id: [image("t1", "", &[], &[&mine])].into_iter().map(|i| (i.id.clone(), i)).collect() };
        assert!(listing.tagged_alive("sha256:t1", current));
    }
}
