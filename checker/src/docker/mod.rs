//! The async edge: the only code that talks to the Docker Engine (through bollard).
//!
//! What must hold: every container and image created here carries the label [`LABEL`], the
//! run's [`RUN_LABEL`] and its [`owner::OWNER_LABEL`], and is registered with the [`cleanup::Janitor`] the moment its id is known,
//! so that every path out — success, failure, timeout, Ctrl-C — removes it. Builds and every
//! container use network `none`, never the host's: the only other network mode is the probe's
//! client joining the namespace of the app it probes (`probe.rs`).
pub(crate) mod build;
pub(crate) mod cache_mounts;
pub(crate) mod cleanup;
pub(crate) mod context;
pub(crate) mod engine;
pub(crate) mod http;
pub(crate) mod images;
pub(crate) mod owner;
pub(crate) mod probe;
pub(crate) mod save;

use std::time::Duration;

use bollard::Docker;

use crate::error::{Error, Result};

/// Every container and image Shipshape creates carries this label.
pub(crate) const LABEL: &str = "shipshape";
/// ...and this one, whose value identifies the run that created it.
pub(crate) const RUN_LABEL: &str = "shipshape.run";
/// While grading, a BuildKit build's image carries this label, whose value is its submission's
/// janitor ([`cleanup::Janitor::image_labels`]); no cleanup reads it.
pub(crate) const BUILD_LABEL: &str = "shipshape.build";

/// Connects as the docker CLI would (DOCKER_HOST or the default socket) and agrees on an API
/// version the daemon speaks.
pub(crate) async fn connect() -> Result<Docker> {
    let host = default_host();
    let docker = Docker::connect_with_defaults().map_err(|e| unreachable(&host, e))?;
    // Streams (builds, saves) are bounded by Shipshape's own timeouts, not the client's.
    let docker = docker.with_timeout(Duration::from_secs(24 * 3600));
    let docker = docker.negotiate_version().await.map_err(|e| unreachable(&host, e))?;
    docker.ping().await.map_err(|e| unreachable(&host, e))?;
    Ok(docker)
}

/// The daemon the docker CLI would reach: DOCKER_HOST, else the default socket.
pub(crate) fn default_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

fn unreachable(host: &str, cause: impl std::fmt::Display) -> Error {
    Error::new(format!("cannot reach the Docker daemon at {host}")).because(cause).action(
        "start the daemon (`sudo systemctl start docker`, or `sudo dockerd --bridge=none --iptables=false \
             --ip-masq=false &`) or point DOCKER_HOST at a running one, then try again",
    )
}

/// Turns a bollard error met mid-way into Shipshape's error with the given context.
pub(crate) fn failure(context: impl Into<String>, cause: bollard::errors::Error) -> Error {
    Error::new(context).because(cause).action("check that the Docker daemon is still running (`docker info`), then try again")
}

/// As [`failure`], for a cause met outside bollard (BuildKit's own connection).
pub(crate) fn failure_text(context: impl Into<String>, cause: String) -> Error {
    Error::new(context).because(cause).action("check that the Docker daemon is still running (`docker info`), then try again")
}

/// True when the daemon answered 404 (no such image or container).
pub(crate) fn is_not_found(error: &bollard::errors::Error) -> bool {
    matches!(error, bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })
}
