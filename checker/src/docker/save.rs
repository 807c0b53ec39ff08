//! Reads an image's facts from the daemon by streaming `docker save` through the archive reader:
//! one pass, nothing written to disk, no layer held in memory.
//!
//! The download runs as its own task a few megabytes ahead of the parser, so the daemon never
//! waits for the parser and the parser seldom waits for the daemon: the two use a core each.
use bollard::models::ImageInspect;
use bollard::Docker;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::error::{Error, Result};
use crate::image::archive::{read_archive, ReadPlan};
use crate::image::ImageFacts;

/// Chunks buffered between the download and the parser (the daemon sends ~32 kB chunks).
const AHEAD: usize = 256;

/// The image's facts: from the layer cache when every layer and the config are there (no stream
/// at all), else from one pass over `docker save`, which fills the cache.
pub(crate) async fn image_facts(docker: &Docker, image: &str, plan: &ReadPlan) -> Result<ImageFacts> {
    let inspected = docker.inspect_image(image).await.ok();
    if let Some(facts) = inspected.as_ref().and_then(|inspected| cached(inspected, plan)) {
        return Ok(facts);
    }
    let layers = inspected.as_ref().and_then(|i| i.root_fs.as_ref()?.layers.as_ref().map(Vec::len));
    let bytes = inspected.as_ref().and_then(|i| u64::try_from(i.size?).ok());
    plan.status.reading(layers, bytes);
    let reader = SyncIoBridge::new(StreamReader::new(prefetched(docker.clone(), image.to_string())));
    let plan = plan.clone();
    let facts = tokio::task::spawn_blocking(move || read_archive(reader, None, &plan))
        .await
        .map_err(|e| Error::new("reading the image stopped unexpectedly").because(e))?;
    facts.map_err(|cause| {
        Error::new(format!("cannot read image {image} from the daemon"))
            .because(cause)
            .action("check the daemon is healthy (`docker save IMAGE > /dev/null` should work), then try again")
    })
}

fn cached(inspected: &ImageInspect, plan: &ReadPlan) -> Option<ImageFacts> {
    let id = inspected.id.clone()?;
    let config = plan.cache.config(&id)?;
    let layers = inspected.root_fs.as_ref()?.layers.as_ref()?.iter().map(|diff_id| plan.cached_layer(diff_id)).collect::<Option<Vec<_>>>()?;
    let mut facts = ImageFacts::assemble(id, &config, layers).ok()?;
    facts.cached_layers = facts.layers.len();
    Some(facts)
}

/// The `docker save` stream, downloaded by its own task into a bounded queue.
fn prefetched(docker: Docker, image: String) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Unpin {
    let (sender, receiver) = mpsc::channel(AHEAD);
    tokio::spawn(async move {
        let mut stream = docker.export_image(&image).map_err(std::io::Error::other);
        while let Some(chunk) = stream.next().await {
            if sender.send(chunk).await.is_err() {
                break; // the parser stopped: nothing more to read
            }
        }
    });
    Box::pin(futures_util::stream::unfold(receiver, |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) }))
}
