//! The size chart (`book/src/figures/sizes.svg`): for each exercise, a bar for its starter and
//! one for its reference solution, on a logarithmic scale with a labelled grid line per decade
//! (1 MB, 10 MB, 100 MB...), each bar labelled with its size.
//!
//! Must hold: the SVG is generated from the figures alone, so the same figures give the same
//! bytes; it has no blank line (the page includes it inside an HTML block, which a blank line
//! would end); its text and grid take `currentColor`, so it reads in the book's dark themes too.

use super::figures::{size, Exercise, Figures};
use crate::markdown::escape_html;

const WIDTH: f64 = 720.0;
/// The column of exercise names, left of the bars.
const NAMES: f64 = 170.0;
/// Room right of the longest bar for its label.
const LABELS: f64 = 70.0;
const BAR: f64 = 14.0;
/// Space between one exercise's pair of bars and the next.
const GAP: f64 = 14.0;
/// Height of the legend above the bars, and of the axis labels below them.
const LEGEND: f64 = 30.0;
const AXIS: f64 = 24.0;
const STARTER: &str = "#c8553d";
const SOLUTION: &str = "#2a9d8f";

/// The chart of the figures' sizes, as an SVG document.
pub(super) fn render(figures: &Figures) -> String {
    let exercises = &figures.exercises;
    let scale = Scale::of(exercises);
    let height = LEGEND + exercises.len() as f64 * (2.0 * BAR + GAP) + AXIS;
    let mut lines = vec![
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" style="max-width:100%;height:auto" role="img" font-family="sans-serif" font-size="12" fill="currentColor">"#
        ),
        "<title>Image size of each exercise: starter and reference solution, logarithmic scale</title>".to_string(),
    ];
    lines.extend(legend());
    lines.extend(scale.grid(height));
    for (row, exercise) in exercises.iter().enumerate() {
        lines.extend(pair(&scale, row, exercise));
    }
    lines.push("</svg>".to_string());
    lines.join("\n") + "\n"
}

fn legend() -> Vec<String> {
    [(0.0, STARTER, "starter"), (110.0, SOLUTION, "reference solution")]
        .iter()
        .map(|(x, colour, label)| {
            format!(r#"<rect x="{}" y="6" width="12" height="12" fill="{colour}" /><text x="{}" y="16">{label}</text>"#, NAMES + x, NAMES + x + 16.0)
        })
        .collect()
}

/// The two bars of exercise number `row`, its name and their labels.
fn pair(scale: &Scale, row: usize, exercise: &Exercise) -> Vec<String> {
    let top = LEGEND + row as f64 * (2.0 * BAR + GAP);
    let name = escape_html(&exercise.name);
    let mut lines = vec![
        format!(
            "<g><title>{}: starter {}, reference solution {}</title>",
            escape_html(&exercise.title),
            size(exercise.starter.size),
            size(exercise.solution.size)
        ),
        format!(r#"<text x="{}" y="{}" text-anchor="end">{name}</text>"#, NAMES - 8.0, top + BAR + 4.0),
    ];
    let bars = [(exercise.starter.size, STARTER, top), (exercise.solution.size, SOLUTION, top + BAR)];
    for (bytes, colour, y) in bars {
        let end = scale.x(bytes);
        lines.push(format!(
            r#"<rect x="{NAMES}" y="{y}" width="{:.1}" height="{}" fill="{colour}" /><text x="{:.1}" y="{}">{}</text>"#,
            (end - NAMES).max(1.0),
            BAR - 1.0,
            end + 4.0,
            y + BAR - 3.0,
            size(bytes)
        ));
    }
    lines.push("</g>".to_string());
    lines
}

/// A logarithmic scale over whole decades of bytes, from `10^low` to `10^high`.
struct Scale {
    low: i32,
    high: i32,
}

impl Scale {
    /// The decades around every size of `exercises` (1 MB to 1 GB when there are none).
    fn of(exercises: &[Exercise]) -> Scale {
        let sizes = exercises.iter().flat_map(|e| [e.starter.size, e.solution.size]).map(|bytes| (bytes.max(1) as f64).log10());
        let (min, max) = sizes.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if min > max {
            return Scale { low: 6, high: 9 };
        }
        let low = min.floor() as i32;
        Scale { low, high: (max.ceil() as i32).max(low + 1) }
    }

    /// Where a bar of `bytes` ends.
    fn x(&self, bytes: u64) -> f64 {
        let decades = (bytes.max(1) as f64).log10() - f64::from(self.low);
        NAMES + decades / f64::from(self.high - self.low) * (WIDTH - NAMES - LABELS)
    }

    /// A vertical line and a label per decade, in a chart `height` high.
    fn grid(&self, height: f64) -> Vec<String> {
        (self.low..=self.high)
            .map(|decade| {
                let x = self.x(10u64.pow(decade as u32));
                format!(
                    r#"<line x1="{x:.1}" y1="{LEGEND}" x2="{x:.1}" y2="{}" stroke="currentColor" stroke-opacity="0.25" /><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#,
                    height - AXIS,
                    height - 8.0,
                    decade_label(decade)
                )
            })
            .collect()
    }
}

/// `10^decade` bytes in words: `1 MB`, `10 MB`, `100 kB`.
fn decade_label(decade: i32) -> String {
    let (unit, name) = [(9, "GB"), (6, "MB"), (3, "kB"), (0, "B")].into_iter().find(|(unit, _)| decade >= *unit).unwrap_or((0, "B"));
    format!("{} {name}", 10u64.pow((decade - unit) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::figures::Sample;

    fn figures(sizes: &[(u64, u64)]) -> Figures {
        let sample = |size| Sample { size, findings: None };
        Figures::for_tests(
            "sha256:a",
            sizes
                .iter()
                .enumerate()
                .map(|(n, &(starter, solution))| Exercise {
                    name: format!("0{n}-x"),
                    title: "X <&>".into(),
                    chapter: None,
                    starter: sample(starter),
                    solution: sample(solution),
                })
                .collect(),
        )
    }

    #[test]
    fn the_scale_spans_whole_decades_around_every_size() {
        let scale = Scale::of(&figures(&[(658_000_000, 1_880_000)]).exercises);
        assert_eq!((scale.low, scale.high), (6, 9));
        assert_eq!(scale.x(1_000_000), NAMES);
        assert_eq!(scale.x(1_000_000_000), WIDTH - LABELS);
        assert_eq!(decade_label(8), "100 MB");
        assert_eq!(decade_label(9), "1 GB");
        assert_eq!(decade_label(5), "100 kB");
    }

    #[test]
    fn the_svg_has_a_labelled_pair_per_exercise_and_no_blank_line() {
        let svg = render(&figures(&[(658_000_000, 1_880_000), (300_000_000, 100_000_000)]));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert!(!svg.contains("\n\n"));
        assert_eq!(svg.matches("<g>").count(), 2);
        assert!(svg.contains(">658 MB</text>") && svg.contains(">1.88 MB</text>"));
        assert!(svg.contains("X &lt;&amp;&gt;: starter 658 MB"));
        assert!(svg.contains(">1 GB</text>"));
    }
}
