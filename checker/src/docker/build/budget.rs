//! The size budget of a built image: an image larger than Shipshape reads is never streamed
//! (`docker save` of many gigabytes would take minutes and the grader's disk for the layer
//! cache). Its build is a failed `builds` that names the image's size and the step that added the
//! most, at the learner's line when the step is the learner's.
//!
//! What must hold: the size is the daemon's own answer (inspect), asked before a byte of the image
//! is read; the image stays registered with the janitor, which removes it as any other.
use bollard::Docker;

use super::Limits;
use crate::attribution::history_lines;
use crate::docker::failure;
use crate::dockerfile::Dockerfile;
use crate::error::Result;
use crate::image::config::HistoryEntry;
use crate::record::BuildRecord;
use crate::units::format_size;

/// `record` as it is when its image is within `limits.image_bytes`; otherwise a failed build
/// whose image is not to be read.
pub(crate) async fn within_budget(docker: &Docker, mut record: BuildRecord, dockerfile: &Dockerfile, limits: &Limits) -> Result<BuildRecord> {
    let Some(id) = record.image_id.clone() else { return Ok(record) };
    let inspected = docker.inspect_image(&id).await.map_err(|e| failure(format!("cannot inspect the image built, {id}"), e))?;
    let size = inspected.size.and_then(|bytes| u64::try_from(bytes).ok()).unwrap_or(0);
    if size <= limits.image_bytes {
        return Ok(record);
    }
    let history = docker.image_history(&id).await.map_err(|e| failure(format!("cannot read the history of the image built, {id}"), e))?;
    // The daemon lists the newest step first; the config's history, which attribution aligns, is oldest first.
    let (steps, sizes): (Vec<HistoryEntry>, Vec<u64>) = history
        .into_iter()
        .rev()
        .map(|step| (HistoryEntry { created_by: step.created_by, empty_layer: step.size == 0 }, u64::try_from(step.size).unwrap_or(0)))
        .unzip();
    record.image_id = None;
    let over = format!("the image is {}, over the {} Shipshape reads of a built image", format_size(size), format_size(limits.image_bytes));
    record.error = Some(match (0..steps.len()).max_by_key(|&index| sizes[index]) {
        Some(largest) => blame(&mut record, &steps, largest, dockerfile, &format!("{over}; its largest step added {}", format_size(sizes[largest]))),
        None => over,
    });
    Ok(record)
}

/// `error` with the step at `largest` named: as the learner's line in `record` when the
/// Dockerfile made it, else as the base image's own step.
fn blame(record: &mut BuildRecord, steps: &[HistoryEntry], largest: usize, dockerfile: &Dockerfile, error: &str) -> String {
    let line = history_lines(steps, dockerfile)[largest];
    match line.and_then(|line| dockerfile.instruction_at(line)) {
        Some(instruction) => {
            record.failed_line = Some(instruction.line);
            record.failed_instruction = Some(instruction.text.clone());
            error.to_string()
        }
        None => format!("{error}, in the base image: {}", steps[largest].instruction()),
    }
}
