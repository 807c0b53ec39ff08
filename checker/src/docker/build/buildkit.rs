//! A build with the daemon's BuildKit: `POST /build?version=2` with a session of Shipshape's own
//! (secrets), network `none`, the image tagged for the janitor; the stream's progress trace says
//! which step failed and what it printed.
//!
//! What must hold: nothing per-run goes into the build's steps (no label, no edited step), so an
//! unchanged step is a cache hit across runs and across learners on one machine (while grading,
//! the exported image's config alone carries the submission's label); the image is
//! named only by a tag of this run, which the janitor removes (while grading, a build that mounts a
//! cache is the one exception: it runs without the build cache). A step BuildKit names
//! (`[build 3/5] RUN make`) is traced back to the learner's instruction by the same counting
//! BuildKit uses: FROM (of an image) is step 1, then every ADD, COPY, RUN and WORKDIR.
use std::collections::HashMap;
use std::time::Instant;

use base64::Engine as _;
use bollard::Docker;
use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use indicatif::ProgressBar;
use prost::Message as _;
use serde::Deserialize;

use super::session::Session;
use super::trace::Trace;
use super::{line_named, plain_error, BuildInput, Limits, LOG_TAIL};
use crate::docker::cleanup::Janitor;
use crate::docker::context::DOCKERFILE_NAME;
use crate::docker::http::{self, Endpoint};
use crate::dockerfile::{Dockerfile, Instruction};
use crate::error::{Error, Result};
use crate::record::BuildRecord;
use crate::status_line::spinner;

pub(crate) async fn build(docker: &Docker, janitor: &Janitor, input: BuildInput<'_>, limits: &Limits) -> Result<BuildRecord> {
    let endpoint = Endpoint::parse(input.docker_host).map_err(|e| Error::new("cannot build with BuildKit").because(e).action("use --builder legacy"))?;
    let version = docker.client_version().to_string();
    let session = Session::open(&endpoint, &version, input.secrets.clone()).await.map_err(unreachable)?;
    let tag = janitor.image_tag();
    let without_cache = bypasses_build_cache(&input);
    let labels = janitor.image_labels().map(|labels| serde_json::to_string(&labels).expect("strings serialize"));
    let request = http::post(&version, &format!("/build?{}", query(&input, limits, without_cache, &session.id, &tag, labels.as_deref())?))
        .header("Content-Type", "application/x-tar")
        .body(Full::new(Bytes::from(input.context)))
        .map_err(|e| Error::new("cannot make the build request").because(e))?;
    let started = Instant::now();
    let display = spinner(limits.spinner, "Sending the build context");
    let mut progress = Progress::default();
    let outcome = tokio::time::timeout(limits.timeout, run(&endpoint, request, &mut progress, &display)).await;
    display.finish_and_clear();
    drop(session);
    let mut record = match outcome {
        Ok(Ok(())) => progress.record(input.dockerfile),
        Ok(Err(Stop::Rejected(message))) => progress.failed(Some(message), input.dockerfile),
        Ok(Err(Stop::Connection(cause))) => return Err(unreachable(cause)),
        Err(_) => {
            janitor.cut_short();
            let message = format!("the build took longer than {} s and was stopped", limits.timeout.as_secs());
            progress.failed(Some(message), input.dockerfile)
        }
    };
    record.seconds = started.elapsed().as_secs_f64();
    if without_cache {
        record.notes.push(
            "built without the build cache: while grading, a step that mounts a cache must not be answered by another \
             submission's build of the same step"
                .to_string(),
        );
    }
    Ok(record)
}

/// While grading, a build that mounts a cache runs every step afresh. Its cache mounts are its
/// own (the namespace), but BuildKit's cache key for a step leaves out what the mounted cache
/// held: another submission's identical step, run over a cache it had planted, would otherwise be
/// handed to this one.
fn bypasses_build_cache(input: &BuildInput<'_>) -> bool {
    input.cache_namespace.is_some() && input.dockerfile.mounts_a_cache()
}

fn unreachable(cause: String) -> Error {
    crate::docker::failure_text("the build stopped: the daemon connection failed", cause)
}

/// The `/build` query: the sent Dockerfile, build args (with the cache-mount namespace), target,
/// no build cache when grading must bypass it, network `none`, the file-size limit, the run's tag
/// and labels for the image ([`Janitor::image_labels`]) and the session.
fn query(input: &BuildInput<'_>, limits: &Limits, without_cache: bool, session: &str, tag: &str, labels: Option<&str>) -> Result<String> {
    let mut build_args: HashMap<&str, &str> = input.build_args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if let Some(namespace) = input.cache_namespace {
        build_args.insert("BUILDKIT_CACHE_MOUNT_NS", namespace);
    }
    let build_args = serde_json::to_string(&build_args).expect("strings serialize");
    let ulimits = limits.ulimits();
    let mut pairs = vec![
        ("version", "2"),
        ("session", session),
        ("dockerfile", DOCKERFILE_NAME),
        ("t", tag),
        ("networkmode", "none"),
        ("ulimits", &ulimits),
        ("buildargs", &build_args),
        ("rm", "1"),
    ];
    if let Some(target) = input.target {
        pairs.push(("target", target));
    }
    if without_cache {
        pairs.push(("nocache", "1"));
    }
    if let Some(labels) = labels {
        pairs.push(("labels", labels));
    }
    serde_urlencoded::to_string(pairs).map_err(|e| Error::new("cannot make the build request").because(e))
}

/// Why reading the build stopped early.
enum Stop {
    /// The daemon refused the build itself (HTTP 4xx): the learner's Dockerfile or options.
    Rejected(String),
    /// The connection failed, or the daemon failed (HTTP 5xx).
    Connection(String),
}

async fn run(endpoint: &Endpoint, request: hyper::Request<Full<Bytes>>, progress: &mut Progress, display: &ProgressBar) -> Result<(), Stop> {
    let response = endpoint.send(request).await.map_err(Stop::Connection)?;
    let status = response.status();
    if status.is_client_error() {
        return Err(Stop::Rejected(http::error_message(response).await));
    }
    if !status.is_success() {
        return Err(Stop::Connection(http::error_message(response).await));
    }
    read_stream(response.into_body(), progress, display).await
}

/// Reads the JSON messages of the build stream, one per line, however the chunks split them.
async fn read_stream(mut body: Incoming, progress: &mut Progress, display: &ProgressBar) -> Result<(), Stop> {
    let mut pending: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Stop::Connection(e.to_string()))?;
        let Some(data) = frame.data_ref() else { continue };
        pending.extend_from_slice(data);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            progress.message(&line, display);
        }
    }
    progress.message(&pending, display);
    Ok(())
}

/// One message of the build stream.
#[derive(Deserialize)]
struct StreamMessage {
    id: Option<String>,
    aux: Option<serde_json::Value>,
    error: Option<String>,
    #[serde(rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: Option<String>,
}

/// What the build stream has said so far.
#[derive(Default)]
struct Progress {
    trace: Trace,
    image_id: Option<String>,
    error: Option<String>,
}

impl Progress {
    fn message(&mut self, line: &[u8], display: &ProgressBar) {
        let Ok(message) = serde_json::from_slice::<StreamMessage>(line) else { return };
        if let Some(error) = message.error_detail.and_then(|d| d.message).or(message.error) {
            self.error = Some(error);
        }
        match (message.id.as_deref(), message.aux) {
            (Some("moby.buildkit.trace"), Some(serde_json::Value::String(encoded))) => {
                let status = base64::engine::general_purpose::STANDARD.decode(encoded).ok().and_then(|bytes| StatusResponse::decode(bytes.as_slice()).ok());
                if let Some(step) = status.and_then(|status| self.trace.apply(status)) {
                    display.set_message(step);
                }
            }
            (Some("moby.image.id"), Some(aux)) => self.image_id = aux.get("ID").and_then(|id| id.as_str()).map(str::to_string),
            _ => {}
        }
    }

    fn record(self, dockerfile: &Dockerfile) -> BuildRecord {
        let (cached, steps) = self.trace.cache_hits();
        match (&self.image_id, &self.error) {
            (Some(id), None) => BuildRecord { image_id: Some(id.clone()), cached_steps: cached, steps, ..BuildRecord::default() },
            _ => self.failed(None, dockerfile),
        }
    }

    /// A failed build: the step BuildKit says failed, traced to the learner's line, with its log;
    /// or, for a file BuildKit rejected whole, the line its parse error names.
    fn failed(self, error: Option<String>, dockerfile: &Dockerfile) -> BuildRecord {
        let step = self.trace.failed();
        let error = error.or(self.error).or_else(|| step.map(|s| s.error.clone())).unwrap_or_else(|| "the builder finished without reporting an image".into());
        let error = plain_error(&error);
        let instruction = step.and_then(|s| s.position()).and_then(|(stage, n)| step_instruction(dockerfile, stage, n));
        let instruction = instruction.or_else(|| line_named(&error).and_then(|line| dockerfile.instruction_at(line)));
        let mut log_tail = step.map(|s| s.log_tail(LOG_TAIL)).unwrap_or_default();
        if step.is_some_and(|s| s.position().is_none()) {
            log_tail.insert(0, step.map(|s| s.name.clone()).unwrap_or_default());
        }
        BuildRecord {
            error: Some(error),
            failed_instruction: instruction.map(|i| i.text.clone()),
            failed_line: instruction.map(|i| i.line),
            log_tail,
            ..BuildRecord::default()
        }
    }
}

/// The learner's instruction behind BuildKit's `[stage n/m]`: the stage by name, or `stage-K`
/// by index, or the only stage; then n counted as BuildKit counts.
fn step_instruction<'a>(dockerfile: &'a Dockerfile, stage: Option<&str>, n: usize) -> Option<&'a Instruction> {
    let stage = match stage {
        None => dockerfile.stages.first()?,
        Some(name) => dockerfile
            .stage_named(name, dockerfile.stages.len())
            .or_else(|| name.strip_prefix("stage-").and_then(|k| k.parse::<usize>().ok()).and_then(|k| dockerfile.stages.get(k)))?,
    };
    let from_image = !stage.base.eq_ignore_ascii_case("scratch") && dockerfile.stage_named(&stage.base, stage.index).is_none();
    let counted = dockerfile.stage_instructions(stage.index).filter(|i| match i.keyword.as_str() {
        "FROM" => from_image,
        "ADD" | "COPY" | "RUN" | "WORKDIR" => true,
        _ => false,
    });
    counted.into_iter().nth(n.checked_sub(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_counted_as_buildkit_counts_them() {
        let text = "ARG V=1\nFROM node:20 AS build\nENV A=1\nWORKDIR /app\nCOPY . .\nRUN make\nFROM build AS test\nRUN make test\nFROM scratch\nUSER 1\nCOPY --from=build /a /a\n";
        let file = Dockerfile::parse(text).unwrap();
        let line = |stage, n| step_instruction(&file, stage, n).map(|i| i.line);
        assert_eq!(line(Some("build"), 1), Some(2), "FROM an image is step 1");
        assert_eq!(line(Some("build"), 2), Some(4), "ENV makes no step");
        assert_eq!(line(Some("build"), 4), Some(6));
        assert_eq!(line(Some("test"), 1), Some(8), "FROM a stage is no step");
        assert_eq!(line(Some("stage-2"), 1), Some(11), "FROM scratch is no step");
        assert_eq!(line(Some("build"), 9), None);
        let single = Dockerfile::parse("FROM a\nRUN x\nRUN y\n").unwrap();
        assert_eq!(step_instruction(&single, None, 3).map(|i| i.line), Some(3));
    }

    #[test]
    fn a_rejected_file_is_traced_to_the_line_the_parser_names() {
        let file = Dockerfile::parse("FROM a\nRUN x\nCOPY . .\n").unwrap();
        let progress =
            Progress { error: Some("failed to solve: dockerfile parse error on line 3: COPY requires at least two arguments".into()), ..Progress::default() };
        let record = progress.failed(None, &file);
        assert_eq!((record.failed_line, record.failed_instruction.as_deref()), (Some(3), Some("COPY . .")));
        assert_eq!(record.error.as_deref(), Some("dockerfile parse error on line 3: COPY requires at least two arguments"));
    }
}
