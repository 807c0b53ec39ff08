//! The spec: what an image must satisfy, read strictly from TOML (`exercise.toml`, or any file
//! given with `--spec`). Every `[checks.ID]` table makes check ID required; its keys are the
//! check's settings plus `severity`, `weight` and `why`, which every check accepts.
//!
//! What must hold: a spec that loads is valid: no unknown keys, no unknown check ids, and every
//! check's settings parse, into its typed [`Settings`] with the defaults filled in; nothing reads
//! the TOML after loading. Requirements come out in registry order. Loading reads no build
//! secret: a run reads them when it needs their values ([`Spec::read_secrets`]), so a secret that
//! is not there stops only a build or the search for secrets, never `list`, `hint` or `doctor`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::checks::{self, CheckId, ExerciseDefaults, Requirement, Settings, Severity};
use crate::error::{Error, Result};
use crate::record::{IntruderProbe, ProbePlan};

/// The spec's `[exercise]` table, with its defaults filled in. Public through
/// [`crate::course_format`], for the book.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExerciseMeta {
    /// What `list`, `watch` and the book call the exercise; empty when the spec gives none.
    #[serde(default)]
    pub title: String,
    /// The book chapter (file stem) the exercise belongs to.
    #[serde(default)]
    pub chapter: Option<String>,
    /// About how long the exercise takes, for the book's schedule.
    #[serde(default)]
    pub minutes: Option<u32>,
    /// The learner's Dockerfile, relative to the exercise folder.
    #[serde(default = "default_dockerfile")]
    pub dockerfile: String,
    /// The reference solution's Dockerfile.
    #[serde(default = "default_solution")]
    pub solution: String,
    /// The build context, relative to the exercise folder.
    #[serde(default = "default_context")]
    pub context: String,
    /// Files a learner may change (grading lays only these over a clean copy).
    #[serde(default = "default_learner_files")]
    pub learner_files: Vec<String>,
    /// The checks the starter must fail, exactly (the course tests hold the starter to it).
    #[serde(default)]
    pub starter_fails: Vec<String>,
    /// Build arguments passed to every build of the exercise (`--build-arg`), such as a token the
    /// build needs; `no-secrets` looks for their values in the image unless told otherwise.
    #[serde(default)]
    pub build_args: std::collections::BTreeMap<String, String>,
    /// The stage that ships (`--target`), when the file's last stage is not it (a test or lint
    /// stage); the checks then judge this stage.
    #[serde(default)]
    pub target: Option<String>,
    /// Build secrets the instructor provides, by id (`RUN --mount=type=secret,id=ID`): each from a
    /// file in the exercise folder or from an environment variable. BuildKit serves them to the
    /// build; they never reach a layer, and `no-secrets` looks for their values in the image.
    #[serde(default)]
    pub secrets: std::collections::BTreeMap<String, SecretSource>,
}

/// Where a build secret's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub enum SecretSource {
    /// A file, relative to the exercise folder.
    File(PathBuf),
    /// An environment variable of the process that runs the build.
    Env(String),
}

fn default_dockerfile() -> String {
    "Dockerfile".into()
}
fn default_solution() -> String {
    "solution/Dockerfile".into()
}
fn default_context() -> String {
    ".".into()
}
fn default_learner_files() -> Vec<String> {
    vec!["Dockerfile".into()]
}

impl Default for ExerciseMeta {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub exercise: ExerciseMeta,
    /// The required checks by id (so in registry order).
    requirements: BTreeMap<CheckId, Requirement>,
    /// The folder the spec was read from: paths in it (an ignore file, a secret's file) are
    /// relative to it.
    pub base_dir: PathBuf,
}

/// Build secrets by id with their values, read by [`Spec::read_secrets`]; `Debug` shows the ids
/// only.
#[derive(Clone, Default)]
pub(crate) struct BuildSecrets(pub std::collections::BTreeMap<String, Vec<u8>>);

impl std::fmt::Debug for BuildSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl BuildSecrets {
    /// Reads each secret from its file (relative to `base_dir`) or environment variable.
    fn read(sources: &std::collections::BTreeMap<String, SecretSource>, base_dir: &Path) -> Result<BuildSecrets> {
        let mut values = std::collections::BTreeMap::new();
        for (id, source) in sources {
            let value = match source {
                SecretSource::File(file) => std::fs::read(base_dir.join(file)).map_err(|e| {
                    Error::new(format!("the build secret `{id}` reads {}, which cannot be read", base_dir.join(file).display()))
                        .because(e)
                        .action("put the secret's file there, or change [exercise] secrets in the spec")
                })?,
                SecretSource::Env(name) => std::env::var_os(name).map(|v| v.into_encoded_bytes()).ok_or_else(|| {
                    Error::new(format!("the build secret `{id}` comes from the environment variable {name}, which is not set"))
                        .action(format!("set {name} before running Shipshape, or change [exercise] secrets in the spec"))
                })?,
            };
            values.insert(id.clone(), value);
        }
        Ok(BuildSecrets(values))
    }

    /// The values as text (a file's final newline is not part of it).
    pub(crate) fn texts(&self) -> Vec<String> {
        self.0.values().map(|v| String::from_utf8_lossy(v).trim_end_matches(['\n', '\r']).to_string()).collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    exercise: Option<ExerciseMeta>,
    #[serde(default)]
    checks: toml::Table,
}

impl Spec {
    pub(crate) fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(format!("cannot read the spec {}", path.display()))
                .because(e)
                .action("pass --spec an exercise.toml, or run `shipshape check` on an exercise folder that has one")
        })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Spec::parse_in(&text, &base_dir).map_err(|e| e.within(format!("the spec {} is not valid", path.display())))
    }

    /// A spec whose paths are relative to the current folder.
    pub(crate) fn parse(text: &str) -> Result<Spec> {
        Spec::parse_in(text, Path::new("."))
    }

    fn parse_in(text: &str, base_dir: &Path) -> Result<Spec> {
        let raw: RawSpec = toml::from_str(text).map_err(|e| {
            Error::new(e.message().to_string()).because(e.to_string().trim()).action("fix the spec; its format is documented in checker/docs/spec.md")
        })?;
        let exercise = raw.exercise.unwrap_or_default();
        let defaults = exercise_defaults(&exercise);
        let mut requirements = BTreeMap::new();
        for id in CheckId::ALL {
            if let Some(value) = raw.checks.get(id.as_str()) {
                requirements.insert(id, requirement(id, value, &defaults)?);
            }
        }
        if let Some(unknown) = raw.checks.keys().find(|id| id.parse::<CheckId>().is_err()) {
            return Err(unknown_check(unknown, &format!("[checks.{unknown}]")));
        }
        if let Some(unknown) = exercise.starter_fails.iter().find(|id| id.parse::<CheckId>().is_err()) {
            return Err(unknown_check(unknown, "exercise.starter-fails"));
        }
        let spec = Spec { exercise, requirements, base_dir: base_dir.to_path_buf() };
        if spec.requirement(CheckId::Intruder).is_some() && !matches!(spec.probe_plan(), Some(ProbePlan::Http { .. })) {
            return Err(Error::new("[checks.intruder] needs [checks.runs] with an `http` probe")
                .because("the intruder's moves go through the app's endpoint once the app has answered the HTTP probe")
                .action("add `[checks.runs]` with `http = { path = \"/\" }`; see checker/docs/spec.md"));
        }
        Ok(spec)
    }

    /// Keeps only the requirements `keep` names (a run that needs the image, not the verdicts).
    pub(crate) fn retain(&mut self, keep: &[CheckId]) {
        self.requirements.retain(|id, _| keep.contains(id));
    }

    /// The required checks, in registry order.
    pub(crate) fn requirements(&self) -> impl Iterator<Item = &Requirement> {
        self.requirements.values()
    }

    pub(crate) fn requirement(&self, id: CheckId) -> Option<&Requirement> {
        self.requirements.get(&id)
    }

    /// The `size` limit in bytes, when the spec requires `size`.
    pub(crate) fn size_limit(&self) -> Option<u64> {
        match self.requirement(CheckId::Size).map(|r| &r.settings) {
            Some(Settings::Size(size)) => Some(size.max),
            _ => None,
        }
    }

    /// How to run the image, when the spec requires `runs`.
    pub(crate) fn probe_plan(&self) -> Option<&ProbePlan> {
        match self.requirement(CheckId::Runs).map(|r| &r.settings) {
            Some(Settings::Runs(plan)) => Some(plan),
            _ => None,
        }
    }

    /// What to send through the app's endpoint, when the spec requires `intruder`.
    pub(crate) fn intruder_probe(&self) -> Option<IntruderProbe> {
        match self.requirement(CheckId::Intruder).map(|r| &r.settings) {
            Some(Settings::Intruder(settings)) => Some(settings.probe()),
            _ => None,
        }
    }

    /// How to scan the image, when the spec requires `scan`.
    pub(crate) fn scan(&self) -> Option<&checks::scan::Settings> {
        match self.requirement(CheckId::Scan).map(|r| &r.settings) {
            Some(Settings::Scan(scan)) => Some(scan),
            _ => None,
        }
    }

    /// The same, to change (the command line's scan flags override the spec's).
    pub(crate) fn scan_mut(&mut self) -> Option<&mut checks::scan::Settings> {
        match self.requirements.get_mut(&CheckId::Scan).map(|r| &mut r.settings) {
            Some(Settings::Scan(scan)) => Some(scan),
            _ => None,
        }
    }

    /// Reads the build secrets' values, each from its file (relative to the spec's folder) or
    /// environment variable. The error names the secret that cannot be read and says what to do.
    pub(crate) fn read_secrets(&self) -> Result<BuildSecrets> {
        BuildSecrets::read(&self.exercise.secrets, &self.base_dir)
            .map_err(|e| e.within(format!("the spec in {} names a build secret that cannot be read", self.base_dir.display())))
    }

    /// Whether `no-secrets` looks for the build secrets' values (it does unless the spec lists
    /// values of its own), so that judging even an existing image reads them.
    pub(crate) fn seeks_build_secrets(&self) -> bool {
        self.no_secrets().is_some_and(|settings| settings.build_secrets)
    }

    /// The secret values `no-secrets` looks for, given the build secrets read; none when the spec
    /// does not require it.
    pub(crate) fn secret_values(&self, secrets: &BuildSecrets) -> Vec<String> {
        self.no_secrets().map(|settings| settings.sought(&secrets.texts())).unwrap_or_default()
    }

    /// Whether a check needs the image's compressed size (`size` with `max-compressed`).
    pub(crate) fn needs_compressed_size(&self) -> bool {
        matches!(self.requirement(CheckId::Size).map(|r| &r.settings), Some(Settings::Size(size)) if size.max_compressed.is_some())
    }

    fn no_secrets(&self) -> Option<&checks::no_secrets::Settings> {
        match self.requirement(CheckId::NoSecrets).map(|r| &r.settings) {
            Some(Settings::NoSecrets(settings)) => Some(settings),
            _ => None,
        }
    }
}

fn unknown_check(id: &str, place: &str) -> Error {
    let known: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
    Error::new(format!("unknown check `{id}` in {place}")).action(format!("use one of: {}", known.join(", ")))
}

/// What checks may default to from the exercise: the build-arg values, and whether it has build
/// secrets (their values are read only by a run that needs them).
fn exercise_defaults(exercise: &ExerciseMeta) -> ExerciseDefaults {
    let mut values: Vec<String> = exercise.build_args.values().cloned().collect();
    values.sort();
    values.dedup();
    ExerciseDefaults { build_arg_values: values, build_secrets: !exercise.secrets.is_empty() }
}

/// The keys every `[checks.ID]` table accepts besides the check's own settings: `requirement`
/// takes them out of the table by this list, and the spec reference's test reads it.
const COMMON_KEYS: [&str; 3] = ["severity", "weight", "why"];

fn requirement(id: CheckId, value: &toml::Value, defaults: &ExerciseDefaults) -> Result<Requirement> {
    let bad = |message: String| Error::new(format!("[checks.{id}]: {message}")).action(format!("see `shipshape explain {id}` for its settings"));
    let mut settings = match value {
        toml::Value::Table(table) => table.clone(),
        _ => return Err(bad("must be a table, like [checks.size] with max = \"150 MB\"".into())),
    };
    let [severity, weight, why] = COMMON_KEYS.map(|key| settings.remove(key));
    let severity = match severity {
        None => id.meta().severity,
        Some(toml::Value::String(s)) if s == "error" => Severity::Error,
        Some(toml::Value::String(s)) if s == "warning" => Severity::Warning,
        Some(other) => return Err(bad(format!("severity must be \"error\" or \"warning\", not {other}"))),
    };
    let weight = match weight {
        None => 1,
        Some(toml::Value::Integer(w)) if (0..=1000).contains(&w) => w as u32,
        Some(other) => return Err(bad(format!("weight must be a whole number from 0 to 1000, not {other}"))),
    };
    let why = match why {
        None => None,
        Some(toml::Value::String(text)) => Some(text),
        Some(other) => return Err(bad(format!("why must be a string, not {other}"))),
    };
    let settings = Settings::parse(id, &settings, defaults).map_err(bad)?;
    Ok(Requirement { severity, weight, why, settings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_valid_spec_loads_in_registry_order() {
        let spec =
            Spec::parse("[exercise]\ntitle = \"t\"\nstarter-fails = [\"size\"]\n[checks.non-root]\n[checks.size]\nmax = \"150 MB\"\nweight = 2\n").unwrap();
        let ids: Vec<&str> = spec.requirements().map(|r| r.id().as_str()).collect();
        assert_eq!(ids, ["size", "non-root"]);
        assert_eq!(spec.requirement(CheckId::Size).unwrap().weight, 2);
        assert_eq!(spec.size_limit(), Some(150_000_000));
    }

    #[test]
    fn settings_come_out_typed_with_their_defaults() {
        use crate::checks::scan::Scanner;
        use crate::scan::cvss::Severity as Cvss;
        let spec =
            Spec::parse("[exercise]\nbuild-args = { T = \"b\" }\n[checks.scan]\n[checks.runs]\nhttp = {}\n[checks.no-secrets]\nvalues = [\"v\"]\n").unwrap();
        let scan = spec.scan().unwrap();
        assert_eq!((scan.policy.fail_on, scan.policy.ignore_unfixed, scan.scanner, &scan.ignore_file), (Cvss::High, false, Scanner::Shipshape, &None));
        assert_eq!(spec.probe_plan(), Some(&ProbePlan::Http { path: "/".into(), status: 200, body: None, timeout_seconds: 30 }));
        let none = BuildSecrets::default();
        assert_eq!(spec.secret_values(&none), ["v"], "the spec's own values win over the build args");
        assert_eq!(spec.size_limit(), None);
        let spec = Spec::parse("[exercise]\nbuild-args = { T = \"b\", U = \"a\" }\n[checks.no-secrets]\n").unwrap();
        assert_eq!(spec.secret_values(&none), ["a", "b"]);
        let message = Spec::parse("[checks.scan]\nscanner = \"grype\"\n").unwrap_err().to_string();
        assert!(message.contains("[checks.scan]: scanner must be one of shipshape, trivy, not `grype`"), "{message}");
    }

    #[test]
    fn intruder_needs_an_http_probe_and_plans_one_request_per_move() {
        for without in ["", "[checks.runs]\ncommand = {}\n"] {
            let message = Spec::parse(&format!("{without}[checks.intruder]\nendpoint = \"/x?c=\"\n")).unwrap_err().to_string();
            assert!(message.contains("[checks.intruder] needs [checks.runs] with an `http` probe"), "{message}");
        }
        let spec = Spec::parse("[checks.runs]\nhttp = {}\n[checks.intruder]\nendpoint = \"/x?c=\"\n").unwrap();
        let probe = spec.intruder_probe().unwrap();
        assert_eq!(probe.timeout_seconds, 10);
        assert!(probe.requests.iter().all(|r| r.path.starts_with("/x?c=")));
        assert_eq!(Spec::parse("[checks.runs]\nhttp = {}\n").unwrap().intruder_probe(), None);
    }

    #[test]
    fn build_secrets_are_read_when_asked_and_sought_by_no_secrets() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token.txt"), "s3cr3t-t0ken\n").unwrap();
        let text = "[exercise]\nbuild-args = { T = \"b\" }\nsecrets = { token = { file = \"token.txt\" } }\n[checks.no-secrets]\n";
        let spec = Spec::parse_in(text, dir.path()).unwrap();
        assert!(spec.seeks_build_secrets());
        let secrets = spec.read_secrets().unwrap();
        assert_eq!(secrets.0["token"], b"s3cr3t-t0ken\n");
        assert_eq!(format!("{secrets:?}"), "[\"token\"]", "Debug never shows a value");
        assert_eq!(spec.secret_values(&secrets), ["b", "s3cr3t-t0ken"], "the build args and the secrets, a file's final newline aside");
        let listed = Spec::parse_in(&format!("{text}values = [\"v\"]\n"), dir.path()).unwrap();
        assert!(!listed.seeks_build_secrets(), "the spec's own values replace the exercise's");
        assert_eq!(listed.secret_values(&secrets), ["v"]);
    }

    #[test]
    fn a_secret_that_is_not_there_stops_only_its_reading() {
        let dir = tempfile::tempdir().unwrap();
        let spec = Spec::parse_in("[exercise]\nsecrets = { t = { file = \"nope\" } }\n[checks.no-secrets]\n", dir.path()).unwrap();
        let missing = spec.read_secrets().unwrap_err().to_string();
        assert!(missing.contains("the build secret `t`") && missing.contains("nope"), "{missing}");
        let spec = Spec::parse("[exercise]\nsecrets = { t = { env = \"SHIPSHAPE_TEST_UNSET_SECRET\" } }\n").unwrap();
        assert!(!spec.seeks_build_secrets(), "no-secrets is not required");
        let unset = spec.read_secrets().unwrap_err().to_string();
        assert!(unset.contains("the build secret `t`") && unset.contains("SHIPSHAPE_TEST_UNSET_SECRET, which is not set"), "{unset}");
        assert!(Spec::parse("[checks.no-secrets]\n").unwrap_err().to_string().contains("give the secret values to look for"));
    }

    /// The spec reference names every key the loader accepts, and no other: the `[exercise]`
    /// table's, the common keys of a check's table, and each check's own settings.
    #[test]
    fn the_spec_reference_names_every_key_the_loader_accepts() {
        let doc = include_str!("../docs/spec.md");
        assert_eq!(
            first_column(&table_after(doc, "## The `[exercise]` table")),
            accepted_keys("exercise"),
            "checker/docs/spec.md's [exercise] table (left), the keys the loader accepts (right)"
        );
        let common: BTreeSet<String> = COMMON_KEYS.iter().map(|key| key.to_string()).collect();
        assert_eq!(
            first_column(&table_after(doc, "Every check accepts these common keys")),
            common,
            "checker/docs/spec.md's common keys (left), the keys `requirement` takes (right)"
        );
        let settings = table_after(doc, "the check's own settings.");
        for id in CheckId::ALL {
            let row = settings.iter().find(|row| backticked(row[0]).contains(id.as_str()));
            let row = row.unwrap_or_else(|| panic!("checker/docs/spec.md's table of settings has no row for `{id}`"));
            assert_eq!(
                backticked(row[1]),
                accepted_keys(&format!("checks.{id}")),
                "checker/docs/spec.md's settings of `{id}` (left), the keys the loader accepts (right)"
            );
        }
    }

    /// The keys the loader accepts in `table`, as its refusal of an unknown key names them.
    fn accepted_keys(table: &str) -> BTreeSet<String> {
        keys_beside_unknown(&format!("[{table}]\nno-such-key = 1\n"))
    }

    /// The keys the loader accepts where `spec` writes `no-such-key`, as its refusal names them.
    fn keys_beside_unknown(spec: &str) -> BTreeSet<String> {
        let message = Spec::parse(spec).unwrap_err().to_string();
        let refusal = message.lines().find_map(|line| line.split_once("`no-such-key`")).map(|(_, known)| known);
        backticked(refusal.unwrap_or_else(|| panic!("{spec:?} is refused, naming the key: {message}")))
    }

    #[test]
    fn the_docs_name_every_nested_key_the_loader_accepts() {
        let runs = include_str!("../docs/checks/runs.md");
        let documented = first_column(&table_after(runs, "Give exactly one of"));
        for table in ["http", "command"] {
            let accepted = keys_beside_unknown(&format!("[checks.runs]\n{table} = {{ no-such-key = 1 }}\n"));
            assert!(!accepted.is_empty(), "the refusal of an unknown `{table}` key names the keys");
            let listed: BTreeSet<String> = documented.iter().filter_map(|key| Some(key.strip_prefix(&format!("{table}."))?.to_string())).collect();
            assert_eq!(listed, accepted, "checker/docs/checks/runs.md's `{table}.*` keys (left), the keys the loader accepts (right)");
        }
        let spec = include_str!("../docs/spec.md");
        let sources = keys_beside_unknown("[exercise]\nsecrets = { token = { no-such-key = 1 } }\n");
        assert!(!sources.is_empty(), "the refusal of an unknown secret source names the sources");
        for source in sources {
            assert!(spec.contains(&format!("`{{ {source} = ")), "checker/docs/spec.md documents a secret's source `{source}`");
        }
    }

    /// The cells of each row of the first Markdown table after `marker` in `doc`, header and
    /// separator left out.
    fn table_after<'a>(doc: &'a str, marker: &str) -> Vec<Vec<&'a str>> {
        let at = doc.find(marker).unwrap_or_else(|| panic!("checker/docs/spec.md has no {marker:?}"));
        let rows = doc[at..].lines().skip_while(|line| !line.starts_with('|')).take_while(|line| line.starts_with('|'));
        rows.skip(2).map(|row| row.trim_matches('|').split('|').collect()).collect()
    }

    fn first_column(rows: &[Vec<&str>]) -> BTreeSet<String> {
        rows.iter().flat_map(|row| backticked(row[0])).collect()
    }

    /// The words in backticks in `text`.
    fn backticked(text: &str) -> BTreeSet<String> {
        text.split('`').skip(1).step_by(2).map(String::from).collect()
    }

    #[test]
    fn unknown_keys_and_checks_are_errors() {
        let message = |text: &str| Spec::parse(text).unwrap_err().to_string();
        assert!(message("[checks.no-shel]\n").contains("unknown check `no-shel`"));
        assert!(message("[checks.size]\nmax = \"1 MB\"\nmaxx = 3\n").contains("maxx"));
        assert!(message("[checks.size]\nmax = \"big\"\n").contains("big"));
        assert!(message("[exercise]\ntitel = \"x\"\n").contains("titel"));
        assert!(message("[checks.size]\nmax = \"1 MB\"\nweight = -1\n").contains("weight"));
        assert!(message("checks = 3").contains("checks"));
    }
}
