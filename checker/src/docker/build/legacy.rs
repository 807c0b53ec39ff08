//! The legacy builder, for engines without BuildKit: the classic `POST /build` through bollard,
//! with memory and CPU limits on each step's container.
//!
//! What must hold: every image the builder commits — each step of each stage — goes to the janitor
//! as the builder reports it (` ---> ID`), but the base a `FROM` names, which is not the run's; and
//! carries the run's labels (a `LABEL` added after each `FROM`, [`labelled_dockerfile`]), so that
//! what a run killed before it could sweep left is found too; the price is no build cache across
//! runs, which BuildKit keeps. Step containers go to the janitor as they start. Shipshape's own
//! `LABEL` steps are never shown in the log.
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

use bollard::models::BuildInfo;
use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use indicatif::ProgressBar;

use super::{plain_error, BuildInput, Limits, LOG_TAIL};
use crate::docker::cleanup::Janitor;
use crate::docker::context::DOCKERFILE_NAME;
use crate::dockerfile::Dockerfile;
use crate::error::Result;
use crate::record::BuildRecord;
use crate::status_line::spinner;

pub(crate) async fn build(docker: &Docker, janitor: &Janitor, input: BuildInput<'_>, limits: &Limits) -> Result<BuildRecord> {
    let dockerfile = input.dockerfile;
    let build_args: HashMap<String, String> = input.build_args.clone().into_iter().collect();
    let mut options = BuildImageOptionsBuilder::default()
        .buildargs(&build_args)
        .dockerfile(DOCKERFILE_NAME)
        .networkmode("none")
        .rm(true)
        .forcerm(true)
        .memory(limits.memory_bytes)
        .memswap(limits.memory_bytes)
        .cpuperiod(100_000)
        .cpuquota(limits.cpu_quota)
        .labels(&janitor.labels());
    if let Some(target) = input.target {
        options = options.target(target);
    }
    let options = options.build();
    let started = Instant::now();
    let mut progress = Progress::default();
    let display = spinner(limits.spinner, "Sending the build context");
    let stream = docker.build_image(options, None, Some(bollard::body_full(input.context.into())));
    let outcome = tokio::time::timeout(limits.timeout, consume(stream, janitor, &mut progress, &display)).await;
    display.finish_and_clear();
    let mut record = match outcome {
        Ok(Ok(())) => progress.record(dockerfile),
        Ok(Err(bollard::errors::Error::DockerStreamError { error })) => progress.failed(error, dockerfile),
        // The daemon refused the build itself: the learner's Dockerfile or options, a verdict.
        Ok(Err(bollard::errors::Error::DockerResponseServerError { status_code: 400..=499, message })) => progress.failed(message, dockerfile),
        Ok(Err(e)) => return Err(crate::docker::failure("the build stopped: the daemon connection failed", e)),
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

/// The Dockerfile as sent to the builder: after each `FROM`, one `LABEL` with the run's labels
/// (its id and owner), so that every image the builder commits — each step of each stage, not only
/// the final image — carries them and the janitor finds them all by label, also those of a build
/// cut short, or of a run killed before it could sweep.
pub(crate) fn labelled_dockerfile(text: &str, dockerfile: &Dockerfile, labels: &HashMap<String, String>) -> String {
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
    /// The current step is a `FROM`: the image it reports is its base, not the run's.
    from_step: bool,
    image_id: Option<String>,
    log: VecDeque<String>,
}

impl Progress {
    fn line(&mut self, line: &str, janitor: &Janitor) {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("Step ") {
            self.step = rest.split('/').next().and_then(|n| n.trim().parse().ok());
            let instruction = rest.split_once(" : ").map_or("", |(_, instruction)| instruction);
            self.from_step = instruction.split_whitespace().next().is_some_and(|keyword| keyword.eq_ignore_ascii_case("FROM"));
        }
        // ` ---> Running in 9f9aa92b6649`: the step's container. The builder removes it itself,
        // unless the build is cut short (Ctrl-C): then the sweep must, before the image under it.
        if let Some(id) = line.strip_prefix(" ---> Running in ") {
            janitor.container(id.trim());
        }
        // ` ---> 8295d7615a77`: the image the step committed (or took from the run's cache).
        if let Some(id) = line.strip_prefix(" ---> ").filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit())) {
            if !self.from_step {
                janitor.image(id);
            }
        }
        // The builder's own bookkeeping, and the label steps Shipshape adds: after each FROM, and
        // the builder's own for the build's labels at the end (`LABEL shipshape.owner=…`).
        let ours = line.starts_with("Step ") && line.contains(&format!(": LABEL {}", crate::docker::LABEL));
        let bookkeeping = ours || line.starts_with(" ---> ") || line.starts_with("Removing intermediate container");
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
            error: Some(plain_error(&error)),
            failed_instruction: instruction.map(|i| i.text.clone()),
            failed_line: instruction.map(|i| i.line),
            log_tail: self.log.into(),
            ..BuildRecord::default()
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

    #[test]
    fn every_image_but_a_base_goes_to_the_janitor_and_shipshapes_label_steps_are_not_shown() {
        let docker = Docker::connect_with_http("http://127.0.0.1:9", 1, bollard::API_DEFAULT_VERSION).unwrap();
        let janitor = Janitor::new(docker);
        let mut progress = Progress::default();
        let stream = "Step 1/6 : FROM busybox AS b\n ---> 4508f27f6052\nStep 2/6 : LABEL shipshape=\"1\" shipshape.owner=\"h/b/1/2\"\n \
                      ---> Running in 6255c63d1433\n ---> 8295d7615a77\nStep 3/6 : RUN echo hi\n ---> Using cache\n ---> f27c6cfa71a5\n\
                      Step 4/6 : from b\n ---> f27c6cfa71a5\nStep 5/6 : RUN false\n ---> Running in a50cfc2c7c97\nboom\n\
                      Step 6/6 : LABEL shipshape.owner=h/b/1/2\n ---> 98980cb94885\n";
        for line in stream.lines() {
            progress.line(line, &janitor);
        }
        assert_eq!(janitor.recorded_images(), ["8295d7615a77", "f27c6cfa71a5", "98980cb94885"]);
        assert_eq!(progress.log, ["Step 1/6 : FROM busybox AS b", "Step 3/6 : RUN echo hi", "Step 4/6 : from b", "Step 5/6 : RUN false", "boom"]);
    }
}
