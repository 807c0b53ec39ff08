//! Docker endpoints: where the builds run. Each `--docker-host URL[#jobs=N]` (DOCKER_HOST syntax)
//! takes at most N submissions at once; a lease goes to the least busy live endpoint.
//!
//! What must hold: an endpoint that cannot be reached at the start is left out with a warning (the
//! run fails only when none answers); an endpoint that stops answering mid-run is retired, and the
//! submissions it held move to the others.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use tokio::sync::Notify;

use crate::docker::{cache_mounts, cleanup};
use crate::error::{Error, Result};

/// How long connecting, and a liveness ping, may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// An endpoint as the command line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub url: String,
    pub jobs: usize,
}

impl Target {
    /// `URL` or `URL#jobs=N`; `default_jobs` when the limit is not given.
    pub(crate) fn parse(text: &str, default_jobs: usize) -> Result<Target> {
        let bad = |why: &str| {
            Error::new(format!("--docker-host {text}: {why}")).action("write it as unix:///path/docker.sock or tcp://host:2375, optionally followed by #jobs=N")
        };
        let (url, jobs) = match text.rsplit_once('#') {
            None => (text, default_jobs),
            Some((url, suffix)) => {
                let jobs = suffix.strip_prefix("jobs=").and_then(|n| n.parse::<usize>().ok()).filter(|n| *n > 0);
                (url, jobs.ok_or_else(|| bad("the suffix must be #jobs=N, N at least 1"))?)
            }
        };
        if !["unix://", "tcp://", "http://", "https://"].iter().any(|scheme| url.starts_with(scheme)) {
            return Err(bad("the address must start with unix://, tcp://, http:// or https://"));
        }
        Ok(Target { url: url.to_string(), jobs })
    }
}

pub(crate) struct Endpoint {
    pub url: String,
    pub docker: Docker,
    jobs: usize,
}

impl Endpoint {
    async fn connect(target: &Target) -> Result<Endpoint> {
        let unreachable = |cause: String| Error::new(format!("cannot reach the Docker daemon at {}", target.url)).because(cause);
        let docker = Docker::connect_with_host(&target.url).map_err(|e| unreachable(e.to_string()))?;
        // Streams (builds, saves) are bounded by Shipshape's own timeouts, not the client's.
        let docker = docker.with_timeout(Duration::from_secs(24 * 3600));
        let negotiated = tokio::time::timeout(ANSWER_WITHIN, docker.negotiate_version()).await;
        let docker = negotiated.map_err(|_| unreachable("no answer".into()))?.map_err(|e| unreachable(e.to_string()))?;
        let endpoint = Endpoint { url: target.url.clone(), docker, jobs: target.jobs };
        if !endpoint.answers().await {
            return Err(unreachable("it does not answer a ping".into()));
        }
        cleanup::sweep_abandoned(&endpoint.docker).await;
        cache_mounts::remove_abandoned(&endpoint.docker, &endpoint.url).await;
        Ok(endpoint)
    }

    /// True when the daemon answers a ping in time.
    pub(crate) async fn answers(&self) -> bool {
        matches!(tokio::time::timeout(ANSWER_WITHIN, self.docker.ping()).await, Ok(Ok(_)))
    }
}

/// The live endpoints and how busy each is.
pub(crate) struct Pool {
    endpoints: Vec<Endpoint>,
    slots: Mutex<Vec<Slot>>,
    changed: Notify,
}

#[derive(Clone, Copy)]
struct Slot {
    busy: usize,
    alive: bool,
}

impl Pool {
    /// Connects to every target at once; unreachable ones are reported and left out.
    pub(crate) async fn connect(targets: &[Target]) -> Result<Arc<Pool>> {
        let attempts = futures_util::future::join_all(targets.iter().map(Endpoint::connect)).await;
        let mut endpoints = Vec::new();
        let mut failures = Vec::new();
        for attempt in attempts {
            match attempt {
                Ok(endpoint) => endpoints.push(endpoint),
                Err(error) => failures.push(error),
            }
        }
        if endpoints.is_empty() {
            let mut error = Error::new("no Docker endpoint answers");
            for failure in &failures {
                error = error.because(failure.to_string().trim_start_matches("error: ").replace('\n', "; "));
            }
            return Err(
                error.action("start the daemon (`sudo dockerd --bridge=none --iptables=false --ip-masq=false &`) or pass --docker-host URL of a running one")
            );
        }
        for failure in failures {
            eprintln!("warning: {}; grading goes on without it", failure.to_string().trim_start_matches("error: ").replace('\n', "; "));
        }
        let slots = Mutex::new(vec![Slot { busy: 0, alive: true }; endpoints.len()]);
        Ok(Arc::new(Pool { endpoints, slots, changed: Notify::new() }))
    }

    /// A slot on the least busy live endpoint, waiting for one to free up; None once every
    /// endpoint has been retired.
    pub(crate) async fn lease(self: &Arc<Self>) -> Option<Lease> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut slots = self.lock();
                if !slots.iter().any(|s| s.alive) {
                    return None;
                }
                let free = (0..slots.len()).filter(|&i| slots[i].alive && slots[i].busy < self.endpoints[i].jobs);
                // Least busy relative to its limit; the first such on a tie.
                if let Some(index) = free.min_by_key(|&i| (slots[i].busy * 1000 / self.endpoints[i].jobs, i)) {
                    slots[index].busy += 1;
                    return Some(Lease { pool: self.clone(), index });
                }
            }
            notified.await;
        }
    }

    pub(crate) fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    pub(crate) fn is_alive(&self, index: usize) -> bool {
        self.lock()[index].alive
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One submission's hold on an endpoint, released on drop.
pub(crate) struct Lease {
    pool: Arc<Pool>,
    index: usize,
}

impl Lease {
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.pool.endpoints[self.index]
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Takes the endpoint out of the pool (it stopped answering); says so the first time.
    pub(crate) fn retire(&self, cause: &Error) {
        let was_alive = std::mem::replace(&mut self.pool.lock()[self.index].alive, false);
        if was_alive {
            let cause = cause.to_string().trim_start_matches("error: ").replace('\n', "; ");
            eprintln!("warning: the Docker endpoint {} stopped answering ({cause}); its submissions move to the others", self.endpoint().url);
        }
        self.pool.changed.notify_waiters();
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.pool.lock()[self.index].busy -= 1;
        self.pool.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_and_without_a_job_limit() {
        assert_eq!(Target::parse("unix:///var/run/docker.sock", 3).unwrap(), Target { url: "unix:///var/run/docker.sock".into(), jobs: 3 });
        assert_eq!(Target::parse("tcp://10.0.0.2:2375#jobs=2", 3).unwrap(), Target { url: "tcp://10.0.0.2:2375".into(), jobs: 2 });
        for bad in ["unix:///x.sock#jobs=0", "unix:///x.sock#cpus=2", "/var/run/docker.sock", "ssh://host"] {
            assert!(Target::parse(bad, 1).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn no_endpoint_is_an_error_naming_each() {
        let targets = [Target::parse("unix:///nonexistent/a.sock", 1).unwrap(), Target::parse("unix:///nonexistent/b.sock", 1).unwrap()];
        let error = Pool::connect(&targets).await.err().expect("nothing answers").to_string();
        assert!(error.contains("no Docker endpoint answers") && error.contains("a.sock") && error.contains("b.sock"), "{error}");
    }
}
