//! `shipshape db update|import|info`: fill and inspect the offline vulnerability database.
//!
//! What must hold: every subcommand takes `--db-dir DIR` (default: [`db::default_dir`]); errors
//! (no database, download failures, malformed records, unknown ecosystems) exit 2; what was
//! imported and skipped is printed, so a learner sees why a record did not count.
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use crate::error::{Result, EXIT_PASSED};
use crate::scan::db::{self, Database, ImportReport};

#[derive(clap::Args)]
pub(super) struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Download OSV's exports and replace those ecosystems' records (online).
    Update {
        /// Where OSV's exports are: BASE/<Ecosystem>/all.zip.
        #[arg(long, env = "SHIPSHAPE_OSV_URL", default_value = db::DEFAULT_BASE_URL)]
        base_url: String,
        /// An ecosystem to update, as OSV's exports name it: Debian, npm, PyPI, Go, Alpine
        /// (repeatable; default: all of them).
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystems: Vec<String>,
        #[command(flatten)]
        location: Location,
    },
    /// Import OSV records: *.json files, folders of them, or zip archives such as OSV's all.zip (offline).
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        location: Location,
    },
    /// Show what the database holds: records per ecosystem, when it was written, its content hash.
    Info {
        #[command(flatten)]
        location: Location,
        #[arg(long, value_enum, default_value_t = InfoFormat::Human)]
        format: InfoFormat,
    },
}

#[derive(clap::Args)]
struct Location {
    /// The database folder (default: $SHIPSHAPE_DB_DIR, else $XDG_CACHE_HOME/shipshape/db, else ~/.cache/shipshape/db).
    #[arg(long, value_name = "DIR")]
    db_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum InfoFormat {
    Human,
    Json,
}

impl Location {
    fn dir(self) -> Result<PathBuf> {
        self.db_dir.map_or_else(db::default_dir, Ok)
    }
}

pub(super) fn run(args: DbArgs) -> Result<u8> {
    match args.command {
        DbCommand::Update { base_url, ecosystems, location } => update(&base_url, &ecosystems, location),
        DbCommand::Import { paths, location } => {
            let dir = location.dir()?;
            let report = db::import(&dir, &paths)?;
            print!("{}", describe(&report));
            Ok(EXIT_PASSED)
        }
        DbCommand::Info { location, format } => {
            let info = Database::open(&location.dir()?)?.info();
            print!("{}", render_info(&info, format));
            Ok(EXIT_PASSED)
        }
    }
}

fn update(base_url: &str, names: &[String], location: Location) -> Result<u8> {
    let mut ecosystems = Vec::new();
    for name in names {
        let ecosystem = db::bulk_name(name)?;
        if !ecosystems.contains(&ecosystem) {
            ecosystems.push(ecosystem);
        }
    }
    if ecosystems.is_empty() {
        ecosystems = db::BULK_ECOSYSTEMS.to_vec();
    }
    let dir = location.dir()?;
    let report = db::update(&dir, base_url, &ecosystems, |url| eprintln!("downloading {url}"))?;
    for download in &report.downloads {
        println!("downloaded {} ({} bytes)", download.url, download.bytes);
    }
    print!("{}", describe(&report.import));
    Ok(EXIT_PASSED)
}

/// What an import did, one fact a line.
fn describe(report: &ImportReport) -> String {
    let mut text = String::new();
    if let Some(reason) = &report.discarded {
        text += &format!("discarded the previous database, which could not be read:\n  {}\n", reason.replace('\n', "\n  "));
    }
    text += &format!(
        "read {} records: {} added, {} replaced, {} unchanged, {} withdrawn, {} skipped (no package of a supported ecosystem)\n",
        report.read, report.added, report.replaced, report.unchanged, report.withdrawn, report.skipped_records
    );
    if !report.skipped_entries.is_empty() {
        let skipped: Vec<String> = report.skipped_entries.iter().map(|(ecosystem, n)| format!("{ecosystem} {n}")).collect();
        text += &format!("skipped affected entries of unsupported ecosystems: {}\n", skipped.join(", "));
    }
    if let Some(meta) = &report.meta {
        let counts: Vec<String> = meta.counts.iter().map(|(ecosystem, n)| format!("{ecosystem} {n}")).collect();
        text += &format!("the database holds {} records ({}), hash {}\n", report.total, counts.join(", "), meta.hash);
    }
    if report.total == 0 {
        text += "warning: the database is empty, and scans refuse to run until it holds records\n";
    }
    text
}

fn render_info(info: &db::Info, format: InfoFormat) -> String {
    match format {
        InfoFormat::Json => {
            let json = serde_json::json!({
                "dir": info.dir,
                "format": info.format,
                "records": info.records,
                "ecosystems": info.ecosystems,
                "written_at": info.written_at_rfc3339(),
                "age_days": info.age_days(),
                "hash": info.hash,
            });
            format!("{json:#}\n")
        }
        InfoFormat::Human => {
            let mut text = format!("database  {}\nrecords   {}\n", info.dir.display(), info.records);
            for (ecosystem, count) in &info.ecosystems {
                text += &format!("  {ecosystem:<14} {count}\n");
            }
            text += &format!("written   {} ({} days ago)\nhash      {}\nformat    {}\n", info.written_at_rfc3339(), info.age_days(), info.hash, info.format);
            text
        }
    }
}
