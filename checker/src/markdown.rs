//! Code in Markdown, as the course writes it: the checks' requirement descriptions
//! ([`crate::checks::Check::asks`]) and the book's generated pages use these two, so a text that
//! holds backticks never breaks out of its code span or fence.
//!
//! What must hold: the fence is always longer than any run of backticks inside the text.

/// `text` as an inline code span, with a fence longer than any run of backticks inside it.
pub fn code_span(text: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `body` as a fenced code block in `lang`, with a fence longer than any backtick run inside it.
pub fn fenced(lang: &str, body: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(body) + 1).max(3));
    format!("{fence}{lang}\n{}\n{fence}\n", body.trim_end())
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_fences_outgrow_backticks_inside() {
        assert_eq!(code_span("Beacon is lit"), "`Beacon is lit`");
        assert_eq!(code_span("a `b` c"), "``a `b` c``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(fenced("sh", "a\n```\nb\n"), "````sh\na\n```\nb\n````\n");
    }
}
