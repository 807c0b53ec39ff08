//! Issue 11's hostile class, end to end: one `shipshape grade` run of a real exercise (08, whose
//! spec asks for `builds`, `non-root`, an HTTP `runs` probe and the `scan` gate) over a class in
//! which honest submissions sit beside hostile ones, each hostile one a trick the issue found:
//!
//! | submission | trick | graded |
//! | --- | --- | --- |
//! | `honest` | the reference solution, handed in as a learner would (its manifests at the top) | pass, every point |
//! | `honest-starter` | the starter, unchanged | fail: `scan` alone |
//! | `add-host-secret` | `ADD http://127.0.0.1:PORT/…` of a server on the grading host | fail: `builds` at the `ADD`, the server never asked |
//! | `copy-from-foreign` | `COPY --from=` an image on the daemon that is not the course's | fail: `builds` at that line |
//! | `dpkg-deleted` | the Debian package database removed, so the scan sees no Debian package | fail: `scan`, unknown |
//! | `fifo-dockerfile` | a Dockerfile that is a FIFO | error, naming it |
//! | `fork-bomb` | a step that starts processes without end | fail: `builds` at that step, at the engine's PID cap |
//! | `forged-labels` | `shipshape.*` labels forged in every stage | pass, and nothing of it left behind |
//! | `link-to-host` | a learner file that is a link to a file of the host, beside the class | error, the file never read |
//! | `passwd-root` | an indented root entry before the real user in `/etc/passwd` | fail: `non-root`, runs as uid 0 |
//! | `probe-host-loopback` | an app that reads a server on the grading host's loopback | fail: `runs`, it reached nothing |
//! | `reference-verbatim` | the reference Dockerfile without the reference's other files | fail: `builds` where it reaches for `solution/` |
//!
//! What must hold: each hostile submission fails the one check its trick aims at (the others pass,
//! or are skipped when the build failed) or is graded `error` with the reason; each honest one is
//! graded as it would be alone; nothing of the host (the secret its loopback server answers with,
//! the file beside the class, the owner label's host and boot id, the Dockerfile's internal name)
//! shows in any output: the class JSON, each `grade.json` and `results.json`, the CSV, JUnit,
//! GitHub, HTML and table renderings, the progress lines; and nothing the run made stays on the
//! daemon (no container or image of the class, no run tag, no image a grade names). Every stage of
//! every Dockerfile starts with this run's nonce, as a label (by which leftovers are found) and as
//! an environment variable (every `RUN` after it misses the build cache, so a cached step can
//! neither fake a pass nor hide a failure). Busybox hidden under /etc is `hostile_checks.rs`'s:
//! exercise 08 has no `no-shell` check to fool.
//!
//! The class is graded with `--jobs 1`: the engine's PID cap is shared by every build, so a fork
//! bomb may make a build running beside it fail (checker/docs/grading.md says so); one at a time,
//! the honest grades cannot depend on what runs next to them.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use serde_json::Value;
use shipshape_course_tests::*;
use shipshape_test_support::{assert_nothing_labelled, image_id, serve_counted, skip_or_fail, students};

const EXERCISE: &str = "08-scan-node-deps";
/// Where the reference reads its upgraded manifests, and where a learner keeps them.
const REFERENCE_MANIFESTS: &str = "COPY solution/package.json solution/package-lock.json ./";
const LEARNER_MANIFESTS: &str = "COPY package.json package-lock.json ./";

/// How a submission must be graded.
enum Expected {
    /// `pass` with every point.
    Pass,
    /// `fail` on `check` alone, its report saying `says`, at the line `at` when given.
    Fails { check: &'static str, says: String, at: Option<String> },
    /// `error`, with `says` in the message.
    Error { says: String },
}

impl Expected {
    fn fails(check: &'static str, says: &str, at: Option<&str>) -> Expected {
        Expected::Fails { check, says: says.to_string(), at: at.map(str::to_string) }
    }

    /// Whether the submission's image gets built.
    fn builds(&self) -> bool {
        match self {
            Expected::Pass => true,
            Expected::Fails { check, .. } => *check != "builds",
            Expected::Error { .. } => false,
        }
    }
}

/// A student's folder: the learner files, and how the run must grade it.
struct Submission {
    name: &'static str,
    files: Vec<(&'static str, String)>,
    expected: Expected,
}

impl Submission {
    fn new(name: &'static str, dockerfile: String, expected: Expected) -> Submission {
        Submission { name, files: vec![("Dockerfile", dockerfile)], expected }
    }

    fn with(mut self, path: &'static str, content: String) -> Submission {
        self.files.push((path, content));
        self
    }
}

fn exercise() -> PathBuf {
    exercises().into_iter().find(|e| e.ends_with(EXERCISE)).expect("exercise 08")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `dockerfile` with `line` right after every `FROM`.
fn after_each_from(dockerfile: &str, line: &str) -> String {
    dockerfile.lines().flat_map(|l| if l.starts_with("FROM ") { vec![l, line] } else { vec![l] }).map(|l| format!("{l}\n")).collect()
}

/// Every stage starts with the run's nonce, as a label and as an environment variable.
fn stamped(dockerfile: &str, nonce: &str) -> String {
    after_each_from(&after_each_from(dockerfile, &format!("ENV HOSTILE_CLASS_NONCE={nonce}")), &format!("LABEL hostile.test={nonce}"))
}

/// `dockerfile` with its one line `old` replaced by `new` (lines of their own).
fn replaced(dockerfile: &str, old: &str, new: &str) -> String {
    line_of(dockerfile, old);
    dockerfile.lines().map(|l| if l == old { new } else { l }).map(|l| format!("{l}\n")).collect()
}

/// `dockerfile` with `line` before its one line `anchor`.
fn before(dockerfile: &str, anchor: &str, line: &str) -> String {
    replaced(dockerfile, anchor, &format!("{line}\n{anchor}"))
}

/// The 1-based number of the one line of `dockerfile` that is `line`.
fn line_of(dockerfile: &str, line: &str) -> usize {
    let found: Vec<usize> = dockerfile.lines().enumerate().filter(|(_, l)| *l == line).map(|(n, _)| n + 1).collect();
    assert_eq!(found.len(), 1, "`{line}` is one line of:\n{dockerfile}");
    found[0]
}

/// An app (the distroless Node image's entrypoint is `node`) that GETs `url` first, prints what it
/// got, and then serves that instead of the manifest: whatever it reached comes back in `runs`.
fn app_reading(url: &str) -> String {
    let script = format!(
        "const http = require('http'); \
         const serve = (got) => {{ console.log('fetch-done: ' + got); \
           http.createServer((req, res) => res.end('fetched: ' + got)).listen(process.env.PORT, process.env.HOST); }}; \
         http.get('{url}', (r) => {{ let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => serve(b)); }}) \
           .on('error', (e) => serve(e.code));"
    );
    format!("CMD {}", Value::from(vec![Value::from("-e"), Value::from(script)]))
}

/// What the hostile class reaches for outside itself: a server on the host's loopback, an image on
/// the daemon that is not the course's, and the engine's PID cap, which its fork bomb exceeds.
struct Host<'a> {
    secret_url: &'a str,
    foreign: &'a str,
    pid_cap: u64,
}

/// The class: honest and hostile submissions, every Dockerfile stamped with `nonce`.
fn class(nonce: &str, host: &Host<'_>) -> Vec<Submission> {
    let exercise = exercise();
    let reference = read(&exercise.join("solution/Dockerfile"));
    let upgraded = ["package.json", "package-lock.json"].map(|file| read(&exercise.join("solution").join(file)));
    let handed_in = stamped(&replaced(&reference, REFERENCE_MANIFESTS, LEARNER_MANIFESTS), nonce);
    let starter = stamped(&read(&exercise.join("Dockerfile")), nonce);
    // A submission with the reference's upgraded manifests beside its Dockerfile.
    let upgrading = |name: &'static str, dockerfile: String, expected: Expected| {
        Submission::new(name, dockerfile, expected).with("package.json", upgraded[0].clone()).with("package-lock.json", upgraded[1].clone())
    };

    let add = format!("ADD {}/secret.txt /app/secret.txt", host.secret_url);
    let steal = format!("COPY --from={} /answer /app/answer", host.foreign);
    let forge = format!("LABEL shipshape=1 shipshape.owner=\"elsewhere/0b00/1/1\" shipshape.run=\"forged-{nonce}\"");
    let bomb = format!("RUN echo {nonce}; i=0; while [ $i -lt {} ]; do sleep 60 & i=$((i+1)); done; wait", host.pid_cap + 1000);
    let passwd = format!("RUN echo {nonce} && printf '  app:x:0:0::/:/sbin/nologin\\napp:x:65532:65532::/:/sbin/nologin\\n' > /passwd");
    let unpackaged = format!("RUN echo {nonce} && rm /var/lib/dpkg/status");
    let on_passwd = before(&replaced(&handed_in, "USER 65532", "USER app"), "USER app", "COPY --from=build /passwd /etc/passwd");
    let cmd = "CMD [\"/app/src/server.js\"]";
    vec![
        upgrading("honest", handed_in.clone(), Expected::Pass),
        Submission::new("honest-starter", starter.clone(), Expected::fails("scan", "block (HIGH or above", None)),
        upgrading("add-host-secret", before(&handed_in, "USER 65532", &add), Expected::fails("builds", "fetches from the network", Some(&add))),
        upgrading("copy-from-foreign", before(&handed_in, "USER 65532", &steal), Expected::fails("builds", "is not one of the course's images", Some(&steal))),
        upgrading(
            "dpkg-deleted",
            before(&starter, "USER node", &unpackaged),
            Expected::fails("scan", "Debian packages without their database", Some(&unpackaged)),
        ),
        Submission::new("fifo-dockerfile", String::new(), Expected::Error { says: "Dockerfile in the submission is a FIFO (named pipe)".into() }),
        upgrading("fork-bomb", before(&handed_in, LEARNER_MANIFESTS, &bomb), Expected::fails("builds", "started more processes", Some(&bomb))),
        upgrading("forged-labels", after_each_from(&handed_in, &forge), Expected::Pass),
        Submission::new("link-to-host", handed_in.clone(), Expected::Error { says: "the symbolic link package.json points outside the submission".into() }),
        upgrading(
            "passwd-root",
            before(&on_passwd, LEARNER_MANIFESTS, &passwd),
            Expected::fails("non-root", "runs as root (uid 0)", Some("COPY --from=build /passwd /etc/passwd")),
        ),
        upgrading(
            "probe-host-loopback",
            replaced(&handed_in, cmd, &app_reading(&format!("{}/secret.txt", host.secret_url))),
            Expected::fails("runs", "fetch-done: ECONNREFUSED", None),
        ),
        Submission::new("reference-verbatim", stamped(&reference, nonce), Expected::fails("builds", REFERENCE_MANIFESTS, Some(REFERENCE_MANIFESTS))),
    ]
}

/// Writes the class under `dir/class`; then `fifo-dockerfile`'s Dockerfile becomes a FIFO and
/// `link-to-host`'s package.json a relative link to `host_file`, a file of `dir` outside the class.
fn write_class(dir: &Path, submissions: &[Submission], host_file: &Path) {
    for submission in submissions {
        let folder = dir.join("class").join(submission.name);
        std::fs::create_dir_all(&folder).unwrap();
        for (path, content) in &submission.files {
            std::fs::write(folder.join(path), content).unwrap();
        }
    }
    let fifo = dir.join("class/fifo-dockerfile/Dockerfile");
    std::fs::remove_file(&fifo).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let relative = Path::new("../..").join(host_file.strip_prefix(dir).expect("the host's file lies beside the class"));
    std::os::unix::fs::symlink(relative, dir.join("class/link-to-host/package.json")).unwrap();
}

/// Asserts that `grade` is graded as `submission` expects, in the Dockerfile it handed in.
fn assert_graded(submission: &Submission, grade: &Value) {
    let name = submission.name;
    let checks = grade["checks"].as_array().cloned().unwrap_or_default();
    let status_of = |id: &str| checks.iter().find(|c| c["id"] == id).map(|c| c["status"].as_str().unwrap().to_string());
    match &submission.expected {
        Expected::Pass => {
            assert_eq!(grade["status"], "pass", "{name}: {grade:#}");
            assert_eq!(grade["points"]["earned"], grade["points"]["possible"], "{name}: every point: {grade:#}");
            assert!(checks.iter().all(|c| c["status"] == "pass"), "{name}: {grade:#}");
        }
        Expected::Fails { check, says, at } => {
            assert_eq!(grade["status"], "fail", "{name}: {grade:#}");
            assert_eq!(status_of(check).as_deref(), Some("fail"), "{name} fails {check}: {grade:#}");
            let others = if *check == "builds" { "skipped" } else { "pass" };
            let wrong: Vec<&Value> = checks.iter().filter(|c| c["id"] != *check && c["status"] != others).collect();
            assert!(wrong.is_empty(), "{name}: every other check is {others}: {wrong:#?}");
            let failed = checks.iter().find(|c| c["id"] == *check).unwrap();
            assert!(failed.to_string().contains(says.as_str()), "{name}: {check} says `{says}`: {failed:#}");
            if let Some(line) = at {
                let dockerfile = &submission.files[0].1;
                let lines: Vec<&Value> = failed["evidence"].as_array().unwrap().iter().map(|e| &e["dockerfile_line"]).collect();
                assert!(lines.contains(&&Value::from(line_of(dockerfile, line))), "{name}: {check} points at `{line}`: {failed:#}");
            }
        }
        Expected::Error { says } => {
            assert_eq!(grade["status"], "error", "{name}: {grade:#}");
            assert!(grade["message"].as_str().unwrap_or_default().contains(says.as_str()), "{name}: {grade:#}");
            assert!(checks.is_empty() && grade["points"]["earned"] == 0, "{name}: {grade:#}");
        }
    }
}

/// What the grading host must never show in an output: its secrets, and what its owner label
/// and run tags hold (host and boot id), and the internal name of the Dockerfile it builds.
fn host_things(secret: &str, host_file_secret: &str) -> Vec<String> {
    let host = read(Path::new("/proc/sys/kernel/hostname")).trim().to_string();
    let boot = read(Path::new("/proc/sys/kernel/random/boot_id")).trim().to_string();
    vec![secret.to_string(), host_file_secret.to_string(), format!("{host}/{boot}"), boot, ".shipshape.Dockerfile".to_string()]
}

/// Asserts that none of the host's `things` shows in any of the `outputs` (name, text).
fn assert_none_shows(outputs: &[(String, String)], things: &[String]) {
    for thing in things {
        let shown: Vec<&str> = outputs.iter().filter(|(_, text)| text.contains(thing.as_str())).map(|(name, _)| name.as_str()).collect();
        assert!(shown.is_empty(), "`{thing}`, the host's, shows in {shown:?}");
    }
}

/// Asserts that the image of every submission that built is gone from the daemon.
fn assert_images_removed(submissions: &[Submission], grades: &BTreeMap<String, Value>) {
    let images: Vec<&str> = grades.values().filter_map(|g| g["image"]["id"].as_str()).collect();
    let built = submissions.iter().filter(|s| s.expected.builds()).count();
    assert_eq!(images.len(), built, "an image per submission that built: {images:?}");
    let kept: Vec<&&str> = images.iter().filter(|id| image_id(id).is_some()).collect();
    assert!(kept.is_empty(), "images of graded submissions left on the daemon: {kept:?}");
}

/// Every file under `dir`, as text, with its path.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        if entry.is_dir() {
            files.extend(files_under(&entry));
        } else {
            files.push((entry.display().to_string(), String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned()));
        }
    }
    files
}

#[test]
fn a_hostile_class_is_graded_each_for_its_own_work_and_leaves_nothing() {
    let Some(_docker) = docker_lock() else { return };
    let Some(pid_cap) = engine_pid_cap() else {
        skip_or_fail("the daemon has no PID cap (start it with scripts/engine start, which sets the cgroup parent /shipshape)");
        return;
    };
    let started = std::time::Instant::now();
    let nonce = nonce();
    let secret = format!("host-secret-{nonce}");
    let (secret_url, asked) = serve_counted(secret.clone());
    let foreign = ForeignImage::build(&nonce);
    let submissions = class(&nonce, &Host { secret_url: &secret_url, foreign: &foreign.reference, pid_cap });
    let host_file_secret = format!("host-file-{nonce}");
    let dir = Scratch::new("hostile-class", &[("host-file.txt", &host_file_secret)]);
    write_class(&dir.dir, &submissions, &dir.dir.join("host-file.txt"));

    let (map, exercise) = (image_map().display().to_string(), exercise().display().to_string());
    let grade = |format: &str| {
        let args =
            ["grade", &dir.path("class"), "--exercise", &exercise, "--image-map", &map, "--out-dir", &dir.path("out"), "--jobs", "1", "--format", format];
        shipshape(&args)
    };
    let graded = grade("json");
    assert_eq!(graded.status.code(), Some(1), "{}", stderr(&graded));
    let class = report(&graded);
    let grades = students(&class);
    assert_eq!(grades.len(), submissions.len(), "{class:#}");
    for submission in &submissions {
        let grade = &grades[submission.name];
        assert_graded(submission, grade);
        for file in ["grade.json", "results.json"] {
            let stored: Value = serde_json::from_str(&read(&dir.dir.join("out").join(submission.name).join(file))).unwrap();
            assert_eq!(stored["status"], grade["status"], "{}'s {file}: {stored:#}", submission.name);
        }
    }
    assert_eq!(asked.load(Ordering::SeqCst), 0, "a submission reached the host's loopback server");
    eprintln!("graded the hostile class in {:.0?}", started.elapsed());

    // Every other output, rendered from the stored grades: nothing is graded again.
    let mut outputs = vec![("json".to_string(), stdout(&graded)), ("progress".to_string(), stderr(&graded))];
    for format in ["csv", "junit", "github", "html", "table"] {
        let rendered = grade(format);
        assert!(stderr(&rendered).contains("resuming") && !stderr(&rendered).contains("grading "), "{format}: {}", stderr(&rendered));
        outputs.push((format.to_string(), stdout(&rendered) + &stderr(&rendered)));
    }
    outputs.extend(files_under(&dir.dir.join("out")));
    assert_none_shows(&outputs, &host_things(&secret, &host_file_secret));

    drop(foreign);
    assert_nothing_labelled(&format!("hostile.test={nonce}"));
    assert_images_removed(&submissions, &grades);
    // The Docker lock, dropped, asserts that no labelled container or image and no run tag is left.
}
