//! Why a Dockerfile cannot be read, said as a linter says it: the learner's line and column, what
//! is wrong, and what to write instead (`USR` → "did you mean USER?", `FROM x AS` → the stage
//! name is missing, an exec-form array that is not closed).
//!
//! What must hold: `line` and `column` are 1-based, in the text as read (see the parent module),
//! and point at the word at fault; `column` counts characters. Every error carries a `fix` a
//! learner can act on. A line Docker would quietly read otherwise than it looks (an exec-form
//! array that is not a JSON array of strings runs as a shell command) is an error here, found
//! before any build.
use std::fmt;

use super::line_of;

/// Docker's instructions: what "did you mean" offers, and what an image history entry can start with.
pub(crate) const INSTRUCTIONS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// What a line ends with when the next line was meant to continue it.
const CONTINUED_BY: [&str; 3] = ["&&", "||", "|"];

/// Why the Dockerfile cannot be read, and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParseError {
    pub line: usize,
    pub column: usize,
    /// What is wrong, without the position.
    pub message: String,
    /// What to write instead, as a sentence.
    pub fix: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl ParseError {
    /// An error at byte `offset` of `text`.
    fn at(text: &str, offset: usize, message: String, fix: String) -> Self {
        let offset = floor_char_boundary(text, offset);
        let line_start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
        ParseError { line: line_of(text, offset), column: text[line_start..offset].chars().count() + 1, message, fix }
    }

    /// What parse-dockerfile's `error` means for the learner.
    pub(super) fn from_parser(text: &str, error: &parse_dockerfile::Error) -> Self {
        let said = format!("{error:#}");
        if error.line() == 0 {
            return ParseError::no_from();
        }
        // parse-dockerfile counts the column in bytes from 1.
        let offset = line_start(text, error.line()) + error.column().saturating_sub(1);
        let word = word_at(text, offset);
        match said.as_str() {
            _ if said.starts_with("unknown instruction") => unknown_instruction(text, offset, word),
            "expected AS" if word.eq_ignore_ascii_case("AS") => ParseError::missing_stage_name(text, offset),
            "expected AS" => {
                let message = format!("FROM takes an image, then only `AS name`: `{word}` is neither");
                let fix = format!("to name the stage `{word}`, write `{}`; otherwise remove `{word}`", inserted(text, offset, "AS "));
                ParseError::at(text, offset, message, fix)
            }
            "expected FROM" => {
                let message = format!("`{word}` comes before the first FROM: only ARG may come before FROM");
                ParseError::at(text, offset, message, "start the Dockerfile with `FROM IMAGE`, the image to build on".into())
            }
            _ => {
                let fix = "fix this line as the message says: Docker's Dockerfile reference lists every instruction and its arguments";
                ParseError::at(text, offset, said, fix.into())
            }
        }
    }

    /// A Dockerfile without a `FROM`.
    pub(super) fn no_from() -> Self {
        let fix = "start it with `FROM IMAGE`, the image to build on".to_string();
        ParseError { line: 1, column: 1, message: "the Dockerfile has no FROM instruction".into(), fix }
    }

    /// `FROM image AS` with nothing after `AS`, whose `AS` starts at byte `offset`.
    pub(super) fn missing_stage_name(text: &str, offset: usize) -> Self {
        let message = "the stage name is missing: `AS` must be followed by the stage's name".to_string();
        let fix = format!("name the stage, as in `{}`, or drop `AS`", inserted(text, offset + 2, " build"));
        ParseError::at(text, offset, message, fix)
    }

    /// The shell-form arguments of `keyword`, at byte `offset`, when they are an exec-form array
    /// gone wrong: they open like `["go", …` but are no JSON array of strings, so Docker would run
    /// them as a shell command. `escape` continues a line.
    pub(super) fn broken_exec_form(text: &str, keyword: &str, arguments: &str, offset: usize, escape: char) -> Option<Self> {
        let written = arguments.trim();
        let joined = written.replace(&format!("{escape}\n"), "");
        if !opens_an_array(&joined) {
            return None;
        }
        let offset = offset + (arguments.len() - arguments.trim_start().len());
        let shell = "so Docker would run it as a shell command";
        let repairs = [
            (format!("{keyword}'s exec-form array has no closing `]`"), Some(format!("{joined}]"))),
            (format!("the last string of {keyword}'s exec-form array has no closing `\"`"), joined.strip_suffix(']').map(|inner| format!("{inner}\"]"))),
            (format!("neither the last string of {keyword}'s exec-form array nor the array is closed"), Some(format!("{joined}\"]"))),
        ];
        let repaired = repairs.into_iter().find_map(|(what, text)| text.filter(|t| serde_json::from_str::<Vec<String>>(t).is_ok()).map(|t| (what, t)));
        let (message, fix) = match repaired {
            Some((what, repaired)) => (format!("{what}, {shell}"), format!("write `{keyword} {repaired}`")),
            None => {
                let why = serde_json::from_str::<Vec<String>>(&joined).err().map(|e| e.to_string()).unwrap_or_default();
                let why = why.split(" at line ").next().unwrap_or_default();
                (
                    format!("{keyword}'s exec-form array is not a JSON array of strings ({why}), {shell}"),
                    format!(
                        "write it as double-quoted strings separated by commas, as in `{keyword} [\"go\", \"build\"]`, or drop the brackets for shell form"
                    ),
                )
            }
        };
        Some(ParseError::at(text, offset, message, fix))
    }
}

/// `["go", …`, `["go"` or `["go]`: a `[` and a double-quoted string that ends the text or is
/// followed by `,` or another string. (`[ "$A" = b ]` is the shell's test, and stays shell form.)
fn opens_an_array(arguments: &str) -> bool {
    let Some(first) = arguments.strip_prefix('[').map(str::trim_start).and_then(|rest| rest.strip_prefix('"')) else { return false };
    let mut escaped = false;
    let end = first.char_indices().find(|&(_, c)| {
        let closes = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        closes
    });
    match end {
        None => true,
        Some((index, _)) => {
            let after = first[index + 1..].trim_start();
            after.is_empty() || after.starts_with(',') || after.starts_with('"')
        }
    }
}

/// `unknown instruction` for `word` at byte `offset`: a continuation that lost its `\`, a
/// misspelt instruction, or neither.
fn unknown_instruction(text: &str, offset: usize, word: &str) -> ParseError {
    let line = line_of(text, offset);
    let previous = text[..line_start(text, line)].lines().rev().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'));
    if let Some(ending) = previous.and_then(|l| CONTINUED_BY.into_iter().find(|end| l.ends_with(end))) {
        let message = format!("unknown instruction `{word}`: the line before ends with `{ending}`, so this line looks like its continuation");
        let fix = format!("end line {} with `\\` to continue its command on this line", line - 1);
        return ParseError::at(text, offset, message, fix);
    }
    match closest_instruction(word) {
        Some(instruction) => {
            let message = format!("unknown instruction `{word}`: did you mean {instruction}?");
            let rest = &text[offset + word.len()..];
            let fix = format!("write `{instruction}{}`", rest.lines().next().unwrap_or_default().trim_end());
            ParseError::at(text, offset, message, fix)
        }
        None => {
            let fix = "start the line with one of Docker's instructions (FROM, RUN, COPY, …), or make it a comment with `#`";
            ParseError::at(text, offset, format!("unknown instruction `{word}`"), fix.into())
        }
    }
}

/// The instruction `word` is most likely a misspelling of: one edit away (two for long ones).
fn closest_instruction(word: &str) -> Option<&'static str> {
    let upper = word.to_ascii_uppercase();
    let (distance, instruction) = INSTRUCTIONS.iter().map(|i| (strsim::damerau_levenshtein(&upper, i), *i)).min()?;
    let allowed = if instruction.len() >= 6 { 2 } else { 1 };
    (word.chars().count() >= 3 && distance <= allowed).then_some(instruction)
}

/// The byte offset where 1-based `line` starts.
fn line_start(text: &str, line: usize) -> usize {
    text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum()
}

/// The word at byte `offset`, up to the next space.
fn word_at(text: &str, offset: usize) -> &str {
    text[floor_char_boundary(text, offset)..].split_whitespace().next().unwrap_or_default()
}

/// The line at byte `offset`, trimmed, with `insert` put in at `offset`.
fn inserted(text: &str, offset: usize, insert: &str) -> String {
    let offset = floor_char_boundary(text, offset);
    let start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |newline| offset + newline);
    format!("{}{insert}{}", &text[start..offset], &text[offset..end]).trim().to_string()
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    (0..=offset.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use crate::dockerfile::Dockerfile;

    fn error(text: &str) -> super::ParseError {
        Dockerfile::parse(text).expect_err("it does not parse")
    }

    #[test]
    fn a_misspelt_instruction_gets_a_did_you_mean_at_its_line_and_column() {
        let e = error("FROM node:20\n  USR node\nCMD [\"node\"]\n");
        assert_eq!((e.line, e.column), (2, 3));
        assert_eq!(e.message, "unknown instruction `USR`: did you mean USER?");
        assert_eq!(e.fix, "write `USER node`");
        assert_eq!(e.to_string(), "line 2, column 3: unknown instruction `USR`: did you mean USER?");
        assert_eq!(error("FROM a\nENTRYPONT [\"/app\"]\n").message, "unknown instruction `ENTRYPONT`: did you mean ENTRYPOINT?");
        assert_eq!(error("FORM a\n").message, "unknown instruction `FORM`: did you mean FROM?");
    }

    #[test]
    fn a_word_like_no_instruction_gets_no_guess() {
        let e = error("FROM a\nHELLO world\n");
        assert_eq!((e.line, e.message.as_str()), (2, "unknown instruction `HELLO`"));
        assert!(e.fix.contains("comment with `#`"), "{}", e.fix);
    }

    #[test]
    fn a_command_that_lost_its_continuation_says_so() {
        let e = error("FROM a\nRUN apt-get update &&\n    apt-get install -y curl\n");
        assert_eq!((e.line, e.column), (3, 5));
        assert!(e.message.contains("`apt-get`") && e.message.contains("ends with `&&`"), "{}", e.message);
        assert_eq!(e.fix, "end line 2 with `\\` to continue its command on this line");
    }

    #[test]
    fn from_as_without_a_name_says_the_name_is_missing() {
        for text in ["FROM golang:1.22 AS\nRUN go build\n", "FROM golang:1.22 AS \nRUN go build\n"] {
            let e = error(text);
            assert_eq!((e.line, e.column), (1, 18), "{text:?}");
            assert_eq!(e.message, "the stage name is missing: `AS` must be followed by the stage's name");
            assert_eq!(e.fix, "name the stage, as in `FROM golang:1.22 AS build`, or drop `AS`");
            assert!(!e.to_string().contains("expected AS"));
        }
        let stray = error("FROM golang:1.22 build\n");
        assert_eq!((stray.column, stray.message.as_str()), (18, "FROM takes an image, then only `AS name`: `build` is neither"));
        assert_eq!(stray.fix, "to name the stage `build`, write `FROM golang:1.22 AS build`; otherwise remove `build`");
    }

    #[test]
    fn an_unclosed_exec_form_array_is_caught_before_the_build() {
        let e = error("FROM golang:1.22\nRUN [\"go\", \"build\"\n");
        assert_eq!((e.line, e.column), (2, 5));
        assert_eq!(e.message, "RUN's exec-form array has no closing `]`, so Docker would run it as a shell command");
        assert_eq!(e.fix, "write `RUN [\"go\", \"build\"]`");
        let string = error("FROM a\nCMD [\"node\", \"server.js]\n");
        assert_eq!(string.message, "the last string of CMD's exec-form array has no closing `\"`, so Docker would run it as a shell command");
        assert_eq!(string.fix, "write `CMD [\"node\", \"server.js\"]`");
        let both = error("FROM a\nCMD [\"node\", \"server.js\n");
        assert_eq!(both.fix, "write `CMD [\"node\", \"server.js\"]`");
        let comma = error("FROM a\nENTRYPOINT [\"node\" \"server.js\"]\n");
        assert!(comma.message.starts_with("ENTRYPOINT's exec-form array is not a JSON array of strings (expected `,` or `]`)"), "{}", comma.message);
        let continued = error("FROM a\nRUN --network=none [\"go\", \\\n    \"build\"\n");
        assert_eq!((continued.line, continued.column), (2, 20));
        assert_eq!(continued.fix, "write `RUN [\"go\",     \"build\"]`");
    }

    #[test]
    fn the_shells_own_brackets_stay_shell_form() {
        for text in [
            "FROM a\nRUN [ \"$A\" = b ] && echo yes\n",
            "FROM a\nRUN [ -f /x ] || true\n",
            "FROM a\nRUN [ \"$DEBUG\" ] && echo on\n",
            "FROM a\nCMD [\"node\"]\n",
        ] {
            assert!(Dockerfile::parse(text).is_ok(), "{text:?}");
        }
    }

    #[test]
    fn an_instruction_before_from_and_a_file_without_one_are_named() {
        let e = error("# tools\nRUN true\n");
        assert_eq!((e.line, e.column, e.message.as_str()), (2, 1, "`RUN` comes before the first FROM: only ARG may come before FROM"));
        assert_eq!(error("# nothing\n").message, "the Dockerfile has no FROM instruction");
    }

    #[test]
    fn other_errors_keep_the_parsers_words_at_the_learners_position() {
        let e = error("FROM a\nCOPY\n");
        assert_eq!((e.line, e.column), (2, 1));
        assert_eq!(e.message, "COPY instruction requires at least two arguments");
    }
}
