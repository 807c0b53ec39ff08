//! OpenVEX documents (https://github.com/openvex/spec) as triage: each statement says what a
//! vulnerability means for the product — `not_affected` (with a justification or an impact
//! statement), `fixed`, `affected` (with an action statement) or `under_investigation`. The first
//! two silence the finding, as an ignore entry does, and the report names the statement; the
//! other two leave it counting, as OpenVEX means. A statement may carry an `expires` date (a
//! Shipshape extension, the ignore file's semantics: after that day the finding counts again and
//! says so). A statement's products limit it to packages when they are package URLs (the
//! image's own `pkg:oci/…` or any other name limits nothing).
//!
//! What must hold: a document that does not follow the spec is an error naming the statement,
//! never a silent ignore: an unknown status, `not_affected` without a justification or impact
//! statement, `affected` without an action statement, an unknown justification, a bad date.
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;

use super::policy::{parse_date, IgnoreEntry};
use crate::error::{Error, Result};

/// The justifications OpenVEX allows for `not_affected`.
const JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

#[derive(Deserialize)]
struct Document {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    statements: Vec<Statement>,
}

#[derive(Deserialize)]
struct Statement {
    vulnerability: Vulnerability,
    #[serde(default)]
    products: Vec<Product>,
    status: String,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default)]
    action_statement: Option<String>,
    #[serde(default)]
    status_notes: Option<String>,
    /// Shipshape's extension: the last day the statement silences its finding.
    #[serde(default)]
    expires: Option<toml::Value>,
}

/// v0.2.0 names it in an object (with aliases); v0.0.x wrote the name alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum Vulnerability {
    Named(String),
    Described {
        name: String,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Product {
    Id(String),
    Described {
        #[serde(rename = "@id")]
        id: String,
        #[serde(default)]
        subcomponents: Vec<Product>,
    },
}

/// The statements of the OpenVEX document at `path` that silence a finding, as ignore entries
/// naming their statement.
pub(crate) fn load_vex_file(path: &Path) -> Result<Vec<IgnoreEntry>> {
    let bad = |cause: String| {
        Error::new(format!("the VEX file {} is not valid OpenVEX", path.display()))
            .because(cause)
            .action("see `shipshape explain scan` for a VEX statement Shipshape reads (OpenVEX 0.2.0, https://github.com/openvex/spec)")
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let document: Document = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let file = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned());
    let name = document.id.as_deref().unwrap_or(&file);
    let mut entries = Vec::new();
    for (index, statement) in document.statements.into_iter().enumerate() {
        let label = format!("VEX {name}, statement {}", index + 1);
        entries.extend(entries_of(statement, &label).map_err(|problem| bad(format!("statement {}: {problem}", index + 1)))?);
    }
    Ok(entries)
}

/// The ignore entries one statement makes: one per name of its vulnerability when it silences
/// the finding, none when the finding still counts.
fn entries_of(statement: Statement, label: &str) -> std::result::Result<Vec<IgnoreEntry>, String> {
    let reason = reason(&statement)?;
    let expires = statement.expires.as_ref().map(parse_date).transpose()?;
    let Some(reason) = reason else { return Ok(Vec::new()) };
    let packages = packages(&statement.products);
    let names = match statement.vulnerability {
        Vulnerability::Named(name) => vec![name],
        Vulnerability::Described { name, aliases } => std::iter::once(name).chain(aliases).collect(),
    };
    let source = Some(format!("{label} ({})", statement.status));
    Ok(names.into_iter().map(|id| IgnoreEntry { id, reason: reason.clone(), expires, source: source.clone(), packages: packages.clone() }).collect())
}

/// Why the statement silences its finding, or `None` when it leaves it counting; an error when
/// the statement lacks what OpenVEX requires of its status.
fn reason(statement: &Statement) -> std::result::Result<Option<String>, String> {
    let notes = statement.status_notes.as_deref().or(statement.impact_statement.as_deref());
    match statement.status.as_str() {
        "not_affected" => {
            if let Some(justification) = statement.justification.as_deref().filter(|j| !JUSTIFICATIONS.contains(j)) {
                return Err(format!("`{justification}` is not an OpenVEX justification (one of {})", JUSTIFICATIONS.join(", ")));
            }
            let said: Vec<&str> = [statement.justification.as_deref(), statement.impact_statement.as_deref()].into_iter().flatten().collect();
            if said.is_empty() {
                return Err("not_affected needs a justification or an impact_statement".into());
            }
            Ok(Some(said.join(": ")))
        }
        "fixed" => Ok(Some(notes.unwrap_or("fixed in this product").to_string())),
        "affected" if statement.action_statement.is_none() => Err("affected needs an action_statement".into()),
        "affected" | "under_investigation" => Ok(None),
        other => Err(format!("unknown status `{other}` (not_affected, affected, fixed or under_investigation)")),
    }
}

/// The package names the products limit the statement to: every product or subcomponent that is
/// a package URL other than the image's own (`pkg:oci/…`); none limits nothing.
fn packages(products: &[Product]) -> Vec<String> {
    let mut names = Vec::new();
    for product in products {
        let (id, subcomponents) = match product {
            Product::Id(id) => (id, &[][..]),
            Product::Described { id, subcomponents } => (id, subcomponents.as_slice()),
        };
        names.extend(package_name(id));
        names.extend(packages(subcomponents));
    }
    names
}

fn package_name(id: &str) -> Option<String> {
    let purl = packageurl::PackageUrl::from_str(id).ok()?;
    (purl.ty() != "oci").then(|| match purl.namespace() {
        Some(namespace) if purl.ty() == "npm" || purl.ty() == "golang" => format!("{namespace}/{}", purl.name()),
        _ => purl.name().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Vec<IgnoreEntry>> {
        let dir = std::env::temp_dir().join(format!("shipshape-vex-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("triage.vex.json");
        std::fs::write(&path, text).unwrap();
        let entries = load_vex_file(&path);
        std::fs::remove_dir_all(dir).unwrap();
        entries
    }

    fn document(statements: &str) -> String {
        format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/seal-1", "author": "a", "timestamp": "2026-12-01T00:00:00Z", "version": 1, "statements": [{statements}]}}"#
        )
    }

    #[test]
    fn silencing_statements_become_entries_that_name_their_statement() {
        let text = document(
            r#"{"vulnerability": {"name": "CVE-2023-45853", "aliases": ["DEBIAN-CVE-2023-45853"]}, "products": [{"@id": "pkg:oci/seal", "subcomponents": [{"@id": "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64"}]}],
                "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "impact_statement": "seal never opens zip files", "expires": "2027-01-31"},
               {"vulnerability": {"name": "CVE-2026-5450"}, "status": "affected", "action_statement": "rebuild on the next glibc"},
               {"vulnerability": "GHSA-35jh-r3h4-6jhm", "products": ["pkg:npm/lodash@4.17.20"], "status": "fixed"},
               {"vulnerability": {"name": "CVE-2026-8376"}, "status": "under_investigation"}"#,
        );
        let entries = load(&text).unwrap();
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2023-45853", "DEBIAN-CVE-2023-45853", "GHSA-35jh-r3h4-6jhm"], "affected and under_investigation silence nothing");
        assert_eq!(entries[0].reason, "vulnerable_code_not_in_execute_path: seal never opens zip files");
        assert_eq!(entries[0].expires, chrono::NaiveDate::from_ymd_opt(2027, 1, 31));
        assert_eq!(entries[0].packages, ["zlib1g"]);
        assert_eq!(entries[0].source.as_deref(), Some("VEX https://example.com/vex/seal-1, statement 1 (not_affected)"));
        assert_eq!((entries[2].packages.as_slice(), entries[2].reason.as_str()), (&["lodash".to_string()][..], "fixed in this product"));
    }

    #[test]
    fn a_statement_that_breaks_the_spec_is_an_error_naming_it() {
        let problem = |statement: &str| load(&document(statement)).unwrap_err().to_string();
        assert!(problem(r#"{"vulnerability": {"name": "CVE-1"}, "status": "not_affected"}"#).contains("statement 1: not_affected needs a justification"));
        assert!(problem(r#"{"vulnerability": {"name": "CVE-1"}, "status": "not_affected", "justification": "trust me"}"#)
            .contains("`trust me` is not an OpenVEX justification"));
        assert!(problem(r#"{"vulnerability": {"name": "CVE-1"}, "status": "affected"}"#).contains("affected needs an action_statement"));
        assert!(problem(r#"{"vulnerability": {"name": "CVE-1"}, "status": "wontfix"}"#).contains("unknown status `wontfix`"));
        assert!(problem(r#"{"vulnerability": {"name": "CVE-1"}, "status": "fixed", "expires": "soon"}"#).contains("not a date"));
        assert!(load("{").unwrap_err().to_string().contains("is not valid OpenVEX"));
    }
}
