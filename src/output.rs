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
/// One entry of a `--help` list (strategy families, retrievers): `name` in a column of its own,
/// `text` wrapped to 100 columns under a hanging indent (clap would wrap it flush left).
pub fn help_entry(name: &str, text: &str) -> String {
    const INDENT: usize = 13;
    const WIDTH: usize = 100;
    let mut line = format!("  {:<width$}", name, width = INDENT - 2);
    let mut col = INDENT.max(line.chars().count());
    for word in text.split(' ') {
        let len = word.chars().count();
        if col > INDENT && col + 1 + len > WIDTH {
            line.push('\n');
            line.push_str(&" ".repeat(INDENT));
            col = INDENT;
        } else if col > INDENT {
            line.push(' ');
            col += 1;
        }
        line.push_str(word);
        col += len;
    }
    line.push('\n');
    line
}
