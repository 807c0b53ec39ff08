//! CycloneDX 1.6 JSON: the image is the BOM's `metadata.component` (type `container`), the OS an
//! `operating-system` component, every package a `library` with its purl and licenses; where each
//! came from is in `shipshape:` properties (layer, Dockerfile line, instruction, file).
//!
//! What must hold: the document validates against bom-1.6.schema.json; `licenses` is either
//! license entries or one expression, as the schema requires; every `bom-ref` is unique.
use serde_json::{json, Value};

use super::license::License;
use super::{tool_version, Component, Sbom};

pub(super) fn document(sbom: &Sbom) -> Value {
    let image_ref = "image";
    let mut components: Vec<Value> = sbom
        .os
        .iter()
        .map(|os| json!({"bom-ref": "os", "type": "operating-system", "name": os.id, "version": os.version_id, "description": os.pretty_name}))
        .collect();
    components.extend(sbom.components.iter().enumerate().map(|(index, component)| library(index, component)));
    let refs: Vec<&Value> = components.iter().map(|c| &c["bom-ref"]).collect();
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "version": 1,
        "metadata": {
            "timestamp": sbom.created,
            "tools": {"components": [{"type": "application", "name": "shipshape", "version": tool_version()}]},
            "component": {"bom-ref": image_ref, "type": "container", "name": sbom.name, "version": sbom.image_id},
        },
        "components": components,
        "dependencies": [{"ref": image_ref, "dependsOn": refs}],
    })
}

/// A package as a CycloneDX library; its `bom-ref` is its purl with its place in the list (the
/// same package can be read from two files).
fn library(index: usize, component: &Component) -> Value {
    let package = &component.package;
    let mut properties =
        vec![property("shipshape:layer", component.origin.layer.to_string()), property("shipshape:location", format!("/{}", package.location))];
    if let Some(line) = component.origin.line {
        properties.push(property("shipshape:dockerfile-line", line.to_string()));
    }
    if let Some(instruction) = &component.origin.instruction {
        properties.push(property("shipshape:instruction", instruction.clone()));
    }
    let mut library = json!({
        "bom-ref": format!("{}#{index}", component.purl),
        "type": "library",
        "name": package.name,
        "version": package.version,
        "purl": component.purl,
        "properties": properties,
    });
    if !package.licenses.is_empty() {
        library["licenses"] = licenses(&package.licenses);
    }
    library
}

/// One expression alone, or each license as an id or a name.
fn licenses(stated: &[String]) -> Value {
    let read: Vec<License> = stated.iter().map(|license| License::read(license)).collect();
    if let [License::Expression(expression)] = read.as_slice() {
        return json!([{"expression": expression}]);
    }
    let entries: Vec<Value> = read
        .into_iter()
        .map(|license| match license {
            License::Id(id) => json!({"license": {"id": id}}),
            License::Expression(text) | License::Named(text) => json!({"license": {"name": text}}),
        })
        .collect();
    Value::Array(entries)
}

fn property(name: &str, value: String) -> Value {
    json!({"name": name, "value": value})
}
