//! What the async edge observed while building and running an image, as plain data the checks
//! can judge without Docker: the build's outcome and the probe's.

/// The outcome of building a Dockerfile.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildRecord {
    /// The image built, when the build succeeded.
    pub image_id: Option<String>,
    /// Why it failed, in the builder's words.
    pub error: Option<String>,
    /// The instruction that failed and its line in the learner's Dockerfile.
    pub failed_instruction: Option<String>,
    pub failed_line: Option<usize>,
    /// The last lines of the build log.
    pub log_tail: Vec<String>,
    pub seconds: f64,
    /// Which builder built it.
    pub builder: Option<crate::docker::engine::Builder>,
    /// Dockerfile steps BuildKit ran, and how many of them came from its build cache.
    pub steps: usize,
    pub cached_steps: usize,
    /// What the learner should know about how it was built (a `# syntax=` line set aside, the
    /// legacy builder used for want of BuildKit), one line each.
    pub notes: Vec<String>,
    /// Why the Dockerfile never reached a builder, when it did not.
    pub stopped: Option<Stopped>,
}

/// Why a Dockerfile never reached a builder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stopped {
    /// It does not parse, or Docker would not read it as it looks.
    Unparsed(crate::dockerfile::ParseError),
    /// The stage to ship (the exercise's target, or `--target`) is not one it can stop at.
    NoSuchTarget,
    /// Refused for what it would reach: a remote `ADD` source, or an image outside the course's.
    Refused,
}

impl BuildRecord {
    /// A build refused before it reached a builder, at `instruction`, for `error`.
    pub(crate) fn refused_at(error: String, instruction: &crate::dockerfile::Instruction) -> BuildRecord {
        BuildRecord {
            error: Some(error),
            failed_line: Some(instruction.line),
            failed_instruction: Some(instruction.text.clone()),
            stopped: Some(Stopped::Refused),
            ..BuildRecord::default()
        }
    }
}

/// How to try the image, from the `runs` check's settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ProbePlan {
    /// Start the container with PORT and HOST set, then GET `path` on 127.0.0.1.
    Http { path: String, status: u16, body: Option<String>, timeout_seconds: u64 },
    /// Run the container with `args` as its command and wait for it to exit.
    Command { args: Option<Vec<String>>, exit_code: i64, output: Option<String>, timeout_seconds: u64 },
}

/// What happened when the image was tried.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProbeRecord {
    /// The user the container ran as (the image's own).
    pub user: String,
    /// The HTTP status received, if any response came.
    pub status: Option<u16>,
    /// The response body (first 64 kB).
    pub body: Option<String>,
    /// The exit code of a command probe, or of a server that died.
    pub exit_code: Option<i64>,
    /// Combined output (last 64 kB) of the container.
    pub output: String,
    /// Why the probe could not complete (timeout, start failure), in plain words.
    pub failure: Option<String>,
    /// What each intruder move got through the app's endpoint, in the order tried, when the
    /// spec asks for `intruder` and the app answered the HTTP probe; `None` when none was tried.
    pub intrusions: Option<Vec<Intrusion>>,
}

/// What the intruder probe sends through the app's endpoint once the app has answered the HTTP
/// probe, from the `intruder` check's settings: one request per move, each given this long.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IntruderProbe {
    pub requests: Vec<IntruderRequest>,
    pub timeout_seconds: u64,
}

/// One request the intruder probe sends through the app's own endpoint: the move it tries and
/// the path (the endpoint with the move's command line, percent-encoded, after it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IntruderRequest {
    pub move_id: &'static str,
    pub path: String,
}

/// What one intruder move got back from the app's endpoint, unjudged.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Intrusion {
    pub move_id: &'static str,
    /// The HTTP status of the endpoint's answer, if it answered.
    pub status: Option<u16>,
    /// The answer's body (first 64 kB).
    pub body: String,
    /// Why no answer came (the endpoint never answered in time), in plain words.
    pub failure: Option<String>,
}

/// What a scan found: the scanner, the database it used (its hash makes a grade reproducible),
/// the findings, and the ignore entries and day the policy judges them with.
#[derive(Debug, Clone)]
pub(crate) struct ScanRecord {
    /// `shipshape` or `trivy`.
    pub scanner: String,
    pub database: Option<DatabaseSummary>,
    /// `Debian GNU/Linux 12 (bookworm)`, when the image says.
    pub os: Option<String>,
    /// Packages in the inventory (Shipshape's scanner only).
    pub packages: usize,
    pub findings: Vec<crate::scan::matcher::Finding>,
    /// Packages the image plainly holds that the inventory cannot see (their records removed).
    pub blind_spots: Vec<crate::scan::blind_spots::BlindSpot>,
    pub ignores: Vec<crate::scan::policy::IgnoreEntry>,
    pub today: chrono::NaiveDate,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DatabaseSummary {
    /// `sha256:…` over the records: the same hash, the same verdicts.
    pub hash: String,
    pub records: usize,
    /// When the database was last imported or updated (RFC 3339).
    pub written_at: String,
    pub age_days: i64,
}
