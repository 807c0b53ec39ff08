//! The live line on stderr that says what a run is doing while the learner waits: the build's
//! spinner with its current step, then one phase at a time after it — reading the image's layers
//! (`Reading layers 3/7 · 120.4 MB of 785.0 MB`), probing, scanning.
//!
//! What must hold: it is shown on a terminal only (never in a pipe, a CI log or a JSON run, and
//! never while `grade` runs builds side by side); it is gone before anything else is printed
//! (every owner clears it on every path out: [`StatusLine::clear`], or dropping the last clone);
//! and updating it is cheap enough to call for every chunk read (indicatif limits the redraws).
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressFinish, ProgressState, ProgressStyle};

use crate::units::format_size;

/// How often the spinner turns.
const TICK: Duration = Duration::from_millis(120);

/// A spinner on stderr with `message`, hidden unless `enabled` and stderr is a terminal; it clears
/// itself however its owner ends (dropped, too, when Ctrl-C aborts the work; after a Ctrl-C typed
/// at the terminal its last frame stays, because the echoed `^C` moves the cursor off its line).
pub(crate) fn spinner(enabled: bool, message: &str) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_style(plain_style()).with_finish(ProgressFinish::AndClear).with_message(message.to_string());
    bar.enable_steady_tick(TICK);
    bar
}

/// The phases of a run after its build, one at a time on one line. Clones share the line, which
/// first shows with the first phase (so never beside the build's own spinner).
#[derive(Clone, Default)]
pub(crate) struct StatusLine {
    /// `None` when hidden: then every call does nothing.
    shown: Option<Arc<Shown>>,
}

#[derive(Default)]
struct Shown {
    bar: OnceLock<ProgressBar>,
    /// Layers read so far, and how many the image has (0: not known).
    layers_read: AtomicUsize,
    layers_total: AtomicUsize,
}

impl std::fmt::Debug for StatusLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.shown.is_some() { "StatusLine(shown)" } else { "StatusLine(hidden)" })
    }
}

impl StatusLine {
    /// A line shown on stderr when it is a terminal.
    pub(crate) fn on_terminal() -> StatusLine {
        StatusLine { shown: std::io::stderr().is_terminal().then(Arc::default) }
    }

    /// A new phase: `message` with the spinner, its clock started again.
    pub(crate) fn phase(&self, message: &str) {
        let Some((bar, _)) = self.bar() else { return };
        bar.set_style(plain_style());
        bar.reset_elapsed();
        bar.set_message(message.to_string());
    }

    /// The reading phase: `layers` and `bytes` are what the image holds, when known.
    pub(crate) fn reading(&self, layers: Option<usize>, bytes: Option<u64>) {
        let Some((bar, shown)) = self.bar() else { return };
        shown.layers_read.store(0, Ordering::Relaxed);
        shown.layers_total.store(layers.unwrap_or(0), Ordering::Relaxed);
        bar.set_style(reading_style());
        bar.reset_elapsed();
        bar.set_position(0);
        match bytes {
            Some(bytes) => bar.set_length(bytes),
            None => bar.unset_length(),
        }
        bar.set_message(shown.layer_message());
    }

    /// `bytes` more of the image read.
    pub(crate) fn read_bytes(&self, bytes: u64) {
        if let Some((bar, _)) = self.bar() {
            bar.inc(bytes);
        }
    }

    /// One more layer read (or taken from the cache).
    pub(crate) fn read_layer(&self) {
        let Some((bar, shown)) = self.bar() else { return };
        shown.layers_read.fetch_add(1, Ordering::Relaxed);
        bar.set_message(shown.layer_message());
    }

    /// Takes the line off the screen for good: the run's own output comes next.
    pub(crate) fn clear(&self) {
        if let Some(bar) = self.shown.as_ref().and_then(|shown| shown.bar.get()) {
            bar.finish_and_clear();
        }
    }

    /// The bar, made on first use.
    fn bar(&self) -> Option<(&ProgressBar, &Shown)> {
        let shown = self.shown.as_deref()?;
        Some((shown.bar.get_or_init(|| spinner(true, "")), shown))
    }
}

impl Shown {
    fn layer_message(&self) -> String {
        layer_message(self.layers_read.load(Ordering::Relaxed), self.layers_total.load(Ordering::Relaxed))
    }
}

/// `Reading layers 3/7`, or `Reading layer 3` when the image's count is not known (0).
fn layer_message(read: usize, total: usize) -> String {
    let current = if total == 0 { read.max(1) } else { (read + 1).min(total) };
    match total {
        0 => format!("Reading layer {current}"),
        total => format!("Reading layers {current}/{total}"),
    }
}

/// ` · 120.4 MB of 785.0 MB`, or ` · 120.4 MB` when the total is not known (the daemon takes a
/// few seconds to start a `docker save`).
fn bytes_read(read: u64, total: Option<u64>) -> String {
    if read == 0 {
        return " · waiting for the daemon to send the image".to_string();
    }
    match total {
        Some(total) => format!(" · {} of {}", format_size(read), format_size(total.max(read))),
        None => format!(" · {}", format_size(read)),
    }
}

fn plain_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {elapsed:>4} {wide_msg}").unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn reading_style() -> ProgressStyle {
    plain_style().template("{spinner} {elapsed:>4} {msg}{read}").unwrap_or_else(|_| plain_style()).with_key(
        "read",
        |state: &ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = out.write_str(&bytes_read(state.pos(), state.len()));
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reading_line_counts_layers_and_bytes_in_the_units_people_read() {
        assert_eq!(layer_message(0, 7), "Reading layers 1/7");
        assert_eq!(layer_message(3, 7), "Reading layers 4/7");
        assert_eq!(layer_message(7, 7), "Reading layers 7/7");
        assert_eq!(layer_message(0, 0), "Reading layer 1");
        assert_eq!(layer_message(4, 0), "Reading layer 4");
        assert_eq!(bytes_read(120_400_000, Some(785_000_000)), " · 120.4 MB of 785 MB");
        assert_eq!(bytes_read(900, Some(800)), " · 900 B of 900 B");
        assert_eq!(bytes_read(2_500_000, None), " · 2.5 MB");
        assert_eq!(bytes_read(0, Some(785_000_000)), " · waiting for the daemon to send the image");
    }

    #[test]
    fn a_hidden_line_takes_every_call_and_shows_nothing() {
        let line = StatusLine::default();
        line.reading(Some(3), Some(10));
        line.read_bytes(5);
        line.read_layer();
        line.phase("Scanning");
        line.clear();
        assert!(line.shown.is_none());
    }
}
