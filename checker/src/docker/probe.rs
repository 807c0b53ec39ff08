//! Runs an image the hardened way and tries it as the `runs` check's plan says, recording what
//! happened as a [`ProbeRecord`].
//!
//! The container runs as the image's own user with a read-only root filesystem (a small tmpfs on
//! /tmp), every capability dropped, no-new-privileges, memory, cpu and pid limits, and a log capped
//! at [`LOG_FILES`] files of [`LOG_FILE_SIZE`]. It always has network `none`: a namespace of its
//! own with nothing but loopback. A command probe waits for it to exit. An HTTP probe sets PORT
//! (always [`PORT`]) and HOST=127.0.0.1 and makes the GET from inside that namespace: the client
//! of `client.rs`, in a container of its own that joins the namespace (`client_image.rs`), tries
//! until the app answers or the deadline passes, while Shipshape watches for the app to exit.
//!
//!
//! When the spec asks for `intruder` and the app answered the HTTP probe, the same container stays
//! up for the intruder's moves: each is a GET through the app's own endpoint, made by a client of
//! its own in the same way, whose answer is recorded unjudged ([`Intrusion`]). Whatever a move
//! makes the app start runs inside the app's container, under every limit above.
//!
//! What must hold: nothing of the grading host's network is reachable from the app, and nothing
//! of the host is used to reach it (no host port, no host network), so no submission can read the
//! host's loopback or starve another submission's probe. The client is trusted code of
//! Shipshape's own; everything the app sends back is read by it, bounded, and judged here.
mod client_image;
mod protocol;

/// Built into the client program by `build.rs`; a module of Shipshape for its tests only.
#[cfg(test)]
mod client;

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, HostConfigLogConfig};
use bollard::query_parameters::{CreateContainerOptions, LogsOptionsBuilder, WaitContainerOptions};
use bollard::Docker;
use futures_util::StreamExt;
use tokio::time::timeout;

use self::protocol::{parse, Answer, Request, ANSWERED, KEPT, NO_ANSWER};
use super::cleanup::Janitor;
use crate::error::{Error, Result};
use crate::record::{IntruderProbe, IntruderRequest, Intrusion, ProbePlan, ProbeRecord};

/// The port an HTTP probe gives the app, in the app's own network namespace.
const PORT: u16 = 8080;
/// The size of one file of a probe container's log, and how many are kept.
const LOG_FILE_SIZE: &str = "1m";
const LOG_FILES: &str = "2";
/// How long after the app exits the client may still deliver an answer it was reading.
const LAST_WORDS: Duration = Duration::from_secs(2);
/// How long past its deadline the client may take to stop (its last try, the daemon's delays).
const CLIENT_SLACK: Duration = Duration::from_secs(20);

/// Runs `image` as `user` and tries it as `plan` says; when the app answered an HTTP probe and
/// `intruder` is given, sends each of its requests through the app's endpoint too.
pub(crate) async fn probe(
    docker: &Docker,
    janitor: &Janitor,
    image: &str,
    user: &str,
    plan: &ProbePlan,
    intruder: Option<&IntruderProbe>,
) -> Result<ProbeRecord> {
    let mut record = ProbeRecord { user: user.to_string(), ..ProbeRecord::default() };
    let client = match plan {
        ProbePlan::Http { .. } => Some(client_image::import(docker, janitor).await?),
        ProbePlan::Command { .. } => None,
    };
    let body = container_body(image, plan, janitor);
    let created = match docker.create_container(None::<CreateContainerOptions>, body).await {
        Ok(created) => created,
        Err(e) => {
            record.failure = Some(format!("the container could not be created: {e}"));
            return Ok(record);
        }
    };
    janitor.container(&created.id);
    if let Err(e) = docker.start_container(&created.id, None).await {
        record.failure = Some(format!("the container could not start: {}", daemon_message(&e)));
        return Ok(record);
    }
    match (plan, client) {
        (ProbePlan::Http { path, timeout_seconds, .. }, Some(client)) => {
            let request = Request { port: PORT, path: path.clone(), seconds: *timeout_seconds };
            http_probe(docker, janitor, &created.id, &client, &request, &mut record).await?;
            if let Some(intruder) = intruder.filter(|_| record.status.is_some()) {
                record.intrusions = Some(intrude(docker, janitor, &created.id, &client, intruder).await?);
            }
        }
        (ProbePlan::Command { timeout_seconds, .. }, _) => command_probe(docker, &created.id, *timeout_seconds, &mut record).await,
        _ => unreachable!("HTTP plans always get a client"),
    }
    record.output = logs(docker, &created.id).await;
    Ok(record)
}

fn container_body(image: &str, plan: &ProbePlan, janitor: &Janitor) -> ContainerCreateBody {
    let (env, cmd) = match plan {
        ProbePlan::Http { .. } => (vec![format!("PORT={PORT}"), "HOST=127.0.0.1".into()], None),
        ProbePlan::Command { args, .. } => (Vec::new(), args.clone()),
    };
    ContainerCreateBody {
        image: Some(image.to_string()),
        env: Some(env),
        cmd,
        labels: Some(janitor.labels()),
        host_config: Some(HostConfig {
            tmpfs: Some(HashMap::from([("/tmp".to_string(), "rw,nosuid,nodev,size=64m".to_string())])),
            ..hardened("none".into(), Limits { memory: 512 * 1024 * 1024, pids: 256, nano_cpus: 1_000_000_000 })
        }),
        ..ContainerCreateBody::default()
    }
}

/// What a probe container may use.
struct Limits {
    memory: i64,
    pids: i64,
    nano_cpus: i64,
}

/// How every probe container runs, the app's and the client's: in `network_mode`, read-only,
/// without capabilities or new privileges, with these limits and a bounded log.
fn hardened(network_mode: String, limits: Limits) -> HostConfig {
    HostConfig {
        network_mode: Some(network_mode),
        readonly_rootfs: Some(true),
        cap_drop: Some(vec!["ALL".into()]),
        security_opt: Some(vec!["no-new-privileges".into()]),
        memory: Some(limits.memory),
        pids_limit: Some(limits.pids),
        nano_cpus: Some(limits.nano_cpus),
        log_config: Some(bounded_log()),
        ..HostConfig::default()
    }
}

/// A log the daemon keeps small whatever the container prints, and that it can read back.
fn bounded_log() -> HostConfigLogConfig {
    let config = HashMap::from([("max-size".to_string(), LOG_FILE_SIZE.to_string()), ("max-file".to_string(), LOG_FILES.to_string())]);
    HostConfigLogConfig { typ: Some("json-file".into()), config: Some(config) }
}

/// Runs the client in the app's namespace until it answers or gives up, or until the app exits.
async fn http_probe(docker: &Docker, janitor: &Janitor, app: &str, image: &str, request: &Request, record: &mut ProbeRecord) -> Result<()> {
    let client = match start_client(docker, janitor, app, image, request).await {
        Ok(client) => client,
        // Joining the app's namespace fails once the app has exited.
        Err(error) => {
            app_exited(exit_code(docker, app).await.ok_or(error)?, record);
            return Ok(());
        }
    };
    let watch = async {
        tokio::select! {
            code = stopped(docker, &client) => client_finished(docker, &client, code?, request, record).await,
            code = stopped(docker, app) => {
                // The client may have been reading the app's answer as it exited.
                match timeout(LAST_WORDS, stopped(docker, &client)).await {
                    Ok(Ok(answered)) if answered == i64::from(ANSWERED) => client_finished(docker, &client, answered, request, record).await,
                    _ => {
                        app_exited(code?, record);
                        Ok(())
                    }
                }
            }
        }
    };
    within_deadline(request, watch).await
}

/// `work` (waiting for the client of `request`), given the request's seconds and the client's
/// slack: a client that overstays them is an error, never a wait without end.
async fn within_deadline<T>(request: &Request, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    match timeout(Duration::from_secs(request.seconds) + CLIENT_SLACK, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::new(format!("the probe's client did not stop within {} s of its deadline", CLIENT_SLACK.as_secs()))),
    }
}

/// Creates and starts the client's container (registered with the janitor); its id.
async fn start_client(docker: &Docker, janitor: &Janitor, app: &str, image: &str, request: &Request) -> Result<String> {
    let body = client_image::container(image, app, request, janitor.labels());
    let created =
        docker.create_container(None::<CreateContainerOptions>, body).await.map_err(|e| crate::docker::failure("cannot create the probe's client", e))?;
    janitor.container(&created.id);
    docker.start_container(&created.id, None).await.map_err(|e| crate::docker::failure("cannot start the probe's client", e))?;
    Ok(created.id)
}

/// Records what the client's exit `code` says: the app's answer, or that nothing answered.
async fn client_finished(docker: &Docker, client: &str, code: i64, request: &Request, record: &mut ProbeRecord) -> Result<()> {
    match client_answer(docker, client, code, request).await? {
        Ok(answer) => {
            record.status = Some(answer.status);
            record.body = Some(answer.body);
        }
        Err(nothing) => record.failure = Some(nothing),
    }
    Ok(())
}

/// What the client's exit `code` says: the app's answer, or in words why none came.
async fn client_answer(docker: &Docker, client: &str, code: i64, request: &Request) -> Result<std::result::Result<Answer, String>> {
    let Request { port, path, seconds } = request;
    if code == i64::from(NO_ANSWER) {
        return Ok(Err(format!("nothing answered GET {path} on 127.0.0.1:{port} within {seconds} s")));
    }
    let answer = if code == i64::from(ANSWERED) { parse(&client_output(docker, client).await) } else { None };
    answer.map(Ok).ok_or_else(|| Error::new(format!("the probe's client stopped with code {code} and no answer")))
}

/// Sends each of the intruder's requests through the app's endpoint, one client at a time, and
/// records what came back. The app keeps running in its hardened container throughout: whatever
/// a move starts runs there, under the same user, limits and network `none`.
async fn intrude(docker: &Docker, janitor: &Janitor, app: &str, image: &str, intruder: &IntruderProbe) -> Result<Vec<Intrusion>> {
    let mut intrusions = Vec::with_capacity(intruder.requests.len());
    for IntruderRequest { move_id, path } in &intruder.requests {
        let request = Request { port: PORT, path: path.clone(), seconds: intruder.timeout_seconds };
        let mut intrusion = Intrusion { move_id, ..Intrusion::default() };
        match start_client(docker, janitor, app, image, &request).await {
            Ok(client) => {
                let code = within_deadline(&request, stopped(docker, &client)).await?;
                match client_answer(docker, &client, code, &request).await? {
                    Ok(answer) => (intrusion.status, intrusion.body) = (Some(answer.status), answer.body),
                    Err(nothing) => intrusion.failure = Some(nothing),
                }
            }
            // Joining the app's namespace fails once the app has exited.
            Err(error) => intrusion.failure = Some(format!("the app had exited with code {}", exit_code(docker, app).await.ok_or(error)?)),
        }
        intrusions.push(intrusion);
    }
    Ok(intrusions)
}

fn app_exited(code: i64, record: &mut ProbeRecord) {
    record.exit_code = Some(code);
    record.failure = Some(format!("the container exited with code {code} before answering on port {PORT}"));
}

async fn command_probe(docker: &Docker, id: &str, seconds: u64, record: &mut ProbeRecord) {
    match timeout(Duration::from_secs(seconds), stopped(docker, id)).await {
        Ok(Ok(code)) => record.exit_code = Some(code),
        Ok(Err(e)) => record.failure = Some(format!("waiting for the container failed: {e}")),
        Err(_) => record.failure = Some(format!("the command did not finish within {seconds} s")),
    }
}

/// The exit code of container `id` once it stops.
async fn stopped(docker: &Docker, id: &str) -> Result<i64> {
    let mut wait = docker.wait_container(id, None::<WaitContainerOptions>);
    match wait.next().await {
        Some(Ok(response)) => Ok(response.status_code),
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
        Some(Err(e)) => Err(crate::docker::failure("cannot wait for a probe's container", e)),
        None => Err(Error::new("the daemon stopped answering while a probe's container ran")),
    }
}

/// The exit code once the container has stopped; `None` while it runs.
async fn exit_code(docker: &Docker, id: &str) -> Option<i64> {
    let state = docker.inspect_container(id, None).await.ok()?.state?;
    if state.running == Some(true) {
        return None;
    }
    state.exit_code
}

/// What the client printed: the answer, bounded by the client itself.
async fn client_output(docker: &Docker, client: &str) -> Vec<u8> {
    let options = LogsOptionsBuilder::default().stdout(true).build();
    let chunks: Vec<_> = docker.logs(client, Some(options)).collect().await;
    chunks.into_iter().filter_map(|c| c.ok()).flat_map(|c| c.into_bytes()).collect()
}

async fn logs(docker: &Docker, id: &str) -> String {
    let options = LogsOptionsBuilder::default().stdout(true).stderr(true).tail("200").build();
    let chunks: Vec<_> = docker.logs(id, Some(options)).collect().await;
    let text: String = chunks.into_iter().filter_map(|c| c.ok()).map(|c| c.to_string()).collect();
    let start = text.len().saturating_sub(KEPT);
    let start = (start..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
    text[start..].to_string()
}

/// The daemon's own message, without bollard's wrapping.
fn daemon_message(error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
