//! Build arguments in image references: the values a `FROM` line sees, and the one expansion of
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alternative}` (and their forms without the colon)
//! that the builder's text, `doctor`, `images` and the checks all use.
//!
//! What must hold: the values are BuildKit's for a `FROM` line: its automatic platform arguments,
//! then every global `ARG` (before the first `FROM`) in file order, its default expanded with the
//! arguments before it, unless a `--build-arg` gives it a value. A build argument that is not
//! declared by a global `ARG` does not reach `FROM`, as in Docker. Expansion never guesses: a
//! variable without a value, or a form Shipshape does not follow, is an error naming it.
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::str::Chars;

/// One name of a global `ARG` instruction (`ARG A=1 B` declares two), its default as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Declaration {
    pub name: String,
    pub default: Option<String>,
}

/// The build arguments a `FROM` line sees, by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Args {
    values: BTreeMap<String, String>,
    /// The Dockerfile's escape character (`\`, or what `# escape=` says).
    escape: char,
}

/// The words of an `ARG` instruction's arguments, each `NAME` or `NAME=default`.
pub(crate) fn declarations(arguments: &str) -> Vec<Declaration> {
    words(arguments)
        .into_iter()
        .map(|word| match word.split_once('=') {
            Some((name, default)) => Declaration { name: name.to_string(), default: Some(default.to_string()) },
            None => Declaration { name: word, default: None },
        })
        .collect()
}

/// Splits on whitespace outside quotes; the quotes stay for the expansion to read.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let (mut word, mut quote) = (String::new(), None);
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                continue;
            }
            _ => {}
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// BuildKit's automatic platform arguments for a build on this machine's architecture (linux/amd64
/// on the course machines), which every `FROM` sees without an `ARG`.
fn platform_args() -> Vec<(&'static str, String)> {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    platform_args_for("linux", arch)
}

fn platform_args_for(os: &str, arch: &str) -> Vec<(&'static str, String)> {
    let platform = format!("{os}/{arch}");
    vec![
        ("BUILDPLATFORM", platform.clone()),
        ("BUILDOS", os.to_string()),
        ("BUILDARCH", arch.to_string()),
        ("BUILDVARIANT", String::new()),
        ("TARGETPLATFORM", platform),
        ("TARGETOS", os.to_string()),
        ("TARGETARCH", arch.to_string()),
        ("TARGETVARIANT", String::new()),
    ]
}

impl Args {
    /// The values after the global `declarations`, with `build_args` (`--build-arg`) overriding
    /// their defaults.
    pub(crate) fn new(declarations: &[Declaration], build_args: &BTreeMap<String, String>, escape: char) -> Self {
        Self::with_platform(platform_args(), declarations, build_args, escape)
    }

    fn with_platform(platform: Vec<(&str, String)>, declarations: &[Declaration], build_args: &BTreeMap<String, String>, escape: char) -> Self {
        let mut args = Args { values: platform.into_iter().map(|(name, value)| (name.to_string(), value)).collect(), escape };
        for declaration in declarations {
            let value = match (build_args.get(&declaration.name), &declaration.default) {
                (Some(given), _) => Some(given.clone()),
                // A default that does not expand leaves the argument without a value, as BuildKit's
                // would be unusable too; a reference to it then names it.
                (None, Some(default)) => args.expand(default).ok(),
                (None, None) => None,
            };
            match value {
                Some(value) => args.values.insert(declaration.name.clone(), value),
                None => args.values.remove(&declaration.name),
            };
        }
        args
    }

    /// `word` with the arguments filled in and quotes removed, as BuildKit's shell lexer reads a
    /// `FROM` image; the error names what could not be filled in.
    pub(crate) fn expand(&self, word: &str) -> Result<String, String> {
        self.word(&mut word.chars().peekable(), None)
    }

    /// Reads up to `stop` (consumed) or the end.
    fn word(&self, chars: &mut Peekable<Chars<'_>>, stop: Option<char>) -> Result<String, String> {
        let mut out = String::new();
        while let Some(c) = chars.next() {
            match c {
                _ if Some(c) == stop => return Ok(out),
                _ if c == self.escape => out.extend(chars.next()),
                '\'' => out.extend(chars.by_ref().take_while(|c| *c != '\'')),
                '"' => out.push_str(&self.double_quoted(chars)?),
                '$' => out.push_str(&self.variable(chars)?),
                _ => out.push(c),
            }
        }
        match stop {
            Some(stop) => Err(format!("a `{stop}` is missing")),
            None => Ok(out),
        }
    }

    fn double_quoted(&self, chars: &mut Peekable<Chars<'_>>) -> Result<String, String> {
        let mut out = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok(out),
                _ if c == self.escape => out.extend(chars.next()),
                '$' => out.push_str(&self.variable(chars)?),
                _ => out.push(c),
            }
        }
        Err("a closing `\"` is missing".into())
    }

    /// After a `$`: `NAME`, `{NAME}`, `{NAME:-word}`, `{NAME-word}`, `{NAME:+word}`, `{NAME+word}`;
    /// a `$` before anything else is itself.
    fn variable(&self, chars: &mut Peekable<Chars<'_>>) -> Result<String, String> {
        if chars.next_if_eq(&'{').is_none() {
            let name = name(chars);
            return if name.is_empty() { Ok("$".into()) } else { self.value(&name) };
        }
        let name = name(chars);
        let colon = chars.next_if_eq(&':').is_some();
        let operator = chars.next().ok_or_else(|| format!("`${{{name}` is not closed with `}}`"))?;
        if name.is_empty() {
            return Err("`${` is not followed by a build argument's name".into());
        }
        let value = self.values.get(&name).filter(|value| !(colon && value.is_empty()));
        match operator {
            '}' if !colon => self.value(&name),
            '-' => {
                let default = self.word(chars, Some('}'))?;
                Ok(value.cloned().unwrap_or(default))
            }
            '+' => {
                let alternative = self.word(chars, Some('}'))?;
                Ok(value.map(|_| alternative).unwrap_or_default())
            }
            other => {
                let colon = if colon { ":" } else { "" };
                Err(format!("`${{{name}{colon}{other}…}}` is a form Shipshape does not expand (it knows $NAME, ${{NAME}}, ${{NAME:-default}} and ${{NAME:+alternative}})"))
            }
        }
    }

    fn value(&self, name: &str) -> Result<String, String> {
        self.values.get(name).cloned().ok_or_else(|| {
            format!("the build argument {name} has no value (give it a default in an ARG before the first FROM, or a value in the exercise's build-args)")
        })
    }
}

/// A name: letters, digits and `_`, not starting with a digit.
fn name(chars: &mut Peekable<Chars<'_>>) -> String {
    let mut name = String::new();
    if chars.peek().is_some_and(char::is_ascii_digit) {
        return name;
    }
    while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
        name.push(c);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(global: &str, build_args: &[(&str, &str)]) -> Args {
        let given = build_args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Args::with_platform(platform_args_for("linux", "amd64"), &declarations(global), &given, '\\')
    }

    #[test]
    fn reads_declarations_with_and_without_defaults() {
        let declared = declarations("A=1 B  D=\"x y\"");
        let pairs: Vec<(&str, Option<&str>)> = declared.iter().map(|d| (d.name.as_str(), d.default.as_deref())).collect();
        assert_eq!(pairs, [("A", Some("1")), ("B", None), ("D", Some("\"x y\""))]);
    }

    #[test]
    fn expands_every_supported_form() {
        let args = args("V=20 OS=bookworm EMPTY=", &[]);
        assert_eq!(args.expand("node:$V-${OS}").unwrap(), "node:20-bookworm");
        assert_eq!(args.expand("node:${MISSING:-22}-slim").unwrap(), "node:22-slim");
        assert_eq!(args.expand("node:${V:-22}").unwrap(), "node:20");
        assert_eq!(args.expand("node:${EMPTY:-22}").unwrap(), "node:22", ":- treats empty as unset");
        assert_eq!(args.expand("node:${EMPTY-22}").unwrap(), "node:", "- keeps an empty value");
        assert_eq!(args.expand("node:20${OS:+-$OS}").unwrap(), "node:20-bookworm");
        assert_eq!(args.expand("node:20${MISSING:+-x}").unwrap(), "node:20");
        assert_eq!(args.expand("node:${MISSING:-${V}}").unwrap(), "node:20", "defaults expand too");
        assert_eq!(args.expand("\"node:$V\"").unwrap(), "node:20", "quotes go");
        assert_eq!(args.expand("'node:$V'").unwrap(), "node:$V", "single quotes keep $");
        assert_eq!(args.expand("a\\$V").unwrap(), "a$V", "an escaped $ is itself");
        assert_eq!(args.expand("a$ $1").unwrap(), "a$ $1");
    }

    #[test]
    fn platform_arguments_need_no_declaration() {
        let args = args("", &[]);
        assert_eq!(args.expand("$BUILDPLATFORM $TARGETOS/$TARGETARCH").unwrap(), "linux/amd64 linux/amd64");
        assert_eq!(args.expand("x${TARGETVARIANT}y ${BUILDOS}").unwrap(), "xy linux");
        assert_eq!(args.expand("${TARGETVARIANT:-v1}").unwrap(), "v1");
    }

    #[test]
    fn build_args_override_declared_defaults_only() {
        let args = args("V=20 BASE IMAGE=node:$V", &[("V", "22"), ("BASE", "debian"), ("UNDECLARED", "x")]);
        assert_eq!(args.expand("$V $BASE").unwrap(), "22 debian");
        assert_eq!(args.expand("$IMAGE").unwrap(), "node:22", "a default expands the arguments before it");
        assert!(args.expand("$UNDECLARED").is_err(), "an argument no global ARG declares does not reach FROM");
    }

    #[test]
    fn what_cannot_be_expanded_is_named() {
        let args = args("BASE", &[]);
        let error = args.expand("$BASE:1").unwrap_err();
        assert!(error.contains("BASE has no value"), "{error}");
        assert!(args.expand("${V").unwrap_err().contains("not closed"));
        assert!(args.expand("${V:-x").unwrap_err().contains("missing"));
        assert!(args.expand("${V?required}").unwrap_err().contains("does not expand"));
        assert!(args.expand("${:-x}").is_err());
    }

    #[test]
    fn another_escape_character_is_honoured() {
        let given = BTreeMap::new();
        let args = Args::with_platform(Vec::new(), &declarations("V=1"), &given, '`');
        assert_eq!(args.expand("`$V\\$V").unwrap(), "$V\\1");
    }
}
