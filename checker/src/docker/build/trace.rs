//! BuildKit's progress trace (the `moby.buildkit.trace` messages of a build's stream) folded into
//! what the verdict needs: the steps seen, which failed and why, and each step's log as lines.
//!
//! What must hold: a step's log is reassembled into lines across the chunks BuildKit sends (a
//! chunk may end mid-line), carriage-return redraws keep only their last state, and colour codes
//! are stripped, so evidence reads as the learner's terminal would show it at the end.
use std::collections::{HashMap, VecDeque};

use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;

/// Lines of a step's log kept (the end is what explains a failure).
const KEPT_LINES: usize = 40;

/// One vertex of the build graph: a Dockerfile step (`[build 3/5] RUN make`) or BuildKit's own
/// work (`[internal] load metadata for …`, `exporting to image`).
#[derive(Debug, Default)]
pub(super) struct Step {
    pub name: String,
    pub error: String,
    pub cached: bool,
    lines: VecDeque<String>,
    partial: Vec<u8>,
}

impl Step {
    /// The log's last `n` complete lines, then any unfinished one.
    pub(super) fn log_tail(&self, n: usize) -> Vec<String> {
        let mut lines: Vec<String> = self.lines.iter().cloned().collect();
        if !self.partial.is_empty() {
            lines.push(clean_line(&self.partial));
        }
        let skip = lines.len().saturating_sub(n);
        lines.into_iter().skip(skip).filter(|l| !l.trim().is_empty()).collect()
    }

    /// `[stage n/m] …`: the stage named in the step (None for a single-stage file) and n.
    pub(super) fn position(&self) -> Option<(Option<&str>, usize)> {
        let inside = self.name.strip_prefix('[')?.split(']').next()?;
        let mut words: Vec<&str> = inside.split_whitespace().collect();
        let (n, _total) = words.pop()?.split_once('/')?;
        Some((words.pop(), n.parse().ok()?))
    }

    /// A `FROM` step: `[stage 1/m] FROM …`.
    fn is_base_image(&self) -> bool {
        self.name.split_once("] ").is_some_and(|(_, instruction)| instruction.starts_with("FROM "))
    }

    fn append(&mut self, chunk: &[u8]) {
        self.partial.extend_from_slice(chunk);
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            if self.lines.len() == KEPT_LINES {
                self.lines.pop_front();
            }
            self.lines.push_back(clean_line(&line));
        }
    }
}

/// A line as shown at the end: what follows the last carriage return, colours stripped.
fn clean_line(raw: &[u8]) -> String {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let shown = raw.rsplit(|b| *b == b'\r').next().unwrap_or(raw);
    String::from_utf8_lossy(&strip_ansi_escapes::strip(shown)).trim_end().to_string()
}

/// Every step seen so far, in the order BuildKit first named them.
#[derive(Debug, Default)]
pub(super) struct Trace {
    steps: Vec<Step>,
    by_digest: HashMap<String, usize>,
}

impl Trace {
    /// Folds one status message in; returns the name of a step that just started, for display.
    pub(super) fn apply(&mut self, status: StatusResponse) -> Option<String> {
        let mut started = None;
        for vertex in status.vertexes {
            let step = self.step(&vertex.digest);
            if step.name.is_empty() || step.name != vertex.name {
                step.name = vertex.name.clone();
            }
            step.cached |= vertex.cached;
            if !vertex.error.is_empty() {
                step.error = vertex.error;
            }
            if vertex.started.is_some() && vertex.completed.is_none() {
                started = Some(vertex.name);
            }
        }
        for log in status.logs {
            self.step(&log.vertex).append(&log.msg);
        }
        started
    }

    fn step(&mut self, digest: &str) -> &mut Step {
        let next = self.steps.len();
        let index = *self.by_digest.entry(digest.to_string()).or_insert(next);
        if index == next {
            self.steps.push(Step::default());
        }
        &mut self.steps[index]
    }

    /// The step that failed: a Dockerfile step when one did, else BuildKit's own (a base image
    /// that cannot be resolved fails `[internal] load metadata for …`).
    pub(super) fn failed(&self) -> Option<&Step> {
        let failed = || self.steps.iter().filter(|s| !s.error.is_empty());
        failed().find(|s| s.position().is_some()).or_else(|| failed().next())
    }

    /// How many of the Dockerfile's built steps came from the build cache, of how many. A step is
    /// its `[stage n/m]` position: BuildKit may name one position by more than one vertex (a base
    /// image resolved twice), and a step counts as cached when any of them was. `FROM` steps are
    /// left out: a base image is fetched or present, never built.
    pub(super) fn cache_hits(&self) -> (usize, usize) {
        let mut built: HashMap<(Option<&str>, usize), bool> = HashMap::new();
        for step in self.steps.iter().filter(|s| !s.is_base_image()) {
            if let Some(position) = step.position() {
                *built.entry(position).or_default() |= step.cached;
            }
        }
        (built.values().filter(|cached| **cached).count(), built.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard_buildkit_proto::moby::buildkit::v1::{Vertex, VertexLog};

    fn vertex(digest: &str, name: &str, error: &str) -> Vertex {
        Vertex { digest: digest.into(), name: name.into(), error: error.into(), ..Vertex::default() }
    }

    fn log(digest: &str, msg: &[u8]) -> VertexLog {
        VertexLog { vertex: digest.into(), msg: msg.to_vec(), ..VertexLog::default() }
    }

    #[test]
    fn lines_are_reassembled_across_chunks_and_cleaned() {
        let mut trace = Trace::default();
        trace.apply(StatusResponse { vertexes: vec![vertex("a", "[build 3/5] RUN make", "")], ..Default::default() });
        let chunks: [&[u8]; 4] = [b"compil", b"ing \x1b[1;31mmain.c\x1b[0m\nprogress 10%\rprogress", b" 100%\r\nerror: ", b"boom"];
        for chunk in chunks {
            trace.apply(StatusResponse { logs: vec![log("a", chunk)], ..Default::default() });
        }
        trace.apply(StatusResponse { vertexes: vec![vertex("a", "[build 3/5] RUN make", "exit code: 2")], ..Default::default() });
        let failed = trace.failed().unwrap();
        assert_eq!(failed.log_tail(12), ["compiling main.c", "progress 100%", "error: boom"]);
        assert_eq!(failed.position(), Some((Some("build"), 3)));
        assert_eq!(failed.error, "exit code: 2");
    }

    #[test]
    fn a_dockerfile_step_is_blamed_before_buildkits_own_work() {
        let mut trace = Trace::default();
        let vertexes = vec![vertex("i", "[internal] load build context", "cancelled"), vertex("s", "[2/2] RUN false", "exit code: 1")];
        trace.apply(StatusResponse { vertexes, ..Default::default() });
        assert_eq!(trace.failed().unwrap().position(), Some((None, 2)));
        assert_eq!(trace.cache_hits(), (0, 1));
    }

    #[test]
    fn each_built_step_counts_once_and_base_images_not_at_all() {
        let mut trace = Trace::default();
        let cached = |digest: &str, name: &str| Vertex { cached: true, ..vertex(digest, name, "") };
        let vertexes = vec![
            cached("f1", "[build 1/3] FROM docker.io/library/golang:1.22"),
            vertex("f2", "[build 1/3] FROM docker.io/library/golang:1.22@sha256:ab", ""),
            cached("r1", "[build 2/3] RUN go build"),
            vertex("r2", "[build 2/3] RUN go build", ""),
            vertex("c", "[build 3/3] COPY . .", ""),
            cached("i", "[internal] load build context"),
        ];
        trace.apply(StatusResponse { vertexes, ..Default::default() });
        assert_eq!(trace.cache_hits(), (1, 2));
    }
}
