//! `{{#shipshape-support}}`: the support windows of the course's base images, as two tables made
//! from the checker's own support table (`shipshape::support`, the course's
//! `tests/images/support.toml`): each public base with what it carries and until when it is
//! supported, then each component with its dates, notes and sources.
//!
//! Must hold: nothing is pasted: the dates on the page are the ones `doctor`, the
//! `supported-base` check and `recommend` judge by; an estimated date says so.

use shipshape::markdown::code_span;
use shipshape::support::{Component, ImageEntry, Kind, SupportTable};

/// Both tables, as Markdown.
pub(crate) fn render(table: &SupportTable) -> String {
    let mut out = String::from("| Base image | Carries | Supported until |\n| --- | --- | --- |\n");
    for entry in table.images() {
        out.push_str(&image_row(table, entry));
    }
    out.push_str("\n| Component | Kind | Released | Supported until | Notes | Source |\n| --- | --- | --- | --- | --- | --- |\n");
    for component in table.components() {
        out.push_str(&component_row(component));
    }
    out
}

fn image_row(table: &SupportTable, entry: &ImageEntry) -> String {
    let names: Vec<String> = match entry.tags.as_slice() {
        [] => vec![code_span(&format!("{}:*", entry.repository))],
        tags => tags.iter().map(|tag| code_span(&format!("{}:{tag}", entry.repository))).collect(),
    };
    let carried = table.carried(entry);
    let first = carried.iter().min_by_key(|c| c.until).expect("the table's validation: every image carries a component");
    let names_carried: Vec<&str> = carried.iter().map(|c| c.name.as_str()).collect();
    format!("| {} | {} | {} ({}) |\n", names.join(", "), names_carried.join(", "), until(first), first.name)
}

fn component_row(component: &Component) -> String {
    let kind = match component.kind {
        Kind::Distribution => "distribution",
        Kind::Runtime => "runtime",
        Kind::Image => "image family",
    };
    let released = component.released.map(|d| d.to_string()).unwrap_or_default();
    let note = component.note.as_deref().unwrap_or_default().replace('|', "\\|");
    format!("| {} | {kind} | {released} | {} | {note} | {} |\n", component.name, until(component), sources(&component.source))
}

/// `2028-04-30`, or `about 2030-06-30` when the project has not fixed it yet.
fn until(component: &Component) -> String {
    if component.estimated {
        format!("about {}", component.until)
    } else {
        component.until.to_string()
    }
}

/// `https://x.org/a (PEP 1) ; https://y.org` → `[x.org](https://x.org/a) (PEP 1), [y.org](https://y.org)`.
fn sources(text: &str) -> String {
    let shown: Vec<String> = text
        .split(" ; ")
        .map(|source| {
            let (url, rest) = source.trim().split_once(' ').unwrap_or((source.trim(), ""));
            let host = url.trim_start_matches("https://").split('/').next().unwrap_or(url);
            let rest = if rest.is_empty() { String::new() } else { format!(" {rest}") };
            format!("[{host}]({url}){rest}")
        })
        .collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "[components.a]\nname = \"A 1\"\nkind = \"runtime\"\nuntil = 2027-01-31\nsource = \"https://a.org/eol (PEP 9) ; https://endoflife.date/a\"\n\
                         [components.d]\nname = \"D 2\"\nkind = \"distribution\"\nreleased = 2025-01-01\nuntil = 2030-06-30\nestimated = true\nnote = \"LTS | later\"\nsource = \"https://d.org\"\n\
                         [[images]]\nrepository = \"a\"\ntags = [\"1\", \"1-slim\"]\ncarries = [\"a\", \"d\"]\n\
                         [[images]]\nrepository = \"gcr.io/x/d\"\ncarries = [\"d\"]\n";

    #[test]
    fn the_tables_come_from_the_data_with_the_first_end_and_estimates_marked() {
        let rendered = render(&SupportTable::parse(TABLE).unwrap());
        assert!(rendered.contains("| `a:1`, `a:1-slim` | A 1, D 2 | 2027-01-31 (A 1) |\n"), "{rendered}");
        assert!(rendered.contains("| `gcr.io/x/d:*` | D 2 | about 2030-06-30 (D 2) |\n"), "{rendered}");
        assert!(
            rendered.contains("| A 1 | runtime |  | 2027-01-31 |  | [a.org](https://a.org/eol) (PEP 9), [endoflife.date](https://endoflife.date/a) |\n"),
            "{rendered}"
        );
        assert!(rendered.contains("| D 2 | distribution | 2025-01-01 | about 2030-06-30 | LTS \\| later | [d.org](https://d.org) |\n"), "{rendered}");
    }

    #[test]
    fn the_course_table_renders() {
        let rendered = render(SupportTable::course());
        assert!(
            rendered.contains(
                "| `node:20`, `node:20-bookworm`, `node:20-slim`, `node:20-bookworm-slim` | Node.js 20, Debian 12 (bookworm) | 2026-04-30 (Node.js 20) |"
            ),
            "{rendered}"
        );
    }
}
