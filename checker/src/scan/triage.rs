//! Triage: the ignore file and the OpenVEX document a scan reads, as one list of entries. A spec
//! may name both, so that an exercise accepts the learner's triage in either format: the scan
//! then reads whichever of the two exist.
//!
//! What must hold: a file named alone must exist (a typo is an error, never a silent "nothing is
//! ignored"); when both are named, a missing one is skipped and an absent pair triages nothing,
//! which fails closed (every finding counts); a file that exists is read strictly.
use std::path::Path;

use super::policy::{load_ignore_file, IgnoreEntry};
use super::vex::load_vex_file;
use crate::error::Result;

/// The entries of the named triage files: the ignore file's, then the VEX document's.
pub(crate) fn load(ignore_file: Option<&Path>, vex_file: Option<&Path>) -> Result<Vec<IgnoreEntry>> {
    let either = ignore_file.is_some() && vex_file.is_some();
    let mut entries = match to_read(ignore_file, either) {
        Some(path) => load_ignore_file(path)?,
        None => Vec::new(),
    };
    if let Some(path) = to_read(vex_file, either) {
        entries.extend(load_vex_file(path)?);
    }
    Ok(entries)
}

/// The named file, unless `either` file will do and this one does not exist.
fn to_read(file: Option<&Path>, either: bool) -> Option<&Path> {
    file.filter(|path| !either || path.exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IGNORE: &str = "[[ignore]]\nid = \"CVE-1\"\nreason = \"not loaded\"\nexpires = 2026-12-31\n";
    const VEX: &str = r#"{"statements": [{"vulnerability": {"name": "CVE-2"}, "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path", "impact_statement": "not loaded"}]}"#;

    fn ids(entries: &[IgnoreEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn either_file_triages_when_both_are_named_and_a_lone_name_must_exist() {
        let dir = std::env::temp_dir().join(format!("shipshape-triage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (ignore, vex) = (dir.join("accepted-risk.toml"), dir.join("triage.openvex.json"));
        let both = || load(Some(&ignore), Some(&vex));

        assert_eq!(ids(&both().unwrap()), Vec::<&str>::new(), "neither present: nothing is ignored, every finding counts");
        std::fs::write(&vex, VEX).unwrap();
        assert_eq!(ids(&both().unwrap()), ["CVE-2"], "the VEX document alone");
        std::fs::write(&ignore, IGNORE).unwrap();
        assert_eq!(ids(&both().unwrap()), ["CVE-1", "CVE-2"], "both, ignore file first");
        std::fs::remove_file(&vex).unwrap();
        assert_eq!(ids(&both().unwrap()), ["CVE-1"], "the ignore file alone");

        assert!(load(None, Some(&vex)).is_err(), "a VEX file named alone must exist");
        std::fs::write(&ignore, "[[ignore]]\nid = \"CVE-1\"\n").unwrap();
        assert!(both().is_err(), "a file that exists is read strictly");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
