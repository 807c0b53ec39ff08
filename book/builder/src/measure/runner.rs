//! The real `shipshape` checker, run for the measurements: the binary ($SHIPSHAPE_BIN, or built
//! with cargo in release mode), the course database (`tests/vulndb`) imported into a temporary
//! folder, and one `shipshape check --format json` per exercise and variant, read as the
//! checker's own [`Report`] type into a [`Sample`].
//!
//! Must hold: every run uses that database and a fresh layer cache, never the user's, and only
//! the image map it is given; a run that could not judge (exit 2), a starter or solution that does
//! not build, or scan counts this reader does not know are an error naming the
//! exercise and what the checker said. Temporary folders go when the [`Checker`] is dropped.

use super::figures::{Database, Findings, Sample};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use shipshape::report::{CheckId, Report};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// The workspace root: this crate lives in `book/builder`.
const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
/// The course's vulnerability database: real advisories, pinned in the repository.
const VULNDB: &str = "tests/vulndb";

/// What of an exercise is measured.
#[derive(Debug, Clone, Copy)]
pub(super) enum Variant {
    Starter,
    Solution,
}

impl Variant {
    pub(super) fn name(self) -> &'static str {
        match self {
            Variant::Starter => "starter",
            Variant::Solution => "solution",
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            Variant::Starter => &[],
            Variant::Solution => &["--solution"],
        }
    }
}

/// The checker with its own database and cache.
pub(super) struct Checker {
    bin: PathBuf,
    image_map: Option<PathBuf>,
    scratch: TempDir,
}

impl Checker {
    /// Finds or builds `shipshape` and imports the course database; builds will go through
    /// `image_map` (an absolute path) when given.
    pub(super) fn start(image_map: Option<&Path>) -> Result<Checker> {
        let scratch = tempfile::Builder::new().prefix("shipshape-measure-").tempdir().context("cannot create a temporary folder for the database")?;
        let checker = Checker { bin: binary()?, image_map: image_map.map(Path::to_path_buf), scratch };
        checker.run(&["db", "import", VULNDB], "import the course database")?;
        Ok(checker)
    }

    /// The imported database's hash and size.
    pub(super) fn database(&self) -> Result<Database> {
        let out = self.run(&["db", "info", "--format", "json"], "describe the database")?;
        let info: Value = serde_json::from_slice(&out.stdout).context("`shipshape db info --format json` did not print JSON")?;
        match (info["hash"].as_str(), info["records"].as_u64()) {
            (Some(hash), Some(records)) => Ok(Database { hash: hash.to_string(), records }),
            _ => bail!("`shipshape db info --format json` printed no `hash` and `records`: {info}"),
        }
    }

    /// Builds and judges `exercise`'s `variant`, and reads the image's size and scan findings.
    pub(super) fn measure(&self, exercise: &Path, variant: Variant) -> Result<Sample> {
        let mut command = self.command();
        command.arg("check").arg(exercise).args(variant.args()).args(["--format", "json"]);
        if let Some(map) = &self.image_map {
            command.arg("--image-map").arg(map);
        }
        let what = format!("the {} of `{}`", variant.name(), exercise.display());
        let out = command.output().with_context(|| format!("cannot run `{}`", self.bin.display()))?;
        if !matches!(out.status.code(), Some(0 | 1)) {
            bail!("`shipshape check` could not judge {what} ({}): {}", out.status, stderr(&out));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let report = Report::from_json(&text).with_context(|| format!("`shipshape check` printed no JSON report for {what}"))?;
        sample(&report).with_context(|| format!("cannot measure {what}"))
    }

    /// Runs `shipshape ARGS`, failing with `purpose` and its stderr unless it exits 0.
    fn run(&self, args: &[&str], purpose: &str) -> Result<Output> {
        let out = self.command().args(args).output().with_context(|| format!("cannot run `{}`", self.bin.display()))?;
        if !out.status.success() {
            bail!("cannot {purpose}: `shipshape {}` failed ({}): {}", args.join(" "), out.status, stderr(&out));
        }
        Ok(out)
    }

    /// `shipshape`, from the workspace root, with this checker's database and cache only.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .current_dir(WORKSPACE)
            .env("NO_COLOR", "1")
            .env("SHIPSHAPE_DB_DIR", self.scratch.path().join("db"))
            .env("SHIPSHAPE_CACHE_DIR", self.scratch.path().join("cache"))
            .env_remove("SHIPSHAPE_IMAGE_MAP");
        command
    }
}

/// $SHIPSHAPE_BIN, or the workspace's `shipshape` built in release mode (measuring reads every
/// layer of every image, which a debug build does slowly).
fn binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("SHIPSHAPE_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = ["build", "--release", "--quiet", "-p", "shipshape", "--bin", "shipshape"];
    let status = Command::new(&cargo)
        .current_dir(WORKSPACE)
        .args(args)
        .status()
        .with_context(|| format!("cannot run `{}` to build shipshape", cargo.to_string_lossy()))?;
    if !status.success() {
        bail!("`cargo {}` failed; set SHIPSHAPE_BIN to a built `shipshape` to measure with it", args.join(" "));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| OsStr::new("target").into());
    Ok(Path::new(WORKSPACE).join(target).join("release/shipshape"))
}

/// The size and findings in a report.
fn sample(report: &Report) -> Result<Sample> {
    let Some(image) = &report.image else {
        let builds = report.checks.iter().find(|check| check.id == CheckId::Builds);
        bail!("it did not build: {}", builds.map_or("no image", |check| check.summary.as_str()));
    };
    let findings = report.scan.as_ref().map(|scan| findings(&scan.by_severity)).transpose()?;
    Ok(Sample { size: image.size, findings })
}

/// Findings by severity from the report's `scan.by_severity`.
fn findings(by_severity: &BTreeMap<String, usize>) -> Result<Findings> {
    let mut findings = Findings::default();
    for (severity, &count) in by_severity {
        findings.add(severity, count as u64).ok_or_else(|| anyhow::anyhow!("unknown severity `{severity}` in scan.by_severity"))?;
    }
    Ok(findings)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report as `shipshape check --format json` prints it, with `image`, `scan` and `checks`.
    fn report(image: &str, scan: &str, checks: &str) -> Report {
        let text =
            format!(r#"{{ "schema_version": 1, "image": {image}, {scan} "checks": [{checks}], "passed": false, "points": {{ "earned": 0, "possible": 1 }} }}"#);
        Report::from_json(&text).unwrap()
    }

    const IMAGE: &str = r#"{ "id": "sha256:ab", "size": 1880000, "user": "65532", "layers": 2, "cached_layers": 0 }"#;

    fn scan(by_severity: &str) -> String {
        format!(r#""scan": {{ "scanner": "shipshape", "database": null, "os": null, "packages": 3, "findings": 1, "by_severity": {by_severity} }},"#)
    }

    #[test]
    fn findings_come_from_the_scan_counts() {
        let expected = Findings { critical: 4, low: 2, ..Findings::default() };
        assert_eq!(sample(&report(IMAGE, &scan(r#"{ "CRITICAL": 4, "LOW": 2 }"#), "")).unwrap().findings, Some(expected));
        let odd = report(IMAGE, &scan(r#"{ "SEVERE": 1 }"#), "");
        assert!(sample(&odd).unwrap_err().to_string().contains("SEVERE"));
    }

    #[test]
    fn a_report_without_an_image_names_the_build_failure() {
        let builds = r#"{ "id": "builds", "status": "fail", "severity": "error", "weight": 1, "summary": "RUN npm ci failed at Dockerfile:4", "evidence": [], "hint": null, "doc": "checks/builds.html" }"#;
        let error = sample(&report("null", "", builds)).unwrap_err();
        assert_eq!(error.to_string(), "it did not build: RUN npm ci failed at Dockerfile:4");
        let sample = sample(&report(IMAGE, &scan(r#"{ "LOW": 1 }"#), "")).unwrap();
        assert_eq!((sample.size, sample.findings.unwrap().low), (1_880_000, 1));
    }
}
