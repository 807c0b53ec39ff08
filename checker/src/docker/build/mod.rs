//! Builds the learner's Dockerfile through the Engine API and records the outcome as a
//! [`BuildRecord`]: the image, or the failing step, its line in the learner's file and its log.
//! Two builders: BuildKit ([`buildkit`]: secrets, cache mounts, heredocs, an unchanged step
//! cached across runs), wherever the daemon has it, and the legacy builder ([`legacy`]) for
//! engines without it.
//!
//! What must hold: a failing, rejected or timed-out build is a verdict (the `builds` check fails),
//! not an error; only a daemon that cannot be talked to is an error. Everything a build leaves
//! (an image, a tag, a step container) is registered with the janitor before it can exist. What a
//! build says reaches the learner and the grader only through [`scrub`]: no internal file name, no
//! trace of the host or process that ran it.
mod budget;
pub(crate) mod buildkit;
pub(crate) mod legacy;
mod session;
mod trace;

use std::collections::BTreeMap;
use std::time::Duration;

use bollard::Docker;

use super::cleanup::Janitor;
use super::engine::Builder;
use super::owner::{Owner, RUN_REPOSITORY};
use crate::dockerfile::Dockerfile;
use crate::error::Result;
use crate::record::BuildRecord;

pub(crate) use session::SecretValues;

/// Whether BuildKit's own connection can reach the daemon at `host` (a unix socket or plain TCP).
pub(crate) fn reachable_for_buildkit(host: &str) -> std::result::Result<(), String> {
    super::http::Endpoint::parse(host).map(|_| ())
}

/// Limits a build runs under (a submission is untrusted code).
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub timeout: Duration,
    /// Memory and CPU apply to the legacy builder's step containers; the daemon's BuildKit does
    /// not take them per build.
    pub memory_bytes: i32,
    /// CPU quota in microseconds per 100 ms period (100_000 = one core).
    pub cpu_quota: i32,
    /// The largest file a BuildKit step may write (RLIMIT_FSIZE, the `/build` query's `ulimits`;
    /// bollard's legacy build call cannot pass it): a step that writes past it is killed
    /// (SIGXFSZ), so one RUN cannot fill the daemon's disk with one file.
    pub file_bytes: u64,
    /// The largest built image Shipshape reads ([`budget`]): a bigger one fails `builds` and is
    /// never streamed.
    pub image_bytes: u64,
    /// Show the build's spinner on a terminal (off when builds run side by side).
    pub spinner: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(600),
            memory_bytes: 2_000_000_000,
            cpu_quota: 200_000,
            file_bytes: 1 << 30,
            image_bytes: 4_000_000_000,
            spinner: true,
        }
    }
}

impl Limits {
    /// The `/build` query's `ulimits`, as JSON.
    fn ulimits(&self) -> String {
        let size = self.file_bytes;
        serde_json::json!([{ "Name": "fsize", "Soft": size, "Hard": size }]).to_string()
    }
}

/// What to build: the context (the Dockerfile as sent inside it, under
/// [`super::context::DOCKERFILE_NAME`]) and the learner's Dockerfile, to trace steps back to it.
pub(crate) struct BuildInput<'a> {
    /// The daemon, in DOCKER_HOST syntax (the one the `Docker` client talks to).
    pub docker_host: &'a str,
    pub context: Vec<u8>,
    pub dockerfile: &'a Dockerfile,
    pub build_args: &'a BTreeMap<String, String>,
    /// The stage to build, when it is not the last.
    pub target: Option<&'a str>,
    pub secrets: &'a SecretValues,
    /// Namespaces the build's cache mounts (grading: each submission its own, so that nothing one
    /// writes into a cache mount can be read by another).
    pub cache_namespace: Option<&'a str>,
}

/// Lines of build log kept for a failure's evidence.
const LOG_TAIL: usize = 12;

pub(crate) async fn build(docker: &Docker, janitor: &Janitor, builder: Builder, input: BuildInput<'_>, limits: &Limits) -> Result<BuildRecord> {
    let dockerfile = input.dockerfile;
    let record = match builder {
        Builder::BuildKit => buildkit::build(docker, janitor, input, limits).await?,
        Builder::Legacy => legacy::build(docker, janitor, input, limits).await?,
    };
    let mut record = budget::within_budget(docker, record, dockerfile, limits).await?;
    record.builder = Some(builder);
    scrub(&mut record);
    Ok(record)
}

/// The one place a build's words are made fit to show: the Dockerfile as the builder got it
/// ([`super::context::DOCKERFILE_NAME`]) is called `Dockerfile`, and the owner label's value and
/// the run tag's repository (host name, boot id, pid) are replaced by `<owner>`.
fn scrub(record: &mut BuildRecord) {
    for text in record.error.iter_mut().chain(&mut record.log_tail).chain(&mut record.notes) {
        *text = scrubbed(text, Owner::current());
    }
}

fn scrubbed(text: &str, owner: Option<&Owner>) -> String {
    let internal = super::context::DOCKERFILE_NAME;
    let mut text = text.replace(&format!("/{internal}"), "Dockerfile").replace(internal, "Dockerfile");
    if let Some(owner) = owner {
        text = text.replace(&owner.label(), "<owner>").replace(&owner.repository(), &format!("{RUN_REPOSITORY}/<owner>"));
    }
    text
}

/// The builder's error in the learner's terms: no colour codes, no BuildKit boilerplate in front.
fn plain_error(message: &str) -> String {
    let message = String::from_utf8_lossy(&strip_ansi_escapes::strip(message)).into_owned();
    message.trim().trim_start_matches("failed to solve: ").trim_start_matches("ERROR: ").to_string()
}

/// The line a builder's parse error names (`dockerfile parse error on line 7: …`,
/// `… at line 7 column 1`).
pub(crate) fn line_named(message: &str) -> Option<usize> {
    let at = message.find("on line ").map(|i| i + 8).or_else(|| message.find("at line ").map(|i| i + 8))?;
    message[at..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_in_the_learners_terms() {
        let raw = "failed to solve: failed to read dockerfile: open /.shipshape.Dockerfile: \x1b[31mno such file\x1b[0m";
        assert_eq!(scrubbed(&plain_error(raw), None), "failed to read dockerfile: open Dockerfile: no such file");
        assert_eq!(line_named("dockerfile parse error on line 7: unknown instruction: FORM"), Some(7));
        assert_eq!(line_named("unknown instruction 'FOO' at line 2 column 1"), Some(2));
        assert_eq!(line_named("exit code: 1"), None);
    }

    #[test]
    fn logs_show_no_owner_and_no_internal_name() {
        let owner = Owner::parse("lab-07/5f0c3b7e-1d2a/4242/987654").unwrap();
        let mut record = BuildRecord {
            error: Some("open /.shipshape.Dockerfile: no such file".into()),
            log_tail: vec![
                format!("Step 9/9 : LABEL shipshape.owner={}", owner.label()),
                format!("naming to {}:4242-1-0 done", owner.repository()),
                "[internal] load build definition from .shipshape.Dockerfile".into(),
            ],
            ..BuildRecord::default()
        };
        for text in record.error.iter_mut().chain(&mut record.log_tail) {
            *text = scrubbed(text, Some(&owner));
        }
        assert_eq!(record.error.as_deref(), Some("open Dockerfile: no such file"));
        assert_eq!(
            record.log_tail,
            [
                "Step 9/9 : LABEL shipshape.owner=<owner>",
                "naming to shipshape.test/run/<owner>:4242-1-0 done",
                "[internal] load build definition from Dockerfile"
            ]
        );
    }
}
