//! The Shipshape directives' syntax, `{{#shipshape-KIND ARGUMENTS}}` (optionally escaped with a
//! backslash), shared by the preprocessor that expands them and the schedule that lists the
//! exercises a chapter places.
//!
//! Must hold: a directive's name argument is a plain name, never a path.

use crate::checker::Variant;
use anyhow::{bail, Result};
use regex::Regex;
use std::sync::LazyLock;

/// A directive, optionally escaped: `\`? `{{#shipshape-` KIND ARGUMENTS `}}`.
pub(crate) static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\\)?\{\{\s*#shipshape-([^\s}]*)([^}]*)\}\}").expect("the directive pattern is valid"));

/// The names of the exercises `content` places with `{{#shipshape-exercise NAME}}`, in order.
pub(crate) fn exercise_names(content: &str) -> Vec<String> {
    DIRECTIVE
        .captures_iter(content)
        .filter(|caps| caps.get(1).is_none() && &caps[2] == "exercise")
        .filter_map(|caps| single_name(&caps[3]).ok().map(String::from))
        .collect()
}

/// The one argument of a directive: a plain name (letters, digits, `-`, `_`, `.`), never a path.
pub(crate) fn single_name(args: &str) -> Result<&str> {
    match args.split_whitespace().collect::<Vec<_>>()[..] {
        [name] if is_plain_name(name) => Ok(name),
        [name] => bail!("`{name}` is not a name: use letters, digits, `-`, `_` and `.` only"),
        _ => bail!("it takes exactly one name, and got `{}`", args.trim()),
    }
}

/// A report directive's arguments: an exercise's name, then `starter` (the default) or `solution`.
pub(crate) fn report_target(args: &str) -> Result<(&str, Variant)> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let (name, variant) = match words[..] {
        [name] => (name, Variant::Starter),
        [name, "starter"] => (name, Variant::Starter),
        [name, "solution"] => (name, Variant::Solution),
        [_, other] => bail!("`{other}` is neither `starter` nor `solution`"),
        _ => bail!("it takes an exercise's name, then `starter` or `solution`, and got `{}`", args.trim()),
    };
    Ok((single_name(name)?, variant))
}

fn is_plain_name(name: &str) -> bool {
    !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exercise_names_skip_escapes_and_other_directives() {
        let text = "{{#shipshape-exercise 01-a}} \\{{#shipshape-exercise 02-b}} \
                    {{#shipshape-check size}} {{ #shipshape-exercise 03-c }}";
        assert_eq!(exercise_names(text), ["01-a", "03-c"]);
    }

    #[test]
    fn a_report_names_an_exercise_and_its_starter_or_solution() {
        assert!(matches!(report_target(" 01-a "), Ok(("01-a", Variant::Starter))));
        assert!(matches!(report_target("01-a starter"), Ok(("01-a", Variant::Starter))));
        assert!(matches!(report_target("01-a solution"), Ok(("01-a", Variant::Solution))));
        assert!(report_target("01-a final").unwrap_err().to_string().contains("`final` is neither `starter` nor `solution`"));
        assert!(report_target("../x solution").unwrap_err().to_string().contains("is not a name"));
        assert!(report_target("").unwrap_err().to_string().contains("an exercise's name, then"));
    }
}
