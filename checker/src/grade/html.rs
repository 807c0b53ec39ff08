//! The class report as one self-contained HTML page that works offline: inline CSS, a few lines of
//! inline JavaScript and an inline SVG chart, nothing fetched. It shows the pass rate per check,
//! the spread of image sizes, a row per student and each student's detail (collapsible).
//!
//! What must hold: every text from a submission (names, summaries, evidence) is escaped
//! ([`escape::html`]: markup and control characters), so a student cannot inject markup or script
//! into the instructor's page.
use std::fmt::Write;

use super::{mark, word, Class, Grade, Standing};
use crate::checks::Status;
use crate::escape::html as escape;
use crate::report::evidence_line;
use crate::units::format_size;

const STYLE: &str = r#"
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d2430}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.2rem}
.meta{color:#5a6475;margin-top:0}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .5rem;text-align:left;border-bottom:1px solid #eef}
th{font-weight:600;background:#f5f7fb}
.pass{color:#11752f}.fail,.error{color:#b3261e;font-weight:600}.skipped,.none{color:#8a93a3}
.bar{background:#eef1f6;border-radius:3px;height:.8rem;width:14rem;display:inline-block;vertical-align:middle}
.bar span{display:block;height:100%;border-radius:3px;background:#3b7ddd}
tr.student{cursor:pointer}tr.student:hover{background:#f8fafd}
details{border:1px solid #dde;border-radius:6px;margin:.5rem 0;padding:.3rem .8rem}
details[open]{background:#fbfcfe}summary{cursor:pointer;font-weight:600}
details li{margin:.2rem 0}.evidence{color:#3d4757;font-family:ui-monospace,monospace;font-size:.85em}
.hint{color:#6b4e00}svg text{font:12px system-ui,sans-serif;fill:#3d4757}
button{font:inherit;margin-right:.5rem}
"#;

const SCRIPT: &str = r#"
(function () {
  var details = Array.prototype.slice.call(document.querySelectorAll("details.detail"));
  function all(open) { details.forEach(function (d) { d.open = open; }); }
  document.getElementById("expand").addEventListener("click", function () { all(true); });
  document.getElementById("collapse").addEventListener("click", function () { all(false); });
  Array.prototype.forEach.call(document.querySelectorAll("tr.student"), function (row) {
    row.addEventListener("click", function () {
      var target = document.getElementById(row.dataset.detail);
      target.open = true;
      target.scrollIntoView({ block: "nearest" });
    });
  });
  document.body.dataset.ready = "yes";
})();
"#;

pub(crate) fn render(class: &Class) -> String {
    let title = if class.title.is_empty() { class.exercise.clone() } else { format!("{} ({})", class.title, class.exercise) };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Shipshape grades: {t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>Shipshape grades: {t}</h1>\n\
         <p class=\"meta\">{n} submissions: {p} pass, {f} fail, {e} error</p>\n",
        t = escape(&title),
        n = class.grades.len(),
        p = class.count(Standing::Pass),
        f = class.count(Standing::Fail),
        e = class.count(Standing::Error),
    );
    out += &rates(class);
    out += &sizes(class);
    out += &students(class);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

/// The pass rate of each check over every submission.
fn rates(class: &Class) -> String {
    let mut out = String::from("<h2>Pass rate per check</h2>\n<table id=\"rates\">\n<tr><th>check</th><th>weight</th><th>passed</th><th>rate</th></tr>\n");
    let total = class.grades.len().max(1);
    for check in &class.checks {
        let passed = class.passed(check.id);
        let percent = passed * 100 / total;
        let _ = writeln!(
            out,
            "<tr class=\"rate\"><td>{id}</td><td>{w}</td><td>{passed}/{n}</td><td><span class=\"bar\"><span style=\"width:{percent}%\"></span></span> {percent}%</td></tr>",
            id = escape(check.id.as_str()),
            w = check.weight,
            n = class.grades.len(),
        );
    }
    out + "</table>\n"
}

/// A strip chart of image sizes, one dot per image, with the spec's size limit when it has one.
fn sizes(class: &Class) -> String {
    const WIDTH: f64 = 720.0;
    const LEFT: f64 = 40.0;
    const PLOT: f64 = WIDTH - 2.0 * LEFT;
    let built: Vec<(&Grade, u64)> = class.grades.iter().filter_map(|g| g.report.image.as_ref().map(|im| (g, im.size))).collect();
    let largest = built.iter().map(|(_, s)| *s).chain(class.size_limit).max().unwrap_or(1).max(1);
    let step = tick_step(largest);
    let ticks = largest.div_ceil(step).max(1);
    let axis = (ticks * step) as f64;
    let x = |size: u64| LEFT + size as f64 / axis * PLOT;
    let mut out = String::from("<h2>Image sizes</h2>\n<p class=\"meta\">One dot per image (green: the submission passed); hover a dot for the student.</p>\n");
    let _ = writeln!(out, "<svg id=\"size-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} 150\" width=\"100%\" role=\"img\" aria-label=\"image size of each submission\">");
    let _ = writeln!(out, "<line x1=\"{LEFT}\" y1=\"110\" x2=\"{}\" y2=\"110\" stroke=\"#8a93a3\"/>", WIDTH - LEFT);
    for tick in 0..=ticks {
        let size = tick * step;
        let _ = writeln!(
            out,
            "<line x1=\"{0:.1}\" y1=\"110\" x2=\"{0:.1}\" y2=\"115\" stroke=\"#8a93a3\"/><text x=\"{0:.1}\" y=\"130\" text-anchor=\"middle\">{1}</text>",
            x(size),
            format_size(size)
        );
    }
    if let Some(limit) = class.size_limit {
        let _ = writeln!(
            out,
            "<line class=\"limit\" x1=\"{0:.1}\" y1=\"10\" x2=\"{0:.1}\" y2=\"110\" stroke=\"#b3261e\" stroke-dasharray=\"4 3\"/><text x=\"{0:.1}\" y=\"145\" text-anchor=\"middle\" fill=\"#b3261e\">limit {1}</text>",
            x(limit),
            format_size(limit)
        );
    }
    let mut placed: Vec<f64> = Vec::new();
    for (grade, size) in &built {
        let cx = x(*size);
        // Dots that would overlap stack upwards from the axis, six high, then start again.
        let level = placed.iter().filter(|other| (*other - cx).abs() < 12.0).count() % 6;
        placed.push(cx);
        let colour = if grade.status == Standing::Pass { "#11752f" } else { "#b3261e" };
        let _ = writeln!(
            out,
            "<circle class=\"dot\" cx=\"{cx:.1}\" cy=\"{}\" r=\"6\" fill=\"{colour}\" fill-opacity=\"0.75\"><title>{}: {}</title></circle>",
            100 - level * 15,
            escape(&grade.student),
            format_size(*size)
        );
    }
    out += "</svg>\n";
    let unbuilt: Vec<String> = class.grades.iter().filter(|g| g.report.image.is_none()).map(|g| escape(&g.student)).collect();
    if !unbuilt.is_empty() {
        let _ = writeln!(out, "<p class=\"meta\">No image: {}</p>", unbuilt.join(", "));
    }
    out
}

/// A round step (1, 2 or 5 times a power of ten bytes) that cuts 0..=largest into at most 6.
fn tick_step(largest: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for step in [power, 2 * power, 5 * power] {
            if largest.div_ceil(step) <= 6 {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// The table of students, then each one's detail.
fn students(class: &Class) -> String {
    let mut out = String::from(
        "<h2>Students</h2>\n<p><button id=\"expand\" type=\"button\">Expand all</button><button id=\"collapse\" type=\"button\">Collapse all</button></p>\n",
    );
    out += "<table id=\"grades\">\n<tr><th>student</th><th>result</th><th>points</th>";
    for check in &class.checks {
        let _ = write!(out, "<th>{}</th>", escape(check.id.as_str()));
    }
    out += "<th>image</th></tr>\n";
    for (index, grade) in class.grades.iter().enumerate() {
        let status = grade.status.as_str();
        let _ = write!(
            out,
            "<tr class=\"student\" data-detail=\"detail-{index}\" data-status=\"{status}\"><td>{}</td><td class=\"{status}\">{}</td><td>{}/{}</td>",
            escape(&grade.student),
            status.to_uppercase(),
            grade.report.points.earned,
            grade.report.points.possible
        );
        for check in &class.checks {
            let state = grade.check(check.id).map(|c| c.status);
            let class_name = state.map_or("none".to_string(), |s| word(&s));
            let _ = write!(out, "<td class=\"{class_name}\">{}</td>", mark(state));
        }
        let _ = writeln!(out, "<td>{}</td></tr>", grade.report.image.as_ref().map_or("-".into(), |i| format_size(i.size)));
    }
    out += "</table>\n";
    for (index, grade) in class.grades.iter().enumerate() {
        out += &detail(index, grade);
    }
    out
}

fn detail(index: usize, grade: &Grade) -> String {
    let mut out = format!(
        "<details class=\"detail\" id=\"detail-{index}\"><summary>{} <span class=\"{status}\">{}</span> {}/{} points</summary>\n",
        escape(&grade.student),
        grade.status.as_str().to_uppercase(),
        grade.report.points.earned,
        grade.report.points.possible,
        status = grade.status.as_str()
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} · endpoint {} · {:.1} s</p>",
        escape(&grade.dockerfile),
        escape(grade.endpoint.as_deref().unwrap_or("none")),
        grade.seconds
    );
    if let Some(message) = &grade.message {
        let _ = writeln!(out, "<p class=\"error\">{}</p>", escape(message));
    }
    out += "<ul>\n";
    for check in &grade.report.checks {
        let _ = write!(
            out,
            "<li><span class=\"{}\">{}</span> <b>{}</b> ({} pt) {}",
            word(&check.status),
            mark(Some(check.status)),
            escape(check.id.as_str()),
            check.weight,
            escape(&check.summary)
        );
        if matches!(check.status, Status::Fail | Status::Error) {
            for evidence in &check.evidence {
                let _ = write!(out, "<div class=\"evidence\">{}</div>", escape(&evidence_line(evidence)));
            }
            if let Some(hint) = &check.hint {
                let _ = write!(out, "<div class=\"hint\">hint: {}</div>", escape(hint));
            }
        }
        out += "</li>\n";
    }
    out + "</ul>\n</details>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(5_000_000), 1_000_000);
        assert_eq!(tick_step(3_859_291), 1_000_000);
        assert_eq!(tick_step(11_000_000), 2_000_000);
        assert_eq!(tick_step(1), 1);
        assert!(tick_step(u64::MAX) > 0);
    }
}
