//! Cache mounts (`RUN --mount=type=cache`) while grading. The daemon shares a cache mount by its
//! id among all builds, so one submission could plant files that another reads. Grading gives each
//! submission a namespace of its own (BuildKit's `BUILDKIT_CACHE_MOUNT_NS`), and removes the
//! run's namespaces when it ends; the next grading run on that daemon removes those of runs killed
//! before they could (only grading looks: listing the build cache costs the daemon about half a
//! second, which a learner's every check would pay for mounts it never makes).
//! A namespace alone is not enough: BuildKit's cache key for a step leaves out what its cache mount
//! held, so a grading build that mounts a cache also runs without the build cache
//! (`build::buildkit`).
//!
//! What must hold: a namespace names its run and owner (`shipshape-grade=OWNER=RUN=SUBMISSION`),
//! and only cache mounts of this run, or of an abandoned run of this host, are ever removed; a
//! learner's own cache mounts (`check`, `watch`) are never namespaced and never removed.
use std::collections::HashMap;

use bollard::query_parameters::PruneBuildOptionsBuilder;
use bollard::Docker;

use super::http::{self, Endpoint};
use super::owner::Owner;

const PREFIX: &str = "shipshape-grade=";

/// The namespace for one submission's builds in the grading run `run`.
pub(crate) fn namespace(run: &str, submission: &str) -> String {
    let owner = Owner::current().map_or_else(|| "unowned".to_string(), Owner::label);
    format!("{PREFIX}{owner}={run}={submission}")
}

/// Removes the cache mounts of the grading run `run` on the daemon at `host`.
pub(crate) async fn remove_run(docker: &Docker, host: &str, run: &str) {
    remove_where(docker, host, |_, mount_run| mount_run == run).await;
}

/// Removes the cache mounts of this host's grading runs that no longer exist.
pub(crate) async fn remove_abandoned(docker: &Docker, host: &str) {
    let Some(current) = Owner::current() else { return };
    remove_where(docker, host, |owner, _| Owner::parse(owner).is_some_and(|owner| owner.is_abandoned(current))).await;
}

async fn remove_where(docker: &Docker, host: &str, doomed: impl Fn(&str, &str) -> bool) {
    for record in build_cache(docker, host).await {
        let Some((owner, run)) = owner_and_run(&record.description) else { continue };
        let (id, description) = (&record.id, &record.description);
        if doomed(owner, run) {
            let filters = HashMap::from([("id", vec![format!("^{id}$")])]);
            let prune = PruneBuildOptionsBuilder::default().all(true).filters(&filters).build();
            if let Err(e) = docker.prune_build(Some(prune)).await {
                eprintln!("warning: could not remove a grading cache mount ({description}): {e}");
            }
        }
    }
}

/// A record of the build cache, as `/system/df` lists it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CacheRecord {
    #[serde(rename = "ID")]
    id: String,
    #[serde(default)]
    description: String,
}

/// `/system/df` lists the records under `BuildCache` up to API 1.51, `BuildCacheUsage.Items` after.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct DiskUsage {
    #[serde(default)]
    build_cache: Vec<CacheRecord>,
    #[serde(default)]
    build_cache_usage: Option<CacheUsage>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CacheUsage {
    #[serde(default)]
    items: Vec<CacheRecord>,
}

/// The daemon's build-cache records; none when it cannot say (nothing is removed then).
async fn build_cache(docker: &Docker, host: &str) -> Vec<CacheRecord> {
    let Ok(endpoint) = Endpoint::parse(host) else { return Vec::new() };
    let Ok(request) = http::get(&docker.client_version().to_string(), "/system/df?type=build-cache").body(Default::default()) else { return Vec::new() };
    let usage: DiskUsage = match endpoint.send(request).await {
        Ok(response) => http::json(response).await.unwrap_or_default(),
        Err(_) => DiskUsage::default(),
    };
    usage.build_cache.into_iter().chain(usage.build_cache_usage.into_iter().flat_map(|u| u.items)).collect()
}

/// The owner and run of a namespaced cache mount, from BuildKit's description of it
/// (`cached mount /root/.npm from exec … with id "NAMESPACE//root/.npm"`).
fn owner_and_run(description: &str) -> Option<(&str, &str)> {
    let id = description.split("with id \"").nth(1)?;
    let mut parts = id.strip_prefix(PREFIX)?.splitn(3, '=');
    Some((parts.next()?, parts.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespaced_mount_names_its_owner_and_run() {
        let description = "cached mount /root/.npm from exec /bin/sh -c npm ci with id \"shipshape-grade=lab/b00t/42/7=run-1=run-1-3//root/.npm\"";
        assert_eq!(owner_and_run(description), Some(("lab/b00t/42/7", "run-1")));
        assert_eq!(owner_and_run("cached mount /root/.npm from exec npm ci with id \"//root/.npm\""), None, "a learner's own mount");
        assert!(namespace("run-1", "s").starts_with(PREFIX));
    }
}
