//! The supply-chain formats (issue 14) from real images, each validated against its format's
//! published JSON schema (tests/schemas, with their provenance) and read back for what it must
//! say. SBOMs: `shipshape sbom` of an exercise's build, of an image in the daemon and of an
//! archive, and `check --sbom` — each package's purl, its license, and the layer and Dockerfile
//! line that added it. SARIF: `check --format sarif` — the failed checks and the scan's findings
//! at the learner's lines.
use std::path::Path;

use jsonschema::{Registry, Validator};
use serde_json::Value;
use shipshape_course_tests::*;

/// The exercise whose starter installs npm packages (lodash, minimist) on a Debian base.
const NODE_STARTER: &str = "exercises/08-scan-node-deps";

/// The base that starter had before the course moved to Debian 13, and the one it has now.
const OLD_NODE_BASE: &str = "FROM node:20-bookworm-slim";
const NODE_STARTER_BASE: &str = "FROM node:24-trixie-slim";

/// That starter on its old Debian 12 base, whose packages carry findings the course's database
/// has (expat, perl), written to `dir`: the path of the Dockerfile, for `check --dockerfile`.
fn node_starter_on_the_old_base(dir: &Scratch) -> String {
    let starter = std::fs::read_to_string(root().join(NODE_STARTER).join("Dockerfile")).unwrap();
    assert!(starter.lines().any(|line| line == NODE_STARTER_BASE), "the starter starts {NODE_STARTER_BASE}:\n{starter}");
    let file = dir.dir.join("Dockerfile.bookworm");
    std::fs::write(&file, starter.replace(NODE_STARTER_BASE, OLD_NODE_BASE)).unwrap();
    file.display().to_string()
}

fn schema(file: &str) -> Value {
    let path = root().join("tests/schemas").join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn cyclonedx_validator() -> Validator {
    let registry = Registry::new()
        .add("http://cyclonedx.org/schema/spdx.schema.json", schema("spdx.schema.json"))
        .and_then(|registry| registry.add("http://cyclonedx.org/schema/jsf-0.82.schema.json", schema("jsf-0.82.schema.json")))
        .and_then(|registry| registry.prepare())
        .expect("the CycloneDX schemas load");
    jsonschema::options().with_registry(&registry).build(&schema("bom-1.6.schema.json")).expect("bom-1.6 is a valid schema")
}

fn spdx_validator() -> Validator {
    jsonschema::validator_for(&schema("spdx-2.3.schema.json")).expect("the SPDX 2.3 schema is valid")
}

/// Fails with every schema violation of `document` listed.
fn assert_valid(validator: &Validator, document: &Value, what: &str) {
    let errors: Vec<String> = validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path())).take(20).collect();
    assert!(errors.is_empty(), "{what} does not validate against its schema:\n{}", errors.join("\n"));
}

/// Runs `shipshape ARGS --output FILE` and reads the document it wrote.
fn sbom(args: &[&str], format: &str) -> Value {
    let scratch = scratch();
    let file = scratch.path(&format!("sbom.{format}.json"));
    let mut all = args.to_vec();
    all.extend(["--format", format, "--output", &file]);
    let output = shipshape(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

/// A folder of its own for one test's files, removed when dropped.
fn scratch() -> Scratch {
    Scratch::new(&format!("supply-chain-{}", nonce()), &[])
}

fn property<'a>(component: &'a Value, name: &str) -> Option<&'a str> {
    component["properties"].as_array()?.iter().find(|p| p["name"] == name)?["value"].as_str()
}

fn component<'a>(document: &'a Value, name: &str) -> &'a Value {
    document["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no {name} in the SBOM"))
}

#[test]
fn an_exercise_build_is_described_in_both_formats_with_its_lines() {
    let Some(_docker) = docker_lock() else { return };
    let map = image_map().display().to_string();
    let cyclonedx = sbom(&["sbom", NODE_STARTER, "--image-map", &map], "cyclonedx");
    assert_valid(&cyclonedx_validator(), &cyclonedx, "the CycloneDX SBOM");
    assert_eq!(cyclonedx["metadata"]["component"]["type"], "container");
    let lodash = component(&cyclonedx, "lodash");
    assert_eq!(lodash["purl"], "pkg:npm/lodash@4.17.20");
    assert_eq!(lodash["licenses"][0]["license"]["id"], "MIT");
    assert_eq!(property(lodash, "shipshape:dockerfile-line"), Some("10"), "{lodash:#}");
    assert_eq!(property(lodash, "shipshape:location"), Some("/app/node_modules/lodash/package.json"));
    let zlib = component(&cyclonedx, "zlib1g");
    assert!(zlib["purl"].as_str().unwrap().starts_with("pkg:deb/debian/zlib1g@1:1.3.dfsg%2Breally1.3.1-1%2Bdeb13u1?arch=amd64&distro=debian-13"), "{zlib:#}");
    assert_eq!(zlib["licenses"][0]["license"]["id"], "Zlib", "Debian's copyright file names it");
    assert_eq!(property(zlib, "shipshape:layer"), Some("0"));
    let os = component(&cyclonedx, "debian");
    assert_eq!((os["type"].as_str(), os["version"].as_str()), (Some("operating-system"), Some("13")));

    let spdx = sbom(&["sbom", NODE_STARTER, "--image-map", &map], "spdx");
    assert_valid(&spdx_validator(), &spdx, "the SPDX SBOM");
    let packages = spdx["packages"].as_array().unwrap();
    let libraries = cyclonedx["components"].as_array().unwrap().iter().filter(|c| c["type"] == "library").count();
    assert_eq!(packages.len(), libraries + 1, "the image and every library");
    assert_eq!(spdx["relationships"].as_array().unwrap().len(), packages.len(), "DESCRIBES the image, which CONTAINS each package");
    let lodash = packages.iter().find(|p| p["name"] == "lodash").unwrap();
    assert_eq!(lodash["licenseDeclared"], "MIT");
    assert_eq!(lodash["externalRefs"][0]["referenceLocator"], "pkg:npm/lodash@4.17.20");
    assert!(lodash["sourceInfo"].as_str().unwrap().contains("Dockerfile line 10: RUN npm ci"), "{lodash:#}");
    let referenced: Vec<&str> =
        packages.iter().filter_map(|p| p["licenseDeclared"].as_str()).flat_map(|l| l.split(' ')).filter(|t| t.starts_with("LicenseRef-")).collect();
    let defined: Vec<&str> = spdx["hasExtractedLicensingInfos"].as_array().unwrap().iter().filter_map(|l| l["licenseId"].as_str()).collect();
    assert!(!referenced.is_empty() && referenced.iter().all(|r| defined.contains(r)), "every LicenseRef is defined");
}

#[test]
fn an_archive_and_a_daemon_image_give_the_same_components() {
    let Some(_docker) = docker_lock() else { return };
    let dir = scratch();
    let archive = dir.dir.join("python.tar");
    let saved =
        std::process::Command::new("docker").args(["save", "-o"]).arg(&archive).arg("shipshape.test/distroless/python3-debian12:nonroot").status().unwrap();
    assert!(saved.success());
    let from_archive = sbom(&["sbom", "--archive", &archive.display().to_string()], "cyclonedx");
    let from_daemon = sbom(&["sbom", "--image", "shipshape.test/distroless/python3-debian12:nonroot"], "cyclonedx");
    assert_valid(&cyclonedx_validator(), &from_archive, "the archive's SBOM");
    let purls = |document: &Value| document["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str().map(str::to_string)).collect::<Vec<_>>();
    assert!(purls(&from_archive).iter().any(|p| p.starts_with("pkg:deb/debian/python3.11-minimal@")), "{:?}", purls(&from_archive));
    assert_eq!(purls(&from_archive), purls(&from_daemon));
    assert_eq!(from_archive["metadata"]["component"]["version"], from_daemon["metadata"]["component"]["version"], "the same image id");
}

#[test]
fn check_writes_the_sbom_beside_its_report() {
    let Some(_docker) = docker_lock() else { return };
    let dir = scratch();
    let file = dir.dir.join("go.spdx.json");
    let map = image_map().display().to_string();
    let output =
        shipshape(&["check", "exercises/03-go-distroless", "--solution", "--image-map", &map, "--sbom", &file.display().to_string(), "--sbom-format", "spdx"]);
    assert_eq!(output.status.code(), Some(0), "the reference solution passes\n{}", stdout(&output));
    let spdx: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_valid(&spdx_validator(), &spdx, "check's SPDX SBOM");
    let stdlib = spdx["packages"].as_array().unwrap().iter().find(|p| p["name"] == "stdlib").expect("the Go binary's standard library is listed");
    assert!(stdlib["externalRefs"][0]["referenceLocator"].as_str().unwrap().starts_with("pkg:golang/stdlib@1."), "{stdlib:#}");
    assert!(stdlib["sourceInfo"].as_str().unwrap().contains("COPY"), "the binary came from the solution's COPY: {stdlib:#}");
    assert!(Path::new(&file).exists());
}

#[test]
fn a_failing_check_as_sarif_points_at_the_learners_lines() {
    let Some(_docker) = docker_lock() else { return };
    let map = image_map().display().to_string();
    let output = shipshape(&["check", NODE_STARTER, "--image-map", &map, "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1), "the starter fails\n{}", stderr(&output));
    let log: Value = serde_json::from_str(&stdout(&output)).expect("the SARIF log is JSON");
    assert_valid(&jsonschema::validator_for(&schema("sarif-2.1.0.schema.json")).unwrap(), &log, "the SARIF log");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let at = |result: &Value| result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64();
    let lodash = results.iter().find(|r| r["message"]["text"].as_str().unwrap().contains("lodash")).expect("the lodash finding");
    assert_eq!((lodash["ruleId"].as_str(), lodash["level"].as_str(), at(lodash)), (Some("scan"), Some("error"), Some(10)), "{lodash:#}");
    assert_eq!(lodash["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], format!("{NODE_STARTER}/Dockerfile"));

    let dir = scratch();
    let old_base = node_starter_on_the_old_base(&dir);
    let output = shipshape(&["check", NODE_STARTER, "--dockerfile", &old_base, "--image-map", &map, "--format", "sarif"]);
    let log: Value = serde_json::from_str(&stdout(&output)).expect("the SARIF log is JSON");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let from_line = std::fs::read_to_string(&old_base).unwrap().lines().position(|line| line == OLD_NODE_BASE).unwrap() as u64 + 1;
    let expat = results.iter().find(|r| r["message"]["text"].as_str().unwrap().contains("expat")).expect("a finding from the base");
    assert_eq!(at(expat), Some(from_line), "a base finding points at the FROM line: {expat:#}");
}

/// The scan finding of `id` in a JSON report.
fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    let evidence = check_of(report, "scan")["evidence"].as_array().unwrap();
    &evidence.iter().find(|e| e["finding"]["id"] == id).unwrap_or_else(|| panic!("no finding {id}"))["finding"]
}

#[test]
fn openvex_statements_silence_their_findings_within_their_products_and_dates() {
    let Some(_docker) = docker_lock() else { return };
    let dir = scratch();
    let vex = dir.dir.join("triage.vex.json");
    let statements = r#"[
        {"vulnerability": {"name": "GHSA-35jh-r3h4-6jhm"}, "products": [{"@id": "pkg:oci/harbour", "subcomponents": [{"@id": "pkg:npm/lodash"}]}],
         "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "impact_statement": "template() is never called", "expires": "2099-12-31"},
        {"vulnerability": {"name": "GHSA-xvch-5gv4-984h"}, "products": ["pkg:npm/some-other-package"], "status": "fixed"},
        {"vulnerability": {"name": "CVE-2025-59375"}, "status": "not_affected", "justification": "component_not_present", "expires": "2026-01-01"},
        {"vulnerability": {"name": "CVE-2026-57433"}, "status": "affected", "action_statement": "rebuild on the next base"}
    ]"#;
    let document = format!(
        r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/harbour-1", "author": "test", "timestamp": "2026-12-01T00:00:00Z", "version": 1, "statements": {statements}}}"#
    );
    std::fs::write(&vex, document).unwrap();
    let map = image_map().display().to_string();
    let old_base = node_starter_on_the_old_base(&dir);
    let output =
        shipshape(&["check", NODE_STARTER, "--dockerfile", &old_base, "--image-map", &map, "--vex-file", &vex.display().to_string(), "--format", "json"]);
    let report = report(&output);
    assert_eq!(output.status.code(), Some(1), "the other findings still block\n{report:#}");
    let lodash = finding(&report, "GHSA-35jh-r3h4-6jhm");
    assert_eq!(lodash["disposition"], "ignored", "{lodash:#}");
    assert_eq!(lodash["ignore"]["statement"], "VEX https://example.com/vex/harbour-1, statement 1 (not_affected)");
    assert_eq!(lodash["ignore"]["reason"], "vulnerable_code_not_in_execute_path: template() is never called");
    assert_eq!(finding(&report, "GHSA-xvch-5gv4-984h")["disposition"], "failing", "a statement about another package silences nothing");
    let expat = finding(&report, "DEBIAN-CVE-2025-59375");
    assert_eq!(expat["disposition"], "expired-ignore", "an expired statement counts again: {expat:#}");
    assert_eq!(finding(&report, "DEBIAN-CVE-2026-57433")["disposition"], "failing", "affected leaves it counting");

    std::fs::write(&vex, r#"{"statements": [{"vulnerability": {"name": "CVE-1"}, "status": "not_affected"}]}"#).unwrap();
    let refused = shipshape(&["check", NODE_STARTER, "--image-map", &map, "--vex-file", &vex.display().to_string()]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("statement 1: not_affected needs a justification or an impact_statement"), "{}", stderr(&refused));
}
