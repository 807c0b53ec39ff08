//! SPDX 2.3 JSON: the document DESCRIBES the image (a package of purpose CONTAINER), which
//! CONTAINS every package, each with its purl as a PACKAGE-MANAGER reference, its declared
//! license, and where it came from (layer, Dockerfile line, file) in `sourceInfo`.
//!
//! What must hold: the document validates against the SPDX 2.3 schema; every SPDXID is unique;
//! `licenseDeclared` is a valid SPDX expression: licenses that are not SPDX are `LicenseRef-`s,
//! each defined once in `hasExtractedLicensingInfos` with the package's own words.
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::license::{license_ref, License};
use super::{tool_version, Component, Sbom};

const IMAGE_ID: &str = "SPDXRef-Image";

pub(super) fn document(sbom: &Sbom) -> Value {
    let mut extracted = BTreeMap::new();
    let mut packages = vec![json!({
        "SPDXID": IMAGE_ID,
        "name": sbom.name,
        "versionInfo": sbom.image_id,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
    })];
    let mut relationships = vec![json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": IMAGE_ID})];
    for (index, component) in sbom.components.iter().enumerate() {
        let id = format!("SPDXRef-Package-{index}");
        packages.push(package(&id, component, &mut extracted));
        relationships.push(json!({"spdxElementId": IMAGE_ID, "relationshipType": "CONTAINS", "relatedSpdxElement": id}));
    }
    let mut document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": sbom.name,
        "documentNamespace": format!("https://shipshape.invalid/sbom/{}/{}", sbom.image_id.trim_start_matches("sha256:"), uuid::Uuid::new_v4()),
        "creationInfo": {"created": sbom.created, "creators": [format!("Tool: shipshape-{}", tool_version())]},
        "packages": packages,
        "relationships": relationships,
    });
    if !extracted.is_empty() {
        document["hasExtractedLicensingInfos"] = extracted
            .into_iter()
            .map(|(id, name)| json!({"licenseId": id, "name": name, "extractedText": format!("The package's metadata names this license `{name}`.")}))
            .collect();
    }
    document
}

fn package(id: &str, component: &Component, extracted: &mut BTreeMap<String, String>) -> Value {
    let package = &component.package;
    json!({
        "SPDXID": id,
        "name": package.name,
        "versionInfo": package.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": declared(&package.licenses, extracted),
        "copyrightText": "NOASSERTION",
        "sourceInfo": format!("added by {}", component.provenance()),
        "primaryPackagePurpose": "LIBRARY",
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": component.purl}],
    })
}

/// Every stated license, ANDed (Debian lists one per group of files); names that are not SPDX
/// become `LicenseRef-`s recorded in `extracted`.
fn declared(stated: &[String], extracted: &mut BTreeMap<String, String>) -> String {
    let terms: Vec<String> = stated
        .iter()
        .map(|license| match License::read(license) {
            License::Id(id) => id,
            License::Expression(expression) if stated.len() == 1 => expression,
            License::Expression(expression) => format!("({expression})"),
            License::Named(name) => {
                let id = license_ref(&name);
                extracted.insert(id.clone(), name);
                id
            }
        })
        .collect();
    if terms.is_empty() {
        "NOASSERTION".to_string()
    } else {
        terms.join(" AND ")
    }
}
