//! The terminal table: a row per student (result, points, each check, image size, and why a
//! submission could not be judged), then the totals. Colour only where `colored` allows it.
//!
//! What must hold: text from a submission (the student's name, the reason) is shown
//! [`escape::visible`], so it cannot add a row, colour the table or move the cursor.
use colored::Colorize;

use super::{mark, Class, Grade, Standing};
use crate::escape;
use crate::units::format_size;

pub(crate) fn render(class: &Class) -> String {
    let mut header = vec!["student".to_string(), "result".into(), "points".into()];
    header.extend(class.checks.iter().map(|c| c.id.to_string()));
    header.push("image".into());
    let rows: Vec<Vec<String>> = class.grades.iter().map(|g| row(class, g)).collect();
    let widths: Vec<usize> = (0..header.len()).map(|i| rows.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0)).collect();
    let mut out = line(&header, &widths, None);
    for (grade, cells) in class.grades.iter().zip(&rows) {
        out += &line(cells, &widths, Some(grade.status));
        if let Some(message) = &grade.message {
            out += &format!("  └ {}\n", escape::visible(message));
        }
    }
    out += &format!(
        "{} submissions: {} pass, {} fail, {} error\n",
        class.grades.len(),
        class.count(Standing::Pass),
        class.count(Standing::Fail),
        class.count(Standing::Error)
    );
    out
}

fn row(class: &Class, grade: &Grade) -> Vec<String> {
    let mut cells =
        vec![escape::visible(&grade.student), grade.status.as_str().to_uppercase(), format!("{}/{}", grade.report.points.earned, grade.report.points.possible)];
    cells.extend(class.checks.iter().map(|c| mark(grade.check(c.id).map(|g| g.status)).to_string()));
    cells.push(grade.report.image.as_ref().map_or("-".into(), |i| format_size(i.size)));
    cells
}

/// Cells padded to their column; the result cell coloured by `status`.
fn line(cells: &[String], widths: &[usize], status: Option<Standing>) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (cell, width))| {
            let text = format!("{cell:width$}");
            match (i, status) {
                (1, Some(Standing::Pass)) => text.green().to_string(),
                (1, Some(Standing::Fail)) => text.red().bold().to_string(),
                (1, Some(Standing::Error)) => text.red().to_string(),
                _ => text,
            }
        })
        .collect();
    padded.join("  ").trim_end().to_string() + "\n"
}
