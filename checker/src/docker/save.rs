//! Reads an image's facts from the daemon by streaming `docker save` through the archive reader:
//! one pass, nothing written to disk, no layer held in memory.
use bollard::Docker;
use futures_util::TryStreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::error::{Error, Result};
use crate::image::archive::read_archive;
use crate::image::ImageFacts;

pub async fn image_facts(docker: &Docker, image: &str) -> Result<ImageFacts> {
    let stream = docker.export_image(image).map_err(std::io::Error::other);
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let facts = tokio::task::spawn_blocking(move || read_archive(reader, None))
        .await
        .map_err(|e| Error::new("reading the image stopped unexpectedly").because(e))?;
    facts.map_err(|cause| {
        Error::new(format!("cannot read image {image} from the daemon"))
            .because(cause)
            .action("check the daemon is healthy (`docker save IMAGE > /dev/null` should work), then try again")
    })
}
