//! A course's images in and out of the daemon: whether one is present, pulling one (reporting
//! progress as the daemon sends it), saving several into one archive, loading one back.
//!
//! What must hold: archives stream between the daemon and the file and are never held in memory;
//! a save that does not finish leaves no file behind; nothing here tags an image (a pulled image
//! keeps the name it was pulled by). These images are kept on purpose: they carry no Shipshape
//! label and the janitor never sees them.
use std::path::Path;

use bollard::models::CreateImageInfo;
use bollard::query_parameters::{CreateImageOptionsBuilder, ImportImageOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::{failure, is_not_found};
use crate::error::{Context, Error, Result};

/// The image's id when the daemon has `reference`, `None` when it does not.
pub(crate) async fn image_id(docker: &Docker, reference: &str) -> Result<Option<String>> {
    match docker.inspect_image(reference).await {
        Ok(image) => Ok(Some(image.id.unwrap_or_default())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(failure(format!("cannot ask the daemon about image {reference}"), e)),
    }
}

/// Pulls `reference`, handing every progress message to `progress`; the error is the daemon's
/// own words (unreachable registry, unknown image, ...).
pub(crate) async fn pull(docker: &Docker, reference: &str, mut progress: impl FnMut(&CreateImageInfo)) -> Result<(), String> {
    let options = CreateImageOptionsBuilder::default().from_image(reference).build();
    let mut stream = docker.create_image(Some(options), None, None);
    while let Some(message) = stream.next().await {
        progress(&message.map_err(|e| daemon_words(&e))?);
    }
    Ok(())
}

/// Streams `docker save` of `names` into `path` (through a hidden file beside it, renamed into
/// place when complete), calling `progress` with the bytes written so far; returns the size.
pub(crate) async fn save(docker: &Docker, names: &[String], path: &Path, mut progress: impl FnMut(u64)) -> Result<u64> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let partial = tempfile::Builder::new()
        .prefix(".shipshape-save-")
        .suffix(".partial")
        // As `docker save > FILE` would make it (a temporary file is the owner's alone).
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(|e| cannot_write(path, e))?;
    let mut file = tokio::fs::File::from_std(partial.reopen().map_err(|e| cannot_write(path, e))?);
    let references: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut stream = docker.export_images(&references);
    let mut written = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| failure("the daemon stopped sending the images", e))?;
        file.write_all(&chunk).await.map_err(|e| cannot_write(path, e))?;
        written += chunk.len() as u64;
        progress(written);
    }
    file.sync_all().await.map_err(|e| cannot_write(path, e))?;
    partial.persist(path).map_err(|e| cannot_write(path, e.error))?;
    Ok(written)
}

/// Streams the archive at `path` into the daemon; returns what arrived, as the daemon names it
/// (a tag, or `sha256:...` for an image saved without one).
pub(crate) async fn load(docker: &Docker, path: &Path) -> Result<Vec<String>> {
    let file = tokio::fs::File::open(path).await.context(|| format!("cannot read {}", path.display()))?;
    let options = ImportImageOptionsBuilder::default().quiet(true).build();
    let mut stream = docker.import_image_stream(options, ReaderStream::new(file), None);
    let mut arrived = Vec::new();
    while let Some(message) = stream.next().await {
        let message = message.map_err(|e| refused(path, e))?;
        arrived.extend(message.stream.as_deref().and_then(loaded_name));
    }
    Ok(arrived)
}

/// `Loaded image: x:1` or `Loaded image ID: sha256:...` → the name or id.
fn loaded_name(line: &str) -> Option<String> {
    let line = line.trim();
    let name = line.strip_prefix("Loaded image ID:").or_else(|| line.strip_prefix("Loaded image:"))?;
    Some(name.trim().to_string())
}

/// The daemon's message without bollard's wrapping ("Docker responded with status code 500: ").
fn daemon_words(error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.trim().to_string(),
        bollard::errors::Error::DockerStreamError { error } => error.trim().to_string(),
        other => other.to_string(),
    }
}

/// The daemon's answer means a bad archive; anything else, a broken connection.
fn refused(path: &Path, error: bollard::errors::Error) -> Error {
    use bollard::errors::Error::{DockerResponseServerError, DockerStreamError};
    if !matches!(error, DockerResponseServerError { .. } | DockerStreamError { .. }) {
        return failure(format!("loading {} stopped: the daemon connection failed", path.display()), error);
    }
    Error::new(format!("cannot load {}: the daemon refused the archive", path.display())).because(daemon_words(&error)).action(
        "the file is damaged or incomplete: copy it again (its size should match what `shipshape images save` \
             printed), or make a new one with `shipshape images save FILE`",
    )
}

fn cannot_write(path: &Path, cause: impl std::fmt::Display) -> Error {
    Error::new(format!("cannot write {}", path.display()))
        .because(cause)
        .action("check that the folder exists, is writable and has room for the images (`df -h`), then try again")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_load_reports() {
        assert_eq!(loaded_name("Loaded image: shipshape.test/busybox:latest\n").as_deref(), Some("shipshape.test/busybox:latest"));
        assert_eq!(loaded_name("Loaded image ID: sha256:abc\n").as_deref(), Some("sha256:abc"));
        assert_eq!(loaded_name("Loading layer 1/3"), None);
    }
}
