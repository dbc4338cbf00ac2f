//! Live progress of a `data-test` run on a terminal: one bar per phase, drawn below the streamed
//! `[released]`/`[new]` output.
//!
//! Bars are drawn only when stderr is a terminal and neither `CI` nor `NO_PROGRESS` is set; then
//! every line of output goes through [`line`] so it is printed above the bars instead of
//! through them. Anywhere else (CI logs, pipes, tests) output is plain lines on stderr and the
//! phase summaries (`harness: phase … done in …`) carry the same information.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

fn bars() -> Option<&'static MultiProgress> {
    static BARS: OnceLock<Option<MultiProgress>> = OnceLock::new();
    BARS.get_or_init(|| {
        let wanted = std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var_os("NO_PROGRESS").is_none();
        wanted.then(MultiProgress::new)
    })
    .as_ref()
}

fn current() -> &'static Mutex<Option<ProgressBar>> {
    static CURRENT: OnceLock<Mutex<Option<ProgressBar>>> = OnceLock::new();
    CURRENT.get_or_init(|| Mutex::new(None))
}

/// Print one line of output (above the bars when they are drawn).
pub fn line(text: &str) {
    match bars() {
        Some(m) => {
            let _ = m.println(text);
        }
        None => eprintln!("{text}"),
    }
}

/// Start the bar of phase `name`: a bar over `total` steps, or a spinner.
pub fn begin(name: &str, total: Option<u64>) {
    let Some(m) = bars() else { return };
    let bar = match total {
        Some(n) => {
            let b = ProgressBar::new(n);
            b.set_style(
                ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b
        }
        None => {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{prefix:>9} {spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b
        }
    };
    let bar = m.add(bar);
    bar.set_prefix(name.to_string());
    if let Ok(mut c) = current().lock() {
        if let Some(old) = c.take() {
            old.finish_and_clear();
        }
        *c = Some(bar);
    }
}

/// One step of the current phase done; `what` names it.
pub fn step(what: &str) {
    if let Ok(c) = current().lock()
        && let Some(b) = c.as_ref()
    {
        b.set_message(what.to_string());
        b.inc(1);
    }
}

/// The current phase ended (its bar stays on screen with `summary`).
pub fn end(summary: &str) {
    if let Ok(mut c) = current().lock()
        && let Some(b) = c.take()
    {
        b.finish_with_message(summary.to_string());
    }
}
