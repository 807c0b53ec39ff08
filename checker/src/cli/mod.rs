//! The command line: argument parsing, the runtime, output format and exit codes.
//!
//! Exit codes (documented in README and docs/report-schema.md): 0 every required check passed;
//! 1 a check failed; 2 usage, spec or infrastructure error (clap's own usage errors exit 2 too).
mod check;
mod db;
mod doctor;
mod explain;
mod grade;
mod hint;
mod images;
mod list;
mod recommend;
mod sbom;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::docker::engine::BuilderChoice;
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
    /// Scan an image (in the daemon, or an archive) for known vulnerabilities and grade the result.
    Scan(ScanArgs),
    /// Write the software bill of materials of an exercise's image, an image or an archive
    /// (CycloneDX 1.6 or SPDX 2.3 JSON).
    Sbom(sbom::Args),
    /// Every exercise with its state (not started, failing, done) and the overall progress.
    List(list::Args),
    /// The next hint for an exercise (default: the first not done): what is wrong, then where, then how.
    Hint(hint::Args),
    /// Re-check an exercise on every save, until every check passes; keys: h hint, n next, l list,
    /// r re-check, q quit.
    Watch(watch::Args),
    /// Compare an image's base with every base this room has (size, vulnerabilities, shell,
    /// package manager, support window) and recommend one, saying why and what would change.
    Recommend(recommend::Args),
    /// Check the set-up: engine, storage, disk, base images, vulnerability database.
    Doctor(doctor::Args),
    /// Fetch, save and load the images a course needs, for rooms without a registry.
    Images(images::Args),
    /// Grade a folder of submissions (one subfolder per student) against an exercise.
    Grade(grade::Args),
    /// Fill and inspect the offline vulnerability database (OSV records) that scans match against.
    Db(db::DbArgs),
}

#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    /// The exercise: its folder (it holds exercise.toml), or within a course its name, its number
    /// (`1` or `01`) or a prefix only it has.
    #[arg(required_unless_present_any = ["image", "archive"], conflicts_with_all = ["image", "archive"])]
    exercise: Option<PathBuf>,
    /// Judge this Dockerfile instead of the exercise's own.
    #[arg(long, conflicts_with = "solution")]
    dockerfile: Option<PathBuf>,
    /// Judge the exercise's reference solution.
    #[arg(long)]
    solution: bool,
    /// The stage that ships, by name or number from 0 (overrides the spec's `target`): the build
    /// stops there and the checks judge it.
    #[arg(long, value_name = "STAGE", requires = "exercise")]
    target: Option<String>,
    /// TOML file mapping public images to local ones (also $SHIPSHAPE_IMAGE_MAP).
    #[arg(long, env = "SHIPSHAPE_IMAGE_MAP")]
    image_map: Option<PathBuf>,
    /// The room's registry on HOST:PORT (e.g. 127.0.0.1:5000): `pinned-base` verifies there that
    /// every pinned digest exists (without it, only their form is checked).
    #[arg(long, env = "SHIPSHAPE_REGISTRY", value_name = "HOST:PORT")]
    registry: Option<String>,
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
    /// Which builder builds: BuildKit where the engine has it, else the legacy one (auto).
    #[arg(long, value_enum, env = "SHIPSHAPE_BUILDER", default_value_t)]
    builder: BuilderChoice,
    /// Read every layer again instead of using the layer cache.
    #[arg(long)]
    no_cache: bool,
    /// Also measure what a registry stores of the image, as `docker push` sends it and a pull
    /// downloads (every layer gzipped), and report it. Costs about as much CPU as the read itself
    /// the first time a layer is seen (each layer's figure is cached); a spec that sets
    /// `max-compressed` measures it anyway.
    #[arg(long)]
    compressed_size: bool,
    /// Also write the image's software bill of materials to FILE (see `shipshape sbom`).
    #[arg(long, value_name = "FILE")]
    sbom: Option<PathBuf>,
    /// The SBOM's format.
    #[arg(long, value_enum, default_value_t, requires = "sbom")]
    sbom_format: crate::sbom::SbomFormat,
    #[command(flatten)]
    scan: ScanFlags,
}

#[derive(clap::Args)]
pub(crate) struct ScanArgs {
    /// The image to scan, by reference or id (it must be in the daemon).
    #[arg(required_unless_present = "archive", conflicts_with = "archive")]
    image: Option<String>,
    /// Scan a `docker save` or OCI-layout archive instead, without a daemon.
    #[arg(long)]
    archive: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Read every layer again instead of using the layer cache.
    #[arg(long)]
    no_cache: bool,
    #[command(flatten)]
    scan: ScanFlags,
}

/// The scan policy on the command line; it overrides the spec's `[checks.scan]`.
#[derive(clap::Args, Default)]
pub(crate) struct ScanFlags {
    /// Scanner: shipshape (the pinned local database) or trivy (Trivy on PATH).
    #[arg(long)]
    scanner: Option<String>,
    /// The lowest severity that fails the scan: LOW, MEDIUM, HIGH or CRITICAL.
    #[arg(long)]
    fail_on: Option<String>,
    /// Findings without a fixed version do not count.
    #[arg(long)]
    ignore_unfixed: bool,
    /// An ignore file ([[ignore]] id, reason, expires).
    #[arg(long)]
    ignore_file: Option<PathBuf>,
    /// An OpenVEX document whose not_affected and fixed statements silence their findings.
    #[arg(long)]
    vex_file: Option<PathBuf>,
    /// The vulnerability database folder (default: $SHIPSHAPE_DB_DIR or the user cache).
    #[arg(long, env = "SHIPSHAPE_DB_DIR")]
    db_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
    Junit,
    /// GitHub Actions annotations on the Dockerfile's lines (see docs/github-actions.md).
    Github,
    /// SARIF 2.1.0 for code scanning (see docs/github-actions.md).
    Sarif,
}

pub fn main() -> ExitCode {
    // Colour only on a terminal, unless NO_COLOR or CLICOLOR_FORCE says otherwise: `colored`'s own
    // rule, which lets `watch` keep the colours of the reports it holds back.
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Scan(args) => check::scan(args),
        Command::Sbom(args) => sbom::run(args),
        Command::Explain { id } => explain::run(id.as_deref()),
        Command::Db(args) => db::run(args),
        Command::List(args) => list::run(args),
        Command::Hint(args) => hint::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Recommend(args) => recommend::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Images(args) => images::run(args),
        Command::Grade(args) => grade::run(args),
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

/// The async edge of a command that judges one image at a time: one thread. The work that needs
/// a core of its own (reading the image) runs on a blocking thread; a multi-threaded runtime
/// would only add wake-ups between its workers — ≈ 50,000 futex calls per 650 MB `docker save`
/// stream, which cost ≈ 10 % of the stream's time on 2 cores (measured).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    build_runtime(tokio::runtime::Builder::new_current_thread())
}

/// The async edge of grading, where several submissions are judged side by side.
pub(crate) fn parallel_runtime() -> Result<tokio::runtime::Runtime, Error> {
    build_runtime(tokio::runtime::Builder::new_multi_thread())
}

fn build_runtime(mut builder: tokio::runtime::Builder) -> Result<tokio::runtime::Runtime, Error> {
    builder.enable_all().build().map_err(|e| Error::new("cannot start the async runtime").because(e))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    const REFERENCE: &str = "docs/cli.md";

    /// checker/docs/cli.md as the CLI's own help makes it: every command, its arguments and flags.
    fn reference() -> String {
        let mut text = String::from(
            "# Command-line reference\n\nEvery command, argument and flag of `shipshape`, made from the CLI's own help. A test \
             (`cli::tests::the_reference_is_the_clis_own_help`) fails when this file is out of date; \
             `SHIPSHAPE_BLESS=1 cargo test -p shipshape --lib reference` rewrites it.\n",
        );
        command(&Cli::command(), "", &mut text);
        text
    }

    fn command(command: &clap::Command, parent: &str, text: &mut String) {
        let path = format!("{parent} {}", command.get_name()).trim().to_string();
        let args: Vec<&clap::Arg> = command.get_arguments().filter(|arg| !["help", "version"].contains(&arg.get_id().as_str())).collect();
        if command.get_subcommands().next().is_none() || !args.is_empty() {
            text.push_str(&format!("\n## `{path}`\n\n{}\n", command.get_about().map(ToString::to_string).unwrap_or_default()));
            if !args.is_empty() {
                text.push_str("\n| Argument | What it is | Default |\n|---|---|---|\n");
                args.iter().for_each(|arg| text.push_str(&row(arg)));
            }
        }
        command.get_subcommands().for_each(|sub| self::command(sub, &path, text));
    }

    fn row(arg: &clap::Arg) -> String {
        let values = arg.get_value_names().map(|names| names.iter().map(|n| format!("<{n}>")).collect::<Vec<_>>().join(" ")).unwrap_or_default();
        let name = match arg.get_long() {
            Some(long) if arg.get_action().takes_values() => format!("`--{long} {values}`"),
            Some(long) => format!("`--{long}`"),
            None => format!("`{values}`"),
        };
        let help = arg.get_help().map(|help| help.to_string().replace('|', "\\|").replace('\n', " ")).unwrap_or_default();
        let env = arg.get_env().map(|env| format!("${}", env.to_string_lossy())).filter(|env| !help.contains(env.as_str()));
        let env = env.map(|env| format!(" (also `{env}`)")).unwrap_or_default();
        let choices: Vec<String> =
            arg.get_possible_values().iter().filter(|_| arg.get_action().takes_values()).map(|v| format!("`{}`", v.get_name())).collect();
        let choices = if choices.is_empty() { String::new() } else { format!(" (one of {})", choices.join(", ")) };
        let default: Vec<String> = arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
        let default = if default.is_empty() { String::new() } else { format!("`{}`", default.join(" ")) };
        format!("| {name} | {help}{choices}{env} | {default} |\n")
    }

    #[test]
    fn the_reference_is_the_clis_own_help() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(REFERENCE);
        let made = reference();
        if std::env::var_os("SHIPSHAPE_BLESS").is_some() {
            std::fs::write(&path, &made).expect("checker/docs/cli.md is writable");
        }
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(written == made, "checker/docs/cli.md is out of date with the CLI: run `SHIPSHAPE_BLESS=1 cargo test -p shipshape --lib reference`");
    }
}
