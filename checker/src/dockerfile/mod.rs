//! The learner's Dockerfile as the checks see it: stages, instructions with their line numbers,
//! the images and stages they name, which stage ships, and the build arguments their image
//! references see. Parsing is parse-dockerfile's; this keeps what Shipshape needs.
//!
//! What must hold: the text is read once, as BuildKit reads it (no byte-order mark, `\r\n` as one
//! line end), and every offset and line refers to that text; `line` is 1-based and equal to the
//! line in the file as written, so a builder's step number or a history entry can be traced back
//! to the learner's line. `instructions` are in file order. The shipping stage is always one of
//! `stages` (the last, unless a target names another). A file that does not parse, or that Docker
//! would read otherwise than it looks, is a [`ParseError`] in a linter's words (`parse_error.rs`).
pub(crate) mod args;
pub(crate) mod for_builder;
pub(crate) mod image_map;
pub(crate) mod image_ref;
pub(crate) mod parse_error;
pub(crate) mod reach;

use std::collections::BTreeMap;
use std::ops::Range;

use parse_dockerfile::{Instruction as Parsed, UnescapedString};

use args::{Args, Declaration};
pub(crate) use parse_error::ParseError;

#[derive(Debug, Clone)]
pub(crate) struct Instruction {
    /// Upper-case keyword: `RUN`, `COPY`, `FROM`, ...
    pub keyword: String,
    /// 1-based line of the keyword.
    pub line: usize,
    /// The instruction on one line, continuations joined (for evidence).
    pub text: String,
    /// Index of the stage this instruction belongs to (`None` for global `ARG`s).
    pub stage: Option<usize>,
    /// `COPY --from=X` / `RUN --mount=…,from=X`: the stages or images X.
    pub copy_from: Vec<Reference>,
    /// For `FROM`: the image as written.
    pub from_image: Option<Reference>,
    /// For `RUN`: it mounts a cache (`--mount=type=cache`).
    pub mounts_cache: bool,
    /// For `ADD`: its sources as written (paths, URLs or Git addresses; here-documents left out).
    pub add_sources: Vec<String>,
}

/// An image or a stage as an instruction names it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reference {
    /// As written (escapes resolved, build arguments not filled in).
    pub written: String,
    /// Its bytes in the text, when they are exactly `written` (so it can be replaced in place).
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Stage {
    pub index: usize,
    /// `FROM x AS name`, lower-cased as Docker compares them.
    pub name: Option<String>,
    /// The base image as written (may name an earlier stage).
    pub base: String,
    pub line: usize,
}

/// What a reference names, build arguments filled in.
#[derive(Debug)]
pub(crate) enum Named<'a> {
    Stage(&'a Stage),
    Scratch,
    /// An image: its reference expanded, or what could not be expanded.
    Image(Result<String, String>),
}

/// An image the Dockerfile needs from outside: neither one of its stages nor `scratch`.
#[derive(Debug)]
pub(crate) struct ExternalImage<'a> {
    pub instruction: &'a Instruction,
    pub reference: &'a Reference,
    /// The reference with build arguments filled in, or which one has no value.
    pub expanded: Result<String, String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Dockerfile {
    /// The text as read: no byte-order mark, `\n` line ends.
    pub text: String,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// The global `ARG`s, in file order.
    global_args: Vec<Declaration>,
    /// The escape character (`\`, or what `# escape=` says).
    escape: char,
    /// The build arguments image references see.
    args: Args,
    /// Index of the stage that ships.
    shipping: usize,
    /// The stage name to pass the builder as its target, when one was asked for.
    target: Option<String>,
}

impl Dockerfile {
    pub(crate) fn parse(text: &str) -> Result<Self, ParseError> {
        let text = normalise(text);
        let Parts { instructions, stages, global_args, escape } = Parts::read(&text)?;
        let args = Args::new(&global_args, &BTreeMap::new(), escape);
        let shipping = stages.len() - 1;
        Ok(Dockerfile { text, instructions, stages, global_args, escape, args, shipping, target: None })
    }

    /// The same file built with these `--build-arg` values (they override the global `ARG`
    /// defaults that image references see).
    pub(crate) fn with_build_args(mut self, build_args: &BTreeMap<String, String>) -> Self {
        self.args = Args::new(&self.global_args, build_args, self.escape);
        self
    }

    /// The same file built up to `target` (`--target`), which then is the stage the checks judge;
    /// `None` ships the last stage. The error, for the learner, names the stages there are.
    pub(crate) fn with_target(mut self, target: Option<&str>) -> Result<Self, String> {
        let stage = self.shipping_stage(target)?;
        let last = stage.index + 1 == self.stages.len();
        let name = match (target, &stage.name) {
            (None, _) => None,
            (Some(_), Some(name)) => Some(name.clone()),
            (Some(_), None) if last => None,
            (Some(asked), None) => {
                return Err(format!(
                    "the target `{asked}` is stage {} (line {}), which has no name: a build can only stop at a named stage; \
                     name it (`FROM … AS NAME`) and make that name the target",
                    stage.index, stage.line
                ))
            }
        };
        self.shipping = stage.index;
        self.target = name;
        Ok(self)
    }

    /// The stage `target` names, by name (case-insensitive) or index; without a target, the last.
    pub(crate) fn shipping_stage(&self, target: Option<&str>) -> Result<&Stage, String> {
        let Some(target) = target.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(self.stages.last().expect("parse guarantees a stage")) };
        let wanted = target.to_ascii_lowercase();
        let by_name = self.stages.iter().find(|s| s.name.as_deref() == Some(wanted.as_str()));
        by_name.or_else(|| wanted.parse().ok().and_then(|index: usize| self.stages.get(index))).ok_or_else(|| {
            format!("the target stage `{target}` is not a stage of this Dockerfile; its stages are {} (name one, or its number from 0)", self.stage_list())
        })
    }

    /// The stage that ships: the target, or the last stage.
    pub(crate) fn shipped_stage(&self) -> &Stage {
        &self.stages[self.shipping]
    }

    /// The stage name to pass the builder as its target (`None`: build the last stage).
    pub(crate) fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// `` `build` (line 1), 1 (line 7) ``: every stage, for messages.
    fn stage_list(&self) -> String {
        let shown: Vec<String> = self
            .stages
            .iter()
            .map(|s| match &s.name {
                Some(name) => format!("`{name}` (line {})", s.line),
                None => format!("{} (line {}, unnamed)", s.index, s.line),
            })
            .collect();
        shown.join(", ")
    }

    /// The instruction that starts at `line`.
    pub(crate) fn instruction_at(&self, line: usize) -> Option<&Instruction> {
        self.instructions.iter().find(|i| i.line == line)
    }

    /// Instructions of one stage, `FROM` included.
    pub(crate) fn stage_instructions(&self, stage: usize) -> impl Iterator<Item = &Instruction> {
        self.instructions.iter().filter(move |i| i.stage == Some(stage))
    }

    /// The stage a `--from` or `FROM` reference names, if it is a stage (by name or by index)
    /// defined before stage `before`. The reference is compared as written.
    pub(crate) fn stage_named(&self, reference: &str, before: usize) -> Option<&Stage> {
        let reference = reference.to_ascii_lowercase();
        self.stages[..before.min(self.stages.len())].iter().find(|s| s.name.as_deref() == Some(reference.as_str()) || reference.parse() == Ok(s.index))
    }

    /// What `reference`, used in stage `stage`, names: an earlier stage (as written, or once build
    /// arguments are filled in), `scratch`, or an image.
    pub(crate) fn names(&self, reference: &str, stage: usize) -> Named<'_> {
        let expanded = self.args.expand(reference);
        let spellings = [Some(reference), expanded.as_deref().ok()];
        if let Some(named) = spellings.iter().flatten().find_map(|r| self.stage_named(r, stage)) {
            return Named::Stage(named);
        }
        if spellings.iter().flatten().any(|r| r.eq_ignore_ascii_case("scratch")) {
            return Named::Scratch;
        }
        Named::Image(expanded)
    }

    /// The stage and the stages it is built `FROM`, nearest first: what it inherits.
    pub(crate) fn ancestry(&self, stage: usize) -> Vec<&Stage> {
        let mut chain = vec![&self.stages[stage]];
        while let Some(Named::Stage(parent)) = chain.last().map(|s| self.names(&s.base, s.index)) {
            chain.push(parent);
        }
        chain
    }

    /// The `FROM` line of the stage the shipping stage inherits from, at the root of its ancestry,
    /// and what that line names: an image or `scratch` (never a stage).
    pub(crate) fn shipped_base(&self) -> (usize, Named<'_>) {
        let root = self.ancestry(self.shipping).pop().expect("a stage's ancestry holds the stage");
        (root.line, self.names(&root.base, root.index))
    }

    /// The images the Dockerfile names — in `FROM`, `COPY --from` and `RUN --mount=…,from=` —
    /// that are neither one of its own stages nor `scratch`, with the instruction naming each.
    pub(crate) fn external_images(&self) -> Vec<ExternalImage<'_>> {
        let mut external = Vec::new();
        for instruction in &self.instructions {
            for reference in instruction.references() {
                if let Named::Image(expanded) = self.names(&reference.written, instruction.stage.unwrap_or(0)) {
                    external.push(ExternalImage { instruction, reference, expanded });
                }
            }
        }
        external
    }

    /// The stages the shipping stage needs — itself, the stages it is built `FROM`, and those it
    /// copies or mounts from, transitively — in file order: the stages a BuildKit build runs.
    pub(crate) fn needed_stages(&self) -> Vec<usize> {
        let mut needed = vec![false; self.stages.len()];
        let mut todo = vec![self.shipping];
        while let Some(stage) = todo.pop() {
            if std::mem::replace(&mut needed[stage], true) {
                continue;
            }
            let from = self.stages[stage].base.as_str();
            let copied = self.stage_instructions(stage).flat_map(|i| i.copy_from.iter().map(|r| r.written.as_str()));
            for reference in std::iter::once(from).chain(copied) {
                if let Named::Stage(source) = self.names(reference, stage) {
                    todo.push(source.index);
                }
            }
        }
        (0..self.stages.len()).filter(|s| needed[*s]).collect()
    }

    /// True when a stage the build runs mounts a cache (`RUN --mount=type=cache`).
    pub(crate) fn mounts_a_cache(&self) -> bool {
        self.needed_stages().into_iter().any(|stage| self.stage_instructions(stage).any(|i| i.mounts_cache))
    }
}

/// What a parse keeps of the text.
struct Parts {
    instructions: Vec<Instruction>,
    stages: Vec<Stage>,
    global_args: Vec<Declaration>,
    escape: char,
}

impl Parts {
    fn read(text: &str) -> Result<Self, ParseError> {
        let parsed = parse_dockerfile::parse(text).map_err(|e| ParseError::from_parser(text, &e))?;
        let escape = parsed.parser_directives.escape.as_ref().map_or('\\', |directive| directive.value.value);
        let starts: Vec<usize> = parsed.instructions.iter().filter_map(keyword_start).collect();
        let mut parts = Parts { instructions: Vec::new(), stages: Vec::new(), global_args: Vec::new(), escape };
        for (index, parsed) in parsed.instructions.iter().enumerate() {
            let Some(start) = keyword_start(parsed) else { continue };
            let end = starts.get(index + 1).copied().unwrap_or(text.len());
            parts.push(text, start..end, parsed)?;
        }
        if parts.stages.is_empty() {
            return Err(ParseError::no_from());
        }
        Ok(parts)
    }

    /// Keeps one instruction, whose source is `text[source]`, or says why Docker would not read it
    /// as written.
    fn push(&mut self, text: &str, source: Range<usize>, parsed: &Parsed<'_>) -> Result<(), ParseError> {
        if let Some(error) = self.misread(text, parsed) {
            return Err(error);
        }
        let stages = &mut self.stages;
        let mut instruction = Instruction {
            keyword: keyword_text(&text[source.clone()]),
            line: line_of(text, source.start),
            text: one_line(&text[source]),
            stage: stages.len().checked_sub(1),
            copy_from: Vec::new(),
            from_image: None,
            mounts_cache: false,
            add_sources: Vec::new(),
        };
        match parsed {
            Parsed::From(from) => {
                let name = from.as_.as_ref().map(|(_, name)| name.value.to_ascii_lowercase());
                stages.push(Stage { index: stages.len(), name, base: from.image.value.to_string(), line: instruction.line });
                instruction.stage = Some(stages.len() - 1);
                instruction.from_image = Some(Reference::of(text, &from.image));
            }
            Parsed::Arg(arg) if stages.is_empty() => self.global_args.extend(args::declarations(&arg.arguments.value)),
            Parsed::Copy(copy) => instruction.copy_from = copy_source(text, &copy.options).into_iter().collect(),
            Parsed::Add(add) => instruction.add_sources = add_sources(&add.src),
            Parsed::Run(run) => {
                instruction.copy_from = mount_sources(text, &run.options);
                instruction.mounts_cache = mounts_cache(&run.options);
            }
            _ => {}
        }
        self.instructions.push(instruction);
        Ok(())
    }

    /// What parse-dockerfile reads without complaint but Docker would not build as it looks:
    /// `FROM image AS` with an empty name, and an exec-form array gone wrong (run as shell form).
    fn misread(&self, text: &str, parsed: &Parsed<'_>) -> Option<ParseError> {
        let (keyword, arguments) = match parsed {
            Parsed::From(from) => {
                let (as_, _) = from.as_.as_ref().filter(|(_, name)| name.value.is_empty())?;
                return Some(ParseError::missing_stage_name(text, as_.span.start));
            }
            Parsed::Run(run) => ("RUN", &run.arguments),
            Parsed::Cmd(cmd) => ("CMD", &cmd.arguments),
            Parsed::Entrypoint(entrypoint) => ("ENTRYPOINT", &entrypoint.arguments),
            _ => return None,
        };
        let parse_dockerfile::Command::Shell(shell) = arguments else { return None };
        ParseError::broken_exec_form(text, keyword, shell.value, shell.span.start, self.escape)
    }
}

impl Instruction {
    /// The images or stages it names: its `FROM` image, then its `--from` sources.
    pub(crate) fn references(&self) -> impl Iterator<Item = &Reference> {
        self.from_image.iter().chain(&self.copy_from)
    }
}

impl Reference {
    fn of(text: &str, value: &UnescapedString<'_>) -> Self {
        let span = (text.get(value.span.clone()) == Some(&*value.value)).then(|| value.span.clone());
        Reference { written: value.value.to_string(), span }
    }
}

/// The text as BuildKit reads it: without a UTF-8 byte-order mark, and with `\r\n` read as one
/// line end (Docker's line scanner drops the `\r`). Line numbers stay those of the file.
fn normalise(text: &str) -> String {
    text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n")
}

fn keyword_start(instruction: &Parsed<'_>) -> Option<usize> {
    let span = match instruction {
        Parsed::Add(i) => &i.add.span,
        Parsed::Arg(i) => &i.arg.span,
        Parsed::Cmd(i) => &i.cmd.span,
        Parsed::Copy(i) => &i.copy.span,
        Parsed::Entrypoint(i) => &i.entrypoint.span,
        Parsed::Env(i) => &i.env.span,
        Parsed::Expose(i) => &i.expose.span,
        Parsed::From(i) => &i.from.span,
        Parsed::Healthcheck(i) => &i.healthcheck.span,
        Parsed::Label(i) => &i.label.span,
        Parsed::Maintainer(i) => &i.maintainer.span,
        Parsed::Onbuild(i) => &i.onbuild.span,
        Parsed::Run(i) => &i.run.span,
        Parsed::Shell(i) => &i.shell.span,
        Parsed::Stopsignal(i) => &i.stopsignal.span,
        Parsed::User(i) => &i.user.span,
        Parsed::Volume(i) => &i.volume.span,
        Parsed::Workdir(i) => &i.workdir.span,
        _ => return None,
    };
    Some(span.start)
}

/// `COPY --from=X`: X.
fn copy_source(text: &str, options: &[parse_dockerfile::Flag<'_>]) -> Option<Reference> {
    options.iter().find(|f| f.name.value == "from").and_then(|f| f.value.as_ref()).map(|value| Reference::of(text, value))
}

/// `ADD`'s path or address sources, as written.
fn add_sources(sources: &[parse_dockerfile::Source<'_>]) -> Vec<String> {
    sources
        .iter()
        .filter_map(|source| match source {
            parse_dockerfile::Source::Path(path) => Some(path.value.to_string()),
            _ => None,
        })
        .collect()
}

/// `RUN --mount=type=cache,…` (BuildKit's keys and values are case-insensitive).
fn mounts_cache(options: &[parse_dockerfile::Flag<'_>]) -> bool {
    let mounts = options.iter().filter(|f| f.name.value == "mount").filter_map(|f| f.value.as_ref());
    mounts
        .flat_map(|value| value.value.split(','))
        .any(|field| field.split_once('=').is_some_and(|(key, kind)| key.trim().eq_ignore_ascii_case("type") && kind.trim().eq_ignore_ascii_case("cache")))
}

/// `RUN --mount=type=bind,from=X,…`: each X (the field's key is case-insensitive, as BuildKit's).
fn mount_sources(text: &str, options: &[parse_dockerfile::Flag<'_>]) -> Vec<Reference> {
    let mounts = options.iter().filter(|f| f.name.value == "mount").filter_map(|f| f.value.as_ref());
    mounts
        .flat_map(|value| {
            let whole = Reference::of(text, value);
            let mut offset = 0;
            let mut sources = Vec::new();
            for field in value.value.split(',') {
                if let Some((key, source)) = field.split_once('=').filter(|(key, _)| key.trim().eq_ignore_ascii_case("from")) {
                    let start = offset + key.len() + 1;
                    let span = whole.span.as_ref().map(|span| span.start + start..span.start + start + source.len());
                    sources.push(Reference { written: source.to_string(), span });
                }
                offset += field.len() + 1;
            }
            sources
        })
        .collect()
}

fn keyword_text(source: &str) -> String {
    source.split_whitespace().next().unwrap_or_default().to_ascii_uppercase()
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// The instruction's source on one line: continuations joined, comment lines dropped, spaces squeezed.
fn one_line(source: &str) -> String {
    let joined: Vec<&str> =
        source.lines().map(str::trim).filter(|l| !l.starts_with('#') && !l.is_empty()).map(|l| l.strip_suffix('\\').unwrap_or(l).trim()).collect();
    joined.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_needed_stages_follow_from_copies_and_mounts_of_the_shipping_stage() {
        let text = "FROM golangci/golangci-lint AS lint\nFROM golang:1.22 AS base\nFROM busybox AS tools\nFROM base AS build\nRUN --mount=from=tools,target=/t true\nFROM scratch AS server\nCOPY --from=build /a /a\nFROM lint AS test\n";
        let file = Dockerfile::parse(text).unwrap().with_target(Some("server")).unwrap();
        assert_eq!(file.needed_stages(), [1, 2, 3, 4]);
        let whole = Dockerfile::parse(text).unwrap();
        assert_eq!(whole.needed_stages(), [0, 5], "the last stage needs only what it is built from");
    }

    const TEXT: &str = "# syntax=docker/dockerfile:1\nARG V=20\nFROM node:${V} AS Build\nWORKDIR /app\nRUN npm ci \\\n    && npm run build\n\nFROM gcr.io/distroless/nodejs20-debian12:nonroot\nCOPY --from=build /app/dist /app\nUSER 65532\n";

    fn expanded(file: &Dockerfile) -> Vec<String> {
        file.external_images().into_iter().map(|image| image.expanded.unwrap_or_else(|e| e)).collect()
    }

    #[test]
    fn finds_stages_lines_and_copy_sources() {
        let file = Dockerfile::parse(TEXT).unwrap();
        assert_eq!(file.stages.len(), 2);
        assert_eq!(file.stages[0].name.as_deref(), Some("build"));
        assert_eq!(file.shipped_stage().base, "gcr.io/distroless/nodejs20-debian12:nonroot");
        assert_eq!(file.shipped_stage().line, 8);
        let run = file.instructions.iter().find(|i| i.keyword == "RUN").unwrap();
        assert_eq!((run.line, run.text.as_str()), (5, "RUN npm ci && npm run build"));
        let copy = file.instructions.iter().find(|i| i.keyword == "COPY").unwrap();
        assert_eq!(copy.copy_from[0].written, "build");
        assert_eq!(file.stage_named("BUILD", 1).map(|s| s.index), Some(0));
        assert_eq!(file.stage_named("0", 1).map(|s| s.index), Some(0));
        assert!(file.stage_named("build", 0).is_none());
        assert_eq!(file.instructions[0].keyword, "ARG");
        assert_eq!(file.instructions[0].stage, None);
        let written: Vec<&str> = file.external_images().iter().map(|image| image.reference.written.as_str()).collect();
        assert_eq!(written, ["node:${V}", "gcr.io/distroless/nodejs20-debian12:nonroot"]);
        assert_eq!(expanded(&file), ["node:20", "gcr.io/distroless/nodejs20-debian12:nonroot"]);
    }

    #[test]
    fn a_file_without_from_is_rejected() {
        assert!(Dockerfile::parse("RUN echo hi\n").is_err());
    }

    #[test]
    fn a_byte_order_mark_and_crlf_keep_lines_and_spans() {
        let plain = Dockerfile::parse(TEXT).unwrap();
        for text in [format!("\u{feff}{TEXT}"), TEXT.replace('\n', "\r\n"), format!("\u{feff}{}", TEXT.replace('\n', "\r\n"))] {
            let file = Dockerfile::parse(&text).unwrap();
            assert_eq!(file.text, TEXT, "read as BuildKit reads it");
            let lines = |f: &Dockerfile| f.instructions.iter().map(|i| (i.line, i.text.clone())).collect::<Vec<_>>();
            assert_eq!(lines(&file), lines(&plain));
            let from = file.instructions[1].from_image.clone().unwrap();
            assert_eq!(&file.text[from.span.unwrap()], "node:${V}");
        }
    }

    #[test]
    fn build_args_and_platform_arguments_fill_in_references() {
        let text = "ARG NODE_VERSION=20\nARG DISTROLESS\nFROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-bookworm AS build\nRUN --mount=type=cache,target=/root/.npm --mount=type=bind,FROM=busybox:${NODE_VERSION},target=/b true\nFROM ${DISTROLESS:-gcr.io/distroless/nodejs20-debian12}:nonroot\nCOPY --from=$UNSET /a /a\n";
        let file = Dockerfile::parse(text).unwrap();
        assert_eq!(expanded(&file)[..3], ["node:20-bookworm", "busybox:20", "gcr.io/distroless/nodejs20-debian12:nonroot"]);
        assert!(expanded(&file)[3].contains("UNSET has no value"), "{:?}", expanded(&file));
        let args = BTreeMap::from([("NODE_VERSION".to_string(), "22".to_string()), ("DISTROLESS".to_string(), "local/static".to_string())]);
        let file = file.with_build_args(&args);
        assert_eq!(expanded(&file)[..3], ["node:22-bookworm", "busybox:22", "local/static:nonroot"]);
        let mount = &file.instructions[3].copy_from[0];
        assert_eq!(&file.text[mount.span.clone().unwrap()], "busybox:${NODE_VERSION}");
    }

    #[test]
    fn a_build_argument_may_name_a_stage_or_scratch() {
        let text = "ARG PARENT=build\nARG EMPTY=scratch\nFROM golang:1.22 AS build\nFROM $PARENT AS test\nFROM ${EMPTY}\nCOPY --from=${PARENT} /a /a\n";
        let file = Dockerfile::parse(text).unwrap();
        assert_eq!(expanded(&file), ["golang:1.22"]);
        assert!(matches!(file.names("$PARENT", 2), Named::Stage(stage) if stage.index == 0));
        let ancestry: Vec<usize> = file.ancestry(1).iter().map(|s| s.index).collect();
        assert_eq!(ancestry, [1, 0]);
    }

    #[test]
    fn the_target_ships_by_name_or_index() {
        let text = "FROM golang:1.22 AS build\nRUN go build\nFROM gcr.io/distroless/static-debian12 AS App\nCOPY --from=build /a /a\nFROM build AS lint\nRUN go vet\nFROM build\nRUN go test\n";
        let file = Dockerfile::parse(text).unwrap();
        assert_eq!((file.shipped_stage().index, file.target()), (3, None));
        let app = file.clone().with_target(Some("APP")).unwrap();
        assert_eq!((app.shipped_stage().index, app.target()), (1, Some("app")));
        let by_index = file.clone().with_target(Some("1")).unwrap();
        assert_eq!((by_index.shipped_stage().index, by_index.target()), (1, Some("app")));
        let last = file.clone().with_target(Some("3")).unwrap();
        assert_eq!((last.shipped_stage().index, last.target()), (3, None), "the unnamed last stage is what a build without target makes");
        let error = file.clone().with_target(Some("release")).unwrap_err();
        assert!(error.contains("`release`") && error.contains("`build` (line 1), `app` (line 3), `lint` (line 5), 3 (line 7, unnamed)"), "{error}");
        let unnamed = Dockerfile::parse("FROM alpine\nFROM alpine AS x\n").unwrap().with_target(Some("0")).unwrap_err();
        assert!(unnamed.contains("no name"), "{unnamed}");
        assert_eq!(file.with_target(Some(" ")).unwrap().shipped_stage().index, 3, "an empty target is no target");
    }
}
