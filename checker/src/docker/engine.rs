//! The engine behind the connection: its version and API version, and which builder Shipshape
//! uses with it — BuildKit wherever the daemon has it, the legacy builder otherwise or on request.
//!
//! What must hold: one place decides the builder, so `check`, `grade`, `watch` and `doctor` agree;
//! asking for BuildKit where it cannot be used is a usage error that says why.
use bollard::Docker;
use serde::{Deserialize, Serialize};

use super::build::reachable_for_buildkit;
use crate::error::{Error, Result};

/// The builder that builds (and that the report names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Builder {
    #[serde(rename = "buildkit")]
    BuildKit,
    Legacy,
}

impl Builder {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Builder::BuildKit => "BuildKit",
            Builder::Legacy => "the legacy builder",
        }
    }
}

/// What the user asked for (`--builder`, `SHIPSHAPE_BUILDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum BuilderChoice {
    /// BuildKit when the engine has it, else the legacy builder.
    #[default]
    Auto,
    Buildkit,
    Legacy,
}

/// The first API version whose `/build` takes `version=2` (Docker 18.09).
const BUILDKIT_API: (u32, u32) = (1, 39);

#[derive(Debug, Clone)]
pub(crate) struct Engine {
    /// `Ok` when builds can use BuildKit, else why not.
    pub buildkit: Result<(), String>,
}

impl Engine {
    /// The engine `docker` talks to at `host` (DOCKER_HOST syntax).
    pub(crate) async fn inspect(docker: &Docker, host: &str) -> Result<Engine> {
        let version = docker.version().await.map_err(|e| super::failure("cannot ask the daemon its version", e))?;
        let api_version = version.api_version.unwrap_or_default();
        let os = version.os.unwrap_or_default();
        let buildkit = buildkit_support(&os, &api_version).and_then(|()| reachable_for_buildkit(host));
        Ok(Engine { buildkit })
    }

    /// The builder for `choice`, and a note for the report when BuildKit was wanted but missing.
    pub(crate) fn builder(&self, choice: BuilderChoice) -> Result<(Builder, Option<String>)> {
        match (choice, &self.buildkit) {
            (BuilderChoice::Legacy, _) => Ok((Builder::Legacy, None)),
            (_, Ok(())) => Ok((Builder::BuildKit, None)),
            (BuilderChoice::Auto, Err(why)) => {
                Ok((Builder::Legacy, Some(format!("built with the legacy builder: {why}; secret and cache mounts and heredocs need BuildKit"))))
            }
            (BuilderChoice::Buildkit, Err(why)) => Err(Error::new(format!("cannot build with BuildKit: {why}"))
                .action("use Docker Engine 23 or later (scripts/setup installs 26), or pass --builder legacy")),
        }
    }
}

fn buildkit_support(os: &str, api_version: &str) -> Result<(), String> {
    if os != "linux" {
        return Err(format!("this engine runs {os} containers, and BuildKit builds Linux images only"));
    }
    let parsed = api_version.split_once('.').and_then(|(major, minor)| Some((major.parse().ok()?, minor.parse().ok()?)));
    if parsed.is_none_or(|v: (u32, u32)| v < BUILDKIT_API) {
        return Err(format!("this engine's API {api_version} predates BuildKit"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(buildkit: Result<(), String>) -> Engine {
        Engine { buildkit }
    }

    #[test]
    fn the_builder_follows_the_engine_and_the_choice() {
        assert!(buildkit_support("windows", "1.45").is_err());
        assert!(buildkit_support("linux", "1.38").unwrap_err().contains("predates"));
        let with = engine(Ok(()));
        let without = engine(Err("no".into()));
        assert_eq!(with.builder(BuilderChoice::Auto).unwrap(), (Builder::BuildKit, None));
        assert_eq!(with.builder(BuilderChoice::Legacy).unwrap().0, Builder::Legacy);
        let (builder, note) = without.builder(BuilderChoice::Auto).unwrap();
        assert_eq!(builder, Builder::Legacy);
        assert!(note.unwrap().contains("legacy builder"));
        assert!(without.builder(BuilderChoice::Buildkit).is_err());
    }
}
