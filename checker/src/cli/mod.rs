//! The command line: argument parsing, the runtime, output format and exit codes.
//!
//! Exit codes (documented in README and docs/report-schema.md): 0 every required check passed;
//! 1 a check failed; 2 usage, spec or infrastructure error (clap's own usage errors exit 2 too).
mod check;
mod explain;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, EXIT_ERROR};

#[derive(Parser)]
#[command(name = "shipshape", version, about = "Build a Dockerfile and judge the image it makes: small, non-root, no shell, no tools, still running.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build an exercise's Dockerfile and judge the image (or judge an existing image or archive).
    Check(CheckArgs),
    /// Print a check's documentation (without an id: list every check).
    Explain {
        /// A check id such as `no-shell`.
        id: Option<String>,
    },
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// The exercise folder (it holds exercise.toml).
    #[arg(required_unless_present_any = ["image", "archive"], conflicts_with_all = ["image", "archive"])]
    exercise: Option<PathBuf>,
    /// Judge this Dockerfile instead of the exercise's own.
    #[arg(long, conflicts_with = "solution")]
    dockerfile: Option<PathBuf>,
    /// Judge the exercise's reference solution.
    #[arg(long)]
    solution: bool,
    /// TOML file mapping public images to local ones (also $SHIPSHAPE_IMAGE_MAP).
    #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
    image_map: Option<PathBuf>,
    /// Judge an image the daemon already has (needs --spec).
    #[arg(long, requires = "spec", conflicts_with = "archive")]
    image: Option<String>,
    /// Judge a `docker save` or OCI-layout archive, without a daemon (needs --spec).
    #[arg(long, requires = "spec")]
    archive: Option<PathBuf>,
    /// The spec to judge --image or --archive against.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Seconds a build may take before it is stopped (and fails).
    #[arg(long, default_value_t = 600)]
    build_timeout: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Junit,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !std::io::stdout().is_terminal() {
        colored::control::set_override(false);
    }
    let outcome = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Explain { id } => explain::run(id.as_deref()),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => report_error(&error),
    }
}

fn report_error(error: &Error) -> ExitCode {
    eprintln!("{error}");
    ExitCode::from(EXIT_ERROR)
}

/// A multi-threaded runtime for the async edge.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| Error::new("cannot start the async runtime").because(e))
}
