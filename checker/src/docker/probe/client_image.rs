//! The probe's client as a container: the static binary `build.rs` made from `client.rs`, embedded
//! in Shipshape, imported into the daemon as a one-file image, and run in a container that joins
//! the learner's network namespace (`container:<id>`) to GET the app on its own loopback.
//!
//! What must hold: no pull and no file of the grading host (`POST /images/create?fromSrc=-` with
//! a tar Shipshape makes), so it works offline and on a remote daemon. The image is named by a tag
//! of the run registered with the janitor before the import, and carries the run's labels, so it
//! goes with the run on every path; the container carries them too. The container runs read-only,
//! as nobody (65534), with every capability dropped, no-new-privileges, and small memory, pid, cpu
//! and log limits. The client is built for the architecture Shipshape is built for: a daemon of
//! another architecture cannot start it, and the probe ends in an error that says so.
use std::collections::HashMap;

use bollard::body_full;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use super::protocol::Request;
use super::{hardened, Limits};
use crate::docker::cleanup::Janitor;
use crate::error::Result;

/// The client, built by `build.rs`.
const CLIENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/shipshape-probe-client"));
/// Where the client sits in its image, the image's only file.
const PROGRAM: &str = "shipshape-probe";
/// The user the client runs as: nobody, who owns nothing.
const NOBODY: &str = "65534:65534";

/// Imports the client as an image of this run; returns its tag.
pub(crate) async fn import(docker: &Docker, janitor: &Janitor) -> Result<String> {
    let tag = janitor.image_tag();
    let (repository, version) = tag.rsplit_once(':').expect("a run tag has a version");
    let options = CreateImageOptionsBuilder::default().from_src("-").repo(repository).tag(version).changes(label_changes(&janitor.labels())).build();
    let mut progress = docker.create_image(Some(options), Some(body_full(archive().into())), None);
    while let Some(step) = progress.next().await {
        step.map_err(|e| crate::docker::failure("cannot import the probe's client into the daemon", e))?;
    }
    Ok(tag)
}

/// A tar holding the client alone, executable by anyone.
fn archive() -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_size(CLIENT.len() as u64);
    header.set_mode(0o555);
    header.set_uid(0);
    header.set_gid(0);
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_data(&mut header, PROGRAM, CLIENT).expect("a tar in memory");
    builder.into_inner().expect("a tar in memory")
}

/// `LABEL` instructions for the import, one per label, each value quoted.
fn label_changes(labels: &HashMap<String, String>) -> Vec<String> {
    let mut changes: Vec<String> = labels.iter().map(|(key, value)| format!("LABEL {key}={}", serde_json::Value::from(value.as_str()))).collect();
    changes.sort();
    changes
}

/// The client's container: `request` made in the network namespace of container `learner`.
pub(crate) fn container(tag: &str, learner: &str, request: &Request, labels: HashMap<String, String>) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(tag.to_string()),
        entrypoint: Some(vec![format!("/{PROGRAM}")]),
        cmd: Some(request.arguments()),
        user: Some(NOBODY.into()),
        labels: Some(labels),
        host_config: Some(hardened(format!("container:{learner}"), Limits { memory: 32 * 1024 * 1024, pids: 8, nano_cpus: 500_000_000 })),
        ..ContainerCreateBody::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_holds_the_client_alone_and_the_labels_are_quoted() {
        let bytes = archive();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                (entry.path().unwrap().display().to_string(), entry.header().mode().unwrap(), entry.size())
            })
            .collect();
        assert_eq!(entries, [(PROGRAM.to_string(), 0o555, CLIENT.len() as u64)]);
        let labels = HashMap::from([("shipshape".to_string(), "1".to_string()), ("shipshape.owner".to_string(), "lab 7/b/1/2".to_string())]);
        assert_eq!(label_changes(&labels), ["LABEL shipshape.owner=\"lab 7/b/1/2\"", "LABEL shipshape=\"1\""]);
    }
}
