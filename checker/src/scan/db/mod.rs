//! The local, pinned vulnerability database the scan matches against: OSV records, imported
//! offline ([`import()`]) or downloaded from OSV's bulk exports ([`update()`]), kept in one index
//! file ([`store`]) whose directory finds a package's records without reading the others, and
//! opened for lookups by ecosystem and package ([`Database`]).
//!
//! What must hold: the database is where [`default_dir`] says unless a folder is given; it changes
//! only as a whole (a failed import or update leaves it as it was); its content hash identifies the
//! records it holds, so two machines with the same hash judge images alike.
mod database;
mod directory;
mod import;
mod inflate;
mod record;
pub mod store;
mod update;

use std::path::PathBuf;

pub use database::{Database, Info};
pub use import::{import, ImportReport};
pub use record::{Event, StoredAffected, StoredRange, StoredRecord};
pub(crate) use record::{RangeKind, Severity};
pub(crate) use update::{bulk_name, update, BULK_ECOSYSTEMS, DEFAULT_BASE_URL};

use crate::error::{Error, Result};

/// The database folder: `$SHIPSHAPE_DB_DIR`, else `$XDG_CACHE_HOME/shipshape/db`, else
/// `~/.cache/shipshape/db` (empty variables count as unset; XDG's must be absolute).
pub(crate) fn default_dir() -> Result<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("SHIPSHAPE_DB_DIR") {
        return Ok(dir);
    }
    if let Some(cache) = var("XDG_CACHE_HOME").filter(|dir| dir.is_absolute()) {
        return Ok(cache.join("shipshape").join("db"));
    }
    var("HOME")
        .map(|home| home.join(".cache").join("shipshape").join("db"))
        .ok_or_else(|| Error::new("cannot tell where the vulnerability database is: HOME is not set").action("pass --db-dir DIR or set SHIPSHAPE_DB_DIR"))
}
