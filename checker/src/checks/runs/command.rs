//! The command the runtime starts (the image's ENTRYPOINT followed by its CMD, or by the spec's
//! arguments, as Docker combines them) and, when the run fails, what the image's own facts say
//! went wrong with it.
//!
//! What must hold: each diagnosis rests on the image's config and final filesystem, never on the
//! runtime's error text; a diagnosis is given only when the facts prove it (a shell-form command
//! whose shell is absent, a loader that is absent, a CMD that names the ENTRYPOINT's own
//! program); otherwise there is none and the check keeps its general hint.
use crate::image::filesystem::Node;
use crate::image::ImageFacts;
use crate::markdown::code_span;
use crate::record::ProbePlan;

/// Where runc looks for a bare program name when the image sets no `PATH`.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Characters that make a shell-form command more than a program and its words.
const SHELL_SYNTAX: &[char] = &['$', '|', '&', ';', '<', '>', '`', '"', '\'', '\\', '*', '?', '(', ')', '{', '}', '~', '#'];

/// The command a container of the image starts with.
pub(super) struct Effective<'a> {
    entrypoint: &'a [String],
    cmd: &'a [String],
}

impl<'a> Effective<'a> {
    /// The image's ENTRYPOINT with its CMD, or with the spec's arguments when they replace it.
    pub(super) fn of(image: &'a ImageFacts, plan: &'a ProbePlan) -> Self {
        let cmd = match plan {
            ProbePlan::Command { args: Some(args), .. } => args,
            _ => &image.config.cmd,
        };
        Effective { entrypoint: &image.config.entrypoint, cmd }
    }

    fn argv(&self) -> impl Iterator<Item = &'a String> {
        self.entrypoint.iter().chain(self.cmd)
    }

    /// The command as a JSON array, the way `docker inspect` shows it.
    pub(super) fn shown(&self) -> String {
        json_array(self.argv())
    }

    /// Which instruction a command that starts with `argv[0]` came from.
    fn first_instruction(&self) -> &'static str {
        if self.entrypoint.is_empty() {
            "CMD"
        } else {
            "ENTRYPOINT"
        }
    }
}

fn json_array<'s>(words: impl Iterator<Item = &'s String>) -> String {
    serde_json::to_string(&words.collect::<Vec<_>>()).expect("strings serialise")
}

/// What the image's facts say is wrong with `command`, as a hint; `None` when they say nothing.
pub(super) fn diagnosis(image: &ImageFacts, command: &Effective) -> Option<String> {
    shell_without_shell(image, command).or_else(|| missing_loader(image, command)).or_else(|| swallowed_by_entrypoint(command))
}

/// A shell-form command (`/bin/sh -c …`) on an image with no `/bin/sh`.
fn shell_without_shell(image: &ImageFacts, command: &Effective) -> Option<String> {
    let argv: Vec<&String> = command.argv().collect();
    let [shell, flag, script, ..] = argv.as_slice() else { return None };
    if flag.as_str() != "-c" || !shell.starts_with('/') || locate(image, shell).is_some() {
        return None;
    }
    let instruction = command.first_instruction();
    let instead = if script.contains(SHELL_SYNTAX) {
        format!("a JSON array of the program and its arguments, such as {}", code_span(&format!("{instruction} [\"/app/server\", \"--port\", \"8080\"]")))
    } else {
        let words: Vec<String> = script.split_whitespace().map(str::to_string).collect();
        code_span(&format!("{instruction} {}", json_array(words.iter())))
    };
    Some(format!(
        "{instruction} is in shell form, so the runtime starts {} to run {}, and this image has no {}: write it in exec form, {instead}, which runs the program itself",
        code_span(shell),
        code_span(script),
        code_span(shell),
    ))
}

/// A dynamically linked program whose loader (its ELF interpreter) the image lacks.
fn missing_loader(image: &ImageFacts, command: &Effective) -> Option<String> {
    let program = command.argv().next()?;
    let (path, _) = locate(image, program)?;
    let loader = image.filesystem.interpreter(&path)?;
    if image.filesystem.resolve(loader).is_some() {
        return None;
    }
    Some(format!(
        "{} is dynamically linked: it needs the loader {}, which this image does not have, so the runtime reports the program as missing. \
         Build it static (for Go without C code, {}; for C, {}), or run it on a base that has the C library, such as {} or {}",
        code_span(&format!("/{path}")),
        code_span(loader),
        code_span("CGO_ENABLED=0 go build"),
        code_span("gcc -static"),
        code_span("gcr.io/distroless/base-debian13"),
        code_span("gcr.io/distroless/cc-debian13"),
    ))
}

/// An exec-form CMD whose first word names the program the ENTRYPOINT already runs, so that the
/// program gets its own name as its first argument (`node node server.js`).
fn swallowed_by_entrypoint(command: &Effective) -> Option<String> {
    let entry = command.entrypoint.first()?;
    let (repeated, rest) = command.cmd.split_first()?;
    if command.entrypoint.len() != 1 || program_family(entry) != program_family(repeated) {
        return None;
    }
    Some(format!(
        "the image's ENTRYPOINT {} already runs {}, and CMD only gives it arguments, so it runs {}: leave the program out and write {}",
        code_span(&json_array(command.entrypoint.iter())),
        code_span(repeated),
        code_span(&command.shown()),
        code_span(&format!("CMD {}", json_array(rest.iter()))),
    ))
}

/// A program's name without its folder or version: `/usr/bin/python3.11` → `python`.
fn program_family(program: &str) -> &str {
    let name = program.rsplit('/').next().unwrap_or(program);
    name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
}

/// The file `program` names in the image, as the runtime finds it: a path (relative to the
/// WORKDIR) as written, a bare name through the image's `PATH`. Returns the path reached (no
/// leading `/`) and its node, when that is an executable file.
fn locate<'f>(image: &'f ImageFacts, program: &str) -> Option<(String, &'f Node)> {
    let found = |path: &str| image.filesystem.resolve(path).filter(|(_, node)| node.is_executable_file());
    if program.contains('/') {
        let path = if program.starts_with('/') { program.to_string() } else { format!("{}/{program}", image.config.working_dir) };
        return found(&path);
    }
    search_path(image).split(':').find_map(|dir| found(&format!("{dir}/{program}")))
}

/// The image's `PATH`, or runc's default.
fn search_path(image: &ImageFacts) -> &str {
    image.config.env.iter().find_map(|var| var.strip_prefix("PATH=")).unwrap_or(DEFAULT_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::{Captured, LayerEntry, LayerFacts};
    use crate::image::{ContentClass, EntryKind};

    const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

    fn file(path: &str) -> LayerEntry {
        LayerEntry { path: path.into(), kind: EntryKind::File, size: 1, mode: 0o755, uid: 0, gid: 0, content: ContentClass::Elf }
    }

    /// An image with `config` (the JSON of its `config` object) and one layer of `files`, of which
    /// `dynamic` need the glibc loader.
    fn image(config: &str, files: &[&str], dynamic: &[&str]) -> ImageFacts {
        let layer = LayerFacts {
            entries: files.iter().map(|path| file(path)).collect(),
            captured: dynamic.iter().map(|path| (path.to_string(), Captured::Interpreter(LOADER.into()))).collect(),
            ..LayerFacts::default()
        };
        ImageFacts::assemble("sha256:test".into(), format!("{{\"config\": {config}}}").as_bytes(), vec![layer]).unwrap()
    }

    fn keep_cmd() -> ProbePlan {
        ProbePlan::Http { path: "/".into(), status: 200, body: None, timeout_seconds: 5 }
    }

    fn diagnose(image: &ImageFacts) -> Option<String> {
        diagnosis(image, &Effective::of(image, &keep_cmd()))
    }

    #[test]
    fn shows_the_entrypoint_then_the_cmd_or_the_specs_arguments() {
        let node = image(r#"{"Entrypoint": ["/nodejs/bin/node"], "Cmd": ["server.js"]}"#, &[], &[]);
        assert_eq!(Effective::of(&node, &keep_cmd()).shown(), r#"["/nodejs/bin/node","server.js"]"#);
        let args = ProbePlan::Command { args: Some(vec!["--version".into()]), exit_code: 0, output: None, timeout_seconds: 5 };
        assert_eq!(Effective::of(&node, &args).shown(), r#"["/nodejs/bin/node","--version"]"#);
    }

    #[test]
    fn a_shell_form_command_on_an_image_without_a_shell_is_told_the_exec_form() {
        let distroless = image(r#"{"Cmd": ["/bin/sh", "-c", "beacon --serve"]}"#, &["usr/local/bin/beacon"], &[]);
        let hint = diagnose(&distroless).expect("no /bin/sh");
        assert!(hint.starts_with("CMD is in shell form"), "{hint}");
        assert!(hint.contains("this image has no `/bin/sh`"), "{hint}");
        assert!(hint.contains(r#"`CMD ["beacon","--serve"]`"#), "{hint}");
        let piped = image(r#"{"Entrypoint": ["/bin/sh", "-c", "beacon | tee /tmp/log"]}"#, &[], &[]);
        assert!(diagnose(&piped).unwrap().contains("ENTRYPOINT is in shell form, so the runtime starts `/bin/sh` to run `beacon | tee /tmp/log`, and this image has no `/bin/sh`: write it in exec form, a JSON array"));
        let with_shell = image(r#"{"Cmd": ["/bin/sh", "-c", "beacon"]}"#, &["bin/sh"], &[]);
        assert_eq!(diagnose(&with_shell), None, "the shell is there");
    }

    #[test]
    fn a_program_whose_loader_is_missing_is_told_to_build_static_or_change_base() {
        let static_base = image(r#"{"Cmd": ["/beacon"]}"#, &["beacon"], &["beacon"]);
        let hint = diagnose(&static_base).expect("no loader");
        assert!(
            hint.starts_with("`/beacon` is dynamically linked: it needs the loader `/lib64/ld-linux-x86-64.so.2`, which this image does not have"),
            "{hint}"
        );
        assert!(hint.contains("`CGO_ENABLED=0 go build`") && hint.contains("`gcr.io/distroless/base-debian13`"), "{hint}");
        let on_path = image(r#"{"Env": ["PATH=/app/bin"], "WorkingDir": "/app", "Cmd": ["beacon"]}"#, &["app/bin/beacon"], &["app/bin/beacon"]);
        assert!(diagnose(&on_path).unwrap().starts_with("`/app/bin/beacon` is dynamically linked"), "found through PATH");
        let relative = image(r#"{"WorkingDir": "/app", "Cmd": ["./beacon"]}"#, &["app/beacon"], &["app/beacon"]);
        assert!(diagnose(&relative).unwrap().starts_with("`/app/beacon` is dynamically linked"), "found from the WORKDIR");
        let with_libc = image(r#"{"Cmd": ["/beacon"]}"#, &["beacon", "lib64/ld-linux-x86-64.so.2"], &["beacon"]);
        assert_eq!(diagnose(&with_libc), None, "the loader is there");
        assert_eq!(diagnose(&image(r#"{"Cmd": ["/beacon"]}"#, &["beacon"], &[])), None, "a static program");
    }

    #[test]
    fn a_cmd_that_repeats_the_entrypoints_program_is_told_what_to_write() {
        let node = image(r#"{"Entrypoint": ["/nodejs/bin/node"], "Cmd": ["node", "src/server.js"]}"#, &["nodejs/bin/node"], &[]);
        assert_eq!(
            diagnose(&node).unwrap(),
            "the image's ENTRYPOINT `[\"/nodejs/bin/node\"]` already runs `node`, and CMD only gives it arguments, so it runs \
             `[\"/nodejs/bin/node\",\"node\",\"src/server.js\"]`: leave the program out and write `CMD [\"src/server.js\"]`"
        );
        let python = image(r#"{"Entrypoint": ["/usr/bin/python3.11"], "Cmd": ["python3", "app.py"]}"#, &["usr/bin/python3.11"], &[]);
        assert!(diagnose(&python).unwrap().ends_with("write `CMD [\"app.py\"]`"), "python3 is python3.11's family");
        let right = image(r#"{"Entrypoint": ["/nodejs/bin/node"], "Cmd": ["src/server.js"]}"#, &["nodejs/bin/node"], &[]);
        assert_eq!(diagnose(&right), None);
    }
}
