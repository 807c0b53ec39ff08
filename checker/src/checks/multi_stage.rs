//! `multi-stage`: a builder stage exists and the stage that ships (the last, or the target)
//! copies artifacts from it. It may be built `FROM` a shared base stage, as long as that stage
//! installs no build tools: what a parent stage installs ships too.
//!
//! What must hold: "installs build tools" is judged from the image when its facts are there and
//! its history is traced to every `RUN` line of the parent stages (a build tool of the
//! `no-build-tools` families in the final filesystem, in a layer a parent stage's line made), and
//! from the Dockerfile text otherwise (a parent stage's `RUN` installs a package named like a
//! build tool, or runs one); the evidence says which it was.
use std::collections::{BTreeMap, BTreeSet};

use super::contents::{Found, NO_BUILD_TOOLS};
use super::{no_settings, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::dockerfile::{Dockerfile, Instruction, Named, Stage};
use crate::image::ImageFacts;

pub(super) struct MultiStage;

pub(super) static META: CheckMeta = CheckMeta {
    id: "multi-stage",
    summary: "A builder stage makes the artifacts; the stage that ships copies them",
    severity: Severity::Error,
    needs: Needs::Dockerfile,
    lists_on_pass: false,
    doc: include_str!("../../docs/checks/multi-stage.md"),
};

/// Evidence about a parent stage's layer lists this many build tools, then counts the rest.
const TOOLS_SHOWN: usize = 4;

/// Packages that are build tools though no executable of theirs is named like one.
const TOOL_PACKAGES: [&str; 11] =
    ["build-essential", "build-base", "binutils", "ninja-build", "gcc-c++", "autoconf", "automake", "libtool", "maven", "rustc", "cargo"];

const SHARED_BASE_HINT: &str = "install compilers and build tools only in the builder stage; the stage the shipping stage is built \
                                FROM (a shared base) may install only what the app needs at run time — or start the shipping stage \
                                from a small base image and COPY --from the builder what it needs";

impl Check for MultiStage {
    type Settings = ();

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<(), String> {
        no_settings(table)
    }

    fn judge(&self, input: &Input<'_>, _settings: &()) -> Outcome {
        let Some(dockerfile) = input.dockerfile else { return Outcome::skipped("no Dockerfile") };
        let ships = dockerfile.shipped_stage();
        let called = called(dockerfile, ships);
        let from = Evidence::at_line(format!("{called} starts here, from {}", ships.base), ships.line, &format!("FROM {}", ships.base));
        if ships.index == 0 {
            let summary = match dockerfile.stages.len() {
                1 => "the Dockerfile has a single stage: build tools and sources ship in the image".to_string(),
                _ => format!("{called} is the Dockerfile's first stage: no builder stage comes before it, so build tools and sources ship in the image"),
            };
            return Outcome::fail(
                summary,
                vec![from],
                "add a builder stage (FROM ... AS build) that compiles or installs, then start a new final \
                 stage and COPY --from=build only the artifacts",
            );
        }
        let ancestry = dockerfile.ancestry(ships.index);
        let parents = &ancestry[1..];
        let mut notes = Vec::new();
        if let Some(parent) = parents.first() {
            let inherited = inherited_tools(dockerfile, parents, input);
            if !inherited.tools.is_empty() {
                return Outcome::fail(
                    format!("{called} is built FROM the stage {}, whose stages install build tools, and they ship", label(parent)),
                    [vec![from], inherited.tools].concat(),
                    SHARED_BASE_HINT,
                );
            }
            notes.push(Evidence::note(format!("it is built FROM the stage {}, which installs no build tools ({})", label(parent), inherited.judged_from)));
        }
        let copies: Vec<Evidence> = dockerfile
            .stage_instructions(ships.index)
            .filter(|i| i.copy_from.iter().any(|source| matches!(dockerfile.names(&source.written, ships.index), Named::Stage(_))))
            .map(|i| Evidence::at_line("copies an artifact from a builder stage", i.line, &i.text))
            .collect();
        if copies.is_empty() {
            return Outcome::fail(
                format!("{called} copies nothing from a builder stage"),
                [vec![from], notes].concat(),
                format!("COPY --from=<builder stage> the built artifacts into {called} instead of building there"),
            );
        }
        Outcome::pass(format!("{} stages; {called} copies from a builder", dockerfile.stages.len())).with_evidence([notes, copies].concat())
    }
}

/// `the final stage`, or `the target stage `app`` when a target ships another.
fn called(dockerfile: &Dockerfile, ships: &Stage) -> String {
    match dockerfile.target() {
        Some(_) if ships.index + 1 < dockerfile.stages.len() => format!("the target stage {}", label(ships)),
        _ => "the final stage".to_string(),
    }
}

/// `` `base` ``, or the index of an unnamed stage.
fn label(stage: &Stage) -> String {
    match &stage.name {
        Some(name) => format!("`{name}`"),
        None => stage.index.to_string(),
    }
}

/// What the parent stages install that is a build tool, and how that was judged.
struct Inherited {
    tools: Vec<Evidence>,
    judged_from: &'static str,
}

fn inherited_tools(dockerfile: &Dockerfile, parents: &[&Stage], input: &Input<'_>) -> Inherited {
    let lines: BTreeMap<usize, &Instruction> =
        parents.iter().flat_map(|stage| dockerfile.stage_instructions(stage.index)).filter(|i| i.keyword != "FROM").map(|i| (i.line, i)).collect();
    match input.image.filter(|image| history_accounts_for(image, &lines, input)) {
        Some(image) => Inherited {
            tools: tools_in_layers(&NO_BUILD_TOOLS.find(&image.filesystem), &lines, dockerfile, input),
            judged_from: "judged from the image: no compiler or build tool in a layer its lines made",
        },
        None => Inherited {
            tools: lines.values().filter_map(|i| tools_in_text(i, dockerfile)).collect(),
            judged_from: "judged from the Dockerfile: none of its RUN lines installs or runs a compiler or build tool",
        },
    }
}

/// Whether the image's history was traced to every `RUN` line of the parent stages, so that what
/// the image holds can be laid at their door (otherwise the text is judged).
fn history_accounts_for(image: &ImageFacts, lines: &BTreeMap<usize, &Instruction>, input: &Input<'_>) -> bool {
    let Some(origins) = input.origins else { return false };
    let traced: BTreeSet<usize> = (0..image.history.len()).filter_map(|entry| origins.history_line(entry)).collect();
    lines.iter().filter(|(_, i)| i.keyword == "RUN").all(|(line, _)| traced.contains(line))
}

/// One piece of evidence per layer that a parent stage's line made and that holds build tools.
fn tools_in_layers(found: &[Found], lines: &BTreeMap<usize, &Instruction>, dockerfile: &Dockerfile, input: &Input<'_>) -> Vec<Evidence> {
    let mut by_layer: BTreeMap<usize, Vec<&Found>> = BTreeMap::new();
    for tool in found {
        let files = by_layer.entry(tool.layer).or_default();
        if !files.iter().any(|f| f.file == tool.file) {
            files.push(tool);
        }
    }
    by_layer
        .into_iter()
        .filter_map(|(layer, tools)| {
            let origin = input.origin(layer);
            let instruction = lines.get(&origin.learner_line()?)?;
            let mut shown: Vec<String> = tools.iter().take(TOOLS_SHOWN).map(|t| format!("/{} ({})", t.path, t.family)).collect();
            if tools.len() > TOOLS_SHOWN {
                shown.push(format!("and {} more", tools.len() - TOOLS_SHOWN));
            }
            let message = format!("{} put build tools in the image: {}", line_of_stage(instruction, dockerfile), shown.join(", "));
            Some(Evidence::from_layer(message, Some(&tools[0].path), origin))
        })
        .collect()
}

/// Evidence that a `RUN` installs a package named like a build tool, or runs a build tool.
fn tools_in_text(instruction: &Instruction, dockerfile: &Dockerfile) -> Option<Evidence> {
    if instruction.keyword != "RUN" {
        return None;
    }
    let commands = commands(&instruction.text);
    let installed: Vec<&str> = commands.iter().flat_map(|words| installed_packages(words)).filter(|p| is_tool_package(p)).collect();
    let ran: Vec<&str> =
        commands.iter().filter_map(|words| words.iter().find(|w| !w.contains('=')).copied()).filter(|w| NO_BUILD_TOOLS.family_of(w).is_some()).collect();
    let what = match (installed.is_empty(), ran.is_empty()) {
        (false, _) => format!("installs build tools: {}", installed.join(", ")),
        (true, false) => format!("runs a build tool, so the stage has one: {}", ran.join(", ")),
        (true, true) => return None,
    };
    Some(Evidence::at_line(format!("{} {what}", line_of_stage(instruction, dockerfile)), instruction.line, &instruction.text))
}

/// `line 4 (stage `base`)`.
fn line_of_stage(instruction: &Instruction, dockerfile: &Dockerfile) -> String {
    let stage = instruction.stage.and_then(|s| dockerfile.stages.get(s)).map(label).unwrap_or_default();
    format!("line {} (stage {stage})", instruction.line)
}

/// The shell commands of a `RUN` line (its keyword and flags dropped), each as words.
fn commands(text: &str) -> Vec<Vec<&str>> {
    let mut script = after_word(text);
    while script.starts_with("--") {
        script = after_word(script);
    }
    script.split(['&', '|', ';', '(', ')']).map(|command| command.split_whitespace().collect::<Vec<_>>()).filter(|words| !words.is_empty()).collect()
}

/// What follows the first word (`text` has single spaces).
fn after_word(text: &str) -> &str {
    text.split_once(' ').map_or("", |(_, rest)| rest)
}

/// The packages a command installs with apt-get, apt, apk, yum, dnf or microdnf (versions dropped).
fn installed_packages<'a>(words: &[&'a str]) -> Vec<&'a str> {
    let Some(at) = words.iter().position(|w| matches!(*w, "apt-get" | "apt" | "aptitude" | "apk" | "yum" | "dnf" | "microdnf")) else { return Vec::new() };
    let rest = &words[at + 1..];
    let Some(verb) = rest.iter().position(|w| matches!(*w, "install" | "add")) else { return Vec::new() };
    rest[verb + 1..].iter().filter(|w| !w.starts_with('-')).map(|w| w.split(['=', '~']).next().unwrap_or(w)).collect()
}

/// `gcc`, `g++-12`, `build-essential`, `golang-1.22-go`, `openjdk-17-jdk-headless`: build tools.
fn is_tool_package(name: &str) -> bool {
    NO_BUILD_TOOLS.family_of(name).is_some()
        || TOOL_PACKAGES.contains(&name)
        || name.starts_with("golang")
        || name.starts_with("clang")
        || (name.contains("jdk") && !name.contains("jre"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::Origins;
    use crate::checks::Status;
    use crate::image::layer::LayerEntry;
    use crate::image::{ContentClass, EntryKind, LayerFacts};

    const RAILS: &str = "ARG RUBY_VERSION=3.3\nFROM ruby:$RUBY_VERSION-slim AS base\nWORKDIR /rails\nRUN apt-get update -qq && apt-get install --no-install-recommends -y curl libjemalloc2 postgresql-client\n\nFROM base AS build\nRUN apt-get install --no-install-recommends -y build-essential git libpq-dev\nCOPY . .\nRUN bundle install\n\nFROM base\nCOPY --from=build /rails /rails\nUSER 1000:1000\n";

    fn judge(text: &str, target: Option<&str>, image: Option<&ImageFacts>) -> Outcome {
        let dockerfile = Dockerfile::parse(text).unwrap().with_target(target).unwrap();
        let origins = image.map(|i| Origins::new(i, Some(&dockerfile)));
        MultiStage.judge(&Input { dockerfile: Some(&dockerfile), image, origins: origins.as_ref(), ..Input::default() }, &())
    }

    fn messages(outcome: &Outcome) -> Vec<&str> {
        outcome.evidence.iter().map(|e| e.message.as_str()).collect()
    }

    /// An image whose layers are: the base image's, then one per `created_by`, each holding `files`.
    fn image(layers: &[(&str, &[&str])]) -> ImageFacts {
        let history: Vec<String> = layers.iter().map(|(created_by, _)| format!("{{\"created_by\": {created_by:?}}}")).collect();
        let config = format!("{{\"history\": [{}]}}", history.join(","));
        let facts = layers
            .iter()
            .map(|(_, files)| {
                let entries = files.iter().map(|path| LayerEntry {
                    path: path.to_string(),
                    kind: EntryKind::File,
                    size: 1,
                    mode: 0o755,
                    uid: 0,
                    gid: 0,
                    content: ContentClass::Data,
                });
                LayerFacts { entries: entries.collect(), ..LayerFacts::default() }
            })
            .collect();
        ImageFacts::assemble("sha256:test".into(), config.as_bytes(), facts).unwrap()
    }

    #[test]
    fn a_shared_base_stage_without_build_tools_passes() {
        let outcome = judge(RAILS, None, None);
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert!(messages(&outcome)[0].contains("built FROM the stage `base`, which installs no build tools (judged from the Dockerfile"), "{outcome:?}");
        assert_eq!(outcome.evidence.last().unwrap().dockerfile_line, Some(12));
    }

    #[test]
    fn a_shared_base_stage_that_installs_a_compiler_fails_with_its_line() {
        let text = RAILS.replace("curl libjemalloc2", "curl gcc=4:12.2.0-3 make");
        let outcome = judge(&text, None, None);
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.summary, "the final stage is built FROM the stage `base`, whose stages install build tools, and they ship");
        assert_eq!(messages(&outcome)[1], "line 4 (stage `base`) installs build tools: gcc, make");
        assert_eq!(outcome.evidence[1].dockerfile_line, Some(4));
    }

    #[test]
    fn a_parent_stage_that_runs_a_compiler_fails() {
        let text = "FROM golang:1.22 AS base\nWORKDIR /src\nRUN CGO_ENABLED=0 go build -o /app . && echo done\nFROM base\nCOPY --from=base /app /app\n";
        let outcome = judge(text, None, None);
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(messages(&outcome)[1], "line 3 (stage `base`) runs a build tool, so the stage has one: go");
    }

    #[test]
    fn the_image_decides_when_it_is_there() {
        // The text installs gcc in the base stage, but a later line removes it: the image has none.
        let text = "FROM debian:12 AS base\nRUN apt-get install -y gcc\nRUN apt-get purge -y gcc\nFROM base AS build\nRUN make\nFROM base\nCOPY --from=build /app /app\n";
        let clean = image(&[
            ("/bin/sh -c #(nop) ADD file:debian in /", &["bin/sh"]),
            ("RUN apt-get install -y gcc", &[]),
            ("RUN apt-get purge -y gcc", &[]),
            ("COPY /app /app # buildkit", &["app"]),
        ]);
        let outcome = judge(text, None, Some(&clean));
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert!(messages(&outcome)[0].contains("(judged from the image"), "{outcome:?}");
        let untraced = image(&[("/bin/sh -c #(nop) ADD file:debian in /", &["bin/sh"]), ("COPY /app /app # buildkit", &["app"])]);
        let outcome = judge(text, None, Some(&untraced));
        assert_eq!(outcome.status, Status::Fail, "a history that does not account for the RUN lines leaves the text to judge");
        assert_eq!(messages(&outcome)[1], "line 2 (stage `base`) installs build tools: gcc");

        let text = "FROM debian:12 AS base\nRUN apt-get install -y $TOOLS\nFROM base AS build\nRUN make\nFROM base\nCOPY --from=build /app /app\n";
        let tools = image(&[
            ("/bin/sh -c #(nop) ADD file:debian in /", &["bin/sh", "usr/bin/cc"]),
            (
                "RUN apt-get install -y $TOOLS",
                &["usr/bin/gcc-12", "usr/bin/x86_64-linux-gnu-gcc-12", "usr/bin/make", "usr/bin/ld", "usr/bin/as", "usr/bin/g++-12"],
            ),
            ("COPY /app /app # buildkit", &["app"]),
        ]);
        let outcome = judge(text, None, Some(&tools));
        assert_eq!(outcome.status, Status::Fail);
        let evidence = &outcome.evidence[1];
        assert_eq!(
            evidence.message,
            "line 2 (stage `base`) put build tools in the image: /usr/bin/as (binutils), /usr/bin/g++-12 (gcc), /usr/bin/gcc-12 (gcc), /usr/bin/ld (binutils), and 2 more"
        );
        assert_eq!((evidence.layer, evidence.dockerfile_line), (Some(1), Some(2)), "the base image's /usr/bin/cc is no-build-tools' business");
    }

    #[test]
    fn the_target_stage_is_judged() {
        let text = "FROM golang:1.22 AS build\nRUN go build -o /app\nFROM gcr.io/distroless/static-debian12 AS app\nCOPY --from=build /app /app\nFROM build AS test\nRUN go test ./...\n";
        assert_eq!(judge(text, None, None).status, Status::Fail, "the last stage is built FROM the builder");
        let outcome = judge(text, Some("app"), None);
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert_eq!(outcome.summary, "3 stages; the target stage `app` copies from a builder");
        assert_eq!(
            judge(text, Some("build"), None).summary,
            "the target stage `build` is the Dockerfile's first stage: no builder stage comes before it, so build tools and sources ship in the image"
        );
    }

    #[test]
    fn single_stages_and_stages_that_copy_nothing_fail() {
        assert_eq!(judge("FROM node:20\nRUN npm ci\n", None, None).summary, "the Dockerfile has a single stage: build tools and sources ship in the image");
        let outcome = judge("FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nCOPY --from=busybox:1.36 /bin/busybox /b\n", None, None);
        assert_eq!(outcome.summary, "the final stage copies nothing from a builder stage");
        let mounted = judge(
            "FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nRUN --mount=type=bind,from=build,source=/app,target=/src cp -r /src /app\n",
            None,
            None,
        );
        assert_eq!(mounted.status, Status::Pass, "a bind mount from the builder hands over artifacts too");
    }

    #[test]
    fn reads_installed_packages_from_every_package_manager() {
        fn packages(text: &str) -> Vec<&str> {
            commands(text).iter().flat_map(|c| installed_packages(c)).collect()
        }
        assert_eq!(packages("RUN apt-get update && apt-get install -y --no-install-recommends gcc=4:12 libc6-dev"), ["gcc", "libc6-dev"]);
        assert_eq!(packages("RUN --mount=type=cache,target=/var/cache/apk apk add --no-cache build-base"), ["build-base"]);
        assert_eq!(packages("RUN dnf -y install gcc-c++ && dnf clean all"), ["gcc-c++"]);
        assert!(["gcc", "g++-12", "build-essential", "golang-1.22-go", "openjdk-17-jdk-headless", "clang-16", "cmake"].iter().all(|p| is_tool_package(p)));
        assert!(!["curl", "libpq-dev", "openjdk-17-jre", "postgresql-client", "git"].iter().any(|p| is_tool_package(p)));
    }
}
