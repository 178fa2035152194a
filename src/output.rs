//! Terminal output: progress bars (drawn only on a terminal) and one-line notes on stderr.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress reporting for a run.
pub struct Progress {
    quiet: bool,
}

impl Progress {
    /// `quiet` silences notes and bars.
    pub fn new(quiet: bool) -> Self {
        Progress { quiet }
    }

    /// A progress bar on stderr; hidden when quiet or when stderr is not a terminal.
    pub fn bar(&self, what: &str, len: u64) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(what.to_string());
        bar
    }

    /// A one-line note on stderr.
    pub fn note(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}
