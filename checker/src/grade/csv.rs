//! CSV: one row per student and check (a submission that could not be judged has one row with an
//! empty check and the reason), so a spreadsheet can pivot on either. Evidence lines are joined
//! with newlines inside their quoted cell.
//!
//! What must hold: no cell is a formula a spreadsheet would run ([`escape::csv_cell`], every cell
//! quoted), and text from a submission shows its control characters [`escape::visible`] (the
//! newlines that join evidence lines are the only raw ones).
use ::csv::QuoteStyle;

use super::{word, Class, Grade};
use crate::escape;
use crate::report::evidence_line;

const HEADER: [&str; 14] = [
    "student",
    "status",
    "points_earned",
    "points_possible",
    "image_size",
    "endpoint",
    "message",
    "check",
    "check_status",
    "severity",
    "weight",
    "summary",
    "evidence",
    "hint",
];

pub(crate) fn render(class: &Class) -> String {
    let mut writer = ::csv::WriterBuilder::new().quote_style(QuoteStyle::Always).from_writer(Vec::new());
    let mut rows = vec![HEADER.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    rows.extend(class.grades.iter().flat_map(rows_of));
    for row in rows {
        writer.write_record(row.iter().map(|cell| escape::csv_cell(cell))).expect("writing to memory does not fail");
    }
    let bytes = writer.into_inner().expect("writing to memory does not fail");
    String::from_utf8(bytes).expect("the cells are text")
}

fn rows_of(grade: &Grade) -> Vec<Vec<String>> {
    let student = vec![
        escape::visible(&grade.student),
        grade.status.as_str().to_string(),
        grade.report.points.earned.to_string(),
        grade.report.points.possible.to_string(),
        grade.report.image.as_ref().map(|i| i.size.to_string()).unwrap_or_default(),
        grade.endpoint.clone().unwrap_or_default(),
        escape::visible(grade.message.as_deref().unwrap_or_default()),
    ];
    if grade.report.checks.is_empty() {
        return vec![[student, vec![String::new(); HEADER.len() - 7]].concat()];
    }
    grade
        .report
        .checks
        .iter()
        .map(|check| {
            let evidence: Vec<String> = check.evidence.iter().map(|e| escape::visible(&evidence_line(e))).collect();
            let cells = [
                check.id.to_string(),
                word(&check.status),
                word(&check.severity),
                check.weight.to_string(),
                escape::visible(&check.summary),
                evidence.join("\n"),
                escape::visible(check.hint.as_deref().unwrap_or_default()),
            ];
            [student.clone(), cells.to_vec()].concat()
        })
        .collect()
}
