//! Runs an image the hardened way and tries it as the `runs` check's plan says, recording what
//! happened as a [`ProbeRecord`].
//!
//! The container runs as the image's own user with a read-only root filesystem (a small tmpfs on
//! /tmp), every capability dropped, no-new-privileges, memory and pid limits. An HTTP probe gets
//! host networking with PORT and HOST=127.0.0.1 set and is reached on 127.0.0.1 only; a command
//! probe gets no network at all.
use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptions, LogsOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

use super::cleanup::Janitor;
use crate::error::Result;
use crate::record::{ProbePlan, ProbeRecord};

/// Bytes of output and body kept.
const KEPT: usize = 64 * 1024;

pub(crate) async fn probe(docker: &Docker, janitor: &Janitor, image: &str, user: &str, plan: &ProbePlan) -> Result<ProbeRecord> {
    let mut record = ProbeRecord { user: user.to_string(), ..ProbeRecord::default() };
    let port = match plan {
        ProbePlan::Http { .. } => Some(free_port().map_err(|e| crate::error::Error::new("cannot find a free port on 127.0.0.1").because(e))?),
        ProbePlan::Command { .. } => None,
    };
    let body = container_body(image, plan, port, janitor);
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
    match (plan, port) {
        (ProbePlan::Http { path, timeout_seconds, .. }, Some(port)) => http_probe(docker, &created.id, port, path, *timeout_seconds, &mut record).await,
        (ProbePlan::Command { timeout_seconds, .. }, _) => command_probe(docker, &created.id, *timeout_seconds, &mut record).await,
        _ => unreachable!("HTTP plans always get a port"),
    }
    record.output = logs(docker, &created.id).await;
    Ok(record)
}

fn container_body(image: &str, plan: &ProbePlan, port: Option<u16>, janitor: &Janitor) -> ContainerCreateBody {
    let (network, env, cmd) = match (plan, port) {
        (ProbePlan::Http { .. }, Some(port)) => ("host", vec![format!("PORT={port}"), "HOST=127.0.0.1".into()], None),
        (ProbePlan::Command { args, .. }, _) => ("none", Vec::new(), args.clone()),
        _ => ("none", Vec::new(), None),
    };
    ContainerCreateBody {
        image: Some(image.to_string()),
        env: Some(env),
        cmd,
        labels: Some(janitor.labels()),
        host_config: Some(HostConfig {
            network_mode: Some(network.into()),
            readonly_rootfs: Some(true),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            memory: Some(512 * 1024 * 1024),
            pids_limit: Some(256),
            nano_cpus: Some(1_000_000_000),
            tmpfs: Some(HashMap::from([("/tmp".to_string(), "rw,nosuid,nodev,size=64m".to_string())])),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls GET until an answer, the container's exit, or the deadline.
async fn http_probe(docker: &Docker, id: &str, port: u16, path: &str, seconds: u64, record: &mut ProbeRecord) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Ok(Ok((status, body))) = timeout(Duration::from_secs(5), http_get(port, path)).await {
            record.status = Some(status);
            record.body = Some(body);
            return;
        }
        if let Some(code) = exit_code(docker, id).await {
            record.exit_code = Some(code);
            record.failure = Some(format!("the container exited with code {code} before answering on port {port}"));
            return;
        }
        if Instant::now() >= deadline {
            record.failure = Some(format!("nothing answered GET {path} on 127.0.0.1:{port} within {seconds} s"));
            return;
        }
        sleep(Duration::from_millis(250)).await;
    }
}

async fn command_probe(docker: &Docker, id: &str, seconds: u64, record: &mut ProbeRecord) {
    let mut wait = docker.wait_container(id, None::<bollard::query_parameters::WaitContainerOptions>);
    match timeout(Duration::from_secs(seconds), wait.next()).await {
        Ok(Some(Ok(response))) => record.exit_code = Some(response.status_code),
        Ok(Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. }))) => record.exit_code = Some(code),
        Ok(other) => record.failure = Some(format!("waiting for the container failed: {other:?}")),
        Err(_) => record.failure = Some(format!("the command did not finish within {seconds} s")),
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

async fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.take((KEPT * 2) as u64).read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    let status = status.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response"))?;
    Ok((status, body.chars().take(KEPT).collect()))
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
