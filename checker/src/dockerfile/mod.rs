//! The learner's Dockerfile as the checks see it: stages, instructions with their line numbers,
//! and `COPY --from` sources. Parsing is parse-dockerfile's; this keeps what Shipshape needs.
//!
//! What must hold: `instructions` are in file order and `line` is 1-based in the text as written,
//! so a builder's step number or a history entry can be traced back to the learner's line.
pub mod image_map;

use parse_dockerfile::Instruction as Parsed;

#[derive(Debug, Clone)]
pub struct Instruction {
    /// Upper-case keyword: `RUN`, `COPY`, `FROM`, ...
    pub keyword: String,
    /// 1-based line of the keyword.
    pub line: usize,
    /// The instruction on one line, continuations joined (for evidence).
    pub text: String,
    /// Index of the stage this instruction belongs to (`None` for global `ARG`s).
    pub stage: Option<usize>,
    /// `COPY --from=X` / `RUN --mount=from=X`: the stage or image X.
    pub copy_from: Option<String>,
    /// For `FROM`: the image as written, and its byte span in the text.
    pub from_image: Option<(String, std::ops::Range<usize>)>,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    /// `FROM x AS name`, lower-cased as Docker compares them.
    pub name: Option<String>,
    /// The base image as written (may name an earlier stage).
    pub base: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Dockerfile {
    pub text: String,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed = parse_dockerfile::parse(text).map_err(|e| e.to_string())?;
        let starts: Vec<usize> = parsed.instructions.iter().filter_map(keyword_start).collect();
        let mut instructions = Vec::new();
        let mut stages = Vec::new();
        for (index, parsed) in parsed.instructions.iter().enumerate() {
            let Some(start) = keyword_start(parsed) else { continue };
            let end = starts.get(index + 1).copied().unwrap_or(text.len());
            let mut instruction = Instruction {
                keyword: keyword_text(&text[start..end]),
                line: line_of(text, start),
                text: one_line(&text[start..end]),
                stage: stages.len().checked_sub(1),
                copy_from: None,
                from_image: None,
            };
            match parsed {
                Parsed::From(from) => {
                    let image = from.image.value.to_string();
                    stages.push(Stage {
                        index: stages.len(),
                        name: from.as_.as_ref().map(|(_, name)| name.value.to_ascii_lowercase()),
                        base: image.clone(),
                        line: instruction.line,
                    });
                    instruction.stage = Some(stages.len() - 1);
                    instruction.from_image = Some((image, from.image.span.clone()));
                }
                Parsed::Copy(copy) => instruction.copy_from = flag(&copy.options, "from"),
                _ => {}
            }
            instructions.push(instruction);
        }
        if stages.is_empty() {
            return Err("it has no FROM instruction".into());
        }
        Ok(Dockerfile { text: text.to_string(), instructions, stages })
    }

    pub fn final_stage(&self) -> &Stage {
        self.stages.last().expect("parse guarantees a stage")
    }

    /// Instructions of one stage, `FROM` included.
    pub fn stage_instructions(&self, stage: usize) -> impl Iterator<Item = &Instruction> {
        self.instructions.iter().filter(move |i| i.stage == Some(stage))
    }

    /// The stage a `--from` or `FROM` reference names, if it is a stage (by name or by index)
    /// defined before stage `before`.
    pub fn stage_named(&self, reference: &str, before: usize) -> Option<&Stage> {
        let reference = reference.to_ascii_lowercase();
        self.stages[..before.min(self.stages.len())].iter().find(|s| s.name.as_deref() == Some(reference.as_str()) || reference.parse() == Ok(s.index))
    }

    /// The images the Dockerfile names — in `FROM` and `COPY --from` — that are neither one of its
    /// own stages nor `scratch`, with the instruction naming each.
    pub fn external_images(&self) -> impl Iterator<Item = (&Instruction, &str)> {
        self.instructions.iter().filter_map(move |instruction| {
            let stage = instruction.stage.unwrap_or(0);
            let image = instruction.from_image.as_ref().map(|(image, _)| image.as_str()).or(instruction.copy_from.as_deref())?;
            let external = !image.eq_ignore_ascii_case("scratch") && self.stage_named(image, stage).is_none();
            external.then_some((instruction, image))
        })
    }

    /// The instruction the classic builder reports as `Step N/M` (1-based, every instruction).
    pub fn step(&self, number: usize) -> Option<&Instruction> {
        self.instructions.get(number.checked_sub(1)?)
    }

    /// The first instruction whose text matches `text` exactly (BuildKit names steps by text).
    pub fn find_text(&self, text: &str) -> Option<&Instruction> {
        self.instructions.iter().find(|i| i.text == text)
    }
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

fn flag(options: &[parse_dockerfile::Flag<'_>], name: &str) -> Option<String> {
    options.iter().find(|f| f.name.value == name).and_then(|f| f.value.as_ref()).map(|v| v.value.to_string())
}

fn keyword_text(source: &str) -> String {
    source.split_whitespace().next().unwrap_or_default().to_ascii_uppercase()
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
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

    const TEXT: &str = "# syntax=docker/dockerfile:1\nARG V=20\nFROM node:${V} AS Build\nWORKDIR /app\nRUN npm ci \\\n    && npm run build\n\nFROM gcr.io/distroless/nodejs20-debian12:nonroot\nCOPY --from=build /app/dist /app\nUSER 65532\n";

    #[test]
    fn finds_stages_lines_and_copy_sources() {
        let file = Dockerfile::parse(TEXT).unwrap();
        assert_eq!(file.stages.len(), 2);
        assert_eq!(file.stages[0].name.as_deref(), Some("build"));
        assert_eq!(file.final_stage().base, "gcr.io/distroless/nodejs20-debian12:nonroot");
        assert_eq!(file.final_stage().line, 8);
        let run = file.instructions.iter().find(|i| i.keyword == "RUN").unwrap();
        assert_eq!((run.line, run.text.as_str()), (5, "RUN npm ci && npm run build"));
        let copy = file.instructions.iter().find(|i| i.keyword == "COPY").unwrap();
        assert_eq!(copy.copy_from.as_deref(), Some("build"));
        assert_eq!(file.stage_named("BUILD", 1).map(|s| s.index), Some(0));
        assert_eq!(file.stage_named("0", 1).map(|s| s.index), Some(0));
        assert!(file.stage_named("build", 0).is_none());
        assert_eq!(file.step(1).unwrap().keyword, "ARG");
        assert_eq!(file.instructions[0].stage, None);
        let external: Vec<&str> = file.external_images().map(|(_, image)| image).collect();
        assert_eq!(external, ["node:${V}", "gcr.io/distroless/nodejs20-debian12:nonroot"]);
    }

    #[test]
    fn a_file_without_from_is_rejected() {
        assert!(Dockerfile::parse("RUN echo hi\n").is_err());
    }
}
