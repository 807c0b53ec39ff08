//! The vulnerability scan: what an image contains (inventory), a pinned local database of OSV
//! records, matching by each ecosystem's own version order, severity from CVSS, and the policy
//! that turns findings into a verdict.
pub mod cvss;
pub mod db;
pub mod ecosystem;
pub mod inventory;
pub mod matcher;
pub mod osv;
pub mod policy;
pub mod trivy;
pub mod version;
