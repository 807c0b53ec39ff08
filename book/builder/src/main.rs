//! `shipshape-book`: the command line that builds and checks the course book with the workspace's
//! own mdBook libraries, so nothing has to be installed by hand.
//!
//! - `build [--book DIR] [--dest DIR] [--image-map FILE]` checks the book, then writes the HTML
//!   (with search) to the book's `build-dir` (`target/book`) or to `--dest`. A page with a
//!   `{{#shipshape-report}}` runs the real checker (Docker needed), through the image map.
//! - `check [--book DIR] [--image-map FILE]` runs the same checks and writes nothing.
//! - `measure [--book DIR] [--image-map FILE] [--check]` runs the real `shipshape` checker over
//!   every exercise and publishes the figures page (see `measure`); with `--check` it compares a
//!   fresh measurement with the published figures instead.
//!
//! Must hold: exit code 0 on success; 1 only when `measure --check` finds the published figures
//! drifted (each difference on stderr); on any failure (bad book.toml, unknown directive, missing
//! include or minutes, broken internal link, a checker run that cannot judge, I/O) one clear message on
//! stderr and exit code 2, never a panic.

mod checker;
mod checks;
mod date;
mod directive;
mod driver;
mod exercise;
mod includes;
mod links;
mod markdown;
mod measure;
mod minutes;
mod preprocessor;
mod requirements;
mod schedule;
mod settings;
mod speaker_notes;
mod support;
mod transcript;

use clap::{Parser, Subcommand};
use measure::Outcome;
use std::path::PathBuf;
use std::process::ExitCode;

/// The exit code for every failure, as the `shipshape` checker uses for usage and input errors.
const EXIT_FAILURE: u8 = 2;
/// The exit code of `measure --check` when the published figures no longer hold.
const EXIT_DRIFTED: u8 = 1;

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
        /// TOML file mapping public images to local ones, for the reports the book shows (also
        /// $SHIPSHAPE_IMAGE_MAP; else the course's own, as `shipshape check` finds it).
        #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
        image_map: Option<PathBuf>,
    },
    /// Check directives, includes and internal links without writing anything.
    Check {
        /// The book's folder, the one holding book.toml.
        #[arg(long, default_value = driver::DEFAULT_BOOK)]
        book: PathBuf,
        /// TOML file mapping public images to local ones, for the reports the book shows (also
        /// $SHIPSHAPE_IMAGE_MAP; else the course's own, as `shipshape check` finds it).
        #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
        image_map: Option<PathBuf>,
    },
    /// Measure every exercise's starter and solution with the real checker (Docker needed) and
    /// publish the figures page, chart and JSON in the book's sources.
    Measure {
        /// The book's folder, the one holding book.toml.
        #[arg(long, default_value = driver::DEFAULT_BOOK)]
        book: PathBuf,
        /// TOML file mapping public images to local ones (also $SHIPSHAPE_IMAGE_MAP).
        #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
        image_map: Option<PathBuf>,
        /// Publish nothing: compare a fresh measurement with the published figures, and exit 1
        /// when they drifted beyond the tolerance.
        #[arg(long)]
        check: bool,
    },
}

/// How a command ended: a message for stdout, or drift for stderr and exit code 1.
enum Done {
    Success(String),
    Drifted(String),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    let outcome = match Cli::parse().command {
        Command::Build { book, dest, image_map } => {
            driver::build(&book, dest.as_deref(), image_map.as_deref()).map(|out| Done::Success(format!("built the book into {}", out.display())))
        }
        Command::Check { book, image_map } => driver::check(&book, image_map.as_deref()).map(|()| Done::Success("the book checks out".to_string())),
        Command::Measure { book, image_map, check } => measure::run(&measure::Options { book, image_map, check }).map(measured),
    };
    match outcome {
        Ok(Done::Success(message)) => {
            println!("shipshape-book: {message}");
            ExitCode::SUCCESS
        }
        Ok(Done::Drifted(message)) => {
            eprintln!("shipshape-book: {message}");
            ExitCode::from(EXIT_DRIFTED)
        }
        Err(error) => {
            eprintln!("shipshape-book: error: {error:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// What to say about a measurement.
fn measured(outcome: Outcome) -> Done {
    match outcome {
        Outcome::Published(src) => Done::Success(format!("published the measurements in {} (measurements.md, figures/)", src.display())),
        Outcome::Holds(count) => Done::Success(format!("the published measurements hold for all {count} exercises")),
        Outcome::Drifted { lines, fresh } => Done::Drifted(format!(
            "the published measurements no longer hold ({} difference(s)):\n- {}\nThe fresh \
             figures are in {}. If the change is expected, publish them with `cargo run -p \
             shipshape-book -- measure --image-map tests/images/image-map.toml` and commit \
             book/src/measurements.md and book/src/figures/.",
            lines.len(),
            lines.join("\n- "),
            fresh.display()
        )),
    }
}
