//! Builds a context through the Engine API (classic builder, network `none`, resource limits) and
//! records the outcome as a [`BuildRecord`]: the image, or the failing step, its line and the log.
//!
//! What must hold: a failing or timed-out build is a verdict (the `builds` check fails), not an
//! error; only a daemon that cannot be talked to is an error. Every image id the builder reports,
//! intermediate ones included, and every step container it names goes to the janitor. While it
//! runs, a spinner on stderr shows the builder's `Step N/M : …` (only on a terminal; it has no
//! colour, so NO_COLOR holds).
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use bollard::models::BuildInfo;
use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};

use super::cleanup::Janitor;
use super::context::DOCKERFILE_NAME;
use crate::dockerfile::Dockerfile;
use crate::error::Result;
use crate::record::BuildRecord;

/// Limits a build runs under (a submission is untrusted code).
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: i32,
    /// CPU quota in microseconds per 100 ms period (100_000 = one core).
    pub cpu_quota: i32,
    /// Show the build's spinner on a terminal (off when builds run side by side).
    pub spinner: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(600), memory_bytes: 2_000_000_000, cpu_quota: 200_000, spinner: true }
    }
}

/// Lines of build log kept for a failure's evidence.
const LOG_TAIL: usize = 12;

pub async fn build(
    docker: &Docker,
    janitor: &Janitor,
    context: Vec<u8>,
    dockerfile: &Dockerfile,
    build_args: &BTreeMap<String, String>,
    limits: &Limits,
) -> Result<BuildRecord> {
    let build_args: HashMap<String, String> = build_args.clone().into_iter().collect();
    let options = BuildImageOptionsBuilder::default()
        .buildargs(&build_args)
        .dockerfile(DOCKERFILE_NAME)
        .networkmode("none")
        .rm(true)
        .forcerm(true)
        .memory(limits.memory_bytes)
        .memswap(limits.memory_bytes)
        .cpuperiod(100_000)
        .cpuquota(limits.cpu_quota)
        .labels(&janitor.build_labels())
        .build();
    let started = Instant::now();
    let mut progress = Progress::default();
    let display = if limits.spinner { display() } else { ProgressBar::hidden() };
    let stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    let outcome = tokio::time::timeout(limits.timeout, consume(stream, janitor, &mut progress, &display)).await;
    display.finish_and_clear();
    let mut record = match outcome {
        Ok(Ok(())) => progress.record(dockerfile),
        Ok(Err(bollard::errors::Error::DockerStreamError { error })) => progress.failed(error, dockerfile),
        Ok(Err(e)) => return Err(super::failure("the build stopped: the daemon connection failed", e)),
        Err(_) => {
            janitor.cut_short();
            progress.failed(format!("the build took longer than {} s and was stopped", limits.timeout.as_secs()), dockerfile)
        }
    };
    record.seconds = started.elapsed().as_secs_f64();
    Ok(record)
}

async fn consume(
    mut stream: impl futures_util::Stream<Item = Result<BuildInfo, bollard::errors::Error>> + Unpin,
    janitor: &Janitor,
    progress: &mut Progress,
    display: &ProgressBar,
) -> Result<(), bollard::errors::Error> {
    while let Some(item) = stream.next().await {
        let info = item?;
        if let Some(text) = &info.stream {
            for line in text.lines() {
                progress.line(line, janitor);
                if line.starts_with("Step ") {
                    display.set_message(line.trim_end().to_string());
                }
            }
        }
        if let Some(id) = info.aux.and_then(|aux| aux.id) {
            janitor.image(&id);
            progress.image_id = Some(id);
        }
    }
    Ok(())
}

/// The build's spinner on stderr, hidden when stderr is not a terminal; it clears itself however
/// the build ends (a dropped bar too, when Ctrl-C aborts the build; after a Ctrl-C typed at the
/// terminal its last frame stays, because the echoed `^C` moves the cursor off its line).
fn display() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{spinner} {elapsed:>4} {wide_msg}").unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bar = ProgressBar::new_spinner().with_style(style).with_finish(ProgressFinish::AndClear).with_message("Sending the build context");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The Dockerfile as sent to the builder: after each `FROM`, one `LABEL` with the run's labels
/// (its id and owner), so that every image the builder commits — each step of each stage, not only
/// the final image — carries them and the janitor finds them all by label, also those of a build
/// cut short, or of a run killed before it could sweep.
pub fn labelled_dockerfile(text: &str, dockerfile: &Dockerfile, labels: &HashMap<String, String>) -> String {
    let labels: BTreeMap<&String, &String> = labels.iter().collect();
    let instruction = labels.iter().map(|(key, value)| format!(" {key}=\"{value}\"")).collect::<String>();
    let from_lines: Vec<usize> = dockerfile.instructions.iter().filter(|i| i.keyword == "FROM").map(|i| i.line).collect();
    let mut out = String::with_capacity(text.len() + from_lines.len() * 64);
    let mut pending = false;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        out.push_str(line);
        pending |= from_lines.contains(&(index + 1));
        if pending && !line.trim_end().ends_with('\\') {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("LABEL{instruction}\n"));
            pending = false;
        }
    }
    out
}

/// The learner's instruction behind the builder's `Step N` of the labelled Dockerfile (each
/// `FROM` is followed by one added step).
fn original_step(dockerfile: &Dockerfile, step: usize) -> Option<&crate::dockerfile::Instruction> {
    let mut sent = 0;
    for instruction in &dockerfile.instructions {
        sent += 1;
        if sent == step {
            return Some(instruction);
        }
        if instruction.keyword == "FROM" {
            sent += 1;
            if sent == step {
                return Some(instruction); // the added label belongs to its FROM
            }
        }
    }
    None
}

/// What the build stream has said so far.
#[derive(Default)]
struct Progress {
    /// The classic builder's current `Step N/M`.
    step: Option<usize>,
    image_id: Option<String>,
    log: VecDeque<String>,
}

impl Progress {
    fn line(&mut self, line: &str, janitor: &Janitor) {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("Step ") {
            self.step = rest.split('/').next().and_then(|n| n.trim().parse().ok());
        }
        // ` ---> Running in 9f9aa92b6649`: the step's container. The builder removes it itself,
        // unless the build is cut short (Ctrl-C): then the sweep must, before the image under it.
        if let Some(id) = line.strip_prefix(" ---> Running in ") {
            janitor.container(id.trim());
        }
        let bookkeeping = line.starts_with(" ---> ") || line.starts_with("Removing intermediate container");
        if !line.trim().is_empty() && !bookkeeping {
            if self.log.len() == LOG_TAIL {
                self.log.pop_front();
            }
            self.log.push_back(line.to_string());
        }
    }

    fn record(self, dockerfile: &Dockerfile) -> BuildRecord {
        match self.image_id.clone() {
            Some(id) => BuildRecord { image_id: Some(id), log_tail: self.log.into(), ..BuildRecord::default() },
            None => self.failed("the builder finished without reporting an image".into(), dockerfile),
        }
    }

    fn failed(self, error: String, dockerfile: &Dockerfile) -> BuildRecord {
        let instruction = self.step.and_then(|n| original_step(dockerfile, n));
        BuildRecord {
            image_id: None,
            error: Some(error.trim().to_string()),
            failed_instruction: instruction.map(|i| i.text.clone()),
            failed_line: instruction.map(|i| i.line),
            log_tail: self.log.into(),
            seconds: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_is_labelled_and_steps_map_back() {
        let text = "ARG V=1\nFROM busybox AS build\nRUN make \\\n  all\nFROM \\\n  scratch\nCOPY --from=build /a /a";
        let dockerfile = Dockerfile::parse(text).unwrap();
        let labels = HashMap::from([("shipshape.run".to_string(), "r1".to_string()), ("shipshape.owner".to_string(), "h/b/1/2".to_string())]);
        let sent = labelled_dockerfile(text, &dockerfile, &labels);
        let label = "LABEL shipshape.owner=\"h/b/1/2\" shipshape.run=\"r1\"";
        assert_eq!(sent, format!("ARG V=1\nFROM busybox AS build\n{label}\nRUN make \\\n  all\nFROM \\\n  scratch\n{label}\nCOPY --from=build /a /a"));
        let keywords: Vec<&str> = (1..=7).map(|n| original_step(&dockerfile, n).map_or("-", |i| i.keyword.as_str())).collect();
        assert_eq!(keywords, ["ARG", "FROM", "FROM", "RUN", "FROM", "FROM", "COPY"]);
    }
}
