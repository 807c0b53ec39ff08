//! The vulnerability scan: what an image contains (inventory) and what it plainly holds that the
//! inventory cannot see (blind spots), a pinned local database of OSV records, matching by each
//! ecosystem's own version order, severity from CVSS, and the policy that turns findings into a
//! verdict.
pub(crate) mod blind_spots;
pub(crate) mod cvss;
pub mod db;
pub mod ecosystem;
pub(crate) mod inventory;
pub(crate) mod licenses;
pub(crate) mod matcher;
pub(crate) mod osv;
pub(crate) mod policy;
pub(crate) mod triage;
pub(crate) mod trivy;
pub(crate) mod version;
pub(crate) mod vex;
