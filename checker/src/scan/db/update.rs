//! Updating the database from OSV's bulk exports: `{base_url}/{Ecosystem}/all.zip`.
//!
//! What must hold: every archive is downloaded (streamed to a temporary file in the database
//! folder, never held in memory whole) and read before anything is written, so a failed download,
//! an HTTP status other than 200 or a damaged archive leaves the database as it was; then every
//! record affecting an updated ecosystem is replaced by the export's (which holds each such record
//! whole, other ecosystems' entries included), and the other records are kept.
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use tempfile::NamedTempFile;

use super::import::{ImportReport, Merge};
use crate::error::{Context, Error, Result};

/// Where OSV publishes its exports.
pub(crate) const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// OSV's bulk folder names of the ecosystems Shipshape scans (as `Ecosystem::bulk_name` gives).
pub(crate) const BULK_ECOSYSTEMS: [&str; 5] = ["Debian", "npm", "PyPI", "Go", "Alpine"];

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for the response to start, and then for each part of the body.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// One archive fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Download {
    pub ecosystem: &'static str,
    pub url: String,
    pub bytes: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct UpdateReport {
    pub downloads: Vec<Download>,
    pub import: ImportReport,
}

/// The bulk name for `name`, case-insensitively (`pypi` is `PyPI`).
pub(crate) fn bulk_name(name: &str) -> Result<&'static str> {
    BULK_ECOSYSTEMS
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .ok_or_else(|| Error::new(format!("unknown ecosystem `{name}`")).action(format!("use one of: {}", BULK_ECOSYSTEMS.join(", "))))
}

/// Downloads the exports of `ecosystems` (bulk names) from `base_url` and replaces their records
/// in the database in `dir`; `progress` hears of each download before it starts.
pub(crate) fn update(dir: &Path, base_url: &str, ecosystems: &[&'static str], mut progress: impl FnMut(&str)) -> Result<UpdateReport> {
    std::fs::create_dir_all(dir).context(|| format!("cannot create the database folder {}", dir.display()))?;
    let agent = agent();
    let mut fetched = Vec::new();
    for &ecosystem in ecosystems {
        let url = format!("{}/{ecosystem}/all.zip", base_url.trim_end_matches('/'));
        progress(&url);
        let file = download(&agent, &url, dir)?;
        let bytes = file.as_file().metadata().map(|m| m.len()).unwrap_or_default();
        fetched.push((Download { ecosystem, url, bytes }, file));
    }
    let mut merge = Merge::existing(dir);
    // An export holds every record affecting its ecosystem, complete: it replaces them all.
    merge.drop_records(|affected| ecosystems.contains(&affected.ecosystem.bulk_name()));
    for (download, file) in &fetched {
        merge.zip(file.as_file(), &download.url)?;
    }
    let import = merge.save(dir)?;
    Ok(UpdateReport { downloads: fetched.into_iter().map(|(download, _)| download).collect(), import })
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(RECEIVE_TIMEOUT))
        .timeout_recv_body(Some(RECEIVE_TIMEOUT))
        .user_agent(concat!("shipshape/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// Streams `url` into a temporary file in `dir` (removed when dropped).
fn download(agent: &ureq::Agent, url: &str, dir: &Path) -> Result<NamedTempFile> {
    let unreachable = |cause: &dyn std::fmt::Display| {
        Error::new(format!("cannot download {url}")).because(cause).action("check the network, or import the files instead with `shipshape db import FILE|DIR`")
    };
    let response = agent.get(url).call().map_err(|e| unreachable(&e))?;
    let status = response.status();
    if status != 200 {
        return Err(Error::new(format!("cannot download {url}"))
            .because(format!("the server answered {status}"))
            .action("check --base-url: OSV's layout is BASE/<Ecosystem>/all.zip"));
    }
    let mut file = tempfile::Builder::new()
        .prefix(".download-")
        .suffix(".zip")
        .tempfile_in(dir)
        .context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    std::io::copy(&mut response.into_body().into_reader(), &mut file).map_err(|e| unreachable(&e))?;
    file.flush().context(|| format!("cannot write the download of {url}"))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::ecosystem::Ecosystem;

    #[test]
    fn bulk_names_are_the_ecosystems_own() {
        let ecosystems = [Ecosystem::Debian("12".into()), Ecosystem::Npm, Ecosystem::PyPI, Ecosystem::Go, Ecosystem::Alpine("v3.18".into())];
        assert_eq!(ecosystems.map(|e| e.bulk_name()), BULK_ECOSYSTEMS);
        assert_eq!(bulk_name("pypi").unwrap(), "PyPI");
        assert!(bulk_name("crates.io").unwrap_err().to_string().contains("Debian, npm, PyPI, Go, Alpine"));
    }
}
