//! `shipshape-book`: the command line that builds and checks the course book with the workspace's
//! own mdBook libraries, so nothing has to be installed by hand.
//!
//! - `build [--book DIR] [--dest DIR]` checks the book, then writes the HTML (with search) to the
//!   book's `build-dir` (`target/book`) or to `--dest`.
//! - `check [--book DIR]` runs the same checks and writes nothing.
//!
//! Must hold: exit code 0 on success; on any failure (bad book.toml, unknown directive, missing
//! include, broken internal link, I/O) one clear message on stderr and exit code 2, never a panic.

mod checks;
mod driver;
mod exercise;
mod includes;
mod links;
mod markdown;
mod preprocessor;
mod requirements;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The exit code for every failure, as the `shipshape` checker uses for usage and input errors.
const EXIT_FAILURE: u8 = 2;

/// Build and check the Shipshape course book.
#[derive(Parser)]
#[command(name = "shipshape-book", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the book, then render it to HTML.
    Build {
        /// The book's folder, the one holding book.toml.
        #[arg(long, default_value = driver::DEFAULT_BOOK)]
        book: PathBuf,
        /// Where to write the HTML, instead of the book's `build-dir`. Its contents are replaced.
        #[arg(long)]
        dest: Option<PathBuf>,
    },
    /// Check directives, includes and internal links without writing anything.
    Check {
        /// The book's folder, the one holding book.toml.
        #[arg(long, default_value = driver::DEFAULT_BOOK)]
        book: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    let outcome = match Cli::parse().command {
        Command::Build { book, dest } => driver::build(&book, dest.as_deref())
            .map(|out| format!("built the book into {}", out.display())),
        Command::Check { book } => driver::check(&book).map(|()| "the book checks out".to_string()),
    };
    match outcome {
        Ok(message) => {
            println!("shipshape-book: {message}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("shipshape-book: error: {error:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
