//! The janitor: remembers every container and image a run creates and removes them all at the
//! end, whatever the path out. Removal errors are reported on stderr, never swallowed silently.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use bollard::query_parameters::{ListImagesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder};
use bollard::Docker;

use super::{is_not_found, RUN_LABEL};

pub struct Janitor {
    docker: Docker,
    /// Identifies this run in [`RUN_LABEL`].
    pub run_id: String,
    containers: Mutex<Vec<String>>,
    images: Mutex<Vec<String>>,
}

impl Janitor {
    /// A janitor with a run id of its own: `PID-NANOS-N`, N counting the janitors of this process
    /// (grading makes one per submission, side by side).
    pub fn new(docker: Docker) -> Self {
        static MADE: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let run_id = format!("{}-{nanos}-{}", std::process::id(), MADE.fetch_add(1, Ordering::Relaxed));
        Janitor { docker, run_id, containers: Mutex::default(), images: Mutex::default() }
    }

    /// Labels for anything this run creates.
    pub fn labels(&self) -> HashMap<String, String> {
        HashMap::from([(super::LABEL.to_string(), "1".to_string()), (RUN_LABEL.to_string(), self.run_id.clone())])
    }

    pub fn container(&self, id: &str) {
        self.containers.lock().expect("janitor lock").push(id.to_string());
    }

    pub fn image(&self, id: &str) {
        self.images.lock().expect("janitor lock").push(id.to_string());
    }

    /// Removes everything registered, newest first, plus any image labelled with this run.
    pub async fn sweep(&self) {
        let containers: Vec<String> = std::mem::take(&mut *self.containers.lock().expect("janitor lock"));
        for id in containers.iter().rev() {
            let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
            if let Err(e) = self.docker.remove_container(id, Some(options)).await {
                if !is_not_found(&e) {
                    eprintln!("warning: could not remove container {id}: {e}");
                }
            }
        }
        let mut images: Vec<String> = std::mem::take(&mut *self.images.lock().expect("janitor lock"));
        images.extend(self.labelled_images().await);
        for id in images.iter().rev() {
            if self.is_protected(id).await {
                continue;
            }
            let options = RemoveImageOptionsBuilder::default().force(true).build();
            if let Err(e) = self.docker.remove_image(id, Some(options), None).await {
                // 404: already gone with its child; 409: still used by another run's image.
                let benign = is_not_found(&e)
                    || matches!(e, bollard::errors::Error::DockerResponseServerError { status_code: 409, .. });
                if !benign {
                    eprintln!("warning: could not remove image {id}: {e}");
                }
            }
        }
    }

    /// A tagged image that this run did not label belongs to someone else (a base image, say):
    /// never removed, whatever the build log suggested.
    async fn is_protected(&self, id: &str) -> bool {
        let Ok(image) = self.docker.inspect_image(id).await else { return false };
        let tagged = image.repo_tags.is_some_and(|tags| !tags.is_empty());
        let ours = image.config.and_then(|c| c.labels).and_then(|l| l.get(RUN_LABEL).cloned()) == Some(self.run_id.clone());
        tagged && !ours
    }

    async fn labelled_images(&self) -> Vec<String> {
        let filters = HashMap::from([("label", vec![format!("{RUN_LABEL}={}", self.run_id)])]);
        let options = ListImagesOptionsBuilder::default().all(true).filters(&filters).build();
        match self.docker.list_images(Some(options)).await {
            Ok(images) => images.into_iter().map(|i| i.id).collect(),
            Err(_) => Vec::new(),
        }
    }
}
